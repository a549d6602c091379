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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copygen.errors import InputError
from copygen.review.decisions import (
    DECIDABLE_STATUSES,
    OUTCOMES,
    Decision,
    QueueFilter,
    check_status,
    default_reviewer,
)
from copygen.review.outdir import audit_session, load_items, resolve_audit_path

if TYPE_CHECKING:
    from copygen.audit import AuditLog
    from copygen.compliance.engine import Checker
    from copygen.config import Settings
    from copygen.generate.store import ResultStore

__all__ = ["ReviewSession"]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class _Done:
    """A decision made in this session, with what is needed to undo it."""

    item_id: str
    previous: dict[str, Any]  # the whole record before the decision
    event_seq: int


@dataclass
class ReviewSession:
    """An output folder opened for review: results locked, audit log at hand.

    Use as a context manager (``with ReviewSession.open(...) as session``); every
    change goes through :meth:`decide` / :meth:`decide_many` / :meth:`undo`. The
    audit log is opened (and locked) by :meth:`start` or by the first decision, so
    that listing the queue or a batch refused by validation leaves no trace.
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
    _log: AuditLog | None = None
    _checker: Checker | None = None
    _stack: ExitStack | None = None

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
        stack = ExitStack()
        try:
            stack.enter_context(store.lock())
            # Load under the lock: no run can append or rewrite while we decide.
            items = store.load()
        except BaseException:
            stack.close()
            raise
        session = cls(
            outdir=folder,
            reviewer=who,
            settings=settings,
            store=store,
            audit_path=resolve_audit_path(folder, settings=settings, explicit=audit_path),
            items={str(item["id"]): item for item in items},
        )
        session._stack = stack
        return session

    def start(self) -> AuditLog:
        """Open the audit log for this session (once); AuditLockedError if it is busy."""
        if self._log is None:
            if self._stack is None:
                raise ValueError("the review session is closed")
            self._log = self._stack.enter_context(
                audit_session(
                    self.audit_path, command="review", outdir=self.outdir, counts=self.counts
                )
            )
        return self._log

    @property
    def log(self) -> AuditLog:
        return self.start()

    def close(self) -> None:
        if self._stack is not None:
            stack, self._stack = self._stack, None
            stack.close()

    def __enter__(self) -> ReviewSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
        status = str(item.get("status"))
        if status not in DECIDABLE_STATUSES:
            raise InputError(
                f"{where}item {decision.item_id} is '{status}': only items in review, blocked, "
                "approved or rejected can be decided"
            )
        if decision.decision not in OUTCOMES:
            raise InputError(f"{where}unknown decision {decision.decision!r}")
        reason = (decision.reason or "").strip()
        if decision.decision == "reject" and not reason:
            raise InputError(f"{where}rejecting {decision.item_id} needs a reason (--reason)")
        verdict = check or check_status(item)
        if decision.decision == "approve" and verdict == "blocked":
            if not decision.force:
                raise InputError(
                    f"{where}item {decision.item_id} is blocked by the checker: approving it "
                    "needs --force and a --reason"
                )
            if not reason:
                raise InputError(
                    f"{where}force-approving blocked item {decision.item_id} needs a reason "
                    "(--reason)"
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
        event = self.log.append(
            "reviewed",
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
        try:
            for decision, check in batch:
                previous = dict(self.items[decision.item_id])
                patch, event = self._apply(decision, check=check)
                patches[decision.item_id] = patch
                done.append(_Done(decision.item_id, previous, int(event["seq"])))
                outcome = str(patch["status"])
                self.counts[outcome] = self.counts.get(outcome, 0) + 1
        finally:
            # Whatever reached the audit log is written to the results too, even when
            # a later event of the batch could not be logged.
            if patches:
                self.store.update(patches)
        updated = []
        for entry in done:
            self.items[entry.item_id] = {**self.items[entry.item_id], **patches[entry.item_id]}
            updated.append(self.items[entry.item_id])
        self.history.extend(done)
        return updated

    def undo(self) -> dict[str, Any] | None:
        """Take back the last decision of this session; return the restored item."""
        if not self.history:
            return None
        last = self.history.pop()
        current = self.items[last.item_id]
        restored = last.previous
        after: dict[str, Any] = {"status": restored.get("status")}
        before: dict[str, Any] = {"status": current.get("status")}
        if current.get("fields") != restored.get("fields"):
            before["fields"] = current.get("fields")
            after["fields"] = restored.get("fields")
        self.log.append(
            "reviewed",
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
        keys = ("status", "fields", "findings", "aigc", "review")
        self.store.update({last.item_id: {k: restored.get(k) for k in keys}})
        self.items[last.item_id] = {**current, **{k: restored.get(k) for k in keys}}
        self.counts["undone"] = self.counts.get("undone", 0) + 1
        return self.items[last.item_id]
