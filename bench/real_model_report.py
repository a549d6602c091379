"""What a real model did in one ``copygen generate`` output folder.

    python bench/real_model_report.py OUTDIR [OUTDIR ...]

Reads ``results.jsonl`` and the audit log and prints, per folder: items, pass on the
first draft, pass after repair, items kept from an earlier draft rather than the
repair, runaway replies (cut at ``max_tokens``: ``finish_reason`` "length"),
requests that timed out, echoed prompt text, requests and wall time. Numbers for the
README's "Real models" section come from here; the run itself needs a real model
(``../shared/tools/real-llm/setup.sh``), so this is not part of CI.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from copygen.audit import read_events  # noqa: E402
from copygen.compliance.format_checks import echo_issues  # noqa: E402


def report(outdir: Path) -> dict[str, Any]:
    records = [
        json.loads(line)
        for line in (outdir / "results.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    events = read_events(outdir / "audit.jsonl")
    first_status: dict[str, str] = {}
    echoed = 0
    for event in events:
        if event["event"] == "checked":
            if event.get("attempt") == 1:
                first_status[event["item"]] = event["status"]
            rules = {f.get("rule") for f in event.get("findings") or ()}
            echoed += "format.template_echo" in rules
    generated = [e for e in events if e["event"] == "generated"]
    finished = [e for e in events if e["event"] == "run_finished"]
    statuses = [r["status"] for r in records]
    return {
        "items": len(records),
        "pass_first_draft": sum(1 for s in first_status.values() if s == "pass"),
        "pass_final": statuses.count("pass"),
        "pass_after_repair": sum(
            1 for r in records if r["status"] == "pass" and first_status.get(r["id"]) != "pass"
        ),
        "review": statuses.count("review"),
        "blocked": statuses.count("blocked"),
        "errors": statuses.count("error"),
        "kept_earlier_draft": sum(
            1
            for r in records
            if r.get("kept_attempt") is not None and r["kept_attempt"] < r.get("attempts", 1)
        ),
        "drafts_with_echo": echoed,
        # Judged by today's checker, so a folder written before the echo rule existed
        # shows what it let through.
        "passed_with_echo": sum(
            1
            for r in records
            if r["status"] == "pass" and echo_issues(r.get("fields") or {}, r["platform"])
        ),
        "requests": len(generated),
        "runaway_replies": sum(1 for e in generated if e.get("finish_reason") == "length"),
        "timed_out_requests": sum(1 for e in generated if "timed out" in str(e.get("error") or "")),
        "wall_s": round(sum(e.get("duration_ms") or 0 for e in finished) / 1000, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdirs", nargs="+", type=Path)
    args = parser.parse_args(argv)
    rows = {str(folder): report(folder) for folder in args.outdirs}
    keys = list(next(iter(rows.values())))
    width = max(len(k) for k in keys)
    print(" " * width, *(f"{Path(name).name:>14}" for name in rows))
    for key in keys:
        print(f"{key:<{width}}", *(f"{row[key]:>14}" for row in rows.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
