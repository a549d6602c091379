"""Where a judge's quote is in the text: the span every finding needs.

A finding's ``start``/``end`` index its field, so a quote is only useful where it
can be found. Models copy imperfectly: they wrap the quote in quotation marks, add
the field label they were shown (``[body]``), change the spacing, or shorten the
middle with an ellipsis. Those are undone here; a quote that still is not in the text
is not evidence of anything and is dropped by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["QuoteSpan", "locate"]

#: Fewer characters than this are not a quote (a single 最 is in half of all copy).
MIN_QUOTE_CHARS = 2
#: Occurrences of one quote reported at most, over all fields.
MAX_OCCURRENCES = 5

_WRAPPERS = "「」『』“”\"'‘’《》【】()（）<>〈〉 \t\r\n"
_EDGE_PUNCT = "。，,.!！?？;；:：、…~～"
_LABEL = re.compile(r"^\[[A-Za-z_]+(?: \d+)?\]\s*")
_ELLIPSIS = re.compile(r"\s*(?:\.{3,}|…+|⋯+)\s*")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class QuoteSpan:
    field: str
    start: int
    end: int
    text: str


def locate(quote: str, items: Sequence[tuple[str, str]]) -> list[QuoteSpan]:
    """Spans of ``quote`` in the ``(field, text)`` items, exact first, then forgiving
    the usual slips; empty when the quote is not in the text."""
    core = _SPACE.sub("", _clean(quote).strip(_EDGE_PUNCT + _WRAPPERS))
    if len(core) < MIN_QUOTE_CHARS:
        return []
    for candidate in _candidates(quote):
        if len(candidate.strip(_EDGE_PUNCT + _WRAPPERS)) < MIN_QUOTE_CHARS:
            continue
        spans = _exact(candidate, items) or _spaced(candidate, items)
        if spans:
            return spans
    parts = [p for p in _ELLIPSIS.split(_clean(quote)) if len(p) >= MIN_QUOTE_CHARS]
    if len(parts) >= 2:
        return _in_order(parts, items)
    return []


def _clean(quote: str) -> str:
    text = _LABEL.sub("", quote.strip())
    return text.strip(_WRAPPERS)


def _candidates(quote: str) -> list[str]:
    exact = quote
    cleaned = _clean(quote)
    trimmed = cleaned.strip(_EDGE_PUNCT + _WRAPPERS)
    return list(dict.fromkeys(c for c in (exact, cleaned, trimmed) if c))


def _exact(quote: str, items: Sequence[tuple[str, str]]) -> list[QuoteSpan]:
    spans: list[QuoteSpan] = []
    for field, text in items:
        start = text.find(quote)
        while start >= 0 and len(spans) < MAX_OCCURRENCES:
            spans.append(QuoteSpan(field, start, start + len(quote), quote))
            start = text.find(quote, start + len(quote))
    return spans


def _spaced(quote: str, items: Sequence[tuple[str, str]]) -> list[QuoteSpan]:
    """The quote with any spacing: 「每天 两次」 finds 「每天两次」 and the reverse."""
    pieces = [re.escape(p) for p in _SPACE.sub("", quote)]
    if len(pieces) < MIN_QUOTE_CHARS:
        return []
    pattern = re.compile(r"\s*".join(pieces))
    spans: list[QuoteSpan] = []
    for field, text in items:
        for match in pattern.finditer(text):
            spans.append(QuoteSpan(field, match.start(), match.end(), match.group(0)))
            if len(spans) >= MAX_OCCURRENCES:
                return spans
    return spans


def _in_order(parts: Sequence[str], items: Sequence[tuple[str, str]]) -> list[QuoteSpan]:
    """「从A…到B」: the parts in order within one field, spanning first to last, from the
    occurrence of the first part nearest to the rest."""
    longest = 3 * sum(len(p) for p in parts) + 40
    for field, text in items:
        start = text.find(parts[0])
        while start >= 0:
            end = _rest_end(text, parts[1:], start + len(parts[0]))
            if end is not None and end - start <= longest:
                return [QuoteSpan(field, start, end, text[start:end])]
            start = text.find(parts[0], start + 1)
    return []


def _rest_end(text: str, parts: Sequence[str], position: int) -> int | None:
    for part in parts:
        found = text.find(part, position)
        if found < 0:
            return None
        position = found + len(part)
    return position
