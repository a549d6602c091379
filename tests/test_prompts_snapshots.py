"""Snapshots of every built-in template rendered for one fixed row.

A template change shows up here as a diff to review. After an intended change,
regenerate with::

    COPYGEN_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_prompts_snapshots.py

Guidance is fixed here (not taken from the rule packs) so that rule-pack edits do
not churn the snapshots; tests/test_prompts.py covers the wiring to the packs.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from copygen.config import BrandVoice, Settings
from copygen.inputs.product import Product
from copygen.platforms import PLATFORM_NAMES
from copygen.writing.prompts import PromptBuilder, RenderedPrompt

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
UPDATE = os.environ.get("COPYGEN_UPDATE_SNAPSHOTS", "").strip() in ("1", "true", "yes")

GUIDANCE = [
    {
        "term": "最好",
        "category": "absolute_term",
        "law": "《广告法》第九条第三项",
        "reason": "绝对化用语",
        "suggestion": "写具体、可证实的体验",
    },
    {
        "term": "药妆",
        "category": "cosmetics_claim",
        "law": "《化妆品监督管理条例》",
        "reason": "普通化妆品不得宣称医疗作用",
        "suggestion": "",
    },
]
FINDINGS = [
    {
        "rule": "zh.absolute.superlative",
        "category": "absolute_term",
        "severity": "block",
        "field": "title",
        "start": 0,
        "end": 2,
        "text": "最好",
        "message": "绝对化用语",
        "law": "《广告法》第九条第三项",
        "suggestion": "改为具体、可证实的描述",
    },
    {
        "rule": "format.too_few_items",
        "category": "format",
        "severity": "block",
        "field": "hashtags",
        "start": 0,
        "end": 0,
        "text": "",
        "message": "needs at least 3 items",
        "law": "",
        "suggestion": "",
    },
]


def fixed_product() -> Product:
    return Product.from_mapping(
        {
            "sku": "BT-001",
            "title": "水润保湿精华液 30ml",
            "category": "美妆",
            "brand": "澜朵",
            "selling_points": "含透明质酸钠与神经酰胺；质地清爽易吸收；无香精配方",
            "attributes": "容量:30ml; 主要成分:透明质酸钠、神经酰胺; 保质期:3年",
            "price": "199",
            "promo_price": "159",
            "audience": "25-35岁上班族女性",
        },
        row=1,
        source="snapshot.csv",
    )


@pytest.fixture
def builder(monkeypatch: pytest.MonkeyPatch) -> PromptBuilder:
    settings = Settings(
        brand_voice=BrandVoice(tone="亲切、真诚", use=("真实体验", "细节"), avoid=("最", "第一")),
        variants=2,
    )
    builder = PromptBuilder(settings=settings)
    monkeypatch.setattr(builder, "guidance", lambda **_: GUIDANCE)
    return builder


def as_text(rendered: RenderedPrompt) -> str:
    lines = [
        f"# template: {rendered.template}",
        f"# templates: {', '.join(rendered.templates)}",
    ]
    for message in rendered.messages:
        lines.append(f"=== {message['role']} ===")
        lines.append(message["content"].rstrip("\n"))
    return "\n".join(lines) + "\n"


def check(name: str, text: str) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    if not path.is_file():
        pytest.fail(f"no snapshot {path}; create it with COPYGEN_UPDATE_SNAPSHOTS=1")
    assert text == path.read_text(encoding="utf-8"), (
        f"{path.name} differs; if the change is intended, regenerate with "
        "COPYGEN_UPDATE_SNAPSHOTS=1"
    )


@pytest.mark.parametrize("platform", PLATFORM_NAMES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_platform_snapshot(builder: PromptBuilder, platform: str, lang: str) -> None:
    rendered = builder.render(fixed_product(), platform=platform, lang=lang, variant=1)
    check(f"{platform}.{lang}", as_text(rendered))


def test_other_language_snapshot(builder: PromptBuilder) -> None:
    rendered = builder.render(fixed_product(), platform="social", lang="ja", variant=2)
    check("social.ja", as_text(rendered))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_repair_snapshot(builder: PromptBuilder, lang: str) -> None:
    rendered = builder.render_repair(
        fixed_product(),
        platform="social",
        lang=lang,
        variant=1,
        previous_fields={"title": "最好的精华", "body": "……", "hashtags": ["保湿"]},
        findings=FINDINGS,
    )
    check(f"repair.{lang}", as_text(rendered))


def test_every_builtin_template_is_snapshotted() -> None:
    if UPDATE:
        pytest.skip("updating")
    from copygen.resources import data_dir

    snap_text = "".join(p.read_text(encoding="utf-8") for p in SNAPSHOTS.glob("*.txt"))
    for template in data_dir("templates").glob("*.j2"):
        if not template.name.startswith("_"):
            assert f"{template.name}" in snap_text, template.name


JUDGE_EXAMPLES = {"absolute_term": ["口碑最好的选择"], "medical_claim": ["喝了三周，胃也不反酸了"]}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_judge_snapshot(builder: PromptBuilder, lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Examples fixed here, as guidance is above: rule-pack edits must not churn it.
    import copygen.compliance.categories as categories

    monkeypatch.setattr(categories, "category_examples", lambda *_a, **_k: JUDGE_EXAMPLES)
    rendered = builder.render_judge(
        {"title": "最好的精华", "body": "用了一周，体检单上的箭头都没了", "hashtags": ["保湿"]},
        lang=lang,
        platform="social",
        product=fixed_product(),
    )
    check(f"judge.{lang}", as_text(rendered))
