"""One item, from its row to its record.

    render -> complete (response cache first) -> parse -> tidy -> check ->
    repair while flagged, keeping the best draft -> record

:class:`ItemRunner` holds what every item of a run shares (backend, cache,
checker, audit events); :meth:`ItemRunner.process` takes one item through the
steps above and returns its ``results.jsonl`` record. :meth:`ItemRunner.repair_record`
(``generate --repair``) takes a recorded, flagged item back into the repair loop:
its kept draft is checked again and repaired up to N more times, attempt numbers
continuing after the record's, and the new record adds up both runs' costs.
Backend and parse failures end in a record with status ``error``, never in an
exception. Retries with backoff, rate limits and timeouts belong to the backend;
this module retries only a reply it cannot parse.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from copygen.backends.base import Backend, Completion, RequestContext, Usage
from copygen.config import Settings
from copygen.errors import BackendError
from copygen.generate.masking import mask_messages, placeholder_findings
from copygen.generate.plan import WorkItem
from copygen.generate.summary import cost_of
from copygen.generate.tidy import tidy_fields

if TYPE_CHECKING:
    from copygen.backends.cache import ResponseCache
    from copygen.compliance.findings import CheckResult
    from copygen.generate.events import ItemEvents
    from copygen.generate.workers import Offload
    from copygen.judge import Judge, JudgeOutcome
    from copygen.writing.prompts import RenderedPrompt

__all__ = ["PARSE_RETRIES", "ItemRunner", "RepairOutcome"]

#: A reply that cannot be parsed is asked for again this many times, bypassing the cache.
PARSE_RETRIES = 2


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class _Attempt:
    """One draft (first or repair) and what the checker said."""

    number: int
    fields: dict[str, Any]
    result: CheckResult
    rendered: RenderedPrompt

    def rank(self) -> tuple[int, int]:
        """Fewer block, then fewer warn findings is better (lower)."""
        findings = self.result.findings
        return (
            sum(1 for f in findings if f.severity == "block"),
            sum(1 for f in findings if f.severity == "warn"),
        )


@dataclass
class _JudgeCost:
    """The judge's work on one item, over all its drafts: the record's ``judge``."""

    model: str | None = None
    currency: str | None = None
    passes: int = 0
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = 0.0
    latency_ms: float = 0.0
    added: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    def add(self, outcome: JudgeOutcome) -> None:
        self.passes += 1
        self.calls += sum(1 for c in outcome.calls if not c.cached)
        usage = outcome.usage
        self.prompt_tokens += usage.prompt_tokens
        self.completion_tokens += usage.completion_tokens
        cost = outcome.cost
        self.cost = None if cost is None or self.cost is None else self.cost + cost
        self.latency_ms += outcome.latency_ms
        self.added += len(outcome.added)
        for reason, count in outcome.dropped.items():
            self.dropped[reason] = self.dropped.get(reason, 0) + count
        self.error = outcome.error

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "passes": self.passes,
            "calls": self.calls,
            "usage": Usage(self.prompt_tokens, self.completion_tokens).to_dict(),
            "cost": self.cost,
            "currency": self.currency,
            "latency_ms": round(self.latency_ms, 1),
            "added": self.added,
            "dropped": dict(self.dropped),
            "error": self.error,
        }


@dataclass
class _ItemCost:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cost: float | None = 0.0
    latency_ms: float = 0.0
    calls: int = 0
    cached_calls: int = 0
    judge: _JudgeCost = field(default_factory=_JudgeCost)

    def add(self, completion: Completion, latency_ms: float, cost: float | None) -> None:
        self.calls += 1
        self.latency_ms += latency_ms
        if completion.cached:
            self.cached_calls += 1
            return  # a cached reply cost nothing this time
        self.prompt_tokens += completion.usage.prompt_tokens
        self.completion_tokens += completion.usage.completion_tokens
        self.cached_tokens += completion.usage.cached_tokens
        if cost is None:
            self.cost = None
        elif self.cost is not None:
            self.cost += cost


@dataclass
class RepairOutcome:
    """What :meth:`ItemRunner.repair_record` did with one flagged record.

    ``record``: the record replacing it (None: the old one stands, nothing was
    done or the judge failed); ``kept_earlier``: no new draft was better, the old
    one is kept; ``failed``: why a repair could not be made (a backend or judge
    failure), else None.
    """

    record: dict[str, Any] | None
    status: str
    kept_earlier: bool = False
    failed: str | None = None


class _ItemFailed(Exception):
    def __init__(self, reason: str, attempts: int = 1) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts


@dataclass
class ItemRunner:
    """What the items of one run share, and the steps that take one item through."""

    settings: Settings
    backend: Backend
    offload: Offload
    cache: ResponseCache | None
    events: ItemEvents
    params: dict[str, Any]
    model: str | None
    base_url: str | None
    max_repairs: int
    rules_hash: str
    run_id: str
    judge: Judge | None = None
    #: The run's request slots (``concurrency``): held by each call to the backend or
    #: the judge, and only while it lasts. None: no limit here (the caller's own).
    slots: asyncio.Semaphore | None = None

    @property
    def remote(self) -> bool:
        return bool(self.backend.remote)

    async def render(self, work: WorkItem) -> RenderedPrompt:
        """The item's first prompt (from its masked row for a remote backend)."""
        prompt_product = work.prompt_product or work.product
        return await self.offload.render(
            prompt_product, platform=work.platform, lang=work.lang, variant=work.variant
        )

    async def process(
        self, work: WorkItem, rendered: RenderedPrompt | None = None
    ) -> dict[str, Any]:
        """Produce one item's record (never raises for backend or parse failures).

        ``rendered``: its first prompt when already rendered (:meth:`render`).
        """
        totals = _ItemCost()
        if rendered is None:
            rendered = await self.render(work)
        try:
            fields, placeholders = await self._draft(work, rendered, attempt=1, totals=totals)
            first = await self._checked(work, 1, fields, placeholders, rendered, totals)
            kept, attempts, _ = await self._repair(work, first, totals)
        except _ItemFailed as failed:
            return self._record(
                work, None, rendered, totals, attempts=failed.attempts, error=failed.reason
            )
        return self._record(work, kept, kept.rendered, totals, attempts=attempts, error=None)

    async def repair_record(
        self,
        work: WorkItem,
        old: Mapping[str, Any],
        *,
        rounds: int,
        rendered: RenderedPrompt | None = None,
    ) -> RepairOutcome:
        """Take a recorded, flagged item through up to ``rounds`` more repairs.

        ``old``: its ``results.jsonl`` record (``fields``, ``attempts``,
        ``kept_attempt``, costs; ``record_sha256`` of the whole record when the
        caller kept only those parts). The kept draft is checked again first (the
        rule packs are the folder's, so normally with the same findings; the event
        is ``checked`` with ``recheck: true`` and the kept attempt's number), then
        repaired as :meth:`process` repairs, attempts numbered after the record's.
        The best attempt is kept, the old draft included, so a repair that comes
        back worse changes nothing but the attempts and costs. A judge that fails
        leaves the old record standing (``record`` None). Never raises for backend
        or parse failures. ``rendered``: the item's first prompt when already rendered.
        """
        from copygen.audit.chain import record_sha256

        totals = _ItemCost()
        old_number = int(old.get("kept_attempt") or 1)
        old_made = max(int(old.get("attempts") or old_number), old_number)
        old_status = str(old.get("status"))
        if rendered is None:
            rendered = await self.render(work)
        try:
            first = await self._checked(
                work,
                old_number,
                dict(old.get("fields") or {}),
                work.placeholders,
                rendered,
                totals,
                recheck=True,
            )
            kept, made, failed = await self._repair(
                work, first, totals, made=old_made, rounds=rounds
            )
        except _ItemFailed as exc:
            return RepairOutcome(None, old_status, kept_earlier=True, failed=exc.reason)
        unchanged = kept is first
        findings = [f.to_dict() for f in kept.result.findings]
        if (
            unchanged
            and made == old_made
            and totals.calls == 0
            and totals.judge.passes == 0
            and kept.result.status == old_status
            and findings == old.get("findings")
        ):
            return RepairOutcome(None, old_status, kept_earlier=True, failed=failed)
        record = self._build_record(work, kept, kept.rendered, totals, attempts=made, error=None)
        record.update(_added_costs(old, record))
        if unchanged:
            # The same text: the prompt it came from and any review note stay with it.
            for key in ("template", "review"):
                if key in old:
                    record[key] = old[key]
        replaces = old.get("record_sha256")
        if not isinstance(replaces, str):
            replaces = record_sha256(old)
        self.events.recorded(work, record, replaces=replaces)
        return RepairOutcome(record, kept.result.status, kept_earlier=unchanged, failed=failed)

    async def _repair(
        self,
        work: WorkItem,
        first: _Attempt,
        totals: _ItemCost,
        *,
        made: int = 1,
        rounds: int | None = None,
    ) -> tuple[_Attempt, int, str | None]:
        """Send the best draft's findings back while it is flagged and repairs are left.

        A repair that comes back worse does not replace the draft it repairs: the
        best attempt (fewest block, then warn findings; ties to the later) is kept
        and repaired again. ``made``: drafts made before (attempt numbers go on
        from there); ``rounds``: repairs allowed now (default: the run's
        ``max_repairs``). Returns the kept attempt, the number of drafts made in
        all, and why a repair could not be made (None when none failed).
        """
        best = first
        limit = made + (self.max_repairs if rounds is None else rounds)
        failed: str | None = None
        prompt_product = work.prompt_product or work.product
        while best.result.status in ("review", "blocked") and made < limit:
            number = made + 1
            findings = tuple(f.to_dict() for f in best.result.findings)
            repair_prompt = await self.offload.render_repair(
                prompt_product,
                platform=work.platform,
                lang=work.lang,
                variant=work.variant,
                previous_fields=best.fields,
                findings=findings,
            )
            try:
                fields, placeholders = await self._draft(
                    work,
                    repair_prompt,
                    attempt=number,
                    totals=totals,
                    findings=findings,
                    previous_fields=best.fields,
                )
            except _ItemFailed as exc:
                # The repair failed; the best (flagged) draft stands and goes to review.
                failed = exc.reason
                break
            made = number
            repaired = await self._checked(
                work, number, fields, placeholders, repair_prompt, totals
            )
            before = best
            if repaired.rank() <= best.rank():
                best = repaired
            self.events.repaired(
                work,
                attempt=number,
                from_attempt=before.number,
                before=before.result,
                after=repaired.result,
                kept=best.number,
            )
        return best, made, failed

    async def _checked(
        self,
        work: WorkItem,
        number: int,
        fields: dict[str, Any],
        placeholders: frozenset[str],
        rendered: RenderedPrompt,
        totals: _ItemCost,
        *,
        recheck: bool = False,
    ) -> _Attempt:
        """Tidy and check one draft (rules, then the judge when there is one), and log
        what they said. Raises _ItemFailed when the judge fails with on_error: error.
        ``recheck``: a recorded draft checked again (``generate --repair``)."""
        fields, tidied = tidy_fields(fields, work.platform)
        result = await self._check(work, fields, placeholders)
        if self.judge is not None:
            async with self._slot():  # the judge's calls share the run's concurrency
                outcome = await self.judge.review(
                    fields,
                    result=result,
                    lang=work.lang,
                    platform=work.platform,
                    product=work.product,
                    item_id=work.id,
                )
            if outcome.judged:
                totals.judge.model = self.judge.model
                totals.judge.currency = self.judge.currency
                totals.judge.add(outcome)
                self.events.judged(work, attempt=number, outcome=outcome, judge=self.judge)
            if outcome.failed:
                raise _ItemFailed(f"the judge did not answer: {outcome.error}", attempts=number)
            result = outcome.result
        self.events.checked(
            work, attempt=number, result=result, fields=fields, tidied=tidied, recheck=recheck
        )
        return _Attempt(number, fields, result, rendered)

    async def _draft(
        self,
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
        if self.remote and attempt > 1:
            # A repair prompt carries the model's own draft and the flagged texts, not
            # only the (already masked) row: scan the whole prompt.
            sent, extra = mask_messages(sent)
            placeholders = placeholders | extra
        request = RequestContext(
            item_id=work.id,
            platform=work.platform,
            lang=work.lang,
            variant=work.variant,
            product=work.product,
            attempt=attempt,
            findings=findings,
            previous_fields=previous_fields,
            seed=self.settings.seed,
        )
        key = self._cache_key(work, sent)
        last_reason = ""
        for retry in range(PARSE_RETRIES + 1):
            cached = None
            if key is not None and self.cache is not None and retry == 0:
                cached = self.cache.get(key)
            completion, latency_ms, cost = await self._complete(
                work, rendered, sent, request, cached, attempt=attempt, retry=retry
            )
            totals.add(completion, latency_ms, cost)
            fields: dict[str, Any] | None = None
            error: str | None = None
            try:
                fields = dict(parse_fields(completion.text, work.platform))
            except ReplyParseError as exc:
                error = last_reason = f"unusable reply: {exc.message}"
            self.events.generated(
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
                if key is not None and self.cache is not None and not completion.cached:
                    self.cache.put(key, completion)
                return fields, placeholders
        raise _ItemFailed(f"{last_reason} (after {PARSE_RETRIES + 1} tries)")

    def _slot(self) -> contextlib.AbstractAsyncContextManager[Any]:
        return self.slots if self.slots is not None else contextlib.nullcontext()

    def _cache_key(self, work: WorkItem, sent: list[dict[str, str]]) -> str | None:
        if self.cache is None:
            return None
        from copygen.backends.cache import cache_key

        # The variant is part of the key even when a template does not mention it:
        # variants must be different texts, not one cached reply three times.
        return cache_key(
            base_url=self.base_url,
            model=self.model,
            messages=sent,
            params=self.params,
            extra={"variant": work.variant},
        )

    async def _complete(
        self,
        work: WorkItem,
        rendered: RenderedPrompt,
        sent: list[dict[str, str]],
        request: RequestContext,
        cached: Completion | None,
        *,
        attempt: int,
        retry: int,
    ) -> tuple[Completion, float, float | None]:
        """The reply (cached or asked for), its latency in ms and its cost.

        A backend failure is logged as a ``generated`` event and raised as _ItemFailed.
        """
        if cached is not None:
            return cached, 0.0, 0.0
        try:
            async with self._slot():
                started = time.perf_counter()
                completion = await self.backend.complete(sent, self.params, context=request)
                # Every slot taken: another item waits for this one (see below).
                contended = self.slots is not None and self.slots.locked()
        except BackendError as exc:
            self.events.generated(
                work,
                attempt=attempt,
                retry=retry,
                rendered=rendered,
                messages=sent,
                latency_ms=(time.perf_counter() - started) * 1000,
                error=exc.message,
            )
            raise _ItemFailed(exc.message) from None
        latency_ms = completion.latency_ms or (time.perf_counter() - started) * 1000
        if contended:
            # Let the item that takes the freed slot send its request before this reply
            # is parsed, checked and logged: replies come in bursts, and the server
            # should be working on the next requests while the loop works on these.
            await asyncio.sleep(0)
        if completion.cached or not self.remote:
            return completion, latency_ms, 0.0
        return completion, latency_ms, cost_of(completion.usage, self._price())

    def _price(self) -> Any:
        return self.settings.price_for(self.model)

    async def _check(
        self, work: WorkItem, fields: Mapping[str, Any], placeholders: frozenset[str]
    ) -> CheckResult:
        from copygen.compliance.findings import CheckResult

        result = await self.offload.check(
            fields, lang=work.lang, platform=work.platform, product=work.product
        )
        extra = placeholder_findings(fields, placeholders, work.lang)
        if extra:
            result = CheckResult.from_findings([*result.findings, *extra])
        return result

    def _record(
        self,
        work: WorkItem,
        final: _Attempt | None,
        rendered: RenderedPrompt,
        totals: _ItemCost,
        *,
        attempts: int,
        error: str | None,
    ) -> dict[str, Any]:
        """The item's ``results.jsonl`` record; ``rendered``: the prompt of the kept draft.

        ``attempts``: drafts made; ``kept_attempt``: the one whose fields are kept.
        Its hash is logged (``recorded``) before the loop writes it, so the log
        proves the line.
        """
        record = self._build_record(work, final, rendered, totals, attempts=attempts, error=error)
        self.events.recorded(work, record)
        return record

    def _build_record(
        self,
        work: WorkItem,
        final: _Attempt | None,
        rendered: RenderedPrompt,
        totals: _ItemCost,
        *,
        attempts: int,
        error: str | None,
    ) -> dict[str, Any]:
        """:meth:`_record` without logging it."""
        from copygen.compliance.aigc import aigc_record, content_id_for

        fields = final.fields if final is not None else None
        status = final.result.status if final is not None else "error"
        aigc = aigc_record(
            provider=self.settings.aigc_provider,
            model=self.model or self.backend.name,
            content_id=content_id_for(work.id, fields or {}),
            label=self.settings.label_for(work.platform),
            lang=work.lang,
        )
        price = self._price()
        record = {
            "id": work.id,
            "sku": work.product.sku,
            "platform": work.platform,
            "lang": work.lang,
            "variant": work.variant,
            "fields": fields,
            "status": status,
            "findings": [f.to_dict() for f in final.result.findings] if final is not None else [],
            "attempts": attempts,
            "kept_attempt": final.number if final is not None else None,
            "backend": self.backend.name,
            "model": self.model,
            "usage": Usage(
                totals.prompt_tokens, totals.completion_tokens, totals.cached_tokens
            ).to_dict(),
            "cost": totals.cost if self.remote else 0.0,
            "currency": price.currency if price is not None else None,
            "latency_ms": round(totals.latency_ms, 1),
            "cached": totals.calls > 0 and totals.cached_calls == totals.calls,
            **({"judge": totals.judge.to_dict()} if self.judge is not None else {}),
            "aigc": aigc,
            "product": work.product.to_dict(),
            "row": work.product.row,
            "template": {"name": rendered.template, "hash": rendered.template_hash},
            "rules_hash": self.rules_hash,
            "error": error,
            "review": None,
            "run": self.run_id,
            "ts": _now(),
        }
        return record


def _added_costs(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The cost parts of a repaired record: the earlier runs' and this run's, added up."""
    usage: dict[str, Any] = dict(new.get("usage") or {})
    before = old.get("usage") or {}
    for key in ("prompt_tokens", "completion_tokens", "cached_tokens"):
        if key in usage or key in before:
            usage[key] = int(usage.get(key) or 0) + int(before.get(key) or 0)
    usage["total_tokens"] = int(usage.get("prompt_tokens") or 0) + int(
        usage.get("completion_tokens") or 0
    )
    out: dict[str, Any] = {
        "usage": usage,
        "cost": _add_money(old.get("cost"), new.get("cost")),
        "latency_ms": round(float(old.get("latency_ms") or 0) + float(new["latency_ms"]), 1),
        "cached": bool(old.get("cached")) and bool(new.get("cached")),
    }
    if "judge" in old or "judge" in new:
        out["judge"] = _added_judge(old.get("judge"), new.get("judge"))
    return out


def _add_money(a: Any, b: Any) -> float | None:
    return None if a is None or b is None else float(a) + float(b)


def _added_judge(old: Any, new: Any) -> Any:
    """The record's ``judge`` part over both runs (either may be missing)."""
    if not isinstance(old, Mapping):
        return new
    if not isinstance(new, Mapping) or not new.get("passes"):
        return dict(old)
    usage_old, usage_new = old.get("usage") or {}, new.get("usage") or {}
    prompt = int(usage_old.get("prompt_tokens") or 0) + int(usage_new.get("prompt_tokens") or 0)
    completion = int(usage_old.get("completion_tokens") or 0) + int(
        usage_new.get("completion_tokens") or 0
    )
    dropped: dict[str, int] = dict(old.get("dropped") or {})
    for reason, count in (new.get("dropped") or {}).items():
        dropped[reason] = dropped.get(reason, 0) + int(count)
    return {
        **new,
        "passes": int(old.get("passes") or 0) + int(new.get("passes") or 0),
        "calls": int(old.get("calls") or 0) + int(new.get("calls") or 0),
        "usage": Usage(prompt, completion).to_dict(),
        "cost": _add_money(old.get("cost"), new.get("cost")),
        "latency_ms": round(float(old.get("latency_ms") or 0) + float(new["latency_ms"]), 1),
        "added": int(old.get("added") or 0) + int(new.get("added") or 0),
        "dropped": dropped,
    }
