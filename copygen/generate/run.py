"""``copygen generate``: product rows -> checked, logged, publishable copy.

For every row x platform x variant (one *item*, see :mod:`copygen.generate.plan`)
the run renders, masks personal data (remote backends), completes, parses,
checks, repairs while flagged and records (:mod:`copygen.generate.item`), on one
asyncio loop (:mod:`copygen.generate.loop`). This module sets a run up and
closes it: the output folder and its resume state, the audit log's
``run_started`` and ``run_finished`` events, the tables and the summary.

``generate(..., repair=True)`` (``copygen generate --repair``) is a repair run on a
folder already generated: only its flagged items (``review``, ``blocked``) go back
into the repair loop, up to ``--max-repairs`` more times each; every other record
is left byte for byte as it is. The folder's settings must be the run's, except the
repair limit.
"""

from __future__ import annotations

import errno
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Container, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copygen import __version__
from copygen.backends.base import Backend
from copygen.config import Settings, redact_url
from copygen.errors import ConfigError, CopygenError, ExitCode
from copygen.files.atomic import WriteError, remove_stale_temps, write_error
from copygen.generate.item import ItemRunner
from copygen.generate.loop import RUN_GC_THRESHOLD, ItemLoop
from copygen.generate.manifest import (
    MANIFEST_FILE,
    RunManifest,
    check_outdir_for_repair,
    effective_max_repairs,
    file_sha256,
    fingerprint_for,
    prepare_outdir,
    templates_hash,
)
from copygen.generate.plan import (
    Shard,
    WarningHandler,
    WorkItem,
    count_plan,
    item_id_for,
    parse_shard,
    plan_items,
)
from copygen.generate.progress import NullProgress, ProgressReporter
from copygen.generate.store import RESULTS_FILE, STATUS_CODES, RecordsById, ResultStore
from copygen.generate.summary import RepairCounts, RunSummary, SummaryBuilder
from copygen.generate.tables import CSV_FILE, XLSX_FILE
from copygen.ids import IdTable

if TYPE_CHECKING:
    from copygen.backends.cache import ResponseCache
    from copygen.compliance.engine import Checker
    from copygen.generate.events import AuditWriter, ItemEvents
    from copygen.generate.tables import TableDraft
    from copygen.generate.workers import Offload
    from copygen.inputs.product import Product
    from copygen.judge import Judge
    from copygen.writing.prompts import PromptBuilder

__all__ = [
    "AUDIT_FILE",
    "REPAIRABLE_STATUSES",
    "RUN_GC_THRESHOLD",
    "WorkItem",
    "generate",
    "item_id_for",
    "plan_items",
]

AUDIT_FILE = "audit.jsonl"
# The files of an output folder that generate replaces atomically: temp files of
# theirs that a killed run left behind are removed when the next run takes the folder.
_OWN_FILES = (RESULTS_FILE, CSV_FILE, XLSX_FILE, MANIFEST_FILE)
_FULL_ERRNOS = frozenset({errno.ENOSPC, *([errno.EDQUOT] if hasattr(errno, "EDQUOT") else [])})
_WRITE_ERRNOS = _FULL_ERRNOS | {errno.EROFS, errno.EFBIG}
#: The items ``generate --repair`` takes back into the repair loop: flagged by the
#: checker and not decided by a reviewer (approved/rejected), nor failed (error).
REPAIRABLE_STATUSES = ("review", "blocked")
#: What a repair run keeps of each flagged record while it runs (the rest, product
#: and row above all, is rebuilt from the input); the whole record's hash is kept too.
_REPAIR_CARRIED = (
    "id",
    "status",
    "fields",
    "findings",
    "attempts",
    "kept_attempt",
    "usage",
    "cost",
    "latency_ms",
    "cached",
    "judge",
    "template",
    "review",
)


def _repair_view(record: dict[str, Any]) -> dict[str, Any]:
    """What a repair run keeps of a flagged record: the carried parts and its hash."""
    from copygen.audit.chain import record_sha256

    kept = {k: record[k] for k in _REPAIR_CARRIED if k in record}
    kept["record_sha256"] = record_sha256(record)
    return kept


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
    repair: bool = False,
    repair_only: Container[str] | None = None,
    shard: Shard | str | None = None,
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

    ``repair``: repair the flagged items of a folder already generated instead (see
    the module docstring): ``settings.max_repairs`` more repairs each. ConfigError
    (exit 2) when ``outdir`` has no results or other settings (the repair limit
    aside); with no flagged item nothing runs and ``summary.repair.flagged`` is 0.
    ``repair_only``: repair only the flagged items among these ids (a batch job's
    repair round: the items it sent a repair for).

    ``shard``: ``(I, N)`` or ``"I/N"`` (``--shard``): only the items of shard I of N
    (``plan.shard_of``, a stable hash of the item id), so N machines can share one
    product file; ``copygen merge`` joins their folders. The shard is part of the
    folder's fingerprint: a folder is resumed with the same shard only.
    """
    outdir = Path(outdir)
    part = parse_shard(shard)  # a bad value fails before anything is built
    if repair:
        if force:
            raise ConfigError(
                "--repair and --force do not go together",
                hint="--repair works on the folder's results; --force would start it over",
            )
        if not ResultStore(outdir).exists():  # before anything is built, forked or created
            raise _nothing_to_repair(outdir)
        if effective_max_repairs(settings) < 1:
            raise ConfigError(
                "--repair with --max-repairs 0 would repair nothing",
                hint="give the flagged items one or more repairs: --max-repairs N",
            )
    run = _Run.prepare(
        input_path=Path(input_path),
        outdir=Path(outdir),
        settings=settings,
        backend=backend,
        workers=workers,
        shard=part,
    )
    after = _Aftermath(run.outdir)
    try:
        with run.store.lock():
            if repair:
                if run.repair_state(on_warning=on_warning, only=repair_only):
                    run.execute(set(), progress or NullProgress(), xlsx=xlsx)
            else:
                completed = run.resume_state(force=force, on_warning=on_warning)
                run.execute(completed, progress or NullProgress(), xlsx=xlsx)
    except BaseException as exc:
        after.failed(exc)
    with after.step():
        run.offload.close()
    with after.step():
        run.store.close()
    after.raise_first()
    return run.summary


def _nothing_to_repair(outdir: Path) -> ConfigError:
    return ConfigError(f"nothing to repair: {outdir} has no results.jsonl; run generate first")


class _Numbers:
    """The summary's numbers of a run, started afresh whenever the records are read again."""

    def __init__(self, *, priced: bool) -> None:
        self.priced = priced
        self.builder = SummaryBuilder(priced=priced)

    def fresh(self) -> Callable[[Mapping[str, Any]], None]:
        self.builder = SummaryBuilder(priced=self.priced)
        return self.builder.add


class _Aftermath:
    """Clean-up steps that must all run after a failure; the first error is reported.

    A full disk fails the write that noticed it and then every write after it (the
    tables, ``run_finished``, the manifest, the final fsync). Reporting the first
    failure and dropping the echoes gives the user one line, not a chain of
    tracebacks, and every step still gets its chance to leave the folder tidy.
    """

    def __init__(self, outdir: Path) -> None:
        self.outdir = outdir
        self.error: BaseException | None = None

    def failed(self, exc: BaseException) -> None:
        if self.error is None:
            self.error = _reportable(exc, self.outdir)

    @contextmanager
    def step(self) -> Iterator[None]:
        try:
            yield
        except Exception as exc:  # KeyboardInterrupt still goes straight through
            self.failed(exc)

    def raise_first(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error


def _reportable(exc: BaseException, outdir: Path) -> BaseException:
    """A write failure as one line naming the folder, with what to do about it.

    The audit log's fsync thread raises a bare OSError (no file name): it can only
    be a file of this output folder. A full disk gets the hint that the run
    resumes: every completed item is in results.jsonl and the audit log.
    """
    if isinstance(exc, OSError) and exc.errno in _WRITE_ERRNOS:
        exc = write_error(exc, exc.filename or outdir, action="cannot write to the output folder")
    if isinstance(exc, WriteError):
        code = exc.errno
    else:  # the audit log's own error keeps the OSError it replaced as its context
        cause = exc.__context__
        code = cause.errno if isinstance(cause, OSError) else None
    if isinstance(exc, CopygenError) and code in _FULL_ERRNOS and exc.exit_code == ExitCode.USAGE:
        exc.hint = "free some space, then run the same command again: it resumes where it stopped"
    return exc


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
    judge: Judge | None = None
    #: A repair run: the flagged records (the parts in _REPAIR_CARRIED), by id.
    flagged: RecordsById | None = None
    #: A generate run: results.csv drafted while its last requests are out, and the
    #: numbers of the summary, taken from every record as its row is written.
    draft: TableDraft | None = None
    numbers: _Numbers | None = None
    #: The input's rows as count_plan read them (small inputs only: plan.KEPT_ROWS).
    rows: tuple[Product, ...] | None = None
    #: ``--shard I/N``: the run does that shard's items only.
    shard: Shard | None = None

    @property
    def translates(self) -> bool:
        """Whether the backend writes a row in another language than the row's own:
        every model does; the offline composer only quotes the row."""
        return self.backend.name != "offline"

    @classmethod
    def prepare(
        cls,
        *,
        input_path: Path,
        outdir: Path,
        settings: Settings,
        backend: Backend | None,
        workers: int | None,
        shard: Shard | None = None,
    ) -> _Run:
        """Checker, prompts, backend and the run's fingerprint; nothing written yet."""
        from copygen.compliance.engine import Checker
        from copygen.generate.workers import Offload

        input_sha = file_sha256(input_path)
        checker = Checker.from_settings(settings)
        templates_sha = templates_hash(settings)
        builder = _prompt_builder(settings, checker, templates_sha)
        if backend is None:
            from copygen.backends.registry import create_backend

            backend = create_backend(settings)
        model = backend.model or settings.model
        base_url = backend.base_url if backend.remote else None
        if backend.remote and base_url is None:
            base_url = settings.base_url
        base_url = redact_url(base_url)  # a plugin's, or the setting, may hold credentials
        params = _params(settings)
        judge = _judge(settings, backend, builder)
        fingerprint = fingerprint_for(
            input_sha256=input_sha,
            settings=settings,
            backend=backend.name,
            model=model,
            base_url=base_url,
            params=params,
            rules_hash=checker.rules_hash,
            templates_sha256=templates_sha,
        )
        if judge is not None:
            # Findings depend on who judges: a folder judged by one model is not
            # resumed with another (or without the judge).
            fingerprint["judge"] = {
                "backend": judge.backend.name,
                "model": judge.model,
                "base_url": judge.base_url,
                "severity": judge.settings.judge_severity,
                "all": judge.settings.judge_all,
                "on_error": judge.settings.judge_on_error,
            }
        if shard is not None:
            # Another shard is another set of items: never resumed into this folder.
            # Only when given, so unsharded folders keep their fingerprint.
            fingerprint["shard"] = [shard[0], shard[1]]
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
            max_repairs=effective_max_repairs(settings),
            input_sha=input_sha,
            fingerprint=fingerprint,
            judge=judge,
            shard=shard,
        )

    def resume_state(self, *, force: bool, on_warning: WarningHandler | None) -> IdTable:
        """Claim the folder; the ids already completed (errored items are tried again)."""
        # Under the folder lock, so no write of another process is in progress.
        remove_stale_temps(self.outdir, _OWN_FILES)
        self.manifest, self.resuming = prepare_outdir(
            self.outdir, self.fingerprint, force=force, results_exist=self.store.exists()
        )
        self.store.repair()
        self.store.compact()  # what a killed `generate --repair` appended, back in place
        completed = self.store.status_table()
        failed = completed.drop_values(STATUS_CODES["error"])
        if failed:
            self.store.rewrite(lambda r: None if r.get("status") == "error" else r)
        self.retried_errors = failed
        self._count(completed, on_warning)
        return completed

    def _count(self, completed: Container[str], on_warning: WarningHandler | None) -> None:
        """Read the whole input once (a broken row fails the run before anything is
        paid for): the items planned and done, and the rows of a small input."""
        count = count_plan(
            self.input_path,
            self.settings,
            completed,
            on_warning,
            translates=self.translates,
            shard=self.shard,
        )
        self.summary.planned = count.planned
        self.summary.resumed = count.done
        self.rows = count.rows

    def repair_state(
        self, *, on_warning: WarningHandler | None, only: Container[str] | None = None
    ) -> int:
        """Claim a folder for a repair run; the number of flagged items to repair.

        The folder keeps its manifest (its settings are checked, the repair limit
        aside) and every record. With nothing flagged, nothing is written.
        """
        remove_stale_temps(self.outdir, _OWN_FILES)
        if not self.store.exists():
            raise _nothing_to_repair(self.outdir)
        self.manifest = check_outdir_for_repair(self.outdir, self.fingerprint)
        self.resuming = True
        self.store.repair()
        self.store.compact()  # what a killed repair run appended, back in place
        ids = IdTable()
        # Read back from the file as each is repaired: a million flagged records
        # would not fit in memory. The run only appends until it ends.
        flagged = RecordsById(self.store, view=_repair_view)
        for offset, record in self.store.located_records():
            ids.add(record["id"])
            if (
                record.get("status") in REPAIRABLE_STATUSES
                and isinstance(record.get("fields"), dict)
                and (only is None or record["id"] in only)
            ):
                flagged.add(record["id"], offset)
        self.summary.repair = RepairCounts(flagged=len(flagged), rounds=self.max_repairs)
        if not flagged:
            return 0
        # Reads the whole input first, as a normal run does: a broken row fails the
        # run (exit 2) before anything is paid for.
        self._count(ids, on_warning)
        self.flagged = flagged
        return len(flagged)

    def execute(self, completed: Container[str], progress: ProgressReporter, *, xlsx: bool) -> None:
        """Run the items under an open audit log, then write tables and the summary."""
        from copygen.audit import AuditLog
        from copygen.audit.key import key_from_settings

        judge_remote = self.judge is not None and self.judge.backend.remote
        if (self.backend.remote or judge_remote) and self.settings.cache:
            from copygen.backends.cache import ResponseCache

            self.cache = ResponseCache.from_settings(self.settings)
            if self.judge is not None:
                self.judge.cache = self.cache
        assert self.summary.audit_path is not None and self.manifest is not None
        manifest = self.manifest
        started = time.monotonic()
        # Item events are fsynced in batches by the writer thread (generate.events);
        # the log itself must not fsync each one on the event loop.
        audit = AuditLog.open(
            self.summary.audit_path,
            secrets=[self.settings.api_key],
            max_unsynced=1 << 30,
            key=key_from_settings(self.settings),
        )
        after = _Aftermath(self.outdir)
        try:
            self.summary.run_id = audit.run
            # A shared log (--audit) is named in run.json, so that review, export and
            # report find the log that proves the folder's records.
            shared = self.settings.audit
            manifest.run_started(
                audit.run,
                audit=str(shared.resolve()) if shared else None,
                mode="repair" if self.flagged is not None else None,
            )
            audit.append("run_started", **self._started_event())
            audit.sync()
            if self.flagged is None:  # a repair run rewrites records: no draft there
                from copygen.generate.tables import TableDraft

                self.numbers = _Numbers(priced=self.backend.remote)
                self.draft = TableDraft(
                    self.store, settings=self.settings, new_observer=self.numbers.fresh
                )
            loop = ItemLoop(
                make_runner=lambda events: self._runner(events, audit.run),
                make_events=self._events,
                log=audit,
                store=self.store,
                progress=progress,
                concurrency=self.settings.concurrency,
                flagged=self.flagged,
                rounds=self.max_repairs,
                repair=self.summary.repair,
                translates=self.translates,
                draft=self.draft,
                rows=self.rows,
                shard=self.shard,
            )
            if self.flagged is not None:
                progress.start(total=len(self.flagged), done=0)
            else:
                progress.start(total=self.summary.planned, done=self.summary.resumed)
            outcome = "failed"
            try:
                self.summary.interrupted = loop.run(self.input_path, self.settings, completed)
                outcome = "interrupted" if self.summary.interrupted else "completed"
            except KeyboardInterrupt:
                self.summary.interrupted = True
                outcome = "interrupted"
            except BaseException as exc:
                after.failed(exc)
            # Everything below runs after a failure too: the tables and the log then
            # show what was completed before it.
            with after.step():
                progress.close()
            with after.step():
                self._close(loop.new_counts, xlsx=xlsx)
            if after.error is not None:
                outcome = "failed"
            with after.step():
                audit.append(
                    "run_finished",
                    **self._finished_event(outcome, loop.new_counts, started),
                )
                audit.sync()
            self.summary.audit_head = audit.head
            with after.step():
                manifest.run_finished(audit.run, outcome=outcome, counts=self.summary.counts)
        except BaseException as exc:
            after.failed(exc)
        finally:
            with after.step():
                audit.close()
        after.raise_first()

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
            judge=self.judge,
        )

    def _close(self, new_counts: Mapping[str, int], *, xlsx: bool) -> None:
        """Close the store and cache; rebuild results.csv (and .xlsx); fill the summary."""
        from copygen.generate.tables import write_tables

        self.store.close()
        if self.flagged is not None:
            # Each replaced record back in its place, once (appended while running).
            self.store.compact()
        if self.cache is not None:
            close = getattr(self.cache, "close", None)
            if callable(close):
                close()
        self.summary.new = sum(new_counts.values())
        # A results.xlsx an earlier run wrote is rebuilt too, never left stale.
        xlsx = xlsx or (self.outdir / XLSX_FILE).is_file()
        numbers = self.numbers or _Numbers(priced=self.backend.remote)
        if self.draft is not None:
            # Rows drafted while the last requests were in flight; the rest now.
            paths = write_tables(self.store, settings=self.settings, xlsx=xlsx, draft=self.draft)
        else:
            paths = write_tables(
                self.store, settings=self.settings, xlsx=xlsx, observe=numbers.fresh()
            )
        numbers.builder.fill(self.summary)
        self.summary.csv_path = paths.get("csv")
        self.summary.xlsx_path = paths.get("xlsx")

    def _started_event(self) -> dict[str, Any]:
        assert self.manifest is not None
        settings = self.settings
        repair = self.summary.repair
        return {
            "command": "generate",
            "mode": "repair" if repair is not None else "generate",
            **({"flagged": repair.flagged} if repair is not None else {}),
            # [I, N] of a --shard run (copygen merge checks the shards against it).
            **({"shard": list(self.shard)} if self.shard is not None else {}),
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
            "judge": self.fingerprint.get("judge"),
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
        repair = summary.repair
        return {
            "outcome": outcome,
            "mode": "repair" if repair is not None else "generate",
            **({"repair": repair.to_dict()} if repair is not None else {}),
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


#: Prompt builders of earlier runs in this process, by what they render from.
_BUILDERS: OrderedDict[tuple[str, str, str], PromptBuilder] = OrderedDict()
_BUILDERS_LOCK = threading.Lock()
_BUILDERS_KEPT = 4


def _prompt_builder(settings: Settings, checker: Checker, templates_sha: str) -> PromptBuilder:
    """The run's PromptBuilder: the one an earlier run in this process built from the
    same settings, rule packs and template files, else a new one.

    A builder compiles each template when first used (tens of milliseconds for the
    three platforms) and caches guidance; both depend only on the settings, the rules
    (``rules_hash``) and the template files (``templates_sha``, their contents), so
    another run with the same three renders the same prompts without compiling again.
    """
    from copygen.writing.prompts import PromptBuilder

    key = (repr(settings), checker.rules_hash, templates_sha)
    with _BUILDERS_LOCK:
        builder = _BUILDERS.get(key)
        if builder is not None:
            _BUILDERS.move_to_end(key)
            return builder
    builder = PromptBuilder(settings=settings, ruleset=checker.ruleset)
    with _BUILDERS_LOCK:
        _BUILDERS[key] = builder
        while len(_BUILDERS) > _BUILDERS_KEPT:
            _BUILDERS.popitem(last=False)
    return builder


def _judge(settings: Settings, backend: Backend, builder: PromptBuilder) -> Judge | None:
    """The run's judge when ``--judge`` is on; a judge that cannot be built is a usage
    error (exit 2) before anything is written."""
    if not settings.judge:
        return None
    from copygen.judge import Judge, create_judge_backend, judge_backend_settings

    judge_settings = judge_backend_settings(settings)
    return Judge(
        settings=judge_settings,
        backend=create_judge_backend(judge_settings, settings, backend),
        builder=builder,
    )


def _params(settings: Settings) -> dict[str, Any]:
    return {
        "temperature": settings.temperature,
        "max_tokens": settings.max_tokens,
        "seed": settings.seed,
        "json_mode": settings.json_mode,
        "response_format": settings.response_format,
    }
