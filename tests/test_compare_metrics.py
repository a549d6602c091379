"""`copygen compare`'s numbers and page, over hand-written backend folders with known outcomes."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest

from copygen.compare.metrics import (
    BackendMetrics,
    backend_metrics,
    differences,
    measure,
    side_by_side,
    two_proportion_z,
    wilson,
)
from copygen.compare.page import render_compare_html
from copygen.generate.store import ResultStore

HOSTILE_TITLE = "<script>alert('title')</script>"
HOSTILE_COPY = "好物推荐<script>alert('copy')</script>"


def _record(
    sku: str,
    *,
    status: str = "pass",
    attempts: int = 1,
    backend: str = "deepseek",
    model: str = "deepseek-chat",
    cost: float | None = 0.001,
    tokens: tuple[int, int] = (100, 50),
    latency_ms: float = 100.0,
    findings: list[dict[str, Any]] | None = None,
    title: str = "标题",
    body: str = "正文",
    product_title: str | None = None,
    judge: dict[str, Any] | None = None,
) -> dict[str, Any]:
    error = status == "error"
    record: dict[str, Any] = {
        "id": f"{sku}-social-zh-1",
        "sku": sku,
        "platform": "social",
        "lang": "zh",
        "variant": 1,
        "fields": None if error else {"title": title, "body": body, "hashtags": ["好物"]},
        "status": status,
        "findings": findings or [],
        "attempts": attempts,
        "kept_attempt": None if error else attempts,
        "backend": backend,
        "model": model,
        "usage": {
            "prompt_tokens": tokens[0],
            "completion_tokens": tokens[1],
            "total_tokens": sum(tokens),
        },
        "cost": cost,
        "currency": "CNY",
        "latency_ms": latency_ms,
        "cached": False,
        "error": "backend timed out" if error else None,
        "product": {"sku": sku, "title": product_title or f"商品 {sku}"},
        "row": 1,
    }
    if judge is not None:
        record["judge"] = judge
    return record


def _finding(category: str, field: str, start: int, end: int, text: str) -> dict[str, Any]:
    return {
        "rule": f"rule.{category}",
        "category": category,
        "severity": "info" if category == "format" else "warn",
        "field": field,
        "start": start,
        "end": end,
        "text": text,
        "message": "m",
        "law": "《广告法》第九条",
        "suggestion": "改写",
    }


def _write(folder: Path, records: list[dict[str, Any]]) -> None:
    with ResultStore(folder) as store:
        for record in records:
            store.append(record)


@pytest.fixture()
def outdir(tmp_path: Path) -> Path:
    """alpha: 10 items, 9 pass (7 on the first draft, 2 after one repair), 1 review.
    beta: 10 items, 8 pass on the first draft, 1 blocked, 1 error; one price unknown."""
    alpha = []
    for i in range(10):
        sku = f"S{i}"
        kwargs: dict[str, Any] = {
            "latency_ms": 100.0 * (i + 1),
            "judge": {
                "passes": 1,
                "cost": 0.0002,
                "usage": {"prompt_tokens": 10, "completion_tokens": 5},
            },
        }
        if i == 0:
            kwargs["product_title"] = HOSTILE_TITLE
        if i in (1, 2):
            kwargs["attempts"] = 2
        if i == 3:
            kwargs["findings"] = [_finding("format", "body", 0, 2, "正文")]
        if i == 9:
            kwargs["status"] = "review"
            kwargs["title"] = "最好的面霜"
            kwargs["findings"] = [_finding("absolute_term", "title", 0, 2, "最好")]
        alpha.append(_record(sku, **kwargs))
    _write(tmp_path / "alpha", alpha)

    beta = []
    for i in range(1, 11):
        sku = f"S{i}"
        kwargs = {"backend": "qwen", "model": "qwen-plus", "latency_ms": 50.0}
        if i == 1:
            kwargs["body"] = HOSTILE_COPY
            kwargs["findings"] = [_finding("platform_diversion", "body", 4, 11, "<script")]
        if i == 2:
            kwargs["cost"] = None  # tokens at an unknown price: the total is unknown
        if i == 3:
            kwargs["status"] = "blocked"
            kwargs["attempts"] = 3
        if i == 4:
            kwargs["status"] = "error"
            kwargs["attempts"] = 3
            kwargs["latency_ms"] = 99999.0
        beta.append(_record(sku, **kwargs))
    _write(tmp_path / "beta", beta)
    return tmp_path


# --- wilson / z-test ------------------------------------------------------------------------


def _wilson_by_hand(x: int, n: int) -> tuple[float, float]:
    z = 1.96
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = (z / (1 + z * z / n)) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_wilson_matches_the_formula_and_known_values() -> None:
    assert wilson(0, 0) is None
    lo, hi = wilson(9, 10)  # type: ignore[misc]
    assert (lo, hi) == pytest.approx(_wilson_by_hand(9, 10))
    assert lo == pytest.approx(0.5958, abs=1e-4) and hi == pytest.approx(0.9821, abs=1e-4)
    lo, hi = wilson(0, 10)  # type: ignore[misc]
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=1e-4)
    lo, hi = wilson(10, 10)  # type: ignore[misc]
    assert lo == pytest.approx(0.7225, abs=1e-4) and hi == 1.0
    lo, hi = wilson(5, 10)  # type: ignore[misc]
    assert lo == pytest.approx(1 - hi)  # symmetric at one half


def test_two_proportion_z_by_hand() -> None:
    # 9/10 vs 8/10: pooled 0.85, se = sqrt(0.85 * 0.15 * 0.2)
    assert two_proportion_z(9, 10, 8, 10) == pytest.approx(0.1 / math.sqrt(0.85 * 0.15 * 0.2))
    assert two_proportion_z(5, 10, 5, 0) is None
    assert two_proportion_z(10, 10, 10, 10) is None  # pooled 1: nothing to test


# --- one backend ----------------------------------------------------------------------------


def test_backend_metrics_alpha(outdir: Path) -> None:
    m = backend_metrics("alpha", outdir / "alpha")
    d = m.to_dict()
    assert d["name"] == "alpha" and d["model"] == "deepseek-chat"
    assert d["items"] == 10 and d["texts"] == 10
    assert d["counts"] == {"pass": 9, "review": 1, "pass_first": 7}
    assert d["pass_first"] == pytest.approx(0.7)
    assert d["pass_final"] == pytest.approx(0.9)
    assert d["review"] == pytest.approx(0.1)
    assert d["blocked"] == 0.0 and d["errors"] == 0.0
    assert d["pass_final_ci"] == pytest.approx(list(_wilson_by_hand(9, 10)))
    assert d["pass_first_ci"] == pytest.approx(list(_wilson_by_hand(7, 10)))
    assert d["repairs_per_item"] == pytest.approx(0.2)
    assert d["format_ok"] == pytest.approx(0.9)
    assert d["findings_by_category"] == {"absolute_term": 1, "format": 1}
    assert d["cost_total"] == pytest.approx(0.01)
    assert d["currency"] == "CNY"
    assert d["cost_per_text"] == pytest.approx(0.001)
    assert d["cost_per_publishable"] == pytest.approx(0.01 / 9)
    assert d["tokens_in"] == 1000 and d["tokens_out"] == 500
    # latencies 100, 200, ..., 1000: p50 = 550, p95 = 900 + 0.55 * 100
    assert d["latency_p50_ms"] == pytest.approx(550.0)
    assert d["latency_p95_ms"] == pytest.approx(955.0)
    assert d["judge_cost"] == pytest.approx(0.002)


def test_backend_metrics_beta_errors_and_unknown_cost(outdir: Path) -> None:
    d = backend_metrics("beta", outdir / "beta").to_dict()
    assert d["model"] == "qwen-plus"
    assert d["items"] == 10 and d["texts"] == 9
    assert d["counts"] == {"pass": 8, "blocked": 1, "error": 1, "pass_first": 8}
    assert d["pass_first"] == pytest.approx(0.8) and d["pass_final"] == pytest.approx(0.8)
    assert d["blocked"] == pytest.approx(0.1) and d["errors"] == pytest.approx(0.1)
    assert d["review"] == 0.0
    assert d["pass_final_ci"] == pytest.approx(list(_wilson_by_hand(8, 10)))
    # repairs over the 9 items with a text: the blocked one made 3 drafts
    assert d["repairs_per_item"] == pytest.approx(2 / 9)
    assert d["format_ok"] == pytest.approx(1.0)
    assert d["findings_by_category"] == {"platform_diversion": 1}
    # one paid item at an unknown price: every cost is unknown
    assert d["cost_total"] is None
    assert d["cost_per_text"] is None and d["cost_per_publishable"] is None
    # the error's latency (99999 ms) is left out
    assert d["latency_p50_ms"] == 50.0 and d["latency_p95_ms"] == 50.0
    assert d["judge_cost"] is None


def test_unknown_price_offline_or_without_tokens_keeps_the_cost(tmp_path: Path) -> None:
    records = [
        _record("A", backend="offline", cost=None),  # offline: free whatever the price
        _record("B", cost=None, tokens=(0, 0)),  # a paid backend that spent nothing
        _record("C", cost=0.5),
    ]
    m = measure("x", records)
    assert m.cost_total == pytest.approx(0.5)
    assert m.cost_per_text == pytest.approx(0.5 / 3)
    assert m.cost_per_publishable == pytest.approx(0.5 / 3)


def test_nothing_passes_or_no_items() -> None:
    m = measure("x", [_record("A", status="blocked"), _record("B", status="error")])
    assert m.cost_per_publishable is None  # no publishable text
    assert m.cost_per_text == pytest.approx(0.002)  # both cost 0.001, one has a text
    empty = measure("empty", []).to_dict()
    assert empty["items"] == 0 and empty["pass_final"] is None and empty["pass_final_ci"] is None
    assert empty["latency_p50_ms"] is None and empty["repairs_per_item"] is None
    assert empty["cost_total"] == 0.0 and empty["cost_per_text"] is None


# --- differences ----------------------------------------------------------------------------


def _passing(name: str, passed: int, n: int) -> BackendMetrics:
    return measure(
        name, [_record(f"S{i}", status="pass" if i < passed else "review") for i in range(n)]
    )


def test_differences_within_noise_and_real() -> None:
    [close] = differences([_passing("a", 9, 10), _passing("b", 8, 10)])
    assert close["a"] == "a" and close["b"] == "b"
    assert close["pass_final_diff"] == pytest.approx(0.1)
    assert close["z"] == pytest.approx(0.626, abs=1e-3)
    assert close["within_noise"] is True
    [far] = differences([_passing("a", 50, 50), _passing("b", 5, 50)])
    assert far["pass_final_diff"] == pytest.approx(0.9)
    assert far["z"] == pytest.approx(0.9 / math.sqrt(0.55 * 0.45 * 0.04))
    assert far["within_noise"] is False
    [same] = differences([_passing("a", 10, 10), _passing("b", 10, 10)])
    assert same["within_noise"] is True and same["z"] is None
    [empty] = differences([measure("a", []), _passing("b", 5, 10)])
    assert empty["within_noise"] is True


def test_differences_every_pair_and_first_draft(outdir: Path) -> None:
    metrics = [
        backend_metrics("alpha", outdir / "alpha"),
        backend_metrics("beta", outdir / "beta"),
        _passing("gamma", 0, 10),
    ]
    pairs = differences(metrics)
    assert [(p["a"], p["b"]) for p in pairs] == [
        ("alpha", "beta"),
        ("alpha", "gamma"),
        ("beta", "gamma"),
    ]
    ab = pairs[0]
    assert ab["pass_final_diff"] == pytest.approx(0.1) and ab["within_noise"] is True
    assert ab["pass_first_diff"] == pytest.approx(-0.1) and ab["pass_first_within_noise"] is True
    assert pairs[1]["within_noise"] is False  # 9/10 vs 0/10


# --- side by side ---------------------------------------------------------------------------


def test_side_by_side_groups(outdir: Path) -> None:
    groups = side_by_side(outdir, ["alpha", "beta"])
    skus = [g["key"]["sku"] for g in groups]
    assert skus == [f"S{i}" for i in range(10)] + ["S10"]  # alpha's order, then beta's extra
    first = groups[0]
    assert first["key"] == {"sku": "S0", "platform": "social", "lang": "zh", "variant": 1}
    assert first["product_title"] == HOSTILE_TITLE
    assert set(first["backends"]) == {"alpha"}
    assert set(groups[-1]["backends"]) == {"beta"}
    s1 = groups[1]["backends"]
    assert set(s1) == {"alpha", "beta"}
    assert s1["beta"]["status"] == "pass"
    assert s1["beta"]["fields"]["body"] == HOSTILE_COPY
    assert s1["beta"]["text"] == f"标题\n\n{HOSTILE_COPY}\n\n#好物"
    assert s1["beta"]["findings"][0]["category"] == "platform_diversion"
    s4 = groups[4]["backends"]["beta"]
    assert s4["status"] == "error" and s4["fields"] is None and s4["text"] == ""
    assert s4["error"] == "backend timed out"


# --- the page -------------------------------------------------------------------------------


def _page(outdir: Path, **kwargs: Any) -> str:
    metrics = [backend_metrics(n, outdir / n) for n in ("alpha", "beta")]
    return render_compare_html(
        title=kwargs.pop("title", "compare"),
        metrics=metrics,
        differences=differences(metrics),
        groups=side_by_side(outdir, ["alpha", "beta"]),
        generated_at="2024-01-01 00:00 UTC",
        **kwargs,
    )


def _row(page: str, row_id: str) -> list[str]:
    """The cells of one row of the metrics table, backend by backend."""
    match = re.search(rf'<tr id="row-{row_id}"[^>]*>(.*?)</tr>', page, re.S)
    assert match, row_id
    return re.findall(r'<td class="n" data-backend="[^"]*">(.*?)</td>', match.group(1), re.S)


def test_page_shows_each_backends_numbers(outdir: Path) -> None:
    page = _page(outdir)
    assert page.startswith("<!DOCTYPE html>")
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page and "<link" not in page and " src=" not in page
    alpha, beta = _row(page, "pass-final")
    assert "90.0%" in alpha and "(9/10)" in alpha and "59.6%–98.2%" in alpha
    assert "80.0%" in beta and "(8/10)" in beta
    assert "文案合格率" in page and "单条文案生成成本" in page
    alpha, beta = _row(page, "pass-first")
    assert "70.0%" in alpha and "80.0%" in beta
    alpha, beta = _row(page, "cost-total")
    assert alpha == "0.0100 CNY" and beta == "unknown"
    alpha, beta = _row(page, "cost-per-publishable")
    assert alpha == f"{0.01 / 9:,.5f} CNY" and beta == "unknown"
    alpha, _ = _row(page, "cost-per-text")
    assert alpha == "0.00100 CNY"
    alpha, beta = _row(page, "latency")
    assert alpha == "550 ms / 955 ms" and beta == "50 ms / 50 ms"
    alpha, beta = _row(page, "errors")
    assert alpha.startswith("0.0%") and beta.startswith("10.0%")
    alpha, beta = _row(page, "repairs")
    assert alpha == "0.20" and beta == "0.22"
    alpha, beta = _row(page, "format-ok")
    assert alpha == "90.0%" and beta == "100.0%"
    alpha, beta = _row(page, "tokens")
    assert alpha == beta == "1,000 / 500"  # the error spent tokens too
    alpha, beta = _row(page, "model")
    assert "deepseek-chat" in alpha and "qwen-plus" in beta
    assert "在误差范围内 · within the noise" in page  # 9/10 vs 8/10
    assert 'id="row-mean-rating"' not in page  # no ratings given


def test_page_ratings_columns(outdir: Path) -> None:
    ratings = {
        "alpha": {"mean_rating": 4.25, "ratings": 8, "win_rate": 0.625, "wins": 5, "groups": 8},
        "beta": {"mean_rating": None, "ratings": 0, "win_rate": None, "wins": 0, "groups": 8},
    }
    page = _page(outdir, ratings=ratings)
    alpha, beta = _row(page, "mean-rating")
    assert alpha.startswith("4.25") and "n=8" in alpha and beta == "—"
    alpha, beta = _row(page, "win-rate")
    assert alpha.startswith("62.5%") and "(5/8)" in alpha and beta == "—"


def test_page_escapes_hostile_title_and_copy(outdir: Path) -> None:
    page = _page(outdir, title="<script>alert('page')</script>")
    # The only script element is the page's own filter script.
    assert page.count("<script") == 1 and page.count("</script>") == 1
    assert "&lt;script&gt;alert(&#x27;page&#x27;)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in page
    # the copy's finding spans part of the hostile text, marked and escaped
    assert "&lt;script</mark>&gt;alert(&#x27;copy&#x27;)&lt;/script&gt;" in page
    assert 'data-rule="rule.platform_diversion"' in page


def test_page_side_by_side_section(outdir: Path) -> None:
    page = _page(outdir)
    cards = re.findall(r'<article class="item grp"(.*?)</article>', page, re.S)
    assert len(cards) == 11
    s1 = cards[1]
    assert 'data-differ="0"' in s1  # both pass
    assert s1.index('data-backend="alpha"') < s1.index('data-backend="beta"')
    s0 = cards[0]
    assert 'data-differ="1"' in s0 and "no result" in s0  # beta has no S0
    s3 = cards[3]
    assert 'data-differ="1"' in s3 and "st-blocked" in s3 and "st-pass" in s3
    s4 = cards[4]
    assert "st-error" in s4 and "backend timed out" in s4
    s9 = cards[9]
    assert '<mark class="sev-warn"' in s9 and ">最好</mark>" in s9
    assert "社交图文 social" in s1
