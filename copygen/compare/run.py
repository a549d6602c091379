"""``copygen compare``: the same rows through each backend, then the numbers side by side.

Each backend profile gets a full ``generate`` output folder (``OUTDIR/<profile>/``:
results, tables, its own audit log, resumable), all from the same input (the
stratified sample, when ``--sample``), platforms, variants, seed and templates. Then
:func:`write_comparison` reads the folders and writes ``compare.json``,
``compare.csv`` and the self-contained ``compare.html``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from copygen.compare.sample import write_sample
from copygen.errors import ConfigError, InputError

if TYPE_CHECKING:
    from copygen.config import Settings
    from copygen.generate.progress import ProgressReporter
    from copygen.generate.summary import RunSummary

__all__ = [
    "COMPARE_CSV",
    "COMPARE_HTML",
    "COMPARE_JSON",
    "CompareResult",
    "compare",
    "write_comparison",
]

COMPARE_JSON = "compare.json"
COMPARE_CSV = "compare.csv"
COMPARE_HTML = "compare.html"
#: compare.csv: one row per backend, these keys of its compare.json object.
CSV_COLUMNS = (
    "name",
    "model",
    "items",
    "pass_first",
    "pass_final",
    "review",
    "blocked",
    "errors",
    "repairs_per_item",
    "format_ok",
    "cost_total",
    "currency",
    "cost_per_text",
    "cost_per_publishable",
    "tokens_in",
    "tokens_out",
    "latency_p50_ms",
    "latency_p95_ms",
    "mean_rating",
    "win_rate",
)


@dataclass
class CompareResult:
    outdir: Path
    names: list[str]
    summaries: dict[str, RunSummary] = field(default_factory=dict)
    document: dict[str, Any] = field(default_factory=dict)

    @property
    def interrupted(self) -> bool:
        return any(s.interrupted for s in self.summaries.values())

    @property
    def exit_code(self) -> int:
        """130 when interrupted, 3 when some backend's items failed after retries, else 0."""
        if self.interrupted:
            return 130
        return max((s.exit_code for s in self.summaries.values() if s.exit_code == 3), default=0)


def compare(
    *,
    input_path: Path,
    outdir: Path,
    backends: Sequence[str],
    settings_for: Callable[[str], Settings],
    sample: int | None = None,
    seed: int = 0,
    force: bool = False,
    progress_for: Callable[[str], ProgressReporter] | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> CompareResult:
    """Run every backend profile in ``backends`` over the same rows into
    ``outdir/<profile>/`` and write the comparison. ``settings_for(name)`` builds the
    effective settings of one profile (the command line's options included); every
    profile's settings are built, and its backend created, before anything runs, so
    a missing key or an unknown profile is a usage error up front."""
    from copygen.backends.registry import create_backend
    from copygen.generate.run import generate

    names = names_checked(backends)
    settings = {name: settings_for(name) for name in names}
    for name, s in settings.items():
        if s.backend_profile != name and s.backend != name:
            raise ConfigError(
                f"unknown backend profile {name!r}",
                hint="name profiles from 'backends:' in the config (copygen backends list)",
            )
    created = {name: create_backend(s) for name, s in settings.items()}
    outdir.mkdir(parents=True, exist_ok=True)
    source = input_path
    first = settings[names[0]]
    if sample is not None:
        source, _, _ = write_sample(
            input_path,
            outdir,
            sample,
            seed=seed,
            on_warning=on_warning,
            max_cell_chars=first.max_cell_chars,
            columns=first.columns,
        )
        # The sample is written with copygen's own column names: no mapping applies.
        settings = {name: replace(s, columns=MappingProxyType({})) for name, s in settings.items()}
    result = CompareResult(outdir=outdir, names=names)
    for name in names:
        result.summaries[name] = generate(
            input_path=source,
            outdir=outdir / name,
            settings=settings[name],
            backend=created[name],
            force=force,
            progress=progress_for(name) if progress_for is not None else None,
            on_warning=on_warning,
        )
        if result.summaries[name].interrupted:
            # What is done is kept in each folder; the same command resumes it.
            return result
    meta = {
        "input": str(input_path),
        "sample": sample,
        "seed": seed,
        "platforms": list(first.platforms),
        "variants": first.variants,
    }
    result.document = write_comparison(outdir, names, meta=meta)
    return result


def write_comparison(
    outdir: Path,
    names: Sequence[str] | None = None,
    *,
    meta: Mapping[str, Any] | None = None,
    ratings: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Read the backends' folders and (re)write compare.json, .csv and .html.

    ``names`` None: the backends of the existing compare.json (to add ratings or
    rebuild the page). Ratings already in compare.json are kept unless new ones are
    given."""
    from copygen.compare.metrics import backend_metrics, differences, side_by_side
    from copygen.compare.page import render_compare_html
    from copygen.files.atomic import atomic_writer
    from copygen.files.tables import write_csv

    previous = read_comparison(outdir) if (outdir / COMPARE_JSON).is_file() else {}
    if names is None:
        names = [str(b.get("name")) for b in previous.get("backends", [])]
        if not names:
            raise InputError(
                "no comparison here: run copygen compare INPUT -o OUTDIR first", file=outdir
            )
    for name in names:
        if not (outdir / name / "results.jsonl").is_file():
            raise InputError(f"no results for backend {name!r}", file=outdir / name)
    kept_ratings = ratings if ratings is not None else previous.get("ratings")
    metrics = [backend_metrics(name, outdir / name) for name in names]
    pairs = differences(metrics)
    generated_at = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    backends = []
    for m in metrics:
        data = m.to_dict()
        rating = (kept_ratings or {}).get(m.name) or {}
        data["mean_rating"] = rating.get("mean_rating")
        data["win_rate"] = rating.get("win_rate")
        backends.append(data)
    document: dict[str, Any] = {
        **{k: v for k, v in previous.items() if k not in ("backends", "differences", "ratings")},
        **dict(meta or {}),
        "generated_at": generated_at,
        "backends": backends,
        "differences": pairs,
    }
    if kept_ratings:
        document["ratings"] = dict(kept_ratings)
    with atomic_writer(outdir / COMPARE_JSON, "w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
    write_csv(outdir / COMPARE_CSV, CSV_COLUMNS, backends)
    page = render_compare_html(
        title=f"copygen compare: {', '.join(names)}",
        metrics=metrics,
        differences=pairs,
        groups=side_by_side(outdir, names),
        ratings=kept_ratings,
        generated_at=generated_at,
    )
    with atomic_writer(outdir / COMPARE_HTML, "w", encoding="utf-8") as handle:
        handle.write(page)
    return document


def read_comparison(outdir: Path) -> dict[str, Any]:
    path = outdir / COMPARE_JSON
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            "no compare.json: run copygen compare INPUT -o OUTDIR first", file=outdir
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read compare.json: {exc}", file=path) from None
    if not isinstance(data, dict):
        raise InputError("compare.json is not a JSON object", file=path)
    return data


def names_checked(names: Sequence[str]) -> list[str]:
    """Backend profile names usable as folder names, each once."""
    out: list[str] = []
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        if name in (".", "..") or "/" in name or "\\" in name or name.startswith("."):
            raise ConfigError(f"backend name {name!r} cannot name a folder")
        if name in out:
            raise ConfigError(f"backend {name!r} is named twice in --backends")
        out.append(name)
    if len(out) < 1:
        raise ConfigError("--backends needs at least one backend profile (comma-separated)")
    return out
