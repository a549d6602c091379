"""The terminal side of ``copygen review``: one item at a time, one key per decision.

Each item is shown with its flagged spans highlighted, its findings and the
product facts; the reviewer approves, rejects, edits, skips or undoes. Every
decision goes through :meth:`ReviewSession.decide`, as a scripted one does.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from copygen.errors import CopygenError, InputError
from copygen.review.decisions import OUTCOMES, SEVERITY_RANK, Decision, check_status
from copygen.review.editing import edit_in_editor, fields_from_text, fields_to_text
from copygen.terminal import visible, visible_text

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from copygen.review.session import ReviewSession

__all__ = ["Keys", "render_item", "run_interactive"]

_STYLES = {"block": "bold white on red", "warn": "black on yellow", "info": "underline cyan"}


def _highlighted(text: str, findings: Sequence[Mapping[str, Any]]) -> Text:
    """The text with its flagged spans styled (a block over an overlapping warn), every
    control character in it shown, not obeyed: the copy and the product data come from
    files and model replies, and a reviewer's screen must show them as they are."""
    spans: list[tuple[int, int, str]] = []
    for f in sorted(findings, key=lambda f: SEVERITY_RANK.get(str(f.get("severity")), 0)):
        start, end = f.get("start"), f.get("end")
        if isinstance(start, int) and isinstance(end, int):
            spans.append((start, end, _STYLES.get(str(f.get("severity")), "bold")))
    return visible_text(text, spans=spans)


def _rule_title(
    item: Mapping[str, Any], verdict: str, *, position: int, total: int, edited: bool
) -> Text:
    from rich.text import Text

    colour = {"blocked": "red", "review": "yellow", "pass": "green"}.get(verdict, "cyan")
    return Text.assemble(
        (f"[{position}/{total}] ", "bold"),
        (visible(item.get("id")), "bold"),
        "  ",
        (visible(verdict), f"bold {colour}"),
        ("  (edited, not saved yet)" if edited else "", "italic"),
    )


def _fields_table(fields: Mapping[str, Any], findings: Sequence[Mapping[str, Any]]) -> Table:
    """One row per field (per item of a list field), its flagged spans highlighted."""
    from rich.table import Table

    text_table = Table(show_header=False, box=None, padding=(0, 1))
    text_table.add_column("field", style="dim", no_wrap=True)
    text_table.add_column("text", overflow="fold")
    for name, value in fields.items():
        if isinstance(value, (list, tuple)):
            for i, entry in enumerate(value):
                own = [f for f in findings if f.get("field") == f"{name}[{i}]"]
                text_table.add_row(visible_text(f"{name}[{i}]"), _highlighted(str(entry), own))
        else:
            own = [f for f in findings if f.get("field") == name]
            text_table.add_row(
                visible_text(name), _highlighted("" if value is None else str(value), own)
            )
    return text_table


def _findings_table(findings: Sequence[Mapping[str, Any]]) -> Table:
    from rich.table import Table

    table = Table(title="Findings", title_justify="left", show_lines=False)
    for column in ("sev", "rule", "category", "field", "text", "law", "suggestion"):
        table.add_column(column, overflow="fold")
    for f in findings:
        severity = str(f.get("severity"))
        table.add_row(
            visible_text(severity, style=_STYLES.get(severity, "")),
            *(
                visible_text(f.get(key, ""))
                for key in ("rule", "category", "field", "text", "law", "suggestion")
            ),
        )
    return table


def _facts_table(product: Mapping[str, Any]) -> Table:
    """The product row the copy was written from, to check its claims against."""
    from rich.table import Table

    facts = Table(title="Product facts", title_justify="left", show_header=False, box=None)
    facts.add_column("key", style="dim", no_wrap=True)
    facts.add_column("value", overflow="fold")
    for key in ("sku", "title", "brand", "category", "price", "promo_price", "audience"):
        if product.get(key) not in (None, "", []):
            facts.add_row(key, visible_text(product[key]))
    points = product.get("selling_points") or []
    if points:
        facts.add_row("selling_points", visible_text("；".join(str(p) for p in points)))
    attributes = product.get("attributes") or {}
    if isinstance(attributes, Mapping) and attributes:
        facts.add_row(
            "attributes", visible_text("; ".join(f"{k}: {v}" for k, v in attributes.items()))
        )
    return facts


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
    from rich.text import Text

    shown_fields = dict(fields if fields is not None else item.get("fields") or {})
    shown_findings = list(findings if findings is not None else item.get("findings") or [])
    verdict = status or str(item.get("status"))
    console.rule(
        _rule_title(item, verdict, position=position, total=total, edited=fields is not None)
    )
    console.print(_fields_table(shown_fields, shown_findings))
    if shown_findings:
        console.print(_findings_table(shown_findings))
    else:
        console.print(Text("No findings.", style="green"))
    product = item.get("product") if isinstance(item.get("product"), Mapping) else None
    if product:
        console.print(_facts_table(product))
    review = item.get("review") if isinstance(item.get("review"), Mapping) else None
    if review:
        console.print(
            visible_text(
                f"Previously {review.get('decision')} by {review.get('reviewer')} at "
                f"{review.get('ts')}"
                + (f": {review.get('reason')}" if review.get("reason") else ""),
                keep="",
            )
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


@dataclass
class _Walk:
    """A reviewer's way through the queue: where they are, what they did, what is unsaved."""

    session: ReviewSession
    ids: list[str]
    console: Console
    keys: Keys
    editor: Callable[[str], str]
    counts: dict[str, int] = field(
        default_factory=lambda: {"approved": 0, "rejected": 0, "skipped": 0, "undone": 0}
    )
    positions: list[int] = field(default_factory=list)  # queue index of each decision, for undo
    index: int = 0
    pending: dict[str, Any] | None = None  # edited fields not yet decided
    pending_check: tuple[str, list[dict[str, Any]]] | None = None
    show: bool = True  # render the current item before the next prompt

    @property
    def item_id(self) -> str:
        return self.ids[self.index]

    def fresh(self) -> None:
        """Forget any unsaved edit and show the current item again before the next prompt."""
        self.pending, self.pending_check, self.show = None, None, True

    def render(self, item: Mapping[str, Any]) -> None:
        render_item(
            self.console,
            item,
            position=self.index + 1,
            total=len(self.ids),
            fields=self.pending,
            findings=self.pending_check[1] if self.pending_check else None,
            status=self.pending_check[0] if self.pending_check else None,
        )


# Each key's handler returns the decision to record, or None when there is none
# (cancelled, or the key changes only where the reviewer is).


def _approve(walk: _Walk, item: Mapping[str, Any]) -> Decision | None:
    verdict = walk.pending_check[0] if walk.pending_check else check_status(item)
    reason: str | None = None
    force = False
    if verdict == "blocked":
        walk.console.print(
            "[bold red]The checker blocked this text.[/] Approving it is recorded as "
            "forced. Reason (required, empty to cancel):"
        )
        reason = walk.keys.line()
        if not reason or not reason.strip():
            walk.console.print("Not approved.")
            return None
        force = True
    return Decision(walk.item_id, "approve", reason=reason, force=force, fields=walk.pending)


def _reject(walk: _Walk, item: Mapping[str, Any]) -> Decision | None:
    walk.console.print("Reason for rejecting (required, empty to cancel):")
    reason = walk.keys.line()
    if not reason or not reason.strip():
        walk.console.print("Not rejected: a reason is required.")
        return None
    if walk.pending is not None:
        # A rejection is about the generated text; an unsaved edit is dropped.
        walk.console.print("The edit was discarded.")
        walk.pending, walk.pending_check = None, None
    return Decision(walk.item_id, "reject", reason=reason)


def _edit(walk: _Walk, item: Mapping[str, Any]) -> None:
    """Edit the text (again); the edit is checked now and kept until a decision."""
    current = walk.pending if walk.pending is not None else dict(item.get("fields") or {})
    try:
        edited_text = walk.editor(fields_to_text(current, item_id=walk.item_id))
        new_fields = fields_from_text(
            edited_text, template=current, platform=str(item.get("platform"))
        )
        if new_fields == item.get("fields"):
            walk.console.print("No changes.")
            walk.pending, walk.pending_check = None, None
            return
        new_check = walk.session.recheck(item, new_fields)
    except (ValueError, CopygenError) as exc:
        # A bad edit (or a rule pack that fails to load) must not end the
        # session: the decisions so far are saved, the reviewer can go on.
        walk.console.print(visible_text(f"Edit not used: {exc}", style="red", keep=""))
        return
    walk.pending, walk.pending_check = new_fields, new_check
    walk.console.print(
        visible_text(f"Checked the edited text again: {walk.pending_check[0]}", keep="")
    )
    walk.show = True


def _skip(walk: _Walk, item: Mapping[str, Any]) -> None:
    if walk.pending is not None:
        walk.console.print("Skipped; the edit was discarded.")
    walk.counts["skipped"] += 1
    walk.index += 1
    walk.fresh()


def _undo(walk: _Walk, item: Mapping[str, Any]) -> None:
    """Take back this session's last decision and go back to its item."""
    if not walk.positions:
        walk.console.print("Nothing to undo in this session.")
        return
    restored = walk.session.undo()
    walk.index = walk.positions.pop()
    walk.counts["undone"] += 1
    if restored is not None:
        walk.console.print(visible_text(f"Undid the decision on {restored.get('id')}.", keep=""))
    walk.fresh()


_HANDLERS: dict[str, Callable[[_Walk, Mapping[str, Any]], Decision | None]] = {
    "a": _approve,
    "r": _reject,
    "e": _edit,
    "s": _skip,
    "u": _undo,
}


def _record(walk: _Walk, decision: Decision) -> None:
    """Make the decision through the session and move on; a refused one is shown, not fatal."""
    try:
        walk.session.decide(decision, check=walk.pending_check)
    except InputError as exc:
        walk.console.print(visible_text(exc, style="red", keep=""))
        return
    outcome = OUTCOMES[decision.decision]
    walk.counts[outcome] += 1
    walk.console.print(visible_text(f"{outcome.capitalize()}: {walk.item_id}", keep=""))
    walk.positions.append(walk.index)
    walk.index += 1
    walk.fresh()


def run_interactive(
    session: ReviewSession,
    queue: Sequence[Mapping[str, Any]],
    *,
    console: Console,
    keys: Keys,
    editor: Callable[[str], str] = edit_in_editor,
) -> dict[str, int]:
    """Walk the queue with a person; return counts of approved, rejected, skipped, undone."""
    walk = _Walk(session, [str(item["id"]) for item in queue], console, keys, editor)
    while walk.index < len(walk.ids):
        item = session.items[walk.item_id]
        if walk.show:
            walk.render(item)
        walk.show = False
        console.print(_MENU, markup=False)
        key = keys.key()
        if key is None or key == "q":
            break
        handler = _HANDLERS.get(key)
        if handler is None:
            console.print(visible_text(f"Unknown key {key!r}. {_MENU}", keep=""))
            continue
        decision = handler(walk, item)
        if decision is not None:
            _record(walk, decision)
    return walk.counts
