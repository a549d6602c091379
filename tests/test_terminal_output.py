"""Hostile text on a reviewer's terminal: shown, never obeyed.

A product row, a model reply, a decisions file or an edited audit log can carry
terminal escape sequences (clear screen, OSC 8 hyperlinks, colours), C1 controls,
bell, backspace, carriage returns and bidi overrides. Every human-readable output
that prints such data (``check --format text``, interactive ``review``, ``review
--list`` and scripted review, ``audit show``, ``audit stats``) shows each of them as
an escape (``copygen.terminal``); rich markup in the data stays literal; JSON output
stays exact.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from test_review_fixtures import PRODUCTS, finding, item, make_outdir
from typer.testing import CliRunner

from copygen.audit import AuditLog
from copygen.cli.main import app
from copygen.terminal import LAYOUT, visible, visible_text

runner = CliRunner()

CLEAR = "\x1b[2J\x1b[H"  # clear the screen, cursor home
LINK = "\x1b]8;;http://evil.example\x1b\\点我\x1b]8;;\x1b\\"  # OSC 8 hyperlink
BIDI = "\u202egnp.exe\u202c"
ISOLATE = "\u2066隔离\u2069"
MARKUP = "[bold red]通过[/]"

#: each hostile piece and how it must look on screen
SHOWN = {
    CLEAR: "\\x1b[2J\\x1b[H",
    LINK: "\\x1b]8;;http://evil.example\\x1b\\点我\\x1b]8;;\\x1b\\",
    BIDI: "\\u202egnp.exe\\u202c",
    ISOLATE: "\\u2066隔离\\u2069",
    "\r": "\\r",
    "\x07": "\\x07",
    "\x08": "\\x08",
    "\x85": "\\x85",
    "\x9b": "\\x9b",  # C1 CSI: a one-byte escape sequence on some terminals
}

_JOINERS = "\u200c\u200d"


def _invoke(args: list[str], **kwargs: Any) -> Any:
    # color=True: click must not strip what it takes for styles; the test sees what a
    # terminal would get.
    return runner.invoke(app, args, color=True, **kwargs)


def _controls(text: str, allowed: str = "\n") -> list[str]:
    """Characters in ``text`` a terminal would obey rather than draw."""
    return sorted(
        {
            c
            for c in text
            if c not in allowed
            and c not in _JOINERS
            and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs")
        }
    )


@pytest.fixture(autouse=True)
def _plain_wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    # A fixed width keeps table cells on one line; no colour, so any ESC in the output
    # came from the data.
    monkeypatch.setenv("COLUMNS", "250")
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)


# --- the helper -----------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "shown"), list(SHOWN.items()))
def test_visible_shows_each_control(raw: str, shown: str) -> None:
    assert visible(f"a{raw}b") == f"a{shown}b"


def test_visible_keeps_layout_only_when_asked() -> None:
    assert visible("a\nb\tc") == "a\\nb\\tc"
    assert visible("a\nb\tc\r", keep=LAYOUT) == "a\nb\tc\\r"
    plain = "普通文案 plain, 3<5 [b]"
    assert visible(plain) is plain


def test_visible_leaves_emoji_and_scripts_alone() -> None:
    for text in ("👨\u200d👩\u200d👧", "क्षत्रिय", "Tiếng Việt", "e\u0301", "🇨🇳", "❤️"):
        assert visible(text) == text


def test_visible_shows_lone_surrogates_and_stacked_marks() -> None:
    assert visible("a\udcff") == "a\\udcff"
    zalgo = "Z\u0301\u0302\u0303\u0304"
    assert visible(zalgo) == "Z\\u0301\\u0302\\u0303\\u0304"


def test_every_control_and_format_character_is_shown() -> None:
    """The hard-coded ranges cover what unicodedata calls control, format or separator."""
    missed = [
        hex(cp)
        for cp in range(0x110000)
        if unicodedata.category(chr(cp)) in ("Cc", "Cf", "Zl", "Zp", "Cs")
        and chr(cp) not in _JOINERS
        and visible(chr(cp)) == chr(cp)
    ]
    assert not missed


def test_visible_text_moves_spans_with_the_escapes() -> None:
    text = f"{CLEAR}最好{LINK}最好"
    second = text.rindex("最好")
    out = visible_text(
        text, spans=[(len(CLEAR), len(CLEAR) + 2, "bold"), (second, second + 2, "red")]
    )
    styled = [(out.plain[s.start : s.end], str(s.style)) for s in out.spans]
    assert styled == [("最好", "bold"), ("最好", "red")]
    assert "\x1b" not in out.plain
    # Spans outside the text are ignored, not an error.
    assert visible_text("ab", spans=[(1, 9, "bold")]).spans == []


# --- copygen check --format text ------------------------------------------------------


HOSTILE_COPY = f"{CLEAR}最好的面霜{LINK}\r已通过审核\x07\x08{BIDI}{ISOLATE}\x85\x9b {MARKUP}"


def test_check_text_output_shows_controls() -> None:
    result = _invoke(["check", HOSTILE_COPY, "--lang", "zh", "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert _controls(out) == []
    for shown in SHOWN.values():
        assert shown in out
    assert MARKUP in out  # printed as text, not applied as a style
    assert "zh.absolute.superlative" in out


def test_check_text_output_in_colour_highlights_the_right_span(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    text = f"{CLEAR}最\u200b好的面霜{LINK}"
    result = _invoke(["check", text, "--lang", "zh", "--fail-on", "never"])
    out = result.output
    # rich's own styles are there; the data's sequences are not.
    assert "\x1b[1m" in out
    assert "\x1b[2J" not in out and "\x1b]8;" not in out and "\u200b" not in out
    # The finding (最 + zero-width space + 好) is highlighted exactly, escapes and all.
    assert re.search(r"\\x1b\[H\x1b\[[0-9;]+m最\\u200b好\x1b\[0m的面霜", out), repr(out)


def test_check_json_output_stays_exact() -> None:
    text = "最\u200b好的面霜\x85"
    result = _invoke(["check", text, "--lang", "zh", "--format", "json", "--fail-on", "never"])
    document = json.loads(result.output)
    hit = document["items"][0]["findings"][0]
    assert hit["text"] == "最\u200b好"  # the original characters, not their escapes
    assert "\\u200b" not in hit["text"]


# --- copygen review -------------------------------------------------------------------


HOSTILE_ID = f"BT-001{CLEAR}\n:social:zh:v1"


def _hostile_outdir(path: Path) -> Path:
    fields = {
        "title": f"{CLEAR}最好用的面霜{LINK}",
        "body": f"正文\r伪造的通过\x07\x08{ISOLATE}\x85尾",
        "hashtags": [MARKUP, f"好物{BIDI}"],
    }
    record = item(
        "BT-001",
        "social",
        fields,
        [
            finding(
                fields,
                "title",
                "最好",
                rule="zh.absolute.superlative",
                category="absolute_term",
                severity="block",
            )
        ],
    )
    record["id"] = HOSTILE_ID
    record["findings"][0]["suggestion"] = f"改写{CLEAR}"
    record["product"] = {
        **PRODUCTS["BT-001"],
        "title": f"精华液{CLEAR}\x9b",
        "brand": f"澜朵{BIDI}",
        "selling_points": ["[link=http://evil.example]点我[/link]", f"清爽\r{MARKUP}"],
    }
    return make_outdir(path, [record])


def test_interactive_review_shows_controls(tmp_path: Path) -> None:
    outdir = _hostile_outdir(tmp_path / "out")
    result = _invoke(["review", str(outdir), "--reviewer", "ivy"], input="x\nq\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert _controls(out) == []
    for shown in SHOWN.values():
        assert shown in out, shown
    assert MARKUP in out and "[link=http://evil.example]点我[/link]" in out
    assert visible(HOSTILE_ID) in out  # the rule line, title of the item
    assert "改写\\x1b[2J" in out  # the findings table
    assert "澜朵\\u202egnp.exe\\u202c" in out  # product facts


def test_review_list_keeps_one_line_per_item(tmp_path: Path) -> None:
    outdir = _hostile_outdir(tmp_path / "out")
    result = _invoke(["review", str(outdir), "--list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 1
    assert lines[0].split("\t") == [visible(HOSTILE_ID), "blocked", "zh.absolute.superlative"]
    assert _controls(result.output, allowed="\n\t") == []


def test_scripted_review_and_audit_show(tmp_path: Path) -> None:
    outdir = _hostile_outdir(tmp_path / "out")
    reason = f"证据已归档{CLEAR}\r\n0000  fake  event  line{LINK}"
    reviewer = f"mallory{BIDI}"
    result = _invoke(
        [
            "review",
            str(outdir),
            "--decide",
            f"{HOSTILE_ID}=reject",
            "--reason",
            reason,
            "--reviewer",
            reviewer,
        ]
    )
    assert result.exit_code == 0, result.output
    assert _controls(result.output) == []
    assert f"rejected: {visible(HOSTILE_ID)}" in result.output
    assert visible(reviewer) in result.output

    log = outdir / "audit.jsonl"
    raw = _invoke(["audit", "show", str(log), "--format", "jsonl"])
    events = [json.loads(line) for line in raw.output.splitlines()]
    reviewed = next(e for e in events if e["event"] == "reviewed")
    assert "\x1b" in reviewed["reason"] + reviewed["item"]  # what the log holds (JSONL: exact)

    shown = _invoke(["audit", "show", str(log)])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert len(lines) == len(events)  # no forged line
    assert _controls(shown.output) == []
    line = next(x for x in lines if " reviewed " in x)
    assert visible(reviewed["item"]) in line and visible(reviewed["reason"]) in line
    assert visible(reviewed["reviewer"]) in line


def test_audit_stats_shows_controls(tmp_path: Path) -> None:
    log_path = tmp_path / "audit.jsonl"
    with AuditLog.open(log_path) as log:
        log.append(
            "generated",
            item="X:social:zh:v1",
            backend="openai",
            model=f"evil{LINK}",
            usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        )
        log.append(
            "checked",
            item="X:social:zh:v1",
            attempt=1,
            status="blocked",
            findings=[{"category": f"format{CLEAR}", "severity": "block"}],
        )
    result = _invoke(["audit", "stats", str(log_path)])
    assert result.exit_code == 0, result.output
    assert _controls(result.output) == []
    assert f"openai/evil{SHOWN[LINK]}" in result.output
    assert f"format{SHOWN[CLEAR]}" in result.output
    as_json = _invoke(["audit", "stats", str(log_path), "--json"])
    assert json.loads(as_json.output)["models"] == {f"openai/evil{LINK}": 1}
