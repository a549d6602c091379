"""The rule model: ``Scope``, ``Example``, ``Rule``, ``PackInfo``, ``RuleSet`` and the
rules implemented in code.

Kept apart from the YAML loader (``rules.py``) so that what only needs the model
(the matcher, guidance, the example runner) does not depend on YAML parsing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
    "template_echo",
)
# Bump when the code-defined rules or matching semantics change: it is part of the hash.
ENGINE_VERSION = "4"


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
        return not (lang is not None and self.langs and base_lang(lang) not in self.langs)

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


def base_lang(lang: str) -> str:
    """``zh-CN`` -> ``zh``; scope lists hold base languages."""
    return lang.strip().lower().replace("_", "-").split("-")[0]


def rule_selected(
    entry: str, rule_id: str, *, category: str | None = None, pack: str | None = None
) -> bool:
    """Whether ``entry`` names the rule: its id, its category or its pack, or an id
    prefix ending in ``*`` (``zh.platform.*``). What ``--disable`` and the review
    queue's ``--rule`` filter match with."""
    if entry.endswith("*"):
        return rule_id.startswith(entry[:-1])
    return entry in (rule_id, category, pack)


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

# (id, category, severity, detector, law, (message zh, en), (suggestion zh, en))
_CodeRuleSpec = tuple[str, str, str, str, str, tuple[str, str], tuple[str, str]]

_CODE_RULES: tuple[_CodeRuleSpec, ...] = (
    (
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
    (
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
    (
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
    (
        "format.missing_field",
        "format",
        "block",
        "format_missing",
        "平台内容规范",
        ("缺少必填字段“{field}”", "required field '{field}' is missing or empty"),
        ("补全该字段", "fill in the field"),
    ),
    (
        "format.too_long",
        "format",
        "warn",
        "format_length",
        "平台内容规范",
        (
            "“{field}”长度 {length} 字，超过平台上限 {limit} 字",
            "'{field}' has {length} characters, over the platform limit of {limit}",
        ),
        (
            "删减到 {limit} 字以内（现为 {length} 字）",
            "cut it to at most {limit} characters (it has {length})",
        ),
    ),
    (
        "format.item_count",
        "format",
        "warn",
        "format_items",
        "平台内容规范",
        (
            "“{field}”有 {count} 项，平台要求 {min}–{max} 项",
            "'{field}' has {count} items; the platform expects {min}-{max}",
        ),
        (
            "保留 {min}–{max} 项（现为 {count} 项）",
            "give {min}-{max} items (there are {count})",
        ),
    ),
    (
        "format.template_echo",
        "format",
        "block",
        "template_echo",
        "平台内容规范",
        (
            "“{field}”中的「{text}」是提示词里的占位符、示例或说明文字，不是文案",
            "'{text}' in '{field}' is a placeholder, example or instruction from the prompt, "
            "not copy",
        ),
        (
            "删去占位符和说明文字，根据商品数据写出真正的内容",
            "remove the placeholder or instruction and write the real text from the product data",
        ),
    ),
)


def code_rules() -> tuple[Rule, ...]:
    """The rules implemented in code (facts, language, format): listed, explained and
    disabled like any other, but without YAML examples (unit tests cover them)."""
    return tuple(_code_rule(*spec) for spec in _CODE_RULES)


def _code_rule(
    rule_id: str,
    category: str,
    severity: str,
    detector: str,
    law: str,
    message: tuple[str, str],
    suggestion: tuple[str, str],
) -> Rule:
    # Built per call so that no two loaded rule sets share a message dict.
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
