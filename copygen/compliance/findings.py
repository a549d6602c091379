"""What the checker reports: findings, item results, and the fixed vocabularies.

A ``Finding`` is one hit of one rule in one field. Its ``start``/``end`` index the
*original* text of that field (or list item), so ``text == field_text[start:end]``
always holds, whatever normalisation the matcher used internally.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

SEVERITIES: tuple[str, ...] = ("block", "warn", "info")
SEVERITY_RANK: dict[str, int] = {"block": 3, "warn": 2, "info": 1}

# The 17 fixed categories of DESIGN.md; a rule belongs to exactly one.
CATEGORIES: tuple[str, ...] = (
    "absolute_term",
    "authority_endorsement",
    "medical_claim",
    "cosmetics_claim",
    "guarantee_claim",
    "price_fraud",
    "false_scarcity",
    "superstition",
    "discrimination",
    "vulgar",
    "sensitive",
    "comparative_disparagement",
    "platform_diversion",
    "personal_data",
    "unsupported_fact",
    "language_mismatch",
    "format",
)

STATUSES: tuple[str, ...] = ("pass", "review", "blocked")


@dataclass(frozen=True)
class Finding:
    rule: str
    category: str
    severity: str
    field: str
    start: int
    end: int
    text: str
    message: str
    law: str
    suggestion: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def status_for(findings: Iterable[Finding]) -> str:
    """``blocked`` if any block, ``review`` if any warn, else ``pass`` (info never holds)."""
    worst = max((SEVERITY_RANK[f.severity] for f in findings), default=0)
    if worst >= SEVERITY_RANK["block"]:
        return "blocked"
    if worst >= SEVERITY_RANK["warn"]:
        return "review"
    return "pass"


@dataclass
class CheckResult:
    status: str
    findings: list[Finding] = field(default_factory=list)

    @classmethod
    def from_findings(cls, findings: Iterable[Finding]) -> CheckResult:
        items = list(findings)
        return cls(status=status_for(items), findings=items)

    @property
    def ok(self) -> bool:
        return self.status == "pass"

    def worst_severity(self) -> str | None:
        if not self.findings:
            return None
        return max(self.findings, key=lambda f: SEVERITY_RANK[f.severity]).severity

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "findings": [f.to_dict() for f in self.findings]}
