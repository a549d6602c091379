"""The JSON bodies of the desk's API, read and checked before anything is decided.

Every body is a JSON object with known keys only (a misspelt ``"reasn"`` is an
error, not a silently missing reason) and values of the documented types. An
edited text must have the item's own fields, shaped as they are (a list stays a
list of texts). Whatever is wrong is a :class:`BadRequest` naming the key.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from copygen.errors import InputError
from copygen.platforms import PLATFORM_NAMES
from copygen.review.decisions import parse_decision

__all__ = [
    "MAX_NAME",
    "MAX_REASON",
    "BadRequest",
    "CheckBody",
    "DecisionBody",
    "ExportBody",
    "check_body",
    "decision_body",
    "edited_fields",
    "export_body",
    "report_title",
    "reviewer_name",
]

MAX_NAME = 80
MAX_REASON = 2000
_VERSION = re.compile(r"^[0-9a-f]{64}$")
EXPORT_FORMATS: tuple[str, ...] = ("xlsx", "csv", "jsonl")
GROUPS: tuple[str, ...] = ("platform", "sku")


class BadRequest(InputError):
    """A request the desk cannot act on as sent (HTTP 400)."""


def _object(data: Any, allowed: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise BadRequest("the body must be a JSON object")
    unknown = [key for key in data if key not in allowed]
    if unknown:
        raise BadRequest(f"unknown key {unknown[0]!r}; expected {', '.join(allowed)}")
    return data


def _text(data: Mapping[str, Any], key: str, *, limit: int) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"{key!r} must be a string")
    if len(value) > limit:
        raise BadRequest(f"{key!r} is longer than {limit} characters")
    return value


def reviewer_name(value: Any) -> str | None:
    """The reviewer's name as it goes into the audit log, or None when not given."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest("'reviewer' must be a string")
    name = value.strip()
    if not name:
        return None
    if len(name) > MAX_NAME:
        raise BadRequest(f"'reviewer' is longer than {MAX_NAME} characters")
    # The name is printed in terminals and logs: no control or format characters.
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        raise BadRequest("'reviewer' holds a control character")
    return name


@dataclass(frozen=True)
class DecisionBody:
    decision: str  # approve | reject
    reason: str | None
    reviewer: str | None
    force: bool
    fields: Mapping[str, Any] | None
    version: str | None


def decision_body(data: Any) -> DecisionBody:
    """``{"decision", "reason", "reviewer", "force", "fields", "version"}``."""
    body = _object(data, ("decision", "reason", "reviewer", "force", "fields", "version"))
    word = body.get("decision")
    if not isinstance(word, str):
        raise BadRequest('\'decision\' is required: "approve" or "reject"')
    try:
        decision = parse_decision(word)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    force = body.get("force", False)
    if not isinstance(force, bool):
        raise BadRequest("'force' must be true or false")
    fields = body.get("fields")
    if fields is not None and not isinstance(fields, Mapping):
        raise BadRequest("'fields' must be an object of field texts")
    version = body.get("version")
    if version is not None and (not isinstance(version, str) or not _VERSION.match(version)):
        raise BadRequest("'version' must be the item's version as GET /api/items/{id} gives it")
    return DecisionBody(
        decision=decision,
        reason=_text(body, "reason", limit=MAX_REASON),
        reviewer=reviewer_name(body.get("reviewer")),
        force=force,
        fields=fields,
        version=version,
    )


def edited_fields(template: Any, fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` checked against the item's own: the same names, a list where the
    item has a list (of texts), a text where it has a text."""
    if not isinstance(template, Mapping) or not template:
        raise BadRequest("this item has no text to edit")
    unknown = [name for name in fields if name not in template]
    if unknown:
        raise BadRequest(f"unknown field {unknown[0]!r}; fields are: {', '.join(template)}")
    missing = [name for name in template if name not in fields]
    if missing:
        raise BadRequest(f"field {missing[0]!r} is missing")
    out: dict[str, Any] = {}
    for name, original in template.items():
        value = fields[name]
        if isinstance(original, (list, tuple)):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise BadRequest(f"field {name!r} must be a list of texts")
            out[name] = [v.strip() for v in value if v.strip()]
        else:
            if not isinstance(value, str):
                raise BadRequest(f"field {name!r} must be a text")
            out[name] = value.strip()
    return out


@dataclass(frozen=True)
class CheckBody:
    item_id: str | None
    fields: Mapping[str, Any]
    platform: str | None
    lang: str | None


def check_body(data: Any) -> CheckBody:
    """``{"id", "fields"}`` (an item's edited text, checked as that item), or
    ``{"fields" | "text", "platform", "lang"}`` (any copy)."""
    body = _object(data, ("id", "fields", "text", "platform", "lang"))
    item_id = _text(body, "id", limit=1000)
    fields = body.get("fields")
    text = body.get("text")
    if (fields is None) == (text is None):
        raise BadRequest("send either 'fields' (an object) or 'text' (a string)")
    if text is not None:
        if not isinstance(text, str):
            raise BadRequest("'text' must be a string")
        fields = {"text": text}
    if not isinstance(fields, Mapping):
        raise BadRequest("'fields' must be an object of field texts")
    for name, value in fields.items():
        ok = isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        )
        if not ok:
            raise BadRequest(f"field {name!r} must be a text or a list of texts")
    platform = _text(body, "platform", limit=40)
    if platform is not None and platform not in PLATFORM_NAMES:
        raise BadRequest(f"unknown platform {platform!r}; expected {', '.join(PLATFORM_NAMES)}")
    if item_id is not None and (platform is not None or body.get("lang") is not None):
        raise BadRequest("an item is checked as its own platform and language: send 'id' alone")
    return CheckBody(
        item_id=item_id, fields=fields, platform=platform, lang=_text(body, "lang", limit=20)
    )


@dataclass(frozen=True)
class ExportBody:
    format: str
    group_by: str | None


def export_body(data: Any) -> ExportBody:
    """``{"format": "xlsx"|"csv"|"jsonl", "group_by": null|"platform"|"sku"}``."""
    body = _object(data if data is not None else {}, ("format", "group_by"))
    fmt = body.get("format", "xlsx")
    if fmt not in EXPORT_FORMATS:
        raise BadRequest(f"unknown format {fmt!r}; expected {', '.join(EXPORT_FORMATS)}")
    group_by = body.get("group_by")
    if group_by is not None and group_by not in GROUPS:
        raise BadRequest(f"cannot group by {group_by!r}; expected {' or '.join(GROUPS)}")
    return ExportBody(format=str(fmt), group_by=group_by)


def report_title(data: Any) -> str | None:
    """``{"title": "..."}`` (optional)."""
    body = _object(data if data is not None else {}, ("title",))
    return _text(body, "title", limit=200)
