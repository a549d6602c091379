"""The strict rule-pack loader: every error names file, line and rule id."""

from __future__ import annotations

from pathlib import Path

import pytest

from copygen.compliance.rules import load_pack, load_rules
from copygen.errors import RuleError

GOOD_RULE = """\
  - id: t.one
    category: absolute_term
    severity: block
    law: 《广告法》第九条第三项
    message: {zh: 绝对化用语, en: absolute term}
    terms: [最好]
    examples:
      match: [最好的面霜, 这是最好的]
      no_match: [很好的面霜, 不错]
"""


def write(tmp_path: Path, body: str, name: str = "pack.yaml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def pack(rules: str, header: str = "pack: t.pack\nrules:\n") -> str:
    return header + rules


def error_of(tmp_path: Path, body: str) -> RuleError:
    path = write(tmp_path, body)
    with pytest.raises(RuleError) as info:
        load_rules(paths=[path], builtin=False)
    return info.value


def test_good_pack_loads(tmp_path: Path) -> None:
    ruleset = load_rules(paths=[write(tmp_path, pack(GOOD_RULE))], builtin=False)
    rule = ruleset.get("t.one")
    assert rule is not None
    assert rule.terms == ("最好",)
    assert rule.line == 3
    assert len(rule.match_examples) == 2
    assert rule.match_examples[0].line == 10


def test_unknown_key_names_file_line_and_rule(tmp_path: Path) -> None:
    body = pack(GOOD_RULE.replace("    terms:", "    termz: [x]\n    terms:"))
    err = error_of(tmp_path, body)
    assert err.row == 8
    assert "t.one" in str(err) and "termz" in str(err)
    assert str(err).startswith(str(tmp_path / "pack.yaml") + ":8:")


def test_bad_regex(tmp_path: Path) -> None:
    body = pack(GOOD_RULE.replace("    terms: [最好]", "    patterns: ['最(好']"))
    err = error_of(tmp_path, body)
    assert err.row == 8 and "bad regex" in err.message and "t.one" in err.message


def test_regex_matching_empty_string_is_rejected(tmp_path: Path) -> None:
    body = pack(GOOD_RULE.replace("    terms: [最好]", "    patterns: ['a*']"))
    assert "empty string" in error_of(tmp_path, body).message


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ("category: absolute_term", "category: absolutes", "unknown category"),
        ("severity: block", "severity: high", "unknown severity"),
        ("{zh: 绝对化用语, en: absolute term}", "{zh: 绝对化用语}", "both zh and en"),
    ],
)
def test_bad_values(tmp_path: Path, old: str, new: str, needle: str) -> None:
    err = error_of(tmp_path, pack(GOOD_RULE.replace(old, new)))
    assert needle in err.message
    assert err.row is not None and "t.one" in err.message


def test_too_few_examples(tmp_path: Path) -> None:
    err = error_of(tmp_path, pack(GOOD_RULE.replace("[很好的面霜, 不错]", "[很好的面霜]")))
    assert "at least 2 examples.no_match" in err.message
    assert err.row == 11


def test_missing_examples(tmp_path: Path) -> None:
    body = pack("\n".join(GOOD_RULE.splitlines()[:6]) + "\n")
    err = error_of(tmp_path, body)
    assert "examples" in err.message and err.row == 3


def test_duplicate_rule_id_across_packs(tmp_path: Path) -> None:
    first = write(tmp_path, pack(GOOD_RULE), "a.yaml")
    second = write(tmp_path, pack(GOOD_RULE, "pack: t.other\nrules:\n"), "b.yaml")
    with pytest.raises(RuleError) as info:
        load_rules(paths=[first, second], builtin=False)
    assert "duplicate rule id" in info.value.message
    assert info.value.file == str(second) and info.value.row == 3


def test_rule_needs_something_to_match(tmp_path: Path) -> None:
    body = pack(GOOD_RULE.replace("    terms: [最好]\n", ""))
    assert "terms" in error_of(tmp_path, body).message


def test_invalid_yaml_names_line(tmp_path: Path) -> None:
    err = error_of(tmp_path, "pack: x\nrules:\n  - id: [unclosed\n")
    assert "invalid YAML" in err.message and err.row is not None


def test_scope_and_example_context_validated(tmp_path: Path) -> None:
    scoped = GOOD_RULE.replace("    terms:", "    scope: {categories: [cosmetics]}\n    terms:")
    assert "unknown scope category" in error_of(tmp_path, pack(scoped)).message
    ctx = GOOD_RULE.replace("[最好的面霜, 这是最好的]", "[最好的面霜, {text: 最好, platform: tv}]")
    assert "example platform" in error_of(tmp_path, pack(ctx)).message


def test_disable_and_only(tmp_path: Path) -> None:
    path = write(tmp_path, pack(GOOD_RULE))
    assert load_rules(paths=[path], builtin=False, disabled=["t.one"]).get("t.one") is None
    assert load_rules(paths=[path], builtin=False, disabled=["absolute_term"]).get("t.one") is None
    assert load_rules(paths=[path], builtin=False, disabled=["t.*"]).get("t.one") is None
    assert load_rules(paths=[path], builtin=False, disabled=["t.pack"]).get("t.one") is None
    only = load_rules(paths=[path], builtin=False, only_categories=["personal_data"])
    assert only.get("t.one") is None
    with pytest.raises(RuleError, match="matches no rule"):
        load_rules(paths=[path], builtin=False, disabled=["t.typo"])
    with pytest.raises(RuleError, match="unknown category"):
        load_rules(paths=[path], builtin=False, only_categories=["nope"])


def test_hash_is_stable_and_content_sensitive(tmp_path: Path) -> None:
    path = write(tmp_path, pack(GOOD_RULE))
    first = load_rules(paths=[path], builtin=False).hash
    assert first == load_rules(paths=[path], builtin=False).hash
    assert first != load_rules(paths=[path], builtin=False, disabled=["t.one"]).hash
    path.write_text(pack(GOOD_RULE.replace("[最好]", "[最好, 最佳]")), encoding="utf-8")
    assert first != load_rules(paths=[path], builtin=False).hash


def test_pack_default_scope_applies(tmp_path: Path) -> None:
    header = "pack: t.pack\nscope: {langs: [zh]}\nrules:\n"
    ruleset = load_rules(paths=[write(tmp_path, pack(GOOD_RULE, header))], builtin=False)
    assert ruleset.get("t.one").scope.langs == ("zh",)  # type: ignore[union-attr]
    assert ruleset.get("t.one") not in ruleset.applicable(lang="en")
    assert ruleset.get("t.one") in ruleset.applicable(lang="zh-CN")


def test_directory_of_packs(tmp_path: Path) -> None:
    write(tmp_path, pack(GOOD_RULE), "a.yaml")
    (tmp_path / "notes.txt").write_text("ignored", encoding="utf-8")
    assert load_rules(paths=[tmp_path], builtin=False).get("t.one") is not None


def test_load_pack_reports_info(tmp_path: Path) -> None:
    info, rules = load_pack(write(tmp_path, pack(GOOD_RULE)))
    assert info.id == "t.pack" and info.rules == 1 and rules[0].pack == "t.pack"


def test_missing_pack_file(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="not found"):
        load_rules(paths=[tmp_path / "nope.yaml"], builtin=False)


def test_personal_data_pack_and_code_rules_load() -> None:
    from copygen.resources import data_dir

    ruleset = load_rules(paths=[data_dir("rules") / "personal_data.yaml"], builtin=False)
    assert ruleset.get("pii.mobile_phone") is not None
    assert ruleset.get("facts.price_mismatch") is not None
