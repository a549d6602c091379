"""``copygen check --judge``: the judge as the checker's second opinion.

:func:`check_judge` builds it from the settings (a judge that cannot be built is a
usage error before anything is checked); the checker calls it with every input's
rule result, and it reads them all concurrently (the judge's ``concurrency``, rate
limit and retries) on one event loop.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from copygen.errors import BackendError
from copygen.judge.runner import Judge, JudgeOutcome
from copygen.judge.setup import create_judge_backend, judge_backend_settings

if TYPE_CHECKING:
    from copygen.backends.cache import ResponseCache
    from copygen.compliance.check_run import CheckRequest
    from copygen.compliance.engine import Checker
    from copygen.compliance.findings import CheckResult
    from copygen.config import Settings

__all__ = ["CheckJudge", "check_judge", "judge_totals"]


class CheckJudge:
    """A ``SecondOpinion`` for ``copygen.compliance.check_run.run_check``."""

    def __init__(self, settings: Settings, *, locale: str | None = None) -> None:
        self.settings = settings
        self.judge_settings = judge_backend_settings(settings)
        self.backend = create_judge_backend(self.judge_settings, settings, None)
        self.locale = locale
        self._cache: ResponseCache | None = None

    def __call__(
        self, checker: Checker, requests: Sequence[CheckRequest], results: list[CheckResult]
    ) -> tuple[list[CheckResult], list[dict[str, Any]], dict[str, Any]]:
        from copygen.writing.prompts import PromptBuilder

        if self._cache is None and self.settings.cache and self.backend.remote:
            from copygen.backends.cache import ResponseCache

            # Opened once: `check` calls the judge again for every chunk of its input.
            self._cache = ResponseCache.from_settings(self.settings)
        judge = Judge(
            settings=self.judge_settings,
            backend=self.backend,
            builder=PromptBuilder(settings=self.settings, ruleset=checker.ruleset),
            cache=self._cache,
            locale=self.locale,
        )
        outcomes = asyncio.run(self._all(judge, requests, results))
        failed = [o for o in outcomes if o.failed]
        if failed:
            raise BackendError(
                f"the judge did not answer for {len(failed)} of {len(outcomes)} texts: "
                f"{failed[0].error}",
                hint="judge: on_error: review keeps such texts for a person instead",
            )
        overall = judge_totals(outcomes)
        overall["model"] = judge.model
        price = self.judge_settings.price_for(judge.model)
        overall["currency"] = price.currency if price is not None else None
        return [o.result for o in outcomes], [o.record() for o in outcomes], overall

    async def _all(
        self, judge: Judge, requests: Sequence[CheckRequest], results: list[CheckResult]
    ) -> list[JudgeOutcome]:
        """Every outcome, in input order; ``concurrency`` workers take the next input as
        they finish one, so a million inputs do not become a million waiting tasks."""
        outcomes: list[JudgeOutcome | None] = [None] * len(requests)
        pending = iter(enumerate(zip(requests, results, strict=True)))

        async def worker() -> None:
            for n, (request, result) in pending:
                outcomes[n] = await judge.review(
                    request.item.content,
                    result=result,
                    lang=request.lang or _lang_of(request.item.content),
                    platform=request.platform,
                    product=request.product,
                    item_id=str(request.item.id),
                )

        workers = max(1, min(self.judge_settings.concurrency, len(requests)))
        try:
            await asyncio.gather(*(worker() for _ in range(workers)))
        finally:
            await self.backend.aclose()
        return [o for o in outcomes if o is not None]


def check_judge(settings: Settings, *, locale: str | None = None) -> CheckJudge | None:
    """The judge ``copygen check`` runs, or None when ``--judge`` is off."""
    return CheckJudge(settings, locale=locale) if settings.judge else None


def judge_totals(outcomes: Sequence[JudgeOutcome]) -> dict[str, Any]:
    """What the judge did over many texts: counts, tokens, cost and cost per text."""
    dropped: Counter[str] = Counter()
    for outcome in outcomes:
        dropped.update(outcome.dropped)
    judged = [o for o in outcomes if o.judged]
    costs = [o.cost for o in judged]
    cost = None if any(c is None for c in costs) else sum(c or 0.0 for c in costs)
    return {
        "texts": len(outcomes),
        "judged": len(judged),
        "added": sum(len(o.added) for o in outcomes),
        "dropped": dict(dropped),
        "errors": sum(1 for o in judged if o.error is not None),
        "calls": sum(len(o.calls) for o in outcomes),
        "tokens_in": sum(o.usage.prompt_tokens for o in outcomes),
        "tokens_out": sum(o.usage.completion_tokens for o in outcomes),
        "cost": cost,
        "cost_per_text": (cost / len(judged)) if cost is not None and judged else None,
        "latency_ms": round(sum(o.latency_ms for o in outcomes), 1),
    }


def _lang_of(content: Any) -> str:
    from copygen.compliance.normalize import has_cjk

    text = content if isinstance(content, str) else " ".join(map(str, content.values()))
    return "zh" if has_cjk(text) else "en"
