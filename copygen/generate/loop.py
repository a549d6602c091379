"""The run's event loop: items start as room frees up; a signal stops it cleanly.

Rows stream from the input file. At most ``concurrency`` requests are in flight
(each call to the backend holds one of the run's request slots while it lasts),
and at most three times that many items are in the loop at once (being rendered,
waiting for a slot, being checked and logged, waiting for the disk), so memory
does not grow with the input. The server is never kept waiting on the loop: a
reply frees its slot before it is parsed, checked and logged, and the item that
takes the slot sends its request first. Each item's audit events are fsynced
before its result line is written, and the line is flushed as the item completes,
so a killed run resumes without repeating an item and without duplicating a
record. A repair run (``generate --repair``) goes through the same loop over the
folder's flagged items only, appending each replaced record the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copygen.generate.events import AuditWriter, ItemEvents
from copygen.generate.item import ItemRunner, RepairOutcome
from copygen.generate.plan import Shard, WorkItem, iter_work

if TYPE_CHECKING:
    from copygen.audit import AuditLog
    from copygen.config import Settings
    from copygen.generate.progress import ProgressReporter
    from copygen.generate.store import RecordsById, ResultStore
    from copygen.generate.summary import RepairCounts
    from copygen.generate.tables import TableDraft
    from copygen.inputs.product import Product

__all__ = ["RUN_GC_THRESHOLD", "ItemLoop", "heap_frozen"]

#: Allocations between young-generation collections while a run lasts (Python's
#: default is 700): the loop makes many short-lived objects per request.
RUN_GC_THRESHOLD = 10_000


@dataclass
class ItemLoop:
    """Runs the items of one input through an :class:`ItemRunner` into the store.

    ``runner`` is built inside the loop (its audit writer belongs to the loop) by
    ``make_runner``; ``new_counts`` counts this run's records by status.

    ``flagged``: a repair run — the records to repair by id (only these items run,
    through :meth:`ItemRunner.repair_record` with ``rounds`` repairs each), and
    ``repair`` counts what became of them.
    """

    make_runner: Callable[[ItemEvents], ItemRunner]
    make_events: Callable[[AuditWriter], ItemEvents]
    log: AuditLog
    store: ResultStore
    progress: ProgressReporter
    concurrency: int
    new_counts: dict[str, int] = field(default_factory=dict)
    flagged: RecordsById | None = None
    rounds: int = 0
    repair: RepairCounts | None = None
    #: The backend translates rows (``plan.iter_work``); the offline one does not.
    translates: bool = True
    #: results.csv drafted once every item has started (``tables.TableDraft``).
    draft: TableDraft | None = None
    #: The input's rows, already read by plan.count_plan (None: read the file again).
    rows: Sequence[Product] | None = None
    #: ``--shard I/N``: only that shard's items (``plan.shard_of``).
    shard: Shard | None = None

    def run(self, input_path: Path, settings: Settings, completed: Container[str]) -> bool:
        """Run every item not yet completed; True when interrupted by SIGINT/SIGTERM."""
        with heap_frozen():
            return asyncio.run(self._main(input_path, settings, completed))

    async def _main(self, input_path: Path, settings: Settings, completed: Container[str]) -> bool:
        loop = asyncio.get_running_loop()
        writer = AuditWriter(self.log, loop)
        runner = self.make_runner(self.make_events(writer))
        stop = asyncio.Event()
        flagged = self.flagged
        items = (
            work
            for work in iter_work(
                input_path,
                settings,
                on_warning=None,
                mask=runner.remote,
                translates=self.translates,
                products=self.rows,
                shard=self.shard,
            )
            if (work.id in flagged if flagged is not None else work.id not in completed)
        )
        main = asyncio.ensure_future(self._feed(runner, writer, items, stop))
        interrupted = False

        def on_signal() -> None:
            nonlocal interrupted
            interrupted = True
            main.cancel()

        installed = _install_signal_handlers(loop, on_signal)
        try:
            await main
        except asyncio.CancelledError:
            if not interrupted:
                raise
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
            try:
                writer.close()  # the last fsync of what was appended
            finally:
                # Connections belong to this event loop, which ends with the run.
                await runner.offload.aclose()
                await runner.backend.aclose()
                judge = runner.judge
                if judge is not None and judge.backend is not runner.backend:
                    await judge.backend.aclose()
        return interrupted

    async def _feed(
        self,
        runner: ItemRunner,
        writer: AuditWriter,
        items: Iterator[WorkItem],
        stop: asyncio.Event,
    ) -> None:
        """Start items as room frees up; wait for those in flight.

        At most ``concurrency`` requests are in flight: the runner's request slots,
        each held by one call to the backend (or the judge) while it lasts. Items
        are admitted up to twice that (``admitted``), so that while one item waits
        for its reply, another is already read and rendered for the next free slot
        and a third is being checked and logged: the server is never kept waiting
        on the work around a request. A finished item leaves before it waits for
        its audit events to reach the disk (a group fsync in another thread); at
        most ``concurrency`` items wait so at a time (``settling``). Memory stays
        bounded by three times ``concurrency`` items.

        When the run is stopped (SIGINT/SIGTERM), the items not yet done are
        cancelled; those already done still wait for their fsync and write their
        record, so no reply already paid for is asked for again by the next run.
        """
        runner.slots = asyncio.Semaphore(self.concurrency)
        admitted = asyncio.Semaphore(2 * self.concurrency)
        settling = asyncio.Semaphore(self.concurrency)
        pending: set[asyncio.Task[None]] = set()
        working: set[asyncio.Task[None]] = set()  # not yet settling: cancelled on a stop
        failure: list[BaseException] = []

        async def run_one(work: WorkItem) -> None:
            task = asyncio.current_task()
            holding = True
            try:
                outcome: RepairOutcome | None = None
                if self.flagged is None:
                    record: dict[str, Any] | None = await runner.process(work)
                else:
                    outcome = await runner.repair_record(
                        work, self.flagged[work.id], rounds=self.rounds
                    )
                    record = outcome.record
                async with settling:
                    working.discard(task)
                    holding = False
                    admitted.release()
                    # The item's audit events are on disk before its result line: a
                    # record never exists without the events that account for it.
                    await writer.barrier()
                    self._settle(record, outcome)
            except asyncio.CancelledError:
                raise
            except BaseException as exc:  # a setup/config error: stop the whole run
                failure.append(exc)
                stop.set()
            finally:
                working.discard(task)
                if holding:
                    admitted.release()

        drafting: asyncio.Task[None] | None = None
        try:
            for work in items:
                room = not admitted.locked()
                await admitted.acquire()
                if stop.is_set():
                    admitted.release()
                    break
                task = asyncio.create_task(run_one(work))
                pending.add(task)
                working.add(task)
                task.add_done_callback(pending.discard)
                if room:
                    # acquire() did not wait: let the item start (render, send) before
                    # the next row is read, so that the first requests go out at once
                    # instead of after a burst of reading.
                    await asyncio.sleep(0)
            else:
                if self.draft is not None and not stop.is_set():
                    # Every item has started: while the last replies are awaited, the
                    # table's rows of the records so far are written ahead.
                    drafting = asyncio.create_task(self.draft.write())
            while pending:
                # Not gather: cancelling this wait must not cancel the settling items.
                await asyncio.wait(set(pending))
            if drafting is not None:
                await drafting
        except asyncio.CancelledError:
            if drafting is not None:
                drafting.cancel()
            for task in list(working):
                task.cancel()
            try:
                while pending:
                    await asyncio.wait(set(pending))
            except asyncio.CancelledError:  # stopped again: do not wait for anything
                for task in list(pending):
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
            raise
        if failure:
            raise failure[0]

    def _settle(self, record: dict[str, Any] | None, outcome: RepairOutcome | None) -> None:
        """Write a finished item's record (its events are durable) and count it."""
        status = ""
        if record is not None:
            self.store.append(record)
            status = str(record["status"])
            self.new_counts[status] = self.new_counts.get(status, 0) + 1
        if outcome is not None:
            status = outcome.status
            if self.repair is not None:
                failed = outcome.failed is not None
                self.repair.add(status, kept=outcome.kept_earlier, failed=failed)
        self.progress.item_done(status)


def _install_signal_handlers(
    loop: asyncio.AbstractEventLoop, handler: Callable[[], None]
) -> list[signal.Signals]:
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, handler)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread, or no signals here: KeyboardInterrupt still works
    return installed


@contextlib.contextmanager
def heap_frozen() -> Iterator[None]:
    """Less garbage-collector work while the run lasts; everything restored after.

    What exists before the run (modules, rules, templates, the word dictionary)
    is frozen, so full passes do not walk it again, and young collections run
    every RUN_GC_THRESHOLD allocations instead of every 700: the loop allocates
    much and briefly (requests, replies, events), and each pass stalls every
    request in flight. Nothing is lost: frozen objects are handed back to the
    collector and the thresholds reset at the end. A caller's own freeze is left
    alone, and so is a higher threshold it set.
    """
    thresholds = gc.get_threshold()
    if thresholds[0] < RUN_GC_THRESHOLD:
        gc.set_threshold(RUN_GC_THRESHOLD, *thresholds[1:])
    froze = gc.get_freeze_count() == 0
    if froze:
        gc.freeze()
    try:
        yield
    finally:
        if froze:
            gc.unfreeze()
        gc.set_threshold(*thresholds)
