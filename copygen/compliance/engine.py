"""The checker: one Aho-Corasick pass per text, regexes only where they can match.

Compilation (once per ``Checker``) puts every literal term, every ``unless``
entry, every allowlist entry, and a required literal ("anchor") of every regex
into one automaton. Checking a text is then:

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

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ahocorasick

from copygen.compliance import anchors, rules_cache
from copygen.compliance.findings import SEVERITY_RANK, CheckResult, Finding
from copygen.compliance.normalize import Normalized, has_cjk, normalize
from copygen.compliance.pii import DETECTOR_KINDS, find_pii
from copygen.compliance.rules import CODE_DETECTORS, Rule, RuleSet, load_rules
from copygen.errors import RuleError

if TYPE_CHECKING:
    from copygen.config import Settings

_TERM, _ANCHOR, _UNLESS, _ALLOW = 0, 1, 2, 3
_LATIN = re.compile(r"[a-z0-9]")
Fields = Mapping[str, Any]


@dataclass
class _Compiled:
    rules: tuple[Rule, ...]
    automaton: Any  # ahocorasick.Automaton, or None when it holds no keys
    # pattern index -> (rule index, regex source); compiled on first use
    patterns: list[tuple[int, str]]
    always: list[int]  # pattern indexes without an anchor: they always run
    detectors: dict[str, list[int]]  # detector name -> rule indexes
    # rule index -> normalised ``unless_product`` entries, for the rules that have them
    gated: dict[int, tuple[str, ...]] = field(default_factory=dict)
    scope_cache: dict[tuple[str | None, str | None, str | None], frozenset[int]] = field(
        default_factory=dict
    )
    regex_cache: dict[int, re.Pattern[str]] = field(default_factory=dict)
    unless_cache: dict[int, list[re.Pattern[str]]] = field(default_factory=dict)
    code_cache: dict[frozenset[int], dict[str, Rule]] = field(default_factory=dict)
    pii_cache: dict[frozenset[int], list[tuple[frozenset[str], list[int]]]] = field(
        default_factory=dict
    )

    def regex(self, pattern_index: int) -> re.Pattern[str]:
        # Compiling hundreds of regexes costs more than checking a text: a regex is
        # compiled the first time one of its anchors is seen.
        compiled = self.regex_cache.get(pattern_index)
        if compiled is None:
            compiled = re.compile(self.patterns[pattern_index][1], re.IGNORECASE)
            self.regex_cache[pattern_index] = compiled
        return compiled

    def unless_regexes(self, rule_index: int) -> list[re.Pattern[str]]:
        compiled = self.unless_cache.get(rule_index)
        if compiled is None:
            compiled = [
                re.compile(p, re.IGNORECASE) for p in self.rules[rule_index].unless_patterns
            ]
            self.unless_cache[rule_index] = compiled
        return compiled

    def pii_plan(self, applicable: frozenset[int]) -> list[tuple[frozenset[str], list[int]]]:
        """(personal-data kinds, rule indexes) of the detectors among ``applicable``."""
        plan = self.pii_cache.get(applicable)
        if plan is None:
            plan = []
            for detector, rule_indexes in self.detectors.items():
                kinds = DETECTOR_KINDS.get(detector)
                wanted = [i for i in rule_indexes if i in applicable]
                if kinds is not None and wanted:
                    plan.append((kinds, wanted))
            self.pii_cache[applicable] = plan
        return plan

    def code_rules(self, applicable: frozenset[int]) -> dict[str, Rule]:
        """Detector name -> rule, for the code-defined rules among ``applicable``."""
        active = self.code_cache.get(applicable)
        if active is None:
            active = {
                rule.detector: rule
                for rule in (self.rules[i] for i in sorted(applicable))
                if rule.detector in CODE_DETECTORS
            }
            self.code_cache[applicable] = active
        return active

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for name in ("scope_cache", "regex_cache", "unless_cache", "code_cache", "pii_cache"):
            state[name] = {}
        return state

    def applicable(
        self, category: str | None, platform: str | None, lang: str | None
    ) -> frozenset[int]:
        key = (category, platform, lang)
        cached = self.scope_cache.get(key)
        if cached is None:
            cached = frozenset(
                i
                for i, r in enumerate(self.rules)
                if r.scope.allows(category=category, platform=platform, lang=lang)
            )
            self.scope_cache[key] = cached
        return cached


def _encode(text: str) -> str:
    """``text`` spelled in UTF-16 code units, each unit as two symbols (high byte, low
    byte) of U+0000-U+00FF.

    pyahocorasick finds a trie node's child by a linear scan, and thousands of keys
    starting with as many different CJK characters made the root scan the cost of
    the whole pass. Spelled in bytes, no node has more than 256 children and the
    root about a hundred: the pass gets several times faster. Keys and texts are
    spelled alike; a match that does not start on a code unit is dropped
    (``_units_to_chars`` maps the rest back)."""
    return text.encode("utf-16-be", "surrogatepass").decode("latin-1")


def _units_to_chars(text: str) -> list[int] | None:
    """UTF-16 code unit offset -> character offset, or None when they are equal (no
    character outside the BMP, the usual case)."""
    if not text or max(text) <= "\uffff":
        return None
    mapping = []
    for index, char in enumerate(text):
        mapping.append(index)
        if char > "\uffff":
            mapping.append(index)  # the low surrogate belongs to the same character
    mapping.append(len(text))
    return mapping


def _compile(ruleset: RuleSet, allow_terms: Sequence[str]) -> _Compiled:
    keys: dict[str, list[tuple[int, int, int]]] = {}

    def add(text: str, kind: int, index: int, flag: int = 0) -> None:
        folded = normalize(text).text
        if folded:
            keys.setdefault(folded, []).append((kind, index, flag))

    patterns: list[tuple[int, str]] = []
    always: list[int] = []
    detectors: dict[str, list[int]] = {}
    gated: dict[int, tuple[str, ...]] = {}
    for index, rule in enumerate(ruleset.rules):
        if rule.unless_product:
            gated[index] = tuple(normalize(t).text for t in rule.unless_product)
        for term in rule.terms:
            add(term, _TERM, index)
        for text in rule.unless:
            add(text, _UNLESS, index)
        for pattern in rule.patterns:
            pattern_index = len(patterns)
            patterns.append((index, pattern))
            cover = anchors.required_literals(pattern)
            if cover is None:
                always.append(pattern_index)
            else:
                for literal in cover:
                    add(literal, _ANCHOR, pattern_index)
        if rule.detector is not None:
            detectors.setdefault(rule.detector, []).append(index)
    for position, term in enumerate(allow_terms):
        add(term, _ALLOW, position)
    automaton: Any = None
    if keys:
        automaton = ahocorasick.Automaton()
        for key, entries in keys.items():
            # length in UTF-16 code units, as the text is scanned
            automaton.add_word(
                _encode(key), (len(key.encode("utf-16-be", "surrogatepass")) // 2, tuple(entries))
            )
        automaton.make_automaton()
    return _Compiled(ruleset.rules, automaton, patterns, always, detectors, gated=gated)


# --- word boundaries -------------------------------------------------------------------

_jieba: Any = None


def _segmenter() -> Any:
    """jieba, loaded on the first hit that needs it (it costs about a second cold)."""
    global _jieba
    if _jieba is None:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        _jieba = jieba
    return _jieba


_WINDOW = 12


def _on_word_edges(text: str, start: int, end: int) -> bool:
    """Whether [start, end) of ``text`` starts and ends on jieba word boundaries."""
    lo = max(0, start - _WINDOW)
    hi = min(len(text), end + _WINDOW)
    edges = {lo, hi}
    for _word, word_start, word_end in _segmenter().tokenize(text[lo:hi], HMM=False):
        edges.add(word_start + lo)
        edges.add(word_end + lo)
    return start in edges and end in edges


def _latin_edges_ok(text: str, start: int, end: int) -> bool:
    """A hit starting/ending with a Latin letter or digit must not continue a Latin word."""
    if _LATIN.match(text[start]) and start > 0 and _LATIN.match(text[start - 1]):
        return False
    return not (_LATIN.match(text[end - 1]) and end < len(text) and _LATIN.match(text[end]))


# --- allowlists ------------------------------------------------------------------------


def read_allowlist(path: str | Path) -> list[str]:
    """One term per line; blank lines and lines starting with ``#`` are ignored."""
    file = Path(path).expanduser()
    try:
        text = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RuleError("allowlist not found", file=file) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"cannot read allowlist: {exc}", file=file) from None
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _allow_terms(allow: Iterable[str | Path]) -> list[str]:
    """Allow entries are allowlist files (a ``Path``, or a string naming an existing
    file) or terms themselves."""
    terms: list[str] = []
    for entry in allow:
        if isinstance(entry, Path) or Path(entry).is_file():
            terms.extend(read_allowlist(entry))
        elif entry.strip():
            terms.append(entry.strip())
    return terms


# --- the checker -----------------------------------------------------------------------


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
        self.allow_terms = tuple(_allow_terms(allow))
        self.locale = locale
        if isinstance(rules, RuleSet):
            if disabled or only_categories:
                raise ValueError("pass disabled/only_categories to load_rules with a RuleSet")
            self.ruleset = rules
            self._compiled = _compile(rules, self.allow_terms)
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
        self._compiled = _compile(self.ruleset, self.allow_terms)
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
        hits: list[_Hit] = []
        unless_spans: dict[int, list[tuple[int, int]]] = {}
        allow_spans: list[tuple[int, int]] = []
        triggered: set[int] = set()
        if compiled.automaton is not None and ntext:
            units = _units_to_chars(ntext)
            for end_index, (length, entries) in compiled.automaton.iter(_encode(ntext)):
                if end_index & 1 == 0:
                    continue  # ends on a high byte: not on whole characters
                end = (end_index + 1) >> 1
                start = end - length
                if units is not None:
                    start, end = units[start], units[end]
                for kind, index, _flag in entries:
                    if kind == _TERM:
                        if index in applicable:
                            hits.append(_Hit(index, start, end, term=True))
                    elif kind == _ANCHOR:
                        triggered.add(index)
                    elif kind == _UNLESS:
                        unless_spans.setdefault(index, []).append((start, end))
                    else:
                        allow_spans.append((start, end))
        for pattern_index in sorted(triggered.union(compiled.always)):
            rule_index = compiled.patterns[pattern_index][0]
            if rule_index not in applicable:
                continue
            for m in compiled.regex(pattern_index).finditer(ntext):
                if m.end() > m.start():
                    hits.append(_Hit(rule_index, m.start(), m.end()))
        kept = [h for h in hits if self._keep(h, ntext, unless_spans, allow_spans)]
        plan = compiled.pii_plan(applicable)
        if plan:
            matches = find_pii(text)
            if matches:
                allowed = [norm.span(s, e) for s, e in allow_spans]
                for kinds, wanted in plan:
                    for match in matches:
                        if match.kind in kinds and not any(
                            s <= match.start and match.end <= e for s, e in allowed
                        ):
                            kept.extend(
                                _Hit(i, match.start, match.end, original=True) for i in wanted
                            )
        return self._findings(name, norm, kept, locale)

    def _keep(
        self,
        hit: _Hit,
        ntext: str,
        unless_spans: Mapping[int, list[tuple[int, int]]],
        allow_spans: Sequence[tuple[int, int]],
    ) -> bool:
        rule = self._compiled.rules[hit.rule]
        start, end = hit.start, hit.end
        if any(s <= start and end <= e for s, e in allow_spans):
            return False
        if any(s <= start and end <= e for s, e in unless_spans.get(hit.rule, ())):
            return False
        # Only literal terms get the automatic Latin edge; a regex says its own \b.
        if hit.term and rule.boundary != "none" and not _latin_edges_ok(ntext, start, end):
            return False
        if rule.unless_patterns:
            for regex in self._compiled.unless_regexes(hit.rule):
                for m in regex.finditer(ntext):
                    if m.start() <= start and end <= m.end():
                        return False
        return not (
            rule.boundary == "word"
            and has_cjk(ntext[start:end])
            and not _on_word_edges(ntext, start, end)
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
        texts = dict(items)
        out: list[Finding] = []
        if product is not None and ("unsupported_number" in active or "price_mismatch" in active):
            from copygen.compliance.facts import check_facts

            for issue in check_facts(items, product):
                detector = "price_mismatch" if issue.kind == "price" else "unsupported_number"
                rule = active.get(detector)
                if rule is not None:
                    params = {"claim": issue.text, "expected": issue.expected}
                    out.append(
                        self._code_finding(
                            rule,
                            issue.field,
                            issue.start,
                            issue.end,
                            texts[issue.field],
                            locale,
                            params,
                        )
                    )
        if lang and "language" in active:
            from copygen.compliance.language import mismatch

            whole = "\n".join(text for _, text in items)
            found = mismatch(whole, lang)
            if found is not None:
                name, text = max(items, key=lambda item: len(item[1]))
                params = {"found": found, "expected": _scope_lang(lang) or lang}
                out.append(
                    self._code_finding(active["language"], name, 0, len(text), text, locale, params)
                )
        if platform and isinstance(text_or_fields, Mapping):
            from copygen.compliance.format_checks import check_format

            detectors = {
                "missing": "format_missing",
                "length": "format_length",
                "items": "format_items",
            }
            for fmt in check_format(text_or_fields, platform, locale=locale):
                rule = active.get(detectors[fmt.kind])
                if rule is not None:
                    field_text = texts.get(fmt.field, "")
                    out.append(
                        self._code_finding(
                            rule,
                            fmt.field,
                            fmt.start,
                            fmt.end,
                            field_text,
                            locale,
                            dict(fmt.params),
                        )
                    )
        return out

    @staticmethod
    def _code_finding(
        rule: Rule,
        field_name: str,
        start: int,
        end: int,
        text: str,
        locale: str,
        params: Mapping[str, Any],
    ) -> Finding:
        try:
            message = rule.message_for(locale).format(**params)
        except (KeyError, IndexError, ValueError):
            message = rule.message_for(locale)
        return Finding(
            rule=rule.id,
            category=rule.category,
            severity=rule.severity,
            field=field_name,
            start=start,
            end=end,
            text=text[start:end],
            message=message,
            law=rule.law,
            suggestion=rule.suggestion_for(locale),
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
