"""A real local HTTP server that speaks the OpenAI chat-completions protocol.

It is what copygen's tests and benchmarks talk to instead of a paid API: the real
``openai`` client, real sockets, real HTTP/1.1 keep-alive, and scripted trouble
(rate limits with ``Retry-After``, server errors, hangs, malformed bodies, empty
replies, dropped connections) and hostile replies: one byte at a time
(``Behavior.trickle``), a chunked body that never ends (``Behavior.endless``), a
body of any size, plain or as a small gzip bomb (``Behavior.huge``).

In a test::

    from copygen.testing.fake_openai import Behavior, FakeOpenAIServer

    with FakeOpenAIServer(latency=0.01) as server:
        server.script(Behavior.rate_limited(0.2), Behavior.error(500))  # then normal replies
        ...  # point a client at server.url ("http://127.0.0.1:PORT/v1")
        assert len(server.chat_requests) == 3

Servers differ in what they take and how they fail, and the fake can play them:
``json_schema=False`` / ``json_object=False`` / ``schema_limits=False`` reject those
response formats with a 400 as llama.cpp, older vLLM or OpenAI's strict mode do
(``last_response_format`` shows what the client sent); ``looping=True`` answers like a
small model stuck in a list (until ``max_tokens``, unless a schema's ``maxItems`` ends
it); ``service_time=S`` serves one request at a time, S seconds each, like a server on
a CPU, so concurrent requests queue (``peak_in_flight`` shows how many were waiting).
``trickle=S`` / ``endless=S`` / ``huge_reply_bytes=N`` turn every normal reply into
the hostile kind; ``reply_bytes_sent`` and ``in_flight`` show how much the server
got out before the client hung up, and that it did hang up.

As a process (for benchmarks)::

    python -m copygen.testing.fake_openai --port 0 --latency 0.1
    python -m copygen.testing.fake_openai --trickle 1       # one byte a second
    python -m copygen.testing.fake_openai --huge-reply-bytes 10000000
    # first stdout line: http://127.0.0.1:PORT/v1

The server runs an asyncio loop in a background thread, so one instance serves
hundreds of concurrent keep-alive connections with little CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import re
import signal
import sys
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from copygen.testing.fake_batches import FakeBatches

BehaviorKind = Literal[
    "ok", "status", "hang", "malformed", "empty", "drop", "trickle", "endless", "huge"
]
#: Kinds whose body is written piece by piece (and whose bytes are counted as they go).
_STREAMED = frozenset({"trickle", "endless", "huge"})
#: Pieces of a huge reply are written this big, so the server never holds it whole.
_PIECE = 64 * 1024
_PAD_MARK = "<<copygen-fake-padding>>"

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    408: "Request Timeout",
    409: "Conflict",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    429: "rate_limit_exceeded",
}


@dataclass(frozen=True)
class Behavior:
    """What the server does with one request. Build with the class methods."""

    kind: BehaviorKind
    content: str | None = None  # "ok": the reply text; None = ask the responder
    status: int = 200
    message: str | None = None  # error message of a "status" reply
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    latency: float | None = None  # None = the server's default latency
    finish_reason: str = "stop"
    seconds: float = 3600.0  # "hang": how long before the connection is closed
    body: bytes = b""  # "malformed": the broken body sent with status 200
    code: str | None = None  # "status": the error code (default by status)
    interval: float = 0.0  # "trickle": seconds per byte; "endless": seconds per chunk
    chunk_bytes: int = 1024  # "endless": filler bytes per chunk
    size: int = 0  # "huge": bytes of the reply body (at least its JSON frame)
    chunked: bool = False  # "huge": Transfer-Encoding chunked instead of Content-Length
    gzip: bool = False  # "huge": Content-Encoding gzip (chunked): small on the wire

    @classmethod
    def ok(
        cls,
        content: str | None = None,
        *,
        latency: float | None = None,
        finish_reason: str = "stop",
    ) -> Behavior:
        """A normal reply; ``content`` None means the responder writes it."""
        return cls("ok", content=content, latency=latency, finish_reason=finish_reason)

    @classmethod
    def rate_limited(
        cls,
        retry_after: float | str | None = 1.0,
        *,
        latency: float | None = None,
        message: str = "Rate limit reached for requests",
    ) -> Behavior:
        """429 with ``Retry-After`` (seconds, or an HTTP date given as text; None: no header)."""
        headers: dict[str, str] = {}
        if retry_after is not None:
            headers["Retry-After"] = (
                retry_after if isinstance(retry_after, str) else _format_seconds(retry_after)
            )
        return cls(
            "status",
            status=429,
            message=message,
            headers=MappingProxyType(headers),
            latency=latency,
        )

    @classmethod
    def error(
        cls,
        status: int = 500,
        message: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        latency: float | None = None,
        code: str | None = None,
    ) -> Behavior:
        """An error status with an OpenAI-shaped error body (``code``: e.g. insufficient_quota)."""
        return cls(
            "status",
            status=status,
            message=message or f"fake server error {status}",
            headers=MappingProxyType(dict(headers or {})),
            latency=latency,
            code=code,
        )

    @classmethod
    def hang(cls, seconds: float = 3600.0) -> Behavior:
        """Send nothing for ``seconds`` (or until the client gives up), then close."""
        return cls("hang", seconds=seconds)

    @classmethod
    def malformed(
        cls,
        body: bytes = b'{"id": "chatcmpl-broken", "choices": [{"message": ',
        *,
        latency: float | None = None,
    ) -> Behavior:
        """Status 200, ``Content-Type: application/json``, a body that is not JSON."""
        return cls("malformed", body=body, latency=latency)

    @classmethod
    def empty(cls, *, latency: float | None = None) -> Behavior:
        """A well-formed reply whose message content is the empty string."""
        return cls("empty", content="", latency=latency)

    @classmethod
    def drop(cls, *, latency: float | None = None) -> Behavior:
        """Read the request, then close the connection without answering."""
        return cls("drop", latency=latency)

    @classmethod
    def trickle(
        cls,
        seconds_per_byte: float = 1.0,
        content: str | None = None,
        *,
        latency: float | None = None,
    ) -> Behavior:
        """A normal reply, one byte per ``seconds_per_byte``.

        ``content`` None: the responder's (the default responder's when the responder
        itself returns this). Every byte arrives well inside any read timeout, so only a
        deadline on the whole request ends it early.
        """
        return cls("trickle", content=content, interval=seconds_per_byte, latency=latency)

    @classmethod
    def endless(
        cls, interval: float = 0.05, *, chunk_bytes: int = 1024, latency: float | None = None
    ) -> Behavior:
        """Status 200 and a chunked body that never ends.

        The start of a chat completion, then ``chunk_bytes`` of filler inside its
        content every ``interval`` seconds (0: as fast as the client reads) until the
        client goes away.
        """
        return cls("endless", interval=interval, chunk_bytes=chunk_bytes, latency=latency)

    @classmethod
    def huge(
        cls,
        size: int,
        *,
        chunked: bool = False,
        gzip: bool = False,
        latency: float | None = None,
    ) -> Behavior:
        """A valid chat completion of ``size`` bytes, its content padded with ``x``.

        Sent with ``Content-Length``, or chunked; ``gzip`` compresses it on the wire
        (chunked), so a few kilobytes inflate to ``size`` in the client.
        """
        return cls("huge", size=size, chunked=chunked or gzip, gzip=gzip, latency=latency)


#: ``responder(request_json)`` returns the reply text, or a Behavior for full control.
Responder = Callable[[dict[str, Any]], "str | Behavior"]


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it."""

    method: str
    path: str
    headers: Mapping[str, str]  # names lower-cased
    body: bytes
    json: Any  # the parsed body, or None
    received_at: float  # time.monotonic() when the request was complete
    behavior: str  # the behaviour kind that answered it ("ok", "status:429", ...)
    query: str = ""  # the request target's query string, without the "?"

    @property
    def api_key(self) -> str | None:
        """The bearer token sent, if any."""
        auth = self.headers.get("authorization", "")
        return auth[7:] if auth.lower().startswith("bearer ") else None

    @property
    def messages(self) -> list[dict[str, Any]]:
        if isinstance(self.json, dict) and isinstance(self.json.get("messages"), list):
            return list(self.json["messages"])
        return []


class FakeOpenAIServer:
    """A chat-completions server on 127.0.0.1 for tests and benchmarks.

    Keyword arguments:
        latency: seconds every reply waits before it is sent (default 0).
        responder: ``f(request_json) -> str | Behavior`` writing the reply content;
            default: valid JSON fields for the platform the prompt asks for.
        model: the model name listed by ``GET /v1/models`` (replies echo the request's).
        json_mode: False makes the server reject ``response_format`` with a 400, as some
            servers do.
        json_schema: False rejects ``response_format`` of type ``json_schema`` with a 400
            (as llama.cpp and vLLM did before they took schemas); json_object still works.
        json_object: False rejects type ``json_object`` with a 400.
        schema_limits: False rejects a ``json_schema`` with ``maxLength``, ``minItems`` or
            ``maxItems`` with a 400 naming the keyword, as OpenAI's strict mode does for
            keywords it does not support.
        looping: the default responder becomes :func:`looping_responder`: a list that
            repeats until ``max_tokens`` (finish_reason ``length``), unless the request's
            schema gives the list a ``maxItems``.
        trickle: every normal reply is sent one byte per this many seconds
            (:meth:`Behavior.trickle`).
        endless: every normal reply is a chunked body that never ends, a chunk per this
            many seconds (:meth:`Behavior.endless`).
        huge_reply_bytes: every normal reply is a valid completion of this many bytes
            (:meth:`Behavior.huge`).
        service_time: serve chat completions ``service_slots`` at a time (default one),
            each taking this many seconds, like a model server on a CPU: concurrent
            requests wait in a queue, and that wait counts against the client's timeout.
            Error replies (4xx/5xx) are not queued.
        prefix_cache: report ``usage.prompt_tokens_details.cached_tokens`` as the tokens
            of the prompt's longest common prefix with the previous chat request, the
            way vLLM with prefix caching and OpenAI do.
        api_key: when set, requests without ``Authorization: Bearer <api_key>`` get 401.
        record: keep every request in ``requests`` (turn off for long benchmarks).
    """

    def __init__(
        self,
        *,
        latency: float = 0.0,
        responder: Responder | None = None,
        model: str = "fake-model",
        json_mode: bool = True,
        json_schema: bool = True,
        json_object: bool = True,
        schema_limits: bool = True,
        looping: bool = False,
        trickle: float | None = None,
        endless: float | None = None,
        huge_reply_bytes: int | None = None,
        service_time: float | None = None,
        service_slots: int = 1,
        prefix_cache: bool = False,
        api_key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        record: bool = True,
    ) -> None:
        self.latency = latency
        self.responder: Responder = responder or (
            looping_responder if looping else default_responder
        )
        self.model = model
        self.json_mode = json_mode
        self.json_schema = json_schema
        self.json_object = json_object
        self.schema_limits = schema_limits
        self.trickle = trickle
        self.endless = endless
        self.huge_reply_bytes = huge_reply_bytes
        self._reply_bytes = 0
        self._usage_served = [0, 0]
        self.service_time = service_time
        self.service_slots = max(1, service_slots)
        self._service: asyncio.Semaphore | None = None
        self._in_flight = 0
        self._peak_in_flight = 0
        self._last_response_format: Any = None
        self.prefix_cache = prefix_cache
        self._last_prompt = ""
        self.api_key = api_key
        self.host = host
        self._port = port
        self.record = record
        self._script: deque[Behavior] = deque()
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._count = 0
        self._ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self.batches = FakeBatches(self)  # the Files and Batches APIs, scripted there

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> FakeOpenAIServer:
        if self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._run, name="fake-openai", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._startup_error is not None:
            raise RuntimeError(f"fake server did not start: {self._startup_error}")
        if self._server is None:
            raise RuntimeError("fake server did not start within 10 s")
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(RuntimeError):  # loop already closed
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._thread = None
        self._loop = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        """The base URL for an OpenAI client: ``http://127.0.0.1:PORT/v1``."""
        return f"http://{self.host}:{self._port}/v1"

    def generate_args(self, products: str | Path, outdir: str | Path, *extra: str) -> list[str]:
        """Arguments of a ``copygen generate`` of the social platform against this
        server, without repairs or cache (``CliRunner().invoke(app, args)``)."""
        return [
            "generate",
            str(products),
            "-o",
            str(outdir),
            "--backend",
            "openai",
            "--model",
            "fake-model",
            "--base-url",
            self.url,
            "--platforms",
            "social",
            "--max-repairs",
            "0",
            "--no-cache",
            *extra,
        ]

    # --- scripting and inspection -------------------------------------------------------

    def script(self, *behaviors: Behavior) -> None:
        """Queue behaviours: each chat request takes the next one; then normal replies."""
        with self._lock:
            self._script.extend(behaviors)

    @property
    def pending(self) -> int:
        """Scripted behaviours not used yet."""
        with self._lock:
            return len(self._script)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def request_count(self) -> int:
        """Every request received, also when ``record`` is off."""
        with self._lock:
            return self._count

    @property
    def last_response_format(self) -> Any:
        """The ``response_format`` of the last chat request (None: it had none)."""
        with self._lock:
            return self._last_response_format

    @property
    def peak_in_flight(self) -> int:
        """The most chat requests the server held at once (waiting or being answered)."""
        with self._lock:
            return self._peak_in_flight

    @property
    def in_flight(self) -> int:
        """Chat requests held now: 0 once every client that gave up has hung up."""
        with self._lock:
            return self._in_flight

    @property
    def reply_bytes_sent(self) -> int:
        """Body bytes of chat replies handed to the socket so far (headers not counted)."""
        with self._lock:
            return self._reply_bytes

    @property
    def usage_served(self) -> tuple[int, int]:
        """(prompt_tokens, completion_tokens) reported in the usage of every completion
        sent so far: what a bill from this server would count."""
        with self._lock:
            return self._usage_served[0], self._usage_served[1]

    def clear(self) -> None:
        """Forget recorded requests, the rest of the script and the counters."""
        with self._lock:
            self._requests.clear()
            self._script.clear()
            self._count = 0
            self._reply_bytes = 0
            self._usage_served = [0, 0]
            self._peak_in_flight = self._in_flight
            self._last_response_format = None

    # --- the loop -------------------------------------------------------------------------

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        self._service = asyncio.Semaphore(self.service_slots)
        try:
            self._server = loop.run_until_complete(
                asyncio.start_server(self._handle, self.host, self._port, backlog=1024)
            )
            self._port = self._server.sockets[0].getsockname()[1]
        except BaseException as exc:  # reported by start()
            self._startup_error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._handlers):
            task.cancel()
        if self._handlers:
            await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                keep_alive = await self._answer(request, reader, writer)
                if not keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            pass  # the server is stopping
        finally:
            if task is not None:
                self._handlers.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _answer(
        self, request: _Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one request; False when the connection must close."""
        path = request.target.split("?", 1)[0].rstrip("/")
        chat = request.method == "POST" and path.endswith("/chat/completions")
        if not chat:
            return await self._answer_path(request, path, reader, writer)
        with self._lock:
            self._in_flight += 1
            self._peak_in_flight = max(self._peak_in_flight, self._in_flight)
        try:
            return await self._answer_path(request, path, reader, writer)
        finally:
            with self._lock:
                self._in_flight -= 1

    async def _answer_path(
        self,
        request: _Request,
        path: str,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        body_json: Any = None
        if request.body:
            try:
                body_json = json.loads(request.body)
            except ValueError:
                body_json = None
        if self.batches.routes(path):
            status, payload = self.batches.handle(
                request.method, request.target, request.headers, request.body
            )
            kind: BehaviorKind = "ok" if status < 400 else "status"
            self._remember(request, path, body_json, Behavior(kind, status=status))
            await _write_response(writer, status, payload, {}, keep_alive=request.keep_alive)
            return request.keep_alive

        behavior: Behavior
        if request.method == "POST" and path.endswith("/chat/completions"):
            behavior = self._choose(request, body_json)
        elif request.method == "GET" and path.endswith("/models"):
            behavior = Behavior.ok(content=None, latency=0.0)
        else:
            behavior = Behavior.error(404, f"no route for {request.method} {path}", latency=0.0)
        self._remember(request, path, body_json, behavior)

        delay = self.latency if behavior.latency is None else behavior.latency
        if behavior.kind == "hang":
            # Wait for the timeout or for the client to give up, whichever comes first.
            with contextlib.suppress(asyncio.TimeoutError, ConnectionError):
                await asyncio.wait_for(reader.read(1), behavior.seconds)
            return False
        queued = (
            self.service_time is not None
            and self._service is not None
            and behavior.kind in ("ok", "empty", "malformed", *_STREAMED)
            and path.endswith("/chat/completions")
        )
        if queued and self._service is not None and self.service_time is not None:
            # One generation at a time: wait for a slot, then take the service time.
            async with self._service:
                service = self.service_time if behavior.latency is None else behavior.latency
                await asyncio.sleep(service)
        elif delay > 0:
            await asyncio.sleep(delay)
        if behavior.kind == "drop":
            writer.transport.abort()
            return False
        if behavior.kind in _STREAMED:
            return await self._send_streamed(request, body_json, behavior, reader, writer)

        extra: dict[str, str] = dict(behavior.headers)
        if behavior.kind == "status":
            status = behavior.status
            payload = _error_body(status, behavior.message or "", behavior.code)
        elif behavior.kind == "malformed":
            status, payload = 200, behavior.body
        elif request.method == "GET":
            status, payload = 200, self._models_body()
        else:
            status = 200
            payload = self._completion_body(body_json, behavior)
        if path.endswith("/chat/completions"):
            # Counted before the write: a client may read the reply and look at the
            # counter before this handler runs again.
            self._count_sent(len(payload))
        await _write_response(writer, status, payload, extra, keep_alive=request.keep_alive)
        return request.keep_alive

    def _count_sent(self, n: int) -> None:
        with self._lock:
            self._reply_bytes += n

    async def _send_streamed(
        self,
        request: _Request,
        body: Any,
        behavior: Behavior,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        """A trickle, endless or huge reply, written piece by piece; False: close after.

        A client that gave up is noticed at the next write (or by its EOF), so the
        handler ends instead of writing into a dead socket.
        """

        def gone() -> bool:
            return reader.at_eof() or writer.is_closing()

        async def send(data: bytes, body_bytes: int = 0) -> None:
            # Body bytes are counted as they are handed to the socket, before the
            # drain: the client may have read them by the time drain returns.
            writer.write(data)
            self._count_sent(body_bytes)
            await writer.drain()

        if behavior.kind == "trickle":
            payload = self._completion_body(body, behavior)
            head = _response_head(200, {}, keep_alive=request.keep_alive, length=len(payload))
            await send(head)
            for i in range(len(payload)):
                await asyncio.sleep(behavior.interval)
                if gone():
                    return False
                await send(payload[i : i + 1], 1)
            return request.keep_alive
        if behavior.kind == "endless":
            await send(_response_head(200, {}, keep_alive=False, length=None))
            start = b'{"id": "chatcmpl-endless", "object": "chat.completion", "choices": '
            start += b'[{"index": 0, "message": {"role": "assistant", "content": "'
            filler = b"x" * max(1, behavior.chunk_bytes)
            piece = start
            while not gone():
                await send(_chunk(piece), len(piece))
                await asyncio.sleep(behavior.interval)
                piece = filler
            return False
        # huge
        head, tail = self._completion_body(body, replace(behavior, content=_PAD_MARK)).split(
            _PAD_MARK.encode()
        )
        padding = max(0, behavior.size - len(head) - len(tail))
        extra = {"Content-Encoding": "gzip"} if behavior.gzip else {}
        length = None if behavior.chunked else len(head) + padding + len(tail)
        await send(_response_head(200, extra, keep_alive=False, length=length))
        encoder = zlib.compressobj(wbits=31) if behavior.gzip else None
        for plain in _padded_pieces(head, padding, tail):
            data = encoder.compress(plain) if encoder is not None else plain
            if gone():
                return False
            if data:
                await send(_chunk(data) if behavior.chunked else data, len(data))
        last = encoder.flush() if encoder is not None else b""
        if last:
            await send(_chunk(last), len(last))
        if behavior.chunked:
            await send(b"0\r\n\r\n")
        return False

    def _choose(self, request: _Request, body: Any) -> Behavior:
        """The behaviour for a chat request: protocol errors, the script, the responder."""
        if self.api_key is not None:
            auth = request.headers.get("authorization", "")
            if auth != f"Bearer {self.api_key}":
                return Behavior.error(401, "Incorrect API key provided")
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return Behavior.error(400, "request body must be JSON with a 'messages' list")
        if body.get("stream"):
            return Behavior.error(400, "the fake server does not stream")
        if "response_format" in body:
            rejection = self._format_rejection(body["response_format"])
            if rejection is not None:
                return Behavior.error(400, rejection)
        with self._lock:
            scripted = self._script.popleft() if self._script else None
        wants_text = scripted is None or (
            scripted.kind in ("ok", "trickle") and scripted.content is None
        )
        if scripted is not None and not wants_text:
            return scripted
        try:
            answer = self.responder(body)
        except Exception as exc:  # a broken responder is a test bug: answer 500, say why
            return Behavior.error(500, f"responder failed: {type(exc).__name__}: {exc}")
        if isinstance(answer, Behavior):
            if answer.kind == "trickle" and answer.content is None:
                answer = replace(answer, content=default_responder(body))
            return self._hostile(answer)
        if scripted is not None:  # a scripted ok()/trickle() without content keeps the rest
            return replace(scripted, content=answer)
        return self._hostile(Behavior.ok(answer))

    def _hostile(self, behavior: Behavior) -> Behavior:
        """A normal reply as the server's trickle/endless/huge_reply_bytes option sends it."""
        if behavior.kind != "ok":
            return behavior
        if self.trickle is not None:
            return replace(behavior, kind="trickle", interval=self.trickle)
        if self.endless is not None:
            return replace(behavior, kind="endless", interval=self.endless)
        if self.huge_reply_bytes is not None:
            return replace(behavior, kind="huge", size=self.huge_reply_bytes)
        return behavior

    def _format_rejection(self, response_format: Any) -> str | None:
        """The 400 message for a response format this server does not take, else None."""
        if not self.json_mode:
            return "response_format is not supported by this model (param: response_format)"
        kind = response_format.get("type") if isinstance(response_format, dict) else None
        if kind == "json_schema" and not self.json_schema:
            return 'response_format type must be one of "text" or "json_object", got: json_schema'
        if kind == "json_object" and not self.json_object:
            return 'response_format type must be one of "text" or "json_schema", got: json_object'
        if kind == "json_schema" and not self.schema_limits:
            spec = response_format.get("json_schema")
            text = json.dumps(spec)
            for keyword in ("maxLength", "minItems", "maxItems"):
                if f'"{keyword}"' in text:
                    name = spec.get("name") if isinstance(spec, dict) else None
                    return (
                        f"Invalid schema for response_format '{name}': "
                        f"'{keyword}' is not permitted."
                    )
        return None

    def _remember(self, request: _Request, path: str, body: Any, behavior: Behavior) -> None:
        kind = f"status:{behavior.status}" if behavior.kind == "status" else behavior.kind
        with self._lock:
            if path.endswith("/chat/completions"):
                self._last_response_format = (
                    body.get("response_format") if isinstance(body, dict) else None
                )
            self._count += 1
            if self.record:
                self._requests.append(
                    RecordedRequest(
                        method=request.method,
                        path=path,
                        headers=MappingProxyType(request.headers),
                        body=request.body,
                        json=body,
                        received_at=time.monotonic(),
                        behavior=kind,
                        query=request.target.partition("?")[2],
                    )
                )

    def _completion_body(self, request: Any, behavior: Behavior) -> bytes:
        content = behavior.content or ""
        prompt_text = "".join(
            str(m.get("content", "")) for m in request.get("messages", []) if isinstance(m, dict)
        )
        prompt_tokens = _estimate_tokens(prompt_text)
        completion_tokens = _estimate_tokens(content)
        with self._lock:
            self._usage_served[0] += prompt_tokens
            self._usage_served[1] += completion_tokens
        usage: dict[str, Any] = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        if self.prefix_cache:
            shared = _common_prefix(self._last_prompt, prompt_text)
            self._last_prompt = prompt_text
            cached = min(_estimate_tokens(shared), prompt_tokens) if shared else 0
            usage["prompt_tokens_details"] = {"cached_tokens": cached}
        body = {
            "id": f"chatcmpl-fake{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": str(request.get("model") or self.model),
            "system_fingerprint": "fp_fake",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": behavior.finish_reason,
                    "logprobs": None,
                }
            ],
            "usage": usage,
        }
        return json.dumps(body, ensure_ascii=False).encode("utf-8")

    def _models_body(self) -> bytes:
        return json.dumps(
            {
                "object": "list",
                "data": [
                    {"id": self.model, "object": "model", "created": 0, "owned_by": "copygen-fake"}
                ],
            }
        ).encode()


# --- HTTP/1.1 plumbing ------------------------------------------------------------------


@dataclass
class _Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None  # the client closed the connection between requests
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, version = lines[0].split(" ", 2)
    except ValueError:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # the (empty) trailer section
                break
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(chunks)
    else:
        length = int(headers.get("content-length", "0") or 0)
        body = await reader.readexactly(length) if length else b""
    connection = headers.get("connection", "").lower()
    if version.upper() == "HTTP/1.0":
        keep_alive = connection == "keep-alive"
    else:
        keep_alive = connection != "close"
    return _Request(method.upper(), target, headers, body, keep_alive)


async def _write_response(
    writer: asyncio.StreamWriter,
    status: int,
    payload: bytes,
    extra_headers: Mapping[str, str],
    *,
    keep_alive: bool,
) -> None:
    head = _response_head(status, extra_headers, keep_alive=keep_alive, length=len(payload))
    writer.write(head + payload)
    await writer.drain()


def _response_head(
    status: int, extra_headers: Mapping[str, str], *, keep_alive: bool, length: int | None
) -> bytes:
    """Status line and headers; ``length`` None: the body is chunked."""
    lines = [
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}",
        "Content-Type: application/json",
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked",
        f"Connection: {'keep-alive' if keep_alive else 'close'}",
        "x-request-id: req_fake",
    ]
    lines.extend(f"{name}: {value}" for name, value in extra_headers.items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _padded_pieces(head: bytes, padding: int, tail: bytes) -> Iterator[bytes]:
    """``head``, ``padding`` bytes of ``x`` and ``tail``, in pieces of at most _PIECE."""
    yield head
    block = b"x" * _PIECE
    while padding > 0:
        n = min(padding, _PIECE)
        yield block[:n]
        padding -= n
    yield tail


def _error_body(status: int, message: str, code: str | None = None) -> bytes:
    error = {
        "message": message,
        "type": _ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request"),
        "param": "response_format" if "response_format" in message else None,
        "code": code or _ERROR_TYPES.get(status),
    }
    return json.dumps({"error": error}).encode()


def _common_prefix(a: str, b: str) -> str:
    """The characters two prompts share from their start."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return a[:n]


def _format_seconds(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


def _estimate_tokens(text: str) -> int:
    """A stable token estimate: one per CJK character, one per four other characters."""
    cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
    return cjk + (len(text) - cjk + 3) // 4


# --- the default responder ----------------------------------------------------------------

_SAMPLE_FIELDS: dict[tuple[str, str], dict[str, Any]] = {
    ("livestream", "zh"): {
        "hook": "欢迎来到直播间，今天和大家聊聊这款新品。",
        "segments": [
            "先说说它的设计，拿在手里很轻巧，日常用起来很顺手。",
            "再讲讲使用感受，我自己用了一段时间，整体体验很舒服。",
            "价格以直播间页面为准，喜欢的朋友可以先加入购物车。",
        ],
        "call_to_action": "喜欢的朋友点击下方链接，在本直播间下单。",
    },
    ("livestream", "en"): {
        "hook": "Welcome to the live room, today we look at something new.",
        "segments": [
            "First, the design: it is light in the hand and easy to use every day.",
            "Next, how it feels in use: I have used it for a while and it is comfortable.",
            "The price is shown on the live room page; add it to your cart if you like it.",
        ],
        "call_to_action": "Tap the link below to order in this live room.",
    },
    ("social", "zh"): {
        "title": "这款新品的真实体验",
        "body": "前段时间入手了这款新品，用了一段时间，说说真实感受。\n\n"
        "设计简洁，日常使用很方便，细节做得用心。\n\n适合喜欢简单实用的朋友，按需选择就好。",
        "hashtags": ["好物分享", "日常生活", "真实体验"],
    },
    ("social", "en"): {
        "title": "My honest take",
        "body": "I picked this up a few weeks ago and have used it daily.\n\n"
        "The design is simple and the details are well made.\n\n"
        "A good fit if you like practical things; choose what suits you.",
        "hashtags": ["dailyfinds", "honestreview", "everydayuse"],
    },
    ("detail", "zh"): {
        "headline": "简洁实用的日常好物",
        "bullets": ["设计简洁，日常使用方便", "做工细致，细节用心", "适合多种日常场景"],
        "description": "这款商品设计简洁，做工细致，适合日常使用。具体规格以商品参数为准。",
    },
    ("detail", "en"): {
        "headline": "Simple and practical for every day",
        "bullets": [
            "Simple design, easy to use every day",
            "Carefully made, with attention to detail",
            "Fits many everyday situations",
        ],
        "description": "A simply designed, carefully made product for daily use. "
        "See the product parameters for the exact specifications.",
    },
}

_PLATFORM_MARKERS: dict[str, tuple[str, ...]] = {
    "livestream": ("call_to_action", "segments", "hook"),
    "social": ("hashtags", "title", "body"),
    "detail": ("bullets", "headline", "description"),
}
_CJK = re.compile(r"[\u3400-\u9fff]")
_EN_MARKERS = re.compile(r"\b(in English|English copy|lang(uage)?\s*[:=]\s*\"?en\b)", re.IGNORECASE)
_ZH_MARKERS = re.compile(r"(简体中文|用中文|中文撰写|lang(uage)?\s*[:=]\s*\"?zh)", re.IGNORECASE)


def sample_fields(platform: str, lang: str = "zh") -> dict[str, Any]:
    """Clean, compliant fields for ``platform`` in ``lang`` ("zh" or "en")."""
    key = (platform, "en" if lang.startswith("en") else "zh")
    return json.loads(json.dumps(_SAMPLE_FIELDS[key], ensure_ascii=False))


def detect_platform(messages: Sequence[Mapping[str, Any]]) -> str | None:
    """The platform whose field names the prompt mentions most (last user message first)."""
    users = [str(m.get("content", "")) for m in messages if m.get("role") == "user"]
    texts = [users[-1]] if users else []
    texts.append("\n".join(str(m.get("content", "")) for m in messages))
    for text in texts:
        scores = {
            name: sum(1 for marker in markers if marker in text)
            for name, markers in _PLATFORM_MARKERS.items()
        }
        best = max(scores.values())
        if best:
            return max(scores, key=lambda name: scores[name])
    return None


def detect_lang(messages: Sequence[Mapping[str, Any]]) -> str:
    """``zh`` or ``en``: explicit markers first, else whether the prompt is mostly Chinese."""
    text = "\n".join(str(m.get("content", "")) for m in messages)
    if _EN_MARKERS.search(text):
        return "en"
    if _ZH_MARKERS.search(text):
        return "zh"
    return "zh" if len(_CJK.findall(text)) >= 20 else "en"


def default_responder(request: dict[str, Any]) -> str:
    """Valid JSON fields for the platform and language the prompt asks for.

    When no platform can be told from the prompt, the reply carries the fields of every
    platform, so that any platform's parser finds what it needs.
    """
    messages = [m for m in request.get("messages", []) if isinstance(m, dict)]
    lang = detect_lang(messages)
    platform = detect_platform(messages)
    if platform is None:
        fields: dict[str, Any] = {}
        for name in _PLATFORM_MARKERS:
            fields.update(sample_fields(name, lang))
    else:
        fields = sample_fields(platform, lang)
    return json.dumps(fields, ensure_ascii=False)


#: A looping reply without max_tokens stops after this many tokens.
LOOP_TOKENS = 4096


def _request_schema(request: Mapping[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
    """The name and schema of a ``json_schema`` response format, else (None, None)."""
    response_format = request.get("response_format")
    if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
        return None, None
    spec = response_format.get("json_schema")
    if not isinstance(spec, dict):
        return None, None
    schema = spec.get("schema")
    return spec.get("name"), schema if isinstance(schema, dict) else None


def looping_responder(request: dict[str, Any]) -> str | Behavior:
    """A small model stuck in a list, as Qwen2.5-0.5B gets in JSON mode.

    The platform's fields, then its list (hashtags, segments or bullets) repeating its
    last item until ``max_tokens`` (or ``max_completion_tokens``, else ``LOOP_TOKENS``)
    is spent: unfinished JSON with finish_reason ``length``. When the request's JSON
    schema gives the list a ``maxItems`` (as grammar-constrained decoding enforces),
    the list stops there and the reply is complete JSON.
    """
    messages = [m for m in request.get("messages", []) if isinstance(m, dict)]
    name, schema = _request_schema(request)
    platform = None
    if isinstance(name, str) and name.startswith("copy_") and name[5:] in _PLATFORM_MARKERS:
        platform = name[5:]
    platform = platform or detect_platform(messages) or "social"
    fields = sample_fields(platform, detect_lang(messages))
    list_name = next(key for key, value in fields.items() if isinstance(value, list))
    items = list(fields.pop(list_name))
    properties = (schema or {}).get("properties")
    limit = properties.get(list_name, {}).get("maxItems") if isinstance(properties, dict) else None
    if isinstance(limit, int) and limit >= 0:
        fields[list_name] = (items + [items[-1]] * limit)[:limit]
        return json.dumps(fields, ensure_ascii=False)
    budget = request.get("max_completion_tokens") or request.get("max_tokens") or LOOP_TOKENS
    head = json.dumps(fields, ensure_ascii=False)[:-1]
    text = f'{head}, "{list_name}": [' + ", ".join(json.dumps(i, ensure_ascii=False) for i in items)
    repeat = ", " + json.dumps(items[-1], ensure_ascii=False)
    while _estimate_tokens(text) < int(budget):
        text += repeat
    while _estimate_tokens(text) > int(budget):
        text = text[:-1]
    return Behavior.ok(text, finish_reason="length")


# --- command line ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m copygen.testing.fake_openai",
        description="A local OpenAI-compatible chat-completions server for tests and benchmarks.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per reply")
    parser.add_argument("--model", default="fake-model")
    parser.add_argument(
        "--no-json-mode", action="store_true", help="reject response_format with a 400"
    )
    parser.add_argument(
        "--no-json-schema", action="store_true", help="reject json_schema response formats"
    )
    parser.add_argument(
        "--no-json-object", action="store_true", help="reject json_object response formats"
    )
    parser.add_argument(
        "--no-schema-limits",
        action="store_true",
        help="reject schemas with maxLength/minItems/maxItems",
    )
    parser.add_argument(
        "--looping", action="store_true", help="reply with a list repeating until max_tokens"
    )
    parser.add_argument(
        "--service-time",
        type=float,
        default=None,
        help="serve one request at a time, this many seconds each (a CPU server)",
    )
    parser.add_argument(
        "--trickle",
        type=float,
        default=None,
        metavar="SECONDS",
        help="send every reply one byte per this many seconds",
    )
    parser.add_argument(
        "--endless",
        type=float,
        default=None,
        metavar="SECONDS",
        help="send every reply as a chunked body that never ends, a chunk per this many seconds",
    )
    parser.add_argument(
        "--huge-reply-bytes",
        type=int,
        default=None,
        metavar="N",
        help="send every reply as a valid completion of N bytes",
    )
    parser.add_argument("--api-key", default=None, help="require this bearer token")
    parser.add_argument("--record", action="store_true", help="keep requests in memory")
    args = parser.parse_args(argv)

    server = FakeOpenAIServer(
        latency=args.latency,
        model=args.model,
        json_mode=not args.no_json_mode,
        json_schema=not args.no_json_schema,
        json_object=not args.no_json_object,
        schema_limits=not args.no_schema_limits,
        looping=args.looping,
        trickle=args.trickle,
        endless=args.endless,
        huge_reply_bytes=args.huge_reply_bytes,
        service_time=args.service_time,
        api_key=args.api_key,
        host=args.host,
        port=args.port,
        record=args.record,
    )
    server.start()
    print(server.url, flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    server.stop()
    print(f"served {server.request_count} requests", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
