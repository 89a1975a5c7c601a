"""The rolling strategy measures against empyrical-reloaded and NumPy on each window's usable
rows, for every window form (rows, expanding, duration, ``by=``); each equals the per-group
form on its window's rows, and ``by=`` equals ``.over()``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from test_strategy import SCALARS, arrays, close, compound, usable_rows

import polars_alpha as pa

empyrical = pytest.importorskip("empyrical")

#: rolling form (keyword arguments: the window's) and its per-group form.
ROLLING: dict[str, tuple[Callable[..., pl.Expr], Callable[[], pl.Expr]]] = {
    "sharpe": (
        lambda **w: pa.rolling_sharpe_ratio("ret", risk_free="rf", **w),
        lambda: pa.sharpe_ratio("ret", risk_free="rf"),
    ),
    "sharpe_const": (
        lambda **w: pa.rolling_sharpe_ratio("ret", risk_free=1e-4, **w),
        lambda: pa.sharpe_ratio("ret", risk_free=1e-4),
    ),
    "sortino": (
        lambda **w: pa.rolling_sortino_ratio("ret", required_return=2e-4, **w),
        lambda: pa.sortino_ratio("ret", required_return=2e-4),
    ),
    "tracking_error": (
        lambda **w: pa.rolling_tracking_error("ret", "market", **w),
        lambda: pa.tracking_error("ret", "market"),
    ),
    "downside_beta": (
        lambda **w: pa.rolling_downside_beta("ret", "market", **w),
        lambda: pa.downside_beta("ret", "market"),
    ),
    "downside_beta_zero": (
        lambda **w: pa.rolling_downside_beta("ret", "market", threshold=0.0, **w),
        lambda: pa.downside_beta("ret", "market", threshold=0.0),
    ),
    "up_capture": (
        lambda **w: pa.rolling_up_capture("ret", "market", **w),
        lambda: pa.up_capture("ret", "market"),
    ),
    "down_capture": (
        lambda **w: pa.rolling_down_capture("ret", "market", **w),
        lambda: pa.down_capture("ret", "market"),
    ),
    "up_down_capture": (
        lambda **w: pa.rolling_up_down_capture("ret", "market", **w),
        lambda: pa.up_down_capture("ret", "market"),
    ),
    "max_drawdown": (
        lambda **w: pa.rolling_max_drawdown("ret", **w),
        lambda: pa.max_drawdown("ret"),
    ),
    "annual_return": (
        lambda **w: pa.rolling_annual_return("ret", **w),
        lambda: pa.annual_return("ret"),
    ),
    "calmar": (
        lambda **w: pa.rolling_calmar_ratio("ret", **w),
        lambda: pa.calmar_ratio("ret"),
    ),
}

WINDOWS: dict[str, dict[str, Any]] = {
    "rows": {"window": 60, "min_periods": 40},
    # min_periods defaults to the window: only windows without a missing row have a value.
    "rows_default": {"window": 10},
    "expanding": {"window": None, "min_periods": 20},
    "duration": {"window": "3mo", "min_periods": 30, "order_by": "date"},
}


def random_ticker(seed: int, n: int = 260) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    mkt = rng.normal(0.0004, 0.01, n)
    ret = 0.0002 + 1.1 * mkt + rng.normal(0, 0.007, n)
    rf = 1e-4 + rng.uniform(0, 2e-5, n)
    ret[rng.random(n) < 0.05] = np.nan
    mkt[rng.random(n) < 0.03] = np.inf
    dates = [dt.date(2015, 1, 1) + dt.timedelta(days=i + i // 5 * 2) for i in range(n)]
    return pl.DataFrame({"date": dates, "ret": ret, "market": mkt, "rf": rf}).with_columns(
        ret=pl.when(pl.int_range(pl.len()) % 19 == 4).then(None).otherwise(pl.col("ret")),
        rf=pl.when(pl.int_range(pl.len()) % 23 == 5).then(None).otherwise(pl.col("rf")),
    )


def window_starts(frame: pl.DataFrame, spec: dict[str, Any]) -> list[int]:
    n = frame.height
    window = spec["window"]
    if window is None:
        return [0] * n
    if isinstance(window, int):
        return [max(0, t - window + 1) for t in range(n)]
    dates = frame.get_column("date")
    lower = frame.select(pl.col("date").dt.offset_by(f"-{window}")).to_series()
    return [int((dates <= lower[t]).sum()) for t in range(n)]


def min_rows(spec: dict[str, Any]) -> int:
    if spec.get("min_periods") is not None:
        return int(spec["min_periods"])
    return int(spec["window"]) if spec["window"] is not None else 2


def check_windows(frame: pl.DataFrame, name: str, spec: dict[str, Any], every: int = 3) -> int:
    rolling, _ = ROLLING[name]
    _, oracle = SCALARS[name]
    got = frame.select(rolling(**spec)).to_series().to_list()
    starts = window_starts(frame, spec)
    least = min_rows(spec)
    checked = 0
    for t in range(0, frame.height, every):
        window = usable_rows(frame.slice(starts[t], t - starts[t] + 1), name)
        if window.height < least:
            assert got[t] is None, (name, t)
            continue
        want = float(oracle(*arrays(window)))
        assert close(got[t], want, 1e-8), (name, t, got[t], want)
        checked += got[t] is not None
    return checked


@pytest.mark.parametrize("window", sorted(WINDOWS))
@pytest.mark.parametrize("name", sorted(ROLLING))
def test_random_windows_match_oracle(name: str, window: str) -> None:
    least = 5 if window == "rows_default" else 20
    assert check_windows(random_ticker(7), name, WINDOWS[window], every=2) > least


@pytest.mark.parametrize("name", sorted(ROLLING))
def test_real_data_matches_oracle(name: str) -> None:
    sample = pa.datasets.load_sp500_sample().returns()
    one = sample.filter(pl.col("ticker") == "MSFT").head(1500)
    spec = {"window": 252}
    assert check_windows(one, name, spec, every=61) >= 20
    spec = {"window": "1y", "order_by": "date", "min_periods": 200}
    assert check_windows(one, name, spec, every=97) >= 10


@pytest.mark.parametrize("name", sorted(ROLLING))
def test_rolling_equals_per_group_form_on_each_window(name: str) -> None:
    frame = random_ticker(11, n=150)
    rolling, whole = ROLLING[name]
    spec = {"window": 40, "min_periods": 2}
    got = frame.select(rolling(**spec)).to_series()
    for t in range(1, frame.height, 7):
        start = max(0, t - 39)
        want = frame.slice(start, t - start + 1).select(whole()).item()
        if want is None:
            assert got[t] is None, (name, t)
        else:
            assert math.isclose(got[t], want, rel_tol=1e-9, abs_tol=1e-14), (name, t)


def panel() -> pl.DataFrame:
    parts = [random_ticker(20 + i).with_columns(ticker=pl.lit(f"T{i}")) for i in range(3)]
    # Interleave the keys, so a key's rows are not contiguous.
    return pl.concat(parts).sort("date", "ticker")


@pytest.mark.parametrize("window", sorted(WINDOWS))
@pytest.mark.parametrize("name", sorted(ROLLING))
def test_by_equals_over(name: str, window: str) -> None:
    frame = panel()
    rolling, _ = ROLLING[name]
    spec = WINDOWS[window]
    by = frame.select(rolling(**spec, by="ticker"))
    over = frame.select(rolling(**spec).over("ticker"))
    assert_frame_equal(by, over, check_exact=True)
    # And each key alone.
    one = frame.filter(pl.col("ticker") == "T1")
    alone = one.select(rolling(**spec))
    assert_frame_equal(by.filter(frame.get_column("ticker") == "T1"), alone, check_exact=True)


@pytest.mark.parametrize("up", [True, False])
@pytest.mark.parametrize("window", sorted(WINDOWS))
def test_market_alpha_beta_windows(up: bool, window: str) -> None:
    frame = random_ticker(31)
    spec = WINDOWS[window]
    function = pa.rolling_up_market_alpha_beta if up else pa.rolling_down_market_alpha_beta
    oracle = empyrical.up_alpha_beta if up else empyrical.down_alpha_beta
    got = frame.select(fit=function("ret", "market", risk_free=1e-4, **spec)).to_series()
    starts = window_starts(frame, spec)
    least = min_rows(spec)
    checked = 0
    for t in range(0, frame.height, 3):
        rows = usable_rows(frame.slice(starts[t], t - starts[t] + 1), "tracking_error")
        if rows.height < least:
            assert got[t] is None
            continue
        r, m, _ = arrays(rows)
        want_alpha, want_beta = oracle(r, m, risk_free=1e-4)
        assert math.isclose(got[t]["beta"], want_beta, rel_tol=1e-8), t
        assert math.isclose(compound(got[t]["alpha"]), want_alpha, rel_tol=1e-7), t
        checked += 1
    assert checked > (5 if window == "rows_default" else 20)
    by = panel().select(function("ret", "market", **spec, by="ticker"))
    over = panel().select(function("ret", "market", **spec).over("ticker"))
    assert_frame_equal(by, over, check_exact=True)


def test_a_market_without_down_days_in_the_window() -> None:
    n = 30
    market = [0.01 if 5 <= i < 20 else (-0.01 - 0.001 * i if i % 2 else 0.02) for i in range(n)]
    ret = [1.2 * m + 0.001 * (i % 3) for i, m in enumerate(market)]
    frame = pl.DataFrame({"ret": ret, "market": market})
    out = frame.select(
        down=pa.rolling_down_capture("ret", "market", window=10),
        updown=pa.rolling_up_down_capture("ret", "market", window=10),
        beta=pa.rolling_down_market_alpha_beta("ret", "market", window=10).struct.field("beta"),
        dbeta=pa.rolling_downside_beta("ret", "market", threshold=0.0, window=10),
        up=pa.rolling_up_capture("ret", "market", window=10),
    )
    # Rows 14..19: the window holds only up days.
    for column in ("down", "updown", "beta", "dbeta"):
        values = out.get_column(column)
        assert values[14:20].null_count() == 6, column
        assert values[25:].null_count() == 0, column
    assert out.get_column("up")[14:20].null_count() == 0


def test_degenerate_windows_are_null() -> None:
    flat = pl.DataFrame({"ret": [0.01] * 8 + [0.02, -0.01, 0.03, 0.0]})
    sharpe = flat.select(pa.rolling_sharpe_ratio("ret", window=5)).to_series()
    assert sharpe[4:8].null_count() == 4 and sharpe[8:].null_count() == 0
    sortino = flat.select(pa.rolling_sortino_ratio("ret", window=5)).to_series()
    assert sortino[4:9].null_count() == 5  # no row below 0 yet
    calmar = flat.select(pa.rolling_calmar_ratio("ret", window=5)).to_series()
    assert calmar[4:9].null_count() == 5  # no drawdown yet
    assert flat.select(pa.rolling_max_drawdown("ret", window=5)).to_series()[4] == 0.0


def test_lazy_equals_eager_and_schema() -> None:
    frame = panel()
    exprs = {
        name: rolling(window=30, by="ticker", order_by="date")
        for name, (rolling, _) in ROLLING.items()
    }
    exprs["up"] = pa.rolling_up_market_alpha_beta("ret", "market", window=30, by="ticker")
    eager = frame.select(**exprs)
    lazy = frame.lazy().select(**exprs)
    assert_frame_equal(lazy.collect(), eager, check_exact=True)
    schema = lazy.collect_schema()
    assert schema == eager.schema
    assert all(schema[name] == pl.Float64 for name in ROLLING)
    assert isinstance(schema["up"], pl.Struct)


def test_order_by_sorts_each_key() -> None:
    frame = panel()
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=3)
    expr = pa.rolling_up_capture("ret", "market", window=30, by="ticker", order_by="date")
    want = frame.with_columns(v=expr).sort("ticker", "date")
    got = shuffled.with_columns(v=expr).sort("ticker", "date")
    assert_frame_equal(got, want, check_exact=True)


returns = st.lists(
    st.one_of(st.none(), st.floats(-0.2, 0.2, allow_nan=False, allow_subnormal=False)),
    min_size=2,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(values=returns, scale=st.floats(0.1, 10.0), window=st.integers(2, 12))
def test_properties_on_random_series(values: list[float | None], scale: float, window: int) -> None:
    frame = pl.DataFrame(
        {"r": values, "m": [None if v is None else 0.5 * v + 0.001 for v in values]},
        schema={"r": pl.Float64, "m": pl.Float64},
    )
    spec = {"window": window, "min_periods": 2}
    out = frame.select(
        sharpe=pa.rolling_sharpe_ratio("r", **spec),
        scaled=pa.rolling_sharpe_ratio(pl.col("r") * scale, **spec),
        dd=pa.rolling_max_drawdown("r", **spec),
        te=pa.rolling_tracking_error("r", "r", **spec),
        self_up=pa.rolling_up_capture("r", "r", **spec),
        self_down=pa.rolling_down_capture("r", "r", **spec),
    )
    for row in out.iter_rows(named=True):
        # Sharpe is scale-free; a drawdown of returns above -100% lies in [-1, 0]; an asset
        # against itself has no tracking error and captures all of its up and down moves.
        if row["sharpe"] is not None:
            assert row["scaled"] is not None
            assert math.isclose(row["scaled"], row["sharpe"], rel_tol=1e-9, abs_tol=1e-12)
        if row["dd"] is not None:
            assert -1.0 <= row["dd"] <= 0.0
        assert row["te"] in (None, 0.0)
        for column in ("self_up", "self_down"):
            assert row[column] is None or math.isclose(row[column], 1.0, rel_tol=1e-12)
    # Every rolling value is its per-group form on the window's rows.
    for t in range(1, frame.height):
        start = max(0, t - window + 1)
        rows = frame.slice(start, t - start + 1)
        whole = rows.select(
            sharpe=pa.sharpe_ratio("r"), dd=pa.max_drawdown("r"), te=pa.tracking_error("r", "r")
        ).row(0, named=True)
        for column in ("sharpe", "dd", "te"):
            got, want = out[column][t], whole[column]
            assert (got is None) == (want is None), (column, t)
            if want is not None:
                assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-15), (column, t)
