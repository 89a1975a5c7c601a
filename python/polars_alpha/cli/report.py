"""The ``report`` command: evaluate strategies or funds against a benchmark, print the summary
and the last twelve months, and write the charts and a self-contained HTML page."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
from pathlib import Path
from typing import Any

import polars as pl

from polars_alpha.cli.errors import CliError
from polars_alpha.cli.inputs import InputOptions, ScreenInputs, add_input_arguments, read_inputs
from polars_alpha.cli.render import FORMATS, Progress, check_plot, output_format, write
from polars_alpha.report import StrategyReport, strategy_report
from polars_alpha.screen import returns_panel

__all__ = ["PORTFOLIO", "add_report_parser", "run_report"]

#: The bundled sample's equal-weight portfolio, reported beside its 20 stocks.
PORTFOLIO = "Equal weight"

DESCRIPTION = """\
Evaluate strategies or funds against a benchmark: annual return, volatility, Sharpe,
Sortino, max drawdown, Calmar, Jensen's alpha (annualized) and its t-value, beta, R²,
Treynor, information ratio, tracking error, up and down beta and capture, one row per
strategy; then one strategy's last 12 months (its return, the benchmark's, alpha and beta
fitted on each month's days). With no FILE, the bundled sample: each of its 20 stocks and
their equal-weight portfolio (rebalanced daily) against the S&P 500, with the 3-month
Treasury bill as the risk-free rate."""

EPILOG = """\
examples:
  polars-alpha report
      the bundled sample; the last 12 months are the equal-weight portfolio's
  polars-alpha report --no-risk-free --strategy AAPL --html aapl.html
      all of the sample's dates (its risk-free rate ends in 2017), AAPL's page
  polars-alpha report fund.csv --benchmark SPY --risk-free 0.0001 --plot fund.png
      a fund's prices beside the benchmark's in one file, 1 bp a day risk-free
  polars-alpha report funds.parquet --benchmark index.csv --periods-per-year 12

inputs: as for `polars-alpha screen` (see its --help): long, wide or one-ticker CSV or
  Parquet files of prices or returns, a benchmark column or file, a risk-free column,
  file or number. Every strategy uses its rows with a return, a benchmark return and (with
  one) a risk-free rate: a risk-free rate that ends early ends the report there.

periods per year: inferred from the median spacing of the dates (daily 252, weekly 52,
  monthly 12) and printed; irregular dates are an error asking for --periods-per-year.

output: the summary table (or, with --output, every column of the summary as .csv,
  .json, .parquet or .txt), the last 12 months of --strategy (default: the equal-weight
  portfolio for the sample, else the first strategy by name). --plot draws that
  strategy's charts (growth against the benchmark with its drawdown, rolling one-year beta
  and alpha, monthly returns by year and month) as PNG, SVG or PDF; --html writes one page
  with the summary, the charts and the monthly tables, which opens in any browser without
  a network.

Errors are one line on stderr and exit with status 2."""


def add_report_parser(commands: Any) -> None:
    """Register the ``report`` command on the ``polars-alpha`` subparsers."""
    parser = commands.add_parser(
        "report",
        help="evaluate strategies or funds against a benchmark (the bundled sample with no FILE)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "files", nargs="*", metavar="FILE", help="CSV or Parquet files of prices or returns"
    )
    data = parser.add_argument_group("inputs")
    add_input_arguments(data, kind_help="prices or returns (default: auto, per strategy)")
    data.add_argument(
        "--periods-per-year",
        type=float,
        metavar="P",
        help="252 daily, 52 weekly, 12 monthly (default: inferred from the dates)",
    )
    out = parser.add_argument_group("output")
    out.add_argument(
        "--strategy",
        metavar="NAME",
        help="the strategy of the last 12 months, the charts and the page (see below)",
    )
    out.add_argument(
        "--format",
        choices=FORMATS,
        help="the summary as table (default), csv, parquet or json",
    )
    out.add_argument(
        "--output",
        "-o",
        metavar="PATH",
        help="write the summary here: .csv, .parquet, .json, or .txt for the table",
    )
    out.add_argument(
        "--plot",
        metavar="PATH.png",
        help="draw the strategy's charts to this file: .png, .svg or .pdf",
    )
    out.add_argument(
        "--html", metavar="PATH", help="write the report as one self-contained HTML page"
    )
    parser.add_argument("--traceback", action="store_true", help=argparse.SUPPRESS)


def _options(args: argparse.Namespace, periods: float) -> InputOptions:
    return InputOptions(
        files=args.files,
        benchmark=args.benchmark,
        risk_free=args.risk_free,
        annual_risk_free=args.annual_risk_free,
        percent_risk_free=args.percent_risk_free,
        no_risk_free=args.no_risk_free,
        date_column=args.date_column,
        date_format=args.date_format,
        ticker_column=args.ticker_column,
        value_column=args.value_column,
        periods_per_year=periods,
    )


def _read(args: argparse.Namespace, progress: Progress) -> ScreenInputs:
    """The inputs; annual risk-free yields are converted with the data's own periods a year
    when --periods-per-year is not given (the dates are read first without the rate)."""
    if args.periods_per_year is not None or not args.annual_risk_free:
        return read_inputs(_options(args, args.periods_per_year or 252.0), progress)
    from polars_alpha.report import infer_periods_per_year

    first = dataclasses.replace(_options(args, 252.0), no_risk_free=True)
    dates = read_inputs(first, progress).frame.get_column("date")
    periods, _ = infer_periods_per_year(dates)
    return read_inputs(_options(args, float(periods)), progress)


def _sample_frame(inputs: ScreenInputs, kind: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The sample's stock returns and their equal-weight portfolio (the mean of the day's
    returns, rebalanced daily), and the benchmark's returns."""
    panel = returns_panel(inputs.frame, benchmark=inputs.benchmark, value="value", kind=kind)  # type: ignore[call-overload]
    stocks = panel.select("date", "ticker", pl.col("ret").alias("value"))
    portfolio = (
        stocks.group_by("date")
        .agg(pl.col("value").mean())
        .select("date", pl.lit(PORTFOLIO).alias("ticker"), "value")
        .sort("date")
    )
    benchmark = panel.select("date", "benchmark").unique("date", keep="first").sort("date")
    return pl.concat([stocks, portfolio]), benchmark


def run_report(args: argparse.Namespace, progress: Progress) -> None:
    """Run ``polars-alpha report`` with the parsed arguments."""
    fmt = output_format(args.format, args.output)
    if args.plot is not None:
        check_plot(args.plot)
    if args.periods_per_year is not None and not args.periods_per_year > 0:
        msg = f"--periods-per-year must be positive (252 daily), got {args.periods_per_year:g}"
        raise CliError(msg)
    inputs = _read(args, progress)
    frame, benchmark, kind = inputs.frame, inputs.benchmark, args.kind
    sample = not args.files
    if sample:
        frame, benchmark = _sample_frame(inputs, args.kind)
        kind = "returns"
    progress.update(f"reporting on {frame.get_column('ticker').n_unique()} strategies")
    report = strategy_report(
        frame,
        benchmark=benchmark,
        risk_free=inputs.risk_free,
        periods_per_year=args.periods_per_year,
        value="value",
        kind=kind,
        fill_risk_free=not args.no_fill_risk_free,
    )
    chosen = args.strategy or (PORTFOLIO if sample else None)
    try:
        name = report.choose(chosen)
    except ValueError as error:
        raise CliError(f"{error} (--strategy)") from None
    _note_risk_free_end(args, progress, inputs, frame, report)
    source = "the bundled S&P 500 sample" if sample else ", ".join(Path(f).name for f in args.files)
    if args.plot is not None:
        progress.update("drawing the charts")
        report.plot(name, path=args.plot, benchmark_name=inputs.benchmark_name)
    if args.html is not None:
        progress.update("writing the page")
        try:
            report.to_html(
                args.html,
                strategy=name,
                benchmark_name=inputs.benchmark_name,
                risk_free_name=inputs.risk_free_name,
                source=source,
            )
        except OSError as error:
            msg = f"cannot write --html {args.html}: {error.strerror or error}"
            raise CliError(msg) from None
    progress.clear()
    header = _header(report, inputs, source)
    if fmt != "table":
        write(report.summary, fmt, header, args.output)
        return
    text = _summary_text(report, header) + "\n" + _last_months(report, name)
    if args.output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        Path(args.output).write_text(text, encoding="utf-8")


def _note_risk_free_end(
    args: argparse.Namespace,
    progress: Progress,
    inputs: ScreenInputs,
    frame: pl.DataFrame,
    report: StrategyReport,
) -> None:
    """Say so on stderr when the risk-free rate ends before the data, which ends the report."""
    if not isinstance(inputs.risk_free, pl.DataFrame):
        return
    last_rate = inputs.risk_free.drop_nulls().get_column("date").max()
    last_data = frame.get_column("date").max()
    used = report.returns.get_column(report.date).max()
    if not (isinstance(used, dt.date) and isinstance(last_data, dt.date)) or used >= last_data:
        return
    progress.clear()
    sys.stderr.write(
        f"{args.prog}: note: the risk-free rate ends on {last_rate!s}: the report ends on "
        f"{used!s}, not on the data's last date {last_data!s} (--no-risk-free uses all)\n"
    )


def _header(report: StrategyReport, inputs: ScreenInputs, source: str) -> str:
    dates = report.returns.get_column(report.date)
    rf = f", risk-free rate {inputs.risk_free_name}" if inputs.risk_free_name else ""
    how = f"{report.frequency} dates" if report.frequency != "given" else "--periods-per-year"
    return (
        f"Strategy report: {len(report.strategies)} strategies from {source} against "
        f"{inputs.benchmark_name}{rf}\n"
        f"{dates.min()!s} to {dates.max()!s}, {report.periods_per_year:g} periods a year "
        f"({how}); returns, volatility, alpha, drawdown and tracking error annualized"
    )


#: The summary as the table shows it: two tables of columns, so each fits a terminal
#: (every column goes to csv, json and parquet).
SHOWN = (
    (
        "annual_return",
        "benchmark_return",
        "volatility",
        "sharpe",
        "sortino",
        "max_drawdown",
        "calmar",
        "information_ratio",
        "tracking_error",
    ),
    (
        "alpha_ann",
        "alpha_t",
        "beta",
        "r2",
        "treynor",
        "up_beta",
        "down_beta",
        "up_capture",
        "down_capture",
    ),
)


def _frame_text(frame: pl.DataFrame) -> str:
    with pl.Config(
        tbl_rows=-1,
        tbl_cols=-1,
        tbl_hide_dataframe_shape=True,
        tbl_width_chars=250,
        float_precision=None,
    ):
        return str(frame)


def _summary_text(report: StrategyReport, header: str) -> str:
    parts = [header]
    for columns in SHOWN:
        shown = report.summary.select(report.ticker, *columns)
        parts.append(_frame_text(shown.with_columns(pl.col(pl.Float64).round(3))))
    return "\n".join(parts) + "\n"


def _last_months(report: StrategyReport, name: str) -> str:
    months = (
        report.monthly.filter(report.rows_of(name))
        .sort("month")
        .tail(12)
        .select(
            pl.col("month").dt.strftime("%Y-%m"),
            pl.col("return").round(4),
            pl.col("benchmark_return").round(4),
            pl.col("alpha").round(5),
            pl.col("alpha_ann").round(3),
            pl.col("beta").round(3),
            "n",
        )
    )
    title = f"{name}: the last {months.height} months (alpha and beta on each month's days)"
    return f"{title}\n{_frame_text(months)}\n"
