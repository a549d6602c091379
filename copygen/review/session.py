"""``copygen review``: a person decides what the checker flagged.

Two ways in, one path out. A reviewer at a terminal walks a queue of ``review`` and
``blocked`` items (highlighted spans, findings, product facts) and approves,
rejects or edits each; a script passes ``--decide ID=approve`` or a CSV of
decisions. Either way every decision goes through :meth:`ReviewSession.decide`:

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

import csv
import getpass
import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copygen.errors import CopygenError, InputError
from copygen.platforms import PLATFORM_SPECS

if TYPE_CHECKING:
    from rich.console import Console

    from copygen.audit import AuditLog
    from copygen.compliance.engine import Checker
    from copygen.config import Settings
    from copygen.generate.store import ResultStore

__all__ = [
    "DECIDABLE_STATUSES",
    "REVIEW_STATUSES",
    "Decision",
    "QueueFilter",
    "ReviewSession",
    "check_status",
    "default_reviewer",
    "fields_from_text",
    "fields_to_text",
    "parse_decision",
    "read_decisions_csv",
    "run_interactive",
]

REVIEW_STATUSES: tuple[str, ...] = ("review", "blocked")
# A decided item can be decided again (a second opinion); pass and error items have
# nothing to review.
DECIDABLE_STATUSES: tuple[str, ...] = ("review", "blocked", "approved", "rejected")
_DECISION_WORDS: dict[str, str] = {
    "approve": "approve",
    "approved": "approve",
    "a": "approve",
    "通过": "approve",
    "reject": "reject",
    "rejected": "reject",
    "r": "reject",
    "驳回": "reject",
}
_OUTCOME = {"approve": "approved", "reject": "rejected"}
_SEVERITY_RANK = {"block": 3, "warn": 2, "info": 1}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def default_reviewer() -> str:
    """``$USER`` (or the login name the OS knows); ``unknown`` if there is none."""
    name = os.environ.get("USER")
    if name:
        return name
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return "unknown"


def parse_decision(word: str) -> str:
    """``approve`` or ``reject`` from what a person or a CSV says; ValueError otherwise."""
    key = word.strip().lower()
    if key in _DECISION_WORDS:
        return _DECISION_WORDS[key]
    raise ValueError(f"unknown decision {word.strip()!r}; expected approve or reject")


def check_status(item: Mapping[str, Any]) -> str:
    """The checker's verdict on the item's current text: pass, review or blocked.

    For an item already decided this is the verdict it was decided on (kept in
    ``review.check_status``), or else what its findings say.
    """
    status = str(item.get("status"))
    if status in ("pass", "review", "blocked"):
        return status
    review = item.get("review")
    if isinstance(review, Mapping) and review.get("check_status") in ("pass", "review", "blocked"):
        return str(review["check_status"])
    return _status_of(item.get("findings") or [])


def _status_of(findings: Iterable[Mapping[str, Any]]) -> str:
    worst = max((_SEVERITY_RANK.get(str(f.get("severity")), 0) for f in findings), default=0)
    return "blocked" if worst >= 3 else "review" if worst == 2 else "pass"


# --- the queue -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    """Which items to review. Empty tuples mean "any"; several values mean "one of"."""

    statuses: tuple[str, ...] = REVIEW_STATUSES
    categories: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()

    def matches(self, item: Mapping[str, Any]) -> bool:
        if self.statuses and str(item.get("status")) not in self.statuses:
            return False
        if self.platforms and str(item.get("platform")) not in self.platforms:
            return False
        if self.skus and str(item.get("sku")) not in self.skus:
            return False
        findings = [f for f in item.get("findings") or [] if isinstance(f, Mapping)]
        if self.categories and not any(f.get("category") in self.categories for f in findings):
            return False
        return not self.rules or any(
            any(
                str(f.get("rule", "")) == r or str(f.get("rule", "")).startswith(r + ".")
                for r in self.rules
            )
            for f in findings
        )


# --- decisions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """One reviewer decision. ``fields`` is the edited text (None: not edited)."""

    item_id: str
    decision: str  # approve | reject
    reason: str | None = None
    force: bool = False
    fields: Mapping[str, Any] | None = None
    source: str | None = None  # where it came from, for error messages ("file.csv:3")


def read_decisions_csv(path: str | Path) -> list[Decision]:
    """Decisions from a CSV with columns id, decision, reason (header optional)."""
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("decisions file not found", file=target) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read decisions file: {exc}", file=target) from None
    decisions: list[Decision] = []
    rows = list(csv.reader(text.splitlines()))
    columns = {"id": 0, "decision": 1, "reason": 2}
    start = 0
    if rows and rows[0] and rows[0][0].strip().lower() in ("id", "item", "item_id"):
        header = [c.strip().lower() for c in rows[0]]
        aliases = {"item": "id", "item_id": "id"}
        header = [aliases.get(c, c) for c in header]
        missing = [c for c in ("id", "decision") if c not in header]
        if missing:
            raise InputError(f"decisions file needs a '{missing[0]}' column", file=target, row=1)
        columns = {
            name: header.index(name) for name in ("id", "decision", "reason") if name in header
        }
        start = 1
    for number, row in enumerate(rows[start:], start=start + 1):
        if not any(cell.strip() for cell in row):
            continue

        def cell(name: str, row: list[str] = row) -> str:
            index = columns.get(name)
            return row[index].strip() if index is not None and index < len(row) else ""

        item_id = cell("id")
        if not item_id:
            raise InputError("missing item id", file=target, row=number, column="id")
        try:
            decision = parse_decision(cell("decision"))
        except ValueError as exc:
            raise InputError(str(exc), file=target, row=number, column="decision") from None
        decisions.append(
            Decision(
                item_id=item_id,
                decision=decision,
                reason=cell("reason") or None,
                source=f"{target}:{number}",
            )
        )
    return decisions


# --- editing -------------------------------------------------------------------------------

_MARKER = re.compile(r"^@@\s*(\S+)\s*$")


def fields_to_text(fields: Mapping[str, Any], *, item_id: str = "") -> str:
    """The fields as a plain text file a person edits in any editor."""
    lines = [
        f"# 编辑文案 Edit the copy of {item_id}".rstrip(),
        "# 每个字段以 “@@ 字段名” 开头；列表字段每行一项。本说明在第一个 @@ 之前，会被忽略。",
        "# Each field starts at its '@@ name' line; list fields take one item per line.",
        "# Everything before the first @@ line (these notes) is ignored.",
        "",
    ]
    for name, value in fields.items():
        lines.append(f"@@ {name}")
        if isinstance(value, (list, tuple)):
            lines.extend(str(v) for v in value)
        else:
            lines.append("" if value is None else str(value))
        lines.append("")
    return "\n".join(lines)


def fields_from_text(
    text: str, *, template: Mapping[str, Any], platform: str | None = None
) -> dict[str, Any]:
    """Parse an edited file back into fields shaped like ``template``.

    A field is a list if it was one (or the platform says so); lists drop blank
    lines, texts keep inner line breaks. Raises ValueError naming an unknown,
    repeated or missing field.
    """
    spec = PLATFORM_SPECS.get(platform or "")
    list_fields = {name for name, value in template.items() if isinstance(value, (list, tuple))}
    if spec is not None:
        list_fields |= {f.name for f in spec.fields if f.kind == "list"}
    sections: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        match = _MARKER.match(line)
        if match:
            current = match.group(1)
            if current not in template:
                raise ValueError(f"unknown field '@@ {current}'; fields are: {', '.join(template)}")
            if current in sections:
                raise ValueError(f"field '@@ {current}' appears twice")
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    missing = [name for name in template if name not in sections]
    if missing:
        raise ValueError(f"field '@@ {missing[0]}' is missing")
    out: dict[str, Any] = {}
    for name in template:
        lines = sections[name]
        if name in list_fields:
            out[name] = [line.strip() for line in lines if line.strip()]
        else:
            out[name] = "\n".join(lines).strip()
    return out


def editor_command() -> list[str]:
    """``$VISUAL`` or ``$EDITOR`` (with its arguments), else a common editor."""
    for name in ("VISUAL", "EDITOR"):
        value = os.environ.get(name, "").strip()
        if value:
            return shlex.split(value)
    return ["notepad"] if sys.platform == "win32" else ["vi"]


def edit_in_editor(text: str, *, suffix: str = ".txt") -> str:
    """Open ``text`` in the user's editor and return what was saved."""
    fd, name = tempfile.mkstemp(prefix="copygen-review-", suffix=suffix)
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        command = [*editor_command(), str(path)]
        try:
            done = subprocess.run(command, check=False)
        except OSError as exc:
            raise InputError(
                f"cannot start the editor {command[0]!r}: {exc.strerror or exc}",
                hint="set $EDITOR",
            ) from None
        if done.returncode != 0:
            raise InputError(f"the editor {command[0]!r} exited with status {done.returncode}")
        return path.read_text(encoding="utf-8")
    finally:
        path.unlink(missing_ok=True)


# --- the session ---------------------------------------------------------------------------


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
        from copygen.review.export import resolve_audit_path
        from copygen.review.report import load_items

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
        from copygen.review.export import audit_session

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
        if decision.decision not in _OUTCOME:
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
        outcome = _OUTCOME[decision.decision]
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


# --- the interactive mode ------------------------------------------------------------------

_STYLES = {"block": "bold white on red", "warn": "black on yellow", "info": "underline cyan"}


def _highlighted(text: str, findings: Sequence[Mapping[str, Any]]) -> Any:
    from rich.text import Text

    out = Text(text)
    for f in sorted(findings, key=lambda f: _SEVERITY_RANK.get(str(f.get("severity")), 0)):
        start, end = f.get("start"), f.get("end")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
            out.stylize(_STYLES.get(str(f.get("severity")), "bold"), start, end)
    return out


def render_item(
    console: Console,
    item: Mapping[str, Any],
    *,
    position: int,
    total: int,
    fields: Mapping[str, Any] | None = None,
    findings: Sequence[Mapping[str, Any]] | None = None,
    status: str | None = None,
) -> None:
    """One item: progress, highlighted fields, findings table, product facts."""
    from rich.table import Table
    from rich.text import Text

    shown_fields = dict(fields if fields is not None else item.get("fields") or {})
    shown_findings = list(findings if findings is not None else item.get("findings") or [])
    verdict = status or str(item.get("status"))
    colour = {"blocked": "red", "review": "yellow", "pass": "green"}.get(verdict, "cyan")
    console.rule(
        Text.assemble(
            (f"[{position}/{total}] ", "bold"),
            (str(item.get("id")), "bold"),
            "  ",
            (verdict, f"bold {colour}"),
            ("  (edited, not saved yet)" if fields is not None else "", "italic"),
        )
    )
    text_table = Table(show_header=False, box=None, padding=(0, 1))
    text_table.add_column("field", style="dim", no_wrap=True)
    text_table.add_column("text", overflow="fold")
    for name, value in shown_fields.items():
        if isinstance(value, (list, tuple)):
            for i, entry in enumerate(value):
                own = [f for f in shown_findings if f.get("field") == f"{name}[{i}]"]
                text_table.add_row(Text(f"{name}[{i}]"), _highlighted(str(entry), own))
        else:
            own = [f for f in shown_findings if f.get("field") == name]
            text_table.add_row(
                Text(str(name)), _highlighted("" if value is None else str(value), own)
            )
    console.print(text_table)
    if shown_findings:
        table = Table(title="Findings", title_justify="left", show_lines=False)
        for column in ("sev", "rule", "category", "field", "text", "law", "suggestion"):
            table.add_column(column, overflow="fold")
        for f in shown_findings:
            severity = str(f.get("severity"))
            table.add_row(
                Text(severity, style=_STYLES.get(severity, "")),
                *(
                    Text(str(f.get(key, "")))
                    for key in ("rule", "category", "field", "text", "law", "suggestion")
                ),
            )
        console.print(table)
    else:
        console.print(Text("No findings.", style="green"))
    product = item.get("product") if isinstance(item.get("product"), Mapping) else None
    if product:
        facts = Table(title="Product facts", title_justify="left", show_header=False, box=None)
        facts.add_column("key", style="dim", no_wrap=True)
        facts.add_column("value", overflow="fold")
        for key in ("sku", "title", "brand", "category", "price", "promo_price", "audience"):
            if product.get(key) not in (None, "", []):
                facts.add_row(key, Text(str(product[key])))
        points = product.get("selling_points") or []
        if points:
            facts.add_row("selling_points", Text("；".join(str(p) for p in points)))
        attributes = product.get("attributes") or {}
        if isinstance(attributes, Mapping) and attributes:
            facts.add_row("attributes", Text("; ".join(f"{k}: {v}" for k, v in attributes.items())))
        console.print(facts)
    review = item.get("review") if isinstance(item.get("review"), Mapping) else None
    if review:
        console.print(
            f"Previously {review.get('decision')} by {review.get('reviewer')} at "
            f"{review.get('ts')}" + (f": {review.get('reason')}" if review.get("reason") else ""),
            markup=False,
        )


class Keys:
    """Reads one key on a terminal, one line otherwise (pipes, tests)."""

    def __init__(self, stream: Any = None, *, single_key: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdin
        isatty = getattr(self.stream, "isatty", lambda: False)()
        self.single_key = isatty if single_key is None else single_key

    def key(self) -> str | None:
        """The next key, lower-cased; None at end of input."""
        if self.single_key:
            char = _read_char(self.stream)
            if char in ("", "\x04"):
                return None
            if char == "\x03":
                raise KeyboardInterrupt
            return char.lower()
        line = self.stream.readline()
        if line == "":
            return None
        stripped = line.strip().lower()
        return stripped[:1] if stripped else ""

    def line(self) -> str | None:
        """One line of text (a reason); None at end of input."""
        line = self.stream.readline()
        if line == "":
            return None
        return line.rstrip("\r\n")


def _read_char(stream: Any) -> str:
    try:
        import termios
        import tty
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        return str(msvcrt.getwch())  # type: ignore[attr-defined,unused-ignore]
    fd = stream.fileno()
    old = termios.tcgetattr(fd)
    try:
        # TCSANOW, not the default TCSAFLUSH: a key typed before the prompt appeared
        # must not be thrown away.
        tty.setcbreak(fd, termios.TCSANOW)
        return os.read(fd, 4).decode("utf-8", errors="ignore")[:1]
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)


_MENU = "[a]pprove  [r]eject  [e]dit  [s]kip  [u]ndo  [q]uit"


def run_interactive(
    session: ReviewSession,
    queue: Sequence[Mapping[str, Any]],
    *,
    console: Console,
    keys: Keys,
    editor: Callable[[str], str] = edit_in_editor,
) -> dict[str, int]:
    """Walk the queue with a person; return counts of approved, rejected, skipped, undone."""
    ids = [str(item["id"]) for item in queue]
    counts = {"approved": 0, "rejected": 0, "skipped": 0, "undone": 0}
    positions: list[int] = []  # queue index of each decision, for undo
    index = 0
    pending: dict[str, Any] | None = None  # edited fields not yet decided
    pending_check: tuple[str, list[dict[str, Any]]] | None = None
    show = True
    while index < len(ids):
        item = session.items[ids[index]]
        if show:
            render_item(
                console,
                item,
                position=index + 1,
                total=len(ids),
                fields=pending,
                findings=pending_check[1] if pending_check else None,
                status=pending_check[0] if pending_check else None,
            )
        show = False
        console.print(_MENU, markup=False)
        key = keys.key()
        if key is None or key == "q":
            break
        verdict = pending_check[0] if pending_check else check_status(item)
        if key == "a":
            reason: str | None = None
            force = False
            if verdict == "blocked":
                console.print(
                    "[bold red]The checker blocked this text.[/] Approving it is recorded as "
                    "forced. Reason (required, empty to cancel):"
                )
                reason = keys.line()
                if not reason or not reason.strip():
                    console.print("Not approved.")
                    continue
                force = True
            decision = Decision(ids[index], "approve", reason=reason, force=force, fields=pending)
        elif key == "r":
            console.print("Reason for rejecting (required, empty to cancel):")
            reason = keys.line()
            if not reason or not reason.strip():
                console.print("Not rejected: a reason is required.")
                continue
            if pending is not None:
                # A rejection is about the generated text; an unsaved edit is dropped.
                console.print("The edit was discarded.")
                pending, pending_check = None, None
            decision = Decision(ids[index], "reject", reason=reason)
        elif key == "e":
            current = pending if pending is not None else dict(item.get("fields") or {})
            try:
                edited_text = editor(fields_to_text(current, item_id=ids[index]))
                new_fields = fields_from_text(
                    edited_text, template=current, platform=str(item.get("platform"))
                )
                if new_fields == item.get("fields"):
                    console.print("No changes.")
                    pending, pending_check = None, None
                    continue
                new_check = session.recheck(item, new_fields)
            except (ValueError, CopygenError) as exc:
                # A bad edit (or a rule pack that fails to load) must not end the
                # session: the decisions so far are saved, the reviewer can go on.
                console.print(f"Edit not used: {exc}", style="red", markup=False)
                continue
            pending, pending_check = new_fields, new_check
            console.print(f"Checked the edited text again: {pending_check[0]}", markup=False)
            show = True
            continue
        elif key == "s":
            if pending is not None:
                console.print("Skipped; the edit was discarded.")
            counts["skipped"] += 1
            index += 1
            pending, pending_check, show = None, None, True
            continue
        elif key == "u":
            if not positions:
                console.print("Nothing to undo in this session.")
                continue
            restored = session.undo()
            index = positions.pop()
            counts["undone"] += 1
            if restored is not None:
                console.print(f"Undid the decision on {restored.get('id')}.", markup=False)
            pending, pending_check, show = None, None, True
            continue
        else:
            console.print(f"Unknown key {key!r}. {_MENU}", markup=False)
            continue
        try:
            session.decide(decision, check=pending_check)
        except InputError as exc:
            console.print(str(exc), style="red", markup=False)
            continue
        outcome = _OUTCOME[decision.decision]
        counts[outcome] += 1
        console.print(f"{outcome.capitalize()}: {ids[index]}", markup=False)
        positions.append(index)
        index += 1
        pending, pending_check, show = None, None, True
    return counts
