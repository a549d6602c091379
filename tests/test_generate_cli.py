"""``copygen generate`` on the command line: the offline backend end to end, exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from copygen.audit import read_events, verify
from copygen.cli.main import app
from copygen.errors import ExitCode
from copygen.testing.fake_openai import FakeOpenAIServer, sample_fields

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "products.csv"

WARN_PACK = """
pack: test.tone
rules:
  - id: test.tone.hype
    category: absolute_term
    severity: warn
    law: 《广告法》第九条
    message: {zh: 夸张用语, en: hype}
    terms: [爆款神器]
    examples:
      match: ["爆款神器来了", "这是爆款神器"]
      no_match: ["好用", "实用"]
"""


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(app, ["generate", *args], env=env)


def records(outdir: Path) -> list[dict[str, Any]]:
    lines = (outdir / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def offline_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """One offline run over the examples, shared by the tests that only read it."""
    outdir = tmp_path_factory.mktemp("offline") / "out"
    result = invoke(str(EXAMPLES), "-o", str(outdir), "--xlsx")
    return outdir, result


def test_offline_examples_every_item_passes(offline_run: tuple[Path, Any]) -> None:
    outdir, result = offline_run
    assert result.exit_code == 0, result.output
    items = records(outdir)
    assert len(items) == 45  # 15 products x 3 platforms
    assert len({r["id"] for r in items}) == 45
    failing = [(r["id"], r["findings"]) for r in items if r["status"] != "pass"]
    assert failing == []
    for name in ("results.jsonl", "results.csv", "results.xlsx", "audit.jsonl", "run.json"):
        assert (outdir / name).is_file(), name
    assert verify(outdir / "audit.jsonl").ok
    assert all(r["backend"] == "offline" and r["cost"] == 0.0 for r in items)
    assert all(r["aigc"]["generated"] and r["aigc"]["content_id"] for r in items)
    # The summary: counts, pass rate, cost, and the audit head that verify prints too.
    assert "pass rate (文案合格率): 100.0%" in result.output
    assert "items: 45 of 45" in result.output
    head = verify(outdir / "audit.jsonl").head
    assert head in result.output


def test_offline_csv_is_excel_ready(offline_run: tuple[Path, Any]) -> None:
    outdir, _ = offline_run
    raw = (outdir / "results.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 45
    social = [r for r in rows if r["platform"] == "social"]
    # The visible AI label is on by default for social posts.
    assert all(
        r["body"].rstrip().endswith(("本内容由AI辅助生成", "AI-generated content")) for r in social
    )
    assert all(r["status"] == "pass" for r in rows)
    assert not any(value.startswith(("=", "+", "@")) for r in rows for value in r.values())


def test_offline_audit_events(offline_run: tuple[Path, Any]) -> None:
    outdir, _ = offline_run
    events = read_events(outdir / "audit.jsonl")
    assert events[0]["event"] == "run_started" and events[-1]["event"] == "run_finished"
    assert events[-1]["outcome"] == "completed"
    assert events[-1]["counts"]["total"] == 45
    generated = [e for e in events if e["event"] == "generated"]
    checked = [e for e in events if e["event"] == "checked"]
    assert len(generated) >= 45 and len(checked) == len(generated)
    first = generated[0]
    for key in ("item", "template", "template_hash", "messages", "backend", "params", "response"):
        assert first[key], key
    assert first["messages"][0]["role"] == "system"


def test_second_run_resumes_and_does_nothing(offline_run: tuple[Path, Any]) -> None:
    outdir, _ = offline_run
    before = (outdir / "results.jsonl").read_bytes()
    events_before = len(read_events(outdir / "audit.jsonl"))
    result = invoke(str(EXAMPLES), "-o", str(outdir), "--xlsx")
    assert result.exit_code == 0, result.output
    assert "new / resumed: 0 / 45" in result.output
    assert (outdir / "results.jsonl").read_bytes() == before
    events = read_events(outdir / "audit.jsonl")
    assert [e["event"] for e in events[events_before:]] == ["run_started", "run_finished"]
    assert verify(outdir / "audit.jsonl").ok


def test_offline_is_deterministic_and_seeded(tmp_path: Path) -> None:
    args = ["--platforms", "social", "--variants", "2", "--seed", "7", "-q"]
    one, two, other = tmp_path / "one", tmp_path / "two", tmp_path / "other"
    assert invoke(str(EXAMPLES), "-o", str(one), *args).exit_code == 0
    assert invoke(str(EXAMPLES), "-o", str(two), *args).exit_code == 0

    # By id: records are appended as items complete, in an order a busy machine changes.
    def texts(folder: Path) -> dict[str, Any]:
        return {r["id"]: r["fields"] for r in records(folder)}

    by_id = texts(one)
    assert len(by_id) == 30 and by_id == texts(two)
    # Variants differ from each other.
    assert by_id["BT-001:social:zh:v1"] != by_id["BT-001:social:zh:v2"]
    other_seed = ["--platforms", "social", "--variants", "2", "--seed", "8", "-q"]
    assert invoke(str(EXAMPLES), "-o", str(other), *other_seed).exit_code == 0
    assert by_id != texts(other)


def test_other_settings_into_a_used_folder_exit_2_unless_force(tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    assert invoke(str(EXAMPLES), "-o", str(outdir), "-p", "detail", "-q").exit_code == 0
    refused = invoke(str(EXAMPLES), "-o", str(outdir), "-p", "social", "-q")
    assert refused.exit_code == ExitCode.USAGE
    assert "output folder already used" in refused.output and "--force" in refused.output
    assert "Traceback" not in refused.output
    forced = invoke(str(EXAMPLES), "-o", str(outdir), "-p", "social", "-q", "--force")
    assert forced.exit_code == 0, forced.output
    assert {r["platform"] for r in records(outdir)} == {"social"}
    assert len(list(outdir.glob("results.superseded-*.jsonl"))) == 1
    assert verify(outdir / "audit.jsonl").ok  # one log across both batches


def test_shared_audit_log(tmp_path: Path) -> None:
    shared = tmp_path / "logs" / "audit.jsonl"
    for name in ("a", "b"):
        result = invoke(
            str(EXAMPLES), "-o", str(tmp_path / name), "-p", "detail", "-q", "--audit", str(shared)
        )
        assert result.exit_code == 0, result.output
        assert not (tmp_path / name / "audit.jsonl").exists()
    report = verify(shared)
    assert report.ok and report.runs == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv"], "missing.csv"),
        (["--platforms", "tiktok"], "unknown platform"),
        (["--fail-on", "sometimes"], "expected one of block, warn"),
        (["--backend", "nonesuch"], "unknown backend"),
    ],
)
def test_bad_input_and_options_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    if args[0].endswith(".csv"):
        argv = [str(tmp_path / args[0]), "-o", str(tmp_path / "out")]
    else:
        argv = [str(EXAMPLES), "-o", str(tmp_path / "out"), *args]
    result = invoke(*argv)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_column_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,price\nA-1,10\n", encoding="utf-8")
    result = invoke(str(bad), "-o", str(tmp_path / "out"))
    assert result.exit_code == ExitCode.USAGE
    assert "bad.csv" in result.output and "title" in result.output
    assert not (tmp_path / "out" / "results.jsonl").exists()


def test_plain_progress_lines_when_not_a_terminal(tmp_path: Path) -> None:
    result = invoke(str(EXAMPLES), "-o", str(tmp_path / "out"), "-p", "social")
    assert result.exit_code == 0
    assert "copygen: 15/15 items" in result.output
    assert "pass 15 · flagged 0 · error 0" in result.output


def test_fail_on_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text(WARN_PACK, encoding="utf-8")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-key-for-cli-tests-000")

    def responder(body: dict[str, Any]) -> str:
        fields = sample_fields("social", "zh")
        fields["body"] = "爆款神器，" + fields["body"]
        return json.dumps(fields, ensure_ascii=False)

    products = tmp_path / "p.csv"
    products.write_text("sku,title\nA-1,面霜\nB-2,吐司\n", encoding="utf-8")
    with FakeOpenAIServer(responder=responder) as server:
        common = [
            str(products),
            "--backend",
            "openai",
            "--model",
            "fake-model",
            "--base-url",
            server.url,
            "-p",
            "social",
            "--max-repairs",
            "0",
            "--rules",
            str(pack),
            "-q",
        ]
        flagged = invoke(*common, "-o", str(tmp_path / "a"))
        assert flagged.exit_code == 0, flagged.output  # generate's default: never fail
        assert "needs review: 2" in flagged.output
        failing = invoke(*common, "-o", str(tmp_path / "b"), "--fail-on", "warn")
        assert failing.exit_code == ExitCode.FINDINGS, failing.output
        blocked_only = invoke(*common, "-o", str(tmp_path / "c"), "--fail-on", "block")
        assert blocked_only.exit_code == 0
