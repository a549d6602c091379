"""copygen's one place for retries, backoff, the global rate-limit pause and the rpm limit.

A backend turns a failure it considers temporary into ``TransientError`` (with the
server's ``Retry-After`` when there was one); ``with_retries`` waits and tries again up
to the policy's limit, then raises ``BackendError`` with the last reason.

Two pieces are shared by every task of a run, so that the run behaves as one client:

* ``PauseGate``: on a 429 the whole backend pauses until the server's ``Retry-After``
  (or the backoff) has passed; tasks that were about to send wait too, instead of
  each of them hitting the limit again.
* ``RateLimiter``: an optional requests-per-minute limit (a token bucket, GCRA form)
  that spaces requests evenly across tasks.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TypeVar

from copygen.errors import BackendError

T = TypeVar("T")

#: HTTP statuses worth retrying: timeout, conflict, rate limit and every server error.
RETRIABLE_STATUSES = frozenset({408, 409, 429})


def is_retriable_status(status: int) -> bool:
    return status in RETRIABLE_STATUSES or status >= 500


class TransientError(Exception):
    """A failure worth retrying.

    ``retry_after``: seconds the server asked to wait. ``rate_limited``: pause every task,
    not just this one. ``kind``/``limit``: failures of one kind may have a smaller retry
    budget than the policy's (an empty reply is retried at most twice).
    """

    def __init__(
        self,
        reason: str,
        *,
        retry_after: float | None = None,
        rate_limited: bool = False,
        kind: str = "transient",
        limit: int | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.rate_limited = rate_limited
        self.kind = kind
        self.limit = limit


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait.

    Backoff before retry ``n`` (0-based) is ``min(max_delay, base_delay * 2**n)`` with
    "equal jitter" (half fixed, half random), so bursts of failing tasks spread out. A
    server's ``Retry-After`` replaces the backoff, capped at ``max_retry_after``.
    """

    max_retries: int = 4
    base_delay: float = 0.5
    max_delay: float = 20.0
    max_retry_after: float = 60.0

    def backoff(self, retry: int, rng: random.Random | None = None) -> float:
        ceiling = min(self.max_delay, self.base_delay * (2**retry))
        draw = (rng or random).random()
        return ceiling / 2 + draw * ceiling / 2

    def delay(
        self, retry: int, retry_after: float | None, rng: random.Random | None = None
    ) -> float:
        if retry_after is not None and retry_after >= 0:
            # Honour the server, plus a little jitter so paused tasks do not stampede.
            waited = min(retry_after, self.max_retry_after)
            return waited + (rng or random).random() * min(0.1 * waited, 1.0)
        return self.backoff(retry, rng)


def parse_retry_after(
    headers: Mapping[str, str] | None, *, now: float | None = None
) -> float | None:
    """Seconds to wait from ``retry-after-ms``, or ``Retry-After`` (seconds or an HTTP date)."""
    if not headers:
        return None
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis:
        try:
            value = float(millis) / 1000
            if value >= 0:
                return value
        except ValueError:
            pass
    raw = lowered.get("retry-after")
    if not raw:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        current = datetime.now(timezone.utc).timestamp() if now is None else now
        return max(0.0, when.timestamp() - current)
    return seconds if seconds >= 0 else None


class PauseGate:
    """A pause shared by all tasks: ``pause(s)`` holds every ``wait()`` for ``s`` seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until = 0.0
        self.pauses = 0  # how often a pause was started or extended, for stats and tests

    def pause(self, seconds: float) -> None:
        until = self._clock() + max(0.0, seconds)
        if until > self._until:
            self._until = until
            self.pauses += 1

    @property
    def remaining(self) -> float:
        return max(0.0, self._until - self._clock())

    async def wait(self) -> None:
        # A loop, because another task may extend the pause while we sleep.
        while (left := self._until - self._clock()) > 0:
            await asyncio.sleep(left)


class RateLimiter:
    """At most ``rpm`` requests a minute, spaced evenly; ``burst`` may go back to back."""

    def __init__(
        self, rpm: int, *, burst: int = 1, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rpm < 1:
            raise ValueError("rpm must be at least 1")
        self.rpm = rpm
        self.interval = 60.0 / rpm
        self.burst = max(1, burst)
        self._clock = clock
        self._tat = 0.0  # theoretical arrival time of the next request (GCRA)

    def reserve(self) -> float:
        """Book the next slot; returns the seconds to wait before using it."""
        now = self._clock()
        tat = max(self._tat, now)
        start = max(now, tat - (self.burst - 1) * self.interval)
        self._tat = tat + self.interval
        return start - now

    async def acquire(self) -> None:
        delay = self.reserve()
        if delay > 0:
            await asyncio.sleep(delay)


@dataclass
class RetryStats:
    """Counters of one backend, for the run summary and tests."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    failures: int = 0


async def with_retries(
    attempt: Callable[[int], Awaitable[T]],
    *,
    policy: RetryPolicy,
    gate: PauseGate | None = None,
    limiter: RateLimiter | None = None,
    stats: RetryStats | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    rng: random.Random | None = None,
) -> T:
    """Run ``attempt(n)`` (n = 0, 1, ...) until it returns or fails for good.

    ``TransientError`` is retried; anything else propagates at once. The final failure
    is a ``BackendError`` naming the reason and the number of attempts.
    """
    retries = 0
    per_kind: dict[str, int] = {}
    while True:
        if gate is not None:
            await gate.wait()
        if limiter is not None:
            await limiter.acquire()
        if stats is not None:
            stats.requests += 1
        try:
            return await attempt(retries)
        except TransientError as exc:
            if exc.rate_limited and stats is not None:
                stats.rate_limited += 1
            used = per_kind.get(exc.kind, 0)
            budget = policy.max_retries if exc.limit is None else min(exc.limit, policy.max_retries)
            if retries >= policy.max_retries or used >= budget:
                if stats is not None:
                    stats.failures += 1
                tries = retries + 1
                raise BackendError(
                    f"{exc.reason} (gave up after {tries} attempt{'s' if tries > 1 else ''})"
                ) from None
            per_kind[exc.kind] = used + 1
            delay = policy.delay(retries, exc.retry_after, rng)
            retries += 1
            if stats is not None:
                stats.retries += 1
            if exc.rate_limited and gate is not None:
                gate.pause(delay)  # everyone waits; the loop's gate.wait() does the sleeping
            else:
                await sleep(delay)
