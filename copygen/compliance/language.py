"""Is the copy in the requested language? (``language_mismatch``)

The script decides almost every case for free: Chinese copy is mostly Han
characters (with some Latin brand names and specs), Japanese copy carries
hiragana, Korean copy Hangul, English copy Latin letters. Han alone is never
judged Korean or Japanese, and a few katakana (a Japanese brand name inside
Chinese copy) do not make a text Japanese.

Telling one Latin-script language from another needs statistics, and langdetect
is unreliable on the short, verb-less phrases of marketing copy ("Ideal for
sensitive skin, fragrance-free" comes out Danish, "100% natural, no side effects"
Portuguese). So a Latin text is judged against another Latin language only when
it is long enough (``LATIN_MIN_LETTERS`` letters in ``LATIN_MIN_WORDS`` words),
langdetect (seeded, so results are stable) is confident, and the function words
of the text agree with langdetect rather than with the requested language.
Anything too short to judge (a hashtag, a title of a few words, a brand) is never
flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
# Hiragana without の, which Chinese copy borrows (宝宝の早餐).
_HIRAGANA = re.compile(r"[\u3041-\u306d\u306f-\u3096\u309d\u309e]")
# Katakana without the middle dot (・) and the long-vowel mark (ー), which Chinese copy
# uses too.
_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fd\u30fe\u31f0-\u31ff\uff66-\uff9d]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")
_LATIN_WORD = re.compile(r"[a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]+(?:['’][a-z]+)?")
_OTHER_SCRIPTS: dict[str, re.Pattern[str]] = {
    "cyrillic": re.compile(r"[\u0400-\u04ff]"),
    "greek": re.compile(r"[\u0370-\u03ff]"),
    "arabic": re.compile(r"[\u0600-\u06ff\u0750-\u077f]"),
    "hebrew": re.compile(r"[\u0590-\u05ff]"),
    "thai": re.compile(r"[\u0e00-\u0e7f]"),
    "devanagari": re.compile(r"[\u0900-\u097f]"),
}


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Common simplified-only characters (Japanese writes 這/為/対/時/見/… differently):
# Han text with several of them is Chinese, not kanji-only Japanese.
_SIMPLIFIED_ONLY = frozenset(
    "这们个说为发对让买卖时现东车开问过见头业两么乐书产亲从优传儿兴养军农决减创别动华单员园围图场块坏处备够妈实审导层岁师带帮应张强归录总态惯护报"
    "择换摄摆显晒术标样树桥检欧汇测浓润滤烟热爱环电疗确种积笔级组细织经结绝统给络续维绿编缩网罗职联肤肠肾胀脸获营虑补规视计订认议记论设证评识诉词"
    "试话该语读请谁调谢货购贴资赶输较辆邮闭闻阅陈顾频额饰馆驾鸭齿适价众关战满灵灾无杀权极欢气汉沟泽码盐离稳简类粮紧脑艺节药蓝虽观觉质费赛趋转轮软轻载边达运还进远连选递遗钟钱铁银销锅错键镜长门间队阳阴际陆险随难页顶项顺须领题颜风飞饭饮马验鱼鸡齐龙团"
)
_LATIN_LANGS = _set(
    "en fr de es it pt nl sv da no nb nn fi pl cs sk ro hu tr id ms vi tl ca hr sl et lv lt "
    "af sq sw so cy ga is eu gl"
)
_SCRIPT_LANGS: dict[str, frozenset[str]] = {
    "cyrillic": _set("ru uk bg sr mk be kk ky mn tg"),
    "greek": frozenset({"el"}),
    "arabic": _set("ar fa ur ps"),
    "hebrew": frozenset({"he", "yi"}),
    "thai": frozenset({"th"}),
    "devanagari": _set("hi mr ne sa"),
}

# Frequent short words that mark a language. Only the vote between languages counts,
# so a word shared by two lists (de, en ...) cancels out.
_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": _set(
        "the and with your you this that these those are for from our will can into have "
        "has its it's of to it not all more every while without just"
    ),
    "fr": _set(
        "le la les des du une un et est pour avec vous votre vos dans sur qui que ce cette "
        "au aux plus pas sans nous notre"
    ),
    "de": _set(
        "der die das und ist mit für ihre ihr sie ein eine einen dem den nicht auf zu sich "
        "auch von im bei oder wird ohne sind"
    ),
    "es": _set("el los las del que y es con para por una su sus más sin se al tu lo muy"),
    "it": _set("il gli di del della che e è con per una non più sono alla nel ti tuo tua senza"),
    "pt": _set("o os as do da dos das que e é com para uma um não mais seu sua em no na sem você"),
    "nl": _set(
        "de het een en van met voor op niet dat die je jouw uw zijn ook aan te bij naar "
        "zonder wordt"
    ),
}
# langdetect's usual wrong answers for short English copy.
_ENGLISH_LOOKALIKES = _set("da no nb nn sv nl af cy so tl id ms et sw sq ro ca")

MIN_CJK = 4  # fewer CJK characters (a name, 好物) are not judged
MIN_LETTERS = 8  # fewer Latin letters (a hashtag, OOTD) are not judged at all
CJK_SHARE = 0.6  # share of the text (in words) that makes it Chinese/Japanese/Korean
LATIN_SHARE = 0.7  # share of the text (in words) that makes it a Latin-script text
# A Latin text in a CJK-expected check: a sentence of >= 4 words with function words,
# or anything this long.
FOREIGN_MIN_LETTERS = 20
FOREIGN_MIN_WORDS = 4
# Latin against another Latin language: langdetect needs this much to be reliable.
LATIN_MIN_LETTERS = 40
LATIN_MIN_WORDS = 6
MIN_PROBABILITY = 0.9

_detect_langs: Any = None


@dataclass(frozen=True)
class _Counts:
    han: int
    hiragana: int
    katakana: int
    hangul: int
    latin: int
    other: int
    other_script: str | None
    words: tuple[str, ...]

    @property
    def kana(self) -> int:
        return self.hiragana + self.katakana

    @property
    def cjk(self) -> int:
        return self.han + self.kana + self.hangul

    def shares(self) -> tuple[float, float, float]:
        """Shares of CJK, Latin and other-script text, weighting a CJK character like
        a word and five letters like a word."""
        cjk, latin, other = float(self.cjk), self.latin / 5, self.other / 5
        total = cjk + latin + other
        if not total:
            return 0.0, 0.0, 0.0
        return cjk / total, latin / total, other / total

    def japanese(self) -> bool:
        # Japanese sentences carry hiragana particles; a katakana brand name inside
        # Chinese copy does not make it Japanese.
        kana, han = self.kana, self.han
        if kana < 3 or kana < 0.2 * (han + kana):
            return False
        if self.hiragana >= 2:
            return True
        return kana >= 8 and kana >= 0.6 * (han + kana)  # katakana-only Japanese

    def cjk_language(self) -> str:
        if self.hangul and self.hangul >= self.han + self.kana:
            return "ko"
        return "ja" if self.japanese() else "zh"


def _counts(text: str) -> _Counts:
    other, other_script = 0, None
    for name, pattern in _OTHER_SCRIPTS.items():
        found = len(pattern.findall(text))
        if found > other:
            other, other_script = found, name
    return _Counts(
        han=len(_HAN.findall(text)),
        hiragana=len(_HIRAGANA.findall(text)),
        katakana=len(_KATAKANA.findall(text)),
        hangul=len(_HANGUL.findall(text)),
        latin=len(_LATIN.findall(text)),
        other=other,
        other_script=other_script,
        words=tuple(_LATIN_WORD.findall(text.lower())),
    )


def base_lang(lang: str) -> str:
    return lang.strip().lower().replace("_", "-").split("-")[0]


def _script_of_lang(lang: str) -> str | None:
    if lang in ("zh", "ja", "ko"):
        return lang
    if lang in _LATIN_LANGS:
        return "latin"
    for script, langs in _SCRIPT_LANGS.items():
        if lang in langs:
            return script
    return None


def _script(counts: _Counts, *, min_cjk: int = MIN_CJK) -> str | None:
    """``zh``/``ja``/``ko``/``latin``/another script name, or None when undecided."""
    cjk_share, latin_share, other_share = counts.shares()
    if counts.cjk >= min_cjk and cjk_share >= CJK_SHARE:
        return counts.cjk_language()
    if counts.latin >= MIN_LETTERS and latin_share >= LATIN_SHARE:
        return "latin"
    if counts.other >= MIN_LETTERS and other_share >= LATIN_SHARE:
        return counts.other_script
    return None


def script_guess(text: str) -> str | None:
    """``zh``/``ja``/``ko``/``latin`` (or another script) from the script alone, or None
    when the text is too short or mixes scripts."""
    return _script(_counts(text))


def _function_votes(words: tuple[str, ...]) -> dict[str, int]:
    """Distinct function words of each language found among ``words``."""
    distinct = set(words)
    return {lang: len(distinct & marks) for lang, marks in _FUNCTION_WORDS.items()}


def _vote_winner(votes: dict[str, int]) -> str | None:
    ranked = sorted(votes.items(), key=lambda kv: -kv[1])
    if ranked and ranked[0][1] >= 2 and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
        return ranked[0][0]
    return None


def _langdetect(text: str) -> tuple[str, float] | None:
    """(base language, probability) of langdetect's best guess, or None."""
    global _detect_langs
    if _detect_langs is None:
        from langdetect import DetectorFactory, detect_langs

        DetectorFactory.seed = 0  # langdetect is random without a seed
        _detect_langs = detect_langs
    try:
        ranked = _detect_langs(text)
    except Exception:  # langdetect raises on texts without features
        return None
    if not ranked:
        return None
    return base_lang(str(ranked[0].lang)), float(ranked[0].prob)


def _latin_language(text: str, counts: _Counts) -> str:
    """Best guess for a Latin-script text (for the message only)."""
    winner = _vote_winner(_function_votes(counts.words))
    if winner is not None:
        return winner
    guess = _langdetect(text)
    if guess is not None and guess[0] in _LATIN_LANGS and guess[1] >= MIN_PROBABILITY:
        return guess[0]
    return "en"


def detect_language(text: str) -> str | None:
    """The base language code of ``text`` (``zh``, ``en``, ``ja`` ...), or None."""
    counts = _counts(text)
    script = _script(counts, min_cjk=1)
    if script in ("zh", "ja", "ko"):
        return script
    if script == "latin":
        winner = _vote_winner(_function_votes(counts.words))
        if winner is not None:
            return winner
    if script is None or (script == "latin" and counts.latin < LATIN_MIN_LETTERS):
        return None  # short Latin text: langdetect guesses (Danish, Swedish ...)
    guess = _langdetect(text)
    if guess is None or (script == "latin" and guess[1] < MIN_PROBABILITY):
        return None
    return guess[0]


def _long_foreign_latin(counts: _Counts) -> bool:
    """A Latin text long enough to call it foreign where a non-Latin language is wanted."""
    if counts.latin >= LATIN_MIN_LETTERS:
        return True
    if counts.latin < FOREIGN_MIN_LETTERS or len(counts.words) < FOREIGN_MIN_WORDS:
        return False
    return max(_function_votes(counts.words).values()) >= 2


def _latin_mismatch(text: str, counts: _Counts, want: str) -> str | None:
    """Another Latin language where Latin language ``want`` was requested: only on
    enough text, with langdetect confident and the function words agreeing."""
    if counts.latin < LATIN_MIN_LETTERS or len(counts.words) < LATIN_MIN_WORDS:
        return None
    votes = _function_votes(counts.words)
    wanted = votes.get(want, 0)
    if wanted and wanted >= max(votes.values()):
        return None  # no language outvotes the requested one: nothing could be flagged
    guess = _langdetect(text)
    if guess is None:
        return None
    found, probability = guess
    if found == want or probability < MIN_PROBABILITY or found not in _LATIN_LANGS:
        return None
    if found in votes:
        return found if votes[found] >= 2 and votes[found] > wanted else None
    # A language without a function-word list: trust langdetect only when the text
    # shows none of the requested language's function words and is no usual confusion.
    if want not in votes or wanted > 0 or probability < 0.95:
        return None
    if want == "en" and found in _ENGLISH_LOOKALIKES:
        return None
    return found


_KANA_OR_HANGUL = re.compile(r"[\u3041-\u30ff\u3131-\u318e\uac00-\ud7a3]")


def _plainly_chinese(text: str) -> bool:
    """Han characters alone make the text Chinese, whatever the rest is (every other
    character counted as a fifth of a word, as Latin and other letters are): two
    searches instead of a full count, for the usual case of Chinese copy checked as zh."""
    han = len(_HAN.findall(text))
    if han < MIN_CJK or han < CJK_SHARE * (han + (len(text) - han) / 5):
        return False
    return _KANA_OR_HANGUL.search(text) is None


def mismatch(text: str, expected: str) -> str | None:
    """The language found when it is not ``expected``; None when it matches, when the
    text is too short to judge, or when ``expected`` is a language we cannot verify."""
    want = base_lang(expected)
    want_script = _script_of_lang(want)
    if want_script is None:
        return None
    if want_script == "zh" and _plainly_chinese(text):
        return None
    counts = _counts(text)
    script = _script(counts)
    if script is None:
        return None
    if script in ("zh", "ja", "ko"):
        if want_script == script:
            return None
        # Kanji-only Japanese (敏感肌用化粧水) looks like Chinese: only a longer Han text
        # without kana that writes simplified characters is called Chinese there.
        if script == "zh" and want in ("ja", "ko"):
            if counts.han < 10:
                return None
            simplified = sum(1 for char in text if char in _SIMPLIFIED_ONLY)
            if want == "ja" and simplified < 2:
                return None
        return script
    if script == "latin":
        if want_script == "latin":
            return _latin_mismatch(text, counts, want)
        return _latin_language(text, counts) if _long_foreign_latin(counts) else None
    # Another script (Cyrillic, Arabic ...).
    if script == want_script:
        return None
    guess = _langdetect(text)
    return guess[0] if guess is not None and guess[0] != want else script
