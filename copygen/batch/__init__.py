"""Provider batch jobs: ``copygen batch prepare|submit|status|collect``.

The same items as ``copygen generate``, sent as OpenAI batch request files
(``custom_id`` = item id) instead of one request at a time, at the provider's
batch prices. A job lives in its output folder:

- ``batch.json`` (:mod:`copygen.batch.state`): the rounds, their request files,
  file and batch ids, statuses; written atomically after every step.
- ``batch/requests-rN-K.jsonl`` (:mod:`copygen.batch.requests`): request files,
  personal data masked, split at the provider's limits.
- ``batch/output-*.jsonl``, ``batch/errors-*.jsonl``: what the provider returned;
  ``batch/replies.sqlite`` indexes their lines by round and custom_id.
- ``results.jsonl``, ``results.csv``, ``run.json``, ``audit.jsonl``: written by
  generate's own run (:mod:`copygen.batch.recording`), its backend a replay of the
  batch's replies (``backend: "batch"``), so records, checks, repairs and audit
  events are generate's, not a second implementation of them.
"""

from __future__ import annotations

from copygen.batch.jobs import (
    BatchStatusReport,
    collect,
    collect_exit_code,
    prepare,
    status,
    submit,
)

__all__ = ["BatchStatusReport", "collect", "collect_exit_code", "prepare", "status", "submit"]
