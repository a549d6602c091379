"""Labels for AI-generated content (《人工智能生成合成内容标识办法》).

Two labels, as the measures require:

- the *implicit* label, machine-readable metadata kept with every generated item
  (``aigc: {generated: true, provider, model, content_id}``) and carried into
  every export. No option removes it.
- the *explicit* label, a visible text (``copygen.config.AigcLabel``: on/off per
  platform, position ``start`` or ``end``, text per language) added where the
  copy is shown: the social post body (never the 20-character title), the
  live-stream hook (start) or call to action (end), the detail-page description.

``content_id_for`` is the SHA-256 of the canonical JSON of
``{"item": item_id, "content": fields}``, computed on the checked fields without
the visible label, so anyone holding the record can recompute it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from copygen.config import AigcLabel
from copygen.platforms import PLATFORM_SPECS

# (field for position "start", field for position "end") per platform.
LABEL_FIELDS: dict[str, tuple[str, str]] = {
    "livestream": ("hook", "call_to_action"),
    "social": ("body", "body"),
    "detail": ("description", "description"),
}
POSITIONS = ("start", "end")
_SEPARATOR = "\n"


def implicit_label(*, provider: str, model: str | None, content_id: str) -> dict[str, Any]:
    """The machine-readable label of one generated item."""
    return {"generated": True, "provider": provider, "model": model, "content_id": content_id}


def content_id_for(item_id: str, fields_or_text: Mapping[str, Any] | str) -> str:
    """A stable id for one generated text: SHA-256 hex of item id and content."""
    content: Any = fields_or_text if isinstance(fields_or_text, str) else dict(fields_or_text)
    payload = json.dumps(
        {"item": item_id, "content": content},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def label_record(label: AigcLabel, lang: str | None) -> dict[str, str] | None:
    """``{"text", "position"}`` of the visible label, or None when it is off."""
    if not label.enabled:
        return None
    return {"text": label.text(lang), "position": _position(label)}


def aigc_record(
    *,
    provider: str,
    model: str | None,
    content_id: str,
    label: AigcLabel,
    lang: str | None,
) -> dict[str, Any]:
    """The ``aigc`` value of a results item: the implicit label plus ``label``."""
    record = implicit_label(provider=provider, model=model, content_id=content_id)
    record["label"] = label_record(label, lang)
    return record


def label_field(platform: str, position: str) -> str:
    """The field that carries the visible label on ``platform`` at ``position``."""
    if position not in POSITIONS:
        raise ValueError(f"label position must be start or end, got {position!r}")
    fields = LABEL_FIELDS.get(platform)
    if fields is None:
        spec = PLATFORM_SPECS.get(platform)
        if spec is None:
            raise KeyError(f"unknown platform {platform!r}")
        texts = [f.name for f in spec.fields if f.kind == "text"]
        if not texts:
            raise KeyError(f"platform {platform!r} has no text field for a label")
        fields = (texts[0], texts[-1])
    return fields[0] if position == "start" else fields[1]


def apply_label(
    fields: Mapping[str, Any], *, platform: str, label: AigcLabel, lang: str | None
) -> dict[str, Any]:
    """A copy of ``fields`` with the visible label added; unchanged when it is off.

    Idempotent: a field that already starts (ends) with the label text is left
    as it is, so exporting a labelled item again does not double the label.
    """
    out = dict(fields)
    if not label.enabled:
        return out
    position = _position(label)
    name = label_field(platform, position)
    text = label.text(lang)
    current = out.get(name)
    if not isinstance(current, str) or not current.strip():
        out[name] = text
    elif position == "start" and not current.startswith(text):
        out[name] = f"{text}{_SEPARATOR}{current}"
    elif position == "end" and not current.endswith(text):
        out[name] = f"{current}{_SEPARATOR}{text}"
    return out


def _position(label: AigcLabel) -> str:
    if label.position not in POSITIONS:
        raise ValueError(f"label position must be start or end, got {label.position!r}")
    return label.position
