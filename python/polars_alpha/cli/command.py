"""The ``screen`` command: its arguments, and the flow from inputs to the written result."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any, NoReturn

import polars as pl

from polars_alpha import __version__
from polars_alpha.cli.errors import EXIT_ERROR, CliError, first_line
from polars_alpha.cli.filters import parse_filter
from polars_alpha.cli.inputs import InputOptions, add_input_arguments, read_inputs
from polars_alpha.cli.render import (
    FORMATS,
    Progress,
    check_plot,
    draw_charts,
    output_format,
    write,
)
from polars_alpha.cli.report import add_report_parser, run_report
from polars_alpha.cli.signal import add_signal_parser, run_signal
from polars_alpha.screen import SCREEN_COLUMNS, default_min_periods, screen, selection

__all__ = ["PROG", "build_parser", "main"]

PROG = "polars-alpha"

DESCRIPTION = """\
Screen a market: each ticker's CAPM alpha and beta on the trailing window, R², residual
volatility, weighted alpha (momentum), and each measure's rank and z-score across tickers,
as of one date. With no FILE, screens the bundled sample: 20 large US stocks against the
S&P 500, with the 3-month Treasury bill as the risk-free rate (1990-2022)."""

EPILOG = """\
examples:
  polars-alpha screen
      the bundled sample, as of its last date with a risk-free rate (2017-03-29)
  polars-alpha screen --no-risk-free --as-of 2022-12-28 --top 5
      the bundled sample on its last day, without a risk-free rate
  polars-alpha screen prices.csv --benchmark SPY
      a wide CSV: a date column and one price column per ticker, SPY among them
  polars-alpha screen AAPL.csv MSFT.csv XOM.csv --benchmark SPY.csv
      one file per ticker (date + OHLCV columns, named after the ticker), a benchmark file
  polars-alpha screen stocks.parquet --benchmark index.parquet \\
      --risk-free tbill.csv --annual-risk-free
      a long Parquet file (date, ticker, close) and an annual Treasury yield
  polars-alpha screen --filter 'alpha_ann>0' --filter '0.8<=beta<=1.2' --sort-by alpha_t
      the "high alpha, moderate beta" profile, most significant alpha first
  polars-alpha screen --format csv --output screen.csv --plot screen.png

input files (CSV, CSV.gz or Parquet; several files are combined):
  long         a date column, a ticker (or symbol) column and one value column
  wide         a date column and one column per ticker
  one ticker   a date column and open/high/low/close/adj close/volume columns; the file
               name is the ticker (AAPL.csv -> AAPL) and adj close (else close) the price
  A wide file's empty cells before a ticker's first value or after its last are no rows
  (a delisted ticker is not screened on a later date). Empty cells and "." (as in FRED's
  files) are missing values.
  Each ticker's values are prices if all are positive, returns if some are zero or
  negative and they do not move like prices; prices with a zero or negative value are an
  error naming the ticker and the date. Force with --kind.
  Dates are ISO (2024-01-31) or YYYYMMDD integers, or as --date-format says (%m/%d/%Y);
  the date column is the first one named date, datetime, timestamp, time or day, else
  the first column.

benchmark and risk-free:
  --benchmark is a column of the input files (it is not screened) or a file of a date
  and one value column. --risk-free is a column, a file, or a number: a per-period rate
  in decimals (0.0001 is 1 bp a day) unless --annual-risk-free converts annual yields
  with (1 + y) ** (1 / periods_per_year) - 1; --percent-risk-free reads percents (FRED's
  DTB3: 5.03 for 5.03%). A per-period rate above 1% a day (scaled to the data's own
  frequency, at most 5% a period) or an annual yield above 1 is an error that names the
  flag that fixes it. A date on which stocks trade and the rate has no quote takes the
  last earlier quote (--no-fill-risk-free leaves it out); after the last quote, rows
  have no rate and are left out of the fits, and the default as-of date is the last one
  with both a benchmark return and a risk-free rate.

filters (repeatable; all must hold): a SQL condition on the output columns, as Polars'
  pl.sql_expr reads it, where comparisons may be chained as in '0.8<=beta<=1.2', e.g.
  'alpha_ann>0', 'r2>=0.2', 'weighted_alpha_rank<=5', 'beta BETWEEN 0.8 AND 1.2',
  'alpha_t > 2 OR r2 > 0.5', "ticker IN ('AAPL', 'MSFT')". Ranks and z-scores are taken
  across all screened tickers before the filters.

output columns: date, ticker, alpha (per period), alpha_ann ((1 + alpha)^P - 1), beta, r2,
  resid_std (per period), alpha_t, n (rows in the fit), weighted_alpha (%), and for alpha,
  beta, r2, resid_std, alpha_t and weighted_alpha a _rank (1 = largest) and a _z column.
  The table shows a selection; csv, json and parquet hold them all. With --output the
  format follows the file's extension (.csv, .json, .parquet, or .txt for the table).
  Tickers left out (too little history, no row on the as-of date) are listed on stderr.

Errors are one line on stderr and exit with status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        raise SystemExit(EXIT_ERROR)


def build_parser(prog: str) -> argparse.ArgumentParser:
    """The command's arguments; ``prog`` is how the command was called, for messages."""
    parser = _Parser(
        prog=prog,
        description=(
            "Alpha and beta for whole markets. Run `screen --help` for the screen, "
            "`report --help` for the strategy report, `signal --help` to test a signal."
        ),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {__version__}",
        help="print the version of polars-alpha and exit",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    screen_command = commands.add_parser(
        "screen",
        help="screen a market (the bundled S&P 500 sample when no FILE is given)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = screen_command.add_argument
    add("files", nargs="*", metavar="FILE", help="CSV or Parquet files of prices or returns")
    data = screen_command.add_argument_group("inputs")
    add_input_arguments(data, kind_help="prices or returns (default: auto, per ticker; see below)")
    fit = screen_command.add_argument_group("fit")
    fit.add_argument(
        "--window", type=int, default=252, metavar="N", help="rows per fit (default 252)"
    )
    fit.add_argument(
        "--min-periods", type=int, metavar="N", help="usable rows a fit needs (default 80%%)"
    )
    fit.add_argument(
        "--periods-per-year",
        type=float,
        default=252.0,
        metavar="P",
        help="for annualizing: 252 daily, 52 weekly, 12 monthly (default 252)",
    )
    fit.add_argument("--as-of", metavar="DATE", help="screening date, YYYY-MM-DD (default: last)")
    select = screen_command.add_argument_group("selection")
    select.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="EXPR",
        dest="filters",
        help="a condition such as 'alpha_ann>0' or '0.8<=beta<=1.2' (repeatable)",
    )
    select.add_argument(
        "--min-alpha", type=float, metavar="A", help="keep annualized alpha >= A (e.g. 0)"
    )
    select.add_argument(
        "--beta-between",
        type=float,
        nargs=2,
        metavar=("LOW", "HIGH"),
        help="keep beta in [LOW, HIGH] (e.g. 0.8 1.2)",
    )
    select.add_argument(
        "--sort-by", default="alpha_ann", metavar="COL", help="sort column (default alpha_ann)"
    )
    select.add_argument("--ascending", action="store_true", help="smallest first")
    select.add_argument(
        "--top", type=int, default=20, metavar="N", help="rows to keep (default 20; 0 for all)"
    )
    out = screen_command.add_argument_group("output")
    out.add_argument(
        "--format",
        choices=FORMATS,
        help="table (default), csv, parquet or json; with --output, its extension decides",
    )
    out.add_argument(
        "--output",
        "-o",
        metavar="PATH",
        help="write here instead of stdout; the format follows the extension: .csv, .parquet, "
        ".json, or .txt for the table",
    )
    out.add_argument(
        "--plot",
        metavar="PATH.png",
        help="also draw the charts to this file: .png, .svg or .pdf (from the extension)",
    )
    screen_command.add_argument("--traceback", action="store_true", help=argparse.SUPPRESS)
    add_report_parser(commands)
    add_signal_parser(commands)
    return parser


def _as_of(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        msg = f"cannot parse --as-of {text!r}: use a date such as 2017-03-29"
        raise CliError(msg) from None


def _input_options(args: argparse.Namespace) -> InputOptions:
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
        periods_per_year=args.periods_per_year,
    )


def _run_screen(args: argparse.Namespace, progress: Progress) -> None:
    # The options are checked before any file is read, so a typo fails at once.
    as_of = _as_of(args.as_of)
    if args.top < 0:
        msg = f"--top must be 0 (all) or a positive number, got {args.top}"
        raise CliError(msg)
    filters = [parse_filter(f) for f in args.filters]
    allowed = ("date", "ticker", *SCREEN_COLUMNS)
    if args.sort_by not in allowed:
        msg = f"unknown column {args.sort_by!r} (--sort-by); the columns are: {', '.join(allowed)}"
        raise CliError(msg)
    fmt = output_format(args.format, args.output)
    if args.plot is not None:
        check_plot(args.plot)
    inputs = read_inputs(_input_options(args), progress)
    progress.update(f"screening {inputs.frame.get_column('ticker').n_unique()} tickers")
    # The arguments screen() shares with fit_history(), so the charts show the screen's fits.
    fit_options: dict[str, Any] = {
        "benchmark": inputs.benchmark,
        "risk_free": inputs.risk_free,
        "window": args.window,
        "min_periods": args.min_periods,
        "periods_per_year": args.periods_per_year,
        "kind": args.kind,
        "value": "value",
        "fill_risk_free": not args.no_fill_risk_free,
    }
    everyone = screen(inputs.frame, **fit_options, as_of=as_of)
    if everyone.height == 0:
        _check_window(args, inputs.frame, as_of)
        raise CliError(_no_fit(args, inputs.frame, as_of))
    # Ranks and z-scores are taken before the filters, so selecting from the whole screen
    # gives what screen() with the filters gives.
    result = selection(
        everyone,
        min_alpha=args.min_alpha,
        beta_between=tuple(args.beta_between) if args.beta_between else None,
        filters=filters,
        sort_by=args.sort_by,
        descending=not args.ascending,
        top=args.top or None,
    )
    if result.height == 0:
        msg = (
            f"no ticker passes the filters ({everyone.height} screened as of "
            f"{everyone.get_column('date')[0]!s}); loosen --filter, --min-alpha or "
            "--beta-between"
        )
        raise CliError(msg)
    date = result.get_column("date")[0]
    _note_left_out(args, progress, inputs.frame, everyone, date)
    if as_of is not None and date is not None and str(date)[:10] != as_of.isoformat():
        progress.clear()
        sys.stderr.write(
            f"{args.prog}: note: screening as of {date!s}, the last date on or before {as_of} with "
            "a benchmark return" + (" and a risk-free rate" if inputs.risk_free_name else "") + "\n"
        )
    rf_note = (
        f", risk-free rate {inputs.risk_free_name}"
        if inputs.risk_free_name
        else ", no risk-free rate"
    )
    order = "ascending" if args.ascending else "descending"
    header = (
        f"Screen as of {date!s}: {result.height} tickers by {args.sort_by} ({order})\n"
        f"CAPM fits over {args.window} rows against {inputs.benchmark_name}{rf_note}"
    )
    if args.plot is not None:
        progress.update("drawing the charts")
        draw_charts(args.plot, inputs.frame, result, date, fit_options)
    progress.clear()
    write(result, fmt, header, args.output)


def _rows_per_ticker(frame: pl.DataFrame, as_of: dt.date | None) -> pl.DataFrame:
    """``ticker, rows, first, last``: each ticker's rows with a value, up to ``as_of``."""
    rows = frame.filter(pl.col("value").is_not_null())
    if as_of is not None:
        rows = rows.filter(pl.col("date").cast(pl.Date) <= as_of)
    return rows.group_by("ticker").agg(
        rows=pl.len(), first=pl.col("date").min(), last=pl.col("date").max()
    )


def _check_window(args: argparse.Namespace, frame: pl.DataFrame, as_of: dt.date | None) -> None:
    """A window longer than every ticker's history fails with the number of rows there are."""
    if args.window < 2:
        return  # screen() says what a window must be
    counts = _rows_per_ticker(frame, as_of)
    most = int(counts.select(pl.col("rows").max()).item() or 0)
    if args.window <= most:
        return
    where = f" up to {as_of}" if as_of is not None else ""
    first = counts.get_column("first").min()
    last = counts.get_column("last").max()
    span = f" ({first!s} to {last!s})" if most else ""
    msg = (
        f"--window {args.window} is longer than the data: the longest history{where} has "
        f"{most} rows{span}; use --window {max(2, most - 1)} or less"
    )
    raise CliError(msg)


def _no_fit(args: argparse.Namespace, frame: pl.DataFrame, as_of: dt.date | None) -> str:
    """Why no ticker has a fit: what a fit needs, and the rows there are."""
    least = args.min_periods or default_min_periods(args.window)
    counts = _rows_per_ticker(frame, as_of)
    most = int(counts.select(pl.col("rows").max()).item() or 0)
    where = f" up to {as_of}" if as_of is not None else ""
    return (
        f"no ticker has a fit on the as-of date: a fit needs {least} usable rows "
        f"(--min-periods) of the last {args.window} (--window) and a benchmark that moves, "
        f"and the longest history{where} has {most} rows"
    )


def _note_left_out(
    args: argparse.Namespace,
    progress: Progress,
    frame: pl.DataFrame,
    everyone: pl.DataFrame,
    date: object,
) -> None:
    """List on stderr the tickers the screen left out, and why."""
    screened = everyone.get_column("ticker").unique().implode()
    tickers = frame.select(pl.col("ticker").unique()).filter(~pl.col("ticker").is_in(screened))
    if tickers.height == 0:
        return
    on_date = frame.filter(pl.col("date") == date, pl.col("value").is_not_null())
    present = on_date.get_column("ticker").unique().implode()
    left = tickers.with_columns(present=pl.col("ticker").is_in(present)).sort("ticker")
    least = args.min_periods or default_min_periods(args.window)
    short = left.filter(pl.col("present")).get_column("ticker").to_list()
    absent = left.filter(~pl.col("present")).get_column("ticker").to_list()
    progress.clear()
    if short:
        sys.stderr.write(
            f"{args.prog}: note: {len(short)} ticker(s) left out, too little history for a fit "
            f"on {date!s} (fewer than {least} usable rows of the last {args.window}): "
            f"{', '.join(map(str, short))}\n"
        )
    if absent:
        sys.stderr.write(
            f"{args.prog}: note: {len(absent)} ticker(s) left out, no price or return on "
            f"{date!s}: {', '.join(map(str, absent))}\n"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``polars-alpha`` command.

    Parameters
    ----------
    argv
        The arguments after the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status: 0 on success, 2 for a user error (printed as one line on stderr).

    Notes
    -----
    ``python -m polars_alpha`` and the ``polars-alpha`` script both call this.

    Examples
    --------
    >>> from polars_alpha.cli import main
    >>> main(["screen", "--top", "3", "--format", "csv"])  # doctest: +ELLIPSIS
    date,ticker,alpha,alpha_ann,beta,...
    2017-03-29,AMD,...
    2017-03-29,BBY,...
    2017-03-29,BAC,...
    0
    """
    prog = PROG
    if argv is None and sys.argv and sys.argv[0].endswith("__main__.py"):
        prog = "python -m polars_alpha"
    parser = build_parser(prog)
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    args.prog = prog
    if args.command is None:
        sys.stderr.write(
            f"{prog}: error: choose a command: screen, report or signal (see {prog} --help)\n"
        )
        return EXIT_ERROR
    progress = Progress()
    try:
        if args.command == "report":
            run_report(args, progress)
        elif args.command == "signal":
            run_signal(args, progress)
        else:
            _run_screen(args, progress)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        progress.clear()
        return 130
    except (CliError, ValueError, TypeError, OSError, ImportError, pl.exceptions.PolarsError) as e:
        progress.clear()
        if args.traceback:
            traceback.print_exc()
        sys.stderr.write(f"{prog}: error: {first_line(e)}\n")
        return EXIT_ERROR
    return 0
