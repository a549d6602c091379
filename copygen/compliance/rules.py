"""Rule packs: the strict YAML loader.

The values it builds (``Rule``, ``RuleSet`` ...) live in ``rule_model.py``; they are
re-exported here, where callers have always imported them from.

Rules are data. A pack is a YAML file::

    pack: zh.adlaw.absolute            # unique pack id (required)
    description: 绝对化用语              # optional
    scope: {langs: [zh]}                # optional default scope for rules without one
    rules:
      - id: zh.absolute.superlative     # unique across all loaded packs (required)
        category: absolute_term         # one of findings.CATEGORIES (required)
        severity: block                 # block | warn | info (required)
        law: 《广告法》第九条第三项        # legal or platform basis (required)
        message: {zh: "...", en: "..."} # both languages (required)
        suggestion: {zh: "...", en: "..."}  # optional; both languages when given
        terms: [最好, 最佳]              # literal terms, matched on the normalised text
        patterns: ['销量\\s*(第一|冠军)']  # Python regexes on the normalised text
        detector: mobile_phone          # instead of terms/patterns: a built-in detector
        boundary: word                  # auto (default) | word | none
        unless: [最好在, 最佳食用期]       # literal exceptions: a hit inside one is dropped
        unless_patterns: ['最好(在|是)']  # regex exceptions, same meaning
        unless_product: [国妆特字, 特证]  # warn/info only: dropped when the product's
                                        # title/selling points/attributes say one
        scope: {categories: [beauty], platforms: [livestream], langs: [zh]}
        examples:
          match: ["这是最好的面霜", {text: "...", category: beauty, platform: social, lang: zh}]
          no_match: ["最好在阴凉处保存", "最佳食用期12个月"]

A rule needs at least one of ``terms``, ``patterns`` or ``detector``, and at least
two ``match`` and two ``no_match`` examples. The normalised text is NFKC, lower
case, with separators between CJK characters removed (see ``normalize.py``); terms
and ``unless`` entries are normalised the same way, patterns are compiled with
IGNORECASE and must be written for that text.

``boundary``: ``auto`` makes a term that starts or ends with a Latin letter or digit
match only at a Latin word edge (``best`` not in ``bestow``); ``word`` additionally
requires CJK hits to start and end on jieba word boundaries (第一 in 销量第一 is a
hit, in 第一次 it is not); ``none`` matches raw substrings.

``scope`` lists where a rule applies; a dimension restricts only when the check is
given that value (no ``category`` given -> category-scoped rules still apply).

Every error names the file, the line and the rule id, and is a ``RuleError``
(exit code 2 on the command line).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from copygen.compliance.findings import CATEGORIES, SEVERITIES
from copygen.compliance.normalize import normalize
from copygen.compliance.packs import builtin_pack_files, pack_files
from copygen.compliance.rule_model import (
    CODE_DETECTORS,
    ENGINE_VERSION,
    YAML_DETECTORS,
    Example,
    PackInfo,
    Rule,
    RuleSet,
    Scope,
    base_lang,
    code_rules,
    rule_selected,
)
from copygen.errors import RuleError
from copygen.inputs.product import CATEGORIES as PRODUCT_CATEGORIES
from copygen.platforms import PLATFORM_NAMES

__all__ = [
    "BOUNDARIES",
    "CODE_DETECTORS",
    "ENGINE_VERSION",
    "EXAMPLE_KEYS",
    "LOCALES",
    "MIN_EXAMPLES",
    "PACK_KEYS",
    "PRODUCT_COLUMNS",
    "RULE_KEYS",
    "SCOPE_KEYS",
    "YAML_DETECTORS",
    "Example",
    "PackInfo",
    "Rule",
    "RuleSet",
    "Scope",
    "builtin_pack_files",
    "code_rules",
    "load_pack",
    "load_rules",
    "pack_files",
]

PACK_KEYS = frozenset({"pack", "description", "scope", "sets", "rules"})
RULE_KEYS = frozenset(
    {
        "id",
        "category",
        "severity",
        "law",
        "message",
        "suggestion",
        "terms",
        "patterns",
        "detector",
        "boundary",
        "unless",
        "unless_patterns",
        "unless_product",
        "scope",
        "examples",
    }
)
SCOPE_KEYS = frozenset({"categories", "platforms", "langs"})
EXAMPLE_KEYS = frozenset({"text", "category", "platform", "lang", "product"})
# Product columns an example may give (``copygen check --product`` reads the same).
PRODUCT_COLUMNS = frozenset(
    {"sku", "title", "brand", "category", "attributes", "selling_points", "price", "promo_price"}
)
BOUNDARIES: tuple[str, ...] = ("auto", "word", "none")
LOCALES: tuple[str, ...] = ("zh", "en")
MIN_EXAMPLES = 2
_RULE_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_SET_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
# ``{name}`` in a pattern names one of the pack's sets; ``{0,8}`` stays a repetition.
_SET_REF = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_LANG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]+)*$")


class _Ctx:
    """Where we are in a pack, for error messages."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rule_id: str | None = None
        self.sets: dict[str, str] = {}

    def error(self, node: yaml.Node | None, message: str) -> RuleError:
        line = node.start_mark.line + 1 if node is not None else None
        if self.rule_id:
            message = f"rule '{self.rule_id}': {message}"
        return RuleError(message, file=self.path, row=line)


def _mapping(ctx: _Ctx, node: yaml.Node, what: str, keys: frozenset[str]) -> dict[str, Any]:
    """Check a mapping node's keys; return key -> (key node, value node) for the caller."""
    if not isinstance(node, yaml.MappingNode):
        raise ctx.error(node, f"{what} must be a mapping")
    out: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if not isinstance(key, str) or key not in keys:
            raise ctx.error(
                key_node,
                f"unknown key {key!r} in {what}; expected one of {', '.join(sorted(keys))}",
            )
        if key in out:
            raise ctx.error(key_node, f"duplicate key {key!r} in {what}")
        out[key] = value_node
    return out


def _scalar_str(ctx: _Ctx, node: yaml.Node, what: str, *, allow_empty: bool = False) -> str:
    if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
        raise ctx.error(node, f"{what} must be text")
    value = str(node.value)
    if not allow_empty and not value.strip():
        raise ctx.error(node, f"{what} must not be empty")
    return value


def _str_list(ctx: _Ctx, node: yaml.Node, what: str) -> list[tuple[str, yaml.Node]]:
    if isinstance(node, yaml.ScalarNode) and node.tag != "tag:yaml.org,2002:null":
        return [(_scalar_str(ctx, node, what), node)]
    if not isinstance(node, yaml.SequenceNode):
        raise ctx.error(node, f"{what} must be a list of text")
    return [(_scalar_str(ctx, item, f"an item of {what}"), item) for item in node.value]


def _choice(ctx: _Ctx, node: yaml.Node, what: str, choices: Sequence[str]) -> str:
    value = _scalar_str(ctx, node, what).strip()
    if value not in choices:
        raise ctx.error(node, f"unknown {what} {value!r}; expected one of {', '.join(choices)}")
    return value


def _locales(ctx: _Ctx, node: yaml.Node, what: str) -> dict[str, str]:
    parts = _mapping(ctx, node, what, frozenset(LOCALES))
    missing = [loc for loc in LOCALES if loc not in parts]
    if missing:
        raise ctx.error(node, f"{what} needs both zh and en (missing {', '.join(missing)})")
    return {loc: _scalar_str(ctx, parts[loc], f"{what}.{loc}") for loc in LOCALES}


def _scope(ctx: _Ctx, node: yaml.Node) -> Scope:
    parts = _mapping(ctx, node, "scope", SCOPE_KEYS)
    categories = (
        [
            _checked(ctx, v, n, "scope category", PRODUCT_CATEGORIES)
            for v, n in _str_list(ctx, parts["categories"], "scope.categories")
        ]
        if "categories" in parts
        else []
    )
    platforms = (
        [
            _checked(ctx, v, n, "scope platform", PLATFORM_NAMES)
            for v, n in _str_list(ctx, parts["platforms"], "scope.platforms")
        ]
        if "platforms" in parts
        else []
    )
    langs = []
    for value, item in _str_list(ctx, parts["langs"], "scope.langs") if "langs" in parts else []:
        lang = base_lang(value)
        if not _LANG.match(lang):
            raise ctx.error(item, f"not a language code: {value!r}")
        langs.append(lang)
    return Scope(tuple(categories), tuple(platforms), tuple(langs))


def _checked(ctx: _Ctx, value: str, node: yaml.Node, what: str, choices: Sequence[str]) -> str:
    value = value.strip()
    if value not in choices:
        raise ctx.error(node, f"unknown {what} {value!r}; expected one of {', '.join(choices)}")
    return value


def _expand_sets(ctx: _Ctx, pattern: str, node: yaml.Node, what: str) -> str:
    """``pattern`` with each ``{name}`` replaced by an alternation of the pack's set
    ``name`` (its entries folded like the text they run on, longest first)."""

    def replace(m: re.Match[str]) -> str:
        entries = ctx.sets.get(m.group(1))
        if entries is None:
            known = ", ".join(sorted(ctx.sets)) or "none"
            raise ctx.error(
                node, f"{what} {pattern!r} names unknown set {{{m.group(1)}}} (sets: {known})"
            )
        return entries

    return _SET_REF.sub(replace, pattern)


def _sets(ctx: _Ctx, node: yaml.Node) -> dict[str, str]:
    """A pack's ``sets``: name -> the regex alternation its patterns use for ``{name}``."""
    if not isinstance(node, yaml.MappingNode):
        raise ctx.error(node, "'sets' must be a mapping of set names to lists of words")
    sets: dict[str, str] = {}
    for key_node, value_node in node.value:
        name = _scalar_str(ctx, key_node, "set name").strip()
        if not _SET_NAME.match(name):
            raise ctx.error(key_node, f"set name {name!r} may hold only a-z, 0-9 and _")
        if name in sets:
            raise ctx.error(key_node, f"set {name!r} is defined twice")
        words: list[str] = []
        for value, item in _str_list(ctx, value_node, f"set {name}"):
            folded = normalize(value).text
            if not folded:
                raise ctx.error(item, f"set {name} entry {value!r} is empty after normalisation")
            words.append(folded)
        if not words:
            raise ctx.error(value_node, f"set {name!r} is empty")
        ordered = sorted(set(words), key=lambda w: (-len(w), w))
        sets[name] = "(?:" + "|".join(re.escape(w) for w in ordered) + ")"
    return sets


def _compile(ctx: _Ctx, pattern: str, node: yaml.Node, what: str) -> None:
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ctx.error(node, f"bad regex in {what} {pattern!r}: {exc}") from None
    if compiled.fullmatch("") is not None:
        raise ctx.error(node, f"{what} {pattern!r} matches the empty string")


def _examples(ctx: _Ctx, node: yaml.Node) -> tuple[tuple[Example, ...], tuple[Example, ...]]:
    parts = _mapping(ctx, node, "examples", frozenset({"match", "no_match"}))
    out: dict[str, tuple[Example, ...]] = {}
    for kind in ("match", "no_match"):
        items: list[Example] = []
        seq = parts.get(kind)
        if seq is not None:
            if not isinstance(seq, yaml.SequenceNode):
                raise ctx.error(seq, f"examples.{kind} must be a list")
            for item in seq.value:
                items.append(_example(ctx, item, kind))
        if len(items) < MIN_EXAMPLES:
            raise ctx.error(
                seq if seq is not None else node,
                f"needs at least {MIN_EXAMPLES} examples.{kind} (has {len(items)})",
            )
        out[kind] = tuple(items)
    return out["match"], out["no_match"]


def _example(ctx: _Ctx, node: yaml.Node, kind: str) -> Example:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode):
        return Example(_scalar_str(ctx, node, f"an examples.{kind} item"), line=line)
    parts = _mapping(ctx, node, f"an examples.{kind} item", EXAMPLE_KEYS)
    if "text" not in parts:
        raise ctx.error(node, f"an examples.{kind} item needs 'text'")
    category = platform = lang = None
    if "category" in parts:
        category = _choice(ctx, parts["category"], "example category", PRODUCT_CATEGORIES)
    if "platform" in parts:
        platform = _choice(ctx, parts["platform"], "example platform", PLATFORM_NAMES)
    if "lang" in parts:
        lang = _scalar_str(ctx, parts["lang"], "example lang").strip()
    product: list[tuple[str, str]] = []
    if "product" in parts:
        columns = _mapping(ctx, parts["product"], "example product", PRODUCT_COLUMNS)
        for column, value_node in columns.items():
            product.append((column, _scalar_str(ctx, value_node, f"example product.{column}")))
    return Example(
        _scalar_str(ctx, parts["text"], "example text"),
        category,
        platform,
        lang,
        line=line,
        product=tuple(product),
    )


def _rule(ctx: _Ctx, node: yaml.Node, pack: str, default_scope: Scope) -> Rule:
    parts = _rule_parts(ctx, node)
    rule_id = _scalar_str(ctx, parts["id"], "id").strip()
    if not _RULE_ID.match(rule_id):
        raise ctx.error(parts["id"], f"rule id {rule_id!r} may hold only letters, digits, . _ -")
    category = _choice(ctx, parts["category"], "category", CATEGORIES)
    severity = _choice(ctx, parts["severity"], "severity", SEVERITIES)
    law = _scalar_str(ctx, parts["law"], "law")
    message = _locales(ctx, parts["message"], "message")
    suggestion = _locales(ctx, parts["suggestion"], "suggestion") if "suggestion" in parts else {}
    terms, patterns, detector, boundary = _matching(ctx, node, parts)
    unless, unless_patterns, unless_product = _exceptions(ctx, parts, severity)
    scope = _scope(ctx, parts["scope"]) if "scope" in parts else default_scope
    match, no_match = _examples(ctx, parts["examples"])
    return Rule(
        id=rule_id,
        category=category,
        severity=severity,
        law=law,
        message=message,
        suggestion=suggestion,
        terms=terms,
        patterns=patterns,
        detector=detector,
        boundary=boundary,
        unless=unless,
        unless_patterns=unless_patterns,
        unless_product=unless_product,
        scope=scope,
        match_examples=match,
        no_match_examples=no_match,
        pack=pack,
        source=str(ctx.path),
        line=node.start_mark.line + 1,
    )


def _rule_parts(ctx: _Ctx, node: yaml.Node) -> dict[str, Any]:
    """A rule's key -> value node, with the required keys present."""
    ctx.rule_id = None
    if not isinstance(node, yaml.MappingNode):
        raise ctx.error(node, "each rule must be a mapping")
    # Name the rule in errors about its other keys, even when the id comes later.
    for key_node, value_node in node.value:
        is_id = isinstance(key_node, yaml.ScalarNode) and key_node.value == "id"
        if is_id and isinstance(value_node, yaml.ScalarNode):
            ctx.rule_id = str(value_node.value)
    parts = _mapping(ctx, node, "a rule", RULE_KEYS)
    for required in ("id", "category", "severity", "law", "message", "examples"):
        if required not in parts:
            raise ctx.error(node, f"missing required key '{required}'")
    return parts


def _matching(
    ctx: _Ctx, node: yaml.Node, parts: dict[str, Any]
) -> tuple[tuple[str, ...], tuple[str, ...], str | None, str]:
    """What the rule matches: (terms, patterns, detector, boundary)."""
    terms: list[str] = []
    for value, item in _str_list(ctx, parts["terms"], "terms") if "terms" in parts else []:
        folded = normalize(value).text
        if not folded:
            raise ctx.error(item, f"term {value!r} is empty after normalisation")
        terms.append(value)
    patterns: list[str] = []
    for value, item in _str_list(ctx, parts["patterns"], "patterns") if "patterns" in parts else []:
        value = _expand_sets(ctx, value, item, "pattern")
        _compile(ctx, value, item, "pattern")
        patterns.append(value)
    detector = None
    if "detector" in parts:
        detector = _choice(ctx, parts["detector"], "detector", YAML_DETECTORS)
    if not terms and not patterns and detector is None:
        raise ctx.error(node, "needs at least one of 'terms', 'patterns' or 'detector'")
    if detector is not None and (terms or patterns):
        raise ctx.error(parts["detector"], "'detector' cannot be combined with terms or patterns")
    boundary = "auto"
    if "boundary" in parts:
        boundary = _choice(ctx, parts["boundary"], "boundary", BOUNDARIES)
    return tuple(terms), tuple(patterns), detector, boundary


def _exceptions(
    ctx: _Ctx, parts: dict[str, Any], severity: str
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """What clears a hit: (unless, unless_patterns, unless_product)."""
    unless: list[str] = []
    for value, item in _str_list(ctx, parts["unless"], "unless") if "unless" in parts else []:
        if not normalize(value).text:
            raise ctx.error(item, f"unless entry {value!r} is empty after normalisation")
        unless.append(value)
    unless_patterns: list[str] = []
    if "unless_patterns" in parts:
        for value, item in _str_list(ctx, parts["unless_patterns"], "unless_patterns"):
            value = _expand_sets(ctx, value, item, "unless pattern")
            _compile(ctx, value, item, "unless pattern")
            unless_patterns.append(value)
    unless_product: list[str] = []
    if "unless_product" in parts:
        for value, item in _str_list(ctx, parts["unless_product"], "unless_product"):
            if not normalize(value).text:
                raise ctx.error(
                    item, f"unless_product entry {value!r} is empty after normalisation"
                )
            unless_product.append(value)
        if severity == "block":
            # Product data may soften a claim to nothing, never unblock a banned one.
            raise ctx.error(
                parts["unless_product"], "unless_product is only for warn and info rules"
            )
    return tuple(unless), tuple(unless_patterns), tuple(unless_product)


def load_pack(path: Path, text: str | None = None) -> tuple[PackInfo, list[Rule]]:
    """Parse and validate one pack file."""
    ctx = _Ctx(path)
    root = _compose(path, _read_pack(path) if text is None else text)
    parts = _mapping(ctx, root, "the pack", PACK_KEYS)
    if "pack" not in parts:
        raise ctx.error(root, "missing required key 'pack' (the pack id)")
    if "rules" not in parts:
        raise ctx.error(root, "missing required key 'rules'")
    pack_id = _scalar_str(ctx, parts["pack"], "pack").strip()
    description = (
        _scalar_str(ctx, parts["description"], "description", allow_empty=True)
        if "description" in parts
        else ""
    )
    default_scope = _scope(ctx, parts["scope"]) if "scope" in parts else Scope()
    ctx.sets = _sets(ctx, parts["sets"]) if "sets" in parts else {}
    rules_node = parts["rules"]
    if not isinstance(rules_node, yaml.SequenceNode):
        raise ctx.error(rules_node, "'rules' must be a list")
    rules = [_rule(ctx, item, pack_id, default_scope) for item in rules_node.value]
    ctx.rule_id = None
    return PackInfo(pack_id, str(path), description, len(rules)), rules


def _read_pack(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RuleError("rule pack not found", file=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"cannot read rule pack: {exc}", file=path) from None


def _compose(path: Path, text: str) -> yaml.Node:
    """The pack's YAML node tree: nodes keep the line numbers errors name."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        root = yaml.compose(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise RuleError(f"invalid YAML: {problem}", file=path, row=line) from None
    if root is None:
        raise RuleError("empty rule pack", file=path)
    return root


def load_rules(
    *,
    paths: Iterable[str | Path] = (),
    builtin: bool = True,
    disabled: Iterable[str] = (),
    only_categories: Iterable[str] = (),
) -> RuleSet:
    """Load the built-in packs (unless ``builtin=False``) and the given pack paths.

    ``disabled`` holds rule ids, categories, pack ids, or id prefixes ending in
    ``*`` (``zh.platform.*``); an entry matching nothing is an error so that a typo
    cannot silently keep a rule on. ``only_categories`` keeps just those categories.
    """
    files: list[Path] = builtin_pack_files() if builtin else []
    for raw in paths:
        files.extend(pack_files(Path(raw).expanduser()))
    digest = hashlib.sha256(f"copygen-rules/{ENGINE_VERSION}\n".encode())
    packs, rules = _read_packs(files, digest.update)
    disabled = [d.strip() for d in disabled if d.strip()]
    only = [c.strip() for c in only_categories if c.strip()]
    kept = _selected(rules, disabled, only)
    digest.update(f"disabled={sorted(disabled)}\nonly={sorted(only)}\n".encode())
    return RuleSet(rules=tuple(kept), hash=digest.hexdigest(), packs=tuple(packs))


def _read_packs(
    files: Sequence[Path], digest: Callable[[bytes], object]
) -> tuple[list[PackInfo], list[Rule]]:
    """The code-defined rules and every pack's, each id once; ``digest`` is fed each
    file's name, size and bytes (the rule set's hash)."""
    packs: list[PackInfo] = []
    rules: list[Rule] = list(code_rules())
    seen_ids = {r.id: "<builtin>" for r in rules}
    seen_packs: dict[str, str] = {}
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise RuleError(f"cannot read rule pack: {exc}", file=path) from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise RuleError("rule pack is not UTF-8", file=path) from None
        info, pack_rules = load_pack(path, text)
        if info.id in seen_packs:
            raise RuleError(
                f"duplicate pack id '{info.id}' (also in {seen_packs[info.id]})", file=path
            )
        seen_packs[info.id] = str(path)
        for rule in pack_rules:
            if rule.id in seen_ids:
                raise RuleError(
                    f"rule '{rule.id}': duplicate rule id (also in {seen_ids[rule.id]})",
                    file=path,
                    row=rule.line,
                )
            seen_ids[rule.id] = str(path)
        digest(f"{path.name}\n{len(data)}\n".encode())
        digest(data)
        packs.append(info)
        rules.extend(pack_rules)
    return packs, rules


def _selected(rules: Sequence[Rule], disabled: Sequence[str], only: Sequence[str]) -> list[Rule]:
    """``rules`` without the ``disabled`` ones, and only of the ``only`` categories if given."""
    for category in only:
        if category not in CATEGORIES:
            raise RuleError(
                f"unknown category {category!r} in only-category; "
                f"expected one of {', '.join(CATEGORIES)}"
            )
    for entry in disabled:
        if not any(_disables(entry, r) for r in rules):
            raise RuleError(f"--disable {entry!r} matches no rule, category or pack")
    return [
        r
        for r in rules
        if not any(_disables(e, r) for e in disabled) and (not only or r.category in only)
    ]


def _disables(entry: str, rule: Rule) -> bool:
    return rule_selected(entry, rule.id, category=rule.category, pack=rule.pack)
