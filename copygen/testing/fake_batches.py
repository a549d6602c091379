"""The OpenAI Files and Batches APIs inside :class:`~copygen.testing.fake_openai.FakeOpenAIServer`.

Every ``FakeOpenAIServer`` has one of these as ``server.batches``, so a test drives a
whole batch job with the real ``openai`` client: ``files.create(purpose="batch")``,
``batches.create/retrieve/cancel/list``, ``files.retrieve/content/delete/list``.

Batches move one step at a time, never by the clock::

    validating -> in_progress -> finalizing -> completed
               \\-> failed        (the input file is bad, or a "fail" fate)
    in_progress -> expired        (an "expire" fate, or expire())
    validating | in_progress -> cancelling -> cancelled   (POST .../cancel, then one step)

By default every ``GET /v1/batches/{id}`` first moves that batch one step, so a client
polling a fresh batch sees ``in_progress``, ``finalizing``, ``completed`` (``create``
returned ``validating``). The validating step checks the input file as the real service
does (``errors.data[]`` with ``code``, ``message``, ``param``, ``line``); the in_progress
step answers the requests; the finalizing step writes the output and error files.

Scripting, all on ``server.batches``::

    batches.fail_requests("p-2", "p-7", status=500)   # these custom_ids fail once, any batch
    batches.fail_requests("p-9", status=400, times=None)  # ... or every time
    batches.script("hold", "expire", "fail")  # fates of the next batches created, in order
    batches.auto_advance = False       # polls no longer move batches; tests do:
    batches.advance(batch_id, steps=1) # one step (a held batch too); returns the batch
    batches.complete_all()             # every unfinished batch to its end (held ones too)
    batches.hold(batch_id); batches.release(batch_id)  # pin at in_progress / let go
    batches.expire(batch_id)           # now: answered requests stay, the rest batch_expired
    batches.fail(batch_id, message=..., code=...)  # a validating batch fails now
    batches.requests_per_step = 10     # in_progress answers 10 requests a step (None: all)
    batches.max_requests_per_file = 50_000; batches.max_file_bytes = 200 * 1024 * 1024

Fates: ``"complete"`` (the default), ``"hold"`` (stays ``in_progress`` until
``advance``/``release``/``expire``/cancel), ``"expire"`` (answers the first half of its
requests, then the next step expires it), ``"fail"`` (validation fails with
``token_limit_exceeded``, the failure the real service reports most).

Inspection: ``batches.get(id)`` (the API object), ``batch_ids``, ``file_ids``,
``file_bytes(file_id)``, ``requests`` and ``clear()``.

Each request line is answered by the server's own chat machinery: its ``responder``
(``default_responder`` unless the server was given another), its response-format
rules (``json_schema=False`` etc. give a 400 line) and its completion body with usage
(counted in ``server.usage_served``). These answers are recorded in
``server.batches.requests`` (custom_id, body, status), not in ``server.requests``,
which holds the HTTP requests (uploads, polls) as for any other route; the server's
``script()`` queue is for HTTP chat requests and is not consumed by batches.

Output lines are ``{"id": "batch_req_...", "custom_id", "response": {"status_code",
"request_id", "body"}, "error": null}``; a failed request goes to the error file with
its 4xx/5xx status and an OpenAI error body, an expired or cancelled one with
``"response": null, "error": {"code": "batch_expired" | "batch_cancelled", ...}``.
Files are only created when they have lines. As with the real service the output order
is not the input order (``output_order = "input"`` keeps it), so clients must match
lines by ``custom_id``. Expired and cancelled requests count as ``failed`` in
``request_counts``. Every file is served with ``Content-Type: application/json``.
"""

from __future__ import annotations

import email.message
import json
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import parse_qs


def write_vllm_output(
    request_files: Iterable[Path],
    output: Path,
    *,
    responder: Callable[[dict[str, Any]], str],
    usage: tuple[int, int] = (100, 50),
) -> int:
    """Write what ``vllm run-batch`` writes for ``request_files`` (a line for each
    request, the shape of OpenAI's output lines), each answered by ``responder`` (such as
    ``fake_openai.default_responder``); returns the lines written. No server involved:
    for tests and benchmarks of ``batch collect --from``."""
    prompt, completion = usage
    n = 0
    with output.open("w", encoding="utf-8") as out:
        for request in _request_lines(request_files):
            n += 1
            message = {"role": "assistant", "content": responder(request["body"])}
            body = {
                "id": f"chatcmpl-{n}",
                "object": "chat.completion",
                "model": request["body"].get("model"),
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                },
            }
            response = {"status_code": 200, "request_id": f"vllm-batch-{n}", "body": body}
            line = {
                "id": f"vllm-{n}",
                "custom_id": request["custom_id"],
                "response": response,
                "error": None,
            }
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return n


def _request_lines(request_files: Iterable[Path]) -> Iterable[dict[str, Any]]:
    for path in request_files:
        with path.open(encoding="utf-8") as requests:
            for raw in requests:
                yield json.loads(raw)


Fate = Literal["complete", "hold", "expire", "fail"]
_FATES: frozenset[str] = frozenset({"complete", "hold", "expire", "fail"})
BatchStatus = Literal[
    "validating",
    "failed",
    "in_progress",
    "finalizing",
    "completed",
    "expired",
    "cancelling",
    "cancelled",
]
_TERMINAL = frozenset({"failed", "completed", "expired", "cancelled"})

#: The real service's limits for one batch input file.
MAX_REQUESTS_PER_FILE = 50_000
MAX_FILE_BYTES = 200 * 1024 * 1024
#: Uploads above this are refused with 413, as the Files API does above 512 MB.
MAX_UPLOAD_BYTES = 512 * 1024 * 1024

_ENDPOINTS = (
    "/v1/chat/completions",
    "/v1/responses",
    "/v1/embeddings",
    "/v1/completions",
    "/v1/moderations",
)
_UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
_DAY = 24 * 3600
_BATCH_FILE_TTL = 30 * _DAY
_ROUTE = re.compile(r"/v1/(files|batches)(?:/([^/]+))?(?:/([^/]+))?$")
#: A multipart body with more parts, or a part head longer than this, is refused.
_MAX_PARTS = 16
_MAX_PART_HEAD = 8 * 1024


class _Host(Protocol):
    """What the batches need from the server (``FakeOpenAIServer``)."""

    api_key: str | None
    responder: Any

    def _format_rejection(self, response_format: Any) -> str | None: ...

    def _completion_body(self, request: Any, behavior: Any) -> bytes: ...


@dataclass(frozen=True)
class BatchRequestRecord:
    """One request line of a batch, as the fake answered it."""

    batch_id: str
    custom_id: str
    body: Mapping[str, Any]
    status_code: int  # 200, or the status written to the error file


@dataclass(frozen=True)
class _Reply:
    # The fields of a Behavior that the server's completion body reads.
    content: str
    finish_reason: str = "stop"


@dataclass
class _File:
    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: int
    seq: int
    expires_at: int | None

    def api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data),
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "status_details": None,
        }


@dataclass
class _Line:
    custom_id: str
    body: dict[str, Any]


@dataclass
class _Failure:
    status: int
    message: str | None
    code: str | None
    times: int | None  # None: every time


@dataclass
class _Batch:
    id: str
    input_file_id: str
    endpoint: str
    completion_window: str
    metadata: dict[str, str] | None
    created_at: int
    seq: int
    data: bytes  # the input file as it was at creation: deleting the file changes nothing
    fate: Fate
    held: bool
    output_ttl: int | None
    status: BatchStatus = "validating"
    times: dict[str, int | None] = field(default_factory=dict)
    errors: list[dict[str, Any]] | None = None
    lines: list[_Line] = field(default_factory=list)
    done: int = 0  # lines answered so far, in input order
    outputs: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    output_file_id: str | None = None
    error_file_id: str | None = None
    model: str | None = None
    tokens: list[int] = field(default_factory=lambda: [0, 0])  # input, output
    finished: bool = False  # the files are written

    def api(self) -> dict[str, Any]:
        usage = None
        if self.finished:
            usage = {
                "input_tokens": self.tokens[0],
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": self.tokens[1],
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": self.tokens[0] + self.tokens[1],
            }
        failed = len(self.failures)
        if self.finished:
            failed += len(self.lines) - self.done
        body: dict[str, Any] = {
            "id": self.id,
            "object": "batch",
            "endpoint": self.endpoint,
            "model": self.model,
            "errors": {"object": "list", "data": self.errors} if self.errors else None,
            "input_file_id": self.input_file_id,
            "completion_window": self.completion_window,
            "status": self.status,
            "output_file_id": self.output_file_id,
            "error_file_id": self.error_file_id,
            "created_at": self.created_at,
            "expires_at": self.created_at + _DAY,
        }
        for name in (
            "in_progress_at",
            "finalizing_at",
            "completed_at",
            "failed_at",
            "expired_at",
            "cancelling_at",
            "cancelled_at",
        ):
            body[name] = self.times.get(name)
        body["request_counts"] = {
            "total": len(self.lines),
            "completed": len(self.outputs),
            "failed": failed,
        }
        body["usage"] = usage
        body["metadata"] = self.metadata
        return body


class ApiError(Exception):
    """An error reply: status and an OpenAI-shaped error body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        kind: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = _error_json(message, param=param, code=code, kind=kind)


def _error_json(
    message: str,
    *,
    param: str | None = None,
    code: str | None = None,
    kind: str = "invalid_request_error",
) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _new_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:24]


class FakeBatches:
    """In-memory files and batches, answered through the host server's chat machinery.

    Attributes a test may set: ``auto_advance`` (default True: each retrieve moves the
    batch one step), ``requests_per_step`` (None: the in_progress step answers every
    request), ``max_requests_per_file``, ``max_file_bytes``, ``max_upload_bytes``,
    ``output_order`` ("shuffled" or "input").
    """

    def __init__(
        self,
        host: _Host,
        *,
        max_requests_per_file: int = MAX_REQUESTS_PER_FILE,
        max_file_bytes: int = MAX_FILE_BYTES,
        max_upload_bytes: int = MAX_UPLOAD_BYTES,
    ) -> None:
        self._host = host
        self.auto_advance = True
        self.requests_per_step: int | None = None
        self.max_requests_per_file = max_requests_per_file
        self.max_file_bytes = max_file_bytes
        self.max_upload_bytes = max_upload_bytes
        self.output_order: Literal["shuffled", "input"] = "shuffled"
        # Handlers run on the server's loop thread, scripting on the test's thread.
        self._lock = threading.RLock()
        self._files: dict[str, _File] = {}
        self._batches: dict[str, _Batch] = {}
        self._fates: list[Fate] = []
        self._fail: dict[str, _Failure] = {}
        self._records: list[BatchRequestRecord] = []
        self._seq = 0

    # --- scripting and inspection -----------------------------------------------------

    def script(self, *fates: Fate) -> None:
        """Fates of the next batches created, in order; then ``"complete"``."""
        bad = [f for f in fates if f not in _FATES]
        if bad:
            raise ValueError(f"unknown fate {bad[0]!r}; one of {sorted(_FATES)}")
        with self._lock:
            self._fates.extend(fates)

    def fail_requests(
        self,
        *custom_ids: str,
        status: int = 500,
        message: str | None = None,
        code: str | None = None,
        times: int | None = 1,
    ) -> None:
        """Answer these custom_ids with ``status`` (into the error file), in any batch.

        ``times`` is how many answers fail per custom_id (None: all), so a retried
        request succeeds by default, as a transient server error would.
        """
        with self._lock:
            for custom_id in custom_ids:
                self._fail[custom_id] = _Failure(status, message, code, times)

    def advance(self, batch_id: str, steps: int = 1) -> dict[str, Any]:
        """Move a batch ``steps`` steps (held or not); its API object after."""
        with self._lock:
            batch = self._batch(batch_id)
            for _ in range(steps):
                self._step(batch, forced=True)
            return batch.api()

    def complete_all(self) -> list[dict[str, Any]]:
        """Run every unfinished batch to its end; their API objects."""
        with self._lock:
            finished = []
            for batch in self._batches.values():
                if batch.status in _TERMINAL:
                    continue
                while batch.status not in _TERMINAL:
                    self._step(batch, forced=True)
                finished.append(batch.api())
            return finished

    def hold(self, batch_id: str) -> None:
        """Keep the batch ``in_progress`` on polls until :meth:`release` or ``advance``."""
        with self._lock:
            self._batch(batch_id).held = True

    def release(self, batch_id: str) -> None:
        with self._lock:
            self._batch(batch_id).held = False

    def expire(self, batch_id: str) -> dict[str, Any]:
        """Expire the batch now: requests answered so far stay in the output and error
        files, the others go to the error file with ``batch_expired``."""
        with self._lock:
            batch = self._batch(batch_id)
            if batch.status == "validating":
                self._validate(batch)
            if batch.status not in ("in_progress", "finalizing"):
                raise ValueError(f"cannot expire batch {batch_id}: it is {batch.status}")
            self._finish(batch, "expired", "batch_expired")
            return batch.api()

    def fail(
        self,
        batch_id: str,
        message: str = "The batch failed.",
        *,
        code: str = "batch_failed",
        param: str | None = None,
        line: int | None = None,
    ) -> dict[str, Any]:
        """Fail a validating batch now, with this one error in ``errors.data``."""
        with self._lock:
            batch = self._batch(batch_id)
            if batch.status != "validating":
                raise ValueError(f"cannot fail batch {batch_id}: it is {batch.status}")
            self._set_failed(batch, [_batch_error(code, message, param=param, line=line)])
            return batch.api()

    def get(self, batch_id: str) -> dict[str, Any]:
        """The batch's API object, without moving it."""
        with self._lock:
            return self._batch(batch_id).api()

    @property
    def batch_ids(self) -> list[str]:
        """Every batch created, oldest first."""
        with self._lock:
            return list(self._batches)

    @property
    def file_ids(self) -> list[str]:
        """Every file not deleted, oldest first (uploads and batch results)."""
        with self._lock:
            return list(self._files)

    def file_bytes(self, file_id: str) -> bytes:
        with self._lock:
            if file_id not in self._files:
                raise KeyError(file_id)
            return self._files[file_id].data

    @property
    def requests(self) -> list[BatchRequestRecord]:
        """Request lines answered so far, in the order they were answered."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        """Forget every file, batch, fate, failing custom_id and record."""
        with self._lock:
            self._files.clear()
            self._batches.clear()
            self._fates.clear()
            self._fail.clear()
            self._records.clear()

    # --- HTTP ----------------------------------------------------------------------------

    @staticmethod
    def routes(path: str) -> bool:
        """Whether ``path`` (without query) belongs to the Files or Batches API."""
        return _ROUTE.search(path) is not None

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, bytes]:
        """Answer one HTTP request: (status, body). ``headers`` names are lower-case."""
        path, _, query = target.partition("?")
        match = _ROUTE.search(path.rstrip("/"))
        try:
            if match is None:
                raise ApiError(404, f"no route for {method} {path}")
            api_key = self._host.api_key
            if api_key is not None and headers.get("authorization") != f"Bearer {api_key}":
                raise ApiError(401, "Incorrect API key provided", code="invalid_api_key")
            with self._lock:
                result = self._dispatch(method, match, query, headers, body)
        except ApiError as exc:
            return exc.status, json.dumps(exc.body).encode()
        if isinstance(result, bytes):
            return 200, result
        return 200, json.dumps(result, ensure_ascii=False).encode("utf-8")

    def _dispatch(
        self,
        method: str,
        match: re.Match[str],
        query: str,
        headers: Mapping[str, str],
        body: bytes,
    ) -> dict[str, Any] | bytes:
        resource, item, action = match.group(1), match.group(2), match.group(3)
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        route = (resource, method, item is not None, action)
        if route == ("files", "POST", False, None):
            return self._upload(headers.get("content-type", ""), body)
        if route == ("files", "GET", False, None):
            return self._list_files(params)
        if route == ("batches", "POST", False, None):
            return self._create(_json_object(body))
        if route == ("batches", "GET", False, None):
            return self._list_batches(params)
        if item is not None and resource == "files":
            file = self._files.get(item)
            if route == ("files", "GET", True, None):
                return self._file(item, file).api()
            if route == ("files", "DELETE", True, None):
                self._file(item, file)
                del self._files[item]
                return {"id": item, "object": "file", "deleted": True}
            if route == ("files", "GET", True, "content"):
                return self._file(item, file).data
        if item is not None and resource == "batches":
            if route == ("batches", "GET", True, None):
                batch = self._batch_or_404(item)
                if self.auto_advance:
                    self._step(batch, forced=False)
                return batch.api()
            if route == ("batches", "POST", True, "cancel"):
                return self._cancel(self._batch_or_404(item))
        suffix = "".join(f"/{part}" for part in (item, action) if part)
        raise ApiError(404, f"no route for {method} /v1/{resource}{suffix}")

    # --- files ---------------------------------------------------------------------------

    def _file(self, file_id: str, file: _File | None) -> _File:
        if file is None:
            raise ApiError(404, f"No such File object: {file_id}", param="id")
        return file

    def _upload(self, content_type: str, body: bytes) -> dict[str, Any]:
        if len(body) > self.max_upload_bytes:
            limit = self.max_upload_bytes
            raise ApiError(413, f"File too large: uploads are limited to {limit} bytes.")
        try:
            parts = parse_multipart(content_type, body)
        except ValueError as exc:
            raise ApiError(400, f"Invalid multipart/form-data body: {exc}") from None
        purpose_part, file_part = parts.get("purpose"), parts.get("file")
        if purpose_part is None:
            raise ApiError(400, "'purpose' is a required property", param="purpose")
        if file_part is None or file_part.filename is None:
            raise ApiError(400, "'file' is a required property", param="file")
        purpose = purpose_part.data.decode("utf-8", "replace")
        if purpose not in _UPLOAD_PURPOSES:
            message = f"'{purpose}' is not one of {list(_UPLOAD_PURPOSES)} - 'purpose'"
            raise ApiError(400, message, param="purpose")
        filename = file_part.filename
        if purpose == "batch" and not filename.lower().endswith(".jsonl"):
            raise ApiError(400, "Invalid file format for Batch API. Must be .jsonl", param="file")
        ttl: int | None = _BATCH_FILE_TTL if purpose == "batch" else None
        seconds = parts.get("expires_after[seconds]")
        if seconds is not None:
            try:
                ttl = int(seconds.data)
            except ValueError:
                raise ApiError(
                    400, "expires_after[seconds] must be an integer", param="expires_after"
                ) from None
        return self._store(filename, purpose, file_part.data, ttl).api()

    def _store(self, filename: str, purpose: str, data: bytes, ttl: int | None) -> _File:
        now = int(time.time())
        self._seq += 1
        expires = now + ttl if ttl is not None else None
        file = _File(_new_id("file-"), filename, purpose, data, now, self._seq, expires)
        self._files[file.id] = file
        return file

    def _list_files(self, params: Mapping[str, str]) -> dict[str, Any]:
        limit = _int_param(params, "limit", 10_000, 1, 10_000)
        order = params.get("order", "desc")
        if order not in ("asc", "desc"):
            raise ApiError(400, f"Invalid order {order!r}: one of 'asc', 'desc'", param="order")
        files = [f for f in self._files.values() if f.purpose == params.get("purpose", f.purpose)]
        files.sort(key=lambda f: (f.created_at, f.seq), reverse=order == "desc")
        return _page([f.api() for f in files], params.get("after"), limit)

    # --- batches -------------------------------------------------------------------------

    def _batch(self, batch_id: str) -> _Batch:
        if batch_id not in self._batches:
            raise KeyError(f"no batch {batch_id}")
        return self._batches[batch_id]

    def _batch_or_404(self, batch_id: str) -> _Batch:
        batch = self._batches.get(batch_id)
        if batch is None:
            raise ApiError(404, f"No batch found with id '{batch_id}'.", param="batch_id")
        return batch

    def _create(self, params: dict[str, Any]) -> dict[str, Any]:
        for name in ("input_file_id", "endpoint", "completion_window"):
            if not isinstance(params.get(name), str):
                raise ApiError(400, f"Missing required parameter: '{name}'.", param=name)
        endpoint, window = params["endpoint"], params["completion_window"]
        if endpoint not in _ENDPOINTS:
            raise ApiError(
                400, f"Invalid endpoint {endpoint!r}: one of {list(_ENDPOINTS)}", param="endpoint"
            )
        if window != "24h":
            raise ApiError(
                400,
                f"Invalid completion_window {window!r}: only '24h' is supported",
                param="completion_window",
            )
        metadata = _check_metadata(params.get("metadata"))
        output_ttl = _check_output_expiry(params.get("output_expires_after"))
        file = self._files.get(params["input_file_id"])
        if file is None:
            raise ApiError(
                404, f"No such File object: {params['input_file_id']}", param="input_file_id"
            )
        if file.purpose != "batch":
            raise ApiError(
                400,
                f"The input file {file.id} must have purpose 'batch', not '{file.purpose}'.",
                param="input_file_id",
            )
        fate: Fate = self._fates.pop(0) if self._fates else "complete"
        self._seq += 1
        batch = _Batch(
            id=_new_id("batch_"),
            input_file_id=file.id,
            endpoint=endpoint,
            completion_window=window,
            metadata=metadata,
            created_at=int(time.time()),
            seq=self._seq,
            data=file.data,
            fate=fate,
            held=fate == "hold",
            output_ttl=output_ttl,
        )
        self._batches[batch.id] = batch
        return batch.api()

    def _list_batches(self, params: Mapping[str, str]) -> dict[str, Any]:
        limit = _int_param(params, "limit", 20, 1, 100)
        batches = sorted(self._batches.values(), key=lambda b: (b.created_at, b.seq), reverse=True)
        return _page([b.api() for b in batches], params.get("after"), limit)

    def _cancel(self, batch: _Batch) -> dict[str, Any]:
        if batch.status in ("cancelling", "cancelled"):
            return batch.api()
        if batch.status not in ("validating", "in_progress"):
            raise ApiError(
                400, f"Cannot cancel a batch with status '{batch.status}'.", param="batch_id"
            )
        batch.status = "cancelling"
        batch.times["cancelling_at"] = int(time.time())
        return batch.api()

    # --- the steps -----------------------------------------------------------------------

    def _step(self, batch: _Batch, *, forced: bool) -> None:
        if batch.status == "validating":
            self._validate(batch)
        elif batch.status == "in_progress":
            if batch.held and not forced:
                return
            if batch.fate == "expire":
                cap = len(batch.lines) // 2
                if batch.done >= cap:
                    self._finish(batch, "expired", "batch_expired")
                    return
            else:
                cap = len(batch.lines)
            per_step = self.requests_per_step
            # Zero or less would never finish (complete_all would spin): read it as all.
            step = per_step if per_step is not None and per_step > 0 else cap
            self._answer_lines(batch, min(cap, batch.done + step))
            if batch.done == len(batch.lines):
                batch.status = "finalizing"
                batch.times["finalizing_at"] = int(time.time())
        elif batch.status == "finalizing":
            self._finish(batch, "completed", "")
        elif batch.status == "cancelling":
            self._finish(batch, "cancelled", "batch_cancelled")

    def _validate(self, batch: _Batch) -> None:
        if batch.fate == "fail":
            model = _first_model(batch.data) or "gpt-4o-mini"
            message = (
                f"Enqueued token limit reached for {model} in organization org-fake. "
                "Limit: 90,000 enqueued tokens. Please try again once some in_progress "
                "batches have been completed."
            )
            self._set_failed(batch, [_batch_error("token_limit_exceeded", message)])
            return
        errors, lines = self._check_input(batch)
        if errors:
            self._set_failed(batch, errors)
            return
        batch.lines = lines
        batch.model = next((str(ln.body["model"]) for ln in lines), None)
        batch.status = "in_progress"
        batch.times["in_progress_at"] = int(time.time())

    def _set_failed(self, batch: _Batch, errors: list[dict[str, Any]]) -> None:
        batch.errors = errors
        batch.status = "failed"
        batch.times["failed_at"] = int(time.time())

    def _check_input(self, batch: _Batch) -> tuple[list[dict[str, Any]], list[_Line]]:
        """The validation errors of the input file (all of them), else its lines."""
        data = batch.data
        if len(data) > self.max_file_bytes:
            message = (
                f"The batch input file is {len(data)} bytes, larger than the limit of "
                f"{self.max_file_bytes} bytes per batch."
            )
            return [_batch_error("file_too_large", message, param="input_file_id")], []
        errors: list[dict[str, Any]] = []
        lines: list[_Line] = []
        seen: set[str] = set()
        model: str | None = None
        count = 0
        for number, raw in enumerate(data.split(b"\n"), 1):
            if not raw.strip():
                continue
            count += 1
            try:
                request = json.loads(raw)
            except ValueError:
                errors.append(
                    _batch_error(
                        "invalid_json_line",
                        "This line is not parseable as valid JSON.",
                        line=number,
                    )
                )
                continue
            problem = _line_problem(request, batch.endpoint)
            if problem is not None:
                errors.append({**problem, "line": number})
                continue
            custom_id, body = request["custom_id"], request["body"]
            if custom_id in seen:
                errors.append(
                    _batch_error(
                        "duplicate_custom_id",
                        "The custom_id for this request is a duplicate of another request. "
                        "The custom_id parameter must be unique for each request in a batch.",
                        param="custom_id",
                        line=number,
                    )
                )
                continue
            seen.add(custom_id)
            model = model or body["model"]
            if body["model"] != model:
                errors.append(
                    _batch_error(
                        "model_mismatch",
                        f"The model {body['model']!r} does not match the model {model!r} of "
                        "the other requests: a batch file holds requests for one model.",
                        param="body.model",
                        line=number,
                    )
                )
                continue
            lines.append(_Line(custom_id, body))
        if count == 0:
            return [_batch_error("empty_file", "The batch input file is empty.")], []
        if count > self.max_requests_per_file:
            message = (
                f"The batch input file has {count} requests, more than the limit of "
                f"{self.max_requests_per_file} requests per batch."
            )
            errors.insert(0, _batch_error("too_many_tasks", message, param="input_file_id"))
        return errors, lines

    def _answer_lines(self, batch: _Batch, until: int) -> None:
        while batch.done < until:
            line = batch.lines[batch.done]
            status, response = self._answer(line)
            self._records.append(BatchRequestRecord(batch.id, line.custom_id, line.body, status))
            request_id = uuid.uuid4().hex
            result = {
                "id": _new_id("batch_req_"),
                "custom_id": line.custom_id,
                "response": {"status_code": status, "request_id": request_id, "body": response},
                "error": None,
            }
            if status == 200:
                usage = response.get("usage") or {}
                batch.tokens[0] += int(usage.get("prompt_tokens", 0))
                batch.tokens[1] += int(usage.get("completion_tokens", 0))
                batch.outputs.append(result)
            else:
                batch.failures.append(result)
            batch.done += 1

    def _answer(self, line: _Line) -> tuple[int, dict[str, Any]]:
        """(status, body) of one request line, as the server's chat route would answer."""
        failure = self._fail.get(line.custom_id)
        if failure is not None:
            if failure.times is not None:
                failure.times -= 1
                if failure.times <= 0:
                    del self._fail[line.custom_id]
            message = failure.message or f"fake server error {failure.status}"
            return failure.status, _status_error(failure.status, message, failure.code)
        body = line.body
        if not isinstance(body.get("messages"), list):
            return 400, _status_error(400, "request body must be JSON with a 'messages' list")
        if body.get("stream"):
            return 400, _status_error(400, "streaming is not supported in batches")
        if "response_format" in body:
            rejection = self._host._format_rejection(body["response_format"])
            if rejection is not None:
                return 400, _status_error(400, rejection)
        try:
            answer = self._host.responder(body)
        except Exception as exc:  # a broken responder is a test bug: a 500 line says why
            return 500, _status_error(500, f"responder failed: {type(exc).__name__}: {exc}")
        if isinstance(answer, str):
            reply = _Reply(answer)
        else:
            kind = getattr(answer, "kind", None)
            if kind == "status":
                status = int(answer.status)
                return status, _status_error(status, answer.message or "", answer.code)
            if kind not in ("ok", "empty", "trickle", "huge", "endless"):
                message = f"the responder's {kind!r} reply cannot be written into a batch line"
                return 500, _status_error(500, message)
            # A trickle, huge or endless reply is about the wire: its text is what counts.
            reply = _Reply(answer.content or "", answer.finish_reason)
        return 200, json.loads(self._host._completion_body(body, reply))

    def _finish(self, batch: _Batch, status: BatchStatus, leftover_code: str) -> None:
        """Write the output and error files and end the batch in ``status``; requests
        not answered go to the error file with ``leftover_code``."""
        now = int(time.time())
        leftovers = []
        message = (
            "This request could not be executed before the completion window expired."
            if leftover_code == "batch_expired"
            else "This request was not executed because the batch was cancelled."
        )
        for line in batch.lines[batch.done :]:
            leftovers.append(
                {
                    "id": _new_id("batch_req_"),
                    "custom_id": line.custom_id,
                    "response": None,
                    "error": {"code": leftover_code, "message": message},
                }
            )
        outputs, failures = list(batch.outputs), batch.failures + leftovers
        if self.output_order == "shuffled":
            # Seeded by size: the order differs from the input's but not between runs.
            random.Random(len(outputs)).shuffle(outputs)
            random.Random(len(failures)).shuffle(failures)
        for kind, results in (("output", outputs), ("error", failures)):
            if not results:
                continue
            data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results)
            ttl = batch.output_ttl if batch.output_ttl is not None else _BATCH_FILE_TTL
            file = self._store(f"{batch.id}_{kind}.jsonl", "batch_output", data.encode(), ttl)
            if kind == "output":
                batch.output_file_id = file.id
            else:
                batch.error_file_id = file.id
        batch.finished = True
        batch.status = status
        batch.times[f"{status}_at"] = now


# --- helpers ---------------------------------------------------------------------------


def _batch_error(
    code: str, message: str, *, param: str | None = None, line: int | None = None
) -> dict[str, Any]:
    return {"code": code, "message": message, "param": param, "line": line}


def _status_error(status: int, message: str, code: str | None = None) -> dict[str, Any]:
    kind = "server_error" if status >= 500 else "invalid_request_error"
    if status == 429:
        kind = code = code or "rate_limit_exceeded"
    return _error_json(message, code=code, kind=kind)


def _line_problem(request: Any, endpoint: str) -> dict[str, Any] | None:
    """The validation error of one parsed input line (without its line number), or None."""
    if not isinstance(request, dict):
        return _batch_error("invalid_request", "Each line must be a JSON object.")
    for name, kind, label in (
        ("custom_id", str, "a string"),
        ("method", str, "a string"),
        ("url", str, "a string"),
        ("body", dict, "an object"),
    ):
        if name not in request:
            return _batch_error(
                "missing_required_parameter", f"Missing required parameter: '{name}'.", param=name
            )
        if not isinstance(request[name], kind):
            return _batch_error("invalid_request", f"'{name}' must be {label}.", param=name)
    if request["method"] != "POST":
        return _batch_error(
            "invalid_request", "Only the POST method is supported in batches.", param="method"
        )
    if request["url"] != endpoint:
        return _batch_error(
            "invalid_url",
            f"The URL provided for this request does not match the batch endpoint {endpoint}.",
            param="url",
        )
    if not isinstance(request["body"].get("model"), str):
        return _batch_error(
            "missing_required_parameter", "Missing required parameter: 'model'.", param="body.model"
        )
    return None


def _first_model(data: bytes) -> str | None:
    for raw in data.split(b"\n", 20)[:20]:
        try:
            model = json.loads(raw)["body"]["model"]
        except (ValueError, KeyError, TypeError):
            continue
        if isinstance(model, str):
            return model
    return None


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        params = json.loads(body) if body else None
    except ValueError:
        params = None
    if not isinstance(params, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return params


def _check_metadata(metadata: Any) -> dict[str, str] | None:
    if metadata is None:
        return None
    ok = isinstance(metadata, dict) and len(metadata) <= 16
    ok = ok and all(
        isinstance(k, str) and len(k) <= 64 and isinstance(v, str) and len(v) <= 512
        for k, v in metadata.items()
    )
    if not ok:
        raise ApiError(
            400,
            "metadata must be at most 16 string pairs, keys up to 64 and values up to 512 "
            "characters.",
            param="metadata",
        )
    return dict(metadata)


def _check_output_expiry(value: Any) -> int | None:
    if value is None:
        return None
    seconds = value.get("seconds") if isinstance(value, dict) else None
    if (
        not isinstance(value, dict)
        or value.get("anchor") != "created_at"
        or not isinstance(seconds, int)
        or not 3600 <= seconds <= 30 * _DAY
    ):
        raise ApiError(
            400,
            "output_expires_after needs anchor 'created_at' and seconds from 3600 to 2592000.",
            param="output_expires_after",
        )
    return seconds


def _int_param(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ApiError(400, f"Invalid '{name}': must be from {low} to {high}.", param=name)
    return value


def _page(items: list[dict[str, Any]], after: str | None, limit: int) -> dict[str, Any]:
    """One page of a cursor list, as the real API returns it."""
    start = 0
    if after is not None:
        ids = [item["id"] for item in items]
        # An unknown cursor (say, a deleted file) ends the list.
        start = ids.index(after) + 1 if after in ids else len(items)
    data = items[start : start + limit]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": start + limit < len(items),
    }


# --- multipart/form-data ----------------------------------------------------------------


@dataclass(frozen=True)
class FormPart:
    """One part of a multipart/form-data body."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def parse_multipart(content_type: str, body: bytes) -> dict[str, FormPart]:
    """The parts of a multipart/form-data ``body`` by name; ValueError when malformed.

    At most ``_MAX_PARTS`` parts with heads of at most ``_MAX_PART_HEAD`` bytes, so a
    hostile body costs no more than its own size.
    """
    header = email.message.Message()
    header["content-type"] = content_type
    if header.get_content_type() != "multipart/form-data":
        raise ValueError(f"Content-Type must be multipart/form-data, not {content_type!r}")
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str) or not 1 <= len(boundary) <= 200:
        raise ValueError("the Content-Type has no usable boundary")
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    sections = (b"\r\n" + body).split(delimiter)
    if len(sections) < 3 or not sections[-1].startswith(b"--"):
        raise ValueError("the body does not end with its closing boundary")
    if len(sections) - 2 > _MAX_PARTS:
        raise ValueError(f"more than {_MAX_PARTS} parts")
    parts: dict[str, FormPart] = {}
    for section in sections[1:-1]:
        head_end = section.find(b"\r\n\r\n", 0, _MAX_PART_HEAD)
        if head_end < 0:
            raise ValueError("a part has no header block (or one too long)")
        part_head = email.message.Message()
        # The first line is the rest of the boundary line (transport padding).
        for raw in section[:head_end].split(b"\r\n")[1:]:
            key, sep, value = raw.decode("utf-8", "replace").partition(":")
            if not sep:
                raise ValueError(f"a part header without a colon: {raw[:80]!r}")
            part_head[key.strip()] = value.strip()
        if part_head.get("content-disposition") is None:
            raise ValueError("a part has no Content-Disposition")
        name = part_head.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise ValueError("a part has no name")
        filename = part_head.get_filename()
        parts[name] = FormPart(
            name=name,
            filename=filename,
            content_type=part_head.get("content-type"),
            data=section[head_end + 4 :],
        )
    return parts
