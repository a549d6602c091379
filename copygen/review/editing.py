"""Editing an item's copy as plain text, in the reviewer's own editor.

The fields become a text file with one ``@@ name`` section per field, the editor
named by ``$VISUAL`` or ``$EDITOR`` opens it, and what was saved is parsed back
into fields shaped like the originals.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from copygen.errors import InputError
from copygen.platforms import PLATFORM_SPECS

__all__ = ["edit_in_editor", "editor_command", "fields_from_text", "fields_to_text"]

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
