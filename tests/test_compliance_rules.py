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


SPECIAL_USE_PACK = """\
pack: t.special
rules:
  - id: t.whitening
    category: cosmetics_claim
    severity: warn
    law: 《化妆品监督管理条例》第十六条
    message: {zh: 美白属特殊用途化妆品功效, en: whitening is a special-use claim}
    terms: [美白, 祛斑]
    unless_product: [国妆特字, 国妆特进字, 特证]
    examples:
      match:
        - 美白精华
        - {text: 美白精华, product: {attributes: "备案号:国妆网备字2021000"}}
      no_match:
        - 白色包装
        - {text: 美白精华, category: beauty, product: {attributes: "批准文号:国妆特字G20200001"}}
  - id: t.health
    category: medical_claim
    severity: warn
    law: 《广告法》第十八条
    message: {zh: 保健功能宣称, en: health-function claim}
    terms: [增强免疫力]
    unless_product: [国食健字, 国食健注, 蓝帽子]
    examples:
      match: [增强免疫力, 帮助增强免疫力]
      no_match:
        - 免疫
        - {text: 增强免疫力, product: {title: 蛋白粉, selling_points: "蓝帽子认证|国食健注G2019"}}
  - id: t.cure
    category: medical_claim
    severity: block
    law: 《广告法》第十七条
    message: {zh: 治疗宣称, en: cure claim}
    terms: [治愈]
    examples:
      match: [治愈湿疹, 彻底治愈]
      no_match: [治疗仪器, 愈合]
"""


def test_unless_product_clears_warns_when_the_product_states_it(tmp_path: Path) -> None:
    from copygen import Checker
    from copygen.compliance.selftest import run_examples
    from copygen.inputs.product import Product

    ruleset = load_rules(paths=[write(tmp_path, SPECIAL_USE_PACK)], builtin=False)
    rule = ruleset.get("t.whitening")
    assert rule is not None and rule.unless_product == ("国妆特字", "国妆特进字", "特证")
    assert rule.to_dict()["unless_product"] == ["国妆特字", "国妆特进字", "特证"]
    assert rule.to_dict()["examples"]["no_match"][1]["product"] == {
        "attributes": "批准文号:国妆特字G20200001"
    }
    assert run_examples(ruleset).ok
    checker = Checker(rules=ruleset)
    text = "美白祛斑，增强免疫力，治愈痘痘"

    def rules_of(product: object) -> list[str]:
        return [f.rule for f in checker.check(text, product=product).findings]

    assert rules_of(None) == ["t.whitening", "t.whitening", "t.health", "t.cure"]
    special = {"title": "焕白精华", "attributes": {"注册证号": "国妆特字 G2020 0001"}}
    assert rules_of(special) == ["t.health", "t.cure"]  # the block always stays
    assert rules_of({"title": "精华", "selling_points": "特证美白|温和"}) == ["t.health", "t.cure"]
    health = Product(
        sku="P1",
        title="维生素C片",
        attributes={"批准文号": "国食健注G20190001"},
        selling_points=("蓝帽子",),
    )
    assert rules_of(health) == ["t.whitening", "t.whitening", "t.cure"]
    # A registration mentioned only in the copy clears nothing.
    assert [f.rule for f in checker.check(text + "，国妆特字").findings] == rules_of(None)


def test_unless_product_is_only_for_warn_and_info(tmp_path: Path) -> None:
    body = pack(GOOD_RULE.replace("    terms:", "    unless_product: [国妆特字]\n    terms:"))
    err = error_of(tmp_path, body)
    assert "t.one" in str(err) and "unless_product" in str(err) and err.row == 8
    err = error_of(
        tmp_path, body.replace("severity: block", "severity: warn").replace("[国妆特字]", "['  ']")
    )
    assert "unless_product" in str(err)
    bad_example = SPECIAL_USE_PACK.replace("product: {title: 蛋白粉", "product: {colour: 蛋白粉")
    err = error_of(tmp_path, bad_example)
    assert "t.health" in str(err) and "colour" in str(err)


SETS_PACK = """\
pack: t.sets
sets:
  condition: [高血压, 血糖, 失眠, Blood Sugar]
  change: [稳稳的, 没了, 好了, back to normal]
rules:
  - id: t.implied
    category: medical_claim
    severity: block
    law: x
    message: {zh: x, en: x}
    patterns: ['{condition}[^，。！？]{0,8}{change}']
    unless_patterns: ['不是{condition}']
    examples:
      match: ["吃完这盒血糖稳稳的", "my blood sugar is back to normal"]
      no_match: ["血糖仪", "不是失眠好了"]
"""


def test_pack_sets_expand_into_patterns(tmp_path: Path) -> None:
    from copygen.compliance.engine import Checker

    path = tmp_path / "sets.yaml"
    path.write_text(SETS_PACK, encoding="utf-8")
    _, rules = load_pack(path)
    # entries are folded like the text (lower case) and the longest comes first
    assert rules[0].patterns[0].startswith("(?:blood\\ sugar|")
    assert (
        Checker(rules=[path], builtin=False, cache=False)
        .check("My Blood Sugar is back to normal")
        .findings
    )
    checker = Checker(rules=[path], builtin=False, cache=False)
    assert checker.check("坚持三个月，失眠终于好了").status == "blocked"
    assert checker.check("买了个血糖仪").status == "pass"


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ("{change}']", "{chnge}']", ":11: rule 't.implied': pattern"),
        ("condition: [", "Condition: [", "set name 'Condition' may hold only"),
        ("change: [稳稳的, 没了, 好了, back to normal]", "change: []", "set 'change' is empty"),
    ],
)
def test_bad_sets_name_the_line(tmp_path: Path, old: str, new: str, needle: str) -> None:
    path = tmp_path / "sets.yaml"
    path.write_text(SETS_PACK.replace(old, new), encoding="utf-8")
    with pytest.raises(RuleError) as info:
        load_pack(path)
    assert needle in str(info.value)
