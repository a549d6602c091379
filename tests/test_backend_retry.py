"""The retry module alone: Retry-After parsing, backoff, the pause gate, the rpm limiter."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import datetime, timezone
from email.utils import format_datetime

import pytest

from copygen.backends.retry import (
    PauseGate,
    RateLimiter,
    RetryPolicy,
    RetryStats,
    TransientError,
    is_retriable_status,
    parse_retry_after,
    with_retries,
)
from copygen.errors import BackendError


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "2"}, 2.0),
        ({"retry-after": "0.25"}, 0.25),
        ({"Retry-After": " 3 "}, 3.0),
        ({"retry-after-ms": "150", "retry-after": "9"}, 0.15),
        ({"Retry-After": "-1"}, None),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": ""}, None),
        ({}, None),
        (None, None),
    ],
)
def test_parse_retry_after_seconds(headers: dict[str, str] | None, expected: float | None) -> None:
    assert parse_retry_after(headers) == expected


def test_parse_retry_after_http_date() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    later = format_datetime(datetime(2026, 1, 2, 3, 4, 35, tzinfo=timezone.utc), usegmt=True)
    assert parse_retry_after({"Retry-After": later}, now=now.timestamp()) == pytest.approx(30)
    earlier = format_datetime(datetime(2026, 1, 2, 3, 0, 0, tzinfo=timezone.utc), usegmt=True)
    assert parse_retry_after({"Retry-After": earlier}, now=now.timestamp()) == 0.0


@pytest.mark.parametrize(
    ("status", "retriable"),
    [
        *[(408, True), (409, True), (429, True), (500, True), (503, True), (599, True)],
        *[(400, False), (401, False), (403, False), (404, False), (422, False)],
    ],
)
def test_retriable_statuses(status: int, retriable: bool) -> None:
    assert is_retriable_status(status) is retriable


def test_backoff_grows_is_jittered_and_capped() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0)
    rng = random.Random(1)
    for retry, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (6, 4.0)]:
        draws = [policy.backoff(retry, rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in draws)
        assert max(draws) - min(draws) > ceiling / 4  # really random


def test_delay_prefers_retry_after_and_caps_it() -> None:
    policy = RetryPolicy(max_retry_after=5.0)
    rng = random.Random(2)
    assert 2.0 <= policy.delay(0, 2.0, rng) <= 2.2
    assert 5.0 <= policy.delay(0, 500.0, rng) <= 5.5
    assert 0.25 <= policy.delay(0, None, rng) <= 0.5


def test_rate_limiter_spacing_and_burst() -> None:
    now = [100.0]
    limiter = RateLimiter(60, clock=lambda: now[0])  # one a second
    assert [limiter.reserve() for _ in range(3)] == [0.0, 1.0, 2.0]
    now[0] = 110.0  # idle time does not bank more than the burst
    assert [limiter.reserve() for _ in range(2)] == [0.0, 1.0]
    bursty = RateLimiter(60, burst=3, clock=lambda: now[0])
    assert [bursty.reserve() for _ in range(5)] == [0.0, 0.0, 0.0, 1.0, 2.0]
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_pause_gate_holds_every_waiter_and_can_be_extended() -> None:
    async def scenario() -> list[float]:
        gate = PauseGate()
        started = time.monotonic()
        gate.pause(0.1)
        gate.pause(0.05)  # shorter: does not shorten the pause
        assert gate.pauses == 1

        async def waiter() -> float:
            await gate.wait()
            return time.monotonic() - started

        async def extend() -> None:
            await asyncio.sleep(0.05)
            gate.pause(0.15)  # now until ~0.2

        results = await asyncio.gather(waiter(), waiter(), extend())
        return [r for r in results if isinstance(r, float)]

    waits = asyncio.run(scenario())
    assert len(waits) == 2
    assert all(0.19 <= w < 0.5 for w in waits)


def _flaky(failures: list[BaseException]) -> tuple[list[int], object]:
    calls: list[int] = []

    async def attempt(retry: int) -> str:
        calls.append(retry)
        if failures:
            raise failures.pop(0)
        return "ok"

    return calls, attempt


def test_with_retries_retries_transient_errors_then_succeeds() -> None:
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    calls, attempt = _flaky([TransientError("HTTP 500"), TransientError("HTTP 502")])
    stats = RetryStats()
    result = asyncio.run(
        with_retries(
            attempt,  # type: ignore[arg-type]
            policy=RetryPolicy(max_retries=3, base_delay=1.0, max_delay=8.0),
            stats=stats,
            sleep=fake_sleep,
            rng=random.Random(0),
        )
    )
    assert result == "ok"
    assert calls == [0, 1, 2]
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0
    assert (stats.requests, stats.retries, stats.failures) == (3, 2, 0)


def test_with_retries_gives_up_with_the_last_reason() -> None:
    async def no_sleep(seconds: float) -> None:
        return None

    calls, attempt = _flaky([TransientError(f"HTTP 503 #{i}") for i in range(10)])
    with pytest.raises(BackendError, match=r"HTTP 503 #2 \(gave up after 3 attempts\)"):
        asyncio.run(
            with_retries(attempt, policy=RetryPolicy(max_retries=2), sleep=no_sleep)  # type: ignore[arg-type]
        )
    assert calls == [0, 1, 2]


def test_per_kind_limit_is_smaller_than_the_policy() -> None:
    async def no_sleep(seconds: float) -> None:
        return None

    failures: list[BaseException] = [TransientError("empty reply", kind="empty", limit=1)] * 5
    calls, attempt = _flaky(list(failures))
    with pytest.raises(BackendError, match="gave up after 2 attempts"):
        asyncio.run(
            with_retries(attempt, policy=RetryPolicy(max_retries=5), sleep=no_sleep)  # type: ignore[arg-type]
        )
    assert len(calls) == 2


def test_other_errors_propagate_at_once() -> None:
    calls, attempt = _flaky([BackendError("HTTP 400: bad")])
    with pytest.raises(BackendError, match="HTTP 400: bad"):
        asyncio.run(with_retries(attempt, policy=RetryPolicy(max_retries=5)))  # type: ignore[arg-type]
    assert calls == [0]


def test_rate_limited_error_pauses_the_gate_instead_of_sleeping_alone() -> None:
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    gate = PauseGate()
    calls, attempt = _flaky([TransientError("HTTP 429", retry_after=0.05, rate_limited=True)])
    stats = RetryStats()
    started = time.monotonic()
    asyncio.run(
        with_retries(
            attempt,  # type: ignore[arg-type]
            policy=RetryPolicy(),
            gate=gate,
            stats=stats,
            sleep=fake_sleep,
        )
    )
    assert calls == [0, 1]
    assert sleeps == []  # the wait happened in the shared gate
    assert gate.pauses == 1
    assert time.monotonic() - started >= 0.05
    assert stats.rate_limited == 1
