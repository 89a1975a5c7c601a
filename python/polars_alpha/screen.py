"""Screen a market: one row per ticker with its alpha, beta, fit quality and momentum.

:func:`screen` takes prices or returns of many tickers (a long or a wide frame, eager or
lazy) and a benchmark, and returns, as of one date, each ticker's CAPM fit over the trailing
window, its weighted alpha, and the cross-sectional rank and z-score of each measure, filtered,
sorted and cut to the top names. :func:`returns_panel` is its first step on its own: the long
frame of aligned returns the fits run on.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias, overload

import numpy as np
import polars as pl

from polars_alpha import _validate
from polars_alpha.adjustments import annualize_alpha
from polars_alpha.cross_section import cross_sectional_rank, cross_sectional_zscore
from polars_alpha.momentum import weighted_alpha
from polars_alpha.regression import rolling_alpha_beta

__all__ = [
    "MEASURES",
    "SCREEN_COLUMNS",
    "default_min_periods",
    "fit_history",
    "returns_panel",
    "screen",
]

Frame: TypeAlias = "pl.DataFrame | pl.LazyFrame"
Kind: TypeAlias = Literal["auto", "prices", "returns"]

#: The measures :func:`screen` ranks and standardizes across tickers, each with a
#: ``<measure>_rank`` and a ``<measure>_z`` column.
MEASURES: tuple[str, ...] = ("alpha", "beta", "r2", "resid_std", "alpha_t", "weighted_alpha")

#: The columns of a screen, in order, after the date and ticker columns.
SCREEN_COLUMNS: tuple[str, ...] = (
    "alpha",
    "alpha_ann",
    "beta",
    "r2",
    "resid_std",
    "alpha_t",
    "n",
    "weighted_alpha",
    *(f"{m}_{suffix}" for m in MEASURES for suffix in ("rank", "z")),
)

# Internal column names of the prepared panel.
_VALUE = "__pa_value"
_BENCH = "__pa_benchmark"
_RF = "__pa_rf"
_AS_OF = "__pa_as_of"
_FIT = "__pa_fit"
_AMBIGUOUS = "__pa_ambiguous"
_AMBIGUOUS_B = "__pa_ambiguous_benchmark"
_RF_FILL = "__pa_rf_fill"
_RF_LAST = "__pa_rf_last"
# Latest usable dates tried before a screen builds its whole panel (see _screen_rows).
_AS_OF_TRIES = 8


@dataclass(frozen=True)
class _Inputs:
    """A panel's checked inputs, before any join."""

    #: ``date, ticker, _VALUE`` and, where they are columns of the frame, ``_BENCH``, ``_RF``.
    long: pl.LazyFrame
    wide: bool
    #: ``date, _BENCH`` of a separate benchmark frame, its dates of the frame's type.
    bench: pl.LazyFrame | None
    #: ``date, _RF`` of a separate risk-free frame.
    rf_frame: pl.LazyFrame | None
    has_rf: bool
    rf_number: float | None
    #: The frame's columns the panel reads.
    used: tuple[str, ...]


def default_min_periods(window: int) -> int:
    """The screen's default ``min_periods``: 80% of the window, rounded up (202 of 252).

    Parameters
    ----------
    window
        The regression window in rows.

    Returns
    -------
    int
        ``max(2, ceil(0.8 * window))``.

    Notes
    -----
    A screen should not drop a name for a few missing days (a trading halt, a holiday in the
    risk-free series), so it asks for 80% of the window rather than all of it, as the
    rolling functions do. The ``n`` column of a screen shows how many rows each fit used.

    Examples
    --------
    >>> from polars_alpha.screen import default_min_periods
    >>> default_min_periods(252), default_min_periods(60)
    (202, 48)
    """
    return max(2, math.ceil(0.8 * window))


def _window_and_min_periods(window: object, min_periods: object) -> tuple[int, int]:
    """The validated row window and its ``min_periods``, by default :func:`default_min_periods`."""
    rows, _ = _validate.window_and_min_periods(window, None)
    if min_periods is None:
        min_periods = default_min_periods(rows)
    return _validate.window_and_min_periods(rows, min_periods)


def _unknown_column(name: str, argument: str, columns: Sequence[str]) -> ValueError:
    shown = ", ".join(columns[:30]) + (", ..." if len(columns) > 30 else "")
    return ValueError(f"unknown column {name!r} ({argument}); the frame's columns are: {shown}")


def _value_column(frame: pl.LazyFrame, date: str, what: str, alias: str) -> pl.LazyFrame:
    """A separate benchmark or risk-free frame as ``date, <alias>``."""
    schema = frame.collect_schema()
    if date not in schema:
        msg = (
            f"the {what} frame has no date column {date!r}; its columns are: "
            f"{', '.join(schema.names())}"
        )
        raise ValueError(msg)
    values = [c for c, t in schema.items() if c != date and t.is_numeric()]
    if len(values) != 1:
        others = [f"{c!r} is {t}" for c, t in schema.items() if c != date and not t.is_numeric()]
        found = ", ".join(values) or "none" + (f" ({'; '.join(others)})" if others else "")
        msg = (
            f"the {what} frame must hold the date column {date!r} and exactly one numeric "
            f"column, found {len(values)}: {found}"
        )
        raise ValueError(msg)
    return frame.select(pl.col(date), pl.col(values[0]).cast(pl.Float64).alias(alias))


def _check_unique_dates(frame: object, date: str, what: str) -> None:
    """An eager benchmark or risk-free frame needs one row per date: say which is not."""
    if isinstance(frame, pl.DataFrame) and date in frame.columns:
        repeated = frame.get_column(date).is_duplicated()
        if repeated.any():
            day = frame.get_column(date).filter(repeated)[0]
            msg = f"the {what} frame has more than one row on {day!s}; it needs one per date"
            raise ValueError(msg)


def _to_returns(column: str, ticker: str, kind: str, *, one_series: bool = False) -> pl.Expr:
    """Simple returns from a price or return column, per ticker, over consecutive rows.

    With ``kind="auto"`` each ticker is decided on its own rows, or, with ``one_series``
    (the benchmark, one series joined to every ticker's rows), on all rows at once; see
    :func:`_auto_kind`.
    """
    value = pl.col(column)
    from_prices = value / value.shift(1).over(ticker) - 1.0
    if kind == "returns":
        return value
    if kind == "prices":
        return from_prices
    is_returns, _ = _auto_kind(column, ticker, one_series=one_series)
    return pl.when(is_returns).then(value).otherwise(from_prices)


def _auto_kind(column: str, ticker: str, *, one_series: bool) -> tuple[pl.Expr, pl.Expr]:
    """Whether a series holds returns, and whether it is ambiguous, for ``kind="auto"``.

    A series without a value at or below zero is prices. One with such values is returns,
    unless it moves like a level (the median absolute change between consecutive rows is
    less than half its median absolute value, as prices do and returns never do): then it
    is prices with a zero or a negative value among them, which is ambiguous. Decided per
    ticker, or over all rows when ``one_series`` (consecutive rows within each ticker).
    """
    finite = pl.col(column).fill_nan(None)
    change = finite.diff() if not one_series else finite.diff().over(ticker)
    is_returns, ambiguous = _kind_tests(finite, change)
    if not one_series:
        is_returns, ambiguous = is_returns.over(ticker), ambiguous.over(ticker)
    return is_returns, ambiguous


def _kind_tests(finite: pl.Expr, change: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """:func:`_auto_kind`'s aggregates over one series: its values (NaN as null) and the
    change from each row to the next."""
    not_positive = (finite <= 0.0).any()
    level = (change.abs().median() < 0.5 * finite.abs().median()).fill_null(False)
    return not_positive & ~level, not_positive & level


def _within_values(date: str, ticker: str) -> pl.Expr:
    """True on a ticker's rows from its first non-null value to its last one."""
    has_value = pl.col(_VALUE).is_not_null()
    first = pl.col(date).filter(has_value).min().over(ticker)
    last = pl.col(date).filter(has_value).max().over(ticker)
    return pl.col(date).is_between(first, last).fill_null(False)


def _fill_risk_free(long: pl.LazyFrame, quotes: pl.LazyFrame, date: str) -> pl.LazyFrame:
    """The risk-free column with each missing rate replaced by the last earlier quote.

    ``long`` is sorted by date and has the risk-free column (null where no quote);
    ``quotes`` holds ``date`` and the rates. Rows after the last quote stay null.
    """
    valid = pl.col(_RF).is_not_null() & pl.col(_RF).is_finite()
    known = (
        quotes.filter(valid & pl.col(date).is_not_null())
        .unique(date, keep="first", maintain_order=True)
        .sort(date)
        .select(pl.col(date), pl.col(_RF).alias(_RF_FILL), pl.col(date).max().alias(_RF_LAST))
    )
    return (
        long.join_asof(known, on=date, strategy="backward")
        .with_columns(
            pl.when(valid)
            .then(pl.col(_RF))
            .when(pl.col(date) <= pl.col(_RF_LAST))
            .then(pl.col(_RF_FILL))
            .alias(_RF)
        )
        .drop(_RF_FILL, _RF_LAST)
    )


def _check_values(
    panel: pl.DataFrame, *, date: str, ticker: str, rf_number: float | None
) -> pl.DataFrame:
    """The checks that need the values: ambiguous prices (``kind="auto"``) and a risk-free
    rate too large to be per period. Returns the panel without its helper columns."""
    for flag, column, what in ((_AMBIGUOUS, _VALUE, None), (_AMBIGUOUS_B, _BENCH, "benchmark")):
        if flag in panel.columns and panel.get_column(flag).any():
            row = panel.filter(pl.col(flag)).row(0, named=True)
            name = "the benchmark" if what else f"ticker {row[ticker]!r}"
            msg = (
                f'kind="auto" cannot tell whether {name} holds prices or returns: its values '
                f"move like prices, but it is {row[column]:g} on {row[date]!s} (a price is "
                'positive); fix or drop that row, or pass kind="prices" or '
                'kind="returns" (--kind in the command)'
            )
            raise ValueError(msg)
    periods = _validate.periods_per_year_of(panel.get_column(date))
    if periods is not None:
        limit = _validate.rate_limit(periods)
        if rf_number is not None and abs(rf_number) > limit:
            msg = _validate.implausible_rate_message(
                rf_number, periods, argument="`risk_free`", where=""
            )
            raise ValueError(msg)
        if "rf" in panel.columns:
            too_large = panel.filter(pl.col("rf").is_finite() & (pl.col("rf").abs() > limit))
            if too_large.height:
                row = too_large.row(0, named=True)
                where = f" on {row[date]!s}"
                msg = _validate.implausible_rate_message(
                    row["rf"], periods, argument="`risk_free`", where=where
                )
                raise ValueError(msg)
    return panel.select(c for c in panel.columns if not c.startswith("__pa"))


def _inputs(
    frame: Frame,
    *,
    benchmark: str | Frame,
    risk_free: float | str | Frame | None,
    date: str,
    ticker: str,
    value: str | None,
    kind: str,
) -> _Inputs:
    """The checked arguments of a panel: the frame's columns in long form, and the
    benchmark and risk-free frames."""
    lf = _validate.polars_frame(frame, "frame").lazy()
    _validate.choice(kind, "kind", ("auto", "prices", "returns"))
    schema = lf.collect_schema()
    columns = schema.names()
    if date not in schema:
        raise _unknown_column(date, "date", columns)
    if not schema[date].is_temporal():
        msg = (
            f"the date column {date!r} is {schema[date]}, not a date; parse it first, e.g. "
            f'pl.col("{date}").str.to_date()'
        )
        raise TypeError(msg)

    bench_column: str | None = None
    bench = _validate.column_or_frame(benchmark, "benchmark")
    if isinstance(bench, str):
        if bench not in schema:
            raise _unknown_column(bench, "benchmark", columns)
        bench_column = bench

    _check_unique_dates(benchmark, date, "benchmark")
    _check_unique_dates(risk_free, date, "risk-free")
    rf_number: float | None = None
    rf_column: str | None = None
    rf_frame: pl.LazyFrame | None = None
    rate = _validate.screen_risk_free(risk_free)
    if isinstance(rate, str):
        if rate not in schema:
            raise _unknown_column(rate, "risk_free", columns)
        rf_column = rate
    elif isinstance(rate, (pl.DataFrame, pl.LazyFrame)):
        rf_frame = _value_column(rate.lazy(), date, "risk-free", _RF)
    else:
        rf_number = rate

    for column, argument in ((bench_column, "benchmark"), (rf_column, "risk_free")):
        if column is not None and not schema[column].is_numeric():
            msg = (
                f"the {argument} column {column!r} is {schema[column]}, not numeric; cast it "
                f'to a number first, e.g. pl.col("{column}").cast(pl.Float64)'
            )
            raise TypeError(msg)
    special = [c for c in (date, bench_column, rf_column) if c is not None]
    if ticker in schema:
        if value is None:
            candidates = [
                c for c, t in schema.items() if c not in (*special, ticker) and t.is_numeric()
            ]
            others = [c for c in columns if c not in (*special, ticker)]
            if not candidates and len(others) == 1:
                msg = (
                    f"the value column {others[0]!r} is {schema[others[0]]}, not numeric; "
                    f'cast it to a number first, e.g. pl.col("{others[0]}").cast(pl.Float64)'
                )
                raise TypeError(msg)
            if len(candidates) != 1:
                msg = (
                    "cannot tell which column holds the prices or returns: the numeric "
                    f"columns besides the benchmark and risk-free are {candidates}; "
                    'name it with value="..."'
                )
                raise ValueError(msg)
            value = candidates[0]
        elif value not in schema:
            raise _unknown_column(value, "value", columns)
        if not schema[value].is_numeric():
            msg = f"the value column {value!r} is {schema[value]}, not numeric"
            raise TypeError(msg)
        keep = [pl.col(date), pl.col(ticker), pl.col(value).cast(pl.Float64).alias(_VALUE)]
        if bench_column is not None:
            keep.append(pl.col(bench_column).cast(pl.Float64).alias(_BENCH))
        if rf_column is not None:
            keep.append(pl.col(rf_column).cast(pl.Float64).alias(_RF))
        long = lf.select(keep)
        named = (date, ticker, value, bench_column, rf_column)
        used = tuple(dict.fromkeys(c for c in named if c is not None))
    else:
        if value is not None:
            msg = (
                f"`value` names the price column of a long frame, but the frame has no "
                f"ticker column {ticker!r}; a wide frame has one column per ticker"
            )
            raise ValueError(msg)
        tickers = [c for c in columns if c not in special]
        used = tuple(columns)
        if not tickers:
            msg = (
                f"the frame has no ticker column {ticker!r} (long) and no price or return "
                "columns besides the date and benchmark (wide)"
            )
            raise ValueError(msg)
        not_numeric = [c for c in tickers if not schema[c].is_numeric()]
        if not_numeric:
            msg = (
                f"column {not_numeric[0]!r} is {schema[not_numeric[0]]}: a wide frame holds "
                f"the date and one numeric column per ticker (or pass ticker= naming the "
                "ticker column of a long frame)"
            )
            raise ValueError(msg)
        renames = {c: n for c, n in ((bench_column, _BENCH), (rf_column, _RF)) if c is not None}
        long = (
            lf.with_columns(pl.col([*tickers, *renames]).cast(pl.Float64))
            .rename(renames)
            .unpivot(
                on=tickers,
                index=[date, *renames.values()],
                variable_name=ticker,
                value_name=_VALUE,
            )
            # Wide equals long: a ticker has no row before its first value or after its
            # last one (not yet listed, or delisted), as in a long frame.
            .filter(_within_values(date, ticker))
        )

    date_type = schema[date]
    bench_frame: pl.LazyFrame | None = None
    if bench_column is None:
        assert isinstance(benchmark, (pl.DataFrame, pl.LazyFrame))
        bench_frame = _value_column(benchmark.lazy(), date, "benchmark", _BENCH)
        bench_frame = bench_frame.with_columns(pl.col(date).cast(date_type))
    if rf_frame is not None:
        rf_frame = rf_frame.with_columns(pl.col(date).cast(date_type))
    return _Inputs(
        long=long,
        wide=ticker not in schema,
        bench=bench_frame,
        rf_frame=rf_frame,
        has_rf=rf_column is not None or rf_frame is not None,
        rf_number=rf_number,
        used=used,
    )


def _panel(
    inputs: _Inputs, *, date: str, ticker: str, kind: str, fill_risk_free: bool
) -> pl.LazyFrame:
    """The long panel ``date, ticker, ret, benchmark[, rf]`` of checked inputs."""
    long = inputs.long
    if inputs.bench is not None:
        long = long.join(inputs.bench, on=date, how="left", validate="m:1")
    if inputs.rf_frame is not None:
        long = long.join(inputs.rf_frame, on=date, how="left", validate="m:1")
    # Dates in order within each ticker is all the window functions need; a stable sort on
    # the date alone is much cheaper than on (ticker, date). A row without a date has no
    # place in time: left in, it would sort first and give its ticker a false return.
    long = long.filter(pl.col(date).is_not_null()).sort(date, maintain_order=True)
    if inputs.has_rf and fill_risk_free:
        quotes = inputs.rf_frame
        if quotes is None:
            quotes = long.select(pl.col(date), pl.col(_RF))
        long = _fill_risk_free(long, quotes, date)
    flags: list[pl.Expr] = []
    if kind == "auto":
        for column, one_series, flag in ((_VALUE, False, _AMBIGUOUS), (_BENCH, True, _AMBIGUOUS_B)):
            _, ambiguous = _auto_kind(column, ticker, one_series=one_series)
            flags.append((ambiguous & (pl.col(column) <= 0.0)).alias(flag))
    rf_out = [pl.col(_RF).alias("rf")] if inputs.has_rf else []
    panel = long.with_columns(
        _to_returns(_VALUE, ticker, kind).alias("ret"),
        _to_returns(_BENCH, ticker, kind, one_series=True).alias("benchmark"),
        *flags,
    ).select(pl.col(date), pl.col(ticker), "ret", "benchmark", *rf_out, _VALUE, _BENCH, *flags)
    schema_out = {c: t for c, t in panel.collect_schema().items() if not c.startswith("__pa")}
    check = functools.partial(_check_values, date=date, ticker=ticker, rf_number=inputs.rf_number)
    return panel.map_batches(
        check,
        schema=pl.Schema(schema_out),
        predicate_pushdown=False,
        projection_pushdown=False,
        slice_pushdown=False,
    )


def _prepare(
    frame: Frame,
    *,
    benchmark: str | Frame,
    risk_free: float | str | Frame | None,
    date: str,
    ticker: str,
    value: str | None,
    kind: str,
    fill_risk_free: bool,
) -> tuple[pl.LazyFrame, float | None]:
    """The long panel ``date, ticker, ret, benchmark[, rf]`` and a scalar risk-free rate."""
    inputs = _inputs(
        frame,
        benchmark=benchmark,
        risk_free=risk_free,
        date=date,
        ticker=ticker,
        value=value,
        kind=kind,
    )
    panel = _panel(inputs, date=date, ticker=ticker, kind=kind, fill_risk_free=fill_risk_free)
    return panel, inputs.rf_number


def _distinct_dates(dates: pl.Series) -> pl.Series:
    """The distinct values of a column of dates, ascending (nulls left out)."""
    if dates.dtype == pl.Date:
        # Days are small integers: marking each in a table is cheaper than hashing them.
        days = dates.drop_nulls().to_physical().to_numpy()
        if days.size and int(days.max()) - int(days.min()) < 1 << 24:
            low = int(days.min())
            seen = np.zeros(int(days.max()) - low + 1, dtype=bool)
            seen[days - low] = True
            found = np.flatnonzero(seen).astype(np.int32) + low
            return pl.Series(dates.name, found).cast(pl.Date)
    return dates.drop_nulls().unique().sort()


def _ticker_blocks(
    rows: pl.DataFrame, *, date: str, ticker: str
) -> tuple[pl.Series, pl.Series] | None:
    """Whether each row starts its ticker's rows, and where they start, when each ticker's
    rows are together with its dates ascending; ``None`` when they are not."""
    marks = rows.select(
        start=pl.col(ticker).ne_missing(pl.col(ticker).shift(1)),
        ordered=pl.col(date) >= pl.col(date).shift(1),
    )
    start = marks.get_column("start")
    if not (marks.get_column("ordered") | start).all():
        return None
    starts = start.arg_true()
    if rows.get_column(ticker).gather(starts).n_unique() != starts.len():
        return None  # a ticker's rows are not together
    return start, starts


def _screen_rows(
    inputs: _Inputs,
    *,
    date: str,
    ticker: str,
    kind: str,
    fill_risk_free: bool,
    as_of_limit: dt.date | dt.datetime | None,
    keep: int,
) -> tuple[pl.DataFrame, object] | None:
    """The rows a screen fits and its as-of date, without the panel of the whole frame.

    A screen fits each ticker's last ``keep`` rows up to the as-of date, and their returns
    need one row more. When the benchmark and any risk-free rate are separate frames and
    nothing calls for an error, this computes the panel of those rows only, with the
    arithmetic of :func:`_panel`, from each ticker's rows in date order (the frame's, when
    they are in order already). What reads every row is decided on the whole frame first:
    the prices or returns of ``kind="auto"`` (the same aggregates), the risk-free checks'
    periods a year, the errors, and the as-of date. Returns the panel's rows of the fits and
    the as-of date, or ``None`` where this does not apply: the whole panel then gives the
    screen, or raises its error.
    """
    if inputs.wide or inputs.bench is None or (inputs.has_rf and inputs.rf_frame is None):
        return None
    rows = inputs.long.collect()
    if rows.height == 0 or rows.get_column(ticker).null_count():
        return None
    if rows.get_column(date).null_count():
        rows = rows.filter(pl.col(date).is_not_null())
    blocks = _ticker_blocks(rows, date=date, ticker=ticker)
    if blocks is None:
        # Each ticker's rows in date order, ties in the frame's order: the whole panel's
        # stable sort on the date gives each ticker the same sequence. The tickers' order
        # does not matter, so strings are sorted by their categorical codes, not compared.
        key = rows.get_column(ticker)
        if key.dtype == pl.String:
            key = key.cast(pl.Categorical).to_physical()
        # Dates ascending in the whole frame (a date's rows together) are ascending within
        # each ticker: a stable sort on the ticker alone keeps them so.
        keys = [pl.lit(key)] if rows.get_column(date).is_sorted() else [pl.lit(key), pl.col(date)]
        order = pl.int_range(rows.height, dtype=pl.Int64).sort_by(keys, maintain_order=True)
        rows = rows[rows.select(order).to_series().to_numpy()]
        blocks = _ticker_blocks(rows, date=date, ticker=ticker)
        assert blocks is not None
    start, starts = blocks
    dates = rows.get_column(date)

    # The benchmark and the risk-free rate are the same on every row of a date: their
    # joins, fill and checks are made once a date.
    days = _distinct_dates(dates)
    daily = pl.DataFrame({date: days}).lazy().join(inputs.bench, on=date, how="left")
    if inputs.rf_frame is not None:
        daily = daily.join(inputs.rf_frame, on=date, how="left")
    daily = daily.sort(date)
    if inputs.rf_frame is not None and fill_risk_free:
        daily = _fill_risk_free(daily, inputs.rf_frame, date)
    per_day = daily.collect()
    if per_day.height != days.len():
        return None  # two benchmark or risk-free rows on one date: the join raises
    periods = _validate.periods_per_year_of(days)
    if periods is not None:
        limit = _validate.rate_limit(periods)
        if inputs.rf_number is not None and abs(inputs.rf_number) > limit:
            return None
        if (
            inputs.has_rf
            and per_day.select((pl.col(_RF).is_finite() & (pl.col(_RF).abs() > limit)).any()).item()
        ):
            return None

    # Polars' shift within a ticker, as _panel's .over(ticker) gives it on the whole panel.
    def from_prices(column: str) -> pl.Expr:
        before = pl.when(~pl.col("start")).then(pl.col(column).shift(1))
        return pl.col(column) / before - 1.0

    ret = pl.col(_VALUE) if kind == "returns" else from_prices(_VALUE)
    bench_kind = "returns" if kind == "returns" else "prices"
    if kind == "auto":
        finite = pl.col(_VALUE).fill_nan(None)
        if rows.select((finite <= 0.0).any()).item():
            names = rows.filter(finite <= 0.0).get_column(ticker).unique()
            is_returns, ambiguous = _kind_tests(finite, finite.diff())
            kinds = (
                rows.filter(pl.col(ticker).is_in(names.implode()))
                .group_by(ticker)
                .agg(is_returns.alias("returns"), ambiguous.alias("ambiguous"))
            )
            if kinds.get_column("ambiguous").any():
                return None
            returning = kinds.filter("returns").get_column(ticker)
            ret = (
                pl.when(pl.col(ticker).is_in(returning.implode()))
                .then(pl.col(_VALUE))
                .otherwise(ret)
            )
        finite = pl.col(_BENCH).fill_nan(None)
        if per_day.select((finite <= 0.0).any()).item():
            # Each row's benchmark value, and its change from the ticker's previous row.
            on_rows = per_day.get_column(_BENCH).gather(days.search_sorted(dates))
            is_returns, ambiguous = _kind_tests(
                finite, pl.when(~pl.col("start")).then(finite.diff())
            )
            bench_returns, bench_ambiguous = (
                pl.DataFrame({_BENCH: on_rows, "start": start})
                .select(is_returns.alias("returns"), ambiguous.alias("ambiguous"))
                .row(0)
            )
            if bench_ambiguous:
                return None
            bench_kind = "returns" if bench_returns else "prices"

    # The as-of date: the latest date on which a row has a benchmark return (and a rate).
    usable = pl.col(_BENCH).is_not_null()
    if bench_kind == "returns":
        usable = usable & pl.col(_BENCH).is_finite()
    if inputs.has_rf:
        usable = usable & pl.col(_RF).is_not_null() & pl.col(_RF).is_finite()
    if as_of_limit is not None:
        usable = usable & (pl.col(date) <= pl.lit(as_of_limit, dtype=days.dtype))
    candidates = per_day.filter(usable).sort(date, descending=True)
    as_of: object = None
    if bench_kind == "returns":
        as_of = candidates.get_column(date)[0] if candidates.height else None
    else:
        # From prices, a row's return divides its benchmark price by that of its ticker's
        # previous row: a date has a return when one of its rows has a finite one.
        for day, level in candidates.head(_AS_OF_TRIES).select(date, _BENCH).iter_rows():
            at = (dates == day).arg_true()
            at = at.filter(~start.gather(at))
            before = per_day.get_column(_BENCH).gather(days.search_sorted(dates.gather(at - 1)))
            ratio = pl.lit(level, dtype=pl.Float64) / pl.col(_BENCH) - 1.0
            found = pl.DataFrame({_BENCH: before}).select(
                (ratio.is_not_null() & ratio.is_finite()).any()
            )
            if found.item():
                as_of = day
                break
    if as_of is None:
        return None

    # Each ticker's last keep + 1 rows up to the as-of date: the first of keep + 1 only
    # gives the next its return. A ticker's rows up to a date are the first of its rows.
    first = starts.cast(pl.Int64).to_numpy()
    ends = np.append(first[1:], rows.height)
    # A ticker's rows up to a date are its first rows: search the tickers whose last date is
    # later than the as-of date (usually none).
    later = np.flatnonzero((dates.gather(ends - 1) > as_of).to_numpy())
    if later.size:
        days_of = dates.to_physical().to_numpy()
        limit = pl.Series([as_of], dtype=dates.dtype).to_physical()[0]
        for b in later:
            ends[b] = first[b] + np.searchsorted(days_of[first[b] : ends[b]], limit, "right")
    lows = np.maximum(first, ends - keep - 1)
    lengths = ends - lows
    offsets = np.cumsum(lengths) - lengths
    index = np.repeat(lows - offsets, lengths) + np.arange(offsets[-1] + lengths[-1])
    heads = np.zeros(index.size, dtype=bool)
    heads[offsets[lengths > 0]] = True
    extra = heads & np.repeat(lengths > keep, lengths)
    picked = rows[index].with_columns(pl.Series("start", heads), pl.Series("extra", extra))
    picked = picked.hstack(per_day.drop(date)[days.search_sorted(picked.get_column(date))])
    repeated = (
        (pl.col(date) == pl.col(date).shift(1)) & ~pl.col("start") & ~pl.col("extra").shift(1)
    )
    if picked.select(repeated.any()).item():
        return None  # two rows of a ticker on one date in its window: the screen raises
    bench = pl.col(_BENCH) if bench_kind == "returns" else from_prices(_BENCH)
    rf_out = [pl.col(_RF).alias("rf")] if inputs.has_rf else []
    panel = picked.select(
        pl.col(date), pl.col(ticker), ret.alias("ret"), bench.alias("benchmark"), *rf_out, "extra"
    )
    return panel.filter(~pl.col("extra")).drop("extra"), as_of


@overload
def returns_panel(
    frame: pl.DataFrame,
    *,
    benchmark: str | Frame,
    risk_free: float | str | Frame | None = ...,
    date: str = ...,
    ticker: str = ...,
    value: str | None = ...,
    kind: Kind = ...,
    fill_risk_free: bool = ...,
) -> pl.DataFrame: ...


@overload
def returns_panel(
    frame: pl.LazyFrame,
    *,
    benchmark: str | Frame,
    risk_free: float | str | Frame | None = ...,
    date: str = ...,
    ticker: str = ...,
    value: str | None = ...,
    kind: Kind = ...,
    fill_risk_free: bool = ...,
) -> pl.LazyFrame: ...


def returns_panel(
    frame: Frame,
    *,
    benchmark: str | Frame,
    risk_free: float | str | Frame | None = None,
    date: str = "date",
    ticker: str = "ticker",
    value: str | None = None,
    kind: Kind = "auto",
    fill_risk_free: bool = True,
) -> Frame:
    """The long frame of aligned returns a screen fits: ``date, ticker, ret, benchmark[, rf]``.

    Parameters
    ----------
    frame
        Prices or returns of many tickers, eager or lazy: **long** (a ``ticker`` column, a
        ``date`` column and one value column) or **wide** (a ``date`` column and one column
        per ticker). A frame with a column named ``ticker`` is long.
    benchmark
        The benchmark's prices or returns: a column of ``frame`` (in a wide frame it is not a
        ticker) or a separate frame of ``date`` and one numeric column, joined on the date.
    risk_free
        Per-period risk-free rate in decimals (not converted): a number, a column of
        ``frame``, or a frame of ``date`` and one numeric column. ``None`` leaves no ``rf``
        column.
    date
        Name of the Date or Datetime column, in ``frame`` and in the benchmark and
        risk-free frames.
    ticker
        Name of the ticker column of a long frame, and of the output's ticker column.
    value
        Long frames: the column of prices or returns; default the only numeric column
        besides the date, benchmark and risk-free columns.
    kind
        ``"prices"``, ``"returns"`` or ``"auto"`` (default): decided for each ticker on its
        own rows, and for the benchmark on its own (see Notes).
    fill_risk_free
        Fill a risk-free rate missing on a date (a bank holiday on which stocks trade) with
        the last earlier quote (default). ``False`` leaves it missing, and the rows of that
        date out of the fits.

    Returns
    -------
    pl.DataFrame or pl.LazyFrame
        The same kind as ``frame``: ``date, ticker, ret, benchmark`` and, with a risk-free
        column or frame, ``rf`` (Float64), sorted by ticker then date.

    Raises
    ------
    ValueError
        With ``kind="auto"``, for a ticker (or the benchmark) whose values move like prices
        but include a zero or a negative value, naming it and the date; for a risk-free rate
        too large to be per period (see Notes). A lazy frame raises when collected.

    Notes
    -----
    Prices become simple returns from each ticker's previous row, and the benchmark's prices
    are joined to every row *before* conversion, so a ticker's return and the benchmark's
    return always span the same dates, even across a gap in the ticker's rows. A null or NaN
    price makes its return and the next one null. Dates missing from the benchmark frame are
    null after the join (a left join on the date). Rows with a null date are left out.

    **Wide frames.** A ticker has rows from its first non-null value to its last one: the
    nulls before (not listed yet) and after (delisted) are no rows, as in a long frame that
    leaves those dates out, so both forms give the same panel. Nulls in between stay rows
    with a missing value.

    **Prices or returns** (``kind="auto"``), per ticker, never for the whole frame: a ticker
    whose values are all positive holds prices; one with a value at or below zero holds
    returns, unless its values move like a level (the median absolute change from one row
    to the next is under half the median absolute value, as prices always do and returns
    never do): then it is prices with a zero or a negative value among them, which is
    ambiguous, and raises ``ValueError`` naming the ticker, the value and its date. Pass
    ``kind="prices"`` or ``kind="returns"`` to say what the values are.

    **The risk-free rate is filled** over dates on which the frame has rows and the rate has
    no quote (null or NaN): each takes the last earlier quote, up to the rate's last quote;
    after it the rate stays missing, and rows without a rate are left out of the fits.
    ``fill_risk_free=False`` turns the fill off.

    **Units.** The rate must be per period in decimals. A rate whose absolute value exceeds
    ``min(2.52 / P, 0.05)`` (1% a day for daily data, about 4.8% a week, 5% a month), where
    ``P`` is the number of periods a year the frame's dates hold (``(dates - 1) * 365.25 /
    days spanned``), raises ``ValueError`` saying what it probably is (an annual yield, in
    percent when it is 1 or more) and the conversion to write.
    Examples
    --------
    >>> import polars as pl
    >>> from polars_alpha.screen import returns_panel
    >>> wide = pl.DataFrame(
    ...     {
    ...         "date": pl.date_range(pl.date(2024, 1, 1), pl.date(2024, 1, 3), eager=True),
    ...         "AAA": [10.0, 11.0, 12.1],
    ...         "BBB": [20.0, 19.0, 19.95],
    ...         "index": [100.0, 101.0, 102.01],
    ...     }
    ... )
    >>> returns_panel(wide, benchmark="index").with_columns(pl.col(pl.Float64).round(4))
    shape: (6, 4)
    ┌────────────┬────────┬───────┬───────────┐
    │ date       ┆ ticker ┆ ret   ┆ benchmark │
    │ ---        ┆ ---    ┆ ---   ┆ ---       │
    │ date       ┆ str    ┆ f64   ┆ f64       │
    ╞════════════╪════════╪═══════╪═══════════╡
    │ 2024-01-01 ┆ AAA    ┆ null  ┆ null      │
    │ 2024-01-02 ┆ AAA    ┆ 0.1   ┆ 0.01      │
    │ 2024-01-03 ┆ AAA    ┆ 0.1   ┆ 0.01      │
    │ 2024-01-01 ┆ BBB    ┆ null  ┆ null      │
    │ 2024-01-02 ┆ BBB    ┆ -0.05 ┆ 0.01      │
    │ 2024-01-03 ┆ BBB    ┆ 0.05  ┆ 0.01      │
    └────────────┴────────┴───────┴───────────┘
    """
    panel, rf_number = _prepare(
        frame,
        benchmark=benchmark,
        risk_free=risk_free,
        date=date,
        ticker=ticker,
        value=value,
        kind=kind,
        fill_risk_free=_validate.flag(fill_risk_free, "fill_risk_free"),
    )
    if rf_number is not None:
        panel = panel.with_columns(rf=pl.lit(rf_number, dtype=pl.Float64))
    panel = panel.sort(ticker, date, maintain_order=True)
    return panel.collect() if isinstance(frame, pl.DataFrame) else panel


def _as_of_value(
    value: dt.date | dt.datetime | None, date_type: pl.DataType
) -> dt.date | dt.datetime | None:
    """A validated ``as_of``-like date as a bound on a column of ``date_type``."""
    if isinstance(value, dt.datetime):
        return value.date() if date_type == pl.Date else value
    if isinstance(value, dt.date) and isinstance(date_type, pl.Datetime):
        # A day means all of that day.
        return dt.datetime.combine(value, dt.time.max)
    return value


def _filters(
    min_alpha: float | None,
    beta_between: tuple[float, float] | None,
    filters: pl.Expr | Sequence[pl.Expr] | None,
) -> list[pl.Expr]:
    out: list[pl.Expr] = []
    bound = _validate.min_alpha(min_alpha)
    if bound is not None:
        out.append(pl.col("alpha_ann") >= bound)
    betas = _validate.beta_between(beta_between)
    if betas is not None:
        out.append(pl.col("beta").is_between(*betas))
    return [*out, *_validate.expressions(filters, "filters")]


def _check_panel(
    panel: pl.DataFrame, *, date: str, frame: pl.DataFrame, benchmark: str | Frame
) -> None:
    """Eager-only checks that need the data: a clear error instead of an empty result."""
    if panel.height == 0:
        msg = "the frame has no rows to screen"
        raise ValueError(msg)
    if panel.get_column("benchmark").is_not_null().sum() > 0:
        return
    # No benchmark return at all: say whether the dates, the values or the returns are missing.
    span = f"the frame's dates run from {panel.get_column(date).min()!s} to "
    span += f"{panel.get_column(date).max()!s}"
    date_type = panel.schema[date]
    if isinstance(benchmark, str):
        values = frame.lazy().select(pl.col(date), pl.col(benchmark).cast(pl.Float64).alias(_BENCH))
    else:
        series = _value_column(benchmark.lazy(), date, "benchmark", _BENCH)
        values = series.with_columns(pl.col(date).cast(date_type)).join(
            frame.lazy().select(pl.col(date).unique()), on=date, how="semi"
        )
        if values.select(pl.len()).collect().item() == 0:
            msg = f"the benchmark has no dates in common with the frame ({span})"
            raise ValueError(msg)
    usable = pl.col(_BENCH).is_not_null() & pl.col(_BENCH).is_finite()
    common = values.filter(usable).select(pl.col(date).n_unique()).collect().item()
    if common == 0:
        where = "column" if isinstance(benchmark, str) else "frame"
        msg = f"the benchmark {where} has no value on any of the frame's dates ({span})"
    else:
        msg = (
            f"the benchmark has values on {common} of the frame's dates but no return: a "
            "return from prices needs the values of two consecutive rows of a ticker "
            '(pass kind="returns" if the values are returns already)'
        )
    raise ValueError(msg)


def _repeated_date(date: str, ticker: str) -> pl.Expr:
    """True on a row whose ticker already has a row on its date (rows sorted by date)."""
    return (pl.col(date) == pl.col(date).shift(1)).over(ticker).fill_null(False)


def _check_duplicates(trimmed: pl.DataFrame, *, date: str, ticker: str) -> pl.DataFrame:
    """Two rows of a ticker on one date make its window ambiguous: say which."""
    repeated = _repeated_date(date, ticker)
    if trimmed.select(repeated.any()).item():
        dup = trimmed.filter(repeated).row(0, named=True)
        msg = (
            f"ticker {dup[ticker]!r} has more than one row on {dup[date]!s}; "
            "each ticker needs one row per date"
        )
        raise ValueError(msg)
    return trimmed


def _trim(
    panel: pl.LazyFrame,
    *,
    frame: Frame,
    benchmark: str | Frame,
    as_of: object,
    as_of_limit: dt.date | dt.datetime | None,
    has_rf_column: bool,
    date_type: pl.DataType,
    date: str,
    ticker: str,
    keep: int,
) -> pl.LazyFrame:
    """The rows of a screen's fits from its whole panel: each ticker's last ``keep`` rows up
    to the as-of date (eager: checked, with the as-of date found; lazy: a plan)."""
    usable = pl.col("benchmark").is_not_null() & pl.col("benchmark").is_finite()
    if has_rf_column:
        usable = usable & pl.col("rf").is_not_null() & pl.col("rf").is_finite()
    if as_of_limit is not None:
        usable = usable & (pl.col(date) <= pl.lit(as_of_limit, dtype=date_type))
    as_of_expr: pl.Expr = pl.col(date).filter(usable).max()

    if isinstance(frame, pl.DataFrame):
        collected = panel.collect()
        _check_panel(collected, date=date, frame=frame, benchmark=benchmark)
        as_of_date = collected.select(as_of_expr).item()
        if as_of_date is None:
            first = collected.filter(pl.col("benchmark").is_not_null()).get_column(date).min()
            needs = "a benchmark return"
            if has_rf_column:
                needs += " and a risk-free rate"
            where = f" on or before {as_of}" if as_of is not None else ""
            msg = f"no date{where} has {needs} (the benchmark's returns start on {first!s})"
            raise ValueError(msg)
        panel = collected.lazy()
        as_of_expr = pl.lit(as_of_date, dtype=date_type)

    trimmed = (
        panel.with_columns(as_of_expr.alias(_AS_OF))
        .filter(pl.col(date) <= pl.col(_AS_OF))
        # Each ticker's last `keep` rows (written without a subtraction: lengths are unsigned).
        .filter(pl.int_range(pl.len()).over(ticker) + keep >= pl.len().over(ticker))
    )
    if isinstance(frame, pl.DataFrame):
        trimmed = _check_duplicates(trimmed.collect(), date=date, ticker=ticker).lazy()
    return trimmed


@overload
def screen(
    frame: pl.DataFrame,
    *,
    benchmark: str | Frame,
    risk_free: float | str | Frame | None = ...,
    as_of: dt.date | str | None = ...,
    window: int = ...,
    min_periods: int | None = ...,
    periods_per_year: float = ...,
    weighted_alpha_window: int | None = ...,
    min_alpha: float | None = ...,
    beta_between: tuple[float, float] | None = ...,
    filters: pl.Expr | Sequence[pl.Expr] | None = ...,
    sort_by: str = ...,
    descending: bool = ...,
    top: int | None = ...,
    date: str = ...,
    ticker: str = ...,
    value: str | None = ...,
    kind: Kind = ...,
    fill_risk_free: bool = ...,
    cov_type: str = ...,
    maxlags: int | None = ...,
) -> pl.DataFrame: ...


@overload
def screen(
    frame: pl.LazyFrame,
    *,
    benchmark: str | Frame,
    risk_free: float | str | Frame | None = ...,
    as_of: dt.date | str | None = ...,
    window: int = ...,
    min_periods: int | None = ...,
    periods_per_year: float = ...,
    weighted_alpha_window: int | None = ...,
    min_alpha: float | None = ...,
    beta_between: tuple[float, float] | None = ...,
    filters: pl.Expr | Sequence[pl.Expr] | None = ...,
    sort_by: str = ...,
    descending: bool = ...,
    top: int | None = ...,
    date: str = ...,
    ticker: str = ...,
    value: str | None = ...,
    kind: Kind = ...,
    fill_risk_free: bool = ...,
    cov_type: str = ...,
    maxlags: int | None = ...,
) -> pl.LazyFrame: ...


def screen(
    frame: Frame,
    *,
    benchmark: str | Frame,
    risk_free: float | str | Frame | None = None,
    as_of: dt.date | str | None = None,
    window: int = 252,
    min_periods: int | None = None,
    periods_per_year: float = 252,
    weighted_alpha_window: int | None = None,
    min_alpha: float | None = None,
    beta_between: tuple[float, float] | None = None,
    filters: pl.Expr | Sequence[pl.Expr] | None = None,
    sort_by: str = "alpha_ann",
    descending: bool = True,
    top: int | None = None,
    date: str = "date",
    ticker: str = "ticker",
    value: str | None = None,
    kind: Kind = "auto",
    fill_risk_free: bool = True,
    cov_type: str = "nonrobust",
    maxlags: int | None = None,
) -> Frame:
    """Screen a market: each ticker's alpha, beta, fit quality and momentum as of a date.

    Parameters
    ----------
    frame
        Prices or returns of many tickers, eager or lazy, long (``date, ticker, value``) or
        wide (``date`` and a column per ticker); see :func:`returns_panel`.
    benchmark
        The benchmark's prices or returns: a column of ``frame`` or a frame of ``date`` and
        one numeric column.
    risk_free
        Per-period risk-free rate in decimals: a number, a column of ``frame`` or a frame of
        ``date`` and one numeric column. With it, alpha is Jensen's alpha. ``None`` means
        zero. A rate too large to be per period raises (see :func:`returns_panel`).
    as_of
        The screening date (a ``datetime.date`` or ISO string): the latest date on or before
        it on which the benchmark has a return and, for a risk-free column or frame, the
        risk-free rate has a value. Default: the latest such date in the data.
    window
        Rows in each regression (252: one year of daily data).
    min_periods
        Fewest usable rows a fit needs; default :func:`default_min_periods` (80% of
        ``window``). Tickers with fewer usable rows are left out of the screen.
    periods_per_year
        ``P`` for the annualized alpha ``(1 + alpha) ** P - 1``: 252 daily, 52 weekly, 12
        monthly.
    weighted_alpha_window
        Returns in the weighted alpha; default one year, ``round(periods_per_year)``.
    min_alpha
        Keep tickers whose annualized alpha is at least this (``0.0``: positive alpha).
    beta_between
        Keep tickers whose beta lies in ``[low, high]``, e.g. ``(0.8, 1.2)``.
    filters
        More conditions on the screen's columns, e.g. ``pl.col("r2") > 0.2``; all
        conditions must hold.
    sort_by
        The column to sort by (any screen column); ties are broken by ticker.
    descending
        Sort largest first (default).
    top
        Keep the first ``top`` rows after sorting; ``None`` keeps all.
    date, ticker, value, kind, fill_risk_free
        Column names, the prices-or-returns choice (per ticker) and the fill of a risk-free
        rate missing on a trading date (on by default), as in :func:`returns_panel`.
    cov_type, maxlags
        The covariance behind ``alpha_t``: ``"nonrobust"`` (default), ``"HC0"``, ``"HC1"``
        or ``"HAC"`` with ``maxlags`` lags (Newey-West), as in
        :func:`~polars_alpha.rolling_alpha_beta`. Nothing else in the screen depends on it.

    Returns
    -------
    pl.DataFrame or pl.LazyFrame
        The same kind as ``frame``, one row per ticker: ``date`` (the as-of date),
        ``ticker``, ``alpha`` (per period), ``alpha_ann``, ``beta``, ``r2``, ``resid_std``
        (per period), ``alpha_t``, ``n`` (rows in the fit), ``weighted_alpha`` (percent),
        then ``<m>_rank`` (UInt32, 1 = largest) and ``<m>_z`` (Float64) for each measure
        ``m`` of ``alpha, beta, r2, resid_std, alpha_t, weighted_alpha``.

    Notes
    -----
    Each ticker's fit is :func:`~polars_alpha.rolling_alpha_beta` over its trailing
    ``window`` rows up to the as-of date, and its weighted alpha is
    :func:`~polars_alpha.weighted_alpha` over one year of returns to that date. Only each
    ticker's last ``max(window, weighted_alpha_window)`` rows up to the as-of date are
    computed: the rest cannot change the result. When the benchmark and the risk-free rate
    are separate frames (or a number), only those rows of an eager long frame are joined and
    turned into returns, which is fastest when each ticker's rows are together with dates
    ascending (as :func:`~polars_alpha.datasets.synthetic_market` gives them); other inputs
    give the same screen through the panel of all their rows.

    A ticker is in the screen when it has a row on the as-of date and a fit there (at least
    ``min_periods`` usable rows, a market that moved). Its weighted alpha is null when a
    return is missing in its year. Ranks and z-scores (:func:`cross_sectional_rank`,
    :func:`cross_sectional_zscore`, sample standard deviation) are taken across all the
    screened tickers *before* the filters, so a z-score says where a name stands in the whole
    universe; then the filters apply, then the sort and ``top``.

    A wide frame's leading and trailing nulls in a ticker's column are no rows (a delisted
    ticker has no row on the as-of date and is not screened), so wide and long frames give
    the same screen. A risk-free rate missing on a trading date takes the last earlier quote
    unless ``fill_risk_free=False``.

    A frame without rows, a benchmark without a value on any of the frame's dates, two rows
    of one ticker on one date, no usable as-of date, an ambiguous ticker for
    ``kind="auto"`` and a risk-free rate too large to be per period raise ``ValueError``. A
    lazy ``frame`` stays lazy: nothing is read until you collect, and collecting runs the
    eager screen on the collected frame, so it raises the same errors (benchmark and
    risk-free LazyFrames are collected then too). A value, benchmark or risk-free column
    that is not numeric raises ``TypeError`` naming it at once, eager or lazy.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> sample = pa.datasets.load_sp500_sample()
    >>> out = pa.screen(
    ...     sample.stocks,
    ...     benchmark=sample.index,
    ...     risk_free=sample.risk_free,
    ...     beta_between=(0.8, 1.2),
    ...     top=3,
    ... )
    >>> columns = ["date", "ticker", "alpha_ann", "beta", "weighted_alpha", "alpha_rank"]
    >>> out.select(columns).with_columns(pl.col(pl.Float64).round(3))
    shape: (3, 6)
    ┌────────────┬────────┬───────────┬───────┬────────────────┬────────────┐
    │ date       ┆ ticker ┆ alpha_ann ┆ beta  ┆ weighted_alpha ┆ alpha_rank │
    │ ---        ┆ ---    ┆ ---       ┆ ---   ┆ ---            ┆ ---        │
    │ date       ┆ str    ┆ f64       ┆ f64   ┆ f64            ┆ u32        │
    ╞════════════╪════════╪═══════════╪═══════╪════════════════╪════════════╡
    │ 2017-03-29 ┆ BBY    ┆ 0.46      ┆ 0.936 ┆ 58.678         ┆ 2          │
    │ 2017-03-29 ┆ AAPL   ┆ 0.216     ┆ 0.845 ┆ 45.532         ┆ 5          │
    │ 2017-03-29 ┆ MRK    ┆ 0.095     ┆ 0.993 ┆ 20.545         ┆ 9          │
    └────────────┴────────┴───────────┴───────┴────────────────┴────────────┘
    """
    window, min_periods = _window_and_min_periods(window, min_periods)
    robust = _validate.covariance(cov_type, maxlags, window)
    if weighted_alpha_window is None:
        periods = _validate.positive(periods_per_year, "periods_per_year", fix="252 daily")
        wa_window = max(2, round(periods))
    else:
        wa_window = _validate.weighted_alpha_window(weighted_alpha_window)
    conditions = _filters(min_alpha, beta_between, filters)
    _validate.sort_column(sort_by, keys=("date", "ticker", ticker), columns=SCREEN_COLUMNS)
    rows = _validate.top(top)
    _validate.flag(descending, "descending")
    as_of_day = _validate.as_of(as_of, "as_of")

    fill = _validate.flag(fill_risk_free, "fill_risk_free")
    inputs = _inputs(
        frame,
        benchmark=benchmark,
        risk_free=risk_free,
        date=date,
        ticker=ticker,
        value=value,
        kind=kind,
    )
    rf_number = inputs.rf_number
    panel = _panel(inputs, date=date, ticker=ticker, kind=kind, fill_risk_free=fill)
    has_rf_column = "rf" in panel.collect_schema()
    date_type = panel.collect_schema()[date]
    as_of_limit = _as_of_value(as_of_day, date_type)
    keep = max(window, wa_window)

    # An eager frame in order: the panel of the rows the fits use, not of the whole frame.
    found = None
    if isinstance(frame, pl.DataFrame):
        found = _screen_rows(
            inputs,
            date=date,
            ticker=ticker,
            kind=kind,
            fill_risk_free=fill,
            as_of_limit=as_of_limit,
            keep=keep,
        )
    if found is not None:
        fitted, as_of_date = found
        trimmed = fitted.lazy().with_columns(pl.lit(as_of_date, dtype=date_type).alias(_AS_OF))
    else:
        trimmed = _trim(
            panel,
            frame=frame,
            benchmark=benchmark,
            as_of=as_of,
            as_of_limit=as_of_limit,
            has_rf_column=has_rf_column,
            date_type=date_type,
            date=date,
            ticker=ticker,
            keep=keep,
        )
    rate: float | str | None = "rf" if has_rf_column else rf_number
    fits = (
        trimmed.with_columns(
            rolling_alpha_beta(
                "ret",
                "benchmark",
                window=window,
                min_periods=min_periods,
                risk_free=rate,
                by=ticker,
                **robust,
            ).alias(_FIT),
            weighted_alpha("ret", window=wa_window, by=ticker, returns=True).alias(
                "weighted_alpha"
            ),
        )
        .filter(pl.col(date) == pl.col(_AS_OF))
        .unnest(_FIT)
        .filter(pl.col("alpha").is_not_null() & pl.col("beta").is_not_null())
        .select(
            pl.col(date),
            pl.col(ticker),
            "alpha",
            annualize_alpha("alpha", periods_per_year).alias("alpha_ann"),
            "beta",
            "r2",
            "resid_std",
            "alpha_t",
            "n",
            "weighted_alpha",
        )
        # In ticker order, so the z-scores' sums do not depend on the order in which the
        # engine returns the rows of the as-of date.
        .sort(ticker)
    )
    if isinstance(frame, pl.DataFrame):
        # One chunk: the engine sums a column chunk by chunk, so the z-scores would depend
        # on how the rows before were cut.
        fits = fits.collect().rechunk().lazy()
    ranked = fits.with_columns(
        expr
        for m in MEASURES
        for expr in (
            cross_sectional_rank(m).alias(f"{m}_rank"),
            cross_sectional_zscore(m).alias(f"{m}_z"),
        )
    )
    out = _select(ranked, conditions, sort_by, descending, rows, ticker)
    if isinstance(frame, pl.DataFrame):
        return out.collect()
    # Lazy: the eager screen, run on the collected frame when the query is collected, so
    # that it raises the eager screen's errors; the plan above gives the schema unread.

    def run(collected: pl.DataFrame) -> pl.DataFrame:
        bench = benchmark.collect() if isinstance(benchmark, pl.LazyFrame) else benchmark
        rf = risk_free.collect() if isinstance(risk_free, pl.LazyFrame) else risk_free
        return screen(
            collected,
            benchmark=bench,
            risk_free=rf,
            as_of=as_of,
            window=window,
            min_periods=min_periods,
            periods_per_year=periods_per_year,
            weighted_alpha_window=weighted_alpha_window,
            min_alpha=min_alpha,
            beta_between=beta_between,
            filters=filters,
            sort_by=sort_by,
            descending=descending,
            top=top,
            date=date,
            ticker=ticker,
            value=value,
            kind=kind,
            fill_risk_free=fill_risk_free,
            cov_type=cov_type,
            maxlags=maxlags,
        )

    # Only the columns the screen reads are collected.
    return frame.select(inputs.used).map_batches(
        run,
        schema=out.collect_schema(),
        predicate_pushdown=False,
        projection_pushdown=False,
        slice_pushdown=False,
    )


def _select(
    ranked: Frame,
    conditions: list[pl.Expr],
    sort_by: str,
    descending: bool,
    rows: int | None,
    ticker: str,
) -> pl.LazyFrame:
    """The filters, the sort (ties by ticker) and the top rows of a ranked screen."""
    out = ranked.lazy()
    if conditions:
        out = out.filter(conditions)
    out = out.sort([sort_by, ticker], descending=[descending, False], nulls_last=True)
    return out.head(rows) if rows is not None else out


def selection(
    screened: pl.DataFrame,
    *,
    min_alpha: float | None = None,
    beta_between: tuple[float, float] | None = None,
    filters: pl.Expr | Sequence[pl.Expr] | None = None,
    sort_by: str = "alpha_ann",
    descending: bool = True,
    top: int | None = None,
    ticker: str = "ticker",
) -> pl.DataFrame:
    """The rows of an unfiltered screen that :func:`screen` with these selection arguments
    gives (ranks and z-scores are taken before the filters, so they are the same)."""
    conditions = _filters(min_alpha, beta_between, filters)
    _validate.sort_column(sort_by, keys=("date", "ticker", ticker), columns=SCREEN_COLUMNS)
    rows = _validate.top(top)
    _validate.flag(descending, "descending")
    return _select(screened, conditions, sort_by, descending, rows, ticker).collect()


def fit_history(
    frame: Frame,
    *,
    benchmark: str | Frame,
    tickers: Sequence[str] | None = None,
    risk_free: float | str | Frame | None = None,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
    window: int = 252,
    min_periods: int | None = None,
    periods_per_year: float = 252,
    date: str = "date",
    ticker: str = "ticker",
    value: str | None = None,
    kind: Kind = "auto",
    fill_risk_free: bool = True,
) -> pl.DataFrame:
    """Rolling alpha and beta over time for chosen tickers: what a screen saw on every date.

    Parameters
    ----------
    frame, benchmark, risk_free, date, ticker, value, kind, fill_risk_free
        As in :func:`screen`.
    tickers
        The tickers to follow; ``None`` for all.
    start, end
        Keep the fits dated from ``start`` to ``end`` (inclusive, dates or ISO strings);
        ``None`` for no bound. The fits themselves use the rows before ``start``.
    window, min_periods, periods_per_year
        As in :func:`screen` (``min_periods`` defaults to 80% of ``window``).

    Returns
    -------
    pl.DataFrame
        ``date, ticker, alpha, alpha_ann, beta, r2, n``, one row per ticker and date with a
        fit, sorted by ticker then date.

    Notes
    -----
    On any date, a ticker's row here equals its row in ``screen(..., as_of=that date)``
    (for the columns both have). Rows without a fit (too few usable rows) are left out.

    Examples
    --------
    >>> import polars_alpha as pa
    >>> from polars_alpha.screen import fit_history
    >>> sample = pa.datasets.load_sp500_sample()
    >>> history = fit_history(
    ...     sample.stocks,
    ...     benchmark=sample.index,
    ...     tickers=["AAPL", "XOM"],
    ...     start="2020-01-01",
    ... )
    >>> history.group_by("ticker").len().sort("ticker")
    shape: (2, 2)
    ┌────────┬─────┐
    │ ticker ┆ len │
    │ ---    ┆ --- │
    │ str    ┆ u32 │
    ╞════════╪═════╡
    │ AAPL   ┆ 754 │
    │ XOM    ┆ 754 │
    └────────┴─────┘
    """
    window, min_periods = _window_and_min_periods(window, min_periods)
    names = _validate.ticker_list(tickers)
    first_day = _validate.as_of(start, "start")
    last_day = _validate.as_of(end, "end")
    panel, rf_number = _prepare(
        frame,
        benchmark=benchmark,
        risk_free=risk_free,
        date=date,
        ticker=ticker,
        value=value,
        kind=kind,
        fill_risk_free=_validate.flag(fill_risk_free, "fill_risk_free"),
    )
    schema = panel.collect_schema()
    if names is not None:
        panel = panel.filter(pl.col(ticker).is_in(names))
    date_type = schema[date]
    bounds: list[pl.Expr] = []
    last = _as_of_value(last_day, date_type)  # a day means the whole day
    if last is not None:
        bounds.append(pl.col(date) <= pl.lit(last, dtype=date_type))
    first = _as_of_value(first_day, pl.Date())  # compared from the day's start
    if first is not None:
        bounds.append(pl.col(date) >= pl.lit(first, dtype=pl.Date).cast(date_type))
    rate: float | str | None = "rf" if "rf" in schema else rf_number
    out = (
        panel.with_columns(
            rolling_alpha_beta(
                "ret",
                "benchmark",
                window=window,
                min_periods=min_periods,
                risk_free=rate,
                by=ticker,
            ).alias(_FIT)
        )
        .filter(*bounds, pl.col(_FIT).struct.field("beta").is_not_null())
        .unnest(_FIT)
        .select(
            pl.col(date),
            pl.col(ticker),
            "alpha",
            annualize_alpha("alpha", periods_per_year).alias("alpha_ann"),
            "beta",
            "r2",
            "n",
        )
        .sort(ticker, date)
    )
    return out.collect()
