"""The HTML report: numbers, escaping, self-containment, and a real headless browser."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_review_fixtures import build_items, make_outdir
from typer.testing import CliRunner

from copygen.cli.main import app
from copygen.errors import InputError
from copygen.review import render_html, summarize, write_report

runner = CliRunner()


class _Texts(HTMLParser):
    """Text of every element with an id, plus every tag's attributes, from a document."""

    VOID = frozenset({"meta", "link", "input", "br", "img", "hr", "option-void"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []
        self.texts: dict[str, str] = {}
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag in self.VOID:
            return
        for _, open_id in self.stack:
            if open_id:
                self.texts[open_id] += " "  # element boundaries separate words
        element_id = attributes.get("id")
        self.stack.append((tag, element_id))
        if element_id:
            self.texts.setdefault(element_id, "")

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            open_tag, _ = self.stack.pop()
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, element_id in self.stack:
            if element_id:
                self.texts[element_id] += data


def parse(document: str) -> _Texts:
    parser = _Texts()
    parser.feed(document)
    return parser


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --- numbers -------------------------------------------------------------------------------


def test_summarize_counts_and_rates() -> None:
    data = summarize(build_items())
    assert data.total == 7
    assert data.by_status == {"pass": 1, "approved": 1, "review": 2, "blocked": 2, "error": 1}
    assert data.by_platform["social"] == {"review": 2, "blocked": 1}
    assert data.by_platform["detail"] == {"blocked": 1, "error": 1}
    assert list(data.by_platform) == ["livestream", "social", "detail"]
    assert data.by_category["absolute_term"] == 2
    assert data.by_rule["zh.medical.treat"] == 1
    assert data.rule_severity["zh.absolute.superlative"] == "block"
    assert data.pass_rate == pytest.approx(1 / 7)
    assert data.publishable == 2
    assert data.texts == 6
    assert data.tokens == 6 * 1200
    # The error item has no cost; six items cost 0.0012 each.
    assert data.cost_total == pytest.approx(6 * 0.0012)
    assert data.cost_per_text == pytest.approx(0.0012)
    # Latency over items with a text (errors excluded), linear interpolation.
    assert data.latency_p50 == pytest.approx(800.0)
    assert data.latency_p95 == pytest.approx(1800.0)
    # Flagged: items with warn/block findings (approved and rejected included), blocked first.
    assert [i["id"] for i in data.flagged] == [
        "BT-001:detail:zh:v1",
        "FD-001:social:zh:v1",
        "BT-001:social:zh:v1",
        "EL-001:social:en:v1",
        "FD-001:livestream:zh:v1",
    ]
    assert [i["id"] for i in data.errors] == ["FD-001:detail:zh:v1"]


def test_unknown_price_makes_cost_unknown() -> None:
    items = build_items()
    items[0]["cost"] = None
    data = summarize(items)
    assert data.cost_total is None and data.cost_per_text is None
    assert "unknown" in squash(parse(render_html(data)).texts["kpi-cost"])


def test_empty_batch_renders() -> None:
    data = summarize([])
    page = render_html(data)
    assert data.pass_rate is None
    assert "nothing flagged" in page


# --- the document --------------------------------------------------------------------------


def test_html_is_self_contained_and_escaped(tmp_path: Path) -> None:
    outdir = make_outdir(tmp_path / "out")
    target = tmp_path / "report.html"
    write_report(outdir=outdir, output=target)
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in page
    assert '"Noto Sans CJK SC"' in page and '"Microsoft YaHei"' in page
    # Nothing is fetched: no external scripts, styles, fonts or images.
    parsed = parse(page)
    for tag, attrs in parsed.tags:
        assert "src" not in attrs, tag
        if tag == "link":
            pytest.fail("a <link> element loads an external resource")
    assert "@import" not in page and "url(" not in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    # Untrusted copy text is escaped: exactly one <script> (ours), no injected markup.
    assert page.count("<script") == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>ever</b>" not in page and "&lt;b&gt;ever&lt;/b&gt;" in page
    # Print stylesheet.
    assert "@media print" in page


def test_marks_carry_rule_law_and_suggestion() -> None:
    page = render_html(summarize(build_items()))
    marks = [attrs for tag, attrs in parse(page).tags if tag == "mark"]
    by_rule = {m["data-rule"]: m for m in marks}
    assert set(by_rule) == {
        "zh.absolute.superlative",
        "zh.medical.treat",
        "facts.number",
        "zh.diversion.dm",
        "en.absolute.best",
        "zh.style.shout",
    }
    sup = by_rule["zh.absolute.superlative"]
    assert sup["data-law"] == "《广告法》第九条第三项"
    assert sup["data-suggestion"] == "改为“好用的”"
    assert sup["class"] == "sev-block"
    assert "zh.absolute.superlative" in (sup["title"] or "")
    assert by_rule["zh.diversion.dm"]["class"] == "sev-warn"
    # The mark wraps exactly the finding's text.
    assert 'data-category="absolute_term" title="zh.absolute.superlative' in page
    assert re.search(r"<mark [^>]*data-rule=\"zh.medical.treat\"[^>]*>治疗湿疹</mark>", page)


def test_overlapping_spans_do_not_nest() -> None:
    fields = {"body": "全网最低价格"}
    findings = [
        {
            "rule": "r.a",
            "category": "price_fraud",
            "severity": "block",
            "field": "body",
            "start": 0,
            "end": 5,
            "text": "全网最低价",
            "message": "",
            "law": "L1",
            "suggestion": "S1",
        },
        {
            "rule": "r.b",
            "category": "absolute_term",
            "severity": "warn",
            "field": "body",
            "start": 2,
            "end": 4,
            "text": "最低",
            "message": "",
            "law": "L2",
            "suggestion": "S2",
        },
    ]
    item = {**build_items()[1], "fields": fields, "findings": findings, "status": "blocked"}
    page = render_html(summarize([item]))
    body = re.search(r'<span class="fname">body</span><div class="ftext">(.*?)</div>', page)
    assert body is not None
    html_body = body.group(1)
    assert "<mark" in html_body and html_body.count("<mark") == 3
    assert not re.search(r"<mark[^>]*>[^<]*<mark", html_body)
    assert re.sub(r"<[^>]+>", "", html_body) == "全网最低价格"
    assert 'data-rule="r.a r.b"' in html_body


def test_readable_without_javascript() -> None:
    """Mail clients drop scripts: the numbers and items are plain HTML, filters hidden."""
    page = render_html(summarize(build_items()))
    without_js = re.sub(r"<script>.*?</script>", "", page, flags=re.S)
    parsed = parse(without_js)
    assert squash(parsed.texts["kpi-pass-rate"]).startswith("文案合格率 · Pass rate 14.3%")
    assert "7" in parsed.texts["kpi-total"]
    assert without_js.count('<article class="item"') == 5
    assert re.search(r'<div class="filters" id="filters" hidden>', without_js)


def test_report_cli(tmp_path: Path) -> None:
    outdir = make_outdir(tmp_path / "out")
    result = runner.invoke(app, ["report", str(outdir), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    assert "7 items" in result.output and "14.3%" in result.output
    assert (tmp_path / "r.html").is_file()
    # Default location: OUTDIR/report.html
    result = runner.invoke(app, ["report", str(outdir), "--title", "秋季上新 <批次>"])
    assert result.exit_code == 0, result.output
    page = (outdir / "report.html").read_text(encoding="utf-8")
    assert "<title>秋季上新 &lt;批次&gt;</title>" in page


def test_report_cli_bad_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "output folder not found" in result.output
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["report", str(tmp_path / "empty")])
    assert result.exit_code == 2
    assert "no results.jsonl" in result.output


def test_write_report_bad_record_is_input_error(tmp_path: Path) -> None:
    outdir = make_outdir(tmp_path / "out")
    with open(outdir / "results.jsonl", "a", encoding="utf-8") as handle:
        handle.write("not json\n")
        handle.write('{"id": "x", "status": "pass"}\n')
    with pytest.raises(InputError):
        write_report(outdir=outdir, output=tmp_path / "r.html")


# --- a real browser ------------------------------------------------------------------------


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail("chromium is required in CI (apt-get install chromium fonts-noto-cjk)")
    pytest.skip("chromium not installed")


def _run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    binary = _chromium()
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)


@pytest.fixture
def report_file(tmp_path: Path) -> Path:
    outdir = make_outdir(tmp_path / "out")
    target = tmp_path / "report.html"
    write_report(outdir=outdir, output=target)
    return target


@pytest.mark.slow
def test_browser_renders_numbers_after_js(tmp_path: Path, report_file: Path) -> None:
    done = _run_chromium(tmp_path, "--dump-dom", report_file.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = parse(done.stdout)
    assert squash(dom.texts["kpi-pass-rate"]).startswith("文案合格率 · Pass rate 14.3%")
    assert squash(dom.texts["kpi-total"]).startswith("文案总数 · Items 7")
    assert "0.0072" in dom.texts["kpi-cost"]
    assert "800 ms" in dom.texts["kpi-p50"] and "1.80 s" in dom.texts["kpi-p95"]
    # The script ran: the filter bar is shown and counts the items.
    filters = next(attrs for tag, attrs in dom.tags if attrs.get("id") == "filters")
    assert "hidden" not in filters
    assert squash(dom.texts["f-count"]) == "5 / 5"
    assert "最好" in dom.texts["items"]


@pytest.mark.slow
def test_browser_filters_from_address(tmp_path: Path, report_file: Path) -> None:
    done = _run_chromium(
        tmp_path, "--dump-dom", report_file.as_uri() + "#status=blocked&q=%E7%BB%BF%E8%8C%B6"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    dom = parse(done.stdout)
    assert squash(dom.texts["f-count"]) == "1 / 5"
    shown = [
        attrs.get("data-status")
        for tag, attrs in dom.tags
        if tag == "article" and "hidden" not in attrs
    ]
    assert shown == ["blocked"]


@pytest.mark.slow
def test_browser_screenshot(tmp_path: Path, report_file: Path) -> None:
    png = tmp_path / "shot.png"
    done = _run_chromium(
        tmp_path,
        f"--screenshot={png}",
        "--window-size=1280,2000",
        "--hide-scrollbars",
        report_file.as_uri(),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 2000)
    assert len(data) > 20_000  # a rendered page, not a blank one


# --- the audit log's state ---------------------------------------------------------------


def test_report_shows_audit_state(tmp_path: Path) -> None:
    from copygen.audit import AuditLog

    outdir = make_outdir(tmp_path / "out")
    target = tmp_path / "r.html"
    data = write_report(outdir=outdir, output=target)
    assert data.audit is None
    assert "Audit log: not found" in squash(parse(target.read_text("utf-8")).texts["audit"])
    with AuditLog.open(outdir / "audit.jsonl") as log:
        log.append("run_started", command="test")
        head = log.append("run_finished", outcome="completed")["hash"]
    data = write_report(outdir=outdir, output=target)
    assert data.audit is not None and data.audit["ok"] and data.audit["events"] == 2
    line = squash(parse(target.read_text("utf-8")).texts["audit"])
    assert "✓ verified · 2 events" in line and head[:16] in line
    # One changed character breaks the chain: the report says so, the command warns.
    raw = (outdir / "audit.jsonl").read_text("utf-8").replace('"test"', '"tost"')
    (outdir / "audit.jsonl").write_text(raw, encoding="utf-8")
    result = runner.invoke(app, ["report", str(outdir), "-o", str(target)])
    assert result.exit_code == 0
    assert "fails verification at line 1" in result.output
    line = squash(parse(target.read_text("utf-8")).texts["audit"])
    assert "✗ FAILED verification at line 1" in line
