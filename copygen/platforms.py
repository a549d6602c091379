"""The three output platforms: their fields and limits.

One definition used everywhere: templates ask for these fields, the offline backend
writes them, the reply parser expects them, and the checker's ``format`` findings
enforce the limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FieldKind = Literal["text", "list"]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: FieldKind
    description_zh: str
    description_en: str
    max_chars: int | None = None  # per text, or per list item
    min_items: int | None = None  # lists only
    max_items: int | None = None  # lists only
    required: bool = True


@dataclass(frozen=True)
class PlatformSpec:
    name: str
    label_zh: str
    label_en: str
    fields: tuple[FieldSpec, ...]
    max_total_chars: int  # all text fields together

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields)


PLATFORM_SPECS: dict[str, PlatformSpec] = {
    "livestream": PlatformSpec(
        name="livestream",
        label_zh="直播带货口播脚本",
        label_en="live-stream selling script",
        fields=(
            FieldSpec(
                "hook",
                "text",
                "开场钩子，一两句口语",
                "opening hook, one or two spoken lines",
                max_chars=60,
            ),
            FieldSpec(
                "segments",
                "list",
                "口播段落：卖点讲解、体验、价格与福利",
                "script segments: selling points, experience, price and offer",
                max_chars=200,
                min_items=3,
                max_items=8,
            ),
            FieldSpec(
                "call_to_action",
                "text",
                "行动号召（在本直播间下单）",
                "call to action (buy in this live room)",
                max_chars=80,
            ),
        ),
        max_total_chars=1500,
    ),
    "social": PlatformSpec(
        name="social",
        label_zh="小红书/微博/抖音图文",
        label_en="social post (Xiaohongshu/Weibo/Douyin)",
        fields=(
            FieldSpec(
                "title", "text", "标题，不超过20字", "title, at most 20 characters", max_chars=20
            ),
            FieldSpec(
                "body", "text", "正文，分段，口吻真实", "body, in short paragraphs", max_chars=1000
            ),
            FieldSpec(
                "hashtags",
                "list",
                "话题标签，3到8个，不带#号",
                "hashtags, 3 to 8, without #",
                max_chars=20,
                min_items=3,
                max_items=8,
            ),
        ),
        max_total_chars=1200,
    ),
    "detail": PlatformSpec(
        name="detail",
        label_zh="商品详情页",
        label_en="product detail page",
        fields=(
            FieldSpec("headline", "text", "主标题", "headline", max_chars=40),
            FieldSpec(
                "bullets",
                "list",
                "卖点要点，3到6条",
                "bullet points, 3 to 6",
                max_chars=60,
                min_items=3,
                max_items=6,
            ),
            FieldSpec(
                "description",
                "text",
                "详细描述，规格须与商品数据一致",
                "description; specs must match the product data",
                max_chars=800,
            ),
        ),
        max_total_chars=1500,
    ),
}

PLATFORM_NAMES: tuple[str, ...] = tuple(PLATFORM_SPECS)


def get_platform(name: str) -> PlatformSpec:
    try:
        return PLATFORM_SPECS[name]
    except KeyError:
        raise KeyError(
            f"unknown platform {name!r}; expected one of {', '.join(PLATFORM_NAMES)}"
        ) from None
