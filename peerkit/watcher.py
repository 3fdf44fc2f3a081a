"""One watcher per session: follows the room's change feed and tells the widgets what changed.

The watcher is the only thing in a kernel that waits on the poll service. It awaits the room's
change feed (``GET /api/v1/rooms/<code>/events?after=<version>``, or the in-process equivalent
for solo and rehearsal sessions) on the kernel's own asyncio loop, coalesces bursts, backs off
while the service is unreachable, and fetches the results of a question only when a widget
follows it and its version moved. Widgets subscribe with a callback and cancel the subscription
when they close; a callback runs on the loop and must only update traits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .client import Results, Session

log = logging.getLogger(__name__)

__all__ = ["QuestionState", "RoomState", "Subscription", "Update", "Watcher"]

#: Seconds the feed is asked to wait for a change before answering "nothing new".
FEED_TIMEOUT = 25.0
#: Updates are delivered at most this often (seconds), so a burst of answers is one redraw; a
#: change after a quiet spell is delivered at once.
MIN_INTERVAL = 0.1
#: The longest wait between attempts while the service cannot be reached (seconds).
MAX_BACKOFF = 15.0


@dataclass(frozen=True)
class QuestionState:
    """One question of the room as the feed reports it."""

    id: int
    source: str | None
    tag: str
    state: str
    revealed: bool
    version: int

    @classmethod
    def from_dict(cls, data: dict) -> QuestionState:
        return cls(
            int(data["id"]),
            data.get("source"),
            data.get("tag", ""),
            data["state"],
            bool(data["revealed"]),
            int(data.get("version", 0)),
        )


@dataclass(frozen=True)
class RoomState:
    """The whole room at one room version: its questions, and counts for the facilitator."""

    version: int
    questions: tuple[QuestionState, ...] = ()
    current: int | None = None
    participants: int | None = None
    pending: int | None = None

    def find(self, source: str, tag: str = "") -> QuestionState | None:
        for question in self.questions:
            if question.source == source and question.tag == tag:
                return question
        return None

    @classmethod
    def from_dict(cls, data: dict) -> RoomState:
        return cls(
            int(data["version"]),
            tuple(QuestionState.from_dict(q) for q in data.get("questions", ())),
            data.get("current"),
            data.get("participants"),
            data.get("pending"),
        )


@dataclass(frozen=True)
class Update:
    """What a subscriber is told: the room, its question (if it follows one and the room has
    it) with the results this viewer may see, or ``error`` while the service is unreachable."""

    room: RoomState | None
    question: QuestionState | None = None
    results: Results | None = None
    error: str = ""


Callback = Callable[[Update], None]


@dataclass(eq=False)
class Subscription:
    """A widget's interest in the room (``source`` None) or in one question."""

    watcher: Watcher
    callback: Callback
    source: str | None = None
    tag: str = ""
    #: What this subscriber was last told: the room's version, or its question's
    #: (id, state, revealed, version); nothing yet at first.
    seen: object = field(default=None, repr=False)

    def cancel(self) -> None:
        self.watcher._subscriptions.discard(self)

    @property
    def active(self) -> bool:
        return self in self.watcher._subscriptions


def _signature(question: QuestionState | None) -> tuple:
    if question is None:
        return ("absent",)
    return (question.id, question.state, question.revealed, question.version)


class Watcher:
    """Follows one session's room and notifies subscribers; one per session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.room: RoomState | None = None
        self.error = ""
        self.notifications = 0
        self._subscriptions: set[Subscription] = set()
        self._task: asyncio.Task | None = None
        self._pending: set[asyncio.Task] = set()

    # -- subscribing --------------------------------------------------------------------------
    def subscribe(
        self, callback: Callback, source: str | None = None, tag: str = ""
    ) -> Subscription:
        """Call ``callback`` with an :class:`Update` whenever the room (``source`` None) or the
        question ``source``/``tag`` changes; the watcher starts on the running loop if there is
        one. Cancel the returned subscription when the widget closes."""
        subscription = Subscription(self, callback, source, tag)
        self._subscriptions.add(subscription)
        self.start()
        if self.room is not None and self.running:  # tell the newcomer what is known already
            task = asyncio.get_running_loop().create_task(self.deliver(self.room))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
        return subscription

    @property
    def subscribers(self) -> int:
        return len(self._subscriptions)

    # -- running ------------------------------------------------------------------------------
    def start(self) -> None:
        """Follow the room on the running asyncio loop (the kernel's); no-op without one."""
        if self._task is not None and not self._task.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._task = loop.create_task(self.run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def run(self) -> None:
        """Await changes and deliver them until stopped, reconnecting with backoff."""
        from .client import ClientError

        backoff = 0.5
        loop = asyncio.get_running_loop()
        last = -MIN_INTERVAL  # loop time of the last delivery
        while True:
            after = self.room.version if self.room is not None else -1
            try:
                room = await self.session.room_changes(after, FEED_TIMEOUT)
                wait = MIN_INTERVAL - (loop.time() - last)
                if wait > 0 and room.version != after:
                    # A change soon after the last one: let the burst finish, then read the
                    # room once more, so a burst of answers is one update. A change after a
                    # quiet spell is delivered at once.
                    await asyncio.sleep(wait)
                    room = await self.session.room_changes(room.version, 0)
                await self.deliver(room)
                last = loop.time()
                backoff = 0.5
            except asyncio.CancelledError:
                raise
            except ClientError as exc:
                self._fail(exc.message)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
            except Exception:  # a bug must not end live updates for the whole session
                log.exception("the room watcher failed; retrying")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)

    def _fail(self, message: str) -> None:
        self.error = message
        for subscription in list(self._subscriptions):
            self._call(subscription, Update(self.room, error=message))

    async def deliver(self, room: RoomState) -> None:
        """Tell every subscriber whose part of the room changed, fetching results as needed."""
        from .client import ClientError

        recovered = bool(self.error)
        self.room, self.error = room, ""
        fetched: dict[int, Results | None] = {}
        for subscription in list(self._subscriptions):
            if recovered:
                subscription.seen = None
            if subscription.source is None:
                if subscription.seen != room.version:
                    subscription.seen = room.version
                    self._call(subscription, Update(room))
                continue
            question = room.find(subscription.source, subscription.tag)
            signature = _signature(question)
            if signature == subscription.seen:
                continue
            results = None
            if question is not None and question.state != "draft":
                if question.id not in fetched:
                    try:
                        fetched[question.id] = await self.session.aresults(question.id)
                    except ClientError as exc:
                        log.info("results of question %d: %s", question.id, exc.message)
                        fetched[question.id] = None
                results = fetched[question.id]
            if not subscription.active:  # cancelled while the results were fetched
                continue
            subscription.seen = signature
            self._call(subscription, Update(room, question, results))

    def _call(self, subscription: Subscription, update: Update) -> None:
        self.notifications += 1
        try:
            subscription.callback(update)
        except Exception:  # one broken widget must not stop the others' updates
            log.exception("a widget failed to show an update")

    def sync(self) -> None:
        """Read the room now and deliver, without a running loop (tests, scripts and the
        first draw of in-process sessions, whose reads never wait on a network)."""
        room = self.session.room_state()
        coroutine = self.deliver(room)
        try:
            coroutine.send(None)
        except StopIteration:
            return
        coroutine.close()
        raise RuntimeError("sync() needs a session whose reads do not wait")
