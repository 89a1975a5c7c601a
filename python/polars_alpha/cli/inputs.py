"""Reading the command's inputs: CSV or Parquet files in long, wide or one-ticker form, a
benchmark and a risk-free rate given as columns, files or a number, or the bundled sample."""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from polars_alpha import _validate
from polars_alpha.cli.errors import CliError, first_line
from polars_alpha.cli.render import Progress
from polars_alpha.datasets import load_sp500_sample

__all__ = ["InputOptions", "ScreenInputs", "add_input_arguments", "read_inputs"]

_DATE_NAMES = ("date", "datetime", "timestamp", "time", "day")
_TICKER_NAMES = ("ticker", "symbol")
_OHLCV = {"open", "high", "low", "close", "adj close", "adj_close", "adjclose", "volume"}


@dataclass(frozen=True)
class InputOptions:
    """The command-line options that say what to read and how."""

    files: Sequence[str]
    benchmark: str | None
    risk_free: str | None
    annual_risk_free: bool
    no_risk_free: bool
    date_column: str | None
    ticker_column: str | None
    value_column: str | None
    periods_per_year: float
    percent_risk_free: bool = False
    date_format: str | None = None


@dataclass(frozen=True)
class ScreenInputs:
    """What was read: the long frame (date, ticker, value), the benchmark (date, benchmark),
    the risk-free rate (date, risk_free, or a per-period number) and their names for the
    header."""

    frame: pl.DataFrame
    benchmark: pl.DataFrame
    risk_free: pl.DataFrame | float | None
    benchmark_name: str
    risk_free_name: str


def add_input_arguments(
    data: argparse._ArgumentGroup,
    *,
    value_help: str = "the price or return column of long files",
    risk_free: bool = True,
    kind_help: str | None = None,
) -> None:
    """The input options the commands share, added to the argument group `data`: the
    benchmark, the risk-free rate and its units (with `risk_free`), the columns and date
    format of the files, and `--kind` (with `kind_help`)."""
    data.add_argument("--benchmark", metavar="COL|FILE", help="benchmark column or file")
    if risk_free:
        data.add_argument(
            "--risk-free", metavar="COL|FILE|RATE", help="risk-free rate: column, file or number"
        )
        data.add_argument(
            "--annual-risk-free",
            action="store_true",
            help="the risk-free values are annual yields (decimals), converted to per-period",
        )
        data.add_argument(
            "--percent-risk-free",
            action="store_true",
            help="the risk-free values are in percent (5.03 for 5.03%%, as FRED's yields)",
        )
        data.add_argument(
            "--no-fill-risk-free",
            action="store_true",
            help="leave a risk-free rate missing on a trading date out (default: the last quote)",
        )
        data.add_argument(
            "--no-risk-free",
            action="store_true",
            help="no risk-free rate (the bundled sample's stops in 2017)",
        )
    data.add_argument("--date-column", metavar="COL", help="the date column (default: detect)")
    data.add_argument(
        "--date-format",
        metavar="FMT",
        help="how the dates are written, e.g. %%m/%%d/%%Y (default: ISO or YYYYMMDD)",
    )
    data.add_argument(
        "--ticker-column", metavar="COL", help="the ticker column of long files (ticker/symbol)"
    )
    data.add_argument("--value-column", metavar="COL", help=value_help)
    if kind_help is not None:
        data.add_argument(
            "--kind", choices=("auto", "prices", "returns"), default="auto", help=kind_help
        )


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


#: Cells read as missing, besides empty ones: FRED's files mark a missing value with ".".
NULL_VALUES = (".",)


def _read_table(path: Path, *, parse_dates: bool = True) -> pl.DataFrame:
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
            path,
            try_parse_dates=parse_dates,
            separator=separator,
            infer_schema_length=10_000,
            null_values=list(NULL_VALUES),
        )
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        msg = f"cannot read {path}: {first_line(error)}"
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


def _with_format(series: pl.Series, fmt: str) -> pl.Series:
    """Text or integer dates read with a strftime format (Datetime when it has times)."""
    text = series.cast(pl.String)
    has_time = any(f"%{c}" in fmt for c in "HIMSfTRcsz")
    try:
        if has_time:
            return text.str.to_datetime(fmt, strict=False)
        return text.str.to_date(fmt, strict=False)
    except pl.exceptions.PolarsError as error:
        msg = f"--date-format {fmt!r} is not a date format: {first_line(error)}"
        raise CliError(msg) from None


def _default_dates(series: pl.Series) -> pl.Series:
    """Dates as the command reads them without --date-format: Date as it is, a Datetime of
    midnights as Date, YYYYMMDD integers, ISO text (null where a value does not parse)."""
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
        parsed = pl.Series(series.name, [None] * series.len(), dtype=pl.Date)
    return parsed


def _parse_dates(
    frame: pl.DataFrame, column: str, source: str, date_format: str | None = None
) -> pl.DataFrame:
    """The date column as Date (or Datetime when it has times), renamed to ``date``.

    ``date_format`` (``--date-format``) reads text or integer dates with that format.
    """
    series = frame.get_column(column)
    dtype = series.dtype
    if date_format is not None and (dtype == pl.String or dtype.is_integer()):
        parsed = _with_format(series, date_format)
        if parsed.null_count() > series.null_count():
            # A file written in ISO dates (a benchmark file beside prices written otherwise)
            # is read as without the format, when every one of its dates parses so.
            default = _default_dates(series)
            if default.null_count() == series.null_count():
                parsed = default
    elif dtype in (pl.Date, pl.String) or isinstance(dtype, pl.Datetime) or dtype.is_integer():
        parsed = _default_dates(series)
    else:
        msg = (
            f"{source}: column {column!r} holds {dtype}, not dates; "
            "name the date column with --date-column"
        )
        raise CliError(msg)
    bad = series.is_not_null() & parsed.is_null()
    if bad.any():
        row = int(bad.arg_true()[0])
        fix = (
            f" with --date-format {date_format!r}"
            if date_format is not None
            else "; use ISO dates such as 2024-01-31"
        )
        msg = (
            f"{source}: cannot parse date {series[row]!r} in column {column!r} (data row "
            f"{row + 1}){fix}"
        )
        raise CliError(msg)
    return frame.with_columns(parsed.alias(column)).rename({column: "date"})


def _date_column(frame: pl.DataFrame, options: InputOptions, source: str) -> str:
    found = _find_column(frame, options.date_column, _DATE_NAMES, "--date-column", source)
    if found is None:
        if not frame.columns:
            msg = f"{source} has no columns"
            raise CliError(msg)
        found = frame.columns[0]
    return found


def _not_numeric(frame: pl.DataFrame) -> str:
    """Which columns besides the date are not numbers, e.g. " ('close' is String: 'n/a' in
    data row 3)"."""
    schema = frame.schema
    others = []
    for c, t in schema.items():
        if c == "date" or t.is_numeric():
            continue
        values = frame.get_column(c)
        if t == pl.String and values.null_count() == values.len():
            others.append(f"{c!r} has no values: a column without values is read as text")
        elif t == pl.String:
            number = values.str.strip_chars().cast(pl.Float64, strict=False)
            bad = values.is_not_null() & number.is_null()
            row = int(bad.arg_true()[0]) if bad.any() else 0
            others.append(f"{c!r} is String: {values[row]!r} in data row {row + 1} is no number")
        else:
            others.append(f"{c!r} is {t}")
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
    options: InputOptions,
    benchmark_column: str | None,
    risk_free_column: str | None,
) -> None:
    source = str(path)
    frame = _read_table(path, parse_dates=options.date_format is None)
    inputs.columns_seen.extend(c for c in frame.columns if c not in inputs.columns_seen)
    if frame.height == 0:
        msg = f"{source} has no data rows (only a header)"
        raise CliError(msg)
    frame = _parse_dates(frame, _date_column(frame, options, source), source, options.date_format)
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
    ticker = _find_column(frame, options.ticker_column, _TICKER_NAMES, "--ticker-column", source)
    if ticker is not None:
        numeric = [
            c for c, t in frame.schema.items() if c not in ("date", ticker) and t.is_numeric()
        ]
        if options.value_column is not None:
            value = _find_column(frame, options.value_column, (), "--value-column", source)
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
            long = (
                frame.with_columns(pl.col(values).cast(pl.Float64))
                .unpivot(index="date", variable_name="ticker", value_name="value")
                # A ticker has no row before its first value or after its last (not listed
                # yet, delisted), as in a long file.
                .filter(_within_values())
            )
    inputs.parts.append(long)


def _series_option(value: str, what: str, options: InputOptions) -> pl.DataFrame:
    """A benchmark or risk-free file given by path."""
    path = Path(value)
    frame = _read_table(path, parse_dates=options.date_format is None)
    column = _date_column(frame, options, str(path))
    frame = _parse_dates(frame, column, str(path), options.date_format)
    return _one_series(frame, what, str(path))


def _common_dates(frames: list[pl.DataFrame]) -> list[pl.DataFrame]:
    """Date everywhere, unless some file has times of day: then Datetime everywhere."""
    if all(f.schema["date"] == pl.Date for f in frames):
        return frames
    return [f.with_columns(pl.col("date").cast(pl.Datetime("us"))) for f in frames]


def read_inputs(options: InputOptions, progress: Progress) -> ScreenInputs:
    """Read the files (or the bundled sample) into :func:`~polars_alpha.screen` arguments."""
    if not options.files:
        return _sample_inputs(options, progress)
    if options.benchmark is None:
        msg = (
            "--benchmark is required with input files: the name of a column (e.g. SPY) or a "
            "file of the benchmark's prices or returns"
        )
        raise CliError(msg)
    benchmark_column = None if _looks_like_file(options.benchmark) else options.benchmark
    risk_free_column = None
    if (
        options.risk_free is not None
        and not options.no_risk_free
        and not _looks_like_file(options.risk_free)
        and _number(options.risk_free) is None
    ):
        risk_free_column = options.risk_free
    inputs = _Inputs()
    paths = [Path(f) for f in options.files]
    for path in paths:  # fail on a missing file before reading any
        if not path.exists():
            msg = f"no such file: {path}"
            raise CliError(msg)
    for i, path in enumerate(paths):
        progress.update(f"reading {path.name}", i, len(paths))
        _add_file(inputs, path, options, benchmark_column, risk_free_column)
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
        benchmark = _series_option(options.benchmark, "benchmark", options)
    risk_free: pl.DataFrame | float | None = None
    risk_free_name = ""
    if options.risk_free is not None and not options.no_risk_free:
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
            label = f"the risk-free column {risk_free_column!r}"
            risk_free = _to_per_period(risk_free, options, label)
        else:
            risk_free, risk_free_name = _risk_free_option(options.risk_free, options)
    if not inputs.parts:
        msg = "no prices or returns in the input files"
        raise CliError(msg)
    name = benchmark_column or _stem(Path(options.benchmark))
    return _aligned(
        pl.concat(inputs.parts, how="vertical_relaxed"),
        benchmark,
        risk_free,
        name,
        risk_free_name,
        options,
    )


def _sample_inputs(options: InputOptions, progress: Progress) -> ScreenInputs:
    """The bundled sample, with the benchmark or risk-free rate replaced by files or a number."""
    progress.update("loading the bundled S&P 500 sample")
    sample = load_sp500_sample()
    benchmark = sample.index.rename({"sp500": "benchmark"})
    risk_free: pl.DataFrame | float | None = sample.risk_free.rename({"rf": "risk_free"})
    benchmark_name = "the S&P 500"
    risk_free_name = "the 3-month T-bill"
    if options.benchmark is not None:
        if not _looks_like_file(options.benchmark):
            msg = (
                f"unknown column {options.benchmark!r} (--benchmark): with no input file "
                "the bundled sample is screened; pass a benchmark file, or input files"
            )
            raise CliError(msg)
        benchmark = _series_option(options.benchmark, "benchmark", options)
        benchmark_name = _stem(Path(options.benchmark))
    if options.risk_free is not None:
        risk_free, risk_free_name = _risk_free_option(options.risk_free, options)
    if options.no_risk_free:
        risk_free = None
    stocks = sample.stocks.rename({"close": "value"})
    return _aligned(stocks, benchmark, risk_free, benchmark_name, risk_free_name, options)


def _aligned(
    stocks: pl.DataFrame,
    benchmark: pl.DataFrame,
    risk_free: pl.DataFrame | float | None,
    benchmark_name: str,
    risk_free_name: str,
    options: InputOptions,
) -> ScreenInputs:
    """The inputs with one date type across the frames (see :func:`_common_dates`), after
    the check that the risk-free rate is per period."""
    if risk_free is not None:
        _check_per_period(risk_free, stocks.get_column("date"), options)
    rf_frames = [risk_free] if isinstance(risk_free, pl.DataFrame) else []
    stocks, benchmark, *rf_frames = _common_dates([stocks, benchmark, *rf_frames])
    return ScreenInputs(
        frame=stocks,
        benchmark=benchmark,
        risk_free=rf_frames[0] if rf_frames else risk_free,
        benchmark_name=benchmark_name,
        risk_free_name=risk_free_name if risk_free is not None else "",
    )


def _within_values() -> pl.Expr:
    """True on a ticker's rows from its first non-null value to its last one."""
    has_value = pl.col("value").is_not_null()
    first = pl.col("date").filter(has_value).min().over("ticker")
    last = pl.col("date").filter(has_value).max().over("ticker")
    return pl.col("date").is_between(first, last).fill_null(False)


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _to_per_period(
    rates: pl.DataFrame | float, options: InputOptions, label: str
) -> pl.DataFrame | float:
    """Risk-free values as per-period decimals: divided by 100 with ``--percent-risk-free``,
    converted from annual yields with ``--annual-risk-free``, which must not exceed 1."""
    scale = 0.01 if options.percent_risk_free else 1.0
    periods = float(options.periods_per_year)
    if isinstance(rates, float):
        rate = rates * scale
        if options.annual_risk_free:
            _check_annual(rate, "", options, label)
            rate = (1.0 + rate) ** (1.0 / periods) - 1.0
        return rate
    column = pl.col("risk_free")
    frame = rates.with_columns(column * scale)
    if options.annual_risk_free:
        large = frame.filter(column.is_finite() & (column.abs() > 1.0))
        if large.height:
            row = large.row(0, named=True)
            _check_annual(row["risk_free"], f" on {row['date']!s}", options, label)
        frame = frame.with_columns(((1.0 + column).pow(1.0 / periods) - 1.0).alias("risk_free"))
    return frame


def _check_annual(rate: float, where: str, options: InputOptions, label: str) -> None:
    """An annual yield above 1 (100%) is a percent typed as a decimal."""
    if abs(rate) <= 1.0:
        return
    if options.percent_risk_free:
        fix = "even read as percents they are above 100% a year; check the file's units"
    elif label == "--risk-free":
        fix = f"pass --risk-free {rate / 100:g} (or add --percent-risk-free)"
    else:
        fix = "add --percent-risk-free to read them as percents"
    msg = (
        f"{label} is an annual yield of {rate:g}{where} (--annual-risk-free), above 1 "
        f"(100% a year): it looks like a percent ({rate:g}%); {fix}"
    )
    raise CliError(msg)


def _check_per_period(
    risk_free: pl.DataFrame | float, dates: pl.Series, options: InputOptions
) -> None:
    """A per-period rate above what the data's frequency makes plausible is an error that
    says which flag fixes it."""
    periods = _validate.periods_per_year_of(dates)
    if periods is None:
        return
    limit = _validate.rate_limit(periods)
    if isinstance(risk_free, float):
        rate, where, label = risk_free, "", "--risk-free"
    else:
        column = pl.col("risk_free")
        large = risk_free.filter(column.is_finite() & (column.abs() > limit))
        if large.height == 0:
            return
        row = large.row(0, named=True)
        rate, where, label = row["risk_free"], f" on {row['date']!s}", "the risk-free rate"
    if abs(rate) <= limit:
        return
    if options.annual_risk_free:
        fix = "check --periods-per-year, the periods a year of the data"
    elif abs(rate) >= 1 and label == "--risk-free":
        fix = f"pass --risk-free {rate / 100:g} --annual-risk-free"
    elif abs(rate) >= 1:
        fix = "add --annual-risk-free --percent-risk-free"
    elif label == "--risk-free":
        fix = f"pass --risk-free {rate:g} --annual-risk-free"
    else:
        fix = "add --annual-risk-free"
    raise CliError(
        _validate.implausible_rate_message(rate, periods, argument=label, where=where, fix=fix)
    )


def _risk_free_option(text: str, options: InputOptions) -> tuple[pl.DataFrame | float, str]:
    """--risk-free as a number or a file (columns are handled with the input files)."""
    number = _number(text)
    if number is not None:
        rate = _to_per_period(number, options, "--risk-free")
        assert isinstance(rate, float)
        return rate, f"{rate:g} per period"
    if not _looks_like_file(text):
        msg = (
            f"unknown column {text!r} (--risk-free): with no input file the bundled sample is "
            "screened; pass a risk-free file or a number"
        )
        raise CliError(msg)
    frame = _series_option(text, "risk_free", options)
    per_period = _to_per_period(frame, options, f"the risk-free file {Path(text).name}")
    assert isinstance(per_period, pl.DataFrame)
    return per_period, _stem(Path(text))
