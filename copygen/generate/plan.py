"""The plan of a run: which items a product file yields, one per row x platform x variant.

An item's id is ``{sku}:{platform}:{lang}:v{n}``; it is how results, audit
events, resume and review name one text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from copygen.config import Settings
from copygen.errors import ConfigError
from copygen.generate.masking import mask_product
from copygen.ids import IdTable
from copygen.inputs.product import Product
from copygen.writing.languages import normalise_lang, resolve_lang, row_lang, same_script

__all__ = [
    "KEPT_ROWS",
    "PlanCount",
    "Shard",
    "WarningHandler",
    "WorkItem",
    "count_plan",
    "item_id_for",
    "iter_work",
    "parse_shard",
    "plan_items",
    "shard_of",
]

WarningHandler = Callable[[str], None]


def item_id_for(sku: str, platform: str, lang: str, variant: int) -> str:
    return f"{sku}:{platform}:{lang}:v{variant}"


#: ``(index, count)``: shard ``index`` (1-based) of ``count`` (``--shard I/N``).
Shard = tuple[int, int]


def shard_of(item_id: str, count: int) -> int:
    """The shard (1..count) an item belongs to.

    SHA-256 of the UTF-8 id, never Python's ``hash()``: that is salted per process,
    and N machines splitting one product file must all agree on every item.
    """
    digest = hashlib.sha256(item_id.encode("utf-8")).digest()
    return int.from_bytes(digest, "big") % count + 1


def parse_shard(value: str | Shard | None) -> Shard | None:
    """``"I/N"`` (or ``(I, N)``) as a shard; ConfigError (exit 2) unless 1 <= I <= N."""
    if value is None:
        return None
    text = value if isinstance(value, str) else f"{value[0]}/{value[1]}"
    index_text, slash, count_text = text.strip().partition("/")
    try:
        if not slash:
            raise ValueError
        index, count = int(index_text), int(count_text)
    except ValueError:
        index = count = 0
    if count < 1 or not 1 <= index <= count:
        raise ConfigError(
            f"--shard takes I/N with 1 <= I <= N (shard I of N); got {text!r}",
            hint="e.g. --shard 1/3, --shard 2/3 and --shard 3/3 on three machines",
        )
    return index, count


@dataclass(frozen=True, slots=True)
class WorkItem:
    id: str
    product: Product  # the row as read: the facts the copy is checked against
    platform: str
    lang: str
    variant: int
    #: The row with personal data masked, rendered into prompts for remote backends
    #: (None: prompts use ``product``), and the placeholders the masking wrote.
    prompt_product: Product | None = None
    placeholders: frozenset[str] = frozenset()


def plan_items(
    product: Product,
    settings: Settings,
    *,
    on_warning: WarningHandler | None = None,
    mask: bool = False,
) -> list[WorkItem]:
    """The items of one row: its platforms (narrowed by the row's column) x variants.

    ``mask``: mask the row's personal data once, for every item's prompts.
    """
    platforms = list(settings.platforms)
    if product.platforms:
        wanted = set(product.platforms)
        platforms = [p for p in platforms if p in wanted]
        if not platforms and on_warning is not None:
            where = f"row {product.row}: " if product.row is not None else ""
            on_warning(
                f"{where}sku {product.sku}: platforms column ({', '.join(product.platforms)}) "
                f"names none of the selected platforms ({', '.join(settings.platforms)}); "
                "row skipped"
            )
    lang = resolve_lang(product, settings)
    prompt_product: Product | None = None
    placeholders: frozenset[str] = frozenset()
    if mask and platforms:
        prompt_product, placeholders = mask_product(product)
    return [
        WorkItem(
            item_id_for(product.sku, platform, lang, variant),
            product,
            platform,
            lang,
            variant,
            prompt_product,
            placeholders,
        )
        for platform in platforms
        for variant in range(1, settings.variants + 1)
    ]


def iter_work(
    input_path: Path,
    settings: Settings,
    *,
    on_warning: WarningHandler | None,
    mask: bool = False,
    translates: bool | None = None,
    products: Iterable[Product] | None = None,
    shard: Shard | None = None,
) -> Iterator[WorkItem]:
    """Every item of the input, in file order, each id once (later duplicates skipped).

    ``products``: the rows of ``input_path`` already read (``PlanCount.rows``).
    ``shard``: only the items of that shard (:func:`shard_of`); duplicates are still
    found over the whole file, so every machine skips the same rows.
    """
    seen = IdTable()
    untranslated = _Untranslated(settings, translates)
    if products is None:
        products = _read(input_path, settings, on_warning)
    planned = False
    for product in products:
        if untranslated.skips(product):
            continue
        for work in plan_items(product, settings, on_warning=on_warning, mask=mask):
            if not seen.add(work.id):
                if on_warning is not None and work.variant == 1:
                    on_warning(
                        f"row {product.row}: item {work.id} already planned from an earlier "
                        "row with the same sku; skipped"
                    )
                continue
            planned = True
            if shard is not None and shard_of(work.id, shard[1]) != shard[0]:
                continue
            yield work
    untranslated.finish(on_warning, planned=planned)


class _Untranslated:
    """Rows the offline backend cannot write in the asked language.

    It quotes the row and translates nothing, so ``--lang en`` over Chinese rows
    would give copy with nothing from the row that still passes every check. Those
    rows are skipped and said once; when no row is left the run stops (exit 2).
    A model backend translates, so it gets every row.
    """

    def __init__(self, settings: Settings, translates: bool | None) -> None:
        if translates is None:
            translates = settings.backend != "offline"
        self.lang = None if translates else settings.lang
        self.skipped = 0
        self.written: dict[str, int] = {}

    def skips(self, product: Product) -> bool:
        if not self.lang:
            return False
        written = row_lang(product)
        if same_script(written, normalise_lang(self.lang)):
            return False
        self.skipped += 1
        self.written[written] = self.written.get(written, 0) + 1
        return True

    def finish(self, on_warning: WarningHandler | None, *, planned: bool) -> None:
        if not self.skipped:
            return
        from copygen.writing.languages import language_name

        names = ", ".join(language_name(lang) for lang in sorted(self.written))
        message = (
            f"--lang {self.lang}: {self.skipped} row{'s are' if self.skipped != 1 else ' is'}"
            f" written in {names} and the offline backend does not translate, so their copy"
            " would carry nothing from the row; "
        )
        if not planned:
            raise ConfigError(
                message + "no row is left to write",
                hint=f"leave out --lang (each row is written in its own language), or use a "
                f"model backend (--backend openai …), which translates into {self.lang}",
            )
        if on_warning is not None:
            on_warning(message + "those rows are skipped (a model backend translates them)")


def _read(
    input_path: Path, settings: Settings, on_warning: WarningHandler | None
) -> Iterator[Product]:
    from copygen.inputs.product_files import read_products

    return read_products(
        input_path,
        on_warning=on_warning,
        max_cell_chars=settings.max_cell_chars,
        columns=settings.columns,
    )


#: Inputs of up to this many rows are read once per run: count_plan keeps the rows
#: for the run's items (a few MB). Larger ones are read again as a stream, so that a
#: run's memory stays flat however long its input is.
KEPT_ROWS = 5_000


@dataclass(frozen=True, slots=True)
class PlanCount:
    planned: int
    #: Of the planned items, those already completed.
    done: int
    #: The rows read, for ``iter_work(products=...)``; None when there were more
    #: than KEPT_ROWS of them.
    rows: tuple[Product, ...] | None


def count_plan(
    input_path: Path,
    settings: Settings,
    completed: Container[str],
    on_warning: WarningHandler | None,
    *,
    translates: bool | None = None,
    shard: Shard | None = None,
) -> PlanCount:
    """The items planned, of which already completed; reads the whole input once.

    Reading it before the first request also means a broken row fails the run
    (exit 2) before anything is paid for.
    """
    kept: list[Product] | None = []

    def rows() -> Iterator[Product]:
        nonlocal kept
        for product in _read(input_path, settings, on_warning):
            if kept is not None:
                kept.append(product)
                if len(kept) > KEPT_ROWS:
                    kept = None
            yield product

    planned = done = 0
    for work in iter_work(
        input_path,
        settings,
        on_warning=on_warning,
        translates=translates,
        products=rows(),
        shard=shard,
    ):
        planned += 1
        if work.id in completed:
            done += 1
    return PlanCount(planned, done, tuple(kept) if kept is not None else None)
