"""A strategy report as one self-contained HTML page.

:func:`report_html` writes the summary, one strategy's charts (a PNG embedded as a ``data:``
URL), its monthly returns as a coloured year x month table and its last months' alpha and
beta. The page needs no network and runs no script: the styles are inline, the image is in
the page, and a Content-Security-Policy forbids loading anything else. Every name from the
data (tickers, column and file names) is HTML-escaped, so a ticker named
``<script>...</script>`` shows as text.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from polars_alpha.report import StrategyReport

__all__ = ["SUMMARY_LABELS", "format_value", "report_html"]

#: The summary's columns as the page and the command label them, and how each is shown:
#: ``%`` a percent, ``2`` two decimals, ``int`` a count, ``date`` a date.
SUMMARY_LABELS: dict[str, tuple[str, str]] = {
    "start": ("From", "date"),
    "end": ("To", "date"),
    "n": ("Rows", "int"),
    "annual_return": ("Annual return", "%"),
    "benchmark_return": ("Benchmark return", "%"),
    "volatility": ("Volatility", "%"),
    "sharpe": ("Sharpe", "2"),
    "sortino": ("Sortino", "2"),
    "max_drawdown": ("Max drawdown", "%"),
    "calmar": ("Calmar", "2"),
    "alpha_ann": ("Alpha (ann.)", "%"),
    "alpha_t": ("Alpha t", "2"),
    "beta": ("Beta", "2"),
    "r2": ("R²", "2"),
    "treynor": ("Treynor", "2"),
    "information_ratio": ("Information ratio", "2"),
    "tracking_error": ("Tracking error", "%"),
    "up_beta": ("Up beta", "2"),
    "down_beta": ("Down beta", "2"),
    "up_capture": ("Up capture", "2"),
    "down_capture": ("Down capture", "2"),
}

_MONTHLY_LABELS: dict[str, tuple[str, str]] = {
    "month": ("Month", "month"),
    "return": ("Return", "%"),
    "benchmark_return": ("Benchmark", "%"),
    "alpha_ann": ("Alpha (ann.)", "%"),
    "beta": ("Beta", "2"),
    "n": ("Rows", "int"),
}

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
       margin: 24px; color: #1d1d1f; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px 0; }
h2 { font-size: 17px; margin: 28px 0 8px 0; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
p.meta { color: #555; margin: 2px 0; font-size: 13px; }
table { border-collapse: collapse; font-size: 12px; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 8px; border-bottom: 1px solid #e5e5e5; text-align: right;
         white-space: nowrap; }
th { background: #f4f4f6; font-weight: 600; position: sticky; top: 0; }
td.name, th.name { text-align: left; font-weight: 600; }
tr.chosen td { background: #eef5ff; }
.neg { color: #b3261e; }
.wrap { overflow-x: auto; max-width: 100%; }
img.chart { max-width: 100%; height: auto; border: 1px solid #eee; }
table.months td { min-width: 44px; }
"""

#: No request of any kind: images only from the page itself, styles only inline, no script.
_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def format_value(value: object, how: str) -> str:
    """A summary or monthly value as the page shows it (``-`` for a missing one).

    Parameters
    ----------
    value
        The value.
    how
        ``"%"`` percent with one decimal, ``"2"`` two decimals, ``"int"``, ``"date"``,
        ``"month"`` (``2017-03``).

    Returns
    -------
    str
        The text of the cell.

    Examples
    --------
    >>> from polars_alpha.report_html import format_value
    >>> format_value(0.12345, "%"), format_value(1.2345, "2"), format_value(None, "2")
    ('12.3%', '1.23', '-')
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if how == "%":
        return f"{float(value):.1%}"  # type: ignore[arg-type]
    if how == "2":
        return f"{float(value):.2f}"  # type: ignore[arg-type]
    if how == "month" and isinstance(value, dt.date):
        return value.strftime("%Y-%m")
    return str(value)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _cell(value: object, how: str) -> str:
    text = format_value(value, how)
    negative = isinstance(value, float) and math.isfinite(value) and value < 0
    data = ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        data = f' data-value="{value!r}"'
    css = ' class="neg"' if negative and how in ("%", "2") else ""
    return f"<td{css}{data}>{_e(text)}</td>"


def _table(
    frame: pl.DataFrame,
    name_column: str | None,
    labels: dict[str, tuple[str, str]],
    *,
    table_id: str,
    chosen: str | None = None,
) -> str:
    columns = [c for c in labels if c in frame.columns]
    head = "".join(f"<th>{_e(labels[c][0])}</th>" for c in columns)
    if name_column is not None:
        head = f'<th class="name">{_e(name_column)}</th>' + head
    rows = []
    for row in frame.iter_rows(named=True):
        cells = "".join(_cell(row[c], labels[c][1]) for c in columns)
        attrs = ""
        if name_column is not None:
            name = str(row[name_column])
            cells = f'<td class="name">{_e(name)}</td>' + cells
            attrs = f' data-name="{_e(name)}"' + (' class="chosen"' if name == chosen else "")
        rows.append(f"<tr{attrs}>{cells}</tr>")
    return (
        f'<div class="wrap"><table id="{table_id}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _shade(value: float, span: float) -> str:
    """A red-white-green background for a monthly return, centred on zero."""
    share = max(-1.0, min(1.0, value / span)) if span > 0 else 0.0
    if share >= 0:
        red, green, blue = (
            255 - round(150 * share),
            255 - round(55 * share),
            255 - round(150 * share),
        )
    else:
        red, green, blue = (
            255 + round(30 * share),
            255 + round(150 * share),
            255 + round(150 * share),
        )
    return f"#{red:02x}{green:02x}{blue:02x}"


def _span(values: list[float | None]) -> float:
    """The 90th percentile of the absolute values: the colour scale's end."""
    finite = sorted(abs(v) for v in values if v is not None and math.isfinite(v))
    return finite[int(0.9 * (len(finite) - 1))] if finite else 0.0


def _month_table(table: pl.DataFrame) -> str:
    """The year x month table, the months and the years each on their own colour scale."""
    columns = [c for c in table.columns if c != "year"]
    months = [v for c in columns[:-1] for v in table.get_column(c).to_list()]
    spans = {c: _span(months) for c in columns[:-1]}
    spans[columns[-1]] = _span(table.get_column(columns[-1]).to_list())
    head = '<th class="name">Year</th>' + "".join(f"<th>{_e(c)}</th>" for c in columns)
    rows = []
    for row in table.iter_rows(named=True):
        cells = []
        for c in columns:
            value = row[c]
            if value is None or not math.isfinite(value):
                cells.append("<td></td>")
                continue
            style = f' style="background:{_shade(value, spans[c])}"'
            cells.append(f'<td{style} data-value="{value!r}">{_e(format_value(value, "%"))}</td>')
        rows.append(f'<tr><td class="name">{_e(row["year"])}</td>{"".join(cells)}</tr>')
    return (
        f'<div class="wrap"><table class="months" id="months"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _chart_png(report: StrategyReport, strategy: str, benchmark_name: str) -> str | None:
    """The strategy's charts as a base64 PNG, or None without matplotlib."""
    try:
        __import__("matplotlib")
    except ImportError:
        return None
    from polars_alpha.plot import strategy_chart

    fig = strategy_chart(report, strategy, month_table=False, benchmark_name=benchmark_name)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _meta(lines: Sequence[str]) -> str:
    return "".join(f'<p class="meta">{_e(line)}</p>' for line in lines)


def report_html(
    report: StrategyReport,
    *,
    strategy: str | None = None,
    title: str | None = None,
    benchmark_name: str = "the benchmark",
    risk_free_name: str = "",
    source: str = "",
    months: int = 12,
) -> str:
    """The report as one HTML page that opens in any browser without a network.

    Parameters
    ----------
    report
        A :func:`~polars_alpha.strategy_report`.
    strategy
        The strategy whose charts and monthly tables the page shows; default the summary's
        first. Every strategy is in the summary.
    title
        The page's heading; default "Strategy report".
    benchmark_name, risk_free_name, source
        What the page says the benchmark, the risk-free rate and the input were (names
        from users' files: they are escaped).
    months
        The last months of the strategy's alpha and beta shown in a table.

    Returns
    -------
    str
        The page: UTF-8 HTML with inline CSS, the charts as a base64 PNG (left out, with a
        note, when matplotlib is not installed), no script and no external reference.

    Notes
    -----
    Each number cell holds the full value in its ``data-value`` attribute beside the
    rounded text. The page's Content-Security-Policy (``default-src 'none'``) stops a
    browser from loading anything, even if a name slipped through unescaped.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> from polars_alpha.report_html import report_html
    >>> sample = pa.datasets.load_sp500_sample()
    >>> prices = sample.stocks.filter(pl.col("ticker") == "XOM", pl.col("date").dt.year() == 2022)
    >>> page = report_html(pa.strategy_report(prices, benchmark=sample.index))
    >>> page.startswith("<!DOCTYPE html>"), "http://" in page, "https://" in page
    (True, False, False)
    """
    name = report.choose(strategy)
    heading = title or "Strategy report"
    dates = report.returns.get_column(report.date)
    frequency = (
        f"{report.frequency}, inferred from the dates"
        if report.frequency != "given"
        else "as given"
    )
    lines = [
        f"{len(report.strategies)} strateg{'y' if len(report.strategies) == 1 else 'ies'} "
        f"against {benchmark_name}"
        + (f", risk-free rate {risk_free_name}" if risk_free_name else ", no risk-free rate"),
        f"Dates {dates.min()!s} to {dates.max()!s}; {report.periods_per_year:g} periods a "
        f"year ({frequency})",
    ]
    if source:
        lines.append(f"Input: {source}")
    summary = _table(report.summary, report.ticker, SUMMARY_LABELS, table_id="summary", chosen=name)
    png = _chart_png(report, name, benchmark_name)
    chart = (
        f'<img class="chart" alt="{_e(name)}: growth, drawdown, rolling beta and alpha, '
        f'monthly returns" src="data:image/png;base64,{png}">'
        if png is not None
        else '<p class="meta">The charts need matplotlib: pip install "polars-alpha[plot]"</p>'
    )
    last = report.monthly.filter(report.rows_of(name)).sort("month").tail(months)
    body = [
        f"<h1>{_e(heading)}</h1>",
        _meta(lines),
        "<h2>Summary</h2>",
        summary,
        f"<h2>{_e(name)}: growth, drawdown, rolling one-year beta and alpha</h2>",
        chart,
        f"<h2>{_e(name)}: monthly returns</h2>",
        _month_table(report.monthly_table(name)),
        f"<h2>{_e(name)}: the last {last.height} months' alpha and beta</h2>",
        _table(last, None, _MONTHLY_LABELS, table_id="monthly"),
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(heading)}: {_e(name)}</title><style>{_STYLE}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
