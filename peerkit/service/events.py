"""The room change feed over HTTP: ``GET /api/v1/rooms/<code>/events?after=<version>``.

One long-poll per kernel session (its watcher) instead of one per chart: the answer is the
room's summary (:func:`peerkit.feed.room_feed`) as soon as the room's version differs from
``after``, or the unchanged summary once ``timeout`` seconds have passed. The facilitator sees
every question, how many joined and how many reflections wait for moderation; a participant
sees the questions that have been opened.
"""

from __future__ import annotations

import asyncio
from operator import itemgetter

from ..feed import room_feed
from ..store.base import normalise_code
from .base import CODE, BaseHandler

__all__ = ["RoomEventsHandler", "default_handlers"]


class RoomEventsHandler(BaseHandler):
    async def get(self, code: str) -> None:
        after = self.int_argument("after")
        wait = self.wait_seconds()
        role, _ = await self.role(code)
        facilitator = role == "facilitator"
        code = normalise_code(code)
        deadline = asyncio.get_running_loop().time() + wait
        feed = await self.poll(
            code,
            lambda: self.call(room_feed, self.store, code, facilitator=facilitator),
            itemgetter("version"),
            after,
            deadline,
        )
        if feed is not None:
            self.send(feed)


#: Routes under the API root, as in the other handler modules.
default_handlers = [(rf"/rooms/{CODE}/events", RoomEventsHandler)]
