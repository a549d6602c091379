"""What a small real model does, imitated at the HTTP level: it echoes the prompt's
JSON example, its repair comes back worse than its draft, its lists overflow.

Each test runs ``generate`` against the local OpenAI-protocol server with a
responder that answers the way Qwen2.5-0.5B answered in the real-model run.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from copygen import Checker
from copygen.audit import read_events, verify
from copygen.config import Settings, load_settings, with_overrides
from copygen.generate import generate
from copygen.generate.summary import summary_lines
from copygen.generate.tidy import tidy_fields
from copygen.testing.fake_openai import Behavior, FakeOpenAIServer, sample_fields

API_KEY = "sk-fake-SLIPS-0123456789"
PRODUCTS_CSV = """sku,title,category,selling_points,attributes,price
A-1,保湿面霜 50g,美妆,清爽不黏腻,净含量:50g,99
"""
#: The social template's JSON example, as a small model returns it.
ECHO = {
    "title": "<标题，不超过20字>",
    "body": "<正文，分段，口吻真实>",
    "hashtags": ["<第1项：话题标签，3到8个，不带#号>", "<第2项>", "<第3项>"],
}


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(api_key=API_KEY) as srv:
        yield srv


@pytest.fixture
def products(tmp_path: Path) -> Path:
    path = tmp_path / "products.csv"
    path.write_text(PRODUCTS_CSV, encoding="utf-8")
    return path


def settings_for(server: FakeOpenAIServer, tmp_path: Path, **changes: Any) -> Settings:
    base = load_settings(
        cli={
            "backend": "openai",
            "model": "fake-model",
            "base_url": server.url,
            "platforms": "social",
            "concurrency": 1,
            "cache_dir": str(tmp_path / "cache"),
            "cache": False,
        }
    )
    return with_overrides(base, **changes) if changes else base


def drafts(*replies: dict[str, Any]) -> Any:
    """A responder that answers the n-th request with the n-th reply (then the last)."""
    calls: list[int] = []

    def responder(body: dict[str, Any]) -> str:
        calls.append(1)
        return json.dumps(replies[min(len(calls), len(replies)) - 1], ensure_ascii=False)

    return responder


def only_record(outdir: Path) -> dict[str, Any]:
    lines = (outdir / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    record: dict[str, Any] = json.loads(lines[0])
    return record


# --- 1. the prompt's example echoed back ---------------------------------------------------


def test_an_echoed_example_is_blocked_not_published(
    server: FakeOpenAIServer, products: Path, tmp_path: Path
) -> None:
    server.responder = drafts(ECHO)
    outdir = tmp_path / "out"
    generate(
        input_path=products, outdir=outdir, settings=settings_for(server, tmp_path, max_repairs=0)
    )
    record = only_record(outdir)
    assert record["status"] == "blocked"
    echoes = [f for f in record["findings"] if f["rule"] == "format.template_echo"]
    assert {f["field"] for f in echoes} >= {"title", "body", "hashtags[0]", "hashtags[1]"}
    for finding in echoes:
        assert finding["severity"] == "block" and finding["category"] == "format"
        text = record["fields"][finding["field"].split("[")[0]]
        if finding["field"].startswith("hashtags"):
            text = text[int(finding["field"][9:-1])]
        assert text[finding["start"] : finding["end"]] == finding["text"]


def test_the_repair_turn_says_the_example_was_echoed(
    server: FakeOpenAIServer, products: Path, tmp_path: Path
) -> None:
    server.responder = drafts(ECHO, sample_fields("social", "zh"))
    outdir = tmp_path / "out"
    generate(input_path=products, outdir=outdir, settings=settings_for(server, tmp_path))
    record = only_record(outdir)
    assert record["status"] == "pass" and record["kept_attempt"] == 2
    repair = server.chat_requests[1].messages[-1]["content"]
    assert "<正文，分段，口吻真实>" in repair
    assert "占位符" in repair and "不是文案" in repair


@pytest.mark.parametrize(
    "fields",
    [
        {"body": "把 JSON 里的内容写好", "title": "好物", "hashtags": ["a", "b", "c"]},
        {"body": '{"sku": "A-1", "title": "保湿面霜 50g"}', "title": "好物", "hashtags": ["a"] * 3},
        {"body": "<product_data> 保湿面霜", "title": "好物", "hashtags": ["a", "b", "c"]},
        {"body": "Body, in short paragraphs", "title": "ok", "hashtags": ["a", "b", "c"]},
    ],
)
def test_other_echoes_are_caught(fields: dict[str, Any]) -> None:
    result = Checker().check(fields, lang="zh", platform="social")
    assert "format.template_echo" in {f.rule for f in result.findings}


@pytest.mark.parametrize(
    "body",
    [
        "价格<100元，性价比很高",
        "推荐《最好的我们》里的同款穿搭",
        "a < b and c > d is maths, not a slot",
        "Swipe for the before/after → results vary",
    ],
)
def test_ordinary_copy_is_not_an_echo(body: str) -> None:
    fields = {"title": "好物", "body": body, "hashtags": ["好物分享", "日常", "穿搭"]}
    result = Checker().check(fields, lang="zh", platform="social")
    assert "format.template_echo" not in {f.rule for f in result.findings}


# --- 2. a worse repair does not replace a better draft ---------------------------------------


def test_a_worse_repair_keeps_the_draft(
    server: FakeOpenAIServer, products: Path, tmp_path: Path
) -> None:
    draft = sample_fields("social", "zh")
    draft["title"] = "这款保湿面霜真的太好用了我已经回购了好几次啦"  # too long: warn
    worse = dict(draft, body="全网最好的面霜，用了就知道！")  # an absolute term: block
    server.responder = drafts(draft, worse, worse)
    outdir = tmp_path / "out"
    summary = generate(
        input_path=products, outdir=outdir, settings=settings_for(server, tmp_path, max_repairs=2)
    )
    assert summary.kept_earlier == 1 and summary.repaired_to_pass == 0
    assert "  repairs: 0 passed after repair, 1 kept an earlier draft" in "\n".join(
        summary_lines(summary)
    )
    record = only_record(outdir)
    assert record["attempts"] == 3 and record["kept_attempt"] == 1
    assert record["status"] == "review"
    assert record["fields"]["body"] == draft["body"]
    # Every repair starts from the best draft, not from the worse one.
    for request in server.chat_requests[1:]:
        assistant = [m for m in request.messages if m["role"] == "assistant"]
        assert "全网最好" not in assistant[-1]["content"]
    events = read_events(outdir / "audit.jsonl")
    repaired = [e for e in events if e["event"] == "repaired"]
    assert [(e["attempt"], e["from_attempt"], e["kept"]) for e in repaired] == [
        (2, 1, 1),
        (3, 1, 1),
    ]
    assert Counter(e["event"] for e in events)["checked"] == 3
    assert verify(outdir / "audit.jsonl").ok


def test_an_equal_repair_wins_the_tie(
    server: FakeOpenAIServer, products: Path, tmp_path: Path
) -> None:
    first = sample_fields("social", "zh")
    first["title"] = "这款保湿面霜真的太好用了我已经回购了好几次啦"
    second = dict(first, body=first["body"] + "\n\n第二版。")
    server.responder = drafts(first, second)
    outdir = tmp_path / "out"
    generate(input_path=products, outdir=outdir, settings=settings_for(server, tmp_path))
    record = only_record(outdir)
    assert record["kept_attempt"] == 2 and record["fields"]["body"].endswith("第二版。")


# --- 3. what code can mend is mended before a model is asked ---------------------------------


def test_an_overflowing_hashtag_list_is_mended_without_a_repair(
    server: FakeOpenAIServer, products: Path, tmp_path: Path
) -> None:
    fields = sample_fields("social", "zh")
    long_tag = "这款面霜是我今年秋冬换季时候每天晚上都会用的"  # over 20 characters
    fields["hashtags"] = ["#护肤#", "#护肤", "面霜", long_tag, "＃好物", "日常", "", "保湿"]
    fields["hashtags"] += ["秋冬", "平价", "回购", "学生党"]
    server.responder = drafts(fields)
    outdir = tmp_path / "out"
    generate(input_path=products, outdir=outdir, settings=settings_for(server, tmp_path))
    record = only_record(outdir)
    assert record["status"] == "pass" and record["attempts"] == 1
    assert record["fields"]["hashtags"] == [
        "护肤",
        "面霜",
        "好物",
        "日常",
        "保湿",
        "秋冬",
        "平价",
        "回购",
    ]
    assert len(server.chat_requests) == 1
    checked = [e for e in read_events(outdir / "audit.jsonl") if e["event"] == "checked"]
    assert checked[0]["tidied"] == [
        "hashtags: 1 items over 20 characters removed",
        "hashtags: 9 items cut to the first 8",
    ]


def test_the_repair_prompt_names_field_limit_and_count(
    server: FakeOpenAIServer, products: Path, tmp_path: Path
) -> None:
    fields = sample_fields("social", "zh")
    fields["title"] = "这款保湿面霜真的太好用了我已经回购了好几次啦"  # 22 characters
    server.responder = drafts(fields, sample_fields("social", "zh"))
    generate(input_path=products, outdir=tmp_path / "out", settings=settings_for(server, tmp_path))
    repair = server.chat_requests[1].messages[-1]["content"]
    assert f"长度 {len(fields['title'])} 字，超过平台上限 20 字" in repair
    assert f"删减到 20 字以内（现为 {len(fields['title'])} 字）" in repair


def test_tidy_leaves_clean_fields_and_other_platforms_alone() -> None:
    clean = sample_fields("social", "zh")
    assert tidy_fields(clean, "social") == (clean, [])
    detail = sample_fields("detail", "zh")
    assert tidy_fields(detail, "detail") == (detail, [])
    assert tidy_fields({"hashtags": "#not a list"}, "social") == ({"hashtags": "#not a list"}, [])
    # An over-long item stays when removing it would leave fewer than the minimum.
    three = {"hashtags": ["好物", "日常", "这是一个明显超过二十个字的话题标签写得太长了"]}
    assert tidy_fields(three, "social") == (three, [])


def test_timeouts_are_named_in_the_summary(
    server: FakeOpenAIServer, products: Path, tmp_path: Path
) -> None:
    server.script(Behavior.hang(30), Behavior.hang(30))
    settings = settings_for(server, tmp_path, timeout=0.3, max_retries=1)
    summary = generate(input_path=products, outdir=tmp_path / "out", settings=settings)
    assert summary.errors == 1 and summary.timeouts == 1
    lines = "\n".join(summary_lines(summary))
    assert "1 items failed on timeouts" in lines and "--timeout" in lines


# --- 6. prefix caching: cached prompt tokens are counted and priced ------------------------


def test_cached_prompt_tokens_are_counted_and_priced(tmp_path: Path) -> None:
    from copygen.config import Price

    products = tmp_path / "products.csv"
    products.write_text(
        PRODUCTS_CSV + "A-2,滋润面霜 50g,美妆,质地细腻,净含量:50g,129\n", encoding="utf-8"
    )
    with FakeOpenAIServer(api_key=API_KEY, prefix_cache=True) as srv:
        price = Price(input=2.0, output=8.0, currency="CNY", cached_input=0.5)
        settings = settings_for(srv, tmp_path, prices={"fake-model": price})
        summary = generate(input_path=products, outdir=tmp_path / "out", settings=settings)
    lines = (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    first, second = (json.loads(line) for line in lines)
    assert "cached_tokens" not in first["usage"]  # nothing before it to share
    cached = second["usage"]["cached_tokens"]
    prompt, completion = second["usage"]["prompt_tokens"], second["usage"]["completion_tokens"]
    # The prompt is laid out shared-first: most of the second prompt comes from the cache.
    assert cached >= 0.6 * prompt
    expected = ((prompt - cached) * 2.0 + cached * 0.5 + completion * 8.0) / 1e6
    assert second["cost"] == pytest.approx(expected)
    assert summary.cached_tokens == cached
    assert f"{cached} of them cached" in "\n".join(summary_lines(summary))


def test_cached_input_price_is_read_from_the_config(tmp_path: Path) -> None:
    config = tmp_path / "copygen.yaml"
    config.write_text(
        "prices:\n  m1: {input: 2, output: 8, cached_input: 0.5, currency: CNY}\n"
        "  m2: {input: 1, output: 2}\n",
        encoding="utf-8",
    )
    settings = load_settings(config_path=config)
    assert settings.prices["m1"].cached_input == 0.5
    assert settings.prices["m2"].cached_input is None
