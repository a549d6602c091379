"""The checker is linear in the length of the text, and its fast paths give the findings
the plain definitions give.

A long model reply with thousands of hits used to take minutes: every hit re-ran its
rule's ``unless`` regexes over the whole text, overlaps were resolved pair by pair, and
some number patterns tried every start in a run of digits. The timing tests are guards
with generous bounds (``bench/check_throughput.py`` is the measurement); the others
compare the fast paths with the definitions they replace.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable
from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copygen import Checker, check
from copygen.compliance import facts
from copygen.compliance.findings import SEVERITY_RANK, Finding
from copygen.compliance.matcher import SpanIndex
from copygen.compliance.pii import find_pii

# Real copy with a hit every few characters: 极限词, 导流, 权威, 医疗 / the English ones.
ZH_UNIT = "全网最好的面霜，加微信领取，国家级专家推荐，药到病除，"
EN_UNIT = (
    "Best seller #1! The best cream ever, 100% guaranteed, cures acne overnight. "
    "Call +1 415-555-0100. "
)
PRODUCT = {"title": "保湿面霜 50ml", "price": "99", "promo_price": "79", "attributes": "容量:50ml"}


def _line(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def _best_time(run: Callable[[], object], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("unit", [ZH_UNIT, EN_UNIT], ids=["zh", "en"])
def test_a_long_line_with_many_hits_is_checked_in_linear_time(unit: str) -> None:
    checker = Checker()
    short, long = _line(unit, 10_000), _line(unit, 100_000)
    assert len(checker.check(short).findings) > 500  # loads jieba, warms the caches
    short_s = _best_time(lambda: checker.check(short), 3)
    long_s = _best_time(lambda: checker.check(long), 2)
    assert long_s < 10.0, f"100k characters took {long_s:.1f} s"
    # Linear is ~10x; quadratic was ~100x. Generous, so that a loaded machine passes.
    assert long_s / short_s <= 20, f"10x text took {long_s / short_s:.1f}x time"


@pytest.mark.parametrize("unit", [ZH_UNIT, EN_UNIT], ids=["zh", "en"])
def test_a_long_line_finds_what_its_repeated_part_finds(unit: str) -> None:
    one = check(unit).findings
    repeats = 400
    many = check(unit * repeats).findings
    shifted = [
        dataclasses.replace(f, start=f.start + i * len(unit), end=f.end + i * len(unit))
        for i in range(repeats)
        for f in one
    ]
    assert one and many == shifted


@pytest.mark.parametrize(
    "text",
    [
        "1" * 200_000 + " 5% off",  # every start in the run was tried (percent off)
        "1" + ",234" * 50_000 + " 5% off",  # a comma number: every group a start
        "1" + ",234" * 50_000 + "ml",
        "5" + " " * 200_000 + "万 x",  # two blank runs around 万: every split tried
        "5小时" + " " * 200_000 + "x",
        "13812345678 " * 16_000,  # personal data: each match tested against every other
        "加微信 abc_12345，" * 15_000,
    ],
    ids=["digits", "commas-off", "commas-ml", "blanks", "hour-blanks", "phones", "handles"],
)
def test_hostile_text_with_product_facts_is_checked_quickly(text: str) -> None:
    fields = {"title": "面霜", "body": text, "hashtags": ["护肤", "面霜", "好物"]}
    start = time.perf_counter()
    check(fields, lang="zh", platform="social", product=PRODUCT)
    elapsed = time.perf_counter() - start
    assert elapsed < 8.0, f"{len(text)} characters took {elapsed:.1f} s"


def _outranked_by_all_pairs(findings: list[Finding]) -> list[Finding]:
    """The definition: a finding is dropped when a more severe finding of its field and
    category overlaps it."""
    return [
        f
        for f in findings
        if not any(
            SEVERITY_RANK[o.severity] > SEVERITY_RANK[f.severity]
            and o.field == f.field
            and o.category == f.category
            and o.start < f.end
            and f.start < o.end
            for o in findings
        )
    ]


@pytest.mark.parametrize(
    ("copy", "lang", "platform"),
    [
        (ZH_UNIT * 5, "zh", None),
        (EN_UNIT * 3 + "Clinically proven to cure acne. The #1 best selling cream.", "en", None),
        (
            {
                "title": "<b>全网最低价的面霜，一定要买</b>",
                "body": "加微信领取，微信联系我，" + ZH_UNIT * 40,
                "hashtags": ["微信", "全网最低", "<i>最好</i>", "x" * 30],
            },
            "zh",
            "social",
        ),
    ],
    ids=["zh", "en", "fields"],
)
def test_outranked_findings_are_those_of_the_all_pairs_rule(
    copy: str | dict[str, object], lang: str, platform: str | None
) -> None:
    checker = Checker()
    # ``_check(keep_outranked=True)`` is what the rule examples run: every finding.
    everything = checker._check(copy, lang=lang, platform=platform, keep_outranked=True)
    kept = checker.check(copy, lang=lang, platform=platform).findings
    expected = _outranked_by_all_pairs(everything.findings)
    assert len(expected) < len(everything.findings)  # the rule has something to drop
    assert kept == expected


_SPANS = st.lists(
    st.tuples(st.integers(0, 40), st.integers(0, 12)).map(lambda p: (p[0], p[0] + p[1])),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(_SPANS, st.integers(0, 45), st.integers(0, 12))
def test_span_index_answers_like_a_scan_of_every_span(
    spans: list[tuple[int, int]], start: int, width: int
) -> None:
    end = start + width
    index = SpanIndex(spans)
    assert index.covers(start, end) == any(s <= start and end <= e for s, e in spans)
    assert index.overlaps(start, end) == any(s < end and start < e for s, e in spans)


def _pii_by_all_pairs(text: str) -> list[tuple[int, int, str]]:
    """find_pii's definition of the overlap rule, on its own candidates."""
    from copygen.compliance.pii import _PRIORITY, _candidates

    ranked = sorted(
        _candidates(text), key=lambda m: (_PRIORITY[m.kind], -(m.end - m.start), m.start)
    )
    kept: list[tuple[int, int, str]] = []
    for m in ranked:
        if all(m.end <= s or m.start >= e for s, e, _ in kept):
            kept.append((m.start, m.end, m.kind))
    return sorted(kept)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "13812345678",
                "110105199003078618",
                "6222021234567890128",
                " ",
                "-",
                "微信：",
                "abc_12345",
                "QQ 12345678",
                "a@b.cn",
                "+86 ",
                "010-12345678",
                "，",
                "x",
            ]
        ),
        max_size=14,
    ).map("".join)
)
def test_personal_data_overlaps_resolve_as_the_pairwise_rule(text: str) -> None:
    assert [(m.start, m.end, m.kind) for m in find_pii(text)] == _pii_by_all_pairs(text)


def _spans(matches: object) -> list[tuple[tuple[int, int], dict[str, str | None]]]:
    return [(m.span(), m.groupdict()) for m in matches]  # type: ignore[attr-defined]


def test_number_claims_match_the_plain_regexes_on_every_short_number() -> None:
    """The run-aware scans give exactly ``finditer``'s matches: every string of up to five
    of ``1,. $`` (the characters a number is made of), with each ending."""
    endings = ["% off", "ml", "元", " - 2ml", "万元", "$5%", "", "a"]
    for size in range(6):
        for chars in product("1,. $", repeat=size):
            for ending in endings:
                text = "".join(chars) + ending
                assert _spans(facts._percent_offs(text)) == _spans(
                    facts._PERCENT_OFF.finditer(text)
                ), text
                spec = facts._led_by_number(facts._SPEC, facts._NUM_EDGE, text)
                assert _spans(spec) == _spans(facts._SPEC.finditer(text)), text
                price = facts._led_by_number(
                    facts._PRICE, facts._NUM_EDGE_I, text, facts._CURRENCY_SIGN
                )
                assert _spans(price) == _spans(facts._PRICE.finditer(text)), text


_CLAIM_PIECES = st.sampled_from(
    [
        "1",
        "2",
        "0",
        ",",
        ".",
        " ",
        "%",
        " off",
        "ml",
        "元",
        "万",
        "$",
        "¥",
        "rmb",
        "-",
        "至",
        ",234",
        "G",
        "内存",
        "w",
        "+",
        "折",
        "小时",
        "发货",
        "内",
        "年",
        "质保",
        "a",
        "K",
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_CLAIM_PIECES, max_size=16).map("".join))
def test_number_claims_match_the_plain_regexes(text: str) -> None:
    assert _spans(facts._percent_offs(text)) == _spans(facts._PERCENT_OFF.finditer(text))
    spec = facts._led_by_number(facts._SPEC, facts._NUM_EDGE, text)
    assert _spans(spec) == _spans(facts._SPEC.finditer(text))
    price = facts._led_by_number(facts._PRICE, facts._NUM_EDGE_I, text, facts._CURRENCY_SIGN)
    assert _spans(price) == _spans(facts._PRICE.finditer(text))


def _as_written_before(pattern: re.Pattern[str], old: str, new: str) -> re.Pattern[str]:
    assert new in pattern.pattern
    return re.compile(pattern.pattern.replace(new, old), pattern.flags)


# The patterns as they were, with two blank runs side by side (every split of a long
# run of spaces was tried).
_SPEC_BEFORE = _as_written_before(facts._SPEC, r"\s*(?P<wan>万)?\s*", r"\s*(?:(?P<wan>万)\s*)?")
_PRICE_BEFORE = _as_written_before(facts._PRICE, r"\s*(?P<wan>万)?\s*", r"\s*(?:(?P<wan>万)\s*)?")
_SERVICE_BEFORE = _as_written_before(facts._SERVICE_AFTER, r"\s*(?:内)?\s*", r"\s*(?:内\s*)?")


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(["5", " ", "\t", "万", "万 ", "ml", "元", "内", "发货", "x", "-"]),
        max_size=12,
    ).map("".join)
)
def test_one_blank_run_matches_what_two_did(text: str) -> None:
    assert _spans(facts._SPEC.finditer(text)) == _spans(_SPEC_BEFORE.finditer(text))
    assert _spans(facts._PRICE.finditer(text)) == _spans(_PRICE_BEFORE.finditer(text))
    for position in range(len(text) + 1):
        now = facts._SERVICE_AFTER.match(text, position)
        before = _SERVICE_BEFORE.match(text, position)
        assert (now is None) == (before is None), (text, position)
