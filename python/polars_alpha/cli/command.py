"""The ``polars-alpha`` command: screen a market from CSV or Parquet files, or the bundled sample.

``polars-alpha screen`` (or ``python -m polars_alpha screen``) reads prices or returns, fits each
ticker's CAPM regression on the trailing window, and prints one row per ticker. See
``polars-alpha screen --help``. Errors are one line on stderr with exit code 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import math
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, NoReturn

import polars as pl

from polars_alpha.datasets import load_sp500_sample
from polars_alpha.screen import SCREEN_COLUMNS, fit_history, screen

__all__ = ["CliError", "main", "parse_filter"]

EXIT_ERROR = 2
PROG = "polars-alpha"

#: Columns the ``table`` format prints (every column goes to csv, json and parquet).
TABLE_COLUMNS = (
    "ticker",
    "alpha_ann",
    "alpha_t",
    "beta",
    "r2",
    "resid_std",
    "weighted_alpha",
    "alpha_z",
    "n",
)
FORMATS = ("table", "csv", "parquet", "json")
_DATE_NAMES = ("date", "datetime", "timestamp", "time", "day")
_TICKER_NAMES = ("ticker", "symbol")
_OHLCV = {"open", "high", "low", "close", "adj close", "adj_close", "adjclose", "volume"}

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
  Values are prices unless some are zero or negative (returns); force with --kind.
  Dates are ISO (2024-01-31) or YYYYMMDD integers; the date column is the first one
  named date, datetime, timestamp, time or day, else the first column.

benchmark and risk-free:
  --benchmark is a column of the input files (it is not screened) or a file of a date
  and one value column. --risk-free is a column, a file, or a number: a per-period rate
  in decimals (0.0001 is 1 bp a day) unless --annual-risk-free converts annual yields
  with (1 + y) ** (1 / periods_per_year) - 1. Rows without a risk-free rate are left
  out of the fits, and the default as-of date is the last one with both a benchmark
  return and a risk-free rate.

filters (repeatable; all must hold): COLUMN OP NUMBER or LOW <= COLUMN <= HIGH, with OP
  one of > >= < <= == !=, on any output column, e.g. 'alpha_ann>0', 'r2>=0.2',
  '0.8<=beta<=1.2', 'weighted_alpha_rank<=5'. Ranks and z-scores are taken across all
  screened tickers before the filters.

output columns: date, ticker, alpha (per period), alpha_ann ((1 + alpha)^P - 1), beta, r2,
  resid_std (per period), alpha_t, n (rows in the fit), weighted_alpha (%), and for alpha,
  beta, r2, resid_std, alpha_t and weighted_alpha a _rank (1 = largest) and a _z column.
  The table shows a selection; csv, json and parquet hold them all.

Errors are one line on stderr and exit with status 2."""


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        raise SystemExit(EXIT_ERROR)


class Progress:
    """A one-line progress indicator on stderr, drawn only when stderr is a terminal.

    Never writes to stdout, so machine-readable output stays clean, and writes nothing at
    all when stderr is redirected or piped.
    """

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(isatty and isatty())
        self._width = 0

    def update(self, message: str, done: int | None = None, total: int | None = None) -> None:
        """Show ``message``, with a bar when ``done`` of ``total`` steps are finished."""
        if not self.enabled:
            return
        if done is not None and total:
            filled = round(20 * done / total)
            message = f"[{'#' * filled}{'.' * (20 - filled)}] {done}/{total} {message}"
        line = message[:100]
        self.stream.write("\r" + line.ljust(self._width))
        self.stream.flush()
        self._width = len(line)

    def clear(self) -> None:
        """Erase the line, before the results or an error are printed."""
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0


_FILTER_OP = r"(>=|<=|==|!=|>|<)"
_NUMBER = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
_COLUMN = r"([A-Za-z_][A-Za-z0-9_]*)"
_SIMPLE = re.compile(rf"^\s*{_COLUMN}\s*{_FILTER_OP}\s*{_NUMBER}\s*$")
_RANGE = re.compile(rf"^\s*{_NUMBER}\s*(<=|<)\s*{_COLUMN}\s*(<=|<)\s*{_NUMBER}\s*$")
_OPS: dict[str, Callable[[pl.Expr, float], pl.Expr]] = {
    ">": lambda c, v: c > v,
    ">=": lambda c, v: c >= v,
    "<": lambda c, v: c < v,
    "<=": lambda c, v: c <= v,
    "==": lambda c, v: c == v,
    "!=": lambda c, v: c != v,
}


def parse_filter(text: str, columns: Sequence[str] = SCREEN_COLUMNS) -> pl.Expr:
    """Turn a ``--filter`` string such as ``"alpha_ann>0"`` into a Polars expression.

    Parameters
    ----------
    text
        ``COLUMN OP NUMBER`` (OP one of ``> >= < <= == !=``) or ``LOW <= COLUMN <= HIGH``
        (``<`` allowed on either side).
    columns
        The columns a filter may name.

    Returns
    -------
    pl.Expr
        A boolean expression.

    Notes
    -----
    Raises :class:`CliError` for text that is not a filter or names an unknown column.

    Examples
    --------
    >>> import polars as pl
    >>> from polars_alpha.cli import parse_filter
    >>> df = pl.DataFrame({"beta": [0.7, 0.9, 1.2, 1.3], "alpha_ann": [0.1, -0.1, 0.2, 0.3]})
    >>> df.filter(parse_filter("0.8 <= beta <= 1.2"), parse_filter("alpha_ann>0"))
    shape: (1, 2)
    ┌──────┬───────────┐
    │ beta ┆ alpha_ann │
    │ ---  ┆ ---       │
    │ f64  ┆ f64       │
    ╞══════╪═══════════╡
    │ 1.2  ┆ 0.2       │
    └──────┴───────────┘
    """
    simple = _SIMPLE.match(text)
    ranged = _RANGE.match(text)
    if simple:
        name, op, number = simple.groups()
        conditions = [(name, op, float(number))]
    elif ranged:
        low, low_op, name, high_op, high = ranged.groups()
        flipped = {"<": ">", "<=": ">="}
        conditions = [(name, flipped[low_op], float(low)), (name, high_op, float(high))]
    else:
        msg = (
            f"cannot read --filter {text!r}: write COLUMN OP NUMBER or LOW<=COLUMN<=HIGH, "
            "e.g. 'alpha_ann>0' or '0.8<=beta<=1.2'"
        )
        raise CliError(msg)
    if name not in columns:
        msg = f"unknown column {name!r} in --filter {text!r}; the columns are: {', '.join(columns)}"
        raise CliError(msg)
    exprs = [_OPS[op](pl.col(column), value) for column, op, value in conditions]
    combined: pl.Expr = exprs[0] if len(exprs) == 1 else exprs[0] & exprs[1]
    return combined


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog,
        description="Alpha and beta for whole markets. Run `screen --help` for the screen.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    screen = commands.add_parser(
        "screen",
        help="screen a market (the bundled S&P 500 sample when no FILE is given)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = screen.add_argument
    add("files", nargs="*", metavar="FILE", help="CSV or Parquet files of prices or returns")
    data = screen.add_argument_group("inputs")
    data.add_argument("--benchmark", metavar="COL|FILE", help="benchmark column or file")
    data.add_argument(
        "--risk-free", metavar="COL|FILE|RATE", help="risk-free rate: column, file or number"
    )
    data.add_argument(
        "--annual-risk-free",
        action="store_true",
        help="the risk-free values are annual yields (decimals), converted to per-period",
    )
    data.add_argument(
        "--no-risk-free",
        action="store_true",
        help="no risk-free rate (the bundled sample's stops in 2017)",
    )
    data.add_argument("--date-column", metavar="COL", help="the date column (default: detect)")
    data.add_argument(
        "--ticker-column", metavar="COL", help="the ticker column of long files (ticker/symbol)"
    )
    data.add_argument(
        "--value-column", metavar="COL", help="the price or return column of long files"
    )
    data.add_argument(
        "--kind",
        choices=("auto", "prices", "returns"),
        default="auto",
        help="prices or returns (default: auto, returns when any value is <= 0)",
    )
    fit = screen.add_argument_group("fit")
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
    select = screen.add_argument_group("selection")
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
    out = screen.add_argument_group("output")
    out.add_argument(
        "--format",
        choices=FORMATS,
        help="table (default), csv, parquet or json; default from --output's suffix",
    )
    out.add_argument("--output", "-o", metavar="PATH", help="write here instead of stdout")
    out.add_argument("--plot", metavar="PATH.png", help="also draw the charts to this PNG")
    screen.add_argument("--traceback", action="store_true", help=argparse.SUPPRESS)
    return parser


# ---------------------------------------------------------------------------------------------
# Reading files


def _looks_like_file(value: str) -> bool:
    lowered = value.lower()
    return (
        os.sep in value
        or lowered.endswith((".csv", ".csv.gz", ".txt", ".tsv", ".parquet", ".pq"))
        or Path(value).exists()
    )


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".csv.gz", ".tsv.gz", ".txt.gz", ".csv", ".tsv", ".txt", ".parquet", ".pq"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _read_table(path: Path) -> pl.DataFrame:
    if not path.exists():
        msg = f"no such file: {path}"
        raise CliError(msg)
    if path.is_dir():
        msg = f"{path} is a directory; pass the CSV or Parquet files in it"
        raise CliError(msg)
    lowered = path.name.lower()
    try:
        if lowered.endswith((".parquet", ".pq")):
            return pl.read_parquet(path)
        separator = "\t" if ".tsv" in lowered else ","
        return pl.read_csv(
            path, try_parse_dates=True, separator=separator, infer_schema_length=10_000
        )
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        msg = f"cannot read {path}: {first}"
        raise CliError(msg) from None


def _find_column(
    frame: pl.DataFrame, wanted: str | None, defaults: Sequence[str], option: str, source: str
) -> str | None:
    """The column named ``wanted`` (case-insensitive), or the first of ``defaults``."""
    by_lower = {c.lower(): c for c in frame.columns}
    if wanted is not None:
        if wanted in frame.columns:
            return wanted
        if wanted.lower() in by_lower:
            return by_lower[wanted.lower()]
        msg = (
            f"unknown column {wanted!r} ({option}) in {source}; its columns are: "
            f"{', '.join(frame.columns)}"
        )
        raise CliError(msg)
    for name in defaults:
        if name in by_lower:
            return by_lower[name]
    return None


def _parse_dates(frame: pl.DataFrame, column: str, source: str) -> pl.DataFrame:
    """The date column as Date (or Datetime when it has times), renamed to ``date``."""
    series = frame.get_column(column)
    dtype = series.dtype
    if dtype == pl.Date:
        parsed = series
    elif isinstance(dtype, pl.Datetime):
        midnight = (series.dt.time() == dt.time(0)) | series.is_null()
        parsed = series.dt.date() if midnight.all() else series
    elif dtype.is_integer():
        parsed = series.cast(pl.String).str.to_date("%Y%m%d", strict=False)
    elif dtype == pl.String:
        parsed = series.str.to_date(strict=False)
        if parsed.null_count() > series.null_count():
            as_datetime = series.str.to_datetime(strict=False)
            if as_datetime.null_count() == series.null_count():
                parsed = as_datetime
    else:
        msg = (
            f"{source}: column {column!r} holds {dtype}, not dates; "
            "name the date column with --date-column"
        )
        raise CliError(msg)
    bad = series.is_not_null() & parsed.is_null()
    if bad.any():
        row = int(bad.arg_true()[0])
        msg = (
            f"{source}: cannot parse date {series[row]!r} in column {column!r} (data row "
            f"{row + 1}); use ISO dates such as 2024-01-31"
        )
        raise CliError(msg)
    return frame.with_columns(parsed.alias(column)).rename({column: "date"})


def _date_column(frame: pl.DataFrame, args: argparse.Namespace, source: str) -> str:
    found = _find_column(frame, args.date_column, _DATE_NAMES, "--date-column", source)
    if found is None:
        if not frame.columns:
            msg = f"{source} has no columns"
            raise CliError(msg)
        found = frame.columns[0]
    return found


def _not_numeric(frame: pl.DataFrame) -> str:
    """Which columns besides the date are not numbers, e.g. " ('close' is str)"."""
    schema = frame.schema
    others = [f"{c!r} is {t}" for c, t in schema.items() if c != "date" and not t.is_numeric()]
    if any(t == pl.String for c, t in schema.items() if c != "date"):
        others.append("a column without values is read as text")
    return f" ({'; '.join(others)})" if others else ""


def _one_series(frame: pl.DataFrame, what: str, source: str) -> pl.DataFrame:
    """A benchmark or risk-free file as ``date, value``: its only numeric column, or its
    adjusted close / close."""
    numeric = [c for c, t in frame.schema.items() if c != "date" and t.is_numeric()]
    if len(numeric) != 1:
        by_lower = {c.lower(): c for c in numeric}
        for name in ("adj close", "adj_close", "adjclose", "close"):
            if name in by_lower:
                numeric = [by_lower[name]]
                break
    if len(numeric) != 1:
        found = ", ".join(numeric) or "none" + _not_numeric(frame)
        msg = (
            f"the {what} file {source} must hold a date and one value column, found "
            f"{len(numeric)}: {found}"
        )
        raise CliError(msg)
    out = frame.select("date", pl.col(numeric[0]).cast(pl.Float64).alias(what))
    repeated = out.get_column("date").is_duplicated()
    if repeated.any():
        day = out.get_column("date").filter(repeated)[0]
        msg = f"the {what} file {source} has more than one row on {day!s}"
        raise CliError(msg)
    return out


class _Inputs:
    """The screen's inputs gathered from the files."""

    def __init__(self) -> None:
        self.parts: list[pl.DataFrame] = []
        self.benchmark_parts: list[pl.DataFrame] = []
        self.risk_free_parts: list[pl.DataFrame] = []
        self.columns_seen: list[str] = []


def _add_file(
    inputs: _Inputs,
    path: Path,
    args: argparse.Namespace,
    benchmark_column: str | None,
    risk_free_column: str | None,
) -> None:
    source = str(path)
    frame = _read_table(path)
    inputs.columns_seen.extend(c for c in frame.columns if c not in inputs.columns_seen)
    if frame.height == 0:
        msg = f"{source} has no data rows (only a header)"
        raise CliError(msg)
    frame = _parse_dates(frame, _date_column(frame, args, source), source)
    for column, parts, what in (
        (benchmark_column, inputs.benchmark_parts, "benchmark"),
        (risk_free_column, inputs.risk_free_parts, "risk_free"),
    ):
        if column is not None and column in frame.columns:
            if not frame.schema[column].is_numeric():
                msg = (
                    f"{source}: the {what} column {column!r} is {frame.schema[column]}, not numeric"
                )
                raise CliError(msg)
            series = frame.select("date", pl.col(column).cast(pl.Float64).alias(what))
            parts.append(series.unique("date", keep="first", maintain_order=True))
            frame = frame.drop(column)
    ticker = _find_column(frame, args.ticker_column, _TICKER_NAMES, "--ticker-column", source)
    if ticker is not None:
        numeric = [
            c for c, t in frame.schema.items() if c not in ("date", ticker) and t.is_numeric()
        ]
        if args.value_column is not None:
            value = _find_column(frame, args.value_column, (), "--value-column", source)
        elif len(numeric) == 1:
            value = numeric[0]
        else:
            by_lower = {c.lower(): c for c in numeric}
            value = next(
                (
                    by_lower[n]
                    for n in (
                        "adj close",
                        "adj_close",
                        "adjclose",
                        "close",
                        "price",
                        "ret",
                        "return",
                        "returns",
                    )
                    if n in by_lower
                ),
                None,
            )
            if value is None and not numeric:
                detail = _not_numeric(frame.drop(ticker))
                msg = f"{source}: no numeric price or return column{detail}"
                raise CliError(msg)
            if value is None:
                msg = (
                    f"{source}: cannot tell which column holds the prices or returns among "
                    f"{', '.join(numeric)}; name it with --value-column"
                )
                raise CliError(msg)
        assert value is not None
        if not frame.schema[value].is_numeric():
            msg = f"{source}: the value column {value!r} is {frame.schema[value]}, not numbers"
            raise CliError(msg)
        long = frame.select(
            "date",
            pl.col(ticker).cast(pl.String).alias("ticker"),
            pl.col(value).cast(pl.Float64).alias("value"),
        )
    else:
        values = [c for c in frame.columns if c != "date"]
        if not values:
            msg = f"{source} has no price or return columns besides the date"
            raise CliError(msg)
        lowered = {c.lower() for c in values}
        if lowered <= _OHLCV and lowered & {"close", "adj close", "adj_close", "adjclose"}:
            series = _one_series(
                frame.select("date", *values).drop([c for c in values if c.lower() == "volume"]),
                "value",
                source,
            )
            long = series.with_columns(ticker=pl.lit(_stem(path))).select("date", "ticker", "value")
        else:
            not_numeric = [c for c in values if not frame.schema[c].is_numeric()]
            if not_numeric:
                msg = (
                    f"{source}: column {not_numeric[0]!r} is {frame.schema[not_numeric[0]]}, "
                    "not prices; a wide file holds a date and one numeric column per ticker "
                    "(a long file needs a ticker or symbol column; see --ticker-column)"
                )
                raise CliError(msg)
            long = frame.with_columns(pl.col(values).cast(pl.Float64)).unpivot(
                index="date", variable_name="ticker", value_name="value"
            )
    inputs.parts.append(long)


def _series_option(value: str, what: str, args: argparse.Namespace) -> pl.DataFrame:
    """A benchmark or risk-free file given by path."""
    path = Path(value)
    frame = _read_table(path)
    frame = _parse_dates(frame, _date_column(frame, args, str(path)), str(path))
    return _one_series(frame, what, str(path))


def _common_dates(frames: list[pl.DataFrame]) -> list[pl.DataFrame]:
    """Date everywhere, unless some file has times of day: then Datetime everywhere."""
    if all(f.schema["date"] == pl.Date for f in frames):
        return frames
    return [f.with_columns(pl.col("date").cast(pl.Datetime("us"))) for f in frames]


def _gather(args: argparse.Namespace, progress: Progress) -> dict[str, Any]:
    """Read the inputs into screen() arguments."""
    if not args.files:
        progress.update("loading the bundled S&P 500 sample")
        sample = load_sp500_sample()
        stocks = sample.stocks.rename({"close": "value"})
        benchmark: pl.DataFrame | None = sample.index.rename({"sp500": "benchmark"})
        risk_free: pl.DataFrame | float | None = sample.risk_free.rename({"rf": "risk_free"})
        benchmark_name = "the S&P 500"
        risk_free_name = "the 3-month T-bill"
        if args.benchmark is not None:
            if not _looks_like_file(args.benchmark):
                msg = (
                    f"unknown column {args.benchmark!r} (--benchmark): with no input file "
                    "the bundled sample is screened; pass a benchmark file, or input files"
                )
                raise CliError(msg)
            benchmark = _series_option(args.benchmark, "benchmark", args)
            benchmark_name = _stem(Path(args.benchmark))
        if args.risk_free is not None:
            risk_free, risk_free_name = _risk_free_option(args)
        if args.no_risk_free:
            risk_free = None
        frames = _common_dates(
            [f for f in (stocks, benchmark, risk_free) if isinstance(f, pl.DataFrame)]
        )
        stocks = frames[0]
        if benchmark is not None:
            benchmark = frames[1]
        if isinstance(risk_free, pl.DataFrame):
            risk_free = frames[-1]
        return _screen_inputs(args, stocks, benchmark, risk_free, benchmark_name, risk_free_name)

    if args.benchmark is None:
        msg = (
            "--benchmark is required with input files: the name of a column (e.g. SPY) or a "
            "file of the benchmark's prices or returns"
        )
        raise CliError(msg)
    benchmark_column = None if _looks_like_file(args.benchmark) else args.benchmark
    risk_free_column = None
    if (
        args.risk_free is not None
        and not args.no_risk_free
        and not _looks_like_file(args.risk_free)
        and _number(args.risk_free) is None
    ):
        risk_free_column = args.risk_free
    inputs = _Inputs()
    paths = [Path(f) for f in args.files]
    for path in paths:  # fail on a missing file before reading any
        if not path.exists():
            msg = f"no such file: {path}"
            raise CliError(msg)
    for i, path in enumerate(paths):
        progress.update(f"reading {path.name}", i, len(paths))
        _add_file(inputs, path, args, benchmark_column, risk_free_column)
    progress.update("reading done", len(paths), len(paths))

    if benchmark_column is not None:
        if not inputs.benchmark_parts:
            msg = (
                f"unknown column {benchmark_column!r} (--benchmark): no input file has it, and "
                f"it is not a file; the columns are: {', '.join(inputs.columns_seen)}"
            )
            raise CliError(msg)
        benchmark = pl.concat(inputs.benchmark_parts, how="vertical_relaxed").unique(
            "date", keep="first", maintain_order=True
        )
    else:
        benchmark = _series_option(args.benchmark, "benchmark", args)
    risk_free = None
    risk_free_name = ""
    if args.risk_free is not None and not args.no_risk_free:
        if risk_free_column is not None:
            if not inputs.risk_free_parts:
                msg = (
                    f"unknown column {risk_free_column!r} (--risk-free): no input file has it, "
                    f"and it is not a file or a number; the columns are: "
                    f"{', '.join(inputs.columns_seen)}"
                )
                raise CliError(msg)
            risk_free = pl.concat(inputs.risk_free_parts, how="vertical_relaxed").unique(
                "date", keep="first", maintain_order=True
            )
            risk_free_name = risk_free_column
            if args.annual_risk_free:
                risk_free = risk_free.with_columns(_annual_to_period(pl.col("risk_free"), args))
        else:
            risk_free, risk_free_name = _risk_free_option(args)
    if not inputs.parts:
        msg = "no prices or returns in the input files"
        raise CliError(msg)
    frames = _common_dates(
        [
            pl.concat(inputs.parts, how="vertical_relaxed"),
            benchmark,
            *([risk_free] if isinstance(risk_free, pl.DataFrame) else []),
        ]
    )
    stocks = frames[0]
    benchmark = frames[1]
    if isinstance(risk_free, pl.DataFrame):
        risk_free = frames[2]
    name = benchmark_column or _stem(Path(args.benchmark))
    return _screen_inputs(args, stocks, benchmark, risk_free, name, risk_free_name)


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _annual_to_period(expr: pl.Expr, args: argparse.Namespace) -> pl.Expr:
    periods = float(args.periods_per_year)
    return ((1.0 + expr).pow(1.0 / periods) - 1.0).alias("risk_free")


def _risk_free_option(args: argparse.Namespace) -> tuple[pl.DataFrame | float, str]:
    """--risk-free as a number or a file (columns are handled with the input files)."""
    text: str = args.risk_free
    number = _number(text)
    if number is not None:
        if args.annual_risk_free:
            number = (1.0 + number) ** (1.0 / args.periods_per_year) - 1.0
        return number, f"{number:g} per period"
    if not _looks_like_file(text):
        msg = (
            f"unknown column {text!r} (--risk-free): with no input file the bundled sample is "
            "screened; pass a risk-free file or a number"
        )
        raise CliError(msg)
    frame = _series_option(text, "risk_free", args)
    if args.annual_risk_free:
        frame = frame.with_columns(_annual_to_period(pl.col("risk_free"), args))
    return frame, _stem(Path(text))


def _screen_inputs(
    args: argparse.Namespace,
    stocks: pl.DataFrame,
    benchmark: pl.DataFrame | None,
    risk_free: pl.DataFrame | float | None,
    benchmark_name: str,
    risk_free_name: str,
) -> dict[str, Any]:
    return {
        "frame": stocks,
        "benchmark": benchmark,
        "risk_free": risk_free,
        "benchmark_name": benchmark_name,
        "risk_free_name": risk_free_name if risk_free is not None else "",
    }


# ---------------------------------------------------------------------------------------------
# Running the screen and writing the result


def _as_of(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        msg = f"cannot parse --as-of {text!r}: use a date such as 2017-03-29"
        raise CliError(msg) from None


def _output_format(args: argparse.Namespace) -> str:
    if args.format is not None:
        return str(args.format)
    if args.output is not None:
        suffix = Path(args.output).suffix.lower()
        return {".csv": "csv", ".json": "json", ".parquet": "parquet", ".pq": "parquet"}.get(
            suffix, "table"
        )
    return "table"


#: Decimals of each float column in the table.
_DECIMALS = {"alpha_t": 2, "resid_std": 4, "weighted_alpha": 1, "alpha_z": 2}


def _table(result: pl.DataFrame, header: str) -> str:
    shown = [c for c in TABLE_COLUMNS if c in result.columns]
    table = result.select(shown).with_columns(
        pl.col(c).round(_DECIMALS.get(c, 3))
        for c, t in result.select(shown).schema.items()
        if t == pl.Float64
    )
    with pl.Config(
        tbl_rows=-1,
        tbl_cols=-1,
        tbl_hide_dataframe_shape=True,
        tbl_width_chars=200,
        float_precision=None,
    ):
        return f"{header}\n{table}\n"


def _write(result: pl.DataFrame, fmt: str, header: str, output: str | None) -> None:
    if fmt == "parquet":
        buffer = io.BytesIO()
        result.write_parquet(buffer)
        data = buffer.getvalue()
        if output is None:
            if sys.stdout.isatty():
                msg = "parquet is binary: write it to a file with --output PATH.parquet"
                raise CliError(msg)
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            Path(output).write_bytes(data)
        return
    if fmt == "csv":
        text = result.write_csv()
    elif fmt == "json":
        text = result.write_json() + "\n"
    else:
        text = _table(result, header)
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        Path(output).write_text(text, encoding="utf-8")


def _run_screen(args: argparse.Namespace, progress: Progress) -> None:
    as_of = _as_of(args.as_of)
    if args.top < 0:
        msg = f"--top must be 0 (all) or a positive number, got {args.top}"
        raise CliError(msg)
    filters = [parse_filter(f) for f in args.filters]
    allowed = ("date", "ticker", *SCREEN_COLUMNS)
    if args.sort_by not in allowed:
        msg = f"unknown column {args.sort_by!r} (--sort-by); the columns are: {', '.join(allowed)}"
        raise CliError(msg)
    fmt = _output_format(args)
    if args.plot is not None:
        _matplotlib_available()  # fail before the work if the charts cannot be drawn
    inputs = _gather(args, progress)
    progress.update(f"screening {inputs['frame'].get_column('ticker').n_unique()} tickers")
    options: dict[str, Any] = {
        "benchmark": inputs["benchmark"],
        "risk_free": inputs["risk_free"],
        "as_of": as_of,
        "window": args.window,
        "min_periods": args.min_periods,
        "periods_per_year": args.periods_per_year,
        "kind": args.kind,
        "value": "value",
    }
    result = screen(
        inputs["frame"],
        **options,
        min_alpha=args.min_alpha,
        beta_between=tuple(args.beta_between) if args.beta_between else None,
        filters=filters,
        sort_by=args.sort_by,
        descending=not args.ascending,
        top=args.top or None,
    )
    if result.height == 0:
        everyone = screen(inputs["frame"], **options)
        if everyone.height == 0:
            msg = "no ticker has a fit on the as-of date: too few usable rows in the window"
        else:
            msg = (
                f"no ticker passes the filters ({everyone.height} screened as of "
                f"{everyone.get_column('date')[0]!s}); loosen --filter, --min-alpha or "
                "--beta-between"
            )
        raise CliError(msg)
    date = result.get_column("date")[0]
    if as_of is not None and date is not None and str(date)[:10] != as_of.isoformat():
        progress.clear()
        sys.stderr.write(
            f"{args.prog}: note: screening as of {date!s}, the last date on or before {as_of} with "
            "a benchmark return"
            + (" and a risk-free rate" if inputs["risk_free_name"] else "")
            + "\n"
        )
    rf_note = (
        f", risk-free rate {inputs['risk_free_name']}"
        if inputs["risk_free_name"]
        else ", no risk-free rate"
    )
    order = "ascending" if args.ascending else "descending"
    header = (
        f"Screen as of {date!s}: {result.height} tickers by {args.sort_by} ({order})\n"
        f"CAPM fits over {args.window} rows against {inputs['benchmark_name']}{rf_note}"
    )
    if args.plot is not None:
        progress.update("drawing the charts")
        _draw(args, inputs, options, result, date)
    progress.clear()
    _write(result, fmt, header, args.output)


def _matplotlib_available() -> None:
    try:
        __import__("matplotlib")
    except ImportError:
        msg = 'drawing --plot needs matplotlib: pip install "polars-alpha[plot]"'
        raise CliError(msg) from None


def _draw(
    args: argparse.Namespace,
    inputs: dict[str, Any],
    options: dict[str, Any],
    result: pl.DataFrame,
    date: Any,
) -> None:
    from polars_alpha.plot import screen_report

    top = [str(t) for t in result.get_column("ticker").head(5)]
    end = date if isinstance(date, dt.date) else None
    start = None
    if isinstance(end, dt.date):
        start = dt.date(end.year - 5, end.month, min(end.day, 28))
    fits = fit_history(
        inputs["frame"],
        benchmark=options["benchmark"],
        risk_free=options["risk_free"],
        tickers=top,
        start=start,
        end=end,
        window=options["window"],
        min_periods=options["min_periods"],
        periods_per_year=options["periods_per_year"],
        kind=options["kind"],
        value="value",
    )
    screen_report(result, fits, top, path=args.plot)


def _one_line(error: BaseException) -> str:
    text = str(error).strip()
    if not text:
        return type(error).__name__
    return text.splitlines()[0]


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
    parser = _parser(prog)
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    args.prog = prog
    if args.command is None:
        sys.stderr.write(f"{prog}: error: choose a command: screen (see {prog} --help)\n")
        return EXIT_ERROR
    progress = Progress()
    try:
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
        sys.stderr.write(f"{prog}: error: {_one_line(e)}\n")
        return EXIT_ERROR
    return 0
