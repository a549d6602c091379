"""``copygen generate``: product rows -> checked, logged, publishable copy.

For every row x platform x variant (one *item*, id ``{sku}:{platform}:{lang}:v{n}``):

    render -> mask personal data (remote backends) -> complete (response cache first)
    -> parse -> check (the row is the product facts) -> repair while flagged -> record

Items run concurrently on one asyncio loop, bounded by a semaphore; rows stream
from the input file, and the loop never holds more than ``concurrency`` items in
flight, so memory does not grow with the input. Retries with backoff, rate limits
and timeouts belong to the backend; this module retries only a reply it cannot
parse. Each item's audit events are written before its result line, and the result
line is flushed as the item completes, so a killed run resumes without repeating
an item and without duplicating a record.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import re
import signal
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copygen import __version__
from copygen.backends.base import Backend, Completion, RequestContext, Usage
from copygen.config import Settings
from copygen.errors import BackendError
from copygen.generate.manifest import (
    file_sha256,
    fingerprint_for,
    prepare_outdir,
    templates_hash,
)
from copygen.generate.progress import NullProgress, ProgressReporter
from copygen.generate.store import ResultStore
from copygen.generate.summary import RunSummary, SummaryBuilder, cost_of
from copygen.inputs.product import Product

if TYPE_CHECKING:
    from copygen.audit import AuditLog
    from copygen.backends.cache import ResponseCache
    from copygen.compliance.engine import Checker
    from copygen.compliance.findings import CheckResult, Finding
    from copygen.generate.events import AuditWriter
    from copygen.generate.workers import Offload
    from copygen.writing.prompts import PromptBuilder, RenderedPrompt

__all__ = ["AUDIT_FILE", "WorkItem", "generate", "item_id_for", "plan_items"]

AUDIT_FILE = "audit.jsonl"
#: A reply that cannot be parsed is asked for again this many times, bypassing the cache.
PARSE_RETRIES = 2
#: Placeholders that mask_pii writes look like ``[手机号]`` / ``[PHONE]``.
_PLACEHOLDER = re.compile(r"\[[^\[\]\n]{1,24}\]")
PII_PLACEHOLDER_RULE = "copygen.pii.placeholder"

WarningHandler = Callable[[str], None]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def item_id_for(sku: str, platform: str, lang: str, variant: int) -> str:
    return f"{sku}:{platform}:{lang}:v{variant}"


@dataclass(frozen=True)
class WorkItem:
    id: str
    product: Product  # the row as read: the facts the copy is checked against
    platform: str
    lang: str
    variant: int
    #: The row with personal data masked, rendered into prompts for remote backends
    #: (None: prompts use ``product``), and the placeholders the masking wrote.
    prompt_product: Product | None = None
    placeholders: frozenset[str] = frozenset()


def plan_items(
    product: Product,
    settings: Settings,
    *,
    on_warning: WarningHandler | None = None,
    mask: bool = False,
) -> list[WorkItem]:
    """The items of one row: its platforms (narrowed by the row's column) x variants.

    ``mask``: mask the row's personal data once, for every item's prompts.
    """
    from copygen.writing.prompts import resolve_lang

    platforms = list(settings.platforms)
    if product.platforms:
        wanted = set(product.platforms)
        platforms = [p for p in platforms if p in wanted]
        if not platforms and on_warning is not None:
            where = f"row {product.row}: " if product.row is not None else ""
            on_warning(
                f"{where}sku {product.sku}: platforms column ({', '.join(product.platforms)}) "
                f"names none of the selected platforms ({', '.join(settings.platforms)}); "
                "row skipped"
            )
    lang = resolve_lang(product, settings)
    prompt_product: Product | None = None
    placeholders: frozenset[str] = frozenset()
    if mask and platforms:
        prompt_product, placeholders = mask_product(product)
    return [
        WorkItem(
            item_id_for(product.sku, platform, lang, variant),
            product,
            platform,
            lang,
            variant,
            prompt_product,
            placeholders,
        )
        for platform in platforms
        for variant in range(1, settings.variants + 1)
    ]


def _iter_work(
    input_path: Path,
    settings: Settings,
    *,
    on_warning: WarningHandler | None,
    mask: bool = False,
) -> Iterator[WorkItem]:
    """Every item of the input, in file order, each id once (later duplicates skipped)."""
    from copygen.inputs.product_files import read_products

    seen: set[str] = set()
    for product in read_products(input_path, on_warning=on_warning):
        for work in plan_items(product, settings, on_warning=on_warning, mask=mask):
            if work.id in seen:
                if on_warning is not None and work.variant == 1:
                    on_warning(
                        f"row {product.row}: item {work.id} already planned from an earlier "
                        "row with the same sku; skipped"
                    )
                continue
            seen.add(work.id)
            yield work


# --- personal data --------------------------------------------------------------------------


def _introduced(before: str, after: str) -> set[str]:
    return set(_PLACEHOLDER.findall(after)) - set(_PLACEHOLDER.findall(before))


def mask_product(product: Product) -> tuple[Product, frozenset[str]]:
    """The row with personal data in its texts masked, and the placeholders written.

    Prompts are rendered from this copy, so no personal data of the row reaches a
    remote model; masking the row once (short texts, shared by all its items) costs
    far less than scanning every rendered prompt. The checker still gets the real
    row as its facts.
    """
    from dataclasses import replace
    from types import MappingProxyType

    from copygen.compliance.pii import mask_pii

    introduced: set[str] = set()
    changed = False

    def mask(text: str) -> str:
        nonlocal changed
        if not text:
            return text
        new = mask_pii(text)
        if new != text:
            changed = True
            introduced.update(_introduced(text, new))
        return new

    masked = replace(
        product,
        title=mask(product.title),
        brand=mask(product.brand),
        selling_points=tuple(mask(p) for p in product.selling_points),
        attributes=MappingProxyType({mask(k): mask(v) for k, v in product.attributes.items()}),
        audience=mask(product.audience),
        extra=MappingProxyType({k: mask(v) for k, v in product.extra.items()}),
    )
    if not changed:
        return product, frozenset()
    return masked, frozenset(introduced)


def mask_messages(
    messages: Sequence[Mapping[str, str]],
) -> tuple[list[dict[str, str]], frozenset[str]]:
    """The messages with personal data masked, and the placeholders masking introduced."""
    from copygen.compliance.pii import mask_pii

    masked: list[dict[str, str]] = []
    introduced: set[str] = set()
    for message in messages:
        content = str(message.get("content", ""))
        new = mask_pii(content)
        if new != content:
            introduced |= _introduced(content, new)
        masked.append({**message, "content": new})
    return masked, frozenset(introduced)


def _field_texts(fields: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for name, value in fields.items():
        if isinstance(value, str):
            yield name, value
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                if isinstance(item, str):
                    yield f"{name}[{index}]", item


def placeholder_findings(
    fields: Mapping[str, Any], placeholders: frozenset[str], lang: str
) -> list[Finding]:
    """A block finding for each masking placeholder that came back in the reply.

    The model never saw the real value, so a placeholder in the copy would publish
    ``[手机号]`` instead of text; it is flagged and repaired like any other finding.
    """
    if not placeholders:
        return []
    from copygen.compliance.findings import Finding

    zh = lang.startswith("zh")
    out: list[Finding] = []
    for name, text in _field_texts(fields):
        for token in placeholders:
            start = text.find(token)
            while start >= 0:
                out.append(
                    Finding(
                        rule=PII_PLACEHOLDER_RULE,
                        category="personal_data",
                        severity="block",
                        field=name,
                        start=start,
                        end=start + len(token),
                        text=token,
                        message=(
                            "文案中出现了个人信息脱敏占位符"
                            if zh
                            else "the copy contains a personal-data masking placeholder"
                        ),
                        law="《个人信息保护法》",
                        suggestion="删除该占位符，不要在文案中出现个人联系方式"
                        if zh
                        else "remove the placeholder; do not put personal contact data in copy",
                    )
                )
                start = text.find(token, start + len(token))
    return out


# --- one item ---------------------------------------------------------------------------------


@dataclass
class _Attempt:
    """One draft (first or repair) and what the checker said."""

    number: int
    fields: dict[str, Any]
    result: CheckResult
    rendered: RenderedPrompt


@dataclass
class _ItemCost:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = 0.0
    latency_ms: float = 0.0
    calls: int = 0
    cached_calls: int = 0

    def add(self, completion: Completion, latency_ms: float, cost: float | None) -> None:
        self.calls += 1
        self.latency_ms += latency_ms
        if completion.cached:
            self.cached_calls += 1
            return  # a cached reply cost nothing this time
        self.prompt_tokens += completion.usage.prompt_tokens
        self.completion_tokens += completion.usage.completion_tokens
        if cost is None:
            self.cost = None
        elif self.cost is not None:
            self.cost += cost


class _ItemFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Context:
    settings: Settings
    backend: Backend
    builder: PromptBuilder
    checker: Checker
    offload: Offload
    cache: ResponseCache | None
    log: AuditLog
    store: ResultStore
    progress: ProgressReporter
    params: dict[str, Any]
    model: str | None
    base_url: str | None
    max_repairs: int
    run_id: str
    new_counts: dict[str, int] = field(default_factory=dict)
    audit: AuditWriter | None = None  # set while the loop runs

    @property
    def remote(self) -> bool:
        return bool(self.backend.remote)


async def _complete_parsed(
    ctx: _Context,
    work: WorkItem,
    rendered: RenderedPrompt,
    *,
    attempt: int,
    totals: _ItemCost,
    findings: tuple[Mapping[str, Any], ...] = (),
    previous_fields: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], frozenset[str]]:
    """One draft's fields: cache or backend, parsed; parse failures asked again.

    Logs a ``generated`` event (with its attempt number) for every call.
    Raises _ItemFailed when the backend fails or no reply parses.
    """
    from copygen.backends.parsing import ReplyParseError, parse_fields

    sent: list[dict[str, str]] = [dict(m) for m in rendered.messages]
    placeholders = work.placeholders
    if ctx.remote and attempt > 1:
        # A repair prompt carries the model's own draft and the flagged texts, not
        # only the (already masked) row: scan the whole prompt.
        sent, extra = mask_messages(sent)
        placeholders = placeholders | extra
    request_context = RequestContext(
        item_id=work.id,
        platform=work.platform,
        lang=work.lang,
        variant=work.variant,
        product=work.product,
        attempt=attempt,
        findings=findings,
        previous_fields=previous_fields,
        seed=ctx.settings.seed,
    )
    key: str | None = None
    if ctx.cache is not None:
        from copygen.backends.cache import cache_key

        # The variant is part of the key even when a template does not mention it:
        # variants must be different texts, not one cached reply three times.
        key = cache_key(
            base_url=ctx.base_url,
            model=ctx.model,
            messages=sent,
            params=ctx.params,
            extra={"variant": work.variant},
        )
    price = ctx.settings.price_for(ctx.model)
    last_reason = ""
    for retry in range(PARSE_RETRIES + 1):
        completion: Completion | None = None
        if key is not None and ctx.cache is not None and retry == 0:
            completion = ctx.cache.get(key)
        started = time.perf_counter()
        if completion is None:
            try:
                completion = await ctx.backend.complete(sent, ctx.params, context=request_context)
            except BackendError as exc:
                reason = exc.message
                _audit_generated(
                    ctx,
                    work,
                    attempt=attempt,
                    retry=retry,
                    rendered=rendered,
                    messages=sent,
                    latency_ms=(time.perf_counter() - started) * 1000,
                    error=reason,
                )
                raise _ItemFailed(reason) from None
            latency_ms = completion.latency_ms or (time.perf_counter() - started) * 1000
        else:
            latency_ms = 0.0
        cost = 0.0 if completion.cached or not ctx.remote else cost_of(completion.usage, price)
        totals.add(completion, latency_ms, cost)
        fields: dict[str, Any] | None = None
        error: str | None = None
        try:
            fields = dict(parse_fields(completion.text, work.platform))
        except ReplyParseError as exc:
            error = last_reason = f"unusable reply: {exc.message}"
        _audit_generated(
            ctx,
            work,
            attempt=attempt,
            retry=retry,
            rendered=rendered,
            messages=sent,
            completion=completion,
            latency_ms=latency_ms,
            cost=cost,
            error=error,
        )
        if fields is not None:
            if key is not None and ctx.cache is not None and not completion.cached:
                ctx.cache.put(key, completion)
            return fields, placeholders
    raise _ItemFailed(f"{last_reason} (after {PARSE_RETRIES + 1} tries)")


async def _check(
    ctx: _Context, work: WorkItem, fields: Mapping[str, Any], placeholders: frozenset[str]
) -> CheckResult:
    from copygen.compliance.findings import CheckResult

    result = await ctx.offload.check(
        fields, lang=work.lang, platform=work.platform, product=work.product
    )
    extra = placeholder_findings(fields, placeholders, work.lang)
    if extra:
        result = CheckResult.from_findings([*result.findings, *extra])
    return result


async def _process(ctx: _Context, work: WorkItem) -> dict[str, Any]:
    """Produce one item's record (never raises for backend or parse failures)."""
    totals = _ItemCost()
    prompt_product = work.prompt_product or work.product
    rendered = await ctx.offload.render(
        prompt_product, platform=work.platform, lang=work.lang, variant=work.variant
    )
    template = {"name": rendered.template, "hash": rendered.template_hash}
    attempts = 0
    final: _Attempt | None = None
    try:
        fields, placeholders = await _complete_parsed(ctx, work, rendered, attempt=1, totals=totals)
        attempts = 1
        result = await _check(ctx, work, fields, placeholders)
        _audit_checked(ctx, work, attempt=1, result=result, fields=fields)
        final = _Attempt(1, fields, result, rendered)
    except _ItemFailed as failed:
        return _record(ctx, work, None, totals, attempts=1, template=template, error=failed.reason)

    # Repair while flagged: send the findings back, check the new draft.
    while final.result.status in ("review", "blocked") and attempts <= ctx.max_repairs:
        number = attempts + 1
        findings = tuple(f.to_dict() for f in final.result.findings)
        repair_prompt = await ctx.offload.render_repair(
            prompt_product,
            platform=work.platform,
            lang=work.lang,
            variant=work.variant,
            previous_fields=final.fields,
            findings=findings,
        )
        try:
            fields, placeholders = await _complete_parsed(
                ctx,
                work,
                repair_prompt,
                attempt=number,
                totals=totals,
                findings=findings,
                previous_fields=final.fields,
            )
        except _ItemFailed:
            # The repair failed; the previous (flagged) draft stands and goes to review.
            break
        attempts = number
        result = await _check(ctx, work, fields, placeholders)
        _audit_checked(ctx, work, attempt=number, result=result, fields=fields)
        _audit_repaired(ctx, work, attempt=number, before=final.result, after=result)
        final = _Attempt(number, fields, result, repair_prompt)
    template = {"name": final.rendered.template, "hash": final.rendered.template_hash}
    return _record(ctx, work, final, totals, attempts=attempts, template=template, error=None)


def _record(
    ctx: _Context,
    work: WorkItem,
    final: _Attempt | None,
    totals: _ItemCost,
    *,
    attempts: int,
    template: Mapping[str, str],
    error: str | None,
) -> dict[str, Any]:
    from copygen.compliance.aigc import aigc_record, content_id_for

    fields = final.fields if final is not None else None
    status = final.result.status if final is not None else "error"
    aigc = aigc_record(
        provider=ctx.settings.aigc_provider,
        model=ctx.model or ctx.backend.name,
        content_id=content_id_for(work.id, fields or {}),
        label=ctx.settings.label_for(work.platform),
        lang=work.lang,
    )
    price = ctx.settings.price_for(ctx.model)
    return {
        "id": work.id,
        "sku": work.product.sku,
        "platform": work.platform,
        "lang": work.lang,
        "variant": work.variant,
        "fields": fields,
        "status": status,
        "findings": [f.to_dict() for f in final.result.findings] if final is not None else [],
        "attempts": attempts,
        "backend": ctx.backend.name,
        "model": ctx.model,
        "usage": Usage(totals.prompt_tokens, totals.completion_tokens).to_dict(),
        "cost": totals.cost if ctx.remote else 0.0,
        "currency": price.currency if price is not None else None,
        "latency_ms": round(totals.latency_ms, 1),
        "cached": totals.calls > 0 and totals.cached_calls == totals.calls,
        "aigc": aigc,
        "product": work.product.to_dict(),
        "row": work.product.row,
        "template": dict(template),
        "rules_hash": ctx.checker.rules_hash,
        "error": error,
        "review": None,
        "run": ctx.run_id,
        "ts": _now(),
    }


# --- audit events -----------------------------------------------------------------------------


def _event(ctx: _Context, event: str, **data: Any) -> None:
    """Append an item's event now; it is fsynced in a group (see copygen.generate.events)."""
    assert ctx.audit is not None, "item events are written while the run loop runs"
    ctx.audit.append(event, **data)


def _item_data(work: WorkItem) -> dict[str, Any]:
    return {
        "item": work.id,
        "sku": work.product.sku,
        "platform": work.platform,
        "lang": work.lang,
        "variant": work.variant,
    }


def _audit_generated(
    ctx: _Context,
    work: WorkItem,
    *,
    attempt: int,
    retry: int,
    rendered: RenderedPrompt,
    messages: Sequence[Mapping[str, str]],
    completion: Completion | None = None,
    latency_ms: float = 0.0,
    cost: float | None = None,
    error: str | None = None,
) -> None:
    """A ``generated`` event: one call to the backend (first draft or repair)."""
    price = ctx.settings.price_for(ctx.model)
    _event(
        ctx,
        "generated",
        **_item_data(work),
        attempt=attempt,
        retry=retry,
        template=rendered.template,
        template_hash=rendered.template_hash,
        messages=[dict(m) for m in messages],
        backend=ctx.backend.name,
        model=ctx.model,
        base_url=ctx.base_url,
        params=ctx.params,
        response=completion.text if completion is not None else None,
        finish_reason=completion.finish_reason if completion is not None else None,
        usage=completion.usage.to_dict() if completion is not None else None,
        cost=cost,
        currency=price.currency if price is not None else None,
        latency_ms=round(latency_ms, 1),
        cached=completion.cached if completion is not None else False,
        error=error,
    )


def _audit_checked(
    ctx: _Context,
    work: WorkItem,
    *,
    attempt: int,
    result: CheckResult,
    fields: Mapping[str, Any],
) -> None:
    _event(
        ctx,
        "checked",
        item=work.id,
        attempt=attempt,
        rules_hash=ctx.checker.rules_hash,
        status=result.status,
        findings=[f.to_dict() for f in result.findings],
        fields=dict(fields),
    )


def _audit_repaired(
    ctx: _Context, work: WorkItem, *, attempt: int, before: CheckResult, after: CheckResult
) -> None:
    old = {f.rule for f in before.findings}
    new = {f.rule for f in after.findings}
    _event(
        ctx,
        "repaired",
        item=work.id,
        attempt=attempt,
        from_attempt=attempt - 1,
        findings_fixed=sorted(old - new),
        findings_remaining=sorted(new),
        status=after.status,
    )


# --- the run ----------------------------------------------------------------------------------


def _params(settings: Settings) -> dict[str, Any]:
    return {
        "temperature": settings.temperature,
        "max_tokens": settings.max_tokens,
        "seed": settings.seed,
        "json_mode": settings.json_mode,
    }


def _count_plan(
    input_path: Path, settings: Settings, completed: set[str], on_warning: WarningHandler | None
) -> tuple[int, int]:
    """(items planned, of which already completed); reads the whole input once.

    Reading it before the first request also means a broken row fails the run
    (exit 2) before anything is paid for.
    """
    planned = done = 0
    for work in _iter_work(input_path, settings, on_warning=on_warning):
        planned += 1
        if work.id in completed:
            done += 1
    return planned, done


async def _feed(
    ctx: _Context,
    input_path: Path,
    completed: set[str],
    stop: asyncio.Event,
) -> None:
    """Start items as slots free up; wait for those in flight."""
    slots = asyncio.Semaphore(ctx.settings.concurrency)
    pending: set[asyncio.Task[None]] = set()
    failure: list[BaseException] = []

    async def run_one(work: WorkItem) -> None:
        try:
            record = await _process(ctx, work)
            # The item's audit events are on disk before its result line: a record
            # never exists without the events that account for it.
            assert ctx.audit is not None
            await ctx.audit.barrier()
            ctx.store.append(record)
            status = str(record["status"])
            ctx.new_counts[status] = ctx.new_counts.get(status, 0) + 1
            ctx.progress.item_done(status)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # a setup/config error: stop the whole run
            failure.append(exc)
            stop.set()
        finally:
            slots.release()

    try:
        for work in _iter_work(input_path, ctx.settings, on_warning=None, mask=ctx.remote):
            if work.id in completed:
                continue
            await slots.acquire()
            if stop.is_set():
                slots.release()
                break
            task = asyncio.create_task(run_one(work))
            pending.add(task)
            task.add_done_callback(pending.discard)
        if pending:
            await asyncio.gather(*pending)
    except asyncio.CancelledError:
        for task in list(pending):
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        raise
    if failure:
        raise failure[0]


async def _run_loop(ctx: _Context, input_path: Path, completed: set[str]) -> bool:
    """Run every item; True when interrupted by SIGINT/SIGTERM."""
    from copygen.generate.events import AuditWriter

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    ctx.audit = AuditWriter(ctx.log, loop)
    main = asyncio.ensure_future(_feed(ctx, input_path, completed, stop))
    interrupted = False

    def on_signal() -> None:
        nonlocal interrupted
        interrupted = True
        main.cancel()

    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread, or no signals here: KeyboardInterrupt still works
    try:
        await main
    except asyncio.CancelledError:
        if not interrupted:
            raise
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        try:
            ctx.audit.close()  # the last fsync of what was appended
        finally:
            ctx.audit = None
            # Connections belong to this event loop, which ends with the run.
            await ctx.offload.aclose()
            await ctx.backend.aclose()
    return interrupted


def generate(
    *,
    input_path: str | Path,
    outdir: str | Path,
    settings: Settings,
    progress: ProgressReporter | None = None,
    force: bool = False,
    xlsx: bool = False,
    backend: Backend | None = None,
    on_warning: WarningHandler | None = None,
    workers: int | None = None,
) -> RunSummary:
    """Generate, check and record every item of ``input_path`` into ``outdir``.

    Resumes when ``outdir`` holds an earlier run with the same settings; raises
    ConfigError when it holds one with different settings (unless ``force``).
    Items that fail are recorded with status ``error``; the run goes on. A SIGINT
    or SIGTERM stops it cleanly (``summary.interrupted``). ``backend`` replaces
    the one the settings name (tests, benchmarks, embedding); it is closed at the
    end of the run, since its connections belong to the run's event loop.
    ``workers``: forked processes that render and check for a remote backend
    (default none: all in this process; see copygen.generate.workers — worth it where
    spare cores exist, not on a 2-CPU machine that also runs the model server).
    """
    from copygen.audit import AuditLog
    from copygen.compliance.engine import Checker
    from copygen.generate.workers import Offload
    from copygen.writing.prompts import PromptBuilder

    input_path = Path(input_path)
    outdir = Path(outdir)
    progress = progress if progress is not None else NullProgress()
    input_sha = file_sha256(input_path)

    checker = Checker.from_settings(settings)
    builder = PromptBuilder(settings=settings, ruleset=checker.ruleset)
    if backend is None:
        from copygen.backends.registry import create_backend

        backend = create_backend(settings)
    model = backend.model or settings.model
    base_url = backend.base_url if backend.remote else None
    if backend.remote and base_url is None:
        base_url = settings.base_url
    params = _params(settings)
    max_repairs = settings.max_repairs if settings.max_repairs is not None else 1
    fingerprint = fingerprint_for(
        input_sha256=input_sha,
        settings=settings,
        backend=backend.name,
        model=model,
        base_url=base_url,
        params=params,
        rules_hash=checker.rules_hash,
        templates_sha256=templates_hash(settings),
    )
    store = ResultStore(outdir)
    summary = RunSummary(
        outdir=outdir,
        fail_on=settings.fail_on,
        backend=backend.name,
        model=model,
        results_path=store.path,
    )
    audit_path = Path(settings.audit) if settings.audit is not None else outdir / AUDIT_FILE
    summary.audit_path = audit_path
    # Workers fork now, before this process opens the audit log or takes the folder
    # lock: a child must never hold those file descriptors.
    offload = Offload(
        builder=builder,
        checker=checker,
        workers=workers if backend.remote and workers is not None else 0,
    )
    try:
        with store.lock():
            manifest, resuming = prepare_outdir(
                outdir, fingerprint, force=force, results_exist=store.exists()
            )
            store.repair()
            # Items that errored are tried again; everything else stands.
            completed = store.completed_ids()
            failed = store.completed_ids(statuses=("error",))
            if failed:
                store.rewrite(lambda r: None if r.get("status") == "error" else r)
                completed -= failed
            planned, done = _count_plan(input_path, settings, completed, on_warning)
            summary.planned = planned
            summary.resumed = done
            cache = None
            if backend.remote and settings.cache:
                from copygen.backends.cache import ResponseCache

                cache = ResponseCache.from_settings(settings)
            started = time.monotonic()
            # Item events are fsynced in batches by the writer thread (run_audit);
            # the log itself must not fsync each one on the event loop.
            with AuditLog.open(
                audit_path, secrets=[settings.api_key], max_unsynced=1 << 30
            ) as audit:
                summary.run_id = audit.run
                manifest.run_started(audit.run)
                audit.append(
                    "run_started",
                    command="generate",
                    version=__version__,
                    settings=settings.public_dict(),
                    input={"path": str(input_path), "sha256": input_sha, "items": planned},
                    outdir=str(outdir),
                    rules_hash=checker.rules_hash,
                    templates_sha256=fingerprint["templates_sha256"],
                    fingerprint_sha256=manifest.fingerprint_hash,
                    platforms=list(settings.platforms),
                    variants=settings.variants,
                    backend=backend.name,
                    model=model,
                    base_url=base_url,
                    params=params,
                    max_repairs=max_repairs,
                    cache=cache is not None,
                    resumed=resuming,
                    planned=planned,
                    already_done=done,
                    retried_errors=len(failed),
                )
                audit.sync()
                ctx = _Context(
                    settings=settings,
                    backend=backend,
                    builder=builder,
                    checker=checker,
                    offload=offload,
                    cache=cache,
                    log=audit,
                    store=store,
                    progress=progress,
                    params=params,
                    model=model,
                    base_url=base_url,
                    max_repairs=max_repairs,
                    run_id=audit.run,
                )
                progress.start(total=planned, done=done)
                outcome = "failed"
                try:
                    with _heap_frozen():
                        summary.interrupted = asyncio.run(_run_loop(ctx, input_path, completed))
                    outcome = "interrupted" if summary.interrupted else "completed"
                except KeyboardInterrupt:
                    summary.interrupted = True
                    outcome = "interrupted"
                finally:
                    progress.close()
                    store.close()
                    if cache is not None:
                        close = getattr(cache, "close", None)
                        if callable(close):
                            close()
                    summary.new = sum(ctx.new_counts.values())
                    _finish(store, summary, settings, xlsx=xlsx, remote=backend.remote)
                    audit.append(
                        "run_finished",
                        outcome=outcome,
                        counts={"total": summary.items, **summary.counts},
                        new=summary.new,
                        new_counts=dict(ctx.new_counts),
                        planned=planned,
                        pass_rate=summary.pass_rate,
                        usage={
                            "prompt_tokens": summary.prompt_tokens,
                            "completion_tokens": summary.completion_tokens,
                            "total_tokens": summary.tokens,
                        },
                        cost=summary.cost,
                        currency=summary.currency,
                        latency_p50_ms=summary.latency_p50_ms,
                        latency_p95_ms=summary.latency_p95_ms,
                        duration_ms=round((time.monotonic() - started) * 1000, 1),
                        results_sha256=file_sha256(store.path) if store.path.exists() else None,
                    )
                    audit.sync()
                    summary.audit_head = audit.head
                    manifest.run_finished(audit.run, outcome=outcome, counts=summary.counts)
    finally:
        offload.close()
        store.close()
    return summary


#: Allocations between young-generation collections while a run lasts (Python's
#: default is 700): the loop makes many short-lived objects per request.
RUN_GC_THRESHOLD = 10_000


@contextlib.contextmanager
def _heap_frozen() -> Iterator[None]:
    """Less garbage-collector work while the run lasts; everything restored after.

    What exists before the run (modules, rules, templates, the word dictionary)
    is frozen, so full passes do not walk it again, and young collections run
    every RUN_GC_THRESHOLD allocations instead of every 700: the loop allocates
    much and briefly (requests, replies, events), and each pass stalls every
    request in flight. Nothing is lost: frozen objects are handed back to the
    collector and the thresholds reset at the end. A caller's own freeze is left
    alone, and so is a higher threshold it set.
    """
    thresholds = gc.get_threshold()
    if thresholds[0] < RUN_GC_THRESHOLD:
        gc.set_threshold(RUN_GC_THRESHOLD, *thresholds[1:])
    froze = gc.get_freeze_count() == 0
    if froze:
        gc.freeze()
    try:
        yield
    finally:
        if froze:
            gc.unfreeze()
        gc.set_threshold(*thresholds)


def _finish(
    store: ResultStore, summary: RunSummary, settings: Settings, *, xlsx: bool, remote: bool
) -> None:
    """Rebuild results.csv (and .xlsx) from results.jsonl and fill in the summary."""
    from copygen.generate.tables import write_tables

    numbers = SummaryBuilder(priced=remote)
    paths = write_tables(store, settings=settings, xlsx=xlsx, observe=numbers.add)
    numbers.fill(summary)
    summary.csv_path = paths.get("csv")
    summary.xlsx_path = paths.get("xlsx")
