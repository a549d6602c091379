"""Pure text helpers of the offline composer: seeds, prices, short names, hashtags, case.

Nothing here holds state or reads a lexicon; every function gives the same answer for
the same arguments on every run and machine.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal

from copygen.writing import word_tags

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
    words = word_tags.words(text)
    if words is None:
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


# -- prices ----------------------------------------------------------------------------


def price_display(amount: str, written: str, currency: str | None, *, zh: bool) -> str:
    """The price as the copy quotes it.

    With a currency mark in the sheet (``$237.68``, ``12.5美元``, ``¥1,299.00``) the cell is
    quoted exactly as written; a bare number is the amount in the language's usual unit:
    ``199元`` in Chinese, ``199`` in English (the sheet named no currency to add).
    """
    if not amount:
        return ""
    if currency and written.strip():
        return written.strip()
    return f"{amount}元" if zh else amount


# -- selling points: what kind of phrase a point is ------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


#: point kinds: the frames a point reads well in
NOUN, STATE, ACTION, SENTENCE, ANY = "noun", "state", "action", "sentence", "any"

# A point that starts with one of these is a predicate about the product (它便于携带,
# 它适合四季使用, 它无刺激), never something the buyer does with it.
_ZH_STATE_HEADS = (
    "易于",
    "便于",
    "适合",
    "适用",
    "符合",
    "专为",
    "满足",
    "支持",
    "兼容",
    "易",
    "可",
    "不",
    "无",
    "超",
    "很",
    "更",
    "含",
    "富含",
    "有",
    "包含",
    "集成",
    "保留",
    "用于",
    "即",
)
# Nouns a point ends with when it names a feature (减震设计, 多种口味选择, 天然成分).
_ZH_NOUN_TAILS = (
    "设计",
    "配方",
    "材料",
    "材质",
    "包装",
    "款式",
    "功能",
    "结构",
    "技术",
    "面料",
    "成分",
    "工艺",
    "造型",
    "版型",
    "选择",
    "口味",
    "风格",
    "空间",
    "系统",
    "模式",
    "手柄",
    "刷头",
    "容量",
    "尺寸",
    "接口",
)
_ZH_STATE_TAILS = ("可选", "可调", "皆宜", "可拆洗", "可水洗", "可机洗", "不变形", "不起球")
_ZH_ADJ_FLAGS = frozenset({"a", "ad", "an", "i", "z", "d"})
# Two-character states a point often ends with (口感丝滑, 大小适中, 安全无毒), which
# jieba tags as nouns as often as not.
_ZH_STATE_ENDS = frozenset(
    _words("""舒适 方便 透气 丝滑 多汁 多样 适中 无毒 耐脏 耐磨 全面 持久 细腻 精致 耐用 可靠 均衡
    丰富 酥脆 宽敞 清爽 柔软 轻便 安静 稳定 稳固 简约 时尚 优雅 浪漫 温和 无味 便携 顺滑
    浓郁 醇厚 新鲜 饱满 轻薄 保暖 百搭 显瘦 防水 速干 紧凑 大气 美观 实用 结实 牢固 安全
    环保 卫生 干净 清晰 流畅 灵敏 快速 迅速 高效 省电 静音 小巧 轻巧 适用 皆宜 众多 多元
    齐全 充足 充沛 清新 顺口 爽口 软糯 香甜 浓密 纤长 自然 服帖 贴合 舒服 好用 易用
    易洗 好洗 不腻 清淡 解腻 醒神 提神 专用 适宜 广泛""")
)
_ZH_STATE_LAST = frozenset("高低强好多少快慢足大小轻薄厚软硬亮香甜鲜嫩脆滑稳准全广")


def zh_point_kind(point: str) -> str:
    """``noun`` (软毛设计), ``state`` (口感舒适, 便于携带) or ``action`` (清洁牙齿);
    ``any`` for a long or multi-clause point, which only neutral frames suit."""
    text = point.strip()
    if len(text) > 16 or re.search(r"[，,；;。！？!?]", text):
        return ANY
    if text.startswith(_ZH_STATE_HEADS) or text.endswith(_ZH_STATE_TAILS):
        return STATE
    if text.endswith(_ZH_NOUN_TAILS):
        return NOUN
    if len(text) >= 3 and (text[-2:] in _ZH_STATE_ENDS or text[-1] in _ZH_STATE_LAST):
        return STATE
    words = word_tags.tagged(text)
    if words is None:
        import jieba.posseg

        words = [(w.word, w.flag) for w in jieba.posseg.lcut(text) if w.word.strip()]
    if not words:
        return ANY
    last_flag = words[-1][1]
    first_flag = words[0][1]
    if last_flag in _ZH_ADJ_FLAGS or (last_flag == "l" and len(words) > 1):
        return STATE
    if first_flag in ("v", "vd") and len(words) > 1:
        return ACTION
    return NOUN


# English: verbs a bullet starts with when it says what the product does (Keeps, Includes).
_EN_VERBS = frozenset(
    _words("""adds adjusts allows applies attaches blocks brings builds charges combines comes
    conforms connects contains converts covers creates delivers displays doubles features
    fits folds gives goes has helps holds includes installs keeps lasts lets lights locks
    makes measures offers opens packs plays plugs provides pairs reduces runs saves sits
    snaps stands stays stores supports survives syncs teaches turns uses works wraps""")
)
# Bare verbs a bullet starts with when it speaks to the buyer (Make 8 planes, Try our …).
_EN_IMPERATIVES = frozenset(
    _words("""add bring build choose create discover enjoy experiment explore get give keep learn
    make mix pick play plug put set share snap start take try turn use watch""")
)
_EN_PARTICIPLES = frozenset(
    _words("""made designed built crafted engineered printed licensed officially sized packed
    inspired included handmade tested certified available""")
)
_EN_STATES = frozenset({"great", "ideal", "perfect", "suitable", "easy", "safe", "compatible"})
_EN_LABEL = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9 &'’/+\-.]{1,40}?)\s*[:：]\s+(\S.*)$", re.S)
_EN_SENTENCE_END = re.compile(r"(?<=[a-z0-9)\]'’\"%][.!?])\s+(?=[A-Z0-9])")


def en_split_point(point: str) -> tuple[str, str]:
    """An Amazon-style bullet's label and body: ("Responsive flex", "The Crossbow …").

    The label (up to six words before a colon) loses its shouting capitals; a point
    without one has an empty label.
    """
    match = _EN_LABEL.match(point)
    # "The Pokémon TCG: Sun & Moon …" is a name with a colon, not a label.
    if match and len(match.group(1).split()) <= 6 and match.group(1).split()[0] != "The":
        label = match.group(1).strip()
        if label.isupper():
            label = label[:1] + label[1:].lower()
        return label, match.group(2).strip()
    return "", point.strip()


def first_sentence(text: str) -> str:
    """The first sentence of a text, whole (never cut inside one)."""
    parts = _EN_SENTENCE_END.split(text.strip(), maxsplit=1)
    return parts[0].strip()


def en_point_kind(body: str) -> str:
    """``sentence`` (has its own subject and verb, or speaks to the buyer), ``action``
    (starts with what it does: Keeps drinks cold), ``state`` (Made in USA, Great for
    fans) or ``noun`` (Leak-proof lid)."""
    words = re.findall(r"[A-Za-z']+", body)
    if not words:
        return ANY
    first = words[0].lower()
    if first in _EN_VERBS:
        return ACTION
    if first in _EN_IMPERATIVES and len(words) > 2:
        return SENTENCE
    if first in _EN_PARTICIPLES or first in _EN_STATES:
        return STATE
    lowered = [w.lower() for w in words[1:]]
    if any(w in _EN_VERBS or w in ("is", "are", "was", "can", "will") for w in lowered):
        return SENTENCE
    return NOUN


#: marketplace boilerplate that is never a selling point
_BOILERPLATE = re.compile(
    r"make sure this fits|entering your model number|see more product details"
    r"|click here|visit the .* store",
    re.IGNORECASE,
)


def is_boilerplate(point: str) -> bool:
    return _BOILERPLATE.search(point) is not None
