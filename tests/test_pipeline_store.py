"""results.jsonl store, run manifest and run summary: the pipeline's bookkeeping."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from copygen.config import Price, load_settings, with_overrides
from copygen.errors import ConfigError, ExitCode, InputError
from copygen.generate.manifest import (
    MANIFEST_FILE,
    RunManifest,
    fingerprint_for,
    prepare_outdir,
    templates_hash,
)
from copygen.generate.store import ResultStore
from copygen.generate.summary import RunSummary, percentile, summarise, summary_lines


def rec(item_id: str, status: str = "pass", **extra: Any) -> dict[str, Any]:
    return {"id": item_id, "status": status, "fields": {"title": item_id}, **extra}


# --- ResultStore ------------------------------------------------------------------------------


def test_append_load_and_last_record_wins(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    with store:
        store.append(rec("a"))
        store.append(rec("b", "review"))
        store.append(rec("a", "blocked"))
    records = store.load()
    assert [r["id"] for r in records] == ["b", "a"]
    assert store.get("a")["status"] == "blocked"  # type: ignore[index]
    assert store.completed_ids() == {"a", "b"}
    assert store.completed_ids(statuses=("review",)) == {"b"}
    # One line per append, UTF-8 without escapes.
    store2 = ResultStore(tmp_path)
    store2.append(rec("中文"))
    store2.close()
    assert "中文" in store.path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "tail",
    [b'{"id": "c", "status": "pa', b'{"id": "c"}', b"garbage", b'{"broken\n'],
)
def test_torn_last_line_is_ignored_and_cut(tmp_path: Path, tail: bytes) -> None:
    store = ResultStore(tmp_path)
    store.append(rec("a"))
    store.append(rec("b"))
    store.close()
    good = store.path.read_bytes()
    with open(store.path, "ab") as handle:
        handle.write(tail)
    assert [r["id"] for r in store.load()] == ["a", "b"]
    removed = store.repair()
    assert removed == len(tail)
    assert store.path.read_bytes() == good
    store.append(rec("c"))
    store.close()
    assert [r["id"] for r in store.load()] == ["a", "b", "c"]


def test_repair_of_a_file_that_is_only_a_torn_line(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    store.path.write_bytes(b'{"id": "x", "sta')
    assert store.repair() == 16
    assert store.path.read_bytes() == b""
    assert store.repair() == 0


def test_a_bad_line_in_the_middle_is_an_input_error(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    store.path.write_text(
        json.dumps(rec("a")) + "\nnot json\n" + json.dumps(rec("b")) + "\n", encoding="utf-8"
    )
    with pytest.raises(InputError) as info:
        store.load()
    assert info.value.row == 2


def test_update_is_atomic_and_checks_ids(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    for name in ("a", "b", "a"):
        store.append(rec(name))
    store.close()
    with pytest.raises(InputError, match="zz"):
        store.update({"a": {"status": "approved"}, "zz": {"status": "approved"}})
    assert store.get("a")["status"] == "pass"  # type: ignore[index]
    assert store.update({"a": {"status": "approved", "review": {"reviewer": "li"}}}) == 1
    lines = store.path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2  # the duplicate is gone
    assert store.get("a") == {**rec("a"), "status": "approved", "review": {"reviewer": "li"}}
    assert not list(tmp_path.glob(".results.jsonl.*"))  # no temp file left


def _hold_lock(outdir: str, ready: Any, release: Any) -> None:
    store = ResultStore(outdir)
    with store.lock():
        ready.set()
        release.wait(10)


def test_lock_refuses_a_second_writer(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_hold_lock, args=(str(tmp_path), ready, release))
    proc.start()
    try:
        assert ready.wait(20)
        with (
            pytest.raises(ConfigError, match="another copygen process"),
            ResultStore(tmp_path).lock(),
        ):
            pass
    finally:
        release.set()
        proc.join(20)
    with ResultStore(tmp_path).lock():
        pass


# --- manifest ---------------------------------------------------------------------------------


def _fingerprint(**changes: Any) -> dict[str, Any]:
    settings = with_overrides(load_settings(cli={}), **changes)
    return fingerprint_for(
        input_sha256="0" * 64,
        settings=settings,
        backend=settings.backend,
        model=settings.model,
        base_url=settings.base_url,
        params={"temperature": settings.temperature, "seed": settings.seed},
        rules_hash="r" * 64,
        templates_sha256=templates_hash(settings),
    )


def test_manifest_resume_refuse_and_force(tmp_path: Path) -> None:
    first = _fingerprint()
    manifest, resuming = prepare_outdir(tmp_path, first, force=False, results_exist=False)
    assert not resuming
    manifest.run_started("run-1")
    manifest.run_finished("run-1", outcome="completed", counts={"pass": 3})
    (tmp_path / "results.jsonl").write_text(json.dumps(rec("a")) + "\n", encoding="utf-8")

    again, resuming = prepare_outdir(tmp_path, _fingerprint(), force=False, results_exist=True)
    assert resuming
    assert again.runs[0]["outcome"] == "completed"

    other = _fingerprint(variants=3, seed=5)
    with pytest.raises(ConfigError) as info:
        prepare_outdir(tmp_path, other, force=False, results_exist=True)
    assert info.value.exit_code == ExitCode.USAGE
    assert "variants: 1 -> 3" in str(info.value)
    assert "--force" in str(info.value)

    forced, resuming = prepare_outdir(tmp_path, other, force=True, results_exist=True)
    assert not resuming
    assert not (tmp_path / "results.jsonl").exists()
    moved = sorted(p.name for p in tmp_path.glob("*.superseded-*"))
    assert len(moved) == 2 and set(forced.superseded) == set(moved)
    forced.save()
    assert RunManifest.load(tmp_path).fingerprint == other  # type: ignore[union-attr]


def test_results_without_manifest_are_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "results.jsonl").write_text(json.dumps(rec("a")) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="without a run manifest"):
        prepare_outdir(tmp_path, _fingerprint(), force=False, results_exist=True)


def test_unreadable_manifest_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / MANIFEST_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="unreadable run manifest"):
        RunManifest.load(tmp_path)


def test_templates_hash_follows_the_override_folder(tmp_path: Path) -> None:
    base = load_settings(cli={})
    custom = tmp_path / "tpl"
    custom.mkdir()
    (custom / "social.zh.j2").write_text("A", encoding="utf-8")
    with_custom = with_overrides(base, templates=custom)
    first = templates_hash(with_custom)
    assert first != templates_hash(base)
    (custom / "social.zh.j2").write_text("B", encoding="utf-8")
    assert templates_hash(with_custom) != first


# --- summary ----------------------------------------------------------------------------------


def test_percentile() -> None:
    assert percentile([], 50) is None
    assert percentile([5.0], 95) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 95) == pytest.approx(95.05)


def test_percentiles_from_counts_equal_those_of_the_sorted_values() -> None:
    """Latencies are kept as value -> count (a million items, not a million floats);
    the percentiles must be those of the whole sorted list, repeats and all."""
    import math
    import random

    def sorted_percentile(values: list[float], q: float) -> float:
        ordered = sorted(values)
        rank = (len(ordered) - 1) * q / 100.0
        low = math.floor(rank)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)

    rng = random.Random(3)
    for n in range(1, 200):
        values = [
            round(rng.expovariate(0.01), 1) if rng.random() < 0.5 else float(rng.randint(1, 4))
            for _ in range(n)
        ]
        for q in (0, 1, 50, 95, 99, 100):
            assert percentile(values, q) == pytest.approx(sorted_percentile(values, q)), (n, q)


def test_summary_counts_cost_and_exit_codes(tmp_path: Path) -> None:
    usage = {"prompt_tokens": 1000, "completion_tokens": 500}
    records = [
        rec("a", usage=usage, cost=0.002, currency="CNY", latency_ms=100.0),
        rec(
            "b",
            "review",
            usage=usage,
            cost=0.002,
            currency="CNY",
            latency_ms=300.0,
            findings=[{"severity": "warn"}],
        ),
        rec("c", "error", usage={}, cost=0.0, latency_ms=0.0),
        rec(
            "d", "pass", usage=usage, cost=0.002, latency_ms=200.0, findings=[{"severity": "info"}]
        ),
    ]
    summary = summarise(records, RunSummary(outdir=tmp_path, planned=4))
    assert summary.items == 4 and summary.errors == 1 and summary.texts == 3
    assert summary.pass_rate == 0.5
    assert summary.tokens == 4500
    assert summary.cost == pytest.approx(0.006)
    assert summary.cost_per_text == pytest.approx(0.002)
    assert summary.currency == "CNY"
    assert summary.latency_p50_ms == 200.0
    assert summary.worst_severity == "warn"
    assert summary.exit_code == ExitCode.BACKEND
    ok = summarise([r for r in records if r["status"] != "error"], RunSummary(outdir=tmp_path))
    assert ok.exit_code == ExitCode.OK
    ok.fail_on = "warn"
    assert ok.exit_code == ExitCode.FINDINGS
    ok.fail_on = "block"
    assert ok.exit_code == ExitCode.OK
    ok.interrupted = True
    assert ok.exit_code == ExitCode.INTERRUPTED
    text = "\n".join(summary_lines(summary))
    assert "pass rate (文案合格率): 50.0%" in text
    assert "cost: 0.006 CNY" in text


def test_unknown_price_makes_cost_unknown(tmp_path: Path) -> None:
    usage = {"prompt_tokens": 10, "completion_tokens": 10}
    summary = summarise([rec("a", usage=usage, cost=None)], RunSummary(outdir=tmp_path))
    assert summary.cost is None and summary.cost_per_text is None
    assert "cost: unknown" in "\n".join(summary_lines(summary))
    free = summarise([rec("a", usage=usage, cost=None)], RunSummary(outdir=tmp_path), priced=False)
    assert free.cost == 0.0


def test_cost_of() -> None:
    from copygen.backends.base import Usage
    from copygen.generate.summary import cost_of

    assert cost_of(Usage(1_000_000, 500_000), Price(2.0, 8.0, "CNY")) == pytest.approx(6.0)
    assert cost_of(Usage(10, 10), None) is None


# --- progress -----------------------------------------------------------------------------------


def test_plain_progress_lines() -> None:
    import io

    from copygen.generate.progress import PlainProgress, make_progress

    stream = io.StringIO()
    progress = PlainProgress(stream, interval=0.0)
    progress.start(total=4, done=1)
    for status in ("pass", "review", "error"):
        progress.item_done(status)
    progress.close()
    text = stream.getvalue()
    assert "resuming, 1 of 4 items already done" in text
    assert "copygen: 4/4 items" in text
    assert "pass 1 · flagged 1 · error 1" in text
    assert isinstance(make_progress(io.StringIO()), PlainProgress)


def test_rich_progress_on_a_terminal() -> None:
    import io

    from rich.console import Console

    from copygen.generate.progress import RichProgress

    out = io.StringIO()
    progress = RichProgress(Console(file=out, force_terminal=True, width=120))
    progress.start(total=3, done=0)
    for _ in range(3):
        progress.item_done("pass")
    progress.close()
    text = out.getvalue()
    assert "3/3" in text and "pass 3 · flagged 0 · error 0" in text


def test_summary_table_renders(tmp_path: Path) -> None:
    import io

    from rich.console import Console

    from copygen.generate.summary import render_summary

    summary = summarise(
        [rec("a"), rec("b", "blocked")], RunSummary(outdir=tmp_path, planned=2, new=2)
    )
    out = io.StringIO()
    render_summary(summary, Console(file=out, width=100))
    text = out.getvalue()
    assert "文案合格率" in text and "50.0%" in text and "blocked" in text


# --- audit writer -------------------------------------------------------------------------------


def test_audit_writer_group_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio
    import os

    from copygen.audit import AuditLog, read_events, verify
    from copygen.generate.events import AuditWriter

    synced: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    path = tmp_path / "audit.jsonl"
    with AuditLog.open(path, max_unsynced=1 << 30) as log:

        async def main() -> None:
            writer = AuditWriter(log, asyncio.get_running_loop())

            async def item(n: int) -> None:
                writer.append("generated", item=f"i{n}", attempt=1)
                await asyncio.sleep(0)
                writer.append("checked", item=f"i{n}", attempt=1, status="pass")
                await writer.barrier()

            await asyncio.gather(*(item(n) for n in range(50)))
            await writer.barrier()  # nothing new: resolves at once
            writer.close()

        asyncio.run(main())
    events = read_events(path)
    assert len(events) == 100
    assert verify(path).ok
    # Far fewer fsyncs than events: barriers waiting together share one.
    assert 1 <= len(synced) < 50
