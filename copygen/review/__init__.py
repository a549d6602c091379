"""The reviewer's side of a finished batch: decide, export, report.

- ``outdir``: an output folder's result records and the audit log that belongs to it.
- ``decisions``: what a decision is, the checker's verdict, the review queue, decisions CSV.
- ``editing``: an item's fields as a plain text file, edited in ``$VISUAL``/``$EDITOR``.
- ``session``: ``ReviewSession``, which validates, logs and records every decision.
- ``interactive``: the terminal UI of ``copygen review`` (one item, one key at a time).
- ``exporting``: ``copygen export``, the publishable items with both AI-content labels.
- ``report_data``: the numbers of a batch (``ReportData``, ``summarize``) and their labels.
- ``report_html``: the self-contained HTML page of those numbers; ``report_assets``: its CSS and JS.
- ``report``: ``copygen report``, the folder read, the audit log verified, the page written.

The names below are imported lazily: ``from copygen.review import Decision`` loads
only the module that defines it, and the package itself loads neither rich nor
openpyxl, so that commands like ``copygen check`` keep their short cold start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# name -> module that defines it
_LAZY: dict[str, str] = {
    "AUDIT_FILE": "copygen.review.outdir",
    "audit_session": "copygen.review.outdir",
    "load_items": "copygen.review.outdir",
    "resolve_audit_path": "copygen.review.outdir",
    "DECIDABLE_STATUSES": "copygen.review.decisions",
    "REVIEW_STATUSES": "copygen.review.decisions",
    "ConflictError": "copygen.review.decisions",
    "Decision": "copygen.review.decisions",
    "QueueFilter": "copygen.review.decisions",
    "check_status": "copygen.review.decisions",
    "default_reviewer": "copygen.review.decisions",
    "describe_state": "copygen.review.decisions",
    "parse_decision": "copygen.review.decisions",
    "read_decisions_csv": "copygen.review.decisions",
    "queue_filter": "copygen.review.decisions",
    "scripted_decisions": "copygen.review.decisions",
    "edit_in_editor": "copygen.review.editing",
    "editor_command": "copygen.review.editing",
    "fields_from_text": "copygen.review.editing",
    "fields_to_text": "copygen.review.editing",
    "ReviewSession": "copygen.review.session",
    "Keys": "copygen.review.interactive",
    "render_item": "copygen.review.interactive",
    "run_interactive": "copygen.review.interactive",
    "EXPORTABLE_STATUSES": "copygen.review.exporting",
    "FORMATS": "copygen.review.exporting",
    "GROUP_BY": "copygen.review.exporting",
    "ExportResult": "copygen.review.exporting",
    "ExportedFile": "copygen.review.exporting",
    "export": "copygen.review.exporting",
    "export_format": "copygen.review.exporting",
    "publishable_record": "copygen.review.exporting",
    "table_row": "copygen.review.exporting",
    "CATEGORY_LABELS": "copygen.review.report_data",
    "STATUS_LABELS": "copygen.review.report_data",
    "ReportData": "copygen.review.report_data",
    "summarize": "copygen.review.report_data",
    "render_html": "copygen.review.report_html",
    "audit_state": "copygen.review.report",
    "write_report": "copygen.review.report",
}

if TYPE_CHECKING:
    from copygen.review.decisions import (
        DECIDABLE_STATUSES,
        REVIEW_STATUSES,
        ConflictError,
        Decision,
        QueueFilter,
        check_status,
        default_reviewer,
        describe_state,
        parse_decision,
        queue_filter,
        read_decisions_csv,
        scripted_decisions,
    )
    from copygen.review.editing import (
        edit_in_editor,
        editor_command,
        fields_from_text,
        fields_to_text,
    )
    from copygen.review.exporting import (
        EXPORTABLE_STATUSES,
        FORMATS,
        GROUP_BY,
        ExportedFile,
        ExportResult,
        export,
        export_format,
        publishable_record,
        table_row,
    )
    from copygen.review.interactive import Keys, render_item, run_interactive
    from copygen.review.outdir import AUDIT_FILE, audit_session, load_items, resolve_audit_path
    from copygen.review.report import audit_state, write_report
    from copygen.review.report_data import CATEGORY_LABELS, STATUS_LABELS, ReportData, summarize
    from copygen.review.report_html import render_html
    from copygen.review.session import ReviewSession

__all__ = [
    "AUDIT_FILE",
    "CATEGORY_LABELS",
    "DECIDABLE_STATUSES",
    "EXPORTABLE_STATUSES",
    "FORMATS",
    "GROUP_BY",
    "REVIEW_STATUSES",
    "STATUS_LABELS",
    "ConflictError",
    "Decision",
    "ExportResult",
    "ExportedFile",
    "Keys",
    "QueueFilter",
    "ReportData",
    "ReviewSession",
    "audit_session",
    "audit_state",
    "check_status",
    "default_reviewer",
    "describe_state",
    "edit_in_editor",
    "editor_command",
    "export",
    "export_format",
    "fields_from_text",
    "fields_to_text",
    "load_items",
    "parse_decision",
    "publishable_record",
    "queue_filter",
    "read_decisions_csv",
    "render_html",
    "render_item",
    "resolve_audit_path",
    "run_interactive",
    "scripted_decisions",
    "summarize",
    "table_row",
    "write_report",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'copygen.review' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
