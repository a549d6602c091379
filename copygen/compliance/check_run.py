"""``copygen check`` end to end: options -> inputs -> checker -> output -> exit code.

The command line only declares the options and hands them here, so everything the
command does can be called without typer. Option values are validated when a
``CheckOptions`` is built, before the settings are read, so a bad option is reported
first (exit 2).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from copygen.compliance.batch import (
    CheckItem,
    exit_code_for,
    read_inputs,
    read_product,
    result_record,
    summary,
    validate_product,
)
from copygen.compliance.engine import Checker
from copygen.compliance.findings import CheckResult
from copygen.config import DEFAULT_MAX_CELL_CHARS
from copygen.errors import ConfigError, InputError
from copygen.platforms import PLATFORM_NAMES

if TYPE_CHECKING:
    from copygen.config import Settings

FORMATS = ("text", "json", "jsonl")
FAIL_ON = ("block", "warn", "info", "never")


@dataclass
class CheckOptions:
    """The command line's options; ``category`` is normalised to its canonical name."""

    texts: Sequence[str] = ()
    input_path: str | None = None
    column: str | None = None
    fmt: str = "text"
    fail_on: str | None = None
    lang: str | None = None
    category: str | None = None
    platform: str | None = None
    product: Path | None = None
    rules: Sequence[Path] = ()
    disable: Sequence[str] = ()
    only_category: Sequence[str] = ()
    allow: Sequence[Path] = ()
    locale: str | None = None

    def __post_init__(self) -> None:
        if self.fmt not in FORMATS:
            raise ConfigError(f"--format must be one of {', '.join(FORMATS)}, not {self.fmt!r}")
        if self.fail_on is not None and self.fail_on not in FAIL_ON:
            raise ConfigError(
                f"--fail-on must be one of {', '.join(FAIL_ON)}, not {self.fail_on!r}"
            )
        if self.platform is not None and self.platform not in PLATFORM_NAMES:
            raise ConfigError(
                f"--platform must be one of {', '.join(PLATFORM_NAMES)}, not {self.platform!r}"
            )
        if self.locale is not None and self.locale not in ("zh", "en"):
            raise ConfigError(f"--locale must be zh or en, not {self.locale!r}")
        self.category = checked_category(self.category)


@dataclass(frozen=True)
class CheckRequest:
    """One input with what it is checked as: its own values, else the options'."""

    item: CheckItem
    lang: str | None
    category: str | None
    platform: str | None
    product: Any


class SecondOpinion(Protocol):
    """A reader after the rules (the LLM judge, ``copygen.judge``): given the checker
    and each input's rule result, it returns the results with its findings added
    and a summary of its work for the output (``"judge"`` in the JSON)."""

    def __call__(
        self, checker: Checker, requests: Sequence[CheckRequest], results: list[CheckResult]
    ) -> tuple[list[CheckResult], list[dict[str, Any]], dict[str, Any]]: ...


def run_check(
    options: CheckOptions,
    settings: Settings,
    echo: Callable[[str], None],
    *,
    second_opinion: SecondOpinion | None = None,
) -> int:
    """Check every input and write the results in ``options.fmt``: json and jsonl through
    ``echo``, text to a rich console on stdout. Returns the exit code: 1 when a finding
    is at or above the fail-on severity, else 0.

    ``second_opinion`` reads every input after the rules (all of them are checked
    first) and may add findings; its per-item and overall summaries join the output."""
    threshold = options.fail_on or settings.fail_on or "warn"
    limit = settings.max_cell_chars
    items = read_items(options, max_cell_chars=limit)
    default_product = (
        read_product(options.product, max_cell_chars=limit) if options.product is not None else None
    )
    locale = options.locale
    if locale is None and os.environ.get("LANG", "").lower().startswith("zh"):
        locale = "zh"
    checker = _checker(options, settings, locale)
    requests = [
        CheckRequest(
            item=item,
            lang=item.lang or options.lang or settings.lang,
            category=item.category or options.category,
            platform=item.platform or options.platform,
            product=item.product if item.product is not None else default_product,
        )
        for item in items
    ]
    console = _console() if options.fmt == "text" else None

    def check(request: CheckRequest) -> CheckResult:
        return checker.check(
            request.item.content,
            lang=request.lang,
            category=request.category,
            platform=request.platform,
            product=request.product,
        )

    def emit(item: CheckItem, result: CheckResult, extra: dict[str, Any] | None) -> None:
        if options.fmt == "jsonl":
            echo(json.dumps(_record(item, result, extra), ensure_ascii=False))
        elif console is not None:
            from copygen.compliance.render import print_item

            print_item(console, item.id, item.content, result, _item_locale(locale, item))

    results: list[CheckResult] = []
    per_item: list[dict[str, Any]] | None = None
    overall: dict[str, Any] | None = None
    if second_opinion is None:
        for request in requests:
            results.append(check(request))
            emit(request.item, results[-1], None)
    else:
        results, per_item, overall = second_opinion(checker, requests, [check(r) for r in requests])
        for request, result, extra in zip(requests, results, per_item, strict=True):
            emit(request.item, result, extra)
    counts = summary(results)
    if options.fmt == "json":
        records = [
            _record(i, r, per_item[n] if per_item is not None else None)
            for n, (i, r) in enumerate(zip(items, results, strict=True))
        ]
        document: dict[str, Any] = {
            "rules_hash": checker.rules_hash,
            "fail_on": threshold,
            "summary": counts,
            "items": records,
        }
        if overall is not None:
            document["judge"] = overall
        echo(json.dumps(document, ensure_ascii=False, indent=2))
    elif console is not None:
        from copygen.compliance.render import print_summary

        shown = locale or ("zh" if any(_is_zh(i) for i in items) else "en")
        print_summary(console, counts, shown, checker.rules_hash)
        if overall is not None:
            console.print(judge_line(overall, shown))
    return exit_code_for(results, threshold)


def judge_line(overall: Mapping[str, Any], locale: str) -> str:
    """One line on the judge's work under the text summary (see copygen.judge.checking)."""
    dropped = sum(int(v) for v in (overall.get("dropped") or {}).values())
    cost = overall.get("cost")
    unknown = "未知" if locale == "zh" else "unknown"
    money = unknown if cost is None else f"{cost:.4f} {overall.get('currency') or ''}".strip()
    if locale == "zh":
        return (
            f"AI 评审 {overall.get('model')}：审阅 {overall.get('judged')} 条，新增问题 "
            f"{overall.get('added')} 个，舍弃 {dropped} 个，失败 {overall.get('errors')} 条；"
            f"tokens {overall.get('tokens_in')}/{overall.get('tokens_out')}，费用 {money}"
        )
    return (
        f"AI judge {overall.get('model')}: read {overall.get('judged')} texts, added "
        f"{overall.get('added')} findings, dropped {dropped}, failed {overall.get('errors')}; "
        f"tokens {overall.get('tokens_in')}/{overall.get('tokens_out')}, cost {money}"
    )


def _record(item: CheckItem, result: CheckResult, extra: dict[str, Any] | None) -> dict[str, Any]:
    record = result_record(item, result)
    if extra is not None:
        record["judge"] = extra
    return record


def read_items(
    options: CheckOptions, *, max_cell_chars: int = DEFAULT_MAX_CELL_CHARS
) -> list[CheckItem]:
    """The texts to check, from the arguments, ``--input`` or piped stdin; all read and
    validated before anything is checked (each within ``max_cell_chars``)."""
    items: list[CheckItem]
    if options.texts and options.input_path is not None:
        raise ConfigError("give texts as arguments or --input, not both")
    if options.texts:
        items = [CheckItem(id=n, content=t) for n, t in enumerate(options.texts, start=1)]
        for item in items:
            _check_argument(item, max_cell_chars)
    elif options.input_path is not None:
        items = read_inputs(
            options.input_path, column=options.column, max_cell_chars=max_cell_chars
        )
    elif not sys.stdin.isatty():
        items = read_inputs("-", column=options.column, max_cell_chars=max_cell_chars)
        if not items:
            raise ConfigError("nothing to check: give TEXT arguments or --input FILE|-")
    else:
        raise ConfigError("nothing to check: give TEXT arguments or --input FILE|-")
    source = "<stdin>" if options.input_path in (None, "-") else options.input_path
    for item in items:
        item.category = checked_category(item.category, source=source, row=item.line)
        if item.product is not None:
            validate_product(item.product, source, row=item.line)
    return items


def _check_argument(item: CheckItem, limit: int) -> None:
    """A text argument: within the cell limit, and whole characters. The shell hands over
    bytes that are not UTF-8 as lone surrogates (U+DC80..U+DCFF)."""
    from copygen.inputs.cells import text_refusal

    text = str(item.content)
    if any("\udc80" <= char <= "\udcff" for char in text):
        raise InputError(f"argument {item.id}: bytes that are not valid UTF-8")
    problem = text_refusal(text, limit)
    if problem is not None:
        raise InputError(f"argument {item.id}: {problem}")


def checked_category(
    value: str | None, *, source: str | None = None, row: int | None = None
) -> str | None:
    """The canonical category for ``value`` (English or Chinese name); an unknown name is
    an input error rather than a silent ``other``."""
    if value is None:
        return None
    from copygen.inputs.product import CATEGORIES, normalise_category

    canonical = normalise_category(value)
    if canonical == "other" and value.strip().lower() not in ("other", "其他", "其它"):
        raise InputError(
            f"unknown category {value!r}; expected one of {', '.join(CATEGORIES)} "
            "(or a Chinese name such as 美妆/食品/服饰/数码/母婴/家居)",
            file=source,
            row=row,
        )
    return canonical


def _checker(options: CheckOptions, settings: Settings, locale: str | None) -> Checker:
    """The settings' rules, allowlists and filters, then the command line's."""
    return Checker(
        rules=[*settings.rules, *options.rules],
        allow=[*settings.allow, *options.allow],
        disabled=[*settings.disable, *options.disable],
        only_categories=[*settings.only_category, *options.only_category],
        locale=locale,
    )


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def _is_zh(item: CheckItem) -> bool:
    from copygen.compliance.normalize import has_cjk

    content = item.content
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    return has_cjk(text)


def _item_locale(locale: str | None, item: CheckItem) -> str:
    """The language an item's findings are shown in: ``--locale``, else the item's
    ``lang``, else the language of its copy."""
    if locale:
        return locale
    if item.lang:
        return "zh" if item.lang.lower().startswith("zh") else "en"
    return "zh" if _is_zh(item) else "en"
