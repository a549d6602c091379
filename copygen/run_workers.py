"""Rendering and checking off the event loop: a small pool of forked worker processes.

Against a remote model the event loop of a generate run is busy with the HTTP
client itself (the ``openai`` client costs a few ms of CPU per request), and every
millisecond of prompt rendering (Jinja2) and compliance checking done on the same
thread delays every request in flight. On a machine with more than one CPU these
two CPU-bound steps run in worker processes instead; the loop only sends product
data there and receives the prompt or the check result.

Workers are forked from the ready process (the PromptBuilder and Checker, their
compiled templates and rules, come along), all at once and before the run starts
its threads. They ignore SIGINT (Ctrl-C stops the run through the parent) and
exit when the parent goes away. Where ``fork`` is not available, or with one CPU,
everything runs inline and behaves the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import multiprocessing
import os
import signal
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from copygen.errors import CopygenError
from copygen.product import Product

if TYPE_CHECKING:
    from copygen.compliance.engine import Checker
    from copygen.compliance.findings import CheckResult
    from copygen.prompts import PromptBuilder, RenderedPrompt

__all__ = ["Offload", "default_workers", "product_from_wire", "product_to_wire"]

# Set in the parent right before the fork; the children inherit it.
_STATE: dict[str, Any] = {}


def default_workers() -> int:
    """One worker per spare CPU (the parent keeps one), at most 4; 0 on one CPU."""
    cpus = os.cpu_count() or 1
    with contextlib.suppress(AttributeError, OSError):
        cpus = len(os.sched_getaffinity(0))
    return max(0, min(4, cpus - 1))


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
    # blocked on its task queue would otherwise wait forever.
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGTERM))
    except (OSError, AttributeError):
        pass


def _ping() -> int:
    return os.getpid()


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


def _unwrap(result: tuple[str, Any]) -> Any:
    kind, value = result
    if kind == "ok":
        return value
    cls, message, where = value
    raise cls(message, **where)


# --- in the parent --------------------------------------------------------------------------


class Offload:
    """``render``/``render_repair``/``check`` inline, or in forked workers."""

    def __init__(self, *, builder: PromptBuilder, checker: Checker, workers: int) -> None:
        self.builder = builder
        self.checker = checker
        self.pool: ProcessPoolExecutor | None = None
        self._workers = 0
        if workers <= 0 or "fork" not in multiprocessing.get_all_start_methods():
            return
        # Load lazily initialised state (dictionaries, compiled rules) once, here,
        # so that every worker inherits it instead of building its own.
        checker.check({"text": "预热 warm-up"}, lang="zh")
        _STATE.update(builder=builder, checker=checker)
        try:
            self.pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_init_worker,
            )
            # With fork every worker starts at the first submit: do it now, while
            # this process has no other threads whose locks a child could inherit.
            self.pool.submit(_ping).result(timeout=60)
            self._workers = workers
        except Exception:
            self.close()
        finally:
            _STATE.clear()

    @property
    def workers(self) -> int:
        return 0 if self.pool is None else self._workers

    async def _call(self, fn: Any, *args: Any) -> tuple[bool, Any]:
        """(True, result) from a worker, or (False, None) when the pool is gone."""
        pool = self.pool
        if pool is None:
            return False, None
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(pool, fn, *args)
        except BrokenProcessPool:
            # A worker died (killed, out of memory): go on in this process.
            self.pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            return False, None
        return True, _unwrap(result)

    async def render(
        self, product: Product, *, platform: str, lang: str, variant: int
    ) -> RenderedPrompt:
        done, result = await self._call(_render, product_to_wire(product), platform, lang, variant)
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
        done, result = await self._call(
            _render_repair,
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
        done, result = await self._call(
            _check, dict(fields), lang, platform, product_to_wire(product)
        )
        if done:
            return result
        return self.checker.check(
            dict(fields), lang=lang, category=product.category, platform=platform, product=product
        )

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
