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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copygen.compliance import rules_cache
from copygen.compliance.code_checks import code_findings
from copygen.compliance.findings import SEVERITY_RANK, CheckResult, Finding
from copygen.compliance.matcher import (
    Span,
    allow_terms,
    compile_rules,
    latin_edges_ok,
    on_word_edges,
)
from copygen.compliance.normalize import Normalized, has_cjk, normalize
from copygen.compliance.pii import find_pii
from copygen.compliance.rule_model import RuleSet
from copygen.compliance.rules import load_rules

if TYPE_CHECKING:
    from copygen.config import Settings

Fields = Mapping[str, Any]


@dataclass
class _Hit:
    rule: int
    start: int  # normalised offsets, or original offsets when ``original`` is set
    end: int
    original: bool = False
    term: bool = False  # a literal term (gets the automatic Latin word edge)


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
            if isinstance(cached, tuple) and len(cached) == 2:
                self.ruleset, self._compiled = cached
                return
        self.ruleset = load_rules(
            paths=paths, builtin=builtin, disabled=disabled, only_categories=only_categories
        )
        self._compiled = compile_rules(self.ruleset, self.allow_terms)
        if key is not None:
            rules_cache.store(key, (self.ruleset, self._compiled))

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
        items = _field_items(text_or_fields)
        if category is None and product is not None:
            category = _product_category(product)
        locale = self._locale(lang, items)
        applicable = self._compiled.applicable(category, platform, _scope_lang(lang))
        if product is not None and self._compiled.gated:
            applicable = applicable - self._cleared_by_product(applicable, product)
        findings: list[Finding] = []
        for name, text in items:
            findings.extend(self._check_text(name, text, applicable, locale))
        findings.extend(
            self._code_checks(text_or_fields, items, applicable, locale, lang, platform, product)
        )
        order = {name: position for position, (name, _) in enumerate(items)}
        if not keep_outranked:
            findings = _drop_outranked(findings)
        findings.sort(key=lambda f: (order.get(f.field, len(order)), f.start, f.end, f.rule))
        return CheckResult.from_findings(findings)

    def _locale(self, lang: str | None, items: Sequence[tuple[str, str]]) -> str:
        if self.locale:
            return "zh" if self.locale.lower().startswith("zh") else "en"
        if lang:
            return "zh" if lang.lower().startswith("zh") else "en"
        return "zh" if any(has_cjk(text) for _, text in items) else "en"

    def _check_text(
        self, name: str, text: str, applicable: frozenset[int], locale: str
    ) -> list[Finding]:
        if not text:
            return []
        compiled = self._compiled
        norm = normalize(text)
        ntext = norm.text
        scan = compiled.scan(ntext, applicable)
        hits = [_Hit(index, start, end, term=True) for index, start, end in scan.terms]
        hits.extend(
            _Hit(index, start, end)
            for index, start, end in compiled.pattern_hits(ntext, scan.triggered, applicable)
        )
        kept = [h for h in hits if self._keep(h, ntext, scan.unless, scan.allow)]
        kept.extend(self._pii_hits(text, norm, applicable, scan.allow))
        return self._findings(name, norm, kept, locale)

    def _pii_hits(
        self, text: str, norm: Normalized, applicable: frozenset[int], allow_spans: Sequence[Span]
    ) -> list[_Hit]:
        """Personal-data hits (original offsets) of the detector rules among ``applicable``,
        except inside an allowlisted name."""
        plan = self._compiled.pii_plan(applicable)
        if not plan:
            return []
        matches = find_pii(text)
        if not matches:
            return []
        allowed = [norm.span(s, e) for s, e in allow_spans]
        hits: list[_Hit] = []
        for kinds, wanted in plan:
            for match in matches:
                if match.kind in kinds and not any(
                    s <= match.start and match.end <= e for s, e in allowed
                ):
                    hits.extend(_Hit(i, match.start, match.end, original=True) for i in wanted)
        return hits

    def _keep(
        self,
        hit: _Hit,
        ntext: str,
        unless_spans: Mapping[int, list[Span]],
        allow_spans: Sequence[Span],
    ) -> bool:
        rule = self._compiled.rules[hit.rule]
        start, end = hit.start, hit.end
        if any(s <= start and end <= e for s, e in allow_spans):
            return False
        if any(s <= start and end <= e for s, e in unless_spans.get(hit.rule, ())):
            return False
        # Only literal terms get the automatic Latin edge; a regex says its own \b.
        if hit.term and rule.boundary != "none" and not latin_edges_ok(ntext, start, end):
            return False
        if rule.unless_patterns:
            for regex in self._compiled.unless_regexes(hit.rule):
                for m in regex.finditer(ntext):
                    if m.start() <= start and end <= m.end():
                        return False
        return not (
            rule.boundary == "word"
            and has_cjk(ntext[start:end])
            and not on_word_edges(ntext, start, end)
        )

    def _findings(
        self, name: str, norm: Normalized, hits: Sequence[_Hit], locale: str
    ) -> list[Finding]:
        spans: list[tuple[int, int, int]] = []
        for hit in hits:
            start, end = (hit.start, hit.end) if hit.original else norm.span(hit.start, hit.end)
            spans.append((start, end, hit.rule))
        # One finding per rule and place: hits of one rule that overlap (全网最低 and
        # 最低价 in 全网最低价) become one finding spanning both.
        spans.sort(key=lambda s: (s[2], s[0], -s[1]))
        merged: list[tuple[int, int, int]] = []
        for start, end, index in spans:
            if merged and merged[-1][2] == index and start < merged[-1][1]:
                last_start, last_end, _ = merged[-1]
                merged[-1] = (last_start, max(last_end, end), index)
            else:
                merged.append((start, end, index))
        out: list[Finding] = []
        for start, end, index in merged:
            rule = self._compiled.rules[index]
            out.append(
                Finding(
                    rule=rule.id,
                    category=rule.category,
                    severity=rule.severity,
                    field=name,
                    start=start,
                    end=end,
                    text=norm.original[start:end],
                    message=rule.message_for(locale),
                    law=rule.law,
                    suggestion=rule.suggestion_for(locale),
                )
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


def _drop_outranked(findings: list[Finding]) -> list[Finding]:
    """Drop a warn/info finding overlapped, in the same field, by a more severe finding
    of the same category (加微信 is a block; the 微信 mention inside it adds nothing)."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        groups.setdefault((finding.field, finding.category), []).append(finding)
    dropped: set[int] = set()
    for group in groups.values():
        if len({f.severity for f in group}) < 2:
            continue
        for finding in group:
            rank = SEVERITY_RANK[finding.severity]
            if any(
                SEVERITY_RANK[other.severity] > rank
                and other.start < finding.end
                and finding.start < other.end
                for other in group
            ):
                dropped.add(id(finding))
    if not dropped:
        return findings
    return [f for f in findings if id(f) not in dropped]


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


def _field_items(value: str | Fields) -> list[tuple[str, str]]:
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
