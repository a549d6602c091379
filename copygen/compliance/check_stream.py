"""Checking a stream of inputs for ``copygen check --input``: in chunks, in this process
or in worker processes, always yielded in input order, with a bounded number of inputs
read ahead (``CHUNK`` x ``CHUNKS_PER_WORKER`` per worker), so memory does not grow
with the input.

Workers check and also serialise (for ``jsonl`` / ``json``), so the parent only reads
inputs and writes lines. With the ``fork`` start method the workers inherit the
parent's ``Checker``; otherwise each builds its own once from a :class:`CheckerSpec`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copygen.compliance.batch import CheckItem, result_record
from copygen.compliance.findings import SEVERITY_RANK, CheckResult
from copygen.errors import CopygenError

if TYPE_CHECKING:
    from concurrent.futures import Future

    from copygen.compliance.check_run import CheckRequest
    from copygen.compliance.engine import Checker

#: Inputs sent to a worker at a time.
CHUNK = 128
#: Chunks in flight per worker: enough to keep it busy while the parent writes.
CHUNKS_PER_WORKER = 4
#: Inputs read before anything is checked: fewer than this, and all of them are checked
#: in this process (starting workers would take longer than the checking).
SMALL = 200


class WorkerError(CopygenError):
    """A worker process died (killed, out of memory) while checking."""


@dataclass(frozen=True)
class CheckerSpec:
    """What a worker builds its ``Checker`` from when it cannot inherit one."""

    rules: tuple[Path, ...] = ()
    allow: tuple[Path, ...] = ()
    disabled: tuple[str, ...] = ()
    only_categories: tuple[str, ...] = ()
    locale: str | None = None

    def build(self) -> Checker:
        from copygen.compliance.engine import Checker

        return Checker(
            rules=list(self.rules),
            allow=list(self.allow),
            disabled=list(self.disabled),
            only_categories=list(self.only_categories),
            locale=self.locale,
        )


@dataclass(frozen=True)
class Outcome:
    """One input's result as the writer needs it."""

    status: str
    findings: int
    worst: int  # SEVERITY_RANK of the worst finding; 0 without findings
    line: str | None = None  # the record as written (jsonl: one line; json: indented)
    result: CheckResult | None = None  # the result itself, for the text format


def outcome_of(
    item: CheckItem, result: CheckResult, fmt: str, extra: dict[str, Any] | None = None
) -> Outcome:
    line: str | None = None
    if fmt in ("jsonl", "json"):
        record = result_record(item, result)
        if extra is not None:
            record["judge"] = extra
        if fmt == "jsonl":
            line = json.dumps(record, ensure_ascii=False)
        else:
            # JSON strings hold no raw newline: every one here is indentation.
            line = "    " + json.dumps(record, ensure_ascii=False, indent=2).replace("\n", "\n    ")
    worst = max((SEVERITY_RANK[f.severity] for f in result.findings), default=0)
    return Outcome(
        status=result.status,
        findings=len(result.findings),
        worst=worst,
        line=line,
        result=result if fmt == "text" else None,
    )


def check_request(checker: Checker, request: CheckRequest) -> CheckResult:
    return checker.check(
        request.item.content,
        lang=request.lang,
        category=request.category,
        platform=request.platform,
        product=request.product,
    )


def check_chunk(checker: Checker, requests: Sequence[CheckRequest], fmt: str) -> list[Outcome]:
    return [outcome_of(r.item, check_request(checker, r), fmt) for r in requests]


def chunked(requests: Iterable[CheckRequest], size: int = CHUNK) -> Iterator[list[CheckRequest]]:
    """Lists of ``size`` requests. When reading fails (a malformed line), the requests
    read before it are yielded first, then the error is raised."""
    source = iter(requests)
    while True:
        chunk: list[CheckRequest] = []
        try:
            for request in islice(source, size):
                chunk.append(request)
        except Exception:
            if chunk:
                yield chunk
            raise
        if not chunk:
            return
        yield chunk


# --- worker processes ------------------------------------------------------------------

_WORKER_CHECKER: Checker | None = None


def _init_worker(spec: CheckerSpec) -> None:
    global _WORKER_CHECKER
    if _WORKER_CHECKER is None:  # not inherited through fork
        _WORKER_CHECKER = spec.build()


def _check_in_worker(requests: Sequence[CheckRequest], fmt: str) -> list[Outcome]:
    assert _WORKER_CHECKER is not None
    return check_chunk(_WORKER_CHECKER, requests, fmt)


def _context() -> Any:
    import multiprocessing  # only for worker processes: not for a few texts

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def checked_chunks(
    checker: Checker,
    spec: CheckerSpec,
    chunks: Iterable[list[CheckRequest]],
    fmt: str,
    jobs: int,
) -> Iterator[tuple[list[CheckRequest], list[Outcome]]]:
    """Each chunk with its outcomes, in input order: checked here when ``jobs`` is 1,
    else by ``jobs`` worker processes with at most ``jobs * CHUNKS_PER_WORKER`` chunks
    in flight. An error reading the input is raised after the chunks before it."""
    if jobs <= 1:
        for chunk in chunks:
            yield chunk, check_chunk(checker, chunk, fmt)
        return
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    global _WORKER_CHECKER
    context = _context()
    if context.get_start_method() == "fork":
        preload = getattr(checker, "preload", None)
        if preload is not None:
            preload()  # the automaton, loaded once here and shared by every worker
        _WORKER_CHECKER = checker
    source = iter(chunks)
    pending: deque[tuple[list[CheckRequest], Future[list[Outcome]]]] = deque()
    error: BaseException | None = None
    pool = ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_init_worker, initargs=(spec,)
    )
    try:
        while True:
            while error is None and len(pending) < jobs * CHUNKS_PER_WORKER:
                try:
                    chunk = next(source)
                except StopIteration:
                    break
                except Exception as exc:  # raised after the chunks before it
                    error = exc
                    break
                pending.append((chunk, pool.submit(_check_in_worker, chunk, fmt)))
            if not pending:
                break
            chunk, future = pending.popleft()
            try:
                outcomes = future.result()
            except BrokenProcessPool:
                raise WorkerError(
                    "a worker process died while checking (out of memory, or killed);"
                    " try fewer --jobs, or --jobs 1"
                ) from None
            yield chunk, outcomes
        if error is not None:
            raise error
    finally:
        for _, future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
        _WORKER_CHECKER = None


# --- progress --------------------------------------------------------------------------


@dataclass
class CheckProgress:
    """A live line on stderr: inputs checked, rate, flagged so far."""

    done: int = 0
    flagged: int = 0
    started: float = field(default_factory=time.monotonic)
    _progress: Any = None
    _task: Any = None

    def start(self) -> None:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.started = time.monotonic()
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]check"),
            TextColumn("{task.completed:,} items"),
            TextColumn("{task.fields[rate]}"),
            TextColumn("flagged {task.fields[flagged]:,}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
            # stdout is the results: never routed through the live display.
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._progress.start()
        self._task = self._progress.add_task("check", total=None, rate="", flagged=0)

    def advance(self, outcomes: Sequence[Outcome]) -> None:
        self.done += len(outcomes)
        self.flagged += sum(1 for o in outcomes if o.status != "pass")
        if self._progress is None:
            return
        elapsed = time.monotonic() - self.started
        rate = f"{self.done / elapsed:,.0f}/s" if elapsed > 0 else ""
        self._progress.update(self._task, completed=self.done, rate=rate, flagged=self.flagged)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
