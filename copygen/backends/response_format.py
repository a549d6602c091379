"""What a request asks of the model's reply: its JSON shape and its length.

Both come from the platform's fields and limits (``copygen.platforms``), so a small
model is held to them by the server instead of only by the prompt:

- ``response_format_for`` builds the ``response_format`` of a chat request: a strict
  JSON schema (``copy_<platform>``: the fields, ``required``, no other properties,
  ``maxLength`` per text, ``minItems``/``maxItems`` per list), or plain ``json_object``.
  A server with grammar-constrained decoding (vLLM, llama.cpp, Ollama, OpenAI) then
  cannot loop in a list until ``max_tokens``.
- ``auto_max_tokens`` sizes ``max_tokens`` from the characters the platform allows,
  the language's tokens per character and the JSON around the text, so a runaway
  reply is cut near the longest acceptable one instead of at a fixed large number.
"""

from __future__ import annotations

import math
from typing import Any

from copygen.platforms import PLATFORM_SPECS, PlatformSpec

#: The levels of ``response_format``, best first; a server that rejects one is asked
#: with the next. ``none`` leaves JSON to the prompt alone.
LEVELS: tuple[str, ...] = ("json_schema", "json_object", "none")
#: JSON-schema keywords that carry the platform's limits; some servers reject them
#: (OpenAI's strict mode has rejected string lengths), and the schema then goes without.
LIMIT_KEYWORDS: tuple[str, ...] = ("maxLength", "minItems", "maxItems")

#: Tokens per character of text, by language. Qwen's tokenizer spends about one token
#: per Chinese character (often less), GPT-style tokenizers about 0.25 per English one;
#: these err on the long side, since a reply cut short is a wasted request.
TOKENS_PER_CHAR: dict[str, float] = {"zh": 1.0, "ja": 1.0, "ko": 1.0, "en": 0.3}
OTHER_TOKENS_PER_CHAR = 0.5
#: The JSON around the text: braces and fences, each field's key and quotes, each list
#: item's quotes and comma.
JSON_TOKENS = 16
FIELD_TOKENS = 8
ITEM_TOKENS = 3
#: Never ask for fewer than this.
MIN_MAX_TOKENS = 256


def schema_name(platform: str) -> str:
    return f"copy_{platform}"


def platform_schema(platform: str, *, limits: bool = True) -> dict[str, Any] | None:
    """The JSON schema of ``platform``'s reply, or None for an unknown platform.

    Strict-mode shape: every property listed in ``required`` and no others allowed;
    a field the platform does not require may be null. ``limits=False`` leaves out
    ``maxLength``/``minItems``/``maxItems`` for servers that reject them.
    """
    spec = PLATFORM_SPECS.get(platform)
    if spec is None:
        return None
    properties: dict[str, Any] = {}
    for field in spec.fields:
        text: dict[str, Any] = {"type": "string"}
        if limits and field.max_chars:
            text["maxLength"] = field.max_chars
        prop: dict[str, Any]
        if field.kind == "list":
            prop = {"type": "array", "items": text}
            if limits and field.min_items is not None:
                prop["minItems"] = field.min_items
            if limits and field.max_items is not None:
                prop["maxItems"] = field.max_items
        else:
            prop = text
        if not field.required:
            prop["type"] = [prop["type"], "null"]
        prop["description"] = field.description_en
        properties[field.name] = prop
    return {
        "type": "object",
        "properties": properties,
        "required": list(spec.field_names),
        "additionalProperties": False,
    }


def json_schema_format(name: str, schema: dict[str, Any], *, strict: bool = True) -> dict[str, Any]:
    """A ``response_format`` of type ``json_schema`` around ``schema``."""
    return {
        "type": "json_schema",
        "json_schema": {"name": name, "strict": strict, "schema": schema},
    }


def response_format_for(
    level: str, platform: str | None, *, limits: bool = True
) -> dict[str, Any] | None:
    """The ``response_format`` for ``level``; None for ``none``.

    ``json_schema`` for a request whose platform is not known (a probe, a plugin's own
    request) falls back to ``json_object``: there is no schema to send.
    """
    if level == "none":
        return None
    if level == "json_schema" and platform is not None:
        schema = platform_schema(platform, limits=limits)
        if schema is not None:
            return json_schema_format(schema_name(platform), schema)
    return {"type": "json_object"}


def has_limits(response_format: Any) -> bool:
    """True when a ``json_schema`` response format carries length or item limits."""
    if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
        return False
    text = repr(response_format.get("json_schema"))
    return any(f"'{word}'" in text for word in LIMIT_KEYWORDS)


def tokens_per_char(lang: str | None) -> float:
    base = (lang or "zh").lower().replace("_", "-").split("-", 1)[0]
    return TOKENS_PER_CHAR.get(base, OTHER_TOKENS_PER_CHAR)


def text_budget(spec: PlatformSpec) -> int:
    """The most characters of text a reply for ``spec`` may have.

    The platform's total limit, or the sum of its fields' own limits when that is
    smaller (a list counts ``max_items`` items of ``max_chars``).
    """
    total = 0
    for field in spec.fields:
        if field.max_chars is None:
            return spec.max_total_chars
        count = (field.max_items or 1) if field.kind == "list" else 1
        total += field.max_chars * count
    return min(spec.max_total_chars, total)


def auto_max_tokens(platform: str | None, lang: str | None) -> int | None:
    """``max_tokens`` for a reply of ``platform`` in ``lang``; None for an unknown platform.

    social: 1244 in Chinese, 418 in English; livestream: 1564 / 514; detail: 1258 / 418.
    """
    spec = PLATFORM_SPECS.get(platform or "")
    if spec is None:
        return None
    items = sum(field.max_items or 0 for field in spec.fields if field.kind == "list")
    structure = JSON_TOKENS + FIELD_TOKENS * len(spec.fields) + ITEM_TOKENS * items
    text = math.ceil(text_budget(spec) * tokens_per_char(lang))
    return max(MIN_MAX_TOKENS, text + structure)
