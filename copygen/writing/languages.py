"""Language codes: normalising them, choosing the one to write in, naming them.

English templates are told the name of the language to write in when there is no
template of that language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from copygen.config import Settings
    from copygen.inputs.product import Product

# Shown to English templates when they write for another language.
LANGUAGE_NAMES: dict[str, str] = {
    "zh": "Simplified Chinese",
    "zh-cn": "Simplified Chinese",
    "zh-hans": "Simplified Chinese",
    "zh-tw": "Traditional Chinese",
    "zh-hk": "Traditional Chinese",
    "zh-hant": "Traditional Chinese",
    "en": "English",
    "ja": "Japanese",
    "ko": "Korean",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "ru": "Russian",
    "ar": "Arabic",
    "th": "Thai",
    "vi": "Vietnamese",
    "id": "Indonesian",
    "ms": "Malay",
    "tr": "Turkish",
    "nl": "Dutch",
    "pl": "Polish",
}


def normalise_lang(value: str) -> str:
    """``zh_CN`` -> ``zh-cn``."""
    return value.strip().lower().replace("_", "-")


def resolve_lang(product: Product, settings: Settings) -> str:
    """The language to write in: ``settings.lang`` wins, else the row's ``lang``, else zh."""
    for candidate in (settings.lang, product.lang):
        if candidate and candidate.strip():
            return normalise_lang(candidate)
    return "zh"


def language_name(lang: str) -> str:
    lang = normalise_lang(lang)
    return LANGUAGE_NAMES.get(lang) or LANGUAGE_NAMES.get(lang.split("-")[0]) or lang
