"""The numbers of a comparison: one backend's folder measured, and backends set side by side.

Pure functions over the backends' output folders (``results.jsonl``), no network.
Rates are fractions (0–1) of the backend's items, errors included, so a backend
that fails often cannot look better by leaving its failures out. Each pass rate
comes with its Wilson 95% interval: with a sample of a few dozen rows the interval
is wide, and two backends whose intervals overlap may well be equally good.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copygen.compare.records import backend_folder, fields_text, item_key, load_records

__all__ = [
    "Z_95",
    "BackendMetrics",
    "backend_metrics",
    "differences",
    "measure",
    "side_by_side",
    "two_proportion_z",
    "wilson",
]

#: The normal quantile of a two-sided 95% interval or test.
Z_95 = 1.96
#: The backend that runs without a paid API: an unknown price does not make its cost unknown.
OFFLINE_BACKEND = "offline"


def wilson(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of ``successes`` out of ``n`` (95% for z = 1.96).

    Unlike the textbook ``p ± z·sqrt(p(1-p)/n)`` it stays inside [0, 1] and is not
    zero-width at 0/n or n/n, which matters for the small samples of a POC.
    None for n == 0 (no items, no rate).
    """
    if n <= 0:
        return None
    successes = min(max(successes, 0), n)
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> float | None:
    """The pooled two-proportion z statistic of x1/n1 against x2/n2.

    None when it is undefined: a sample is empty, or the pooled proportion is 0 or 1
    (both backends all-pass or all-fail, i.e. no difference to test).
    """
    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return None
    return (x1 / n1 - x2 / n2) / se


@dataclass
class BackendMetrics:
    """One backend of a comparison, measured over its folder's records.

    ``counts`` holds raw numbers (per status, plus ``pass_first``); the rates are
    fractions of ``items`` (None when there are no items). Cost is None when some
    paid item has no known price (tokens spent at an unknown price).
    """

    name: str
    model: str | None = None
    backend: str | None = None
    items: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    pass_first_count: int = 0
    repairs: int = 0  # drafts beyond the first, over items with a text
    format_ok_count: int = 0  # items with a text and no ``format`` finding
    cost_total: float | None = 0.0
    currency: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cached_tokens: int = 0
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    findings_by_category: dict[str, int] = field(default_factory=dict)
    judge_cost: float | None = None  # None: no record was judged (or a judge price unknown)
    judge_items: int = 0

    def count(self, status: str) -> int:
        return self.counts.get(status, 0)

    def _share(self, count: int) -> float | None:
        return None if self.items == 0 else count / self.items

    @property
    def passed(self) -> int:
        return self.count("pass")

    @property
    def errors(self) -> int:
        return self.count("error")

    @property
    def texts(self) -> int:
        """Items with a text: every status but error."""
        return self.items - self.errors

    @property
    def pass_first(self) -> float | None:
        """Share of items that passed on the first draft (never repaired)."""
        return self._share(self.pass_first_count)

    @property
    def pass_final(self) -> float | None:
        """文案合格率: share of items that pass after repairs."""
        return self._share(self.passed)

    @property
    def review(self) -> float | None:
        return self._share(self.count("review"))

    @property
    def blocked(self) -> float | None:
        return self._share(self.count("blocked"))

    @property
    def error_rate(self) -> float | None:
        return self._share(self.errors)

    @property
    def pass_first_ci(self) -> tuple[float, float] | None:
        return wilson(self.pass_first_count, self.items)

    @property
    def pass_final_ci(self) -> tuple[float, float] | None:
        return wilson(self.passed, self.items)

    @property
    def repairs_per_item(self) -> float | None:
        return None if self.texts == 0 else self.repairs / self.texts

    @property
    def format_ok(self) -> float | None:
        """Share of items with a text that have no ``format`` finding."""
        return None if self.texts == 0 else self.format_ok_count / self.texts

    @property
    def cost_per_text(self) -> float | None:
        if self.cost_total is None or self.texts == 0:
            return None
        return self.cost_total / self.texts

    @property
    def cost_per_publishable(self) -> float | None:
        """单条文案生成成本: all the money spent, over the texts that pass."""
        if self.cost_total is None or self.passed == 0:
            return None
        return self.cost_total / self.passed

    def to_dict(self) -> dict[str, Any]:
        first_ci, final_ci = self.pass_first_ci, self.pass_final_ci
        return {
            "name": self.name,
            "model": self.model,
            "backend": self.backend,
            "items": self.items,
            "texts": self.texts,
            "pass_first": self.pass_first,
            "pass_first_ci": list(first_ci) if first_ci else None,
            "pass_final": self.pass_final,
            "pass_final_ci": list(final_ci) if final_ci else None,
            "review": self.review,
            "blocked": self.blocked,
            "errors": self.error_rate,
            "counts": {**self.counts, "pass_first": self.pass_first_count},
            "repairs_per_item": self.repairs_per_item,
            "format_ok": self.format_ok,
            "findings_by_category": dict(self.findings_by_category),
            "cost_total": self.cost_total,
            "currency": self.currency,
            "cost_per_text": self.cost_per_text,
            "cost_per_publishable": self.cost_per_publishable,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "cached_tokens": self.cached_tokens,
            "latency_p50_ms": self.latency_p50_ms,
            "latency_p95_ms": self.latency_p95_ms,
            "judge_cost": self.judge_cost,
            "judge_items": self.judge_items,
        }


def _usage(record: Mapping[str, Any]) -> tuple[int, int, int]:
    usage = record.get("usage")
    if not isinstance(usage, Mapping):
        return 0, 0, 0
    return (
        int(usage.get("prompt_tokens", 0) or 0),
        int(usage.get("completion_tokens", 0) or 0),
        int(usage.get("cached_tokens", 0) or 0),
    )


def _findings(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [f for f in record.get("findings") or () if isinstance(f, Mapping)]


def measure(name: str, records: Iterable[Mapping[str, Any]]) -> BackendMetrics:
    """:func:`backend_metrics` over records already read (streaming, one pass).

    Counts, tokens, cost, latency and the judge's cost come from the same
    ``SummaryBuilder`` as ``generate``'s summary and the report, so the three never
    disagree; what only a comparison needs is counted here."""
    from copygen.generate.summary import RunSummary, SummaryBuilder

    m = BackendMetrics(name=name)
    numbers = SummaryBuilder()
    categories: dict[str, int] = {}
    for record in records:
        if numbers.items == 0:
            # An offline backend costs nothing: no price makes its cost unknown.
            numbers.priced = str(record.get("backend") or "") != OFFLINE_BACKEND
        numbers.add(record)
        status = str(record.get("status"))
        m.model = m.model or (str(record["model"]) if record.get("model") else None)
        m.backend = m.backend or (str(record["backend"]) if record.get("backend") else None)
        attempts = record.get("attempts")
        attempts = attempts if isinstance(attempts, int) and attempts > 0 else 1
        if status == "pass" and attempts == 1:
            m.pass_first_count += 1
        if status == "error":
            continue
        m.repairs += attempts - 1
        findings = _findings(record)
        if not any(f.get("category") == "format" for f in findings):
            m.format_ok_count += 1
        for finding in findings:
            category = str(finding.get("category") or "")
            categories[category] = categories.get(category, 0) + 1
    run = numbers.fill(RunSummary(outdir=Path(".")))
    m.items = run.items
    m.counts = dict(run.counts)
    m.tokens_in, m.tokens_out, m.cached_tokens = (
        run.prompt_tokens,
        run.completion_tokens,
        run.cached_tokens,
    )
    m.cost_total = run.cost
    m.currency = run.currency
    m.latency_p50_ms, m.latency_p95_ms = run.latency_p50_ms, run.latency_p95_ms
    m.judge_items = run.judge_items
    m.judge_cost = run.judge_cost if run.judge_items else None
    m.findings_by_category = dict(sorted(categories.items(), key=lambda kv: (-kv[1], kv[0])))
    return m


def backend_metrics(name: str, folder: Path) -> BackendMetrics:
    """The metrics of one backend's output folder (its ``results.jsonl``)."""
    return measure(name, load_records(folder))


def _difference(a: BackendMetrics, b: BackendMetrics, which: str) -> dict[str, Any]:
    if which == "pass_first":
        xa, xb = a.pass_first_count, b.pass_first_count
        ra, rb = a.pass_first, b.pass_first
    else:
        xa, xb = a.passed, b.passed
        ra, rb = a.pass_final, b.pass_final
    z = two_proportion_z(xa, a.items, xb, b.items)
    return {
        "a": ra,
        "b": rb,
        "diff": None if ra is None or rb is None else ra - rb,
        "z": z,
        "within_noise": z is None or abs(z) < Z_95,
    }


def differences(metrics: Sequence[BackendMetrics]) -> list[dict[str, Any]]:
    """For each pair of backends, is the difference in pass rate real or noise?

    The test is a two-proportion z-test at 95%, pooled: with p the pooled share
    of passing items over both backends, ``z = (p_a - p_b) / sqrt(p(1-p)(1/n_a +
    1/n_b))``, and the difference is *within the noise* when ``|z| < 1.96``.
    Equal proportions, an empty backend or a pooled share of 0 or 1 are within
    the noise. The test is run on the final pass rate (文案合格率: ``within_noise``,
    the headline) and on the first-draft pass rate (``pass_first_within_noise``).

    The visual cue on the page is the Wilson intervals: when two backends'
    intervals overlap widely, do not pick a vendor on that difference; collect
    more rows. (Overlapping intervals are a rougher, more conservative check than
    the test: slightly overlapping intervals can still be a significant difference.)
    """
    out: list[dict[str, Any]] = []
    for a, b in itertools.combinations(metrics, 2):
        final = _difference(a, b, "pass_final")
        first = _difference(a, b, "pass_first")
        out.append(
            {
                "a": a.name,
                "b": b.name,
                "n_a": a.items,
                "n_b": b.items,
                "pass_final_a": final["a"],
                "pass_final_b": final["b"],
                "pass_final_diff": final["diff"],
                "z": final["z"],
                "within_noise": final["within_noise"],
                "pass_first_a": first["a"],
                "pass_first_b": first["b"],
                "pass_first_diff": first["diff"],
                "pass_first_z": first["z"],
                "pass_first_within_noise": first["within_noise"],
            }
        )
    return out


def _key_dict(record: Mapping[str, Any]) -> dict[str, Any]:
    sku, platform, lang, variant = item_key(record)
    return {"sku": sku, "platform": platform, "lang": lang, "variant": variant}


def _product_title(record: Mapping[str, Any]) -> str | None:
    product = record.get("product")
    if isinstance(product, Mapping) and product.get("title"):
        return str(product["title"])
    return None


def _entry(record: Mapping[str, Any]) -> dict[str, Any]:
    fields = record.get("fields") if isinstance(record.get("fields"), Mapping) else None
    return {
        "id": record.get("id"),
        "status": record.get("status"),
        "fields": fields,
        "findings": _findings(record),
        "text": fields_text(fields),
        "error": record.get("error"),
    }


def side_by_side(outdir: Path, names: Sequence[str]) -> list[dict[str, Any]]:
    """Every task (sku, platform, lang, variant) with each backend's copy, side by side.

    One group per :func:`~copygen.compare.records.item_key`, in the order of the
    first backend's records, then any keys only later backends have. Each group:
    ``{"key": {sku, platform, lang, variant}, "product_title": str | None,
    "backends": {name: {id, status, fields, findings, text, error}}}``; a backend
    without a record for the task is absent from ``backends``.

    Only what the page shows is kept (no prompts, products or usage), so memory
    grows with the copy itself: meant for the sample of rows a comparison runs on.
    """
    groups: dict[tuple[str, str, str, int], dict[str, Any]] = {}
    for name in names:
        for record in load_records(backend_folder(outdir, name)):
            key = item_key(record)
            group = groups.get(key)
            if group is None:
                group = {"key": _key_dict(record), "product_title": None, "backends": {}}
                groups[key] = group
            if group["product_title"] is None:
                group["product_title"] = _product_title(record)
            group["backends"][name] = _entry(record)
    return list(groups.values())
