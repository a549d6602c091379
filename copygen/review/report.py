"""``copygen report``: an output folder's results as one self-contained HTML file.

The numbers come from :mod:`copygen.review.report_data`, the page from
:mod:`copygen.review.report_html`; this module reads the folder and its audit log
and writes the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from copygen.review.outdir import load_items, resolve_audit_path
from copygen.review.report_data import ReportData, summarize
from copygen.review.report_html import render_html

if TYPE_CHECKING:
    from copygen.config import Settings

__all__ = ["audit_state", "write_report"]


def audit_state(path: Path) -> dict[str, Any] | None:
    """Whether the audit log at ``path`` verifies, for the report's header (None: no log)."""
    from copygen.audit import verify

    if not path.is_file():
        return None
    report = verify(path)
    return {
        "path": str(path),
        "ok": report.ok,
        "events": report.events,
        "head": report.head,
        "line": report.line,
        "reason": report.reason,
    }


def write_report(
    *,
    outdir: str | Path,
    output: str | Path,
    title: str | None = None,
    audit_path: str | Path | None = None,
    settings: Settings | None = None,
) -> ReportData:
    """Read an output folder's results and write the HTML report to ``output``.

    The folder's audit log (see :func:`copygen.review.outdir.resolve_audit_path`) is
    verified and its state shown in the header, so a reader knows whether the
    record behind the numbers is intact.
    """
    from copygen.files.atomic import atomic_writer

    folder = Path(outdir)
    items = load_items(folder)
    data = summarize(items, title=title or f"copygen 文案报告 · {folder.resolve().name}")
    data.audit = audit_state(resolve_audit_path(folder, settings=settings, explicit=audit_path))
    with atomic_writer(output, "w", encoding="utf-8") as handle:
        handle.write(render_html(data))
    return data
