"""Plain data the templates read besides the product: the platform, the expected
reply's shape, the guidance and the findings of a draft."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from copygen.platforms import PlatformSpec


def _spec_context(spec: PlatformSpec, lang: str) -> dict[str, Any]:
    zh = lang.startswith("zh")
    return {
        "name": spec.name,
        "label": spec.label_zh if zh else spec.label_en,
        "label_zh": spec.label_zh,
        "label_en": spec.label_en,
        "max_total_chars": spec.max_total_chars,
        "fields": [
            {
                "name": f.name,
                "kind": f.kind,
                "description": f.description_zh if zh else f.description_en,
                "max_chars": f.max_chars,
                "min_items": f.min_items,
                "max_items": f.max_items,
                "required": f.required,
            }
            for f in spec.fields
        ],
        "field_names": list(spec.field_names),
    }


def example_fields(spec: PlatformSpec, lang: str) -> dict[str, Any]:
    """A placeholder object with the platform's fields: shows the shape, not content."""
    zh = lang.startswith("zh")
    out: dict[str, Any] = {}
    for f in spec.fields:
        description = f.description_zh if zh else f.description_en
        if f.kind == "list":
            count = max(f.min_items or 1, 1)
            first = f"<第1项：{description}>" if zh else f"<item 1: {description}>"
            rest = [(f"<第{i}项>" if zh else f"<item {i}>") for i in range(2, count + 1)]
            out[f.name] = [first, *rest]
        else:
            out[f.name] = f"<{description}>"
    return out


def guidance_dict(item: Any) -> dict[str, str]:
    if isinstance(item, Mapping):
        source: Mapping[str, Any] = item
    else:
        source = {
            name: getattr(item, name, "")
            for name in ("term", "category", "law", "reason", "suggestion")
        }
    return {
        name: "" if source.get(name) is None else str(source.get(name))
        for name in ("term", "category", "law", "reason", "suggestion")
    }


def finding_dict(finding: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("rule", "category", "severity", "field", "start", "end", "text", "message", "law")
    out: dict[str, Any] = {key: finding.get(key) for key in keys}
    out["suggestion"] = finding.get("suggestion")
    for key in ("rule", "category", "severity", "field", "text", "message", "law", "suggestion"):
        out[key] = "" if out[key] is None else str(out[key])
    return out
