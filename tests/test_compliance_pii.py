"""Personal data: formats, checksums, masking."""

from __future__ import annotations

import itertools

import pytest

from copygen.compliance.pii import find_pii, id_checksum_ok, luhn_ok, mask_pii

VALID_ID = "110101199003071233"  # GB 11643 check digit 3
INVALID_ID = "110101199003071230"
VALID_CARD = "6222021234567894"  # Luhn-valid
INVALID_CARD = "6222021234567895"


def kinds(text: str) -> list[tuple[str, str]]:
    return [(m.kind, m.text) for m in find_pii(text)]


def test_checksums() -> None:
    assert id_checksum_ok(VALID_ID)
    assert not id_checksum_ok(INVALID_ID)
    assert id_checksum_ok("11010519491231002X")
    assert luhn_ok(VALID_CARD) and not luhn_ok(INVALID_CARD)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("联系13812345678", [("mobile", "13812345678")]),
        ("电话 138-1234-5678", [("mobile", "138-1234-5678")]),
        ("客服 +86 139 1234 5678", [("mobile", "+86 139 1234 5678")]),
        ("座机010-12345678", [("landline", "010-12345678")]),
        ("热线 400-123-4567", [("landline", "400-123-4567")]),
        ("Call +1 415 555 0134", [("intl_phone", "+1 415 555 0134")]),
        (f"身份证{VALID_ID}", [("id_card", VALID_ID)]),
        ("邮箱 a.b@example.com", [("email", "a.b@example.com")]),
        ("卡号 6222 0212 3456 7894", [("bank_card", "6222 0212 3456 7894")]),
        ("加微信：beauty_shop88", [("wechat", "beauty_shop88")]),
        ("QQ号 12345678", [("qq", "12345678")]),
    ],
)
def test_detects(text: str, expected: list[tuple[str, str]]) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        f"编号{INVALID_ID}",
        f"卡号{INVALID_CARD}",
        "iPhone 15 Pro 256GB 5000mAh 2023年",
        "订单号20231201123456",
        "微信支付立减5元",
        "尺码 160/84A",
        "",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert find_pii(text) == []


def test_mask_pii_placeholders_follow_language() -> None:
    assert mask_pii("电话13812345678，邮箱a@b.cn") == "电话[手机号]，邮箱[邮箱]"
    assert mask_pii("mail a@example.com") == "mail [EMAIL]"
    assert mask_pii("mail a@example.com", locale="zh") == "mail [邮箱]"
    assert mask_pii(f"ID {VALID_ID}") == "ID [ID_NUMBER]"
    assert mask_pii("没有个人信息") == "没有个人信息"


def test_spans_are_exact_and_non_overlapping() -> None:
    text = f"微信13812345678 身份证{VALID_ID} 卡{VALID_CARD}"
    matches = find_pii(text)
    assert [m.kind for m in matches] == ["mobile", "id_card", "bank_card"]
    for m in matches:
        assert text[m.start : m.end] == m.text
    for a, b in itertools.pairwise(matches):
        assert a.end <= b.start
