"""The comparison page: one self-contained HTML file that sets the backends side by side.

Same style and rules as the batch report (``copygen.review.report_html``): inline
CSS, no external resources, every number readable without JavaScript (a little
script only adds the filter bar over the side-by-side texts), and every value
escaped, since product data and model copy are untrusted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from copygen.review.report_assets import CSS
from copygen.review.report_data import CATEGORY_LABELS, PLATFORM_LABELS, STATUS_LABELS
from copygen.review.report_html import (
    escape,
    field_rows_html,
    fmt_money,
    fmt_ms,
    fmt_pct,
    page_head,
)

if TYPE_CHECKING:
    from copygen.compare.metrics import BackendMetrics

__all__ = ["render_compare_html"]

_e = escape

COMPARE_CSS = """
.wrap{max-width:1280px}
.scroll{overflow-x:auto}
table.cmp{width:100%;border-collapse:collapse;font-size:13.5px;background:var(--card)}
table.cmp th,table.cmp td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;
vertical-align:top}
table.cmp thead th{background:#f0f3f7;white-space:nowrap}
table.cmp th.n{text-align:right}
table.cmp td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.cmp th.m{font-weight:600;color:#3a4350;white-space:nowrap}
table.cmp tr.hero td.n{font-size:15px;font-weight:700;color:#2e7d32}
.ci{display:block;font-size:11.5px;color:var(--muted);font-weight:400}
.bm{font-size:11.5px;color:var(--muted);font-weight:400}
ul.diffs{list-style:none;margin:0;padding:0}
ul.diffs li{background:var(--card);border:1px solid var(--line);border-left:4px solid #9aa5b4;
border-radius:8px;padding:8px 12px;margin:0 0 8px}
ul.diffs li.real{border-left-color:#c62828}
ul.diffs li.noise{border-left-color:#2e7d32}
.verdict{font-weight:700}
li.real .verdict{color:#c62828}li.noise .verdict{color:#2e7d32}
.sub{font-size:12.5px;color:var(--muted)}
.note{font-size:13px;color:#3a4350;margin:8px 0 0}
.grp header .k{font-size:12.5px;color:var(--muted)}
.sbs{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:12px}
.col{border:1px solid var(--line);border-radius:8px;padding:8px 10px;min-width:0}
.col h4{margin:0 0 6px;font-size:13.5px;display:flex;gap:8px;align-items:center;flex-wrap:wrap}
.col .fld{flex-direction:column;gap:0}
.col .fname{flex:none}
.col.missing{color:var(--muted)}
ul.fl{margin:6px 0 0;padding:0;list-style:none;font-size:12.5px}
ul.fl li{padding:2px 0;border-top:1px dashed var(--line)}
.err{color:#c62828;font-size:13px;white-space:pre-wrap;word-break:break-word}
.filters label{font-size:13.5px}
.filters input[type=checkbox]{flex:none;min-width:0;vertical-align:-2px}
.ichart{max-width:720px}
"""

# The filter bar over the side-by-side groups: platform, "only where the backends
# disagree", and a text search. Without the script every group simply shows.
COMPARE_JS = """
(function(){
var bar=document.getElementById('filters');if(!bar)return;
var items=[].slice.call(document.querySelectorAll('article.grp'));
if(!items.length)return;bar.hidden=false;
var pf=document.getElementById('f-platform'),df=document.getElementById('f-differ'),
q=document.getElementById('f-text'),n=document.getElementById('f-count');
function apply(){var p=pf.value,d=df.checked,t=q.value.trim().toLowerCase(),shown=0;
items.forEach(function(el){var ok=(!p||el.dataset.platform===p)&&(!d||el.dataset.differ==='1')&&
(!t||el.textContent.toLowerCase().indexOf(t)>=0);el.hidden=!ok;if(ok)shown++;});
n.textContent=shown+' / '+items.length;}
pf.addEventListener('change',apply);df.addEventListener('change',apply);
q.addEventListener('input',apply);apply();
})();
"""


# --- formatting ----------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    """A finite number, or None (ratings come from a JSON file: anything may be there)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _ci(ci: tuple[float, float] | None) -> str:
    if ci is None:
        return ""
    return f'<span class="ci">95% CI {_e(fmt_pct(ci[0]))}–{_e(fmt_pct(ci[1]))}</span>'


def _rate(rate: float | None, count: int, items: int) -> str:
    if rate is None:
        return "—"
    return f'{_e(fmt_pct(rate))} <span class="bm">({count}/{items})</span>'


def _ms_pair(a: float | None, b: float | None) -> str:
    return f"{_e(fmt_ms(a))} / {_e(fmt_ms(b))}"


def _points(diff: float | None) -> str:
    if diff is None:
        return "—"
    return f"{diff * 100:+.1f} pts"


# --- the metrics table ----------------------------------------------------------------------


def _rating_cells(metrics: Sequence[BackendMetrics], ratings: Mapping[str, Any]) -> list[str]:
    rows: list[str] = []
    mean_cells, win_cells = "", ""
    for m in metrics:
        r = ratings.get(m.name)
        r = r if isinstance(r, Mapping) else {}
        mean, count = _number(r.get("mean_rating")), r.get("ratings")
        win, wins, groups = _number(r.get("win_rate")), r.get("wins"), r.get("groups")
        mean_text = "—" if mean is None else f"{mean:.2f}"
        if mean is not None and count is not None:
            mean_text += f' <span class="bm">(n={_e(count)})</span>'
        win_text = "—" if win is None else _e(fmt_pct(win))
        if win is not None and wins is not None and groups is not None:
            win_text += f' <span class="bm">({_e(wins)}/{_e(groups)})</span>'
        mean_cells += f'<td class="n" data-backend="{_e(m.name)}">{mean_text}</td>'
        win_cells += f'<td class="n" data-backend="{_e(m.name)}">{win_text}</td>'
    rows.append(
        f'<tr id="row-mean-rating"><th class="m">人工评分 · Mean rating</th>{mean_cells}</tr>'
    )
    rows.append(f'<tr id="row-win-rate"><th class="m">胜率 · Win rate</th>{win_cells}</tr>')
    return rows


def _metric_rows(m: BackendMetrics) -> list[tuple[str, str, str]]:
    """(row id, label, cell HTML) for one backend, in table order."""
    cur = m.currency
    return [
        ("model", "模型 · Model", f"<code>{_e(m.model or m.backend or '—')}</code>"),
        (
            "items",
            "文案数 · Items",
            f'{m.items} <span class="bm">({m.texts} with text)</span>',
        ),
        (
            "pass-first",
            "首稿合格率 · Passed on first draft",
            _rate(m.pass_first, m.pass_first_count, m.items) + _ci(m.pass_first_ci),
        ),
        (
            "pass-final",
            "文案合格率 · Pass rate (after repairs)",
            _rate(m.pass_final, m.passed, m.items) + _ci(m.pass_final_ci),
        ),
        ("review", "待审核 · Needs review", _rate(m.review, m.count("review"), m.items)),
        ("blocked", "已拦截 · Blocked", _rate(m.blocked, m.count("blocked"), m.items)),
        ("errors", "失败 · Errors", _rate(m.error_rate, m.errors, m.items)),
        (
            "repairs",
            "平均修改次数 · Repairs per item",
            "—" if m.repairs_per_item is None else f"{m.repairs_per_item:.2f}",
        ),
        ("format-ok", "格式合规 · Format conformance", _e(fmt_pct(m.format_ok))),
        ("cost-total", "总成本 · Cost total", _e(fmt_money(m.cost_total, cur))),
        (
            "cost-per-text",
            "单条成本 · Cost per text",
            _e(fmt_money(m.cost_per_text, cur, digits=5)),
        ),
        (
            "cost-per-publishable",
            "单条文案生成成本 · Cost per publishable text",
            "— 无可发布 · none publishable"
            if m.items and m.passed == 0
            else _e(fmt_money(m.cost_per_publishable, cur, digits=5)),
        ),
        ("tokens", "Tokens 输入 / 输出 · in / out", f"{m.tokens_in:,} / {m.tokens_out:,}"),
        ("latency", "延迟 p50 / p95 · Latency", _ms_pair(m.latency_p50_ms, m.latency_p95_ms)),
    ]


def _metrics_table(
    metrics: Sequence[BackendMetrics], ratings: Mapping[str, Mapping[str, Any]] | None
) -> str:
    if not metrics:
        return '<p class="empty">—</p>'
    head = "".join(f'<th class="n" data-backend="{_e(m.name)}">{_e(m.name)}</th>' for m in metrics)
    per_backend = [_metric_rows(m) for m in metrics]
    rows: list[str] = []
    for index, (row_id, label, _) in enumerate(per_backend[0]):
        cells = "".join(
            f'<td class="n" data-backend="{_e(m.name)}">{rows_of[index][2]}</td>'
            for m, rows_of in zip(metrics, per_backend, strict=True)
        )
        hero = ' class="hero"' if row_id == "pass-final" else ""
        rows.append(f'<tr id="row-{row_id}"{hero}><th class="m">{_e(label)}</th>{cells}</tr>')
    if any(m.judge_items for m in metrics):
        cells = "".join(
            f'<td class="n" data-backend="{_e(m.name)}">'
            + (_e(fmt_money(m.judge_cost, m.currency)) if m.judge_items else "—")
            + "</td>"
            for m in metrics
        )
        rows.append(
            f'<tr id="row-judge-cost"><th class="m">AI 评审成本 · Judge cost</th>{cells}</tr>'
        )
    if ratings:
        rows += _rating_cells(metrics, ratings)
    return (
        '<div class="scroll"><table class="cmp" id="metrics"><thead><tr>'
        f"<th>指标 · Metric</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _interval_chart(metrics: Sequence[BackendMetrics]) -> str:
    """Each backend's final pass rate and its 95% interval on one 0–100% axis (inline SVG)."""
    shown = [m for m in metrics if m.pass_final_ci is not None and m.pass_final is not None]
    if not shown:
        return ""
    label_w = int(min(240, max(90, max(len(m.name) for m in shown) * 7.6 + 16)))
    width, row_h, right = 640, 26, 20
    span = width - label_w - right
    height = len(shown) * row_h + 24
    out = [
        f'<svg class="chart ichart" viewBox="0 0 {width} {height}" width="100%" '
        'preserveAspectRatio="xMinYMin meet" role="img" xmlns="http://www.w3.org/2000/svg">'
    ]
    for tick in range(0, 101, 25):
        x = label_w + span * tick / 100
        out.append(
            f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 18}" stroke="#e3e7ee"/>'
            f'<text x="{x:.1f}" y="{height - 4}" text-anchor="middle" class="lbl">{tick}%</text>'
        )
    for i, m in enumerate(shown):
        ci, rate = m.pass_final_ci, m.pass_final
        assert ci is not None and rate is not None
        y = i * row_h + row_h / 2
        x0, x1, xp = (label_w + span * v for v in (ci[0], ci[1], rate))
        tip = f"{m.name}: {fmt_pct(rate)} (95% CI {fmt_pct(ci[0])}–{fmt_pct(ci[1])})"
        out.append(
            f'<text x="{label_w - 10}" y="{y}" text-anchor="end" dominant-baseline="central" '
            f'class="lbl">{_e(m.name)}</text>'
            f"<g><title>{_e(tip)}</title>"
            f'<rect x="{x0:.1f}" y="{y - 5}" width="{max(1.0, x1 - x0):.1f}" height="10" rx="3" '
            'fill="#a5d6a7"/>'
            f'<circle cx="{xp:.1f}" cy="{y}" r="5" fill="#2e7d32"/></g>'
        )
    out.append("</svg>")
    return "".join(out)


def _categories_table(metrics: Sequence[BackendMetrics]) -> str:
    categories: list[str] = []
    for m in metrics:
        categories += [c for c in m.findings_by_category if c not in categories]
    if not categories:
        return '<p class="empty">没有问题 · no findings</p>'
    head = "".join(f'<th class="n">{_e(m.name)}</th>' for m in metrics)
    body = ""
    for category in categories:
        label = CATEGORY_LABELS.get(category, "")
        cells = "".join(
            f'<td class="n" data-backend="{_e(m.name)}">{m.findings_by_category.get(category, 0)}'
            "</td>"
            for m in metrics
        )
        body += f"<tr><th class='m'>{_e(label)} <code>{_e(category)}</code></th>{cells}</tr>"
    return (
        '<div class="scroll"><table class="cmp" id="categories"><thead><tr>'
        f"<th>类别 · Category</th>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


# --- differences ----------------------------------------------------------------------------


def _verdict(within: bool) -> str:
    return "在误差范围内 · within the noise" if within else "差异显著 · a real difference"


def _z(z: Any) -> str:
    value = _number(z)
    return "z undefined" if value is None else f"z = {value:.2f}"


def _differences_section(differences: Sequence[Mapping[str, Any]]) -> str:
    if not differences:
        return ""
    items = ""
    for d in differences:
        within = bool(d.get("within_noise", True))
        first_within = bool(d.get("pass_first_within_noise", True))
        a, b = _e(d.get("a")), _e(d.get("b"))
        items += (
            f'<li class="{"noise" if within else "real"}" data-a="{a}" data-b="{b}">'
            f"<strong>{a}</strong> vs <strong>{b}</strong> — 文案合格率 Pass rate "
            f"{_e(fmt_pct(_number(d.get('pass_final_a'))))} vs "
            f"{_e(fmt_pct(_number(d.get('pass_final_b'))))} "
            f"({_e(_points(_number(d.get('pass_final_diff'))))}): "
            f'<span class="verdict">{_verdict(within)}</span> '
            f'<span class="sub">({_e(_z(d.get("z")))})</span><br>'
            f'<span class="sub">首稿合格率 First-draft pass rate '
            f"{_e(fmt_pct(_number(d.get('pass_first_a'))))} vs "
            f"{_e(fmt_pct(_number(d.get('pass_first_b'))))} "
            f"({_e(_points(_number(d.get('pass_first_diff'))))}): {_verdict(first_within)} "
            f"({_e(_z(d.get('pass_first_z')))})</span></li>"
        )
    return f"""<h2 id="differences">差异是否显著 · Real difference or noise?</h2>
<ul class="diffs">{items}</ul>
<p class="note">双比例 z 检验（95%，合并比例）：|z| &lt; 1.96 视为在误差范围内。
Two-proportion z-test at 95% (pooled proportion): a difference with |z| &lt; 1.96 is within
the noise of a sample this size. Visual cue: when two backends' 95% intervals (the bars
above) overlap, do not choose between them on that number; run more rows.</p>"""


# --- side by side ---------------------------------------------------------------------------


def _findings_list(findings: Sequence[Mapping[str, Any]]) -> str:
    if not findings:
        return ""
    rows = "".join(
        f'<li><span class="sev sev-{_e(f.get("severity"))}">{_e(f.get("severity"))}</span> '
        f"<code>{_e(f.get('rule'))}</code> "
        f"{_e(CATEGORY_LABELS.get(str(f.get('category')), f.get('category')))} · "
        f"{_e(f.get('field'))} “{_e(f.get('text'))}”"
        + (f" — {_e(f.get('law'))}" if f.get("law") else "")
        + "</li>"
        for f in findings
    )
    return f'<ul class="fl">{rows}</ul>'


def _column(name: str, entry: Mapping[str, Any] | None) -> str:
    if entry is None:
        return (
            f'<div class="col missing" data-backend="{_e(name)}"><h4>{_e(name)}</h4>'
            "<p>— 无结果 · no result</p></div>"
        )
    status = str(entry.get("status") or "")
    findings = [f for f in entry.get("findings") or () if isinstance(f, Mapping)]
    fields = entry.get("fields")
    body = field_rows_html(fields, findings) if isinstance(fields, Mapping) else ""
    error = entry.get("error")
    if error and status == "error":
        body += f'<p class="err">{_e(error)}</p>'
    return (
        f'<div class="col" data-backend="{_e(name)}" data-status="{_e(status)}">'
        f'<h4>{_e(name)} <span class="badge st-{_e(status)}">'
        f"{_e(STATUS_LABELS.get(status, status))}</span></h4>"
        f"{body}{_findings_list(findings)}</div>"
    )


def _group_card(group: Mapping[str, Any], names: Sequence[str]) -> str:
    key = group.get("key") if isinstance(group.get("key"), Mapping) else {}
    assert isinstance(key, Mapping)
    backends = group.get("backends") if isinstance(group.get("backends"), Mapping) else {}
    assert isinstance(backends, Mapping)
    platform = str(key.get("platform") or "")
    statuses = {str(e.get("status")) if isinstance(e, Mapping) else "" for e in backends.values()}
    differ = len(statuses) > 1 or len(backends) < len(names)
    columns = "".join(
        _column(name, backends.get(name) if isinstance(backends.get(name), Mapping) else None)
        for name in names
    )
    return (
        f'<article class="item grp" data-platform="{_e(platform)}" '
        f'data-differ="{1 if differ else 0}">'
        f'<header><code class="iid">{_e(key.get("sku"))}</code>'
        f'<span class="k">{_e(PLATFORM_LABELS.get(platform, platform))} · '
        f"{_e(key.get('lang'))} · v{_e(key.get('variant'))}</span>"
        f'<span class="ptitle">{_e(group.get("product_title"))}</span></header>'
        f'<div class="sbs">{columns}</div></article>'
    )


def _side_by_side_section(groups: Sequence[Mapping[str, Any]], names: Sequence[str]) -> str:
    platforms: list[str] = []
    for group in groups:
        key = group.get("key")
        platform = str(key.get("platform") or "") if isinstance(key, Mapping) else ""
        if platform and platform not in platforms:
            platforms.append(platform)
    options = "".join(
        f'<option value="{_e(p)}">{_e(PLATFORM_LABELS.get(p, p))}</option>' for p in platforms
    )
    cards = "".join(_group_card(g, names) for g in groups)
    return f"""<h2 id="side-by-side">逐条对比 · Side by side ({len(groups)})</h2>
<div class="filters" id="filters" hidden>
<select id="f-platform" aria-label="platform"><option value="">全部平台 · all platforms</option>
{options}</select>
<label><input type="checkbox" id="f-differ"> 只看结果不同 · only where the backends differ</label>
<input id="f-text" type="search" placeholder="搜索文案 · search text" aria-label="search">
<span class="count" id="f-count"></span>
</div>
<div id="groups">{cards or '<p class="empty">—</p>'}</div>"""


# --- the page -------------------------------------------------------------------------------


def render_compare_html(
    *,
    title: str,
    metrics: Sequence[BackendMetrics],
    differences: list[dict[str, Any]],
    groups: list[dict[str, Any]],
    ratings: Mapping[str, Mapping[str, Any]] | None = None,
    generated_at: str,
) -> str:
    """The whole comparison as one HTML document (UTF-8, no external resources)."""
    names = [m.name for m in metrics]
    for group in groups:
        backends = group.get("backends")
        if isinstance(backends, Mapping):
            names += [str(n) for n in backends if str(n) not in names]
    ratings_note = (
        '<p class="note">人工评分来自盲评 · ratings come from the blind rating sheet.</p>'
        if ratings
        else ""
    )
    return f"""{page_head(title, CSS + COMPARE_CSS)}
<body>
<div class="wrap">
<h1>{_e(title)}</h1>
<p class="meta">生成时间 Generated {_e(generated_at)} · {len(metrics)} backends ·
{len(groups)} tasks</p>
<h2 id="compared">指标对比 · Backends compared</h2>
{_metrics_table(metrics, ratings)}
{ratings_note}
<h2 id="intervals">文案合格率及 95% 区间 · Pass rate with its 95% interval</h2>
<div class="panel">{_interval_chart(metrics) or '<p class="empty">—</p>'}</div>
{_differences_section(differences)}
<h2 id="categories-h">问题类别 · Findings by category</h2>
{_categories_table(metrics)}
{_side_by_side_section(groups, names)}
<footer>copygen compare · 本页为离线自包含文件 · self-contained page, no external resources</footer>
</div>
<script>{COMPARE_JS}</script>
</body>
</html>
"""
