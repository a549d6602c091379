"""What a reviewer decides, before any of it is recorded.

The vocabulary (decidable statuses, decision words, outcomes), the checker's
verdict on an item, which items a queue holds, and decisions read from a CSV.
Pure helpers: nothing here touches the output folder or the audit log.
"""

from __future__ import annotations

import csv
import getpass
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from copygen.compliance.findings import CATEGORIES
from copygen.compliance.rule_model import rule_selected
from copygen.config import split_list
from copygen.errors import InputError
from copygen.platforms import PLATFORM_NAMES

__all__ = [
    "DECIDABLE_STATUSES",
    "OUTCOMES",
    "REVIEW_STATUSES",
    "SEVERITY_RANK",
    "ConflictError",
    "Decision",
    "QueueFilter",
    "check_status",
    "default_reviewer",
    "describe_state",
    "parse_decision",
    "queue_filter",
    "read_decisions_csv",
    "scripted_decisions",
]

REVIEW_STATUSES: tuple[str, ...] = ("review", "blocked")
#: Every status an item can have, for filtering a queue.
ITEM_STATUSES: tuple[str, ...] = ("pass", "review", "blocked", "error", "approved", "rejected")
# A decided item can be decided again (a second opinion); pass and error items have
# nothing to review.
DECIDABLE_STATUSES: tuple[str, ...] = ("review", "blocked", "approved", "rejected")
_DECISION_WORDS: dict[str, str] = {
    "approve": "approve",
    "approved": "approve",
    "a": "approve",
    "通过": "approve",
    "reject": "reject",
    "rejected": "reject",
    "r": "reject",
    "驳回": "reject",
}
OUTCOMES: dict[str, str] = {"approve": "approved", "reject": "rejected"}
SEVERITY_RANK: dict[str, int] = {"block": 3, "warn": 2, "info": 1}


def default_reviewer() -> str:
    """``$USER`` (or the login name the OS knows); ``unknown`` if there is none."""
    name = os.environ.get("USER")
    if name:
        return name
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return "unknown"


def parse_decision(word: str) -> str:
    """``approve`` or ``reject`` from what a person or a CSV says; ValueError otherwise."""
    key = word.strip().lower()
    if key in _DECISION_WORDS:
        return _DECISION_WORDS[key]
    raise ValueError(f"unknown decision {word.strip()!r}; expected approve or reject")


def check_status(item: Mapping[str, Any]) -> str:
    """The checker's verdict on the item's current text: pass, review or blocked.

    For an item already decided this is the verdict it was decided on (kept in
    ``review.check_status``), or else what its findings say.
    """
    status = str(item.get("status"))
    if status in ("pass", "review", "blocked"):
        return status
    review = item.get("review")
    if isinstance(review, Mapping) and review.get("check_status") in ("pass", "review", "blocked"):
        return str(review["check_status"])
    return _status_of(item.get("findings") or [])


def _status_of(findings: Iterable[Mapping[str, Any]]) -> str:
    worst = max((SEVERITY_RANK.get(str(f.get("severity")), 0) for f in findings), default=0)
    return "blocked" if worst >= 3 else "review" if worst == 2 else "pass"


# --- the queue -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    """Which items to review. Empty tuples mean "any"; several values mean "one of"."""

    statuses: tuple[str, ...] = REVIEW_STATUSES
    categories: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()

    def matches(self, item: Mapping[str, Any]) -> bool:
        if self.statuses and str(item.get("status")) not in self.statuses:
            return False
        if self.platforms and str(item.get("platform")) not in self.platforms:
            return False
        if self.skus and str(item.get("sku")) not in self.skus:
            return False
        findings = [f for f in item.get("findings") or [] if isinstance(f, Mapping)]
        if self.categories and not any(f.get("category") in self.categories for f in findings):
            return False
        return not self.rules or any(_rule_matches(self.rules, f) for f in findings)


def _rule_matches(entries: Iterable[str], finding: Mapping[str, Any]) -> bool:
    """Whether a finding's rule is one of ``entries``, matched as ``--disable`` matches
    (an id, a category, ``zh.*``), or is under one of them (``zh.absolute``)."""
    rule, category = str(finding.get("rule", "")), str(finding.get("category", ""))
    return any(
        rule_selected(entry, rule, category=category) or rule_selected(f"{entry}.*", rule)
        for entry in entries
    )


def queue_filter(
    *,
    statuses: Iterable[str] = (),
    categories: Iterable[str] = (),
    platforms: Iterable[str] = (),
    rules: Iterable[str] = (),
    skus: Iterable[str] = (),
) -> QueueFilter:
    """A filter from option values; each may be repeated or comma-separated.

    No status: the items that need a decision (review, blocked). A rule is an id, a
    category, an id prefix (``zh.absolute``) or ``zh.*``, as ``--disable`` takes it.
    An unknown status, category or platform is an :class:`InputError`.
    """
    wanted = split_list(statuses) or REVIEW_STATUSES
    chosen_categories = split_list(categories)
    chosen_platforms = split_list(platforms)
    for what, values, known in (
        ("status", wanted, ITEM_STATUSES),
        ("category", chosen_categories, CATEGORIES),
        ("platform", chosen_platforms, PLATFORM_NAMES),
    ):
        unknown = [v for v in values if v not in known]
        if unknown:
            raise InputError(
                f"unknown {what} '{unknown[0]}'", hint=f"expected one of {', '.join(known)}"
            )
    return QueueFilter(
        statuses=wanted,
        categories=chosen_categories,
        platforms=chosen_platforms,
        rules=split_list(rules),
        skus=split_list(skus),
    )


# --- decisions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """One reviewer decision. ``fields`` is the edited text (None: not edited).

    ``expected``: the record the reviewer saw (:func:`copygen.audit.chain.record_sha256`
    of it). When given, the decision is refused with :class:`ConflictError` if the
    item has changed since, so that two reviewers deciding the same item cannot
    overwrite each other unknowingly. None: decided on whatever the folder holds.
    """

    item_id: str
    decision: str  # approve | reject
    reason: str | None = None
    force: bool = False
    fields: Mapping[str, Any] | None = None
    source: str | None = None  # where it came from, for error messages ("file.csv:3")
    expected: str | None = None


class ConflictError(InputError):
    """A decision on an item that changed since the reviewer saw it (another
    reviewer decided it, or undid a decision). ``item`` is the record as it is now."""

    def __init__(self, message: str, *, item: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.item = dict(item) if item is not None else None


def describe_state(item: Mapping[str, Any]) -> str:
    """Who decided the item and how, in words: "approved (forced) by alice at …: reason"."""
    status = str(item.get("status"))
    review = item.get("review")
    if status in OUTCOMES.values() and isinstance(review, Mapping):
        text = status
        if review.get("forced"):
            text += " (forced)"
        if review.get("edited"):
            text += " with an edit"
        text += f" by {review.get('reviewer') or 'another reviewer'}"
        if review.get("ts"):
            text += f" at {review.get('ts')}"
        if review.get("reason"):
            text += f": {review.get('reason')}"
        return text
    return f"it is '{status}' now"


def read_decisions_csv(path: str | Path) -> list[Decision]:
    """Decisions from a CSV with columns id, decision, reason (header optional)."""
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("decisions file not found", file=target) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read decisions file: {exc}", file=target) from None
    decisions: list[Decision] = []
    rows = list(csv.reader(text.splitlines()))
    columns = {"id": 0, "decision": 1, "reason": 2}
    start = 0
    if rows and rows[0] and rows[0][0].strip().lower() in ("id", "item", "item_id"):
        header = [c.strip().lower() for c in rows[0]]
        aliases = {"item": "id", "item_id": "id"}
        header = [aliases.get(c, c) for c in header]
        missing = [c for c in ("id", "decision") if c not in header]
        if missing:
            raise InputError(f"decisions file needs a '{missing[0]}' column", file=target, row=1)
        columns = {
            name: header.index(name) for name in ("id", "decision", "reason") if name in header
        }
        start = 1
    for number, row in enumerate(rows[start:], start=start + 1):
        if not any(cell.strip() for cell in row):
            continue

        def cell(name: str, row: list[str] = row) -> str:
            index = columns.get(name)
            return row[index].strip() if index is not None and index < len(row) else ""

        item_id = cell("id")
        if not item_id:
            raise InputError("missing item id", file=target, row=number, column="id")
        try:
            decision = parse_decision(cell("decision"))
        except ValueError as exc:
            raise InputError(str(exc), file=target, row=number, column="decision") from None
        decisions.append(
            Decision(
                item_id=item_id,
                decision=decision,
                reason=cell("reason") or None,
                source=f"{target}:{number}",
            )
        )
    return decisions


def scripted_decisions(
    *,
    decide: Iterable[str] = (),
    decisions_csv: str | Path | None = None,
    reason: str | None = None,
    force: bool = False,
) -> list[Decision]:
    """Decisions given on the command line (``ID=approve``) and in a decisions CSV.

    ``reason`` is the reason of every ``decide`` entry and of CSV rows without one.
    """
    scripted: list[Decision] = []
    for spec in decide:
        item_id, sep, word = spec.rpartition("=")
        if not sep or not item_id.strip():
            raise InputError(f"--decide expects ID=approve or ID=reject, got {spec!r}")
        try:
            verdict = parse_decision(word)
        except ValueError as exc:
            raise InputError(f"--decide {spec}: {exc}") from None
        scripted.append(Decision(item_id.strip(), verdict, reason=reason, force=force))
    if decisions_csv is not None:
        for entry in read_decisions_csv(decisions_csv):
            scripted.append(
                Decision(
                    entry.item_id,
                    entry.decision,
                    reason=entry.reason or reason,
                    force=force,
                    source=entry.source,
                )
            )
    return scripted
