"""The LLM judge (``--judge``): a second opinion after the rules.

``copygen check --judge`` and ``copygen generate --judge`` against the local fake
OpenAI server (copygen.testing.fake_openai), which plays both the copywriter and the
judge: a request whose last user message holds ``<copy_text>`` is a judge request.
Also unit tests of the quote locator (copygen.judge.quotes) and of the reply parser
(copygen.judge.reply) on the slips models make.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from copygen.cli.main import app
from copygen.compliance.categories import CATEGORY_INFO, SEMANTIC_CATEGORIES
from copygen.judge.quotes import MAX_OCCURRENCES, QuoteSpan, locate
from copygen.judge.reply import MAX_VIOLATIONS, JudgeReplyError, Violation, parse_violations
from copygen.testing.fake_openai import (
    Behavior,
    FakeOpenAIServer,
    RecordedRequest,
    default_responder,
    sample_fields,
)

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "products.csv"
API_KEY = "sk-fake-judge-RUNKEY-0a1b2c3d"
JUDGE_KEY = "sk-fake-judge-JUDGEKEY-4e5f6a7b"

#: A text the built-in rules let through, and what a judge would object to in it.
CLEAN = "这款枕头陪我度过了很多安稳的夜晚"
CLEAN_QUOTE = "陪我度过了很多安稳的夜晚"
#: A text the rules block (absolute_term, 「最好」).
BLOCKED = "这是最好的面霜"
REASON = "暗示改善失眠这种病症"

TOP_JUDGE_KEYS = {
    "texts",
    "judged",
    "added",
    "dropped",
    "errors",
    "calls",
    "tokens_in",
    "tokens_out",
    "cost",
    "cost_per_text",
    "latency_ms",
    "model",
    "currency",
}
ITEM_JUDGE_KEYS = {
    "judged",
    "added",
    "dropped",
    "calls",
    "usage",
    "cost",
    "latency_ms",
    "cached",
    "error",
}
JUDGED_EVENT_KEYS = {
    "item",
    "attempt",
    "backend",
    "model",
    "base_url",
    "template",
    "template_hash",
    "prompt_sha256",
    "messages",
    "params",
    "responses",
    "usage",
    "cost",
    "currency",
    "latency_ms",
    "cached",
    "status_before",
    "status",
    "added",
    "dropped",
    "error",
}
RECORD_JUDGE_KEYS = {
    "model",
    "currency",
    "passes",
    "calls",
    "usage",
    "cost",
    "latency_ms",
    "added",
    "dropped",
    "error",
}


# --- helpers -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test in its own folder, with its own cache, a key, and fast retries."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("COPYGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("COPYGEN_MAX_RETRIES", "2")
    monkeypatch.setenv("COPYGEN_TIMEOUT", "10")
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as srv:
        yield srv


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def judge_opts(server: FakeOpenAIServer, *extra: str, model: str = "judge-model") -> list[str]:
    """``--judge`` with an openai judge on the fake server (the run stays offline)."""
    return [
        "--judge",
        "--judge-backend",
        "openai",
        "--judge-model",
        model,
        "--judge-base-url",
        server.url,
        *extra,
    ]


def check_json(server: FakeOpenAIServer, *args: str) -> tuple[int, dict[str, Any], Result]:
    result = invoke("check", *args, *judge_opts(server), "--format", "json")
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout), result


def reply(*violations: tuple[str, str, str]) -> str:
    return json.dumps(
        {"violations": [{"quote": q, "category": c, "reason": r} for q, c, r in violations]},
        ensure_ascii=False,
    )


def last_user(request: dict[str, Any] | RecordedRequest) -> str:
    messages = request.messages if isinstance(request, RecordedRequest) else request["messages"]
    users = [m for m in messages if m.get("role") == "user"]
    return str(users[-1]["content"]) if users else ""


def judge_prompt(request: dict[str, Any] | RecordedRequest) -> str:
    """The judge prompt of a request ("" for a copy request); a second ask after an
    unreadable reply ends with a correction, the prompt is its first message."""
    messages = request.messages if isinstance(request, RecordedRequest) else request["messages"]
    users = [str(m["content"]) for m in messages if m.get("role") == "user"]
    return users[0] if users and "<copy_text>" in users[0] else ""


def is_judge(request: dict[str, Any] | RecordedRequest) -> bool:
    return bool(judge_prompt(request))


def copy_text(request: dict[str, Any] | RecordedRequest) -> str:
    """What a judge request asked about: the text between the tags."""
    match = re.search(r"<copy_text>\n?(.*?)\n?</copy_text>", judge_prompt(request), re.DOTALL)
    assert match, judge_prompt(request)[-300:]
    return match.group(1)


def judge_requests(server: FakeOpenAIServer) -> list[RecordedRequest]:
    return [r for r in server.chat_requests if is_judge(r)]


def judge_of(
    answer: Callable[[str], str | Behavior],
) -> Callable[[dict[str, Any]], str | Behavior]:
    """A responder: judge requests are answered by ``answer(copy_text)``, copy requests
    with the default sample fields."""

    def responder(request: dict[str, Any]) -> str | Behavior:
        if is_judge(request):
            return answer(copy_text(request))
        return default_responder(request)

    return responder


def judge_findings(item: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in item["findings"] if f["rule"].startswith("judge.")]


def assert_spans_hold(findings: list[dict[str, Any]], fields: dict[str, str]) -> None:
    """The finding invariant: ``text == field_text[start:end]``."""
    for f in findings:
        if f["rule"] == "judge.unavailable":
            continue
        assert f["field"] in fields, f
        assert fields[f["field"]][f["start"] : f["end"]] == f["text"], f


# --- check --judge: findings, drops, status, exit code ----------------------------------------


def test_a_violation_in_the_text_becomes_a_finding_with_its_span(
    server: FakeOpenAIServer,
) -> None:
    server.responder = judge_of(
        lambda text: reply(
            (CLEAN_QUOTE, "medical_claim", REASON),
            ("很多安稳的夜晚", "medical_claim", "同一处，已说过"),
            ("这句话根本不在文案里", "medical_claim", "编的"),
            ("安稳的夜晚", "miracle_cure", "没有这个类别"),
            ("安稳的夜晚", "language_mismatch", "规则专属的类别"),
            ("安稳的夜晚", "format", "规则专属的类别"),
        )
    )
    # Without the judge the rules pass the text.
    plain = invoke("check", CLEAN, "--format", "json")
    assert plain.exit_code == 0, plain.output
    assert json.loads(plain.stdout)["items"][0]["status"] == "pass"

    code, doc, _ = check_json(server, CLEAN)
    assert code == 1  # a warn finding, default fail_on warn
    item = doc["items"][0]
    assert item["status"] == "review"
    assert doc["summary"]["review"] == 1 and doc["summary"]["pass"] == 0
    [finding] = judge_findings(item)
    start = CLEAN.index(CLEAN_QUOTE)
    info = CATEGORY_INFO["medical_claim"]
    assert finding == {
        "rule": "judge.medical_claim",
        "category": "medical_claim",
        "severity": "warn",
        "field": "text",
        "start": start,
        "end": start + len(CLEAN_QUOTE),
        "text": CLEAN_QUOTE,
        "message": f"AI 评审：{REASON}",
        "law": info.law,
        "suggestion": info.suggestion("zh"),
    }
    assert_spans_hold(item["findings"], {"text": CLEAN})
    dropped = {"quote_not_in_text": 1, "unknown_category": 3, "already_found": 1}
    assert set(item["judge"]) == ITEM_JUDGE_KEYS
    assert item["judge"]["judged"] is True
    assert item["judge"]["added"] == 1
    assert item["judge"]["dropped"] == dropped
    assert item["judge"]["calls"] == 1
    assert item["judge"]["cached"] is False and item["judge"]["error"] is None
    assert set(doc["judge"]) == TOP_JUDGE_KEYS
    assert doc["judge"]["texts"] == 1 and doc["judge"]["judged"] == 1
    assert doc["judge"]["added"] == 1 and doc["judge"]["dropped"] == dropped
    assert doc["judge"]["errors"] == 0 and doc["judge"]["calls"] == 1
    assert doc["judge"]["model"] == "judge-model"
    assert doc["judge"]["tokens_in"] > 0 and doc["judge"]["tokens_out"] > 0
    # The request went to the judge's model, once, with the judge's schema.
    [request] = server.chat_requests
    assert request.json["model"] == "judge-model"
    assert request.api_key == API_KEY
    assert copy_text(request) == CLEAN
    assert len(request.messages) == 1 and request.messages[0]["role"] == "user"


def test_the_judge_cannot_use_the_rule_only_categories() -> None:
    assert "language_mismatch" not in SEMANTIC_CATEGORIES
    assert "format" not in SEMANTIC_CATEGORIES
    assert "medical_claim" in SEMANTIC_CATEGORIES
    assert len(SEMANTIC_CATEGORIES) == 15


def test_text_format_has_the_judge_line_and_fail_on_block_passes_a_warn(
    server: FakeOpenAIServer,
) -> None:
    server.responder = judge_of(lambda text: reply((CLEAN_QUOTE, "medical_claim", REASON)))
    result = invoke("check", CLEAN, *judge_opts(server))
    assert result.exit_code == 1, result.output
    assert "judge.medical_claim" in result.stdout
    lines = [line for line in result.stdout.splitlines() if line.startswith("AI 评审")]
    assert len(lines) == 1 and "judge-model" in lines[0], result.stdout
    again = invoke("check", CLEAN, *judge_opts(server), "--fail-on", "block")
    assert again.exit_code == 0, again.output


def test_english_text_gets_an_english_message(server: FakeOpenAIServer) -> None:
    text = "After two weeks my blood pressure numbers looked great."
    server.responder = judge_of(
        lambda t: reply(
            ("my blood pressure numbers looked great", "medical_claim", "implies a cure")
        )
    )
    result = invoke("check", text, *judge_opts(server))
    assert result.exit_code == 1, result.output
    assert any(line.startswith("AI judge") for line in result.stdout.splitlines()), result.stdout
    _, doc, _ = check_json(server, text)
    [finding] = judge_findings(doc["items"][0])
    assert finding["message"] == "AI judge: implies a cure"
    assert finding["suggestion"] == CATEGORY_INFO["medical_claim"].suggestion("en")
    assert_spans_hold([finding], {"text": text})


def test_a_rule_finding_of_the_same_category_is_already_found(server: FakeOpenAIServer) -> None:
    server.responder = judge_of(
        lambda text: reply(
            ("最好的面霜", "absolute_term", "绝对化用语"),  # overlaps the rule's 「最好」
            ("最好", "price_fraud", "换个类别则是新的问题"),
        )
    )
    result = invoke("check", BLOCKED, *judge_opts(server, "--judge-all"), "--format", "json")
    assert result.exit_code == 1, result.output
    item = json.loads(result.stdout)["items"][0]
    assert item["status"] == "blocked"  # never downgraded by the judge
    rules = [f for f in item["findings"] if not f["rule"].startswith("judge.")]
    assert rules and all(f["severity"] == "block" for f in rules)
    assert any(f["category"] == "absolute_term" for f in rules)
    assert [f["rule"] for f in judge_findings(item)] == ["judge.price_fraud"]
    assert item["judge"]["dropped"] == {"already_found": 1}
    assert item["judge"]["added"] == 1
    assert_spans_hold(item["findings"], {"text": BLOCKED})


def test_a_judge_finding_of_a_draft_names_its_field(server: FakeOpenAIServer) -> None:
    tags = ["好物分享", "睡眠神器推荐"]
    fields: dict[str, Any] = {
        "title": "用了就睡得着",
        "body": "每天晚上用一用，连续一个月，复查的数字都好看了。",
        "hashtags": tags,
    }
    src = Path("in.jsonl")
    src.write_text(
        json.dumps({"id": "d1", "fields": fields}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    server.responder = judge_of(
        lambda text: reply(
            ("[hashtags 2] 睡眠神器推荐", "medical_claim", "暗示治疗失眠"),
            ("[body] 「复查的数字都好看了」", "medical_claim", "病症指标改善"),
        )
    )
    result = invoke("check", "-i", str(src), *judge_opts(server), "--format", "jsonl")
    assert result.exit_code == 1, result.output
    [record] = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["judge"]["added"] == 2
    found = {f["field"]: f["text"] for f in judge_findings(record)}
    assert found == {"hashtags[1]": "睡眠神器推荐", "body": "复查的数字都好看了"}
    flat = {"title": fields["title"], "body": fields["body"]}
    flat.update({f"hashtags[{n}]": v for n, v in enumerate(tags)})
    assert_spans_hold(record["findings"], flat)
    # The judge read the fields as labelled lines.
    sent = copy_text(judge_requests(server)[0])
    assert "[title] 用了就睡得着" in sent
    assert "[hashtags 1] 好物分享" in sent and "[hashtags 2] 睡眠神器推荐" in sent


def test_judge_severity_block_from_the_config(server: FakeOpenAIServer) -> None:
    Path("copygen.yaml").write_text(
        f"judge:\n  backend: openai\n  model: judge-model\n  base_url: {server.url}\n"
        "  severity: block\n",
        encoding="utf-8",
    )
    server.responder = judge_of(lambda text: reply((CLEAN_QUOTE, "medical_claim", REASON)))
    result = invoke("check", CLEAN, "--judge", "--format", "json")
    assert result.exit_code == 1, result.output
    item = json.loads(result.stdout)["items"][0]
    assert item["status"] == "blocked"
    assert [f["severity"] for f in judge_findings(item)] == ["block"]
    assert server.chat_requests[0].json["model"] == "judge-model"


def test_judge_cost_from_the_judge_models_price(server: FakeOpenAIServer) -> None:
    Path("copygen.yaml").write_text(
        "prices:\n  judge-model:\n    input: 2\n    output: 8\n    currency: CNY\n",
        encoding="utf-8",
    )
    server.responder = judge_of(lambda text: reply((CLEAN_QUOTE, "medical_claim", REASON)))
    _, doc, _ = check_json(server, CLEAN, BLOCKED)
    totals = doc["judge"]
    assert totals["currency"] == "CNY" and totals["judged"] == 1
    expected = (totals["tokens_in"] * 2 + totals["tokens_out"] * 8) / 1e6
    assert totals["cost"] == pytest.approx(expected) and expected > 0
    assert totals["cost_per_text"] == pytest.approx(expected)  # one text was judged
    assert doc["items"][0]["judge"]["cost"] == pytest.approx(expected)
    text = invoke("check", CLEAN, *judge_opts(server))
    [line] = [line for line in text.stdout.splitlines() if line.startswith("AI 评审")]
    assert "CNY" in line


def test_the_judge_is_off_unless_asked(server: FakeOpenAIServer) -> None:
    Path("copygen.yaml").write_text(
        f"judge:\n  enabled: true\n  backend: openai\n  model: judge-model\n"
        f"  base_url: {server.url}\n",
        encoding="utf-8",
    )
    server.responder = judge_of(lambda text: reply())
    # Naming the judge's model and server does not turn it on; --no-judge turns it off.
    Path("copygen.yaml").rename("off.yaml")
    naming = invoke("check", CLEAN, *judge_opts(server)[1:], "--format", "json")
    assert naming.exit_code == 0, naming.output
    assert "judge" not in json.loads(naming.stdout)
    Path("off.yaml").rename("copygen.yaml")
    off = invoke("check", CLEAN, "--no-judge", "--format", "json")
    assert off.exit_code == 0, off.output
    assert "judge" not in json.loads(off.stdout)
    assert server.chat_requests == []
    on = invoke("check", CLEAN, "--format", "json")  # enabled in the config
    assert on.exit_code == 0, on.output
    assert json.loads(on.stdout)["judge"]["judged"] == 1
    assert len(server.chat_requests) == 1


# --- which texts are judged -----------------------------------------------------------------


def test_blocked_texts_are_judged_only_with_judge_all(server: FakeOpenAIServer) -> None:
    server.responder = judge_of(lambda text: reply())
    code, doc, _ = check_json(server, BLOCKED, CLEAN)
    assert code == 1
    assert [copy_text(r) for r in server.chat_requests] == [CLEAN]
    blocked, clean = doc["items"]
    assert blocked["judge"]["judged"] is False and blocked["judge"]["calls"] == 0
    assert clean["judge"]["judged"] is True and clean["judge"]["calls"] == 1
    assert doc["judge"]["texts"] == 2 and doc["judge"]["judged"] == 1
    assert clean["status"] == "pass"

    server.clear()
    result = invoke("check", BLOCKED, CLEAN, *judge_opts(server, "--judge-all"), "--format", "json")
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    # CLEAN's verdict is cached from the first run; BLOCKED is asked about now.
    assert [copy_text(r) for r in server.chat_requests] == [BLOCKED]
    assert all(item["judge"]["judged"] for item in doc["items"])
    assert doc["judge"]["judged"] == 2


# --- reply shapes, retries and failures --------------------------------------------------------


@pytest.mark.parametrize(
    "shape",
    [
        '```json\n{"violations": [{"quote": "QUOTE", "category": "medical_claim", '
        '"reason": "R"}]}\n```',
        '[{"quote": "QUOTE", "category": "medical_claim", "reason": "R"}]',
        'Sure: {"quote": "QUOTE", "category": "medical_claim", "reason": "R"}',
        '{"issues": [{"原文": "QUOTE", "类别": "medical_claim", "理由": "R"}]}',
    ],
    ids=["fenced", "bare-list", "single-object", "aliases"],
)
def test_reply_shapes_are_read(server: FakeOpenAIServer, shape: str) -> None:
    server.responder = judge_of(
        lambda text: shape.replace("QUOTE", CLEAN_QUOTE).replace('"R"', f'"{REASON}"')
    )
    code, doc, _ = check_json(server, CLEAN)
    assert code == 1
    item = doc["items"][0]
    assert [(f["rule"], f["text"]) for f in judge_findings(item)] == [
        ("judge.medical_claim", CLEAN_QUOTE)
    ]
    assert judge_findings(item)[0]["message"] == f"AI 评审：{REASON}"
    assert item["judge"]["calls"] == 1 and item["judge"]["error"] is None


def test_no_violations_leaves_the_text_passing(server: FakeOpenAIServer) -> None:
    server.responder = judge_of(lambda text: '{"violations": []}')
    code, doc, _ = check_json(server, CLEAN)
    assert code == 0
    item = doc["items"][0]
    assert item["status"] == "pass" and item["findings"] == []
    assert item["judge"]["judged"] is True and item["judge"]["added"] == 0
    assert item["judge"]["dropped"] == {}


def test_an_unreadable_reply_is_asked_again_once(server: FakeOpenAIServer) -> None:
    server.responder = judge_of(lambda text: reply((CLEAN_QUOTE, "medical_claim", REASON)))
    server.script(Behavior.ok("抱歉，我无法判断这段文案。"))
    code, doc, _ = check_json(server, CLEAN)
    assert code == 1
    assert len(server.chat_requests) == 2
    item = doc["items"][0]
    assert item["judge"]["calls"] == 2 and item["judge"]["error"] is None
    assert [f["rule"] for f in item["findings"]] == ["judge.medical_claim"]
    assert doc["judge"]["errors"] == 0 and doc["judge"]["calls"] == 2
    # The second ask is not the same request again (a server at temperature 0 would
    # answer the same): it carries the unreadable reply and a correction.
    first, second = server.chat_requests
    assert second.messages[: len(first.messages)] == first.messages
    assert second.messages[-2] == {"role": "assistant", "content": "抱歉，我无法判断这段文案。"}
    assert second.messages[-1]["role"] == "user" and "JSON" in second.messages[-1]["content"]


@pytest.mark.parametrize(
    "given",
    ["medical_claim", "Medical Claim", "医疗用语", "medical_claim（医疗用语）", "medical claims"],
)
def test_a_category_given_by_its_label_is_understood(server: FakeOpenAIServer, given: str) -> None:
    server.responder = judge_of(lambda text: reply((CLEAN_QUOTE, given, REASON)))
    _, doc, _ = check_json(server, CLEAN)
    assert [f["rule"] for f in doc["items"][0]["findings"]] == ["judge.medical_claim"]


def test_unreadable_twice_holds_the_text_for_review(server: FakeOpenAIServer) -> None:
    server.responder = judge_of(lambda text: "no JSON here, sorry")
    code, doc, _ = check_json(server, CLEAN)
    assert code == 1
    assert len(server.chat_requests) == 2  # one retry, then give up
    item = doc["items"][0]
    assert item["status"] == "review"
    [finding] = item["findings"]
    assert finding["rule"] == "judge.unavailable" and finding["severity"] == "warn"
    assert item["judge"]["error"] and item["judge"]["calls"] == 2
    assert doc["judge"]["errors"] == 1


def test_on_error_pass_lets_a_clean_text_through(server: FakeOpenAIServer) -> None:
    Path("copygen.yaml").write_text("judge:\n  on_error: pass\n", encoding="utf-8")
    server.responder = judge_of(lambda text: "no JSON here, sorry")
    code, doc, _ = check_json(server, CLEAN)
    assert code == 0
    item = doc["items"][0]
    assert item["status"] == "pass"
    assert [(f["rule"], f["severity"]) for f in item["findings"]] == [("judge.unavailable", "info")]


def test_on_error_error_exits_3_with_one_line(server: FakeOpenAIServer) -> None:
    Path("copygen.yaml").write_text("judge:\n  on_error: error\n", encoding="utf-8")
    server.responder = judge_of(lambda text: "no JSON here, sorry")
    result = invoke("check", CLEAN, *judge_opts(server))
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "judge" in lines[0], result.stderr


def test_a_backend_failure_after_retries_is_judge_unavailable(server: FakeOpenAIServer) -> None:
    server.responder = judge_of(lambda text: Behavior.error(500))
    code, doc, _ = check_json(server, CLEAN)
    assert code == 1
    assert len(server.chat_requests) == 3  # COPYGEN_MAX_RETRIES=2: the backend's own retries
    item = doc["items"][0]
    assert [(f["rule"], f["severity"]) for f in item["findings"]] == [("judge.unavailable", "warn")]
    assert item["judge"]["error"]


def test_rate_limited_then_answered(server: FakeOpenAIServer) -> None:
    server.responder = judge_of(lambda text: reply((CLEAN_QUOTE, "medical_claim", REASON)))
    server.script(Behavior.rate_limited(0.1))
    code, doc, _ = check_json(server, CLEAN)
    assert code == 1
    assert [r.behavior for r in server.chat_requests] == ["status:429", "ok"]
    gap = server.chat_requests[1].received_at - server.chat_requests[0].received_at
    assert gap >= 0.09  # Retry-After was honoured
    item = doc["items"][0]
    assert item["judge"]["error"] is None
    assert [f["rule"] for f in item["findings"]] == ["judge.medical_claim"]


# --- configuration ----------------------------------------------------------------------------


def test_offline_run_without_a_judge_is_a_usage_error_with_the_hint(tmp_path: Path) -> None:
    result = invoke("check", CLEAN, "--judge")
    assert result.exit_code == 2, result.output
    assert "offline" in result.stderr
    assert "judge: {backend:" in result.stderr and "model:" in result.stderr
    products = tmp_path / "products.csv"
    products.write_text(PRODUCTS_CSV, encoding="utf-8")
    outdir = tmp_path / "out"
    generated = invoke("generate", str(products), "-o", str(outdir), "--judge")
    assert generated.exit_code == 2, generated.output
    assert "judge: {backend:" in generated.stderr
    assert not outdir.exists()  # refused before anything was written


def test_an_unknown_key_in_the_judge_section_names_its_line() -> None:
    Path("copygen.yaml").write_text(
        "lang: zh\njudge:\n  enabled: true\n  modle: gpt-x\n", encoding="utf-8"
    )
    result = invoke("check", CLEAN)
    assert result.exit_code == 2, result.output
    assert "judge.modle" in result.stderr
    assert "copygen.yaml:4" in result.stderr, result.stderr  # the line of 'modle'


def test_a_judge_profile_from_backends_is_used(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUDGE_KEY", JUDGE_KEY)
    Path("copygen.yaml").write_text(
        "backend: offline\n"
        "judge:\n"
        "  backend: myjudge\n"
        "backends:\n"
        "  myjudge:\n"
        "    type: openai\n"
        f"    base_url: {server.url}\n"
        "    model: judge-model\n"
        "    api_key_env: JUDGE_KEY\n",
        encoding="utf-8",
    )
    server.responder = judge_of(lambda text: reply((CLEAN_QUOTE, "medical_claim", REASON)))
    result = invoke("check", CLEAN, "--judge", "--format", "json")
    assert result.exit_code == 1, result.output
    [request] = server.chat_requests
    assert request.json["model"] == "judge-model"
    assert request.api_key == JUDGE_KEY
    doc = json.loads(result.stdout)
    assert doc["judge"]["model"] == "judge-model"
    assert [f["rule"] for f in doc["items"][0]["findings"]] == ["judge.medical_claim"]


def test_judge_backend_openai_takes_openai_api_key_not_the_run_profiles(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUN_KEY", "sk-run-profile-key-must-not-travel")
    Path("copygen.yaml").write_text(
        "backend: writer\n"
        "backends:\n"
        "  writer:\n"
        "    type: openai\n"
        "    base_url: http://127.0.0.1:9/v1\n"
        "    model: writer-model\n"
        "    api_key_env: RUN_KEY\n",
        encoding="utf-8",
    )
    server.responder = judge_of(lambda text: reply())
    # The hint says: --judge-backend openai ... (the key from OPENAI_API_KEY).
    result = invoke("check", CLEAN, *judge_opts(server))
    assert result.exit_code == 0, result.output
    assert [r.api_key for r in server.chat_requests] == [API_KEY]


# --- privacy and cache -------------------------------------------------------------------------


def test_a_phone_number_is_masked_in_the_judge_request(server: FakeOpenAIServer) -> None:
    text = "有问题直接打13812345678，我们会安排"
    server.responder = judge_of(lambda t: reply())
    result = invoke("check", text, *judge_opts(server, "--judge-all"), "--format", "json")
    assert result.exit_code == 1, result.output  # the rules block the number
    [request] = server.chat_requests
    assert "13812345678" not in request.body.decode("utf-8")
    assert "[手机号]" in copy_text(request)


def test_a_second_identical_run_is_answered_from_the_cache(server: FakeOpenAIServer) -> None:
    server.responder = judge_of(lambda text: reply((CLEAN_QUOTE, "medical_claim", REASON)))
    _, first, _ = check_json(server, CLEAN)
    assert len(server.chat_requests) == 1
    assert first["items"][0]["judge"]["cached"] is False
    _, second, _ = check_json(server, CLEAN)
    assert len(server.chat_requests) == 1  # nothing new was asked
    item = second["items"][0]
    assert item["judge"]["cached"] is True
    assert item["judge"]["usage"]["total_tokens"] == 0
    assert item["findings"] == first["items"][0]["findings"]
    assert list(Path("cache").iterdir())  # the tmp cache was used
    # Another judge model is another question.
    other = invoke("check", CLEAN, *judge_opts(server, model="judge-2"))
    assert other.exit_code == 1, other.output
    assert len(server.chat_requests) == 2
    assert server.chat_requests[-1].json["model"] == "judge-2"


def test_an_unreadable_reply_is_not_cached(server: FakeOpenAIServer) -> None:
    server.responder = judge_of(lambda text: "no JSON here, sorry")
    check_json(server, CLEAN)
    assert len(server.chat_requests) == 2
    server.responder = judge_of(lambda text: reply())
    _, doc, _ = check_json(server, CLEAN)
    assert len(server.chat_requests) == 3
    assert doc["items"][0]["status"] == "pass"


# --- templates render judge ---------------------------------------------------------------------


def test_templates_render_judge() -> None:
    text = "这款枕头让我每晚都睡得很香"
    result = invoke("templates", "render", "judge", "-i", str(EXAMPLES), "-r", "1", "--text", text)
    assert result.exit_code == 0, result.output
    assert f"<copy_text>\n{text}\n</copy_text>" in result.stdout
    as_json = invoke(
        "templates", "render", "judge", "-i", str(EXAMPLES), "--text", text, "--format", "json"
    )
    assert as_json.exit_code == 0, as_json.output
    doc = json.loads(as_json.stdout)
    assert doc["template"] == "judge.zh.j2"
    [message] = doc["messages"]
    assert message["role"] == "user" and text in message["content"]
    missing = invoke("templates", "render", "judge", "-i", str(EXAMPLES))
    assert missing.exit_code == 2
    assert "--text" in missing.stderr


def test_templates_render_judge_in_english() -> None:
    text = "Sleep like a baby again."
    result = invoke(
        "templates",
        "render",
        "judge",
        "-i",
        str(EXAMPLES),
        "--text",
        text,
        "--lang",
        "en",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["template"] == "judge.en.j2"
    assert f"<copy_text>\n{text}\n</copy_text>" in doc["messages"][0]["content"]


def test_templates_render_judge_with_a_draft() -> None:
    draft = Path("fields.json")
    draft.write_text(
        json.dumps({"title": "标题", "body": "正文", "hashtags": ["好物", "日常"]}),
        encoding="utf-8",
    )
    result = invoke("templates", "render", "judge", "-i", str(EXAMPLES), "--draft", str(draft))
    assert result.exit_code == 0, result.output
    block = result.stdout.split("<copy_text>")[1].split("</copy_text>")[0]
    assert block.strip().splitlines() == [
        "[title] 标题",
        "[body] 正文",
        "[hashtags 1] 好物",
        "[hashtags 2] 日常",
    ]


# --- generate --judge ---------------------------------------------------------------------------

PRODUCTS_CSV = """sku,title,category,selling_points,attributes,price
A-1,保湿面霜 50g,美妆,清爽不黏腻,净含量:50g,99
B-2,全麦吐司 400g,食品,低糖配方,净含量:400g,19.9
"""
#: Passes the rules; the judge calls it a medical claim.
SLY = "吃了一个月，复查的数字都好看了"
SLY_REASON = "用复查指标变好暗示治病"


def generate_responder(request: dict[str, Any]) -> str | Behavior:
    if is_judge(request):
        if SLY in copy_text(request):
            return reply((SLY, "medical_claim", SLY_REASON))
        return reply()
    if any(m.get("role") == "assistant" for m in request["messages"]):
        return default_responder(request)  # a repair: clean
    fields = sample_fields("social", "zh")
    fields["body"] = f"{SLY}。{fields['body']}"
    return json.dumps(fields, ensure_ascii=False)


def generate_args(server: FakeOpenAIServer, products: Path, outdir: Path, *extra: str) -> list[str]:
    """The server's generate arguments with one repair round and the judge on."""
    return server.generate_args(products, outdir, "--max-repairs", "1", "--judge", *extra)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_generate_with_the_judge_end_to_end(server: FakeOpenAIServer, tmp_path: Path) -> None:
    products = tmp_path / "products.csv"
    products.write_text(PRODUCTS_CSV, encoding="utf-8")
    outdir = tmp_path / "out"
    server.responder = generate_responder
    args = generate_args(server, products, outdir)
    result = invoke(*args)
    assert result.exit_code == 0, result.output

    # Each item: draft -> judged (flags SLY) -> repair -> judged (clean).
    judged = judge_requests(server)
    copies = [r for r in server.chat_requests if not is_judge(r)]
    assert len(judged) == 4 and len(copies) == 4
    repairs = [r for r in copies if any(m["role"] == "assistant" for m in r.messages)]
    assert len(repairs) == 2
    for repair in repairs:
        prompt = last_user(repair)
        assert SLY in prompt and SLY_REASON in prompt
    assert all(r.json["model"] == "fake-model" for r in judged)  # the run's own backend

    records = {r["id"]: r for r in read_jsonl(outdir / "results.jsonl")}
    assert len(records) == 2
    for record in records.values():
        assert record["status"] == "pass" and record["attempts"] == 2
        assert SLY not in record["fields"]["body"]
        assert set(record["judge"]) == RECORD_JUDGE_KEYS
        assert record["judge"]["passes"] == 2 and record["judge"]["calls"] == 2
        assert record["judge"]["added"] == 1
        assert record["judge"]["model"] == "fake-model"
        assert record["judge"]["error"] is None

    events = read_jsonl(outdir / "audit.jsonl")
    positions: dict[tuple[str, str, int], int] = {}
    for n, event in enumerate(events):
        if event["event"] in ("judged", "checked"):
            positions[(event["event"], event["item"], event["attempt"])] = n
    judged_events = [e for e in events if e["event"] == "judged"]
    assert len(judged_events) == 4
    for event in judged_events:
        assert set(event) >= JUDGED_EVENT_KEYS, JUDGED_EVENT_KEYS - set(event)
        item, attempt = event["item"], event["attempt"]
        assert positions[("judged", item, attempt)] < positions[("checked", item, attempt)]
        assert len(event["responses"]) == 1
        if event["attempt"] == 1:
            assert event["status_before"] == "pass" and event["status"] == "review"
            [added] = event["added"]
            assert added["rule"] == "judge.medical_claim" and added["text"] == SLY
        else:
            assert event["added"] == [] and event["status"] == "pass"
    for event in events:
        if event["event"] == "checked" and event["attempt"] == 1:
            rules = [f["rule"] for f in event["findings"]]
            assert "judge.medical_claim" in rules
            body = event["fields"]["body"]
            for f in event["findings"]:
                if f["rule"] == "judge.medical_claim":
                    assert f["field"] == "body"
                    assert body[f["start"] : f["end"]] == f["text"] == SLY

    for label in ("judge:", "judge tokens:", "judge cost:", "judge cost per text:"):
        assert any(line.strip().startswith(label) for line in result.stdout.splitlines()), label

    verified = invoke("audit", "verify", str(outdir))
    assert verified.exit_code == 0, verified.output
    stats = invoke("audit", "stats", str(outdir / "audit.jsonl"))
    assert stats.exit_code == 0, stats.output
    [judge_line] = [line for line in stats.stdout.splitlines() if line.startswith("judge")]
    assert "4 calls" in judge_line and "2 findings added" in judge_line, judge_line

    # The same command again: everything is done, nothing is asked.
    before = len(server.chat_requests)
    again = invoke(*args)
    assert again.exit_code == 0, again.output
    assert len(server.chat_requests) == before
    assert len(read_jsonl(outdir / "results.jsonl")) == 2

    # Another judge model in the same folder: refused.
    other = invoke(*args, "--judge-model", "another-judge")
    assert other.exit_code == 2, other.output
    assert "judge" in other.stderr
    assert len(server.chat_requests) == before
    # Without the judge, or judging all: refused too.
    assert invoke(*args[:-1]).exit_code == 2
    assert invoke(*args, "--judge-all").exit_code == 2
    assert len(server.chat_requests) == before


def test_generate_with_a_judge_that_fails_and_on_error_error(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    Path("copygen.yaml").write_text("judge:\n  on_error: error\n", encoding="utf-8")
    products = tmp_path / "products.csv"
    products.write_text(PRODUCTS_CSV.splitlines()[0] + "\n" + PRODUCTS_CSV.splitlines()[1] + "\n")
    outdir = tmp_path / "out"

    def responder(request: dict[str, Any]) -> str | Behavior:
        return "not JSON at all" if is_judge(request) else default_responder(request)

    server.responder = responder
    result = invoke(*generate_args(server, products, outdir))
    assert result.exit_code == 3, result.output
    [record] = read_jsonl(outdir / "results.jsonl")
    assert record["status"] == "error"
    assert len(judge_requests(server)) == 2  # asked again once
    judged = [e for e in read_jsonl(outdir / "audit.jsonl") if e["event"] == "judged"]
    assert len(judged) == 1 and judged[0]["error"]
    assert len(judged[0]["responses"]) == 2


# --- copygen.judge.quotes.locate ----------------------------------------------------------------

FIELDS = [
    ("title", "标题很好看"),
    ("body", "每天两次，从第一天开始到第三十天，皮肤越来越好。"),
    ("hashtags[0]", "好物分享"),
    ("hashtags[1]", "日常生活"),
]


def spans(quote: str, items: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    items = FIELDS if items is None else items
    found = locate(quote, items)
    texts = dict(items)
    for span in found:
        assert texts[span.field][span.start : span.end] == span.text, span
    return [(s.field, s.text) for s in found]


@pytest.mark.parametrize(
    ("quote", "expected"),
    [
        ("每天两次", [("body", "每天两次")]),
        ("[body] 每天两次", [("body", "每天两次")]),
        ("「每天两次」", [("body", "每天两次")]),
        ("“皮肤越来越好”", [("body", "皮肤越来越好")]),
        ("[body] 「皮肤越来越好」", [("body", "皮肤越来越好")]),
        ("皮肤越来越好！", [("body", "皮肤越来越好")]),
        ("  每天两次 ", [("body", "每天两次")]),
        ("每天 两次", [("body", "每天两次")]),
        ("从第一天…第三十天", [("body", "从第一天开始到第三十天")]),
        ("从第一天...到第三十天", [("body", "从第一天开始到第三十天")]),
        ("[hashtags 2] 日常生活", [("hashtags[1]", "日常生活")]),
        ("标题很好看", [("title", "标题很好看")]),
    ],
)
def test_locate_forgives_the_usual_slips(quote: str, expected: list[tuple[str, str]]) -> None:
    assert spans(quote) == expected


@pytest.mark.parametrize(
    "quote", ["好", "「好」", "", "   ", "不存在的句子", "好…好", "第三十天…每天两次"]
)
def test_locate_refuses_what_is_not_a_quote(quote: str) -> None:
    assert locate(quote, FIELDS) == []


def test_locate_spacing_in_the_text() -> None:
    assert spans("每天两次", [("text", "每天  两次 就好")]) == [("text", "每天  两次")]
    assert spans("the best", [("text", "simply the  best")]) == [("text", "the  best")]


def test_locate_caps_occurrences() -> None:
    found = locate("好好", [("a", "好好" * 4), ("b", "好好" * 4)])
    assert len(found) == MAX_OCCURRENCES
    assert found[0] == QuoteSpan("a", 0, 2, "好好")


def test_locate_ellipsis_quote_whose_first_part_repeats() -> None:
    body = (
        "每天都想和大家分享一点生活里的小事。"
        "今天的天气很好，我们一起出去走了走，看了看湖边的风景，拍了很多照片，心情也跟着明亮起来。"
        "后来每天喝一杯，坚持三周，胃也不反酸了。"
    )
    assert spans("每天…不反酸了", [("body", body)]) == [
        ("body", "每天喝一杯，坚持三周，胃也不反酸了")
    ]


@pytest.mark.parametrize("quote", ["好。", " 好 "])
def test_locate_refuses_one_character_with_punctuation(quote: str) -> None:
    assert locate(quote, [("text", "这个很 好 用，真的好。")]) == []


# --- copygen.judge.reply.parse_violations -------------------------------------------------------

V = '{"quote": "QQ", "category": "medical_claim", "reason": "R"}'


@pytest.mark.parametrize(
    "text",
    [
        '{"violations": [' + V + "]}",
        '```json\n{"violations": [' + V + "]}\n```",
        "```\n[" + V + "]\n```",
        "[" + V + "]",
        V,
        'Here you go:\n{"violations": [' + V + "]}\nHope that helps.",
        '{"Violations": [' + V + "]}",
        '{"problems": [{"excerpt": "QQ", "type": "medical_claim", "why": "R"}]}',
        '{"违规": [{"原文": "QQ", "类别": "medical_claim", "原因": "R"}]}',
        '{"violations": ' + V + "}",
        '{"result": {"violations": [' + V + "]}}",
        '{"violations": [{"quote": "QQ", "category": " medical_claim ", "reason": " R "}]}',
    ],
)
def test_parse_violations_shapes(text: str) -> None:
    assert parse_violations(text) == [Violation("QQ", "medical_claim", "R")]


@pytest.mark.parametrize(
    "text", ['{"violations": []}', "[]", '{"violations": null}', '```json\n{"violations": []}\n```']
)
def test_parse_violations_none(text: str) -> None:
    assert parse_violations(text) == []


@pytest.mark.parametrize(
    "text", ["", "no violations found", '{"ok": true}', '{"violations": 3}', "[1, 2]"]
)
def test_parse_violations_unreadable(text: str) -> None:
    with pytest.raises(JudgeReplyError):
        parse_violations(text)


def test_parse_violations_skips_incomplete_items_and_caps_the_list() -> None:
    items: list[Any] = [
        {"quote": f"句子{n}", "category": "vulgar", "reason": "r"} for n in range(80)
    ]
    items.insert(0, {"quote": "", "category": "vulgar"})
    items.insert(1, {"category": "vulgar", "reason": "no quote"})
    items.insert(2, {"quote": "没有类别"})
    items.insert(3, "not an object")
    got = parse_violations(json.dumps({"violations": items}, ensure_ascii=False))
    assert len(got) == MAX_VIOLATIONS
    assert got[0] == Violation("句子0", "vulgar", "r")
    assert got[-1].quote == f"句子{MAX_VIOLATIONS - 1}"


def test_parse_violations_truncates_long_quotes_and_reasons() -> None:
    got = parse_violations(
        json.dumps(
            {"violations": [{"quote": "长" * 900, "category": "vulgar", "reason": "r" * 900}]}
        )
    )
    assert len(got[0].quote) == 500 and len(got[0].reason) == 500


def test_parse_violations_bare_list_of_several() -> None:
    text = json.dumps(
        [
            {"quote": "第一句", "category": "vulgar", "reason": "a"},
            {"quote": "第二句", "category": "medical_claim", "reason": "b"},
        ],
        ensure_ascii=False,
    )
    assert [v.quote for v in parse_violations(text)] == ["第一句", "第二句"]


def test_check_with_a_bare_list_reply_of_several(server: FakeOpenAIServer) -> None:
    text = "这款枕头陪我度过了很多安稳的夜晚，复查的数字都好看了"
    server.responder = judge_of(
        lambda t: json.dumps(
            [
                {"quote": "安稳的夜晚", "category": "medical_claim", "reason": "a"},
                {"quote": "复查的数字都好看了", "category": "medical_claim", "reason": "b"},
            ],
            ensure_ascii=False,
        )
    )
    _, doc, _ = check_json(server, text)
    assert doc["items"][0]["judge"]["added"] == 2


def test_check_judges_many_texts_within_the_concurrency_and_in_order(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Texts are judged ``concurrency`` at a time, and each answer lands on its own text."""
    monkeypatch.setenv("COPYGEN_CONCURRENCY", "3")
    server.latency = 0.05
    texts = [f"第{n}款面霜质地清爽，早晚各用{n}次" for n in range(1, 10)]
    server.responder = judge_of(
        lambda text: reply((text[text.index("早晚") :], "guarantee_claim", "暗示保证"))
    )
    _, doc, _ = check_json(server, *texts)
    assert len(server.chat_requests) == len(texts), doc["judge"]
    assert server.peak_in_flight == 3
    for text, item in zip(texts, doc["items"], strict=True):
        [finding] = judge_findings(item)
        assert finding["text"] == text[text.index("早晚") :]
