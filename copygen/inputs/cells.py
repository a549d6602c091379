"""One cell of an input file: bounded, made of whole characters, no invisible controls.

Every reader (CSV, XLSX and JSONL product sheets; the files of ``copygen check``)
passes its cells through here, so the same text is refused or cleaned the same way
whatever format it came in.

Refused (exit 2, naming file, row and column):

- a cell longer than ``max_cell_chars``: nothing in a product sheet is that long, and
  every checker downstream (word segmentation, rule matching) is linear or worse in it;
- NUL: it is what UTF-16 read as a one-byte encoding, or a binary file, looks like,
  so the text around it cannot be trusted either;
- a lone surrogate (U+D800..U+DFFF): half of a character, usually a broken ``\\uXXXX``
  escape in JSON. It cannot be written as UTF-8, so it would fail later, mid-run;
- in a SKU, a line break or other control character (and bidi overrides): the SKU is
  part of every item id (``SKU:platform:lang:vN``), one per line in ``review --list``
  and in decision files, and it must look like what it is.

Cleaned, in every other text cell (``clean``): line breaks of any kind become ``\\n``,
and the invisible C0/C1 control characters that copy-paste from PDFs and word
processors leaves behind are dropped. They carry no meaning in marketing copy, the
XLSX writer cannot store them, and a model shown them may copy them into its reply.
Tabs stay.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: Cells are nested at most this deep (JSONL lists and objects).
MAX_DEPTH = 32

_REFUSED = re.compile("[\x00\ud800-\udfff]")
# Everything str.splitlines() treats as a line break, except the record separators
# \x1c-\x1e, which nobody types as one and which are dropped with the other controls.
_BREAKS = re.compile("\r\n?|[\x0b\x0c\x85\u2028\u2029]")
_INVISIBLE = re.compile("[\x01-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_NEEDS_CLEANING = re.compile("[\x01-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_SKU_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


# Any character some rule below is about: a cell without one (almost every cell) needs
# no further look.
_SPECIAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def plain(text: object, limit: int) -> bool:
    """True when ``text`` is a string that needs neither refusing nor cleaning (a SKU
    still needs ``sku_refusal``)."""
    return type(text) is str and len(text) <= limit and _SPECIAL.search(text) is None


def length_of(text: str) -> int:
    """Characters in ``text``; a reader that kept only the start of a long cell says how
    long it really was through a ``length`` attribute (see ``LongText``)."""
    return int(getattr(text, "length", len(text)))


class LongText(str):
    """The first characters of a cell too long to keep whole, with its real length."""

    length: int

    def __new__(cls, kept: str, length: int) -> LongText:
        text = super().__new__(cls, kept)
        text.length = length
        return text


_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029]")


def shown(text: str, width: int = 60) -> str:
    """``text`` as an error message may quote it: one line, at most ``width``
    characters, control characters and surrogates escaped (stderr cannot print a lone
    surrogate, and a line break would split the one-line error)."""
    cut = text[:width] + ("..." if len(text) > width else "")
    return _UNPRINTABLE.sub(lambda found: f"\\u{ord(found.group()):04x}", cut)


def _char_name(char: str) -> str:
    return f"U+{ord(char):04X}"


def text_refusal(text: str, limit: int) -> str | None:
    """Why ``text`` cannot be read as a cell, or None."""
    length = length_of(text)
    if length > limit:
        return f"cell of {length:,} characters; at most {limit:,} are read (max_cell_chars)"
    found = _REFUSED.search(text)
    if found is None:
        return None
    where = f"at character {found.start() + 1}"
    if found.group() == "\x00":
        return f"NUL character {where} (a binary file, or UTF-16 saved without its mark?)"
    return (
        f"lone surrogate {_char_name(found.group())} {where}: half of a character"
        " (a broken \\u escape?)"
    )


def value_refusal(value: Any, limit: int, depth: int = 0) -> str | None:
    """``text_refusal`` for a JSON value: strings anywhere in it, and its size as text."""
    if isinstance(value, str):
        return text_refusal(value, limit)
    if not isinstance(value, (list, dict)):
        return None
    if depth >= MAX_DEPTH:
        return f"nested more than {MAX_DEPTH} levels deep"
    items = list(value.items()) if isinstance(value, dict) else [(None, v) for v in value]
    for key, item in items:
        for part in (key, item):
            problem = value_refusal(part, limit, depth + 1) if part is not None else None
            if problem is not None:
                return problem
    if depth == 0:
        size = len(json.dumps(value, ensure_ascii=False))
        if size > limit:
            return (
                f"cell of {size:,} characters as text; at most {limit:,} are read (max_cell_chars)"
            )
    return None


def sku_refusal(sku: str) -> str | None:
    """Why ``sku`` (already stripped) cannot be an item id, or None."""
    found = _SKU_REFUSED.search(sku)
    if found is None:
        return None
    char = found.group()
    if char in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029":
        return "line break in the sku: an sku is one line (it is part of every item id)"
    return f"control character {_char_name(char)} in the sku (it is part of every item id)"


def clean(text: str) -> str:
    """Line breaks as ``\\n``; invisible control characters dropped; tabs kept."""
    if _NEEDS_CLEANING.search(text) is None:
        return text
    return _INVISIBLE.sub("", _BREAKS.sub("\n", text))


def clean_value(value: Any) -> Any:
    """``clean`` applied to every string in a JSON value (already checked for depth)."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [clean_value(v) for v in value]
    if isinstance(value, dict):
        return {clean_value(k): clean_value(v) for k, v in value.items()}
    return value


class FieldValueError(ValueError):
    """A value in a product row that cannot be parsed; carries the column name."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
