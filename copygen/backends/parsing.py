"""Turn a model's reply into the platform's fields, forgiving the usual mess.

Models wrap JSON in code fences, add a sentence before or after it, use typographic
quotes as delimiters, nest the fields under a key, give a list as a bulleted string or
hashtags with ``#``. All of that is repaired here; what cannot be repaired (no JSON
object, a required field missing or empty) raises ``ReplyParseError`` with a short
reason, which the pipeline treats as a retriable failure of the item.

Length limits are not enforced here: the checker reports them as ``format`` findings,
so a long but usable reply can still be repaired rather than thrown away.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from copygen.errors import BackendError
from copygen.platforms import FieldSpec, PlatformSpec, get_platform


class ReplyParseError(BackendError):
    """The reply holds no usable fields for the platform."""

    def __init__(self, reason: str, *, reply: str = "") -> None:
        # The message is the bare reason ("missing field hashtags for social"); callers
        # add their own context such as "unusable reply: ".
        super().__init__(reason)
        self.reason = reason
        self.reply = reply


# Other names models use for the fields (compared after _norm_key).
_ALIASES: dict[str, str] = {
    # livestream
    "opening": "hook",
    "opening_hook": "hook",
    "开场": "hook",
    "开场钩子": "hook",
    "钩子": "hook",
    "script": "segments",
    "segment": "segments",
    "script_segments": "segments",
    "口播段落": "segments",
    "段落": "segments",
    "cta": "call_to_action",
    "calltoaction": "call_to_action",
    "行动号召": "call_to_action",
    # social
    "标题": "title",
    "content": "body",
    "text": "body",
    "正文": "body",
    "hashtag": "hashtags",
    "tags": "hashtags",
    "topics": "hashtags",
    "话题": "hashtags",
    "话题标签": "hashtags",
    "标签": "hashtags",
    # detail
    "主标题": "headline",
    "bullet_points": "bullets",
    "bullet": "bullets",
    "selling_points": "bullets",
    "卖点": "bullets",
    "卖点要点": "bullets",
    "details": "description",
    "详细描述": "description",
    "描述": "description",
}
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_-]*)[ \t]*\r?\n?(.*?)```", re.DOTALL)
_SMART_OPEN = re.compile(r"(?<=[{\[,:])(\s*)[“”„‟＂]")
_SMART_CLOSE = re.compile(r"[“”„‟＂](?=\s*[:,}\]])")
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
_LIST_MARKER = re.compile(
    r"^\s*(?:[-*•·●▪◦‣–—]|\d{1,2}\s*[.)、．：:](?!\d)|[（(]\d{1,2}[）)]|[①-⑩]|[一二三四五六七八九十][、.．])\s*"
)
_HASHTAG_SPLIT = re.compile(r"[\s,，、;；|/]+")


def parse_fields(text: str, platform: str) -> dict[str, Any]:
    """The platform's fields from a reply: text fields as str, list fields as list[str].

    Raises ``ReplyParseError`` when no JSON object with the required fields is found.
    Unknown extra keys are dropped; the result lists fields in the platform's order.
    """
    spec = get_platform(platform)
    if not text or not text.strip():
        raise ReplyParseError("empty reply", reply=text or "")
    best: dict[str, Any] | None = None
    best_score = -1
    for candidate in _candidates(text):
        fields = _unwrap(_normalise_keys(candidate), spec)
        score = sum(1 for name in spec.field_names if _present(fields.get(name)))
        if score > best_score:
            best, best_score = fields, score
        if score == len(spec.fields):
            break
    if best is None:
        raise ReplyParseError("no JSON object found", reply=text)
    out: dict[str, Any] = {}
    missing: list[str] = []
    for field in spec.fields:
        value = _coerce(best.get(field.name), field)
        if value is None or value == [] or value == "":
            if field.required:
                missing.append(field.name)
            continue
        out[field.name] = value
    if missing:
        raise ReplyParseError(
            f"missing {'field' if len(missing) == 1 else 'fields'} {', '.join(missing)} "
            f"for {platform}",
            reply=text,
        )
    return out


# --- finding the JSON object ------------------------------------------------------------


def find_json_object(text: str) -> dict[str, Any] | None:
    """The first JSON object in a reply (fences, prose and quote slips forgiven), or None."""
    return next(_candidates(text or ""), None)


def json_objects(text: str) -> Iterator[dict[str, Any]]:
    """Every JSON object the reply plausibly holds, the most likely (outermost) first."""
    return _candidates(text or "")


def _candidates(text: str) -> Iterator[dict[str, Any]]:
    """Every dict the reply plausibly holds, the most likely first."""
    text = text.strip().lstrip("\ufeff")
    sources: list[str] = []
    for match in _FENCE.finditer(text):
        sources.append(match.group(2))
    if "```" in text and not sources:  # an unclosed fence: take what follows it
        sources.append(text.split("```", 1)[1].split("\n", 1)[-1])
    sources.append(text)
    for source in sources:
        yield from _decode_all(source)


def _decode_all(source: str) -> Iterator[dict[str, Any]]:
    for attempt in (source, _fix_quotes(source), _TRAILING_COMMA.sub(r"\1", _fix_quotes(source))):
        found = False
        for value in _scan(attempt):
            found = True
            yield value
        if found:
            return
    literal = _python_literal(source)
    if literal is not None:
        yield literal


def _scan(source: str) -> Iterator[dict[str, Any]]:
    """Dicts decoded at each ``{`` (outermost first), and JSON strings holding JSON."""
    decoder = json.JSONDecoder()
    stripped = source.strip()
    if stripped.startswith('"'):
        try:
            inner = json.loads(stripped)
        except ValueError:
            inner = None
        if isinstance(inner, str):
            yield from _scan(inner)
    pos = source.find("{")
    while pos != -1:
        try:
            value, end = decoder.raw_decode(source, pos)
        except ValueError:
            pos = source.find("{", pos + 1)
            continue
        if isinstance(value, dict):
            yield value
            pos = source.find("{", end)
        else:
            pos = source.find("{", pos + 1)


def _fix_quotes(source: str) -> str:
    """Typographic quotes used as JSON delimiters become ``"``; those inside text stay."""
    return _SMART_CLOSE.sub('"', _SMART_OPEN.sub(r'\1"', source))


def _python_literal(source: str) -> dict[str, Any] | None:
    """A Python-style dict (single quotes, True/None), evaluated safely as a literal."""
    start, end = source.find("{"), source.rfind("}")
    if start == -1 or end <= start:
        return None
    try:
        value = ast.literal_eval(source[start : end + 1])
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return None
    return value if isinstance(value, dict) else None


# --- shaping the fields ------------------------------------------------------------------


def _norm_key(key: Any) -> str:
    text = str(key).strip().strip("#*_ ").lower()
    text = re.sub(r"[\s\-]+", "_", text)
    return _ALIASES.get(text, _ALIASES.get(text.replace("_", ""), text))


def _normalise_keys(value: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = _norm_key(key)
        if name not in out or not _present(out[name]):
            out[name] = item
    return out


def _unwrap(fields: dict[str, Any], spec: PlatformSpec) -> dict[str, Any]:
    """Use a nested dict (``{"social": {...}}``, ``{"result": {...}}``) when it fits better."""
    direct = sum(1 for name in spec.field_names if name in fields)
    if direct == len(spec.fields):
        return fields
    best, best_count = fields, direct
    for key, inner in fields.items():
        if not isinstance(inner, dict):
            continue
        inner_fields = _normalise_keys(inner)
        count = sum(1 for name in spec.field_names if name in inner_fields)
        if count > best_count or (count == best_count and count and key == spec.name):
            best, best_count = inner_fields, count
    return best


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None if value is None else str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, Mapping):
        for key in ("text", "content", "value"):
            if isinstance(value.get(key), (str, int, float)):
                return _text(value[key])
        return None
    return None


def _coerce(value: Any, field: FieldSpec) -> Any:
    if field.kind == "text":
        if isinstance(value, list):
            parts = [t for t in (_text(v) for v in value) if t]
            return "\n".join(parts) if parts else None
        return _text(value)
    # A list field.
    if value is None:
        return None
    if isinstance(value, str):
        items: list[Any] = _split_list_text(value, hashtags=field.name == "hashtags")
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        text = _text(value)
        items = [text] if text else []
    out: list[str] = []
    for item in items:
        text = _text(item)
        if not text:
            continue
        if isinstance(item, str):
            text = _LIST_MARKER.sub("", text, count=1).strip()
        if field.name == "hashtags":
            text = text.strip("#＃ ").strip()
        if text and text not in out:
            out.append(text)
    return out


def _split_list_text(value: str, *, hashtags: bool) -> list[str]:
    """A list given as one string: one item a line, or hashtags separated by spaces/#/commas."""
    lines = [line for line in value.splitlines() if line.strip()]
    if hashtags:
        parts: list[str] = []
        for line in lines:
            chunks = re.split(r"[#＃]", line) if ("#" in line or "＃" in line) else [line]
            for chunk in chunks:
                parts.extend(p for p in _HASHTAG_SPLIT.split(chunk) if p)
        return parts
    if len(lines) == 1:
        # "a；b；c" on one line: split on Chinese/ASCII semicolons only (commas are prose).
        pieces = [p for p in re.split(r"[;；]", lines[0]) if p.strip()]
        return pieces if len(pieces) > 1 else lines
    return lines
