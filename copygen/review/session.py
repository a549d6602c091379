"""``copygen review``: a person decides what the checker flagged.

Two ways in, one path out. A reviewer at a terminal walks a queue of ``review`` and
``blocked`` items (highlighted spans, findings, product facts) and approves,
rejects or edits each (:mod:`copygen.review.interactive`); a script passes
``--decide ID=approve`` or a CSV of decisions. Either way every decision goes
through :meth:`ReviewSession.decide`:

1. it is validated (known id, a decidable status, a reason where one is required,
   ``force`` to approve something the checker blocked);
2. a ``reviewed`` event is appended to the audit log (fsynced) — the record of
   who decided what, with the text before and after an edit;
3. the item in ``results.jsonl`` is updated (status ``approved``/``rejected`` and
   a ``review`` object) by an atomic rewrite (temp file + ``os.replace``).

The audit event comes first: if the process dies between 2 and 3, the log holds a
decision the results do not show yet, never the other way round. An undo is a
decision too (``decision: "undone"``), so the log shows it.

Several reviewers can work on one folder at once. A session holds no lock while a
person reads: the folder's writer lock and the audit log's lock are taken for the
moment a decision is written (waiting up to ``LOCK_WAIT`` seconds for another
reviewer's decision to finish), and the item is read again under them, so a
decision is always made on, and undoes back to, what the folder holds then.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copygen.audit.chain import record_sha256
from copygen.audit.key import key_from_settings
from copygen.errors import AuditLockedError, CopygenError, InputError
from copygen.review.decisions import (
    DECIDABLE_STATUSES,
    OUTCOMES,
    ConflictError,
    Decision,
    QueueFilter,
    check_status,
    default_reviewer,
    describe_state,
)
from copygen.review.outdir import load_items, resolve_audit_path

if TYPE_CHECKING:
    from copygen.audit import AuditLog
    from copygen.compliance.engine import Checker
    from copygen.config import Settings
    from copygen.generate.store import ResultStore

__all__ = ["CLI_FLAGS", "LOCK_WAIT", "ReviewSession"]

#: Seconds a decision waits for the folder and the audit log while someone else
#: writes (another reviewer's decision takes milliseconds; a generate run holds
#: them until it ends, and then the decision gives up with a one-line error).
LOCK_WAIT = 10.0
_POLL = 0.05

#: How the refusals name the force and reason a decision lacks: the command line's
#: options. Another front end (the web desk's JSON API) passes its own words.
CLI_FLAGS: Mapping[str, str] = {"force": "--force", "reason": "--reason"}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class _Done:
    """A decision made in this session, with what is needed to undo it."""

    item_id: str
    previous: dict[str, Any]  # the whole record before the decision
    event_seq: int
    review: Any = None  # the review object the decision wrote, to tell if it still stands


class _DecisionLog:
    """A session's audit log, opened and locked only while something is written to it.

    The session's events share one run id, with ``run_started`` written before the
    first and ``run_finished`` (with the session's counts) when the session closes.
    """

    def __init__(
        self,
        path: Path,
        *,
        outdir: Path,
        settings: Settings,
        counts: dict[str, int],
        via: str | None = None,
    ) -> None:
        from copygen.audit.log import new_run_id

        self.path = path
        self.run = new_run_id()
        self.started = False
        self._outdir = outdir
        self._settings = settings
        self._counts = counts
        self._via = via
        self._held: AuditLog | None = None

    @contextmanager
    def held(self) -> Iterator[AuditLog]:
        """The log, open and locked for the block (a nested block shares it)."""
        if self._held is not None:
            yield self._held
            return
        log = _open_waiting(self.path, run=self.run, settings=self._settings)
        self._held = log
        try:
            if not self.started:
                from copygen import __version__

                extra = {"via": self._via} if self._via else {}
                log.append(
                    "run_started",
                    command="review",
                    version=__version__,
                    outdir=str(self._outdir),
                    **extra,
                )
                self.started = True
            yield log
        finally:
            self._held = None
            log.close()

    def append(self, event: str, **data: Any) -> dict[str, Any]:
        with self.held() as log:
            return log.append(event, **data)

    def finish(self, outcome: str) -> None:
        """``run_finished``, if the session wrote anything."""
        if self.started:
            with self.held() as log:
                log.append("run_finished", command="review", outcome=outcome, counts=self._counts)
            self.started = False


def _open_waiting(path: Path, *, run: str, settings: Settings) -> AuditLog:
    """The audit log opened for one write, after waiting up to LOCK_WAIT for its lock."""
    from copygen.audit import AuditLog

    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            return AuditLog.open(path, run=run, key=key_from_settings(settings))
        except AuditLockedError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(_POLL)


@dataclass
class ReviewSession:
    """An output folder opened for review; nothing is locked until a decision is written.

    Use as a context manager (``with ReviewSession.open(...) as session``); every
    change goes through :meth:`decide` / :meth:`decide_many` / :meth:`undo`. The
    session's first write to the audit log happens in :meth:`start` or with the
    first decision, so that listing the queue or a batch refused by validation
    leaves no trace.
    """

    outdir: Path
    reviewer: str
    settings: Settings
    store: ResultStore
    audit_path: Path
    items: dict[str, dict[str, Any]]
    history: list[_Done] = field(default_factory=list)
    # Filled in as decisions are made; written into the session's run_finished event.
    counts: dict[str, int] = field(default_factory=dict)
    #: The words refusals use for force and reason (see CLI_FLAGS).
    flags: Mapping[str, str] = field(default_factory=lambda: dict(CLI_FLAGS))
    #: The front end the decisions come through, when not the command line
    #: (``serve``); written into the session's run_started event.
    via: str | None = None
    _log: _DecisionLog | None = None
    _checker: Checker | None = None
    _closed: bool = False

    @classmethod
    def open(
        cls,
        outdir: str | Path,
        *,
        settings: Settings,
        reviewer: str | None = None,
        audit_path: str | Path | None = None,
    ) -> ReviewSession:
        from copygen.generate.store import ResultStore

        folder = Path(outdir)
        load_items(folder)  # a clear error for a wrong folder before locking anything
        who = (reviewer or default_reviewer()).strip()
        if not who:
            raise InputError("the reviewer name is empty", hint="pass --reviewer NAME")
        store = ResultStore(folder)
        # No lock: a torn last line of a run in progress is skipped, and every
        # decision reads its item again under the folder's lock.
        items = store.load()
        return cls(
            outdir=folder,
            reviewer=who,
            settings=settings,
            store=store,
            audit_path=resolve_audit_path(folder, settings=settings, explicit=audit_path),
            items={str(item["id"]): item for item in items},
        )

    def for_reviewer(
        self,
        reviewer: str,
        *,
        flags: Mapping[str, str] | None = None,
        via: str | None = None,
    ) -> ReviewSession:
        """Another reviewer's session on this open folder, for a front end that serves
        several people at once.

        It shares the folder, its items and the checker with this session, so each
        decides on what the others have decided (the items are still read again
        under the folder's lock for every decision); it has its own reviewer, undo
        history, counts and run in the audit log.
        """
        who = reviewer.strip()
        if not who:
            raise InputError("the reviewer name is empty")
        if self._closed:
            raise ValueError("the review session is closed")
        return ReviewSession(
            outdir=self.outdir,
            reviewer=who,
            settings=self.settings,
            store=self.store,
            audit_path=self.audit_path,
            items=self.items,
            flags=dict(flags if flags is not None else self.flags),
            via=via if via is not None else self.via,
            _checker=self._checker,
        )

    def start(self) -> _DecisionLog:
        """The session's audit log; the first call writes ``run_started`` right away,
        so a log that cannot be written (another writer for LOCK_WAIT seconds, a
        damaged or keyed log) is reported before the first decision, not after it."""
        if self._closed:
            raise ValueError("the review session is closed")
        if self._log is None:
            log = _DecisionLog(
                self.audit_path,
                outdir=self.outdir,
                settings=self.settings,
                counts=self.counts,
                via=self.via,
            )
            with log.held():
                pass
            self._log = log
        return self._log

    @property
    def log(self) -> _DecisionLog:
        return self.start()

    def close(self, outcome: str = "completed") -> None:
        if self._closed:
            return
        self._closed = True
        if self._log is not None:
            self._log.finish(outcome)

    def __enter__(self) -> ReviewSession:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if exc_type is None:
            self.close()
            return
        # Something already went wrong: a failure to note the end of the session
        # must not hide it.
        with suppress(CopygenError, OSError):
            self.close("interrupted")

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """The folder's writer lock and the audit log, held for one decision or batch."""
        with self.store.lock(wait=LOCK_WAIT):
            log = self.start()
            with log.held():
                yield

    def _refresh(self, item_ids: Sequence[str]) -> None:
        """Read these items again: another reviewer may have decided them meanwhile."""
        self.items.update(self.store.latest(item_ids))

    # -- queue and checks --------------------------------------------------------------

    def queue(self, filters: QueueFilter | None = None) -> list[dict[str, Any]]:
        chosen = filters or QueueFilter()
        return [item for item in self.items.values() if chosen.matches(item)]

    @property
    def checker(self) -> Checker:
        if self._checker is None:
            from copygen.compliance.engine import Checker

            self._checker = Checker.from_settings(self.settings)
        return self._checker

    def recheck(
        self, item: Mapping[str, Any], fields: Mapping[str, Any]
    ) -> tuple[str, list[dict[str, Any]]]:
        """Check edited fields as generate did: platform limits and product facts."""
        product = item.get("product") if isinstance(item.get("product"), Mapping) else None
        result = self.checker.check(
            dict(fields),
            lang=str(item.get("lang") or "") or None,
            platform=str(item.get("platform") or "") or None,
            product=product,
        )
        return result.status, [f.to_dict() for f in result.findings]

    # -- deciding ----------------------------------------------------------------------

    def validate(self, decision: Decision, *, check: str | None = None) -> dict[str, Any]:
        """The item a decision is about, or InputError saying why it cannot be made."""
        where = f"{decision.source}: " if decision.source else ""
        item = self.items.get(decision.item_id)
        if item is None:
            raise InputError(f"{where}no item with id {decision.item_id!r} in {self.outdir}")
        if decision.expected is not None and record_sha256(item) != decision.expected:
            raise ConflictError(
                f"{where}item {decision.item_id} changed since it was loaded: "
                f"{describe_state(item)}; nothing was recorded",
                item=item,
            )
        status = str(item.get("status"))
        if status not in DECIDABLE_STATUSES:
            raise InputError(
                f"{where}item {decision.item_id} is '{status}': only items in review, blocked, "
                "approved or rejected can be decided"
            )
        if decision.decision not in OUTCOMES:
            raise InputError(f"{where}unknown decision {decision.decision!r}")
        reason = (decision.reason or "").strip()
        force_flag, reason_flag = self.flags["force"], self.flags["reason"]
        if decision.decision == "reject" and not reason:
            raise InputError(f"{where}rejecting {decision.item_id} needs a reason ({reason_flag})")
        verdict = check or check_status(item)
        if decision.decision == "approve" and verdict == "blocked":
            if not decision.force:
                raise InputError(
                    f"{where}item {decision.item_id} is blocked by the checker: approving it "
                    f"needs {force_flag} and a {reason_flag}"
                )
            if not reason:
                raise InputError(
                    f"{where}force-approving blocked item {decision.item_id} needs a reason "
                    f"({reason_flag})"
                )
        return item

    def _apply(
        self,
        decision: Decision,
        *,
        check: tuple[str, list[dict[str, Any]]] | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Write the audit event for one validated decision; return (patch, event)."""
        from copygen.compliance.aigc import content_id_for

        item = self.items[decision.item_id]
        edited = decision.fields is not None and dict(decision.fields) != item.get("fields")
        if edited and check is None:
            check = self.recheck(item, decision.fields or {})
        verdict = check[0] if (edited and check) else check_status(item)
        outcome = OUTCOMES[decision.decision]
        forced = decision.decision == "approve" and verdict == "blocked"
        reason = (decision.reason or "").strip() or None
        before: dict[str, Any] = {"status": item.get("status")}
        after: dict[str, Any] = {"status": outcome, "check_status": verdict}
        patch: dict[str, Any] = {"status": outcome}
        review: dict[str, Any] = {
            "reviewer": self.reviewer,
            "decision": outcome,
            "reason": reason,
            "ts": _now(),
            "forced": forced,
            "edited": edited,
            "check_status": verdict,
        }
        if edited and check is not None:
            new_fields = dict(decision.fields or {})
            before["fields"] = item.get("fields")
            before["findings"] = item.get("findings")
            after["fields"] = new_fields
            after["findings"] = check[1]
            patch["fields"] = new_fields
            patch["findings"] = check[1]
            aigc = dict(item.get("aigc") or {})
            if aigc:
                # The content id is recomputable from the record: keep it true to the
                # edited text, and keep the generated one next to it.
                review["original_content_id"] = aigc.get("content_id")
                aigc["content_id"] = content_id_for(decision.item_id, new_fields)
                patch["aigc"] = aigc
        patch["review"] = review
        # The hashes of the record decided on and of the one written: export and
        # report accept only records the log holds (copygen.audit.binding).
        event = self.log.append(
            "reviewed",
            replaces_sha256=record_sha256(item),
            record_sha256=record_sha256({**item, **patch}),
            item=decision.item_id,
            reviewer=self.reviewer,
            decision=outcome,
            reason=reason,
            forced=forced,
            edited=edited,
            before=before,
            after=after,
        )
        return patch, event

    def decide(
        self, decision: Decision, *, check: tuple[str, list[dict[str, Any]]] | None = None
    ) -> dict[str, Any]:
        """Validate, log and record one decision; return the updated item.

        ``check`` is the (status, findings) of ``decision.fields`` when the caller
        already checked the edited text (the interactive mode shows it first).
        """
        item = self.items.get(decision.item_id)
        edited = (
            item is not None
            and decision.fields is not None
            and dict(decision.fields) != item.get("fields")
        )
        if edited and check is None and item is not None:
            check = self.recheck(item, decision.fields or {})
        self.validate(decision, check=check[0] if (edited and check) else None)
        return self._commit([(decision, check)])[0]

    def decide_many(self, decisions: Sequence[Decision]) -> list[dict[str, Any]]:
        """All or nothing: every decision is validated before any is written."""
        seen: set[str] = set()
        for decision in decisions:
            if decision.item_id in seen:
                where = f"{decision.source}: " if decision.source else ""
                raise InputError(f"{where}item {decision.item_id} is decided twice")
            seen.add(decision.item_id)
            self.validate(decision)
        return self._commit([(d, None) for d in decisions])

    def _commit(
        self, batch: Sequence[tuple[Decision, tuple[str, list[dict[str, Any]]] | None]]
    ) -> list[dict[str, Any]]:
        patches: dict[str, dict[str, Any]] = {}
        done: list[_Done] = []
        with self._writing():
            # Decide on what the folder holds now, and refuse the batch as a whole if
            # another reviewer's decision meanwhile makes one of it impossible.
            self._refresh([decision.item_id for decision, _ in batch])
            for decision, check in batch:
                self.validate(decision, check=self._verdict(decision, check))
            try:
                for decision, check in batch:
                    previous = dict(self.items[decision.item_id])
                    patch, event = self._apply(decision, check=check)
                    patches[decision.item_id] = patch
                    done.append(
                        _Done(decision.item_id, previous, int(event["seq"]), patch["review"])
                    )
                    outcome = str(patch["status"])
                    self.counts[outcome] = self.counts.get(outcome, 0) + 1
            finally:
                # Whatever reached the audit log is written to the results too, even
                # when a later event of the batch could not be logged.
                if patches:
                    self.store.update(patches)
        updated = []
        for entry in done:
            self.items[entry.item_id] = {**self.items[entry.item_id], **patches[entry.item_id]}
            updated.append(self.items[entry.item_id])
        self.history.extend(done)
        return updated

    def _verdict(
        self, decision: Decision, check: tuple[str, list[dict[str, Any]]] | None
    ) -> str | None:
        """The checker's status to validate an edit with (None: the item's own)."""
        item = self.items.get(decision.item_id)
        edited = (
            item is not None
            and decision.fields is not None
            and dict(decision.fields) != item.get("fields")
        )
        return check[0] if (edited and check) else None

    def undo(self) -> dict[str, Any] | None:
        """Take back the last decision of this session; return the restored item.

        InputError if someone else has decided the item since: undoing would throw
        their decision away.
        """
        if not self.history:
            return None
        last = self.history.pop()
        with self._writing():
            self._refresh([last.item_id])
            if self.items[last.item_id].get("review") != last.review:
                other = self.items[last.item_id].get("review") or {}
                raise ConflictError(
                    f"item {last.item_id} was decided again since, by "
                    f"{other.get('reviewer') or 'someone else'}: not undone",
                    item=self.items[last.item_id],
                )
            return self._undo(last)

    def _undo(self, last: _Done) -> dict[str, Any]:
        current = self.items[last.item_id]
        restored = last.previous
        after: dict[str, Any] = {"status": restored.get("status")}
        before: dict[str, Any] = {"status": current.get("status")}
        if current.get("fields") != restored.get("fields"):
            before["fields"] = current.get("fields")
            after["fields"] = restored.get("fields")
        keys = ("status", "fields", "findings", "aigc", "review")
        back = {k: restored.get(k) for k in keys}
        self.log.append(
            "reviewed",
            replaces_sha256=record_sha256(current),
            record_sha256=record_sha256({**current, **back}),
            item=last.item_id,
            reviewer=self.reviewer,
            decision="undone",
            reason=f"undo of event {last.event_seq}",
            forced=False,
            edited=current.get("fields") != restored.get("fields"),
            undoes=last.event_seq,
            before=before,
            after=after,
        )
        self.store.update({last.item_id: back})
        self.items[last.item_id] = {**current, **back}
        self.counts["undone"] = self.counts.get("undone", 0) + 1
        return self.items[last.item_id]
