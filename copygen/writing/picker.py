"""Picking lexicon phrases for one item: filling, fitting, sentences and row pieces.

Phrases are filled with ``str.format_map`` on plain data, never rendered as template
source. A phrase is left out when it is excluded (flagged before), when it needs a
value the row lacks or a source that is excluded, when it is too long, or when it
holds a text the request asks to avoid.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from copygen.platforms import PLATFORM_SPECS, PlatformSpec
from copygen.writing.lexicons import Lexicon, lexicon_lang, placeholders
from copygen.writing.phrasing import item_seed, soft_lower
from copygen.writing.pieces import Piece

if TYPE_CHECKING:
    from copygen.inputs.product import Product
    from copygen.writing.row_texts import Facts

_ZH_END = "。！？!?…～~"
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
        self.generic_audience: str | None = None
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

    def point_piece(self, slot: str, point: str, *, max_len: int | None = None) -> Piece | None:
        return self.pick(
            slot, {"point": point}, sources={"point": "point:" + point}, max_len=max_len
        )

    # - sentence helpers -

    def sentence(self, piece: Piece | None) -> Piece | None:
        if piece is None:
            return None
        text = piece.text.rstrip("，,;；:： ")
        ends = _ZH_END if self.zh else _EN_END
        if text and text[-1] not in ends:
            text += "。" if self.zh else "."
        return Piece(text, piece.sources, piece.template)

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

    def scene(self) -> str | None:
        scenes = [s for s in self.lex.phrases("scenes") if "scene:" + s not in self.excluded]
        return self.rng.choice(scenes) if scenes else None

    def audience_piece(self, slot: str = "audience_phrases") -> Piece | None:
        """Who it is for: the row's audience, else one generic audience per item.

        At most two mentions per item, always of the same audience.
        """
        if self.audience_mentions >= 2:
            return None
        if self.facts.audience and "audience" not in self.excluded:
            piece = self.pick(slot)
        else:
            if self.generic_audience is None:
                generic = [
                    a for a in self.lex.phrases("audiences") if "aud:" + a not in self.excluded
                ]
                if not generic:
                    return None
                self.generic_audience = self.rng.choice(generic)
            word = self.generic_audience
            piece = self.pick(slot, {"audience": word}, sources={"audience": "aud:" + word})
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
        return self.pick("care_tips")
