"""The run: product rows in, checked and logged records out (``copygen generate``).

- ``plan``: which items a product file yields (row x platform x variant) and their ids
- ``masking``: personal data masked in prompts for remote models, placeholders caught
- ``item``: one item from row to record (render, complete, parse, check, repair)
- ``loop``: the asyncio loop that runs items concurrently and stops cleanly on a signal
- ``run``: :func:`generate` — the output folder, resume, run events, tables, summary
- ``events``: the run's audit events and the writer that fsyncs them in groups
- ``workers``: optional forked processes that render and check
- ``store``: ``results.jsonl``, appended as items complete, repaired after a crash
- ``manifest``: the run's fingerprint, so a resumed run has the same settings
- ``tables``: ``results.csv`` / ``results.xlsx`` rebuilt from the store (drafted ahead)
- ``summary``: the end-of-run numbers; ``progress``: the progress bar or lines
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from copygen.generate.run import generate
    from copygen.generate.store import ResultStore
    from copygen.generate.summary import RunSummary

__all__ = ["ResultStore", "RunSummary", "generate"]

_LAZY = {
    "generate": "copygen.generate.run",
    "ResultStore": "copygen.generate.store",
    "RunSummary": "copygen.generate.summary",
}


def __getattr__(name: str) -> Any:
    # Lazy so that importing one module of the package (the store, from review)
    # does not load the whole run.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'copygen.generate' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
