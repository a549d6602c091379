"""Rendering and checking off the event loop: a small pool of forked worker processes.

Against a remote model the event loop of a generate run is busy with the HTTP
client itself (about 0.7 ms of CPU per request on aiohttp), and every millisecond
of prompt rendering (Jinja2) and compliance checking done on the same thread delays
every request in flight. With ``generate(..., workers=N)`` these two CPU-bound steps
run in N worker processes instead; the loop only sends product data there and
receives the prompt or the check result. A worker with ``MAX_QUEUED`` calls waiting
is passed over: the call runs inline rather than queue behind a burst. It pays off
where spare cores exist; on the 2-CPU benchmark machine, which also runs the model
server, one worker gained under 1% (within the noise of bench/pipeline_throughput.py
--workers 1), since the loop no longer holds a request slot while it checks, so it
is off by default.

Workers are forked from the ready process (the PromptBuilder and Checker, their
compiled templates and rules, come along), all at once and before the run starts
its threads. They ignore SIGINT (Ctrl-C stops the run through the parent) and
exit when the parent goes away. With ``workers=0`` or where ``fork`` is not
available, everything runs inline and behaves the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import os
import pickle
import signal
import socket
import struct
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from copygen.errors import CopygenError
from copygen.inputs.product import Product

if TYPE_CHECKING:
    from copygen.compliance.engine import Checker
    from copygen.compliance.findings import CheckResult
    from copygen.writing.prompts import PromptBuilder, RenderedPrompt

__all__ = ["Offload", "product_from_wire", "product_to_wire"]

# Set in the parent right before the fork; the children inherit it.
_STATE: dict[str, Any] = {}


def product_to_wire(product: Product) -> dict[str, Any]:
    """A Product as picklable data (its mappings are read-only proxies, which are not)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(product):
        value = getattr(product, f.name)
        out[f.name] = dict(value) if isinstance(value, Mapping) else value
    return out


def product_from_wire(data: Mapping[str, Any]) -> Product:
    values: dict[str, Any] = {
        k: MappingProxyType(dict(v)) if isinstance(v, dict) else v for k, v in data.items()
    }
    return Product(**values)


# --- in the worker ------------------------------------------------------------------------


def _init_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Linux: be told (SIGTERM) when the parent dies, even by SIGKILL; a worker
    # blocked reading its socket would otherwise wait forever.
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGTERM))
    except (OSError, AttributeError):
        pass


def _guard(fn: Any, *args: Any, **kwargs: Any) -> tuple[str, Any]:
    """Run ``fn``; a CopygenError travels back with its file/row/column intact."""
    try:
        return "ok", fn(*args, **kwargs)
    except CopygenError as exc:
        return "error", (
            type(exc),
            exc.message,
            {"file": exc.file, "row": exc.row, "column": exc.column, "hint": exc.hint},
        )


def _render(wire: Mapping[str, Any], platform: str, lang: str, variant: int) -> tuple[str, Any]:
    builder: PromptBuilder = _STATE["builder"]
    return _guard(
        builder.render, product_from_wire(wire), platform=platform, lang=lang, variant=variant
    )


def _render_repair(
    wire: Mapping[str, Any],
    platform: str,
    lang: str,
    variant: int,
    previous_fields: Mapping[str, Any],
    findings: Sequence[Mapping[str, Any]],
) -> tuple[str, Any]:
    builder: PromptBuilder = _STATE["builder"]
    return _guard(
        builder.render_repair,
        product_from_wire(wire),
        platform=platform,
        lang=lang,
        variant=variant,
        previous_fields=previous_fields,
        findings=findings,
    )


def _check(
    fields: Mapping[str, Any], lang: str, platform: str, wire: Mapping[str, Any]
) -> tuple[str, Any]:
    checker: Checker = _STATE["checker"]
    product = product_from_wire(wire)
    return _guard(
        checker.check,
        dict(fields),
        lang=lang,
        category=product.category,
        platform=platform,
        product=product,
    )


_FUNCTIONS: dict[str, Callable[..., tuple[str, Any]]] = {
    "render": _render,
    "render_repair": _render_repair,
    "check": _check,
}
_HEADER = struct.Struct("!QI")  # request id, payload length
#: Calls a worker may have waiting before the next one runs inline instead: a burst
#: (every reply of a wave arriving at once) would otherwise queue behind one process.
MAX_QUEUED = 4


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    chunks: list[bytes] = []
    while size:
        chunk = sock.recv(min(size, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _worker_main(sock: socket.socket) -> None:
    """Serve requests from the parent until it closes the socket (or dies)."""
    _init_worker()
    while True:
        try:
            request_id, size = _HEADER.unpack(_recv_exactly(sock, _HEADER.size))
            name, args = pickle.loads(_recv_exactly(sock, size))
        except (EOFError, OSError):
            return
        try:
            result = _FUNCTIONS[name](*args)
        except Exception as exc:  # a bug, not a user error: report it, keep serving
            result = ("crash", f"{type(exc).__name__}: {exc}")
        data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            sock.sendall(_HEADER.pack(request_id, len(data)) + data)
        except OSError:
            return


def _unwrap(result: tuple[str, Any]) -> Any:
    kind, value = result
    if kind == "ok":
        return value
    if kind == "crash":
        raise RuntimeError(f"render/check worker failed: {value}")
    cls, message, where = value
    raise cls(message, **where)


# --- in the parent --------------------------------------------------------------------------


class _WorkerGone(Exception):
    pass


@dataclasses.dataclass
class _Worker:
    pid: int
    sock: socket.socket
    pending: dict[int, asyncio.Future[Any]] = dataclasses.field(default_factory=dict)
    writer: asyncio.StreamWriter | None = None
    reader_task: asyncio.Task[None] | None = None
    alive: bool = True


class Offload:
    """``render``/``render_repair``/``check`` inline, or in forked worker processes.

    Requests and replies are length-prefixed pickles over one socket pair per
    worker, read and written by the event loop itself: no helper threads, so the
    loop does not hand the GIL to anyone while it talks to the workers.
    """

    def __init__(
        self,
        *,
        builder: PromptBuilder,
        checker: Checker,
        workers: int,
        max_queued: int = MAX_QUEUED,
    ) -> None:
        self.builder = builder
        self.checker = checker
        self._workers: list[_Worker] = []
        self._ids = itertools.count(1)
        self._connecting: asyncio.Future[None] | None = None
        #: Requests a worker may have queued; past that a call runs here instead.
        self.max_queued = max_queued
        if workers <= 0 or not hasattr(os, "fork"):
            return
        # Load lazily initialised state (dictionaries, compiled rules) once, here,
        # so that every worker inherits it instead of building its own.
        checker.check({"text": "预热 warm-up"}, lang="zh")
        _STATE.update(builder=builder, checker=checker)
        try:
            for _ in range(workers):
                parent, child = socket.socketpair()
                pid = os.fork()
                if pid == 0:  # the worker
                    code = 0
                    try:
                        parent.close()
                        _worker_main(child)
                    except BaseException:
                        code = 1
                    finally:
                        os._exit(code)
                child.close()
                self._workers.append(_Worker(pid=pid, sock=parent))
        except OSError:
            self.close()
        finally:
            _STATE.clear()

    @property
    def workers(self) -> int:
        return sum(1 for w in self._workers if w.alive)

    async def _connect_all(self) -> None:
        for worker in self._workers:
            reader, writer = await asyncio.open_connection(sock=worker.sock)
            worker.writer = writer
            worker.reader_task = asyncio.create_task(self._read_replies(worker, reader))

    async def _read_replies(self, worker: _Worker, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                request_id, size = _HEADER.unpack(await reader.readexactly(_HEADER.size))
                result = pickle.loads(await reader.readexactly(size))
                future = worker.pending.pop(request_id, None)
                if future is not None and not future.done():
                    future.set_result(result)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        worker.alive = False  # died (killed, out of memory): its requests go inline
        for future in worker.pending.values():
            if not future.done():
                future.set_exception(_WorkerGone())
        worker.pending.clear()

    async def _call(self, name: str, *args: Any) -> tuple[bool, Any]:
        """(True, result) from a worker, or (False, None) when none is left."""
        if not self._workers:
            return False, None
        if self._connecting is None:
            # Once, in the running loop (the streams belong to it).
            self._connecting = asyncio.ensure_future(self._connect_all())
        await asyncio.shield(self._connecting)
        alive = [w for w in self._workers if w.alive and w.writer is not None]
        if not alive:
            return False, None
        worker = min(alive, key=lambda w: len(w.pending))
        if len(worker.pending) >= self.max_queued:
            return False, None  # every worker is busy: quicker done here than queued there
        assert worker.writer is not None
        request_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        worker.pending[request_id] = future
        data = pickle.dumps((name, args), protocol=pickle.HIGHEST_PROTOCOL)
        worker.writer.write(_HEADER.pack(request_id, len(data)) + data)
        try:
            result = await future
        except _WorkerGone:
            return False, None
        return True, _unwrap(result)

    async def render(
        self, product: Product, *, platform: str, lang: str, variant: int
    ) -> RenderedPrompt:
        if self._workers:
            done, result = await self._call(
                "render", product_to_wire(product), platform, lang, variant
            )
            if done:
                return result
        return self.builder.render(product, platform=platform, lang=lang, variant=variant)

    async def render_repair(
        self,
        product: Product,
        *,
        platform: str,
        lang: str,
        variant: int,
        previous_fields: Mapping[str, Any],
        findings: Sequence[Mapping[str, Any]],
    ) -> RenderedPrompt:
        if self._workers:
            done, result = await self._call(
                "render_repair",
                product_to_wire(product),
                platform,
                lang,
                variant,
                dict(previous_fields),
                [dict(f) for f in findings],
            )
            if done:
                return result
        return self.builder.render_repair(
            product,
            platform=platform,
            lang=lang,
            variant=variant,
            previous_fields=previous_fields,
            findings=findings,
        )

    async def check(
        self, fields: Mapping[str, Any], *, lang: str, platform: str, product: Product
    ) -> CheckResult:
        if self._workers:
            done, result = await self._call(
                "check", dict(fields), lang, platform, product_to_wire(product)
            )
            if done:
                return result
        return self.checker.check(
            dict(fields), lang=lang, category=product.category, platform=platform, product=product
        )

    async def aclose(self) -> None:
        """Close the connections (inside the loop that used them)."""
        for worker in self._workers:
            if worker.writer is not None:
                worker.writer.close()
                with contextlib.suppress(OSError, ConnectionError):
                    await worker.writer.wait_closed()
                worker.writer = None
            if worker.reader_task is not None:
                with contextlib.suppress(BaseException):
                    await worker.reader_task
                worker.reader_task = None

    def close(self) -> None:
        """End the workers: EOF on their socket, then reap them."""
        for worker in self._workers:
            with contextlib.suppress(OSError):
                worker.sock.close()
        for worker in self._workers:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(worker.pid, 0)
        self._workers = []
