"""Audit events of a running batch: appended in order, fsynced in groups off the loop.

:class:`ItemEvents` builds each item's events; :class:`AuditWriter` writes them.

Every event must be on disk before the result line it accounts for, but an
``fsync`` per event on the event loop would stall every request in flight. So
events are appended (written to the OS) right away on the loop's thread, with the
log told not to fsync them (``max_unsynced``), and one helper thread does nothing
but ``fsync``: an item awaits :meth:`AuditWriter.barrier` before its result line
is written, and the barrier resolves once an fsync that started after the item's
last event was written has completed. One fsync covers every event written
before it, so under load many items share one (group commit).

The helper thread fsyncs its own read-only descriptor of the log file: fsync
flushes the file, whichever descriptor names it, and the thread never takes the
log's lock, so appends are never held up by a sync in progress. Doing the CPU
work of appending (scrubbing, canonical JSON, hashing) on the loop's thread, not
in a thread of its own, avoids handing the GIL back and forth on every event.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from copygen.audit import AuditLog
    from copygen.backends.base import Completion
    from copygen.compliance.findings import CheckResult
    from copygen.generate.plan import WorkItem
    from copygen.judge import Judge, JudgeOutcome
    from copygen.writing.prompts import RenderedPrompt

__all__ = ["AuditWriter", "ItemEvents", "item_data"]


class AuditWriter:
    """Append events to ``log`` now; :meth:`barrier` waits until they are durable."""

    def __init__(self, log: AuditLog, loop: asyncio.AbstractEventLoop) -> None:
        self.log = log
        self.loop = loop
        self._fd = os.open(log.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        self._written = 0  # events appended so far (loop thread only)
        self._cond = threading.Condition()
        self._requested = 0  # highest event count a waiter needs durable
        self._synced = 0  # events known to be on disk
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._stopping = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="copygen-audit-sync", daemon=True)
        self._thread.start()

    def append(self, event: str, **data: Any) -> dict[str, Any]:
        """Write one event now (no fsync); return it as written."""
        if self._error is not None:
            raise self._error
        written = self.log.append(event, **data)
        self._written += 1
        return written

    async def barrier(self) -> None:
        """Wait until every event appended so far has been fsynced."""
        if self._error is not None:
            raise self._error
        future: asyncio.Future[None] = self.loop.create_future()
        with self._cond:
            if self._written <= self._synced:
                return  # nothing new since the last fsync
            self._waiters.append((self._written, future))
            self._requested = max(self._requested, self._written)
            self._cond.notify()
        await future

    def close(self) -> None:
        """Stop the helper thread after a last fsync; raise its error, if any."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join()
        with contextlib.suppress(OSError):
            os.close(self._fd)
        if self._error is not None:
            raise self._error

    # --- the helper thread -------------------------------------------------------------

    def _settle(self, ready: list[asyncio.Future[None]], error: BaseException | None) -> None:
        def settle() -> None:
            for future in ready:
                if future.done():
                    continue  # its waiter was cancelled
                if error is None:
                    future.set_result(None)
                else:
                    future.set_exception(error)

        # RuntimeError: the loop is closed, so nobody waits any more.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(settle)

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._requested <= self._synced and not self._stopping:
                    self._cond.wait()
                if self._requested <= self._synced and self._stopping:
                    return
                # Every event counted in _requested was written before the waiter
                # registered, so an fsync starting now covers all of them.
                target = self._requested
            try:
                os.fsync(self._fd)
            except OSError as exc:
                self._error = exc
            with self._cond:
                ready = [f for n, f in self._waiters if n <= target]
                self._waiters = [(n, f) for n, f in self._waiters if n > target]
                # After an error too: its waiters fail with it, later barriers raise it.
                self._synced = target
            if ready:
                self._settle(ready, self._error)


class ItemEvents:
    """The ``generated``, ``judged``, ``checked``, ``repaired`` and ``recorded`` events of
    a run's items.

    Holds what every event of the run repeats (backend, model, parameters), so an
    item's steps name only what is theirs.
    """

    def __init__(
        self,
        writer: AuditWriter,
        *,
        backend: str,
        model: str | None,
        base_url: str | None,
        params: Mapping[str, Any],
        currency: str | None,
        rules_hash: str,
    ) -> None:
        self.writer = writer
        self.backend = backend
        self.model = model
        self.base_url = base_url
        self.params = params
        self.currency = currency
        self.rules_hash = rules_hash

    def generated(
        self,
        work: WorkItem,
        *,
        attempt: int,
        retry: int,
        rendered: RenderedPrompt,
        messages: Sequence[Mapping[str, str]],
        completion: Completion | None = None,
        latency_ms: float = 0.0,
        cost: float | None = None,
        error: str | None = None,
    ) -> None:
        """One call to the backend (first draft or repair)."""
        self.writer.append(
            "generated",
            **item_data(work),
            attempt=attempt,
            retry=retry,
            template=rendered.template,
            template_hash=rendered.template_hash,
            messages=[dict(m) for m in messages],
            backend=self.backend,
            model=self.model,
            base_url=self.base_url,
            params=self.params,
            response=completion.text if completion is not None else None,
            finish_reason=completion.finish_reason if completion is not None else None,
            usage=completion.usage.to_dict() if completion is not None else None,
            cost=cost,
            currency=self.currency,
            latency_ms=round(latency_ms, 1),
            cached=completion.cached if completion is not None else False,
            error=error,
        )

    def checked(
        self,
        work: WorkItem,
        *,
        attempt: int,
        result: CheckResult,
        fields: Mapping[str, Any],
        tidied: Sequence[str] = (),
        recheck: bool = False,
    ) -> None:
        """One draft checked. ``recheck``: a recorded draft checked again before a
        ``generate --repair`` repairs it (``attempt`` is then the kept attempt's)."""
        self.writer.append(
            "checked",
            item=work.id,
            attempt=attempt,
            rules_hash=self.rules_hash,
            status=result.status,
            findings=[f.to_dict() for f in result.findings],
            fields=dict(fields),
            tidied=list(tidied),
            **({"recheck": True} if recheck else {}),
        )

    def judged(self, work: WorkItem, *, attempt: int, outcome: JudgeOutcome, judge: Judge) -> None:
        """One judge pass over a draft (its calls, what it added and dropped); logged
        before the attempt's ``checked`` event, which carries the merged findings."""
        rendered = outcome.rendered
        price_currency = judge.currency
        self.writer.append(
            "judged",
            item=work.id,
            attempt=attempt,
            backend=judge.backend.name,
            model=judge.model,
            base_url=judge.base_url,
            template=rendered.template if rendered is not None else None,
            template_hash=rendered.template_hash if rendered is not None else None,
            prompt_sha256=outcome.prompt_sha256(),
            messages=[dict(m) for m in outcome.messages],
            params={k: v for k, v in judge.params.items() if k != "response_schema"},
            responses=[c.response for c in outcome.calls],
            finish_reasons=[c.finish_reason for c in outcome.calls],
            retry_messages=[dict(m) for m in outcome.retry_messages],
            usage=outcome.usage.to_dict(),
            cost=outcome.cost,
            currency=price_currency,
            latency_ms=round(outcome.latency_ms, 1),
            cached=outcome.cached,
            status_before=outcome.status_before,
            status=outcome.result.status,
            added=[f.to_dict() for f in outcome.added],
            dropped=dict(outcome.dropped),
            error=outcome.error,
        )

    def repaired(
        self,
        work: WorkItem,
        *,
        attempt: int,
        from_attempt: int,
        before: CheckResult,
        after: CheckResult,
        kept: int,
    ) -> None:
        old = {f.rule for f in before.findings}
        new = {f.rule for f in after.findings}
        self.writer.append(
            "repaired",
            item=work.id,
            attempt=attempt,
            from_attempt=from_attempt,
            findings_fixed=sorted(old - new),
            findings_remaining=sorted(new),
            status=after.status,
            kept=kept,
        )

    def recorded(
        self, work: WorkItem, record: Mapping[str, Any], *, replaces: str | None = None
    ) -> None:
        """The item's last event: the hash its ``results.jsonl`` line must keep.

        Export, report and ``audit verify OUTDIR`` refuse a record whose hash the
        log does not hold, so a hand edit of results.jsonl cannot bypass review.
        ``replaces``: the hash of the record a ``generate --repair`` replaces.
        """
        from copygen.audit.chain import record_sha256

        self.writer.append(
            "recorded",
            item=work.id,
            status=record.get("status"),
            record_sha256=record_sha256(record),
            **({"replaces_sha256": replaces} if replaces is not None else {}),
        )


def item_data(work: WorkItem) -> dict[str, Any]:
    return {
        "item": work.id,
        "sku": work.product.sku,
        "platform": work.platform,
        "lang": work.lang,
        "variant": work.variant,
    }
