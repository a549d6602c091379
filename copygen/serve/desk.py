"""The review desk: one output folder opened for several reviewers at once.

Everything a reviewer does goes through the review core, as on the command line:
the queue is a :class:`~copygen.review.decisions.QueueFilter`, a decision is a
:class:`~copygen.review.decisions.Decision` made by a
:class:`~copygen.review.session.ReviewSession` (one per reviewer name, all sharing
the folder's items and checker), an edit is re-checked by that session's checker,
export and report are :func:`copygen.review.exporting.export` and
:func:`copygen.review.report.write_report`.

Decisions are serialised: one lock is held from reading the item to writing its
audit event and record, so two reviewers deciding the same item at the same moment
get one decision and one :class:`~copygen.review.decisions.ConflictError`, never a
lost one. Each decision names the version of the item the reviewer saw; the
session refuses it, under the folder's own lock, if the item has changed since
(also when another process, such as ``copygen review``, changed it).

The items are read again whenever ``results.jsonl`` changes on disk, so what the
desk shows follows other processes too.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from copygen.errors import InputError
from copygen.review.decisions import (
    ITEM_STATUSES,
    OUTCOMES,
    REVIEW_STATUSES,
    ConflictError,
    Decision,
    QueueFilter,
    describe_state,
)
from copygen.review.session import ReviewSession
from copygen.serve import views
from copygen.serve.bodies import (
    EXPORT_FORMATS,
    BadRequest,
    CheckBody,
    DecisionBody,
    edited_fields,
)

if TYPE_CHECKING:
    from copygen.config import Settings

__all__ = [
    "API_FLAGS",
    "EXPORTS_FOLDER",
    "MAX_LIMIT",
    "Desk",
    "NotFoundError",
    "NothingToUndoError",
]

#: How the core's refusals name force and reason to an API caller.
API_FLAGS: Mapping[str, str] = {"force": '"force": true', "reason": '"reason"'}
#: Where the desk's exports go, inside the output folder: the files the audit log's
#: ``exported`` events name stay next to the results they came from.
EXPORTS_FOLDER = "exports"
MAX_LIMIT = 5000
#: Distinct reviewer names one desk keeps a session for (each holds an undo history).
MAX_REVIEWERS = 200


class NotFoundError(InputError):
    """No such item or file (HTTP 404)."""


class NothingToUndoError(InputError):
    """The reviewer has no decision of this desk's to take back (HTTP 409)."""


def _generation(path: Path) -> str:
    """A token that changes whenever ``results.jsonl`` is rewritten or appended to."""
    try:
        st = path.stat()
    except OSError:
        return "missing"
    raw = f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"
    return hashlib.sha256(raw.encode("ascii")).hexdigest()[:16]


class Desk:
    """An output folder opened for review by several people; every method is thread-safe."""

    def __init__(self, session: ReviewSession, *, generation: str) -> None:
        session.flags = dict(API_FLAGS)
        session.via = "serve"
        self._base = session
        self._sessions: dict[str, ReviewSession] = {session.reviewer: session}
        self._generation = generation
        # One lock for the folder's state: reading items, deciding, undoing, exporting.
        self._lock = threading.RLock()
        # The checker is shared by every session and its caches are not made for
        # threads: checks take turns (a check takes milliseconds).
        self._check_lock = threading.Lock()
        self._files: dict[str, Path] = {}
        self._closed = False

    @classmethod
    def open(
        cls,
        outdir: str | Path,
        *,
        settings: Settings,
        reviewer: str | None = None,
        audit_path: str | Path | None = None,
    ) -> Desk:
        """Open ``outdir`` as ``copygen review`` does (the same errors for a folder that
        is not a generate output folder), and load the rules now, so that a rule pack
        that does not load is reported before the server starts."""
        from copygen.generate.store import RESULTS_FILE

        generation = _generation(Path(outdir) / RESULTS_FILE)
        session = ReviewSession.open(
            outdir, settings=settings, reviewer=reviewer, audit_path=audit_path
        )
        session.checker  # noqa: B018 - loads the rule packs now
        return cls(session, generation=generation)

    # -- what the desk is ------------------------------------------------------------

    @property
    def outdir(self) -> Path:
        return self._base.outdir

    @property
    def reviewer(self) -> str:
        """The default reviewer: ``--reviewer``, else the user's login name."""
        return self._base.reviewer

    @property
    def audit_path(self) -> Path:
        return self._base.audit_path

    @property
    def settings(self) -> Settings:
        return self._base.settings

    def decisions(self) -> dict[str, int]:
        """Decisions made through this desk so far, by outcome (and ``undone``)."""
        with self._lock:
            total: dict[str, int] = {}
            for session in self._sessions.values():
                for outcome, n in session.counts.items():
                    total[outcome] = total.get(outcome, 0) + n
            return total

    def info(self) -> dict[str, Any]:
        from copygen import __version__
        from copygen.platforms import PLATFORM_NAMES
        from copygen.review.report_data import CATEGORY_LABELS, PLATFORM_LABELS, STATUS_LABELS

        return {
            "folder": self.outdir.resolve().name,
            "outdir": str(self.outdir),
            "audit": str(self.audit_path),
            "reviewer": self.reviewer,
            "version": __version__,
            "statuses": list(ITEM_STATUSES),
            "review_statuses": list(REVIEW_STATUSES),
            "status_labels": STATUS_LABELS,
            "platforms": list(PLATFORM_NAMES),
            "platform_labels": PLATFORM_LABELS,
            "categories": CATEGORY_LABELS,
            "export_formats": list(EXPORT_FORMATS),
        }

    # -- reading ---------------------------------------------------------------------

    @property
    def _items(self) -> dict[str, dict[str, Any]]:
        # The dict every session shares: replaced in place, never rebound.
        return self._base.items

    def _sync(self) -> None:
        """Read the folder again if ``results.jsonl`` changed since it was read."""
        now = _generation(self._base.store.path)
        if now == self._generation:
            return
        # A run in progress may leave a torn last line: the store skips it.
        fresh = {str(item["id"]): item for item in self._base.store.load()}
        self._items.clear()
        self._items.update(fresh)
        self._generation = now

    def _get(self, item_id: str) -> dict[str, Any]:
        item = self._items.get(item_id)
        if item is None:
            raise NotFoundError(f"no item with id {item_id!r} in this folder")
        return item

    def state(self) -> dict[str, Any]:
        """What the page polls: whether anything changed, and the counts per status."""
        with self._lock:
            self._sync()
            everything = list(self._items.values())
            generation = self._generation
        by_status = views.counts(everything, [])["status"]
        return {"generation": generation, "total": len(everything), "counts": {"status": by_status}}

    def items(
        self, filters: QueueFilter, *, text: str = "", offset: int = 0, limit: int = 500
    ) -> dict[str, Any]:
        """The queue: items matching ``filters`` and the search ``text``, a page of them."""
        if offset < 0 or not 1 <= limit <= MAX_LIMIT:
            raise BadRequest(f"offset must be >= 0 and limit between 1 and {MAX_LIMIT}")
        with self._lock:
            self._sync()
            everything = list(self._items.values())
            generation = self._generation
        # Records are replaced, never changed in place: safe to read outside the lock.
        statuses = filters.statuses
        in_status = [i for i in everything if not statuses or str(i.get("status")) in statuses]
        chosen = [i for i in in_status if filters.matches(i) and views.matches_text(i, text)]
        return {
            "items": [views.summary(i) for i in chosen[offset : offset + limit]],
            "total": len(chosen),
            "offset": offset,
            "limit": limit,
            "counts": views.counts(everything, in_status),
            "filters": {
                "status": list(filters.statuses),
                "platform": list(filters.platforms),
                "category": list(filters.categories),
                "rule": list(filters.rules),
                "sku": list(filters.skus),
                "q": text,
            },
            "generation": generation,
        }

    def item(self, item_id: str) -> dict[str, Any]:
        """One item in full, with the other variants of its product row."""
        with self._lock:
            self._sync()
            return self._detail(self._get(item_id))

    def _detail(self, item: Mapping[str, Any]) -> dict[str, Any]:
        sku = item.get("sku")
        siblings = [
            other
            for other in self._items.values()
            if other.get("sku") == sku and other.get("id") != item.get("id")
        ]
        view = views.detail(item, siblings)
        view["generation"] = self._generation
        return view

    # -- checking --------------------------------------------------------------------

    def _recheck(
        self, item: Mapping[str, Any], fields: Mapping[str, Any]
    ) -> tuple[str, list[dict[str, Any]]]:
        with self._check_lock:
            return self._base.recheck(item, fields)

    def check(self, body: CheckBody) -> dict[str, Any]:
        """Check a text: an item's edit as that item (platform, language, product
        facts), or any copy for a platform and language."""
        if body.item_id is not None:
            with self._lock:
                self._sync()
                item = self._get(body.item_id)
            fields = edited_fields(item.get("fields"), body.fields)
            status, findings = self._recheck(item, fields)
        else:
            fields = dict(body.fields)
            context = {"platform": body.platform, "lang": body.lang, "product": None}
            status, findings = self._recheck(context, fields)
        # The fields as checked (trimmed as a decision trims them): the findings'
        # offsets point into these.
        return {"status": status, "findings": findings, "fields": fields}

    # -- deciding --------------------------------------------------------------------

    def _session(self, reviewer: str | None) -> ReviewSession:
        who = reviewer or self.reviewer
        session = self._sessions.get(who)
        if session is None:
            if len(self._sessions) >= MAX_REVIEWERS:
                raise BadRequest(f"more than {MAX_REVIEWERS} reviewer names on one desk")
            session = self._base.for_reviewer(who)
            self._sessions[who] = session
        return session

    def decide(self, item_id: str, body: DecisionBody) -> dict[str, Any]:
        """Record one decision through the reviewer's session; return the item after it.

        Without ``version`` an item already approved or rejected is not decided again
        (that would overwrite someone's decision unseen): ConflictError. A rejection
        carries no edit: it is about the generated text, as on the command line.
        """
        if self._closed:
            raise ConflictError("the desk is shutting down; nothing was recorded")
        with self._lock:
            self._sync()
            item = self._get(item_id)
            expected = body.version
            if expected is None:
                if str(item.get("status")) in OUTCOMES.values():
                    raise ConflictError(
                        f"item {item_id} was already {describe_state(item)}; to decide it "
                        'again send the "version" that GET /api/items/{id} gives',
                        item=item,
                    )
                expected = views.version(item)
            fields: dict[str, Any] | None = None
            check: tuple[str, list[dict[str, Any]]] | None = None
            if body.fields is not None:
                if body.decision == "reject":
                    raise BadRequest(
                        "a rejection is about the generated text: send it without 'fields'"
                    )
                fields = edited_fields(item.get("fields"), body.fields)
                if fields == item.get("fields"):
                    fields = None
                else:
                    check = self._recheck(item, fields)
            session = self._session(body.reviewer)
            decision = Decision(
                item_id,
                body.decision,
                reason=body.reason,
                force=body.force,
                fields=fields,
                expected=expected,
            )
            updated = session.decide(decision, check=check)
            event = session.history[-1].event_seq
            return {"item": self._detail(updated), "event": event, "reviewer": session.reviewer}

    def undo(self, reviewer: str | None) -> dict[str, Any]:
        """Take back the reviewer's last decision made through this desk."""
        who = reviewer or self.reviewer
        with self._lock:
            session = self._sessions.get(who)
            if session is None or not session.history:
                raise NothingToUndoError(
                    f"nothing to undo: {who} has made no decision on this desk since it started"
                )
            restored = session.undo()
            assert restored is not None  # the history was not empty
            return {"item": self._detail(restored), "reviewer": who}

    # -- export and report -----------------------------------------------------------

    def _register(self, path: Path) -> dict[str, Any]:
        self._files[path.name] = path
        return {"name": path.name, "path": str(path), "download": f"/api/files/{quote(path.name)}"}

    def export(self, fmt: str, group_by: str | None = None) -> dict[str, Any]:
        """``copygen export`` into ``OUTDIR/exports/``; the files are offered for download."""
        from copygen.review.exporting import export

        with self._lock:
            folder = self.outdir / EXPORTS_FOLDER
            folder.mkdir(exist_ok=True)
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            target = folder / f"copygen-export-{stamp}.{fmt}"
            n = 1
            while target.exists() or any(folder.glob(f"{target.stem}-*{target.suffix}")):
                n += 1
                target = folder / f"copygen-export-{stamp}-{n}.{fmt}"
            result = export(
                outdir=self.outdir,
                to=target,
                settings=self.settings,
                group_by=group_by,
                audit_path=self.audit_path,
            )
            files = []
            for written in result.files:
                entry = self._register(written.path)
                entry.update(
                    format=written.format,
                    count=written.count,
                    sha256=written.sha256,
                    group=written.group,
                    groups=dict(written.groups) if written.groups is not None else None,
                )
                files.append(entry)
        return {
            "count": result.count,
            "skipped": result.skipped,
            "unproven": result.unproven,
            "audit": str(result.audit_path) if result.audit_path else None,
            "files": files,
        }

    def report(self, title: str | None = None) -> dict[str, Any]:
        """``copygen report`` to ``OUTDIR/report.html``, offered for download."""
        from copygen.review.report import write_report

        with self._lock:
            target = self.outdir / "report.html"
            data = write_report(
                outdir=self.outdir,
                output=target,
                title=title,
                audit_path=self.audit_path,
                settings=self.settings,
            )
            entry = self._register(target)
        return {
            "total": data.total,
            "pass_rate": data.pass_rate,
            "flagged": len(data.flagged),
            "errors": len(data.errors),
            "audit": views.json_safe(data.audit),
            "files": [entry],
        }

    def file(self, name: str) -> Path:
        """A file this desk wrote (an export, the report); nothing else is ever served."""
        with self._lock:
            path = self._files.get(name)
        if path is None or not path.is_file():
            raise NotFoundError(f"no file {name!r} was written by this desk")
        return path

    # -- the end ---------------------------------------------------------------------

    def close(self) -> None:
        """End every reviewer's session (``run_finished`` in the audit log for each
        session that decided something)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for session in self._sessions.values():
                session.close()
