"""``copygen compare`` end to end against two local OpenAI-protocol servers that behave
differently: the numbers in compare.json must be what the servers did."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from copygen.cli.main import app
from copygen.testing.fake_openai import FakeOpenAIServer, default_responder, sample_fields

REPO = Path(__file__).resolve().parents[1]
PRODUCTS = REPO / "examples" / "products.csv"
SAMPLE = 6
PRICES = {"sloppy-1": (1.0, 2.0), "careful-1": (3.0, 6.0)}  # USD per million in / out


def sloppy(request: dict[str, Any]) -> str:
    """A first draft with a typical slip (an unverifiable price claim); a repair is clean."""
    if any(m.get("role") == "assistant" for m in request["messages"]):
        return default_responder(request)
    fields = sample_fields("social", "zh")
    fields["body"] = "全网最低价，错过再等一年！" + fields["body"]
    return json.dumps(fields, ensure_ascii=False)


@pytest.fixture
def servers() -> Iterator[dict[str, FakeOpenAIServer]]:
    with (
        FakeOpenAIServer(responder=sloppy, model="sloppy-1") as fast,
        FakeOpenAIServer(latency=0.06, model="careful-1") as slow,
    ):
        yield {"sloppy": fast, "careful": slow}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, servers: dict[str, Any]) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("COPYGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("COPYGEN_MAX_RETRIES", "1")
    lines = ["backends:"]
    for name, server in servers.items():
        lines += [
            f"  {name}:",
            "    type: openai",
            f"    base_url: {server.url}",
            f"    model: {name}-1",
            "    concurrency: 4",
        ]
    lines.append("prices:")
    for model, (price_in, price_out) in PRICES.items():
        lines.append(f"  {model}: {{input: {price_in}, output: {price_out}, currency: USD}}")
    (tmp_path / "copygen.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


def run(*args: str) -> Any:
    return CliRunner().invoke(app, ["compare", *args])


def compare_args(*extra: str) -> list[str]:
    return [
        str(PRODUCTS),
        "--backends",
        "sloppy,careful",
        "-o",
        "out",
        "--sample",
        str(SAMPLE),
        "--platforms",
        "social",
        "--seed",
        "1",
        *extra,
    ]


def test_compare_reports_what_the_servers_did(
    workdir: Path, servers: dict[str, FakeOpenAIServer]
) -> None:
    result = run(*compare_args())
    assert result.exit_code == 0, result.output
    doc = json.loads((workdir / "out" / "compare.json").read_text(encoding="utf-8"))
    by_name = {b["name"]: b for b in doc["backends"]}
    assert list(by_name) == ["sloppy", "careful"]
    for name, server in servers.items():
        b = by_name[name]
        assert b["model"] == f"{name}-1"
        assert b["items"] == SAMPLE
        tokens_in, tokens_out = server.usage_served
        assert (b["tokens_in"], b["tokens_out"]) == (tokens_in, tokens_out)
        price_in, price_out = PRICES[f"{name}-1"]
        cost = (tokens_in * price_in + tokens_out * price_out) / 1e6
        assert b["cost_total"] == pytest.approx(cost)
        assert b["cost_per_text"] == pytest.approx(cost / SAMPLE)
        assert b["cost_per_publishable"] == pytest.approx(cost / SAMPLE)  # all pass in the end
        assert b["pass_final"] == 1.0 and b["errors"] == 0.0
    # The sloppy server's every first draft was flagged and repaired: two calls an item.
    assert len(servers["sloppy"].chat_requests) == 2 * SAMPLE
    assert len(servers["careful"].chat_requests) == SAMPLE
    assert by_name["sloppy"]["pass_first"] == 0.0
    assert by_name["sloppy"]["repairs_per_item"] == 1.0
    assert by_name["careful"]["pass_first"] == 1.0
    assert by_name["careful"]["repairs_per_item"] == 0.0
    assert by_name["careful"]["latency_p50_ms"] >= 60
    lo, hi = by_name["careful"]["pass_first_ci"]
    assert 0.5 < lo < 0.7 and hi == pytest.approx(1.0)  # Wilson, 6 of 6
    [pair] = doc["differences"]
    assert pair["within_noise"] is True  # 6/6 vs 6/6 final
    assert doc["sample"] == SAMPLE and doc["seed"] == 1
    # The same rows for both: the sample file, and the same SKUs in both folders.
    skus = {
        name: sorted(
            json.loads(line)["sku"]
            for line in (workdir / "out" / name / "results.jsonl").read_text().splitlines()
        )
        for name in servers
    }
    assert skus["sloppy"] == skus["careful"] and len(set(skus["sloppy"])) == SAMPLE
    csv_text = (workdir / "out" / "compare.csv").read_text(encoding="utf-8-sig")
    assert csv_text.splitlines()[0].startswith("name,model,items,pass_first,pass_final")
    assert len(csv_text.splitlines()) == 3
    page = (workdir / "out" / "compare.html").read_text(encoding="utf-8")
    assert "sloppy-1" in page and "careful-1" in page
    assert page.count("<mark") == 0  # the kept drafts are the clean ones
    assert "sloppy" in result.output and "careful" in result.output


def test_compare_resumes_without_paying_twice(
    workdir: Path, servers: dict[str, FakeOpenAIServer]
) -> None:
    assert run(*compare_args()).exit_code == 0
    sent = {name: len(s.chat_requests) for name, s in servers.items()}
    again = run(*compare_args())
    assert again.exit_code == 0, again.output
    assert {name: len(s.chat_requests) for name, s in servers.items()} == sent


def test_first_draft_difference_is_not_noise(workdir: Path) -> None:
    assert run(*compare_args()).exit_code == 0
    doc = json.loads((workdir / "out" / "compare.json").read_text(encoding="utf-8"))
    [pair] = doc["differences"]
    assert pair["pass_first_within_noise"] is False  # 0/6 vs 6/6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--backends", "sloppy,nosuch", "-o", "out"], "nosuch"),
        (["--backends", "sloppy"], "-o OUTDIR"),
        (["--backends", "../x", "-o", "out"], "folder"),
    ],
)
def test_compare_usage_errors(workdir: Path, args: list[str], message: str) -> None:
    result = run(str(PRODUCTS), *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_blind_sheet_and_ratings_round_trip(workdir: Path) -> None:
    """Raters score a shuffled sheet without backend names; the scores come back per
    backend into compare.json and the page."""
    import openpyxl

    assert run(*compare_args()).exit_code == 0
    written = run("out", "--blind-sheet", "rate.xlsx", "--seed", "3")
    assert written.exit_code == 0, written.output
    key = json.loads((workdir / "out" / "blind_key.json").read_text(encoding="utf-8"))
    backend_of = {code: entry["backend"] for code, entry in key["texts"].items()}
    book = openpyxl.load_workbook(workdir / "rate.xlsx")
    sheet = book.worksheets[0]
    header = [str(c.value) for c in sheet[1]]
    code_col = next(i for i, h in enumerate(header) if h.startswith("code"))
    score_col = next(i for i, h in enumerate(header) if h.startswith("score"))
    mark_col = next(i for i, h in enumerate(header) if h.startswith("preferred"))
    cells = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    assert "sloppy" not in cells and "careful" not in cells
    for row in sheet.iter_rows(min_row=2):
        code = row[code_col].value
        if code is None:
            continue
        careful = backend_of[str(code)] == "careful"
        row[score_col].value = 5 if careful else 3
        row[mark_col].value = "x" if careful else None
    book.save(workdir / "rate.xlsx")
    read = run("out", "--ratings", "rate.xlsx")
    assert read.exit_code == 0, read.output
    doc = json.loads((workdir / "out" / "compare.json").read_text(encoding="utf-8"))
    by_name = {b["name"]: b for b in doc["backends"]}
    assert by_name["careful"]["mean_rating"] == 5.0 and by_name["careful"]["win_rate"] == 1.0
    assert by_name["sloppy"]["mean_rating"] == 3.0 and by_name["sloppy"]["win_rate"] == 0.0
    assert doc["ratings"]["careful"]["ratings"] == SAMPLE
    page = (workdir / "out" / "compare.html").read_text(encoding="utf-8")
    assert "win rate" in page.lower()
    # Rebuilding the page later keeps the ratings.
    assert run(*compare_args()).exit_code == 0
    doc = json.loads((workdir / "out" / "compare.json").read_text(encoding="utf-8"))
    assert doc["ratings"]["careful"]["mean_rating"] == 5.0


def test_sheet_options_take_a_compare_folder_alone(workdir: Path) -> None:
    result = run("out", "--blind-sheet", "rate.xlsx", "-o", "x")
    assert result.exit_code == 2 and "compare folder alone" in result.output
    missing = run("nowhere", "--ratings", "rate.xlsx")
    assert missing.exit_code == 2, missing.output


def test_an_interrupted_backend_stops_the_comparison(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C during one backend's run: exit 130, the next backend is not started, and
    no comparison is written from half the data (the same command resumes)."""
    import copygen.generate.run as run_module
    from copygen.generate.summary import RunSummary

    started: list[str] = []

    def interrupted(**kwargs: Any) -> RunSummary:
        started.append(Path(kwargs["outdir"]).name)
        return RunSummary(outdir=Path(kwargs["outdir"]), interrupted=True)

    monkeypatch.setattr(run_module, "generate", interrupted)
    result = run(*compare_args())
    assert result.exit_code == 130, result.output
    assert started == ["sloppy"]
    assert not (workdir / "out" / "compare.json").exists()
    assert "resume" in result.output
