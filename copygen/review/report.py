"""``copygen report``: an output folder's results as one self-contained HTML file.

The numbers come from :mod:`copygen.review.report_data`, the page from
:mod:`copygen.review.report_html`; this module reads the folder and its audit log
and writes the file. Numbers from records the audit log contradicts are never
shown: the report is refused (exit 4), as export is.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from copygen.review.outdir import load_numbered_items, prove_outdir, resolve_audit_path
from copygen.review.report_data import ReportData, summarize
from copygen.review.report_html import render_html

if TYPE_CHECKING:
    from copygen.audit.binding import RecordProof
    from copygen.config import Settings

__all__ = ["audit_state", "write_report"]


def audit_state(path: Path, proof: RecordProof | None = None) -> dict[str, Any] | None:
    """Whether the audit log at ``path`` verifies, for the report's header (None: no log).

    ``proof``: the records already judged against it (its verification is reused,
    and ``records`` counts them: proven, mismatched, unproven).
    """
    from copygen.audit import verify

    if not path.is_file():
        return None
    report = proof.report if proof is not None and proof.report is not None else verify(path)
    state: dict[str, Any] = {
        "path": str(path),
        "ok": report.ok,
        "events": report.events,
        "head": report.head,
        "line": report.line,
        "reason": report.reason,
    }
    if proof is not None:
        state["records"] = proof.to_dict()
    return state


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
    record behind the numbers is intact. Every record is checked against the log
    first (:mod:`copygen.audit.binding`): AuditError (exit 4) when the log
    contradicts one, or, with an audit key in force, cannot prove one or fails
    verification. Without a key a log that fails verification is shown as such
    in the header, and the records are judged against its intact beginning;
    ``data.audit["unproven"]`` says why some records could not be proven, if any
    (``data.audit`` is None when there is no log: then none could be).
    """
    from copygen.audit.key import key_from_settings
    from copygen.files.atomic import atomic_writer

    folder = Path(outdir)
    numbered = load_numbered_items(folder)
    key = key_from_settings(settings)
    log = resolve_audit_path(folder, settings=settings, explicit=audit_path)
    proof = prove_outdir(folder, numbered, log=log, key=key)
    unproven = proof.enforce(keyed=key is not None, chain=False)
    items = [record for _, record in numbered]
    data = summarize(items, title=title or f"copygen 文案报告 · {folder.resolve().name}")
    data.audit = audit_state(log, proof)
    if data.audit is not None:
        data.audit["unproven"] = unproven
    with atomic_writer(output, "w", encoding="utf-8") as handle:
        handle.write(render_html(data))
    return data
