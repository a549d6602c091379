"""PromptBuilder shares its read-only context views between renders: no render can
change what a later one sees, and the prompts are the ones built from scratch."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copygen.compliance.rules import load_rules
from copygen.config import BrandVoice, Settings
from copygen.errors import TemplateError
from copygen.inputs.product import Product
from copygen.platforms import PLATFORM_SPECS
from copygen.writing.product_block import json_indented
from copygen.writing.prompts import PromptBuilder
from copygen.writing.sandbox import _readonly
from copygen.writing.template_data import _spec_context, example_fields


def _product(**overrides: Any) -> Product:
    data: dict[str, Any] = {
        "sku": "BT-001",
        "title": "水润保湿精华液 30ml",
        "category": "美妆",
        "brand": "澜朵",
        "selling_points": "含透明质酸钠；质地清爽",
        "price": "199",
    }
    data.update(overrides)
    return Product.from_mapping(data, row=3, source="fixture.csv")


def _settings(**overrides: Any) -> Settings:
    base = Settings(brand_voice=BrandVoice(tone="亲切", use=("细节",), avoid=("最",)))
    return dataclasses.replace(base, **overrides)


def test_templates_cannot_change_shared_views(tmp_path: Path) -> None:
    # The plain sandbox lets templates call list.append: on the per-render list it
    # changes nothing later; the shared views themselves refuse any change.
    (tmp_path / "social.zh.j2").write_text(
        "{{ guidance.append('x') or '' }}{{ guidance | length }}|{{ platform.field_names }}\n",
        encoding="utf-8",
    )
    builder = PromptBuilder(settings=_settings(templates=tmp_path))
    first = builder.render(_product(), platform="social", lang="zh").messages[1]["content"]
    second = builder.render(_product(), platform="social", lang="zh").messages[1]["content"]
    assert first == second
    (tmp_path / "detail.zh.j2").write_text(
        "{{ platform.fields[0].update({'name': 'x'}) }}\n", encoding="utf-8"
    )
    with pytest.raises(TemplateError):
        builder.render(_product(), platform="detail", lang="zh")
    (tmp_path / "livestream.zh.j2").write_text(
        "{{ brand_voice.use.append('x') }}\n", encoding="utf-8"
    )
    with pytest.raises(TemplateError):
        builder.render(_product(), platform="livestream", lang="zh")


@pytest.mark.parametrize("platform", sorted(PLATFORM_SPECS))
@pytest.mark.parametrize("lang", ["zh", "en", "ja"])
def test_context_matches_one_built_from_scratch(platform: str, lang: str) -> None:
    settings = _settings()
    builder = PromptBuilder(settings=settings)
    product = _product(category="食品" if lang == "zh" else "美妆")
    for _ in range(2):  # the second call is served from the shared views
        context = builder.context(product, platform=platform, lang=lang, variant=2)
        spec = PLATFORM_SPECS[platform]
        assert context["platform"] == _readonly(_spec_context(spec, context["lang"]))
        assert context["guidance"] == [
            _readonly(g)
            for g in builder.guidance(
                category=product.category, platform=platform, lang=context["lang"]
            )
        ]
        assert isinstance(context["guidance"], list)
        assert context["brand_voice"] == _readonly(
            {"tone": "亲切", "use": ["细节"], "avoid": ["最"]}
        )
        assert context["example_json"] == json.dumps(
            example_fields(spec, context["lang"]), ensure_ascii=False, indent=2
        )


def test_builders_with_other_settings_do_not_share() -> None:
    quiet = PromptBuilder(
        settings=_settings(brand_voice=BrandVoice(tone="克制", use=(), avoid=())),
        ruleset=load_rules(builtin=False),
    )
    warm = PromptBuilder(settings=_settings(), ruleset=load_rules(builtin=False))
    a = quiet.context(_product(), platform="social", lang="zh", variant=1)
    b = warm.context(_product(), platform="social", lang="zh", variant=1)
    assert a["brand_voice"]["tone"] == "克制" and b["brand_voice"]["tone"] == "亲切"


def test_fast_attribute_lookup_on_data_matches_the_sandbox() -> None:
    from types import MappingProxyType

    from jinja2 import StrictUndefined, Undefined
    from jinja2.sandbox import SandboxedEnvironment

    from copygen.writing.sandbox import _data_sandbox_class

    plain = SandboxedEnvironment(undefined=StrictUndefined)
    fast = _data_sandbox_class(SandboxedEnvironment)(undefined=StrictUndefined)
    data = MappingProxyType({"title": "T", "items": "shadowed", "n": 1, "__class__": "x"})
    names = ["title", "n", "missing", "items", "keys", "get", "__class__", "__init__", "_x"]
    for name in names:
        want, got = plain.getattr(data, name), fast.getattr(data, name)
        if isinstance(want, Undefined):
            assert isinstance(got, Undefined) and type(got) is type(want)
            assert got._undefined_name == want._undefined_name
            assert got._undefined_obj is want._undefined_obj
        elif callable(want):
            assert got == want  # bound methods of the same proxy compare equal
        else:
            assert got == want
    # Other objects take the sandbox's own path.
    assert isinstance(fast.getattr("s", "__class__"), Undefined)


_JSON_SCALARS = (
    st.text(max_size=12)
    | st.integers()
    | st.booleans()
    | st.none()
    | st.floats(allow_nan=True, allow_infinity=True)
)
_JSON_DATA = st.recursive(
    _JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(_JSON_DATA)
def test_json_indented_is_json_dumps(value: Any) -> None:
    assert json_indented(value) == json.dumps(value, ensure_ascii=False, indent=2)


def test_json_indented_falls_back_for_other_data() -> None:
    from types import MappingProxyType

    assert json_indented({1: "a", "b": [2.5]}) == json.dumps(
        {1: "a", "b": [2.5]}, ensure_ascii=False, indent=2
    )
    with pytest.raises(TypeError):
        json_indented({"a": MappingProxyType({})})
    with pytest.raises(TypeError):
        json_indented({"a": object()})
