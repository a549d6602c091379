"""Platform format checks (``format``): required fields, lengths, list sizes, and
prompt text echoed back as copy.

The limits come from ``copygen.platforms.PLATFORM_SPECS``, the same definition the
templates and the reply parser use. They apply only when a platform is given and
the copy is a mapping of fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from copygen.platforms import PLATFORM_SPECS, PlatformSpec


@dataclass(frozen=True)
class FormatIssue:
    kind: str  # "missing" | "length" | "items" | "echo"
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


# --- prompt text echoed back ---------------------------------------------------------------

#: A slot of the prompt's JSON example (``<正文，分段，口吻真实>``, ``<item 2>``) or a
#: delimiter of the product data block (``<product_data>``). Real copy has no
#: angle-bracketed words; ``<`` as "less than" has no closing bracket on the same line.
_SLOT = re.compile(r"[<＜](?![\d\s=])[^<>＜＞\n]{1,40}[>＞]")
#: A JSON key: the reply's or the product block's structure copied into a field.
_JSON_KEY = re.compile(r"[\"“”][A-Za-z_][A-Za-z0-9_]{1,30}[\"“”]\s*[:：]")
#: Words of the prompt's instructions that never belong in copy.
_INSTRUCTION = re.compile(
    r"\bJSON\b|product_data|(?:输出|返回)(?:一个)?\s*(?:JSON|json)|只输出|(?:JSON\s*)?示例（"
    r"|\bplaceholder\b|\bfield (?:name|description)\b"
)


def echo_issues(fields: Mapping[str, Any], platform: str) -> list[FormatIssue]:
    """Text of the prompt that came back as copy: the JSON example's slots, the
    platform's field descriptions, instruction words, JSON structure.

    A small model asked for JSON with an example often returns the example itself
    (``{"body": "<正文，分段，口吻真实>"}``); that parses and passes every other
    check, so it must be caught here or it is published.
    """
    spec = PLATFORM_SPECS.get(platform)
    if spec is None:
        return []
    descriptions = _descriptions(spec)
    issues: list[FormatIssue] = []
    for name, text in _field_texts(fields, spec):
        spans: list[tuple[int, int]] = []
        for pattern in (_SLOT, _JSON_KEY, _INSTRUCTION, descriptions):
            if pattern is None:
                continue
            for match in pattern.finditer(text):
                if not any(start < match.end() and match.start() < end for start, end in spans):
                    spans.append((match.start(), match.end()))
        for start, end in sorted(spans):
            echoed = text[start:end]
            issues.append(
                FormatIssue("echo", name, start, end, echoed, {"field": name, "text": echoed})
            )
    return issues


def _field_texts(fields: Mapping[str, Any], spec: PlatformSpec) -> Iterator[tuple[str, str]]:
    for field_spec in spec.fields:
        value = fields.get(field_spec.name)
        if field_spec.kind == "list":
            for position, item in enumerate(_items(value)):
                yield f"{field_spec.name}[{position}]", item
        elif value is not None:
            yield field_spec.name, str(value)


@cache
def _descriptions(spec: PlatformSpec) -> re.Pattern[str] | None:
    """The platform's field descriptions as the prompt writes them (≥ 6 characters:
    shorter ones such as 主标题 are ordinary words)."""
    phrases = {
        phrase
        for field_spec in spec.fields
        for phrase in (field_spec.description_zh, field_spec.description_en)
        if len(phrase) >= 6
    }
    if not phrases:
        return None
    ordered = sorted(phrases, key=len, reverse=True)
    return re.compile("|".join(re.escape(p) for p in ordered), re.IGNORECASE)
