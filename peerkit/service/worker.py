"""The service's asynchronous plumbing: one thread for the store, group commit, wake-ups.

The store is blocking I/O, so every call runs on one dedicated thread and the event loop never
waits on a disk. Responses that arrive together are committed together (group commit): while
one batch is being written, the next one gathers, so a busy room costs one ``fsync`` per batch
rather than one per response, and every participant is answered only after their batch is on
disk.

Long-polls wait for a room to change. Changes made through this process wake them directly;
changes made by other processes sharing the database arrive through :meth:`Store.subscribe`
(PostgreSQL's LISTEN/NOTIFY) on the store's own thread and are handed to the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from ..store import ResponseRecord, StorageUnavailable, Store, StoreError

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The most responses committed in one transaction.
MAX_BATCH = 512


class StoreWorker:
    """Runs store calls off the event loop, batches responses and wakes long-polls."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="peerkit-store")
        self._pending: list[tuple[int, str, object, asyncio.Future]] = []
        self._writer: asyncio.Task | None = None
        self._changed: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        #: The loop the long-polls wait on, known once one has waited (the worker may be made
        #: before the loop runs).
        self._loop: asyncio.AbstractEventLoop | None = None
        store.subscribe(self._changed_elsewhere)

    async def run(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``func`` on the store thread and await its result."""
        loop = asyncio.get_running_loop()
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
                results, codes = await self.run(
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
                self.notify(code)

    def _commit(
        self, items: list[tuple[int, str, object]]
    ) -> tuple[list[ResponseRecord | StoreError], set[str]]:
        """On the store thread: write one batch, then look up the rooms it changed, in the same
        trip to the thread (one hop per batch, not two)."""
        results = self.store.respond_many(items)
        touched = {
            qid
            for (qid, _, _), result in zip(items, results, strict=True)
            if not isinstance(result, StoreError)
        }
        return results, self._rooms_of(touched)

    def _rooms_of(self, question_ids: set[int]) -> set[str]:
        codes = set()
        for qid in question_ids:
            try:
                codes.add(self.store.question(qid).room_code)
            except StoreError:  # deleted since its answer was written: nobody to wake
                log.warning("question %d vanished after a response to it was stored", qid)
        return codes

    # -- wake-ups ----------------------------------------------------------------------------
    def notify(self, room_code: str | None) -> None:
        """Something in the room changed (``None``: in any room): wake everyone waiting on it."""
        codes = list(self._changed) if room_code is None else [room_code]
        for code in codes:
            event = self._changed.pop(code, None)
            if event is not None:
                event.set()

    def changed(self, room_code: str) -> asyncio.Event:
        """The event set at the room's next change. Take it *before* reading the room's state,
        then :meth:`wait` on it, so a change in between is never missed."""
        self._loop = asyncio.get_running_loop()
        return self._changed[room_code]

    def _changed_elsewhere(self, room_code: str | None) -> None:
        """On the store's listener thread: another process changed a room (``None``: perhaps
        any room). Nobody can be waiting before a loop is known, and a waiter takes its event
        before it reads, so a change heard before that is not missed either."""
        loop = self._loop
        if loop is None:
            return
        try:
            loop.call_soon_threadsafe(self.notify, room_code)
        except RuntimeError:  # the loop has closed: nobody is waiting any more
            pass

    async def wait(self, event: asyncio.Event, deadline: float) -> bool:
        """Wait for ``event`` until the loop time ``deadline``; True if it was set."""
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            return event.is_set()
        try:
            await asyncio.wait_for(event.wait(), remaining)
        except TimeoutError:
            return False
        return True

    async def close(self) -> None:
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)
        await self.run(self.store.close)
        self._executor.shutdown(wait=True)
