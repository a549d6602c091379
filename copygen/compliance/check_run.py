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
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from copygen.compliance.batch import (
    FAIL_ON_RANK,
    CheckItem,
    iter_inputs,
    read_product,
    result_record,
    validate_product,
)
from copygen.compliance.check_stream import CheckerSpec, Outcome
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
    jobs: int | None = None  # worker processes; None: the CPU count
    quiet: bool = False  # no progress line

    def __post_init__(self) -> None:
        if self.jobs is not None and self.jobs < 1:
            raise ConfigError(f"--jobs must be at least 1, not {self.jobs}")
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

    Inputs are streamed: read, checked and written a chunk at a time, in input order
    (by ``options.jobs`` worker processes when there are more than a few hundred), and
    the summary and exit code are counted as they go, so memory does not grow with the
    input. The first ``SMALL`` inputs are read before anything is checked: a smaller
    input is refused whole, before any output, when a line is malformed; in a larger
    one, the lines before the malformed one have been written when it stops (exit 2).

    ``second_opinion`` reads the inputs after the rules, ``JUDGE_CHUNK`` at a time, and
    may add findings; its per-item and overall summaries join the output."""
    from copygen.compliance.check_stream import (
        SMALL,
        CheckProgress,
        check_request,
        checked_chunks,
        chunked,
        outcome_of,
    )

    threshold = options.fail_on or settings.fail_on or "warn"
    limit = settings.max_cell_chars
    items = iter_items(options, max_cell_chars=limit)
    default_product = (
        read_product(options.product, max_cell_chars=limit) if options.product is not None else None
    )
    locale = options.locale
    if locale is None and os.environ.get("LANG", "").lower().startswith("zh"):
        locale = "zh"

    def request_of(item: CheckItem) -> CheckRequest:
        return CheckRequest(
            item=item,
            lang=item.lang or options.lang or settings.lang,
            category=item.category or options.category,
            platform=item.platform or options.platform,
            product=item.product if item.product is not None else default_product,
        )

    requests = map(request_of, items)
    head = list(islice(requests, SMALL))
    spec = _checker_spec(options, settings, locale)
    checker = spec.build()
    writer = _Writer(options.fmt, echo, locale, threshold, checker.rules_hash)
    jobs = options.jobs or os.cpu_count() or 1
    if second_opinion is not None or len(head) < SMALL:
        jobs = 1
    stream = chain(head, requests)
    progress = CheckProgress()
    try:
        if second_opinion is None:
            started = False
            for chunk, outcomes in checked_chunks(
                checker, spec, chunked(stream), options.fmt, jobs
            ):
                if not started and _show_progress(options):
                    progress.start()  # after the workers are forked
                started = True
                writer.write(chunk, outcomes)
                progress.advance(outcomes)
        else:
            if _show_progress(options):
                progress.start()
            for chunk in chunked(stream, JUDGE_CHUNK):
                results = [check_request(checker, r) for r in chunk]
                results, per_item, overall = second_opinion(checker, chunk, results)
                outcomes = [
                    outcome_of(r.item, result, options.fmt, extra)
                    for r, result, extra in zip(chunk, results, per_item, strict=True)
                ]
                writer.overall = merge_overall(writer.overall, overall)
                writer.write(chunk, outcomes)
                progress.advance(outcomes)
    finally:
        progress.close()
    writer.finish()
    return writer.exit_code()


#: Inputs handed to the judge at a time.
JUDGE_CHUNK = 256


class _Writer:
    """Writes outcomes as they come, and counts them for the summary and exit code."""

    def __init__(
        self,
        fmt: str,
        echo: Callable[[str], None],
        locale: str | None,
        threshold: str,
        rules_hash: str,
    ) -> None:
        self.fmt = fmt
        self.echo = echo
        self.locale = locale
        self.threshold = threshold
        self.rules_hash = rules_hash
        self.console = _console() if fmt == "text" else None
        self.counts = {"items": 0, "pass": 0, "review": 0, "blocked": 0, "findings": 0}
        self.worst = 0
        self.any_zh = False
        self.overall: dict[str, Any] | None = None
        self.opened = False  # json: the document's head is written
        self.held: str | None = None  # json: the last item, written once its comma is known

    def write(self, requests: Sequence[CheckRequest], outcomes: Sequence[Outcome]) -> None:
        counts = self.counts
        for outcome in outcomes:
            counts["items"] += 1
            counts[outcome.status] += 1
            counts["findings"] += outcome.findings
            self.worst = max(self.worst, outcome.worst)
        if self.fmt == "jsonl":
            self.echo("\n".join(o.line or "" for o in outcomes))
        elif self.fmt == "json":
            self._json_items([o.line or "" for o in outcomes])
        elif self.console is not None:
            from copygen.compliance.render import print_item

            for request, outcome in zip(requests, outcomes, strict=True):
                item = request.item
                if self.locale is None and not self.any_zh:
                    self.any_zh = _is_zh(item)
                assert outcome.result is not None
                print_item(
                    self.console,
                    item.id,
                    item.content,
                    outcome.result,
                    _item_locale(self.locale, item),
                )

    def _open_json(self) -> None:
        if not self.opened:
            self.opened = True
            self.echo(
                "{\n"
                f'  "rules_hash": {json.dumps(self.rules_hash)},\n'
                f'  "fail_on": {json.dumps(self.threshold)},\n'
                '  "items": ['
            )

    def _json_items(self, lines: list[str]) -> None:
        if not lines:
            return
        self._open_json()
        out = [] if self.held is None else [self.held + ","]
        out.extend(line + "," for line in lines[:-1])
        self.held = lines[-1]
        if out:
            self.echo("\n".join(out))

    def finish(self) -> None:
        if self.fmt == "json":
            self._open_json()
            tail: dict[str, Any] = {"summary": self.counts}
            if self.overall is not None:
                tail["judge"] = self.overall
            # '{\n  "summary": ...\n}' without its opening brace.
            rest = json.dumps(tail, ensure_ascii=False, indent=2)[2:]
            closing = "  ],\n" + rest
            self.echo(closing if self.held is None else f"{self.held}\n{closing}")
        elif self.console is not None:
            from copygen.compliance.render import print_summary

            shown = self.locale or ("zh" if self.any_zh else "en")
            print_summary(self.console, self.counts, shown, self.rules_hash)
            if self.overall is not None:
                self.console.print(judge_line(self.overall, shown))

    def exit_code(self) -> int:
        return 1 if self.worst >= FAIL_ON_RANK[self.threshold] else 0


def merge_overall(total: dict[str, Any] | None, part: Mapping[str, Any]) -> dict[str, Any]:
    """The judge's overall summary of two runs (see ``copygen.judge.checking.judge_totals``):
    counts, tokens, cost and latency summed, dropped findings merged per reason."""
    if total is None:
        return dict(part)
    merged = dict(total)
    for key in ("texts", "judged", "added", "errors", "calls", "tokens_in", "tokens_out"):
        merged[key] = (total.get(key) or 0) + (part.get(key) or 0)
    dropped = dict(total.get("dropped") or {})
    for reason, count in (part.get("dropped") or {}).items():
        dropped[reason] = dropped.get(reason, 0) + count
    merged["dropped"] = dropped
    costs = (total.get("cost"), part.get("cost"))
    cost = None if None in costs else float(costs[0] or 0) + float(costs[1] or 0)
    merged["cost"] = cost
    judged = merged["judged"]
    merged["cost_per_text"] = (cost / judged) if cost is not None and judged else None
    merged["latency_ms"] = round(
        float(total.get("latency_ms") or 0) + float(part.get("latency_ms") or 0), 1
    )
    for key in ("model", "currency"):
        merged[key] = total.get(key) or part.get(key)
    return merged


def _show_progress(options: CheckOptions) -> bool:
    """A live progress line on stderr: for an input file, when stderr is a terminal and
    text results are not being printed to that same terminal."""
    if options.quiet or options.input_path in (None, "-"):
        return False
    if not _isatty(sys.stderr):
        return False
    return not (options.fmt == "text" and _isatty(sys.stdout))


def _isatty(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(callable(isatty) and isatty())
    except ValueError:  # closed
        return False


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
    """The texts to check (see :func:`iter_items`), all read and validated."""
    return list(iter_items(options, max_cell_chars=max_cell_chars))


def iter_items(
    options: CheckOptions, *, max_cell_chars: int = DEFAULT_MAX_CELL_CHARS
) -> Iterator[CheckItem]:
    """The texts to check, from the arguments, ``--input`` or piped stdin, each within
    ``max_cell_chars``. Where they come from, and an input file's type and encoding,
    are decided when this is called; each item is read and validated as it is asked for."""
    if options.texts and options.input_path is not None:
        raise ConfigError("give texts as arguments or --input, not both")
    if options.texts:
        items = [CheckItem(id=n, content=t) for n, t in enumerate(options.texts, start=1)]
        for item in items:
            _check_argument(item, max_cell_chars)
        return _validated(iter(items), "<stdin>")
    if options.input_path is not None:
        source = "<stdin>" if options.input_path == "-" else options.input_path
        read = iter_inputs(options.input_path, column=options.column, max_cell_chars=max_cell_chars)
        return _validated(read, source)
    if not sys.stdin.isatty():
        read = iter_inputs("-", column=options.column, max_cell_chars=max_cell_chars)
        return _validated(_not_empty(read), "<stdin>")
    raise ConfigError("nothing to check: give TEXT arguments or --input FILE|-")


def _not_empty(items: Iterator[CheckItem]) -> Iterator[CheckItem]:
    empty = True
    for item in items:
        empty = False
        yield item
    if empty:
        raise ConfigError("nothing to check: give TEXT arguments or --input FILE|-")


def _validated(items: Iterator[CheckItem], source: str) -> Iterator[CheckItem]:
    for item in items:
        item.category = checked_category(item.category, source=source, row=item.line)
        if item.product is not None:
            validate_product(item.product, source, row=item.line)
        yield item


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
    from copygen.inputs.product import CATEGORIES, category_of

    canonical = category_of(value)
    if canonical is None:
        raise InputError(
            f"unknown category {value!r}; expected one of {', '.join(CATEGORIES)} "
            "(or a name such as 美妆/食品/服饰/数码/母婴/家居/宠物/汽车)",
            file=source,
            row=row,
        )
    return canonical


def _checker_spec(options: CheckOptions, settings: Settings, locale: str | None) -> CheckerSpec:
    """The settings' rules, allowlists and filters, then the command line's."""
    return CheckerSpec(
        rules=(*settings.rules, *options.rules),
        allow=(*settings.allow, *options.allow),
        disabled=(*settings.disable, *options.disable),
        only_categories=(*settings.only_category, *options.only_category),
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
