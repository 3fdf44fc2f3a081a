"""The room change feed over HTTP: ``GET /api/v1/rooms/<code>/events?after=<version>``.

One long-poll per kernel session (its watcher) instead of one per chart: the answer is the
room's summary (:func:`peerkit.feed.room_feed`) as soon as the room's version differs from
``after``, or the unchanged summary once ``timeout`` seconds have passed. The facilitator sees
every question, how many joined and how many reflections wait for moderation; a participant
sees the questions that have been opened.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..feed import room_feed
from ..store.base import normalise_code
from .app import BaseHandler, _int_argument, _wait_seconds

__all__ = ["RoomEventsHandler", "routes"]


class RoomEventsHandler(BaseHandler):
    async def get(self, code: str) -> None:
        after = _int_argument(self, "after")
        wait = _wait_seconds(self)
        role, _ = await self.role(code)
        facilitator = role == "facilitator"
        code = normalise_code(code)
        deadline = asyncio.get_running_loop().time() + wait
        while True:
            changed = self.hub.changed(code)  # taken before reading: no missed wake-up
            feed = await self.call(room_feed, self.app.store, code, facilitator=facilitator)
            if after is None or feed["version"] != after:
                break
            if not await self.hub.wait(changed, deadline):
                break
        self.send(feed)


def routes(api: str, kwargs: dict[str, Any]) -> list[tuple]:
    """The feed's route under the API prefix ``api`` (a pattern)."""
    return [(rf"{api}/rooms/(\w{{1,16}})/events", RoomEventsHandler, kwargs)]
