"""Numeric claims against product data (unsupported_fact)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from copygen import Checker
from copygen.compliance.facts import check_facts
from copygen.inputs.product import Product

PHONE = {
    "sku": "p1",
    "title": "Redmi Note 13 5G手机 5000mAh 6.67英寸",
    "category": "数码",
    "selling_points": "120Hz高刷;67W快充;8G+256G",
    "attributes": "重量:188g;续航:30-40小时;质保:1年;存储:1TB",
    "price": "1999",
    "promo_price": "1599",
}


def issues(text: str, product: object = PHONE) -> list[tuple[str, str]]:
    return [(i.text, i.kind) for i in check_facts([("text", text)], product)]


@pytest.mark.parametrize(
    "text",
    [
        "5000毫安大电池，6.67寸屏，120hz，67W快充",
        "8G+256G大内存，5G手机",
        "机身仅0.188kg",  # 188g converted
        "1024GB 或 1000GB 都算 1TB",
        "续航35小时",  # inside the 30-40 range
        "到手价1599元，原价1999元，直降400元",
        "¥1599 抢，8折",
        "24小时发货，7天无理由退换，2023年新款，iPhone 15 对比",
        "买2件更划算，满300减50",
        "质保1年",
        "三折叠设计",
    ],
)
def test_supported_or_not_a_claim(text: str) -> None:
    assert issues(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6000mAh超长续航", [("6000mAh", "unsupported")]),
        ("100W快充", [("100W", "unsupported")]),
        ("续航50小时", [("50小时", "unsupported")]),
        ("质保三年", [("三年", "unsupported")]),
        ("保湿提升3倍", [("3倍", "unsupported")]),
        ("到手价1499元", [("1499元", "price")]),
        ("限时5折", [("5折", "price")]),
        ("低至五折", [("五折", "price")]),
        ("立减500元", [("500元", "price")]),
        ("20% off today, only ¥1299", [("¥1299", "price")]),
        ("30% off", [("30% off", "price")]),
    ],
)
def test_flagged(text: str, expected: list[tuple[str, str]]) -> None:
    assert issues(text) == expected


def test_product_object_and_no_promo() -> None:
    product = Product(
        sku="b1",
        title="保温杯 500ml",
        attributes={"容量": "500ml"},
        price=Decimal("99"),
    )
    assert issues("0.5L大容量，仅售99元", product) == []
    assert issues("8折", product) == [("8折", "price")]
    assert issues("1L大容量", product) == [("1L", "unsupported")]
    no_price = {"title": "保温杯 500ml"}
    assert issues("仅售99元", no_price) == [("99元", "unsupported")]


def test_checker_reports_fact_findings_with_severity() -> None:
    checker = Checker(builtin=False)
    result = checker.check("6000mAh大电池，到手价1499元", product=PHONE)
    found = {(f.rule, f.severity, f.text) for f in result.findings}
    assert ("facts.unsupported_number", "warn", "6000mAh") in found
    assert ("facts.price_mismatch", "block", "1499元") in found
    assert result.status == "blocked"
    assert "1999 / 1599" in next(f.message for f in result.findings if f.text == "1499元")
    assert not [f for f in checker.check("6000mAh").findings if f.category == "unsupported_fact"]


def test_facts_can_be_disabled() -> None:
    checker = Checker(builtin=False, disabled=["unsupported_fact"])
    findings = checker.check("到手价1499元", product=PHONE).findings
    assert all(f.category != "unsupported_fact" for f in findings)


@pytest.mark.parametrize(
    ("price", "text", "expected"),
    [
        # The row's currency, however it is written: nothing to say.
        ("€19.99", "Now only €19.99", []),
        ("€19.99", "仅需19.99欧元", []),
        ("19,99 €", "just 19.99 EUR", []),
        ("HK$ 30", "HK$30 each", []),
        ("HK$ 30", "only $30", []),  # a bare $ may be any dollar
        ("¥99", "到手价99元", []),
        ("¥99", "只要99块钱", []),
        ("99元", "¥99 抢", []),
        ("$12", "just $12", []),
        ("99", "only $99", []),  # the sheet named no currency: not checked
        # Another currency: a misstated price, even with the same amount.
        ("€19.99", "only $19.99", [("$19.99", "price", "€19.99")]),
        ("€19.99", "only $18.99", [("$18.99", "price", "€19.99")]),
        ("€19.99", "仅需19.99美元", [("19.99美元", "price", "€19.99")]),
        ("¥99", "$99 today", [("$99", "price", "¥99")]),
        ("HK$ 30", "US$30 each", [("$30", "price", "HK$30")]),  # the US before $ counts
        ("$12", "¥12 only", [("¥12", "price", "$12")]),
        ("$12", "just 12元", [("12元", "price", "$12")]),
    ],
)
def test_a_price_in_another_currency_is_a_price_mismatch(
    price: str, text: str, expected: list[tuple[str, str, str]]
) -> None:
    product = {"title": "Water bottle 750ml", "price": price}
    found = [(i.text, i.kind, i.expected) for i in check_facts([("text", text)], product)]
    assert found == expected


def test_the_currency_column_names_the_rows_currency() -> None:
    product = Product.from_mapping({"sku": "a", "title": "Mug", "price": "8", "currency": "GBP"})
    assert issues("only £8", product) == []
    assert issues("only €8", product) == [("€8", "price")]
