"""The offline composer: one item's platform fields from the row and the lexicons.

The offline backend has to produce publishable copy on its own, so the composer is:

* **deterministic** — every choice comes from ``random.Random`` seeded with a SHA-256
  of (sku, platform, lang, variant, seed), never from Python's salted ``hash()``;
* **varied** — variants draw hooks from one fixed permutation per item (so variants
  1..n open differently), rotate the order of selling points and pick other phrasings;
* **within the platform limits** of ``copygen.platforms`` (lengths, item counts);
* **compliant** — it writes only with the row texts that passed the checker
  (``copygen.writing.row_texts``); ``compose_checked`` then checks the composed fields
  with the row as facts, and any piece a finding falls into is left out on the next
  pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from typing import TYPE_CHECKING, Any

from copygen.writing.phrasing import hashtag
from copygen.writing.picker import PhrasePicker
from copygen.writing.pieces import Builder, Composition, Piece, Span, flatten, single
from copygen.writing.row_texts import Facts, source_text

if TYPE_CHECKING:
    from copygen.compliance.findings import CheckResult
    from copygen.inputs.product import Product
    from copygen.writing.lexicons import Lexicon

#: how many compose -> check rounds before giving up and returning the last draft
MAX_ROUNDS = 6


class Composer(PhrasePicker):
    """Writes one item's fields. Pure: the same inputs give the same fields."""

    # - platforms -

    def compose(self) -> Composition:
        if self.platform == "livestream":
            return self._livestream()
        if self.platform == "social":
            return self._social()
        return self._detail()

    def _limit(self, name: str) -> int:
        return self.spec.field(name).max_chars or 10_000

    def _fit(self, pieces: Iterable[Piece | None], limit: int, sep: str | None = None) -> Builder:
        """Pieces in order, skipping any that would push the text past the limit."""
        builder = Builder()
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

    # - live stream: hook, show, points, talk with the room, the row's offer, the cart -

    def _livestream(self) -> Composition:
        seg_limit = self._limit("segments")
        hook = self._hook("hooks", "hook")
        points = self._ordered(self.usable_points())
        attrs = self._ordered(self.usable_attributes())[:3]
        low, high = self._script_range()

        intro = self._fit(
            [self.sentence(self.pick("intros", rotate=True)), self.sentence(self._opener())],
            seg_limit,
        )
        demo = self.sentence(self.pick("demos"))
        point_segments: list[Builder] = []
        for index, point in enumerate(points[:5]):
            lead = self.pick("transitions") if index and self.rng.random() < 0.6 else None
            framed = self.point_piece("point_phrases", point, max_len=seg_limit - 24)
            # a lead-in without its point would be a sentence about nothing
            body = self.sentence(self.joined(lead, framed)) if framed is not None else None
            parts: list[Piece | None] = [body]
            if index == 0:
                parts.insert(0, demo)
            point_segments.append(self._fit(parts, seg_limit))
        if not point_segments and demo is not None:
            point_segments.append(self._fit([demo], seg_limit))
        attr_segment = self._attribute_clauses(attrs, seg_limit)
        room = self._fit(
            [self.sentence(self.pick("interactions")), self.sentence(self.audience_piece())],
            seg_limit,
        )
        usage = self._fit(
            [self.sentence(self.scene_piece()), self.sentence(self._tip_sometimes(0.4))],
            seg_limit,
        )
        offer = self._fit([self.sentence(self.price_piece(required=True))], seg_limit)
        cta = self.pick("ctas", max_len=self._limit("call_to_action"), rotate=True)

        # Talk with the room after the first point or two, not as an afterthought.
        middle: list[Builder] = [*point_segments[:2], room, *point_segments[2:]]
        if attr_segment is not None:
            middle.append(attr_segment)
        middle.append(usage)
        max_items = self.spec.field("segments").max_items or 8
        segments = [*[s for s in [intro, *middle] if s.parts][: max_items - 1], offer]
        segments = [s for s in segments if s.parts]

        def total() -> int:
            return len(single(hook)) + sum(len(s) for s in segments) + len(single(cta))

        # Too long: drop the latest point segments; too short: one more sentence of
        # talk with the room, a tip, a closing line.
        while total() > high and len(segments) > 3:
            victim = next((s for s in reversed(segments[1:-1]) if s in point_segments), None)
            if victim is None:
                break
            segments.remove(victim)
        # Too short: more talk with the room, showing, a tip, a closing line, added to
        # the segments with room for them (before the offer).
        fillers: list[Callable[[], Piece | None]] = [
            lambda: self.pick("interactions"),
            lambda: self.pick("demos"),
            self.tip_piece,
            lambda: self.pick("closers"),
            lambda: self.pick("interactions"),
            lambda: self.pick("demos"),
        ]
        for make in fillers:
            if total() >= low:
                break
            sentence = self.sentence(make())
            if sentence is None or total() + len(sentence.text) > high:
                continue
            if len(segments) < max_items:
                segments.insert(-1, self._fit([sentence], seg_limit))
                continue
            target = min(segments[1:-1] or segments, key=len)
            if len(target) + len(sentence.text) <= seg_limit:
                target.add(sentence, self.sep)
        while len(segments) < (self.spec.field("segments").min_items or 3):
            filler = self._fit([self.sentence(self.pick("closers"))], seg_limit)
            if not filler.parts:
                break
            segments.insert(-1, filler)
        return self._result(
            {"hook": single(hook), "segments": segments, "call_to_action": single(cta)}
        )

    def _script_range(self) -> tuple[int, int]:
        """A spoken script's length: long enough to say something, short enough to hold."""
        return (260, 560) if self.zh else (500, 1300)

    def _tip_sometimes(self, chance: float) -> Piece | None:
        return self.tip_piece() if self.rng.random() < chance else None

    def _opener(self) -> Piece | None:
        scene = self.scene()
        extra = {"scene": scene} if scene else None
        return self.pick("openers", extra, sources={"scene": "scene:" + (scene or "")}, rotate=True)

    def _attribute_clauses(
        self, attrs: Sequence[tuple[str, str]], limit: int, *, slot: str = "attribute_phrases"
    ) -> Builder | None:
        clauses = [self.pick_kind(slot, k, v, max_len=limit - 2) for k, v in attrs]
        sentences = [self.sentence(c) for c in clauses if c is not None]
        if not any(sentences):
            return None
        return self._fit(sentences, limit)

    # - social note: a title, a personal note with a few emoji, hashtags about it -

    def _social(self) -> Composition:
        body_limit = self._limit("body")
        title = self._title()
        emoji = self._emoji_pool()
        paragraphs: list[Piece | None] = []
        para1 = self._fit(
            [self.sentence(self._hook("hooks", "body")), self.sentence(self._opener())], body_limit
        )
        paragraphs.append(self._decorated(flatten(para1), emoji, end=True))

        points = self._ordered(self.usable_points())
        n_points = min(len(points), self.rng.choice((3, 4, 4, 5)))
        lines: list[Piece | None] = []
        for index, point in enumerate(points[:n_points]):
            lead = self.pick("transitions") if index and self.rng.random() < 0.4 else None
            framed = self.point_piece("point_phrases", point)
            line = self.sentence(self.joined(lead, framed)) if framed is not None else None
            lines.append(self._decorated(line, emoji) if index < 2 else line)
        if lines:
            paragraphs.append(flatten(self._fit(lines, body_limit, sep="\n")))

        attrs = self._attribute_clauses(self._ordered(self.usable_attributes())[:3], 200)
        if attrs is not None:
            paragraphs.append(flatten(attrs))

        who = [self.sentence(self.audience_piece()), self.sentence(self.scene_piece())]
        if self.rng.random() < 0.4:
            who.append(self.sentence(self.tip_piece()))
        paragraphs.append(flatten(self._fit(who, 300)))

        end = [self.sentence(self.price_piece(required=False)) if self.rng.random() < 0.6 else None]
        end.append(self.sentence(self.pick("closers", rotate=True)))
        paragraphs.append(flatten(self._fit(end, 200)))

        body = self._fit([p for p in paragraphs if p is not None], body_limit, sep="\n\n")
        return self._result({"title": single(title), "body": body, "hashtags": self._hashtags()})

    def _emoji_pool(self) -> list[str]:
        """Emoji about this product first (its type's, its category's), then the platform's."""
        kind = self.facts.kind
        own = list(kind.emoji) if kind is not None else []
        rest = [e for e in self.lex.phrases("emoji") if e not in own]
        self.rng.shuffle(own)
        self.rng.shuffle(rest)
        return own + rest

    def _decorated(
        self, piece: Piece | None, pool: list[str], *, end: bool = False
    ) -> Piece | None:
        """A piece with one emoji from the pool (each used once per note)."""
        if piece is None or not pool or (not self.zh and self.rng.random() < 0.5):
            return piece
        mark = pool.pop(0)
        text = f"{piece.text}{mark}" if end else f"{mark} {piece.text}"
        return Piece(text, piece.sources, piece.template)

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
        return self.pick("titles", extra, sources=sources, max_len=limit, rotate=True)

    def _hashtags(self) -> list[Piece]:
        """Tags about this product: its name, brand and type, then its category's; the
        platform's generic ones only to reach the minimum."""
        spec = self.spec.field("hashtags")
        limit = spec.max_chars or 20
        pool: list[Piece] = []
        seen: set[str] = set()

        def add(text: str, source: str) -> None:
            tag = hashtag(text, zh=self.zh)
            if not tag or len(tag) > limit or tag.lower() in seen or source in self.excluded:
                return
            if len(tag) < 2 or any(a in tag for a in self.avoid):
                return
            seen.add(tag.lower())
            pool.append(Piece(tag, frozenset({source})))

        own: list[tuple[str, str]] = []
        if self.facts.named and self.facts.own_name and "name" not in self.excluded:
            own.append((self.facts.product, "name"))
        if self.facts.brand:
            own.append((self.facts.brand, "brand"))
        kind = self.facts.kind
        type_tags = list(kind.tags) if kind is not None else []
        self.rng.shuffle(type_tags)
        for text, source in own:
            add(text, source)
        for tag in type_tags:
            add(tag, "t:" + tag)
        category = list(self.lex.category_phrases("hashtag_stems"))
        self.rng.shuffle(category)
        # The category's tags are about the product too, but a type's say more: two of
        # them at most when the type is known.
        for stem in category[: 2 if type_tags else len(category)]:
            add(stem, "t:" + stem)
        specific = len(pool)
        rest = [s for s in self.lex.phrases("hashtag_stems") if s not in category]
        self.rng.shuffle(rest)
        for stem in rest:
            add(stem, "t:" + stem)
        low = max(spec.min_items or 3, 4)
        high = min(spec.max_items or 8, 6)
        count = max(low, min(high, specific))
        return pool[:count]

    # - detail page: a headline with a benefit, plain bullets, a description -

    def _headline(self, points: Sequence[str]) -> Piece | None:
        limit = self._limit("headline")
        # The benefit is the row's: a point saying how it is (口感舒适) before one naming
        # a part (软毛设计).
        ranked = sorted(points, key=lambda p: (self.facts.kind_of(p) != "state", len(p) > 14))
        pool = self.lex.phrases("headlines")
        with_point = [t for t in pool if "{point}" in t]
        for point in ranked[:3]:
            piece = self.pick(
                "headlines",
                {"point": point},
                sources={"point": "point:" + point},
                max_len=limit,
                rotate=True,
                phrases=with_point,
            )
            if piece is not None:
                return piece
        return self.pick("headlines", max_len=limit, rotate=True)

    def _bullet(self, point: str, limit: int) -> Piece | None:
        """A selling point as a bullet, plainly: the point, or an English bullet's label
        and first sentence (the label alone when the sentence does not fit)."""
        src = frozenset({"point:" + point})
        label = self.facts.point_labels.get(point, "")
        options = [f"{label}: {point}", label] if label else [point]
        for text in options:
            text = text.rstrip(" .")
            if text and len(text) <= limit and not any(a in text for a in self.avoid):
                return Piece(text[:1].upper() + text[1:] if not self.zh else text, src)
        return None

    def _detail(self) -> Composition:
        bullet_spec = self.spec.field("bullets")
        b_limit = bullet_spec.max_chars or 60
        points = self._ordered(self.usable_points())
        headline = self._headline(points)

        bullets: list[Piece] = []
        max_b = bullet_spec.max_items or 6
        min_b = bullet_spec.min_items or 3
        want = self.rng.randint(min_b + 1, max_b) if max_b > min_b else max_b
        attrs = self._ordered(self.usable_attributes())
        n_attr_bullets = min(len(attrs), self.rng.choice((1, 2, 2, 3)))
        sep = "：" if self.zh else ": "
        for point in points:
            if len(bullets) >= want - min(n_attr_bullets, 1):
                break
            piece = self._bullet(point, b_limit)
            if piece is not None:
                bullets.append(piece)
        for key, value in attrs[:n_attr_bullets]:
            text = f"{key}{sep}{value}"
            if len(bullets) < want and len(text) <= b_limit and "attr:" + key not in self.excluded:
                bullets.append(Piece(text, frozenset({"attr:" + key})))
        fallback = self.candidates(
            self.lex.phrases("fallback_bullets"), self._values(), {}, max_len=b_limit
        )
        self.rng.shuffle(fallback)
        for piece in fallback:
            if len(bullets) >= min_b:
                break
            if piece.text not in {b.text for b in bullets}:
                bullets.append(piece)
        bullets = [b for b in bullets if self.remember(b.text)]

        d_limit = self._limit("description")
        desc: list[Piece | None] = [self.sentence(self.pick("intros", rotate=True))]
        for point in points[:3]:
            desc.append(self.sentence(self.point_piece("description_points", point)))
        attr_builder = self._attribute_clauses(attrs[:4], 300, slot="description_attributes")
        if attr_builder is not None:
            desc.append(flatten(attr_builder))
        desc.append(self.sentence(self.audience_piece()))
        desc.append(self.sentence(self.scene_piece()) if self.rng.random() < 0.5 else None)
        desc.append(
            self.sentence(self.price_piece(required=False)) if self.rng.random() < 0.5 else None
        )
        desc.append(self.sentence(self._tip_sometimes(0.5)))
        desc.append(self.sentence(self.pick("closers", rotate=True)))
        description = self._fit(desc, d_limit)
        return self._result(
            {"headline": single(headline), "bullets": bullets[:max_b], "description": description}
        )

    # - output -

    def _result(self, raw: Mapping[str, Any]) -> Composition:
        fields: dict[str, Any] = {}
        spans: dict[str, list[Span]] = {}
        for name, value in raw.items():
            if isinstance(value, list):
                items: list[str] = []
                for index, element in enumerate(value):
                    builder = element if isinstance(element, Builder) else single(element)
                    text, piece_spans = builder.render()
                    items.append(text)
                    spans[f"{name}[{index}]"] = piece_spans
                fields[name] = items
            else:
                text, piece_spans = value.render()
                fields[name] = text
                spans[name] = piece_spans
        return Composition(fields=fields, spans=spans)


# -- composing until the checker is satisfied -------------------------------------------


def compose_checked(
    product: Product,
    *,
    platform: str,
    lang: str,
    variant: int,
    seed: int | None,
    lexicon: Lexicon,
    facts: Facts,
    check: Callable[[Mapping[str, Any]], CheckResult] | None,
    avoid: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The item's fields, recomposed while the checker's findings teach something new.

    Each pass leaves out the pieces the previous findings fell into and avoids the
    flagged texts; after ``MAX_ROUNDS`` passes the last draft is returned as it is.
    ``check`` None returns the first draft.
    """
    excluded: set[str] = set()
    composition: Composition | None = None
    for _round in range(MAX_ROUNDS):
        composition = Composer(
            product=product,
            platform=platform,
            lang=lang,
            variant=variant,
            seed=seed,
            lexicon=lexicon,
            facts=facts,
            excluded=frozenset(excluded),
            avoid=avoid,
        ).compose()
        if check is None:
            break
        result = check(composition.fields)
        if not _flagged(result):
            break
        excluded, avoid, grew = _learn(result, composition, facts, excluded, avoid)
        if not grew:
            break
    assert composition is not None
    return composition.fields


def _flagged(result: CheckResult) -> bool:
    return bool(result.findings) and any(f.severity in ("block", "warn") for f in result.findings)


def _learn(
    result: CheckResult,
    composition: Composition,
    facts: Facts,
    excluded: set[str],
    avoid: frozenset[str],
) -> tuple[set[str], frozenset[str], bool]:
    """The sources to exclude and the texts to avoid after one pass's findings, and
    whether either grew (if not, another pass would write the same draft)."""
    excluded = set(excluded)
    grew = False
    for finding in result.findings:
        if finding.severity not in ("block", "warn"):
            continue
        for start, end, sources in composition.spans.get(finding.field, ()):
            if start < finding.end and finding.start < end and sources:
                blamed = _blamed(sources, finding.text, facts, excluded)
                before = len(excluded)
                excluded |= blamed
                grew = grew or len(excluded) > before
        if finding.text and finding.category != "format" and finding.text not in avoid:
            avoid = avoid | {finding.text}
            grew = True
    return excluded, avoid, grew


def _blamed(
    sources: frozenset[str], flagged_text: str, facts: Facts, excluded: Set[str]
) -> Set[str]:
    """The sources of a flagged piece to leave out next time.

    Row data that holds the flagged text is blamed. Otherwise the lexicon phrase is
    (这款叫床垫 trips a rule through the frame, not the name), and the row's data only
    when that phrase is already excluded: the same data flagged again inside another
    phrase.
    """
    templates = {x for x in sources if x.startswith("t:")}
    data = sources - templates
    inside = {x for x in data if flagged_text and flagged_text in source_text(x, facts)}
    return inside or templates - excluded or data
