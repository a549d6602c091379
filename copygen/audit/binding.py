"""Records that prove themselves: each ``results.jsonl`` record against the audit log.

Every record's SHA-256 (:func:`~copygen.audit.chain.record_sha256`) is logged by
the event that produced it: ``recorded`` (the item's last event in a generate run,
fsynced before its result line; in a ``generate --repair`` run with
``replaces_sha256``, the record it repaired) or ``reviewed`` (a decision, an edit or an undo:
``record_sha256`` of the new record, ``replaces_sha256`` of the one it replaced).
Reading the log in order gives, per item, the states copygen produced and which
of them are still *current* (not replaced by a later decision).

A record is

- **proven** when its hash is a current state of its item;
- a **mismatch** when the log contradicts it: its hash was never logged for that
  item (the record was edited: a status flipped, a text changed), it is a state a
  later decision replaced (an old record pasted back), it comes from a decision
  made on a record the log never held, or the log has never heard of its id;
- **unproven** when the log cannot say: there is no log, the log holds no
  ``recorded`` event at all (written before copygen logged record hashes), or the
  item was generated without one (by such a copygen, into a shared log).

A review decision only counts when the record it was made on was a state the log
holds: deciding on an edited record does not launder the edit. Several folders may
share one log (``--audit``): a record matches its own item's states, whichever
folder wrote them, so copying a record between folders of the same items is the
one edit this cannot tell apart (both were states copygen produced and checked).

A folder written by ``copygen merge`` has a log that starts with a ``merged`` event
listing the shards' logs (copied byte for byte next to it) and the head hash each
had. Its records were recorded in those logs, and its review decisions go into its
own: the shards' logs are read first (each must verify and still end at the head
the merge recorded), then the folder's own.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copygen.audit.chain import record_sha256
from copygen.errors import AuditError

if TYPE_CHECKING:
    from copygen.audit.key import AuditKey, Checkpoint
    from copygen.audit.verify import VerifyReport

__all__ = [
    "Mismatch",
    "RecordIndex",
    "RecordProof",
    "prove_records",
]

_LISTED = 5  # item ids named in a one-line error; the rest are counted
_ID_CHARS = 80  # an id is shown this long at most: results.jsonl may hold anything

EDITED = "edited after it was logged"
REPLACED = "replaced by a later decision in the log"
UNBACKED = "decided on a record the log never held"
NOT_LOGGED = "not in the audit log"
_PRODUCING = frozenset({"generated", "checked", "judged", "repaired"})


@dataclass
class _States:
    known: set[str] = field(default_factory=set)  # every state logged for the item
    current: set[str] = field(default_factory=set)  # not replaced since
    unbacked: set[str] = field(default_factory=set)  # decided on an unlogged record


class RecordIndex:
    """What the log says about the record of each item in ``ids`` (None: all items).

    Feed it every intact event in file order (:meth:`observe`, or as the
    ``observe`` callback of :func:`copygen.audit.verify`).
    """

    def __init__(self, ids: Collection[str] | None = None) -> None:
        self._ids = ids
        self._states: dict[str, _States] = {}
        self.produced: set[str] = set()  # items with generated/checked/repaired events
        self.recorded = 0  # ``recorded`` events, of any item

    def observe(self, event: Mapping[str, Any], line: int = 0) -> None:
        kind = event.get("event")
        if kind == "recorded":
            self.recorded += 1
        item = event.get("item")
        if not isinstance(item, str) or (self._ids is not None and item not in self._ids):
            return
        if kind in _PRODUCING:
            self.produced.add(item)
        digest = event.get("record_sha256")
        if not isinstance(digest, str):
            return
        states = self._states.setdefault(item, _States())
        if kind == "recorded":
            # A `generate --repair` record replaces the one it repaired: the old one
            # pasted back is no longer the item's state.
            replaced = event.get("replaces_sha256")
            if isinstance(replaced, str):
                states.current.discard(replaced)
            states.known.add(digest)
            states.current.add(digest)
        elif kind == "reviewed":
            replaced = event.get("replaces_sha256")
            if isinstance(replaced, str) and replaced in states.known:
                states.current.discard(replaced)
                states.known.add(digest)
                states.current.add(digest)
            else:
                states.unbacked.add(digest)

    def judge(self, item_id: str, digest: str) -> str | None:
        """None when proven; else ``"unproven"`` or a mismatch reason."""
        states = self._states.get(item_id)
        if states is not None and states.known:
            if digest in states.current:
                return None
            if digest in states.known:
                return REPLACED
            if digest in states.unbacked:
                return UNBACKED
            return EDITED
        if not self.recorded or item_id in self.produced:
            return "unproven"  # the log, or this item's part of it, predates record hashes
        if states is not None and digest in states.unbacked:
            return UNBACKED
        return NOT_LOGGED


@dataclass(frozen=True)
class Mismatch:
    line: int  # in results.jsonl
    item: str
    reason: str


@dataclass
class RecordProof:
    """The records of a folder judged against its audit log."""

    results: Path
    log: Path
    report: VerifyReport | None  # None: no log
    total: int = 0
    proven: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    unproven: list[str] = field(default_factory=list)

    @property
    def chain_ok(self) -> bool:
        return self.report is not None and self.report.ok

    @property
    def ok(self) -> bool:
        """Every record proven by an intact log."""
        return self.chain_ok and not self.mismatches and not self.unproven

    def chain_error(self) -> AuditError:
        assert self.report is not None and not self.report.ok
        return AuditError(
            f"the audit log fails verification: {self.report.reason}",
            file=self.log,
            row=self.report.line,
            hint="records cannot be proven against it; run `copygen audit verify`",
        )

    def mismatch_error(self) -> AuditError:
        shown = ", ".join(
            f"{_short(m.item)} (line {m.line}: {m.reason})" for m in self.mismatches[:_LISTED]
        )
        more = len(self.mismatches) - _LISTED
        if more > 0:
            shown += f", … and {more} more"
        count = len(self.mismatches)
        return AuditError(
            f"does not match the audit log {self.log} for {count} "
            f"item{'' if count == 1 else 's'}: {shown}",
            file=self.results,
            hint="change records through `copygen review`, never by hand",
        )

    def unproven_text(self) -> str:
        count = len(self.unproven)
        items = f"{count} record{'' if count == 1 else 's'}"
        if self.report is None:
            return f"{items} cannot be proven: there is no audit log at {self.log}"
        return (
            f"{items} cannot be proven: the audit log {self.log} holds no record hashes for "
            "them (written before copygen logged them)"
        )

    def unproven_error(self, *, keyed: bool) -> AuditError:
        why = "; a keyed setup accepts only records a keyed log proves" if keyed else ""
        return AuditError(self.unproven_text() + why, file=self.results)

    def enforce(self, *, keyed: bool, chain: bool = True) -> str | None:
        """Raise AuditError (exit 4) for what a command must refuse; else a warning or None.

        Refused: a log that fails verification (unless ``chain`` is False: the
        records are then judged against its intact beginning), any mismatch, and,
        with an audit key in force (``keyed``), any unproven record: a keyed setup
        promises proof, and a missing or older log is what someone without the
        key would leave behind. Without a key, unproven records come back as a
        warning: nothing stops such a person from rewriting an unkeyed log anyway.
        """
        if self.report is not None and not self.report.ok and (chain or keyed):
            raise self.chain_error()
        if self.mismatches:
            raise self.mismatch_error()
        if self.unproven:
            if keyed:
                raise self.unproven_error(keyed=True)
            return self.unproven_text()
        return None

    def summary(self) -> str:
        return f"{self.results.name}: {self.proven} of {self.total} records proven"

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "proven": self.proven,
            "mismatched": len(self.mismatches),
            "unproven": len(self.unproven),
        }


def _short(item: str) -> str:
    return item if len(item) <= _ID_CHARS else item[: _ID_CHARS - 1] + "…"


def merged_shards(log: Path) -> list[dict[str, Any]]:
    """The shards a merged folder's log lists in its first event (``merged``); else [].

    Only a peek: the event is trusted once :func:`~copygen.audit.verify.verify` has
    checked the whole log, which :func:`prove_records` always does after this.
    """
    try:
        with open(log, "rb") as handle:
            first = handle.readline(1 << 20)
        event = json.loads(first)
    except (OSError, ValueError):
        return []
    if not isinstance(event, dict) or event.get("event") != "merged":
        return []
    shards = event.get("shards")
    return [s for s in shards if isinstance(s, dict)] if isinstance(shards, list) else []


def _observe_shards(log: Path, index: RecordIndex, *, key: AuditKey | None) -> VerifyReport | None:
    """Feed the logs of a merged folder's shards to ``index``; the first failure, or None.

    A shard log must verify and end exactly at the head the merge recorded: one cut
    short or grown since is not the log the merge checked.
    """
    from dataclasses import replace

    from copygen.audit.verify import verify

    failure: VerifyReport | None = None
    for shard in merged_shards(log):
        name = shard.get("audit")
        if not isinstance(name, str):
            continue
        path = log.parent / name
        # The copies live under the merged folder; a listed path leading elsewhere
        # is not one the merge wrote.
        inside = path.resolve().is_relative_to(log.parent.resolve())
        if not inside or not path.is_file():
            from copygen.audit.chain import GENESIS
            from copygen.audit.verify import VerifyReport

            missing = VerifyReport(
                False, 0, 0, GENESIS, None, "a shard log the merge lists is missing", str(path)
            )
            failure = failure or missing
            continue
        report = verify(path, key=key, observe=index.observe)
        if report.ok and report.head != shard.get("head"):
            report = replace(
                report,
                ok=False,
                reason=f"shard log ends at {report.head[:16]}…, not at the head the merge "
                f"recorded ({str(shard.get('head'))[:16]}…)",
            )
        if not report.ok and failure is None:
            failure = report
    return failure


def prove_records(
    records: Iterable[tuple[int, Mapping[str, Any]]],
    *,
    results: Path,
    log: Path,
    key: AuditKey | None = None,
    expect_head: str | None = None,
    checkpoint: Checkpoint | None = None,
) -> RecordProof:
    """Verify ``log`` (chain, and MACs with ``key``) and judge each ``(line, record)``.

    ``records`` are the ones a command uses (the latest per id). A log that fails
    verification is reported in ``report``; the records are then judged against
    its intact beginning only.
    """
    from copygen.audit.verify import verify

    digests = [(line, str(record.get("id")), record_sha256(record)) for line, record in records]
    proof = RecordProof(results=results, log=log, report=None, total=len(digests))
    index = RecordIndex({item for _, item, _ in digests})
    if log.is_file():
        failed = _observe_shards(log, index, key=key)
        report = verify(
            log, key=key, expect_head=expect_head, checkpoint=checkpoint, observe=index.observe
        )
        if failed is not None and report.ok:
            proof.log, report = Path(failed.path), failed  # the shard's failure is the news
        proof.report = report
    for line, item, digest in digests:
        verdict = index.judge(item, digest) if proof.report is not None else "unproven"
        if verdict is None:
            proof.proven += 1
        elif verdict == "unproven":
            proof.unproven.append(item)
        else:
            proof.mismatches.append(Mismatch(line, item, verdict))
    return proof
