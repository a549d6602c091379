"""The generate pipeline through its Python API, with a scripted in-process backend.

The backend here is a test double of the Backend interface (it answers from a
function), so each pipeline rule — masking, parse retries, repairs, placeholders,
errors, resume, cost — is tested deterministically and fast. Real HTTP against the
fake OpenAI server is in test_generate_openai.py; the offline backend end to end is
in test_generate_cli.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from copygen.audit import read_events, verify
from copygen.backends.base import Backend, Completion, RequestContext, Usage
from copygen.config import Price, Settings, load_settings, with_overrides
from copygen.errors import BackendError, ConfigError, ExitCode
from copygen.generate.run import generate
from copygen.generate.store import ResultStore
from copygen.testing.fake_openai import sample_fields

Reply = Callable[[Sequence[Mapping[str, str]], RequestContext], "str | Exception"]

PRODUCTS_CSV = """sku,title,category,brand,selling_points,attributes,price,platforms
A-1,保湿面霜 50g,美妆,澜朵,清爽不黏腻；客服电话13812345678,净含量:50g,99,
B-2,全麦吐司 400g,食品,麦田日记,低糖配方,净含量:400g,19.9,social
"""

TEST_PACK = """
pack: test.price
rules:
  - id: test.price.lowest
    category: price_fraud
    severity: block
    law: 《明码标价和禁止价格欺诈规定》
    message: {zh: 无法证实的最低价表述, en: unverifiable lowest-price claim}
    suggestion: {zh: 删除最低价表述, en: remove the claim}
    terms: [全网最低价]
    examples:
      match: ["全网最低价，快来", "今天全网最低价"]
      no_match: ["价格实惠", "以页面价格为准"]
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


class ScriptedBackend(Backend):
    """Answers each request with ``reply(messages, context)``; records every call."""

    name = "scripted"
    remote = True

    def __init__(self, reply: Reply | None = None) -> None:
        self.reply: Reply = reply or clean_reply
        self.calls: list[tuple[list[dict[str, str]], RequestContext]] = []
        self.closed = False

    @classmethod
    def from_settings(cls, settings: Settings) -> Backend:
        return cls()

    @property
    def model(self) -> str | None:
        return "scripted-model"

    @property
    def base_url(self) -> str | None:
        return "http://127.0.0.1:9/v1"

    async def complete(
        self,
        messages: Sequence[Mapping[str, str]],
        params: Mapping[str, Any],
        *,
        context: RequestContext | None = None,
    ) -> Completion:
        assert context is not None
        self.calls.append(([dict(m) for m in messages], context))
        answer = self.reply(messages, context)
        if isinstance(answer, Exception):
            raise answer
        return Completion(text=answer, usage=Usage(1000, 500), latency_ms=12.0, model="m")

    async def aclose(self) -> None:
        self.closed = True

    def calls_for(self, item_id: str) -> list[RequestContext]:
        return [ctx for _, ctx in self.calls if ctx.item_id == item_id]


def clean_reply(messages: Sequence[Mapping[str, str]], ctx: RequestContext) -> str:
    fields = sample_fields(ctx.platform, ctx.lang)
    return json.dumps(fields, ensure_ascii=False)


def reply_with(body_first: str) -> Reply:
    """Social posts: ``body_first`` in the first draft, a clean text in repairs."""

    def reply(messages: Sequence[Mapping[str, str]], ctx: RequestContext) -> str:
        fields = sample_fields(ctx.platform, ctx.lang)
        if ctx.platform == "social" and ctx.attempt == 1:
            fields["body"] = body_first
        return json.dumps(fields, ensure_ascii=False)

    return reply


@pytest.fixture
def products(tmp_path: Path) -> Path:
    path = tmp_path / "products.csv"
    path.write_text(PRODUCTS_CSV, encoding="utf-8")
    return path


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    path = tmp_path / "test_rules.yaml"
    path.write_text(TEST_PACK, encoding="utf-8")
    return path


def settings_for(pack: Path | None = None, **changes: Any) -> Settings:
    cli: dict[str, Any] = {"cache": False}
    if pack is not None:
        cli["rules"] = str(pack)
    base = load_settings(cli=cli)
    return with_overrides(base, **changes) if changes else base


def run(products: Path, outdir: Path, backend: Backend, settings: Settings, **kwargs: Any) -> Any:
    return generate(
        input_path=products, outdir=outdir, settings=settings, backend=backend, **kwargs
    )


def records(outdir: Path) -> dict[str, dict[str, Any]]:
    lines = (outdir / "results.jsonl").read_text(encoding="utf-8").splitlines()
    out = [json.loads(line) for line in lines]
    ids = [r["id"] for r in out]
    assert len(ids) == len(set(ids)), "an item was recorded twice"
    return {r["id"]: r for r in out}


# --- the plan ---------------------------------------------------------------------------------


def test_items_rows_platforms_variants(products: Path, tmp_path: Path) -> None:
    backend = ScriptedBackend()
    settings = settings_for(variants=2)
    summary = run(products, tmp_path / "out", backend, settings)
    got = records(tmp_path / "out")
    # A-1: 3 platforms x 2 variants; B-2's platforms column narrows it to social.
    assert sorted(got) == sorted(
        [f"A-1:{p}:zh:v{v}" for p in ("livestream", "social", "detail") for v in (1, 2)]
        + ["B-2:social:zh:v1", "B-2:social:zh:v2"]
    )
    assert summary.planned == summary.items == summary.new == 8
    assert summary.exit_code == ExitCode.OK
    assert backend.closed
    record = got["A-1:social:zh:v2"]
    assert record["variant"] == 2 and record["status"] == "pass" and record["attempts"] == 1
    assert record["aigc"]["generated"] is True and record["aigc"]["content_id"]
    assert record["aigc"]["label"] == {"text": "本内容由AI辅助生成", "position": "end"}
    assert got["A-1:detail:zh:v1"]["aigc"]["label"] is None
    assert record["product"]["sku"] == "A-1"
    assert record["template"]["name"] == "social.zh.j2" and len(record["template"]["hash"]) == 64
    assert record["usage"] == {
        "prompt_tokens": 1000,
        "completion_tokens": 500,
        "total_tokens": 1500,
    }


def test_lang_option_is_in_the_id(products: Path, tmp_path: Path) -> None:
    backend = ScriptedBackend()
    run(products, tmp_path / "out", backend, settings_for(lang="en", platforms=("detail",)))
    assert sorted(records(tmp_path / "out")) == ["A-1:detail:en:v1"]
    assert all(ctx.lang == "en" for _, ctx in backend.calls)


# --- personal data ----------------------------------------------------------------------------


def test_personal_data_is_masked_before_a_remote_backend(products: Path, tmp_path: Path) -> None:
    backend = ScriptedBackend()
    run(products, tmp_path / "out", backend, settings_for(platforms=("detail",)))
    sent = json.dumps([messages for messages, _ in backend.calls], ensure_ascii=False)
    assert "13812345678" not in sent
    assert "[手机号]" in sent
    audit = (tmp_path / "out" / "audit.jsonl").read_text(encoding="utf-8")
    assert "13812345678" not in audit


def test_a_placeholder_in_the_reply_is_blocked_and_repaired(products: Path, tmp_path: Path) -> None:
    backend = ScriptedBackend(reply_with("有问题请拨打[手机号]咨询。"))
    run(products, tmp_path / "out", backend, settings_for(platforms=("social",)))
    record = records(tmp_path / "out")["A-1:social:zh:v1"]
    assert record["status"] == "pass"
    assert record["attempts"] == 2
    assert "[手机号]" not in json.dumps(record["fields"], ensure_ascii=False)
    repair_ctx = backend.calls_for("A-1:social:zh:v1")[1]
    assert repair_ctx.attempt == 2
    assert repair_ctx.findings[0]["rule"] == "copygen.pii.placeholder"
    assert repair_ctx.findings[0]["text"] == "[手机号]"

    # Without repairs the placeholder stays flagged: never published as pass.
    backend = ScriptedBackend(reply_with("有问题请拨打[手机号]咨询。"))
    run(products, tmp_path / "out2", backend, settings_for(platforms=("social",), max_repairs=0))
    record = records(tmp_path / "out2")["A-1:social:zh:v1"]
    assert record["status"] == "blocked"
    finding = record["findings"][0]
    assert finding["category"] == "personal_data" and finding["field"] == "body"
    assert record["fields"]["body"][finding["start"] : finding["end"]] == "[手机号]"


# --- replies that cannot be used --------------------------------------------------------------


def test_unparseable_reply_is_retried_then_the_item_errors(products: Path, tmp_path: Path) -> None:
    calls: dict[str, int] = {}

    def reply(messages: Sequence[Mapping[str, str]], ctx: RequestContext) -> str:
        calls[ctx.item_id] = calls.get(ctx.item_id, 0) + 1
        if ctx.item_id.startswith("A-1"):
            return "Sorry, I cannot help with that."
        if calls[ctx.item_id] == 1:
            return "{not json"
        return clean_reply(messages, ctx)

    backend = ScriptedBackend(reply)
    summary = run(products, tmp_path / "out", backend, settings_for(platforms=("social",)))
    got = records(tmp_path / "out")
    bad = got["A-1:social:zh:v1"]
    assert bad["status"] == "error"
    assert bad["fields"] is None
    assert "unusable reply" in bad["error"] and "3 tries" in bad["error"]
    assert calls["A-1:social:zh:v1"] == 3
    good = got["B-2:social:zh:v1"]
    assert good["status"] == "pass" and calls["B-2:social:zh:v1"] == 2
    assert summary.errors == 1 and summary.exit_code == ExitCode.BACKEND
    events = [e for e in read_events(tmp_path / "out" / "audit.jsonl") if e["event"] == "generated"]
    errors = [e for e in events if e.get("error")]
    assert len(errors) == 4  # three for A-1, one for B-2's first reply
    assert all(e["response"] is not None for e in errors)


def test_backend_failure_is_an_error_item_and_the_run_goes_on(
    products: Path, tmp_path: Path
) -> None:
    def reply(messages: Sequence[Mapping[str, str]], ctx: RequestContext) -> str | Exception:
        if ctx.item_id.startswith("A-1"):
            return BackendError("server error 500 after 4 retries")
        return clean_reply(messages, ctx)

    outdir = tmp_path / "out"
    summary = run(products, outdir, ScriptedBackend(reply), settings_for(platforms=("social",)))
    got = records(outdir)
    assert got["A-1:social:zh:v1"]["status"] == "error"
    assert got["A-1:social:zh:v1"]["error"] == "server error 500 after 4 retries"
    assert got["B-2:social:zh:v1"]["status"] == "pass"
    assert summary.exit_code == ExitCode.BACKEND
    assert verify(outdir / "audit.jsonl").ok

    # Re-running retries only the failed item; the file still has each id once.
    backend = ScriptedBackend()
    summary = run(products, outdir, backend, settings_for(platforms=("social",)))
    assert [ctx.item_id for _, ctx in backend.calls] == ["A-1:social:zh:v1"]
    got = records(outdir)
    assert got["A-1:social:zh:v1"]["status"] == "pass"
    assert summary.exit_code == ExitCode.OK and summary.new == 1 and summary.resumed == 1


# --- repairs ----------------------------------------------------------------------------------


def test_flagged_draft_is_repaired_and_every_attempt_logged(
    products: Path, pack: Path, tmp_path: Path
) -> None:
    outdir = tmp_path / "out"
    backend = ScriptedBackend(reply_with("今天全网最低价，赶紧下单！"))
    summary = run(products, outdir, backend, settings_for(pack, platforms=("social",)))
    record = records(outdir)["A-1:social:zh:v1"]
    assert record["status"] == "pass" and record["attempts"] == 2
    assert "全网最低价" not in record["fields"]["body"]
    repair = backend.calls_for("A-1:social:zh:v1")[1]
    assert repair.previous_fields is not None
    assert repair.previous_fields["body"] == "今天全网最低价，赶紧下单！"
    assert "test.price.lowest" in [f["rule"] for f in repair.findings]
    repair_messages = backend.calls[[c for _, c in backend.calls].index(repair)][0]
    assert repair_messages[-2]["role"] == "assistant"  # the draft being repaired
    assert "全网最低价" in repair_messages[-1]["content"]
    assert summary.count("pass") == 2

    events = [e for e in read_events(outdir / "audit.jsonl") if e.get("item") == "A-1:social:zh:v1"]
    assert [(e["event"], e.get("attempt")) for e in events] == [
        ("generated", 1),
        ("checked", 1),
        ("generated", 2),
        ("checked", 2),
        ("repaired", 2),
        ("recorded", None),  # the record's hash, last (copygen.audit.binding)
    ]
    assert events[1]["status"] == "blocked"
    assert "test.price.lowest" in events[4]["findings_fixed"]
    assert events[4]["status"] == "pass"
    assert events[0]["response"] and events[0]["template"] == "social.zh.j2"
    assert events[2]["template"] == "repair.zh.j2"
    assert verify(outdir / "audit.jsonl").ok


def test_repairs_are_bounded_and_the_last_status_stands(
    products: Path, pack: Path, tmp_path: Path
) -> None:
    def stubborn(messages: Sequence[Mapping[str, str]], ctx: RequestContext) -> str:
        fields = sample_fields(ctx.platform, ctx.lang)
        # Blocked first, then only a warning that never goes away.
        fields["body"] = "全网最低价！" if ctx.attempt == 1 else "爆款神器，值得一试。"
        return json.dumps(fields, ensure_ascii=False)

    backend = ScriptedBackend(stubborn)
    settings = settings_for(pack, platforms=("social",), max_repairs=2)
    summary = run(products, tmp_path / "out", backend, settings)
    record = records(tmp_path / "out")["A-1:social:zh:v1"]
    assert record["attempts"] == 3
    assert record["status"] == "review"
    assert len(backend.calls_for("A-1:social:zh:v1")) == 3
    assert summary.count("review") == 2
    assert summary.exit_code == ExitCode.OK  # generate's default --fail-on is never

    fail = run(
        products,
        tmp_path / "out3",
        ScriptedBackend(stubborn),
        with_overrides(settings, fail_on="warn"),
    )
    assert fail.exit_code == ExitCode.FINDINGS


def test_a_failed_repair_keeps_the_flagged_draft(
    products: Path, pack: Path, tmp_path: Path
) -> None:
    def reply(messages: Sequence[Mapping[str, str]], ctx: RequestContext) -> str | Exception:
        if ctx.attempt > 1:
            return BackendError("timed out")
        return reply_with("全网最低价！")(messages, ctx)

    summary = run(
        products,
        tmp_path / "out",
        ScriptedBackend(reply),
        settings_for(pack, platforms=("social",)),
    )
    record = records(tmp_path / "out")["A-1:social:zh:v1"]
    assert record["status"] == "blocked" and record["attempts"] == 1 and record["error"] is None
    assert summary.count("blocked") == 2 and summary.exit_code == ExitCode.OK


# --- cost ---------------------------------------------------------------------------------------


def test_cost_from_the_price_table(products: Path, tmp_path: Path) -> None:
    priced = settings_for(
        platforms=("social",),
        prices={"scripted-model": Price(input=2.0, output=8.0, currency="CNY")},
    )
    summary = run(products, tmp_path / "out", ScriptedBackend(), priced)
    record = records(tmp_path / "out")["A-1:social:zh:v1"]
    assert record["cost"] == pytest.approx(0.006) and record["currency"] == "CNY"
    assert summary.cost == pytest.approx(0.012) and summary.cost_per_text == pytest.approx(0.006)
    assert summary.latency_p50_ms == 12.0

    unknown = run(
        products, tmp_path / "out2", ScriptedBackend(), settings_for(platforms=("social",))
    )
    assert unknown.cost is None
    assert records(tmp_path / "out2")["A-1:social:zh:v1"]["cost"] is None


# --- resume and settings ------------------------------------------------------------------------


def test_resume_skips_completed_items_and_other_settings_are_refused(
    products: Path, tmp_path: Path
) -> None:
    outdir = tmp_path / "out"
    settings = settings_for(platforms=("social", "detail"))
    run(products, outdir, ScriptedBackend(), settings)
    first = (outdir / "results.jsonl").read_bytes()
    # Simulate a crash: drop the last record and leave a torn line.
    lines = first.splitlines(keepends=True)
    (outdir / "results.jsonl").write_bytes(b"".join(lines[:-1]) + lines[-1][:40])
    backend = ScriptedBackend()
    summary = run(products, outdir, backend, settings)
    assert len(backend.calls) == 1
    assert summary.new == 1 and summary.resumed == len(lines) - 1
    assert len(records(outdir)) == len(lines)
    # Nothing left to do.
    backend = ScriptedBackend()
    summary = run(products, outdir, backend, settings)
    assert backend.calls == [] and summary.new == 0

    with pytest.raises(ConfigError) as info:
        run(products, outdir, ScriptedBackend(), settings_for(platforms=("social",)))
    assert info.value.exit_code == ExitCode.USAGE
    assert "platforms" in str(info.value)
    summary = run(
        products, outdir, ScriptedBackend(), settings_for(platforms=("social",)), force=True
    )
    assert summary.items == 2 and summary.resumed == 0
    assert list(outdir.glob("results.superseded-*.jsonl"))


def test_input_change_is_detected(products: Path, tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    settings = settings_for(platforms=("social",))
    run(products, outdir, ScriptedBackend(), settings)
    products.write_text(PRODUCTS_CSV + "C-3,新品,其他,,,,,\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="input file content changed"):
        run(products, outdir, ScriptedBackend(), settings)


def test_tables_are_rebuilt_with_labels_and_formula_safety(products: Path, tmp_path: Path) -> None:
    def reply(messages: Sequence[Mapping[str, str]], ctx: RequestContext) -> str:
        fields = sample_fields(ctx.platform, ctx.lang)
        if ctx.platform == "social":
            fields["title"] = "=HYPERLINK(1)"
        return json.dumps(fields, ensure_ascii=False)

    outdir = tmp_path / "out"
    run(products, outdir, ScriptedBackend(reply), settings_for(platforms=("social",)), xlsx=True)
    raw = (outdir / "results.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 2
    assert rows[0]["title"] == "'=HYPERLINK(1)"
    assert rows[0]["body"].endswith("本内容由AI辅助生成")
    assert rows[0]["hashtags"] == " / ".join(sample_fields("social")["hashtags"])
    assert rows[0]["aigc_content_id"]
    # The label is applied in the table only; the record keeps the checked text.
    assert not records(outdir)["A-1:social:zh:v1"]["fields"]["body"].endswith("本内容由AI辅助生成")
    assert (outdir / "results.xlsx").stat().st_size > 0


def test_no_api_key_in_any_written_file(
    products: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "sk-test-SECRET-0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    settings = load_settings(cli={"cache": False, "platforms": "social"})
    assert settings.api_key == key
    outdir = tmp_path / "out"
    run(products, outdir, ScriptedBackend(), settings)
    for path in outdir.iterdir():
        assert key not in path.read_text(encoding="utf-8", errors="replace"), path.name
        assert "0123456789abcdef" not in path.read_text(encoding="utf-8", errors="replace")


def test_result_store_matches_records(products: Path, tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    run(products, outdir, ScriptedBackend(), settings_for(platforms=("social",)))
    store = ResultStore(outdir)
    assert store.completed_ids() == {"A-1:social:zh:v1", "B-2:social:zh:v1"}


# --- worker processes ---------------------------------------------------------------------------


def test_workers_and_inline_give_the_same_records(
    products: Path, pack: Path, tmp_path: Path
) -> None:
    settings = settings_for(pack, variants=2)
    outputs = []
    for workers in (0, 1):
        outdir = tmp_path / f"w{workers}"
        backend = ScriptedBackend(reply_with("全网最低价！"))
        generate(
            input_path=products, outdir=outdir, settings=settings, backend=backend, workers=workers
        )
        outputs.append(
            {
                k: (r["fields"], r["status"], r["findings"], r["attempts"], r["template"])
                for k, r in records(outdir).items()
            }
        )
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) == 8


def test_product_wire_round_trip() -> None:
    from copygen.generate.workers import product_from_wire, product_to_wire
    from copygen.inputs.product_files import read_products

    for product in read_products(Path(__file__).resolve().parents[1] / "examples" / "products.csv"):
        assert product_from_wire(product_to_wire(product)) == product


def test_a_template_error_in_a_worker_keeps_its_location(products: Path, tmp_path: Path) -> None:
    from copygen.errors import TemplateError

    custom = tmp_path / "tpl"
    custom.mkdir()
    (custom / "social.zh.j2").write_text("写一篇帖子：{{ no_such_variable }}\n", encoding="utf-8")
    settings = settings_for(platforms=("social",), templates=custom)
    with pytest.raises(TemplateError) as info:
        generate(
            input_path=products,
            outdir=tmp_path / "out",
            settings=settings,
            backend=ScriptedBackend(),
            workers=1,
        )
    assert info.value.exit_code == ExitCode.USAGE
    assert "social.zh.j2" in str(info.value)


def test_a_dead_worker_falls_back_to_this_process() -> None:
    import asyncio
    import os
    import signal

    from copygen.compliance.engine import Checker
    from copygen.generate.workers import Offload
    from copygen.inputs.product_files import read_products
    from copygen.writing.prompts import PromptBuilder

    settings = settings_for()
    checker = Checker.from_settings(settings)
    builder = PromptBuilder(settings=settings, ruleset=checker.ruleset)
    offload = Offload(builder=builder, checker=checker, workers=1)
    try:
        assert offload.workers == 1
        product = next(
            iter(read_products(Path(__file__).resolve().parents[1] / "examples" / "products.csv"))
        )
        worker_pid = offload._workers[0].pid
        assert worker_pid != os.getpid()

        async def use() -> tuple[Any, Any]:
            first = await offload.render(product, platform="social", lang="zh", variant=1)
            os.kill(worker_pid, signal.SIGKILL)
            os.waitpid(worker_pid, 0)
            second = await offload.render(product, platform="social", lang="zh", variant=1)
            await offload.aclose()
            return first, second

        first, second = asyncio.run(use())
        assert first == second
        assert offload.workers == 0  # inline from now on
    finally:
        offload.close()
