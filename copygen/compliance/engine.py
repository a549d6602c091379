"""The checker: one Aho-Corasick pass per text, regexes only where they can match.

The rules are compiled once per ``Checker`` (``matcher.py``). Checking a text is then:

1. normalise it (``normalize.py``) keeping the way back to the original;
2. one automaton pass collects term hits, exception spans, allowlist spans and the
   anchors seen;
3. a regex runs only when one of its anchors was seen (or it has none);
4. hits of rules out of scope (or cleared by the product's ``unless_product`` data)
   are dropped, then hits failing the word boundary, hits inside an ``unless``
   exception, and hits inside an allowlisted name;
5. spans are mapped back, so ``finding.text == original[start:end]``; overlapping
   hits of one rule become one finding spanning them.

Detectors implemented in code (personal data, facts, language, format) add their
findings afterwards. Last, a warn/info finding overlapped in the same field by a
more severe finding of the same category is dropped (加微信 blocks; the 微信 mention
inside it adds nothing).

Every step is linear in the length of the text (a long model reply has hundreds of
thousands of hits): a rule's ``unless`` regexes run once per text, not once per hit;
"is this hit inside an exception / overlapped by a block" is a bisection
(``matcher.SpanIndex``), not a scan of every span; hits are handled rule by rule and
outranked ones are dropped before any ``Finding`` is built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copygen.compliance import context, rules_cache
from copygen.compliance.code_checks import code_findings
from copygen.compliance.evasions import use_t2s_table
from copygen.compliance.findings import SEVERITY_RANK, CheckResult, Finding
from copygen.compliance.matcher import (
    Compiled,
    Span,
    SpanIndex,
    allow_terms,
    compile_rules,
    latin_edges_ok,
)
from copygen.compliance.normalize import Normalized, has_cjk, normalize
from copygen.compliance.pii import find_pii
from copygen.compliance.rule_model import Rule, RuleSet

if TYPE_CHECKING:
    from copygen.config import Settings

Fields = Mapping[str, Any]


class Checker:
    """Compiles a rule set once; ``check`` is then cheap and thread-safe for reading."""

    def __init__(
        self,
        *,
        rules: RuleSet | Sequence[str | Path] | None = None,
        allow: Sequence[str | Path] = (),
        disabled: Sequence[str] = (),
        only_categories: Sequence[str] = (),
        builtin: bool = True,
        locale: str | None = None,
        cache: bool = True,
    ) -> None:
        """``rules``: a loaded ``RuleSet``, or extra pack paths loaded with the built-in
        packs (unless ``builtin=False``). ``allow``: allowlist files or terms.
        ``cache``: keep the compiled rules in the user cache dir (keyed by the packs'
        paths, sizes and modification times), which makes a cold start much cheaper."""
        self.allow_terms = tuple(allow_terms(allow))
        self.locale = locale
        if isinstance(rules, RuleSet):
            if disabled or only_categories:
                raise ValueError("pass disabled/only_categories to load_rules with a RuleSet")
            self.ruleset = rules
            self._compiled = compile_rules(rules, self.allow_terms)
            return
        paths = tuple(Path(p).expanduser() for p in (rules or ()))
        key = None
        if cache:
            key = rules_cache.key(
                paths=paths,
                builtin=builtin,
                disabled=disabled,
                only_categories=only_categories,
                allow_terms=self.allow_terms,
            )
            cached = rules_cache.load(key) if key is not None else None
            if (
                isinstance(cached, tuple)
                and len(cached) == 2
                and isinstance(cached[0], RuleSet)
                and isinstance(cached[1], Compiled)
            ):
                self.ruleset, self._compiled = cached
                if self._compiled.t2s is not None:
                    use_t2s_table(self._compiled.t2s)
                return
        from copygen.compliance.rules import load_rules  # YAML: only when not cached

        self.ruleset = load_rules(
            paths=paths, builtin=builtin, disabled=disabled, only_categories=only_categories
        )
        self._compiled = compile_rules(self.ruleset, self.allow_terms, key_table=key is not None)
        if key is not None:
            rules_cache.store_compiled(key, self.ruleset, self._compiled)

    @classmethod
    def from_settings(cls, settings: Settings, *, locale: str | None = None) -> Checker:
        return cls(
            rules=list(settings.rules),
            allow=list(settings.allow),
            disabled=list(settings.disable),
            only_categories=list(settings.only_category),
            locale=locale,
        )

    @property
    def rules_hash(self) -> str:
        return self.ruleset.hash

    def preload(self) -> None:
        """Load now what checking many or long texts needs (the automaton), which is
        otherwise loaded when such a text comes: before forking worker processes (so
        that they share it), or before measuring."""
        if self._compiled.has_keys():
            self._compiled.load_automaton()

    # -- public -------------------------------------------------------------------------

    def check(
        self,
        text_or_fields: str | Fields,
        *,
        lang: str | None = None,
        category: str | None = None,
        platform: str | None = None,
        product: Any = None,
    ) -> CheckResult:
        """Check a text (field ``text``) or a mapping of fields (lists item by item)."""
        return self._check(
            text_or_fields, lang=lang, category=category, platform=platform, product=product
        )

    # -- internals ----------------------------------------------------------------------

    def _cleared_by_product(self, applicable: frozenset[int], product: Any) -> frozenset[int]:
        """Rules whose ``unless_product`` entry the product data states (a special-use
        cosmetics registration 国妆特字 clears the whitening warn)."""
        gated = [(i, entries) for i, entries in self._compiled.gated.items() if i in applicable]
        if not gated:
            return frozenset()
        from copygen.compliance.facts import product_texts

        facts = normalize("\n".join(product_texts(product))).text
        return frozenset(i for i, entries in gated if any(e in facts for e in entries))

    def _check(
        self,
        text_or_fields: str | Fields,
        *,
        lang: str | None = None,
        category: str | None = None,
        platform: str | None = None,
        product: Any = None,
        keep_outranked: bool = False,
    ) -> CheckResult:
        """``check``; ``keep_outranked`` keeps the warns that a block of the same category
        overlaps (rule examples test each rule on its own)."""
        items = field_items(text_or_fields)
        if category is None and product is not None:
            category = _product_category(product)
        locale = self._locale(lang, items)
        applicable = self._compiled.applicable(category, platform, _scope_lang(lang))
        if product is not None and self._compiled.gated:
            applicable = applicable - self._cleared_by_product(applicable, product)
        hits = [(name, text, self._text_hits(text, applicable)) for name, text in items]
        # Hits in a harmless context (quoted to refuse it, a title, a disclaimer ...) go;
        # the downgraded ones come back as info findings, outranked like code findings.
        downgraded = context.apply(hits, self._compiled.rules, locale)
        code = self._code_checks(text_or_fields, items, applicable, locale, lang, platform, product)
        code.extend(downgraded)
        if not keep_outranked:
            code = _drop_outranked(hits, code, self._compiled.rules)
        findings: list[Finding] = []
        for name, text, by_rule in hits:
            findings.extend(self._findings(name, text, by_rule, locale))
        findings.extend(code)
        order = {name: position for position, (name, _) in enumerate(items)}
        # By field, start, end, rule: stable sorts from the last key to the first, each
        # on one attribute (no key tuple per finding: a long text has hundreds of
        # thousands of findings).
        if len(findings) > 1:
            for key in _SORT_KEYS:
                findings.sort(key=key)
            if len(order) > 1:
                findings.sort(key=lambda f: order.get(f.field, len(order)))
        return CheckResult.from_findings(findings)

    def _locale(self, lang: str | None, items: Sequence[tuple[str, str]]) -> str:
        if self.locale:
            return "zh" if self.locale.lower().startswith("zh") else "en"
        if lang:
            return "zh" if lang.lower().startswith("zh") else "en"
        return "zh" if any(has_cjk(text) for _, text in items) else "en"

    def _text_hits(self, text: str, applicable: frozenset[int]) -> dict[int, list[Span]]:
        """Rule index -> the places (original offsets, in order) where the rule's terms,
        patterns or detector hit ``text``, overlapping hits of one rule joined (全网最低
        and 最低价 in 全网最低价 make one)."""
        if not text:
            return {}
        compiled = self._compiled
        norm = normalize(text)
        ntext = norm.text
        scan = compiled.scan(ntext, applicable)
        allowed = SpanIndex(scan.allow) if scan.allow else _NO_SPANS
        exceptions = _Exceptions(compiled, ntext, scan.unless)
        # Rule by rule, so that what a rule needs is looked up once, not once per hit (a
        # long text has hundreds of thousands of hits).
        kept: dict[int, list[Span]] = {}
        for index, spans in scan.terms.items():
            self._keep(index, spans, norm, exceptions, allowed, kept, term=True)
        patterns = compiled.pattern_hits(ntext, scan.triggered, applicable)
        for index, spans in patterns.items():
            self._keep(index, spans, norm, exceptions, allowed, kept, term=False)
        for index, start, end in self._pii_hits(text, norm, applicable, allowed, scan.allow):
            kept.setdefault(index, []).append((start, end))
        return {index: _merged(spans) for index, spans in kept.items() if spans}

    def _pii_hits(
        self,
        text: str,
        norm: Normalized,
        applicable: frozenset[int],
        allowed: SpanIndex,
        allow_spans: Sequence[Span],
    ) -> list[tuple[int, int, int]]:
        """(rule index, start, end) of personal data (original offsets), for the detector
        rules among ``applicable``, except inside an allowlisted name (``allowed``:
        normalised offsets)."""
        plan = self._compiled.pii_plan(applicable)
        if not plan:
            return []
        matches = find_pii(text)
        if not matches:
            return []
        if allowed and norm.offsets is not None:
            allowed = SpanIndex(norm.span(s, e) for s, e in allow_spans)
        hits: list[tuple[int, int, int]] = []
        for kinds, wanted in plan:
            for match in matches:
                if match.kind in kinds and not allowed.covers(match.start, match.end):
                    hits.extend((i, match.start, match.end) for i in wanted)
        return hits

    def _keep(
        self,
        index: int,
        spans: Sequence[Span],
        norm: Normalized,
        exceptions: _Exceptions,
        allowed: SpanIndex,
        kept: dict[int, list[Span]],
        *,
        term: bool,
    ) -> None:
        """Add to ``kept[index]`` (in original offsets) the hits of rule ``index`` that no
        allowlisted name, ``unless`` exception or word edge clears."""
        ntext = norm.text
        rule = self._compiled.rules[index]
        literal = exceptions.literal(index)
        any_allowed, any_literal = bool(allowed), bool(literal)
        # Only literal terms get the automatic Latin edge; a regex says its own \b.
        latin = term and rule.boundary != "none"
        word = rule.boundary == "word"
        patterns: SpanIndex | None = None
        out = kept.setdefault(index, [])
        to_original = norm.span if norm.offsets is not None else None
        for span in spans:
            start, end = span
            if any_allowed and allowed.covers(start, end):
                continue
            if any_literal and literal.covers(start, end):
                continue
            if latin and not latin_edges_ok(ntext, start, end):
                continue
            if rule.unless_patterns:
                if patterns is None:
                    patterns = exceptions.patterns(index)
                if patterns.covers(start, end):
                    continue
            if (
                word
                and has_cjk(ntext[start:end])
                and not self._compiled.on_word_edges(ntext, start, end)
            ):
                continue
            out.append(span if to_original is None else to_original(start, end))

    def _findings(
        self, name: str, original: str, by_rule: Mapping[int, list[Span]], locale: str
    ) -> list[Finding]:
        out: list[Finding] = []
        for index, spans in by_rule.items():
            rule = self._compiled.rules[index]
            rule_id, category, severity, law = rule.id, rule.category, rule.severity, rule.law
            message, suggestion = rule.message_for(locale), rule.suggestion_for(locale)
            out.extend(
                Finding(
                    rule=rule_id,
                    category=category,
                    severity=severity,
                    field=name,
                    start=start,
                    end=end,
                    text=original[start:end],
                    message=message,
                    law=law,
                    suggestion=suggestion,
                )
                for start, end in spans
            )
        return out

    def _code_checks(
        self,
        text_or_fields: str | Fields,
        items: Sequence[tuple[str, str]],
        applicable: frozenset[int],
        locale: str,
        lang: str | None,
        platform: str | None,
        product: Any,
    ) -> list[Finding]:
        """Findings of the code-defined rules (facts, language, format) that are loaded
        (not disabled, in scope)."""
        if product is None and not lang and not platform:
            return []
        active = self._compiled.code_rules(applicable)
        if not active:
            return []
        return code_findings(
            active,
            text_or_fields,
            items,
            locale=locale,
            lang=lang,
            platform=platform,
            product=product,
        )


class _Exceptions:
    """The ``unless`` spans of one text, per rule, gathered on first use.

    Each rule's exception regexes run once over the text, not once per hit: a long
    text with thousands of hits re-ran them thousands of times (quadratic)."""

    def __init__(self, compiled: Compiled, ntext: str, literal: Mapping[int, list[Span]]) -> None:
        self._compiled = compiled
        self._ntext = ntext
        self._literal_spans = literal
        self._literal: dict[int, SpanIndex] = {}
        self._patterns: dict[int, SpanIndex] = {}

    def literal(self, rule: int) -> SpanIndex:
        spans = self._literal_spans.get(rule)
        if not spans:
            return _NO_SPANS
        index = self._literal.get(rule)
        if index is None:
            index = self._literal[rule] = SpanIndex(spans)
        return index

    def patterns(self, rule: int) -> SpanIndex:
        index = self._patterns.get(rule)
        if index is None:
            index = self._patterns[rule] = SpanIndex(
                m.span()
                for regex in self._compiled.unless_regexes(rule)
                for m in regex.finditer(self._ntext)
            )
        return index


_NO_SPANS = SpanIndex(())
_SORT_KEYS = (attrgetter("rule"), attrgetter("end"), attrgetter("start"))

# Where an entry of ``_drop_outranked`` comes from: (rule index -> places, rule index),
# or a code finding.
_Owner = tuple[dict[int, list[Span]], int] | Finding


def _merged(spans: list[Span]) -> list[Span]:
    """``spans`` with the overlapping ones joined, in order. No span is empty, so the
    order of spans with one start does not change the result."""
    if len(spans) == 1:
        return spans
    spans.sort()
    merged: list[Span] = []
    first, last = spans[0]
    for start, end in spans:
        if start < last:
            last = max(last, end)
        else:
            merged.append((first, last))
            first, last = start, end
    merged.append((first, last))
    return merged


def _drop_outranked(
    hits: Sequence[tuple[str, str, dict[int, list[Span]]]],
    code: list[Finding],
    rules: Sequence[Rule],
) -> list[Finding]:
    """Drop a warn/info hit overlapped, in the same field, by a more severe hit of the
    same category (加微信 is a block; the 微信 mention inside it adds nothing).

    ``hits`` (field, text, rule index -> places) is changed in place, before any
    ``Finding`` exists (a long text has hundreds of thousands of hits, and many are
    outranked); the code findings kept are returned."""
    if len(code) + sum(len(by_rule) for _, _, by_rule in hits) < 2:
        return code  # nothing to outrank (most short copy)
    # (field, category) -> (rank, places, where they come from) of each rule and code finding
    groups: dict[tuple[str, str], list[tuple[int, list[Span], _Owner]]] = {}
    for name, _text, by_rule in hits:
        for index, spans in by_rule.items():
            rule = rules[index]
            owner: _Owner = (by_rule, index)
            groups.setdefault((name, rule.category), []).append(
                (SEVERITY_RANK[rule.severity], spans, owner)
            )
    for finding in code:
        groups.setdefault((finding.field, finding.category), []).append(
            (SEVERITY_RANK[finding.severity], [(finding.start, finding.end)], finding)
        )
    dropped: set[int] = set()
    for entries in groups.values():
        if len(entries) < 2:
            continue
        ranks = sorted({rank for rank, _, _ in entries})
        changes: list[tuple[_Owner, list[Span]]] = []
        # One index per rank below the top (there are three ranks), not all pairs; each
        # built before anything is dropped, as a dropped hit still outranks.
        for low in ranks[:-1]:
            stronger = SpanIndex(span for rank, spans, _ in entries if rank > low for span in spans)
            for rank, spans, owner in entries:
                if rank == low:
                    kept = [span for span in spans if not stronger.overlaps(*span)]
                    if len(kept) < len(spans):
                        changes.append((owner, kept))
        for owner, kept in changes:
            if isinstance(owner, Finding):
                dropped.add(id(owner))
            elif kept:
                owner[0][owner[1]] = kept
            else:
                del owner[0][owner[1]]
    return [f for f in code if id(f) not in dropped]


def _scope_lang(lang: str | None) -> str | None:
    if not lang:
        return None
    return lang.strip().lower().replace("_", "-").split("-")[0] or None


def _product_category(product: Any) -> str | None:
    value = getattr(product, "category", None)
    if value is None and isinstance(product, Mapping):
        value = product.get("category")
    if not value:
        return None
    from copygen.inputs.product import normalise_category

    return normalise_category(str(value))


def field_items(value: str | Fields) -> list[tuple[str, str]]:
    """(field name, text) pairs: a plain text is field ``text``; lists item by item."""
    if isinstance(value, str):
        return [("text", value)]
    if not isinstance(value, Mapping):
        raise TypeError("check() takes a text or a mapping of field names to texts")
    items: list[tuple[str, str]] = []
    for key, item in value.items():
        name = str(key)
        if item is None:
            continue
        if isinstance(item, (list, tuple)):
            for position, element in enumerate(item):
                if element is not None:
                    items.append((f"{name}[{position}]", _as_text(element)))
        else:
            items.append((name, _as_text(item)))
    return items


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def check(
    text_or_fields: str | Fields,
    *,
    lang: str | None = None,
    category: str | None = None,
    platform: str | None = None,
    product: Any = None,
    rules: RuleSet | Sequence[str | Path] | None = None,
    allow: Sequence[str | Path] = (),
    disabled: Sequence[str] = (),
    only_categories: Sequence[str] = (),
) -> CheckResult:
    """One-shot form of ``Checker(...).check(...)``; the default checker is cached."""
    if rules is None and not allow and not disabled and not only_categories:
        checker = _default_checker()
    else:
        checker = Checker(
            rules=rules, allow=allow, disabled=disabled, only_categories=only_categories
        )
    return checker.check(
        text_or_fields, lang=lang, category=category, platform=platform, product=product
    )


_DEFAULT: Checker | None = None


def _default_checker() -> Checker:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Checker()
    return _DEFAULT
