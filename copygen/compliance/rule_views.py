"""What ``copygen rules list | explain | test`` show: the lines to print, built from the
loaded rules, so that the command line only declares options and prints."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from copygen.compliance.findings import CATEGORIES
from copygen.compliance.rule_model import Rule
from copygen.compliance.rules import load_rules
from copygen.compliance.selftest import ExampleReport, run_examples
from copygen.errors import RuleError


def list_rules(
    paths: Sequence[str | Path], *, categories: Sequence[str], lang: str | None, as_json: bool
) -> tuple[list[str], str | None]:
    """The built-in rules and those of ``paths``, optionally only of ``categories`` and
    those applying to ``lang``: (one line or JSON object per rule, the count line for
    stderr, or None with ``as_json``)."""
    for name in categories:
        if name not in CATEGORIES:
            raise RuleError(f"unknown category {name!r}; expected one of {', '.join(CATEGORIES)}")
    ruleset = load_rules(paths=paths)
    selected = ruleset.applicable(lang=lang) if lang else list(ruleset.rules)
    if categories:
        selected = [r for r in selected if r.category in categories]
    lines = [_json_row(rule) if as_json else _text_row(rule) for rule in selected]
    if as_json:
        return lines, None
    return lines, f"{len(selected)} rules (rule-pack hash {ruleset.hash[:12]})"


def _json_row(rule: Rule) -> str:
    data = rule.to_dict()
    data.pop("examples")
    return json.dumps(data, ensure_ascii=False)


def _text_row(rule: Rule) -> str:
    scope = ",".join(f"{k}={'/'.join(v)}" for k, v in rule.scope.to_dict().items())
    size = len(rule.terms) + len(rule.patterns)
    what = f"{size} terms/patterns" if size else f"detector {rule.detector}"
    return (
        f"{rule.id:<40} {rule.category:<26} {rule.severity:<6} {what:<22} "
        f"{scope or '-':<24} {rule.law}"
    )


def explain_rule(
    paths: Sequence[str | Path], rule_id: str, *, as_json: bool, text: str | None = None
) -> str:
    """One rule in full: law, messages, suggestion, terms, exceptions, scope, examples.
    With ``text``, also where the rule hits that text: each original span, the
    normalised form the matcher saw and what it matched (a term, an evasive spelling
    of one, or a pattern). An unknown id is a ``RuleError`` suggesting ids that
    contain it."""
    ruleset = load_rules(paths=paths)
    rule = ruleset.get(rule_id)
    if rule is None:
        close = [r.id for r in ruleset.rules if rule_id in r.id][:5]
        hint = f"did you mean {', '.join(close)}?" if close else "see `copygen rules list`"
        raise RuleError(f"no rule {rule_id!r}", hint=hint)
    matches = None if text is None else rule_matches(paths, rule, text)
    if as_json:
        data = rule.to_dict()
        if matches is not None:
            data["matches"] = matches
        return json.dumps(data, ensure_ascii=False, indent=2)
    lines = _explain_lines(rule)
    if matches is not None:
        lines.append(f"  hits in the text: {len(matches)}")
        for hit in matches:
            lines.append(
                f"    {hit['start']}-{hit['end']}  {hit['text']!r} -> normalised "
                f"{hit['normalised']!r}: {hit['how']}"
            )
    return "\n".join(lines)


def rule_matches(paths: Sequence[str | Path], rule: Rule, text: str) -> list[dict[str, object]]:
    """Where ``rule`` hits ``text`` (its exceptions applied, other rules ignored): for
    each hit the original span and text, the normalised form and how it matched."""
    from copygen.compliance.engine import Checker
    from copygen.compliance.evasions import term_variants
    from copygen.compliance.normalize import fold, normalize

    checker = Checker(rules=list(paths))
    result = checker._check(text, keep_outranked=True)
    norm = normalize(text)
    positions = norm.offsets if norm.offsets is not None else range(len(norm.text))
    terms = {fold(term): term for term in rule.terms}
    variants: dict[str, str] = {}
    for folded, term in terms.items():
        for variant, how in term_variants(folded):
            variants.setdefault(fold(variant), f"{how} spelling of term {term}")
    hits: list[dict[str, object]] = []
    for finding in result.findings:
        if finding.rule != rule.id:
            continue
        seen = "".join(
            ch
            for ch, at in zip(norm.text, positions, strict=True)
            if finding.start <= at < finding.end
        )
        if seen in terms:
            how = f"term {terms[seen]}"
        elif seen in variants:
            how = variants[seen]
        else:
            found = [terms[t] for t in terms if t and t in seen]
            how = f"term {found[0]}" if found else "pattern"
        hits.append(
            {
                "start": finding.start,
                "end": finding.end,
                "text": finding.text,
                "normalised": seen,
                "how": how,
            }
        )
    return hits


def _explain_lines(rule: Rule) -> list[str]:
    data = rule.to_dict()
    lines = [
        f"{rule.id}  [{rule.category}, {rule.severity}]  pack {rule.pack}",
        f"  source:     {rule.source}" + (f":{rule.line}" if rule.line else ""),
        f"  law:        {rule.law}",
        f"  message:    {rule.message.get('zh', '')} / {rule.message.get('en', '')}",
    ]
    if rule.suggestion:
        lines.append(
            f"  suggestion: {rule.suggestion.get('zh', '')} / {rule.suggestion.get('en', '')}"
        )
    if rule.terms:
        lines.append(f"  terms:      {', '.join(rule.terms)}")
    if rule.patterns:
        lines.append(f"  patterns:   {'  '.join(rule.patterns)}")
    if rule.detector:
        lines.append(f"  detector:   {rule.detector}")
    if rule.boundary != "auto":
        lines.append(f"  boundary:   {rule.boundary}")
    if rule.unless or rule.unless_patterns:
        lines.append(f"  unless:     {', '.join([*rule.unless, *rule.unless_patterns])}")
    if rule.unless_product:
        lines.append(f"  unless the product data states: {', '.join(rule.unless_product)}")
    if data["scope"]:
        lines.append(f"  scope:      {json.dumps(data['scope'], ensure_ascii=False)}")
    for kind in ("match", "no_match"):
        for example in data["examples"][kind]:
            text = example if isinstance(example, str) else json.dumps(example, ensure_ascii=False)
            lines.append(f"  {kind + ':':<11} {text}")
    return lines


def run_rule_examples(
    paths: Sequence[str | Path], *, builtin: bool, rule_ids: Iterable[str] | None, verbose: bool
) -> tuple[list[str], bool]:
    """Run the examples of the rules (of ``rule_ids`` if given): (report lines, whether
    any example failed)."""
    ruleset = load_rules(paths=paths, builtin=builtin)
    report = run_examples(ruleset, rule_ids=rule_ids)
    return _report_lines(report, verbose=verbose), bool(report.failures)


def _report_lines(report: ExampleReport, *, verbose: bool) -> list[str]:
    """A line per pack with failures (per pack with ``verbose``), one per failure, and
    the totals."""
    lines: list[str] = []
    failed_sources: dict[str, int] = {}
    for failure in report.failures:
        failed_sources[failure.source] = failed_sources.get(failure.source, 0) + 1
    for source, (rules_count, examples_count) in sorted(report.per_source.items()):
        bad = failed_sources.get(source, 0)
        if verbose or bad:
            state = "FAILED" if bad else "ok"
            lines.append(f"{source}: {rules_count} rules, {examples_count} examples ... {state}")
    for failure in report.failures:
        where = f"{failure.source}:{failure.line}" if failure.line else failure.source
        lines.append(f"FAIL {where}: {failure.rule}: {failure.describe()}")
    lines.append(
        f"{report.rules} rules, {report.examples} examples: "
        f"{report.examples - len(report.failures)} passed, {len(report.failures)} failed"
    )
    return lines
