"""Turning a product row into words: prompt templates and the offline composer's language.

Prompts (what a model backend sends):

* ``prompts`` — ``PromptBuilder``: product rows -> the exact chat messages for a model;
* ``languages`` — language codes: normalising, choosing the one to write in, naming;
* ``product_block`` — the product as prompt data: plain values and the delimited JSON block;
* ``template_data`` — the other template data: platform, reply shape, guidance, findings;
* ``sandbox`` — the Jinja2 sandbox templates run in, and the read-only data they get.

The offline composer (what the offline backend writes with):

* ``lexicons`` — the phrase files, per category, platform and language (``load_lexicon``);
* ``phrasing`` — pure text helpers: seeds, prices, short names, hashtags, case;
* ``pieces`` — texts that remember the phrase and row data they were made from;
* ``row_texts`` — the row's texts the composer may use, once the checker has seen them;
* ``picker`` — picking and filling lexicon phrases for one item, and sentences of them;
* ``composer`` — ``Composer``: one item's platform fields; ``compose_checked`` recomposes
  until the checker is satisfied.

The package uses ``copygen.compliance`` and ``copygen.inputs`` and never
``copygen.backends``: backends write with it, not the other way round. Names are
re-exported lazily, so importing one module loads only what that module needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# name -> module that defines it
_LAZY: dict[str, str] = {
    "PromptBuilder": "copygen.writing.prompts",
    "RenderedPrompt": "copygen.writing.prompts",
    "load_lexicon": "copygen.writing.lexicons",
    "Composer": "copygen.writing.composer",
    "compose_checked": "copygen.writing.composer",
}

if TYPE_CHECKING:
    from copygen.writing.composer import Composer, compose_checked
    from copygen.writing.lexicons import load_lexicon
    from copygen.writing.prompts import PromptBuilder, RenderedPrompt

__all__ = ["Composer", "PromptBuilder", "RenderedPrompt", "compose_checked", "load_lexicon"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'copygen.writing' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
