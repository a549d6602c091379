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

    def _livestream(self) -> Composition:
        seg_limit = self._limit("segments")
        hook = self._hook("hooks", "hook")
        segments: list[Builder] = []

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
        return self._result(
            {"hook": single(hook), "segments": segments, "call_to_action": single(cta)}
        )

    def _opener(self) -> Piece | None:
        scene = self.scene()
        extra = {"scene": scene} if scene else None
        return self.pick("openers", extra, sources={"scene": "scene:" + (scene or "")}, rotate=True)

    def _attribute_clauses(
        self, attrs: Sequence[tuple[str, str]], limit: int, *, slot: str = "attribute_phrases"
    ) -> Builder | None:
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
        paragraphs.append(flatten(para1))

        points = self._ordered(self.usable_points())
        n_points = min(len(points), self.rng.choice((3, 4, 5)))
        lines: list[Piece | None] = []
        for index, point in enumerate(points[:n_points]):
            lead = self.pick("transitions") if index and self.rng.random() < 0.4 else None
            lines.append(self.sentence(self.joined(lead, self.point_piece("point_phrases", point))))
        if lines:
            paragraphs.append(flatten(self._fit(lines, body_limit, sep="\n")))

        attrs = self._attribute_clauses(self._ordered(self.usable_attributes())[:3], 200)
        if attrs is not None:
            paragraphs.append(flatten(attrs))

        who = [self.sentence(self.audience_piece())]
        if self.rng.random() < 0.5:
            who.append(self.sentence(self.scene_piece()))
        if self.rng.random() < 0.5:
            who.append(self.sentence(self.tip_piece()))
        paragraphs.append(flatten(self._fit(who, 300)))

        end = [self.sentence(self.price_piece(required=False)) if self.rng.random() < 0.6 else None]
        end.append(self.sentence(self.pick("closers", rotate=True)))
        paragraphs.append(flatten(self._fit(end, 200)))

        body = self._fit([p for p in paragraphs if p is not None], body_limit, sep="\n\n")
        return self._result({"title": single(title), "body": body, "hashtags": self._hashtags()})

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
            tag = hashtag(text, zh=self.zh)
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
            desc.append(flatten(attr_builder))
        desc.append(self.sentence(self.audience_piece()))
        desc.append(
            self.sentence(self.price_piece(required=False)) if self.rng.random() < 0.5 else None
        )
        desc.append(self.sentence(self.tip_piece()))
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
