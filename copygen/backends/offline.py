"""The offline backend: composes copy from the product row and the lexicons, no network.

It is the default backend, so it has to produce publishable copy on its own; the
writing is ``copygen.writing.composer``'s (deterministic, varied, within the platform
limits, checked). This module adapts it to the ``Backend`` interface: it decodes the
request, keeps the checked row data shared by a row's platforms and variants, and
binds the checker to the item.

A repair request (``context.attempt > 1`` with findings) recomposes the same item
avoiding every flagged text.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from copygen.backends.base import Backend, Completion, Message, RequestContext, Usage
from copygen.errors import BackendError
from copygen.platforms import PLATFORM_SPECS
from copygen.writing.composer import compose_checked
from copygen.writing.lexicons import Lexicon, load_lexicon
from copygen.writing.row_texts import Facts, prepare_facts

if TYPE_CHECKING:
    from copygen.compliance.engine import Checker
    from copygen.compliance.findings import CheckResult
    from copygen.config import Settings
    from copygen.inputs.product import Product

#: rows whose checked data is kept (a row's platforms and variants come together)
FACTS_CACHE_SIZE = 64


class OfflineBackend(Backend):
    """Composes platform copy from the row and the lexicons; no network, no model."""

    name: ClassVar[str] = "offline"
    remote: ClassVar[bool] = False
    description: ClassVar[str] = (
        "Built-in composer: writes every platform's copy from the product row and the "
        "lexicons, deterministic per seed, checked before it is returned; no network."
    )

    def __init__(
        self,
        *,
        seed: int | None = None,
        settings: Settings | None = None,
        checker: Checker | None = None,
        lexicon_dir: Path | None = None,
        self_check: bool = True,
    ) -> None:
        self.seed = seed
        self._settings = settings
        self._checker = checker
        self._lexicon_dir = lexicon_dir
        self._self_check = self_check
        # Brand voice: words the brand never uses are left out like flagged text.
        self._voice_avoid: tuple[str, ...] = (
            tuple(w.strip() for w in settings.brand_voice.avoid if w.strip()) if settings else ()
        )
        self._facts_cache: OrderedDict[tuple[Any, ...], Facts] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: Settings) -> OfflineBackend:
        return cls(seed=settings.seed, settings=settings)

    @property
    def model(self) -> str | None:
        return "offline"

    @property
    def checker(self) -> Checker | None:
        """The checker, built on first use (the same rules the pipeline checks with)."""
        if not self._self_check:
            return None
        if self._checker is None:
            from copygen.compliance.engine import Checker

            if self._settings is not None:
                self._checker = Checker.from_settings(self._settings)
            else:
                self._checker = Checker()
        return self._checker

    async def complete(
        self,
        messages: Sequence[Message],
        params: Mapping[str, Any],
        *,
        context: RequestContext | None = None,
    ) -> Completion:
        if context is None or context.product is None:
            raise BackendError(
                "the offline backend composes from the product row: the request carries none"
            )
        started = time.perf_counter()
        seed = context.seed if context.seed is not None else params.get("seed", self.seed)
        avoid: set[str] = set()
        if context.attempt > 1:
            for finding in context.findings:
                text = str(finding.get("text") or "").strip()
                if text and finding.get("category") != "format":
                    avoid.add(text)
        fields = self.compose(
            context.product,
            platform=context.platform,
            lang=context.lang,
            variant=context.variant,
            seed=seed,
            avoid=frozenset(avoid),
        )
        latency = (time.perf_counter() - started) * 1000.0
        return Completion(
            text=json.dumps(fields, ensure_ascii=False),
            usage=Usage(0, 0),
            latency_ms=latency,
            model="offline",
            finish_reason="stop",
            raw=None,
        )

    def compose(
        self,
        product: Product,
        *,
        platform: str,
        lang: str | None = None,
        variant: int = 1,
        seed: int | None = None,
        avoid: Iterable[str] = (),
    ) -> dict[str, Any]:
        """The platform's fields for one item, checked (when a checker is available)."""
        if platform not in PLATFORM_SPECS:
            raise BackendError(f"unknown platform {platform!r}")
        out_lang = lang or product.lang or "zh"
        lexicon = load_lexicon(
            category=product.category, platform=platform, lang=out_lang, directory=self._lexicon_dir
        )
        avoid_set = frozenset(a for a in (*avoid, *self._voice_avoid) if a)
        facts = self._facts(product, lang=out_lang, lexicon=lexicon, avoid=avoid_set)
        return compose_checked(
            product,
            platform=platform,
            lang=out_lang,
            variant=variant,
            seed=seed,
            lexicon=lexicon,
            facts=facts,
            check=self._check_for(product, lang=out_lang, platform=platform),
            avoid=avoid_set,
        )

    def _facts(
        self, product: Product, *, lang: str, lexicon: Lexicon, avoid: frozenset[str]
    ) -> Facts:
        """The row's checked texts, from the cache when this row was prepared lately."""
        # Variants and platforms of one row share the checked row data.
        key = (
            product.sku,
            product.title,
            product.brand,
            product.audience,
            product.category,
            product.selling_points,
            tuple(product.attributes.items()),
            # the prices are row data too: the same SKU re-read with another price
            # must not be written with the old one
            product.price,
            product.promo_price,
            getattr(product, "currency", None),
            getattr(product, "price_text", ""),
            getattr(product, "promo_price_text", ""),
            lang,
            avoid,
        )
        facts = self._facts_cache.get(key)
        if facts is None:
            facts = prepare_facts(
                product,
                lang=lang,
                lexicon=lexicon,
                check=self._check_for(product, lang=lang, platform=None),
                avoid=avoid,
            )
            self._facts_cache[key] = facts
            while len(self._facts_cache) > FACTS_CACHE_SIZE:
                self._facts_cache.popitem(last=False)
        else:
            self._facts_cache.move_to_end(key)
        return facts

    def _check_for(
        self, product: Product, *, lang: str, platform: str | None
    ) -> Callable[[Mapping[str, Any]], CheckResult] | None:
        """The checker bound to this item, or None without one.

        ``platform`` None checks the row's own texts, which no platform limit applies to.
        """
        checker = self.checker
        if checker is None:
            return None

        def check(fields: Mapping[str, Any]) -> CheckResult:
            return checker.check(
                fields,
                lang=lang,
                category=product.category,
                platform=platform,
                product=product,
            )

        return check
