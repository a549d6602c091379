"""``copygen batch``: prepare -> submit -> status -> collect against the local server's
Files and Batches APIs (real ``openai`` client), repair and retry rounds, vLLM files."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from copygen.audit import read_events, verify
from copygen.batch import collect, prepare, status, submit
from copygen.batch.state import BatchState
from copygen.cli.main import app
from copygen.config import Settings, load_settings
from copygen.testing.fake_openai import FakeOpenAIServer, default_responder

API_KEY = "sk-fake-TESTKEY-batch-0123456789"
PHONE = "13812345678"
BANNED = "全网最低价"
PACK = """
pack: test.price
rules:
  - id: test.price.lowest
    category: price_fraud
    severity: block
    law: 《明码标价和禁止价格欺诈规定》
    message: {zh: 无法证实的最低价表述, en: unverifiable lowest-price claim}
    suggestion: {zh: 删除最低价表述, en: remove the claim}
    patterns: ["全网最低价"]
    examples:
      match: ["全网最低价，快来", "今天全网最低价"]
      no_match: ["价格实惠", "以页面价格为准"]
"""


def write_products(path: Path, n: int) -> Path:
    lines = ["sku,title,category,selling_points,price"]
    for i in range(n):
        points = f"联系电话{PHONE}" if i == 3 else "清爽不黏腻;温和配方"
        lines.append(f"S-{i},保湿面霜 {i} 号,美妆,{points},{99 + i % 7}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def item(i: int) -> str:
    return f"S-{i}:social:zh:v1"


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(api_key=API_KEY, record=False) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)


def cli_flags(server: FakeOpenAIServer, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {
        "backend": "openai",
        "model": "fake-model",
        "base_url": server.url,
        "platforms": "social",
        "cache_dir": str(tmp_path / "cache"),
        **extra,
    }


def settings_for(server: FakeOpenAIServer, tmp_path: Path, **extra: Any) -> Settings:
    return load_settings(cli=cli_flags(server, tmp_path, **extra))


def records(outdir: Path) -> dict[str, dict[str, Any]]:
    out = [json.loads(x) for x in (outdir / "results.jsonl").read_text("utf-8").splitlines()]
    ids = [r["id"] for r in out]
    assert len(ids) == len(set(ids)), "an item was recorded twice"
    return {r["id"]: r for r in out}


def collect_until_done(outdir: Path, settings: Settings, rounds: int = 1) -> list[Any]:
    summaries: list[Any] = []
    for _ in range(10):
        summaries += collect(outdir=outdir, settings=settings)
        if sum(1 for r in BatchState.load(outdir).rounds if r.collected) >= rounds and not (
            BatchState.load(outdir).pending()
        ):
            return summaries
    raise AssertionError("the batch job never ended")


def no_key_anywhere(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            assert API_KEY.encode() not in path.read_bytes(), path


def test_prepare_submit_status_collect_1000_items(server: FakeOpenAIServer, tmp_path: Path) -> None:
    products = write_products(tmp_path / "products.csv", 1000)
    settings = settings_for(server, tmp_path)
    outdir = tmp_path / "out"
    state = prepare(input_path=products, outdir=outdir, settings=settings, max_requests=400)
    assert [f.requests for f in state.rounds[0].files] == [400, 400, 200]
    sent = b"".join((outdir / f.path).read_bytes() for f in state.rounds[0].files)
    assert PHONE.encode() not in sent  # masked before it ever leaves
    lines = [json.loads(x) for x in sent.decode().splitlines()]
    assert [x["custom_id"] for x in lines] == [item(i) for i in range(1000)]
    assert all(x["body"]["model"] == "fake-model" for x in lines)
    # Preparing again changes nothing.
    again = prepare(input_path=products, outdir=outdir, settings=settings, max_requests=400)
    assert again.rounds == state.rounds

    rounds = submit(outdir=outdir, settings=settings)
    assert len(rounds) == 1 and all(f.batch_id for f in rounds[0].files)
    assert submit(outdir=outdir, settings=settings) == []  # nothing more to send
    assert len(server.batches.batch_ids) == 3
    report = status(outdir=outdir, settings=settings)
    assert report.rounds[0]["files"][0]["status"] in ("in_progress", "finalizing", "completed")

    summaries = collect_until_done(outdir, settings)
    assert summaries and summaries[-1].counts.get("pass") == 1000
    got = records(outdir)
    assert set(got) == {item(i) for i in range(1000)}
    assert {r["backend"] for r in got.values()} == {"batch"}
    assert {r["status"] for r in got.values()} == {"pass"}
    before = (outdir / "results.jsonl").read_bytes()
    events_before = len(read_events(outdir / "audit.jsonl"))
    assert collect(outdir=outdir, settings=settings) == []
    assert (outdir / "results.jsonl").read_bytes() == before
    assert len(read_events(outdir / "audit.jsonl")) == events_before
    events = read_events(outdir / "audit.jsonl")
    kinds = Counter(e["event"] for e in events)
    assert kinds["generated"] == 1000 and kinds["recorded"] == 1000
    assert kinds["batch_prepared"] == 1 and kinds["batch_submitted"] == 3
    assert kinds["batch_collected"] == 1
    started = [e for e in events if e["event"] == "run_started"]
    assert started[0]["backend"] == "batch"
    generated = [e for e in events if e["event"] == "generated"]
    assert {e["backend"] for e in generated} == {"batch"}
    assert verify(outdir / "audit.jsonl").ok
    assert (outdir / "results.csv").is_file()
    no_key_anywhere(outdir)


def flagging_responder(prefix: str) -> Any:
    """Replies with the banned claim in the first draft of every title starting with
    ``prefix``; repairs come back clean."""

    def responder(body: dict[str, Any]) -> str:
        messages = body.get("messages", [])
        text = default_responder(body)
        repairing = any(m.get("role") == "assistant" for m in messages)
        if not repairing and prefix in json.dumps(messages, ensure_ascii=False):
            fields = json.loads(text)
            fields["body"] = BANNED + "，今天就下单！" + fields["body"]
            return json.dumps(fields, ensure_ascii=False)
        return text

    return responder


def test_repair_round_and_failed_requests_sent_again(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text(PACK, encoding="utf-8")

    server.responder = flagging_responder("保湿面霜 7")
    failing = [item(5), item(15), item(999)]
    server.batches.fail_requests(*failing, status=500)
    products = write_products(tmp_path / "products.csv", 1000)
    settings = settings_for(server, tmp_path, rules=str(pack))
    outdir = tmp_path / "out"
    prepare(input_path=products, outdir=outdir, settings=settings)
    submit(outdir=outdir, settings=settings)
    collect_until_done(outdir, settings)
    got = records(outdir)
    flagged = {i for i in range(1000) if f"保湿面霜 {i} 号".startswith("保湿面霜 7")}
    assert {k for k, r in got.items() if r["status"] == "blocked"} == {item(i) for i in flagged}
    assert {k for k, r in got.items() if r["status"] == "error"} == set(failing)

    report = status(outdir=outdir, settings=settings)
    assert sorted(report.failed) == sorted(failing) and report.repairable == len(flagged)
    assert any("failed items (3" in line for line in report.lines())

    rounds = submit(outdir=outdir, settings=settings)
    assert [(r.kind, r.requests) for r in rounds] == [("retry", 3), ("repair", len(flagged))]
    repair_file = (outdir / rounds[1].files[0].path).read_text("utf-8")
    assert BANNED in repair_file  # the repair prompt names the flagged text
    collect_until_done(outdir, settings, rounds=3)
    got = records(outdir)
    assert len(got) == 1000
    assert {r["status"] for r in got.values()} == {"pass"}
    assert all(got[item(i)]["attempts"] == 2 for i in flagged)
    assert all(BANNED not in got[item(i)]["fields"]["body"] for i in flagged)
    before = (outdir / "results.jsonl").read_bytes()
    assert submit(outdir=outdir, settings=settings) == []  # nothing left to send
    assert collect(outdir=outdir, settings=settings) == []
    assert (outdir / "results.jsonl").read_bytes() == before
    kinds = Counter(e["event"] for e in read_events(outdir / "audit.jsonl"))
    assert kinds["repaired"] == len(flagged) and kinds["batch_collected"] == 3
    assert verify(outdir / "audit.jsonl").ok


def test_cli_flow_and_vllm_files(server: FakeOpenAIServer, tmp_path: Path) -> None:
    runner = CliRunner()
    products = write_products(tmp_path / "products.csv", 20)
    outdir = tmp_path / "out"
    common = ["--backend", "openai", "--model", "fake-model", "--base-url", server.url]
    result = runner.invoke(
        app, ["batch", "prepare", str(products), "-o", str(outdir), "-p", "social", *common]
    )
    assert result.exit_code == 0, result.output
    assert "20 requests" in result.output
    result = runner.invoke(app, ["batch", "submit", str(outdir)])
    assert result.exit_code == 0, result.output
    assert "round 1 (generate)" in result.output
    result = runner.invoke(app, ["batch", "status", str(outdir)])
    assert result.exit_code == 0 and "round 1" in result.output
    for _ in range(5):
        result = runner.invoke(app, ["batch", "collect", str(outdir)])
        assert result.exit_code == 0, result.output
        if "collected:" in result.output:
            break
    assert "pass 20" in result.output
    result = runner.invoke(app, ["batch", "collect", str(outdir)])
    assert "nothing to collect" in result.output
    result = runner.invoke(app, ["audit", "verify", str(outdir)])
    assert result.exit_code == 0, result.output
    assert len(records(outdir)) == 20

    # vllm run-batch: the same request lines (model in every body); its output read back.
    vdir = tmp_path / "vllm"
    result = runner.invoke(
        app,
        [
            "batch",
            "prepare",
            str(products),
            "-o",
            str(vdir),
            "-p",
            "social",
            "--format",
            "vllm",
            *common,
        ],
    )
    assert result.exit_code == 0, result.output
    request_file = vdir / BatchState.load(vdir).rounds[0].files[0].path
    output = write_vllm_output(request_file, tmp_path / "vllm-output.jsonl")
    result = runner.invoke(app, ["batch", "collect", str(vdir), "--from", str(output)])
    assert result.exit_code == 0, result.output
    got = records(vdir)
    assert len(got) == 20 and {r["status"] for r in got.values()} == {"pass"}
    assert {r["usage"]["prompt_tokens"] for r in got.values()} == {100}
    result = runner.invoke(app, ["batch", "collect", str(vdir), "--from", str(output)])
    assert "nothing to collect" in result.output
    assert len(records(vdir)) == 20


def write_vllm_output(request_file: Path, output: Path) -> Path:
    """What ``vllm run-batch`` writes for a request file (same line shape as OpenAI's)."""
    from copygen.testing import fake_batches

    for raw in request_file.read_text("utf-8").splitlines():
        assert json.loads(raw)["body"]["model"] == "fake-model"
    fake_batches.write_vllm_output([request_file], output, responder=default_responder)
    return output


def test_batch_prices_and_collect_from_a_local_file(tmp_path: Path) -> None:
    config = tmp_path / "copygen.yaml"
    config.write_text(
        "prices:\n  fake-model: {input: 2.0, output: 8.0}\n"
        "  other: {input: 2.0, output: 8.0, batch_input: 1.5, batch_output: 3.0}\n",
        encoding="utf-8",
    )
    settings = load_settings(
        cli={
            "backend": "openai",
            "model": "fake-model",
            "base_url": "http://127.0.0.1:9/v1",
            "platforms": "social",
        },
        config_path=config,
    )
    assert settings.prices["fake-model"].batch_price().input == 1.0
    other = settings.prices["other"].batch_price()
    assert (other.input, other.output) == (1.5, 3.0)
    products = write_products(tmp_path / "products.csv", 10)
    outdir = tmp_path / "out"
    state = prepare(input_path=products, outdir=outdir, settings=settings, fmt="vllm")
    output = write_vllm_output(outdir / state.rounds[0].files[0].path, tmp_path / "o.jsonl")
    summaries = collect(outdir=outdir, settings=settings, from_file=output)
    assert summaries[0].counts == {"pass": 10}
    got = records(outdir)
    # 100 prompt and 50 completion tokens at half of 2.0 / 8.0 per million.
    assert all(r["cost"] == pytest.approx((100 * 1.0 + 50 * 4.0) / 1e6) for r in got.values())
    assert submit(outdir=outdir, settings=settings) == []  # all passed: nothing to run
    assert collect(outdir=outdir, settings=settings, from_file=output) == []


def test_an_expired_batch_leaves_its_unanswered_items_to_the_next_submit(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    products = write_products(tmp_path / "products.csv", 40)
    settings = settings_for(server, tmp_path)
    outdir = tmp_path / "out"
    prepare(input_path=products, outdir=outdir, settings=settings)
    server.batches.script("expire")
    submit(outdir=outdir, settings=settings)
    collect_until_done(outdir, settings)
    got = records(outdir)
    expired = {k for k, r in got.items() if r["status"] == "error"}
    assert len(got) == 40 and 0 < len(expired) < 40
    assert all("batch_expired" in str(got[k]["error"]) for k in expired)
    report = status(outdir=outdir, settings=settings)
    assert set(report.failed) == expired
    rounds = submit(outdir=outdir, settings=settings)
    assert [(r.kind, r.requests) for r in rounds] == [("retry", len(expired))]
    collect_until_done(outdir, settings, rounds=2)
    assert {r["status"] for r in records(outdir).values()} == {"pass"}
    assert verify(outdir / "audit.jsonl").ok


def test_request_files_split_at_the_byte_limit(tmp_path: Path) -> None:
    from copygen.batch.requests import RequestWriter

    writer = RequestWriter(tmp_path, 1, max_requests=1000, max_bytes=1000)
    for i in range(30):
        writer.add(f"id-{i}", {"model": "m", "messages": [{"role": "user", "content": "x" * 100}]})
    writer.close()
    assert sum(f.requests for f in writer.files) == 30 and len(writer.files) > 3
    for f in writer.files:
        data = (tmp_path / f.path).read_bytes()
        assert len(data) == f.bytes <= 1000
        ids = [json.loads(x)["custom_id"] for x in data.decode().splitlines()]
        assert (ids[0], ids[-1], len(ids)) == (f.first_id, f.last_id, f.requests)


def cli_prepare(runner: CliRunner, server: FakeOpenAIServer, products: Path, outdir: Path) -> None:
    common = ["--backend", "openai", "--model", "fake-model", "--base-url", server.url]
    result = runner.invoke(
        app, ["batch", "prepare", str(products), "-o", str(outdir), "-p", "social", *common]
    )
    assert result.exit_code == 0, result.output


def test_collect_exits_3_while_items_failed_and_0_once_they_are_sent_again(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    runner = CliRunner()
    outdir = tmp_path / "out"
    server.batches.fail_requests(item(4), item(9), status=500)
    cli_prepare(runner, server, write_products(tmp_path / "products.csv", 30), outdir)
    assert runner.invoke(app, ["batch", "submit", str(outdir)]).exit_code == 0
    server.batches.complete_all()
    result = runner.invoke(app, ["batch", "collect", str(outdir)])
    assert result.exit_code == 3, result.output
    assert "2 items failed: `copygen batch submit" in result.output
    assert runner.invoke(app, ["batch", "submit", str(outdir)]).exit_code == 0
    server.batches.complete_all()
    result = runner.invoke(app, ["batch", "collect", str(outdir)])
    assert result.exit_code == 0, result.output
    assert {r["status"] for r in records(outdir).values()} == {"pass"}


def test_an_item_flagged_after_its_retry_waits_for_the_next_repair_round(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    """The repair round repairs only the items it holds replies for: an item that was
    retried and came back flagged is not failed for want of a reply."""
    pack = tmp_path / "pack.yaml"
    pack.write_text(PACK, encoding="utf-8")
    server.responder = flagging_responder("保湿面霜 2")  # S-2, S-20..S-29
    server.batches.fail_requests(item(2), status=500)
    products = write_products(tmp_path / "products.csv", 30)
    settings = settings_for(server, tmp_path, rules=str(pack))
    outdir = tmp_path / "out"
    prepare(input_path=products, outdir=outdir, settings=settings)
    submit(outdir=outdir, settings=settings)
    collect_until_done(outdir, settings)
    rounds = submit(outdir=outdir, settings=settings)
    assert [(r.kind, r.requests) for r in rounds] == [("retry", 1), ("repair", 10)]
    summaries = collect_until_done(outdir, settings, rounds=3)
    repair = summaries[-1].repair
    assert repair is not None and repair.flagged == 10 and repair.failed == 0
    assert records(outdir)[item(2)]["status"] == "blocked"  # retried, flagged, waiting
    assert status(outdir=outdir, settings=settings).repairable == 1
    rounds = submit(outdir=outdir, settings=settings)
    assert [(r.kind, r.requests) for r in rounds] == [("repair", 1)]
    collect_until_done(outdir, settings, rounds=4)
    assert {r["status"] for r in records(outdir).values()} == {"pass"}
    assert verify(outdir / "audit.jsonl").ok


def stop_after(monkeypatch: pytest.MonkeyPatch, replies: int) -> Any:
    """Send this process SIGINT (as Ctrl-C would) when the batch backend is asked for
    reply number ``replies``; returns the backend's own ``complete``, to put back."""
    import os
    import signal

    from copygen.batch.replay import ReplayBackend

    answer = ReplayBackend.complete
    calls = 0

    async def stopping(self: ReplayBackend, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == replies:
            os.kill(os.getpid(), signal.SIGINT)
        return await answer(self, *args, **kwargs)

    monkeypatch.setattr(ReplayBackend, "complete", stopping)
    return answer


def test_a_collect_stopped_by_a_signal_resumes_and_records_each_item_once(
    server: FakeOpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    from copygen.batch import collect_exit_code
    from copygen.batch.replay import ReplayBackend

    products = write_products(tmp_path / "products.csv", 300)
    settings = settings_for(server, tmp_path)
    outdir = tmp_path / "out"
    prepare(input_path=products, outdir=outdir, settings=settings)
    submit(outdir=outdir, settings=settings)
    server.batches.complete_all()
    answer = stop_after(monkeypatch, 100)
    first = collect(outdir=outdir, settings=settings)
    assert len(first) == 1 and first[0].interrupted and collect_exit_code(first) == 130
    assert not BatchState.load(outdir).rounds[0].collected
    partly = len(records(outdir))
    assert 0 < partly < 300
    monkeypatch.setattr(ReplayBackend, "complete", answer)
    again = collect(outdir=outdir, settings=settings)
    assert again[0].new == 300 - partly and collect_exit_code(again) == 0
    assert len(records(outdir)) == 300 and BatchState.load(outdir).rounds[0].collected
    events = read_events(outdir / "audit.jsonl")
    assert Counter(e["event"] for e in events)["batch_collected"] == 1
    assert verify(outdir / "audit.jsonl").ok


def test_a_collect_killed_after_recording_a_round_does_not_record_it_again(
    server: FakeOpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed between generate's end and marking the round collected: the next collect
    finds the completed run in run.json; a repair round is not repaired twice."""
    from copygen.batch import jobs

    pack = tmp_path / "pack.yaml"
    pack.write_text(PACK, encoding="utf-8")
    server.responder = flagging_responder("保湿面霜 1")  # S-1, S-10..S-19
    products = write_products(tmp_path / "products.csv", 30)
    settings = settings_for(server, tmp_path, rules=str(pack), max_repairs=2)
    outdir = tmp_path / "out"
    prepare(input_path=products, outdir=outdir, settings=settings)
    submit(outdir=outdir, settings=settings)
    collect_until_done(outdir, settings)
    assert submit(outdir=outdir, settings=settings)[0].kind == "repair"
    server.batches.complete_all()
    mark = jobs._mark_collected

    def killed(*args: Any, **kwargs: Any) -> None:
        raise SystemExit(137)

    monkeypatch.setattr(jobs, "_mark_collected", killed)
    with pytest.raises(SystemExit):
        collect(outdir=outdir, settings=settings)
    repaired = records(outdir)
    assert all(repaired[item(i)]["attempts"] == 2 for i in (1, *range(10, 20)))
    monkeypatch.setattr(jobs, "_mark_collected", mark)
    warnings: list[str] = []
    assert collect(outdir=outdir, settings=settings, on_warning=warnings.append) == []
    assert any("marked collected, not recorded again" in w for w in warnings)
    assert records(outdir) == repaired  # no second repair of the same items
    assert not BatchState.load(outdir).pending()
    events = read_events(outdir / "audit.jsonl")
    assert Counter(e["event"] for e in events)["repaired"] == 11
    assert [e["round"] for e in events if e["event"] == "batch_collected"] == [1, 2]
    assert verify(outdir / "audit.jsonl").ok


def test_one_batch_command_at_a_time_and_a_damaged_state_is_one_line(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    runner = CliRunner()
    outdir = tmp_path / "out"
    cli_prepare(runner, server, write_products(tmp_path / "products.csv", 5), outdir)
    with BatchState.locked(outdir):
        result = runner.invoke(app, ["batch", "submit", str(outdir)])
        assert result.exit_code == 2
        assert "another copygen batch command is working on this job" in result.output
        assert "Traceback" not in result.output
    assert runner.invoke(app, ["batch", "submit", str(outdir)]).exit_code == 0
    state = json.loads((outdir / "batch.json").read_text("utf-8"))
    state["rounds"][0]["files"][0]["surprise"] = 1
    (outdir / "batch.json").write_text(json.dumps(state), encoding="utf-8")
    for command in ("status", "submit", "collect"):
        result = runner.invoke(app, ["batch", command, str(outdir)])
        assert result.exit_code == 2, result.output
        assert "damaged batch state" in result.output and "Traceback" not in result.output
    (outdir / "batch.json").write_text("[1, 2]", encoding="utf-8")
    result = runner.invoke(app, ["batch", "status", str(outdir)])
    assert result.exit_code == 2 and "batch state" in result.output


def test_collect_exit_code_is_the_gravest_of_its_runs() -> None:
    from types import SimpleNamespace

    from copygen.batch import collect_exit_code

    def runs(*codes: int) -> list[Any]:
        return [SimpleNamespace(exit_code=c) for c in codes]

    assert collect_exit_code([]) == 0
    assert collect_exit_code(runs(0, 1)) == 1
    assert collect_exit_code(runs(1, 3, 0)) == 3
    assert collect_exit_code(runs(3, 130)) == 130


def test_a_mistyped_folder_is_one_line_and_is_not_created(tmp_path: Path) -> None:
    runner = CliRunner()
    for command in ("submit", "status", "collect"):
        missing = tmp_path / f"typo-{command}"
        result = runner.invoke(app, ["batch", command, str(missing)])
        assert result.exit_code == 2, result.output
        assert "no batch job in" in result.output and "Traceback" not in result.output
        assert not missing.exists()


def test_a_repair_round_stopped_and_collected_again_repairs_each_item_once(
    server: FakeOpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Repairs that stay flagged: the items a stopped collect already repaired are not
    repaired again with the same reply when the round is collected again."""

    from copygen.batch.replay import ReplayBackend

    def stubborn(body: dict[str, Any]) -> str:  # repairs keep the claim: still blocked
        text = default_responder(body)
        if "保湿面霜 1" in json.dumps(body.get("messages", []), ensure_ascii=False):
            fields = json.loads(text)
            fields["body"] = BANNED + "，今天就下单！" + fields["body"]
            return json.dumps(fields, ensure_ascii=False)
        return text

    pack = tmp_path / "pack.yaml"
    pack.write_text(PACK, encoding="utf-8")
    server.responder = stubborn
    products = write_products(tmp_path / "products.csv", 120)  # S-1, S-10..19, S-100..119
    settings = settings_for(server, tmp_path, rules=str(pack), max_repairs=2)
    outdir = tmp_path / "out"
    prepare(input_path=products, outdir=outdir, settings=settings)
    submit(outdir=outdir, settings=settings)
    collect_until_done(outdir, settings)
    assert [(r.kind, r.requests) for r in submit(outdir=outdir, settings=settings)] == [
        ("repair", 31)
    ]
    server.batches.complete_all()
    answer = stop_after(monkeypatch, 12)
    first = collect(outdir=outdir, settings=settings)
    assert first[-1].interrupted
    monkeypatch.setattr(ReplayBackend, "complete", answer)
    again = collect(outdir=outdir, settings=settings)
    assert not again[-1].interrupted and not BatchState.load(outdir).pending()
    got = records(outdir)
    flagged = [item(i) for i in (1, *range(10, 20), *range(100, 120))]
    assert all(got[i]["status"] == "blocked" and got[i]["attempts"] == 2 for i in flagged)
    events = read_events(outdir / "audit.jsonl")
    repairs = Counter(e["item"] for e in events if e["event"] == "repaired")
    assert set(repairs) == set(flagged) and set(repairs.values()) == {1}
    assert verify(outdir / "audit.jsonl").ok
