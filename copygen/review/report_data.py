"""The numbers of a batch: what the report shows, computed from result records.

Also the batch's vocabulary (status order, bilingual labels for statuses, platforms
and finding categories), shared by every rendering of these numbers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

__all__ = [
    "CATEGORY_LABELS",
    "PLATFORM_LABELS",
    "SEVERITY_RANK",
    "STATUS_LABELS",
    "STATUS_ORDER",
    "ReportData",
    "summarize",
]

STATUS_ORDER: tuple[str, ...] = ("pass", "approved", "review", "blocked", "rejected", "error")
STATUS_LABELS: dict[str, str] = {
    "pass": "合格 pass",
    "approved": "已通过 approved",
    "review": "待审核 review",
    "blocked": "已拦截 blocked",
    "rejected": "已驳回 rejected",
    "error": "失败 error",
}
PLATFORM_LABELS: dict[str, str] = {
    "livestream": "直播脚本 livestream",
    "social": "社交图文 social",
    "detail": "详情页 detail",
}
CATEGORY_LABELS: dict[str, str] = {
    "absolute_term": "绝对化用语",
    "authority_endorsement": "权威背书",
    "medical_claim": "医疗用语",
    "cosmetics_claim": "化妆品功效",
    "guarantee_claim": "保证承诺",
    "price_fraud": "价格欺诈",
    "false_scarcity": "虚假稀缺",
    "superstition": "封建迷信",
    "discrimination": "歧视",
    "vulgar": "低俗",
    "sensitive": "敏感内容",
    "comparative_disparagement": "贬低竞品",
    "platform_diversion": "站外导流",
    "personal_data": "个人信息",
    "unsupported_fact": "无依据事实",
    "language_mismatch": "语言不符",
    "format": "格式",
}
SEVERITY_RANK = {"block": 3, "warn": 2, "info": 1}


@dataclass
class ReportData:
    """The numbers of a batch, computed once and shown in the report.

    Counts, pass rate, tokens, cost and latency come from
    :func:`copygen.generate.summary.summarise`, so the report and the end-of-run summary
    of ``copygen generate`` never disagree.
    """

    title: str
    generated_at: str
    total: int
    by_status: dict[str, int]
    by_platform: dict[str, dict[str, int]]
    by_category: dict[str, int]
    by_rule: dict[str, int]
    rule_severity: dict[str, str]
    rule_info: dict[str, tuple[str, str]]  # rule -> (category, law), as its findings say
    texts: int  # items that produced a text (everything but errors)
    passed: int
    publishable: int  # pass + approved
    pass_rate: float | None  # 文案合格率: pass / all items
    cost_total: float | None  # None: some tokens have no known price
    currency: str | None
    cost_per_text: float | None
    latency_p50: float | None
    latency_p95: float | None
    tokens: int
    # The LLM judge, counted apart from generation (zero items: no judge in this batch).
    judge_items: int = 0
    judge_added: int = 0
    judge_cost: float | None = 0.0
    judge_currency: str | None = None
    judge_cost_per_text: float | None = None
    judge_tokens: int = 0
    flagged: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    # The audit log's state when the report was made (copygen.audit.verify), if found.
    audit: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "audit": self.audit,
            "title": self.title,
            "generated_at": self.generated_at,
            "total": self.total,
            "by_status": self.by_status,
            "by_platform": self.by_platform,
            "by_category": self.by_category,
            "by_rule": self.by_rule,
            "texts": self.texts,
            "passed": self.passed,
            "publishable": self.publishable,
            "pass_rate": self.pass_rate,
            "cost_total": self.cost_total,
            "currency": self.currency,
            "cost_per_text": self.cost_per_text,
            "latency_p50": self.latency_p50,
            "latency_p95": self.latency_p95,
            "tokens": self.tokens,
            "judge": {
                "items": self.judge_items,
                "added": self.judge_added,
                "cost": self.judge_cost,
                "currency": self.judge_currency,
                "cost_per_text": self.judge_cost_per_text,
                "tokens": self.judge_tokens,
            },
            "flagged": len(self.flagged),
            "errors": len(self.errors),
        }


def summarize(items: Iterable[Mapping[str, Any]], *, title: str = "copygen report") -> ReportData:
    """Every number the report shows, from result items (results.jsonl records)."""
    from copygen.generate.summary import RunSummary, summarise

    records = [dict(raw) for raw in items]
    # Offline items cost nothing; only items from a paid backend can make the cost unknown.
    priced = any(r.get("backend") not in (None, "offline") for r in records)
    run = summarise(records, RunSummary(outdir=Path(".")), priced=priced)
    by_platform: dict[str, Counter[str]] = {}
    by_category: Counter[str] = Counter()
    by_rule: Counter[str] = Counter()
    rule_severity: dict[str, str] = {}
    rule_info: dict[str, tuple[str, str]] = {}
    flagged: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for item in records:
        status = str(item.get("status"))
        platform = str(item.get("platform") or "?")
        by_platform.setdefault(platform, Counter())[status] += 1
        findings = [f for f in item.get("findings") or [] if isinstance(f, Mapping)]
        for finding in findings:
            by_category[str(finding.get("category", "?"))] += 1
            rule = str(finding.get("rule", "?"))
            by_rule[rule] += 1
            severity = str(finding.get("severity", "info"))
            if SEVERITY_RANK.get(severity, 0) > SEVERITY_RANK.get(rule_severity.get(rule, ""), 0):
                rule_severity[rule] = severity
            rule_info.setdefault(
                rule, (str(finding.get("category", "")), str(finding.get("law") or ""))
            )
        if status == "error":
            errors.append(item)
        elif any(f.get("severity") in ("block", "warn") for f in findings) or item.get("review"):
            # A reviewed item was flagged once, even if an edit has cleared its findings.
            flagged.append(item)
    status_rank = {s: i for i, s in enumerate(("blocked", "review", "rejected", "approved"))}
    flagged.sort(key=lambda it: (status_rank.get(str(it.get("status")), 9), str(it.get("id", ""))))
    by_status = run.counts
    return ReportData(
        title=title,
        generated_at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        total=run.items,
        by_status={s: by_status[s] for s in _ordered(by_status, STATUS_ORDER)},
        by_platform={
            p: {s: c[s] for s in _ordered(c, STATUS_ORDER)}
            for p, c in sorted(by_platform.items(), key=lambda kv: _platform_key(kv[0]))
        },
        by_category=dict(by_category.most_common()),
        by_rule=dict(by_rule.most_common()),
        rule_severity=rule_severity,
        rule_info=rule_info,
        texts=run.texts,
        passed=run.count("pass"),
        publishable=run.count("pass") + run.count("approved"),
        pass_rate=run.pass_rate,
        cost_total=run.cost,
        currency=run.currency,
        cost_per_text=run.cost_per_text,
        latency_p50=run.latency_p50_ms,
        latency_p95=run.latency_p95_ms,
        tokens=run.tokens,
        judge_items=run.judge_items,
        judge_added=run.judge_added,
        judge_cost=run.judge_cost,
        judge_currency=run.judge_currency,
        judge_cost_per_text=run.judge_cost_per_text,
        judge_tokens=run.judge_prompt_tokens + run.judge_completion_tokens,
        flagged=flagged,
        errors=errors,
    )


def _ordered(counter: Mapping[str, int], order: Sequence[str]) -> list[str]:
    known = [s for s in order if counter.get(s)]
    return known + sorted(s for s in counter if s not in order and counter[s])


def _platform_key(name: str) -> tuple[int, str]:
    order = list(PLATFORM_LABELS)
    return (order.index(name) if name in order else len(order), name)
