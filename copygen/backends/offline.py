"""The offline backend: composes copy from the product row and the lexicons, no network.

It is the default backend, so it has to produce publishable copy on its own:

* **deterministic** — every choice comes from ``random.Random`` seeded with a SHA-256
  of (sku, platform, lang, variant, seed), never from Python's salted ``hash()``;
* **varied** — variants draw hooks from one fixed permutation per item (so variants
  1..n open differently), rotate the order of selling points and pick other phrasings;
* **within the platform limits** of ``copygen.platforms`` (lengths, item counts);
* **compliant** — the row's own texts (title, selling points, attributes, audience) are
  merchant data and may carry banned wording, so each is checked first and dropped
  when flagged; the composed fields are then checked with the row as facts, and any
  piece a finding falls into is left out on the next pass. Numbers and prices come
  only from the row, prices exactly as written there.

A repair request (``context.attempt > 1`` with findings) recomposes the same item
avoiding every flagged text.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from copygen.backends.base import Backend, Completion, Message, RequestContext, Usage
from copygen.errors import BackendError
from copygen.platforms import PLATFORM_SPECS, PlatformSpec
from copygen.writing.lexicons import Lexicon, lexicon_lang, load_lexicon, placeholders

if TYPE_CHECKING:
    from copygen.compliance.engine import Checker
    from copygen.config import Settings
    from copygen.inputs.product import Product

#: how many compose -> check rounds before giving up and returning the last draft
MAX_ROUNDS = 6
#: rows whose checked data is kept (a row's platforms and variants come together)
FACTS_CACHE_SIZE = 64
SHORT_NAME_MAX = {"zh": 12, "en": 20}
_ZH_END = "。！？!?…～~"
_EN_END = ".!?…"
_NAME_SPLIT = re.compile(r"[\s|｜/、,，【】\[\]()（）]+")
#: placeholders whose English values are lower-cased inside a sentence (not names)
_SOFT = frozenset({"point", "attr_key", "attr_value", "audience", "scene"})
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


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@lru_cache(maxsize=4096)
def _names_of(phrase: str) -> frozenset[str]:
    return frozenset(placeholders(phrase))


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
            if 2 <= len(part) <= limit and _has_cjk(part):
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


# -- pieces: texts that remember where they came from ----------------------------------


@dataclass(frozen=True)
class Piece:
    """A phrase with the lexicon template and row data it was made from."""

    text: str
    sources: frozenset[str] = frozenset()
    template: str = ""  # the lexicon phrase it was filled from ("" for data and joins)


@dataclass
class _Builder:
    """Joins pieces into one field text and remembers each piece's span."""

    parts: list[Piece] = field(default_factory=list)

    def add(self, piece: Piece | None, sep: str = "") -> None:
        if piece is None or not piece.text:
            return
        if sep and self.parts:
            self.parts.append(Piece(sep))
        self.parts.append(piece)

    def render(self) -> tuple[str, list[tuple[int, int, frozenset[str]]]]:
        text = ""
        spans: list[tuple[int, int, frozenset[str]]] = []
        for piece in self.parts:
            spans.append((len(text), len(text) + len(piece.text), piece.sources))
            text += piece.text
        return text, spans

    def __len__(self) -> int:
        return sum(len(p.text) for p in self.parts)


@dataclass(frozen=True)
class Composition:
    fields: dict[str, Any]
    # field name as the checker reports it ("hook", "segments[2]") -> piece spans
    spans: dict[str, list[tuple[int, int, frozenset[str]]]]


# -- the composer ----------------------------------------------------------------------


@dataclass
class _Facts:
    """The usable parts of the row, after dropping anything the checker flags."""

    title: str
    product: str
    brand: str
    audience: str
    points: list[str]
    attributes: list[tuple[str, str]]
    price: str
    promo_price: str
    named: bool  # False when the product's own name could not be used


class Composer:
    """Writes one item's fields. Pure: the same inputs give the same fields."""

    def __init__(
        self,
        *,
        product: Product,
        platform: str,
        lang: str,
        variant: int,
        seed: int | None,
        lexicon: Lexicon,
        facts: _Facts,
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
            k: (v if k not in _SOFT or template.startswith("{" + k + "}") else _soft_lower(v))
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
            text = f"{first.text}, {_soft_lower(second.text)}"
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

    # - platforms -

    def compose(self) -> Composition:
        if self.platform == "livestream":
            return self._livestream()
        if self.platform == "social":
            return self._social()
        return self._detail()

    def _limit(self, name: str) -> int:
        return self.spec.field(name).max_chars or 10_000

    def _fit(self, pieces: Iterable[Piece | None], limit: int, sep: str | None = None) -> _Builder:
        """Pieces in order, skipping any that would push the text past the limit."""
        builder = _Builder()
        joiner = self.sep if sep is None else sep
        for piece in pieces:
            if piece is None or not piece.text:
                continue
            if any(p.text == piece.text for p in builder.parts):
                continue
            extra = len(piece.text) + (len(joiner) if builder.parts else 0)
            if len(builder) + extra <= limit:
                builder.add(piece, joiner)
        return builder

    def _hook(self, slot: str, name: str) -> Piece | None:
        values_extra: dict[str, str] = {}
        sources: dict[str, str] = {}
        scene = self.scene()
        if scene:
            values_extra["scene"] = scene
            sources["scene"] = "scene:" + scene
        return self.pick(
            slot, values_extra, sources=sources, max_len=self._limit(name), rotate=True
        )

    def _livestream(self) -> Composition:
        seg_limit = self._limit("segments")
        hook = self._hook("hooks", "hook")
        segments: list[_Builder] = []

        intro = self._fit(
            [self.sentence(self.pick("intros", rotate=True)), self.sentence(self._opener())],
            seg_limit,
        )
        segments.append(intro)

        points = self._ordered(self.usable_points())
        n_points = min(len(points), self.rng.choice((3, 4, 4, 5)))
        for point in points[:n_points]:
            lead = self.pick("transitions") if self.rng.random() < 0.7 else None
            body = self.joined(
                lead, self.point_piece("point_phrases", point, max_len=seg_limit - 12)
            )
            extra = None
            roll = self.rng.random()
            if roll < 0.25:
                extra = self.scene_piece()
            elif roll < 0.4:
                extra = self.audience_piece()
            segments.append(self._fit([self.sentence(body), self.sentence(extra)], seg_limit))

        attrs = self._attribute_clauses(self._ordered(self.usable_attributes())[:3], seg_limit)
        if attrs is not None:
            segments.append(attrs)

        closing: list[Piece | None] = [self.sentence(self.audience_piece())]
        if self.rng.random() < 0.5:
            closing.append(self.sentence(self.scene_piece()))
        segments.append(self._fit(closing, seg_limit))
        if len([s for s in segments if s.parts]) < 4 or self.rng.random() < 0.35:
            segments.append(self._fit([self.sentence(self.tip_piece())], seg_limit))
        segments.append(self._fit([self.sentence(self.price_piece(required=True))], seg_limit))

        segments = [s for s in segments if s.parts]
        max_items = self.spec.field("segments").max_items or 8
        if len(segments) > max_items:
            # keep the intro and the price, drop from the middle
            segments = segments[: max_items - 1] + segments[-1:]
        while len(segments) < (self.spec.field("segments").min_items or 3):
            filler = self._fit(
                [self.sentence(self.pick("closers", rotate=True)), self.sentence(self.tip_piece())],
                seg_limit,
            )
            if not filler.parts:
                break
            segments.insert(-1, filler)
        cta = self.pick("ctas", max_len=self._limit("call_to_action"), rotate=True)
        return self._result({"hook": _one(hook), "segments": segments, "call_to_action": _one(cta)})

    def _opener(self) -> Piece | None:
        scene = self.scene()
        extra = {"scene": scene} if scene else None
        return self.pick("openers", extra, sources={"scene": "scene:" + (scene or "")}, rotate=True)

    def _attribute_clauses(
        self, attrs: Sequence[tuple[str, str]], limit: int, *, slot: str = "attribute_phrases"
    ) -> _Builder | None:
        clauses = [self.pick_kind(slot, k, v, max_len=limit - 2) for k, v in attrs]
        sentences = [self.sentence(c) for c in clauses if c is not None]
        if not sentences:
            return None
        return self._fit(sentences, limit)

    def _social(self) -> Composition:
        body_limit = self._limit("body")
        title = self._title()
        paragraphs: list[Piece | None] = []
        para1 = self._fit(
            [self.sentence(self._hook("hooks", "body")), self.sentence(self._opener())], body_limit
        )
        paragraphs.append(_as_piece(para1))

        points = self._ordered(self.usable_points())
        n_points = min(len(points), self.rng.choice((3, 4, 5)))
        lines: list[Piece | None] = []
        for index, point in enumerate(points[:n_points]):
            lead = self.pick("transitions") if index and self.rng.random() < 0.4 else None
            lines.append(self.sentence(self.joined(lead, self.point_piece("point_phrases", point))))
        if lines:
            paragraphs.append(_as_piece(self._fit(lines, body_limit, sep="\n")))

        attrs = self._attribute_clauses(self._ordered(self.usable_attributes())[:3], 200)
        if attrs is not None:
            paragraphs.append(_as_piece(attrs))

        who = [self.sentence(self.audience_piece())]
        if self.rng.random() < 0.5:
            who.append(self.sentence(self.scene_piece()))
        if self.rng.random() < 0.5:
            who.append(self.sentence(self.tip_piece()))
        paragraphs.append(_as_piece(self._fit(who, 300)))

        end = [self.sentence(self.price_piece(required=False)) if self.rng.random() < 0.6 else None]
        end.append(self.sentence(self.pick("closers", rotate=True)))
        paragraphs.append(_as_piece(self._fit(end, 200)))

        body = self._fit([p for p in paragraphs if p is not None], body_limit, sep="\n\n")
        return self._result({"title": _one(title), "body": body, "hashtags": self._hashtags()})

    def _title(self) -> Piece | None:
        limit = self._limit("title")
        extra: dict[str, str] = {}
        sources: dict[str, str] = {}
        points = [p for p in self.usable_points() if len(p) <= 10]
        if points:
            point = self._ordered(points)[0]
            extra["point"] = point
            sources["point"] = "point:" + point
        scene = self.scene()
        if scene:
            extra["scene"] = scene
            sources["scene"] = "scene:" + scene
        if not self.facts.audience:
            generic = list(self.lex.phrases("audiences"))
            if generic:
                word = self.rng.choice(generic)
                extra["audience"] = word
                sources["audience"] = "aud:" + word
        return self.pick("titles", extra, sources=sources, max_len=limit, rotate=True)

    def _hashtags(self) -> list[Piece]:
        spec = self.spec.field("hashtags")
        limit = spec.max_chars or 20
        pool: list[Piece] = []
        seen: set[str] = set()

        def add(text: str, source: str) -> None:
            tag = _tag(text, zh=self.zh)
            if not tag or len(tag) > limit or tag.lower() in seen or source in self.excluded:
                return
            if any(a in tag for a in self.avoid):
                return
            seen.add(tag.lower())
            pool.append(Piece(tag, frozenset({source})))

        stems = list(self.lex.phrases("hashtag_stems"))
        named: list[tuple[str, str]] = []
        if self.facts.named and self.facts.product and "name" not in self.excluded:
            named.append((self.facts.product, "name"))
        if self.facts.brand:
            named.append((self.facts.brand, "brand"))
        self.rng.shuffle(named)
        for text, source in named:
            add(text, source)
        shuffled = list(stems)
        self.rng.shuffle(shuffled)
        for stem in shuffled:
            add(stem, "t:" + stem)
        low = max(spec.min_items or 3, 4)
        high = min(spec.max_items or 8, 7)
        count = self.rng.randint(low, high)
        return pool[:count]

    def _detail(self) -> Composition:
        bullet_spec = self.spec.field("bullets")
        b_limit = bullet_spec.max_chars or 60
        headline_extra: dict[str, str] = {}
        headline_src: dict[str, str] = {}
        points = self._ordered(self.usable_points())
        if points:
            headline_extra["point"] = points[0]
            headline_src["point"] = "point:" + points[0]
        headline = self.pick(
            "headlines",
            headline_extra,
            sources=headline_src,
            max_len=self._limit("headline"),
            rotate=True,
        )

        bullets: list[Piece] = []
        max_b = bullet_spec.max_items or 6
        min_b = bullet_spec.min_items or 3
        want = self.rng.randint(min_b + 1, max_b) if max_b > min_b else max_b
        attrs = self._ordered(self.usable_attributes())
        n_attr_bullets = min(len(attrs), self.rng.choice((1, 2, 2, 3)))
        for point in points:
            if len(bullets) >= want - min(n_attr_bullets, 1):
                break
            piece = self.point_piece("bullet_points", point, max_len=b_limit)
            if piece is not None:
                bullets.append(piece)
        for key, value in attrs[:n_attr_bullets]:
            if len(bullets) >= want:
                break
            piece = self.pick_kind("bullet_attributes", key, value, max_len=b_limit)
            if piece is not None:
                bullets.append(piece)
        fillers = [self.tip_piece(), self.pick("fallback_bullets")]
        fallback = self.candidates(
            self.lex.phrases("fallback_bullets"), self._values(), {}, max_len=b_limit
        )
        self.rng.shuffle(fallback)
        for piece in [*fillers, *fallback]:
            if len(bullets) >= min_b:
                break
            if (
                piece is not None
                and len(piece.text) <= b_limit
                and piece.text not in {b.text for b in bullets}
            ):
                bullets.append(piece)

        d_limit = self._limit("description")
        desc: list[Piece | None] = [self.sentence(self.pick("intros", rotate=True))]
        for point in points[:5]:
            desc.append(self.sentence(self.point_piece("description_points", point)))
        attr_builder = self._attribute_clauses(attrs[:4], 300, slot="description_attributes")
        if attr_builder is not None:
            desc.append(_as_piece(attr_builder))
        desc.append(self.sentence(self.audience_piece()))
        desc.append(
            self.sentence(self.price_piece(required=False)) if self.rng.random() < 0.5 else None
        )
        desc.append(self.sentence(self.tip_piece()))
        desc.append(self.sentence(self.pick("closers", rotate=True)))
        description = self._fit(desc, d_limit)
        return self._result(
            {"headline": _one(headline), "bullets": bullets[:max_b], "description": description}
        )

    # - output -

    def _result(self, raw: Mapping[str, Any]) -> Composition:
        fields: dict[str, Any] = {}
        spans: dict[str, list[tuple[int, int, frozenset[str]]]] = {}
        for name, value in raw.items():
            if isinstance(value, list):
                items: list[str] = []
                for index, element in enumerate(value):
                    builder = element if isinstance(element, _Builder) else _one(element)
                    text, piece_spans = builder.render()
                    items.append(text)
                    spans[f"{name}[{index}]"] = piece_spans
                fields[name] = items
            else:
                text, piece_spans = value.render()
                fields[name] = text
                spans[name] = piece_spans
        return Composition(fields=fields, spans=spans)


def _one(piece: Piece | None) -> _Builder:
    builder = _Builder()
    builder.add(piece)
    return builder


def _as_piece(builder: _Builder) -> Piece | None:
    """Flatten a builder into one piece carrying all its sources (for nesting)."""
    if not builder.parts:
        return None
    text, _ = builder.render()
    sources: frozenset[str] = frozenset().union(*(p.sources for p in builder.parts))
    return Piece(text, sources)


def _source_text(source: str, facts: _Facts) -> str:
    """The row text behind a data source key ("name", "point:…", "attr:…")."""
    if source == "name":
        return f"{facts.title}\n{facts.product}"
    if source == "brand":
        return facts.brand
    if source == "audience":
        return facts.audience
    if source == "price":
        return f"{facts.price}\n{facts.promo_price}"
    if source.startswith("attr:"):
        key = source[5:]
        return "\n".join(f"{k}\n{v}" for k, v in facts.attributes if k == key)
    for prefix in ("point:", "aud:", "scene:"):
        if source.startswith(prefix):
            return source[len(prefix) :]
    return ""


def _soft_lower(value: str) -> str:
    """Lower-case a leading capital of an ordinary word (``Quiet clicks``), not ``DPI``/``I``."""
    if len(value) >= 2 and value[0].isupper() and value[1].islower():
        first_word = value.split(" ", 1)[0]
        if first_word not in ("I", "I'm", "I've") and not any(c.isupper() for c in first_word[1:]):
            return value[0].lower() + value[1:]
    return value


def _tag(text: str, *, zh: bool) -> str:
    """A hashtag without '#': no spaces or punctuation; English ones lower-case."""
    cleaned = re.sub(r"[\s#·・,，。.!！?？:：;；|｜/\\\"'()（）\[\]【】-]+", "", text)
    return cleaned if zh or _has_cjk(cleaned) else cleaned.lower()


# -- preparing the row -----------------------------------------------------------------


def _flagged(result: Any) -> bool:
    return bool(result.findings) and any(f.severity in ("block", "warn") for f in result.findings)


def prepare_facts(
    product: Product,
    *,
    lang: str,
    lexicon: Lexicon,
    check: Callable[[Mapping[str, Any]], Any] | None,
    avoid: frozenset[str] = frozenset(),
) -> _Facts:
    """The row's texts that may be used: each one checked, flagged ones dropped."""
    zh = lexicon_lang(lang) == "zh"
    title = product.title.strip()
    brand = product.brand.strip()
    audience = product.audience.strip()
    points = list(
        dict.fromkeys(p.strip().rstrip("。.；;") for p in product.selling_points if p.strip())
    )
    attributes = [
        (k.strip(), v.strip()) for k, v in product.attributes.items() if k.strip() and v.strip()
    ]
    sep = "：" if zh else ": "
    candidates: dict[str, str] = {"title": title}
    if brand:
        candidates["brand"] = brand
    if audience:
        candidates["audience"] = audience
    for i, p in enumerate(points):
        candidates[f"p{i}"] = p
    for i, (k, v) in enumerate(attributes):
        candidates[f"a{i}"] = f"{k}{sep}{v}"
    bad: set[str] = {name for name, text in candidates.items() if any(a in text for a in avoid)}
    if not zh:
        # English (or other) copy cannot carry Chinese row texts; without translation
        # the honest option is to leave them out and use neutral names.
        bad |= {name for name, text in candidates.items() if _has_cjk(text)}
    if check is not None:
        result = check(candidates)
        for finding in result.findings:
            if finding.severity in ("block", "warn"):
                bad.add(finding.field.split("[", 1)[0])
    named = "title" not in bad
    name = short_name(title, brand if "brand" not in bad else "", "zh" if zh else "en")
    if not named or not name:
        nouns = lexicon.phrases("product_nouns")
        name = nouns[0] if nouns else ("这款产品" if zh else "product")
        named = False
    return _Facts(
        title=title if named else name,
        product=name,
        brand=brand if "brand" not in bad else "",
        audience=audience if "audience" not in bad else "",
        points=[p for i, p in enumerate(points) if f"p{i}" not in bad],
        attributes=[a for i, a in enumerate(attributes) if f"a{i}" not in bad],
        price=format_price(product.price),
        promo_price=format_price(product.promo_price),
        named=named,
    )


# -- the backend -----------------------------------------------------------------------


class OfflineBackend(Backend):
    """Composes platform copy from the row and the lexicons; no network, no model."""

    name: ClassVar[str] = "offline"
    remote: ClassVar[bool] = False
    description: ClassVar[str] = (
        "Built-in composer: writes every platform's copy from the product row and the "
        "lexicons, deterministic per seed, checked before it is returned; no network."
    )

    def __init__(
        self,
        *,
        seed: int | None = None,
        settings: Settings | None = None,
        checker: Checker | None = None,
        lexicon_dir: Path | None = None,
        self_check: bool = True,
    ) -> None:
        self.seed = seed
        self._settings = settings
        self._checker = checker
        self._lexicon_dir = lexicon_dir
        self._self_check = self_check
        # Brand voice: words the brand never uses are left out like flagged text.
        self._voice_avoid: tuple[str, ...] = (
            tuple(w.strip() for w in settings.brand_voice.avoid if w.strip()) if settings else ()
        )
        self._facts_cache: OrderedDict[tuple[Any, ...], _Facts] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: Settings) -> OfflineBackend:
        return cls(seed=settings.seed, settings=settings)

    @property
    def model(self) -> str | None:
        return "offline"

    @property
    def checker(self) -> Checker | None:
        """The checker, built on first use (the same rules the pipeline checks with)."""
        if not self._self_check:
            return None
        if self._checker is None:
            from copygen.compliance.engine import Checker

            if self._settings is not None:
                self._checker = Checker.from_settings(self._settings)
            else:
                self._checker = Checker()
        return self._checker

    async def complete(
        self,
        messages: Sequence[Message],
        params: Mapping[str, Any],
        *,
        context: RequestContext | None = None,
    ) -> Completion:
        if context is None or context.product is None:
            raise BackendError(
                "the offline backend composes from the product row: the request carries none"
            )
        started = time.perf_counter()
        seed = context.seed if context.seed is not None else params.get("seed", self.seed)
        avoid: set[str] = set()
        if context.attempt > 1:
            for finding in context.findings:
                text = str(finding.get("text") or "").strip()
                if text and finding.get("category") != "format":
                    avoid.add(text)
        fields = self.compose(
            context.product,
            platform=context.platform,
            lang=context.lang,
            variant=context.variant,
            seed=seed,
            avoid=frozenset(avoid),
        )
        latency = (time.perf_counter() - started) * 1000.0
        return Completion(
            text=json.dumps(fields, ensure_ascii=False),
            usage=Usage(0, 0),
            latency_ms=latency,
            model="offline",
            finish_reason="stop",
            raw=None,
        )

    def compose(
        self,
        product: Product,
        *,
        platform: str,
        lang: str | None = None,
        variant: int = 1,
        seed: int | None = None,
        avoid: Iterable[str] = (),
    ) -> dict[str, Any]:
        """The platform's fields for one item, checked (when a checker is available)."""
        if platform not in PLATFORM_SPECS:
            raise BackendError(f"unknown platform {platform!r}")
        out_lang = lang or product.lang or "zh"
        lexicon = load_lexicon(
            category=product.category, platform=platform, lang=out_lang, directory=self._lexicon_dir
        )
        checker = self.checker
        avoid_set = frozenset(a for a in (*avoid, *self._voice_avoid) if a)

        def check_fields(fields: Mapping[str, Any], with_platform: bool = True) -> Any:
            assert checker is not None
            return checker.check(
                fields,
                lang=out_lang,
                category=product.category,
                platform=platform if with_platform else None,
                product=product,
            )

        # Variants and platforms of one row share the checked row data.
        facts_key = (
            product.sku,
            product.title,
            product.brand,
            product.audience,
            product.category,
            product.selling_points,
            tuple(product.attributes.items()),
            out_lang,
            avoid_set,
        )
        facts = self._facts_cache.get(facts_key)
        if facts is None:
            facts = prepare_facts(
                product,
                lang=out_lang,
                lexicon=lexicon,
                check=(lambda f: check_fields(f, False)) if checker is not None else None,
                avoid=avoid_set,
            )
            self._facts_cache[facts_key] = facts
            while len(self._facts_cache) > FACTS_CACHE_SIZE:
                self._facts_cache.popitem(last=False)
        else:
            self._facts_cache.move_to_end(facts_key)
        excluded: set[str] = set()
        composition: Composition | None = None
        for _round in range(MAX_ROUNDS):
            composition = Composer(
                product=product,
                platform=platform,
                lang=out_lang,
                variant=variant,
                seed=seed,
                lexicon=lexicon,
                facts=facts,
                excluded=frozenset(excluded),
                avoid=avoid_set,
            ).compose()
            if checker is None:
                break
            result = check_fields(composition.fields)
            if not _flagged(result):
                break
            grew = False
            for finding in result.findings:
                if finding.severity not in ("block", "warn"):
                    continue
                for start, end, sources in composition.spans.get(finding.field, ()):
                    if start < finding.end and finding.start < end and sources:
                        # Blame the lexicon phrase first (这款叫床垫 trips a rule
                        # through the frame, not the name); the row's data only when
                        # the same data is flagged again inside another phrase.
                        templates = {x for x in sources if x.startswith("t:")}
                        data = sources - templates
                        inside = {
                            x
                            for x in data
                            if finding.text and finding.text in _source_text(x, facts)
                        }
                        blamed = inside or templates - excluded or data
                        before = len(excluded)
                        excluded |= blamed
                        grew = grew or len(excluded) > before
                if finding.text and finding.category != "format" and finding.text not in avoid_set:
                    avoid_set = avoid_set | {finding.text}
                    grew = True
            if not grew:
                break
        assert composition is not None
        return composition.fields
