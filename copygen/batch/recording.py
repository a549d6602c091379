"""One round of a batch job through generate's own run.

The round's replies are replayed to :func:`copygen.generate.run.generate` as its
backend (:class:`~copygen.batch.replay.ReplayBackend`, name ``batch``), so each item
is parsed, tidied, checked and recorded exactly as ``generate`` does it, with the
same audit events (``run_started`` ... ``run_finished``, ``backend: "batch"``, the
batch id in each ``generated`` event's response), and results.jsonl, tables and
run.json are generate's. A ``generate`` or ``retry`` round is a generate run with no
repairs (a repair is the next round's request); a ``repair`` round is
``generate --repair`` with one repair each. Prices are the batch prices
(:func:`batch_prices`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from pathlib import Path
from types import MappingProxyType
from typing import Any

from copygen.batch.replay import ReplayBackend, ReplyIndex
from copygen.batch.state import BatchRound, BatchState
from copygen.config import Settings
from copygen.generate.plan import WarningHandler
from copygen.ids import IdTable

__all__ = ["REPLAY_CONCURRENCY", "batch_prices", "collect_round", "run_settings"]

REPLAY_CONCURRENCY = 64


def batch_prices(settings: Settings) -> Settings:
    """The settings with each model's price replaced by its batch price."""
    prices = {model: price.batch_price() for model, price in settings.prices.items()}
    return dataclasses.replace(settings, prices=MappingProxyType(prices))


def run_settings(settings: Settings, round_: BatchRound) -> Settings:
    """The settings of the generate run collecting ``round_``."""
    return dataclasses.replace(
        batch_prices(settings),
        max_repairs=1 if round_.kind == "repair" else 0,
        cache=False,  # every reply is the batch's, never a cached one
        judge=False,
        # Replies are read from a local index, not asked for: no server to spare.
        concurrency=max(settings.concurrency, REPLAY_CONCURRENCY),
    )


def collect_round(
    state: BatchState,
    round_: BatchRound,
    *,
    settings: Settings,
    index: ReplyIndex,
    on_warning: WarningHandler | None = None,
    earlier_runs: Collection[str] = (),
) -> Any:
    """``earlier_runs``: runs that began collecting this round and were stopped."""
    from copygen.generate.run import generate

    backend = ReplayBackend(index, round_.number, model=state.model, base_url=state.base_url)
    repair = round_.kind == "repair"
    return generate(
        input_path=Path(state.input),
        outdir=state.outdir,
        settings=run_settings(settings, round_),
        backend=backend,
        on_warning=on_warning,
        repair=repair,
        # The items this round has replies for: an item flagged since (a retried one)
        # or left without a reply waits for the next round, instead of failing here.
        repair_only=_to_repair(state, round_, index, earlier_runs) if repair else None,
    )


def _to_repair(
    state: BatchState, round_: BatchRound, index: ReplyIndex, earlier_runs: Collection[str]
) -> IdTable:
    """The items of a repair round still to record: those it has replies for, less
    those a stopped collect of this round already repaired (their reply is spent:
    taking it again would count a second repair of the same text)."""
    from copygen.generate.store import ResultStore

    only = IdTable(index.ids(round_.number))
    if earlier_runs:
        for record in ResultStore(state.outdir).iter_records():
            if record.get("run") in earlier_runs:
                only.discard(record["id"])
    return only
