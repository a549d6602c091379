"""Audit events of a running batch, written from a thread with group commit.

Every event must be on disk before the result line it accounts for, and an
``fsync`` per event on the event loop would stall every request in flight. So the
pipeline hands events to one writer thread in order (a FIFO queue): the thread
appends what has queued up and fsyncs once for the whole batch. An item awaits
:meth:`AuditWriter.barrier` before its result line is written: the barrier resolves
only after everything queued before it is appended and fsynced. Order of events is
the order of :meth:`AuditWriter.append` calls; the hash chain is built by the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from copygen.audit import AuditLog

__all__ = ["AuditWriter"]

_STOP = object()
#: Events written between two fsyncs at most, to bound the work a batch holds up.
MAX_BATCH = 512


class AuditWriter:
    """Queue events for ``log`` (opened with a large ``max_unsynced``) from asyncio code."""

    def __init__(self, log: AuditLog, loop: asyncio.AbstractEventLoop) -> None:
        self.log = log
        self.loop = loop
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="copygen-audit", daemon=True)
        self._thread.start()

    def append(self, event: str, **data: Any) -> None:
        """Queue one event (does not wait). Raises the writer's error, if it failed."""
        if self._error is not None:
            raise self._error
        self._queue.put((event, data))

    async def barrier(self) -> None:
        """Wait until every event queued so far is written and fsynced."""
        if self._error is not None:
            raise self._error
        future: asyncio.Future[None] = self.loop.create_future()
        self._queue.put(future)
        await future

    def close(self) -> None:
        """Write what is queued, fsync, stop the thread (call from the loop's thread)."""
        self._queue.put(_STOP)
        self._thread.join()
        if self._error is not None:
            raise self._error

    # --- the thread ---------------------------------------------------------------------

    def _resolve(self, futures: list[asyncio.Future[None]]) -> None:
        error = self._error

        def settle() -> None:
            for future in futures:
                if future.done():
                    continue  # its waiter was cancelled
                if error is None:
                    future.set_result(None)
                else:
                    future.set_exception(error)

        self._call_in_loop(settle)

    def _call_in_loop(self, fn: Callable[[], None]) -> None:
        # RuntimeError: the loop is closed, so nobody waits any more.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(fn)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            futures: list[asyncio.Future[None]] = []
            wrote = False
            for entry in batch:
                if entry is _STOP:
                    stopping = True
                elif isinstance(entry, asyncio.Future):
                    futures.append(entry)
                elif self._error is None:
                    event, data = entry
                    try:
                        self.log.append(event, **data)
                        wrote = True
                    except BaseException as exc:  # disk full, closed log: fail every waiter
                        self._error = exc
            if wrote and self._error is None:
                try:
                    self.log.sync()
                except BaseException as exc:
                    self._error = exc
            if futures:
                self._resolve(futures)
