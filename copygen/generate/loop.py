"""The run's event loop: items start as slots free up; a signal stops it cleanly.

Rows stream from the input file, and the loop never holds more than
``concurrency`` items in flight, so memory does not grow with the input. Each
item's audit events are fsynced before its result line is written, and the line
is flushed as the item completes, so a killed run resumes without repeating an
item and without duplicating a record. A repair run (``generate --repair``) goes
through the same loop over the folder's flagged items only, appending each
replaced record the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copygen.generate.events import AuditWriter, ItemEvents
from copygen.generate.item import ItemRunner, RepairOutcome
from copygen.generate.plan import WorkItem, iter_work

if TYPE_CHECKING:
    from copygen.audit import AuditLog
    from copygen.config import Settings
    from copygen.generate.progress import ProgressReporter
    from copygen.generate.store import ResultStore
    from copygen.generate.summary import RepairCounts

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
    flagged: Mapping[str, Mapping[str, Any]] | None = None
    rounds: int = 0
    repair: RepairCounts | None = None
    #: The backend translates rows (``plan.iter_work``); the offline one does not.
    translates: bool = True

    def run(self, input_path: Path, settings: Settings, completed: set[str]) -> bool:
        """Run every item not yet completed; True when interrupted by SIGINT/SIGTERM."""
        with heap_frozen():
            return asyncio.run(self._main(input_path, settings, completed))

    async def _main(self, input_path: Path, settings: Settings, completed: set[str]) -> bool:
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
        """Start items as slots free up; wait for those in flight."""
        slots = asyncio.Semaphore(self.concurrency)
        pending: set[asyncio.Task[None]] = set()
        failure: list[BaseException] = []

        async def run_one(work: WorkItem) -> None:
            try:
                outcome: RepairOutcome | None = None
                if self.flagged is None:
                    record: dict[str, Any] | None = await runner.process(work)
                else:
                    outcome = await runner.repair_record(
                        work, self.flagged[work.id], rounds=self.rounds
                    )
                    record = outcome.record
                # The item's audit events are on disk before its result line: a record
                # never exists without the events that account for it.
                await writer.barrier()
                if record is not None:
                    self.store.append(record)
                    status = str(record["status"])
                    self.new_counts[status] = self.new_counts.get(status, 0) + 1
                if outcome is not None:
                    status = outcome.status
                    if self.repair is not None:
                        self.repair.add(
                            status, kept=outcome.kept_earlier, failed=outcome.failed is not None
                        )
                self.progress.item_done(status)
            except asyncio.CancelledError:
                raise
            except BaseException as exc:  # a setup/config error: stop the whole run
                failure.append(exc)
                stop.set()
            finally:
                slots.release()

        try:
            for work in items:
                await slots.acquire()
                if stop.is_set():
                    slots.release()
                    break
                task = asyncio.create_task(run_one(work))
                pending.add(task)
                task.add_done_callback(pending.discard)
            if pending:
                await asyncio.gather(*pending)
        except asyncio.CancelledError:
            for task in list(pending):
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            raise
        if failure:
            raise failure[0]


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
