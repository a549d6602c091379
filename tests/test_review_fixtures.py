"""A hand-made output folder in the documented results.jsonl schema.

Review, export and report tests build on it (``from test_review_fixtures import
make_outdir``); the tests here keep the fixture itself honest: every finding's
offsets point at its text, and every status follows from the findings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

LAWS = {
    "absolute_term": "《广告法》第九条第三项",
    "medical_claim": "《广告法》第十七条",
    "platform_diversion": "平台规则",
    "unsupported_fact": "《广告法》第二十八条",
}

PRODUCTS: dict[str, dict[str, Any]] = {
    "BT-001": {
        "sku": "BT-001",
        "title": "水润保湿精华液 30ml",
        "category": "beauty",
        "brand": "澜朵",
        "selling_points": ["含透明质酸钠与神经酰胺", "质地清爽易吸收"],
        "attributes": {"容量": "30ml", "主要成分": "透明质酸钠、神经酰胺"},
        "price": "199",
        "promo_price": "159",
        "audience": "25-35岁上班族女性",
        "platforms": [],
        "lang": "zh",
        "extra": {},
    },
    "FD-001": {
        "sku": "FD-001",
        "title": "高山云雾绿茶 250g 礼盒装",
        "category": "food",
        "brand": "山语茶坊",
        "selling_points": ["明前采摘一芽一叶", "回甘清爽"],
        "attributes": {"净含量": "250g", "产地": "浙江丽水"},
        "price": "268",
        "promo_price": "228",
        "audience": "送礼人群",
        "platforms": [],
        "lang": "zh",
        "extra": {},
    },
    "EL-001": {
        "sku": "EL-001",
        "title": "Wireless Earbuds Pro",
        "category": "electronics",
        "brand": "Sonora",
        "selling_points": ["40h battery with case", "Bluetooth 5.3"],
        "attributes": {"battery": "40h"},
        "price": "59",
        "promo_price": None,
        "audience": "commuters",
        "platforms": [],
        "lang": "en",
        "extra": {},
    },
}

SEVERITY_STATUS = {"block": "blocked", "warn": "review"}


def finding(
    fields: dict[str, Any],
    field: str,
    term: str,
    *,
    rule: str,
    category: str,
    severity: str,
    suggestion: str = "删除或改为客观描述",
) -> dict[str, Any]:
    """A finding whose offsets are computed from the field text, as the checker's are."""
    if "[" in field:
        name, index = field[:-1].split("[")
        text = fields[name][int(index)]
    else:
        text = fields[field]
    start = text.index(term)
    return {
        "rule": rule,
        "category": category,
        "severity": severity,
        "field": field,
        "start": start,
        "end": start + len(term),
        "text": term,
        "message": f"“{term}” 违反 {category}",
        "law": LAWS.get(category, ""),
        "suggestion": suggestion,
    }


def item(
    sku: str,
    platform: str,
    fields: dict[str, Any] | None,
    findings: list[dict[str, Any]] | None = None,
    *,
    lang: str = "zh",
    status: str | None = None,
    cost: float | None = 0.0012,
    latency_ms: float = 800.0,
    label: dict[str, str] | None = None,
    review: dict[str, Any] | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    findings = findings or []
    if status is None:
        severities = {f["severity"] for f in findings}
        status = next((SEVERITY_STATUS[s] for s in ("block", "warn") if s in severities), "pass")
    item_id = f"{sku}:{platform}:{lang}:v1"
    return {
        "id": item_id,
        "sku": sku,
        "platform": platform,
        "lang": lang,
        "variant": 1,
        "fields": fields,
        "status": status,
        "findings": findings,
        "attempts": 1 if error is None else 3,
        "backend": "openai",
        "model": "deepseek-chat",
        "usage": None
        if error
        else {"prompt_tokens": 900, "completion_tokens": 300, "total_tokens": 1200},
        "cost": cost,
        "latency_ms": latency_ms,
        "aigc": {
            "generated": True,
            "provider": "copygen",
            "model": "deepseek-chat",
            "content_id": f"cid-{item_id}",
            "label": label,
        },
        "product": PRODUCTS[sku],
        "template": {"name": f"{platform}.{lang}.j2", "hash": "0" * 64},
        "error": error,
        "review": review,
    }


def build_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    live = {
        "hook": "姐妹们，今天给大家带来澜朵精华！",
        "segments": ["含透明质酸钠与神经酰胺，干皮友好", "质地清爽，一抹就吸收", "今天直播间159元"],
        "call_to_action": "喜欢的点下方小黄车下单",
    }
    items.append(item("BT-001", "livestream", live, latency_ms=500.0))

    social = {
        "title": "干皮秋冬保湿精华",
        "body": "用了两周皮肤水润多了，想要试用装的私信我。",
        "hashtags": ["保湿精华", "干皮护肤", "秋冬护肤"],
    }
    items.append(
        item(
            "BT-001",
            "social",
            social,
            [
                finding(
                    social,
                    "body",
                    "私信",
                    rule="zh.diversion.dm",
                    category="platform_diversion",
                    severity="warn",
                    suggestion="引导在平台内咨询",
                )
            ],
            label={"text": "本内容由AI辅助生成", "position": "end"},
            latency_ms=1200.0,
        )
    )

    detail = {
        "headline": "最好用的保湿精华 30ml",
        "bullets": ["透明质酸钠补水", "神经酰胺修护，可治疗湿疹", "质地清爽"],
        "description": "澜朵水润保湿精华液，适合干皮日常保湿。",
    }
    items.append(
        item(
            "BT-001",
            "detail",
            detail,
            [
                finding(
                    detail,
                    "headline",
                    "最好",
                    rule="zh.absolute.superlative",
                    category="absolute_term",
                    severity="block",
                    suggestion="改为“好用的”",
                ),
                finding(
                    detail,
                    "bullets[1]",
                    "治疗湿疹",
                    rule="zh.medical.treat",
                    category="medical_claim",
                    severity="block",
                    suggestion="删除疗效表述",
                ),
            ],
            latency_ms=2000.0,
        )
    )

    fd_social = {
        "title": "明前高山绿茶",
        "body": "海拔1800米的高山茶园，回甘清爽。",
        "hashtags": ["绿茶", "送礼", "明前茶"],
    }
    items.append(
        item(
            "FD-001",
            "social",
            fd_social,
            [
                finding(
                    fd_social,
                    "body",
                    "1800米",
                    rule="facts.number",
                    category="unsupported_fact",
                    severity="block",
                    suggestion="与商品数据核对",
                )
            ],
            label={"text": "本内容由AI辅助生成", "position": "end"},
            latency_ms=900.0,
        )
    )

    fd_live = {
        "hook": "喝茶的朋友看过来",
        "segments": ["明前采摘一芽一叶", "回甘清爽", "礼盒装228元"],
        "call_to_action": "点击下方链接下单",
    }
    items.append(
        item(
            "FD-001",
            "livestream",
            fd_live,
            [
                finding(
                    fd_live,
                    "hook",
                    "看过来",
                    rule="zh.style.shout",
                    category="vulgar",
                    severity="warn",
                )
            ],
            status="approved",
            review={
                "reviewer": "alice",
                "decision": "approve",
                "reason": "口语表达，可接受",
                "ts": "2026-11-28T10:00:00Z",
                "forced": False,
                "edited": False,
            },
            latency_ms=700.0,
        )
    )

    items.append(
        item(
            "FD-001",
            "detail",
            None,
            status="error",
            cost=None,
            latency_ms=30000.0,
            error="backend failed after 3 attempts: timeout",
        )
    )

    en_social = {
        "title": "Best earbuds <b>ever</b>",
        "body": '=HYPERLINK("http://evil.example","x") <script>alert(1)</script> 40h battery.',
        "hashtags": ["earbuds", "-tech", "commute"],
    }
    items.append(
        item(
            "EL-001",
            "social",
            en_social,
            [
                finding(
                    en_social,
                    "title",
                    "Best",
                    rule="en.absolute.best",
                    category="absolute_term",
                    severity="warn",
                    suggestion='Say "great" instead',
                )
            ],
            lang="en",
            label={"text": "AI-generated content", "position": "end"},
            latency_ms=600.0,
        )
    )
    return items


def make_outdir(path: Path, items: list[dict[str, Any]] | None = None) -> Path:
    """Write results.jsonl (and nothing else) into ``path``; return ``path``."""
    path.mkdir(parents=True, exist_ok=True)
    records = build_items() if items is None else items
    with open(path / "results.jsonl", "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def _field_text(fields: dict[str, Any], name: str) -> str:
    if "[" in name:
        base, index = name[:-1].split("[")
        return str(fields[base][int(index)])
    return str(fields[name])


def test_fixture_offsets_match_texts() -> None:
    for record in build_items():
        for f in record["findings"]:
            assert _field_text(record["fields"], f["field"])[f["start"] : f["end"]] == f["text"]


def test_fixture_statuses_and_ids() -> None:
    records = build_items()
    assert len({r["id"] for r in records}) == len(records)
    statuses = [r["status"] for r in records]
    assert statuses.count("review") == 2
    assert statuses.count("blocked") == 2
    assert {"pass", "approved", "error"} <= set(statuses)
