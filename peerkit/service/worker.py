"""The service's asynchronous plumbing: one thread for the store, group commit, wake-ups.

The store is blocking I/O, so every call runs on one dedicated thread and the event loop never
waits on a disk. Responses that arrive together are committed together (group commit): while
one batch is being written, the next one gathers, so a busy room costs one ``fsync`` per batch
rather than one per response, and every participant is answered only after their batch is on
disk.

Long-polls wait for a room to change. Changes made through this process wake them directly;
changes made by other processes sharing the database arrive through :meth:`Store.subscribe`
(PostgreSQL's LISTEN/NOTIFY) on the store's own thread and are handed to the event loop.
A :class:`RoomListener` (the participant pages' views, :mod:`.live`) hears of every change too.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from ..store import ResponseRecord, StorageUnavailable, Store, StoreError

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The most responses committed in one transaction.
MAX_BATCH = 512


class Waiters:
    """The requests waiting for the next change of one thing: one future each, all resolved
    (with True) by :meth:`wake`. A waiter that gives up cancels its future, which leaves."""

    def __init__(self) -> None:
        self._futures: set[asyncio.Future] = set()

    def add(self) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self._futures.add(future)
        future.add_done_callback(self._futures.discard)
        return future

    def wake(self) -> None:
        futures, self._futures = self._futures, set()
        for future in futures:
            if not future.done():
                future.set_result(True)

    def __len__(self) -> int:
        return len(self._futures)


async def wait_until(future: asyncio.Future, deadline: float) -> bool:
    """Wait for ``future`` until the loop time ``deadline``: True if it was woken, False on the
    deadline or if the future was cancelled (its client went away)."""
    loop = asyncio.get_running_loop()
    if future.done():
        return not future.cancelled() and bool(future.result())
    timer = loop.call_at(deadline, lambda: future.done() or future.set_result(False))
    try:
        return bool(await future)
    except asyncio.CancelledError:
        if future.cancelled() and not _being_cancelled():
            return False  # the future was cancelled, not this task
        raise
    finally:
        timer.cancel()


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class RoomListener(Protocol):
    """Hears of changes to rooms, to keep what it shows of them up to date."""

    def room_changed(self, room_code: str | None, *, here: bool, answers: bool = False) -> None:
        """On the loop: ``room_code`` (None: any room) changed, through this process
        (``here``) or another one; ``answers``: only by answers stored here."""

    def answers_stored(self, stored: list[tuple[str, ResponseRecord]]) -> set[str]:
        """On the store thread, right after a batch of answers was committed: (room code,
        response) for each. Returns the rooms whose view those answers changed."""


class StoreWorker:
    """Runs store calls off the event loop, batches responses and wakes long-polls."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.listener: RoomListener | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="peerkit-store")
        self._pending: list[tuple[int, str, object, asyncio.Future]] = []
        self._writer: asyncio.Task | None = None
        self._changed: dict[str, Waiters] = defaultdict(Waiters)
        #: The loop the long-polls wait on, known once one has waited (the worker may be made
        #: before the loop runs).
        self._loop: asyncio.AbstractEventLoop | None = None
        store.subscribe(self._changed_elsewhere)

    async def run(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``func`` on the store thread and await its result."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        return await loop.run_in_executor(self._executor, functools.partial(func, *args, **kwargs))

    # -- responses, committed in groups --------------------------------------------------------
    async def respond(self, question_id: int, token: str, answer: object) -> ResponseRecord:
        """Record one answer; returns once it is committed, or raises the refusing error."""
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending.append((question_id, token, answer, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches())
        return await future

    async def _write_batches(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            try:
                results, codes, views = await self.run(
                    self._commit, [(qid, token, answer) for qid, token, answer, _ in batch]
                )
            except Exception as exc:  # the whole batch failed: nothing in it was stored
                if isinstance(exc, StorageUnavailable):  # locked or full: the store logged it
                    log.warning("writing %d responses failed: %s", len(batch), exc)
                else:
                    log.exception("writing %d responses failed", len(batch))
                for *_, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (*_, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, StoreError):
                    future.set_exception(result)
                else:
                    future.set_result(result)
            for code in codes:
                self._wake(code)
            if self.listener is not None:
                for code in views:
                    self.listener.room_changed(code, here=True, answers=True)

    def _commit(
        self, items: list[tuple[int, str, object]]
    ) -> tuple[list[ResponseRecord | StoreError], set[str], set[str]]:
        """On the store thread: write one batch, then look up the rooms it changed, in the same
        trip to the thread (one hop per batch, not two). Returns the results, the rooms the
        batch changed and the rooms whose participant view it changed."""
        results = self.store.respond_many(items)
        stored = [r for r in results if not isinstance(r, StoreError)]
        rooms = self._rooms_of({r.question_id for r in stored})
        with_room = [(rooms[r.question_id], r) for r in stored if r.question_id in rooms]
        views = self.listener.answers_stored(with_room) if self.listener else set()
        return results, set(rooms.values()), views

    def _rooms_of(self, question_ids: set[int]) -> dict[int, str]:
        codes = {}
        for qid in question_ids:
            try:
                codes[qid] = self.store.question(qid).room_code
            except StoreError:  # deleted since its answer was written: nobody to wake
                log.warning("question %d vanished after a response to it was stored", qid)
        return codes

    # -- wake-ups ----------------------------------------------------------------------------
    def notify(self, room_code: str | None) -> None:
        """Something in the room changed (``None``: in any room): wake everyone waiting on it."""
        self._wake(room_code)
        if self.listener is not None:
            self.listener.room_changed(room_code, here=True)

    def _wake(self, room_code: str | None) -> None:
        codes = list(self._changed) if room_code is None else [room_code]
        for code in codes:
            waiters = self._changed.pop(code, None)
            if waiters is not None:
                waiters.wake()

    def changed(self, room_code: str) -> asyncio.Future:
        """A future resolved at the room's next change. Take it *before* reading the room's
        state, then wait on it (``BaseHandler.wait_for``): a change in between is not missed."""
        self._loop = asyncio.get_running_loop()
        return self._changed[room_code].add()

    def _changed_elsewhere(self, room_code: str | None) -> None:
        """On the store's listener thread: another process changed a room (``None``: perhaps
        any room). Nobody can be waiting before a loop is known, and a waiter takes its future
        before it reads, so a change heard before that is not missed either."""
        loop = self._loop
        if loop is None:
            return
        try:
            loop.call_soon_threadsafe(self._elsewhere, room_code)
        except RuntimeError:  # the loop has closed: nobody is waiting any more
            pass

    def _elsewhere(self, room_code: str | None) -> None:
        self._wake(room_code)
        if self.listener is not None:
            self.listener.room_changed(room_code, here=False)

    async def close(self) -> None:
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)
        await self.run(self.store.close)
        self._executor.shutdown(wait=True)
