"""Pure text helpers of the offline composer: seeds, prices, short names, hashtags, case.

Nothing here holds state or reads a lexicon; every function gives the same answer for
the same arguments on every run and machine.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal

SHORT_NAME_MAX = {"zh": 12, "en": 20}
_NAME_SPLIT = re.compile(r"[\s|｜/、,，【】\[\]()（）]+")
_SPEC_TOKEN = re.compile(r"^[\d.,×x*+\-~/%]+[a-zA-Z%°″\"']*$|^\d")


# -- seeds -----------------------------------------------------------------------------


def item_seed(*parts: object) -> int:
    """A stable 64-bit seed from the parts (SHA-256; the same on every run and machine)."""
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


# -- text helpers ----------------------------------------------------------------------


def format_price(value: Decimal | None) -> str:
    """The price as written in the row (``Decimal`` keeps ``19.90`` as ``19.90``)."""
    if value is None:
        return ""
    text = str(value)
    if "E" in text or "e" in text:  # 1E+2 and the like: plain digits instead
        text = format(value, "f")
    return text


def has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def short_name(title: str, brand: str, lang: str) -> str:
    """A short name for the product: the title without brand and spec tokens, shortened.

    Chinese and English titles both put the head noun last (高山云雾绿茶 250g 礼盒装,
    Stainless Steel Insulated Water Bottle 750ml), so words are kept from the end.
    """
    limit = SHORT_NAME_MAX["zh" if lang == "zh" else "en"]
    text = title.strip()
    if brand and text.lower().startswith(brand.lower()) and len(text) > len(brand) + 1:
        text = text[len(brand) :].strip(" -|｜")
    parts = [p for p in _NAME_SPLIT.split(text) if p and not _SPEC_TOKEN.match(p)]
    if not parts:
        return text[:limit]
    joined = " ".join(parts)
    if len(joined) <= limit:
        return joined
    if lang == "zh":
        for part in parts:
            if 2 <= len(part) <= limit and has_cjk(part):
                return part
        head = max(parts, key=len) if parts else text
        return _tail_words_zh(head, limit)
    words: list[str] = []
    for word in reversed(parts):
        candidate = " ".join([word, *words])
        if len(candidate) > limit:
            break
        words.insert(0, word)
    return " ".join(words) if words else (parts[-1] if parts else text)[:limit]


def _tail_words_zh(text: str, limit: int) -> str:
    import jieba

    words = [w for w in jieba.lcut(text) if w.strip()]
    out = ""
    for word in reversed(words):
        if len(word) + len(out) > limit:
            break
        out = word + out
    return out or text[-limit:]


def soft_lower(value: str) -> str:
    """Lower-case a leading capital of an ordinary word (``Quiet clicks``), not ``DPI``/``I``."""
    if len(value) >= 2 and value[0].isupper() and value[1].islower():
        first_word = value.split(" ", 1)[0]
        if first_word not in ("I", "I'm", "I've") and not any(c.isupper() for c in first_word[1:]):
            return value[0].lower() + value[1:]
    return value


def hashtag(text: str, *, zh: bool) -> str:
    """A hashtag without '#': no spaces or punctuation; English ones lower-case."""
    cleaned = re.sub(r"[\s#·・,，。.!！?？:：;；|｜/\\\"'()（）\[\]【】-]+", "", text)
    return cleaned if zh or has_cjk(cleaned) else cleaned.lower()
