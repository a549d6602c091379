"""Is the copy in the requested language? (``language_mismatch``)

A script count decides almost every case for free: Chinese copy is mostly Han
characters (with some Latin brand names), English copy is Latin letters only, kana
means Japanese and Hangul Korean. langdetect (seeded, so results are stable) is
consulted only when the script cannot decide: a Latin-script text when a Latin
language was requested, or a text mixing scripts about evenly.
"""

from __future__ import annotations

import re
from typing import Any

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_LATIN_LANGS = frozenset(
    {
        "en",
        "fr",
        "de",
        "es",
        "it",
        "pt",
        "nl",
        "sv",
        "da",
        "no",
        "fi",
        "pl",
        "cs",
        "sk",
        "ro",
        "hu",
        "tr",
        "id",
        "ms",
        "vi",
        "tl",
        "ca",
        "hr",
        "sl",
        "et",
        "lv",
        "lt",
    }
)
MIN_LETTERS = 8  # shorter texts (a hashtag, a brand) are not judged

_detect: Any = None


def base_lang(lang: str) -> str:
    return lang.strip().lower().replace("_", "-").split("-")[0]


def script_guess(text: str) -> str | None:
    """``zh``/``ja``/``ko``/``latin`` from the script alone, or None when undecided."""
    han = len(_HAN.findall(text))
    kana = len(_KANA.findall(text))
    hangul = len(_HANGUL.findall(text))
    latin = len(_LATIN.findall(text))
    if han + kana + hangul + latin < MIN_LETTERS and han + kana + hangul < 4:
        return None
    if kana >= 3 and kana >= 0.1 * (han + kana):
        return "ja"
    if hangul > han + kana:
        return "ko" if hangul >= 0.5 * (hangul + latin / 4) else None
    # A Chinese character carries about a word; a Latin word about five letters.
    cjk_share = han / (han + latin / 5) if han + latin else 0.0
    if cjk_share >= 0.6:
        return "zh"
    if cjk_share <= 0.15:
        return "latin"
    return None


def _langdetect(text: str) -> str | None:
    global _detect
    if _detect is None:
        from langdetect import DetectorFactory, detect

        DetectorFactory.seed = 0  # langdetect is random without a seed
        _detect = detect
    try:
        return base_lang(str(_detect(text)))
    except Exception:  # langdetect raises on texts without features
        return None


def detect_language(text: str) -> str | None:
    """The base language code of ``text`` (``zh``, ``en``, ``ja`` ...), or None."""
    guess = script_guess(text)
    if guess in ("zh", "ja", "ko"):
        return guess
    return _langdetect(text) if len(_LATIN.findall(text)) >= MIN_LETTERS else None


def mismatch(text: str, expected: str) -> str | None:
    """The language found when it is not ``expected``; None when it matches or is unclear."""
    want = base_lang(expected)
    cjk = len(_HAN.findall(text)) + len(_KANA.findall(text)) + len(_HANGUL.findall(text))
    if cjk < 4 and len(_LATIN.findall(text)) < MIN_LETTERS:
        return None  # too little text to judge (a hashtag, a name, a number)
    guess = script_guess(text)
    if guess in ("zh", "ja", "ko"):
        return None if guess == want else guess
    if guess == "latin":
        found = _langdetect(text)
        if want not in _LATIN_LANGS:
            return found if found in _LATIN_LANGS else "en"
        if found is None or found == want or found not in _LATIN_LANGS:
            return None
        return found
    found = _langdetect(text)  # mixed scripts: let the statistics decide
    if found is None or found == want:
        return None
    # Chinese copy often carries English names and specs: only another CJK language counts.
    if want == "zh" and found not in ("ja", "ko"):
        return None
    return found
