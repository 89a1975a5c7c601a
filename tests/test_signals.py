"""Tests of the signals: momentum and forward_return against direct shifts, the information
coefficient against scipy, and residual momentum against a NumPy loop over statsmodels OLS.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import polars_alpha as pa
from polars_alpha.datasets import load_sp500_sample, synthetic_market


def nan_array(series: pl.Series) -> np.ndarray:
    return series.cast(pl.Float64).fill_null(math.nan).to_numpy()


def random_prices(
    seed: int, tickers: int = 4, days: int = 120, holes: float = 0.05
) -> pl.DataFrame:
    """Long frame ``date, ticker, close`` with some prices missing (null or NaN)."""
    rng = np.random.default_rng(seed)
    dates = [dt.date(2021, 1, 1) + dt.timedelta(days=i) for i in range(days)]
    rows: dict[str, list[Any]] = {"date": [], "ticker": [], "close": []}
    for k in range(tickers):
        close = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, days)))
        values: list[float | None] = list(close)
        for i in np.flatnonzero(rng.random(days) < holes):
            values[i] = None if i % 2 else math.nan
        rows["date"] += dates
        rows["ticker"] += [f"K{k}"] * days
        rows["close"] += values
    return pl.DataFrame(rows, schema={"date": pl.Date, "ticker": pl.String, "close": pl.Float64})


# --------------------------------------------------------------------------------------------
# momentum and forward_return: direct shifts
# --------------------------------------------------------------------------------------------


def direct_shift_ratio(p: np.ndarray, num: int, den: int) -> np.ndarray:
    """``p[t - num] / p[t - den] - 1`` (negative offsets look ahead), NaN outside."""
    out = np.full(p.shape, math.nan)
    for t in range(len(p)):
        a, b = t - num, t - den
        if 0 <= a < len(p) and 0 <= b < len(p):
            out[t] = p[a] / p[b] - 1.0
    return out


@pytest.mark.parametrize(("window", "skip"), [(252, 21), (60, 0), (5, 4), (1, 0)])
def test_momentum_is_the_shifted_ratio_on_real_data(window: int, skip: int) -> None:
    stocks = load_sp500_sample().stocks.filter(pl.col("ticker").is_in(["AAPL", "KO", "RRC"]))
    got = stocks.with_columns(m=pa.momentum("close", window=window, skip=skip, by="ticker"))
    for _, part in got.group_by("ticker"):
        p = nan_array(part["close"])
        want = direct_shift_ratio(p, skip, window)
        np.testing.assert_allclose(nan_array(part["m"]), want, rtol=1e-15, equal_nan=True)


@pytest.mark.parametrize("horizon", [1, 5, 63])
def test_forward_return_is_the_shifted_ratio(horizon: int) -> None:
    frame = random_prices(1)
    got = frame.with_columns(f=pa.forward_return("close", horizon, by="ticker"))
    for _, part in got.group_by("ticker"):
        want = direct_shift_ratio(nan_array(part["close"]), -horizon, 0)
        np.testing.assert_allclose(nan_array(part["f"]), want, rtol=1e-15, equal_nan=True)
    # A missing (null or NaN) price is a null return, never NaN.
    assert got["f"].is_nan().sum() == 0


def test_momentum_with_missing_prices_is_null() -> None:
    frame = random_prices(2, holes=0.1)
    got = frame.with_columns(m=pa.momentum("close", window=10, skip=2, by="ticker"))
    for _, part in got.group_by("ticker"):
        want = direct_shift_ratio(nan_array(part["close"]), 2, 10)
        np.testing.assert_allclose(nan_array(part["m"]), want, rtol=1e-15, equal_nan=True)
    assert got["m"].is_nan().sum() == 0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), horizon=st.integers(1, 8))
def test_rows_out_of_order_with_order_by_equal_sorted(seed: int, horizon: int) -> None:
    frame = random_prices(seed, tickers=3, days=30)
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=seed).with_row_index("row")
    exprs = {
        "m": pa.momentum("close", window=7, skip=1, by="ticker", order_by="date"),
        "f": pa.forward_return("close", horizon, by="ticker", order_by="date"),
    }
    got = shuffled.with_columns(**exprs).sort("ticker", "date")
    want = frame.sort("ticker", "date").with_columns(
        m=pa.momentum("close", window=7, skip=1, by="ticker"),
        f=pa.forward_return("close", horizon, by="ticker"),
    )
    assert got.select("m", "f").equals(want.select("m", "f"))


def test_by_equals_over_and_lazy_equals_eager() -> None:
    frame = random_prices(4)
    by = frame.with_columns(
        m=pa.momentum("close", window=9, skip=2, by="ticker"),
        f=pa.forward_return("close", 3, by="ticker"),
    )
    over = frame.with_columns(
        m=pa.momentum("close", window=9, skip=2).over("ticker"),
        f=pa.forward_return("close", 3).over("ticker"),
    )
    lazy = (
        frame.lazy()
        .with_columns(
            m=pa.momentum(pl.col("close"), window=9, skip=2, by=pl.col("ticker")),
            f=pa.forward_return("close", 3, by="ticker"),
        )
        .collect()
    )
    assert by.equals(over)
    assert by.equals(lazy)
    assert by.schema["m"] == pl.Float64
    assert by.schema["f"] == pl.Float64


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: pa.momentum("p", window=10, skip=10), ValueError, "skip"),
        (lambda: pa.momentum("p", window=10, skip=-1), ValueError, "skip"),
        (lambda: pa.momentum("p", window=0, skip=0), ValueError, "window"),
        (lambda: pa.momentum("p", window=2.5), TypeError, "window"),
        (lambda: pa.momentum(3), TypeError, "price"),  # type: ignore[arg-type]
        (lambda: pa.forward_return("p", 0), ValueError, "horizon"),
        (lambda: pa.forward_return("p", 1.0), TypeError, "horizon"),  # type: ignore[arg-type]
        (lambda: pa.information_coefficient("a", "b", method="kendall"), ValueError, "method"),
    ],
)
def test_bad_arguments(call: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


def test_non_numeric_price_fails_naming_it() -> None:
    frame = pl.DataFrame({"p": ["a", "b", "c"]})
    with pytest.raises(pl.exceptions.PolarsError, match="price"):
        frame.select(pa.momentum("p", window=1, skip=0))


# --------------------------------------------------------------------------------------------
# information_coefficient: scipy
# --------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(0, 30),
    ties=st.booleans(),
    holes=st.floats(0, 0.4),
)
def test_ic_matches_scipy(seed: int, n: int, ties: bool, holes: float) -> None:
    rng = np.random.default_rng(seed)
    s = rng.normal(size=n)
    f = rng.normal(size=n) + 0.3 * s
    if ties:
        s = np.round(s, 0)
        f = np.round(f, 1)
    s[rng.random(n) < holes] = math.nan
    f[rng.random(n) < holes] = math.nan
    frame = pl.DataFrame({"s": s, "f": f})
    got_s = frame.select(pa.information_coefficient("s", "f")).item()
    got_p = frame.select(pa.information_coefficient("s", "f", method="pearson")).item()
    both = ~np.isnan(s) & ~np.isnan(f)
    a, b = s[both], f[both]
    if both.sum() < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        assert got_s is None
        assert got_p is None
        return
    assert got_s == pytest.approx(stats.spearmanr(a, b).statistic, abs=1e-12)
    assert got_p == pytest.approx(stats.pearsonr(a, b).statistic, abs=1e-12)


def test_ic_per_date_with_nulls_and_ties() -> None:
    frame = pl.DataFrame(
        {
            "date": [1] * 5 + [2] * 5 + [3] * 2,
            "s": [1.0, 2, 3, None, 5, 7, 7, 7, 7, 7, 1, 2],
            "f": [0.1, 0.3, 0.2, 0.5, None, 0.1, 0.2, 0.3, 0.4, 0.5, 0.1, 0.2],
        }
    )
    got = frame.group_by("date", maintain_order=True).agg(ic=pa.information_coefficient("s", "f"))
    assert got["ic"][0] == pytest.approx(stats.spearmanr([1, 2, 3], [0.1, 0.3, 0.2]).statistic)
    assert got["ic"][1] is None  # every name ties
    assert got["ic"][2] is None  # two pairs


# --------------------------------------------------------------------------------------------
# residual_momentum: statsmodels OLS on every window
# --------------------------------------------------------------------------------------------


def residual_momentum_oracle(
    y: np.ndarray,
    x: np.ndarray,
    *,
    fit_window: int,
    window: int,
    skip: int,
    fit_min: int,
    min_periods: int,
) -> np.ndarray:
    """The definition with statsmodels: ``e[s]`` from OLS on the usable rows of
    ``s - fit_window + 1 .. s`` (at least ``fit_min`` of them); the signal is mean / std
    (ddof 1) of the finite ``e``."""
    n = len(y)
    x2 = x if x.ndim == 2 else x[:, None]
    e = np.full(n, math.nan)
    for s in range(n):
        # A series' first windows are shorter, as rolling_alpha_beta's with min_periods.
        rows = slice(max(0, s - fit_window + 1), s + 1)
        yy, xx = y[rows], x2[rows]
        ok = np.isfinite(yy) & np.isfinite(xx).all(axis=1)
        if ok.sum() < fit_min or not (np.isfinite(y[s]) and np.isfinite(x2[s]).all()):
            continue
        fit = sm.OLS(yy[ok], sm.add_constant(xx[ok], has_constant="add")).fit()
        e[s] = y[s] - fit.params[0] - x2[s] @ fit.params[1:]
    out = np.full(n, math.nan)
    for t in range(n):
        lo, hi = max(0, t - window + 1), t - skip
        if hi < 0:
            continue
        v = e[lo : hi + 1]
        v = v[np.isfinite(v)]
        if len(v) >= max(min_periods, 2):
            out[t] = v.mean() / v.std(ddof=1)
    return out


def assert_close(got: pl.Series, want: np.ndarray) -> None:
    g = nan_array(got)
    np.testing.assert_array_equal(np.isnan(g), np.isnan(want))
    np.testing.assert_allclose(g, want, rtol=1e-8, atol=1e-10, equal_nan=True)


def test_residual_momentum_matches_statsmodels_on_real_data() -> None:
    sample = load_sp500_sample()
    r = sample.returns().filter(
        pl.col("ticker").is_in(["AAPL", "XOM"]),
        pl.col("date").is_between(dt.date(2015, 1, 1), dt.date(2016, 12, 31)),
    )
    got = r.with_columns(
        rm=pa.residual_momentum(
            "ret", "market", fit_window=120, window=60, skip=5, by="ticker", order_by="date"
        )
    )
    for _, part in got.group_by("ticker"):
        want = residual_momentum_oracle(
            nan_array(part["ret"]),
            nan_array(part["market"]),
            fit_window=120,
            window=60,
            skip=5,
            fit_min=120,
            min_periods=55,
        )
        assert np.isfinite(want).sum() > 200
        assert_close(part["rm"], want)


def test_residual_momentum_with_nulls_factors_and_risk_free() -> None:
    rng = np.random.default_rng(8)
    n = 260
    f1, f2 = rng.normal(0, 0.01, n), rng.normal(0, 0.008, n)
    rf = np.full(n, 1e-4)
    y = 0.0002 * np.sin(np.arange(n) / 30) + 1.1 * f1 - 0.4 * f2 + rng.normal(0, 0.01, n) + rf
    y[[30, 31, 140]] = math.nan
    f1[200] = math.nan
    frame = pl.DataFrame({"y": y, "f1": f1, "f2": f2, "rf": rf})
    got = frame.select(
        multi=pa.residual_momentum(
            "y",
            ["f1", "f2"],
            fit_window=50,
            window=40,
            skip=3,
            fit_min_periods=45,
            min_periods=30,
            risk_free="rf",
        ),
        capm=pa.residual_momentum(
            "y",
            "f1",
            fit_window=50,
            window=40,
            skip=3,
            fit_min_periods=45,
            min_periods=30,
            risk_free=1e-4,
        ),
    )
    want_multi = residual_momentum_oracle(
        y - rf,
        np.column_stack([f1, f2]),
        fit_window=50,
        window=40,
        skip=3,
        fit_min=45,
        min_periods=30,
    )
    want_capm = residual_momentum_oracle(
        y - rf, f1 - rf, fit_window=50, window=40, skip=3, fit_min=45, min_periods=30
    )
    assert_close(got["multi"], want_multi)
    assert_close(got["capm"], want_capm)


def test_residual_momentum_by_equals_over_and_order_by() -> None:
    m = synthetic_market(n_tickers=3, n_days=200, seed=4)
    r = m.stocks.join(m.index, on="date").with_columns(
        ret=pl.col("close").pct_change().over("ticker"),
        mkt=pl.col("market").pct_change().over("ticker"),
    )
    kwargs: dict[str, Any] = {"fit_window": 40, "window": 30, "skip": 2}
    by = r.with_columns(rm=pa.residual_momentum("ret", "mkt", by="ticker", **kwargs))
    over = r.with_columns(rm=pa.residual_momentum("ret", "mkt", **kwargs).over("ticker"))
    assert by.equals(over)
    shuffled = r.sample(fraction=1.0, shuffle=True, seed=1)
    ordered = shuffled.with_columns(
        rm=pa.residual_momentum("ret", "mkt", by="ticker", order_by="date", **kwargs)
    ).sort("ticker", "date")
    assert ordered["rm"].equals(by.sort("ticker", "date")["rm"])
    lazy = r.lazy().with_columns(rm=pa.residual_momentum("ret", "mkt", by="ticker", **kwargs))
    assert lazy.collect().equals(by)
    assert by["rm"].is_not_null().sum() == 3 * (200 - 40 - 30 + 1)


def test_residual_momentum_perfect_fit_and_constant_market_are_null() -> None:
    x = np.random.default_rng(1).normal(0, 0.01, 100)
    frame = pl.DataFrame({"y": 0.001 + 1.5 * x, "x": x, "c": np.full(100, 0.01)})
    got = frame.select(
        perfect=pa.residual_momentum("y", "x", fit_window=20, window=20, skip=0),
        constant=pa.residual_momentum("y", "c", fit_window=20, window=20, skip=0),
    )
    assert got["perfect"].null_count() == 100
    assert got["constant"].null_count() == 100


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"window": 10, "skip": 9}, ValueError, "at least 2 rows"),
        ({"window": 10, "skip": 10}, ValueError, "skip"),
        ({"fit_window": 1}, ValueError, "window"),
        ({"min_periods": 1}, ValueError, "min_periods"),
        ({"window": 20, "skip": 5, "min_periods": 16}, ValueError, "min_periods"),
        ({"fit_min_periods": 1000}, ValueError, "min_periods"),
        ({"risk_free": 0.5}, ValueError, "risk_free"),
    ],
)
def test_residual_momentum_bad_arguments(
    kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        pa.residual_momentum("y", "x", **kwargs)


def test_residual_momentum_bad_factors() -> None:
    with pytest.raises((TypeError, ValueError), match="factors"):
        pa.residual_momentum("y", [])
    frame = pl.DataFrame({"y": [0.1, 0.2], "x": ["a", "b"]})
    with pytest.raises(pl.exceptions.PolarsError, match="market"):
        frame.select(pa.residual_momentum("y", "x", fit_window=2, window=2, skip=0))


def test_ic_lazy_equals_eager_and_schema() -> None:
    rng = np.random.default_rng(3)
    frame = pl.DataFrame(
        {
            "date": np.repeat(np.arange(20), 15),
            "s": rng.normal(size=300),
            "f": rng.normal(size=300),
        }
    )
    aggs = [
        pa.information_coefficient("s", "f").alias("spearman"),
        pa.information_coefficient(pl.col("s"), pl.col("f"), method="pearson").alias("pearson"),
    ]
    eager = frame.group_by("date").agg(aggs).sort("date")
    lazy = frame.lazy().group_by("date").agg(aggs).sort("date").collect()
    assert eager.equals(lazy)
    assert eager.schema["spearman"] == pl.Float64
    assert eager.schema["pearson"] == pl.Float64
    first = frame.filter(pl.col("date") == 0)
    assert eager["spearman"][0] == pytest.approx(
        stats.spearmanr(first["s"], first["f"]).statistic, abs=1e-12
    )
