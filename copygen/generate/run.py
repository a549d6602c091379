"""``copygen generate``: product rows -> checked, logged, publishable copy.

For every row x platform x variant (one *item*, see :mod:`copygen.generate.plan`)
the run renders, masks personal data (remote backends), completes, parses,
checks, repairs while flagged and records (:mod:`copygen.generate.item`), on one
asyncio loop (:mod:`copygen.generate.loop`). This module sets a run up and
closes it: the output folder and its resume state, the audit log's
``run_started`` and ``run_finished`` events, the tables and the summary.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copygen import __version__
from copygen.backends.base import Backend
from copygen.config import Settings
from copygen.generate.item import ItemRunner
from copygen.generate.loop import RUN_GC_THRESHOLD, ItemLoop
from copygen.generate.manifest import (
    RunManifest,
    file_sha256,
    fingerprint_for,
    prepare_outdir,
    templates_hash,
)
from copygen.generate.plan import WarningHandler, WorkItem, count_plan, item_id_for, plan_items
from copygen.generate.progress import NullProgress, ProgressReporter
from copygen.generate.store import ResultStore
from copygen.generate.summary import RunSummary, SummaryBuilder

if TYPE_CHECKING:
    from copygen.backends.cache import ResponseCache
    from copygen.compliance.engine import Checker
    from copygen.generate.events import AuditWriter, ItemEvents
    from copygen.generate.workers import Offload

__all__ = [
    "AUDIT_FILE",
    "RUN_GC_THRESHOLD",
    "WorkItem",
    "generate",
    "item_id_for",
    "plan_items",
]

AUDIT_FILE = "audit.jsonl"


def generate(
    *,
    input_path: str | Path,
    outdir: str | Path,
    settings: Settings,
    progress: ProgressReporter | None = None,
    force: bool = False,
    xlsx: bool = False,
    backend: Backend | None = None,
    on_warning: WarningHandler | None = None,
    workers: int | None = None,
) -> RunSummary:
    """Generate, check and record every item of ``input_path`` into ``outdir``.

    Resumes when ``outdir`` holds an earlier run with the same settings; raises
    ConfigError when it holds one with different settings (unless ``force``).
    Items that fail are recorded with status ``error``; the run goes on. A SIGINT
    or SIGTERM stops it cleanly (``summary.interrupted``). ``backend`` replaces
    the one the settings name (tests, benchmarks, embedding); it is closed at the
    end of the run, since its connections belong to the run's event loop.
    ``workers``: forked processes that render and check for a remote backend
    (default none: all in this process; see copygen.generate.workers — worth it where
    spare cores exist, not on a 2-CPU machine that also runs the model server).
    """
    run = _Run.prepare(
        input_path=Path(input_path),
        outdir=Path(outdir),
        settings=settings,
        backend=backend,
        workers=workers,
    )
    try:
        with run.store.lock():
            completed = run.resume_state(force=force, on_warning=on_warning)
            run.execute(completed, progress or NullProgress(), xlsx=xlsx)
    finally:
        run.offload.close()
        run.store.close()
    return run.summary


@dataclass
class _Run:
    """One ``generate`` run, step by step: prepare, resume_state, execute."""

    input_path: Path
    outdir: Path
    settings: Settings
    backend: Backend
    checker: Checker
    offload: Offload
    store: ResultStore
    summary: RunSummary
    model: str | None
    base_url: str | None
    params: dict[str, Any]
    max_repairs: int
    input_sha: str
    fingerprint: dict[str, Any]
    manifest: RunManifest | None = None
    resuming: bool = False
    retried_errors: int = 0
    cache: ResponseCache | None = None

    @classmethod
    def prepare(
        cls,
        *,
        input_path: Path,
        outdir: Path,
        settings: Settings,
        backend: Backend | None,
        workers: int | None,
    ) -> _Run:
        """Checker, prompts, backend and the run's fingerprint; nothing written yet."""
        from copygen.compliance.engine import Checker
        from copygen.generate.workers import Offload
        from copygen.writing.prompts import PromptBuilder

        input_sha = file_sha256(input_path)
        checker = Checker.from_settings(settings)
        builder = PromptBuilder(settings=settings, ruleset=checker.ruleset)
        if backend is None:
            from copygen.backends.registry import create_backend

            backend = create_backend(settings)
        model = backend.model or settings.model
        base_url = backend.base_url if backend.remote else None
        if backend.remote and base_url is None:
            base_url = settings.base_url
        params = _params(settings)
        fingerprint = fingerprint_for(
            input_sha256=input_sha,
            settings=settings,
            backend=backend.name,
            model=model,
            base_url=base_url,
            params=params,
            rules_hash=checker.rules_hash,
            templates_sha256=templates_hash(settings),
        )
        store = ResultStore(outdir)
        summary = RunSummary(
            outdir=outdir,
            fail_on=settings.fail_on,
            backend=backend.name,
            model=model,
            results_path=store.path,
        )
        summary.audit_path = (
            Path(settings.audit) if settings.audit is not None else outdir / AUDIT_FILE
        )
        # Workers fork now, before this process opens the audit log or takes the folder
        # lock: a child must never hold those file descriptors.
        offload = Offload(
            builder=builder,
            checker=checker,
            workers=workers if backend.remote and workers is not None else 0,
        )
        return cls(
            input_path=input_path,
            outdir=outdir,
            settings=settings,
            backend=backend,
            checker=checker,
            offload=offload,
            store=store,
            summary=summary,
            model=model,
            base_url=base_url,
            params=params,
            max_repairs=settings.max_repairs if settings.max_repairs is not None else 1,
            input_sha=input_sha,
            fingerprint=fingerprint,
        )

    def resume_state(self, *, force: bool, on_warning: WarningHandler | None) -> set[str]:
        """Claim the folder; the ids already completed (errored items are tried again)."""
        self.manifest, self.resuming = prepare_outdir(
            self.outdir, self.fingerprint, force=force, results_exist=self.store.exists()
        )
        self.store.repair()
        completed = self.store.completed_ids()
        failed = self.store.completed_ids(statuses=("error",))
        if failed:
            self.store.rewrite(lambda r: None if r.get("status") == "error" else r)
            completed -= failed
        self.retried_errors = len(failed)
        planned, done = count_plan(self.input_path, self.settings, completed, on_warning)
        self.summary.planned = planned
        self.summary.resumed = done
        return completed

    def execute(self, completed: set[str], progress: ProgressReporter, *, xlsx: bool) -> None:
        """Run the items under an open audit log, then write tables and the summary."""
        from copygen.audit import AuditLog

        if self.backend.remote and self.settings.cache:
            from copygen.backends.cache import ResponseCache

            self.cache = ResponseCache.from_settings(self.settings)
        assert self.summary.audit_path is not None and self.manifest is not None
        started = time.monotonic()
        # Item events are fsynced in batches by the writer thread (generate.events);
        # the log itself must not fsync each one on the event loop.
        with AuditLog.open(
            self.summary.audit_path, secrets=[self.settings.api_key], max_unsynced=1 << 30
        ) as audit:
            self.summary.run_id = audit.run
            self.manifest.run_started(audit.run)
            audit.append("run_started", **self._started_event())
            audit.sync()
            loop = ItemLoop(
                make_runner=lambda events: self._runner(events, audit.run),
                make_events=self._events,
                log=audit,
                store=self.store,
                progress=progress,
                concurrency=self.settings.concurrency,
            )
            progress.start(total=self.summary.planned, done=self.summary.resumed)
            outcome = "failed"
            try:
                self.summary.interrupted = loop.run(self.input_path, self.settings, completed)
                outcome = "interrupted" if self.summary.interrupted else "completed"
            except KeyboardInterrupt:
                self.summary.interrupted = True
                outcome = "interrupted"
            finally:
                progress.close()
                self._close(loop.new_counts, xlsx=xlsx)
                audit.append(
                    "run_finished",
                    **self._finished_event(outcome, loop.new_counts, started),
                )
                audit.sync()
                self.summary.audit_head = audit.head
                self.manifest.run_finished(audit.run, outcome=outcome, counts=self.summary.counts)

    def _events(self, writer: AuditWriter) -> ItemEvents:
        from copygen.generate.events import ItemEvents

        price = self.settings.price_for(self.model)
        return ItemEvents(
            writer,
            backend=self.backend.name,
            model=self.model,
            base_url=self.base_url,
            params=self.params,
            currency=price.currency if price is not None else None,
            rules_hash=self.checker.rules_hash,
        )

    def _runner(self, events: ItemEvents, run_id: str) -> ItemRunner:
        return ItemRunner(
            settings=self.settings,
            backend=self.backend,
            offload=self.offload,
            cache=self.cache,
            events=events,
            params=self.params,
            model=self.model,
            base_url=self.base_url,
            max_repairs=self.max_repairs,
            rules_hash=self.checker.rules_hash,
            run_id=run_id,
        )

    def _close(self, new_counts: Mapping[str, int], *, xlsx: bool) -> None:
        """Close the store and cache; rebuild results.csv (and .xlsx); fill the summary."""
        from copygen.generate.tables import write_tables

        self.store.close()
        if self.cache is not None:
            close = getattr(self.cache, "close", None)
            if callable(close):
                close()
        self.summary.new = sum(new_counts.values())
        numbers = SummaryBuilder(priced=self.backend.remote)
        paths = write_tables(self.store, settings=self.settings, xlsx=xlsx, observe=numbers.add)
        numbers.fill(self.summary)
        self.summary.csv_path = paths.get("csv")
        self.summary.xlsx_path = paths.get("xlsx")

    def _started_event(self) -> dict[str, Any]:
        assert self.manifest is not None
        settings = self.settings
        return {
            "command": "generate",
            "version": __version__,
            "settings": settings.public_dict(),
            "input": {
                "path": str(self.input_path),
                "sha256": self.input_sha,
                "items": self.summary.planned,
            },
            "outdir": str(self.outdir),
            "rules_hash": self.checker.rules_hash,
            "templates_sha256": self.fingerprint["templates_sha256"],
            "fingerprint_sha256": self.manifest.fingerprint_hash,
            "platforms": list(settings.platforms),
            "variants": settings.variants,
            "backend": self.backend.name,
            "model": self.model,
            "base_url": self.base_url,
            "params": self.params,
            "max_repairs": self.max_repairs,
            "cache": self.cache is not None,
            "resumed": self.resuming,
            "planned": self.summary.planned,
            "already_done": self.summary.resumed,
            "retried_errors": self.retried_errors,
        }

    def _finished_event(
        self, outcome: str, new_counts: Mapping[str, int], started: float
    ) -> dict[str, Any]:
        summary = self.summary
        return {
            "outcome": outcome,
            "counts": {"total": summary.items, **summary.counts},
            "new": summary.new,
            "new_counts": dict(new_counts),
            "planned": summary.planned,
            "pass_rate": summary.pass_rate,
            "usage": {
                "prompt_tokens": summary.prompt_tokens,
                "completion_tokens": summary.completion_tokens,
                "total_tokens": summary.tokens,
            },
            "cost": summary.cost,
            "currency": summary.currency,
            "latency_p50_ms": summary.latency_p50_ms,
            "latency_p95_ms": summary.latency_p95_ms,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
            "results_sha256": file_sha256(self.store.path) if self.store.path.exists() else None,
            # What the backend learnt about the server (json_schema refused, ...).
            "adaptations": list(getattr(self.backend, "adaptations", None) or []),
        }


def _params(settings: Settings) -> dict[str, Any]:
    return {
        "temperature": settings.temperature,
        "max_tokens": settings.max_tokens,
        "seed": settings.seed,
        "json_mode": settings.json_mode,
        "response_format": settings.response_format,
    }
