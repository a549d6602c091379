"""The four steps of a batch job: prepare, submit, status, collect.

Every step reads ``OUTDIR/batch.json``, does what is left to do and writes it back
(atomically, after each file or batch), so any step can be run again: a step that
finds its work done does nothing.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from copygen.batch.requests import (
    MAX_FILE_BYTES,
    MAX_REQUESTS_PER_FILE,
    RequestWriter,
    request_body,
)
from copygen.batch.state import BATCH_DIR, BatchRound, BatchState
from copygen.config import Settings, load_settings, redact_url
from copygen.errors import ConfigError, ExitCode
from copygen.generate.plan import WarningHandler, WorkItem, iter_work

__all__ = ["BatchStatusReport", "collect", "collect_exit_code", "prepare", "status", "submit"]

FORMATS = ("openai", "vllm")
REPAIRABLE = ("review", "blocked")

_Step = TypeVar("_Step", bound=Callable[..., Any])


def _one_at_a_time(*, new: bool = False) -> Callable[[_Step], _Step]:
    """Run the step under the job's lock: two submits at once would pay twice, two
    collects would record the same round twice. ``new``: the step may make the job."""

    def wrap(step: _Step) -> _Step:
        @functools.wraps(step)
        def locked(*, outdir: str | Path, **kwargs: Any) -> Any:
            with BatchState.locked(outdir, new=new):
                return step(outdir=outdir, **kwargs)

        return cast(_Step, locked)

    return wrap


@_one_at_a_time(new=True)
def prepare(
    *,
    input_path: str | Path,
    outdir: str | Path,
    settings: Settings,
    fmt: str = "openai",
    force: bool = False,
    cli: Mapping[str, Any] | None = None,
    config_path: str | None = None,
    on_warning: WarningHandler | None = None,
    max_requests: int = MAX_REQUESTS_PER_FILE,
    max_bytes: int = MAX_FILE_BYTES,
) -> BatchState:
    """Write the first round's request files and ``batch.json``.

    Again on a prepared folder with the same input: nothing is written (returns its
    state); with another input, ConfigError unless ``force`` (which starts over).
    ``cli``/``config_path``: what the settings were built from, kept so that the
    later steps can rebuild them without being given them again.
    """
    from copygen.generate.manifest import effective_max_repairs, file_sha256

    if fmt not in FORMATS:
        raise ConfigError(f"unknown batch format {fmt!r}", hint="use openai or vllm")
    input_path, outdir = Path(input_path), Path(outdir)
    input_sha = file_sha256(input_path)
    if BatchState.exists(outdir) and not force:
        state = BatchState.load(outdir)
        if state.input_sha256 == input_sha and state.format == fmt:
            return state
        raise ConfigError(
            "output folder already holds a batch job of another input or format",
            file=outdir,
            hint="use another -o folder, or --force to start over",
        )
    if settings.model is None:
        raise ConfigError(
            "a batch job needs a model", hint="give --model, or a backend profile naming one"
        )
    given_url = (cli or {}).get("base_url")
    if given_url and redact_url(str(given_url)) != given_url:
        raise ConfigError(
            "a batch job keeps its settings in batch.json: give --base-url without "
            "credentials in it",
            hint="the API key comes from OPENAI_API_KEY (or the profile's api_key_env)",
        )
    state = BatchState(
        outdir=outdir,
        input=str(input_path.resolve()),
        input_sha256=input_sha,
        format=fmt,
        model=settings.model,
        base_url=redact_url(settings.base_url),
        max_repairs=effective_max_repairs(settings),
        cli=_plain(cli or {}),
        config_path=config_path,
    )
    builder = _builder(settings)
    writer = RequestWriter(outdir, 1, max_requests=max_requests, max_bytes=max_bytes)
    try:
        for work in iter_work(
            input_path, settings, on_warning=on_warning, mask=True, translates=True
        ):
            writer.add(work.id, _first_body(work, builder, settings))
    finally:
        writer.close()
    state.rounds = [BatchRound(number=1, kind="generate", files=writer.files)]
    state.save()
    _audit(
        state,
        settings,
        "batch_prepared",
        round=1,
        kind="generate",
        format=fmt,
        input={"path": state.input, "sha256": input_sha},
        model=state.model,
        files=[_file_event(f) for f in writer.files],
        requests=state.rounds[0].requests,
    )
    return state


@_one_at_a_time()
def submit(
    *,
    outdir: str | Path,
    settings: Settings | None = None,
    client: Any = None,
    max_requests: int = MAX_REQUESTS_PER_FILE,
    max_bytes: int = MAX_FILE_BYTES,
) -> list[BatchRound]:
    """Upload and start every request file not yet submitted; returns the rounds sent.

    When every round is collected, the next ones are prepared first: a ``retry``
    round of the items the provider failed (recorded as ``error``) and a ``repair``
    round of the flagged items with repairs left. Nothing left: returns [].
    """
    from copygen.batch import provider

    state = BatchState.load(outdir)
    settings = settings or rebuild_settings(state)
    if not state.pending():
        _next_rounds(state, settings, max_requests=max_requests, max_bytes=max_bytes)
    if state.format != "openai":
        # vllm run-batch runs the files: the next rounds are written, nothing is uploaded.
        return state.pending()
    rounds = [r for r in state.pending() if not r.submitted]
    if not rounds:
        return []
    client = client or provider.client_for(settings)
    for round_ in rounds:
        for batch_file in round_.files:
            if batch_file.batch_id is not None:
                continue
            provider.submit_file(client, state, round_, batch_file)  # saves after each step
            _audit(
                state,
                settings,
                "batch_submitted",
                round=round_.number,
                kind=round_.kind,
                **_file_event(batch_file),
            )
    return rounds


@dataclass
class BatchStatusReport:
    rounds: list[dict[str, Any]] = field(default_factory=list)
    #: Items recorded with status error (the provider failed them): sent again by submit.
    failed: list[str] = field(default_factory=list)
    failed_total: int = 0
    #: Flagged items with repairs left: sent as a repair round by submit.
    repairable: int = 0

    def lines(self) -> list[str]:
        out: list[str] = []
        for r in self.rounds:
            out.append(
                f"round {r['number']} ({r['kind']}): {r['requests']} requests, "
                + ("collected" if r["collected"] else "not collected")
            )
            for f in r["files"]:
                counts = ", ".join(f"{k} {v}" for k, v in sorted(f["counts"].items()))
                out.append(
                    f"  {f['path']}: {f['batch_id'] or 'not submitted'} "
                    f"{f['status'] or ''}{f' ({counts})' if counts else ''}"
                )
        if self.failed_total:
            shown = ", ".join(self.failed[:20])
            more = f" and {self.failed_total - 20} more" if self.failed_total > 20 else ""
            out.append(f"failed items ({self.failed_total}, sent again by submit): {shown}{more}")
        if self.repairable:
            out.append(f"flagged items with repairs left (sent by submit): {self.repairable}")
        return out


def status(
    *,
    outdir: str | Path,
    settings: Settings | None = None,
    client: Any = None,
    refresh: bool = True,
) -> BatchStatusReport:
    """Ask the provider about every unfinished batch; what the job holds."""
    from copygen.batch import provider

    state = BatchState.load(outdir)
    if refresh and state.format == "openai" and _open_files(state):
        # Refreshing rewrites batch.json: under the lock, and from its state then.
        with BatchState.locked(outdir):
            state = BatchState.load(outdir)
            open_files = _open_files(state)
            if open_files:
                settings = settings or rebuild_settings(state)
                client = client or provider.client_for(settings)
                for batch_file in open_files:
                    provider.refresh(client, state, batch_file)
    report = BatchStatusReport()
    for r in state.rounds:
        report.rounds.append(
            {
                "number": r.number,
                "kind": r.kind,
                "requests": r.requests,
                "collected": r.collected,
                "files": [dataclasses.asdict(f) for f in r.files],
            }
        )
    for record in _records(state.outdir):
        if record.get("status") == "error":
            report.failed_total += 1
            if len(report.failed) < 100:
                report.failed.append(str(record["id"]))
        elif _repairs_left(record, state):
            report.repairable += 1
    return report


@_one_at_a_time()
def collect(
    *,
    outdir: str | Path,
    settings: Settings | None = None,
    client: Any = None,
    from_file: str | Path | None = None,
    on_warning: WarningHandler | None = None,
) -> list[Any]:
    """Collect every ended, uncollected round; returns the run summaries.

    Downloads the round's output and error files (once), indexes their lines and
    runs generate over them (:mod:`copygen.batch.recording`). ``from_file``: an
    output file already here (``vllm run-batch``), for the first uncollected round.
    """
    from copygen.batch import provider
    from copygen.batch.recording import collect_round
    from copygen.batch.replay import REPLIES_FILE, ReplyIndex

    state = BatchState.load(outdir)
    settings = settings or rebuild_settings(state)
    summaries: list[Any] = []
    pending = state.pending()
    if not pending:
        return summaries
    if from_file is None and state.format == "openai":
        client = client or provider.client_for(settings)
        for round_ in pending:
            for batch_file in round_.files:
                if batch_file.batch_id and not batch_file.ended:
                    provider.refresh(client, state, batch_file)
    index = ReplyIndex(state.outdir / BATCH_DIR / REPLIES_FILE)
    try:
        for round_ in pending:
            if from_file is not None:
                index.load(round_.number, None, Path(from_file))
                for batch_file in round_.files:
                    batch_file.status = batch_file.status or "completed"
                    batch_file.downloaded = [str(Path(from_file).resolve())]
            else:
                if not round_.submitted or not round_.ended:
                    break  # later rounds wait for this one
                for batch_file in round_.files:
                    for path in provider.download(client, state, batch_file):
                        index.load(round_.number, batch_file.batch_id, path)
            source = str(from_file) if from_file is not None else "provider"
            recorded = _run_that_recorded(state, round_)
            if recorded is not None:
                # The last collect recorded this round and stopped before marking it.
                _mark_collected(state, settings, round_, recorded, source=source)
                if on_warning is not None:
                    on_warning(
                        f"round {round_.number} was recorded by run {recorded['run']} "
                        "before the last collect stopped; marked collected, not recorded again"
                    )
                continue
            if round_.runs_before is None:
                round_.runs_before = _runs_so_far(state)
                state.save()
            summary = collect_round(
                state,
                round_,
                settings=settings,
                index=index,
                on_warning=on_warning,
                earlier_runs=_runs_since(state, round_),
            )
            summaries.append(summary)
            if summary.interrupted:
                break  # the round stays uncollected: the next collect resumes it
            _mark_collected(
                state,
                settings,
                round_,
                {"run": summary.run_id, "counts": dict(summary.counts)},
                source=source,
            )
            if from_file is not None:
                break
    finally:
        index.close()
    return summaries


def collect_exit_code(summaries: Sequence[Any]) -> int:
    """The exit code of a collect: the gravest of its runs' (130 interrupted, 3 items
    failed: the next submit sends them again, 1 ``--fail-on`` met, else 0)."""
    codes = {int(summary.exit_code) for summary in summaries}
    for code in (ExitCode.INTERRUPTED, ExitCode.BACKEND, ExitCode.FINDINGS):
        if int(code) in codes:
            return int(code)
    return int(ExitCode.OK)


# --- helpers -----------------------------------------------------------------------------


def _open_files(state: BatchState) -> list[Any]:
    return [f for r in state.pending() for f in r.files if f.batch_id and not f.ended]


def _runs_so_far(state: BatchState) -> int:
    from copygen.generate.manifest import RunManifest

    manifest = RunManifest.load(state.outdir)
    return len(manifest.runs) if manifest is not None else 0


def _runs_after(state: BatchState, round_: BatchRound) -> list[dict[str, Any]]:
    """The run.json entries of the runs that began collecting ``round_``."""
    from copygen.generate.manifest import RunManifest

    if round_.runs_before is None:
        return []
    manifest = RunManifest.load(state.outdir)
    return manifest.runs[round_.runs_before :] if manifest is not None else []


def _run_that_recorded(state: BatchState, round_: BatchRound) -> dict[str, Any] | None:
    """The run.json entry of a completed run that collected ``round_``, if one did."""
    runs = _runs_after(state, round_)
    return next((run for run in runs if run.get("outcome") == "completed"), None)


def _runs_since(state: BatchState, round_: BatchRound) -> set[str]:
    """The ids of the runs that began collecting ``round_`` and did not complete it."""
    return {str(run.get("run")) for run in _runs_after(state, round_)}


def _mark_collected(
    state: BatchState,
    settings: Settings,
    round_: BatchRound,
    run: Mapping[str, Any],
    *,
    source: str,
) -> None:
    round_.collected = True
    state.save()
    _audit(
        state,
        settings,
        "batch_collected",
        round=round_.number,
        kind=round_.kind,
        batch_ids=[f.batch_id for f in round_.files],
        run_id=run.get("run"),
        counts=dict(run.get("counts") or {}),
        source=source,
    )


def rebuild_settings(state: BatchState) -> Settings:
    """The settings prepare was given, from what ``batch.json`` kept of them."""
    return load_settings(cli=state.cli, config_path=state.config_path)


def _plain(cli: Mapping[str, Any]) -> dict[str, Any]:
    """The command line's settings as JSON data (paths as text, tuples as lists)."""
    out: dict[str, Any] = {}
    for key, value in cli.items():
        if value is None:
            continue
        if isinstance(value, Path):
            value = str(value)
        elif isinstance(value, (list, tuple)):
            value = [str(v) if isinstance(v, Path) else v for v in value]
        elif isinstance(value, Mapping):
            value = dict(value)
        out[key] = value
    return out


def _builder(settings: Settings) -> Any:
    from copygen.compliance.engine import Checker
    from copygen.writing.prompts import PromptBuilder

    return PromptBuilder(settings=settings, ruleset=Checker.from_settings(settings).ruleset)


def _first_body(work: WorkItem, builder: Any, settings: Settings) -> dict[str, Any]:
    rendered = builder.render(
        work.prompt_product or work.product,
        platform=work.platform,
        lang=work.lang,
        variant=work.variant,
    )
    return request_body(
        rendered.messages,
        settings=settings,
        model=settings.model,
        platform=work.platform,
        lang=work.lang,
    )


def _repair_body(
    work: WorkItem, record: Mapping[str, Any], builder: Any, settings: Settings
) -> dict[str, Any]:
    """The repair request generate's repair loop sends for a flagged record."""
    from copygen.generate.masking import mask_messages

    rendered = builder.render_repair(
        work.prompt_product or work.product,
        platform=work.platform,
        lang=work.lang,
        variant=work.variant,
        previous_fields=record.get("fields") or {},
        findings=tuple(record.get("findings") or ()),
    )
    sent, _ = mask_messages(rendered.messages)
    return request_body(
        sent, settings=settings, model=settings.model, platform=work.platform, lang=work.lang
    )


def _records(outdir: Path) -> Iterator[dict[str, Any]]:
    from copygen.generate.store import ResultStore

    store = ResultStore(outdir)
    if store.exists():
        yield from store.iter_records()


def _repairs_left(record: Mapping[str, Any], state: BatchState) -> bool:
    if record.get("status") not in REPAIRABLE or not isinstance(record.get("fields"), dict):
        return False
    repairs_made = max(0, int(record.get("attempts") or 1) - 1)
    return repairs_made < state.max_repairs


def _next_rounds(
    state: BatchState, settings: Settings, *, max_requests: int, max_bytes: int
) -> None:
    """Prepare the retry and repair rounds that follow collected ones (none: nothing)."""
    from copygen.generate.store import RecordsById, ResultStore
    from copygen.ids import IdTable

    store = ResultStore(state.outdir)
    failed = IdTable()
    # Offsets, not records: the flagged records of a million-item job are read back
    # one at a time as their requests are written.
    flagged = RecordsById(store)
    for offset, record in store.located_records() if store.exists() else ():
        if record.get("status") == "error":
            failed.add(str(record["id"]))
        elif _repairs_left(record, state):
            flagged.add(str(record["id"]), offset)
    if not failed and not len(flagged):
        return
    builder = _builder(settings)
    writers: dict[str, RequestWriter] = {}
    number = state.next_round()
    for kind, wanted in (("retry", len(failed)), ("repair", len(flagged))):
        if wanted:
            writers[kind] = RequestWriter(
                state.outdir, number, max_requests=max_requests, max_bytes=max_bytes
            )
            number += 1
    try:
        for work in iter_work(
            Path(state.input), settings, on_warning=None, mask=True, translates=True
        ):
            if work.id in failed:
                writers["retry"].add(work.id, _first_body(work, builder, settings))
            elif (earlier := flagged.get(work.id)) is not None:
                writers["repair"].add(work.id, _repair_body(work, earlier, builder, settings))
    finally:
        for writer in writers.values():
            writer.close()
    for kind, writer in writers.items():
        round_ = BatchRound(number=writer.round, kind=kind, files=writer.files)
        state.rounds.append(round_)
        _audit(
            state,
            settings,
            "batch_prepared",
            round=round_.number,
            kind=kind,
            format=state.format,
            model=state.model,
            files=[_file_event(f) for f in writer.files],
            requests=round_.requests,
        )
    state.save()


def _file_event(batch_file: Any) -> dict[str, Any]:
    return {
        "path": batch_file.path,
        "requests": batch_file.requests,
        "bytes": batch_file.bytes,
        "file_id": batch_file.file_id,
        "batch_id": batch_file.batch_id,
    }


def _audit(state: BatchState, settings: Settings, event: str, **data: Any) -> None:
    """One batch event in the folder's audit log (its own short run)."""
    from copygen.audit import AuditLog
    from copygen.audit.key import key_from_settings
    from copygen.generate.run import AUDIT_FILE

    path = Path(settings.audit) if settings.audit is not None else state.outdir / AUDIT_FILE
    log = AuditLog.open(path, secrets=[settings.api_key], key=key_from_settings(settings))
    try:
        log.append(event, command=f"batch {event.removeprefix('batch_')}", **data)
    finally:
        log.close()
