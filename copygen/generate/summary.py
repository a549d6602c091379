"""The numbers at the end of a run: counts, pass rate, tokens, cost, latency.

Computed from ``results.jsonl`` (the whole output folder, including items a
previous run completed), so the summary of a resumed run describes the batch, not
just the last slice of it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copygen.backends.base import cost_of
from copygen.errors import ExitCode

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "RepairCounts",
    "RunSummary",
    "SummaryBuilder",
    "cost_of",
    "percentile",
    "render_summary",
    "summarise",
    "summary_lines",
]

_SEVERITY_RANK = {"info": 1, "warn": 2, "block": 3}


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-th percentile (0..100) by linear interpolation; None for no values."""
    return counted_percentile(Counter(values), q)


def counted_percentile(counts: Mapping[float, int], q: float) -> float | None:
    """:func:`percentile` of values given as value -> how many times.

    Latencies are kept this way (rounded to 0.1 ms, they repeat), so a run of a
    million items does not hold a million floats for two numbers.
    """
    total = sum(counts.values())
    if not total:
        return None
    rank = (total - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, total - 1)
    low_value = high_value = None
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if low_value is None and seen > low:
            low_value = value
        if seen > high:
            high_value = value
            break
    assert low_value is not None and high_value is not None
    return low_value + (high_value - low_value) * (rank - low)


@dataclass
class RepairCounts:
    """What a ``generate --repair`` run did with the folder's flagged items."""

    flagged: int = 0  # items in review or blocked when the run started
    rounds: int = 0  # repairs each was allowed (--max-repairs)
    done: int = 0  # of them, taken through the repair loop by this run
    passed: int = 0  # now pass
    review: int = 0  # still review
    blocked: int = 0  # still blocked
    kept: int = 0  # no repair was better: the draft they had is kept
    failed: int = 0  # a repair request failed (backend, judge): the draft stands

    def add(self, status: str, *, kept: bool, failed: bool) -> None:
        self.done += 1
        if status == "pass":
            self.passed += 1
        elif status == "review":
            self.review += 1
        elif status == "blocked":
            self.blocked += 1
        self.kept += 1 if kept else 0
        self.failed += 1 if failed else 0

    def to_dict(self) -> dict[str, int]:
        return {
            "flagged": self.flagged,
            "rounds": self.rounds,
            "done": self.done,
            "pass": self.passed,
            "review": self.review,
            "blocked": self.blocked,
            "kept": self.kept,
            "failed": self.failed,
        }

    def text(self) -> str:
        """One line: ``3 of 4 flagged items: 2 now pass, 1 still review, 0 still blocked``."""
        text = (
            f"{self.done} of {self.flagged} flagged items: {self.passed} now pass, "
            f"{self.review} still review, {self.blocked} still blocked"
        )
        if self.kept:
            text += f"; {self.kept} kept their draft (no repair was better)"
        if self.failed:
            text += f"; {self.failed} could not be repaired (backend or judge failed)"
        return text


@dataclass
class RunSummary:
    """What a ``generate`` run produced; ``exit_code`` is the command's exit status."""

    outdir: Path
    run_id: str | None = None
    planned: int = 0  # items the input and settings call for
    items: int = 0  # items with a record in results.jsonl
    new: int = 0  # items completed by this run
    resumed: int = 0  # items a previous run had completed
    counts: dict[str, int] = field(default_factory=dict)  # by status
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0  # of prompt_tokens, read from the server's prefix cache
    cost: float | None = 0.0  # None: some tokens have no known price
    currency: str | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    worst_severity: str | None = None  # over items not decided by a reviewer
    interrupted: bool = False
    fail_on: str | None = None
    audit_path: Path | None = None
    audit_head: str | None = None
    results_path: Path | None = None
    csv_path: Path | None = None
    xlsx_path: Path | None = None
    backend: str | None = None
    model: str | None = None
    repaired_to_pass: int = 0  # items that passed only after a repair
    kept_earlier: int = 0  # items whose kept draft is not the last one made
    timeouts: int = 0  # items that failed because requests timed out
    #: The LLM judge (records with a ``judge`` part): counted apart from generation.
    judge_items: int = 0  # items the judge read at least once
    judge_calls: int = 0
    judge_prompt_tokens: int = 0
    judge_completion_tokens: int = 0
    judge_cost: float | None = 0.0
    judge_currency: str | None = None
    judge_added: int = 0  # findings the judge added, over all drafts
    judge_errors: int = 0  # items whose judge did not answer
    #: ``generate --repair``: the flagged items and what became of them (None: a
    #: normal run). ``repair.flagged == 0``: there was nothing to repair, nothing ran.
    repair: RepairCounts | None = None

    @property
    def judge_cost_per_text(self) -> float | None:
        if self.judge_cost is None or self.judge_items == 0:
            return None
        return self.judge_cost / self.judge_items

    def count(self, status: str) -> int:
        return self.counts.get(status, 0)

    @property
    def errors(self) -> int:
        return self.count("error")

    @property
    def texts(self) -> int:
        """Items that have a text (every status but error)."""
        return self.items - self.errors

    @property
    def pass_rate(self) -> float | None:
        """文案合格率: items the checker passed as a share of all items."""
        return None if self.items == 0 else self.count("pass") / self.items

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def cost_per_text(self) -> float | None:
        if self.cost is None or self.texts == 0:
            return None
        return self.cost / self.texts

    @property
    def fail_on_met(self) -> bool:
        level = self.fail_on
        if level in (None, "never") or self.worst_severity is None:
            return False
        return _SEVERITY_RANK[self.worst_severity] >= _SEVERITY_RANK[level]

    @property
    def exit_code(self) -> int:
        """130 interrupted, 3 items failed, 1 ``--fail-on`` met, else 0. A repair run
        answers for its own work: 3 when a repair failed, not for earlier errors."""
        if self.interrupted:
            return int(ExitCode.INTERRUPTED)
        failed = self.errors if self.repair is None else self.repair.failed
        if failed:
            return int(ExitCode.BACKEND)
        if self.fail_on_met:
            return int(ExitCode.FINDINGS)
        return int(ExitCode.OK)

    def to_dict(self) -> dict[str, Any]:
        return {
            "outdir": str(self.outdir),
            "run": self.run_id,
            "planned": self.planned,
            "items": self.items,
            "new": self.new,
            "resumed": self.resumed,
            "counts": dict(self.counts),
            "pass_rate": self.pass_rate,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cached_tokens": self.cached_tokens,
            "cost": self.cost,
            "currency": self.currency,
            "cost_per_text": self.cost_per_text,
            "latency_p50_ms": self.latency_p50_ms,
            "latency_p95_ms": self.latency_p95_ms,
            "repaired_to_pass": self.repaired_to_pass,
            "kept_earlier": self.kept_earlier,
            "timeouts": self.timeouts,
            **(
                {
                    "judge": {
                        "items": self.judge_items,
                        "calls": self.judge_calls,
                        "prompt_tokens": self.judge_prompt_tokens,
                        "completion_tokens": self.judge_completion_tokens,
                        "cost": self.judge_cost,
                        "currency": self.judge_currency,
                        "cost_per_text": self.judge_cost_per_text,
                        "added": self.judge_added,
                        "errors": self.judge_errors,
                    }
                }
                if self.judge_items or self.judge_errors
                else {}
            ),
            **({"repair": self.repair.to_dict()} if self.repair is not None else {}),
            "interrupted": self.interrupted,
            "audit_head": self.audit_head,
            "exit_code": self.exit_code,
        }


class SummaryBuilder:
    """Accumulates result records one at a time (streaming), then fills a RunSummary.

    ``priced`` False means the backend costs nothing (offline), so an unknown price
    does not make the cost unknown.
    """

    def __init__(self, *, priced: bool = True) -> None:
        self.priced = priced
        self.items = 0
        self.counts: dict[str, int] = {}
        self.latencies: Counter[float] = Counter()
        self.prompt = 0
        self.completion = 0
        self.cached = 0
        self.cost: float | None = 0.0
        self.currency: str | None = None
        self.worst = 0
        self.repaired_to_pass = 0
        self.kept_earlier = 0
        self.timeouts = 0
        self.judge = _JudgeNumbers()

    def add(self, record: Mapping[str, Any]) -> None:
        self.items += 1
        judge = record.get("judge")
        if isinstance(judge, Mapping):
            self.judge.add(judge)
        status = str(record.get("status"))
        self.counts[status] = self.counts.get(status, 0) + 1
        usage = record.get("usage") or {}
        tokens_in = int(usage.get("prompt_tokens", 0) or 0)
        tokens_out = int(usage.get("completion_tokens", 0) or 0)
        self.prompt += tokens_in
        self.completion += tokens_out
        self.cached += int(usage.get("cached_tokens", 0) or 0)
        item_cost = record.get("cost")
        if item_cost is None:
            if self.priced and (tokens_in or tokens_out):
                self.cost = None
        elif self.cost is not None:
            self.cost += float(item_cost)
        self.currency = record.get("currency") or self.currency
        attempts = record.get("attempts") or 1
        kept = record.get("kept_attempt")
        if status == "pass" and kept is not None and kept > 1:
            self.repaired_to_pass += 1
        if isinstance(kept, int) and isinstance(attempts, int) and kept < attempts:
            self.kept_earlier += 1
        if status == "error" and "timed out" in str(record.get("error") or ""):
            self.timeouts += 1
        latency = record.get("latency_ms")
        if status != "error" and isinstance(latency, (int, float)):
            self.latencies[float(latency)] += 1
        if status in ("pass", "review", "blocked"):
            for finding in record.get("findings") or ():
                rank = _SEVERITY_RANK.get(str(finding.get("severity")), 0)
                self.worst = max(self.worst, rank)

    def fill(self, summary: RunSummary) -> RunSummary:
        summary.items = self.items
        summary.counts = dict(self.counts)
        summary.prompt_tokens = self.prompt
        summary.completion_tokens = self.completion
        summary.cached_tokens = self.cached
        summary.cost = self.cost
        summary.currency = self.currency
        summary.latency_p50_ms = percentile(self.latencies, 50)
        summary.latency_p95_ms = percentile(self.latencies, 95)
        summary.worst_severity = {v: k for k, v in _SEVERITY_RANK.items()}.get(self.worst)
        summary.repaired_to_pass = self.repaired_to_pass
        summary.kept_earlier = self.kept_earlier
        summary.timeouts = self.timeouts
        self.judge.fill(summary)
        return summary


class _JudgeNumbers:
    """The judge's part of the summary, from the records' ``judge`` parts."""

    def __init__(self) -> None:
        self.items = 0
        self.calls = 0
        self.prompt = 0
        self.completion = 0
        self.cost: float | None = 0.0
        self.currency: str | None = None
        self.added = 0
        self.errors = 0

    def add(self, judge: Mapping[str, Any]) -> None:
        if not judge.get("passes"):
            return
        self.items += 1
        self.calls += int(judge.get("calls") or 0)
        usage = judge.get("usage") or {}
        self.prompt += int(usage.get("prompt_tokens", 0) or 0)
        self.completion += int(usage.get("completion_tokens", 0) or 0)
        cost = judge.get("cost")
        self.cost = None if cost is None or self.cost is None else self.cost + float(cost)
        self.currency = judge.get("currency") or self.currency
        self.added += int(judge.get("added") or 0)
        self.errors += 1 if judge.get("error") else 0

    def fill(self, summary: RunSummary) -> None:
        summary.judge_items = self.items
        summary.judge_calls = self.calls
        summary.judge_prompt_tokens = self.prompt
        summary.judge_completion_tokens = self.completion
        summary.judge_cost = self.cost if self.items else 0.0
        summary.judge_currency = self.currency
        summary.judge_added = self.added
        summary.judge_errors = self.errors


def summarise(
    records: Iterable[Mapping[str, Any]], summary: RunSummary, *, priced: bool = True
) -> RunSummary:
    """Fill the counts, tokens, cost and latency of ``summary`` from result records."""
    builder = SummaryBuilder(priced=priced)
    for record in records:
        builder.add(record)
    return builder.fill(summary)


# --- presentation ------------------------------------------------------------------------


def _money(value: float | None, currency: str | None) -> str:
    if value is None:
        return "unknown"
    unit = f" {currency}" if currency else ""
    if value == 0:
        return f"0{unit}"
    return f"{value:.6f}".rstrip("0").rstrip(".") + unit if value < 0.01 else f"{value:.4f}{unit}"


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f} ms" if value < 10_000 else f"{value / 1000:.1f} s"


def _rows(summary: RunSummary) -> list[tuple[str, str]]:
    rate = summary.pass_rate
    rows: list[tuple[str, str]] = [
        ("items", f"{summary.items} of {summary.planned}" if summary.planned else "0"),
        (
            ("repaired", summary.repair.text())
            if summary.repair is not None
            else ("new / resumed", f"{summary.new} / {summary.resumed}")
        ),
        ("pass rate (文案合格率)", "-" if rate is None else f"{rate:.1%}"),
        ("pass", str(summary.count("pass"))),
        ("needs review", str(summary.count("review"))),
        ("blocked", str(summary.count("blocked"))),
        ("errors", str(summary.errors)),
    ]
    for decided in ("approved", "rejected"):
        if summary.count(decided):
            rows.append((decided, str(summary.count(decided))))
    if summary.repaired_to_pass or summary.kept_earlier:
        rows.append(
            (
                "repairs",
                f"{summary.repaired_to_pass} passed after repair, "
                f"{summary.kept_earlier} kept an earlier draft (the repair was worse)",
            )
        )
    if summary.timeouts:
        rows.append(
            (
                "timeouts",
                f"{summary.timeouts} items failed on timeouts: the server is slower than "
                "--timeout; raise it or lower --concurrency",
            )
        )
    rows += [
        (
            "tokens",
            f"{summary.tokens} (in {summary.prompt_tokens}, out {summary.completion_tokens}"
            + (f", {summary.cached_tokens} of them cached" if summary.cached_tokens else "")
            + ")",
        ),
        ("cost", _money(summary.cost, summary.currency)),
        ("cost per text", _money(summary.cost_per_text, summary.currency)),
        ("latency p50 / p95", f"{_ms(summary.latency_p50_ms)} / {_ms(summary.latency_p95_ms)}"),
    ]
    if summary.judge_items or summary.judge_errors:
        currency = summary.judge_currency
        rows += [
            (
                "judge",
                f"read {summary.judge_items} items in {summary.judge_calls} calls, added "
                f"{summary.judge_added} findings"
                + (f", {summary.judge_errors} did not answer" if summary.judge_errors else ""),
            ),
            (
                "judge tokens",
                f"in {summary.judge_prompt_tokens}, out {summary.judge_completion_tokens}",
            ),
            ("judge cost", _money(summary.judge_cost, currency)),
            ("judge cost per text", _money(summary.judge_cost_per_text, currency)),
        ]
    return rows


def summary_lines(summary: RunSummary) -> list[str]:
    """The summary as plain ``name: value`` lines (logs, pipes, CI)."""
    title = "interrupted" if summary.interrupted else "done"
    command = "copygen generate --repair" if summary.repair is not None else "copygen generate"
    lines = [f"{command} {title}: {summary.outdir}"]
    lines += [f"  {name}: {value}" for name, value in _rows(summary)]
    return lines


def render_summary(summary: RunSummary, console: Console) -> None:
    """The summary as a table, for a terminal."""
    from rich.table import Table
    from rich.text import Text

    title = "copygen generate --repair" if summary.repair is not None else "copygen generate"
    if summary.interrupted:
        title += " — interrupted"
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("", style="bold")
    table.add_column("")
    flagged = {
        "errors": "red" if summary.errors else "",
        "blocked": "red" if summary.count("blocked") else "",
        "needs review": "yellow" if summary.count("review") else "",
    }
    for name, value in _rows(summary):
        table.add_row(Text(name), Text(value, style=flagged.get(name, "")))
    console.print(table)
