"""The channel report as one self-contained HTML page (inline CSS and SVG, nothing external).

Readable on a phone (one column below 700 px, tables scroll sideways), printable (no shadows,
page breaks between channels), and free of scripts, web fonts and remote images, so it opens
offline and can be mailed as one file. Every value is escaped.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Any

from feedsync.report.svg import bar_chart, line_chart

_CSS = """
:root { color-scheme: light; --ink:#111827; --muted:#6b7280; --line:#e5e7eb; --bad:#b91c1c;
        --good:#15803d; --card:#f9fafb; }
* { box-sizing: border-box; }
body { margin: 0; padding: 16px; font: 15px/1.45 system-ui, -apple-system, "Segoe UI",
       Roboto, sans-serif; color: var(--ink); background: #fff; }
h1 { font-size: 1.4rem; margin: 0 0 4px; } h2 { font-size: 1.2rem; margin: 0 0 8px; }
h3 { font-size: 1rem; margin: 16px 0 6px; }
.muted { color: var(--muted); font-size: .9rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: right; padding: 4px 8px; border-bottom: 1px solid var(--line);
         white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
section.channel { border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px;
                  margin: 16px 0; background: var(--card); }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(130px, 1fr));
         gap: 8px; margin: 8px 0; }
.tile { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 6px 8px; }
.tile b { display: block; font-size: 1.15rem; }
.neg { color: var(--bad); } .pos { color: var(--good); }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
svg.chart { width: 100%; height: auto; background: #fff; border: 1px solid var(--line);
            border-radius: 6px; }
svg .bar { fill: #2563eb; } svg .axis { stroke: #9ca3af; }
svg .tick, svg .legend { font-size: 11px; fill: var(--muted); }
code { font-size: .85rem; background: #fff; padding: 0 3px; border: 1px solid var(--line);
       border-radius: 3px; }
ul.reasons { padding-left: 18px; margin: 4px 0; }
@media (max-width: 700px) { .charts { grid-template-columns: 1fr; } body { padding: 8px; } }
@media print { section.channel { break-inside: avoid-page; page-break-before: always;
               background: none; } body { padding: 0; } }
"""


def _money_cell(value: str) -> str:
    cls = "neg" if value.startswith("-") else ""
    return f'<td class="{cls}">{escape(value)}</td>'


def _tile(label: str, value: Any, cls: str = "") -> str:
    return f'<div class="tile"><span class="muted">{escape(label)}</span>' \
           f'<b class="{cls}">{escape(str(value))}</b></div>'


def _percent(share: float) -> str:
    return f"{share * 100:.1f} %"


def _summary(report: dict[str, Any]) -> str:
    cur = escape(report["currency"])
    head = ("<tr><th>channel</th><th>listed</th><th>share listed</th><th>not live</th>"
            f"<th>orders</th><th>units</th><th>revenue ({cur})</th><th>fees ({cur})</th>"
            f"<th>margin ({cur})</th><th>oversells</th><th>fast path (median s)</th></tr>")
    rows = []
    for s in report["summary"]:
        latency = "–" if s["fast_path_median_seconds"] is None else s["fast_path_median_seconds"]
        rows.append(
            f"<tr><td><a href=\"#ch-{escape(s['channel'])}\">{escape(s['channel'])}</a></td>"
            f"<td>{s['listed']}</td><td>{_percent(s['share_listed'])}</td>"
            f"<td>{s['rejected']}</td><td>{s['orders']}</td><td>{s['units']}</td>"
            f"{_money_cell(s['revenue'])}{_money_cell(s['fees'])}{_money_cell(s['margin'])}"
            f"<td>{s['oversells']}</td><td>{escape(str(latency))}</td></tr>")
    return (f'<div class="scroll"><table id="summary">{head}{"".join(rows)}</table></div>')


def _money_table(orders: dict[str, Any], currency: str) -> str:
    money = orders["money"]
    currencies = sorted({c for fig in money.values() for c in fig["by_currency"]})
    head = "".join(f"<th>{escape(c)}</th>" for c in currencies)
    rows = []
    labels = {"revenue": "revenue", "fees": "fees", "fees_reported": "· reported by channel",
              "fees_estimated": "· estimated (fee model)", "cogs": "cost of goods",
              "fulfilment": "fulfilment", "margin": "margin"}
    for name, label in labels.items():
        cells = "".join(_money_cell(money[name]["by_currency"].get(c, "0")) for c in currencies)
        rows.append(f"<tr><td>{escape(label)}</td>{cells}"
                    f"{_money_cell(money[name]['converted'])}</tr>")
    unconverted = sorted({c for fig in money.values() for c in fig["unconverted"]})
    note = (f'<p class="muted">No rate for {escape(", ".join(unconverted))} in '
            "[currency_rates]: left out of the converted column.</p>" if unconverted else "")
    return (f'<div class="scroll"><table class="money"><tr><th></th>{head}'
            f"<th>all in {escape(currency)}</th></tr>{''.join(rows)}</table></div>{note}")


def _reasons(row: dict[str, Any]) -> str:
    if not row["rejection_reasons"]:
        return '<p class="muted">No rejected or held SKUs.</p>'
    items = []
    for reason in row["rejection_reasons"]:
        skus = ", ".join(escape(s) for s in reason["skus"])
        explain = "".join(f"<br><code>{escape(cmd)}</code>" for cmd in reason["explain"][:1])
        source = "channel" if reason["source"] == "channel" else "feedsync validation"
        items.append(f"<li><b>{escape(reason['code'])}</b> ({reason['count']}, {source}): "
                     f"{escape(reason['message'])}<br><span class=\"muted\">{skus}</span>"
                     f"{explain}</li>")
    return f'<ul class="reasons">{"".join(items)}</ul>'


def _runs(row: dict[str, Any]) -> str:
    if not row["last_runs"]:
        return '<p class="muted">No run has touched this channel yet.</p>'
    lines = []
    for run in row["last_runs"]:
        duration = "–" if run["duration_seconds"] is None else f"{run['duration_seconds']:.0f} s"
        dry = " (dry run)" if run["dry_run"] else ""
        lines.append(f"<tr><td>#{run['run']} {escape(run['command'])}{dry}</td>"
                     f"<td>{escape(run['started_at'] or '')}</td><td>{escape(run['status'])}</td>"
                     f"<td>{escape(run['steps'])}</td><td>{duration}</td></tr>")
    return ('<div class="scroll"><table><tr><th>run</th><th>started</th><th>status</th>'
            f"<th>steps</th><th>duration</th></tr>{''.join(lines)}</table></div>")


def _charts(row: dict[str, Any], currency: str) -> str:
    daily = row["orders"]["daily"]
    days = [d["day"][5:] for d in daily]
    money = line_chart(f"{row['channel']}: revenue and margin per day ({currency})", days, {
        "revenue": [Decimal(d["revenue"]) for d in daily],
        "margin": [Decimal(d["margin"]) for d in daily]})
    orders = bar_chart(f"{row['channel']}: orders per day", days, [d["orders"] for d in daily])
    history = row["history"]
    listed = line_chart(f"{row['channel']}: listings per day", [h["day"][5:] for h in history], {
        "listed": [h["listed"] for h in history], "not live": [
            h["rejected"] + h["pending"] for h in history]})
    return f'<div class="charts">{money}{orders}{listed}</div>'


def _channel(row: dict[str, Any], currency: str) -> str:
    listing, orders = row["listing"], row["orders"]
    margin = orders["money"]["margin"]["converted"]
    latency = row["fast_path"]
    tiles = "".join([
        _tile("listed", listing["listed"]), _tile("share of catalog",
                                                  _percent(listing["share_listed"])),
        _tile("pending", listing["pending"]), _tile("rejected", listing["rejected"]),
        _tile("held (validation)", listing["held_invalid"]),
        _tile("excluded", listing["excluded"]), _tile("orders", orders["orders"]),
        _tile("units", orders["units"]),
        _tile(f"margin ({currency})", margin, "neg" if margin.startswith("-") else "pos"),
        _tile("oversells", len(row["oversells"]), "neg" if row["oversells"] else ""),
        _tile("fast path median / worst", "–" if latency["median_seconds"] is None else
              f"{latency['median_seconds']} s / {latency['worst_seconds']} s"),
    ])
    notes = []
    if orders["fees_unknown_orders"]:
        notes.append(f"{orders['fees_unknown_orders']} order(s) have no reported fees and no "
                     f"[fees.{row['channel']}] model: their fees count as 0.")
    if orders["cogs_missing_units"]:
        notes.append(f"{orders['cogs_missing_units']} unit(s) sold have no product cost: "
                     "import a cost column to count their cost of goods.")
    if orders["cancelled"] or orders["refunded"]:
        notes.append(f"{orders['cancelled']} cancelled and {orders['refunded']} refunded "
                     "order(s) add no revenue.")
    note_html = "".join(f'<p class="muted">{escape(n)}</p>' for n in notes)
    name = escape(row["channel"])
    state = "enabled" if row["enabled"] else "disabled"
    return (f'<section class="channel" id="ch-{name}"><h2>{name}</h2>'
            f'<p class="muted">account {escape(row["account"])} · {state} · '
            f'{escape(str(row["delivery"] or ""))}</p>'
            f'<div class="tiles">{tiles}</div>{_charts(row, currency)}'
            f"<h3>Money</h3>{_money_table(orders, currency)}{note_html}"
            f"<h3>Why SKUs are not live</h3>{_reasons(row)}"
            f"<h3>Last runs</h3>{_runs(row)}</section>")


def render_html(report: dict[str, Any]) -> str:
    """The whole page for ``report`` (from :func:`feedsync.report.build.build_report`)."""
    currency = report["currency"]
    channels = "".join(_channel(row, currency) for row in report["channels"]) or \
        '<p class="muted">No channel is configured.</p>'
    title = f"feedsync report — {report['workspace']}"
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f'<p class="muted">{escape(report["since"])} to {escape(report["until"])} (UTC) · '
        f'generated {escape(report["generated_at"])} · {report["catalog"]["active"]} active '
        f"SKUs · money in {escape(currency)} unless a currency is named</p>"
        f"<h2>All channels</h2>{_summary(report)}{channels}</body></html>\n")
