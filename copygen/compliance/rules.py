"""Rule packs: the strict loader, the ``Rule`` value and the ``RuleSet``.

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from copygen.compliance.findings import CATEGORIES, SEVERITIES
from copygen.compliance.normalize import normalize
from copygen.errors import RuleError
from copygen.inputs.product import CATEGORIES as PRODUCT_CATEGORIES
from copygen.platforms import PLATFORM_NAMES

PACK_KEYS = frozenset({"pack", "description", "scope", "rules"})
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
_LANG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]+)*$")

# Detectors usable from YAML (the personal-data pack); each is implemented in code.
YAML_DETECTORS: tuple[str, ...] = (
    "mobile_phone",
    "landline_phone",
    "intl_phone",
    "id_card",
    "email",
    "bank_card",
    "social_handle",
)
# Detectors of the code-defined rules (facts, language, format); not usable from YAML.
CODE_DETECTORS: tuple[str, ...] = (
    "unsupported_number",
    "price_mismatch",
    "language",
    "format_missing",
    "format_length",
    "format_items",
)
# Bump when the code-defined rules or matching semantics change: it is part of the hash.
ENGINE_VERSION = "2"


@dataclass(frozen=True)
class Scope:
    categories: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()

    def allows(
        self, *, category: str | None = None, platform: str | None = None, lang: str | None = None
    ) -> bool:
        if category is not None and self.categories and category not in self.categories:
            return False
        if platform is not None and self.platforms and platform not in self.platforms:
            return False
        return not (lang is not None and self.langs and _base_lang(lang) not in self.langs)

    def to_dict(self) -> dict[str, list[str]]:
        return {
            key: list(value)
            for key, value in (
                ("categories", self.categories),
                ("platforms", self.platforms),
                ("langs", self.langs),
            )
            if value
        }


def _base_lang(lang: str) -> str:
    """``zh-CN`` -> ``zh``; scope lists hold base languages."""
    return lang.strip().lower().replace("_", "-").split("-")[0]


@dataclass(frozen=True)
class Example:
    text: str
    category: str | None = None
    platform: str | None = None
    lang: str | None = None
    line: int | None = None
    # product columns the example is checked with ((column, value), ...)
    product: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    severity: str
    law: str
    message: Mapping[str, str]
    suggestion: Mapping[str, str] = field(default_factory=dict)
    terms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    detector: str | None = None
    boundary: str = "auto"
    unless: tuple[str, ...] = ()
    unless_patterns: tuple[str, ...] = ()
    unless_product: tuple[str, ...] = ()
    scope: Scope = field(default_factory=Scope)
    match_examples: tuple[Example, ...] = ()
    no_match_examples: tuple[Example, ...] = ()
    pack: str = ""
    source: str = ""  # file path, or "<builtin>" for code-defined rules
    line: int | None = None

    def message_for(self, locale: str) -> str:
        return self.message.get(locale) or self.message.get("en") or ""

    def suggestion_for(self, locale: str) -> str:
        return self.suggestion.get(locale) or self.suggestion.get("en") or ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "pack": self.pack,
            "category": self.category,
            "severity": self.severity,
            "law": self.law,
            "message": dict(self.message),
            "suggestion": dict(self.suggestion),
            "terms": list(self.terms),
            "patterns": list(self.patterns),
            "detector": self.detector,
            "boundary": self.boundary,
            "unless": list(self.unless),
            "unless_patterns": list(self.unless_patterns),
            "unless_product": list(self.unless_product),
            "scope": self.scope.to_dict(),
            "examples": {
                "match": [_example_dict(e) for e in self.match_examples],
                "no_match": [_example_dict(e) for e in self.no_match_examples],
            },
            "source": self.source,
            "line": self.line,
        }


def _example_dict(example: Example) -> str | dict[str, Any]:
    extra: dict[str, Any] = {
        k: v
        for k, v in (
            ("category", example.category),
            ("platform", example.platform),
            ("lang", example.lang),
        )
        if v is not None
    }
    if example.product:
        extra["product"] = dict(example.product)
    return {"text": example.text, **extra} if extra else example.text


@dataclass(frozen=True)
class PackInfo:
    id: str
    source: str
    description: str
    rules: int


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    hash: str
    packs: tuple[PackInfo, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {rule.id: rule for rule in self.rules})

    def get(self, rule_id: str) -> Rule | None:
        by_id: dict[str, Rule] = self._by_id  # type: ignore[attr-defined]
        return by_id.get(rule_id)

    def __len__(self) -> int:
        return len(self.rules)

    def __iter__(self) -> Any:
        return iter(self.rules)

    def applicable(
        self, *, category: str | None = None, platform: str | None = None, lang: str | None = None
    ) -> list[Rule]:
        return [
            r for r in self.rules if r.scope.allows(category=category, platform=platform, lang=lang)
        ]


# --- code-defined rules ----------------------------------------------------------------


def code_rules() -> tuple[Rule, ...]:
    """The rules implemented in code (facts, language, format): listed, explained and
    disabled like any other, but without YAML examples (unit tests cover them)."""

    def rule(
        rule_id: str,
        category: str,
        severity: str,
        detector: str,
        law: str,
        message: tuple[str, str],
        suggestion: tuple[str, str],
    ) -> Rule:
        return Rule(
            id=rule_id,
            category=category,
            severity=severity,
            law=law,
            message={"zh": message[0], "en": message[1]},
            suggestion={"zh": suggestion[0], "en": suggestion[1]},
            detector=detector,
            pack="copygen.builtin",
            source="<builtin>",
        )

    return (
        rule(
            "facts.unsupported_number",
            "unsupported_fact",
            "warn",
            "unsupported_number",
            "《广告法》第二十八条（虚假广告）",
            (
                "文案中的数值“{claim}”在商品数据中找不到依据",
                "the figure '{claim}' is not supported by the product data",
            ),
            (
                "改用商品数据中的参数，或删去该数值",
                "use the figure from the product data, or drop it",
            ),
        ),
        rule(
            "facts.price_mismatch",
            "unsupported_fact",
            "block",
            "price_mismatch",
            "《明码标价和禁止价格欺诈规定》第十九条；《广告法》第二十八条",
            (
                "文案中的价格或折扣“{claim}”与商品价格（{expected}）不符",
                "the price or discount '{claim}' differs from the product's price ({expected})",
            ),
            ("按商品数据中的价格/活动价表述", "state the price exactly as in the product data"),
        ),
        rule(
            "language.mismatch",
            "language_mismatch",
            "warn",
            "language",
            "—",
            (
                "文案语言（{found}）与要求的语言（{expected}）不一致",
                "the copy is in {found}, but {expected} was requested",
            ),
            ("用要求的语言重写", "rewrite the copy in the requested language"),
        ),
        rule(
            "format.missing_field",
            "format",
            "block",
            "format_missing",
            "平台内容规范",
            ("缺少必填字段“{field}”", "required field '{field}' is missing or empty"),
            ("补全该字段", "fill in the field"),
        ),
        rule(
            "format.too_long",
            "format",
            "warn",
            "format_length",
            "平台内容规范",
            (
                "“{field}”长度 {length} 字，超过平台上限 {limit} 字",
                "'{field}' has {length} characters, over the platform limit of {limit}",
            ),
            ("精简到上限以内", "shorten it to fit the limit"),
        ),
        rule(
            "format.item_count",
            "format",
            "warn",
            "format_items",
            "平台内容规范",
            (
                "“{field}”有 {count} 项，平台要求 {min}–{max} 项",
                "'{field}' has {count} items; the platform expects {min}-{max}",
            ),
            ("调整条目数量", "adjust the number of items"),
        ),
    )


# --- the strict loader -----------------------------------------------------------------


class _Ctx:
    """Where we are in a pack, for error messages."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rule_id: str | None = None

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
        lang = _base_lang(value)
        if not _LANG.match(lang):
            raise ctx.error(item, f"not a language code: {value!r}")
        langs.append(lang)
    return Scope(tuple(categories), tuple(platforms), tuple(langs))


def _checked(ctx: _Ctx, value: str, node: yaml.Node, what: str, choices: Sequence[str]) -> str:
    value = value.strip()
    if value not in choices:
        raise ctx.error(node, f"unknown {what} {value!r}; expected one of {', '.join(choices)}")
    return value


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
    rule_id = _scalar_str(ctx, parts["id"], "id").strip()
    if not _RULE_ID.match(rule_id):
        raise ctx.error(parts["id"], f"rule id {rule_id!r} may hold only letters, digits, . _ -")
    category = _choice(ctx, parts["category"], "category", CATEGORIES)
    severity = _choice(ctx, parts["severity"], "severity", SEVERITIES)
    law = _scalar_str(ctx, parts["law"], "law")
    message = _locales(ctx, parts["message"], "message")
    suggestion = _locales(ctx, parts["suggestion"], "suggestion") if "suggestion" in parts else {}

    terms: list[str] = []
    for value, item in _str_list(ctx, parts["terms"], "terms") if "terms" in parts else []:
        folded = normalize(value).text
        if not folded:
            raise ctx.error(item, f"term {value!r} is empty after normalisation")
        terms.append(value)
    patterns: list[str] = []
    for value, item in _str_list(ctx, parts["patterns"], "patterns") if "patterns" in parts else []:
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
    unless: list[str] = []
    for value, item in _str_list(ctx, parts["unless"], "unless") if "unless" in parts else []:
        if not normalize(value).text:
            raise ctx.error(item, f"unless entry {value!r} is empty after normalisation")
        unless.append(value)
    unless_patterns: list[str] = []
    if "unless_patterns" in parts:
        for value, item in _str_list(ctx, parts["unless_patterns"], "unless_patterns"):
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
    scope = _scope(ctx, parts["scope"]) if "scope" in parts else default_scope
    match, no_match = _examples(ctx, parts["examples"])
    return Rule(
        id=rule_id,
        category=category,
        severity=severity,
        law=law,
        message=message,
        suggestion=suggestion,
        terms=tuple(terms),
        patterns=tuple(patterns),
        detector=detector,
        boundary=boundary,
        unless=tuple(unless),
        unless_patterns=tuple(unless_patterns),
        unless_product=tuple(unless_product),
        scope=scope,
        match_examples=match,
        no_match_examples=no_match,
        pack=pack,
        source=str(ctx.path),
        line=node.start_mark.line + 1,
    )


def load_pack(path: Path, text: str | None = None) -> tuple[PackInfo, list[Rule]]:
    """Parse and validate one pack file."""
    ctx = _Ctx(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise RuleError("rule pack not found", file=path) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise RuleError(f"cannot read rule pack: {exc}", file=path) from None
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
    rules_node = parts["rules"]
    if not isinstance(rules_node, yaml.SequenceNode):
        raise ctx.error(rules_node, "'rules' must be a list")
    rules = [_rule(ctx, item, pack_id, default_scope) for item in rules_node.value]
    ctx.rule_id = None
    return PackInfo(pack_id, str(path), description, len(rules)), rules


def pack_files(path: Path) -> list[Path]:
    """A pack file, or every ``*.yaml``/``*.yml`` in a directory (sorted)."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    if not path.exists():
        raise RuleError("rule pack not found", file=path)
    return [path]


def builtin_pack_files() -> list[Path]:
    from copygen.resources import data_dir

    try:
        return pack_files(data_dir("rules"))
    except FileNotFoundError:
        return []


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
        digest.update(f"{path.name}\n{len(data)}\n".encode())
        digest.update(data)
        packs.append(info)
        rules.extend(pack_rules)

    disabled = [d.strip() for d in disabled if d.strip()]
    only = [c.strip() for c in only_categories if c.strip()]
    for category in only:
        if category not in CATEGORIES:
            raise RuleError(
                f"unknown category {category!r} in only-category; "
                f"expected one of {', '.join(CATEGORIES)}"
            )
    for entry in disabled:
        if not any(_disables(entry, r) for r in rules):
            raise RuleError(f"--disable {entry!r} matches no rule, category or pack")
    kept = [
        r
        for r in rules
        if not any(_disables(e, r) for e in disabled) and (not only or r.category in only)
    ]
    digest.update(f"disabled={sorted(disabled)}\nonly={sorted(only)}\n".encode())
    return RuleSet(rules=tuple(kept), hash=digest.hexdigest(), packs=tuple(packs))


def _disables(entry: str, rule: Rule) -> bool:
    if entry.endswith("*"):
        return rule.id.startswith(entry[:-1])
    return entry in (rule.id, rule.category, rule.pack)
