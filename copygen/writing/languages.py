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
    """The language to write in: ``settings.lang`` wins, else the row's ``lang``, else
    the language the row is written in (``row_lang``)."""
    for candidate in (settings.lang, product.lang):
        if candidate and candidate.strip():
            return normalise_lang(candidate)
    return row_lang(product)


def _script(text: str) -> str | None:
    """zh, ja, ko or en for the first letter of a telling script in ``text``."""
    for ch in text:
        code = ord(ch)
        if 0x3040 <= code <= 0x30FF:
            return "ja"  # kana: Japanese even with kanji around it
        if 0xAC00 <= code <= 0xD7AF:
            return "ko"
    for ch in text:
        if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf":
            return "zh"
    if any(ch.isascii() and ch.isalpha() for ch in text):
        return "en"
    return None


def row_lang(product: Product) -> str:
    """The language a row is written in, from its title and selling points (zh when
    nothing tells: a sheet of model numbers)."""
    return _script(" ".join((product.title, *product.selling_points))) or "zh"


def same_script(lang: str, other: str) -> bool:
    """True when text in ``other`` can be quoted in copy written in ``lang``."""
    return normalise_lang(lang).split("-")[0] == normalise_lang(other).split("-")[0]


def language_name(lang: str) -> str:
    lang = normalise_lang(lang)
    return LANGUAGE_NAMES.get(lang) or LANGUAGE_NAMES.get(lang.split("-")[0]) or lang
