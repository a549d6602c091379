"""The matcher's view of a text: evasive spellings folded back to plain ones.

People dodge keyword filters with full-width letters (ＶＸ), case (Vx), separators
inside a term (微 信, 微-信, 加.V, 【最】【强】, c.u.r.e.s), emoji inside or instead of
characters (减🔥肥, 降🩸压), Traditional characters (療效), financial numerals (第壹),
look-alike letters of other scripts (Ѕаfеst), digits for letters (bl00d, N0.1),
pinyin split into syllables (zhi liao) and repeated characters (最最最). The matcher
works on a normalised copy and keeps, for every normalised character, the index of
the original character it came from, so that each hit maps back to an exact slice of
the original: ``original[start:end]``. (Pinyin, initials, homophones and look-alike
characters of a term are matched as variants of the term: ``evasions.py``.)

Two fast paths keep this cheap on ordinary copy: characters are folded through a
cached translation table when every character folds to exactly one character (the
usual case, full-width punctuation included), and the separator pass only builds an
offset map when it actually removes something.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from copygen.compliance.evasions import CONFUSABLES, EMOJI_CHARS, SYLLABLES, t2s_gate, t2s_table
from copygen.compliance.lazy_re import LazyPattern

# Invisible characters are dropped wherever they are: they never carry meaning in copy.
# Variation selectors and the keycap mark go too (3️⃣ is the digit 3).
_INVISIBLE = frozenset(
    "\u00ad\u034f\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"
    "\ufe0e\ufe0f\u20e3"
)

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
# Separators people put inside a term. Sentence punctuation (，。！？：；) is not here:
# removing it would glue clauses together ("效果最好，在…" must not become "最好在").
# Emoji left after folding (the ones standing for a character are mapped first) are
# separators too: 减🔥肥.
_EMOJI = (
    "\u2190-\u21ff\u2300-\u23ff\u2460-\u24ff\u25a0-\u27bf\u2900-\u297f\u2b00-\u2bff"
    "\U0001f000-\U0001faff"
)
_SEP = r"\s\-_.*·•・~|/\\+=^'\"`" + _EMOJI
_SEP_RUN = LazyPattern(f"[{_SEP}]+")
# Single characters in brackets, two or more in a row: 【智】【商】税.
_BRACKETED = LazyPattern(r"(?:[【\[「(（〔]\w[】\]」)）〕]){2,}")
_BRACKET = LazyPattern(r"[【\[「(（〔】\]」)）〕]")
# Gaps between spaced-out letters: not quotes or apostrophes ("I'm a" is no word).
_GAP = r"\s\-_.*·•・~|/\\+=^" + _EMOJI
# Three or more single letters (or digits) apart: c.u.r.e.s, b-e-s-t, W h a t s A p p,
# 1 3 8 - 0 0 1 2; an abbreviation's last dot goes too (F.D.A.-approved, S.P.F. 50).
_SPACED_LETTERS = LazyPattern(
    f"(?<![a-z0-9'’])[a-z](?:[{_GAP}]+[a-z](?![a-z0-9'’])){{2,}}(?:\\.(?=[\\s\\-]|$))?"
    f"|(?<![a-z0-9])[0-9](?:[{_GAP}]+[0-9](?![a-z0-9])){{2,}}"
)
# Latin words separated inside Chinese copy, both toneless pinyin: zhi liao.
_LATIN_PAIR = LazyPattern(f"(?<![a-z])([a-z]+)([{_SEP}]+)(?=([a-z]+))")
# Whether a text can need any cut at all (most copy has no separator, bracket or
# repeat): one search instead of five.
_MAYBE_CUT = re.compile(f"[{_SEP}【\\[「(（〔]")
# The same character three times or more (全全全网), or 最最.
_REPEATS = re.compile("([\u4e00-\u9fff])\\1{2,}|最(最)+")
# Digits and symbols for letters inside a Latin word: bl00d, t3l3gram, gu@ranteed,
# wh!tening. Only in a word of three letters or more with at most two in a row, so
# that hex codes (u003c), lab values (a1c) and models (x3c) stay as they are.
# "+V", "+vx", "+微": a plus for 加 before a chat handle word (one character for one).
_PLUS_ADD = LazyPattern(r"(?<![a-z0-9+])\+(?=\s?(?:v|vx|wx|q|qq|微|薇|威)(?![a-z]))")
_LEET = str.maketrans("013457@$!|", "oieastasil")
_LEET_WORD = LazyPattern(r"(?<![a-z0-9@$!|])[a-z0-9@$!|]+")
_LEET_RUN = re.compile(r"(?<=[a-z])[013457@$!|]{1,2}(?=[a-z])")
_LEET_TOO_MANY = LazyPattern(r"[013457@$!|]{3}")
_LEET_LEAD = LazyPattern(
    r"(?<![a-z0-9])0(?=[a-z]{2})|(?:(?<=^n)|(?<=[^a-z0-9]n))0(?=\.?1(?!\d))"  # 0nly, N0.1
)
_CJK_CHAR = re.compile(f"[{_CJK}]")
_WORD_CHAR = LazyPattern(f"[{_CJK}a-z0-9]")
_INVISIBLE_RE = LazyPattern("[" + "".join(sorted(_INVISIBLE)) + "]")
CJK_RE = _CJK_CHAR

# char -> folded text, learned as characters are met.
_FOLD_TABLE: dict[int, str] = {}

# "Safe" characters fold (NFKC + lower) to exactly one character and never combine,
# so runs of them fold with a cheap substitution of the few that change (Ａ -> a,
# ， -> ,). Any other character (…, ①, emoji, combining marks) is folded on its own
# and may change the length, which is what the offset map is for. CJK ideographs
# are NFKC-stable (a test verifies it); the short ranges are filtered at import.
_SAFE_RANGES = ((0x20, 0x7E), (0xA0, 0x17F), (0x2000, 0x206F), (0x3000, 0x303F), (0xFF01, 0xFF5E))


def _plain(folded: str) -> str:
    """A Latin letter without its accent or tone mark (tǔ -> tu, café -> cafe)."""
    if len(folded) != 1 or folded.isascii() or not folded.isalpha():
        return folded
    base = unicodedata.normalize("NFD", folded)[0]
    return base if base.isascii() else folded


def _build_safe() -> tuple[re.Pattern[str], re.Pattern[str], dict[str, str]]:
    safe: list[int] = []
    changes: dict[str, str] = {}
    for low, high in _SAFE_RANGES:
        for code in range(low, high + 1):
            ch = chr(code)
            if ch in _INVISIBLE or unicodedata.combining(ch):
                continue
            folded = _plain(unicodedata.normalize("NFKC", ch).lower())
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
    mapped = EMOJI_CHARS.get(ch) or CONFUSABLES.get(ch)
    if mapped is not None:
        return mapped
    folded = _plain(unicodedata.normalize("NFKC", ch).lower())
    if folded == ch and unicodedata.category(ch) == "No" and unicodedata.digit(ch, -1) >= 0:
        return str(unicodedata.digit(ch))  # ➊, ❶: dingbat digits NFKC leaves alone
    return folded


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
    # One character for one from here on, so the offsets do not change.
    if t2s_gate().search(folded) is not None:
        folded = folded.translate(t2s_table())
    if "+" in folded:
        folded = _PLUS_ADD.sub("加", folded)
    if _LEET_RUN.search(folded) is not None:
        folded = _LEET_WORD.sub(_unleet, folded)
    if "0" in folded and _LEET_LEAD.search(folded) is not None:
        folded = _LEET_LEAD.sub("o", folded)
    cuts = _cuts(folded)
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


def _unleet(m: re.Match[str]) -> str:
    word = m.group()
    if (
        _LEET_RUN.search(word) is None
        or sum(c.isalpha() for c in word) < 3
        or _LEET_TOO_MANY.search(word) is not None
        or word.endswith("a1c")  # HbA1c, a lab value
    ):
        return word
    return _LEET_RUN.sub(lambda r: r.group().translate(_LEET), word)


def _cuts(text: str) -> list[tuple[int, int]]:
    """The spans to remove, in order and apart: separators inside terms, brackets
    around single characters, the gaps of spaced-out letters and of pinyin, repeats."""
    repeats = _REPEATS.search(text)
    if _MAYBE_CUT.search(text) is None:
        return (
            [] if repeats is None else [(m.start() + 1, m.end()) for m in _REPEATS.finditer(text)]
        )
    cuts = _separator_cuts(text)
    for m in _BRACKETED.finditer(text):
        cuts.extend(
            (b.start() + m.start(), b.end() + m.start()) for b in _BRACKET.finditer(m.group())
        )
    for m in _SPACED_LETTERS.finditer(text):
        cuts.extend(
            (g.start() + m.start(), g.end() + m.start()) for g in _SEP_RUN.finditer(m.group())
        )
    if _CJK_CHAR.search(text) is not None:
        for m in _LATIN_PAIR.finditer(text):
            if m.group(1) in SYLLABLES and m.group(3) in SYLLABLES and _latin_word(text, m):
                cuts.append(m.span(2))
    if repeats is not None:
        cuts.extend((m.start() + 1, m.end()) for m in _REPEATS.finditer(text))
    if len(cuts) < 2:
        return cuts
    cuts.sort()
    merged = [cuts[0]]
    for start, end in cuts[1:]:
        last_start, last_end = merged[-1]
        if start <= last_end:
            merged[-1] = (last_start, max(last_end, end))
        else:
            merged.append((start, end))
    return merged


def _latin_word(text: str, m: re.Match[str]) -> bool:
    """The pair's first word starts a Latin word (not the tail of ``abczhi``)."""
    start = m.start(1)
    return start == 0 or not text[start - 1].isascii() or not text[start - 1].isalnum()


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
