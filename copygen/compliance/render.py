"""Human-readable output of ``copygen check``: the copy with hits highlighted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from copygen.compliance.findings import CheckResult, Finding
from copygen.terminal import visible, visible_text

STYLE = {"block": "bold white on red", "warn": "black on yellow", "info": "underline cyan"}
STATUS_STYLE = {"blocked": "bold red", "review": "bold yellow", "pass": "bold green"}
LABELS = {
    "zh": {
        "blocked": "禁止发布",
        "review": "需人工复核",
        "pass": "通过",
        "law": "依据",
        "suggestion": "建议",
        "summary": "共 {items} 条：{blocked} 条禁止，{review} 条需复核，{pass} 条通过；"
        "{findings} 处问题",
    },
    "en": {
        "blocked": "blocked",
        "review": "needs review",
        "pass": "pass",
        "law": "law",
        "suggestion": "suggestion",
        "summary": "{items} texts: {blocked} blocked, {review} review, {pass} pass; "
        "{findings} findings",
    },
}


def _field_texts(content: str | Mapping[str, Any]) -> list[tuple[str, str]]:
    if isinstance(content, str):
        return [("text", content)]
    out: list[tuple[str, str]] = []
    for key, value in content.items():
        if isinstance(value, (list, tuple)):
            out.extend((f"{key}[{i}]", str(v)) for i, v in enumerate(value) if v is not None)
        elif value is not None:
            out.append((str(key), str(value)))
    return out


def highlighted(text: str, findings: Sequence[Finding]) -> Any:
    """A rich ``Text`` of ``text`` with each finding's span styled by severity, every
    control character in it shown rather than sent to the terminal."""
    rank = {"info": 0, "warn": 1, "block": 2}
    # Paint weaker severities first so that a block shows over an overlapping warn.
    ordered = sorted(findings, key=lambda f: rank.get(f.severity, 0))
    return visible_text(
        text,
        spans=[(f.start, f.end, STYLE.get(f.severity, "bold")) for f in ordered],
    )


def print_item(
    console: Any, item_id: Any, content: str | Mapping[str, Any], result: CheckResult, locale: str
) -> None:
    """One checked text: its status, its text with the hits highlighted, its findings.

    Everything that came with the input (the id, field names, the copy, the hit) or
    from a rule pack is shown through ``copygen.terminal``, so none of it can move the
    cursor or restyle the terminal.
    """
    from rich.text import Text

    labels = LABELS[locale]
    header = Text("#", style="bold")
    header.append(visible(item_id))
    header.append(" ")
    header.append(labels[result.status], style=STATUS_STYLE[result.status])
    console.print(header)
    fields = _field_texts(content)
    single = len(fields) == 1 and fields[0][0] == "text"
    for name, text in fields:
        mine = [f for f in result.findings if f.field == name]
        line = Text("  ") if single else Text(f"  {visible(name)}: ", style="dim")
        line.append_text(highlighted(text, mine))
        console.print(line)
    for finding in result.findings:
        where = "" if single else f" {visible(finding.field)}"
        line = Text("  - ")
        line.append(f"[{finding.severity}]", style=STYLE.get(finding.severity, ""))
        line.append(f" {visible(finding.rule)}{where} ")
        if finding.text:
            line.append(f"「{visible(finding.text)}」", style="bold")
        line.append(f" {visible(finding.message)}")
        console.print(line)
        if finding.law and finding.law != "—":
            console.print(Text(f"      {labels['law']}: {visible(finding.law)}", style="dim"))
        if finding.suggestion:
            console.print(
                Text(f"      {labels['suggestion']}: {visible(finding.suggestion)}", style="dim")
            )


def print_summary(console: Any, counts: Mapping[str, int], locale: str, rules_hash: str) -> None:
    from rich.text import Text

    text = LABELS[locale]["summary"].format(**counts)
    console.print(Text(f"{text} (rules {rules_hash[:12]})", style="bold"))
