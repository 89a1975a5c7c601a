"""The ``signal`` command: build a signal (or read one) on a whole market and test whether it
predicts forward returns."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import polars as pl

from polars_alpha.cli.errors import CliError
from polars_alpha.cli.inputs import InputOptions, ScreenInputs, add_input_arguments, read_inputs
from polars_alpha.cli.render import FORMATS, Progress, check_plot, output_format, write
from polars_alpha.momentum import weighted_alpha
from polars_alpha.regression import rolling_alpha
from polars_alpha.signal_report import SignalReport, signal_report
from polars_alpha.signals import momentum, residual_momentum

__all__ = ["SIGNALS", "add_signal_parser", "run_signal"]

#: The library's signals, by the names --signal accepts.
SIGNALS = ("weighted_alpha", "momentum", "residual_momentum", "alpha")

#: Fewer names than this make each date's IC a noisy estimate.
THIN_CROSS_SECTION = 50

DESCRIPTION = """\
Test whether a signal predicts returns: on each date, the rank correlation across tickers
of the signal and the forward return over each horizon (the information coefficient, IC);
its mean, standard deviation, ICIR, Newey-West t-value (horizon - 1 lags, as overlapping
returns are autocorrelated) and share of positive dates; the mean forward return of each
signal quantile and the top-minus-bottom spread; and the signal's rank autocorrelation
(turnover). With no FILE, the bundled sample: 20 large US stocks (1990-2022)."""

EPILOG = """\
signals (--signal):
  momentum           12-1 momentum: P[t-21] / P[t-252] - 1
  weighted_alpha     one-year weighted alpha (recent moves weigh more)
  residual_momentum  mean over std of the residuals of three-year CAPM fits against the
                     benchmark, over the last year less its last month (needs --benchmark)
  alpha              rolling one-year CAPM alpha against the benchmark (needs --benchmark)
  COLUMN             any other name is a column of the input files, read beside the prices
                     (use --value-column for the price column of long files)
  The signals are computed on prices and raw returns (no risk-free rate).

examples:
  polars-alpha signal --signal momentum
      12-1 momentum on the bundled sample (a thin cross-section: 20 names)
  polars-alpha signal --signal residual_momentum --horizons 5,21 --plot signal.png
  polars-alpha signal stocks.parquet --signal value_score --value-column close \\
      --quantiles 10 --benchmark SPY
      a long file with a date, a ticker, the close and a signal column

inputs: as for `polars-alpha screen` (see its --help): long, wide or one-ticker CSV or
  Parquet files of prices; --benchmark is required with input files (a column or a file),
  as for the screen.

output: one row per horizon (dates, mean_ic, std_ic, icir, t_nw, positive_share, spread,
  spread_t, autocorrelation), then the mean forward return by quantile; with --output or
  --format csv/json/parquet, the per-horizon rows only. --plot draws the IC over time with
  its rolling mean, the mean IC by horizon and the mean return by quantile (.png, .svg or
  .pdf).

Errors are one line on stderr and exit with status 2."""


def add_signal_parser(commands: Any) -> None:
    """Register the ``signal`` command on the ``polars-alpha`` subparsers."""
    parser = commands.add_parser(
        "signal",
        help="test whether a signal predicts returns (the bundled sample with no FILE)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="CSV or Parquet files of prices")
    parser.add_argument(
        "--signal",
        required=True,
        metavar="NAME|COLUMN",
        help=f"one of {', '.join(SIGNALS)}, or a column of the input files",
    )
    parser.add_argument(
        "--horizons",
        default="1,5,21,63",
        metavar="H,H,...",
        help="forward-return horizons in rows (default 1,5,21,63)",
    )
    parser.add_argument(
        "--quantiles", type=int, default=5, metavar="Q", help="signal quantiles (default 5)"
    )
    data = parser.add_argument_group("inputs")
    add_input_arguments(data, value_help="the price column of long files", risk_free=False)
    out = parser.add_argument_group("output")
    out.add_argument(
        "--format", choices=FORMATS, help="the rows as table (default), csv, parquet or json"
    )
    out.add_argument(
        "--output",
        "-o",
        metavar="PATH",
        help="write the per-horizon rows here: .csv, .parquet, .json, or .txt for the table",
    )
    out.add_argument(
        "--plot", metavar="PATH.png", help="draw the charts to this file: .png, .svg or .pdf"
    )
    parser.add_argument("--traceback", action="store_true", help=argparse.SUPPRESS)


def _horizons(text: str) -> tuple[int, ...]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        values = tuple(int(p) for p in parts)
    except ValueError:
        msg = f"--horizons {text!r} must be whole numbers of rows separated by commas, e.g. 1,5,21"
        raise CliError(msg) from None
    if not values or min(values) < 1:
        msg = f"--horizons {text!r} must be positive whole numbers of rows, e.g. 1,5,21"
        raise CliError(msg)
    return values


def _options(args: argparse.Namespace, value_column: str | None) -> InputOptions:
    return InputOptions(
        files=args.files,
        benchmark=args.benchmark,
        risk_free=None,
        annual_risk_free=False,
        no_risk_free=True,
        date_column=args.date_column,
        date_format=args.date_format,
        ticker_column=args.ticker_column,
        value_column=value_column,
        periods_per_year=252.0,
    )


def _with_signal(args: argparse.Namespace, inputs: ScreenInputs) -> pl.DataFrame:
    """``date, ticker, value, signal``: the library's signal computed on the prices."""
    frame = inputs.frame.sort("ticker", "date")
    if args.signal in ("momentum", "weighted_alpha"):
        if args.signal == "momentum":
            signal = momentum("value", by="ticker", order_by="date")
        else:
            signal = weighted_alpha("value", by="ticker", order_by="date")
        return frame.with_columns(signal=signal)
    returns = frame.join(inputs.benchmark, on="date", how="left").with_columns(
        _ret=pl.col("value").pct_change().over("ticker", order_by="date"),
        _mkt=pl.col("benchmark").pct_change().over("ticker", order_by="date"),
    )
    if args.signal == "alpha":
        signal = rolling_alpha("_ret", "_mkt", window=252, by="ticker", order_by="date")
    else:
        signal = residual_momentum("_ret", "_mkt", by="ticker", order_by="date")
    return returns.with_columns(signal=signal).select("date", "ticker", "value", "signal")


def _read(args: argparse.Namespace, progress: Progress) -> pl.DataFrame:
    if args.signal in SIGNALS:
        return _with_signal(args, read_inputs(_options(args, args.value_column), progress))
    if not args.files:
        msg = (
            f"unknown signal {args.signal!r}: with no input file the bundled sample is used, "
            f"whose signals are {', '.join(SIGNALS)}"
        )
        raise CliError(msg)
    prices = read_inputs(_options(args, args.value_column), progress).frame
    signal = read_inputs(_options(args, args.signal), progress).frame
    return prices.join(signal.rename({"value": "signal"}), on=["date", "ticker"], how="left").sort(
        "ticker", "date"
    )


def _text(frame: pl.DataFrame, header: str) -> str:
    """A header and every column of ``frame``, floats rounded to 4 decimals."""
    rounded = frame.with_columns(pl.col(pl.Float64).round(4))
    with pl.Config(
        tbl_rows=-1,
        tbl_cols=-1,
        tbl_hide_dataframe_shape=True,
        tbl_width_chars=200,
        float_precision=None,
    ):
        return f"{header}\n{rounded}\n"


def summary_rows(report: SignalReport) -> pl.DataFrame:
    """One row per horizon: the IC summary, the spread and its t, the autocorrelation."""
    spread = report.spread.select(
        "horizon", pl.col("mean_spread").alias("spread"), pl.col("t_nw").alias("spread_t")
    )
    turnover = report.turnover.select(
        pl.col("lag").alias("horizon"), pl.col("mean_autocorrelation").alias("autocorrelation")
    )
    return report.summary.join(spread, on="horizon", how="left").join(
        turnover, on="horizon", how="left"
    )


def run_signal(args: argparse.Namespace, progress: Progress) -> None:
    """Run ``polars-alpha signal`` with the parsed arguments."""
    horizons = _horizons(args.horizons)
    if args.quantiles < 2:
        msg = f"--quantiles must be at least 2, got {args.quantiles}"
        raise CliError(msg)
    fmt = output_format(args.format, args.output)
    if args.plot is not None:
        check_plot(args.plot)
    if args.signal in ("alpha", "residual_momentum") and args.files and args.benchmark is None:
        msg = f"--signal {args.signal} needs --benchmark: a column of the input files or a file"
        raise CliError(msg)
    frame = _read(args, progress)
    names = frame["ticker"].n_unique()
    if frame["signal"].drop_nulls().len() == 0:
        msg = f"--signal {args.signal} has no value on any row (is the history long enough?)"
        raise CliError(msg)
    progress.update(f"testing {args.signal} on {names} tickers")
    report = signal_report(
        frame.filter(pl.col("value").is_not_null() | pl.col("signal").is_not_null()),
        signal="signal",
        price="value",
        horizons=horizons,
        quantiles=args.quantiles,
    )
    rows = summary_rows(report)
    # Warned once the report stands, so an error stays the one line on stderr.
    if not args.files or names < THIN_CROSS_SECTION:
        progress.clear()
        where = "the bundled sample has" if not args.files else "the input has"
        sys.stderr.write(
            f"{args.prog}: warning: {where} {names} tickers, a thin cross-section: each "
            f"date's IC is a noisy estimate (a few hundred names make a steadier one)\n"
        )
    if args.plot is not None:
        progress.update("drawing the charts")
        from polars_alpha.signal_plot import signal_chart  # matplotlib is an optional extra

        signal_chart(report, title=f"{args.signal}: {names} tickers", path=args.plot)
    progress.clear()
    dates = report.ic["date"]
    header = (
        f"Signal {args.signal} on {names} tickers, {dates.min()!s} to {dates.max()!s}: "
        f"Spearman IC per date, {args.quantiles} quantiles"
    )
    if fmt == "table" and args.output is None:
        quantiles = report.quantile_returns.pivot(
            on="horizon", index="quantile", values="mean_return"
        ).rename(lambda c: c if c == "quantile" else f"h{c}")
        text = _text(rows, header) + "\n" + _text(quantiles, "Mean forward return by quantile")
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    if fmt == "table":
        if args.output is None:
            sys.stdout.write(_text(rows, header))
        else:
            Path(args.output).write_text(_text(rows, header), encoding="utf-8")
        return
    write(rows, fmt, header, args.output)
