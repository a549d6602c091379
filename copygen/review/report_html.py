"""The batch report: one self-contained HTML file a manager can open anywhere.

Everything is inline (CSS, a little JavaScript, SVG charts), nothing is fetched, so
the file works offline, as an e-mail attachment and in mail clients that strip
scripts: every number and every flagged text is plain HTML, and the script only
adds the filter bar. Copy text is untrusted (it came from a model), so every value
is escaped before it reaches the page.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from copygen.review.report_assets import CSS, JS
from copygen.review.report_data import (
    CATEGORY_LABELS,
    PLATFORM_LABELS,
    SEVERITY_RANK,
    STATUS_LABELS,
    STATUS_ORDER,
)

if TYPE_CHECKING:
    from copygen.review.report_data import ReportData

__all__ = [
    "SEVERITY_COLORS",
    "STATUS_COLORS",
    "escape",
    "field_rows_html",
    "fmt_money",
    "fmt_ms",
    "fmt_pct",
    "marked_html",
    "page_head",
    "render_html",
]

STATUS_COLORS: dict[str, str] = {
    "pass": "#2e7d32",
    "approved": "#00897b",
    "review": "#e08e0b",
    "blocked": "#c62828",
    "rejected": "#6a1b9a",
    "error": "#757575",
}
SEVERITY_COLORS: dict[str, str] = {"block": "#c62828", "warn": "#e08e0b", "info": "#1e88e5"}


def _worst(findings: Iterable[Mapping[str, Any]]) -> str | None:
    worst = max((SEVERITY_RANK.get(str(f.get("severity")), 0) for f in findings), default=0)
    for name, rank in SEVERITY_RANK.items():
        if rank == worst:
            return name
    return None


# --- HTML ---------------------------------------------------------------------------------


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _fmt_pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _fmt_ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def _fmt_money(value: float | None, currency: str | None, *, digits: int = 4) -> str:
    if value is None:
        return "unknown"
    text = f"{value:,.{digits}f}"
    return f"{text} {currency}" if currency else text


def _label_width(labels: Iterable[str]) -> int:
    """Room for the longest label at 13px (CJK glyphs are about twice as wide as Latin)."""
    widest = max(
        (sum(13.5 if ord(ch) >= 0x2E80 else 7.4 for ch in label) for label in labels), default=0
    )
    return int(min(300, max(110, widest + 18)))


def _bar_chart(rows: Sequence[tuple[str, int, str]]) -> str:
    """Horizontal bars as inline SVG: (label, value, colour) per row."""
    if not rows:
        return '<p class="empty">—</p>'
    label_width = _label_width(label for label, _, _ in rows)
    bar_h, gap, width = 22, 8, 520
    right = 40
    span = width - label_width - right
    peak = max(v for _, v, _ in rows) or 1
    height = len(rows) * (bar_h + gap) - gap + 4
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" role="img" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, value, colour) in enumerate(rows):
        y = i * (bar_h + gap) + 2
        w = max(2.0, span * value / peak) if value else 0.0
        parts.append(
            f'<text x="{label_width - 10}" y="{y + bar_h / 2}" text-anchor="end" '
            f'dominant-baseline="central" class="lbl">{_e(label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{w:.1f}" height="{bar_h}" rx="3" '
            f'fill="{_e(colour)}"><title>{_e(label)}: {value}</title></rect>'
            f'<text x="{label_width + w + 6:.1f}" y="{y + bar_h / 2}" '
            f'dominant-baseline="central" class="val">{value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _stacked_chart(rows: Sequence[tuple[str, Mapping[str, int]]]) -> str:
    """One bar per row, split by status, as inline SVG."""
    if not rows:
        return '<p class="empty">—</p>'
    bar_h, gap, width, right = 22, 8, 520, 40
    label_width = _label_width(label for label, _ in rows)
    span = width - label_width - right
    peak = max(sum(parts.values()) for _, parts in rows) or 1
    height = len(rows) * (bar_h + gap) - gap + 4
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" role="img" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, parts) in enumerate(rows):
        y = i * (bar_h + gap) + 2
        x = float(label_width)
        out.append(
            f'<text x="{label_width - 10}" y="{y + bar_h / 2}" text-anchor="end" '
            f'dominant-baseline="central" class="lbl">{_e(label)}</text>'
        )
        for status, count in parts.items():
            w = span * count / peak
            out.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                f'fill="{STATUS_COLORS.get(status, "#999")}">'
                f"<title>{_e(label)} · {_e(STATUS_LABELS.get(status, status))}: {count}</title>"
                "</rect>"
            )
            x += w
        out.append(
            f'<text x="{x + 6:.1f}" y="{y + bar_h / 2}" dominant-baseline="central" '
            f'class="val">{sum(parts.values())}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _legend(statuses: Iterable[str]) -> str:
    chips = "".join(
        f'<span class="chip"><i style="background:{STATUS_COLORS.get(s, "#999")}"></i>'
        f"{_e(STATUS_LABELS.get(s, s))}</span>"
        for s in statuses
    )
    return f'<div class="legend">{chips}</div>'


def _marked(text: str, findings: Sequence[Mapping[str, Any]]) -> str:
    """``text`` escaped, with each finding's span in a <mark> that names rule, law, fix.

    Overlapping spans are cut into pieces so that the marks never nest; a piece
    covered by several findings carries all of them.
    """
    spans = []
    for f in findings:
        start, end = f.get("start"), f.get("end")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
            spans.append((start, end, f))
    if not spans:
        return _e(text)
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    out: list[str] = []
    for a, b in itertools.pairwise(cuts):
        piece = text[a:b]
        cover = [f for s, e, f in spans if s <= a and b <= e]
        if not cover:
            out.append(_e(piece))
            continue
        severity = _worst(cover) or "info"
        rules = " ".join(dict.fromkeys(str(f.get("rule", "")) for f in cover))
        laws = "；".join(dict.fromkeys(str(f.get("law", "")) for f in cover if f.get("law")))
        tips = "；".join(
            dict.fromkeys(str(f.get("suggestion", "")) for f in cover if f.get("suggestion"))
        )
        categories = " ".join(dict.fromkeys(str(f.get("category", "")) for f in cover))
        title = " | ".join(
            f"{f.get('rule', '')} · {f.get('law', '')} · {f.get('suggestion', '')}" for f in cover
        )
        out.append(
            f'<mark class="sev-{_e(severity)}" data-rule="{_e(rules)}" data-law="{_e(laws)}" '
            f'data-suggestion="{_e(tips)}" data-category="{_e(categories)}" '
            f'title="{_e(title)}">{_e(piece)}</mark>'
        )
    return "".join(out)


def _field_rows(fields: Mapping[str, Any], findings: Sequence[Mapping[str, Any]]) -> str:
    """One row per field; a list field shows its items, each with its own marks."""
    rows: list[str] = []
    for name, value in fields.items():
        if isinstance(value, (list, tuple)):
            marked = [
                _marked(str(v), [f for f in findings if f.get("field") == f"{name}[{i}]"])
                for i, v in enumerate(value)
            ]
            if name == "hashtags":
                body = "".join(f'<span class="tag">#{m}</span>' for m in marked)
            else:
                body = '<ul class="lst">' + "".join(f"<li>{m}</li>" for m in marked) + "</ul>"
        elif value is None:
            continue
        else:
            body = _marked(str(value), [f for f in findings if f.get("field") == name])
        rows.append(
            f'<div class="fld"><span class="fname">{_e(name)}</span>'
            f'<div class="ftext">{body}</div></div>'
        )
    return "".join(rows)


def _item_card(item: Mapping[str, Any]) -> str:
    status = str(item.get("status", ""))
    findings = [f for f in item.get("findings") or [] if isinstance(f, Mapping)]
    product = item.get("product") if isinstance(item.get("product"), Mapping) else {}
    assert isinstance(product, Mapping)
    fields = item.get("fields") if isinstance(item.get("fields"), Mapping) else {}
    assert isinstance(fields, Mapping)
    categories = " ".join(sorted({str(f.get("category", "")) for f in findings}))
    findings_rows = "".join(
        f'<tr><td><span class="sev sev-{_e(f.get("severity"))}">{_e(f.get("severity"))}</span></td>'
        f"<td><code>{_e(f.get('rule'))}</code></td>"
        f"<td>{_e(CATEGORY_LABELS.get(str(f.get('category')), f.get('category')))}</td>"
        f"<td>{_e(f.get('field'))}</td><td>“{_e(f.get('text'))}”</td>"
        f"<td>{_e(f.get('law'))}</td><td>{_e(f.get('suggestion'))}</td></tr>"
        for f in findings
    )
    review = item.get("review") if isinstance(item.get("review"), Mapping) else None
    review_html = ""
    if review:
        forced = " · <strong>forced</strong>" if review.get("forced") else ""
        edited = " · edited" if review.get("edited") else ""
        review_html = (
            f'<p class="review">审核 Review: {_e(review.get("decision"))} · '
            f"{_e(review.get('reviewer'))} · {_e(review.get('ts'))}{forced}{edited}"
            + (f" — {_e(review.get('reason'))}" if review.get("reason") else "")
            + "</p>"
        )
    title = product.get("title") if product else None
    return (
        f'<article class="item" data-status="{_e(status)}" '
        f'data-platform="{_e(item.get("platform"))}" data-categories="{_e(categories)}">'
        f'<header><span class="badge st-{_e(status)}">{_e(STATUS_LABELS.get(status, status))}'
        f'</span><code class="iid">{_e(item.get("id"))}</code>'
        f'<span class="ptitle">{_e(title)}</span></header>'
        f'<div class="fields">{_field_rows(fields, findings)}</div>'
        f'<table class="findings"><thead><tr><th>级别</th><th>规则 rule</th><th>类别</th>'
        f"<th>字段</th><th>文本</th><th>依据 law</th><th>建议 suggestion</th></tr></thead>"
        f"<tbody>{findings_rows}</tbody></table>{review_html}</article>"
    )


def _options(values: Iterable[str], labels: Mapping[str, str]) -> str:
    return "".join(f'<option value="{_e(v)}">{_e(labels.get(v, v))}</option>' for v in values)


def _rules_table(data: ReportData) -> str:
    if not data.by_rule:
        return '<p class="empty">—</p>'
    body = ""
    for rule, n in data.by_rule.items():
        category, law = data.rule_info.get(rule, ("", ""))
        severity = data.rule_severity.get(rule, "")
        body += (
            f"<tr><td><code>{_e(rule)}</code></td>"
            f'<td><span class="sev sev-{_e(severity)}">{_e(severity)}</span></td>'
            f"<td>{_e(CATEGORY_LABELS.get(category, category))}</td><td>{_e(law)}</td>"
            f'<td class="n">{n}</td></tr>'
        )
    return (
        '<table class="counts"><thead><tr><th>规则 rule</th><th>级别 severity</th>'
        '<th>类别 category</th><th>依据 law</th><th class="n">n</th></tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def _platform_table(data: ReportData) -> str:
    """Counts per platform and status as numbers (the chart shows them only on hover)."""
    statuses = list(data.by_status)
    if not data.by_platform:
        return ""
    head = "".join(
        f'<th class="n" title="{_e(STATUS_LABELS.get(s, s))}">{_e(s)}</th>' for s in statuses
    )
    body = ""
    for platform, parts in data.by_platform.items():
        total = sum(parts.values())
        rate = f"{parts.get('pass', 0) / total * 100:.0f}%" if total else "—"
        cells = "".join(f'<td class="n">{parts.get(s, 0)}</td>' for s in statuses)
        body += (
            f'<tr><td>{_e(platform)}</td>{cells}<td class="n">{total}</td>'
            f'<td class="n">{rate}</td></tr>'
        )
    return (
        f'<table class="counts small"><thead><tr><th>platform</th>{head}<th class="n">total</th>'
        f'<th class="n">合格率</th></tr></thead><tbody>{body}</tbody></table>'
    )


def _audit_line(data: ReportData) -> str:
    audit = data.audit
    if audit is None:
        return '<p class="meta audit" id="audit">审计日志 Audit log: not found</p>'
    if audit.get("ok"):
        return (
            f'<p class="meta audit ok" id="audit">审计日志 Audit log: ✓ verified · '
            f"{audit.get('events')} events · head <code>{_e(str(audit.get('head'))[:16])}…</code>"
            "</p>"
        )
    return (
        f'<p class="meta audit bad" id="audit">审计日志 Audit log: ✗ FAILED verification at '
        f"line {_e(audit.get('line'))}: {_e(audit.get('reason'))}</p>"
    )


def _status_chart(data: ReportData) -> str:
    return _bar_chart(
        [
            (STATUS_LABELS.get(s, s), n, STATUS_COLORS.get(s, "#999"))
            for s, n in data.by_status.items()
        ]
    )


def _platform_chart(data: ReportData) -> str:
    return _stacked_chart(
        [(PLATFORM_LABELS.get(p, p), parts) for p, parts in data.by_platform.items()]
    )


def _category_chart(data: ReportData, *, max_rules: int) -> str:
    return _bar_chart(
        [
            (f"{CATEGORY_LABELS.get(c, c)} {c}", n, "#3f6fb5")
            for c, n in list(data.by_category.items())[:max_rules]
        ],
    )


def _rule_chart(data: ReportData, *, max_rules: int) -> str:
    """The most frequent rules as bars, and how many more there are."""
    rule_items = list(data.by_rule.items())
    chart = _bar_chart(
        [
            (r, n, SEVERITY_COLORS.get(data.rule_severity.get(r, "info"), "#1e88e5"))
            for r, n in rule_items[:max_rules]
        ],
    )
    more_rules = ""
    if len(rule_items) > max_rules:
        more_rules = f'<p class="meta">+{len(rule_items) - max_rules} more rules</p>'
    return chart + more_rules


def _kpis(data: ReportData) -> list[tuple[str, str, str, str, str]]:
    """The headline numbers: (title, value, note, css class, id) per card."""
    cost_note = "" if data.cost_total is not None else "price unknown for this model"
    return [
        (
            "文案合格率 · Pass rate",
            _fmt_pct(data.pass_rate),
            f"{data.passed} of {data.total} items passed",
            "hero",
            "pass-rate",
        ),
        ("文案总数 · Items", str(data.total), f"{data.texts} with text", "", "total"),
        (
            "可发布 · Publishable",
            str(data.publishable),
            f"pass + approved ({data.by_status.get('approved', 0)} approved)",
            "",
            "publishable",
        ),
        (
            "待审核 / 拦截 · Review / blocked",
            f"{data.by_status.get('review', 0)} / {data.by_status.get('blocked', 0)}",
            f"{data.by_status.get('error', 0)} errors · "
            f"{data.by_status.get('rejected', 0)} rejected",
            "",
            "flagged",
        ),
        (
            "成本 · Cost",
            _fmt_money(data.cost_total, data.currency),
            cost_note or f"{data.tokens:,} tokens",
            "",
            "cost",
        ),
        (
            "单条成本 · Cost per text",
            _fmt_money(data.cost_per_text, data.currency, digits=5),
            f"{data.tokens:,} tokens",
            "",
            "cost-per-text",
        ),
        ("延迟 p50 · Latency p50", _fmt_ms(data.latency_p50), "per item", "", "p50"),
        ("延迟 p95 · Latency p95", _fmt_ms(data.latency_p95), "per item", "", "p95"),
        *_judge_kpis(data),
    ]


def _judge_kpis(data: ReportData) -> list[tuple[str, str, str, str, str]]:
    if not data.judge_items:
        return []
    return [
        (
            "AI 评审单条成本 · Judge cost per text",
            _fmt_money(data.judge_cost_per_text, data.judge_currency, digits=5),
            f"{data.judge_items} texts judged · {data.judge_added} findings added · "
            f"{data.judge_tokens:,} tokens · total "
            f"{_fmt_money(data.judge_cost, data.judge_currency)}",
            "",
            "judge-cost",
        )
    ]


def _kpi_cards(data: ReportData) -> str:
    return "".join(
        f'<div class="kpi {cls}" id="kpi-{key}"><div class="k">{_e(k)}</div>'
        f'<div class="v">{_e(v)}</div><div class="s">{_e(s)}</div></div>'
        for k, v, s, cls, key in _kpis(data)
    )


def _header(data: ReportData) -> str:
    """Title, when and how much, and whether the audit log behind it verifies."""
    return f"""<h1>{_e(data.title)}</h1>
<p class="meta">生成时间 Generated {_e(data.generated_at)} · {data.total} items ·
{len(data.flagged)} flagged</p>
{_audit_line(data)}"""


def _breakdown(data: ReportData, *, max_rules: int) -> str:
    """The four chart panels: by status, by platform, by category, by rule."""
    category_chart = _category_chart(data, max_rules=max_rules)
    rule_chart = _rule_chart(data, max_rules=max_rules)
    return f"""<h2>分布 · Breakdown</h2>
<div class="grid">
<div class="panel"><h3>状态 · By status</h3>{_status_chart(data)}</div>
<div class="panel"><h3>平台 · By platform</h3>{_platform_chart(data)}{_legend(data.by_status)}
{_platform_table(data)}</div>
<div class="panel"><h3>问题类别 · Findings by category</h3>{category_chart}</div>
<div class="panel"><h3>规则 · Findings by rule</h3>{rule_chart}</div>
</div>"""


def _filter_bar(data: ReportData) -> str:
    """The filter bar over the flagged items; hidden until the script shows it."""
    flagged_statuses = [s for s in STATUS_ORDER if any(i.get("status") == s for i in data.flagged)]
    return f"""<div class="filters" id="filters" hidden>
<select id="f-status" aria-label="status"><option value="">全部状态 · all statuses</option>
{_options(flagged_statuses, STATUS_LABELS)}</select>
<select id="f-platform" aria-label="platform"><option value="">全部平台 · all platforms</option>
{_options(data.by_platform, PLATFORM_LABELS)}</select>
<select id="f-category" aria-label="category"><option value="">全部类别 · all categories</option>
{_options(data.by_category, CATEGORY_LABELS)}</select>
<input id="f-text" type="search" placeholder="搜索文案 · search text" aria-label="search">
<span class="count" id="f-count"></span>
</div>"""


def _flagged_section(data: ReportData) -> str:
    cards = "".join(_item_card(item) for item in data.flagged)
    return f"""<h2 id="flagged">需关注文案 · Flagged items ({len(data.flagged)})</h2>
{_filter_bar(data)}
<div id="items">{cards or '<p class="empty">没有需关注的文案 · nothing flagged</p>'}</div>"""


def _errors_section(data: ReportData) -> str:
    if not data.errors:
        return ""
    return (
        '<h2 id="errors">失败 · Errors</h2><ul class="errors">'
        + "".join(
            f"<li><code>{_e(i.get('id'))}</code> — {_e(i.get('error'))}</li>" for i in data.errors
        )
        + "</ul>"
    )


def page_head(title: str, css: str) -> str:
    """The start of a self-contained copygen page, up to ``</head>``: the report's and
    the comparison's."""
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="copygen">
<title>{_e(title)}</title>
<style>{css}</style>
</head>"""


def render_html(data: ReportData, *, max_rules: int = 12) -> str:
    """The whole report as one HTML document (UTF-8, no external resources)."""
    return f"""{page_head(data.title, CSS)}
<body>
<div class="wrap">
{_header(data)}
<section class="kpis">{_kpi_cards(data)}</section>
{_breakdown(data, max_rules=max_rules)}
<h2>规则命中 · Rule hits</h2>
<div class="panel">{_rules_table(data)}</div>
{_flagged_section(data)}
{_errors_section(data)}
<footer>copygen · 本报告为离线自包含文件 · self-contained report, no external resources</footer>
</div>
<script>{JS}</script>
</body>
</html>
"""


# --- public aliases, for other pages built in the same style (copygen compare) -----------

escape = _e
fmt_pct = _fmt_pct
fmt_ms = _fmt_ms
fmt_money = _fmt_money
marked_html = _marked
field_rows_html = _field_rows
