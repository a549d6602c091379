"""The matcher's view of a text: NFKC, lower case, evasion separators removed.

People dodge keyword filters with full-width letters (ＶＸ), case (Vx), and
separators inside a term (微 信, 微-信, 加.V). The matcher therefore works on a
normalised copy and keeps, for every normalised character, the index of the
original character it came from, so that each hit maps back to an exact slice of
the original: ``original[start:end]``.

Two fast paths keep this cheap on ordinary copy: characters are folded through a
cached translation table when every character folds to exactly one character (the
usual case, full-width punctuation included), and the separator pass only builds an
offset map when it actually removes something.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Invisible characters are dropped wherever they are: they never carry meaning in copy.
_INVISIBLE = frozenset(
    "\u00ad\u034f\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"
)

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
# Separators people put inside a term. Sentence punctuation (，。！？：；) is not here:
# removing it would glue clauses together ("效果最好，在…" must not become "最好在").
_SEP = r"\s\-_.*·•・~|/\\+=^'\"`"
_SEP_RE = re.compile(
    rf"(?<=[{_CJK}])[{_SEP}]+(?=[{_CJK}a-z0-9])|(?<=[a-z0-9])[{_SEP}]+(?=[{_CJK}])"
)
CJK_RE = re.compile(f"[{_CJK}]")

# char -> folded text; chars that fold to themselves are not in the table.
_FOLD_TABLE: dict[int, str] = {}
_KNOWN: set[str] = set()
_SINGLE: set[str] = set()  # chars that fold to exactly one character


def _fold_char(ch: str) -> str:
    if ch in _INVISIBLE:
        return ""
    return unicodedata.normalize("NFKC", ch).lower()


def _learn(chars: set[str]) -> None:
    for ch in chars:
        folded = _fold_char(ch)
        if folded != ch:
            _FOLD_TABLE[ord(ch)] = folded
        if len(folded) == 1:
            _SINGLE.add(ch)
        _KNOWN.add(ch)


@dataclass(frozen=True)
class Normalized:
    """A normalised text and the way back to the original."""

    text: str
    original: str
    # offsets[i] = index in ``original`` of normalised char i; None means identity.
    offsets: tuple[int, ...] | None = None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span covering normalised ``[start, end)`` (end > start)."""
        if self.offsets is None:
            return start, end
        return self.offsets[start], self.offsets[end - 1] + 1


def fold(text: str) -> str:
    """The normalised form alone: how terms, exceptions and allowlist entries are stored."""
    return normalize(text).text


def normalize(text: str) -> Normalized:
    chars = set(text)
    unknown = chars - _KNOWN
    if unknown:
        _learn(unknown)
    offsets: list[int] | None
    if chars <= _SINGLE:
        folded = text.translate(_FOLD_TABLE)
        offsets = None
    else:
        pieces: list[str] = []
        offsets = []
        for index, ch in enumerate(text):
            out = _FOLD_TABLE.get(ord(ch), ch)
            pieces.append(out)
            offsets.extend([index] * len(out))
        folded = "".join(pieces)
    cuts = [m.span() for m in _SEP_RE.finditer(folded)]
    if cuts:
        base = offsets if offsets is not None else range(len(folded))
        kept: list[str] = []
        new_offsets: list[int] = []
        position = 0
        for cut_start, cut_end in cuts:
            kept.append(folded[position:cut_start])
            new_offsets.extend(base[position:cut_start])
            position = cut_end
        kept.append(folded[position:])
        new_offsets.extend(base[position:])
        folded = "".join(kept)
        offsets = new_offsets
    return Normalized(folded, text, None if offsets is None else tuple(offsets))


def has_cjk(text: str) -> bool:
    return CJK_RE.search(text) is not None
