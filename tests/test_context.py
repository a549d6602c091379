"""Context that makes a listed term harmless (``compliance/context.py``), through the
public API and ``copygen check``: each context clears its hit, and the look-alike claims
(a negation that is itself a claim, a ranking without source, a real deadline) are
still caught.

Every harmless case names a control: the same term used as a claim, which must be
flagged, so that a case cannot pass only because no rule lists the term.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from copygen.cli.main import app
from copygen.compliance.engine import Checker
from copygen.compliance.findings import CheckResult, Finding

CHECKER = Checker()
EN_CHECKER = Checker(locale="en")


def _place(text: str, term: str) -> tuple[int, int]:
    start = text.index(term)
    return start, start + len(term)


def _on(result: CheckResult, text: str, term: str) -> list[Finding]:
    """The findings overlapping ``term`` (its first occurrence) in ``text``."""
    start, end = _place(text, term)
    return [f for f in result.findings if f.start < end and start < f.end]


def _serious(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity != "info"]


# (text, the listed term in it, a claim using that term: the control)
HARMLESS = [
    # 1. quoted, negated, warned against
    ("《广告法》规定不得使用“最佳”", "最佳", "这是最佳选择"),
    ("很多商家号称“全网最低价”，比价后发现并不是", "全网最低价", "全网最低价，速来"),
    ("所谓“根治”，都是骗人的", "根治", "一次根治脱发"),
    ("极限词如“第一”“最好”都不能用", "最好", "这是最好的面霜"),
    ("我们不做“保过”承诺，只讲真实通过率", "保过", "考试保过班"),
    ("别信“包治百病”的保健品", "包治百病", "这款茶包治百病"),
    ("客服不会要求您加微信", "加微信", "下单后加微信领红包"),
    ("请勿添加任何自称客服的人的微信", "微信", "有问题加微信"),
    ("谨防私下转账，所有交易请在平台内完成", "私下转账", "可以私下转账更便宜"),
    ("违禁词：最好、第一、国家级", "国家级", "国家级品质"),
    ("任何让你私下转账的都是骗子", "私下转账", "可以私下转账更便宜"),
    ("We never ask you to DM us on WhatsApp", "DM us on WhatsApp", "DM us on WhatsApp for a deal"),
    ("No one can guarantee results", "guarantee", "We guarantee results"),
    (
        "Beware of sellers claiming 'miracle cure' for acne",
        "miracle cure",
        "A miracle cure for acne",
    ),
    # Traditional characters: the cue is found all the same
    ("請勿添加任何人微信", "微信", "有问题加微信"),
    # 2. titles of works
    ("《最好的我们》同款卫衣", "最好", "这是最好的面霜"),
    ("张爱玲《第一炉香》同款旗袍", "第一", "我们家的面膜是第一"),
    # 4. a number in a series
    ("Print #1 of 3, signed by the artist", "#1", "The #1 cream for dry skin"),
    ("No. 1 of 12 colours in the set", "No. 1", "The No. 1 cream for dry skin"),
    # 5. disclaimers
    ("Past performance does not guarantee future results", "guarantee", "We guarantee results"),
    ("效果因人而异，不保证效果", "保证效果", "保证效果，无效退款"),
    ("本品不能代替药物治疗疾病", "治疗", "治疗失眠的好茶"),
    # 6. a truthful stock notice naming a size, colour or spec
    ("最后一件M码，喜欢的亲可以拍", "最后一件", "最后一件了，家人们"),
    ("仅剩2件XL，S码和M码还有货", "仅剩2件", "仅剩2件了"),
    ("黑色只剩最后3件，其他颜色库存充足", "只剩最后3件", "只剩最后3件"),
    ("Only 2 left in size 8", "Only 2 left", "Only 2 left in stock!"),
    ("38码库存只剩2双，其他码数充足", "库存只剩", "库存只剩2双，手慢无"),
    # 7. refusals and warnings written the way shops write them
    ("官方客服不会让你加微信，售后请在订单页联系", "加微信", "有问题加微信"),
    ("警惕！近期有人冒充本店客服让你加微信办理退款", "加微信", "退款请加微信"),
    ("本店不参与“好评返现”，真实评价更有帮助", "好评返现", "五星好评返现5元"),
    ("主播不喊“全网最低价”，只说比日常价便宜20元", "全网最低价", "今天全网最低价"),
    ("我们不会说这款茶能降血压，它就是一款大麦茶", "降血压", "这款茶能降血压"),
    ("有粉丝问这串能不能招财——说实话不能，它就是一串饰品", "招财", "戴上这串能招财"),
    ("网上说这个茶能“降三高”，我查了一圈也没找到靠谱研究，别信那套", "降三高", "这个茶能降三高"),
    (
        "看到“零风险、稳赚不赔”的副业课，先冷静一下，这种承诺本身就不合规",
        "稳赚不赔",
        "副业课稳赚不赔",
    ),
    ("本产品为普通化妆品，不具备美白、祛斑功效", "美白", "美白精华，一周见效"),
    ("We don't claim this chai cures anything.", "cures", "This chai cures colds."),
    (
        "You won't see 'clinically proven' on our label.",
        "clinically proven",
        "A clinically proven formula.",
    ),
    (
        "This cream is a moisturizer only and does not lighten skin",
        "lighten skin",
        "Helps lighten skin in a week",
    ),
    # English titles of works
    (
        "Movie night pick: 'The Best Years of Our Lives' on Blu-ray",
        "Best",
        "The Best popcorn in the world",
    ),
    (
        "Book: The Best American Short Stories 2023, paperback",
        "Best",
        "The Best cream in the world",
    ),
]


@pytest.mark.parametrize(("text", "term", "control"), HARMLESS, ids=[c[0] for c in HARMLESS])
def test_a_term_in_a_harmless_context_is_not_reported(text: str, term: str, control: str) -> None:
    claimed = CHECKER.check(control)
    assert _serious(_on(claimed, control, term)), f"control not flagged: {control!r}"
    result = CHECKER.check(text)
    assert _on(result, text, term) == [], [(f.rule, f.text) for f in result.findings]


STILL_CAUGHT = [
    # negations that are themselves claims: no refusal or warning cue
    ("无副作用，孕妇也能用", "无副作用"),
    ("永不反弹，瘦了就不会胖回来", "永不反弹"),
    ("永不褪色的纯棉T恤", "永不褪色"),
    ("It never fails, guaranteed results", "never fails"),
    # a ranking without source or date
    ("销量第一的面霜", "销量第一"),
    ("全网销量第一，2023年爆款", "销量第一"),
    ("据说是全网销量第一", "销量第一"),
    ("天猫销量第一，数据来源：店铺后台", "销量第一"),
    ("The #1 cream of 2024", "#1"),
    # deadlines and stock pressure without a spec
    ("最后一天，全场五折", "最后一天"),
    ("最后机会，错过再等一年", "最后机会"),
    ("仅剩最后几件了快抢", "仅剩最后几件"),
    ("M码仅剩2件快抢", "仅剩2件"),
    # a cue in another clause, a playful or urging "cue", a cue that is part of a claim
    ("我们不承诺虚假效果，但这款真的是最好的面霜", "最好"),
    ("请勿错过全网最低价", "全网最低价"),
    ("不得不说，这是最好的面霜", "最好"),
    ("当心爱上全网最好吃的辣条", "最好"),
    ("拒绝虚假宣传的第一品牌", "第一品牌"),
    ("不会让你失望的全网最低价", "全网最低价"),
    ("根治脱发不是骗局，是真的", "根治"),
    ("全网最低价是骗局吗？当然不是", "全网最低价"),
    ("本品非药品但能治疗失眠", "治疗"),
    ("号称“面膜之王”，名不虚传", "面膜之王"),
    ("所谓“根治”，就是彻底治好不复发", "根治"),
    ("We never compromise: the best cream in the world", "best cream in the world"),
    # emphasis quotes are not a cue
    ("本店“销量第一”的爆款", "销量第一"),
    # diversion with an account next to the cue
    ("请勿在平台留言加微信abc_12345", "加微信"),
    # the whole copy dressed as a title
    ("《全网最好用的面霜》", "最好用"),
]


@pytest.mark.parametrize(("text", "term"), STILL_CAUGHT, ids=[c[0] for c in STILL_CAUGHT])
def test_look_alike_claims_are_still_caught(text: str, term: str) -> None:
    result = CHECKER.check(text)
    assert result.status != "pass"
    assert _serious(_on(result, text, term)), [
        (f.rule, f.severity, f.text) for f in result.findings
    ]


# (text, the claim in it, a control without the context, a piece of the reason)
DOWNGRADED = [
    ("据欧睿国际2023年数据，国内销量第一", "国内销量第一", "国内销量第一", "来源和时间"),
    (
        "2023年天猫面霜类目销量第一（数据来源：天猫后台）",
        "类目销量第一",
        "天猫面霜类目销量第一",
        "来源和时间",
    ),
    (
        "#1 in Coffee Makers on Amazon Best Sellers, as of March 2024",
        "#1",
        "#1 in Coffee Makers",
        "source and date",  # English copy: English messages
    ),
    (
        "国食健注G20150123，保健功能：辅助降血脂。每日2粒，辅助降血脂",
        "降血脂",
        "每日2粒，辅助降血脂",
        "国食健注G20150123",
    ),
    (
        "国妆特字G20190123 功效：美白、防晒。美白防晒一步到位",
        "美白",
        "美白防晒一步到位",
        "国妆特字G20190123",
    ),
]


@pytest.mark.parametrize(
    ("text", "claim", "control", "reason"), DOWNGRADED, ids=[c[0] for c in DOWNGRADED]
)
def test_a_sourced_ranking_or_a_registered_function_is_shown_as_info(
    text: str, claim: str, control: str, reason: str
) -> None:
    before = _serious(_on(CHECKER.check(control), control, claim))
    assert before, f"control not flagged: {control!r}"
    result = CHECKER.check(text)
    assert result.status == "pass"
    found = _on(result, text, claim)
    assert found and all(f.severity == "info" for f in found)
    for finding in found:
        assert finding.text == text[finding.start : finding.end]
        assert reason in finding.message
    assert {f.category for f in before} <= {f.category for f in found}


def test_a_downgraded_finding_keeps_its_rule_offsets_and_law() -> None:
    claim = "国内销量第一"
    (before,) = _on(CHECKER.check(claim), claim, claim)
    text = "据欧睿国际2023年数据，国内销量第一"
    (after,) = _on(CHECKER.check(text), text, claim)
    assert (after.rule, after.category, after.law, after.suggestion, after.text) == (
        before.rule,
        before.category,
        before.law,
        before.suggestion,
        before.text,
    )
    assert (after.start, after.end) == _place(text, claim)
    assert before.severity == "block" and after.severity == "info"
    assert after.message.startswith(before.message) and "来源和时间" in after.message


def test_a_registration_downgrades_only_the_functions_it_lists() -> None:
    text = "国食健注G20150123，保健功能：辅助降血脂。还能治疗糖尿病"
    result = CHECKER.check(text)
    assert result.status == "blocked"
    assert all(f.severity == "info" for f in _on(result, text, "降血脂"))
    assert _serious(_on(result, text, "治疗糖尿病"))
    cosmetics = "国妆特字G20190123 功效：美白。还能生发"
    result = CHECKER.check(cosmetics)
    assert all(f.severity == "info" for f in _on(result, cosmetics, "美白"))
    assert _serious(_on(result, cosmetics, "生发"))
    # without the registration number the function list proves nothing
    plain = "保健功能：辅助降血脂。每日2粒，辅助降血脂"
    assert _serious(CHECKER.check(plain).findings)


def test_a_registration_in_one_field_covers_the_function_named_in_another() -> None:
    copy = {"title": "深海鱼油 辅助降血脂", "body": "国食健注G20150123，保健功能：辅助降血脂。"}
    result = CHECKER.check(copy)
    title = [f for f in result.findings if f.field == "title"]
    assert title and all(f.severity == "info" for f in title)


def test_a_context_reaches_only_its_own_field() -> None:
    copy = {"title": "全网最低价", "body": "别信“全网最低价”"}
    result = CHECKER.check(copy)
    assert {f.field for f in _serious(result.findings)} == {"title"}
    assert not [f for f in result.findings if f.field == "body"]


def test_a_context_reaches_only_its_own_clause() -> None:
    text = "《广告法》规定不得使用“最佳”。这款面霜是最佳选择"
    result = CHECKER.check(text)
    spans = [(f.start, f.end) for f in _serious(result.findings)]
    assert spans and all(start > text.index("。") for start, _ in spans)


def test_personal_data_is_never_cleared() -> None:
    text = "请勿拨打13812345678以外的号码"
    assert any(f.category == "personal_data" for f in CHECKER.check(text).findings)


def test_the_downgrade_reason_follows_the_locale() -> None:
    text = "据欧睿国际2023年数据，国内销量第一"
    (finding,) = _on(EN_CHECKER.check(text), text, "国内销量第一")
    assert finding.severity == "info"
    assert "source and date" in finding.message


def test_context_keeps_checking_linear_and_consistent() -> None:
    """A copy dense with contexts and hits: each repetition finds what one unit finds,
    and 10x the text takes about 10x the time (no scan per hit)."""
    unit = (
        "《广告法》规定不得使用“最佳”。全网最好的面霜，加微信领取。客服不会要求您加微信。"
        "据欧睿国际2023年数据，国内销量第一。黑色只剩最后3件。最后一天！"
        "国食健注G20150123，保健功能：辅助降血脂。治疗糖尿病。"
    )
    one = CHECKER.check(unit).findings
    assert {f.severity for f in one} == {"block", "warn", "info"}
    repeats = 200
    many = CHECKER.check(unit * repeats).findings
    assert len(many) == repeats * len(one)
    assert [(f.rule, f.severity, f.start % len(unit)) for f in many[: len(one)]] == [
        (f.rule, f.severity, f.start) for f in one
    ]
    short = (unit * (10_000 // len(unit) + 1))[:10_000]
    long = (unit * (100_000 // len(unit) + 1))[:100_000]

    def best(text: str, rounds: int) -> float:
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            CHECKER.check(text)
            times.append(time.perf_counter() - start)
        return min(times)

    short_s, long_s = best(short, 3), best(long, 2)
    assert long_s < 10.0
    assert long_s / short_s <= 20, f"10x text took {long_s / short_s:.1f}x time"


# -- copygen check ------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def isolated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No config file of the machine's: the built-in packs, the default fail-on."""
    home: Path = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(home)
        patch.setenv("HOME", str(home))
        patch.delenv("COPYGEN_CONFIG", raising=False)
        patch.setenv("LANG", "C.UTF-8")
        yield


def _cli(*args: str) -> tuple[int, list[dict[str, object]]]:
    result = runner.invoke(app, ["check", "-f", "jsonl", *args])
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines()]


def test_cli_harmless_contexts_pass() -> None:
    code, records = _cli("客服不会要求您加微信", "《最好的我们》同款卫衣", "Print #1 of 3")
    assert code == 0
    assert [r["status"] for r in records] == ["pass", "pass", "pass"]
    assert all(r["findings"] == [] for r in records)


def test_cli_look_alike_claims_fail() -> None:
    code, records = _cli("无副作用", "销量第一", "最后一天")
    assert code == 1
    assert [r["status"] for r in records] == ["blocked", "blocked", "review"]


def test_cli_downgraded_finding_is_info_and_does_not_fail() -> None:
    text = "据欧睿国际2023年数据，国内销量第一"
    code, (record,) = _cli(text)
    assert code == 0 and record["status"] == "pass"
    findings = record["findings"]
    assert isinstance(findings, list) and findings
    for finding in findings:
        assert finding["severity"] == "info"
        assert finding["category"] == "absolute_term"
        assert text[finding["start"] : finding["end"]] == finding["text"]
    assert runner.invoke(app, ["check", text, "--fail-on", "info"]).exit_code == 1
    code, (record,) = _cli(text, "--locale", "en")
    assert "source and date" in record["findings"][0]["message"]  # type: ignore[index]
