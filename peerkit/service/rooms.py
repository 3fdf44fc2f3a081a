"""The API for rooms: health, create, look up, join, the participant page's ``current`` call,
the CSV export and the before-and-after comparison."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
from typing import Any

from .. import __version__
from ..room import pre_post_view
from ..store.base import rows_to_csv, secret_hash, secret_matches
from .base import CODE, ApiError, BaseHandler
from .views import room_snapshot

#: The longest room title, in characters.
MAX_TITLE = 200


class HealthHandler(BaseHandler):
    def get(self) -> None:
        self.send({"ok": True, "version": __version__})


class RoomsHandler(BaseHandler):
    async def post(self) -> None:
        await self._check_creator()
        data = self.body()
        title = data.get("title", "")
        min_group = data.get("min_group", 3)
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
        created = await self.call(self.store.create_room, title, min_group=min_group)
        room = created.room
        self.send(
            {
                "code": room.code,
                "title": room.title,
                "min_group": room.min_group,
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
        try:
            loopback = ipaddress.ip_address(self.request.remote_ip or "").is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ApiError(
                403,
                "forbidden",
                "rooms can be created only from this machine unless a creator key is set",
            )


class RoomHandler(BaseHandler):
    async def get(self, code: str) -> None:
        room = await self.call(self.store.room, code)
        data: dict[str, Any] = {"code": room.code, "title": room.title, "min_group": room.min_group}
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
        participant = await self.call(self.store.join, code, limit=self.service.max_participants)
        self.worker.notify(participant.room_code)
        self.send({"room": participant.room_code, "token": participant.token}, 201)


class CurrentHandler(BaseHandler):
    """The participant page's one call: the room's current question, its state, the caller's own
    answer and, once visible, the group's results. ``?after=<etag>`` waits for a change."""

    async def get(self, code: str) -> None:
        after = self.get_query_argument("after", None)
        wait = self.wait_seconds()
        _, participant = await self.role(code)
        room = await self.call(self.store.room, code)
        deadline = asyncio.get_running_loop().time() + wait
        while True:
            changed = self.worker.changed(room.code)  # taken before reading: no missed wake-up
            view = await self._view(code, participant)
            if after is None or view["etag"] != after:
                break
            if not await self.worker.wait(changed, deadline):
                break
        self.send(view)

    async def _view(self, code: str, participant: int | None) -> dict:
        snap = await self.call(room_snapshot, self.store, code, self.service.snapshots)
        view = dict(snap.shared)
        if view["question"] is not None:
            view["your_answer"] = snap.answers.get(participant) if participant is not None else None
        view["etag"] = hashlib.sha256(json.dumps(view, sort_keys=True).encode()).hexdigest()[:16]
        return view


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
