"""The items of a folder as the desk's JSON shows them.

A summary per queue entry (what a list needs: status, title, rules, the version to
decide on), one item in full (fields, findings, product facts, the last decision,
the other variants of its row), the counts beside the filters, and the free-text
search. Records come from ``results.jsonl`` and are sent as data, never as markup:
the page puts every value into the document as text.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from copygen.audit.chain import record_sha256
from copygen.review.decisions import SEVERITY_RANK, check_status

__all__ = [
    "counts",
    "detail",
    "findings_of",
    "json_safe",
    "matches_text",
    "review_of",
    "summary",
    "version",
]

_PLATFORM_ORDER = ("livestream", "social", "detail")
_REVIEW_KEYS = ("reviewer", "decision", "reason", "ts", "forced", "edited", "check_status")


def version(item: Mapping[str, Any]) -> str:
    """What a reviewer saw, as the audit log names records: the record's SHA-256.

    A decision sent with it is refused if the item changed since
    (:attr:`copygen.review.decisions.Decision.expected`)."""
    return record_sha256(item)


def findings_of(item: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [dict(f) for f in item.get("findings") or [] if isinstance(f, Mapping)]


def _worst(findings: Iterable[Mapping[str, Any]]) -> str | None:
    worst = max(findings, key=lambda f: SEVERITY_RANK.get(str(f.get("severity")), 0), default=None)
    if worst is None or str(worst.get("severity")) not in SEVERITY_RANK:
        return None
    return str(worst.get("severity"))


def review_of(item: Mapping[str, Any]) -> dict[str, Any] | None:
    review = item.get("review")
    if not isinstance(review, Mapping):
        return None
    return {key: review.get(key) for key in _REVIEW_KEYS}


def _product(item: Mapping[str, Any]) -> Mapping[str, Any]:
    product = item.get("product")
    return product if isinstance(product, Mapping) else {}


def summary(item: Mapping[str, Any]) -> dict[str, Any]:
    """One queue entry."""
    found = findings_of(item)
    return {
        "id": str(item.get("id")),
        "status": item.get("status"),
        "check_status": check_status(item),
        "sku": item.get("sku"),
        "platform": item.get("platform"),
        "lang": item.get("lang"),
        "variant": item.get("variant"),
        "title": _product(item).get("title"),
        "rules": sorted({str(f.get("rule")) for f in found}),
        "categories": sorted({str(f.get("category")) for f in found}),
        "severity": _worst(found),
        "findings": len(found),
        "review": review_of(item),
        "version": version(item),
    }


def _sibling(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": str(item.get("id")),
        "status": item.get("status"),
        "platform": item.get("platform"),
        "lang": item.get("lang"),
        "variant": item.get("variant"),
        "fields": item.get("fields"),
        "findings": findings_of(item),
    }


def _sibling_order(item: Mapping[str, Any]) -> tuple[int, str, str]:
    platform = str(item.get("platform"))
    rank = _PLATFORM_ORDER.index(platform) if platform in _PLATFORM_ORDER else len(_PLATFORM_ORDER)
    return rank, str(item.get("lang")), str(item.get("variant"))


def detail(item: Mapping[str, Any], siblings: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """One item in full, with the other variants of its product row."""
    view = summary(item)
    view.update(
        fields=item.get("fields"),
        findings=findings_of(item),
        product=dict(_product(item)),
        error=item.get("error"),
        model=item.get("model"),
        siblings=[_sibling(s) for s in sorted(siblings, key=_sibling_order)],
    )
    return view


def _texts(value: Any) -> Iterable[str]:
    if isinstance(value, Mapping):
        for entry in value.values():
            yield from _texts(entry)
    elif isinstance(value, (list, tuple)):
        for entry in value:
            yield from _texts(entry)
    elif value is not None:
        yield str(value)


def matches_text(item: Mapping[str, Any], needle: str) -> bool:
    """Whether the search box's words are all in the item: its id, SKU, product title
    and brand, copy, and findings (rule, text, message)."""
    words = needle.casefold().split()
    if not words:
        return True
    product = _product(item)
    parts = [
        str(item.get("id")),
        str(item.get("sku")),
        str(product.get("title") or ""),
        str(product.get("brand") or ""),
        *_texts(item.get("fields")),
    ]
    for f in findings_of(item):
        parts.extend(str(f.get(key) or "") for key in ("rule", "text", "message"))
    haystack = "\n".join(parts).casefold()
    return all(word in haystack for word in words)


def _tally(values: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for value in values:
        out[value] = out.get(value, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def counts(
    everything: Sequence[Mapping[str, Any]], in_statuses: Sequence[Mapping[str, Any]]
) -> dict[str, dict[str, int]]:
    """Items per status over the whole folder; per platform, category and rule over
    the items of the chosen statuses (what the other filters can still pick from)."""

    def each(key: str) -> Iterable[str]:
        for item in in_statuses:
            yield from {str(f.get(key)) for f in findings_of(item)}

    return {
        "status": _tally(str(i.get("status")) for i in everything),
        "platform": _tally(str(i.get("platform")) for i in in_statuses),
        "category": _tally(each("category")),
        "rule": _tally(each("rule")),
    }


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as null: the store keeps them, JSON has none."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value
