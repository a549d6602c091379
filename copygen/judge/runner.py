"""The judge: one model call per text, read as a reviewer would, added to the rules.

:class:`Judge` holds what the texts of a run share (the judge's backend, prompt
builder, cache, price); :meth:`Judge.review` takes one text and the rules' result and
returns a :class:`JudgeOutcome`: the result with the judge's findings added, what
was dropped and why, and what the call cost. It never raises for a backend or reply
failure: a judge that does not answer after the backend's retries (and one more ask
for an unreadable reply) leaves a ``judge.unavailable`` finding, or an error when
``judge: on_error: error``.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from copygen.backends.base import Completion, RequestContext, Usage, cost_of
from copygen.compliance.categories import SEMANTIC_CATEGORIES
from copygen.compliance.engine import field_items
from copygen.compliance.findings import CheckResult, Finding
from copygen.errors import BackendError
from copygen.judge.findings import merge_violations, unavailable_finding
from copygen.judge.reply import JudgeReplyError, parse_violations

if TYPE_CHECKING:
    from copygen.backends.base import Backend
    from copygen.backends.cache import ResponseCache
    from copygen.config import Settings
    from copygen.writing.prompts import PromptBuilder, RenderedPrompt

__all__ = ["JUDGE_SCHEMA", "REPLY_RETRIES", "Judge", "JudgeCall", "JudgeOutcome"]

#: An unreadable reply is asked for again this many times, bypassing the cache.
REPLY_RETRIES = 1
#: Characters of an unreadable reply sent back with the correction.
MAX_ECHOED_REPLY = 2000
#: What follows an unreadable reply when the judge is asked again.
CORRECTION = {
    "zh": "上面的回复不是要求的格式。请只输出一个 JSON 对象："
    '{"violations": [{"quote": "…", "category": "…", "reason": "…"}]}，'
    "没有违规时 violations 为空列表。",
    "en": "That reply is not in the format asked for. Answer with one JSON object only: "
    '{"violations": [{"quote": "...", "category": "...", "reason": "..."}]}, with an empty '
    "list when nothing breaks the rules.",
}
#: The reply's shape, sent as a JSON schema where the server takes one (a grammar on
#: llama.cpp and vLLM: even a small model then answers in shape, with a known category).
JUDGE_SCHEMA: dict[str, Any] = {
    "name": "copygen_judge",
    "schema": {
        "type": "object",
        "properties": {
            "violations": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "quote": {"type": "string"},
                        "category": {"type": "string", "enum": list(SEMANTIC_CATEGORIES)},
                        "reason": {"type": "string"},
                    },
                    "required": ["quote", "category", "reason"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["violations"],
        "additionalProperties": False,
    },
}


@dataclass(frozen=True)
class JudgeCall:
    """One request to the judge, as the audit log records it."""

    response: str | None
    usage: Usage
    cost: float | None
    latency_ms: float
    cached: bool
    error: str | None = None
    finish_reason: str | None = None  # "length": the reply ran into judge_max_tokens


@dataclass
class JudgeOutcome:
    """What the judge made of one text."""

    result: CheckResult  # the rules' result with the judge's findings added
    status_before: str = ""  # the rules' status
    judged: bool = False  # False: not sent (the rules blocked it, and not --judge-all)
    added: list[Finding] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)
    calls: list[JudgeCall] = field(default_factory=list)
    error: str | None = None  # the judge did not answer
    failed: bool = False  # on_error: error, and the judge did not answer
    rendered: RenderedPrompt | None = None
    messages: list[dict[str, str]] = field(default_factory=list)  # as sent (PII masked)
    #: After an unreadable reply: the reply and the correction appended to ``messages``.
    retry_messages: list[dict[str, str]] = field(default_factory=list)

    @property
    def usage(self) -> Usage:
        fresh = [c for c in self.calls if not c.cached]
        return Usage(
            sum(c.usage.prompt_tokens for c in fresh),
            sum(c.usage.completion_tokens for c in fresh),
            sum(c.usage.cached_tokens for c in fresh),
        )

    @property
    def cost(self) -> float | None:
        total = 0.0
        for call in self.calls:
            if call.cached:
                continue
            if call.cost is None:
                return None
            total += call.cost
        return total

    @property
    def latency_ms(self) -> float:
        return sum(c.latency_ms for c in self.calls)

    @property
    def cached(self) -> bool:
        return bool(self.calls) and all(c.cached for c in self.calls)

    def prompt_sha256(self) -> str | None:
        if not self.messages:
            return None
        text = "\n".join(f"{m['role']}\n{m['content']}" for m in self.messages)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def record(self) -> dict[str, Any]:
        """The judge's part of an item in ``copygen check --format json|jsonl``."""
        return {
            "judged": self.judged,
            "added": len(self.added),
            "dropped": dict(self.dropped),
            "calls": len(self.calls),
            "usage": self.usage.to_dict(),
            "cost": self.cost,
            "latency_ms": round(self.latency_ms, 1),
            "cached": self.cached,
            "error": self.error,
        }


@dataclass
class Judge:
    """The judge of a run. ``settings``: the judge's own (``judge_backend_settings``)."""

    settings: Settings
    backend: Backend
    builder: PromptBuilder
    cache: ResponseCache | None = None
    locale: str | None = None  # messages: zh | en; None: the copy's language

    @property
    def model(self) -> str | None:
        return self.backend.model or self.settings.model

    @property
    def base_url(self) -> str | None:
        from copygen.config import redact_url

        if not self.backend.remote:
            return None
        return redact_url(self.backend.base_url or self.settings.base_url)

    @property
    def params(self) -> dict[str, Any]:
        s = self.settings
        return {
            "temperature": s.temperature,
            "max_tokens": s.max_tokens,
            "seed": s.seed,
            "json_mode": s.json_mode,
            "response_format": s.response_format,
            "response_schema": JUDGE_SCHEMA,
        }

    @property
    def currency(self) -> str | None:
        price = self.settings.price_for(self.model)
        return price.currency if price is not None else None

    def wants(self, result: CheckResult) -> bool:
        """Whether a text with this result is sent: what the rules let through
        (``pass``, ``review``), or everything with ``judge_all``."""
        return self.settings.judge_all or result.status in ("pass", "review")

    async def review(
        self,
        content: str | Mapping[str, Any],
        *,
        result: CheckResult,
        lang: str | None,
        platform: str | None = None,
        product: Any = None,
        item_id: str = "",
    ) -> JudgeOutcome:
        """Judge one text (or a draft's fields) whose rules gave ``result``."""
        outcome = JudgeOutcome(result=result, status_before=result.status)
        if not self.wants(result):
            return outcome
        outcome.judged = True
        copy_lang = lang or "zh"
        locale = self.locale or ("zh" if copy_lang.lower().startswith("zh") else "en")
        rendered = self.builder.render_judge(
            content, lang=copy_lang, platform=platform, product=product
        )
        outcome.rendered = rendered
        sent = [dict(m) for m in rendered.messages]
        if self.backend.remote:
            from copygen.compliance.pii import mask_pii

            sent = [{**m, "content": mask_pii(m["content"])} for m in sent]
        outcome.messages = sent
        request = RequestContext(
            item_id=item_id,
            platform=platform or "",
            lang=copy_lang,
            variant=1,
            seed=self.settings.seed,
        )
        violations = await self._ask(sent, request, outcome, locale)
        if violations is None:
            self._unavailable(outcome, locale)
            return outcome
        items = field_items(content)
        merged = merge_violations(
            result, violations, items, severity=self.settings.judge_severity, locale=locale
        )
        outcome.result = merged.result
        outcome.added = merged.added
        outcome.dropped = merged.dropped
        return outcome

    async def _ask(
        self,
        sent: list[dict[str, str]],
        request: RequestContext,
        outcome: JudgeOutcome,
        locale: str,
    ) -> list[Any] | None:
        """The violations of the reply, or None (and ``outcome.error``) when none came.

        An unreadable reply is asked for again with the reply and a correction appended:
        the same request again would get the same reply from a server at temperature 0.
        """
        key = self._cache_key(sent)
        asked = sent
        for retry in range(REPLY_RETRIES + 1):
            cached = None
            if key is not None and self.cache is not None and retry == 0:
                cached = self.cache.get(key)
            started = time.perf_counter()
            try:
                completion = cached or await self.backend.complete(
                    asked, self.params, context=request
                )
            except BackendError as exc:
                latency = (time.perf_counter() - started) * 1000
                outcome.calls.append(JudgeCall(None, Usage(), 0.0, latency, False, exc.message))
                outcome.error = exc.message
                return None
            call = self._call(completion, started)
            try:
                violations = parse_violations(completion.text)
            except JudgeReplyError as exc:
                outcome.calls.append(_with_error(call, exc.message))
                outcome.error = f"unusable reply: {exc.message} (after {retry + 1} tries)"
                outcome.retry_messages = [
                    {"role": "assistant", "content": completion.text[:MAX_ECHOED_REPLY]},
                    {"role": "user", "content": CORRECTION[locale]},
                ]
                asked = [*sent, *outcome.retry_messages]
                continue
            outcome.calls.append(call)
            outcome.error = None
            if key is not None and self.cache is not None and not completion.cached:
                self.cache.put(key, completion)
            return violations
        return None

    def _call(self, completion: Completion, started: float) -> JudgeCall:
        if completion.cached:
            return JudgeCall(
                completion.text, completion.usage, 0.0, 0.0, True, None, completion.finish_reason
            )
        latency = completion.latency_ms or (time.perf_counter() - started) * 1000
        cost = (
            cost_of(completion.usage, self.settings.price_for(self.model))
            if (self.backend.remote)
            else 0.0
        )
        return JudgeCall(
            completion.text, completion.usage, cost, latency, False, None, completion.finish_reason
        )

    def _cache_key(self, sent: list[dict[str, str]]) -> str | None:
        if self.cache is None:
            return None
        from copygen.backends.cache import cache_key

        return cache_key(
            base_url=self.base_url,
            model=self.model,
            messages=sent,
            params=self.params,
            extra={"purpose": "judge"},
        )

    def _unavailable(self, outcome: JudgeOutcome, locale: str) -> None:
        on_error = self.settings.judge_on_error
        if on_error == "error":
            outcome.failed = True
            return
        severity = "warn" if on_error == "review" else "info"
        finding = unavailable_finding(outcome.error or "", severity=severity, locale=locale)
        outcome.added = [finding]
        outcome.result = CheckResult.from_findings([*outcome.result.findings, finding])


def _with_error(call: JudgeCall, error: str) -> JudgeCall:
    return replace(call, error=error)
