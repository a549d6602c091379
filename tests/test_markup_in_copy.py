"""HTML and script in copy never reach a shop page (``rules/markup.yaml``).

A model reply or a product cell can carry ``<img src=x onerror=alert(1)>``,
``</textarea><script>``, ``javascript:`` links, ``<iframe``, ``on…=`` handlers or
``data:text/html``. In generated copy each is a ``block`` finding of category
``format``; the offline backend leaves such row texts out (title, brand, audience,
selling points and attributes alike) and still writes publishable copy; plain text
with ``<`` in it (价格<100元, 3<5, x -> y) is left alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from copygen.cli.main import app
from copygen.compliance.engine import Checker
from copygen.errors import ExitCode
from copygen.testing.fake_openai import FakeOpenAIServer, sample_fields

runner = CliRunner()

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "</textarea><script>alert(document.cookie)</script>",
    '<a href="javascript:alert(1)">领取优惠券</a>',
    "点这里 javascript:alert(1)",
    "<iframe src=//evil.example",
    '" onmouseover="alert(1)',
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "<svg/onload=alert(1)>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "限时好价<b>五折</b>",
    "＜script＞alert(1)＜/script＞",  # full width: folded before matching
    "<scr\u200bipt>alert(1)</scr\u200bipt>",  # a zero-width space inside the name
]
HARMLESS = [
    "3<5",
    "价格<100元，到手更划算",
    "《小王子》同款书签",
    "x -> y",
    "售后邮箱 service@example.com",
    "JavaScript: The Good Parts 中文版",
    "页面 onload 速度更快",
    "全新<Pro Max>版本",
    "比心<3 爱你们",
    "温度 <30℃ 时口感更佳",
]


def _check_json(*texts: str) -> dict[str, Any]:
    result = runner.invoke(app, ["check", *texts, "--format", "json", "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.output)
    return document


def _markup(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in findings if str(f["rule"]).startswith("format.markup.")]


# --- copygen check --------------------------------------------------------------------


def test_markup_and_script_are_block_findings() -> None:
    document = _check_json(*HOSTILE)
    for text, entry in zip(HOSTILE, document["items"], strict=True):
        found = _markup(entry["findings"])
        assert found, f"not flagged: {text!r}"
        assert entry["status"] == "blocked", text
        for f in found:
            assert (f["severity"], f["category"]) == ("block", "format")
            assert text[f["start"] : f["end"]] == f["text"]  # spans point into the copy
            assert f["law"] and f["message"] and f["suggestion"]


def test_plain_text_with_angle_brackets_is_not_markup() -> None:
    document = _check_json(*HARMLESS)
    flagged = {
        text: _markup(entry["findings"])
        for text, entry in zip(HARMLESS, document["items"], strict=True)
        if _markup(entry["findings"])
    }
    assert flagged == {}


def test_check_exits_1_on_markup_and_explains_it_in_both_languages() -> None:
    result = runner.invoke(app, ["check", "<img src=x onerror=alert(1)>", "--locale", "en"])
    assert result.exit_code == ExitCode.FINDINGS
    assert "format.markup.script" in result.output and "XSS" in result.output
    result = runner.invoke(app, ["check", "限时好价<b>五折</b>", "--locale", "zh"])
    assert result.exit_code == ExitCode.FINDINGS
    assert "format.markup.html_tag" in result.output and "纯文本" in result.output


def test_markup_inside_a_platform_field_is_blocked() -> None:
    fields = sample_fields("detail", "zh")
    fields["bullets"] = [*fields["bullets"][:2], "<img src=x onerror=alert(1)>"]
    result = Checker().check(fields, lang="zh", platform="detail")
    found = [f for f in result.findings if f.rule.startswith("format.markup.")]
    assert result.status == "blocked" and found
    assert {f.field for f in found} == {f"bullets[{len(fields['bullets']) - 1}]"}


# --- the offline backend --------------------------------------------------------------


PRODUCTS_CSV = (
    "sku,title,brand,category,selling_points,attributes,price,audience,lang\n"
    'MK-1,<img src=x onerror=alert(1)>保温杯 500ml,<b>澜朵</b>,家居,"'
    "</textarea><script>alert(1)</script>；316不锈钢内胆；"
    '<a href=""javascript:alert(1)"">点我</a>；保温12小时",'
    '"容量:500ml; 材质:<iframe src=//evil.example",99,<i>上班族</i>,zh\n'
    "MK-2,Insulated Bottle <svg/onload=alert(1)>,Acme<b>,家居,"
    '"Keeps drinks cold for 24 hours|<img src=x onerror=alert(1)>|BPA-free lid",'
    '"capacity:500ml; note:data:text/html;base64,PHNjcmlwdD4=",25,'
    '" onmouseover=""alert(1)",en\n'
)
MARKUP_PIECES = ("<", ">", "javascript", "onerror", "onload", "onmouseover", "data:text")


@pytest.fixture
def products(tmp_path: Path) -> Path:
    path = tmp_path / "products.csv"
    path.write_text(PRODUCTS_CSV, encoding="utf-8")
    return path


def _generate(products: Path, outdir: Path, *extra: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["generate", str(products), "-o", str(outdir), *extra])
    assert result.exit_code == 0, result.output
    lines = (outdir / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _texts(fields: dict[str, Any]) -> Iterator[str]:
    for value in fields.values():
        if isinstance(value, list):
            yield from (str(v) for v in value)
        else:
            yield str(value)


def test_offline_backend_never_copies_markup(products: Path, tmp_path: Path) -> None:
    records = _generate(products, tmp_path / "out", "--variants", "2")
    assert len(records) == 12
    checker = Checker()
    for record in records:
        assert record["status"] == "pass", (record["id"], record["findings"])
        for text in _texts(record["fields"]):
            assert not any(piece in text.lower() for piece in MARKUP_PIECES), (record["id"], text)
        again = checker.check(record["fields"], lang=record["lang"], platform=record["platform"])
        assert not [f for f in again.findings if f.rule.startswith("format.markup.")]
    # The row's clean texts are still used: the copy is about this product.
    zh = " ".join(t for r in records if r["sku"] == "MK-1" for t in _texts(r["fields"]))
    assert "316不锈钢内胆" in zh and "保温12小时" in zh and "500ml" in zh
    en = " ".join(t for r in records if r["sku"] == "MK-2" for t in _texts(r["fields"]))
    assert "BPA-free lid" in en


def test_without_the_markup_pack_the_markup_would_get_through(
    products: Path, tmp_path: Path
) -> None:
    """The control: the pack is what keeps markup out (not the row reader or the composer)."""
    config = tmp_path / "copygen.yaml"
    config.write_text("disable: [format.markup]\n", encoding="utf-8")
    records = _generate(products, tmp_path / "out", "--config", str(config))
    leaked = [
        text
        for record in records
        for text in _texts(record["fields"])
        if any(piece in text.lower() for piece in MARKUP_PIECES)
    ]
    assert leaked


# --- a model that writes markup --------------------------------------------------------


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as srv:
        yield srv


def test_markup_in_a_model_reply_is_blocked(
    server: FakeOpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-markup")

    def responder(body: dict[str, Any]) -> str:
        fields = sample_fields("social", "zh")
        fields["body"] = fields["body"] + '</textarea><script>alert("x")</script>'
        return json.dumps(fields, ensure_ascii=False)

    server.responder = responder
    products = tmp_path / "products.csv"
    products.write_text("sku,title,category,price\nMK-9,保温杯 500ml,家居,99\n", encoding="utf-8")
    outdir = tmp_path / "out"
    result = runner.invoke(app, server.generate_args(products, outdir))
    assert result.exit_code == 0, result.output
    (record,) = [json.loads(line) for line in (outdir / "results.jsonl").read_text().splitlines()]
    assert record["status"] == "blocked"
    rules = {f["rule"] for f in record["findings"] if f["severity"] == "block"}
    assert {"format.markup.html_tag", "format.markup.script"} <= rules
