"""Run every example of every rule: ``copygen rules test`` and the test suite use this.

A ``match`` example passes when the checker reports at least one finding of that
rule for it (before warns that a block of the same category overlaps are dropped);
a ``no_match`` example passes when it reports none. Examples run with the context
they declare (category, platform, lang) and without any allowlist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from copygen.compliance.rule_model import Example, Rule, RuleSet


@dataclass(frozen=True)
class ExampleFailure:
    rule: str
    source: str
    line: int | None  # the example's line in its pack
    kind: str  # "match" or "no_match"
    text: str
    flagged: tuple[str, ...]  # what the rule flagged (empty for a missed match)

    def describe(self) -> str:
        if self.kind == "match":
            return f"match example not flagged: {self.text!r}"
        shown = ", ".join(repr(t) for t in self.flagged)
        return f"no_match example flagged ({shown}): {self.text!r}"


@dataclass
class ExampleReport:
    rules: int = 0
    examples: int = 0
    failures: list[ExampleFailure] = field(default_factory=list)
    per_source: dict[str, tuple[int, int]] = field(default_factory=dict)  # rules, examples

    @property
    def ok(self) -> bool:
        return not self.failures


def run_examples(
    ruleset: RuleSet, *, rule_ids: Iterable[str] | None = None, checker: Any = None
) -> ExampleReport:
    """``checker`` (built from ``ruleset`` without an allowlist) may be passed to reuse it."""
    from copygen.compliance.engine import Checker

    wanted = set(rule_ids) if rule_ids is not None else None
    if checker is None:
        checker = Checker(rules=ruleset)
    report = ExampleReport()
    for rule in ruleset.rules:
        if wanted is not None and rule.id not in wanted:
            continue
        examples = [("match", e) for e in rule.match_examples]
        examples += [("no_match", e) for e in rule.no_match_examples]
        if not examples:
            continue  # code-defined rules: covered by unit tests
        report.rules += 1
        rules_count, examples_count = report.per_source.get(rule.source, (0, 0))
        report.per_source[rule.source] = (rules_count + 1, examples_count + len(examples))
        for kind, example in examples:
            report.examples += 1
            failure = _run_one(checker, rule, kind, example)
            if failure is not None:
                report.failures.append(failure)
    return report


def _run_one(checker: object, rule: Rule, kind: str, example: Example) -> ExampleFailure | None:
    from copygen.compliance.engine import Checker

    assert isinstance(checker, Checker)
    # Each rule is tested on its own: a warn that a block of the same category overlaps
    # is dropped from real results, but the example still shows the warn matches.
    result = checker._check(
        example.text,
        lang=example.lang,
        category=example.category,
        platform=example.platform,
        product=dict(example.product) if example.product else None,
        keep_outranked=True,
    )
    flagged = tuple(f.text for f in result.findings if f.rule == rule.id)
    if (kind == "match") == bool(flagged):
        return None
    return ExampleFailure(rule.id, rule.source, example.line, kind, example.text, flagged)
