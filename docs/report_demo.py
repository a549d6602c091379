"""The reviewer flow end to end, on the example products: generate → review → export → report.

Run from the repository root to rebuild the README screenshot (needs chromium)::

    .venv/bin/python docs/report_demo.py            # writes docs/report.png
    .venv/bin/python docs/report_demo.py --keep out/demo   # also keeps the output folder

Generation goes through the real pipeline and the real ``openai`` client, against
copygen's fake OpenAI-compatible server on 127.0.0.1 (no network, no key). The fake
model writes product-specific copy and, for some products, the kind of slips real
models make (superlatives, invented specs, off-platform contact, medical claims),
so that the checker, the review and the report have something to show. Repairs are
off, so the slips stay for a person to decide. ``tests/test_review_flow.py`` runs
the same flow and checks every number.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PRODUCTS = REPO / "examples" / "products.csv"
PLATFORMS = ("livestream", "social", "detail")

# (sku, platform) -> (field, text added) : the slips of the fake model.
SLIPS: dict[tuple[str, str], tuple[str, str]] = {
    ("BT-001", "detail"): ("headline", "最好用的"),
    ("BT-001", "social"): ("body", "全网最低价，错过再等一年！"),
    ("BT-002", "livestream"): ("segments", "想要小样的宝宝加微信私聊主播领取。"),
    ("FD-001", "detail"): ("description", "茶园位于海拔1800米的高山之上。"),
    ("FD-002", "social"): ("body", "每天一片，还能帮助降血糖。"),
    ("EL-001", "livestream"): ("segments", "降噪效果吊打所有竞品。"),
    ("EL-002", "detail"): ("description", "大容量30000mAh，一次充满用一周。"),
    ("MB-002", "social"): ("body", "国家级专家推荐的宝宝第一口辅食。"),
    ("HM-001", "livestream"): ("segments", "这只杯子招财转运，送礼特别合适。"),
    ("EN-001", "social"): ("body", "The best water bottle in the world, guaranteed results."),
}


def _product(messages: list[dict[str, Any]]) -> dict[str, Any]:
    text = "\n".join(str(m.get("content", "")) for m in messages)
    match = re.search(r"<product_data>\s*(\{.*?\})\s*</product_data>", text, re.S)
    if not match:
        return {}
    try:
        data = json.loads(match.group(1).replace("<\\/", "</"))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _copy(product: dict[str, Any], platform: str, lang: str) -> dict[str, Any]:
    """Plain, factual copy built from the product row, like a careful model writes."""
    title = str(product.get("title") or "这款商品")
    brand = str(product.get("brand") or "")
    points = [str(p) for p in product.get("selling_points") or []][:4] or [title]
    price = product.get("promo_price") or product.get("price")
    if lang == "en":
        if platform == "livestream":
            return {
                "hook": f"Hi everyone, today it's the {title}!",
                "segments": [f"{p}." for p in points[:3]]
                + ([f"Today in this live room: {price}."] if price else []),
                "call_to_action": "Tap the cart below to order in this live room.",
            }
        if platform == "social":
            words = title.split()
            while len(" ".join(words)) > 20 and len(words) > 1:
                words.pop()
            return {
                "title": " ".join(words)[:20],
                "body": f"I've used the {brand} {title} for a few weeks. "
                + " ".join(f"{p}." for p in points),
                "hashtags": ["dailyfinds", "honestreview", "outdoors"],
            }
        return {
            "headline": title[:40],
            "bullets": [p[:60] for p in points[:4]] + ["Easy to clean"][: max(0, 3 - len(points))],
            "description": f"{brand} {title}. " + " ".join(f"{p}." for p in points),
        }
    if platform == "livestream":
        return {
            "hook": f"家人们，今天给大家带来{brand}{title}！"[:60],
            "segments": [f"{p}。" for p in points[:3]]
            + ([f"今天直播间到手价{price}元。"] if price else []),
            "call_to_action": "喜欢的家人点下方小黄车，在本直播间下单。",
        }
    if platform == "social":
        return {
            "title": f"{title}使用分享"[:20],
            "body": f"最近入手了{brand}{title}，用了一段时间说说感受。"
            + "".join(f"{p}；" for p in points).rstrip("；")
            + "。",
            "hashtags": ["好物分享", "真实体验", "日常生活"],
        }
    bullets = [p[:60] for p in points[:5]]
    while len(bullets) < 3:
        bullets.append("品质做工用心")
    return {
        "headline": f"{brand}{title}"[:40],
        "bullets": bullets,
        "description": f"{brand}{title}。" + "；".join(points) + "。",
    }


def demo_responder(request: dict[str, Any]) -> str:
    """The fake model: product-specific copy, with the slips of :data:`SLIPS`."""
    from copygen.testing.fake_openai import detect_lang, detect_platform

    messages = [m for m in request.get("messages", []) if isinstance(m, dict)]
    platform = detect_platform(messages) or "social"
    lang = detect_lang(messages)
    product = _product(messages)
    fields = _copy(product, platform, lang)
    slip = SLIPS.get((str(product.get("sku")), platform))
    if slip is not None:
        name, text = slip
        if isinstance(fields[name], list):
            fields[name] = [*fields[name][:-1], text, fields[name][-1]]
        elif name == "headline":
            fields[name] = (text + fields[name])[:40]
        else:
            space = " " if lang == "en" else ""
            fields[name] = f"{fields[name]}{space}{text}"
    return json.dumps(fields, ensure_ascii=False)


def _settings(folder: Path, url: str) -> Any:
    from copygen.config import load_settings

    config = folder / "copygen.yaml"
    config.write_text(
        "backend: openai\n"
        f"base_url: {url}\n"
        "model: deepseek-chat\n"
        "max_repairs: 0\n"
        "cache: false\n"
        "prices:\n  deepseek-chat: {input: 2.0, output: 8.0, currency: CNY}\n",
        encoding="utf-8",
    )
    return load_settings(cli={}, config_path=config, cwd=folder, home=folder)


# Reviewer decisions of the demo: (sku, platform) -> (decision, reason, force).
DECISIONS: dict[tuple[str, str], tuple[str, str | None, bool]] = {
    ("BT-002", "livestream"): ("reject", "站外导流，改为在直播间内领取", False),
    ("EL-001", "livestream"): ("reject", "贬低竞品，重写对比段落", False),
    ("FD-002", "social"): ("reject", "普通食品不得宣称降血糖", False),
    ("MB-002", "social"): ("reject", "无权威背书依据", False),
    ("HM-001", "livestream"): ("reject", "迷信用语", False),
    ("FD-001", "detail"): ("approve", "已核实：新茶园海拔1800米，资料待更新", True),
}
# An edit: the reviewer fixes the headline instead of rejecting.
EDITS: dict[tuple[str, str], tuple[str, str, str]] = {
    ("BT-001", "detail"): ("headline", "最好用的", ""),
}


def build(outdir: Path) -> dict[str, Any]:
    """Generate, review and export into ``outdir``; return what each step produced."""
    from copygen.generate.run import generate
    from copygen.review import Decision, ReviewSession, export
    from copygen.testing.fake_openai import FakeOpenAIServer

    outdir.mkdir(parents=True, exist_ok=True)
    work = outdir / "_config"
    work.mkdir(exist_ok=True)
    with FakeOpenAIServer(responder=demo_responder) as server:
        settings = _settings(work, server.url)
        summary = generate(input_path=PRODUCTS, outdir=outdir / "run", settings=settings)
    run = outdir / "run"
    with ReviewSession.open(run, settings=settings, reviewer="王敏") as session:
        by_key = {(i["sku"], i["platform"]): i for i in session.items.values()}
        decisions = []
        for key, (verdict, reason, force) in DECISIONS.items():
            item = by_key.get(key)
            if item is not None and item["status"] in ("review", "blocked"):
                decisions.append(Decision(item["id"], verdict, reason=reason, force=force))
        for key, (name, old, new) in EDITS.items():
            item = by_key.get(key)
            if item is not None and item["status"] in ("review", "blocked"):
                fields = dict(item["fields"])
                fields[name] = str(fields[name]).replace(old, new)
                session.decide(Decision(item["id"], "approve", fields=fields))
        session.decide_many(decisions)
    exported = export(outdir=run, to=outdir / "publish.xlsx", settings=settings)
    return {"summary": summary, "export": exported, "run": run, "settings": settings}


def screenshot(html: Path, png: Path, *, width: int = 1280, height: int = 2700) -> None:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        raise SystemExit("chromium not found (apt-get install chromium fonts-noto-cjk)")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--screenshot={png}",
                f"--window-size={width},{height}",
                html.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep the output folder here")
    parser.add_argument("--png", type=Path, default=REPO / "docs" / "report.png")
    args = parser.parse_args(argv)
    from copygen.review import write_report

    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp) / "demo"
        result = build(base)
        html = base / "report.html"
        write_report(outdir=result["run"], output=html, title="copygen 文案报告 · 秋季上新批次")
        screenshot(html, args.png)
        print(f"wrote {args.png} (report: {html})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
