"""generate eases the garbage collector while it runs (frozen heap, fewer young passes),
and only then."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from copygen.audit import verify
from copygen.backends.base import Backend, Completion, RequestContext, Usage
from copygen.config import Settings, load_settings
from copygen.generate.run import RUN_GC_THRESHOLD, generate
from copygen.testing.fake_openai import sample_fields

CSV = "sku,title,category,price\nA-1,保湿面霜 50g,美妆,99\nB-2,全麦吐司 400g,食品,19.9\n"


class FreezeWatcher(Backend):
    """A remote-looking backend that notes the GC freeze count during each call."""

    name = "watcher"
    remote = True

    def __init__(self) -> None:
        self.seen: list[int] = []
        self.thresholds: list[tuple[int, int, int]] = []

    @classmethod
    def from_settings(cls, settings: Settings) -> Backend:
        return cls()

    @property
    def model(self) -> str | None:
        return "watch-model"

    @property
    def base_url(self) -> str | None:
        return "http://127.0.0.1:9/v1"

    async def complete(
        self,
        messages: Sequence[Mapping[str, str]],
        params: Mapping[str, Any],
        *,
        context: RequestContext | None = None,
    ) -> Completion:
        assert context is not None
        self.seen.append(gc.get_freeze_count())
        self.thresholds.append(gc.get_threshold())
        text = json.dumps(sample_fields(context.platform, context.lang), ensure_ascii=False)
        return Completion(text=text, usage=Usage(10, 5), latency_ms=1.0, model="m")


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def _run(tmp_path: Path, name: str) -> FreezeWatcher:
    products = tmp_path / "products.csv"
    products.write_text(CSV, encoding="utf-8")
    backend = FreezeWatcher()
    summary = generate(
        input_path=products,
        outdir=tmp_path / name,
        settings=load_settings(cli={"cache": False, "platforms": "social"}),
        backend=backend,
    )
    assert summary.items == 2
    assert verify(tmp_path / name / "audit.jsonl").ok
    return backend


def test_heap_is_frozen_during_the_run_and_handed_back(tmp_path: Path, unfrozen: None) -> None:
    before = gc.get_threshold()
    backend = _run(tmp_path, "out")
    assert backend.seen and all(count > 0 for count in backend.seen)
    assert gc.get_freeze_count() == 0
    assert all(t[0] >= RUN_GC_THRESHOLD and t[1:] == before[1:] for t in backend.thresholds)
    assert gc.get_threshold() == before


def test_a_higher_threshold_of_the_caller_stands(tmp_path: Path, unfrozen: None) -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(RUN_GC_THRESHOLD * 3, 5, 5)
        backend = _run(tmp_path, "out")
        assert all(t == (RUN_GC_THRESHOLD * 3, 5, 5) for t in backend.thresholds)
        assert gc.get_threshold() == (RUN_GC_THRESHOLD * 3, 5, 5)
    finally:
        gc.set_threshold(*before)


def test_a_callers_own_freeze_is_left_alone(tmp_path: Path, unfrozen: None) -> None:
    gc.freeze()
    before = gc.get_freeze_count()
    assert before > 0
    _run(tmp_path, "out")
    # Still frozen (the count only drops by objects freed meanwhile); the run
    # unfreezing would have made it 0.
    assert gc.get_freeze_count() > before // 2
