"""Every example of every built-in rule pack, one test per rule (``copygen rules test``)."""

from __future__ import annotations

import pytest

from copygen.compliance.engine import Checker
from copygen.compliance.rules import Rule, builtin_pack_files, load_rules
from copygen.compliance.selftest import run_examples

RULESET = load_rules()
CHECKER = Checker(rules=RULESET)
RULES_WITH_EXAMPLES = [r for r in RULESET.rules if r.match_examples]


def test_builtin_packs_exist_and_load() -> None:
    assert builtin_pack_files(), "no built-in rule packs found"
    assert RULES_WITH_EXAMPLES


@pytest.mark.parametrize("rule", RULES_WITH_EXAMPLES, ids=lambda r: r.id)
def test_rule_examples(rule: Rule) -> None:
    failures = run_examples(RULESET, rule_ids=[rule.id], checker=CHECKER).failures
    assert not failures, "\n".join(f"{f.source}:{f.line}: {f.describe()}" for f in failures)
