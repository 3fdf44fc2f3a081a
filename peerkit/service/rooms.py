"""The API for rooms: health, create, look up, join, the participant page's ``current`` call,
the CSV export and the before-and-after comparison."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

import tornado.iostream

from .. import __version__
from ..i18n import UnknownLanguageError, check_language, languages
from ..room import pre_post_view
from ..store import Participant, RoomNotFound, Store
from ..store.base import rows_to_csv, secret_hash, secret_matches
from .base import CODE, ApiError, BaseHandler
from .live import LiveRoom

#: The longest room title, in characters.
MAX_TITLE = 200
#: A participant page's event stream ends after this many seconds; the page opens the next.
STREAM_SECONDS = 600.0
#: A stream with no change carries a comment this often (seconds).
HEARTBEAT = 25.0


class HealthHandler(BaseHandler):
    def get(self) -> None:
        self.send({"ok": True, "version": __version__})


class RoomsHandler(BaseHandler):
    async def post(self) -> None:
        await self._check_creator()
        data = self.body()
        title = data.get("title", "")
        min_group = data.get("min_group", 3)
        if isinstance(title, str):
            title = title.strip()  # the limit counts what is kept
        if not isinstance(title, str) or len(title) > MAX_TITLE:
            raise ApiError(
                400, "bad_request", f"'title' must be text of at most {MAX_TITLE} characters"
            )
        if (
            isinstance(min_group, bool)
            or not isinstance(min_group, int)
            or not 1 <= min_group <= 1000
        ):
            raise ApiError(400, "bad_request", "'min_group' must be a whole number from 1 to 1000")
        language = _language(data.get("language", self.service.language))
        created = await self.call(
            self.store.create_room, title, min_group=min_group, language=language
        )
        room = created.room
        self.send(
            {
                "code": room.code,
                "title": room.title,
                "min_group": room.min_group,
                "language": room.language,
                "facilitator_key": created.facilitator_key,
                "join_url": self.join_url(room.code),
                "presenter_url": self.presenter_url(room.code, created.presenter_token),
            },
            201,
        )

    async def _check_creator(self) -> None:
        create_key, hub_auth = self.service.create_key, self.service.hub_auth
        if create_key:
            header = self.request.headers.get("Authorization", "")
            scheme, _, value = header.partition(" ")
            key_hash = secret_hash(create_key)
            if scheme.lower() == "bearer" and secret_matches(value.strip(), key_hash):
                return
            if hub_auth is None:
                raise ApiError(403, "forbidden", "creating a room needs this service's creator key")
        if hub_auth is not None:  # on a hub every user server is on loopback too
            await hub_auth.require_facilitator(self)
            return
        if not _is_loopback(self.request.remote_ip):
            raise ApiError(
                403,
                "forbidden",
                "rooms can be created only from this machine unless a creator key is set",
            )


def _language(value: object) -> str:
    """A room's language as peerkit names it, or 400 ``bad_request`` listing the languages."""
    try:
        if isinstance(value, str) and value:
            return check_language(value)
    except UnknownLanguageError:
        pass
    raise ApiError(
        400,
        "bad_request",
        f"'language' must be one of the languages peerkit can show: {', '.join(languages())}",
    )


def _is_loopback(address: str | None) -> bool:
    """Whether a client is on this machine: any address in 127.0.0.0/8, ::1, or an IPv4
    loopback address written as IPv6 (``::ffff:127.0.0.1``, from a dual-stack socket)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


class RoomHandler(BaseHandler):
    async def get(self, code: str) -> None:
        room = await self.call(self.store.room, code)
        data: dict[str, Any] = {
            "code": room.code,
            "title": room.title,
            "min_group": room.min_group,
            "language": room.language,
        }
        if self.request.headers.get("Authorization"):
            await self.require_facilitator(code)
            data["participants"] = await self.call(self.store.participant_count, code)
            data["current_question"] = room.current_question
            token = await self.call(self.store.presenter_token, code, self.secret())
            data["presenter_url"] = self.presenter_url(room.code, token)
        self.send(data)


class JoinHandler(BaseHandler):
    async def post(self, code: str) -> None:
        self.limit("joins", self.request.remote_ip)
        # The store counts and joins in one transaction: the cap holds across processes too.
        participant, language = await self.call(
            _join, self.store, code, self.service.max_participants
        )
        self.send(
            {"room": participant.room_code, "token": participant.token, "language": language}, 201
        )


def _join(store: Store, code: str, limit: int) -> tuple[Participant, str]:
    """Join room ``code``; the new participant and the room's language (one trip to the
    store thread)."""
    participant = store.join(code, limit=limit)
    return participant, store.room(participant.room_code).language


class CurrentHandler(BaseHandler):
    """The participant page's one call: the room's current question, its state, the caller's own
    answer and, once visible, the group's results. ``?after=<etag>`` waits for a change; with
    ``Accept: text/event-stream`` the reply is a stream of server-sent events instead, one
    event per change.

    Served from memory (:mod:`.live`): the room's view is built once per change for every page,
    and a waiting page is woken only when that view changes."""

    async def get(self, code: str) -> None:
        streaming = "text/event-stream" in self.request.headers.get("Accept", "")
        after = self.get_query_argument("after", None)
        wait = self.wait_seconds()
        _, participant = await self.role(code)
        room = self.live.get(code)
        assert room is not None  # role() has just remembered who is asking in it
        if streaming:
            await self._stream(room, participant)
            return
        deadline = asyncio.get_running_loop().time() + wait
        view = await self.refusals(self.live.view(room))
        if after is not None and view.etag == after:
            # Taken with the view in hand: a change from here on wakes this request.
            await self.wait_for(room.waiters.add(), deadline)
            if self.gone:
                return
            view = await self.refusals(self.live.view(room))
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(view.body(participant))

    async def _stream(self, room: LiveRoom, participant: int | None) -> None:
        """``data: <view>`` now and after each change, a comment every HEARTBEAT seconds (it
        shows a dead connection to both ends, and keeps proxies from timing out), and the end
        of the stream after STREAM_SECONDS (the page then opens the next one)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + STREAM_SECONDS
        view = await self.refusals(self.live.view(room))  # errors are still JSON errors here
        self.set_header("Content-Type", "text/event-stream; charset=utf-8")
        self.set_header("X-Accel-Buffering", "no")  # nginx: pass each event on at once
        sent = None
        while True:
            change = room.waiters.add()  # taken with the view in hand: no change is missed
            if view.etag != sent:
                self.write(b"data: %s\n\n" % view.body(participant))
                sent = view.etag
            else:
                self.write(b": waiting\n\n")
            try:
                await self.flush()
            except tornado.iostream.StreamClosedError:
                change.cancel()
                return
            await self.wait_for(change, min(end, loop.time() + HEARTBEAT))
            if self.gone:
                return
            if loop.time() >= end:
                break
            try:
                view = await self.live.view(room)
            except RoomNotFound:  # deleted: the stream ends; the next request gets the 404
                break
        self.finish()


class PrePostHandler(BaseHandler):
    """How one scale moved between its "pre" and "post" questions: the facilitator always,
    participants once both are revealed with enough answers."""

    async def get(self, code: str, source: str) -> None:
        role, _ = await self.role(code)
        pre, post, comparison = await self.call(pre_post_view, self.store, code, source, role)
        self.send({"pre": pre.id, "post": post.id, "comparison": comparison.as_dict()})


class ExportHandler(BaseHandler):
    async def get(self, code: str) -> None:
        await self.require_facilitator(code)
        per_response = self.get_query_argument("rows", "totals") == "responses"
        rows = await self.call(self.store.export_rows, code, per_response=per_response)
        name = f"peerkit-{code.upper()}-{'responses' if per_response else 'totals'}.csv"
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", f'attachment; filename="{name}"')
        self.finish(rows_to_csv(rows))


#: Routes under the API root (``<prefix>api/v1``).
default_handlers = [
    (r"/health", HealthHandler),
    (r"/rooms", RoomsHandler),
    (rf"/rooms/{CODE}", RoomHandler),
    (rf"/rooms/{CODE}/join", JoinHandler),
    (rf"/rooms/{CODE}/current", CurrentHandler),
    (rf"/rooms/{CODE}/export\.csv", ExportHandler),
    (rf"/rooms/{CODE}/pre-post/([a-z0-9-]{{1,64}})", PrePostHandler),
]
