"""Personal data in copy: phone numbers, ID numbers, e-mail, bank cards, chat handles.

``find_pii`` reports spans of the original text; ``mask_pii`` replaces them with a
placeholder. The audit log and the pipeline call ``mask_pii`` before a prompt is
stored or leaves the machine, so it must be cheap and must never raise.

Numbers are validated where a checksum exists (GB 11643 for ID numbers, Luhn for
bank cards) so that order numbers and model numbers are not reported as people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from copygen.compliance.lazy_re import LazyPattern
from copygen.compliance.normalize import has_cjk

# Mainland mobile: 1[3-9] + 9 digits, with optional +86 and a separator between digits
# (one character, or a dash between spaces: 1 5 8 - 2 7 3 6 - 9 9 0 1).
_MOBILE = LazyPattern(
    r"(?<![\d+])(?<!\d[\-.])(?:(?:\+|00)86[\s\-]?)?1\s?[3-9](?:(?:[\s\-.]|\s[\-.]\s)?\d){9}(?![\d\-])"
)
# Landline: area code 0xx/0xxx (optionally in brackets) + 7-8 digits; 400/800 hotlines.
_LANDLINE = LazyPattern(
    r"(?<![\d+])(?<!\d[\s\-.])(?:\(0\d{2,3}\)\s?|0\d{2,3}[\s\-]?)\d{3,4}[\s\-]?\d{4}(?![\d\-])"
    r"|(?<![\d+])(?<!\d[\s\-.])[48]00[\s\-]?\d{3}[\s\-]?\d{4}(?![\d\-])"
)
# International: +CC then 7-14 more digits with separators; North-American style too.
_INTL = LazyPattern(
    r"(?<![A-Za-z0-9])\+\d{1,3}(?:[\s\-.]?\(?\d{1,4}\)?){2,5}(?!\d)"
    r"|(?<!\d)\(\d{3}\)\s?\d{3}[\s\-.]\d{4}(?!\d)"
    r"|(?<![\d\-])\d{3}-\d{3}-\d{4}(?![\d\-])"
)
_ID_CARD = LazyPattern(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    r"\d{3}[\dXx](?![0-9A-Za-z])"
)
_BANK_CARD = LazyPattern(r"(?<![\d\-])[3-6]\d{3}(?:[\s\-]?\d){11,15}(?![\d\-])")
_EMAIL = LazyPattern(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![A-Za-z0-9])"
)
# A chat handle right after its keyword: 微信：abc_123 / VX 13812345678 / QQ号 12345678.
# The keyword is found first; the rest is matched from there (much cheaper than one
# regex tried at every position).
_HANDLE_KEYWORDS = (
    r"微\s*信|威\s*信|薇\s*信|徽\s*信|v\s*信|weixin|wechat|wei\s*xin|vx|wx|v|qq|扣\s*扣|企\s*鹅"
)
# Case spelled out as [vV] rather than IGNORECASE (matched only at gate positions).
_HANDLE_KEYWORD = LazyPattern(
    re.sub(r"(?<!\\)[a-z]", lambda m: f"[{m.group()}{m.group().upper()}]", _HANDLE_KEYWORDS)
)
# Every keyword starts with one of these: scanning for them first is much cheaper.
_HANDLE_GATE = re.compile("[微威薇徽扣企vVwWqQ]")
_HANDLE_TAIL = LazyPattern(
    r"\s*(?:号码|号|id|账号)?\s*[:：=]?\s*(?:是|为|搜|加)?\s*[:：]?\s*"
    r"(?P<handle>(?<![A-Za-z0-9_\-])(?:[A-Za-z][A-Za-z0-9_\-]{5,19}|[1-9]\d{4,11}))"
    r"(?![A-Za-z0-9_\-])",
    re.IGNORECASE,
)
_DIGITS = LazyPattern(r"\d(?:(?:[\s\-.()]|\s[\-.]\s)?\d){4}")
# Every character a number pattern above can consume (digits, separators, brackets,
# ``+``, the ID check letter), starting at a character a match can start with. A
# number match never crosses a character outside this set, so each pattern only
# needs to run inside these runs ("regions"), not over the whole text.
_REGION = re.compile(r"[\d+(][\d\s\-.()+Xx]*")
# The fewest digits any reported number has (an international number, 8); a region
# with fewer cannot hold one.
_MIN_NUMBER_DIGITS = 8
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

KINDS: tuple[str, ...] = (
    "id_card",
    "bank_card",
    "mobile",
    "landline",
    "intl_phone",
    "email",
    "wechat",
    "qq",
)
_PRIORITY = {kind: rank for rank, kind in enumerate(KINDS)}

PLACEHOLDERS: dict[str, tuple[str, str]] = {
    "mobile": ("[手机号]", "[PHONE]"),
    "landline": ("[电话]", "[PHONE]"),
    "intl_phone": ("[电话]", "[PHONE]"),
    "id_card": ("[身份证号]", "[ID_NUMBER]"),
    "email": ("[邮箱]", "[EMAIL]"),
    "bank_card": ("[银行卡号]", "[BANK_CARD]"),
    "wechat": ("[微信号]", "[WECHAT_ID]"),
    "qq": ("[QQ号]", "[QQ_NUMBER]"),
}


@dataclass(frozen=True)
class PiiMatch:
    start: int
    end: int
    kind: str
    text: str


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit() or ch in "Xx")


def id_checksum_ok(number: str) -> bool:
    """GB 11643-1999 check digit of an 18-character ID number."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_ok(number: str) -> bool:
    if not number.isdigit() or len(number) < 2:
        return False
    total = 0
    for position, ch in enumerate(reversed(number)):
        digit = int(ch)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _number_windows(text: str) -> list[tuple[int, int]]:
    """``(pos, endpos)`` windows in which the number patterns can match.

    Same results as running every number pattern over the whole text once some
    5-digit run exists anywhere in it (the gate this scan always had), at a
    fraction of the cost: the patterns run only over regions that hold enough
    digits. Lookbehinds still see the text before ``pos``; ``endpos`` includes the
    one character after the region (never part of a match) so that the patterns'
    one-character lookaheads see what really follows.
    """
    gate = False
    windows: list[tuple[int, int]] = []
    size = len(text)
    for region in _REGION.finditer(text):
        start, end = region.span()
        if end - start < 5:
            continue
        if not gate and _DIGITS.search(text, start, end) is not None:
            gate = True
        if end - start >= _MIN_NUMBER_DIGITS and (
            sum(ch.isdigit() for ch in text[start:end]) >= _MIN_NUMBER_DIGITS
        ):
            windows.append((start, min(end + 1, size)))
    return windows if gate else []


def _candidates(text: str) -> list[PiiMatch]:
    found: list[PiiMatch] = []

    def add(start: int, end: int, kind: str) -> None:
        found.append(PiiMatch(start, end, kind, text[start:end]))

    for start, end in _number_windows(text):
        for m in _ID_CARD.finditer(text, start, end):
            if id_checksum_ok(_digits(m.group())):
                add(m.start(), m.end(), "id_card")
        for m in _BANK_CARD.finditer(text, start, end):
            digits = _digits(m.group())
            if 15 <= len(digits) <= 19 and luhn_ok(digits):
                add(m.start(), m.end(), "bank_card")
        for m in _MOBILE.finditer(text, start, end):
            add(m.start(), m.end(), "mobile")
        for m in _LANDLINE.finditer(text, start, end):
            add(m.start(), m.end(), "landline")
        for m in _INTL.finditer(text, start, end):
            if 8 <= len(_digits(m.group())) <= 15:
                add(m.start(), m.end(), "intl_phone")
    if "@" in text:
        for m in _EMAIL.finditer(text):
            add(m.start(), m.end(), "email")
    covered = 0
    for gate in _HANDLE_GATE.finditer(text):
        start = gate.start()
        if start < covered:
            continue
        keyword_match = _HANDLE_KEYWORD.match(text, start)
        if keyword_match is None:
            continue
        covered = keyword_match.end()
        previous = text[start - 1] if start else ""
        if text[start].isascii() and previous.isascii() and previous.isalpha():
            continue  # inside a Latin word (e.g. "dev 12345")
        tail = _HANDLE_TAIL.match(text, keyword_match.end())
        if tail is None:
            continue
        keyword = keyword_match.group().lower()
        kind = "qq" if keyword == "qq" or keyword[0] in "扣企" else "wechat"
        add(tail.start("handle"), tail.end("handle"), kind)
    return found


# Numbers spelled in Chinese numerals to dodge filters (幺三八 零零二四 六九七五): a run
# of seven or more, separators allowed, is read as digits (one character for one).
_CN_DIGITS = "零〇一二三四五六七八九幺两壹贰叁肆伍陆柒捌玖"
_CN_NUMBER = re.compile(f"[{_CN_DIGITS}](?:[\\s\\-]{{0,2}}[{_CN_DIGITS}]){{6,}}")
_CN_TO_DIGIT = str.maketrans(_CN_DIGITS, "0012345678912123456789")


_FULL_WIDTH = re.compile("[０-９＋－]")
_FULL_TO_ASCII = str.maketrans("０１２３４５６７８９＋－", "0123456789+-")


def _spelled_out(text: str) -> str:
    """``text`` with full-width digits and Chinese-numeral numbers as ASCII digits
    (one character for one, so spans stay the original's)."""
    if _FULL_WIDTH.search(text) is not None:
        text = text.translate(_FULL_TO_ASCII)
    if _CN_NUMBER.search(text) is None:
        return text
    return _CN_NUMBER.sub(lambda m: m.group().translate(_CN_TO_DIGIT), text)


def find_pii(text: str) -> list[PiiMatch]:
    """Personal data in ``text``, in order, without overlaps (the stronger kind wins).
    Numbers written in Chinese numerals count (spans and texts are the original's)."""
    if not isinstance(text, str) or not text:
        return []
    spelled = _spelled_out(text)
    candidates = _candidates(spelled)
    if spelled is not text:
        candidates = [PiiMatch(m.start, m.end, m.kind, text[m.start : m.end]) for m in candidates]
    if len(candidates) < 2:
        return candidates  # nothing to rank or to overlap
    ranked = sorted(candidates, key=lambda m: (_PRIORITY[m.kind], -(m.end - m.start), m.start))
    # The characters of the matches kept so far, instead of testing each candidate
    # against every kept match (quadratic in a text full of numbers). A match is
    # never empty; only an e-mail address can be long, and e-mail matches never
    # overlap each other, so marking and testing stays linear in the text.
    taken = bytearray(len(text))
    kept: list[PiiMatch] = []
    for match in ranked:
        if taken.find(1, match.start, match.end) < 0:
            taken[match.start : match.end] = b"\x01" * (match.end - match.start)
            kept.append(match)
    return sorted(kept, key=lambda m: m.start)


def mask_pii(text: str, *, locale: str | None = None) -> str:
    """``text`` with each personal-data hit replaced by a placeholder such as ``[手机号]``.

    Placeholders are Chinese when ``locale`` starts with ``zh`` or, without a locale,
    when the text contains Chinese; English (``[PHONE]``) otherwise.
    """
    matches = find_pii(text)
    if not matches:
        return text
    zh = locale.lower().startswith("zh") if locale else has_cjk(text)
    pieces: list[str] = []
    position = 0
    for match in matches:
        pieces.append(text[position : match.start])
        zh_label, en_label = PLACEHOLDERS[match.kind]
        pieces.append(zh_label if zh else en_label)
        position = match.end
    pieces.append(text[position:])
    return "".join(pieces)


# Detector name (YAML ``detector:``) -> the kinds it reports.
DETECTOR_KINDS: dict[str, frozenset[str]] = {
    "mobile_phone": frozenset({"mobile"}),
    "landline_phone": frozenset({"landline"}),
    "intl_phone": frozenset({"intl_phone"}),
    "id_card": frozenset({"id_card"}),
    "email": frozenset({"email"}),
    "bank_card": frozenset({"bank_card"}),
    "social_handle": frozenset({"wechat", "qq"}),
}
