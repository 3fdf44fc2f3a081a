"""The room's screen: the presenter display at ``<prefix>present/<CODE>`` and its API.

The display is for a projector or second screen. It reads one thing, ``GET
/api/v1/rooms/<CODE>/screen``, which holds only what the whole room may see: the current
question as participants see it, how many have answered, and the group's results once the
facilitator has revealed them to at least the room's minimum group. While a question is open
it holds the number of answers and nothing about how they are spread.

It is opened with the room's **presenter token** (read-only: it opens, closes, reveals and
answers nothing, and reads no single answer and no unapproved reflection), the facilitator key,
or on JupyterHub a facilitator's hub sign-in. The token travels in the link's ``#fragment``,
which browsers never send to a server; the page keeps it for its tab and clears the address bar.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from operator import itemgetter

import segno

from .. import room as rules
from ..chartview import pre_post_view
from ..store import Store, StoreError
from .base import CODE, PAGE_CSP, ApiError, BaseHandler
from .pages import render_page
from .views import room_view


def screen_view(store: Store, code: str) -> dict:
    """What the room's screen shows now (runs on the store thread)."""
    view, record = room_view(store, code)
    room = store.room(code)
    view.update(
        min_group=room.min_group,
        participants=store.participant_count(code),
        answers=len(store.answers_by_participant(record.id)) if record is not None else 0,
        shift=None,
    )
    view["chart"] = view["pre_post"] = None
    question = view["question"]
    if question is not None and view.get("results") and question["kind"] != "text":
        view["chart"] = view["results"].get("view")  # the participants' chart, drawn alike
        if question["kind"] == "scale":
            record = store.question(question["id"])
            view["shift"] = _shift(store, room.code, question)
            if view["shift"] is not None:
                view["pre_post"] = pre_post_view(
                    record.question,
                    view["shift"],
                    min_group=room.min_group,
                    language=room.language,
                )
    return view


def _shift(store: Store, code: str, question: dict) -> dict | None:
    """The before/after comparison on the "post" reading of a scale, by the participants' rule
    (both readings revealed to enough people)."""
    if question.get("tag") != "post" or not question.get("source"):
        return None
    try:
        _, _, comparison = rules.pre_post_view(store, code, question["source"], "participant")
    except StoreError:  # not revealed, or no "pre" reading
        return None
    return comparison.as_dict()


def _screen_for(store: Store, code: str, secret: str | None) -> dict | None:
    """The screen, or None when ``secret`` is neither the room's presenter token nor its
    facilitator key (``secret`` None: the caller was let in by hub sign-in)."""
    if secret is not None and not (
        store.check_presenter(code, secret) or store.check_facilitator(code, secret)
    ):
        store.room(code)  # an unknown room is a 404 rather than a 403
        return None
    return screen_view(store, code)


def _etag(view: dict) -> str:
    return hashlib.sha256(json.dumps(view, sort_keys=True).encode()).hexdigest()[:16]


class ScreenHandler(BaseHandler):
    """``GET /api/v1/rooms/<CODE>/screen[?after=<etag>&timeout=<s>]``: the room's screen; with
    ``after``, waits until it differs from that etag (a long-poll)."""

    async def get(self, code: str) -> None:
        after = self.get_query_argument("after", None)
        wait = self.wait_seconds()
        secret = await self._credential(code)
        deadline = asyncio.get_running_loop().time() + wait
        view = await self.poll(
            code.upper(), lambda: self._screen(code, secret), itemgetter("etag"), after, deadline
        )
        if view is not None:
            self.send(view)

    async def _screen(self, code: str, secret: str | None) -> dict:
        view = await self.call(_screen_for, self.store, code, secret)
        if view is None:
            raise ApiError(
                403,
                "forbidden",
                "this presenter link is not (or no longer) valid for this room; "
                "ask the facilitator for the current one",
            )
        view["etag"] = _etag(view)
        view["join_url"] = self.join_url(view["room"])
        return view

    async def _credential(self, code: str) -> str | None:
        """The bearer secret, or None for a hub facilitator signed in with the hub's cookie."""
        if self.request.headers.get("Authorization") or self.service.hub_auth is None:
            return self.secret()
        await self.call(self.store.room, code)  # 404 for an unknown room
        model = await self.service.hub_auth.identify(self, cookie=True)
        if model is None:
            raise ApiError(
                401, "hub_signin", "open the presenter link, or sign in to the hub as a facilitator"
            )
        reason = self.service.hub_auth.refusal(model)
        if reason:
            raise ApiError(403, "forbidden", reason)
        return None


class PresenterTokenHandler(BaseHandler):
    """``POST /api/v1/rooms/<CODE>/presenter``: a new presenter token (the old link stops
    working); ``DELETE``: withdraw it. Facilitator only."""

    async def post(self, code: str) -> None:
        await self.require_facilitator(code)
        token = await self.call(self.store.rotate_presenter, code, self.secret())
        self.worker.notify(code.upper())  # a display on the old link learns at once
        room = await self.call(self.store.room, code)
        self.send({"room": room.code, "presenter_url": self.presenter_url(room.code, token)})

    async def delete(self, code: str) -> None:
        await self.require_facilitator(code)
        await self.call(self.store.revoke_presenter, code)
        self.worker.notify(code.upper())
        room = await self.call(self.store.room, code)
        self.send({"room": room.code, "presenter_url": None})


class QrHandler(BaseHandler):
    """``GET /api/v1/rooms/<CODE>/qr.svg``: the join link as a QR code (public, as the code is)."""

    async def get(self, code: str) -> None:
        room = await self.call(self.store.room, code)
        out = io.BytesIO()
        segno.make(self.join_url(room.code), error="m").save(
            out, kind="svg", scale=10, border=2, dark="#000", light="#fff", xmldecl=False
        )
        self.set_header("Content-Type", "image/svg+xml; charset=utf-8")
        self.set_header("Content-Security-Policy", PAGE_CSP)
        self.set_header("Cache-Control", "no-cache")
        self.finish(out.getvalue())


class PresenterPage(BaseHandler):
    """``<prefix>present/<CODE>``: the page; the script does the rest."""

    def get(self, code: str) -> None:
        render_page(self, "present.html", nested=True)


#: Routes under the API root.
default_handlers = [
    (rf"/rooms/{CODE}/screen", ScreenHandler),
    (rf"/rooms/{CODE}/presenter", PresenterTokenHandler),
    (rf"/rooms/{CODE}/qr\.svg", QrHandler),
]

#: Routes under the service's root.
page_handlers = [(rf"/present/{CODE}", PresenterPage)]
