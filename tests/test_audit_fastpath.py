"""The audit log's fast paths write exactly what the straightforward code wrote:
one serialisation per event, gated secret patterns, remembered masks."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copygen.audit import AuditLog, read_events, verify
from copygen.audit.chain import canonical_json, event_hash, sealed_line
from copygen.audit.scrub import _BEARER_GATE, _VALUE_GATES, _VALUE_PATTERNS, Scrubber

_KEYS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_AZ0hash", min_size=1, max_size=8)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_KEYS.filter(lambda k: k != "hash"), _VALUES, max_size=8))
def test_sealed_line_is_the_canonical_json_with_its_hash(record: dict[str, Any]) -> None:
    digest, line = sealed_line(record)
    assert digest == event_hash(record)
    assert line == (canonical_json({**record, "hash": digest}) + "\n").encode("utf-8")


def test_sealed_line_refuses_an_event_with_a_hash() -> None:
    with pytest.raises(ValueError):
        sealed_line({"hash": "x"})


def test_written_lines_are_canonical_and_verify(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    with AuditLog.open(path) as log:
        written = [
            log.append("generated", item="a:1", messages=[{"role": "user", "content": "你好"}]),
            log.append("checked", item="a:1", findings=[], fields={"z": 1, "a": [1, 2]}),
        ]
    lines = path.read_text(encoding="utf-8").splitlines()
    for line, event in zip(lines, written, strict=True):
        assert line == canonical_json(event)
        assert event["hash"] == event_hash(event)
    assert verify(path).ok
    assert read_events(path) == written


def _ignorecase_equivalents(letter: str) -> set[str]:
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    return set(re.findall(letter, every, re.IGNORECASE))


def test_bearer_gate_covers_every_ignorecase_spelling() -> None:
    # The gate spells out by hand what IGNORECASE accepts for each letter; the
    # regex engine is the authority.
    for letter in "bearsic":
        for char in _ignorecase_equivalents(letter):
            word_b = "bearer".replace(letter, char) if letter in "bear" else None
            word_s = "basic".replace(letter, char) if letter in "basic" else None
            for word in (word_b, word_s):
                if word is not None:
                    assert _BEARER_GATE.search(f"x {word} abcdefgh") is not None, (letter, char)


_SECRETISH = st.lists(
    st.sampled_from(
        [
            "Bearer ",
            "BEARER\t",
            "baſic ",
            "Basıc ",
            "bearer",
            "sk-",
            "SK-",
            "abcdefghijklmnop",
            "0123456789",
            " ",
            "令牌",
            "x",
            "-",
        ]
    ),
    max_size=12,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_SECRETISH, st.text(max_size=40)))
def test_gated_value_patterns_change_nothing(text: str) -> None:
    expected = text
    for pattern, replacement in _VALUE_PATTERNS:
        expected = pattern.sub(replacement, expected)
    assert Scrubber().text(text) == expected
    for gate, (pattern, _) in zip(_VALUE_GATES, _VALUE_PATTERNS, strict=True):
        if pattern.search(text) is not None:
            assert gate(text)


def test_remembered_masks_are_the_masks() -> None:
    calls: list[str] = []

    def mask(text: str) -> str:
        calls.append(text)
        return text.replace("13812345678", "[手机号]")

    scrubber = Scrubber(mask=mask)
    messages = [{"role": "system", "content": "联系 13812345678"}]
    for _ in range(3):
        out = scrubber({"messages": messages})
        assert out["messages"][0]["content"] == "联系 [手机号]"
    assert calls == ["联系 13812345678"]
    # The memory is bounded: many different prompts still mask correctly.
    for n in range(200):
        text = f"第{n}条 13812345678"
        assert scrubber.mask(text) == f"第{n}条 [手机号]"
    assert len(scrubber._mask_memo) <= 64


def test_log_masks_every_prompt_even_when_repeated(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    prompt = "客服电话 138-1234-5678，邮箱 a.b@example.com"
    with AuditLog.open(path) as log:
        for n in range(3):
            log.append("generated", item=f"a:{n}", messages=[{"role": "user", "content": prompt}])
    raw = path.read_text(encoding="utf-8")
    assert "138-1234-5678" not in raw and "a.b@example.com" not in raw
    assert [json.loads(line)["messages"][0]["content"] for line in raw.splitlines()] == [
        "客服电话 [手机号]，邮箱 [邮箱]"
    ] * 3
