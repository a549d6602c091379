"""AI-content labels: implicit metadata and the visible label per platform."""

from __future__ import annotations

import pytest

from copygen.compliance.aigc import (
    aigc_record,
    apply_label,
    content_id_for,
    implicit_label,
    label_field,
    label_record,
)
from copygen.config import AigcLabel, Settings

SOCIAL = {
    "title": "秋冬保湿面霜",
    "body": "质地轻薄，吸收快。",
    "hashtags": ["护肤", "面霜", "秋冬"],
}
LIVE = {"hook": "家人们看过来！", "segments": ["一", "二", "三"], "call_to_action": "点下方小黄车"}
DETAIL = {"headline": "保湿面霜", "bullets": ["a", "b", "c"], "description": "50ml 装。"}


def test_implicit_label() -> None:
    label = implicit_label(provider="copygen", model="qwen-plus", content_id="abc")
    assert label == {
        "generated": True,
        "provider": "copygen",
        "model": "qwen-plus",
        "content_id": "abc",
    }


def test_content_id_is_stable_and_content_bound() -> None:
    first = content_id_for("S1:social:zh:v1", SOCIAL)
    assert first == content_id_for("S1:social:zh:v1", dict(reversed(list(SOCIAL.items()))))
    assert len(first) == 64 and int(first, 16) >= 0
    assert first != content_id_for("S2:social:zh:v1", SOCIAL)
    assert first != content_id_for("S1:social:zh:v1", {**SOCIAL, "body": "改过的正文"})
    assert content_id_for("x", "text") != content_id_for("x", "text2")


def test_social_label_goes_into_the_body_never_the_title() -> None:
    end = apply_label(SOCIAL, platform="social", label=AigcLabel(enabled=True), lang="zh")
    assert end["title"] == SOCIAL["title"]
    assert end["body"] == "质地轻薄，吸收快。\n本内容由AI辅助生成"
    assert end["hashtags"] == SOCIAL["hashtags"]
    start = apply_label(
        SOCIAL, platform="social", label=AigcLabel(enabled=True, position="start"), lang="zh"
    )
    assert start["body"] == "本内容由AI辅助生成\n质地轻薄，吸收快。"
    assert start["title"] == SOCIAL["title"]
    assert SOCIAL["body"] == "质地轻薄，吸收快。"  # input untouched


def test_livestream_and_detail_fields() -> None:
    label = AigcLabel(enabled=True, position="start", text_en="[AI-generated]")
    live = apply_label(LIVE, platform="livestream", label=label, lang="en")
    assert live["hook"] == "[AI-generated]\n家人们看过来！"
    assert live["call_to_action"] == LIVE["call_to_action"]
    live_end = apply_label(LIVE, platform="livestream", label=AigcLabel(enabled=True), lang="zh")
    assert live_end["call_to_action"].endswith("本内容由AI辅助生成")
    assert live_end["hook"] == LIVE["hook"]
    for position in ("start", "end"):
        detail = apply_label(
            DETAIL, platform="detail", label=AigcLabel(enabled=True, position=position), lang="zh"
        )
        assert detail["headline"] == DETAIL["headline"]
        assert "本内容由AI辅助生成" in detail["description"]
    assert label_field("detail", "start") == "description"


def test_disabled_label_returns_fields_unchanged() -> None:
    out = apply_label(SOCIAL, platform="social", label=AigcLabel(enabled=False), lang="zh")
    assert out == SOCIAL and out is not SOCIAL


def test_label_is_added_once() -> None:
    label = AigcLabel(enabled=True)
    once = apply_label(SOCIAL, platform="social", label=label, lang="zh")
    assert apply_label(once, platform="social", label=label, lang="zh") == once


def test_missing_or_empty_target_field_gets_the_label() -> None:
    out = apply_label(
        {"title": "t", "body": " "}, platform="social", label=AigcLabel(enabled=True), lang="en"
    )
    assert out["body"] == "AI-generated content"


def test_label_record_and_aigc_record() -> None:
    assert label_record(AigcLabel(enabled=False), "zh") is None
    assert label_record(AigcLabel(enabled=True, position="start"), "en-US") == {
        "text": "AI-generated content",
        "position": "start",
    }
    record = aigc_record(
        provider="copygen", model=None, content_id="c1", label=AigcLabel(enabled=True), lang="zh"
    )
    assert record == {
        "generated": True,
        "provider": "copygen",
        "model": None,
        "content_id": "c1",
        "label": {"text": "本内容由AI辅助生成", "position": "end"},
    }
    off = aigc_record(
        provider="p", model="m", content_id="c", label=AigcLabel(enabled=False), lang="zh"
    )
    assert off["generated"] is True and off["label"] is None  # the implicit label stays


def test_default_settings_label_social_only() -> None:
    settings = Settings()
    assert settings.label_for("social").enabled
    assert not settings.label_for("livestream").enabled
    assert not settings.label_for("detail").enabled
    out = apply_label(SOCIAL, platform="social", label=settings.label_for("social"), lang="zh")
    assert out["body"].endswith("本内容由AI辅助生成")


def test_bad_position_and_platform() -> None:
    with pytest.raises(ValueError, match="start or end"):
        apply_label(
            SOCIAL, platform="social", label=AigcLabel(enabled=True, position="middle"), lang="zh"
        )
    with pytest.raises(KeyError):
        label_field("radio", "end")
