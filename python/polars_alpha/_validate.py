"""Every argument check of the public functions, in one place: clear errors before any work.

The rule for the exception type: ``TypeError`` when an argument has the wrong type (a string
or a bool where a number is expected, a float where an integer is), ``ValueError`` when it
has the right type but a value out of range (a window of 1, a NaN rate, an unknown option).
Each check names the argument and, where one helps, the fix.
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
import os
import re
from collections.abc import Iterable, Sequence
from numbers import Integral, Real
from typing import Any, TypeGuard

import numpy as np
import numpy.typing as npt
import polars as pl

from polars_alpha._internal import (
    ENDPOINT_FIELDS,
    FIT_FIELDS,
    MAX_PER_PERIOD_RATE,
    factor_fields,
)
from polars_alpha._typing import IntoExprColumn

# ---------------------------------------------------------------------------------------------
# Numbers


def _is_number(value: object) -> TypeGuard[Real]:
    """A real number and not a bool (``True`` is an ``int`` to Python, never to us)."""
    return isinstance(value, Real) and not isinstance(value, bool)


def _is_integer(value: object) -> TypeGuard[Integral]:
    """An integer (NumPy's included) and not a bool."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def positive(value: object, argument: str, *, fix: str) -> float:
    """Validate a positive finite number."""
    if not _is_number(value):
        msg = f"`{argument}` must be a positive number ({fix}), got {value!r}"
        raise TypeError(msg)
    number = float(value)
    if not (math.isfinite(number) and number > 0):
        msg = f"`{argument}` must be a positive finite number ({fix}), got {number}"
        raise ValueError(msg)
    return number


def periods_per_year(value: object) -> float:
    """Validate ``periods_per_year``: positive and finite (252 daily, 52 weekly, 12 monthly)."""
    if not _is_number(value):
        msg = f"`periods_per_year` must be a positive number, got {value!r}"
        raise TypeError(msg)
    periods = float(value)
    if not (math.isfinite(periods) and periods > 0):
        msg = (
            f"`periods_per_year` must be positive and finite (252 daily, 52 weekly, "
            f"12 monthly), got {periods}"
        )
        raise ValueError(msg)
    return periods


def half_life(value: object, *, allow_infinite: bool) -> float:
    """Validate a half-life in rows: positive, not NaN, finite unless allowed."""
    if not _is_number(value):
        msg = f"`half_life` must be a positive number of rows, got {value!r}"
        raise TypeError(msg)
    rate = float(value)
    if math.isnan(rate) or rate <= 0 or (math.isinf(rate) and not allow_infinite):
        fix = " (or float('inf') for no decay)" if allow_infinite else ""
        msg = f"`half_life` must be a positive number of rows{fix}, got {rate}"
        raise ValueError(msg)
    return rate


def decay(value: object) -> float:
    """Validate RiskMetrics' decay factor λ: strictly between 0 and 1."""
    if not _is_number(value):
        msg = (
            "`decay` must be a number strictly between 0 and 1 (0.94 for daily data), "
            f"got {value!r}"
        )
        raise TypeError(msg)
    factor = float(value)
    if not 0 < factor < 1:
        msg = f"`decay` must be strictly between 0 and 1 (0.94 for daily data), got {value!r}"
        raise ValueError(msg)
    return factor


def risk_free(value: object) -> tuple[float | None, IntoExprColumn | None]:
    """Split `risk_free` into a per-period number or a column; at most one is set."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        msg = "`risk_free` must be a number, a column name or an expression, got a bool"
        raise TypeError(msg)
    if isinstance(value, Real):
        rate = float(value)
        if not math.isfinite(rate):
            msg = f"`risk_free` must be a finite per-period rate, got {rate}"
            raise ValueError(msg)
        return per_period_rate(rate), None
    return None, column(value, "risk_free")


def required_return(value: object) -> tuple[float | None, IntoExprColumn | None]:
    """Split Sortino's `required_return` into a per-period number or a column."""
    if isinstance(value, bool) or value is None:
        msg = (
            "`required_return` must be a per-period number (0.0 by default), a column name or "
            f"an expression, got {value!r}"
        )
        raise TypeError(msg)
    if isinstance(value, Real):
        rate = float(value)
        if not math.isfinite(rate):
            msg = f"`required_return` must be a finite per-period return, got {rate}"
            raise ValueError(msg)
        return per_period_rate(rate, "required_return"), None
    return None, column(value, "required_return")


def downside_threshold(value: object) -> float | None:
    """Validate downside beta's `threshold`: "mean" (None) or a finite number."""
    if value == "mean" and isinstance(value, str):
        return None
    if not _is_number(value):
        msg = (
            '`threshold` must be "mean" (the market\'s mean in the window) or a number, '
            f"got {value!r}"
        )
        raise TypeError(msg)
    level = float(value)
    if not math.isfinite(level):
        msg = f"`threshold` must be a finite number, got {level}"
        raise ValueError(msg)
    return level


def winsorize(value: object) -> float | None:
    """Validate a winsorizing tail fraction in [0, 0.5), or None."""
    if value is None:
        return None
    if not _is_number(value):
        msg = f"`winsorize` must be a tail fraction in [0, 0.5) or None, got {value!r}"
        raise TypeError(msg)
    fraction = float(value)
    if not 0.0 <= fraction < 0.5:
        msg = (
            f"`winsorize` must be a tail fraction in [0, 0.5), got {value}; "
            "for example 0.01 winsorizes at the 1st and 99th percentiles"
        )
        raise ValueError(msg)
    return fraction


def ddof(value: object) -> int:
    """Validate a standard deviation's delta degrees of freedom: 0 or 1."""
    if not _is_integer(value):
        msg = f"`ddof` must be 0 or 1, got {value!r}"
        raise TypeError(msg)
    if int(value) not in (0, 1):
        msg = f"`ddof` must be 0 or 1, got {value!r}"
        raise ValueError(msg)
    return int(value)


def min_alpha(value: object) -> float | None:
    """Validate the screen's lower bound on annualized alpha, or None."""
    if value is None:
        return None
    if not _is_number(value):
        msg = f"`min_alpha` must be a number (annualized alpha), got {value!r}"
        raise TypeError(msg)
    bound = float(value)
    if math.isnan(bound):
        msg = "`min_alpha` is NaN, which no alpha passes; give a number such as 0.0, or None"
        raise ValueError(msg)
    return bound


def beta_between(value: object) -> tuple[float, float] | None:
    """Validate the screen's beta range ``(low, high)``, or None."""
    if value is None:
        return None
    if (
        isinstance(value, (str, bytes))
        or not isinstance(value, Sequence)
        or len(value) != 2
        or not all(_is_number(b) for b in value)
    ):
        msg = f"`beta_between` must be a pair of numbers (low, high), got {value!r}"
        raise TypeError(msg)
    low, high = float(value[0]), float(value[1])
    if math.isnan(low) or math.isnan(high):
        msg = (
            f"`beta_between` has a NaN bound, which no beta passes: {value!r}; "
            "use -math.inf or math.inf for an open side"
        )
        raise ValueError(msg)
    if low > high:
        msg = f"`beta_between` must be (low, high) with low <= high, got {value!r}"
        raise ValueError(msg)
    return low, high


# ---------------------------------------------------------------------------------------------
# Integers: windows, counts


def window_and_min_periods(window: object, min_periods: object) -> tuple[int, int]:
    """Validate a row window and its minimum count of usable rows; return both as ints."""
    if not _is_integer(window):
        msg = (
            f"`window` must be an integer number of rows (at least 2), got {window!r}; "
            "for example window=252 for one year of daily returns"
        )
        raise TypeError(msg)
    rows = int(window)
    if rows < 2:
        msg = f"`window` must be at least 2 rows to fit a line, got {rows}"
        raise ValueError(msg)
    if min_periods is None:
        return rows, rows
    if not _is_integer(min_periods):
        msg = f"`min_periods` must be an integer or None, got {min_periods!r}"
        raise TypeError(msg)
    least = int(min_periods)
    if least < 2:
        msg = f"`min_periods` must be at least 2 (two points fit a line), got {least}"
        raise ValueError(msg)
    if least > rows:
        msg = (
            f"`min_periods` ({least}) must not exceed `window` ({rows}); "
            "lower min_periods or widen the window"
        )
        raise ValueError(msg)
    return rows, least


def expanding_min_periods(min_periods: object) -> int:
    """Validate the minimum row count of an expanding (all-history) fit; default 2."""
    if min_periods is None:
        return 2
    if not _is_integer(min_periods):
        msg = f"`min_periods` must be an integer or None, got {min_periods!r}"
        raise TypeError(msg)
    least = int(min_periods)
    if least < 2:
        msg = f"`min_periods` must be at least 2 (two points fit a line), got {min_periods}"
        raise ValueError(msg)
    return least


def whole_sample_min_periods(min_periods: object) -> int:
    """Validate the minimum row count of a whole-sample (one per group) statistic."""
    if not _is_integer(min_periods):
        msg = f"`min_periods` must be an integer (at least 2), got {min_periods!r}"
        raise TypeError(msg)
    least = int(min_periods)
    if least < 2:
        msg = f"`min_periods` must be at least 2 (two points fit a line), got {min_periods}"
        raise ValueError(msg)
    return least


def weighted_alpha_window(value: object) -> int:
    """Validate the screen's weighted-alpha window: an integer number of returns, at least 2."""
    if not _is_integer(value) or int(value) < 2:
        msg = (
            "`weighted_alpha_window` must be an integer number of returns (at least 2), got "
            f"{value!r}; for example 252 for one year of daily data, or None for "
            "round(periods_per_year)"
        )
        raise (ValueError if _is_integer(value) else TypeError)(msg)
    return int(value)


def top(value: object) -> int | None:
    """Validate the number of rows a screen keeps: a positive integer, or None for all."""
    if value is None:
        return None
    if not _is_integer(value) or int(value) < 1:
        msg = f"`top` must be a positive integer or None, got {value!r}"
        raise (ValueError if _is_integer(value) else TypeError)(msg)
    return int(value)


def positive_int(value: object, argument: str) -> int:
    """Validate a positive count (of tickers, of days).

    A number that is not whole (2.5) is a ``ValueError`` here, not a ``TypeError`` as a
    fractional ``window`` is: ``synthetic_market`` has always raised it, and its tests say so.
    """
    msg = f"`{argument}` must be a positive integer, got {value!r}"
    if not _is_number(value):
        raise TypeError(msg)
    if not _is_integer(value) or int(value) < 1:
        raise ValueError(msg)
    return int(value)


# ---------------------------------------------------------------------------------------------
# Windows


#: A Polars duration: one or more ``<integer><unit>`` parts, calendar units included.
_DURATION = re.compile(r"(\d+)(ns|us|ms|mo|s|m|h|d|w|q|y)")


def duration(value: str) -> str:
    """Validate a Polars duration string such as ``"1y"``, ``"6mo"`` or ``"63d"``."""
    parts = _DURATION.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value:
        msg = (
            f"`window` {value!r} is not a duration; use a Polars duration such as "
            '"1y", "6mo", "13w" or "63d" (units ns, us, ms, s, m, h, d, w, mo, q, y)'
        )
        raise ValueError(msg)
    if all(int(n) == 0 for n, _ in parts):
        msg = f"`window` must be a positive duration, got {value!r}"
        raise ValueError(msg)
    return value


def window_kind(
    window: object, min_periods: object, order_by: object
) -> tuple[int | None, int | None, str | None]:
    """Split `window` into a row count, an expanding fit (None) or a duration (on `order_by`).

    Returns the row window (None for expanding and date windows), the validated
    `min_periods` (None for a date window left to its default, which the plugin computes
    from the data) and the duration (None unless a date window).
    """
    if isinstance(window, str):
        window = duration(window)
        if order_by is None:
            msg = (
                f"`window={window!r}` is a date window and needs `order_by=`, the date column "
                'the duration is measured on (for example order_by="date")'
            )
            raise ValueError(msg)
        least = None if min_periods is None else expanding_min_periods(min_periods)
        return None, least, window
    if window is None:
        return None, expanding_min_periods(min_periods), None
    rows, least = window_and_min_periods(window, min_periods)
    return rows, least, None


def per_period_rate(rate: float, argument: str = "risk_free") -> float:
    """Refuse a per-period rate no real rate comes near (a percent, an annual yield)."""
    if abs(rate) > MAX_PER_PERIOD_RATE:
        msg = (
            f"`{argument}` is a per-period rate of {rate}, above the "
            f"{MAX_PER_PERIOD_RATE:.0%} a period that any real rate stays below: a percent "
            "(4.5 for 4.5%) is 0.045 as a rate, and an annual yield y is a per-period rate "
            "only once converted, e.g. (1 + y) ** (1 / 252) - 1 for daily returns"
        )
        raise ValueError(msg)
    return rate


def rows_only(window: object, *, why: str) -> None:
    """Refuse a duration string where the window can only be counted in rows."""
    if isinstance(window, str):
        msg = f"`window` must be an integer number of rows or None, got {window!r}; {why}"
        raise TypeError(msg)


# ---------------------------------------------------------------------------------------------
# Options, flags, lists


def flag(value: object, argument: str) -> bool:
    """Accept only a real bool for an on/off option."""
    if not isinstance(value, bool):
        msg = f"`{argument}` must be True or False, got {value!r}"
        raise TypeError(msg)
    return value


def choice(value: object, argument: str, options: Sequence[str]) -> str:
    """Accept one of the option strings ``options``.

    Anything else, a string or not (None included), is a ``ValueError``: an option is a
    choice among values, and the tests of ``weights=None`` say so.
    """
    if isinstance(value, str) and value in options:
        return value
    quoted = [f'"{o}"' for o in options]
    listed = ", ".join(quoted[:-1]) + f" or {quoted[-1]}" if len(quoted) > 1 else quoted[0]
    if len(quoted) > 3:
        listed = "one of " + listed
    msg = f"`{argument}` must be {listed}, got {value!r}"
    raise ValueError(msg)


def weighted_alpha_half_life(value: object, weights: str) -> float | None:
    """Validate the half-life of weighted alpha's weights: exponential weights only."""
    if value is None:
        return None
    if weights == "linear":
        msg = '`half_life` applies to weights="exponential" only; leave it None for "linear"'
        raise ValueError(msg)
    return half_life(value, allow_infinite=True)


def sort_column(value: object, *, keys: Sequence[str], columns: Sequence[str]) -> str:
    """Validate the column a screen is sorted by: one of its ``keys`` or ``columns``."""
    if not isinstance(value, str):
        msg = f'`sort_by` must be a column name such as "alpha_ann", got {value!r}'
        raise TypeError(msg)
    if value not in (*keys, *columns):
        msg = f"unknown column {value!r} (sort_by); choose from {', '.join(columns)}"
        raise ValueError(msg)
    return value


def ticker_list(value: object) -> list[Any] | None:
    """Validate a list of tickers, or None."""
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Sequence):
        msg = f'`tickers` must be a list of tickers such as ["AAPL"], got {value!r}'
        raise TypeError(msg)
    return list(value)


def expressions(value: object, argument: str) -> list[pl.Expr]:
    """Validate one Polars expression or a list of them (None for none)."""
    if value is None:
        return []
    if isinstance(value, pl.Expr):
        return [value]
    items = list(value) if isinstance(value, Iterable) and not isinstance(value, str) else [value]
    out: list[pl.Expr] = []
    for item in items:
        if not isinstance(item, pl.Expr):
            msg = f"`{argument}` must be Polars expressions, got {type(item).__name__}"
            raise TypeError(msg)
        out.append(item)
    return out


def fit_fields(fields: object, *, endpoints: bool = False) -> list[str] | None:
    """Validate a `fields=` selection of struct fields; None means all of them. With
    `endpoints`, the fit also returns the ENDPOINT_FIELDS (fitted, resid) when named."""
    known = FIT_FIELDS + ENDPOINT_FIELDS if endpoints else FIT_FIELDS
    return _field_selection(fields, known)


def factor_fit_fields(fields: object, factor_names: Sequence[str]) -> list[str] | None:
    """Validate a `fields=` selection of a rolling multi-factor fit's struct fields (those of
    `factor_fields(factor_names)` and the ENDPOINT_FIELDS); None means all but the endpoints."""
    return _field_selection(fields, (*factor_fields(list(factor_names)), *ENDPOINT_FIELDS))


def _field_selection(fields: object, known: Sequence[str]) -> list[str] | None:
    if fields is None:
        return None
    if isinstance(fields, str) or not isinstance(fields, Sequence):
        msg = f'`fields` must be a list of field names such as ["alpha", "beta"], got {fields!r}'
        raise TypeError(msg)
    names = list(fields)
    unknown = [f for f in names if f not in known]
    if unknown:
        hint = (
            f"; only rolling_alpha_beta and rolling_factor_regression return"
            f" {' and '.join(ENDPOINT_FIELDS)}"
            if unknown[0] in ENDPOINT_FIELDS
            else ""
        )
        msg = f"unknown field {unknown[0]!r} in `fields`; choose from {', '.join(known)}{hint}"
        raise ValueError(msg)
    if not names:
        msg = '`fields` is empty; name at least one field, e.g. ["alpha", "beta"]'
        raise ValueError(msg)
    if len(set(names)) != len(names):
        msg = f"`fields` names a field twice: {names!r}"
        raise ValueError(msg)
    return names


# ---------------------------------------------------------------------------------------------
# Columns and expressions


def column(value: object, argument: str) -> IntoExprColumn:
    """Accept a column name, an expression or a Series; name the argument otherwise."""
    if isinstance(value, (str, pl.Expr, pl.Series)):
        return value
    msg = (
        f"`{argument}` must be a column name, a Polars expression or a Series, "
        f"got {type(value).__name__}"
    )
    raise TypeError(msg)


def as_expr(value: IntoExprColumn) -> pl.Expr:
    """A column name, Series or expression as an expression."""
    if isinstance(value, str):
        return pl.col(value)
    if isinstance(value, pl.Series):
        return pl.lit(value)
    return value


def factor_list(factors: object) -> tuple[list[IntoExprColumn], list[str]]:
    """Validate the factors of a multi-factor regression; return them and their names."""
    if isinstance(factors, (str, pl.Expr, pl.Series)) or not isinstance(factors, Sequence):
        msg = (
            "`factors` must be a list of columns or expressions, e.g. "
            '["mkt_rf", "smb", "hml"], '
            f"got {type(factors).__name__}"
        )
        raise TypeError(msg)
    if len(factors) == 0:
        msg = '`factors` is empty; pass at least one factor column, e.g. ["mkt_rf"]'
        raise ValueError(msg)
    columns = [column(f, "factors") for f in factors]
    names: list[str] = []
    for f in columns:
        if isinstance(f, str):
            names.append(f)
        elif isinstance(f, pl.Series):
            names.append(f.name)
        else:
            try:
                names.append(f.meta.output_name())
            except pl.exceptions.ComputeError:
                msg = f"factor expression {f} has no single output name; give it one with .alias()"
                raise ValueError(msg) from None
    seen: set[str] = set()
    for name in names:
        if name in seen:
            msg = (
                f"two factors are named {name!r}; each factor needs a distinct name "
                "(use .alias() on expressions)"
            )
            raise ValueError(msg)
        seen.add(name)
    return columns, names


# ---------------------------------------------------------------------------------------------
# Frames and dates


def polars_frame(value: object, argument: str) -> pl.DataFrame | pl.LazyFrame:
    """Accept a Polars DataFrame or LazyFrame."""
    if not isinstance(value, (pl.DataFrame, pl.LazyFrame)):
        msg = f"`{argument}` must be a Polars DataFrame or LazyFrame, got {type(value).__name__}"
        raise TypeError(msg)
    return value


def frame_with_columns(frame: object, columns: Sequence[str], what: str) -> pl.DataFrame:
    """Accept an eager Polars DataFrame holding ``columns``; ``what`` names it in errors."""
    if not isinstance(frame, pl.DataFrame):
        msg = f"{what} must be a Polars DataFrame, got {type(frame).__name__}"
        raise TypeError(msg)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"{what} has no column {missing[0]!r}; its columns are: {', '.join(frame.columns)}"
        raise ValueError(msg)
    return frame


def column_or_frame(value: object, argument: str) -> str | pl.DataFrame | pl.LazyFrame:
    """Accept a column name or a frame of the date and one numeric column (a screen's
    benchmark)."""
    if not isinstance(value, (str, pl.DataFrame, pl.LazyFrame)):
        msg = (
            f"`{argument}` must be a column name or a frame of the date and one numeric "
            f"column, got {type(value).__name__}"
        )
        raise TypeError(msg)
    return value


def screen_risk_free(value: object) -> float | str | pl.DataFrame | pl.LazyFrame | None:
    """A screen's risk-free rate: a per-period number, a column name, a frame, or None."""
    if value is None or isinstance(value, (str, pl.DataFrame, pl.LazyFrame)):
        return value
    if not _is_number(value):
        msg = (
            "`risk_free` must be a per-period number, a column name or a frame of the date "
            f"and one numeric column, got {type(value).__name__}"
        )
        raise TypeError(msg)
    rate, _ = risk_free(value)
    return rate


def as_of(value: object, argument: str) -> dt.date | dt.datetime | None:
    """A date, a datetime, an ISO date string or None, as a date or datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return (
                dt.datetime.fromisoformat(value)
                if "T" in value or " " in value.strip()
                else dt.date.fromisoformat(value)
            )
        except ValueError:
            msg = f"`{argument}` {value!r} is not a date; use ISO format, e.g. 2017-03-29"
            raise ValueError(msg) from None
    if isinstance(value, dt.date):  # a datetime is a date too
        return value
    msg = (
        f"`{argument}` must be a date, a datetime or an ISO date string, got {type(value).__name__}"
    )
    raise TypeError(msg)


# ---------------------------------------------------------------------------------------------
# NumPy arrays and pandas frames


def real_array(value: object, argument: str) -> npt.NDArray[np.float64]:
    """A real-valued array as float64; TypeError naming the argument otherwise."""
    if isinstance(value, (pl.Series, pl.DataFrame)):
        value = value.to_numpy()
    if isinstance(value, np.ma.MaskedArray):
        msg = (
            f"`{argument}` is a masked array, whose masked values NumPy would pass on as "
            f"numbers; fill them first: {argument}.astype(float).filled(np.nan) "
            "(NaN is a missing value)"
        )
        raise TypeError(msg)
    array = np.asarray(value)
    if array.dtype.kind not in "iuf":
        msg = (
            f"`{argument}` must hold real numbers (integer or float dtype), got dtype {array.dtype}"
        )
        raise TypeError(msg)
    return array.astype(np.float64, copy=False)


def returns_matrix(value: object) -> npt.NDArray[np.float64]:
    """The NumPy entry point's asset returns ``Y``: real numbers, 1-D (T,) or 2-D (T, N)."""
    y = real_array(value, "Y")
    if y.ndim not in (1, 2):
        msg = f"`Y` must be 1-D (T,) or 2-D (T, N), got {y.ndim} dimensions {y.shape}"
        raise ValueError(msg)
    return y


def series_of_length(
    value: object, argument: str, periods: int, shape: tuple[int, ...], *, number: bool = False
) -> npt.NDArray[np.float64]:
    """A 1-D array of real numbers with one value per period of ``Y`` (of shape ``shape``)."""
    array = real_array(value, argument)
    if array.ndim != 1 or array.shape[0] != periods:
        also = "be a number or " if number else ""
        msg = (
            f"`{argument}` must {also}have shape ({periods},) to match `Y` {shape}, "
            f"got {array.shape}"
        )
        raise ValueError(msg)
    return array


def pandas_frame(value: object) -> Any:
    """Accept a pandas DataFrame whose column names are distinct."""
    pd = importlib.import_module("pandas")
    if not isinstance(value, pd.DataFrame):
        msg = f"`frame` must be a pandas DataFrame, got {type(value).__name__}"
        raise TypeError(msg)
    if value.columns.has_duplicates:
        repeated = value.columns[value.columns.duplicated()][0]
        msg = f"`frame` has more than one column named {repeated!r}; give each asset its own name"
        raise ValueError(msg)
    return value


def pandas_numeric(values: Any, what: str) -> Any:
    """A pandas Series of real numbers: pandas would turn booleans and datetimes into
    numbers, so they are refused by name."""
    pd = importlib.import_module("pandas")
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        msg = f"{what} must hold real numbers (integer or float dtype), got dtype {dtype}"
        raise TypeError(msg)
    return values


def pandas_column(frame: Any, value: object, argument: str) -> Any:
    """The column of ``frame`` named by ``value``, checked to hold real numbers."""
    if value not in frame.columns:
        msg = f"`{argument}` names no column of `frame`: {value!r}"
        raise ValueError(msg)
    return pandas_numeric(frame[value], f"`{argument}` (column {value!r})")


def pandas_series(value: object, argument: str) -> Any:
    """Accept a pandas Series of real numbers."""
    pd = importlib.import_module("pandas")
    if not isinstance(value, pd.Series):
        msg = f"`{argument}` must be a pandas Series or a column name, got {type(value).__name__}"
        raise TypeError(msg)
    return pandas_numeric(value, f"`{argument}`")


#: The files a chart is written to: its format follows the extension.
CHART_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def chart_path(value: object, argument: str = "path") -> tuple[str, str] | None:
    """Accept a chart's file (a str or path-like ending in .png, .svg or .pdf), or None.

    Returns the path and the matplotlib format its extension names.
    """
    if value is None:
        return None
    try:
        path = os.fspath(value)  # type: ignore[call-overload]
    except TypeError:
        msg = f"`{argument}` must be a file path such as 'screen.png', got {type(value).__name__}"
        raise TypeError(msg) from None
    if not isinstance(path, str):
        msg = f"`{argument}` must be a text path such as 'screen.png', got bytes {path!r}"
        raise TypeError(msg)
    suffix = os.path.splitext(path)[1]
    fmt = CHART_FORMATS.get(suffix.lower())
    if fmt is None:
        accepted = ", ".join(CHART_FORMATS)
        found = f"{suffix!r}" if suffix else "no extension"
        msg = (
            f"`{argument}` must end in {accepted} (the format follows the extension), "
            f"got {path!r} with {found}"
        )
        raise ValueError(msg)
    return path, fmt


# ---------------------------------------------------------------------------------------------
# Risk-free units

#: The largest plausible per-period risk-free rate is this over the periods per year (1% a
#: day for daily data, about 4.8% a week), and never above MAX_PER_PERIOD_RATE, the bound
#: the expressions apply to any rate (5% a period).
RATE_LIMIT_PER_YEAR = 2.52


def periods_per_year_of(dates: pl.Series) -> float | None:
    """How many periods a year the distinct dates of ``dates`` hold (about 252 for daily
    data), or None with fewer than three dates."""
    days = dates.drop_nulls().unique().sort()
    if days.len() < 3:
        return None
    span = days[-1] - days[0]
    span_days = span.total_seconds() / 86_400.0 if isinstance(span, dt.timedelta) else 0.0
    if span_days <= 0:
        return None
    return (days.len() - 1) * 365.25 / span_days


def rate_limit(periods: float) -> float:
    """The largest plausible per-period risk-free rate with ``periods`` periods a year."""
    return min(RATE_LIMIT_PER_YEAR / periods, MAX_PER_PERIOD_RATE)


def implausible_rate_message(
    rate: float, periods: float, *, argument: str, where: str, fix: str | None = None
) -> str:
    """The message for a per-period risk-free ``rate`` above :func:`rate_limit`: what the
    number probably is, and ``fix`` (default: the conversion to write)."""
    per_year = round(periods)
    looks = "an annual yield in percent" if abs(rate) >= 1 else "an annual yield in decimals"
    annual = rate / 100.0 if abs(rate) >= 1 else rate
    if fix is None:
        per_period = (1.0 + annual) ** (1.0 / per_year) - 1.0
        fix = (
            f"pass the per-period rate in decimals, e.g. (1 + {annual:g}) ** (1 / {per_year}) "
            f"- 1 = {per_period:.3g}"
        )
    return (
        f"{argument} is {rate:g} per period{where}, above {rate_limit(periods):.3g}, the "
        f"largest plausible rate for data with {per_year} periods a year (1% a day, at most "
        f"5% a period); it "
        f"looks like {looks}: {fix}"
    )


# ---------------------------------------------------------------------------------------------
# Signals and their evaluation


def signal_windows(window: object, skip: object) -> tuple[int, int]:
    """Validate a momentum window and its skipped newest rows: ``0 <= skip < window``."""
    for value, argument in ((window, "window"), (skip, "skip")):
        if not _is_integer(value):
            msg = f"`{argument}` must be an integer number of rows, got {value!r}"
            raise TypeError(msg)
    rows, skipped = int(window), int(skip)  # type: ignore[call-overload]
    if rows < 1:
        msg = f"`window` must be at least 1 row, got {rows}; e.g. window=252 for one year"
        raise ValueError(msg)
    if not 0 <= skipped < rows:
        msg = (
            f"`skip` must be at least 0 and below `window` ({rows}), got {skipped}; "
            "e.g. window=252, skip=21 for 12-1 momentum"
        )
        raise ValueError(msg)
    return rows, skipped


def horizon(value: object) -> int:
    """Validate a forward-return horizon: a positive integer number of rows."""
    if not _is_integer(value):
        msg = f"`horizon` must be a positive integer number of rows, got {value!r}"
        raise TypeError(msg)
    if int(value) < 1:
        msg = f"`horizon` must be at least 1 row, got {int(value)}"
        raise ValueError(msg)
    return int(value)


def horizons(value: object) -> tuple[int, ...]:
    """Validate the forward-return horizons of a signal report: distinct positive integers,
    at least one; returned sorted."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        msg = f"`horizons` must be a sequence of positive integers, e.g. (1, 5, 21), got {value!r}"
        raise TypeError(msg)
    values = list(value)
    if not values:
        msg = "`horizons` is empty; give at least one horizon in rows, e.g. (1, 5, 21, 63)"
        raise ValueError(msg)
    for h in values:
        if not _is_integer(h):
            msg = f"`horizons` must hold integers, got {h!r}"
            raise TypeError(msg)
        if int(h) < 1:
            msg = f"`horizons` must be positive numbers of rows, got {int(h)}"
            raise ValueError(msg)
    ints = sorted({int(h) for h in values})
    if len(ints) != len(values):
        msg = f"`horizons` names a horizon twice: {values!r}"
        raise ValueError(msg)
    return tuple(ints)


def quantile_count(value: object) -> int:
    """Validate the number of signal quantiles: an integer of at least 2."""
    if not _is_integer(value):
        msg = f"`quantiles` must be an integer (at least 2), got {value!r}"
        raise TypeError(msg)
    if int(value) < 2:
        msg = f"`quantiles` must be at least 2 (top and bottom), got {int(value)}; e.g. 5"
        raise ValueError(msg)
    return int(value)


def residual_momentum_windows(
    fit_window: object,
    fit_min_periods: object,
    window: object,
    skip: object,
    min_periods: object,
) -> tuple[int, int, int, int, int]:
    """Validate residual momentum's windows: the fit's (as a rolling fit's), and a span of
    ``window - skip >= 2`` residuals with ``2 <= min_periods <= window - skip``."""
    fit_rows, fit_least = window_and_min_periods(fit_window, fit_min_periods)
    rows, skipped = signal_windows(window, skip)
    span = rows - skipped
    if span < 2:
        msg = (
            f"`skip` ({skipped}) must leave at least 2 rows of `window` ({rows}) for the "
            "residuals' standard deviation; use skip <= window - 2"
        )
        raise ValueError(msg)
    if min_periods is None:
        return fit_rows, fit_least, rows, skipped, span
    if not _is_integer(min_periods):
        msg = f"`min_periods` must be an integer or None, got {min_periods!r}"
        raise TypeError(msg)
    least = int(min_periods)
    if not 2 <= least <= span:
        msg = f"`min_periods` must be between 2 and window - skip ({span}) residuals, got {least}"
        raise ValueError(msg)
    return fit_rows, fit_least, rows, skipped, least


# ---------------------------------------------------------------------------------------------
# Robust standard errors

#: The covariance estimators of the standard errors and t-values, the default first.
COV_TYPES = ("nonrobust", "HC0", "HC1", "HAC")


def covariance(cov_type: object, maxlags: object, window: object = None) -> dict[str, Any]:
    """Validate ``cov_type`` and ``maxlags``; the keyword arguments the plugin takes for them.

    Nothing is sent for the default ``"nonrobust"``. ``maxlags`` is required by ``"HAC"``
    and refused by the others; it is a whole number of lags from 0 to ``window - 1`` for a
    row window.
    """
    if not (isinstance(cov_type, str) and cov_type in COV_TYPES):
        listed = ", ".join(f'"{c}"' for c in COV_TYPES)
        msg = f"`cov_type` must be one of {listed}, got {cov_type!r}"
        raise ValueError(msg)
    if cov_type != "HAC":
        if maxlags is not None:
            msg = (
                f'`maxlags` applies only to cov_type="HAC" (Newey-West), got '
                f'cov_type={cov_type!r}; drop maxlags or use cov_type="HAC"'
            )
            raise ValueError(msg)
        return {} if cov_type == "nonrobust" else {"cov_type": cov_type}
    if maxlags is None:
        msg = (
            '`maxlags` is required with cov_type="HAC": the number of lags of the '
            "Newey-West estimator, e.g. floor(4 * (n / 100) ** (2 / 9)) for n rows"
        )
        raise ValueError(msg)
    if not _is_integer(maxlags) or int(maxlags) < 0:
        msg = f"`maxlags` must be a whole number of lags >= 0, got {maxlags!r}"
        raise ValueError(msg)
    lags = int(maxlags)
    if _is_integer(window) and lags >= int(window):
        msg = (
            f"`maxlags` ({lags}) must be below the window ({int(window)} rows): a lag of "
            "the window's length or more pairs no rows"
        )
        raise ValueError(msg)
    return {"cov_type": "HAC", "maxlags": lags}


# ---------------------------------------------------------------------------------------------
# Thin-trading betas


def dimson_lags(value: object) -> int:
    """Validate Dimson's number of market lags (and leads): a whole number >= 1."""
    if not _is_integer(value) or int(value) < 1:
        msg = f"`lags` must be a whole number of lags >= 1 (1 is the usual choice), got {value!r}"
        raise ValueError(msg)
    return int(value)


def lead_window_min_periods(window: object, min_periods: object, lead: int, needed: int) -> object:
    """The ``min_periods`` of a fit that leaves out the last ``lead`` rows of each window.

    A row window of ``window`` rows holds at most ``window - lead`` rows whose lead is known,
    so that is the default, and a larger ``min_periods`` is an error. The window must hold
    at least ``needed`` such rows. Other windows keep their own defaults.
    """
    if not _is_integer(window) or isinstance(window, bool):
        return min_periods
    rows = int(window)
    usable = rows - lead
    if usable < needed:
        msg = (
            f"`window` ({rows} rows) is too short for {lead} lag(s) and lead(s): without "
            f"look-ahead it holds {usable} rows, and a fit needs at least {needed}"
        )
        raise ValueError(msg)
    if min_periods is None:
        return usable
    if _is_integer(min_periods) and int(min_periods) > usable:
        msg = (
            f"`min_periods` ({int(min_periods)}) must not exceed window - {lead} ({usable}): "
            f"the last {lead} row(s) of a window have no known lead and are left out"
        )
        raise ValueError(msg)
    return min_periods
