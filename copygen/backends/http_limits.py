"""A cap on how much of a reply copygen reads, enforced as the bytes arrive.

The openai client reads a whole reply into memory before it parses it, and a server
may send anything: ten megabytes, a chunked body that never ends, a few kilobytes of
gzip that inflate to a gigabyte. ``capped_http_client`` builds the client's httpx
client with a hook that counts every reply's bytes as they arrive — after
decompression, as the client will hold them — and stops with ``ReplyTooLarge`` one
network read past the cap (at once when ``Content-Length`` says so); the connection
is closed then, never reused half-read.

Only ``gzip`` and ``deflate`` are asked for (and inflated here, under the cap); a reply
in another content encoding is refused, since it could not be bounded.

The openai SDK is built on ``httpx`` or, in newer releases, ``httpx2``: the module is
the one the installed SDK uses, looked up at run time. The hook works the same on
either transport under that client, httpcore or aiohttp (``transport.py``).
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from copygen.backends.transport import (
    aiohttp_client,
    choose_transport,
    httpx_module,
    ssl_context,
)

__all__ = [
    "ACCEPT_ENCODING",
    "ReplyRejected",
    "ReplyTooLarge",
    "capped_http_client",
    "format_size",
]

#: The content encodings copygen can inflate under the cap.
ACCEPT_ENCODING = "gzip, deflate"


class ReplyRejected(Exception):
    """A reply copygen stopped reading; ``reason`` is one line for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ReplyTooLarge(ReplyRejected):
    """The reply went past ``cap`` bytes; ``received`` is how far reading got."""

    def __init__(self, cap: int, received: int) -> None:
        super().__init__(f"reply larger than {format_size(cap)}")
        self.cap = cap
        self.received = received


def format_size(n: int) -> str:
    """``1 MiB``, ``512 KiB``, ``1.5 MiB``, ``900 bytes``: a cap as people read it."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value.is_integer() else f"{value:.1f} {unit}"
    return f"{n} bytes"


class _Meter:
    """Counts one reply's bytes, inflating gzip/deflate itself so a bomb is cut too."""

    def __init__(self, cap: int, encoding: str | None) -> None:
        self.cap = cap
        self.received = 0  # bytes as the client will hold them (inflated)
        self.raw = 0  # bytes off the wire
        self._encoding = encoding
        self._inflater: Any = None
        if encoding == "gzip":
            self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._inflater = zlib.decompressobj()
        self._first = True

    def feed(self, data: bytes) -> bytes:
        self.raw += len(data)
        if self.raw > self.cap:
            raise ReplyTooLarge(self.cap, self.raw)
        out = self._inflate(data) if self._inflater is not None else data
        self._grow(len(out))
        return out

    def finish(self) -> bytes:
        if self._inflater is None:
            return b""
        out = bytes(self._inflater.flush())
        self._grow(len(out))
        return out

    def _grow(self, n: int) -> None:
        self.received += n
        if self.received > self.cap:
            raise ReplyTooLarge(self.cap, self.received)

    def _inflate(self, data: bytes) -> bytes:
        first, self._first = self._first, False
        try:
            try:
                return self._bounded(data)
            except zlib.error:
                if self._encoding != "deflate" or not first:
                    raise
                # "deflate" comes zlib-wrapped or raw in the wild (httpx tries both too).
                self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                return self._bounded(data)
        except zlib.error as exc:
            raise ReplyRejected(f"reply body is not valid {self._encoding}: {exc}") from None

    def _bounded(self, data: bytes) -> bytes:
        # max_length keeps one network read of a bomb from inflating past the cap.
        pieces: list[bytes] = []
        total = 0
        while data:
            room = self.cap - self.received - total + 1
            piece = self._inflater.decompress(data, room)
            pieces.append(piece)
            total += len(piece)
            if self.received + total > self.cap:
                raise ReplyTooLarge(self.cap, self.received + total)
            data = self._inflater.unconsumed_tail
        return b"".join(pieces)


def _encoding_of(headers: Any) -> str | None:
    """The reply's content encoding copygen inflates (None: identity); refuses others."""
    values = [
        value.strip().lower()
        for value in headers.get_list("content-encoding", split_commas=True)
        if value.strip() and value.strip().lower() != "identity"
    ]
    if not values:
        return None
    if len(values) == 1 and values[0] in ("gzip", "deflate"):
        return values[0]
    raise ReplyRejected(f"reply in a content encoding copygen did not ask for: {', '.join(values)}")


def _content_length(headers: Any) -> int | None:
    raw = str(headers.get("content-length") or "").strip()
    return int(raw) if raw.isdigit() else None


@functools.cache
def _stream_class() -> type[Any]:
    """A byte stream that meters another, subclassing the SDK's httpx ``AsyncByteStream``
    (httpx reads only instances of it)."""
    httpx = httpx_module()

    class CappedStream(httpx.AsyncByteStream):  # type: ignore[name-defined]
        def __init__(self, inner: Any, meter: _Meter) -> None:
            self._inner = inner
            self._meter = meter

        async def __aiter__(self) -> AsyncIterator[bytes]:
            async for data in self._inner:
                out = self._meter.feed(data)
                if out:
                    yield out
            tail = self._meter.finish()
            if tail:
                yield tail

        async def aclose(self) -> None:
            await self._inner.aclose()

    return CappedStream


def _cap_hook(cap: int) -> Callable[[Any], Awaitable[None]]:
    """An httpx response hook: it runs once the headers are in and before the body is
    read, so it can refuse the reply outright or meter its body. (A hook rather than a
    transport: a client given its own transport ignores the proxy environment.)"""
    stream_class = _stream_class()

    async def hook(response: Any) -> None:
        # An exception here makes httpx close the response, and with it the connection.
        encoding = _encoding_of(response.headers)
        length = _content_length(response.headers)
        if encoding is None and length is not None and length > cap:
            raise ReplyTooLarge(cap, 0)  # said up front: nothing is read
        if encoding is not None:
            # Inflated under the cap by the meter; httpx must not inflate it again.
            del response.headers["content-encoding"]
        response.stream = stream_class(response.stream, _Meter(cap, encoding))

    return hook


def capped_http_client(
    *, max_reply_bytes: int, timeout: float, transport: str | None = None
) -> Any:
    """An httpx ``AsyncClient`` for ``AsyncOpenAI(http_client=...)`` that reads at most
    ``max_reply_bytes`` of any reply; otherwise the SDK's own defaults.

    ``transport``: ``aiohttp`` (the SDK's ``DefaultAioHttpClient``) or ``httpx`` (its
    ``DefaultAsyncHttpxClient``); None chooses (``transport.choose_transport``). The
    cap is the same response hook on either.
    """
    kwargs: dict[str, Any] = {
        "timeout": timeout,
        "verify": ssl_context(),
        "headers": {"Accept-Encoding": ACCEPT_ENCODING},
        "event_hooks": {"response": [_cap_hook(max_reply_bytes)]},
    }
    if (transport or choose_transport()) == "aiohttp":
        return aiohttp_client(**kwargs)
    from openai import DefaultAsyncHttpxClient

    return DefaultAsyncHttpxClient(**kwargs)
