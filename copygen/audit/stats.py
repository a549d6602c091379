"""``copygen audit stats`` and ``show``: figures and one-line summaries from events.

Fields read (see :mod:`copygen.audit.events`): every event's ``run`` and
``event``; ``item`` of generated/checked/repaired/reviewed; ``checked``:
``attempt``, ``status``, ``findings[].category``; ``generated``: ``backend``,
``model``, ``usage.{prompt,completion,total}_tokens``, ``cost``, ``currency``,
``cached``, ``error``; ``reviewed``: ``decision``. Cached replies count as calls
served from the cache: their tokens and cost are not counted again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from copygen.terminal import visible

_TOKEN_KEYS = ("prompt_tokens", "completion_tokens", "total_tokens")
_ITEM_EVENTS = frozenset({"generated", "checked", "judged", "repaired", "reviewed"})


@dataclass
class AuditStats:
    events: int = 0
    runs: int = 0
    items: int = 0
    checked: int = 0  # items with at least one checked event
    statuses: dict[str, int] = field(default_factory=dict)  # latest state per item
    pass_rate: float | None = None  # latest check passed / items checked
    first_pass_rate: float | None = None  # attempt-1 check passed / items checked
    repairs: int = 0
    reviews: dict[str, int] = field(default_factory=dict)
    findings_found: dict[str, int] = field(default_factory=dict)  # all checks
    findings_remaining: dict[str, int] = field(default_factory=dict)  # latest check per item
    calls: int = 0
    cached: int = 0
    failed_calls: int = 0
    tokens: dict[str, int] = field(default_factory=dict)
    cost: dict[str, float] = field(default_factory=dict)  # per currency
    models: dict[str, int] = field(default_factory=dict)  # "backend/model" -> calls
    exports: int = 0
    judge_calls: int = 0  # judge requests sent (``judged`` events), not from the cache
    judge_added: int = 0  # findings the judge added
    judge_tokens: dict[str, int] = field(default_factory=dict)
    judge_cost: dict[str, float] = field(default_factory=dict)  # per currency

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _add_spend(ev: Mapping[str, Any], tokens: dict[str, int], cost: dict[str, float]) -> None:
    """Add an event's ``usage`` tokens and its ``cost`` (by ``currency``)."""
    usage = ev.get("usage")
    if isinstance(usage, Mapping):
        for key in _TOKEN_KEYS:
            tokens[key] += _int(usage.get(key))
    amount = ev.get("cost")
    if isinstance(amount, (int, float)) and not isinstance(amount, bool):
        currency = str(ev.get("currency") or "USD")
        cost[currency] = cost.get(currency, 0.0) + float(amount)


def compute_stats(events: Iterable[Mapping[str, Any]]) -> AuditStats:
    stats = AuditStats(
        tokens=dict.fromkeys(_TOKEN_KEYS, 0), judge_tokens=dict.fromkeys(_TOKEN_KEYS, 0)
    )
    judge_cost: dict[str, float] = {}
    runs: set[str] = set()
    items: set[str] = set()
    latest: dict[str, str] = {}  # item -> latest status (check, then review decision)
    latest_check: dict[str, str] = {}  # item -> status of its latest check
    latest_findings: dict[str, list[Any]] = {}
    checked_items: set[str] = set()
    first_pass: set[str] = set()
    generated_error: dict[str, bool] = {}
    found: Counter[str] = Counter()
    reviews: Counter[str] = Counter()
    models: Counter[str] = Counter()
    cost: dict[str, float] = {}
    for ev in events:
        stats.events += 1
        runs.add(str(ev.get("run")))
        kind = ev.get("event")
        item = ev.get("item")
        if kind in _ITEM_EVENTS and isinstance(item, str):
            items.add(item)
        if kind == "generated":
            if isinstance(item, str):
                generated_error[item] = bool(ev.get("error"))
            if ev.get("error"):
                stats.failed_calls += 1
            if ev.get("cached"):
                stats.cached += 1
                continue
            stats.calls += 1
            models[f"{ev.get('backend') or '?'}/{ev.get('model') or '-'}"] += 1
            _add_spend(ev, stats.tokens, cost)
        elif kind == "checked" and isinstance(item, str):
            status = str(ev.get("status") or "?")
            findings = ev.get("findings") if isinstance(ev.get("findings"), list) else []
            checked_items.add(item)
            latest[item] = latest_check[item] = status
            latest_findings[item] = findings or []
            if ev.get("attempt", 1) == 1 and status == "pass":
                first_pass.add(item)
            for finding in findings or []:
                if isinstance(finding, Mapping):
                    found[str(finding.get("category") or "?")] += 1
        elif kind == "judged":
            added = ev.get("added")
            stats.judge_added += len(added) if isinstance(added, list) else 0
            if ev.get("cached"):
                continue
            responses = ev.get("responses")
            stats.judge_calls += len(responses) if isinstance(responses, list) else 1
            _add_spend(ev, stats.judge_tokens, judge_cost)
        elif kind == "repaired":
            stats.repairs += 1
        elif kind == "reviewed":
            decision = str(ev.get("decision") or "?")
            reviews[decision] += 1
            if isinstance(item, str):
                # An undo puts the item back to the status it had before the decision.
                after = ev.get("after")
                if decision == "undone" and isinstance(after, Mapping) and after.get("status"):
                    latest[item] = str(after["status"])
                else:
                    latest[item] = decision
        elif kind == "exported":
            stats.exports += 1
    for item in items - set(latest):
        latest[item] = "error" if generated_error.get(item) else "unchecked"
    remaining: Counter[str] = Counter()
    for findings in latest_findings.values():
        for finding in findings:
            if isinstance(finding, Mapping):
                remaining[str(finding.get("category") or "?")] += 1
    stats.runs = len(runs)
    stats.items = len(items)
    stats.checked = len(checked_items)
    stats.statuses = dict(sorted(Counter(latest.values()).items()))
    if checked_items:
        # The checker's verdict, before any person's review.
        passed = sum(1 for status in latest_check.values() if status == "pass")
        stats.pass_rate = passed / len(checked_items)
        stats.first_pass_rate = len(first_pass) / len(checked_items)
    stats.reviews = dict(sorted(reviews.items()))
    stats.findings_found = dict(found.most_common())
    stats.findings_remaining = dict(remaining.most_common())
    stats.models = dict(models.most_common())
    stats.cost = {k: round(v, 6) for k, v in sorted(cost.items())}
    stats.judge_cost = {k: round(v, 6) for k, v in sorted(judge_cost.items())}
    return stats


def format_stats(stats: AuditStats) -> str:
    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value * 100:.1f}%"

    statuses = ", ".join(f"{k} {v}" for k, v in stats.statuses.items()) or "-"
    lines = [
        f"events       {stats.events} in {stats.runs} run{'' if stats.runs == 1 else 's'}",
        f"items        {stats.items} ({statuses})",
        f"checked      {stats.checked}; pass rate {pct(stats.pass_rate)}, "
        f"first-attempt pass rate {pct(stats.first_pass_rate)}; repairs {stats.repairs}",
    ]
    if stats.reviews:
        lines.append("reviews      " + ", ".join(f"{k} {v}" for k, v in stats.reviews.items()))
    models = ", ".join(f"{k} {v}" for k, v in stats.models.items()) or "-"
    lines.append(
        f"model calls  {stats.calls} (cached {stats.cached}, failed {stats.failed_calls}); {models}"
    )
    lines.append(
        "tokens       "
        + "  ".join(f"{k.split('_')[0]} {stats.tokens.get(k, 0):,}" for k in _TOKEN_KEYS)
    )
    cost = ", ".join(f"{v:.4f} {k}" for k, v in stats.cost.items()) or "-"
    lines.append(f"cost         {cost}")
    if stats.judge_calls or stats.judge_added:
        judge_cost = ", ".join(f"{v:.4f} {k}" for k, v in stats.judge_cost.items()) or "-"
        tokens = stats.judge_tokens
        lines.append(
            f"judge        {stats.judge_calls} calls, {stats.judge_added} findings added; "
            f"tokens prompt {tokens.get('prompt_tokens', 0):,} completion "
            f"{tokens.get('completion_tokens', 0):,}; cost {judge_cost}"
        )
    lines.append(f"exports      {stats.exports}")
    categories = sorted(
        set(stats.findings_found) | set(stats.findings_remaining),
        key=lambda c: (-stats.findings_found.get(c, 0), c),
    )
    if categories:
        width = max(len(c) for c in categories)
        lines.append(f"findings     {'category'.ljust(width)}  found  remaining")
        for cat in categories:
            lines.append(
                f"             {cat.ljust(width)}  {stats.findings_found.get(cat, 0):>5}"
                f"  {stats.findings_remaining.get(cat, 0):>9}"
            )
    else:
        lines.append("findings     none")
    # Model names and categories are read from the log, which anyone may have edited.
    return "\n".join(visible(line) for line in lines)


def _short(value: Any, width: int = 12) -> str:
    text = str(value)
    return text if len(text) <= width else text[:width] + "…"


def describe(ev: Mapping[str, Any]) -> str:
    """One human line summarising an event's payload."""
    kind = ev.get("event")
    if kind == "run_started":
        inp = ev.get("input") if isinstance(ev.get("input"), Mapping) else {}
        platforms = ",".join(ev.get("platforms") or []) or "-"
        return (
            f"{ev.get('command') or 'run'} copygen {ev.get('version') or '?'} "
            f"backend={ev.get('backend') or '-'} model={ev.get('model') or '-'} "
            f"platforms={platforms} input={(inp or {}).get('path') or '-'}"
        )
    if kind == "generated":
        usage = ev.get("usage") if isinstance(ev.get("usage"), Mapping) else {}
        parts = [
            f"attempt={ev.get('attempt', '?')}",
            f"{ev.get('backend') or '?'}/{ev.get('model') or '-'}",
            f"tokens={(usage or {}).get('total_tokens', '-')}",
        ]
        if ev.get("cost") is not None:
            parts.append(f"cost={ev.get('cost')}")
        if ev.get("latency_ms") is not None:
            parts.append(f"latency={ev.get('latency_ms')}ms")
        if ev.get("cached"):
            parts.append("cached")
        if ev.get("error"):
            parts.append(f"error={ev.get('error')}")
        return " ".join(parts)
    if kind == "checked":
        findings = ev.get("findings") if isinstance(ev.get("findings"), list) else []
        cats = Counter(str(f.get("category")) for f in findings or [] if isinstance(f, Mapping))
        detail = ", ".join(f"{c}×{n}" if n > 1 else c for c, n in cats.items())
        text = (
            f"attempt={ev.get('attempt', '?')} status={ev.get('status')} "
            f"findings={len(findings or [])}"
        )
        return f"{text} ({detail})" if detail else text
    if kind == "judged":
        added = ev.get("added") if isinstance(ev.get("added"), list) else []
        parts = [
            f"attempt={ev.get('attempt', '?')}",
            f"{ev.get('backend') or '?'}/{ev.get('model') or '-'}",
            f"status={ev.get('status_before')}->{ev.get('status')}",
            f"added={len(added or [])}",
        ]
        if ev.get("cost") is not None:
            parts.append(f"cost={ev.get('cost')}")
        if ev.get("cached"):
            parts.append("cached")
        if ev.get("error"):
            parts.append(f"error={ev.get('error')}")
        return " ".join(parts)
    if kind == "repaired":
        fixed = ev.get("findings_fixed") or []
        left = ev.get("findings_remaining") or []
        return (
            f"attempt={ev.get('attempt', '?')} fixed={len(fixed)} remaining={len(left)} "
            f"status={ev.get('status')}"
        )
    if kind == "reviewed":
        text = f"{ev.get('decision')} by {ev.get('reviewer')}"
        if ev.get("forced"):
            text += " (forced)"
        if ev.get("edited"):
            text += " (edited)"
        if ev.get("reason"):
            text += f": {ev.get('reason')}"
        return text
    if kind == "recorded":
        return f"status={ev.get('status')} record={_short(ev.get('record_sha256'))}"
    if kind == "exported":
        return (
            f"{ev.get('format')} {ev.get('path')} items={ev.get('items')} "
            f"sha256={_short(ev.get('sha256'))}"
        )
    if kind == "run_finished":
        counts = ev.get("counts") if isinstance(ev.get("counts"), Mapping) else {}
        return " ".join(f"{k}={v}" for k, v in (counts or {}).items()) or "finished"
    if kind == "recovered":
        if ev.get("action") == "completed":
            return f"completed a line missing its line ending at byte {ev.get('offset')}"
        return (
            f"cut {ev.get('removed_bytes')} bytes of a torn line at byte {ev.get('offset')} "
            f"(sha256 {_short(ev.get('removed_sha256'))})"
        )
    return ""


def format_event(ev: Mapping[str, Any]) -> str:
    """``seq ts run event item summary`` on one line, safe for a terminal.

    Item ids, reasons, reviewer names and error texts come from product files, model
    servers and people; a control character among them is shown as an escape, so an
    event can neither move the cursor nor break into a second, forged line.
    """
    item = ev.get("item") or "-"
    return visible(
        f"{ev.get('seq', '?'):>6}  {ev.get('ts', '?')}  {_short(ev.get('run', '?'), 32)}  "
        f"{ev.get('event', '?')!s:<12}  {item}  {describe(ev)}"
    ).rstrip()
