"""``copygen generate --repair``: flagged items repaired again, nothing else touched.

Against the package's local OpenAI-compatible server (real HTTP): a first run
leaves items flagged (no repairs, or replies that stay flagged); the repair run
asks again only for those, and the tests check the records, the audit log and the
exit codes. Also: ``--max-repairs`` as part of the folder's settings.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from copygen.audit import read_events, verify
from copygen.cli.main import app
from copygen.config import Settings, load_settings, with_overrides
from copygen.errors import ConfigError, ExitCode
from copygen.generate.run import generate
from copygen.generate.store import ResultStore
from copygen.testing.fake_openai import FakeOpenAIServer, RecordedRequest, sample_fields

API_KEY = "sk-fake-REPAIRKEY-0123456789"

PRODUCTS_CSV = """sku,title,category,selling_points,attributes,price
A-1,保湿面霜 50g,美妆,清爽不黏腻,净含量:50g,99
B-2,全麦吐司 400g,食品,低糖配方,净含量:400g,19.9
C-3,纯棉T恤,服饰,100%纯棉,面料:纯棉,59
D-4,陶瓷马克杯,家居,大容量,容量:350ml,29
"""

PACK = """
pack: test.repair
rules:
  - id: test.repair.lowest
    category: price_fraud
    severity: block
    law: 《明码标价和禁止价格欺诈规定》
    message: {zh: 无法证实的最低价表述, en: unverifiable lowest-price claim}
    terms: [全网最低价]
    examples:
      match: ["全网最低价，快来", "今天全网最低价"]
      no_match: ["价格实惠", "以页面价格为准"]
  - id: test.repair.hype
    category: absolute_term
    severity: warn
    law: 《广告法》第九条
    message: {zh: 夸张用语, en: hype}
    terms: [爆款神器]
    examples:
      match: ["爆款神器来了", "这是爆款神器"]
      no_match: ["好用", "实用"]
"""

BLOCK = "全网最低价，今天就下单！"
WARN = "爆款神器来了！"
UNUSABLE = "I'm sorry, I can't write that."

#: What the server answers, by SKU: "clean", "block", "warn", "block+warn" or "unusable".
Script = dict[str, str]


def _fields(kind: str) -> str:
    if kind == "unusable":
        return UNUSABLE
    fields = sample_fields("social", "zh")
    prefix = (BLOCK if "block" in kind else "") + (WARN if "warn" in kind else "")
    fields["body"] = prefix + fields["body"]
    return json.dumps(fields, ensure_ascii=False)


def sku_of(request: RecordedRequest | dict[str, Any]) -> str:
    messages = request.messages if isinstance(request, RecordedRequest) else request["messages"]
    text = json.dumps(messages, ensure_ascii=False)
    found = [sku for sku in ("A-1", "B-2", "C-3", "D-4") if sku in text]
    assert len(found) == 1, text[:300]
    return found[0]


def is_repair(request: RecordedRequest) -> bool:
    return any(m.get("role") == "assistant" for m in request.messages)


class Replies:
    """First drafts and repairs answered from two scripts (default: clean)."""

    def __init__(self, server: FakeOpenAIServer) -> None:
        self.first: Script = {}
        self.repair: Script = {}
        self.on_repair: Callable[[str], None] | None = None
        server.responder = self

    def __call__(self, body: dict[str, Any]) -> str:
        sku = sku_of(body)
        if any(m.get("role") == "assistant" for m in body.get("messages", [])):
            if self.on_repair is not None:
                self.on_repair(sku)
            return _fields(self.repair.get(sku, "clean"))
        return _fields(self.first.get(sku, "clean"))


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(api_key=API_KEY) as srv:
        yield srv


@pytest.fixture
def replies(server: FakeOpenAIServer) -> Replies:
    return Replies(server)


@pytest.fixture
def products(tmp_path: Path) -> Path:
    path = tmp_path / "products.csv"
    path.write_text(PRODUCTS_CSV, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One path for the module: the compiled rules are then built once, not per test.
    path = tmp_path_factory.mktemp("rules") / "pack.yaml"
    path.write_text(PACK, encoding="utf-8")
    return path


def settings_for(server: FakeOpenAIServer, pack: Path, **changes: Any) -> Settings:
    base = load_settings(
        cli={
            "backend": "openai",
            "model": "fake-model",
            "base_url": server.url,
            "platforms": "social",
            "concurrency": 2,
            "cache": False,
            "rules": [str(pack)],
        }
    )
    return with_overrides(base, **changes) if changes else base


def cli(server: FakeOpenAIServer, products: Path, outdir: Path, pack: Path, *extra: str) -> Any:
    """``copygen generate`` against the server; --max-repairs 0 unless ``extra`` says."""
    args = server.generate_args(products, outdir, "--rules", str(pack), *extra)
    return CliRunner().invoke(app, args)


def lines_by_id(outdir: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for line in (outdir / "results.jsonl").read_bytes().splitlines(keepends=True):
        item = json.loads(line)["id"]
        assert item not in out, f"{item} recorded twice"
        out[item] = line
    return out


def record(outdir: Path, sku: str) -> dict[str, Any]:
    return dict(json.loads(lines_by_id(outdir)[f"{sku}:social:zh:v1"]))


def audit_ok(outdir: Path) -> None:
    assert verify(outdir / "audit.jsonl").ok
    checked = CliRunner().invoke(app, ["audit", "verify", str(outdir)])
    assert checked.exit_code == 0, checked.output  # the records are proven too


# --- the repair run --------------------------------------------------------------------


def test_repair_fixes_a_flagged_item_and_leaves_the_others_byte_identical(
    server: FakeOpenAIServer, replies: Replies, products: Path, pack: Path, tmp_path: Path
) -> None:
    outdir = tmp_path / "out"
    # First run, no repairs: A-1 blocked, B-2 blocked then approved, C-3 pass, D-4 error.
    replies.first = {"A-1": "block", "B-2": "block", "D-4": "unusable"}
    first = cli(server, products, outdir, pack, "--xlsx")
    assert first.exit_code == ExitCode.BACKEND, first.output
    decide = ["--decide", "B-2:social:zh:v1=approve", "--force", "--reason", "checked"]
    decided = CliRunner().invoke(app, ["review", str(outdir), *decide])
    assert decided.exit_code == 0, decided.output
    assert record(outdir, "B-2")["status"] == "approved"
    before = lines_by_id(outdir)
    old_a1 = json.loads(before["A-1:social:zh:v1"])
    assert old_a1["status"] == "blocked" and old_a1["attempts"] == 1
    server.clear()
    events_before = len(read_events(outdir / "audit.jsonl"))

    result = cli(server, products, outdir, pack, "--repair", "--max-repairs", "1")

    # Only the flagged item was asked for, once, as a repair of its kept draft.
    assert [sku_of(r) for r in server.chat_requests] == ["A-1"]
    assert is_repair(server.chat_requests[0])
    assert BLOCK.rstrip("！") in json.dumps(server.chat_requests[0].messages, ensure_ascii=False)
    # Earlier errors are not this run's: they are retried by a normal run, not here.
    assert result.exit_code == 0, result.output
    assert "1 of 1 flagged items: 1 now pass, 0 still review, 0 still blocked" in result.output
    assert "copygen generate --repair done" in result.output
    after = lines_by_id(outdir)
    assert list(after) == list(before)  # same items, same order
    for item in ("B-2:social:zh:v1", "C-3:social:zh:v1", "D-4:social:zh:v1"):
        assert after[item] == before[item], item
    new_a1 = json.loads(after["A-1:social:zh:v1"])
    assert new_a1["status"] == "pass" and new_a1["findings"] == []
    assert new_a1["attempts"] == 2 and new_a1["kept_attempt"] == 2
    assert BLOCK not in new_a1["fields"]["body"]
    for key in ("prompt_tokens", "completion_tokens"):
        assert new_a1["usage"][key] > old_a1["usage"][key]
    assert new_a1["latency_ms"] >= old_a1["latency_ms"]
    assert new_a1["run"] != old_a1["run"]

    events = read_events(outdir / "audit.jsonl")[events_before:]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished"
    assert events[0]["mode"] == "repair" and events[0]["flagged"] == 1
    assert events[0]["max_repairs"] == 1
    mine = [e for e in events if e.get("item") == "A-1:social:zh:v1"]
    assert [(e["event"], e.get("attempt")) for e in mine] == [
        ("checked", 1),
        ("generated", 2),
        ("checked", 2),
        ("repaired", 2),
        ("recorded", None),
    ]
    assert mine[0]["recheck"] is True and mine[0]["status"] == "blocked"
    assert mine[3]["from_attempt"] == 1 and mine[3]["kept"] == 2
    assert not any(e.get("item", "A-1").startswith(("B-2", "C-3", "D-4")) for e in events)
    finished = events[-1]
    assert finished["mode"] == "repair" and finished["outcome"] == "completed"
    assert finished["repair"]["pass"] == 1 and finished["repair"]["done"] == 1
    audit_ok(outdir)
    manifest = json.loads((outdir / "run.json").read_text("utf-8"))
    assert manifest["runs"][-1]["mode"] == "repair"
    assert manifest["fingerprint"]["max_repairs"] == 0  # the folder's settings stay its own
    # The tables were rebuilt from the new record.
    rows = (outdir / "results.csv").read_text("utf-8-sig").split("\n")
    a1 = [row for row in rows if row.startswith("A-1:social:zh:v1,")]
    assert len(a1) == 1 and ",pass," in a1[0] and BLOCK not in a1[0]
    # So was the workbook an earlier run wrote (this run did not say --xlsx).
    from openpyxl import load_workbook

    sheet = load_workbook(outdir / "results.xlsx", read_only=True).active
    assert sheet is not None
    [row] = [r for r in sheet.iter_rows(values_only=True) if r[0] == "A-1:social:zh:v1"]
    assert "pass" in row and "blocked" not in row


def test_a_repair_that_comes_back_worse_keeps_the_draft(
    server: FakeOpenAIServer, replies: Replies, products: Path, pack: Path, tmp_path: Path
) -> None:
    outdir = tmp_path / "out"
    replies.first = {"A-1": "warn"}
    generate(input_path=products, outdir=outdir, settings=settings_for(server, pack, max_repairs=0))
    old = record(outdir, "A-1")
    assert old["status"] == "review"
    replies.repair = {"A-1": "block+warn"}  # every repair is worse

    summary = generate(
        input_path=products,
        outdir=outdir,
        settings=settings_for(server, pack, max_repairs=2),
        repair=True,
    )
    new = record(outdir, "A-1")
    assert new["fields"] == old["fields"] and new["status"] == "review"
    assert new["findings"] == old["findings"] and new["template"] == old["template"]
    assert new["attempts"] == 3 and new["kept_attempt"] == 1  # two more drafts, neither kept
    assert new["usage"]["total_tokens"] > old["usage"]["total_tokens"]
    assert summary.repair is not None
    assert (summary.repair.flagged, summary.repair.review, summary.repair.kept) == (1, 1, 1)
    assert summary.exit_code == ExitCode.OK
    repaired = read_events(outdir / "audit.jsonl", event="repaired")
    assert [(e["attempt"], e["from_attempt"], e["kept"]) for e in repaired] == [
        (2, 1, 1),
        (3, 1, 1),
    ]
    audit_ok(outdir)


def test_fail_on_and_nothing_to_repair(
    server: FakeOpenAIServer, replies: Replies, products: Path, pack: Path, tmp_path: Path
) -> None:
    outdir = tmp_path / "out"
    replies.first = {"A-1": "warn"}
    assert cli(server, products, outdir, pack).exit_code == 0
    replies.repair = {"A-1": "warn"}  # the repair does not get rid of the warning
    repair = ("--repair", "--max-repairs", "1", "--fail-on", "warn")
    still = cli(server, products, outdir, pack, *repair)
    assert still.exit_code == ExitCode.FINDINGS, still.output
    assert "0 now pass, 1 still review" in still.output
    replies.repair = {}
    fixed = cli(server, products, outdir, pack, *repair)
    assert fixed.exit_code == 0, fixed.output
    assert record(outdir, "A-1")["attempts"] == 3

    results = (outdir / "results.jsonl").read_bytes()
    log = (outdir / "audit.jsonl").read_bytes()
    server.clear()
    nothing = cli(server, products, outdir, pack, "--repair", "--max-repairs", "1")
    assert nothing.exit_code == 0, nothing.output
    assert nothing.output.strip() == "nothing to repair: no item is in review or blocked"
    assert server.chat_requests == []
    assert (outdir / "results.jsonl").read_bytes() == results
    assert (outdir / "audit.jsonl").read_bytes() == log


def test_a_folder_without_results_is_refused(
    server: FakeOpenAIServer, products: Path, pack: Path, tmp_path: Path
) -> None:
    outdir = tmp_path / "never"
    result = cli(server, products, outdir, pack, "--repair")
    assert result.exit_code == ExitCode.USAGE
    assert f"nothing to repair: {outdir} has no results.jsonl; run generate first" in (
        result.output
    )
    assert "Traceback" not in result.output
    assert not outdir.exists()  # not even a lock file was left behind
    with pytest.raises(ConfigError, match="--force"):
        generate(
            input_path=products,
            outdir=outdir,
            settings=settings_for(server, pack),
            repair=True,
            force=True,
        )


def test_repair_respects_the_folder_lock(
    server: FakeOpenAIServer, replies: Replies, products: Path, pack: Path, tmp_path: Path
) -> None:
    outdir = tmp_path / "out"
    replies.first = {"A-1": "block"}
    assert cli(server, products, outdir, pack).exit_code == 0
    results = (outdir / "results.jsonl").read_bytes()
    server.clear()
    with ResultStore(outdir).lock():  # another writer (a review, a run) holds the folder
        locked = cli(server, products, outdir, pack, "--repair", "--max-repairs", "1")
    assert locked.exit_code == ExitCode.USAGE, locked.output
    assert "another copygen process is writing this output folder" in locked.output
    assert server.chat_requests == [] and (outdir / "results.jsonl").read_bytes() == results
    zero = cli(server, products, outdir, pack, "--repair")  # generate_args: --max-repairs 0
    assert zero.exit_code == ExitCode.USAGE and "would repair nothing" in zero.output


# --- the settings check --------------------------------------------------------------------


def test_max_repairs_is_part_of_the_settings_check(
    server: FakeOpenAIServer, replies: Replies, products: Path, pack: Path, tmp_path: Path
) -> None:
    outdir = tmp_path / "out"
    replies.first = {"A-1": "block"}
    replies.repair = {"A-1": "block"}  # the default single repair does not help
    generate(input_path=products, outdir=outdir, settings=settings_for(server, pack))
    assert record(outdir, "A-1")["attempts"] == 2
    manifest = json.loads((outdir / "run.json").read_text("utf-8"))
    assert manifest["fingerprint"]["max_repairs"] == 1  # the effective value, not null

    refused = cli(server, products, outdir, pack, "--max-repairs", "3")
    assert refused.exit_code == ExitCode.USAGE, refused.output
    assert (
        "output folder already used: it was generated with different settings: "
        "max_repairs: 1 -> 3" in refused.output
    )
    assert "--repair" in refused.output and "Traceback" not in refused.output

    replies.repair = {}
    accepted = cli(server, products, outdir, pack, "--max-repairs", "3", "--repair")
    assert accepted.exit_code == 0, accepted.output
    assert record(outdir, "A-1")["status"] == "pass"
    assert record(outdir, "A-1")["attempts"] == 3  # 2 before, then the first repair passed
    # The folder's own settings still resume it.
    again = cli(server, products, outdir, pack, "--max-repairs", "1")
    assert again.exit_code == 0, again.output
    assert "new / resumed: 0 / 4" in again.output


def test_an_older_folder_without_max_repairs_in_its_fingerprint_still_resumes(
    server: FakeOpenAIServer, replies: Replies, products: Path, pack: Path, tmp_path: Path
) -> None:
    outdir = tmp_path / "out"
    settings = settings_for(server, pack)
    generate(input_path=products, outdir=outdir, settings=settings)
    # As an older copygen wrote it: no max_repairs in the fingerprint, and the run
    # stopped before the last item.
    manifest_path = outdir / "run.json"
    manifest = json.loads(manifest_path.read_text("utf-8"))
    del manifest["fingerprint"]["max_repairs"]
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    lines = (outdir / "results.jsonl").read_bytes().splitlines(keepends=True)
    (outdir / "results.jsonl").write_bytes(b"".join(lines[:-1]))

    with pytest.raises(ConfigError, match=r"max_repairs: 1 -> 2"):
        generate(
            input_path=products, outdir=outdir, settings=settings_for(server, pack, max_repairs=2)
        )
    server.clear()
    summary = generate(input_path=products, outdir=outdir, settings=settings)
    assert (summary.resumed, summary.new) == (3, 1)
    assert len(server.chat_requests) == 1
    upgraded = json.loads(manifest_path.read_text("utf-8"))
    assert upgraded["fingerprint"]["max_repairs"] == 1


def test_repair_with_other_settings_is_refused(
    server: FakeOpenAIServer, replies: Replies, products: Path, pack: Path, tmp_path: Path
) -> None:
    outdir = tmp_path / "out"
    replies.first = {"A-1": "block"}
    assert cli(server, products, outdir, pack).exit_code == 0
    results = (outdir / "results.jsonl").read_bytes()
    server.clear()
    other = cli(
        server, products, outdir, pack, "--repair", "--max-repairs", "2", "-m", "other-model"
    )
    assert other.exit_code == ExitCode.USAGE, other.output
    assert "model: 'fake-model' -> 'other-model'" in other.output
    assert server.chat_requests == [] and (outdir / "results.jsonl").read_bytes() == results


# --- interrupted -------------------------------------------------------------------------------


def test_an_interrupted_repair_keeps_what_it_repaired(
    server: FakeOpenAIServer, replies: Replies, products: Path, pack: Path, tmp_path: Path
) -> None:
    outdir = tmp_path / "out"
    replies.first = {"A-1": "block", "B-2": "block", "C-3": "warn", "D-4": "block"}
    settings = settings_for(server, pack, max_repairs=0, concurrency=1)
    generate(input_path=products, outdir=outdir, settings=settings)
    before = lines_by_id(outdir)
    repairs: list[str] = []

    def interrupt_at_the_second(sku: str) -> None:
        repairs.append(sku)
        if len(repairs) == 2:  # Ctrl-C while B-2's repair is in flight
            os.kill(os.getpid(), signal.SIGINT)

    replies.on_repair = interrupt_at_the_second
    server.latency = 0.3  # B-2's reply is still on its way when the signal comes
    settings = with_overrides(settings, max_repairs=1)
    summary = generate(input_path=products, outdir=outdir, settings=settings, repair=True)
    assert summary.interrupted and summary.exit_code == ExitCode.INTERRUPTED
    after = lines_by_id(outdir)  # no item twice: compacted on the way out
    assert list(after) == list(before)
    assert json.loads(after["A-1:social:zh:v1"])["status"] == "pass"
    for item in ("B-2:social:zh:v1", "C-3:social:zh:v1", "D-4:social:zh:v1"):
        assert after[item] == before[item], item
    assert summary.repair is not None and summary.repair.done == 1
    finished = read_events(outdir / "audit.jsonl")[-1]
    assert finished["event"] == "run_finished" and finished["outcome"] == "interrupted"
    audit_ok(outdir)

    # Running it again repairs the rest.
    replies.on_repair = None
    server.latency = 0.0
    server.clear()
    rest = generate(input_path=products, outdir=outdir, settings=settings, repair=True)
    assert sorted(sku_of(r) for r in server.chat_requests) == ["B-2", "C-3", "D-4"]
    assert rest.repair is not None and rest.repair.passed == 3
    assert rest.count("pass") == 4 and rest.exit_code == ExitCode.OK
    audit_ok(outdir)


# --- with the judge ------------------------------------------------------------------------------

SLY = "吃了一个月，复查的数字都好看了"  # passes the rules; the judge calls it a medical claim


def judged_responder(body: dict[str, Any]) -> str:
    users = [str(m["content"]) for m in body["messages"] if m.get("role") == "user"]
    if users and "<copy_text>" in users[0]:  # the judge
        found = [{"quote": SLY, "category": "medical_claim", "reason": "暗示治病"}]
        return json.dumps({"violations": found if SLY in users[0] else []}, ensure_ascii=False)
    fields = sample_fields("social", "zh")
    if not any(m.get("role") == "assistant" for m in body["messages"]):
        fields["body"] = f"{SLY}。{fields['body']}"
    return json.dumps(fields, ensure_ascii=False)


def test_repair_with_the_judge_judges_again_and_adds_up_its_costs(
    server: FakeOpenAIServer, products: Path, pack: Path, tmp_path: Path
) -> None:
    server.responder = judged_responder
    outdir = tmp_path / "out"
    assert cli(server, products, outdir, pack, "--judge").exit_code == 0
    old = record(outdir, "A-1")
    assert old["status"] == "review" and old["judge"]["passes"] == 1

    result = cli(server, products, outdir, pack, "--judge", "--repair", "--max-repairs", "1")
    assert result.exit_code == 0, result.output
    assert "4 of 4 flagged items: 4 now pass" in result.output
    new = record(outdir, "A-1")
    assert new["status"] == "pass" and new["attempts"] == 2 and SLY not in new["fields"]["body"]
    # The kept draft judged again (still flagged), then the repair judged (clean).
    assert new["judge"]["passes"] == 3 and new["judge"]["calls"] == 3
    assert new["judge"]["added"] == 2
    for key in ("prompt_tokens", "completion_tokens"):
        assert new["judge"]["usage"][key] > old["judge"]["usage"][key]
    judged = read_events(outdir / "audit.jsonl", item="A-1:social:zh:v1", event="judged")
    assert [e["attempt"] for e in judged] == [1, 1, 2]
    # Without the judge the folder's settings differ: refused.
    without = cli(server, products, outdir, pack, "--repair", "--max-repairs", "1")
    assert without.exit_code == ExitCode.USAGE and "judge" in without.output
    audit_ok(outdir)


def test_compact_puts_each_replaced_record_back_in_its_place(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    # Spacing no writer of copygen uses: untouched lines must be copied, not re-encoded.
    lines = [b'{"id": "a", "v": 1}\n', b'{"id":"b","v":1}\n', b'{"id":"c","v":1}\n']
    store.path.write_bytes(b"".join(lines))
    assert store.compact() == 0 and store.path.read_bytes() == b"".join(lines)
    store.append({"id": "b", "v": 2})  # a repair run, killed before it compacted
    store.append({"id": "b", "v": 3})
    store.close()
    assert store.compact() == 2
    assert store.path.read_bytes() == lines[0] + b'{"id":"b","v":3}\n' + lines[2]


def test_the_record_a_repair_replaced_does_not_prove_itself_when_pasted_back(
    server: FakeOpenAIServer, replies: Replies, products: Path, pack: Path, tmp_path: Path
) -> None:
    outdir = tmp_path / "out"
    replies.first = {"A-1": "block"}
    assert cli(server, products, outdir, pack).exit_code == 0
    old_line = lines_by_id(outdir)["A-1:social:zh:v1"]
    repaired = cli(server, products, outdir, pack, "--repair", "--max-repairs", "1")
    assert repaired.exit_code == 0, repaired.output
    audit_ok(outdir)
    # The blocked draft put back by hand over its repair: the log says it was replaced.
    results = outdir / "results.jsonl"
    lines = results.read_bytes().splitlines(keepends=True)
    results.write_bytes(
        b"".join(old_line if b'"A-1:social:zh:v1"' in line else line for line in lines)
    )
    checked = CliRunner().invoke(app, ["audit", "verify", str(outdir)])
    assert checked.exit_code == ExitCode.AUDIT, checked.output
    assert "A-1:social:zh:v1" in checked.output and "replaced" in checked.output
