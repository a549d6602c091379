"""E-commerce lexicons: the phrases the offline backend writes with.

Lexicons are data (``lexicons/*.yaml``), one file per product category, per platform
and per language, plus a ``common`` file per language. A file is named
``<name>.<lang>.yaml`` and holds::

    description: what the file is for            # optional
    vocabulary:                                   # attribute kind -> attribute keys
      material: [材质, 面料, 成分]                  #   (材质/工艺/场景/人群/感官 …)
    phrases:                                      # slot -> phrases
      point_phrases: ["主打{point}", ...]
      attribute_phrases:                          # this slot is keyed by attribute kind
        material: ["{attr_key}用的是{attr_value}", ...]

Phrases are plain text with ``{placeholder}`` slots filled from the product row by
``str.format_map`` on plain data (never a template engine: a product title such as
``{{ 7*7 }}`` is inserted literally). Each slot allows a fixed set of placeholders;
an unknown slot, placeholder or attribute kind, an empty list, or a malformed file is
a ``ConfigError`` naming the file and the key. ``load_lexicon`` merges the category,
platform and common files of one language into one read-only view.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from copygen.errors import ConfigError
from copygen.inputs.product import CATEGORIES
from copygen.platforms import PLATFORM_NAMES

LANGS: tuple[str, ...] = ("zh", "en")
COMMON = "common"

#: Every placeholder a phrase may use, and what fills it.
PLACEHOLDERS: Mapping[str, str] = MappingProxyType(
    {
        "title": "the product title as written in the row",
        "product": "a short name of the product (the title, shortened)",
        "brand": "the brand",
        "point": "one selling point of the row",
        "attr_key": "an attribute name of the row",
        "attr_value": "that attribute's value",
        "price": "the row's price, exactly",
        "promo_price": "the row's promo price, exactly",
        "audience": "the row's audience",
        "scene": "a usage scene from the category's scenes",
    }
)

_NAMES = frozenset({"title", "product", "brand"})
_P = frozenset

#: slot -> the placeholders its phrases may use. A slot absent here is an error.
SLOTS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        # openings and framing
        "hooks": _NAMES | {"audience", "scene"},
        "openers": _NAMES | {"scene"},
        "intros": _NAMES,
        "transitions": _P(),
        "closers": _NAMES,
        # selling points and attributes: ``point_phrases`` read well around any point;
        # the other three are for one kind of point (软毛设计 / 口感舒适 / 清洁牙齿)
        "point_phrases": _NAMES | {"point"},
        "noun_points": _NAMES | {"point"},
        "state_points": _NAMES | {"point"},
        "action_points": _NAMES | {"point"},
        "bullet_points": _NAMES | {"point"},
        "description_points": _NAMES | {"point"},
        "attribute_phrases": _NAMES | {"attr_key", "attr_value"},
        "bullet_attributes": _NAMES | {"attr_key", "attr_value"},
        "description_attributes": _NAMES | {"attr_key", "attr_value"},
        # who and where
        "audiences": _P(),
        "audience_phrases": _NAMES | {"audience"},
        "scenes": _P(),
        "scene_phrases": _NAMES | {"scene"},
        "care_tips": _NAMES,
        # price and action
        "price_lines": _NAMES | {"price"},
        "promo_lines": _NAMES | {"price", "promo_price"},
        "no_price_lines": _NAMES,
        "ctas": _NAMES,
        # live-stream parts: showing the product, talking with the room
        "demos": _NAMES,
        "interactions": _NAMES,
        # short forms
        "titles": _NAMES | {"point", "scene", "audience"},
        "headlines": _NAMES | {"point", "scene"},
        "hashtag_stems": _P(),
        "fallback_bullets": _NAMES,
        "emoji": _P(),
        # neutral names for the product when its own name cannot be used
        "product_nouns": _P(),
    }
)

#: Slots keyed by attribute kind instead of holding a flat list.
KIND_SLOTS: frozenset[str] = frozenset(
    {"attribute_phrases", "bullet_attributes", "description_attributes"}
)

#: Attribute kinds (材质, 工艺, 场景, 人群, 感官 …); ``default`` is for unknown keys.
ATTRIBUTE_KINDS: tuple[str, ...] = (
    "material",  # 材质/面料/成分
    "craft",  # 工艺/做工
    "scene",  # 场景/场合
    "audience",  # 人群/肤质/年龄
    "sense",  # 感官: 口感/香味/肤感/手感
    "spec",  # 规格/容量/尺寸/重量
    "origin",  # 产地
    "style",  # 风格/版型/颜色
    "function",  # 功能/模式
    "storage",  # 保存/保质期
    "default",
)

_TOP_KEYS = frozenset({"description", "vocabulary", "phrases", "types"})
#: keys of one product type; ``match`` is required
_TYPE_KEYS = frozenset({"match", "noun", "scenes", "tags", "emoji"})
_FORMATTER = string.Formatter()


def lexicon_lang(lang: str | None) -> str:
    """The lexicon language for an output language: ``zh*`` -> zh, anything else -> en."""
    if lang is None:
        return "zh"
    return "zh" if lang.strip().lower().startswith("zh") else "en"


def placeholders(phrase: str) -> set[str]:
    """The ``{name}`` placeholders of a phrase; ValueError for anything but plain names."""
    names: set[str] = set()
    for _literal, name, spec, conversion in _FORMATTER.parse(phrase):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"placeholder {{{name}}} must be a plain name like {{point}}")
        names.add(name)
    return names


def fill(phrase: str, values: Mapping[str, str]) -> str:
    """Substitute placeholders with plain data (values are inserted literally)."""
    return phrase.format_map(dict(values))


@dataclass(frozen=True)
class ProductType:
    """A kind of product within a category (漱口水, 大米, mouse), found by title words.

    Its scenes replace the category's: a scene that suits one product of a category can
    contradict another (rice in the office drawer), so a product whose type is known
    only goes where its type goes, and an empty ``scenes`` means none at all.
    """

    name: str
    match: tuple[str, ...]
    noun: str = ""  # a neutral name for it (这款大米 / this puzzle)
    scenes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # hashtags about the type
    emoji: tuple[str, ...] = ()


@dataclass(frozen=True)
class LexiconFile:
    """One validated lexicon file."""

    name: str  # a category, a platform or "common"
    lang: str
    path: Path
    description: str = ""
    vocabulary: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    phrases: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    kind_phrases: Mapping[str, Mapping[str, tuple[str, ...]]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    types: tuple[ProductType, ...] = ()

    @property
    def kind(self) -> str:
        if self.name == COMMON:
            return "common"
        return "platform" if self.name in PLATFORM_NAMES else "category"

    def phrase_count(self) -> dict[str, int]:
        """slot -> number of phrases (kind slots summed over kinds)."""
        counts = {slot: len(items) for slot, items in self.phrases.items()}
        for slot, kinds in self.kind_phrases.items():
            counts[slot] = sum(len(items) for items in kinds.values())
        return counts


def _fail(path: Path, key: str, message: str) -> ConfigError:
    return ConfigError(f"lexicon key '{key}': {message}", file=path)


def _string_list(path: Path, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _fail(path, key, f"expected a list of strings, got {type(value).__name__}")
    if not value:
        raise _fail(path, key, "empty list (remove the key or add phrases)")
    out: list[str] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise _fail(path, f"{key}[{index}]", "expected a non-empty string")
        text = item.strip()
        if text in seen:
            raise _fail(path, f"{key}[{index}]", f"duplicate phrase {text!r}")
        seen.add(text)
        out.append(text)
    return tuple(out)


def _checked_phrases(path: Path, key: str, slot: str, value: Any) -> tuple[str, ...]:
    items = _string_list(path, key, value)
    allowed = SLOTS[slot]
    for index, phrase in enumerate(items):
        try:
            names = placeholders(phrase)
        except ValueError as exc:
            raise _fail(path, f"{key}[{index}]", str(exc)) from None
        unknown = sorted(names - allowed)
        if unknown:
            raise _fail(
                path,
                f"{key}[{index}]",
                f"unknown placeholder {{{unknown[0]}}} in {phrase!r}; slot '{slot}' allows "
                + (", ".join("{" + n + "}" for n in sorted(allowed)) or "no placeholders"),
            )
    return items


def _types(path: Path, value: Any) -> tuple[ProductType, ...]:
    if not isinstance(value, dict) or not value:
        raise _fail(path, "types", "expected a mapping of type name -> match/noun/scenes/tags")
    out: list[ProductType] = []
    for name, spec in value.items():
        key = f"types.{name}"
        if not isinstance(spec, dict):
            raise _fail(path, key, "expected a mapping with 'match'")
        unknown = sorted(set(spec) - _TYPE_KEYS)
        if unknown:
            raise _fail(path, f"{key}.{unknown[0]}", "unknown key")
        if "match" not in spec:
            raise _fail(path, f"{key}.match", "missing: the title words that name this type")
        noun = spec.get("noun") or ""
        if not isinstance(noun, str):
            raise _fail(path, f"{key}.noun", "expected a string")
        lists = {
            k: _string_list(path, f"{key}.{k}", spec[k]) if spec.get(k) is not None else ()
            for k in ("match", "scenes", "tags", "emoji")
        }
        out.append(
            ProductType(
                name=str(name),
                match=tuple(m.lower() for m in lists["match"]),
                noun=noun.strip(),
                scenes=lists["scenes"],
                tags=lists["tags"],
                emoji=lists["emoji"],
            )
        )
    return tuple(out)


def parse_lexicon_file(path: Path) -> LexiconFile:
    """Read and validate one ``<name>.<lang>.yaml`` file."""
    parts = path.name.split(".")
    if len(parts) != 3 or parts[2] not in ("yaml", "yml"):
        raise ConfigError("lexicon files are named <name>.<lang>.yaml", file=path)
    name, lang = parts[0], parts[1]
    if lang not in LANGS:
        raise ConfigError(f"unknown lexicon language {lang!r} (expected zh or en)", file=path)
    if name != COMMON and name not in CATEGORIES and name not in PLATFORM_NAMES:
        raise ConfigError(
            f"unknown lexicon {name!r}: expected common, a category "
            f"({', '.join(CATEGORIES)}) or a platform ({', '.join(PLATFORM_NAMES)})",
            file=path,
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read lexicon: {exc}", file=path) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        raise ConfigError(f"invalid YAML: {exc}", file=path, row=row) from None
    if not isinstance(data, dict):
        raise ConfigError("a lexicon file is a mapping with 'phrases'", file=path)
    unknown_top = sorted(set(data) - _TOP_KEYS)
    if unknown_top:
        raise _fail(path, str(unknown_top[0]), "unknown top-level key")

    description = data.get("description") or ""
    if not isinstance(description, str):
        raise _fail(path, "description", "expected a string")

    vocabulary: dict[str, tuple[str, ...]] = {}
    raw_vocab = data.get("vocabulary") or {}
    if not isinstance(raw_vocab, dict):
        raise _fail(path, "vocabulary", "expected a mapping of attribute kind -> keys")
    for kind, keys in raw_vocab.items():
        if kind not in ATTRIBUTE_KINDS or kind == "default":
            raise _fail(path, f"vocabulary.{kind}", "unknown attribute kind")
        vocabulary[kind] = _string_list(path, f"vocabulary.{kind}", keys)

    phrases: dict[str, tuple[str, ...]] = {}
    kind_phrases: dict[str, Mapping[str, tuple[str, ...]]] = {}
    raw_phrases = data.get("phrases")
    if not isinstance(raw_phrases, dict) or not raw_phrases:
        raise _fail(path, "phrases", "expected a non-empty mapping of slot -> phrases")
    for slot, value in raw_phrases.items():
        key = f"phrases.{slot}"
        if slot not in SLOTS:
            raise _fail(path, key, f"unknown slot; known slots: {', '.join(sorted(SLOTS))}")
        if slot in KIND_SLOTS:
            if not isinstance(value, dict) or not value:
                raise _fail(path, key, "expected a mapping of attribute kind -> phrases")
            kinds: dict[str, tuple[str, ...]] = {}
            for kind, items in value.items():
                if kind not in ATTRIBUTE_KINDS:
                    raise _fail(path, f"{key}.{kind}", "unknown attribute kind")
                kinds[kind] = _checked_phrases(path, f"{key}.{kind}", slot, items)
            kind_phrases[slot] = MappingProxyType(kinds)
        else:
            phrases[slot] = _checked_phrases(path, key, slot, value)
    types = _types(path, data["types"]) if data.get("types") is not None else ()
    if types and (name == COMMON or name in PLATFORM_NAMES):
        raise _fail(path, "types", "product types belong in a category's file")
    return LexiconFile(
        name=name,
        lang=lang,
        path=path,
        description=description,
        vocabulary=MappingProxyType(vocabulary),
        phrases=MappingProxyType(phrases),
        kind_phrases=MappingProxyType(kind_phrases),
        types=types,
    )


@lru_cache(maxsize=8)
def _load_dir(directory: Path) -> Mapping[tuple[str, str], LexiconFile]:
    if not directory.is_dir():
        raise ConfigError("lexicon folder not found", file=directory)
    files: dict[tuple[str, str], LexiconFile] = {}
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        parsed = parse_lexicon_file(path)
        key = (parsed.name, parsed.lang)
        if key in files:
            raise ConfigError(f"two lexicon files for {parsed.name}.{parsed.lang}", file=path)
        files[key] = parsed
    return MappingProxyType(files)


def _default_dir() -> Path:
    from copygen.resources import data_dir

    return data_dir("lexicons")


def load_lexicon_files(directory: Path | None = None) -> Mapping[tuple[str, str], LexiconFile]:
    """Every lexicon file of a folder (default: the built-in one), validated and cached."""
    return _load_dir((directory or _default_dir()).resolve())


def clear_cache() -> None:
    """Forget loaded lexicons (after editing the files in a long-lived process)."""
    _load_dir.cache_clear()
    _merged.cache_clear()


@dataclass(frozen=True)
class Lexicon:
    """The merged phrases for one category, platform and language.

    Each slot lists the category's phrases first, then the platform's, then the
    common ones; the composer draws from the whole list.
    """

    category: str
    platform: str
    lang: str
    sources: tuple[LexiconFile, ...]
    _phrases: Mapping[str, tuple[str, ...]]
    _kind_phrases: Mapping[str, Mapping[str, tuple[str, ...]]]
    _key_kinds: Mapping[str, str]

    def phrases(self, slot: str) -> tuple[str, ...]:
        """All phrases of a slot (empty if no file defines it); KeyError for unknown slots."""
        if slot not in SLOTS:
            raise KeyError(f"unknown lexicon slot {slot!r}")
        if slot in KIND_SLOTS:
            raise KeyError(f"slot {slot!r} is keyed by attribute kind; use kind_phrases()")
        return self._phrases.get(slot, ())

    def category_phrases(self, slot: str) -> tuple[str, ...]:
        """A slot's phrases from the category file alone (empty if it has none).

        For slots whose wording depends on the product (穿 for clothes, 来一点 for
        food), the composer prefers the category's own phrases when there are any.
        """
        return self.sources[0].phrases.get(slot, ()) if self.sources else ()

    def kind_phrases(self, slot: str, kind: str) -> tuple[str, ...]:
        """Phrases of a kind slot for one attribute kind, falling back to ``default``."""
        if slot not in KIND_SLOTS:
            raise KeyError(f"slot {slot!r} is not keyed by attribute kind")
        kinds = self._kind_phrases.get(slot, {})
        return kinds.get(kind) or kinds.get("default", ())

    def attribute_kind(self, key: str) -> str:
        """The kind (material, craft, scene, audience, sense, …) of an attribute name."""
        norm = _norm_key(key)
        if norm in self._key_kinds:
            return self._key_kinds[norm]
        # 主要面料 / main fabric: a vocabulary word inside the key decides (longest first);
        # English words must match whole words, so "for" never matches "comfort".
        padded = f" {re.sub(r'[^0-9a-z]+', ' ', norm)} "
        for word, kind in sorted(self._key_kinds.items(), key=lambda kv: -len(kv[0])):
            if word.isascii():
                if f" {word} " in padded:
                    return kind
            elif len(word) >= 2 and word in norm:
                return kind
        return "default"

    def slots(self) -> tuple[str, ...]:
        return tuple(sorted({*self._phrases, *self._kind_phrases}))

    @property
    def types(self) -> tuple[ProductType, ...]:
        """The category's product types (only the category file has them)."""
        return self.sources[0].types if self.sources else ()

    def product_type(self, *texts: str) -> ProductType | None:
        """The type the texts (title first) name; the longest match word wins, so
        儿童T恤 is children's wear before T恤 is a T-shirt; None when none is named."""
        return product_type(self.types, *texts)


def product_type(types: Iterable[ProductType], *texts: str) -> ProductType | None:
    """The type among ``types`` that the first text naming one names (see Lexicon)."""
    types = tuple(types)
    for text in texts:
        low = text.lower()
        padded = f" {re.sub(r'[^0-9a-z]+', ' ', low)} "
        best: tuple[int, ProductType] | None = None
        for kind in types:
            for word in kind.match:
                if word.isascii():
                    # whole words, a plural s or es allowed: "puzzles", not "puzzled"
                    hit = re.search(rf" {re.escape(word)}(?:e?s)? ", padded) is not None
                else:
                    hit = word in low
                if hit and (best is None or len(word) > best[0]):
                    best = (len(word), kind)
        if best is not None:
            return best[1]
    return None


def _norm_key(key: str) -> str:
    return key.strip().lower()


@lru_cache(maxsize=128)
def _merged(directory: Path, category: str, platform: str, lang: str) -> Lexicon:
    files = _load_dir(directory)
    order = [(category, lang), (platform, lang), (COMMON, lang)]
    sources: list[LexiconFile] = []
    for key in order:
        lex = files.get(key)
        if lex is None:
            raise ConfigError(
                f"lexicon {key[0]}.{key[1]}.yaml is missing",
                file=directory / f"{key[0]}.{key[1]}.yaml",
            )
        sources.append(lex)
    phrases: dict[str, list[str]] = {}
    kinds: dict[str, dict[str, list[str]]] = {}
    key_kinds: dict[str, str] = {}
    for lex in sources:
        for slot, items in lex.phrases.items():
            bucket = phrases.setdefault(slot, [])
            bucket.extend(p for p in items if p not in bucket)
        for slot, per_kind in lex.kind_phrases.items():
            for kind, items in per_kind.items():
                bucket = kinds.setdefault(slot, {}).setdefault(kind, [])
                bucket.extend(p for p in items if p not in bucket)
        for kind, keys in lex.vocabulary.items():
            for k in keys:
                # The category's own vocabulary wins over the shared one.
                key_kinds.setdefault(_norm_key(k), kind)
    return Lexicon(
        category=category,
        platform=platform,
        lang=lang,
        sources=tuple(sources),
        _phrases=MappingProxyType({s: tuple(v) for s, v in phrases.items()}),
        _kind_phrases=MappingProxyType(
            {s: MappingProxyType({k: tuple(v) for k, v in per.items()}) for s, per in kinds.items()}
        ),
        _key_kinds=MappingProxyType(key_kinds),
    )


def load_lexicon(
    *, category: str | None, platform: str, lang: str | None, directory: Path | None = None
) -> Lexicon:
    """The merged lexicon for a product category, a platform and an output language.

    Unknown categories use ``other``; ``lang`` starting with ``zh`` uses the Chinese
    lexicons, any other language the English ones. Raises ConfigError for a missing
    or invalid file, KeyError for an unknown platform.
    """
    if platform not in PLATFORM_NAMES:
        raise KeyError(
            f"unknown platform {platform!r}; expected one of {', '.join(PLATFORM_NAMES)}"
        )
    cat = category if category in CATEGORIES else "other"
    root = (directory or _default_dir()).resolve()
    return _merged(root, cat, platform, lexicon_lang(lang))


def iter_phrases(
    files: Iterable[LexiconFile],
) -> Iterable[tuple[LexiconFile, str, str | None, str]]:
    """(file, slot, attribute kind or None, phrase) for every phrase of the files."""
    for lex in files:
        for slot, items in lex.phrases.items():
            for phrase in items:
                yield lex, slot, None, phrase
        for slot, per_kind in lex.kind_phrases.items():
            for kind, items in per_kind.items():
                for phrase in items:
                    yield lex, slot, kind, phrase
