"""The compiled matcher: every rule's literals in one Aho-Corasick automaton.

Compilation (once per ``Checker``) puts every literal term, every ``unless``
entry, every allowlist entry, and a required literal ("anchor") of every regex
into one automaton. ``Compiled.scan`` is the one pass over a normalised text;
``Compiled.pattern_hits`` then runs only the regexes whose anchor was seen (or that
have none). The word-edge tests and allowlist reading used by the checker are here
too. The ``Compiled`` value is what the rules cache pickles, with the ``RuleSet``.

The automaton holds some 90,000 keys (the terms' evasive spellings): loading it costs
more than a short text's whole check. So the same keys are also kept sorted in a
``KeyTable``, which loads in a millisecond and finds the keys in a short text by
bisection; the rules cache keeps the automaton apart, loaded when a long text (or
enough short ones) comes. Both ways find the same keys, reported in the same order.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any

from copygen.compliance.normalize import normalize
from copygen.compliance.pii import DETECTOR_KINDS
from copygen.compliance.rule_model import CODE_DETECTORS, Rule, RuleSet
from copygen.compliance.word_edges import EdgeTable, SortedStrings, int_array
from copygen.compliance.word_edges import on_word_edges as _on_word_edges
from copygen.errors import RuleError

_TERM, _ANCHOR, _UNLESS, _ALLOW = 0, 1, 2, 3
_VARIANT = 1  # the flag of a term key that is an evasive spelling of the term (evasions.py)
_LATIN = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")  # the matcher's text is lower case

Span = tuple[int, int]
Entry = tuple[int, int, int]  # (kind, index, flag) of one automaton key

#: Texts up to this long are scanned with the key table while the automaton is not
#: loaded, until the table has scanned ``TABLE_BUDGET`` characters in all; then the
#: automaton is loaded (bisection costs some microseconds a character, the automaton
#: a fraction of one, and loading it some 50 ms).
SHORT_TEXT = 4_000
TABLE_BUDGET = 20_000
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class SpanIndex:
    """A fixed set of spans, asked whether it covers or overlaps a span.

    A text with thousands of hits has thousands of exception and allowlist spans
    too: testing each hit against every span made checking quadratic. Sorted by
    start with a running maximum of the ends, each question is one bisection."""

    __slots__ = ("_reach", "_starts")

    def __init__(self, spans: Iterable[tuple[float, float]]) -> None:
        ordered = sorted(spans)
        self._starts: list[float] = [start for start, _ in ordered]
        self._reach: list[float] = list(accumulate((end for _, end in ordered), max))

    def __bool__(self) -> bool:
        return bool(self._starts)

    def covers(self, start: float, end: float) -> bool:
        """Some span ``(s, e)`` has ``s <= start`` and ``end <= e``."""
        i = bisect_right(self._starts, start)
        return i > 0 and self._reach[i - 1] >= end

    def overlaps(self, start: float, end: float) -> bool:
        """Some span ``(s, e)`` has ``s < end`` and ``start < e``."""
        i = bisect_left(self._starts, end)
        return i > 0 and self._reach[i - 1] > start


@dataclass
class Scan:
    """What one automaton pass over a normalised text found (normalised offsets)."""

    terms: dict[int, list[Span]] = field(default_factory=dict)  # rule index -> spans
    # pattern index -> the numbers of its covers seen (it runs once all are seen)
    triggered: dict[int, set[int]] = field(default_factory=dict)
    unless: dict[int, list[Span]] = field(default_factory=dict)  # rule index -> spans
    allow: list[Span] = field(default_factory=list)


def _record(
    found: Scan, entries: Iterable[Entry], start: int, end: int, applicable: frozenset[int]
) -> None:
    """Note in ``found`` what the key matched at ``start:end`` stands for."""
    for kind, index, flag in entries:
        if kind == _TERM:
            if index in applicable:
                spans = found.terms.get(index)
                if spans is None:
                    spans = found.terms[index] = []
                spans.append((start, end))
        elif kind == _ANCHOR:
            seen = found.triggered.get(index)
            if seen is None:
                found.triggered[index] = {flag}
            else:
                seen.add(flag)
        elif kind == _UNLESS:
            found.unless.setdefault(index, []).append((start, end))
        else:
            found.allow.append((start, end))


class KeyTable:
    """The automaton's keys, sorted, with their entries: found in a text by bisection.

    Pickled as one string of keys and a few integer arrays (an entry packed in an int),
    which load in about a millisecond where the automaton takes fifty."""

    __slots__ = ("_firsts", "firsts", "keys", "packed", "starts")

    def __init__(
        self, keys: SortedStrings, packed: array[int], starts: array[int], firsts: str
    ) -> None:
        self.keys = keys
        self.packed = packed  # entries, packed (see ``of``), key after key
        self.starts = starts  # key number -> where its entries start in ``packed``
        self.firsts = firsts  # the first characters of the keys
        self._firsts: frozenset[str] | None = None

    @classmethod
    def of(cls, keys: dict[str, list[Entry]]) -> KeyTable | None:
        ordered = sorted(keys)
        if any(SortedStrings.SEPARATOR in key for key in ordered):
            return None
        packed: array[int] = array("q")
        starts = [0]
        for key in ordered:
            for kind, index, flag in keys[key]:
                if not 0 <= flag < 1 << 18:
                    return None
                packed.append(index << 20 | flag << 2 | kind)
            starts.append(len(packed))
        firsts = "".join(sorted({key[0] for key in ordered}))
        return cls(SortedStrings.of(ordered), packed, int_array(starts), firsts)

    def __getstate__(self) -> tuple[SortedStrings, array[int], array[int], str]:
        return self.keys, self.packed, self.starts, self.firsts

    def __setstate__(self, state: tuple[SortedStrings, array[int], array[int], str]) -> None:
        self.keys, self.packed, self.starts, self.firsts = state
        self._firsts = None

    def entries(self, number: int) -> tuple[Entry, ...]:
        packed = self.packed[self.starts[number] : self.starts[number + 1]]
        return tuple((v & 3, v >> 20, v >> 2 & 0x3FFFF) for v in packed)

    def items(self) -> Iterator[tuple[str, tuple[Entry, ...]]]:
        return ((key, self.entries(n)) for n, key in enumerate(self.keys.all()))

    def find(self, text: str) -> list[tuple[int, int, int]]:
        """(end, start, key number) of every key in ``text``, in the automaton's order:
        by end, the longest first."""
        if self._firsts is None:
            self._firsts = frozenset(self.firsts)
        firsts = self._firsts
        starting = self.keys.starting
        found = [
            (end, start, number)
            for start, char in enumerate(text)
            if char in firsts
            for end, number in starting(text, start)
        ]
        found.sort()
        return found


@dataclass
class Compiled:
    rules: tuple[Rule, ...]
    # ahocorasick.Automaton; None when it holds no keys, or while it is not loaded from
    # ``automaton_file`` (see ``KeyTable``)
    automaton: Any
    # pattern index -> (rule index, regex source); compiled on first use
    patterns: list[tuple[int, str]]
    always: list[int]  # pattern indexes without an anchor: they always run
    detectors: dict[str, list[int]]  # detector name -> rule indexes
    # pattern index -> how many covers it has: it runs only when a literal of each was seen
    covers: dict[int, int] = field(default_factory=dict)
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
    # every key with its entries; None when the keys cannot be tabled (see KeyTable)
    table: KeyTable | None = None
    # where the rules cache keeps the automaton (pickled) while it is not loaded
    automaton_file: str | None = None
    # characters the table may still scan before the automaton is loaded
    table_budget: int = TABLE_BUDGET
    # jieba's word edges around the hits of ``boundary: word`` terms (word_edges.py);
    # built for the rules cache, None otherwise (then jieba answers)
    edge_table: EdgeTable | None = None
    # evasions.t2s_table(), the folding the keys were made with: kept in the rules
    # cache so that a process loading the rules need not ask OpenCC again
    t2s: dict[int, str] | None = None

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
        state["table_budget"] = TABLE_BUDGET
        if self.automaton_file is not None:
            state["automaton"] = None  # kept in its own file
        return state

    def has_keys(self) -> bool:
        return self.automaton is not None or self.automaton_file is not None

    def load_automaton(self) -> Any:
        """The automaton, loaded from ``automaton_file`` (or rebuilt from the table)
        the first time it is needed."""
        if self.automaton is None and self.automaton_file is not None:
            automaton = None
            try:
                import pickle

                with open(self.automaton_file, "rb") as handle:
                    automaton = pickle.load(handle)
            except Exception:
                if self.table is not None:  # deleted or damaged: the table has every key
                    automaton = _automaton({k: list(v) for k, v in self.table.items()})
            if automaton is None:
                raise RuleError("the compiled rules cache lost its automaton; try again")
            self.automaton = automaton
        return self.automaton

    def on_word_edges(self, text: str, start: int, end: int) -> bool:
        """Whether [start, end) of ``text`` starts and ends on jieba word boundaries
        (the word-edge table, jieba's dictionary in the cache directory, or jieba)."""
        return _on_word_edges(text, start, end, self.edge_table, _dictionary_directory)

    def word_edge_hits(self) -> set[str]:
        """The strings the terms of the ``boundary: word`` rules (and their evasive
        spellings) can hit: what the word-edge table covers."""
        wanted = {i for i, rule in enumerate(self.rules) if rule.boundary == "word"}
        if not wanted or self.table is None:
            return set()
        return {
            key
            for key, entries in self.table.items()
            if any(kind == _TERM and index in wanted for kind, index, _ in entries)
        }

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

    def scan(self, ntext: str, applicable: frozenset[int]) -> Scan:
        """The automaton pass over normalised ``ntext``; term hits only of ``applicable``."""
        found = Scan()
        if not ntext or not self.has_keys():
            return found
        if (
            self.automaton is None
            and self.table is not None
            and len(ntext) <= min(SHORT_TEXT, self.table_budget)
            and _LONE_SURROGATE.search(ntext) is None
        ):
            self.table_budget -= len(ntext)
            return self._table_scan(ntext, applicable)
        automaton = self.load_automaton()
        encoded = utf16_symbols(ntext)
        # Two symbols per UTF-16 unit: more than two per character means surrogates.
        units = utf16_to_chars(ntext) if len(encoded) != 2 * len(ntext) else None
        for end_index, (length, entries) in automaton.iter(encoded):
            if end_index & 1 == 0:
                continue  # ends on a high byte: not on whole characters
            end = (end_index + 1) >> 1
            start = end - length
            if units is not None:
                start, end = units[start], units[end]
            _record(found, entries, start, end, applicable)
        return found

    def _table_scan(self, ntext: str, applicable: frozenset[int]) -> Scan:
        """``scan`` by the key table: the same keys, spans and order as the automaton."""
        assert self.table is not None
        found = Scan()
        entries_of = self.table.entries
        for end, start, number in self.table.find(ntext):
            _record(found, entries_of(number), start, end, applicable)
        return found

    def pattern_hits(
        self, ntext: str, triggered: dict[int, set[int]], applicable: frozenset[int]
    ) -> dict[int, list[Span]]:
        """Rule index -> spans of the non-empty regex matches in ``ntext``, running the
        regexes a literal of each of whose covers was seen (``triggered``), and those
        with no cover."""
        hits: dict[int, list[Span]] = {}
        covers = self.covers
        ready = [i for i, seen in triggered.items() if len(seen) >= covers.get(i, 1)]
        for pattern_index in sorted(ready + self.always):
            rule_index = self.patterns[pattern_index][0]
            if rule_index not in applicable:
                continue
            for m in self.regex(pattern_index).finditer(ntext):
                span = m.span()
                if span[1] > span[0]:
                    spans = hits.get(rule_index)
                    if spans is None:
                        spans = hits[rule_index] = []
                    spans.append(span)
        return hits


def utf16_symbols(text: str) -> str:
    """``text`` spelled in UTF-16 code units, each unit as two symbols (high byte, low
    byte) of U+0000-U+00FF.

    pyahocorasick finds a trie node's child by a linear scan, and thousands of keys
    starting with as many different CJK characters made the root scan the cost of
    the whole pass. Spelled in bytes, no node has more than 256 children and the
    root about a hundred: the pass gets several times faster. Keys and texts are
    spelled alike; a match that does not start on a code unit is dropped
    (``utf16_to_chars`` maps the rest back)."""
    return text.encode("utf-16-be", "surrogatepass").decode("latin-1")


def utf16_to_chars(text: str) -> list[int] | None:
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


def compile_rules(
    ruleset: RuleSet, allow_terms: Sequence[str], *, key_table: bool = False
) -> Compiled:
    """The rules compiled; ``key_table``: with the ``KeyTable`` too (for the rules
    cache, which loads the automaton only when needed)."""
    from copygen.compliance import anchors
    from copygen.compliance.evasions import term_variants

    keys: dict[str, list[Entry]] = {}

    def add(text: str, kind: int, index: int, flag: int = 0) -> None:
        folded = normalize(text).text
        if folded:
            keys.setdefault(folded, []).append((kind, index, flag))

    def add_term(term: str, index: int) -> None:
        folded = normalize(term).text
        if not folded:
            return
        entries = keys.setdefault(folded, [])
        if (_TERM, index, 0) not in entries:
            entries.append((_TERM, index, 0))
        # Variants are made of folded characters and pinyin: already in the matcher's form.
        for variant, _how in term_variants(folded):
            entries = keys.setdefault(variant, [])
            if not any(kind == _TERM and i == index for kind, i, _ in entries):
                entries.append((_TERM, index, _VARIANT))

    patterns: list[tuple[int, str]] = []
    always: list[int] = []
    detectors: dict[str, list[int]] = {}
    gated: dict[int, tuple[str, ...]] = {}
    covers: dict[int, int] = {}
    for index, rule in enumerate(ruleset.rules):
        if rule.unless_product:
            gated[index] = tuple(normalize(t).text for t in rule.unless_product)
        for term in rule.terms:
            add_term(term, index)
        for text in rule.unless:
            add(text, _UNLESS, index)
        for pattern in rule.patterns:
            pattern_index = len(patterns)
            patterns.append((index, pattern))
            found = anchors.required_covers(pattern)
            if found is None:
                always.append(pattern_index)
            else:
                for number, cover in enumerate(found):
                    for literal in cover:
                        add(literal, _ANCHOR, pattern_index, number)
                if len(found) > 1:
                    covers[pattern_index] = len(found)
        if rule.detector is not None:
            detectors.setdefault(rule.detector, []).append(index)
    for position, term in enumerate(allow_terms):
        add(term, _ALLOW, position)
    return Compiled(
        ruleset.rules,
        _automaton(keys),
        patterns,
        always,
        detectors,
        covers=covers,
        gated=gated,
        table=KeyTable.of(keys) if key_table else None,
    )


def _automaton(keys: dict[str, list[Entry]]) -> Any:
    if not keys:
        return None
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for key, entries in keys.items():
        # length in UTF-16 code units, as the text is scanned
        automaton.add_word(
            utf16_symbols(key), (len(key.encode("utf-16-be", "surrogatepass")) // 2, tuple(entries))
        )
    automaton.make_automaton()
    return automaton


# --- word boundaries -------------------------------------------------------------------


def _dictionary_directory() -> Path | None:
    """Where jieba's dictionary is kept sorted (word_edges.py): with the rules cache."""
    from copygen.compliance import rules_cache

    return rules_cache.cache_dir() if rules_cache.enabled() else None


def latin_edges_ok(text: str, start: int, end: int) -> bool:
    """A hit starting/ending with a Latin letter or digit must not continue a Latin word."""
    if start > 0 and text[start] in _LATIN and text[start - 1] in _LATIN:
        return False
    return not (end < len(text) and text[end - 1] in _LATIN and text[end] in _LATIN)


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


def allow_terms(allow: Iterable[str | Path]) -> list[str]:
    """Allow entries are allowlist files (a ``Path``, or a string naming an existing
    file) or terms themselves."""
    terms: list[str] = []
    for entry in allow:
        if isinstance(entry, Path) or Path(entry).is_file():
            terms.extend(read_allowlist(entry))
        elif entry.strip():
            terms.append(entry.strip())
    return terms
