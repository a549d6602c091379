"""Product rows -> the exact chat messages sent to a model.

Templates are Jinja2, rendered in a sandbox (``copygen.writing.sandbox``). Product
values reach templates only as data, inside one delimited JSON block
(``copygen.writing.product_block``), never as template source.

Template names: ``system.<lang>.j2``, ``<platform>.<lang>.j2`` (livestream,
social, detail) and ``repair.<lang>.j2``; names starting with ``_`` are partials.
For a language without its own template the English one is used and told to write
in the target language. Templates in ``settings.templates`` win over built-in ones
of the same name.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copygen.errors import TemplateError
from copygen.platforms import PLATFORM_NAMES, PlatformSpec, get_platform
from copygen.resources import data_dir
from copygen.writing.languages import language_name, normalise_lang, resolve_lang
from copygen.writing.product_block import product_block_of, product_data, product_data_full
from copygen.writing.sandbox import (
    LIMITS_HINT,
    RenderLimitError,
    _readonly,
    render_bounded,
    sandboxed_environment,
)
from copygen.writing.template_data import (
    _spec_context,
    example_fields,
    finding_dict,
    guidance_dict,
)

if TYPE_CHECKING:
    import jinja2

    from copygen.compliance.rules import RuleSet
    from copygen.config import Settings
    from copygen.inputs.product import Product

__all__ = [
    "TEMPLATE_SUFFIX",
    "PromptBuilder",
    "RenderedPrompt",
    "TemplateInfo",
    "resolve_lang",  # copygen.generate imports it from here
]

TEMPLATE_SUFFIX = ".j2"
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


@dataclass(frozen=True)
class RenderedPrompt:
    """The messages for one item, and which templates made them."""

    template: str  # the main template: "<platform>.<lang>.j2" or "repair.<lang>.j2"
    template_hash: str  # sha256 over the sources of every template used
    messages: list[dict[str, str]]
    platform: str
    lang: str
    templates: tuple[str, ...] = ()  # every template used, includes and partials too
    variant: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "template_hash": self.template_hash,
            "templates": list(self.templates),
            "platform": self.platform,
            "lang": self.lang,
            "variant": self.variant,
            "messages": [dict(m) for m in self.messages],
        }


@dataclass(frozen=True)
class TemplateInfo:
    """One template a builder can see, for ``copygen templates list``."""

    name: str
    path: Path
    origin: str  # "custom" or "built-in"
    kind: str  # "system", "platform", "repair", "partial" or "other"
    overrides_builtin: bool = False


@dataclass
class _Compiled:
    template: jinja2.Template
    names: tuple[str, ...]  # the template and everything it includes/imports
    hash: str


@dataclass
class _Cache:
    compiled: dict[str, _Compiled] = field(default_factory=dict)
    guidance: dict[tuple[str, str, str], list[dict[str, str]]] = field(default_factory=dict)
    # Read-only views that depend only on (platform, lang) or on the guidance key:
    # built once, shared by every render. They are immutable all the way down
    # (MappingProxyType, tuples, str, numbers), so no render can change what
    # another one sees; a mutable container around them is made fresh per render.
    views: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    guidance_views: dict[tuple[str, str, str], tuple[Any, ...]] = field(default_factory=dict)
    judge_categories: dict[str, tuple[Any, ...]] = field(default_factory=dict)


def _kind(name: str) -> str:
    base = name.split(".", 1)[0]
    if base.startswith("_"):
        return "partial"
    if base in ("system", "repair", "judge"):
        return base
    if base in PLATFORM_NAMES:
        return "platform"
    return "other"


def _where(name: str, exc: BaseException, filename: str | None) -> str:
    """``'social.zh.j2' line 12``: the template and, where known, the line."""
    line = _template_line(exc, filename)
    return f"'{name}'" + (f" line {line}" if line else "")


def _template_line(exc: BaseException, filename: str | None) -> int | None:
    """The line in the template where rendering failed (Jinja rewrites tracebacks)."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename == filename or code.co_filename.endswith(TEMPLATE_SUFFIX):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


class PromptBuilder:
    """Renders prompts for products; compiled templates and guidance are cached.

    ``ruleset``: the compliance rules whose banned wordings become guidance in the
    prompt. None loads them from the settings (``rules``, ``disable``,
    ``only_category``) when first needed.
    """

    def __init__(self, *, settings: Settings, ruleset: RuleSet | None = None) -> None:
        self.settings = settings
        self._ruleset = ruleset
        self._ruleset_loaded = ruleset is not None
        self._cache = _Cache()
        self.custom_dir: Path | None = None
        if settings.templates is not None:
            custom = Path(settings.templates).expanduser()
            if not custom.is_dir():
                raise TemplateError("templates folder not found", file=custom)
            self.custom_dir = custom
        self.builtin_dir = data_dir("templates")
        self.search_path: tuple[Path, ...] = tuple(
            p for p in (self.custom_dir, self.builtin_dir) if p is not None
        )
        self._env = sandboxed_environment(self.search_path)
        self._names: frozenset[str] | None = None

    # --- templates ----------------------------------------------------------------------

    def template_names(self) -> frozenset[str]:
        if self._names is None:
            self._names = frozenset(self._env.list_templates(extensions=["j2"]))
        return self._names

    def list_templates(self) -> list[TemplateInfo]:
        infos: list[TemplateInfo] = []
        builtin = {
            p.relative_to(self.builtin_dir).as_posix()
            for p in self.builtin_dir.rglob(f"*{TEMPLATE_SUFFIX}")
        }
        for name in sorted(self.template_names()):
            path = self.template_path(name)
            custom = self.custom_dir is not None and path.is_relative_to(self.custom_dir)
            infos.append(
                TemplateInfo(
                    name=name,
                    path=path,
                    origin="custom" if custom else "built-in",
                    kind=_kind(name),
                    overrides_builtin=custom and name in builtin,
                )
            )
        return infos

    def template_path(self, name: str) -> Path:
        for folder in self.search_path:
            candidate = folder / name
            if candidate.is_file():
                return candidate
        raise TemplateError(self._not_found(name))

    def template_source(self, name: str) -> str:
        from jinja2 import TemplateNotFound

        try:
            source, _, _ = self._env.loader.get_source(self._env, name)  # type: ignore[union-attr]
        except TemplateNotFound:
            raise TemplateError(self._not_found(name)) from None
        except UnicodeDecodeError:
            raise TemplateError("template is not UTF-8 text", file=name) from None
        return source

    def select_template(self, kind: str, lang: str) -> str:
        """The template name for ``kind`` (system, repair or a platform) in ``lang``."""
        lang = normalise_lang(lang)
        names = self.template_names()
        base = lang.split("-")[0]
        fallback = "zh" if base == "zh" else "en"
        for candidate in (lang, base, fallback):
            name = f"{kind}.{candidate}{TEMPLATE_SUFFIX}"
            if name in names:
                return name
        raise TemplateError(
            f"no template for '{kind}' in language '{lang}'"
            f" (looked for {kind}.{lang}{TEMPLATE_SUFFIX} and {kind}.{fallback}{TEMPLATE_SUFFIX}"
            f" in {', '.join(str(p) for p in self.search_path)})"
        )

    def _compile(self, name: str) -> _Compiled:
        cached = self._cache.compiled.get(name)
        if cached is not None:
            return cached
        from jinja2 import TemplateNotFound, TemplateSyntaxError, meta

        order: list[str] = []
        pending = [name]
        try:
            while pending:
                current = pending.pop(0)
                if current in order:
                    continue
                order.append(current)
                source = self.template_source(current)
                tree = self._env.parse(source, current)
                for ref in meta.find_referenced_templates(tree):
                    if ref is not None and ref not in order:
                        pending.append(ref)
            template = self._env.get_template(name)
        except TemplateSyntaxError as exc:
            raise TemplateError(
                f"template syntax error: {exc.message}",
                file=exc.filename or exc.name or name,
                row=exc.lineno,
            ) from None
        except TemplateNotFound as exc:
            raise TemplateError(f"template '{exc.name}' not found (used by '{name}')") from None
        digest = hashlib.sha256()
        for current in order:
            digest.update(current.encode("utf-8") + b"\0")
            digest.update(self.template_source(current).encode("utf-8") + b"\0")
        compiled = _Compiled(template=template, names=tuple(order), hash=digest.hexdigest())
        self._cache.compiled[name] = compiled
        return compiled

    def _render(
        self, name: str, context: Mapping[str, Any], product: Product | None
    ) -> tuple[str, _Compiled]:
        from jinja2 import TemplateError as JinjaTemplateError
        from jinja2 import UndefinedError
        from jinja2.exceptions import SecurityError

        compiled = self._compile(name)
        try:
            text = render_bounded(compiled.template, context)
        except RenderLimitError as exc:
            where = _where(name, exc, compiled.template.filename)
            raise TemplateError(
                f"template {where}: {exc}",
                file=_source(product),
                row=_row(product),
                hint=LIMITS_HINT,
            ) from None
        except (OverflowError, MemoryError, RecursionError) as exc:
            # What the sandbox's limits did not catch first: a range beyond its limit,
            # a float overflow, memory running out, macros calling themselves.
            where = _where(name, exc, compiled.template.filename)
            what = {
                MemoryError: "ran out of memory",
                RecursionError: "calls nest too deeply (a macro or include calls itself?)",
            }.get(type(exc)) or f"{type(exc).__name__}: {exc}"
            raise TemplateError(
                f"template {where}: {what}", file=_source(product), row=_row(product)
            ) from None
        except UndefinedError as exc:
            where = _where(name, exc, compiled.template.filename)
            raise TemplateError(
                f"template {where}: undefined variable: {exc.message}",
                file=_source(product),
                row=_row(product),
            ) from None
        except SecurityError as exc:
            raise TemplateError(
                f"template '{name}': not allowed in the sandbox: {exc}",
                file=_source(product),
                row=_row(product),
            ) from None
        except JinjaTemplateError as exc:
            raise TemplateError(
                f"template '{name}': {exc}", file=_source(product), row=_row(product)
            ) from None
        except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError) as exc:
            where = _where(name, exc, compiled.template.filename)
            raise TemplateError(
                f"template {where}: {type(exc).__name__}: {exc}",
                file=_source(product),
                row=_row(product),
            ) from None
        # Blocks and macros leave runs of blank lines; one blank line is enough. Product
        # values cannot be affected: they sit in JSON, where newlines are escaped.
        return _BLANK_LINES.sub("\n\n", text).strip() + "\n", compiled

    # --- context ------------------------------------------------------------------------

    @property
    def ruleset(self) -> RuleSet | None:
        if not self._ruleset_loaded:
            self._ruleset_loaded = True
            self._ruleset = self._load_ruleset()
        return self._ruleset

    def _load_ruleset(self) -> RuleSet | None:
        from copygen.compliance.rules import load_rules

        s = self.settings
        return load_rules(paths=s.rules, disabled=s.disable, only_categories=s.only_category)

    def guidance(self, *, category: str, platform: str, lang: str) -> list[dict[str, str]]:
        """The banned wordings most relevant to this category/platform, as plain dicts."""
        key = (category, platform, lang)
        cached = self._cache.guidance.get(key)
        if cached is not None:
            return cached
        ruleset = self.ruleset
        items: list[dict[str, str]] = []
        if ruleset is not None:
            from copygen.compliance.guidance import guidance_for

            # Rule packs are written for zh and en; other languages get the English ones.
            rule_lang = "zh" if lang.startswith("zh") else "en"
            found = guidance_for(ruleset, category=category, platform=platform, lang=rule_lang)
            items = [guidance_dict(item) for item in found]
        self._cache.guidance[key] = items
        return items

    def context(
        self, product: Product, *, platform: str, lang: str, variant: int
    ) -> dict[str, Any]:
        """Every variable a template can use (see templates/README.md)."""
        spec = _platform(platform)
        lang = normalise_lang(lang)
        shared = self._shared_views(spec, lang)
        product_plain = product_data(product)
        return {
            "product": _readonly(product_data_full(product)),
            "product_block": product_block_of(product_plain),
            "product_json": json.dumps(product_plain, ensure_ascii=False),
            "platform": shared["platform"],
            "example_json": shared["example_json"],
            "lang": lang,
            "lang_name": shared["lang_name"],
            "template_lang": shared["template_lang"],
            "other_language": shared["other_language"],
            "variant": variant,
            "variants": max(self.settings.variants, variant),
            "audience": product.audience,
            # Shifts the angle by audience (千人千面): two audiences get different
            # angles for the same variant; stable across runs, unlike hash().
            "audience_seed": zlib.crc32(product.audience.encode("utf-8")) % 997,
            "brand_voice": shared["brand_voice"],
            "guidance": list(
                self._guidance_views(category=product.category, platform=spec.name, lang=lang)
            ),
            "aigc_label": shared["aigc_label"],
            "row": product.row,
            "source": product.source,
        }

    def _shared_views(self, spec: PlatformSpec, lang: str) -> dict[str, Any]:
        """The context values that depend only on the platform and language."""
        key = (spec.name, lang)
        cached = self._cache.views.get(key)
        if cached is not None:
            return cached
        voice = self.settings.brand_voice
        label = self.settings.label_for(spec.name)
        template_lang = "zh" if lang.startswith("zh") else "en"
        views: dict[str, Any] = {
            "platform": _readonly(_spec_context(spec, lang)),
            "example_json": json.dumps(example_fields(spec, lang), ensure_ascii=False, indent=2),
            "lang_name": language_name(lang),
            "template_lang": template_lang,
            "other_language": not lang.startswith(template_lang),
            "brand_voice": _readonly(
                {"tone": voice.tone, "use": list(voice.use), "avoid": list(voice.avoid)}
            ),
            "aigc_label": _readonly(
                {
                    "enabled": label.enabled,
                    "position": label.position,
                    "text": label.text(lang),
                }
            ),
        }
        self._cache.views[key] = views
        return views

    def _guidance_views(self, *, category: str, platform: str, lang: str) -> tuple[Any, ...]:
        key = (category, platform, lang)
        cached = self._cache.guidance_views.get(key)
        if cached is None:
            items = self.guidance(category=category, platform=platform, lang=lang)
            cached = self._cache.guidance_views[key] = tuple(_readonly(g) for g in items)
        return cached

    # --- rendering ----------------------------------------------------------------------

    def render(
        self, product: Product, *, platform: str, lang: str, variant: int = 1
    ) -> RenderedPrompt:
        """The system and user messages asking for one variant of one platform's copy."""
        if variant < 1:
            raise ValueError("variant starts at 1")
        lang = normalise_lang(lang)
        context = self.context(product, platform=platform, lang=lang, variant=variant)
        return self._render_messages(product, platform, lang, variant, context)

    def _render_messages(
        self,
        product: Product,
        platform: str,
        lang: str,
        variant: int,
        context: Mapping[str, Any],
        main_name: str | None = None,
    ) -> RenderedPrompt:
        system_name = self.select_template("system", lang)
        if main_name is None:
            main_name = self.select_template(_platform(platform).name, lang)
        system_text, system_compiled = self._render(system_name, context, product)
        user_text, main_compiled = self._render(main_name, context, product)
        names = _unique(system_compiled.names + main_compiled.names)
        return RenderedPrompt(
            template=main_name,
            template_hash=_combined_hash(system_compiled, main_compiled),
            messages=[
                {"role": "system", "content": system_text},
                {"role": "user", "content": user_text},
            ],
            platform=_platform(platform).name,
            lang=lang,
            templates=names,
            variant=variant,
        )

    def render_repair(
        self,
        product: Product,
        *,
        platform: str,
        lang: str,
        variant: int,
        previous_fields: Mapping[str, Any],
        findings: Sequence[Mapping[str, Any]],
    ) -> RenderedPrompt:
        """The first prompt, the draft as the assistant's reply, then the repair request.

        ``findings`` are dicts in the DESIGN.md finding format; the repair prompt
        names each flagged text, rule, law and suggestion and asks for corrected JSON.
        """
        lang = normalise_lang(lang)
        first = self.render(product, platform=platform, lang=lang, variant=variant)
        context = dict(self.context(product, platform=platform, lang=lang, variant=variant))
        previous = {str(k): v for k, v in previous_fields.items()}
        context["previous_fields"] = _readonly(previous)
        context["previous_json"] = json.dumps(previous, ensure_ascii=False, indent=2)
        context["findings"] = [_readonly(finding_dict(f)) for f in findings]
        repair_name = self.select_template("repair", lang)
        repair_text, repair_compiled = self._render(repair_name, context, product)
        digest = hashlib.sha256()
        digest.update(first.template_hash.encode("ascii"))
        digest.update(repair_compiled.hash.encode("ascii"))
        return RenderedPrompt(
            template=repair_name,
            template_hash=digest.hexdigest(),
            messages=[
                *first.messages,
                {"role": "assistant", "content": json.dumps(previous, ensure_ascii=False)},
                {"role": "user", "content": repair_text},
            ],
            platform=first.platform,
            lang=lang,
            templates=_unique(first.templates + repair_compiled.names),
            variant=variant,
        )

    def render_judge(
        self,
        content: str | Mapping[str, Any],
        *,
        lang: str,
        platform: str | None = None,
        product: Any = None,
        name: str | None = None,
    ) -> RenderedPrompt:
        """The one user message asking a model to judge ``content`` (a text, or the
        fields of a draft) as an advertising-law reviewer: ``judge.<lang>.j2`` (or the
        template ``name``) given the categories, the text and the product's facts.
        ``product``: a Product, a mapping of columns, or None."""
        from copygen.writing.judge_views import category_views, product_view, text_block_of

        lang = normalise_lang(lang)
        template_lang = "zh" if lang.startswith("zh") else "en"
        categories = self._cache.judge_categories.get(template_lang)
        if categories is None:
            views = category_views(self.ruleset, template_lang)
            categories = self._cache.judge_categories[template_lang] = tuple(
                _readonly(v) for v in views
            )
        data = product_view(product)
        context = {
            "categories": list(categories),
            "text_block": text_block_of(content),
            "product_block": product_block_of(data) if data else None,
            "lang": lang,
            "lang_name": language_name(lang),
            "template_lang": template_lang,
            "platform_name": platform,
        }
        main_name = name or self.select_template("judge", lang)
        where = product if product is not None and hasattr(product, "row") else None
        text, compiled = self._render(main_name, context, where)
        return RenderedPrompt(
            template=main_name,
            template_hash=compiled.hash,
            messages=[{"role": "user", "content": text}],
            platform=platform or "",
            lang=lang,
            templates=compiled.names,
        )

    def render_with(
        self, name: str, product: Product, *, lang: str, variant: int = 1
    ) -> RenderedPrompt:
        """The messages with the platform template ``name`` (e.g. ``social.en.j2``)
        instead of the one chosen by language; for ``copygen templates render``."""
        platform = name.split(".", 1)[0]
        if platform not in PLATFORM_NAMES:
            raise TemplateError(
                f"'{name}' is not a platform template; expected a name starting with"
                f" {', '.join(PLATFORM_NAMES)}"
            )
        if name not in self.template_names():
            raise TemplateError(self._not_found(name))
        lang = normalise_lang(lang)
        context = self.context(product, platform=platform, lang=lang, variant=variant)
        return self._render_messages(product, platform, lang, variant, context, main_name=name)

    def resolve_name(self, name: str, lang: str) -> str:
        """A template file name for what a user typed: ``social``, ``system``,
        ``social.zh`` or ``social.zh.j2``."""
        names = self.template_names()
        if name in names:
            return name
        if f"{name}{TEMPLATE_SUFFIX}" in names:
            return f"{name}{TEMPLATE_SUFFIX}"
        if name in PLATFORM_NAMES or name in ("system", "repair", "judge"):
            return self.select_template(name, lang)
        raise TemplateError(self._not_found(name), hint="see 'copygen templates list'")

    def _not_found(self, name: str) -> str:
        return f"template '{name}' not found in {', '.join(str(p) for p in self.search_path)}"


def _platform(name: str) -> PlatformSpec:
    try:
        return get_platform(name)
    except KeyError as exc:
        raise TemplateError(str(exc.args[0])) from None


def _unique(names: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


def _combined_hash(*parts: _Compiled) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.hash.encode("ascii"))
    return digest.hexdigest()


def _source(product: Product | None) -> str | None:
    return None if product is None else product.source


def _row(product: Product | None) -> int | None:
    return None if product is None else product.row
