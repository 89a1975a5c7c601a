"""Argument checks shared by the public functions: clear errors before any work starts."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from numbers import Integral, Real

import polars as pl

from polars_alpha._typing import IntoExprColumn


def window_and_min_periods(window: object, min_periods: object) -> tuple[int, int]:
    """Validate a row window and its minimum count of usable rows; return both as ints."""
    if isinstance(window, bool) or not isinstance(window, Integral):
        msg = (
            f"`window` must be an integer number of rows (at least 2), got {window!r}; "
            "for example window=252 for one year of daily returns"
        )
        raise TypeError(msg)
    window = int(window)
    if window < 2:
        msg = f"`window` must be at least 2 rows to fit a line, got {window}"
        raise ValueError(msg)
    if min_periods is None:
        return window, window
    if isinstance(min_periods, bool) or not isinstance(min_periods, Integral):
        msg = f"`min_periods` must be an integer or None, got {min_periods!r}"
        raise TypeError(msg)
    min_periods = int(min_periods)
    if min_periods < 2:
        msg = f"`min_periods` must be at least 2 (two points fit a line), got {min_periods}"
        raise ValueError(msg)
    if min_periods > window:
        msg = (
            f"`min_periods` ({min_periods}) must not exceed `window` ({window}); "
            "lower min_periods or widen the window"
        )
        raise ValueError(msg)
    return window, min_periods


def expanding_min_periods(min_periods: object) -> int:
    """Validate the minimum row count of an expanding (all-history) fit; default 2."""
    if min_periods is None:
        return 2
    if isinstance(min_periods, bool) or not isinstance(min_periods, Integral):
        msg = f"`min_periods` must be an integer or None, got {min_periods!r}"
        raise TypeError(msg)
    if int(min_periods) < 2:
        msg = f"`min_periods` must be at least 2 (two points fit a line), got {min_periods}"
        raise ValueError(msg)
    return int(min_periods)


def half_life(value: object, *, allow_infinite: bool) -> float:
    """Validate a half-life in rows: positive, not NaN, finite unless allowed."""
    if isinstance(value, bool) or not isinstance(value, Real):
        msg = f"`half_life` must be a positive number of rows, got {value!r}"
        raise TypeError(msg)
    rate = float(value)
    if math.isnan(rate) or rate <= 0 or (math.isinf(rate) and not allow_infinite):
        fix = " (or float('inf') for no decay)" if allow_infinite else ""
        msg = f"`half_life` must be a positive number of rows{fix}, got {rate}"
        raise ValueError(msg)
    return rate


def positive(value: object, argument: str, *, fix: str) -> float:
    """Validate a positive finite number."""
    if isinstance(value, bool) or not isinstance(value, Real):
        msg = f"`{argument}` must be a positive number ({fix}), got {value!r}"
        raise TypeError(msg)
    number = float(value)
    if not (math.isfinite(number) and number > 0):
        msg = f"`{argument}` must be a positive finite number ({fix}), got {number}"
        raise ValueError(msg)
    return number


def flag(value: object, argument: str) -> bool:
    """Accept only a real bool for an on/off option."""
    if not isinstance(value, bool):
        msg = f"`{argument}` must be True or False, got {value!r}"
        raise TypeError(msg)
    return value


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


def whole_sample_min_periods(min_periods: object) -> int:
    """Validate the minimum row count of a whole-sample (one per group) statistic."""
    if isinstance(min_periods, bool) or not isinstance(min_periods, Integral):
        msg = f"`min_periods` must be an integer (at least 2), got {min_periods!r}"
        raise TypeError(msg)
    return int(min_periods)


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
        return rate, None
    return None, column(value, "risk_free")


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
    window: object, min_periods: object, time: object
) -> tuple[int | None, int, str | None]:
    """Split `window` into a row count, an expanding fit (None) or a duration (with `time`).

    Returns the row window (None for expanding and date windows), the validated
    `min_periods` and the duration (None unless a date window).
    """
    if isinstance(window, str):
        window = duration(window)
        if time is None:
            msg = (
                f"`window={window!r}` is a date window and needs `time=`, the date column "
                'the duration is measured on (for example time="date")'
            )
            raise ValueError(msg)
        return None, expanding_min_periods(min_periods), window
    if time is not None:
        msg = (
            '`time=` is used only with a duration window such as window="1y"; '
            f"got window={window!r}. Drop `time=` for a window counted in rows"
        )
        raise ValueError(msg)
    if window is None:
        return None, expanding_min_periods(min_periods), None
    rows, min_periods = window_and_min_periods(window, min_periods)
    return rows, min_periods, None


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


#: The fields of a single-index fit, in struct order.
FIT_FIELDS = (
    "alpha",
    "beta",
    "r2",
    "resid_std",
    "alpha_se",
    "beta_se",
    "alpha_t",
    "beta_t",
    "n",
)


def fit_fields(fields: object) -> list[str] | None:
    """Validate a `fields=` selection of struct fields; None means all of them."""
    if fields is None:
        return None
    if isinstance(fields, str) or not isinstance(fields, Sequence):
        msg = f'`fields` must be a list of field names such as ["alpha", "beta"], got {fields!r}'
        raise TypeError(msg)
    names = list(fields)
    unknown = [f for f in names if f not in FIT_FIELDS]
    if unknown:
        msg = f"unknown field {unknown[0]!r} in `fields`; choose from {', '.join(FIT_FIELDS)}"
        raise ValueError(msg)
    if not names:
        msg = '`fields` is empty; name at least one field, e.g. ["alpha", "beta"]'
        raise ValueError(msg)
    if len(set(names)) != len(names):
        msg = f"`fields` names a field twice: {names!r}"
        raise ValueError(msg)
    return names
