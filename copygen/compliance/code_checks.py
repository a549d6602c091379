"""Findings of the rules implemented in code: facts (figures and prices the product
data does not support), language, and platform format.

The checker decides which of these rules are loaded and in scope (``active``: detector
name -> rule); this module runs their detectors and words the findings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from copygen.compliance.findings import Finding
from copygen.compliance.rule_model import Rule, base_lang

Fields = Mapping[str, Any]


def code_findings(
    active: Mapping[str, Rule],
    text_or_fields: str | Fields,
    items: Sequence[tuple[str, str]],
    *,
    locale: str,
    lang: str | None,
    platform: str | None,
    product: Any,
) -> list[Finding]:
    """Findings of the ``active`` code-defined rules; fact checks need ``product``, the
    language check ``lang``, format checks ``platform`` and a mapping of fields."""
    out: list[Finding] = []
    if product is not None and ("unsupported_number" in active or "price_mismatch" in active):
        out.extend(_fact_findings(active, items, product, locale))
    if lang and "language" in active:
        out.extend(_language_findings(active["language"], items, lang, locale))
    if platform and isinstance(text_or_fields, Mapping):
        out.extend(_format_findings(active, text_or_fields, items, platform, locale))
    return out


def _fact_findings(
    active: Mapping[str, Rule], items: Sequence[tuple[str, str]], product: Any, locale: str
) -> list[Finding]:
    """Figures and prices the product data does not support."""
    from copygen.compliance.facts import check_facts

    texts = dict(items)
    out: list[Finding] = []
    for issue in check_facts(items, product):
        detector = "price_mismatch" if issue.kind == "price" else "unsupported_number"
        rule = active.get(detector)
        if rule is not None:
            params = {"claim": issue.text, "expected": issue.expected}
            out.append(
                _code_finding(
                    rule, issue.field, issue.start, issue.end, texts[issue.field], locale, params
                )
            )
    return out


def _language_findings(
    rule: Rule, items: Sequence[tuple[str, str]], lang: str, locale: str
) -> list[Finding]:
    """The copy is not in ``lang``: one finding over the longest field."""
    from copygen.compliance.language import mismatch

    whole = "\n".join(text for _, text in items)
    found = mismatch(whole, lang)
    if found is None:
        return []
    name, text = max(items, key=lambda item: len(item[1]))
    params = {"found": found, "expected": base_lang(lang) or lang}
    return [_code_finding(rule, name, 0, len(text), text, locale, params)]


def _format_findings(
    active: Mapping[str, Rule],
    fields: Fields,
    items: Sequence[tuple[str, str]],
    platform: str,
    locale: str,
) -> list[Finding]:
    """Missing, too long or miscounted fields, and prompt text echoed back, for ``platform``."""
    from copygen.compliance.format_checks import check_format, echo_issues

    texts = dict(items)
    detectors = {
        "missing": "format_missing",
        "length": "format_length",
        "items": "format_items",
        "echo": "template_echo",
    }
    issues = check_format(fields, platform, locale=locale)
    if "template_echo" in active:
        issues += echo_issues(fields, platform)
    out: list[Finding] = []
    for fmt in issues:
        rule = active.get(detectors[fmt.kind])
        if rule is not None:
            field_text = texts.get(fmt.field, "")
            out.append(
                _code_finding(
                    rule, fmt.field, fmt.start, fmt.end, field_text, locale, dict(fmt.params)
                )
            )
    return out


def _code_finding(
    rule: Rule,
    field_name: str,
    start: int,
    end: int,
    text: str,
    locale: str,
    params: Mapping[str, Any],
) -> Finding:
    message = _filled(rule.message_for(locale), params)
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
        suggestion=_filled(rule.suggestion_for(locale), params),
    )


def _filled(template: str, params: Mapping[str, Any]) -> str:
    """The message or suggestion with the finding's numbers in it (a repair prompt
    that says "20 字以内，现为 25 字" gets shorter titles back than "精简")."""
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template
