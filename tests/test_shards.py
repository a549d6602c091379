"""Sharded runs: ``generate --shard I/N`` splits the items, ``copygen merge`` joins them.

The offline backend is deterministic, so three shards must give exactly the records
of one unsharded run, and their merge must be a folder review, export, report and
``audit verify`` accept like any other.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from copygen.audit import read_events, verify
from copygen.backends.base import Completion, RequestContext
from copygen.backends.offline import OfflineBackend
from copygen.cli.main import app
from copygen.config import Settings
from copygen.errors import ConfigError, ExitCode
from copygen.generate.merge import merge
from copygen.generate.plan import parse_shard, shard_of
from copygen.generate.run import generate

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "products.csv"
N = 3


def cli(*args: str) -> Any:
    return CliRunner().invoke(app, [*args])


def records(folder: Path) -> list[dict[str, Any]]:
    lines = (folder / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def ids(folder: Path) -> list[str]:
    return [r["id"] for r in records(folder)]


def essence(record: Mapping[str, Any]) -> tuple[Any, ...]:
    """What an item is, without the run's own stamps (run id, time, latency)."""
    return (record["id"], record["status"], record["fields"], record["findings"], record["row"])


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An unsharded run, three shards (two through the CLI, one through Python) and
    their merge."""
    base = tmp_path_factory.mktemp("shards")
    out: dict[str, Path] = {"base": base, "full": base / "full"}
    generate(input_path=EXAMPLES, outdir=out["full"], settings=Settings())
    for index in range(1, N + 1):
        folder = base / f"s{index}"
        out[f"s{index}"] = folder
        if index == 2:
            generate(input_path=EXAMPLES, outdir=folder, settings=Settings(), shard=(2, N))
        else:
            result = cli("generate", str(EXAMPLES), "-o", str(folder), "--shard", f"{index}/{N}")
            assert result.exit_code == 0, result.output
    out["merged"] = base / "merged"
    result = cli("merge", *(str(out[f"s{i}"]) for i in (3, 1, 2)), "-o", str(out["merged"]))
    assert result.exit_code == 0, result.output
    return out


def shard_folders(runs: Mapping[str, Path]) -> list[Path]:
    return [runs[f"s{i}"] for i in range(1, N + 1)]


# -- the split ---------------------------------------------------------------------


def test_shard_of_is_a_stable_hash() -> None:
    item = "BT-001:livestream:zh:v1"
    digest = int.from_bytes(hashlib.sha256(item.encode("utf-8")).digest(), "big")
    assert shard_of(item, N) == digest % N + 1
    # Pinned: the same on every machine and Python version (never hash()).
    assert [shard_of(f"SKU-{i}:social:zh:v1", 4) for i in range(8)] == [2, 1, 3, 2, 2, 2, 2, 2]
    assert shard_of(item, N) == 2
    assert shard_of("商品-1:detail:zh:v1", 5) == 4  # UTF-8 of the id, not its repr
    assert shard_of("", 1) == 1


def test_shards_partition_the_items(runs: dict[str, Path]) -> None:
    full = set(ids(runs["full"]))
    parts = [set(ids(folder)) for folder in shard_folders(runs)]
    assert all(parts), "every shard has items"
    assert sum(len(p) for p in parts) == len(full)
    assert set().union(*parts) == full
    for index, part in enumerate(parts, start=1):
        assert all(shard_of(item, N) == index for item in part)


def test_shard_records_equal_the_unsharded_run(runs: dict[str, Path]) -> None:
    full = {r["id"]: essence(r) for r in records(runs["full"])}
    for folder in shard_folders(runs):
        for record in records(folder):
            assert essence(record) == full[record["id"]]


def test_shards_are_deterministic(runs: dict[str, Path], tmp_path: Path) -> None:
    again = tmp_path / "again"
    summary = generate(input_path=EXAMPLES, outdir=again, settings=Settings(), shard="2/3")
    assert ids(again) == ids(runs["s2"])
    # Counts, progress and summary are the shard's.
    assert summary.planned == len(ids(runs["s2"])) == summary.items


def test_shard_in_fingerprint_and_run_started(runs: dict[str, Path]) -> None:
    manifest = json.loads((runs["s1"] / "run.json").read_text(encoding="utf-8"))
    assert manifest["fingerprint"]["shard"] == [1, N]
    unsharded = json.loads((runs["full"] / "run.json").read_text(encoding="utf-8"))
    assert "shard" not in unsharded["fingerprint"]
    started = read_events(runs["s1"] / "audit.jsonl", event="run_started")
    assert started[0]["shard"] == [1, N]
    assert started[0]["planned"] == len(ids(runs["s1"]))


@pytest.mark.parametrize("value", ["0/3", "4/3", "a/b", "1/0", "3", "-1/3", "1/-3"])
def test_bad_shard_values_exit_2(value: str, tmp_path: Path) -> None:
    result = cli("generate", str(EXAMPLES), "-o", str(tmp_path / "o"), "--shard", value)
    assert result.exit_code == ExitCode.USAGE
    assert "--shard takes I/N" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()
    with pytest.raises(ConfigError):
        parse_shard(value)


def test_resume_with_another_shard_is_refused(runs: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "s1"
    shutil.copytree(runs["s1"], folder)
    result = cli("generate", str(EXAMPLES), "-o", str(folder), "--shard", f"2/{N}")
    assert result.exit_code == ExitCode.USAGE
    assert "shard" in result.output
    # The same shard resumes: nothing left to do.
    again = cli("generate", str(EXAMPLES), "-o", str(folder), "--shard", f"1/{N}", "-q")
    assert again.exit_code == 0, again.output
    assert ids(folder) == ids(runs["s1"])


# -- the merge ---------------------------------------------------------------------


def test_merge_equals_the_unsharded_run(runs: dict[str, Path]) -> None:
    merged = runs["merged"]
    assert ids(merged) == ids(runs["full"])  # input row order, not shard order
    assert [essence(r) for r in records(merged)] == [essence(r) for r in records(runs["full"])]

    # The same table writer: the same CSV, but for the run's own stamps in each row.
    def table(folder: Path) -> list[dict[str, str]]:
        with open(folder / "results.csv", encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        return [{k: v for k, v in row.items() if k not in ("latency_ms",)} for row in rows]

    assert table(merged) == table(runs["full"])


def test_merge_keeps_each_shard_log_verifiable(runs: dict[str, Path]) -> None:
    merged = runs["merged"]
    events = read_events(merged / "audit.jsonl")
    assert events[0]["event"] == "merged"
    first = events[0]
    assert first["count"] == N and first["partial"] is False and first["missing"] == []
    assert first["records"] == len(ids(runs["full"]))
    assert [s["shard"] for s in first["shards"]] == [f"{i}/{N}" for i in range(1, N + 1)]
    for entry, folder in zip(first["shards"], shard_folders(runs), strict=True):
        copy = merged / entry["audit"]
        assert copy.read_bytes() == (folder / "audit.jsonl").read_bytes()
        report = verify(copy)
        assert report.ok and report.head == entry["head"]
        assert entry["folder"] == folder.name
        assert entry["records"] == len(ids(folder))
        digest = hashlib.sha256((folder / "results.jsonl").read_bytes()).hexdigest()
        assert entry["results_sha256"] == digest
    manifest = json.loads((merged / "run.json").read_text(encoding="utf-8"))
    assert manifest["fingerprint"]["merge"] == N
    assert "shard" not in manifest["fingerprint"]
    assert manifest["runs"][0]["mode"] == "merge"


def test_merged_folder_verifies_exports_and_reports(runs: dict[str, Path], tmp_path: Path) -> None:
    merged = tmp_path / "merged"
    shutil.copytree(runs["merged"], merged)
    result = cli("audit", "verify", str(merged / "audit.jsonl"))
    assert result.exit_code == 0, result.output
    result = cli("audit", "verify", str(merged))
    assert result.exit_code == 0, result.output
    total = len(ids(runs["full"]))
    assert f"{total} of {total} records proven" in result.output
    result = cli("export", str(merged), "--to", str(tmp_path / "out.jsonl"))
    assert result.exit_code == 0, result.output
    assert len((tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()) == total
    result = cli("report", str(merged), "-o", str(tmp_path / "r.html"))
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output


def test_tampered_shard_copy_in_merged_folder_fails_proof(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    merged = tmp_path / "merged"
    shutil.copytree(runs["merged"], merged)
    log = merged / "shards" / "2" / "audit.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:-1]))  # cut short: a valid chain, not the merged head
    result = cli("export", str(merged), "--to", str(tmp_path / "out.jsonl"))
    assert result.exit_code == ExitCode.AUDIT, result.output
    result = cli("audit", "verify", str(merged))
    assert result.exit_code == ExitCode.AUDIT, result.output
    log.unlink()  # a shard log gone: the records it proved are not proven
    result = cli("export", str(merged), "--to", str(tmp_path / "out.jsonl"))
    assert result.exit_code == ExitCode.AUDIT, result.output
    assert "missing" in result.output


def test_merge_refusals(runs: dict[str, Path], tmp_path: Path) -> None:
    s1, s2, s3 = (str(f) for f in shard_folders(runs))
    out = str(tmp_path / "m")
    # The same shard twice (overlap).
    result = cli("merge", s1, s1, s2, s3, "-o", out)
    assert result.exit_code == ExitCode.USAGE and "given twice" in result.output
    # Missing shards: refused unless --allow-partial.
    result = cli("merge", s1, s2, "-o", out)
    assert result.exit_code == ExitCode.USAGE and "3/3" in result.output
    assert not (tmp_path / "m").exists()
    # An unsharded folder, a folder that is not an output folder.
    result = cli("merge", str(runs["full"]), s1, "-o", out)
    assert result.exit_code == ExitCode.USAGE and "not a shard" in result.output
    result = cli("merge", str(tmp_path), s1, "-o", out)
    assert result.exit_code == ExitCode.USAGE and "not a generate output folder" in result.output
    # A merged folder is not merged again.
    result = cli("merge", str(runs["merged"]), "-o", out)
    assert result.exit_code == ExitCode.USAGE and "already a merged folder" in result.output


def test_partial_merge_is_written_and_says_so(runs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "m"
    result = cli("merge", str(runs["s1"]), str(runs["s3"]), "-o", str(out), "--allow-partial")
    assert result.exit_code == 0, result.output
    assert "2/3" in result.output  # the warning names the missing shard
    first = read_events(out / "audit.jsonl")[0]
    assert first["partial"] is True and first["missing"] == [2]
    assert set(ids(out)) == set(ids(runs["s1"])) | set(ids(runs["s3"]))
    # An existing merge is not overwritten without --force, and kept with it.
    again = cli("merge", str(runs["s1"]), str(runs["s3"]), "-o", str(out), "--allow-partial")
    assert again.exit_code == ExitCode.USAGE
    again = cli("merge", *(str(f) for f in shard_folders(runs)), "-o", str(out), "--force")
    assert again.exit_code == 0, again.output
    assert ids(out) == ids(runs["full"])
    assert list(out.glob("results.superseded-*.jsonl"))
    assert cli("audit", "verify", str(out)).exit_code == 0


def test_merge_refuses_other_settings_and_other_n(runs: dict[str, Path], tmp_path: Path) -> None:
    other = tmp_path / "other"
    result = cli(
        "generate", str(EXAMPLES), "-o", str(other), "--shard", f"3/{N}", "--variants", "2", "-q"
    )
    assert result.exit_code == 0, result.output
    result = cli("merge", str(runs["s1"]), str(runs["s2"]), str(other), "-o", str(tmp_path / "m"))
    assert result.exit_code == ExitCode.USAGE
    assert "variants" in result.output
    half = tmp_path / "half"
    result = cli("generate", str(EXAMPLES), "-o", str(half), "--shard", "2/2", "-q")
    assert result.exit_code == 0, result.output
    result = cli("merge", str(runs["s1"]), str(half), "-o", str(tmp_path / "m"))
    assert result.exit_code == ExitCode.USAGE
    assert "different N" in result.output


def test_merge_refuses_a_tampered_shard_log(runs: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "s2"
    shutil.copytree(runs["s2"], bad)
    log = bad / "audit.jsonl"
    text = log.read_text(encoding="utf-8")
    log.write_text(text.replace('"status":"pass"', '"status":"PASS"', 1), encoding="utf-8")
    out = tmp_path / "m"
    result = cli("merge", str(runs["s1"]), str(bad), str(runs["s3"]), "-o", str(out))
    assert result.exit_code == ExitCode.AUDIT, result.output
    assert not (out / "results.jsonl").exists()
    # A record edited by hand is refused too: the log no longer proves it.
    edited = tmp_path / "s3"
    shutil.copytree(runs["s3"], edited)
    results = edited / "results.jsonl"
    lines = results.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[0])
    record["fields"] = {**record["fields"], "extra": "x"}
    lines[0] = json.dumps(record, ensure_ascii=False)
    results.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("merge", str(runs["s1"]), str(runs["s2"]), str(edited), "-o", str(out))
    assert result.exit_code == ExitCode.AUDIT, result.output


# -- review on a merged folder -----------------------------------------------------


class HypeOffline(OfflineBackend):
    """The offline composer, with a banned superlative slipped into livestream hooks,
    so that items are flagged and can be reviewed."""

    async def complete(
        self,
        messages: Sequence[Mapping[str, str]],
        params: Mapping[str, Any],
        *,
        context: RequestContext | None = None,
    ) -> Completion:
        done = await super().complete(messages, params, context=context)
        fields = json.loads(done.text)
        if "hook" in fields:
            fields["hook"] = "全网最好！" + str(fields["hook"])
        text = json.dumps(fields, ensure_ascii=False)
        return Completion(text=text, usage=done.usage, latency_ms=done.latency_ms, model="offline")


def test_review_on_a_merged_folder(tmp_path: Path) -> None:
    settings = Settings(max_repairs=0, platforms=("livestream", "social"))
    folders = []
    for index in (1, 2):
        folder = tmp_path / f"h{index}"
        generate(
            input_path=EXAMPLES,
            outdir=folder,
            settings=settings,
            backend=HypeOffline.from_settings(settings),
            shard=(index, 2),
        )
        folders.append(folder)
    merged = tmp_path / "merged"
    summary = merge(folders, merged, settings=settings)
    assert summary.records == len(ids(merged)) and not summary.partial
    flagged = [r["id"] for r in records(merged) if r["status"] in ("review", "blocked")]
    assert flagged, "the hype makes some items flagged"
    item = flagged[0]
    result = cli("review", str(merged), "--decide", f"{item}=reject", "--reason", "hype")
    assert result.exit_code == 0, result.output
    decided = {r["id"]: r for r in records(merged)}[item]
    assert decided["status"] == "rejected"
    reviewed = read_events(merged / "audit.jsonl", event="reviewed")
    assert [e["item"] for e in reviewed] == [item]
    # The shards' logs are untouched; the proof follows the decision.
    for index, folder in enumerate(folders, start=1):
        copy = merged / "shards" / str(index) / "audit.jsonl"
        assert copy.read_bytes() == (folder / "audit.jsonl").read_bytes()
    result = cli("audit", "verify", str(merged))
    assert result.exit_code == 0, result.output
    result = cli("export", str(merged), "--to", str(tmp_path / "out.csv"))
    assert result.exit_code == 0, result.output


def test_merge_writes_xlsx_when_a_shard_had_it(runs: dict[str, Path], tmp_path: Path) -> None:
    s1 = tmp_path / "s1"
    shutil.copytree(runs["s1"], s1)
    # Resuming a finished shard with --xlsx only rebuilds its tables, with the xlsx.
    result = cli("generate", str(EXAMPLES), "-o", str(s1), "--shard", f"1/{N}", "--xlsx", "-q")
    assert result.exit_code == 0, result.output
    assert (s1 / "results.xlsx").is_file()
    out = tmp_path / "m"
    summary = merge([s1, runs["s2"], runs["s3"]], out)
    assert (out / "results.xlsx").is_file()
    assert summary.records == len(ids(runs["full"])) and summary.shards == [1, 2, 3]
