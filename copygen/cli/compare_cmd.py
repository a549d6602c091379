"""``copygen compare``: a vendor POC in one command (thin; see copygen.compare.run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from copygen.cli.common import (
    judge_all_option,
    judge_backend_option,
    judge_base_url_option,
    judge_flags,
    judge_model_option,
    judge_option,
    list_option,
    map_option,
    settings_from,
    split_list,
)


def register(app: typer.Typer) -> None:
    @app.command("compare")
    def compare_cmd(
        ctx: typer.Context,
        path: Path = typer.Argument(
            ...,
            metavar="INPUT|OUTDIR",
            help="The product file to run; or, with --blind-sheet/--ratings, a compare folder.",
        ),
        backends: list[str] | None = list_option(
            "--backends", "-b", help="Backend profiles to compare"
        ),
        outdir: Path | None = typer.Option(None, "--out", "-o", help="The compare folder."),
        sample: int | None = typer.Option(
            None, "--sample", help="Draw the same N rows for every backend, by category."
        ),
        platforms: list[str] | None = list_option(
            "--platforms", "-p", help="livestream, social, detail"
        ),
        variants: int | None = typer.Option(None, "--variants", "-k", help="Texts per platform."),
        seed: int = typer.Option(
            0, "--seed", help="Seed for the sample, the models and the sheet."
        ),
        max_repairs: int | None = typer.Option(
            None, "--max-repairs", help="Repair rounds for flagged copy (default 1)."
        ),
        lang: str | None = typer.Option(None, "--lang", help="Language (default: row, else zh)."),
        columns: list[str] | None = map_option(),
        force: bool = typer.Option(
            False, "--force", help="Start a backend's folder over when its settings changed."
        ),
        blind_sheet: Path | None = typer.Option(
            None, "--blind-sheet", help="Write a blind rating sheet (.xlsx) for OUTDIR."
        ),
        ratings: Path | None = typer.Option(
            None, "--ratings", help="Read a filled blind sheet back into OUTDIR's comparison."
        ),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
        judge: bool | None = judge_option(),
        judge_all: bool | None = judge_all_option(),
        judge_backend: str | None = judge_backend_option(),
        judge_model: str | None = judge_model_option(),
        judge_base_url: str | None = judge_base_url_option(),
    ) -> None:
        """Run the same rows through several backends and compare pass rates, cost per
        publishable text, latency and reliability (compare.json, .csv, .html).

        Exit codes: 0 ok; 2 bad options, an unknown profile or a missing key;
        3 some backend's items failed after retries.
        """
        import sys

        from copygen.errors import ConfigError

        if blind_sheet is not None or ratings is not None:
            if backends or outdir is not None or sample is not None:
                raise ConfigError(
                    "--blind-sheet and --ratings take a compare folder alone: "
                    "copygen compare OUTDIR --blind-sheet FILE"
                )
            _sheets(path, blind_sheet, ratings, seed)
            return
        if outdir is None:
            raise ConfigError("give the compare folder with -o OUTDIR")
        names = list(split_list(backends))
        from copygen.compare.run import compare
        from copygen.generate.progress import make_progress

        def settings_for(name: str) -> Any:
            return settings_from(
                ctx,
                backend=name,
                platforms=split_list(platforms) or None,
                variants=variants,
                lang=lang,
                columns=columns or None,
                seed=seed,
                max_repairs=max_repairs,
                **judge_flags(
                    judge=judge,
                    judge_all=judge_all,
                    judge_backend=judge_backend,
                    judge_model=judge_model,
                    judge_base_url=judge_base_url,
                ),
            )

        def warn(message: str) -> None:
            typer.echo(f"copygen: warning: {message}", err=True)

        def progress_for(name: str) -> Any:
            if not quiet:
                typer.echo(f"copygen: backend {name}", err=True)
            return make_progress(sys.stderr, quiet=quiet)

        result = compare(
            input_path=path,
            outdir=outdir,
            backends=names,
            settings_for=settings_for,
            sample=sample,
            seed=seed,
            force=force,
            progress_for=progress_for,
            on_warning=warn,
        )
        if result.interrupted:
            typer.echo("copygen: interrupted; run the same command again to resume", err=True)
        else:
            _print_table(result.document)
            typer.echo(f"wrote {outdir / 'compare.json'}, compare.csv, compare.html")
        raise typer.Exit(result.exit_code)


def _sheets(folder: Path, blind_sheet: Path | None, ratings: Path | None, seed: int) -> None:
    from copygen.compare.blind import read_ratings, write_blind_sheet
    from copygen.compare.run import read_comparison, write_comparison

    document = read_comparison(folder)
    names = [str(b.get("name")) for b in document.get("backends", [])]
    if blind_sheet is not None:
        info = write_blind_sheet(folder, blind_sheet, names=names, seed=seed)
        typer.echo(
            f"wrote {blind_sheet}: {info.texts} texts in {info.groups} groups, backends hidden "
            f"(the key is in {info.key_path}; keep it from the raters)"
        )
    if ratings is not None:
        scores = read_ratings(folder, ratings)
        document = write_comparison(folder, ratings=scores)
        _print_table(document)
        typer.echo(f"wrote {folder / 'compare.json'}, compare.csv, compare.html")


def _pct(value: Any) -> str:
    return "-" if value is None else f"{float(value):.1%}"


def _money(value: Any, currency: Any) -> str:
    if value is None:
        return "unknown"
    return f"{float(value):.5f} {currency or ''}".strip()


def _print_table(document: dict[str, Any]) -> None:
    from copygen.terminal import visible

    header = ("backend", "model", "items", "1st pass", "pass (95% CI)", "cost/publishable", "p50")
    rows = [header]
    for b in document.get("backends", []):
        ci = b.get("pass_final_ci") or [None, None]
        interval = "" if ci[0] is None else f" ({_pct(ci[0])}-{_pct(ci[1])})"
        rows.append(
            (
                str(b.get("name")),
                str(b.get("model") or "-"),
                str(b.get("items")),
                _pct(b.get("pass_first")),
                _pct(b.get("pass_final")) + interval,
                "none publishable"
                if b.get("items") and not b.get("pass_final")
                else _money(b.get("cost_per_publishable"), b.get("currency")),
                "-" if b.get("latency_p50_ms") is None else f"{b['latency_p50_ms']:.0f} ms",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for row in rows:
        typer.echo(visible("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row))))
    for pair in document.get("differences", []):
        typer.echo(visible(_pair_line(pair)))


def _pair_line(pair: dict[str, Any]) -> str:
    verdict = "within the noise" if pair.get("within_noise") else "a real difference"
    diff = _pct(pair.get("pass_final_diff"))
    return f"{pair.get('a')} vs {pair.get('b')}: final pass rates differ by {diff} — {verdict}"
