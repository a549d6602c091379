"""copygen serve in a real browser: Debian's chromium, driven by Playwright.

The desk is the real server on a free loopback port; every test opens the page as
a reviewer would (the printed address with ``?token=``) and uses the keyboard and
the buttons. Skipped when chromium or playwright is missing, except in CI, where
they are installed and the tests must run.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from test_review_fixtures import make_outdir
from test_serve_api import (
    APPROVED,
    DETAIL,
    EN,
    HOSTILE_TITLE,
    SOCIAL,
    TEA,
    desk_items,
    results,
    reviewed,
    settings_for,
)

from copygen.audit import verify
from copygen.serve.bodies import decision_body
from copygen.serve.desk import Desk
from copygen.serve.server import RunningDesk, running

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("serve_demo", REPO / "docs" / "serve_demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI (see .ci/run)")
    pytest.skip(f"{what} not installed")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    binary = _demo().chromium()
    if binary is None:
        _missing("chromium (apt-get install chromium fonts-noto-cjk)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=binary)
        yield launched
        launched.close()


@dataclass
class Open:
    page: Any
    context: Any
    server: RunningDesk
    desk: Desk
    outdir: Path
    problems: list[str] = field(default_factory=list)
    api_requests: list[tuple[str, str | None]] = field(default_factory=list)


@pytest.fixture
def opened(tmp_path: Path, browser: Any) -> Iterator[Open]:
    outdir = make_outdir(tmp_path / "out", desk_items())
    desk = Desk.open(outdir, settings=settings_for(tmp_path), reviewer="desk-default")
    with running(desk) as server:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        state = Open(page=page, context=context, server=server, desk=desk, outdir=outdir)
        page.on("pageerror", lambda error: state.problems.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: (
                state.problems.append(f"console: {message.text}")
                if message.type == "error"
                else None
            ),
        )
        page.on(
            "request",
            lambda request: (
                state.api_requests.append((request.url, request.headers.get("authorization")))
                if "/api/" in request.url
                else None
            ),
        )
        yield state
        context.close()
    # No script error and no refusal by the page's own Content-Security-Policy (a
    # request answered 409 or cut off by a test is one the page handles and shows).
    handled = "console: Failed to load resource"
    assert [p for p in state.problems if not p.startswith(handled)] == []


def start(opened: Open, name: str = "王敏") -> Any:
    page = opened.page
    page.goto(opened.server.page)
    page.fill("#reviewer-input", name)
    page.press("#reviewer-input", "Enter")
    page.wait_for_selector("#current:not([hidden])")
    return page


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def expect_notice(page: Any, text: str) -> None:
    expect(page.locator("#notice")).to_contain_text(text)


def choose(page: Any, item_id: str) -> None:
    page.click(f'.q-item[data-id="{item_id}"]')
    page.wait_for_selector(f'#current[data-id="{item_id}"]')


def queue(page: Any) -> list[str]:
    return [
        str(x) for x in page.eval_on_selector_all(".q-item", "els => els.map(e => e.dataset.id)")
    ]


# --- the token and the reviewer ----------------------------------------------------------


def test_token_leaves_the_address_and_goes_in_the_header(opened: Open) -> None:
    page = start(opened)
    assert "token" not in page.url
    assert page.evaluate("sessionStorage.getItem('copygen.serve.token')") == opened.server.token
    assert page.evaluate("localStorage.getItem('copygen.serve.reviewer')") == "王敏"
    assert opened.context.cookies() == []
    assert opened.api_requests
    for url, authorization in opened.api_requests:
        assert "token=" not in url
        assert authorization == f"Bearer {opened.server.token}"
    # A reload keeps working (the tab keeps the token) and remembers the reviewer.
    page.reload()
    page.wait_for_selector("#current:not([hidden])")
    assert page.is_hidden("#reviewer-form")
    assert page.inner_text("#who-name") == "王敏"
    # Another tab without the link has no token: it asks for the printed address.
    other = opened.context.new_page()
    other.goto(opened.server.url)
    other.wait_for_selector("#login:not([hidden])")
    other.close()


# --- deciding ----------------------------------------------------------------------------


def test_approve_with_the_keyboard(opened: Open) -> None:
    page = start(opened)
    assert queue(page)[0] == SOCIAL
    assert page.get_attribute("#current", "data-id") == SOCIAL
    page.keyboard.press("a")
    expect_notice(page, f"approved: {SOCIAL}")
    expect(page.locator(f'.q-item[data-id="{SOCIAL}"]')).to_have_count(0)
    record = results(opened.outdir)[SOCIAL]
    assert record["status"] == "approved" and record["review"]["reviewer"] == "王敏"
    # The next item is shown, the counts follow (waited for: the page loads them after
    # the decision, later on a loaded machine).
    expect(page.locator("#current")).to_have_attribute("data-id", DETAIL)
    expect(page.locator('.chip[data-status="approved"] .chip-n')).to_have_text("2")
    assert verify(opened.outdir / "audit.jsonl").ok


def test_reject_needs_a_reason(opened: Open) -> None:
    page = start(opened)
    choose(page, TEA)
    page.keyboard.press("r")
    page.wait_for_selector("#i-ask:not([hidden])")
    assert "Reason for rejecting" in page.inner_text("#i-ask-label")
    page.press("#i-ask-input", "Enter")  # empty: nothing happens
    expect_notice(page, "Not rejected")
    assert reviewed(opened.outdir) == []
    page.keyboard.press("r")
    page.fill("#i-ask-input", "海拔数据无依据")
    page.press("#i-ask-input", "Enter")
    expect_notice(page, f"rejected: {TEA}")
    review = results(opened.outdir)[TEA]["review"]
    assert review["decision"] == "rejected" and review["reason"] == "海拔数据无依据"


def test_approving_a_blocked_item_asks_for_a_reason_and_is_forced(opened: Open) -> None:
    page = start(opened)
    page.keyboard.press("j")
    page.wait_for_selector(f'#current[data-id="{DETAIL}"]')
    page.keyboard.press("a")
    page.wait_for_selector("#i-ask:not([hidden])")
    assert "forced" in page.inner_text("#i-ask-label")
    page.keyboard.press("Escape")
    expect_notice(page, "Not approved")
    assert reviewed(opened.outdir) == []
    page.keyboard.press("a")
    page.fill("#i-ask-input", "法务已确认")
    page.click("#i-ask-ok")
    expect_notice(page, f"(forced): {DETAIL}")
    review = results(opened.outdir)[DETAIL]["review"]
    assert review["forced"] is True and review["reason"] == "法务已确认"


def test_edit_is_checked_as_you_type_before_deciding(opened: Open) -> None:
    page = start(opened)
    page.keyboard.press("e")
    page.wait_for_selector("#i-editor:not([hidden])")
    body = 'textarea[data-name="body"]'
    assert page.input_value(body).startswith("用了两周")
    page.fill(body, "这是最好用的精华，私信我。")
    # The new findings show before anything is decided.
    page.wait_for_selector('#i-recheck-status[data-status="blocked"]')
    mark = page.wait_for_selector('#i-preview mark[data-rule*="zh.absolute.superlative"]')
    assert mark.inner_text() == "最好用"
    assert "《广告法》" in (mark.get_attribute("title") or "")
    assert page.locator('#i-findings tr[data-rule="zh.absolute.superlative"]').count() == 1
    assert reviewed(opened.outdir) == [] and results(opened.outdir)[SOCIAL]["status"] == "review"
    # Cleaning it again is seen too.
    page.fill(body, "用了两周，皮肤水润多了。")
    page.wait_for_selector('#i-recheck-status[data-status="pass"]')
    page.fill(body, "这是最好用的精华。")
    page.wait_for_selector('#i-recheck-status[data-status="blocked"]')
    page.keyboard.press("Escape")  # leaves the text box, keeps the edit
    page.keyboard.press("a")
    page.wait_for_selector("#i-ask:not([hidden])")
    page.fill("#i-ask-input", "客户坚持")
    page.press("#i-ask-input", "Enter")
    expect_notice(page, "(forced), edited")
    record = results(opened.outdir)[SOCIAL]
    assert record["fields"]["body"] == "这是最好用的精华。"
    assert record["review"]["edited"] is True and record["review"]["forced"] is True


def test_an_edit_can_be_discarded(opened: Open) -> None:
    page = start(opened)
    page.keyboard.press("e")
    page.fill('textarea[data-name="title"]', "新标题")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.wait_for_selector("#i-editor", state="hidden")
    expect_notice(page, "discarded")
    assert page.inner_text('#i-fields .fld[data-field="title"] .ftext') == "干皮秋冬保湿精华"


def test_undo_takes_back_the_last_decision(opened: Open) -> None:
    page = start(opened)
    page.keyboard.press("a")
    expect_notice(page, f"approved: {SOCIAL}")
    page.wait_for_selector(f'#current[data-id="{DETAIL}"]')
    page.keyboard.press("u")
    expect_notice(page, f"Undid the decision on {SOCIAL}")
    page.wait_for_selector(f'#current[data-id="{SOCIAL}"]')
    assert SOCIAL in queue(page)
    assert results(opened.outdir)[SOCIAL]["status"] == "review"
    assert [e["decision"] for e in reviewed(opened.outdir)] == ["approved", "undone"]


# --- the queue ---------------------------------------------------------------------------


def test_filters_counts_and_moving(opened: Open) -> None:
    page = start(opened)
    assert len(queue(page)) == 5
    assert page.inner_text('.chip[data-status="blocked"] .chip-n') == "2"
    page.select_option("#f-platform", "social")
    expect(page.locator(".q-item")).to_have_count(4)
    page.select_option("#f-category", "absolute_term")
    expect(page.locator(".q-item")).to_have_count(2)
    assert "2 条" in page.inner_text("#f-count")
    page.select_option("#f-category", "")
    page.select_option("#f-platform", "")
    page.fill("#f-text", "绿茶")
    expect(page.locator(".q-item")).to_have_count(1)
    assert queue(page) == [TEA]
    page.fill("#f-text", "")
    expect(page.locator(".q-item")).to_have_count(5)
    page.select_option("#f-rule", "zh.medical.treat")
    expect(page.locator(".q-item")).to_have_count(1)
    assert queue(page) == [DETAIL]
    page.select_option("#f-rule", "")
    page.fill("#f-sku", "FD-001")
    expect(page.locator(".q-item")).to_have_count(1)
    page.fill("#f-sku", "")
    page.select_option("#f-status", "approved")
    page.wait_for_selector(f'#current[data-id="{APPROVED}"]')
    assert "alice" in page.inner_text("#i-previous")
    page.click('.chip[data-status="blocked"]')
    expect(page.locator(".q-item")).to_have_count(2)
    page.keyboard.press("j")
    page.wait_for_selector(f'#current[data-id="{TEA}"]')
    page.keyboard.press("k")
    page.wait_for_selector(f'#current[data-id="{DETAIL}"]')
    # Product facts and the other variants of the row are shown with the item.
    assert "水润保湿精华液 30ml" in page.inner_text("#i-facts")
    assert page.locator("#i-siblings .sibling").count() == 2


def test_other_reviewers_decisions_show_without_a_reload(opened: Open) -> None:
    page = start(opened)
    page.wait_for_selector(f'.q-item[data-id="{EN}"]')
    opened.desk.decide(EN, decision_body({"decision": "approve", "reviewer": "bob"}))
    expect(page.locator('.chip[data-status="approved"] .chip-n')).to_have_text("2", timeout=8000)
    expect(page.locator(f'.q-item[data-id="{EN}"]')).to_have_count(0)


def test_a_conflict_is_explained(opened: Open) -> None:
    page = start(opened)
    page.route("**/api/state", lambda route: route.abort())  # no refresh behind our back
    assert page.get_attribute("#current", "data-id") == SOCIAL
    opened.desk.decide(SOCIAL, decision_body({"decision": "approve", "reviewer": "bob"}))
    page.keyboard.press("r")
    page.fill("#i-ask-input", "太晚了")
    page.press("#i-ask-input", "Enter")
    expect_notice(page, "approved by bob")
    assert "Conflict" in page.inner_text("#notice")
    assert results(opened.outdir)[SOCIAL]["review"]["reviewer"] == "bob"
    assert len(reviewed(opened.outdir)) == 1
    expect(page.locator(f'.q-item[data-id="{SOCIAL}"]')).to_have_count(0)


# --- markup in the data ------------------------------------------------------------------


def test_markup_in_product_data_and_copy_is_shown_as_text(opened: Open) -> None:
    page = start(opened)
    choose(page, EN)
    page.wait_for_timeout(300)  # time for an injected element's onerror, were there one
    assert page.evaluate("window.__xss") is None
    injected = "#desk img, #desk script, #desk b, #desk iframe, #desk [onerror]"
    assert page.locator(injected).count() == 0
    assert page.inner_text("#i-title") == HOSTILE_TITLE
    assert "<script>alert(1)</script>" in page.inner_text("#i-fields")
    assert "<b>ever</b>" in page.inner_text("#i-fields")
    assert "<b>Sonora</b>" in page.inner_text("#i-facts")
    assert HOSTILE_TITLE in page.inner_text(".q-item.active")


# --- export and report -------------------------------------------------------------------


def test_export_and_report_are_one_click_away(opened: Open) -> None:
    from openpyxl import load_workbook

    page = start(opened)
    with page.expect_download() as info:
        page.click("#export")
    download = info.value
    assert download.suggested_filename.startswith("copygen-export-")
    assert download.suggested_filename.endswith(".xlsx")
    saved = opened.outdir.parent / download.suggested_filename
    download.save_as(saved)
    rows = list(load_workbook(saved).active.iter_rows(values_only=True))
    header = list(rows[0])
    assert sorted(r[header.index("id")] for r in rows[1:]) == sorted(
        ["BT-001:livestream:zh:v1", APPROVED]
    )
    expect_notice(page, "Exported 2 items")
    page.select_option("#export-format", "jsonl")
    with page.expect_download() as info:
        page.click("#export")
    lines = Path(info.value.path()).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["aigc"]["generated"] is True
    with page.expect_download() as info:
        page.click("#report")
    assert info.value.suggested_filename == "report.html"
    assert Path(info.value.path()).read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    expect_notice(page, "pass rate")
    assert verify(opened.outdir / "audit.jsonl").ok


# --- the picture -------------------------------------------------------------------------


def test_screenshot_of_the_desk(tmp_path: Path, browser: Any) -> None:
    outdir = make_outdir(tmp_path / "out", desk_items())
    png = tmp_path / "desk.png"
    _demo().screenshot(outdir, png, item=DETAIL, browser=browser)
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")) == (1280, 860)
    assert 20_000 < len(data) < 300_000
    shipped = REPO / "docs" / "serve.png"
    assert shipped.is_file() and shipped.stat().st_size < 300_000
