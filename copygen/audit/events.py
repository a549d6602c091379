"""The payload of each event type: what writers put in, what readers may rely on.

Every event also carries the envelope the log adds itself: ``v``, ``seq``, ``ts``,
``run``, ``event``, ``prev``, ``hash``, and ``mac`` in a keyed log. The TypedDicts
below are documentation and type hints for writers
(``log.append("checked", **Checked(...))``); keys are all optional to the log,
which writes what it is given, but the readers named here (``copygen audit
stats``/``show``, the report, the record proofs) read exactly these names.

=============  =================================================================
event          payload
=============  =================================================================
run_started    command, version, settings (Settings.public_dict()), input {path,
               sha256, rows}, rules_hash, platforms, variants, backend, model,
               resumed, mode (generate|repair), flagged (items a repair run takes)
generated      item, sku, platform, lang, variant, attempt, template,
               template_hash, messages (PII-masked by the log), backend, model,
               base_url, params, response (raw text), usage {prompt_tokens,
               completion_tokens, total_tokens}, cost, currency, latency_ms,
               cached, error (reason, when the call failed; response null)
judged         item, attempt, backend, model, base_url, template, template_hash,
               prompt_sha256, messages (PII-masked), params, responses (raw reply
               texts, one per call) and their finish_reasons, retry_messages
               (after an unreadable reply: it and the correction sent), usage,
               cost, currency, latency_ms, cached,
               status_before (the rules' status), status (after the judge),
               added (judge findings, Finding.to_dict()), dropped {reason: count},
               error (when the judge did not answer); before the attempt's
               ``checked`` event, whose findings include the judge's
checked        item, attempt, rules_hash, status (pass|review|blocked), findings
               (Finding.to_dict() list), fields (the parsed fields checked, after
               tidying), tidied (what code mended before checking: notes),
               recheck (a repair run checking a recorded draft again)
repaired       item, attempt (the repair attempt, >= 2), from_attempt (the draft
               it repairs), findings_fixed / findings_remaining (rule ids), status,
               kept (the attempt kept after it: the repair, or an earlier draft
               with fewer block, then warn findings)
recorded       item, status, record_sha256 (of the item's results.jsonl record,
               :func:`copygen.audit.chain.record_sha256`): the item's last event
               in a run, on disk before its result line; replaces_sha256 (the
               record a repair run replaces)
reviewed       item, reviewer, decision (approved|rejected|undone), reason, forced,
               edited, before {status, fields}, after {status, fields},
               replaces_sha256 (the record decided on), record_sha256 (the record
               written); see :mod:`copygen.audit.binding`
exported       path, format, items (count), sha256 (of the written file), labels
run_finished   counts {total, pass, review, blocked, error, ...}, usage, cost,
               currency, duration_ms (the CLI prints ``log.head`` after it),
               mode, repair (what a repair run did: flagged, pass, review, ...)
recovered      action (truncated|completed), offset, removed_bytes,
               removed_sha256, removed_prefix, bytes, reason (written by the log)
merged         command (merge), version, count (N), partial, missing (shard
               numbers absent), records, results_sha256 (the merged file),
               fingerprint_sha256, shards [{folder, shard ("I/N"), index,
               count, audit (the byte-for-byte copy, relative to this log),
               head, events, records, results_sha256}]: the first event of a
               ``copygen merge`` folder's log; the record proofs also read the
               shards' logs it lists (:mod:`copygen.audit.binding`)
batch_prepared command (batch prepared), round, kind (generate|retry|repair),
               format (openai|vllm), model, input {path, sha256} (round 1),
               requests, files [{path, requests, bytes, file_id, batch_id}]
batch_submitted
               command, round, kind, path, requests, bytes, file_id, batch_id
batch_collected
               command, round, kind, batch_ids, run_id (the generate run that
               recorded the round: its events carry ``backend: "batch"``),
               counts (that run's), source (provider or the --from file)
=============  =================================================================
"""

from __future__ import annotations

from typing import Any, TypedDict


class Usage(TypedDict, total=False):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class RunStarted(TypedDict, total=False):
    command: str  # generate | review | export | ...
    version: str  # copygen.__version__
    settings: dict[str, Any]  # Settings.public_dict(): secrets already masked
    input: dict[str, Any] | None  # {"path", "sha256", "rows"}
    rules_hash: str
    platforms: list[str]
    variants: int
    backend: str
    model: str | None
    resumed: bool
    mode: str  # generate | repair
    flagged: int


class Generated(TypedDict, total=False):
    item: str  # "{sku}:{platform}:{lang}:v{variant}"
    sku: str
    platform: str
    lang: str
    variant: int
    attempt: int  # 1, then 2, 3, ... for repairs
    template: str
    template_hash: str
    messages: list[dict[str, Any]]  # [{"role", "content"}], masked for PII by the log
    backend: str
    model: str | None
    base_url: str | None
    params: dict[str, Any]  # temperature, max_tokens, seed, json_mode, ...
    response: str | None  # the raw reply text
    usage: Usage | None
    cost: float | None
    currency: str | None
    latency_ms: float
    cached: bool
    error: str | None


class Checked(TypedDict, total=False):
    item: str
    attempt: int
    rules_hash: str
    status: str  # pass | review | blocked
    findings: list[dict[str, Any]]  # Finding.to_dict()
    fields: dict[str, Any]
    tidied: list[str]
    recheck: bool


class Judged(TypedDict, total=False):
    item: str
    attempt: int
    backend: str
    model: str | None
    base_url: str | None
    template: str
    template_hash: str
    prompt_sha256: str | None
    messages: list[dict[str, Any]]
    params: dict[str, Any]
    responses: list[str | None]
    finish_reasons: list[str | None]
    retry_messages: list[dict[str, Any]]
    usage: Usage
    cost: float | None
    currency: str | None
    latency_ms: float
    cached: bool
    status_before: str
    status: str
    added: list[dict[str, Any]]
    dropped: dict[str, int]
    error: str | None


class Repaired(TypedDict, total=False):
    item: str
    attempt: int
    from_attempt: int
    findings_fixed: list[str]
    findings_remaining: list[str]
    status: str
    kept: int


class Recorded(TypedDict, total=False):
    item: str
    status: str  # pass | review | blocked | error
    record_sha256: str
    replaces_sha256: str


class ReviewState(TypedDict, total=False):
    status: str
    fields: dict[str, Any]


class Reviewed(TypedDict, total=False):
    item: str
    reviewer: str
    decision: str  # approved | rejected
    reason: str | None
    forced: bool
    edited: bool
    before: ReviewState
    after: ReviewState
    replaces_sha256: str
    record_sha256: str


class Exported(TypedDict, total=False):
    path: str
    format: str
    items: int
    sha256: str
    labels: bool


class RunFinished(TypedDict, total=False):
    counts: dict[str, int]
    usage: Usage
    cost: float | None
    currency: str | None
    duration_ms: float
    mode: str
    repair: dict[str, int]


class Recovered(TypedDict, total=False):
    action: str  # truncated | completed
    offset: int
    removed_bytes: int
    removed_sha256: str
    removed_prefix: str
    bytes: int
    reason: str


class MergedShard(TypedDict, total=False):
    folder: str  # the input folder's name
    shard: str  # "I/N"
    index: int
    count: int
    audit: str  # the copy of its log, relative to the merged log's folder
    head: str  # that log's head hash when merged
    events: int
    records: int
    results_sha256: str  # of the shard's results.jsonl


class Merged(TypedDict, total=False):
    command: str  # merge
    version: str
    count: int  # N
    partial: bool
    missing: list[int]
    records: int
    results_sha256: str
    fingerprint_sha256: str
    shards: list[MergedShard]


class BatchFileEvent(TypedDict, total=False):
    path: str
    requests: int
    bytes: int
    file_id: str | None
    batch_id: str | None


class BatchPrepared(TypedDict, total=False):
    command: str
    round: int
    kind: str  # generate | retry | repair
    format: str  # openai | vllm
    model: str | None
    input: dict[str, str]
    requests: int
    files: list[BatchFileEvent]


class BatchSubmitted(BatchFileEvent, total=False):
    command: str
    round: int
    kind: str


class BatchCollected(TypedDict, total=False):
    command: str
    round: int
    kind: str
    batch_ids: list[str | None]
    run_id: str | None
    counts: dict[str, int]
    source: str


PAYLOADS: dict[str, type] = {
    "run_started": RunStarted,
    "generated": Generated,
    "checked": Checked,
    "repaired": Repaired,
    "reviewed": Reviewed,
    "exported": Exported,
    "run_finished": RunFinished,
    "recovered": Recovered,
    "recorded": Recorded,
    "merged": Merged,
    "batch_prepared": BatchPrepared,
    "batch_submitted": BatchSubmitted,
    "batch_collected": BatchCollected,
}
