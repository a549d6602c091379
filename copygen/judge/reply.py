"""A judge's reply -> its violations, forgiving what small models do to JSON.

The judge is asked for ``{"violations": [{"quote", "category", "reason"}]}``. Models
wrap it in fences, nest it, answer a bare list or a single violation, or name the
keys a little differently; all of that is read. A reply with no such object at all is
unusable (``JudgeReplyError``), and the judge is asked again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from copygen.errors import BackendError

__all__ = ["JudgeReplyError", "Violation", "parse_violations"]

#: A reply may list at most this many violations; the rest are ignored (a model
#: stuck in a list would otherwise turn one text into thousands of findings).
MAX_VIOLATIONS = 50
#: Characters of a quote or reason kept; a longer quote is not a quote.
MAX_QUOTE_CHARS = 500
MAX_REASON_CHARS = 500

_LIST_KEYS = ("violations", "violation", "issues", "problems", "findings", "违规", "问题")
_QUOTE_KEYS = ("quote", "text", "span", "excerpt", "原文", "引用")
_CATEGORY_KEYS = ("category", "type", "类别", "类型")
_REASON_KEYS = ("reason", "explanation", "why", "message", "理由", "原因")
_ARRAY = re.compile(r"\[.*\]", re.DOTALL)


class JudgeReplyError(BackendError):
    """The reply holds no list of violations."""


@dataclass(frozen=True)
class Violation:
    quote: str
    category: str
    reason: str


def parse_violations(text: str) -> list[Violation]:
    """The violations a judge's reply lists (possibly none); raises JudgeReplyError
    when the reply says nothing readable."""
    from copygen.backends.parsing import json_objects

    if _list_first(text):
        array = _bare_array(text)
        if array is not None:
            return _violations(array)
    for obj in json_objects(text):
        listed = _listed(obj)
        if listed is not None:
            return _violations(listed)
    array = _bare_array(text)
    if array is not None:
        return _violations(array)
    raise JudgeReplyError("no JSON object with a list of violations in the judge's reply")


def _listed(obj: Mapping[str, Any]) -> list[Any] | None:
    lowered = {str(k).strip().lower(): v for k, v in obj.items()}
    for key in _LIST_KEYS:
        if key in lowered:
            value = lowered[key]
            if value in (None, "", False):
                return []
            if isinstance(value, list):
                return value
            if isinstance(value, Mapping):
                return [value]
            return None
    if _field(lowered, _QUOTE_KEYS) is not None and _field(lowered, _CATEGORY_KEYS) is not None:
        return [obj]  # a single violation, not wrapped in a list
    return None


def _list_first(text: str) -> bool:
    """True when the reply's JSON starts with a list rather than an object."""
    brace, bracket = text.find("{"), text.find("[")
    return bracket >= 0 and (brace < 0 or bracket < brace)


def _bare_array(text: str) -> list[Any] | None:
    match = _ARRAY.search(text or "")
    if match is None:
        return None
    try:
        value = json.loads(match.group(0))
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(v, Mapping) for v in value):
        return value
    return None


def _violations(items: Iterable[Any]) -> list[Violation]:
    out: list[Violation] = []
    for item in items:
        if len(out) >= MAX_VIOLATIONS:
            break
        if not isinstance(item, Mapping):
            continue
        lowered = {str(k).strip().lower(): v for k, v in item.items()}
        quote = _field(lowered, _QUOTE_KEYS)
        category = _field(lowered, _CATEGORY_KEYS)
        if not quote or category is None:
            continue
        reason = _field(lowered, _REASON_KEYS) or ""
        out.append(
            Violation(
                quote=quote[:MAX_QUOTE_CHARS],
                category=category.strip(),
                reason=reason.strip()[:MAX_REASON_CHARS],
            )
        )
    return out


def _field(item: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = item.get(key)
        if isinstance(value, str):
            return value
    return None
