"""What the participant pages of each room are shown, kept in memory.

Every phone in a room keeps its page open, long-polling ``GET /rooms/<code>/current``. So that
thousands of waiting pages cost nothing until what they show changes:

* a room's view (its current question and, once visible, the results) is built **once per
  change**, on the store thread, and served from memory to every page; its ``etag`` is the
  same for everyone in the room;
* a page is woken only when that view changes (a question opened, closed, revealed, hidden,
  reset; reflections approved; visible results moved), never by answers that change nothing
  it shows. Its own answer comes back in the reply to its own PUT;
* who a token belongs to is remembered per room after the first look-up, so a page's request
  makes no trip to the store at all;
* each participant's own answer to the current question is kept up to date by the batches this
  process commits (on the store thread, in the same trip as the commit), and read again from
  the database when another process may have changed it.

Thread rules: :class:`LiveRoom` fields marked "store thread" are written only there (builds
and commits, which that one thread runs in order); everything else lives on the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from ..store import ResponseRecord, RoomNotFound, Store, Unauthorized
from ..store.base import normalise_code
from .views import room_view
from .worker import StoreWorker, Waiters

log = logging.getLogger(__name__)

#: Changes that only move visible results wake pages at most this often (seconds).
RESULTS_INTERVAL = 1.0
#: Rebuilds after answers or another process's changes come at most this often (seconds).
REBUILD_GAP = 0.2
#: A view older than this is checked against the database before it is served (seconds):
#: it notices changes no process announced, such as ``peerkit purge`` on a SQLite file.
MAX_AGE = 30.0
#: Rooms kept in memory; the least recently used one without waiting pages goes first.
MAX_ROOMS = 1000

FACILITATOR = "facilitator"


@dataclass
class View:
    """One build of a room's participant view."""

    shared: dict
    etag: str
    #: The reply without ``your_answer`` (and without its closing brace when a question is
    #: shown), encoded once for every page.
    head: bytes
    #: Participant -> answer to the shown question: the live dict the store thread keeps.
    answers: dict[int, Any]
    built: float

    def body(self, participant: int | None) -> bytes:
        """The reply to one page: the shared view plus that participant's own answer."""
        if self.shared["question"] is None:
            return self.head + b"}"
        answer = self.answers.get(participant) if participant is not None else None
        return b'%s, "your_answer": %s}' % (self.head, json.dumps(answer).encode())


def make_view(shared: dict, answers: dict[int, Any]) -> View:
    etag = hashlib.sha256(json.dumps(shared, sort_keys=True).encode()).hexdigest()[:16]
    head = json.dumps({**shared, "etag": etag}).encode()[:-1]
    return View(shared, etag, head, answers, time.monotonic())


@dataclass
class LiveRoom:
    code: str
    #: Secret -> participant number (None for the room's facilitator), once looked up.
    members: dict[str, int | None] = field(default_factory=dict)
    view: View | None = None
    waiters: Waiters = field(default_factory=Waiters)
    #: The room was deleted: waiting pages are told so.
    gone: bool = False
    # -- store thread -----------------------------------------------------------------------
    #: The question whose answers ``answers`` holds, and whether answers to it change the view.
    answers_for: int | None = None
    answers: dict[int, Any] = field(default_factory=dict)
    answers_shown: bool = False
    # -- rebuilding (event loop) ------------------------------------------------------------
    dirty: bool = False
    #: The next build must read every answer again (another process may have stored some).
    reread: bool = False
    refresher: asyncio.Task | None = None
    #: Urgent rebuilds asked for (a facilitator's action here) and the last one shown.
    asked: int = 0
    shown: int = 0
    last_build: float = 0.0
    last_wake: float = 0.0
    wake_timer: asyncio.TimerHandle | None = None


class LiveRooms:
    """The participant views of every room this process serves (see the module's notes)."""

    def __init__(self, worker: StoreWorker) -> None:
        self.worker = worker
        self.store: Store = worker.store
        self._rooms: OrderedDict[str, LiveRoom] = OrderedDict()
        worker.listener = self

    # -- who is asking ----------------------------------------------------------------------
    async def role(self, code: str, secret: str) -> tuple[str, int | None] | None:
        """(``"facilitator"``, None), (``"participant"``, number), or None for a secret not
        known in the room; :class:`RoomNotFound` for an unknown room. One trip to the store
        the first time a secret is seen in a room, none after that."""
        room = self._rooms.get(normalise_code(code))
        if room is not None and secret in room.members:
            member = room.members[secret]
            return (FACILITATOR, None) if member is None else ("participant", member)
        found = await self.worker.run(_role_of, self.store, code, secret)
        if found is None:
            return None
        canonical, role, member = found
        room = self.room(canonical)
        room.members[secret] = member
        return role, member

    def room(self, code: str) -> LiveRoom:
        """The room's entry (made if need be; only for a room the store knows)."""
        room = self._rooms.get(code)
        if room is None:
            room = self._rooms[code] = LiveRoom(code)
            self._evict()
        else:
            self._rooms.move_to_end(code)
        return room

    def get(self, code: str) -> LiveRoom | None:
        return self._rooms.get(normalise_code(code))

    def _evict(self) -> None:
        if len(self._rooms) <= MAX_ROOMS:
            return
        for code, room in list(self._rooms.items()):
            if not room.waiters and room.refresher is None:
                del self._rooms[code]
                return

    # -- the view ---------------------------------------------------------------------------
    async def view(self, room: LiveRoom) -> View:
        """The room's current view: built first if there is none, if it is old, or if a
        facilitator's action is not in it yet. (Answers not in it yet wake its waiters when
        they are.)"""
        if room.view is None or time.monotonic() - room.view.built > MAX_AGE:
            self._invalidate(room, soon=True)
        while room.refresher is not None and room.shown != room.asked:
            await asyncio.shield(room.refresher)
        if room.gone or room.view is None:
            raise RoomNotFound(f"there is no room with the code {room.code!r}")
        return room.view

    def waiting(self) -> int:
        """How many page requests are waiting, in all rooms."""
        return sum(len(room.waiters) for room in self._rooms.values())

    # -- hearing of changes -----------------------------------------------------------------
    def room_changed(self, room_code: str | None, *, here: bool, answers: bool = False) -> None:
        rooms = list(self._rooms.values()) if room_code is None else [self._rooms.get(room_code)]
        for room in rooms:
            if room is None:
                continue
            # Answers stored here are already in the own-answer table; after anything else
            # (a reset, another process's answers) the table is read again.
            room.reread = room.reread or not answers
            # A facilitator's action here is shown at once; answers, and whatever another
            # process announces (mostly answers), are gathered for REBUILD_GAP first.
            self._invalidate(room, soon=here and not answers)

    def answers_stored(self, stored: list[tuple[str, ResponseRecord]]) -> set[str]:
        """On the store thread: keep each room's own-answer table current; name the rooms
        whose view shows results those answers move."""
        changed = set()
        for code, response in stored:
            room = self._rooms.get(code)
            if room is None or room.answers_for != response.question_id:
                continue
            room.answers[response.participant] = response.answer
            if room.answers_shown:
                changed.add(code)
        return changed

    def _invalidate(self, room: LiveRoom, *, soon: bool) -> None:
        room.dirty = True
        if soon:
            room.asked += 1
        if room.refresher is None:
            room.refresher = asyncio.create_task(self._refresh(room))

    async def _refresh(self, room: LiveRoom) -> None:
        try:
            while room.dirty:
                if room.shown == room.asked:  # nothing urgent: gather for a moment
                    gap = room.last_build + REBUILD_GAP - time.monotonic()
                    if gap > 0:
                        await asyncio.sleep(gap)
                room.dirty = False
                asked = room.asked
                reread, room.reread = room.reread, False
                room.last_build = time.monotonic()
                try:
                    shared, answers = await self.worker.run(build_view, self.store, room, reread)
                except RoomNotFound:
                    self._gone(room)
                    return
                except Exception:
                    log.exception("building the view of room %s failed", room.code)
                    room.reread = room.reread or reread
                    return
                self._install(room, make_view(shared, answers))
                room.shown = asked
        finally:
            room.refresher = None

    def _install(self, room: LiveRoom, view: View) -> None:
        old, room.view = room.view, view
        if old is None or old.etag == view.etag:
            return
        results_only = {k for k in view.shared if view.shared[k] != old.shared.get(k)} == {
            "results"
        }
        wait = room.last_wake + RESULTS_INTERVAL - time.monotonic()
        if results_only and wait > 0:
            if room.wake_timer is None:
                room.wake_timer = asyncio.get_running_loop().call_later(wait, self._wake, room)
            return
        self._wake(room)

    def _wake(self, room: LiveRoom) -> None:
        if room.wake_timer is not None:
            room.wake_timer.cancel()
            room.wake_timer = None
        room.last_wake = time.monotonic()
        room.waiters.wake()

    def _gone(self, room: LiveRoom) -> None:
        room.gone = True
        self._rooms.pop(room.code, None)
        self._wake(room)


# -- on the store thread ------------------------------------------------------------------


def _role_of(store: Store, code: str, secret: str) -> tuple[str, str, int | None] | None:
    """(room code, role, participant number or None), or None for a secret unknown in the
    room; :class:`RoomNotFound` for an unknown room."""
    room = store.room(code)
    if store.check_facilitator(code, secret):
        return room.code, FACILITATOR, None
    try:
        return room.code, "participant", store.participant(code, secret)
    except Unauthorized:
        return None


def build_view(store: Store, room: LiveRoom, reread: bool) -> tuple[dict, dict[int, Any]]:
    """The room's participant view, and the own-answer table for its question (kept, and kept
    current by :meth:`LiveRooms.answers_stored`, unless the question changed or ``reread``)."""
    shared, record = room_view(store, room.code)
    if record is None:
        room.answers_for, room.answers, room.answers_shown = None, {}, False
        return shared, room.answers
    if reread or room.answers_for != record.id:
        room.answers = store.answers_by_participant(record.id)
        room.answers_for = record.id
    room.answers_shown = record.revealed
    return shared, room.answers
