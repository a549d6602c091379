"""Helpers shared by the command modules."""

from __future__ import annotations

from typing import Any

import typer

from copygen.config import Settings, load_settings


def settings_from(ctx: typer.Context, **flags: Any) -> Settings:
    """The effective settings for a command: its flags over env over the config file.

    A command may take its own ``--config``; it wins over the global one.
    """
    obj = ctx.find_root().obj or {}
    config_path = flags.pop("config", None) or obj.get("config")
    if obj.get("debug"):
        flags.setdefault("debug", True)
    return load_settings(cli=flags, config_path=config_path)


def audit_key_file_option() -> Any:
    """``--audit-key-file``, the same on every command that reads or writes a log."""
    return typer.Option(
        None,
        "--audit-key-file",
        help="File holding the audit key (else COPYGEN_AUDIT_KEY, COPYGEN_AUDIT_KEY_FILE, "
        "or audit_key_file in the config).",
    )
