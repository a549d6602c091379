"""Picking lexicon phrases for one item: filling, fitting, sentences and row pieces.

Phrases are filled with ``str.format_map`` on plain data, never rendered as template
source. A phrase is left out when it is excluded (flagged before), when it needs a
value the row lacks or a source that is excluded, when it is too long, or when it
holds a text the request asks to avoid.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

from copygen.platforms import PLATFORM_SPECS, PlatformSpec
from copygen.writing.lexicons import Lexicon, lexicon_lang, placeholders
from copygen.writing.phrasing import item_seed, soft_lower
from copygen.writing.pieces import Piece

if TYPE_CHECKING:
    from copygen.inputs.product import Product
    from copygen.writing.row_texts import Facts

_ZH_END = "。！？!?…～~"
#: sentence ends inside a piece ("Questions? Ask me." is two sentences)
_SENTENCE_SPLIT = re.compile(r"(?<=[。！？!?…])|(?<=[.!?])\s+")
_EN_END = ".!?…"
#: placeholders whose English values are lower-cased inside a sentence (not names)
_SOFT = frozenset({"point", "attr_key", "attr_value", "audience", "scene"})


@lru_cache(maxsize=4096)
def _names_of(phrase: str) -> frozenset[str]:
    return frozenset(placeholders(phrase))


class PhrasePicker:
    """Picks and fills lexicon phrases for one item and turns them into sentences.

    The base of ``Composer``: everything here is shared by the platform compositions.
    Every choice comes from generators seeded by the item, never from ``hash()``.
    """

    def __init__(
        self,
        *,
        product: Product,
        platform: str,
        lang: str,
        variant: int,
        seed: int | None,
        lexicon: Lexicon,
        facts: Facts,
        excluded: frozenset[str] = frozenset(),
        avoid: frozenset[str] = frozenset(),
    ) -> None:
        self.product = product
        self.platform = platform
        self.spec: PlatformSpec = PLATFORM_SPECS[platform]
        self.lang = lexicon_lang(lang)
        self.zh = self.lang == "zh"
        self.variant = max(1, int(variant))
        self.lex = lexicon
        self.facts = facts
        self.excluded = excluded
        self.avoid = avoid
        sku, out_lang = product.sku, lang
        self.used: set[str] = set()  # templates already used in this item
        self.said: set[str] = set()  # sentences already in this item (never twice)
        self.audience_mentions = 0
        # One order per item shared by all variants (so variants open differently), and
        # one generator per variant for everything else.
        self.base_seed = item_seed("base", sku, platform, out_lang, seed)
        self.rng = random.Random(item_seed(sku, platform, out_lang, self.variant, seed))

    # - picking phrases -

    def _values(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        f = self.facts
        title, name = f.title, f.product
        if "name" in self.excluded:
            # The product's own name keeps getting flagged: call it by a neutral noun.
            nouns = self.lex.phrases("product_nouns")
            title = name = nouns[0] if nouns else ""
        values = {
            "title": title,
            "product": name,
            "brand": f.brand,
            "audience": f.audience,
            "price": f.price,
            "promo_price": f.promo_price,
        }
        if extra:
            values.update(extra)
        return {k: v for k, v in values.items() if v}

    @property
    def _name_source(self) -> str:
        """Source key of the product's name: the row's, or the neutral noun once excluded."""
        return "noun" if "name" in self.excluded else "name"

    def _fill(self, template: str, values: Mapping[str, str]) -> str:
        if self.zh:
            return template.format_map(dict(values))
        # English: a value inside a sentence starts lower-case ("I like the quiet
        # clicks"), the sentence itself starts upper-case.
        soft = {
            k: (v if k not in _SOFT or template.startswith("{" + k + "}") else soft_lower(v))
            for k, v in values.items()
        }
        text = template.format_map(soft)
        return text[:1].upper() + text[1:] if text[:1].islower() else text

    def candidates(
        self,
        phrases: Sequence[str],
        values: Mapping[str, str],
        sources: Mapping[str, str],
        *,
        max_len: int | None = None,
    ) -> list[Piece]:
        """Every phrase that can be filled, fits and is not excluded, in lexicon order."""
        return [
            p
            for p in (self._candidate(t, values, sources, max_len) for t in phrases)
            if p is not None
        ]

    def _candidate(
        self,
        template: str,
        values: Mapping[str, str],
        sources: Mapping[str, str],
        max_len: int | None,
    ) -> Piece | None:
        key = "t:" + template
        if key in self.excluded:
            return None
        names = _names_of(template)
        if not names <= values.keys():
            return None
        used = {sources[n] for n in names if n in sources}
        if used & self.excluded:
            return None
        text = self._fill(template, values)
        if max_len is not None and len(text) > max_len:
            return None
        if any(a in text for a in self.avoid):
            return None
        return Piece(text, frozenset({key, *used}), template)

    def _choose(
        self,
        phrases: Sequence[str],
        values: Mapping[str, str],
        sources: Mapping[str, str],
        max_len: int | None,
        rng: random.Random,
    ) -> Piece | None:
        """A random usable phrase, preferring ones this item has not used yet.

        Templates are shuffled first and filled one by one until one fits, so a pick
        costs a few substitutions rather than one per phrase of the slot.
        """
        fresh = [t for t in phrases if t not in self.used]
        stale = [t for t in phrases if t in self.used]
        rng.shuffle(fresh)
        rng.shuffle(stale)
        for template in (*fresh, *stale):
            piece = self._candidate(template, values, sources, max_len)
            if piece is not None:
                self.used.add(template)
                return piece
        return None

    def pick(
        self,
        slot: str,
        extra: Mapping[str, str] | None = None,
        *,
        sources: Mapping[str, str] | None = None,
        max_len: int | None = None,
        rng: random.Random | None = None,
        rotate: bool = False,
        phrases: Sequence[str] | None = None,
    ) -> Piece | None:
        """One phrase of a slot (or of ``phrases``), filled; None when nothing fits."""
        values = self._values(extra)
        who = self._name_source
        src = {"title": who, "product": who, "brand": "brand", "audience": "audience"}
        src.update({"price": "price", "promo_price": "price"})
        if sources:
            src.update(sources)
        pool = self.lex.phrases(slot) if phrases is None else phrases
        if not rotate:
            return self._choose(pool, values, src, max_len, rng or self.rng)
        found = self.candidates(pool, values, src, max_len=max_len)
        if not found:
            return None
        # One order per item, the same for every variant (it depends on the templates,
        # not on the variant), indexed by the variant: variants 1..n open with n
        # different phrases.
        ordered = sorted(found, key=lambda p: item_seed(self.base_seed, slot, p.template))
        piece = ordered[(self.variant - 1) % len(ordered)]
        self.used.add(piece.template)
        return piece

    def pick_kind(
        self, slot: str, key: str, value: str, *, max_len: int | None = None
    ) -> Piece | None:
        kind = self.lex.attribute_kind(key)
        values = self._values({"attr_key": key, "attr_value": value})
        src = {
            "attr_key": "attr:" + key,
            "attr_value": "attr:" + key,
            "title": self._name_source,
            "product": self._name_source,
            "brand": "brand",
        }
        return self._choose(self.lex.kind_phrases(slot, kind), values, src, max_len, self.rng)

    #: per slot, the slots of frames written for one kind of point
    KIND_SLOTS: ClassVar[dict[str, str]] = {
        "noun": "noun_points",
        "state": "state_points",
        "action": "action_points",
    }

    def point_piece(self, slot: str, point: str, *, max_len: int | None = None) -> Piece | None:
        """A selling point in a frame that suits what the point is.

        ``slot`` holds frames that read well around any point; the kind's own slot
        (软毛设计 -> noun_points, 口感舒适 -> state_points) adds more natural ones. An
        English bullet that is a sentence of its own is used as it is, its label as a
        lead-in ("Responsive flex: The Crossbow features …").
        """
        kind = self.facts.kind_of(point)
        src = {"point": "point:" + point}
        if kind == "sentence":
            label = self.facts.point_labels.get(point, "")
            text = f"{label}: {point}" if label else point
            if max_len is not None and len(text) > max_len:
                text = point
            if (max_len is not None and len(text) > max_len) or "point:" + point in self.excluded:
                return None
            if any(a in text for a in self.avoid):
                return None
            return Piece(text[:1].upper() + text[1:], frozenset(src.values()), "")
        own = self.KIND_SLOTS.get(kind)
        pools: list[Sequence[str]] = [self.lex.phrases(slot)]
        if own is not None and self.lex.phrases(own):
            pools.insert(0 if self.rng.random() < 0.5 else 1, self.lex.phrases(own))
        for pool in pools:
            piece = self.pick(slot, {"point": point}, sources=src, max_len=max_len, phrases=pool)
            if piece is not None:
                return piece
        return None

    # - sentence helpers -

    def sentence(self, piece: Piece | None) -> Piece | None:
        """The piece as a sentence; None when this item already says it."""
        if piece is None:
            return None
        text = piece.text.rstrip("，,;；:： ")
        ends = _ZH_END if self.zh else _EN_END
        if text and text[-1] not in ends:
            text += "。" if self.zh else "."
        if not self.remember(text):
            return None
        return Piece(text, piece.sources, piece.template)

    def remember(self, text: str) -> bool:
        """Note a text as said in this item; False (and nothing noted) when it, or one of
        its sentences, already is."""
        parts = {p.strip() for p in _SENTENCE_SPLIT.split(text) if len(p.strip()) >= 4}
        if text in self.said or parts & self.said:
            return False
        self.said.add(text)
        self.said |= parts
        return True

    def joined(self, first: Piece | None, second: Piece | None) -> Piece | None:
        """``transition`` + ``phrase`` as one clause: 再来说说，主打… / Also, it…"""
        if first is None:
            return second
        if second is None:
            return first
        if not second.template.startswith("{"):
            return second  # 先说… / Look at this: … already lead in
        if self.zh:
            text = f"{first.text}，{second.text}"
        else:
            text = f"{first.text}, {soft_lower(second.text)}"
        return Piece(text, first.sources | second.sources, second.template)

    @property
    def sep(self) -> str:
        return "" if self.zh else " "

    def _ordered(self, items: Sequence[Any]) -> list[Any]:
        """Rotate by variant, then a light shuffle: each variant leads with another item."""
        if not items:
            return []
        shift = (self.variant - 1) % len(items)
        rotated = list(items[shift:]) + list(items[:shift])
        head, tail = rotated[:1], rotated[1:]
        self.rng.shuffle(tail)
        return head + tail

    def usable_points(self) -> list[str]:
        return [p for p in self.facts.points if "point:" + p not in self.excluded]

    def usable_attributes(self) -> list[tuple[str, str]]:
        return [(k, v) for k, v in self.facts.attributes if "attr:" + k not in self.excluded]

    def scenes(self) -> list[str]:
        """Where the product is used: its type's scenes when the title names a type
        (rice is never in the office drawer), else the category's few safe ones."""
        known = self.facts.scenes if self.facts.kind is not None else self.lex.phrases("scenes")
        return [s for s in known if "scene:" + s not in self.excluded]

    def scene(self) -> str | None:
        scenes = self.scenes()
        return self.rng.choice(scenes) if scenes else None

    def audience_piece(self, slot: str = "audience_phrases") -> Piece | None:
        """Who it is for: the row's audience only (none is invented), at most twice."""
        if self.audience_mentions >= 2:
            return None
        if not self.facts.audience or "audience" in self.excluded:
            return None
        piece = self.pick(slot)
        if piece is not None:
            self.audience_mentions += 1
        return piece

    def scene_piece(self, slot: str = "scene_phrases") -> Piece | None:
        word = self.scene()
        if word is None:
            return None
        own = self.lex.category_phrases("scene_phrases") if slot == "scene_phrases" else ()
        return self.pick(
            slot, {"scene": word}, sources={"scene": "scene:" + word}, phrases=own or None
        )

    def price_piece(self, *, required: bool) -> Piece | None:
        if self.facts.promo_price:
            piece = self.pick("promo_lines")
            if piece is not None:
                return piece
        if self.facts.price:
            piece = self.pick("price_lines")
            if piece is not None:
                return piece
        return self.pick("no_price_lines") if required else None

    def tip_piece(self) -> Piece | None:
        """A use or storage tip, the category's own first (they say more than the
        shared ones, which would otherwise end half of all texts)."""
        own = self.lex.category_phrases("care_tips")
        if own and self.rng.random() < 0.8:
            piece = self.pick("care_tips", phrases=own)
            if piece is not None:
                return piece
        return self.pick("care_tips")
