"""Helpers shared by the command modules."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import typer

from copygen.config import Settings, load_settings
from copygen.config import split_list as split_list  # the one list splitter, re-exported

#: The end of every list option's help: what it takes besides one value.
LIST_HELP = "repeatable; comma lists work"


def list_option(*names: str, help: str, metavar: str = "NAME,...") -> Any:
    """A list option (``--platforms a,b --platforms c``): repeatable, and each value
    may be a comma list. Its values: :func:`split_list` (every repeat, each comma list
    split, in the order given, each value once) or :func:`list_paths`."""
    return typer.Option(None, *names, metavar=metavar, help=f"{help} ({LIST_HELP}).")


def map_option() -> Any:
    """``--map FIELD=COLUMN``: which column holds a product field."""
    return typer.Option(
        None,
        "--map",
        help="FIELD=COLUMN: the column holding a product field when copygen does not know "
        "its header, e.g. --map title=产品名称 --map sku=商品ID (repeatable; comma lists "
        "work; adds to 'columns:' in the config).",
    )


def list_paths(values: Iterable[str] | None) -> tuple[Path, ...]:
    """A list option of files or folders, as paths (``~`` expanded)."""
    return tuple(Path(value).expanduser() for value in split_list(values))


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


def judge_option() -> Any:
    return typer.Option(
        None,
        "--judge/--no-judge",
        help="Also ask an LLM judge to read each text as a reviewer would (adds judge.* "
        "findings; see 'judge:' in the config).",
    )


def judge_all_option() -> Any:
    return typer.Option(None, "--judge-all", help="Judge every text, also those the rules blocked.")


def judge_backend_option() -> Any:
    return typer.Option(
        None, "--judge-backend", help="The judge's backend: a config profile or openai."
    )


def judge_model_option() -> Any:
    return typer.Option(None, "--judge-model", help="The judge's model.")


def judge_base_url_option() -> Any:
    return typer.Option(None, "--judge-base-url", help="The judge's OpenAI-compatible endpoint.")


def judge_flags(
    *,
    judge: bool | None,
    judge_all: bool | None,
    judge_backend: str | None,
    judge_model: str | None,
    judge_base_url: str | None,
) -> dict[str, Any]:
    """The judge options as settings: naming the judge's model does not turn it on."""
    return {
        "judge": judge,
        "judge_all": True if judge_all else None,
        "judge_backend": judge_backend,
        "judge_model": judge_model,
        "judge_base_url": judge_base_url,
    }
