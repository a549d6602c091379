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
_SEP_RUN = re.compile(f"[{_SEP}]+")
_CJK_CHAR = re.compile(f"[{_CJK}]")
_WORD_CHAR = re.compile(f"[{_CJK}a-z0-9]")
_INVISIBLE_RE = re.compile("[" + "".join(sorted(_INVISIBLE)) + "]")
CJK_RE = _CJK_CHAR

# char -> folded text, learned as characters are met.
_FOLD_TABLE: dict[int, str] = {}

# "Safe" characters fold (NFKC + lower) to exactly one character and never combine,
# so runs of them fold with a cheap substitution of the few that change (Ａ -> a,
# ， -> ,). Any other character (…, ①, emoji, combining marks) is folded on its own
# and may change the length, which is what the offset map is for. CJK ideographs
# are NFKC-stable (a test verifies it); the short ranges are filtered at import.
_SAFE_RANGES = ((0x20, 0x7E), (0xA0, 0x17F), (0x2000, 0x206F), (0x3000, 0x303F), (0xFF01, 0xFF5E))


def _build_safe() -> tuple[re.Pattern[str], re.Pattern[str], dict[str, str]]:
    safe: list[int] = []
    changes: dict[str, str] = {}
    for low, high in _SAFE_RANGES:
        for code in range(low, high + 1):
            ch = chr(code)
            if ch in _INVISIBLE or unicodedata.combining(ch):
                continue
            folded = unicodedata.normalize("NFKC", ch).lower()
            if len(folded) == 1:
                safe.append(code)
                if folded != ch:
                    changes[ch] = folded
    runs: list[list[int]] = []
    for code in safe:
        if runs and runs[-1][1] == code - 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    ranges = "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in runs
    )
    unsafe = re.compile(f"[^{ranges}\u3400-\u4dbf\u4e00-\u9fff]")
    changing = re.compile("[" + "".join(re.escape(c) for c in changes) + "]")
    return unsafe, changing, changes


_UNSAFE_CHAR, _CHANGING, _CHANGES = _build_safe()


def _fold_safe(text: str) -> str:
    if _CHANGING.search(text) is None:
        return text
    return _CHANGING.sub(lambda m: _CHANGES[m.group()], text)


def _fold_char(ch: str) -> str:
    if ch in _INVISIBLE:
        return ""
    return unicodedata.normalize("NFKC", ch).lower()


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
    offsets: list[int] | None = None
    if _UNSAFE_CHAR.search(text) is None:
        folded = _fold_safe(text)  # the usual case: same length, identity offsets
    else:
        pieces: list[str] = []
        offsets = []
        position = 0
        for m in _UNSAFE_CHAR.finditer(text):
            index = m.start()
            if index > position:
                pieces.append(_fold_safe(text[position:index]))
                offsets.extend(range(position, index))
            ch = text[index]
            out = _FOLD_TABLE.get(ord(ch))
            if out is None:
                out = _fold_char(ch)
                _FOLD_TABLE[ord(ch)] = out
            pieces.append(out)
            offsets.extend([index] * len(out))
            position = index + 1
        if position < len(text):
            pieces.append(_fold_safe(text[position:]))
            offsets.extend(range(position, len(text)))
        folded = "".join(pieces)
    cuts = _separator_cuts(folded)
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


def _separator_cuts(text: str) -> list[tuple[int, int]]:
    """Separator runs between two CJK chars, or between a CJK char and a Latin
    letter/digit (微 信, 加 V, V 信)."""
    cuts: list[tuple[int, int]] = []
    for m in _SEP_RUN.finditer(text):
        start, end = m.span()
        if start == 0 or end == len(text):
            continue
        before, after = text[start - 1], text[end]
        if not (_WORD_CHAR.match(before) and _WORD_CHAR.match(after)):
            continue
        if _CJK_CHAR.match(before) or _CJK_CHAR.match(after):
            cuts.append((start, end))
    return cuts


def has_cjk(text: str) -> bool:
    return CJK_RE.search(text) is not None
