"""Platform format checks (``format``): required fields, lengths, list sizes.

The limits come from ``copygen.platforms.PLATFORM_SPECS``, the same definition the
templates and the reply parser use. They apply only when a platform is given and
the copy is a mapping of fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from copygen.platforms import PLATFORM_SPECS


@dataclass(frozen=True)
class FormatIssue:
    kind: str  # "missing" | "length" | "items"
    field: str
    start: int
    end: int
    text: str
    params: Mapping[str, Any]


def _items(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return ["" if v is None else str(v) for v in value]
    return [str(value)]


def check_format(fields: Mapping[str, Any], platform: str, *, locale: str) -> list[FormatIssue]:
    spec = PLATFORM_SPECS.get(platform)
    if spec is None:
        return []
    issues: list[FormatIssue] = []
    total = 0
    longest: tuple[int, str] = (-1, "")
    for field_spec in spec.fields:
        name = field_spec.name
        value = fields.get(name)
        if field_spec.kind == "list":
            items = [item for item in _items(value) if item.strip()]
            if not items:
                if field_spec.required:
                    issues.append(FormatIssue("missing", name, 0, 0, "", {"field": name}))
                continue
            low, high = field_spec.min_items, field_spec.max_items
            if (low is not None and len(items) < low) or (high is not None and len(items) > high):
                issues.append(
                    FormatIssue(
                        "items",
                        name,
                        0,
                        0,
                        "",
                        {"field": name, "count": len(items), "min": low or 0, "max": high or "∞"},
                    )
                )
            for position, item in enumerate(_items(value)):
                total += len(item)
                _length(issues, f"{name}[{position}]", item, field_spec.max_chars)
        else:
            text = "" if value is None else str(value)
            if not text.strip():
                if field_spec.required:
                    issues.append(FormatIssue("missing", name, 0, 0, "", {"field": name}))
                continue
            total += len(text)
            longest = max(longest, (len(text), name))
            _length(issues, name, text, field_spec.max_chars)
    if total > spec.max_total_chars and longest[1]:
        label = "全文" if locale == "zh" else "all fields"
        issues.append(
            FormatIssue(
                "length",
                longest[1],
                0,
                0,
                "",
                {"field": label, "length": total, "limit": spec.max_total_chars},
            )
        )
    return issues


def _length(issues: list[FormatIssue], name: str, text: str, limit: int | None) -> None:
    if limit is not None and len(text) > limit:
        # The span is the part over the limit, so a reviewer sees where to cut.
        issues.append(
            FormatIssue(
                "length",
                name,
                limit,
                len(text),
                text[limit:],
                {"field": name, "length": len(text), "limit": limit},
            )
        )
