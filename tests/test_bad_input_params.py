"""The bad-input matrix, part 2: shapes and lengths, keys and time, and parameters.

``test_bad_input.py`` runs every expression against hostile *values* (dtypes, nulls, NaN, ±inf,
scales). This module runs the rest of the matrix of issue #7 against every public function:

- the expressions: empty frames, one row, a window longer than the series, inputs of different
  lengths, a market constant in only some windows; string, categorical, integer and null keys
  (``by=`` and ``.over``, or ``group_by`` for the one-value-per-group forms); duplicate,
  unsorted, null and non-temporal ``order_by=`` values; bad ``window``, ``min_periods``,
  ``half_life``, ``decay``, option strings and a risk-free column with nulls;
- the helpers on fitted statistics (annualization, adjusted betas, cross-sectional scores):
  their parameters and the dtype list of ``test_bad_input.py``;
- ``screen``, the NumPy/pandas entry points and the ``polars-alpha screen`` command.

Each case has one documented outcome, asserted exactly: an exception of a given type whose
message names the argument and the fix, or exactly which rows are null (and what the others
equal). Every call that runs a statistic in the compiled extension runs in a child process (one
per function, or one per CLI invocation), so an abort or a segfault fails that test, naming the
case that was running, instead of ending the run. The helpers' only compiled step, the dtype
check of their inputs, runs in this process.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import polars_alpha as pa

HERE = Path(__file__).resolve().parent

# ---------------------------------------------------------------------------------------------
# Outcomes


@dataclass(frozen=True)
class Raises:
    """An exception of class ``error`` whose message contains every needle (argument, fix)."""

    error: str
    needles: tuple[str, ...]


@dataclass(frozen=True)
class Nulls:
    """The ``main`` run has ``length`` rows, null exactly at ``rows`` (None: every row) and a
    finite number everywhere else."""

    length: int
    rows: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Same:
    """Every run equals the first (exactly, or within ``rel``), and the first has ``nulls``
    null rows exactly (None: any, but at least one finite value)."""

    runs: tuple[str, ...]
    nulls: tuple[int, ...] | None = None
    rel: float = 0.0


Outcome = Raises | Nulls | Same

# A run is a thunk returning the output column as a list (None for null); a case maps run
# names to thunks. The child evaluates them and reports values or the exception.
Run = Callable[[], list[Any]]
Case = Callable[["Spec"], dict[str, Run]]


def _encode(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return value


def _decode(value: Any) -> Any:
    return math.nan if value == "NaN" else value


def evaluate(runs: dict[str, Run]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, run in runs.items():
        try:
            out[name] = {"values": [_encode(v) for v in run()]}
        except Exception as error:  # the outcome under test
            out[name] = {"error": type(error).__name__, "message": str(error)}
    return out


def _equal(a: Any, b: Any, rel: float) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if rel == 0.0:
        return bool(a == b)
    return math.isclose(a, b, rel_tol=rel, abs_tol=0.0)


def check(outcome: Outcome, result: dict[str, Any]) -> str | None:
    """None when ``result`` is the documented outcome, else what differs."""
    main = result[next(iter(result))]
    if isinstance(outcome, Raises):
        if "error" not in main:
            return f"expected {outcome.error}, got values {main['values']}"
        if main["error"] != outcome.error:
            return f"expected {outcome.error}, got {main['error']}: {main['message']}"
        missing = [n for n in outcome.needles if n not in main["message"]]
        if missing:
            return f"message {main['message']!r} lacks {missing}"
        return None
    errors = {k: v for k, v in result.items() if "error" in v}
    if errors:
        return f"unexpected errors: {errors}"
    values = [_decode(v) for v in main["values"]]
    if isinstance(outcome, Nulls):
        nulls = tuple(i for i, v in enumerate(values) if v is None)
        expected = tuple(range(outcome.length)) if outcome.rows is None else outcome.rows
        if len(values) != outcome.length or nulls != expected:
            return f"expected {outcome.length} rows null at {expected}, got {values}"
        if not all(v is None or math.isfinite(v) for v in values):
            return f"expected finite values besides the nulls, got {values}"
        return None
    for name in outcome.runs[1:]:
        other = [_decode(v) for v in result[name]["values"]]
        if len(other) != len(values) or not all(
            _equal(a, b, outcome.rel) for a, b in zip(values, other, strict=True)
        ):
            return f"{outcome.runs[0]} != {name}:\n  {values}\n  {other}"
    nulls = tuple(i for i, v in enumerate(values) if v is None)
    if outcome.nulls is not None and nulls != outcome.nulls:
        return f"expected nulls at {outcome.nulls}, got {values}"
    if outcome.nulls is None and all(v is None for v in values):
        return f"every row is null, so the comparison proves nothing: {values}"
    return None


def run_child(module: str, group: str, cases: Sequence[str]) -> dict[str, Any]:
    """Run ``cases`` of ``group`` in a fresh interpreter; fail on a crash, naming the case."""
    code = textwrap.dedent(
        f"""
        import json, sys
        sys.path.insert(0, {str(HERE)!r})
        import {module} as m
        m.child_main(sys.argv[1], json.loads(sys.argv[2]))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, group, json.dumps(list(cases))],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    running = [line for line in proc.stderr.splitlines() if line.startswith("case: ")]
    assert proc.returncode == 0, (
        f"{group} crashed (rc={proc.returncode}) in {running[-1:] or 'setup'}:\n"
        f"{proc.stderr[-3000:]}"
    )
    results: dict[str, Any] = json.loads(proc.stdout.splitlines()[-1])
    return results


def child_main(group: str, cases: list[str]) -> None:
    """Entry point of the child process: evaluate ``cases`` of ``group``, print JSON."""
    build = GROUPS[group]
    out = {}
    for case in cases:
        sys.stderr.write(f"case: {case}\n")
        sys.stderr.flush()
        out[case] = evaluate(build(case))
    print(json.dumps(out))


def assert_outcomes(
    results: dict[str, Any], expected: dict[str, Outcome], known: dict[str, str]
) -> None:
    failures = []
    for case, outcome in expected.items():
        problem = check(outcome, results[case])
        if case in known:
            # A known bug, reported: it must still fail, or the entry is stale.
            if problem is None:
                failures.append(f"{case}: passes now; drop it from KNOWN_BUGS ({known[case]})")
        elif problem is not None:
            failures.append(f"{case}: {problem}")
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------------------------------------
# The expressions


def _frame() -> pl.DataFrame:
    """Eleven rows of two interleaved tickers; dates ascend within each ticker."""
    key = ["A", "B", "A", "A", "B", "B", "A", "B", "A", "B", "A"]
    day: dict[str, int] = {}
    dates = []
    for k in key:
        day[k] = day.get(k, 0) + 1
        dates.append(dt.date(2024, 1, day[k]))
    return pl.DataFrame(
        {
            "key": key,
            "r": [
                0.010,
                -0.004,
                0.0125,
                0.0035,
                -0.0075,
                0.015,
                0.002,
                -0.001,
                0.007,
                0.004,
                -0.006,
            ],
            "m": [0.008, -0.002, 0.010, 0.001, -0.006, 0.011, 0.004, -0.003, 0.005, 0.001, -0.004],
            "p": [10.0, 20.0, 10.5, 10.2, 20.4, 20.1, 10.9, 20.8, 11.3, 21.0, 11.0],
            "rf": [1e-4, 1e-4, None, 1e-4, 1e-4, 1e-4, 1e-4, None, 1e-4, 1e-4, 1e-4],
            "d": dates,
        }
    ).with_columns(pl.lit(None, dtype=pl.Float64).alias("spare"))


ROWS = 11
FRAME = _frame()


@dataclass(frozen=True)
class Spec:
    """How to call one public expression: ``make(second, **kwargs)`` gives a per-row Float64
    (or one value per group), with ``second`` the market, factor or benchmark input."""

    make: Callable[..., pl.Expr]
    kind: str  # rolling | ewm | riskmetrics | price | scalar | scalar_price
    defaults: dict[str, Any] = field(default_factory=dict)
    time: bool = False
    risk_free: bool = False
    periods: bool = False
    second: str = "market"  # the argument name of the second input
    first: str = "asset"


def _field(expr: pl.Expr, name: str = "beta") -> pl.Expr:
    return expr.struct.field(name)


SPECS: dict[str, Spec] = {
    "rolling_alpha_beta": Spec(
        lambda x, **k: _field(pa.rolling_alpha_beta("r", x, **k)),
        "rolling",
        {"window": 3},
        time=True,
        risk_free=True,
    ),
    "rolling_beta": Spec(
        lambda x, **k: pa.rolling_beta("r", x, **k),
        "rolling",
        {"window": 3},
        time=True,
        risk_free=True,
    ),
    "rolling_alpha": Spec(
        lambda x, **k: pa.rolling_alpha("r", x, **k),
        "rolling",
        {"window": 3},
        time=True,
        risk_free=True,
    ),
    "rolling_factor_regression": Spec(
        lambda x, **k: _field(pa.rolling_factor_regression("r", [x.alias("f")], **k), "beta_f"),
        "rolling",
        {"window": 3},
        time=True,
        risk_free=True,
        second="factors",
    ),
    "rolling_treynor_ratio": Spec(
        lambda x, **k: pa.rolling_treynor_ratio("r", x, **k),
        "rolling",
        {"window": 3},
        time=True,
        risk_free=True,
        periods=True,
    ),
    "rolling_information_ratio": Spec(
        lambda x, **k: pa.rolling_information_ratio("r", x, **k),
        "rolling",
        {"window": 3},
        time=True,
        periods=True,
        second="benchmark",
    ),
    "rolling_correlation": Spec(
        lambda x, **k: pa.rolling_correlation("r", x, **k),
        "rolling",
        {"window": 3},
        time=True,
        risk_free=True,
    ),
    "ewm_alpha_beta": Spec(
        lambda x, **k: _field(pa.ewm_alpha_beta("r", x, **k)),
        "ewm",
        {"window": 3, "half_life": 2.0},
        risk_free=True,
    ),
    "riskmetrics_alpha_beta": Spec(
        lambda x, **k: _field(pa.riskmetrics_alpha_beta("r", x, **k)),
        "riskmetrics",
        risk_free=True,
    ),
    "weighted_alpha": Spec(
        lambda x, **k: pa.weighted_alpha("p", benchmark=x, **k),
        "price",
        {"window": 3},
        second="benchmark",
        first="price",
    ),
    "last_weighted_alpha": Spec(
        lambda x, **k: pa.last_weighted_alpha("p", benchmark=x, **k),
        "scalar_price",
        {"window": 3},
        second="benchmark",
        first="price",
    ),
    "alpha_beta": Spec(lambda x, **k: _field(pa.alpha_beta("r", x, **k)), "scalar", risk_free=True),
    "factor_regression": Spec(
        lambda x, **k: _field(pa.factor_regression("r", [x.alias("f")], **k), "beta_f"),
        "scalar",
        risk_free=True,
        second="factors",
    ),
    "treynor_ratio": Spec(
        lambda x, **k: pa.treynor_ratio("r", x, **k), "scalar", risk_free=True, periods=True
    ),
    "information_ratio": Spec(
        lambda x, **k: pa.information_ratio("r", x, **k),
        "scalar",
        periods=True,
        second="benchmark",
    ),
    "rolling_tracking_error": Spec(
        lambda x, **k: pa.rolling_tracking_error("r", x, **k),
        "rolling",
        {"window": 3},
        time=True,
        periods=True,
        second="benchmark",
    ),
    "tracking_error": Spec(
        lambda x, **k: pa.tracking_error("r", x, **k),
        "scalar",
        periods=True,
        second="benchmark",
    ),
    "rolling_up_capture": Spec(
        lambda x, **k: pa.rolling_up_capture("r", x, **k),
        "rolling",
        {"window": 3},
        time=True,
        periods=True,
    ),
    "up_capture": Spec(lambda x, **k: pa.up_capture("r", x, **k), "scalar", periods=True),
}

WINDOWED = ("rolling", "ewm", "price")
SCALAR = ("scalar", "scalar_price")


def _is_price(spec: Spec) -> bool:
    return spec.kind in ("price", "scalar_price")


def _default_second(spec: Spec) -> pl.Expr | None:
    return None if _is_price(spec) else pl.col("m")


def _column(frame: pl.DataFrame, expr: pl.Expr) -> list[Any]:
    return frame.select(expr.alias("out")).get_column("out").cast(pl.Float64).to_list()


def _grouped(frame: pl.DataFrame, key: str | pl.Expr, expr: pl.Expr) -> list[Any]:
    """One value per group, groups in order of their first row (null last)."""
    out = frame.group_by(key, maintain_order=True).agg(expr.alias("out"))
    return out.get_column("out").cast(pl.Float64).to_list()


def _call(spec: Spec, second: Any = "default", **kwargs: Any) -> pl.Expr:
    x = _default_second(spec) if isinstance(second, str) and second == "default" else second
    return spec.make(x, **{**spec.defaults, **kwargs})


def _rows(spec: Spec, frame: pl.DataFrame = FRAME, **kwargs: Any) -> dict[str, Run]:
    """The main run: the expression over ``frame`` (built inside the thunk, so argument
    errors are the outcome too)."""
    return {"main": lambda: _column(frame, _call(spec, **kwargs))}


def _per_key(spec: Spec, frame: pl.DataFrame, key: str, **kwargs: Any) -> Run:
    """Each key's rows fitted on their own, scattered back in the original order."""

    def run() -> list[Any]:
        indexed = frame.with_row_index("__row")
        parts = []
        for value in indexed.get_column(key).unique(maintain_order=True):
            rows = indexed.filter(pl.col(key).is_null() if value is None else pl.col(key) == value)
            parts.append(rows.select("__row", _call(spec, **kwargs).alias("out")))
        return pl.concat(parts).sort("__row").get_column("out").cast(pl.Float64).to_list()

    return run


def _keys_case(spec: Spec, keyed: pl.DataFrame) -> dict[str, Run]:
    """by= (or group_by) with the ``key`` column of ``keyed`` against the string keys."""
    if spec.kind in SCALAR:
        expr = _call(spec)
        base = FRAME.with_columns(keyed.get_column("key").cast(pl.String).alias("key"))
        return {
            "main": lambda: _grouped(keyed, "key", expr),
            "string keys": lambda: _grouped(base, "key", expr),
        }
    return {
        "main": lambda: _column(keyed, _call(spec, by="key")),
        "over": lambda: _column(keyed, _call(spec).over("key")),
        "each key alone": _per_key(spec, keyed, "key"),
    }


NULL_KEY = FRAME.with_columns(
    pl.when(pl.int_range(pl.len()).is_in([0, 5, 9]))
    .then(None)
    .otherwise(pl.col("key"))
    .alias("key")
)


def _case_null_keys(spec: Spec) -> dict[str, Run]:
    if spec.kind in SCALAR:
        expr = _call(spec)
        filled = NULL_KEY.with_columns(pl.col("key").fill_null("~"))
        return {
            "main": lambda: _grouped(NULL_KEY, "key", expr),
            "null as a key": lambda: _grouped(filled, "key", expr),
        }
    filled = NULL_KEY.with_columns(pl.col("key").fill_null("~"))
    return {
        "main": lambda: _column(NULL_KEY, _call(spec, by="key")),
        "over": lambda: _column(NULL_KEY, _call(spec).over("key")),
        "null as a key": lambda: _column(filled, _call(spec, by="key")),
    }


def _case_time_by_key(spec: Spec) -> dict[str, Run]:
    # Consecutive days within each ticker: a 3-day window is a 3-row window.
    return {
        "main": lambda: _column(
            FRAME, _call(spec, window="3d", order_by="d", by="key", min_periods=2)
        ),
        "rows": lambda: _column(FRAME, _call(spec, window=3, by="key", min_periods=2)),
    }


DUPLICATE_DATES = pl.DataFrame(
    {
        "r": [0.010, -0.004, 0.012, 0.003, -0.008, 0.015, 0.002],
        "m": [0.008, -0.002, 0.010, 0.001, -0.006, 0.011, 0.004],
        "rf": [1e-4] * 7,
        "d": [dt.date(2024, 1, d) for d in (1, 1, 1, 2, 2, 2, 3)],
    }
)


def _case_duplicate_dates(spec: Spec) -> dict[str, Run]:
    # A date window ends at its row: rows later on the same date are not in it. With a
    # one-day window that is an expanding fit within each date.
    return {
        "main": lambda: _column(
            DUPLICATE_DATES, _call(spec, window="1d", order_by="d", min_periods=2)
        ),
        "expanding within each date": lambda: _column(
            DUPLICATE_DATES, _call(spec, window=None, min_periods=2).over("d")
        ),
    }


def _case_unsorted_time(spec: Spec) -> dict[str, Run]:
    # order_by takes each key's rows in date order: the same as sorting the frame first and
    # putting the results back in its row order.
    def sorted_first() -> list[Any]:
        expr = _call(spec, window="3d", order_by="d", by="key", min_periods=2)
        frame = UNSORTED.with_row_index("row").sort("key", "d")
        out = frame.select("row", expr.alias("out")).sort("row")
        return out.get_column("out").cast(pl.Float64).to_list()

    return {
        "main": lambda: _column(
            UNSORTED, _call(spec, window="3d", order_by="d", by="key", min_periods=2)
        ),
        "sorted first": sorted_first,
    }


def _case_order_by_rows(spec: Spec) -> dict[str, Run]:
    # With a row window, order_by only orders: FRAME is already in date order within a key.
    return {
        "main": lambda: _column(FRAME, _call(spec, window=3, order_by="d", by="key")),
        "frame order": lambda: _column(FRAME, _call(spec, window=3, by="key")),
    }


UNSORTED = FRAME.with_columns(
    pl.when(pl.int_range(pl.len()) == 3)
    .then(pl.date(2023, 12, 1))
    .otherwise(pl.col("d"))
    .alias("d")
)
NULL_TIME = FRAME.with_columns(
    pl.when(pl.int_range(pl.len()) == 3).then(None).otherwise(pl.col("d")).alias("d")
)
TEXT_TIME = FRAME.with_columns(pl.col("d").cast(pl.String))

# Constant market (a value that is not a binary fraction) on rows 4..9: a 3-row window that
# lies inside them has no market variance.
PART_CONSTANT = FRAME.with_columns(
    pl.when(pl.int_range(pl.len()).is_between(4, 9)).then(0.0031).otherwise(pl.col("m")).alias("m")
)


def _case_risk_free_nulls(spec: Spec) -> dict[str, Run]:
    # A row without a risk-free rate is left out: as if its asset return were missing.
    dropped = FRAME.with_columns(
        pl.when(pl.col("rf").is_null()).then(None).otherwise(pl.col("r")).alias("r"),
        pl.col("rf").fill_null(0.0),
    )
    return {
        "main": lambda: _column(FRAME, _call(spec, risk_free="rf")),
        "rows left out": lambda: _column(dropped, _call(spec, risk_free="rf")),
    }


def _case_plain_change(spec: Spec) -> dict[str, Run]:
    change = 100.0 * (pl.col("p") / pl.col("p").shift(3) - 1.0)
    if spec.kind == "scalar_price":
        change = change.last()
    return {
        "main": lambda: _column(FRAME, _call(spec, half_life=math.inf)),
        "p_t / p_t-3 - 1": lambda: _column(FRAME, change),
    }


def _case_more_rows_than_exist(spec: Spec) -> dict[str, Run]:
    if spec.kind in (*WINDOWED, "scalar_price"):
        return _rows(spec, window=50)
    return _rows(spec, min_periods=50)


CASES: dict[str, Case] = {
    # Shape and length
    "empty_frame": lambda s: _rows(s, frame=FRAME.clear()),
    "single_row": lambda s: _rows(s, frame=FRAME.head(1)),
    "more_rows_needed_than_exist": _case_more_rows_than_exist,
    "mismatched_lengths": lambda s: _rows(s, second=pl.col("p" if _is_price(s) else "m").head(5)),
    "scalar_literal_input": lambda s: _rows(s, second=pl.lit(0.01 if not _is_price(s) else 10.0)),
    "market_constant_in_some_windows": lambda s: _rows(s, frame=PART_CONSTANT),
    # Keys and time
    "keys_string": lambda s: _keys_case(s, FRAME),
    "keys_categorical": lambda s: _keys_case(
        s, FRAME.with_columns(pl.col("key").cast(pl.Categorical))
    ),
    "keys_integer": lambda s: _keys_case(
        s, FRAME.with_columns(pl.col("key").replace_strict({"A": 7, "B": -3}))
    ),
    "keys_null": _case_null_keys,
    "keys_shorter_than_frame": lambda s: _rows(s, by=pl.Series(["A", "B", "A"])),
    "time_by_key": _case_time_by_key,
    "time_duplicate_dates": _case_duplicate_dates,
    "time_unsorted_within_key": _case_unsorted_time,
    "time_null": lambda s: _rows(s, frame=NULL_TIME, window="3d", order_by="d", by="key"),
    "time_not_temporal": lambda s: _rows(s, frame=TEXT_TIME, window="3d", order_by="d", by="key"),
    "order_by_with_row_window": _case_order_by_rows,
    "duration_without_time": lambda s: _rows(s, window="3d"),
    # Parameters
    "window_0": lambda s: _rows(s, window=0),
    "window_1": lambda s: _rows(s, window=1),
    "window_negative": lambda s: _rows(s, window=-5),
    "window_float": lambda s: _rows(s, window=2.5),
    "window_bool": lambda s: _rows(s, window=True),
    "window_unknown_string": lambda s: _rows(s, window="3x"),
    "min_periods_above_window": lambda s: _rows(s, window=3, min_periods=4),
    "min_periods_1": lambda s: _rows(s, min_periods=1),
    "min_periods_float": lambda s: _rows(s, min_periods=2.5),
    "half_life_0": lambda s: _rows(s, half_life=0.0),
    "half_life_negative": lambda s: _rows(s, half_life=-3.0),
    "half_life_nan": lambda s: _rows(s, half_life=math.nan),
    "half_life_inf": lambda s: (
        _case_plain_change(s) if _is_price(s) else _rows(s, half_life=math.inf)
    ),
    "decay_1": lambda s: _rows(s, decay=1.0),
    "decay_nan": lambda s: _rows(s, decay=math.nan),
    "unknown_weights": lambda s: _rows(s, weights="lin"),
    "unknown_field": lambda s: _rows(s, fields=["gamma"]),
    "cap_0": lambda s: _rows(s, cap=0.0),
    "risk_free_column_with_nulls": _case_risk_free_nulls,
    "risk_free_nan": lambda s: _rows(s, risk_free=math.nan),
    "risk_free_literal": lambda s: {
        "main": _rows(s, risk_free=pl.lit(1e-4))["main"],
        "number": _rows(s, risk_free=1e-4)["main"],
    },
    "periods_per_year_0": lambda s: _rows(s, periods_per_year=0),
    "periods_per_year_nan": lambda s: _rows(s, periods_per_year=math.nan),
}


def expected_outcomes(name: str) -> dict[str, Outcome]:
    """The documented outcome of each case that applies to function ``name``."""
    spec = SPECS[name]
    kind = spec.kind
    scalar = kind in SCALAR
    out: dict[str, Outcome] = {}
    # Shape and length
    out["empty_frame"] = Nulls(1, (0,)) if scalar else Nulls(0)
    out["single_row"] = Nulls(1, (0,))
    out["more_rows_needed_than_exist"] = Nulls(1, (0,)) if scalar else Nulls(ROWS)
    length_error = f"`{spec.second}` has 5 rows but `{spec.first}` has {ROWS}"
    out["mismatched_lengths"] = Raises(
        "ComputeError", ("lengths don't match", length_error, "all inputs must have the same")
    )
    out["scalar_literal_input"] = Raises(
        "ComputeError", (f"`{spec.second}` has 1 rows but `{spec.first}` has {ROWS}",)
    )
    if not _is_price(spec):
        # Constant market on rows 4..9: null where the whole window lies inside them.
        constant = {
            "rolling": (0, 1, 6, 7, 8, 9),
            "ewm": (0, 1, 6, 7, 8, 9),
            "riskmetrics": (0,),
        }.get(kind, ())
        if name in ("rolling_information_ratio", "rolling_tracking_error"):
            constant = (0, 1)  # the active return still varies
        if name == "rolling_up_capture":
            constant = (0, 1)  # a constant up market compounds to a non-zero return
        out["market_constant_in_some_windows"] = Nulls(1, ()) if scalar else Nulls(ROWS, constant)
    # Keys: by= equals .over() and each key alone; group_by gives one value per key.
    keyed_nulls = {
        "rolling": (0, 1, 2, 4),
        "ewm": (0, 1, 2, 4),
        "riskmetrics": (0, 1),
        "price": (0, 1, 2, 3, 4, 5),
    }.get(kind)
    runs = ("main", "string keys") if scalar else ("main", "over", "each key alone")
    for case in ("keys_string", "keys_categorical", "keys_integer"):
        out[case] = Same(runs, keyed_nulls)
    out["keys_null"] = Same(
        ("main", "null as a key") if scalar else ("main", "over", "null as a key")
    )
    if not scalar:
        out["keys_shorter_than_frame"] = Raises(
            "ComputeError", (f"`by` has 3 rows but `{spec.first}` has {ROWS}",)
        )
    if spec.time:
        out["time_by_key"] = Same(("main", "rows"), (0, 1))
        if name == "rolling_up_capture":
            # B's first two days (rows 1 and 4) both fell: row 4's window has no up day.
            out["time_by_key"] = Same(("main", "rows"), (0, 1, 4))
        out["time_duplicate_dates"] = Same(("main", "expanding within each date"), (0, 3, 6))
        out["time_unsorted_within_key"] = Same(("main", "sorted first"))
        out["time_null"] = Raises("ComputeError", ("`order_by` has 1 null values", "drop or fill"))
        out["time_not_temporal"] = Raises(
            "ComputeError", ("`order_by` must be a Date or Datetime column", "`.str.to_date()`")
        )
        out["order_by_with_row_window"] = Same(("main", "frame order"))
        out["duration_without_time"] = Raises(
            "ValueError", ("is a date window and needs `order_by=`", 'order_by="date"')
        )
    # Parameters
    if kind in WINDOWED:
        for case, got in (("window_0", 0), ("window_1", 1), ("window_negative", -5)):
            out[case] = Raises("ValueError", ("`window` must be at least 2", f"got {got}"))
        for case in ("window_float", "window_bool"):
            out[case] = Raises(
                "TypeError", ("`window` must be an integer number of rows", "window=252")
            )
        if spec.time:
            out["window_unknown_string"] = Raises(
                "ValueError", ("`window` '3x' is not a duration", '"1y"')
            )
        elif kind == "ewm":
            out["window_unknown_string"] = Raises(
                "TypeError", ("`window` must be an integer number of rows or None", "in rows")
            )
        else:
            out["window_unknown_string"] = Raises(
                "TypeError", ("`window` must be an integer number of rows",)
            )
    if kind in ("rolling", "ewm"):
        out["min_periods_above_window"] = Raises(
            "ValueError",
            ("`min_periods` (4) must not exceed `window` (3)", "lower min_periods or widen"),
        )
    if kind != "price" and kind != "scalar_price":
        out["min_periods_1"] = Raises("ValueError", ("`min_periods` must be at least 2", "got 1"))
        out["min_periods_float"] = Raises("TypeError", ("`min_periods` must be an integer",))
    if kind == "ewm":
        for case, shown in (("half_life_0", "0.0"), ("half_life_negative", "-3.0")):
            out[case] = Raises("ValueError", ("`half_life` must be a positive number", shown))
        out["half_life_nan"] = Raises("ValueError", ("`half_life` must be a positive", "nan"))
        out["half_life_inf"] = Raises("ValueError", ("`half_life` must be a positive", "inf"))
    if _is_price(spec):
        fix = "(or float('inf') for no decay)"
        for case in ("half_life_0", "half_life_negative", "half_life_nan"):
            out[case] = Raises("ValueError", ("`half_life` must be a positive number", fix))
        out["half_life_inf"] = Same(
            ("main", "p_t / p_t-3 - 1"), () if scalar else (0, 1, 2), rel=1e-12
        )
        out["unknown_weights"] = Raises(
            "ValueError", ('`weights` must be "exponential" or "linear"', "got 'lin'")
        )
        out["cap_0"] = Raises("ValueError", ("`cap` must be a positive finite number", "e.g. 0.2"))
    if kind == "riskmetrics":
        for case in ("decay_1", "decay_nan"):
            out[case] = Raises("ValueError", ("`decay` must be strictly between 0 and 1", "0.94"))
    if name in ("rolling_alpha_beta", "ewm_alpha_beta"):
        out["unknown_field"] = Raises(
            "ValueError", ("unknown field 'gamma' in `fields`", "choose from alpha")
        )
    if spec.risk_free:
        out["risk_free_column_with_nulls"] = Same(
            ("main", "rows left out"),
            # rf is null on rows 2 and 7: each 3-row window holding one has 2 usable rows.
            None if scalar else {"riskmetrics": (0,)}.get(kind, (0, 1, 2, 3, 4, 7, 8, 9)),
        )
        out["risk_free_nan"] = Raises("ValueError", ("`risk_free` must be a finite", "nan"))
        # A literal broadcasts like any Polars scalar.
        out["risk_free_literal"] = Same(("main", "number"))
    if spec.periods:
        for case in ("periods_per_year_0", "periods_per_year_nan"):
            out[case] = Raises(
                "ValueError", ("`periods_per_year` must be positive and finite", "252 daily")
            )
    return out


# Cases where the extension's message names the wrong argument (reported; see the report of
# issue #7). Each must still fail; `assert_outcomes` flags an entry that passes.
# Cases that fail today, each with the reason; empty when none do. A listed case that starts
# passing fails the matrix until it is removed from here.
KNOWN_BUGS: dict[tuple[str, str], str] = {}


def test_every_case_is_used() -> None:
    used = {case for name in SPECS for case in expected_outcomes(name)}
    assert used == set(CASES)


@pytest.mark.parametrize("name", list(SPECS))
def test_expression_cases(name: str) -> None:
    expected = expected_outcomes(name)
    results = run_child("test_bad_input_params", f"expr:{name}", list(expected))
    known = {case: why for (fn, case), why in KNOWN_BUGS.items() if fn == name}
    assert_outcomes(results, expected, known)


# The cases a child process can run, by group name.
def _expression_group(name: str) -> Callable[[str], dict[str, Run]]:
    return lambda case: CASES[case](SPECS[name])


GROUPS: dict[str, Callable[[str], dict[str, Run]]] = {
    f"expr:{name}": _expression_group(name) for name in SPECS
}


def _abort() -> list[Any]:
    os.abort()


GROUPS["crash"] = lambda case: {"main": _abort}


def test_a_crash_fails_its_test_and_names_the_case() -> None:
    with pytest.raises(AssertionError, match=r"crash crashed \(rc=-6\) in \['case: abort'\]"):
        run_child("test_bad_input_params", "crash", ["abort"])


# ---------------------------------------------------------------------------------------------
# The helpers on fitted statistics: annualization, adjusted betas, cross-sectional scores. Their
# only compiled code is the dtype check of their inputs (`numeric_input`), run in this process.

HELPERS: dict[str, tuple[str, Callable[[pl.Expr], pl.Expr]]] = {
    "annualize_alpha": ("alpha", lambda x: pa.annualize_alpha(x)),
    "annualize_volatility": ("resid_std", lambda x: pa.annualize_volatility(x)),
    "blume_beta": ("beta", lambda x: pa.blume_beta(x)),
    "vasicek_beta(beta)": ("beta", lambda x: pa.vasicek_beta(x, "se")),
    "vasicek_beta(beta_se)": ("beta_se", lambda x: pa.vasicek_beta("m", x)),
    "appraisal_ratio(alpha)": ("alpha", lambda x: pa.appraisal_ratio(x, "se")),
    "appraisal_ratio(resid_std)": ("resid_std", lambda x: pa.appraisal_ratio("m", x)),
    "cross_sectional_rank": ("measure", lambda x: pa.cross_sectional_rank(x)),
    "cross_sectional_zscore": ("measure", lambda x: pa.cross_sectional_zscore(x)),
}
HELPER_FRAME = pl.DataFrame({"m": [0.008, -0.002, 0.010, 0.001], "se": [0.01, 0.02, 0.015, 0.03]})
HELPER_DTYPES: dict[str, pl.Expr] = {
    "string": pl.lit("a"),
    "bool": pl.col("m") > 0,
    "date": pl.lit(dt.date(2020, 1, 1)),
    "duration": pl.lit(dt.timedelta(days=1)),
    "categorical": pl.lit("a").cast(pl.Categorical),
    "int64": (pl.col("m") * 1000).cast(pl.Int64),
    "uint64": (pl.col("se") * 1000).cast(pl.UInt64),
    "float32": pl.col("m").cast(pl.Float32),
    "decimal": pl.col("m").cast(pl.Decimal(12, 6)),
    "all_null": pl.lit(None, dtype=pl.Float64),
    "null_dtype": pl.lit(None),
    "nan": pl.lit(math.nan),
}
NOT_NUMERIC = ("string", "bool", "date", "duration", "categorical")


def _helper_params() -> list[Any]:
    return [
        pytest.param(helper, case, id=f"{helper}-{case}")
        for helper in HELPERS
        for case in HELPER_DTYPES
    ]


@pytest.mark.parametrize(("helper", "case"), _helper_params())
def test_helper_dtypes(helper: str, case: str) -> None:
    argument, make = HELPERS[helper]
    frame = HELPER_FRAME.with_columns(HELPER_DTYPES[case].alias("X"))

    def run(source: pl.DataFrame) -> list[Any]:
        return source.select(make(pl.col("X")).alias("o")).get_column("o").to_list()

    if case in NOT_NUMERIC:
        # Documented outcome: an exception that names the argument.
        try:
            got = run(frame)
        except Exception as error:
            assert f"`{argument}`" in str(error), f"{type(error).__name__}: {error}"
        else:
            raise AssertionError(f"no error; got {got}")
        return
    got = run(frame)
    if case in ("all_null", "null_dtype"):
        assert got == [None] * 4
    elif case == "nan":
        # NaN is a number to the arithmetic helpers (it propagates) and missing to the
        # cross-sectional ones (null).
        if helper.startswith("cross_sectional"):
            assert got == [None] * 4
        else:
            assert all(v is not None and math.isnan(v) for v in got), got
    else:
        assert got == run(frame.with_columns(pl.col("X").cast(pl.Float64)))


@pytest.mark.parametrize(
    ("call", "error", "needles"),
    [
        (lambda: pa.annualize_alpha("a", method="geo"), ValueError, ("`method`", "geometric")),  # type: ignore[arg-type]
        (lambda: pa.annualize_alpha("a", periods_per_year=0), ValueError, ("`periods_per_year`",)),
        (
            lambda: pa.annualize_volatility("a", periods_per_year=math.nan),
            ValueError,
            ("`periods_per_year` must be positive and finite", "252 daily"),
        ),
        (
            lambda: pa.annualize_alpha("a", periods_per_year="252"),  # type: ignore[arg-type]
            TypeError,
            ("`periods_per_year` must be a positive number",),
        ),
        (lambda: pa.cross_sectional_rank("a", method="first"), ValueError, ("`method`", "dense")),  # type: ignore[arg-type]
        (lambda: pa.cross_sectional_rank("a", descending=1), TypeError, ("`descending`",)),  # type: ignore[arg-type]
        (lambda: pa.cross_sectional_rank("a", pct="yes"), TypeError, ("`pct`",)),  # type: ignore[arg-type]
        (lambda: pa.cross_sectional_rank(5), TypeError, ("column name", "got int")),  # type: ignore[arg-type]
        (
            lambda: pa.cross_sectional_zscore("a", winsorize=0.5),
            ValueError,
            ("`winsorize` must be a tail fraction in [0, 0.5)", "0.01 winsorizes"),
        ),
        (lambda: pa.cross_sectional_zscore("a", winsorize=math.nan), ValueError, ("`winsorize`",)),
        (lambda: pa.cross_sectional_zscore("a", winsorize="1%"), TypeError, ("`winsorize`",)),  # type: ignore[arg-type]
        (
            lambda: pa.cross_sectional_zscore("a", clip=0),
            ValueError,
            ("`clip` must be a positive",),
        ),
        (lambda: pa.cross_sectional_zscore("a", clip=math.inf), ValueError, ("`clip`",)),
        (lambda: pa.cross_sectional_zscore("a", ddof=2), ValueError, ("`ddof` must be 0 or 1",)),
    ],
)
def test_helper_parameters(
    call: Callable[[], object], error: type[Exception], needles: tuple[str, ...]
) -> None:
    with pytest.raises(error) as raised:
        call()
    for needle in needles:
        assert needle in str(raised.value)


# ---------------------------------------------------------------------------------------------
# screen()


def _market(days: int = 40, seed: int = 7) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Three tickers' prices over ``days`` days (long) and the benchmark level."""
    rng = np.random.default_rng(seed)
    dates = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(days)]
    market = rng.normal(0.0, 0.01, days)
    bench = pl.DataFrame({"date": dates, "idx": 100.0 * np.cumprod(1.0 + market)})
    parts = []
    for i, ticker in enumerate(("AAA", "BBB", "CCC")):
        ret = 2e-4 + (0.5 + 0.4 * i) * market + rng.normal(0.0, 0.005, days)
        parts.append(
            pl.DataFrame({"date": dates, "ticker": ticker, "close": 50.0 * np.cumprod(1.0 + ret)})
        )
    return pl.concat(parts), bench


STOCKS, BENCH = _market()
SCREEN_ARGS: dict[str, Any] = {"window": 20, "weighted_alpha_window": 10}
FIT_COLUMNS = ("alpha", "beta", "r2", "resid_std", "alpha_t", "n", "weighted_alpha")


def _screen(frame: Any, benchmark: Any = None, **kwargs: Any) -> Any:
    bench = BENCH if benchmark is None else benchmark
    out = pa.screen(frame, benchmark=bench, **{**SCREEN_ARGS, **kwargs})
    return out.collect() if isinstance(out, pl.LazyFrame) else out


def _fits(out: pl.DataFrame) -> list[Any]:
    """The fitted columns of a screen, ticker by ticker (sorted), flattened."""
    ordered = out.sort(pl.col("ticker").cast(pl.String), nulls_last=False)
    return [v for row in ordered.select(FIT_COLUMNS).rows() for v in row]


def _screen_run(frame: Any, benchmark: Any = None, **kwargs: Any) -> Run:
    return lambda: _fits(_screen(frame, benchmark, **kwargs))


def _with_close(dtype: Any) -> pl.DataFrame:
    if dtype in (pl.String, pl.Categorical):
        return STOCKS.with_columns(pl.col("close").cast(pl.String).cast(dtype))
    if dtype in (pl.Boolean, pl.Date):
        return STOCKS.with_columns(pl.col("close").cast(pl.Int64).cast(dtype))
    return STOCKS.with_columns(pl.col("close").cast(dtype))


def _cast_case(dtype: Any) -> dict[str, Run]:
    frame = _with_close(dtype)
    return {
        "main": _screen_run(frame),
        "as Float64": _screen_run(frame.with_columns(pl.col("close").cast(pl.Float64))),
    }


WIDE = STOCKS.pivot(on="ticker", index="date", values="close").join(BENCH, on="date")


def _wide_benchmark(dtype: Any) -> pl.DataFrame:
    if dtype in (pl.String, pl.Boolean):
        return WIDE.with_columns(pl.col("idx").cast(pl.Int64).cast(dtype))
    return WIDE.with_columns(pl.col("idx").cast(dtype))


def _rows_where(frame: pl.DataFrame, condition: pl.Expr, column: str, value: Any) -> pl.DataFrame:
    return frame.with_columns(
        pl.when(condition).then(value).otherwise(pl.col(column)).alias(column)
    )


ROW_IN_TICKER = pl.int_range(pl.len()).over("ticker")
# A long frame with its benchmark column; one row of AAA without a date (its benchmark price
# is there: left in, the row would sort first and give AAA a false first return).
NULL_DATE = (
    _rows_where(STOCKS, (pl.col("ticker") == "AAA") & (ROW_IN_TICKER == 20), "date", None)
    .join(BENCH, on="date", how="left")
    .with_columns(pl.col("idx").fill_null(77.0))
)
RF_EVERY_FIFTH_NULL = pl.DataFrame(
    {
        "date": BENCH.get_column("date"),
        "rf": [None if i % 5 == 0 else 1e-4 for i in range(BENCH.height)],
    }
)


def _expected(values: list[Any]) -> Run:
    return lambda: values


def _constant(runs: dict[str, Run]) -> Callable[[], dict[str, Run]]:
    """A case whose runs are built already (building them runs nothing)."""
    return lambda: runs


SCREEN_CASES: dict[str, Callable[[], dict[str, Run]]] = {
    # Dtypes of the value and benchmark columns
    **{
        f"value_{name}": _constant({"main": _screen_run(_with_close(dtype))})
        for name, dtype in (
            ("string", pl.String),
            ("bool", pl.Boolean),
            ("date", pl.Date),
            ("categorical", pl.Categorical),
        )
    },
    **{
        f"value_{name}": _constant(_cast_case(dtype))
        for name, dtype in (
            ("int64", pl.Int64),
            ("uint64", pl.UInt64),
            ("float32", pl.Float32),
            ("decimal", pl.Decimal(14, 4)),
        )
    },
    "benchmark_column_string": lambda: {"main": _screen_run(_wide_benchmark(pl.String), "idx")},
    "benchmark_column_bool": lambda: {"main": _screen_run(_wide_benchmark(pl.Boolean), "idx")},
    "benchmark_column_decimal": lambda: {
        "main": _screen_run(_wide_benchmark(pl.Decimal(14, 4)), "idx"),
        "as Float64": _screen_run(
            _wide_benchmark(pl.Decimal(14, 4)).with_columns(pl.col("idx").cast(pl.Float64)),
            "idx",
        ),
    },
    "benchmark_frame_string": lambda: {
        "main": _screen_run(STOCKS, BENCH.with_columns(pl.col("idx").cast(pl.String)))
    },
    "risk_free_column_string": lambda: {
        "main": _screen_run(STOCKS.with_columns(rf=pl.lit("0.0001")), risk_free="rf")
    },
    # Shape and length
    "empty_frame": lambda: {"main": _screen_run(STOCKS.clear())},
    "empty_lazy_frame": lambda: {"main": _screen_run(STOCKS.clear().lazy())},
    "single_row": lambda: {"main": _screen_run(STOCKS.head(1))},
    "window_longer_than_series": lambda: {"main": _screen_run(STOCKS, window=100)},
    # Missing and non-finite values, magnitudes
    "all_null_prices": lambda: {
        "main": _screen_run(STOCKS.with_columns(pl.lit(None, dtype=pl.Float64).alias("close")))
    },
    "nan_prices": lambda: {
        "main": _screen_run(STOCKS.with_columns(pl.lit(math.nan).alias("close")))
    },
    "inf_prices": lambda: {
        "main": _screen_run(STOCKS.with_columns(pl.lit(math.inf).alias("close")))
    },
    "one_null_price_in_the_window": lambda: {
        "main": lambda: [
            v
            for row in _screen(_rows_where(STOCKS, ROW_IN_TICKER == 35, "close", None))
            .sort("ticker")
            .select("n", "weighted_alpha")
            .rows()
            for v in row
        ],
        # The null price removes two returns from the 20-row window, and its weighted alpha
        # (which needs every return of its 10) is null.
        "expected": _expected([18, None] * 3),
    },
    "prices_times_1e300": lambda: {
        "main": _screen_run(STOCKS.with_columns(pl.col("close") * 1e300)),
        "unscaled": _screen_run(STOCKS),
    },
    "prices_times_1e-300": lambda: {
        "main": _screen_run(STOCKS.with_columns(pl.col("close") * 1e-300)),
        "unscaled": _screen_run(STOCKS),
    },
    "constant_prices": lambda: {
        "main": _screen_run(STOCKS.with_columns(pl.lit(5.0).alias("close"))),
        # alpha, beta, r2 (null: the asset is constant), resid_std, alpha_t (null: zero
        # standard error), n, weighted alpha: per ticker.
        "expected": _expected([0.0, 0.0, None, 0.0, None, 20, 0.0] * 3),
    },
    "constant_benchmark": lambda: {
        "main": _screen_run(STOCKS, BENCH.with_columns(pl.lit(100.0).alias("idx")))
    },
    "benchmark_constant_in_the_whole_window": lambda: {
        "main": _screen_run(STOCKS, _rows_where(BENCH, pl.int_range(pl.len()) >= 19, "idx", 101.3))
    },
    "benchmark_constant_in_part_of_the_window": lambda: {
        "main": _screen_run(STOCKS, _rows_where(BENCH, pl.int_range(pl.len()) >= 30, "idx", 101.3))
    },
    # Keys and time
    "duplicate_date": lambda: {"main": _screen_run(pl.concat([STOCKS, STOCKS.tail(1)]))},
    "duplicate_date_lazy": lambda: {
        "main": _screen_run(pl.concat([STOCKS, STOCKS.tail(1)]).lazy())
    },
    "unsorted_rows": lambda: {
        "main": _screen_run(STOCKS.sample(fraction=1.0, shuffle=True, seed=3)),
        "sorted": _screen_run(STOCKS),
    },
    "null_ticker": lambda: {
        "main": lambda: (
            _screen(_rows_where(STOCKS, pl.col("ticker") == "CCC", "ticker", None))
            .sort("ticker", nulls_last=False)
            .get_column("ticker")
            .to_list()
        ),
        "expected": _expected([None, "AAA", "BBB"]),
    },
    "categorical_tickers": lambda: {
        "main": _screen_run(STOCKS.with_columns(pl.col("ticker").cast(pl.Categorical))),
        "string tickers": _screen_run(STOCKS),
    },
    "integer_tickers": lambda: {
        "main": _screen_run(
            STOCKS.with_columns(pl.col("ticker").replace_strict({"AAA": 1, "BBB": 2, "CCC": 3}))
        ),
        "string tickers": _screen_run(STOCKS),
    },
    "null_date": lambda: {
        "main": _screen_run(NULL_DATE, "idx", window=39),
        "row left out": _screen_run(NULL_DATE.drop_nulls("date"), "idx", window=39),
    },
    "risk_free_frame_with_nulls": lambda: {
        "main": lambda: (
            _screen(STOCKS, risk_free=RF_EVERY_FIFTH_NULL).sort("ticker").get_column("n").to_list()
        ),
        # Dates 20, 25, 30, 35 of the window 20..39 have no rate: each takes the day before's.
        "expected": _expected([20, 20, 20]),
    },
    "risk_free_frame_with_nulls_not_filled": lambda: {
        "main": lambda: (
            _screen(STOCKS, risk_free=RF_EVERY_FIFTH_NULL, fill_risk_free=False)
            .sort("ticker")
            .get_column("n")
            .to_list()
        ),
        # Dates 20, 25, 30, 35 of the window 20..39 have no rate and are left out.
        "expected": _expected([16, 16, 16]),
    },
    "risk_free_frame_all_null": lambda: {
        "main": _screen_run(
            STOCKS, risk_free=RF_EVERY_FIFTH_NULL.with_columns(pl.lit(None, pl.Float64).alias("rf"))
        )
    },
    # Parameters (those not in test_screen.py)
    "window_0": lambda: {"main": _screen_run(STOCKS, window=0)},
    "window_negative": lambda: {"main": _screen_run(STOCKS, window=-5)},
    "window_float": lambda: {"main": _screen_run(STOCKS, window=2.5)},
    "min_periods_1": lambda: {"main": _screen_run(STOCKS, min_periods=1)},
    "periods_per_year_0": lambda: {
        "main": _screen_run(STOCKS, periods_per_year=0, weighted_alpha_window=None)
    },
    "periods_per_year_nan": lambda: {
        "main": _screen_run(STOCKS, periods_per_year=math.nan, weighted_alpha_window=None)
    },
    "weighted_alpha_window_1": lambda: {"main": _screen_run(STOCKS, weighted_alpha_window=1)},
    "min_alpha_nan": lambda: {"main": _screen_run(STOCKS, min_alpha=math.nan)},
    "beta_between_nan": lambda: {"main": _screen_run(STOCKS, beta_between=(math.nan, 1.0))},
}

NOT_NUMERIC_VALUE = ("the value column 'close' is {}, not numeric", "cast it to a number")
SCREEN_OUTCOMES: dict[str, Outcome] = {
    "value_string": Raises(
        "TypeError", (NOT_NUMERIC_VALUE[0].format("String"), NOT_NUMERIC_VALUE[1])
    ),
    "value_bool": Raises("TypeError", (NOT_NUMERIC_VALUE[0].format("Boolean"),)),
    "value_date": Raises("TypeError", (NOT_NUMERIC_VALUE[0].format("Date"),)),
    "value_categorical": Raises("TypeError", (NOT_NUMERIC_VALUE[0].format("Categorical"),)),
    "value_int64": Same(("main", "as Float64")),
    "value_uint64": Same(("main", "as Float64")),
    "value_float32": Same(("main", "as Float64")),
    "value_decimal": Same(("main", "as Float64")),
    "benchmark_column_string": Raises(
        "TypeError", ("the benchmark column 'idx' is String, not numeric", "cast it")
    ),
    "benchmark_column_bool": Raises(
        "TypeError", ("the benchmark column 'idx' is Boolean, not numeric",)
    ),
    "benchmark_column_decimal": Same(("main", "as Float64")),
    "benchmark_frame_string": Raises(
        "ValueError", ("the benchmark frame must hold", "exactly one numeric", "'idx' is String")
    ),
    "risk_free_column_string": Raises(
        "TypeError", ("the risk_free column 'rf' is String, not numeric",)
    ),
    "empty_frame": Raises("ValueError", ("the frame has no rows to screen",)),
    # Issue 23: a lazy screen raises the eager screen's errors when collected.
    "empty_lazy_frame": Raises("ValueError", ("the frame has no rows to screen",)),
    "single_row": Raises(
        "ValueError", ("the benchmark has values on 1 of the frame's dates but no return",)
    ),
    "window_longer_than_series": Nulls(0),
    "all_null_prices": Nulls(0),
    "nan_prices": Nulls(0),
    "inf_prices": Nulls(0),
    "one_null_price_in_the_window": Same(("main", "expected"), (1, 3, 5)),
    "prices_times_1e300": Same(("main", "unscaled"), rel=1e-9),
    "prices_times_1e-300": Same(("main", "unscaled"), rel=1e-9),
    "constant_prices": Same(("main", "expected"), (2, 4, 9, 11, 16, 18)),
    "constant_benchmark": Nulls(0),
    "benchmark_constant_in_the_whole_window": Nulls(0),
    "benchmark_constant_in_part_of_the_window": Same(("main",)),
    "duplicate_date": Raises(
        "ValueError",
        ("ticker 'CCC' has more than one row on", "each ticker needs one row per date"),
    ),
    # Issue 23: a lazy screen raises the eager screen's errors when collected.
    "duplicate_date_lazy": Raises(
        "ValueError",
        ("ticker 'CCC' has more than one row on", "each ticker needs one row per date"),
    ),
    "unsorted_rows": Same(("main", "sorted")),
    "null_ticker": Same(("main", "expected"), (0,)),
    "categorical_tickers": Same(("main", "string tickers")),
    "integer_tickers": Same(("main", "string tickers")),
    "null_date": Same(("main", "row left out")),
    "risk_free_frame_with_nulls": Same(("main", "expected"), ()),
    "risk_free_frame_with_nulls_not_filled": Same(("main", "expected"), ()),
    "risk_free_frame_all_null": Raises(
        "ValueError", ("no date has a benchmark return and a risk-free rate",)
    ),
    "window_0": Raises("ValueError", ("`window` must be at least 2", "got 0")),
    "window_negative": Raises("ValueError", ("`window` must be at least 2", "got -5")),
    "window_float": Raises("TypeError", ("`window` must be an integer", "window=252")),
    "min_periods_1": Raises("ValueError", ("`min_periods` must be at least 2",)),
    "periods_per_year_0": Raises(
        "ValueError", ("`periods_per_year` must be a positive finite number", "252 daily")
    ),
    "periods_per_year_nan": Raises("ValueError", ("`periods_per_year`", "got nan")),
    "weighted_alpha_window_1": Raises(
        "ValueError", ("`weighted_alpha_window` must be an integer number of returns", "got 1")
    ),
    "min_alpha_nan": Raises("ValueError", ("`min_alpha` is NaN", "0.0, or None")),
    "beta_between_nan": Raises("ValueError", ("`beta_between` has a NaN bound", "math.inf")),
}
# Cases that fail today, each with the reason; empty when none do.
SCREEN_KNOWN_BUGS: dict[str, str] = {}


def test_screen_cases() -> None:
    assert set(SCREEN_CASES) == set(SCREEN_OUTCOMES)
    results = run_child("test_bad_input_params", "screen", list(SCREEN_CASES))
    assert_outcomes(results, SCREEN_OUTCOMES, SCREEN_KNOWN_BUGS)


GROUPS["screen"] = lambda case: SCREEN_CASES[case]()


# ---------------------------------------------------------------------------------------------
# polars_alpha.numpy (the cases test_numpy.py does not already cover)

T_ROWS = 12


def _arrays() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    x = rng.normal(0.0, 0.01, T_ROWS)
    y = np.column_stack(
        [1.2 * x + rng.normal(0, 0.003, T_ROWS), 0.7 * x + rng.normal(0, 0.003, T_ROWS)]
    )
    return y, x


Y, X = _arrays()


def _np_fit(y: Any, x: Any, field_name: str = "beta", **kwargs: Any) -> Run:
    """The fit's field (NaN, the NumPy null, reported as None), flattened row by row."""
    from polars_alpha.numpy import rolling_alpha_beta

    def run() -> list[Any]:
        values = np.asarray(
            getattr(rolling_alpha_beta(y, x, **{"window": 4, **kwargs}), field_name)
        )
        return [
            None if isinstance(v, float) and math.isnan(v) else v for v in values.ravel().tolist()
        ]

    return run


def _frame_fit(frame: Any, market: Any, **kwargs: Any) -> Run:
    from polars_alpha.numpy import rolling_alpha_beta_frame

    def run() -> list[Any]:
        out = rolling_alpha_beta_frame(frame, market, **{"window": 4, **kwargs})
        return [None if math.isnan(v) else v for v in out["beta"].to_numpy().ravel().tolist()]

    return run


def _pandas() -> tuple[Any, Any]:
    import pandas as pd  # type: ignore[import-untyped]

    index = pd.date_range("2024-01-01", periods=T_ROWS, name="date")
    return pd.DataFrame(Y, index=index, columns=["a", "b"]), pd.Series(X, index=index)


def _pandas_case(change: Callable[[Any], Any], market: Any = None) -> dict[str, Run]:
    frame, series = _pandas()
    return {"main": _frame_fit(change(frame), series if market is None else market(series))}


X_PART_CONSTANT = np.where((np.arange(T_ROWS) >= 3) & (np.arange(T_ROWS) <= 8), 0.0031, X)
RF_WITH_NAN = np.where(np.arange(T_ROWS) % 5 == 2, np.nan, 1e-4)

NUMPY_CASES: dict[str, Callable[[], dict[str, Run]]] = {
    **{
        f"Y_{name}": _constant({"main": _np_fit(array, X)})
        for name, array in (
            ("bool", Y > 0),
            ("complex", Y.astype(complex)),
            ("object", Y.astype(object)),
            ("datetime64", np.zeros(Y.shape, dtype="datetime64[D]")),
            ("masked", np.ma.masked_array(Y, mask=Y > 0.01)),
        )
    },
    **{
        f"Y_{name}": _constant(
            {"main": _np_fit(array, X), "as float64": _np_fit(array.astype(np.float64), X)}
        )
        for name, array in (
            ("int8", (Y * 1000).astype(np.int8)),
            ("uint64", (np.abs(Y) * 1000).astype(np.uint64)),
            ("float16", Y.astype(np.float16)),
            ("float32", Y.astype(np.float32)),
        )
    },
    "x_string": lambda: {"main": _np_fit(Y, X.astype(str))},
    "x_scalar": lambda: {"main": _np_fit(Y, 0.01)},
    "Y_0_dimensions": lambda: {"main": _np_fit(np.float64(0.1), X)},
    "single_row": lambda: {"main": _np_fit(Y[:1], X[:1])},
    "window_longer_than_series": lambda: {"main": _np_fit(Y, X, window=50)},
    "window_longer_than_series_n": lambda: {
        "main": _np_fit(Y, X, "n", window=50),
        "rows so far": _expected([v for t in range(1, T_ROWS + 1) for v in (t, t)]),
    },
    "all_nan_Y": lambda: {"main": _np_fit(np.full(Y.shape, np.nan), X)},
    "all_nan_Y_n": lambda: {
        "main": _np_fit(np.full(Y.shape, np.nan), X, "n"),
        "zero": _expected([0] * (2 * T_ROWS)),
    },
    "inf_Y": lambda: {"main": _np_fit(np.full(Y.shape, np.inf), X)},
    "neg_inf_x": lambda: {"main": _np_fit(Y, np.full(T_ROWS, -np.inf))},
    "scale_1e300": lambda: {"main": _np_fit(Y * 1e300, X * 1e300)},
    "scale_1e-300": lambda: {"main": _np_fit(Y * 1e-300, X * 1e-300)},
    "scale_1e150": lambda: {"main": _np_fit(Y * 1e150, X * 1e150), "unscaled": _np_fit(Y, X)},
    "scale_1e-150": lambda: {"main": _np_fit(Y * 1e-150, X * 1e-150), "unscaled": _np_fit(Y, X)},
    "constant_x": lambda: {"main": _np_fit(Y, np.full(T_ROWS, 0.0031))},
    "x_constant_in_some_windows": lambda: {"main": _np_fit(Y, X_PART_CONSTANT)},
    "risk_free_nan_number": lambda: {"main": _np_fit(Y, X, risk_free=math.nan)},
    "risk_free_bool": lambda: {"main": _np_fit(Y, X, risk_free=np.array([True] * T_ROWS))},
    "risk_free_array_with_nan": lambda: {
        "main": _np_fit(Y, X, risk_free=RF_WITH_NAN),
        "rows left out": _np_fit(
            np.where(np.isnan(RF_WITH_NAN)[:, None], np.nan, Y),
            X,
            risk_free=np.nan_to_num(RF_WITH_NAN),
        ),
    },
    "window_0": lambda: {"main": _np_fit(Y, X, window=0)},
    "window_negative": lambda: {"main": _np_fit(Y, X, window=-1)},
    "window_bool": lambda: {"main": _np_fit(Y, X, window=True)},
    "window_string": lambda: {"main": _np_fit(Y, X, window="1y")},
    "min_periods_1": lambda: {"main": _np_fit(Y, X, min_periods=1)},
    "expanding_min_periods_above_rows": lambda: {
        "main": _np_fit(Y, X, window=None, min_periods=50)
    },
    # pandas
    "frame_string_column": lambda: _pandas_case(lambda f: f.assign(c="x")),
    "frame_bool_column": lambda: _pandas_case(lambda f: f.assign(c=True)),
    "frame_datetime_column": lambda: _pandas_case(lambda f: f.assign(c=f.index)),
    "frame_category_column": lambda: _pandas_case(
        lambda f: f.assign(c="u").astype({"c": "category"})
    ),
    "frame_bool_market": lambda: _pandas_case(lambda f: f, lambda s: s > 0),
    "frame_duplicate_columns": lambda: _pandas_case(lambda f: f.set_axis(["a", "a"], axis=1)),
    "frame_nullable_float_with_missing": lambda: {
        "main": _pandas_case(lambda f: f.astype("Float64").where(f > -0.02))["main"],
        "numpy with NaN": _np_fit(np.where(Y > -0.02, Y, np.nan), X),
    },
    "frame_unsorted_index": lambda: {
        # Rows are taken in the frame's order, not sorted by the index.
        "main": _pandas_case(lambda f: f.iloc[::-1])["main"],
        "numpy reversed": _np_fit(Y[::-1], X[::-1]),
    },
}

REAL = ("must hold real numbers (integer or float dtype)",)
NUMPY_OUTCOMES: dict[str, Outcome] = {
    "Y_bool": Raises("TypeError", ("`Y` must hold real numbers", "got dtype bool")),
    "Y_complex": Raises("TypeError", ("`Y` must hold real numbers", "complex128")),
    "Y_object": Raises("TypeError", ("`Y` must hold real numbers", "object")),
    "Y_datetime64": Raises("TypeError", ("`Y` must hold real numbers", "datetime64")),
    "Y_masked": Raises("TypeError", ("`Y` is a masked array", ".filled(np.nan)")),
    "Y_int8": Same(("main", "as float64")),
    "Y_uint64": Same(("main", "as float64")),
    "Y_float16": Same(("main", "as float64")),
    "Y_float32": Same(("main", "as float64")),
    "x_string": Raises("TypeError", ("`x` must hold real numbers",)),
    "x_scalar": Raises("ValueError", ("`x` must have shape (12,) to match `Y`", "got ()")),
    "Y_0_dimensions": Raises("ValueError", ("`Y` must be 1-D (T,) or 2-D (T, N)", "0 dimensions")),
    "single_row": Nulls(2),
    "window_longer_than_series": Nulls(2 * T_ROWS),
    "window_longer_than_series_n": Same(("main", "rows so far"), ()),
    "all_nan_Y": Nulls(2 * T_ROWS),
    "all_nan_Y_n": Same(("main", "zero"), ()),
    "inf_Y": Nulls(2 * T_ROWS),
    "neg_inf_x": Nulls(2 * T_ROWS),
    # Co-moments of values beyond about 1e154 overflow, and below about 1e-155 underflow:
    # the fits are null (NaN) rather than wrong.
    "scale_1e300": Nulls(2 * T_ROWS),
    "scale_1e-300": Nulls(2 * T_ROWS),
    "scale_1e150": Same(("main", "unscaled"), tuple(range(6)), rel=1e-12),
    "scale_1e-150": Same(("main", "unscaled"), tuple(range(6)), rel=1e-12),
    "constant_x": Nulls(2 * T_ROWS),
    # x constant on rows 3..8: the 4-row windows ending at rows 6, 7, 8 lie inside.
    "x_constant_in_some_windows": Nulls(2 * T_ROWS, (0, 1, 2, 3, 4, 5, 12, 13, 14, 15, 16, 17)),
    "risk_free_nan_number": Raises("ValueError", ("`risk_free` must be a finite per-period rate",)),
    "risk_free_bool": Raises("TypeError", ("`risk_free` must hold real numbers",)),
    "risk_free_array_with_nan": Same(("main", "rows left out")),
    "window_0": Raises("ValueError", ("`window` must be at least 2", "got 0")),
    "window_negative": Raises("ValueError", ("`window` must be at least 2", "got -1")),
    "window_bool": Raises("TypeError", ("`window` must be an integer",)),
    "window_string": Raises(
        "TypeError", ("`window` must be an integer number of rows or None", "no duration")
    ),
    "min_periods_1": Raises("ValueError", ("`min_periods` must be at least 2",)),
    "expanding_min_periods_above_rows": Nulls(2 * T_ROWS),
    "frame_string_column": Raises("TypeError", ("column 'c' of `frame`", *REAL)),
    "frame_bool_column": Raises("TypeError", ("column 'c' of `frame`", *REAL, "bool")),
    "frame_datetime_column": Raises("TypeError", ("column 'c' of `frame`", *REAL, "datetime64")),
    "frame_category_column": Raises("TypeError", ("column 'c' of `frame`", *REAL, "category")),
    "frame_bool_market": Raises("TypeError", ("`market`", *REAL)),
    "frame_duplicate_columns": Raises("ValueError", ("more than one column named 'a'",)),
    "frame_nullable_float_with_missing": Same(("main", "numpy with NaN")),
    "frame_unsorted_index": Same(("main", "numpy reversed")),
}


def test_numpy_cases() -> None:
    assert set(NUMPY_CASES) == set(NUMPY_OUTCOMES)
    results = run_child("test_bad_input_params", "numpy", list(NUMPY_CASES))
    assert_outcomes(results, NUMPY_OUTCOMES, {})


GROUPS["numpy"] = lambda case: NUMPY_CASES[case]()


# ---------------------------------------------------------------------------------------------
# The polars-alpha command (error paths test_cli.py does not already cover), each invocation
# its own process.

CLI_PREFIX = "python -m polars_alpha: error: "


@pytest.fixture(scope="module")
def cli_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bad_cli")
    STOCKS.write_csv(root / "long.csv")
    BENCH.write_csv(root / "bench.csv")
    STOCKS.with_columns(pl.col("close").cast(pl.String) + "x").write_csv(root / "text.csv")
    STOCKS.with_columns(pl.col("close") > 50).write_csv(root / "bool.csv")
    STOCKS.with_columns(pl.lit(None, pl.Float64).alias("close")).write_csv(root / "empty_col.csv")
    STOCKS.head(0).write_csv(root / "header_only.csv")
    (root / "empty.csv").write_bytes(b"")
    (root / "garbage.parquet").write_bytes(b"\x00\x01 not parquet")
    STOCKS.head(1).write_csv(root / "one_row.csv")
    pl.concat([STOCKS, STOCKS.tail(1)]).write_csv(root / "duplicate.csv")
    STOCKS.sample(fraction=1.0, shuffle=True, seed=5).write_csv(root / "unsorted.csv")
    _rows_where(STOCKS, pl.col("ticker") == "CCC", "ticker", None).write_csv(root / "no_ticker.csv")
    STOCKS.with_columns(pl.lit(math.nan).alias("close")).write_csv(root / "nan.csv")
    BENCH.with_columns(pl.lit(100.0).alias("idx")).write_csv(root / "flat_bench.csv")
    BENCH.with_columns(pl.col("idx").cast(pl.String) + "x").write_csv(root / "text_bench.csv")
    RF_EVERY_FIFTH_NULL.with_columns(pl.lit(None, pl.Float64).alias("rf")).write_csv(
        root / "empty_rf.csv"
    )
    return root


BASE = ["--benchmark", "bench.csv", "--window", "20", "--format", "csv"]
CLI_ERRORS: dict[str, tuple[list[str], tuple[str, ...]]] = {
    "text_values": (["text.csv"], ("text.csv: no numeric price or return column", "'close' is")),
    "bool_values": (["bool.csv"], ("bool.csv: no numeric price or return column", "Boolean")),
    "text_value_column_named": (
        ["text.csv", "--value-column", "close"],
        ("text.csv: the value column 'close' is String, not numbers",),
    ),
    "empty_column": (["empty_col.csv"], ("a column without values is read as text",)),
    "header_only": (["header_only.csv"], ("header_only.csv has no data rows",)),
    "empty_file": (["empty.csv"], ("cannot read empty.csv:",)),
    "garbage_parquet": (["garbage.parquet"], ("cannot read garbage.parquet:",)),
    "one_row": (["one_row.csv"], ("the benchmark has values on 1 of the frame's dates",)),
    "duplicate_date": (["duplicate.csv"], ("ticker 'CCC' has more than one row on",)),
    "nan_prices": (["nan.csv"], ("no ticker has a fit on the as-of date",)),
    # Issue 23: the window error says how many rows there are.
    "window_longer_than_series": (
        ["long.csv", "--window", "100"],
        ("--window 100 is longer than the data: the longest history has 40 rows",),
    ),
    "flat_benchmark": (
        ["long.csv", "--benchmark", "flat_bench.csv"],
        ("no ticker has a fit on the as-of date",),
    ),
    "text_benchmark": (
        ["long.csv", "--benchmark", "text_bench.csv"],
        ("the benchmark file text_bench.csv must hold a date and one value column", "String"),
    ),
    "empty_risk_free": (
        ["long.csv", "--risk-free", "empty_rf.csv"],
        ("the risk_free file empty_rf.csv", "a column without values is read as text"),
    ),
    "window_0": (["long.csv", "--window", "0"], ("`window` must be at least 2", "got 0")),
    "min_periods_above_window": (
        ["long.csv", "--min-periods", "30"],
        ("`min_periods` (30) must not exceed `window` (20)",),
    ),
    "periods_per_year_0": (
        ["long.csv", "--periods-per-year", "0"],
        ("`periods_per_year` must be a positive finite number",),
    ),
    "risk_free_nan": (
        ["long.csv", "--risk-free", "nan"],
        ("(--risk-free)", "not a file or a number"),
    ),
    "beta_between_nan": (
        ["long.csv", "--beta-between", "nan", "1"],
        ("`beta_between` has a NaN bound",),
    ),
    "output_in_a_missing_directory": (
        ["long.csv", "--output", "missing/out.csv"],
        ("No such file or directory", "missing/out.csv"),
    ),
}


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "polars_alpha", "screen", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=300,
    )


@pytest.mark.parametrize("case", list(CLI_ERRORS))
def test_cli_errors(cli_files: Path, case: str) -> None:
    args, needles = CLI_ERRORS[case]
    result = _cli([args[0], *BASE, *args[1:]], cli_files)
    # One line on stderr, exit status 2, nothing on stdout: never a crash or a traceback.
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert result.stdout == ""
    assert result.stderr.startswith(CLI_PREFIX), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def _cli_csv(args: list[str], cwd: Path) -> pl.DataFrame:
    result = _cli([*args, *BASE], cwd)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return pl.read_csv(result.stdout.encode(), try_parse_dates=True)


def test_cli_data_that_screens(cli_files: Path) -> None:
    """Unsorted rows, a ticker without a name and integer dates all screen."""
    expected = _cli_csv(["long.csv"], cli_files)
    assert expected.height == 3
    assert_frame_equal(_cli_csv(["unsorted.csv"], cli_files), expected)
    # Rows without a ticker (an empty CSV field) are screened as one ticker, shown empty.
    unnamed = _cli_csv(["no_ticker.csv"], cli_files)
    assert sorted(unnamed.get_column("ticker").fill_null("<null>").to_list()) == [
        "<null>",
        "AAA",
        "BBB",
    ]
    assert_frame_equal(
        unnamed.drop("ticker", "date").sort("alpha").select(FIT_COLUMNS),
        expected.drop("ticker", "date").sort("alpha").select(FIT_COLUMNS),
        check_exact=True,
    )
