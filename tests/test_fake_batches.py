"""The fake server's Files and Batches APIs, driven by the real ``openai`` client."""

from __future__ import annotations

import asyncio
import http.client
import json
import time
from collections.abc import Iterator
from typing import Any, Final

import openai
import pytest
from openai.types import Batch

from copygen.testing.fake_batches import FakeBatches, parse_multipart
from copygen.testing.fake_openai import Behavior, FakeOpenAIServer

ENDPOINT: Final = "/v1/chat/completions"
SOCIAL_PROMPT = "请为商品写小红书文案，输出JSON字段 title, body, hashtags。"
TERMINAL = ("completed", "failed", "expired", "cancelled")


def _line(custom_id: str, **overrides: Any) -> dict[str, Any]:
    line: dict[str, Any] = {
        "custom_id": custom_id,
        "method": "POST",
        "url": ENDPOINT,
        "body": {
            "model": "fake-model",
            "messages": [{"role": "user", "content": f"{SOCIAL_PROMPT} ({custom_id})"}],
        },
    }
    line.update(overrides)
    return line


def _jsonl(lines: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()


def _requests(n: int) -> bytes:
    return _jsonl([_line(f"p-{i}") for i in range(n)])


def _parse(text: str) -> dict[str, dict[str, Any]]:
    """Output or error file lines by custom_id."""
    rows = [json.loads(raw) for raw in text.splitlines() if raw.strip()]
    by_id = {row["custom_id"]: row for row in rows}
    assert len(by_id) == len(rows)
    return by_id


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as srv:
        yield srv


@pytest.fixture
def client(server: FakeOpenAIServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url, api_key="test", max_retries=0)


def _submit(client: openai.OpenAI, data: bytes, **kwargs: Any) -> Batch:
    file = client.files.create(file=("requests.jsonl", data), purpose="batch")
    return client.batches.create(
        input_file_id=file.id, endpoint=ENDPOINT, completion_window="24h", **kwargs
    )


def _poll(client: openai.OpenAI, batch: Batch, limit: int = 20) -> list[Batch]:
    """Every state seen from ``batch`` until a terminal one."""
    seen = [batch]
    while seen[-1].status not in TERMINAL:
        assert len(seen) < limit, [b.status for b in seen]
        seen.append(client.batches.retrieve(batch.id))
    return seen


# --- the whole flow ---------------------------------------------------------------------


def test_upload_create_poll_collect(server: FakeOpenAIServer, client: openai.OpenAI) -> None:
    data = _requests(3)
    file = client.files.create(file=("requests.jsonl", data), purpose="batch")
    assert (file.object, file.purpose, file.bytes, file.filename) == (
        "file",
        "batch",
        len(data),
        "requests.jsonl",
    )
    assert file.id.startswith("file-") and file.expires_at is not None
    assert client.files.retrieve(file.id) == file
    assert client.files.content(file.id).content == data

    batch = client.batches.create(
        input_file_id=file.id,
        endpoint=ENDPOINT,
        completion_window="24h",
        metadata={"run": "r-1"},
    )
    seen = _poll(client, batch)
    assert [b.status for b in seen] == ["validating", "in_progress", "finalizing", "completed"]
    assert [b.output_file_id for b in seen[:3]] == [None, None, None]
    assert [b.request_counts and b.request_counts.completed for b in seen] == [0, 0, 3, 3]
    done = seen[-1]
    assert done.id.startswith("batch_") and done.object == "batch"
    assert done.metadata == {"run": "r-1"} and done.model == "fake-model"
    assert done.request_counts is not None
    assert (done.request_counts.total, done.request_counts.failed) == (3, 0)
    assert done.error_file_id is None  # no failed lines, no file
    assert done.errors is None
    assert done.created_at <= done.in_progress_at <= done.finalizing_at <= done.completed_at  # type: ignore[operator]
    assert done.expires_at == done.created_at + 24 * 3600

    assert done.output_file_id is not None
    out_file = client.files.retrieve(done.output_file_id)
    assert out_file.purpose == "batch_output"
    assert out_file.filename == f"{done.id}_output.jsonl"
    rows = _parse(client.files.content(done.output_file_id).text)
    assert set(rows) == {"p-0", "p-1", "p-2"}
    prompt_tokens = completion_tokens = 0
    for row in rows.values():
        assert row["id"].startswith("batch_req_") and row["error"] is None
        response = row["response"]
        assert response["status_code"] == 200 and response["request_id"]
        completion = response["body"]
        assert completion["object"] == "chat.completion" and completion["model"] == "fake-model"
        fields = json.loads(completion["choices"][0]["message"]["content"])
        assert set(fields) == {"title", "body", "hashtags"}
        prompt_tokens += completion["usage"]["prompt_tokens"]
        completion_tokens += completion["usage"]["completion_tokens"]
    assert done.usage is not None
    assert (done.usage.input_tokens, done.usage.output_tokens) == (prompt_tokens, completion_tokens)
    assert done.usage.total_tokens == prompt_tokens + completion_tokens > 0
    assert server.usage_served == (prompt_tokens, completion_tokens)

    # Batch answers are recorded apart from the HTTP requests, which hold uploads and polls.
    assert [r.custom_id for r in server.batches.requests] == ["p-0", "p-1", "p-2"]
    assert all(r.status_code == 200 and r.batch_id == done.id for r in server.batches.requests)
    assert server.chat_requests == []
    assert [r.path for r in server.requests if r.method == "POST"] == ["/v1/files", "/v1/batches"]


def test_async_client_flow(server: FakeOpenAIServer) -> None:
    async def run() -> tuple[list[str], dict[str, dict[str, Any]]]:
        client = openai.AsyncOpenAI(base_url=server.url, api_key="test", max_retries=0)
        file = await client.files.create(file=("a.jsonl", _requests(4)), purpose="batch")
        batch = await client.batches.create(
            input_file_id=file.id, endpoint=ENDPOINT, completion_window="24h"
        )
        statuses: list[str] = [batch.status]
        while batch.status not in TERMINAL:
            batch = await client.batches.retrieve(batch.id)
            statuses.append(batch.status)
        assert batch.output_file_id is not None
        content = await client.files.content(batch.output_file_id)
        await client.close()
        return statuses, _parse(content.text)

    statuses, rows = asyncio.run(run())
    assert statuses == ["validating", "in_progress", "finalizing", "completed"]
    assert sorted(rows) == ["p-0", "p-1", "p-2", "p-3"]


def test_a_thousand_requests_complete_quickly(
    server: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    start = time.perf_counter()
    batch = _poll(client, _submit(client, _requests(1000)))[-1]
    assert batch.status == "completed" and batch.output_file_id is not None
    rows = _parse(client.files.content(batch.output_file_id).text)
    elapsed = time.perf_counter() - start
    assert len(rows) == 1000
    assert elapsed < 5, f"1,000 requests took {elapsed:.2f} s"


# --- failing requests -------------------------------------------------------------------


def test_failing_custom_ids_go_to_the_error_file(
    server: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    server.batches.fail_requests("p-1", status=500)
    server.batches.fail_requests("p-3", status=400, message="bad body", code="invalid_value")
    batch = _poll(client, _submit(client, _requests(5)))[-1]
    assert batch.status == "completed"
    assert batch.request_counts is not None
    assert (batch.request_counts.completed, batch.request_counts.failed) == (3, 2)
    assert batch.output_file_id and batch.error_file_id
    assert sorted(_parse(client.files.content(batch.output_file_id).text)) == ["p-0", "p-2", "p-4"]
    errors = _parse(client.files.content(batch.error_file_id).text)
    assert sorted(errors) == ["p-1", "p-3"]
    assert errors["p-1"]["error"] is None
    assert errors["p-1"]["response"]["status_code"] == 500
    assert errors["p-1"]["response"]["body"]["error"]["type"] == "server_error"
    assert errors["p-3"]["response"]["status_code"] == 400
    assert errors["p-3"]["response"]["body"]["error"] == {
        "message": "bad body",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_value",
    }
    assert client.files.retrieve(batch.error_file_id).filename == f"{batch.id}_error.jsonl"

    # A failure is used up once by default: a retry of the failed requests succeeds.
    retry = _poll(client, _submit(client, _jsonl([_line("p-1"), _line("p-3")])))[-1]
    assert retry.request_counts is not None and retry.request_counts.completed == 2
    assert retry.error_file_id is None


def test_a_failure_for_every_time(server: FakeOpenAIServer, client: openai.OpenAI) -> None:
    server.batches.fail_requests("p-0", status=503, times=None)
    for _ in range(2):
        batch = _poll(client, _submit(client, _requests(1)))[-1]
        assert batch.output_file_id is None and batch.error_file_id is not None
    statuses = [r.status_code for r in server.batches.requests]
    assert statuses == [503, 503]


def test_request_lines_go_through_the_servers_chat_rules() -> None:
    def responder(request: dict[str, Any]) -> str | Behavior:
        text = request["messages"][-1]["content"]
        if "rate" in text:
            return Behavior.rate_limited(1)
        if "boom" in text:
            raise RuntimeError("boom")
        if "drop" in text:
            return Behavior.drop()
        return json.dumps({"echo": text})

    lines = [
        _line("plain", body={"model": "m", "messages": [{"role": "user", "content": "hi"}]}),
        _line("rate", body={"model": "m", "messages": [{"role": "user", "content": "rate"}]}),
        _line("boom", body={"model": "m", "messages": [{"role": "user", "content": "boom"}]}),
        _line("drop", body={"model": "m", "messages": [{"role": "user", "content": "drop"}]}),
        _line("no-messages", body={"model": "m"}),
        _line(
            "schema",
            body={
                "model": "m",
                "messages": [{"role": "user", "content": "x"}],
                "response_format": {"type": "json_schema", "json_schema": {"name": "s"}},
            },
        ),
    ]
    with FakeOpenAIServer(responder=responder, json_schema=False) as server:
        client = openai.OpenAI(base_url=server.url, api_key="test", max_retries=0)
        batch = _poll(client, _submit(client, _jsonl(lines)))[-1]
        assert batch.output_file_id and batch.error_file_id
        out = _parse(client.files.content(batch.output_file_id).text)
        errors = _parse(client.files.content(batch.error_file_id).text)
    content = out["plain"]["response"]["body"]["choices"][0]["message"]["content"]
    assert json.loads(content) == {"echo": "hi"}
    codes = {cid: row["response"]["status_code"] for cid, row in errors.items()}
    assert codes == {"rate": 429, "boom": 500, "drop": 500, "no-messages": 400, "schema": 400}
    assert "responder failed" in errors["boom"]["response"]["body"]["error"]["message"]
    assert "json_schema" in errors["schema"]["response"]["body"]["error"]["message"]


def test_output_order_is_not_the_input_order_unless_asked(
    server: FakeOpenAIServer, client: openai.OpenAI
) -> None:
    def order() -> list[str]:
        batch = _poll(client, _submit(client, _requests(20)))[-1]
        assert batch.output_file_id is not None
        text = client.files.content(batch.output_file_id).text
        return [json.loads(raw)["custom_id"] for raw in text.splitlines()]

    expected = [f"p-{i}" for i in range(20)]
    shuffled = order()
    assert shuffled != expected and sorted(shuffled) == sorted(expected)
    assert order() == shuffled  # deterministic
    server.batches.output_order = "input"
    assert order() == expected


# --- validation -------------------------------------------------------------------------


def _bad_json() -> bytes:
    return _jsonl([_line("a")]) + b'{"custom_id": "b", "method": \n' + _jsonl([_line("c")])


@pytest.mark.parametrize(
    ("data", "code", "line", "param"),
    [
        (_bad_json(), "invalid_json_line", 2, None),
        (_jsonl([_line("a"), _line("b", url="/v1/embeddings")]), "invalid_url", 2, "url"),
        (_jsonl([_line("a"), _line("b"), _line("a")]), "duplicate_custom_id", 3, "custom_id"),
        (
            _jsonl([{"method": "POST", "url": ENDPOINT, "body": {}}]),
            "missing_required_parameter",
            1,
            "custom_id",
        ),
        (
            _jsonl([_line("a", body={"messages": []})]),
            "missing_required_parameter",
            1,
            "body.model",
        ),
        (_jsonl([_line("a", method="GET")]), "invalid_request", 1, "method"),
        (b"[1, 2]\n", "invalid_request", 1, None),
        (
            _jsonl([_line("a"), _line("b", body={"model": "other", "messages": []})]),
            "model_mismatch",
            2,
            "body.model",
        ),
        (b"\n\n", "empty_file", None, None),
    ],
    ids=[
        "bad-json",
        "wrong-url",
        "duplicate",
        "missing-custom-id",
        "missing-model",
        "get",
        "not-an-object",
        "two-models",
        "empty",
    ],
)
def test_bad_input_files_fail_the_batch(
    client: openai.OpenAI, data: bytes, code: str, line: int | None, param: str | None
) -> None:
    seen = _poll(client, _submit(client, data))
    assert [b.status for b in seen] == ["validating", "failed"]
    batch = seen[-1]
    assert batch.failed_at is not None and batch.in_progress_at is None
    assert batch.output_file_id is None and batch.error_file_id is None
    assert batch.errors is not None and batch.errors.data
    assert batch.errors.object == "list"
    error = batch.errors.data[0]
    assert (error.code, error.line, error.param) == (code, line, param)
    assert error.message


def test_every_bad_line_is_reported(client: openai.OpenAI) -> None:
    data = _jsonl([_line("a"), _line("a"), _line("b", url="/v1/x")]) + b"nope\n"
    batch = _poll(client, _submit(client, data))[-1]
    assert batch.errors is not None and batch.errors.data is not None
    assert [(e.code, e.line) for e in batch.errors.data] == [
        ("duplicate_custom_id", 2),
        ("invalid_url", 3),
        ("invalid_json_line", 4),
    ]


def test_limits_of_requests_and_bytes(server: FakeOpenAIServer, client: openai.OpenAI) -> None:
    assert (server.batches.max_requests_per_file, server.batches.max_file_bytes) == (
        50_000,
        200 * 1024 * 1024,
    )
    server.batches.max_requests_per_file = 3
    assert _poll(client, _submit(client, _requests(3)))[-1].status == "completed"
    batch = _poll(client, _submit(client, _requests(4)))[-1]
    assert batch.status == "failed" and batch.errors and batch.errors.data
    assert batch.errors.data[0].code == "too_many_tasks"
    assert "4 requests" in str(batch.errors.data[0].message)
    assert "limit of 3" in str(batch.errors.data[0].message)

    server.batches.max_requests_per_file = 50_000
    data = _requests(2)
    server.batches.max_file_bytes = len(data) - 1
    batch = _poll(client, _submit(client, data))[-1]
    assert batch.status == "failed" and batch.errors and batch.errors.data
    assert batch.errors.data[0].code == "file_too_large"
    assert f"limit of {len(data) - 1} bytes" in str(batch.errors.data[0].message)


def test_create_refuses_bad_arguments(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError, match="No such File object"):
        client.batches.create(input_file_id="file-nope", endpoint=ENDPOINT, completion_window="24h")
    other = client.files.create(file=("notes.jsonl", _requests(1)), purpose="user_data")
    with pytest.raises(openai.BadRequestError, match="purpose 'batch'"):
        client.batches.create(input_file_id=other.id, endpoint=ENDPOINT, completion_window="24h")
    good = client.files.create(file=("r.jsonl", _requests(1)), purpose="batch")
    bad_args: list[dict[str, Any]] = [
        {"endpoint": "/v1/nothing"},
        {"completion_window": "1h"},
        {"metadata": {f"k{i}": "v" for i in range(17)}},
        {"metadata": {"k": "v" * 513}},
        {"output_expires_after": {"anchor": "created_at", "seconds": 60}},
    ]
    for overrides in bad_args:
        args: dict[str, Any] = {
            "input_file_id": good.id,
            "endpoint": ENDPOINT,
            "completion_window": "24h",
            **overrides,
        }
        with pytest.raises(openai.BadRequestError) as caught:
            client.batches.create(**args)
        assert isinstance(caught.value.body, dict)
        assert caught.value.body["param"] == next(iter(overrides))
    assert client.batches.list().data == []


def test_upload_refuses_bad_purposes_and_names(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match=r"Must be \.jsonl"):
        client.files.create(file=("requests.csv", b"a,b\n"), purpose="batch")
    with pytest.raises(openai.BadRequestError, match="purpose"):
        client.files.create(file=("r.jsonl", b"{}\n"), purpose="nonsense")  # type: ignore[arg-type]
    assert client.files.list().data == []


# --- progress control -------------------------------------------------------------------


def test_cancel_answers_nothing_more(server: FakeOpenAIServer, client: openai.OpenAI) -> None:
    server.batches.requests_per_step = 2
    batch = _submit(client, _requests(5))
    batch = client.batches.retrieve(batch.id)  # in_progress, nothing answered
    batch = client.batches.retrieve(batch.id)  # two answered
    assert batch.status == "in_progress"
    assert batch.request_counts is not None and batch.request_counts.completed == 2
    cancelling = client.batches.cancel(batch.id)
    assert cancelling.status == "cancelling" and cancelling.cancelling_at is not None
    assert client.batches.cancel(batch.id).status == "cancelling"  # again: no change
    seen = _poll(client, cancelling)
    assert [b.status for b in seen] == ["cancelling", "cancelled"]
    done = seen[-1]
    assert done.cancelled_at is not None and done.completed_at is None
    assert done.request_counts is not None
    assert (done.request_counts.completed, done.request_counts.failed) == (2, 3)
    assert done.output_file_id and done.error_file_id
    assert len(_parse(client.files.content(done.output_file_id).text)) == 2
    errors = _parse(client.files.content(done.error_file_id).text)
    assert len(errors) == 3
    assert {row["error"]["code"] for row in errors.values()} == {"batch_cancelled"}
    assert {row["response"] for row in errors.values()} == {None}
    assert client.batches.cancel(batch.id).status == "cancelled"

    finished = _poll(client, _submit(client, _requests(1)))[-1]
    with pytest.raises(openai.BadRequestError, match="status 'completed'"):
        client.batches.cancel(finished.id)
    with pytest.raises(openai.NotFoundError):
        client.batches.cancel("batch_nope")


def test_cancel_while_validating_makes_no_files(client: openai.OpenAI) -> None:
    batch = _submit(client, _requests(3))
    assert client.batches.cancel(batch.id).status == "cancelling"
    done = client.batches.retrieve(batch.id)
    assert done.status == "cancelled"
    assert (done.output_file_id, done.error_file_id) == (None, None)


def test_an_expiring_batch_answers_half(server: FakeOpenAIServer, client: openai.OpenAI) -> None:
    server.batches.script("expire")
    seen = _poll(client, _submit(client, _requests(10)))
    assert [b.status for b in seen] == ["validating", "in_progress", "in_progress", "expired"]
    assert seen[2].request_counts is not None and seen[2].request_counts.completed == 5
    done = seen[-1]
    assert done.expired_at is not None and done.completed_at is None
    assert done.request_counts is not None
    assert (done.request_counts.completed, done.request_counts.failed) == (5, 5)
    assert done.output_file_id and done.error_file_id
    assert sorted(_parse(client.files.content(done.output_file_id).text)) == [
        f"p-{i}" for i in range(5)
    ]
    errors = _parse(client.files.content(done.error_file_id).text)
    assert sorted(errors) == [f"p-{i}" for i in range(5, 10)]
    row = errors["p-7"]
    assert row["response"] is None and row["error"]["code"] == "batch_expired"
    assert row["id"].startswith("batch_req_")


def test_expire_now(server: FakeOpenAIServer, client: openai.OpenAI) -> None:
    server.batches.auto_advance = False
    batch = _submit(client, _requests(4))
    assert client.batches.retrieve(batch.id).status == "validating"  # polls move nothing
    done = server.batches.expire(batch.id)
    assert done["status"] == "expired"
    assert done["request_counts"] == {"total": 4, "completed": 0, "failed": 4}
    assert done["output_file_id"] is None and done["error_file_id"] is not None
    assert client.batches.retrieve(batch.id).status == "expired"
    with pytest.raises(ValueError, match="expired"):
        server.batches.expire(batch.id)


def test_a_held_batch_stays_in_progress(server: FakeOpenAIServer, client: openai.OpenAI) -> None:
    server.batches.script("hold")
    batch = _submit(client, _requests(2))
    statuses = [client.batches.retrieve(batch.id).status for _ in range(4)]
    assert statuses == ["in_progress"] * 4
    assert server.batches.requests == []
    server.batches.release(batch.id)
    assert [b.status for b in _poll(client, client.batches.retrieve(batch.id))] == [
        "finalizing",
        "completed",
    ]
    # The next batch has the default fate again; hold() pins any batch.
    other = _submit(client, _requests(1))
    client.batches.retrieve(other.id)
    server.batches.hold(other.id)
    assert client.batches.retrieve(other.id).status == "in_progress"
    assert server.batches.advance(other.id)["status"] == "finalizing"  # advance ignores holds


def test_a_failing_fate(server: FakeOpenAIServer, client: openai.OpenAI) -> None:
    server.batches.script("fail", "complete")
    first = _poll(client, _submit(client, _requests(2)))
    second = _poll(client, _submit(client, _requests(2)))
    assert [b.status for b in first] == ["validating", "failed"]
    assert first[-1].errors and first[-1].errors.data
    error = first[-1].errors.data[0]
    assert error.code == "token_limit_exceeded" and "fake-model" in str(error.message)
    assert second[-1].status == "completed"
    with pytest.raises(ValueError, match="unknown fate"):
        server.batches.script("explode")  # type: ignore[arg-type]


def test_fail_now(server: FakeOpenAIServer, client: openai.OpenAI) -> None:
    batch = _submit(client, _requests(2))
    server.batches.fail(batch.id, "quota gone", code="insufficient_quota")
    failed = client.batches.retrieve(batch.id)
    assert failed.status == "failed" and failed.errors and failed.errors.data
    assert failed.errors.data[0].code == "insufficient_quota"
    with pytest.raises(ValueError, match="failed"):
        server.batches.fail(batch.id)


def test_tests_drive_batches_by_hand(server: FakeOpenAIServer, client: openai.OpenAI) -> None:
    server.batches.auto_advance = False
    server.batches.requests_per_step = 4
    batch = _submit(client, _requests(10))
    assert server.batches.advance(batch.id)["status"] == "in_progress"
    counts = []
    for _ in range(3):
        state = server.batches.advance(batch.id)
        counts.append((state["status"], state["request_counts"]["completed"]))
    assert counts == [("in_progress", 4), ("in_progress", 8), ("finalizing", 10)]
    assert client.batches.retrieve(batch.id).status == "finalizing"
    others = [_submit(client, _requests(1)).id for _ in range(2)]
    finished = server.batches.complete_all()
    assert [b["id"] for b in finished] == [batch.id, *others]
    assert {b["status"] for b in finished} == {"completed"}
    assert server.batches.complete_all() == []
    assert server.batches.get(batch.id)["status"] == "completed"
    assert server.batches.batch_ids == [batch.id, *others]


# --- lists, retrieval, deletion ---------------------------------------------------------


def test_batch_list_pagination(client: openai.OpenAI) -> None:
    ids = [_submit(client, _requests(1)).id for _ in range(5)]
    newest_first = ids[::-1]
    page = client.batches.list(limit=2)
    assert [b.id for b in page.data] == newest_first[:2] and page.has_more
    page2 = client.batches.list(limit=2, after=page.data[-1].id)
    assert [b.id for b in page2.data] == newest_first[2:4]
    last = client.batches.list(limit=2, after=newest_first[3])
    assert [b.id for b in last.data] == newest_first[4:] and last.has_more is False
    assert [b.id for b in client.batches.list(limit=2)] == newest_first  # auto-paging
    assert [b.id for b in client.batches.list().data] == newest_first  # default limit 20
    with pytest.raises(openai.BadRequestError):
        client.batches.list(limit=101)


def test_file_list_delete_and_retrieve(server: FakeOpenAIServer, client: openai.OpenAI) -> None:
    ids = [
        client.files.create(file=(f"f{i}.jsonl", _requests(1)), purpose="batch").id
        for i in range(3)
    ]
    notes = client.files.create(file=("notes.txt", b"hello"), purpose="user_data")
    assert [f.id for f in client.files.list()] == [notes.id, *ids[::-1]]
    assert [f.id for f in client.files.list(purpose="batch", order="asc")] == ids
    assert [f.id for f in client.files.list(purpose="batch", limit=1)] == ids[::-1]  # pages
    deleted = client.files.delete(ids[1])
    assert (deleted.id, deleted.deleted, deleted.object) == (ids[1], True, "file")
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(ids[1])
    with pytest.raises(openai.NotFoundError):
        client.files.content(ids[1])
    with pytest.raises(openai.NotFoundError):
        client.files.delete(ids[1])
    assert server.batches.file_ids == [ids[0], ids[2], notes.id]
    assert server.batches.file_bytes(notes.id) == b"hello"


def test_deleting_the_input_file_does_not_change_a_batch(client: openai.OpenAI) -> None:
    file = client.files.create(file=("r.jsonl", _requests(2)), purpose="batch")
    batch = client.batches.create(input_file_id=file.id, endpoint=ENDPOINT, completion_window="24h")
    client.files.delete(file.id)
    done = _poll(client, batch)[-1]
    assert done.status == "completed" and done.input_file_id == file.id
    assert done.request_counts is not None and done.request_counts.completed == 2


def test_output_files_take_the_expiry_asked_for(client: openai.OpenAI) -> None:
    batch = _submit(
        client, _requests(1), output_expires_after={"anchor": "created_at", "seconds": 7200}
    )
    done = _poll(client, batch)[-1]
    assert done.output_file_id is not None
    output = client.files.retrieve(done.output_file_id)
    assert output.expires_at == output.created_at + 7200


def test_an_unknown_batch_is_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError, match="batch_nope"):
        client.batches.retrieve("batch_nope")


# --- HTTP details -----------------------------------------------------------------------


def _raw(
    server: FakeOpenAIServer,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_api_key_is_required_when_configured() -> None:
    with FakeOpenAIServer(api_key="sk-right") as server:
        wrong = openai.OpenAI(base_url=server.url, api_key="sk-wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            wrong.files.list()
        right = openai.OpenAI(base_url=server.url, api_key="sk-right", max_retries=0)
        assert right.batches.list().data == []


def test_unknown_routes_and_methods_are_404(server: FakeOpenAIServer) -> None:
    for method, path in [
        ("GET", "/v1/batches/b/cancel"),
        ("POST", "/v1/batches/b/explode"),
        ("PUT", "/v1/files"),
        ("DELETE", "/v1/batches/b"),
    ]:
        status, body = _raw(server, method, path)
        assert status == 404, (method, path)
        assert "no route" in body["error"]["message"]
    assert [r.behavior for r in server.requests] == ["status:404"] * 4


def test_broken_multipart_uploads_are_400(server: FakeOpenAIServer) -> None:
    cases = [
        ("application/json", b"{}"),
        ("multipart/form-data", b"--x\r\n\r\n--x--\r\n"),  # no boundary parameter
        ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n\r\n"),
        ("multipart/form-data; boundary=x", b"--x\r\nno colon\r\n\r\nv\r\n--x--\r\n"),
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n--x--\r\n',
        ),
    ]
    for content_type, body in cases:
        status, reply = _raw(server, "POST", "/v1/files", body, {"Content-Type": content_type})
        assert status == 400, (content_type, body)
        assert reply["error"]["type"] == "invalid_request_error"


def test_uploads_over_the_limit_are_413(server: FakeOpenAIServer, client: openai.OpenAI) -> None:
    server.batches.max_upload_bytes = 1000
    with pytest.raises(openai.APIStatusError) as caught:
        client.files.create(file=("big.jsonl", b"x" * 2000), purpose="batch")
    assert caught.value.status_code == 413


def test_parse_multipart_bounds_and_fields() -> None:
    body = (
        b"preamble\r\n--b\r\n"
        b'Content-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
        b"--b\r\n"
        b'Content-Disposition: form-data; name="file"; filename="r.jsonl"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
        b"line 1 --b\r\nline 2\r\n\r\n--b--\r\nepilogue"
    )
    parts = parse_multipart('multipart/form-data; boundary="b"', body)
    assert parts["purpose"].data == b"batch" and parts["purpose"].filename is None
    assert parts["file"].filename == "r.jsonl"
    assert parts["file"].content_type == "application/octet-stream"
    assert parts["file"].data == b"line 1 --b\r\nline 2\r\n"
    many = b"".join(
        b'--b\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nv\r\n' % i for i in range(17)
    )
    with pytest.raises(ValueError, match="more than 16 parts"):
        parse_multipart("multipart/form-data; boundary=b", many + b"--b--\r\n")
    long_head = b"--b\r\nX-Pad: " + b"p" * 9000 + b"\r\n\r\nv\r\n--b--\r\n"
    with pytest.raises(ValueError, match="header block"):
        parse_multipart("multipart/form-data; boundary=b", long_head)


def test_every_server_has_its_own_batches() -> None:
    with FakeOpenAIServer() as one, FakeOpenAIServer() as two:
        assert isinstance(one.batches, FakeBatches) and one.batches is not two.batches
        client = openai.OpenAI(base_url=one.url, api_key="test", max_retries=0)
        _submit(client, _requests(1))
        assert len(one.batches.batch_ids) == 1 and two.batches.batch_ids == []
        one.batches.clear()
        assert one.batches.batch_ids == [] and one.batches.file_ids == []
