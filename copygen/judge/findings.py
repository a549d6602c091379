"""A judge's violations -> findings, added to what the rules found.

The rules stay the ground truth for what they cover: a judge finding never replaces
or downgrades a rule finding, and one that overlaps a rule finding of the same
category in the same field adds nothing. Every violation that does not become a
finding is counted by why: its quote is not in the text, its category is unknown,
or the rules (or an earlier violation) already said it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from copygen.compliance.categories import CATEGORY_INFO, SEMANTIC_CATEGORIES
from copygen.compliance.findings import CheckResult, Finding
from copygen.judge.quotes import locate
from copygen.judge.reply import Violation

__all__ = [
    "JUDGE_RULE_PREFIX",
    "UNAVAILABLE_RULE",
    "Merged",
    "merge_violations",
    "unavailable_finding",
]

JUDGE_RULE_PREFIX = "judge."
UNAVAILABLE_RULE = "judge.unavailable"
#: Why a violation did not become a finding (the keys of ``Merged.dropped``).
NOT_IN_TEXT = "quote_not_in_text"
UNKNOWN_CATEGORY = "unknown_category"
ALREADY_FOUND = "already_found"

_MESSAGES = {
    "zh": "AI 评审：{reason}",
    "en": "AI judge: {reason}",
}
_NO_REASON = {"zh": "可能违反{label}相关规定", "en": "may break the rules on {label}"}


@dataclass
class Merged:
    """The result with the judge's findings added, and what was left out and why."""

    result: CheckResult
    added: list[Finding] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)


def merge_violations(
    result: CheckResult,
    violations: Sequence[Violation],
    items: Sequence[tuple[str, str]],
    *,
    severity: str,
    locale: str,
) -> Merged:
    """``result`` plus one finding per violation whose quote is in ``items`` (the
    checked ``(field, text)`` pairs) and whose category the judge may use."""
    merged = Merged(result=result)
    taken: list[Finding] = list(result.findings)
    for violation in violations:
        category = category_named(violation.category)
        if category is None:
            merged.dropped[UNKNOWN_CATEGORY] += 1
            continue
        spans = locate(violation.quote, items)
        if not spans:
            merged.dropped[NOT_IN_TEXT] += 1
            continue
        new = [
            _finding(
                category,
                span.field,
                span.start,
                span.end,
                span.text,
                violation.reason,
                severity=severity,
                locale=locale,
            )
            for span in spans
        ]
        fresh = [f for f in new if not _covered(f, taken)]
        if not fresh:
            merged.dropped[ALREADY_FOUND] += 1
            continue
        taken.extend(fresh)
        merged.added.extend(fresh)
    if merged.added:
        merged.result = CheckResult.from_findings([*result.findings, *merged.added])
    return merged


def category_named(raw: str) -> str | None:
    """The category a judge meant: its name (``medical_claim``, ``Medical claim``), its
    label (医疗用语, "medical claims") or the prompt's ``name（label）``; None if none."""
    return _CATEGORY_NAMES.get(_category_key(re.split(r"[（(]", raw, maxsplit=1)[0]))


def _category_key(text: str) -> str:
    return re.sub(r"[\s_\-]+", "_", text.strip().lower()).strip("_")


_CATEGORY_NAMES: dict[str, str] = {}
for _name in SEMANTIC_CATEGORIES:
    _info = CATEGORY_INFO[_name]
    for _alias in (_name, _info.label_zh, _info.label_en, _info.label_en.rstrip("s")):
        _CATEGORY_NAMES[_category_key(_alias)] = _name


def unavailable_finding(reason: str, *, severity: str, locale: str) -> Finding:
    """The finding of a judge that could not answer: ``warn`` holds the item for a
    person (``on_error: review``), ``info`` lets it through (``on_error: pass``)."""
    message = (
        f"AI 评审未完成：{reason}" if locale == "zh" else f"The AI judge did not answer: {reason}"
    )
    suggestion = (
        "请人工审核这条文案，或稍后重新运行评审"
        if locale == "zh"
        else "Review this text by hand, or run the judge again later"
    )
    return Finding(
        rule=UNAVAILABLE_RULE,
        category="format",
        severity=severity,
        field="",
        start=0,
        end=0,
        text="",
        message=message,
        law="",
        suggestion=suggestion,
    )


def _finding(
    category: str,
    field_name: str,
    start: int,
    end: int,
    text: str,
    reason: str,
    *,
    severity: str,
    locale: str,
) -> Finding:
    info = CATEGORY_INFO[category]
    why = reason or _NO_REASON[locale].format(label=info.label(locale))
    return Finding(
        rule=f"{JUDGE_RULE_PREFIX}{category}",
        category=category,
        severity=severity,
        field=field_name,
        start=start,
        end=end,
        text=text,
        message=_MESSAGES[locale].format(reason=why),
        law=info.law,
        suggestion=info.suggestion(locale),
    )


def _covered(finding: Finding, existing: Iterable[Finding]) -> bool:
    """Said already: a finding of the same category overlapping it in the same field."""
    return any(
        other.category == finding.category
        and other.field == finding.field
        and other.start < finding.end
        and finding.start < other.end
        for other in existing
    )
