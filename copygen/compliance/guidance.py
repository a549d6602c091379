"""Rule guidance for prompts: the banned wordings most relevant to a product.

The prompt builder tells the model up front what not to write (and what to write
instead), which saves repair round-trips. Rules scoped to the product's category
or platform rank first, then by severity; categories are interleaved so that a
short list still covers many kinds of risk.
"""

from __future__ import annotations

from dataclasses import dataclass

from copygen.compliance.findings import CATEGORIES, SEVERITY_RANK
from copygen.compliance.normalize import has_cjk
from copygen.compliance.rule_model import Rule, RuleSet

MAX_TERMS = 4


@dataclass(frozen=True)
class GuidanceItem:
    term: str  # a few of the rule's terms, joined with "/"
    category: str
    law: str
    reason: str
    suggestion: str
    rule: str = ""


def _fits_language(rule: Rule, lang: str) -> bool:
    if not rule.terms:
        return True
    cjk = [has_cjk(t) for t in rule.terms]
    return any(cjk) if lang == "zh" else not all(cjk)


def guidance_for(
    ruleset: RuleSet,
    *,
    category: str | None,
    platform: str | None,
    lang: str | None,
    limit: int = 12,
) -> list[GuidanceItem]:
    base = (lang or "zh").lower().replace("_", "-").split("-")[0]
    locale = "zh" if base == "zh" else "en"
    candidates = [
        r
        for r in ruleset.applicable(category=category, platform=platform, lang=base)
        if r.terms and _fits_language(r, base)
    ]

    def rank(item: tuple[int, Rule]) -> tuple[int, int, int, int]:
        order, rule = item
        specific = int(bool(category) and category in rule.scope.categories) + int(
            bool(platform) and platform in rule.scope.platforms
        )
        return (-specific, -SEVERITY_RANK[rule.severity], CATEGORIES.index(rule.category), order)

    ordered = [rule for _, rule in sorted(enumerate(candidates), key=rank)]
    # Interleave categories: best rule of each category first, then second best, ...
    by_category: dict[str, list[Rule]] = {}
    for rule in ordered:
        by_category.setdefault(rule.category, []).append(rule)
    picked: list[Rule] = []
    depth = 0
    while len(picked) < limit and any(len(v) > depth for v in by_category.values()):
        for rules in by_category.values():
            if depth < len(rules) and len(picked) < limit:
                picked.append(rules[depth])
        depth += 1
    out: list[GuidanceItem] = []
    for rule in picked:
        terms = [t for t in rule.terms if has_cjk(t) == (base == "zh")] or list(rule.terms)
        out.append(
            GuidanceItem(
                term="/".join(terms[:MAX_TERMS]),
                category=rule.category,
                law=rule.law,
                reason=rule.message_for(locale),
                suggestion=rule.suggestion_for(locale),
                rule=rule.id,
            )
        )
    return out
