"""parse_fields: the messy replies real models give, and the ones that must fail."""

from __future__ import annotations

import json

import pytest

from copygen.backends.parsing import ReplyParseError, parse_fields
from copygen.errors import BackendError
from copygen.testing.fake_openai import sample_fields

SOCIAL = {"title": "通勤好搭档", "body": "轻便好收纳。", "hashtags": ["通勤", "好物", "日常"]}
DETAIL = {
    "headline": "保湿面霜",
    "bullets": ["质地轻盈", "温和配方", "适合干皮"],
    "description": "容量50ml。",
}
LIVE = {"hook": "家人们看过来", "segments": ["一", "二", "三"], "call_to_action": "点链接下单"}


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


@pytest.mark.parametrize(
    "reply",
    [
        dumps(SOCIAL),
        "```json\n" + dumps(SOCIAL) + "\n```",
        "```\n" + json.dumps(SOCIAL, ensure_ascii=False, indent=2) + "\n```",
        "好的，以下是文案：\n```JSON\n" + dumps(SOCIAL) + "\n```\n希望对你有帮助！",
        "Here is the copy: " + dumps(SOCIAL) + " Let me know if you need changes.",
        "\ufeff  " + dumps(SOCIAL) + "  \n",
        "```json\n" + dumps(SOCIAL),  # fence never closed
        dumps({"social": SOCIAL}),
        dumps({"result": SOCIAL}),
        dumps({"fields": SOCIAL, "notes": "ok"}),
        dumps(dumps(SOCIAL)),  # JSON inside a JSON string
        "“" + dumps(SOCIAL) + "”",
        str(SOCIAL),  # a Python dict repr, single quotes
        dumps(SOCIAL)[:-1] + ",}",  # trailing comma
    ],
)
def test_messy_wrappers_parse_to_the_same_fields(reply: str) -> None:
    assert parse_fields(reply, "social") == SOCIAL


def test_smart_quotes_as_delimiters_but_not_inside_text() -> None:
    reply = (
        "{“title”: “通勤好搭档”, “body”: “她说“很轻便”，我也觉得。”, "
        "“hashtags”: [“通勤”, “好物”, “日常”]}"
    )
    fields = parse_fields(reply, "social")
    assert fields["title"] == "通勤好搭档"
    assert fields["body"] == "她说“很轻便”，我也觉得。"
    assert fields["hashtags"] == ["通勤", "好物", "日常"]


def test_inner_typographic_quotes_survive_in_valid_json() -> None:
    social = dict(SOCIAL, body="朋友说“真的好用”，推荐给大家。")
    assert parse_fields(dumps(social), "social")["body"] == "朋友说“真的好用”，推荐给大家。"


@pytest.mark.parametrize(
    ("hashtags", "expected"),
    [
        (["#通勤", "#好物#", "日常"], ["通勤", "好物", "日常"]),
        ("#通勤 #好物 #日常", ["通勤", "好物", "日常"]),
        ("#通勤#好物#日常#", ["通勤", "好物", "日常"]),
        ("通勤, 好物，日常", ["通勤", "好物", "日常"]),
        ("- 通勤\n- 好物\n- 日常", ["通勤", "好物", "日常"]),
        (["通勤", "通勤", " 好物 ", "", "日常"], ["通勤", "好物", "日常"]),
        ("＃通勤 ＃好物 ＃日常", ["通勤", "好物", "日常"]),
    ],
)
def test_hashtags_are_cleaned(hashtags: object, expected: list[str]) -> None:
    reply = dumps(dict(SOCIAL, hashtags=hashtags))
    assert parse_fields(reply, "social")["hashtags"] == expected


@pytest.mark.parametrize(
    "bullets",
    [
        "质地轻盈\n温和配方\n适合干皮",
        "- 质地轻盈\n- 温和配方\n- 适合干皮",
        "1. 质地轻盈\n2. 温和配方\n3. 适合干皮",
        "• 质地轻盈\n\n• 温和配方\n• 适合干皮\n",
        "① 质地轻盈\n② 温和配方\n③ 适合干皮",
        "质地轻盈；温和配方；适合干皮",
        ["1、质地轻盈", "2、温和配方", "3、适合干皮"],
        [{"text": "质地轻盈"}, {"text": "温和配方"}, {"text": "适合干皮"}],
    ],
)
def test_bullets_given_in_many_shapes(bullets: object) -> None:
    fields = parse_fields(dumps(dict(DETAIL, bullets=bullets)), "detail")
    assert fields["bullets"] == ["质地轻盈", "温和配方", "适合干皮"]


def test_numbers_become_text_and_lists_of_text_are_joined() -> None:
    reply = dumps(
        {"headline": 2024, "bullets": [1, 2.5, "三"], "description": ["第一段", "第二段"]}
    )
    fields = parse_fields(reply, "detail")
    assert fields == {
        "headline": "2024",
        "bullets": ["1", "2.5", "三"],
        "description": "第一段\n第二段",
    }


def test_key_aliases_case_and_extra_keys() -> None:
    reply = dumps(
        {
            "Hook": "家人们看过来",
            "script segments": ["一", "二", "三"],
            "CTA": "点链接下单",
            "notes": "dropped",
        }
    )
    assert parse_fields(reply, "livestream") == LIVE
    chinese = dumps(
        {"标题": "通勤好搭档", "正文": "轻便好收纳。", "话题标签": ["通勤", "好物", "日常"]}
    )
    assert parse_fields(chinese, "social") == SOCIAL


def test_output_follows_the_platform_field_order() -> None:
    reply = dumps({"call_to_action": "点链接下单", "segments": ["一", "二", "三"], "hook": "嗨"})
    assert list(parse_fields(reply, "livestream")) == ["hook", "segments", "call_to_action"]


def test_picks_the_object_with_the_fields_when_there_are_several() -> None:
    reply = 'Example format: {"a": 1}\nAnswer: ' + dumps(DETAIL) + '\nAlso {"b": 2}'
    assert parse_fields(reply, "detail") == DETAIL


def test_sample_fields_of_every_platform_parse() -> None:
    for platform in ("livestream", "social", "detail"):
        for lang in ("zh", "en"):
            fields = sample_fields(platform, lang)
            assert parse_fields(dumps(fields), platform) == fields


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("", "empty reply"),
        ("   \n", "empty reply"),
        ("抱歉，我无法完成这个请求。", "no JSON object"),
        ("[1, 2, 3]", "no JSON object"),
        ('{"title": "x", "body": "y"}', "missing field hashtags"),
        ('{"title": "", "body": "y", "hashtags": []}', "missing fields title, hashtags"),
        ('{"title": null, "body": "y", "hashtags": "###"}', "missing fields title, hashtags"),
        ('{"title": "x", "body": "y", "hashtags": [', "no JSON object"),
    ],
)
def test_unusable_replies_raise_with_a_short_reason(reply: str, reason: str) -> None:
    with pytest.raises(ReplyParseError) as info:
        parse_fields(reply, "social")
    assert reason in info.value.reason
    assert isinstance(info.value, BackendError)
    assert str(info.value) == info.value.message == info.value.reason
    assert info.value.reply == reply


def test_missing_error_names_the_platform() -> None:
    with pytest.raises(ReplyParseError, match="for detail"):
        parse_fields(dumps(SOCIAL), "detail")


def test_unknown_platform_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        parse_fields(dumps(SOCIAL), "tv")
