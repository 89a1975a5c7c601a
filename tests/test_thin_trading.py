"""Thin-trading betas: Dimson's and Scholes-Williams'.

Oracles, per window, on the rows whose lead is at most the window's last row (no look-ahead):
- Dimson: statsmodels ``OLS(y, add_constant([x_{s-L} .. x_{s+L}]))``; the beta is the sum of
  the slopes and its standard error ``sqrt(1' cov_params 1)``;
- Scholes-Williams: three ``np.polyfit`` slopes and ``np.corrcoef`` of the market with its lag.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import polars_alpha as pa
from polars_alpha.datasets import load_sp500_sample

RTOL = 1e-9


def shift(x: np.ndarray, j: int) -> np.ndarray:
    """``out[s] = x[s + j]``, NaN outside."""
    out = np.full(len(x), np.nan)
    if j >= 0:
        out[: len(x) - j] = x[j:]
    else:
        out[-j:] = x[: len(x) + j]
    return out


def dimson_oracle(y: np.ndarray, x: np.ndarray, rows: np.ndarray, lags: int) -> dict | None:
    cols = np.column_stack([shift(x, j) for j in range(-lags, lags + 1)])
    yy, xx = y[rows], cols[rows]
    keep = np.isfinite(yy) & np.isfinite(xx).all(1)
    yy, xx = yy[keep], xx[keep]
    if len(yy) <= 2 * lags + 2:
        return None
    res = sm.OLS(yy, sm.add_constant(xx)).fit()
    ones = np.r_[0.0, np.ones(2 * lags + 1)]
    se = float(np.sqrt(ones @ res.cov_params() @ ones))
    beta = float(res.params[1:].sum())
    return {
        "alpha": res.params[0],
        "beta": beta,
        "beta_se": se,
        "beta_t": beta / se,
        "r2": res.rsquared,
        "resid_std": np.sqrt(res.mse_resid),
        "n": len(yy),
    }


def sw_oracle(y: np.ndarray, x: np.ndarray, rows: np.ndarray) -> dict | None:
    lag, lead = shift(x, -1)[rows], shift(x, 1)[rows]
    now, yy = x[rows], y[rows]
    keep = np.isfinite(yy) & np.isfinite(lag) & np.isfinite(now) & np.isfinite(lead)
    if keep.sum() < 3:
        return None
    lag, now, lead, yy = lag[keep], now[keep], lead[keep], yy[keep]
    b_lag = np.polyfit(lag, yy, 1)[0]
    b_0 = np.polyfit(now, yy, 1)[0]
    b_lead = np.polyfit(lead, yy, 1)[0]
    rho = np.corrcoef(now, lag)[0, 1]
    return {
        "beta": (b_lag + b_0 + b_lead) / (1 + 2 * rho),
        "beta_lag": b_lag,
        "beta_0": b_0,
        "beta_lead": b_lead,
        "rho": rho,
        "n": int(keep.sum()),
    }


def assert_fit(got: dict, want: dict, what: str) -> None:
    for key, value in want.items():
        if key == "n":
            assert got["n"] == value, f"{what} n"
            continue
        assert got[key] is not None, f"{what} {key} is null"
        tol = RTOL * max(abs(value), 1.0 if key.endswith("_t") or key == "alpha" else 0.0)
        tol = max(tol, 1e-15)
        assert abs(got[key] - value) <= tol, f"{what} {key}: {got[key]} vs {value}"


def thin_frame(seed: int, n: int, null_share: float = 0.05) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 0.01, n)
    e = rng.normal(0, 0.01, n)
    y = 0.0002 + 0.5 * x + 0.4 * shift(x, -1) + e
    y[0] = e[0]
    y[rng.random(n) < null_share] = np.nan
    x[rng.random(n) < null_share] = np.nan
    days = np.cumsum(rng.integers(1, 4, n))
    dates = [dt.date(2021, 1, 1) + dt.timedelta(days=int(d)) for d in days]
    return pl.DataFrame({"date": dates, "y": y, "x": x}).fill_nan(None)


def arrays(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return (
        frame["y"].cast(pl.Float64).to_numpy().astype(float),
        frame["x"].cast(pl.Float64).to_numpy().astype(float),
    )


def rows_before_lead(start: int, t: int, lead: int) -> np.ndarray:
    """The rows ``s`` of the window ``start..t`` whose lead ``s + lead`` is at most ``t``."""
    return np.arange(start, t - lead + 1) if t - lead >= start else np.arange(0)


# --------------------------------------------------------------------------------------------
# Dimson
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lags", "null_share", "least"), [(1, 0.05, 40), (2, 0.05, 35), (3, 0.0, None)]
)
def test_dimson_row_window(lags: int, null_share: float, least: int | None) -> None:
    """With nulls and a given min_periods, and without nulls and the default (window - lags)."""
    frame = thin_frame(lags, 220, null_share)
    y, x = arrays(frame)
    fits = frame.select(
        pa.rolling_dimson_beta("y", "x", lags=lags, window=60, min_periods=least).alias("d")
    ).unnest("d")
    needed = 60 - lags if least is None else least
    compared = 0
    for t in range(220):
        rows = rows_before_lead(max(0, t - 59), t, lags)
        want = dimson_oracle(y, x, rows, lags)
        got = fits.row(t, named=True)
        if want is None or want["n"] < needed:
            assert got["beta"] is None
            continue
        assert_fit(got, want, f"row {t}")
        compared += 1
    assert compared > 100


@pytest.mark.parametrize("window", [None, "90d"])
def test_dimson_expanding_and_date_windows(window: str | None) -> None:
    frame = thin_frame(7, 150)
    y, x = arrays(frame)
    fits = frame.select(
        pa.rolling_dimson_beta("y", "x", window=window, min_periods=10, order_by="date").alias("d")
    ).unnest("d")
    dates = frame["date"].to_numpy()
    compared = 0
    for t in range(150):
        start = 0 if window is None else int(np.argmax(dates > dates[t] - np.timedelta64(90, "D")))
        want = dimson_oracle(y, x, rows_before_lead(start, t, 1), 1)
        got = fits.row(t, named=True)
        if want is None or want["n"] < 10:
            assert got["beta"] is None
            continue
        assert_fit(got, want, f"row {t}")
        compared += 1
    assert compared > 100


def test_no_look_ahead() -> None:
    """Changing the market after row t changes nothing at or before t."""
    frame = thin_frame(3, 120)
    t = 80
    changed = frame.with_columns(
        x=pl.when(pl.int_range(pl.len()) > t).then(pl.col("x") * 5 + 0.01).otherwise("x")
    )
    for expr in (
        pa.rolling_dimson_beta("y", "x", lags=2, window=40, min_periods=20),
        pa.rolling_scholes_williams_beta("y", "x", window=None),
    ):
        a = frame.select(expr).head(t + 1)
        b = changed.select(expr).head(t + 1)
        assert_frame_equal(a, b)
        assert a.unnest("y")["beta"].drop_nulls().len() > 20


def test_dimson_whole_sample_per_group() -> None:
    frame = pl.concat([thin_frame(s, 100).with_columns(g=pl.lit(s)) for s in range(3)])
    fits = (
        frame.group_by("g", maintain_order=True)
        .agg(pa.dimson_beta("y", "x", lags=2).alias("d"))
        .unnest("d")
    )
    for row in fits.iter_rows(named=True):
        y, x = arrays(frame.filter(pl.col("g") == row["g"]))
        want = dimson_oracle(y, x, np.arange(len(y)), 2)
        assert want is not None
        assert_fit(row, want, f"group {row['g']}")


def test_dimson_by_equals_over_real_data() -> None:
    returns = load_sp500_sample().returns()
    panel = returns.filter(pl.col("ticker").is_in(["AAPL", "XOM", "MSFT"]))
    kwargs = {"lags": 1, "window": 252, "risk_free": "rf"}
    by = panel.select(pa.rolling_dimson_beta("ret", "market", by="ticker", **kwargs))  # type: ignore[arg-type]
    over = panel.select(pa.rolling_dimson_beta("ret", "market", **kwargs).over("ticker"))  # type: ignore[arg-type]
    assert_frame_equal(by, over)
    one = panel.filter(pl.col("ticker") == "XOM")
    fits = by.filter(panel["ticker"] == "XOM").unnest("ret")
    y = (one["ret"] - one["rf"]).to_numpy().astype(float)
    x = (one["market"] - one["rf"]).to_numpy().astype(float)
    compared = 0
    for t in range(260, one.height, 211):
        want = dimson_oracle(y, x, rows_before_lead(t - 251, t, 1), 1)
        got = fits.row(t, named=True)
        # After the last Treasury quote (2017-03-29) the excess returns are null.
        if want is None or want["n"] < 251:
            assert got["beta"] is None
            continue
        assert_fit(got, want, f"XOM row {t}")
        compared += 1
    assert compared > 10


# --------------------------------------------------------------------------------------------
# Scholes-Williams
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("window", [50, None, "70d"])
def test_scholes_williams_windows(window: int | str | None) -> None:
    frame = thin_frame(11, 160)
    y, x = arrays(frame)
    least = 20
    fits = frame.select(
        pa.rolling_scholes_williams_beta(
            "y", "x", window=window, min_periods=least, order_by="date"
        ).alias("s")
    ).unnest("s")
    dates = frame["date"].to_numpy()
    compared = 0
    for t in range(160):
        if window is None:
            start = 0
        elif isinstance(window, int):
            start = max(0, t - window + 1)
        else:
            start = int(np.argmax(dates > dates[t] - np.timedelta64(70, "D")))
        want = sw_oracle(y, x, rows_before_lead(start, t, 1))
        got = fits.row(t, named=True)
        if want is None or want["n"] < least:
            assert got["beta"] is None
            continue
        assert_fit(got, want, f"row {t}")
        compared += 1
    assert compared > 80


def test_scholes_williams_real_data_whole_sample() -> None:
    returns = load_sp500_sample().returns().filter(pl.col("ticker").is_in(["AAPL", "KO"]))
    fits = (
        returns.group_by("ticker", maintain_order=True)
        .agg(pa.scholes_williams_beta("ret", "market", risk_free="rf").alias("s"))
        .unnest("s")
    )
    for row in fits.iter_rows(named=True):
        one = returns.filter(pl.col("ticker") == row["ticker"])
        y = (one["ret"] - one["rf"]).to_numpy().astype(float)
        x = (one["market"] - one["rf"]).to_numpy().astype(float)
        want = sw_oracle(y, x, np.arange(len(y)))
        assert want is not None
        assert_fit(row, want, row["ticker"])
    by = returns.select(pa.rolling_scholes_williams_beta("ret", "market", by="ticker"))
    over = returns.select(pa.rolling_scholes_williams_beta("ret", "market").over("ticker"))
    assert_frame_equal(by, over)


# --------------------------------------------------------------------------------------------
# Bad input and properties
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: pa.rolling_dimson_beta("y", "x", lags=0), r"`lags` must be a whole number"),
        (lambda: pa.rolling_dimson_beta("y", "x", lags=1.5), r"`lags` must be a whole number"),  # type: ignore[arg-type]
        (lambda: pa.dimson_beta("y", "x", lags=-1), r"`lags` must be a whole number"),
        (lambda: pa.rolling_dimson_beta("y", "x", lags=3, window=10), r"too short"),
        (
            lambda: pa.rolling_dimson_beta("y", "x", window=30, min_periods=30),
            r"`min_periods` \(30\) must not exceed window - 1",
        ),
        (
            lambda: pa.rolling_scholes_williams_beta("y", "x", window=20, min_periods=20),
            r"`min_periods` \(20\) must not exceed",
        ),
    ],
)
def test_bad_input(call: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()  # type: ignore[operator]


def test_schema_lazy_equals_eager() -> None:
    frame = thin_frame(1, 80)
    for expr in (
        pa.rolling_dimson_beta("y", "x", window=30),
        pa.rolling_scholes_williams_beta("y", "x", window=30),
    ):
        eager = frame.select(expr)
        lazy = frame.lazy().select(expr)
        assert lazy.collect_schema() == eager.schema
        assert_frame_equal(lazy.collect(), eager)
    assert frame.select(pa.dimson_beta("y", "x")).schema["y"] == pl.Struct(
        {
            "alpha": pl.Float64,
            "beta": pl.Float64,
            "beta_se": pl.Float64,
            "beta_t": pl.Float64,
            "r2": pl.Float64,
            "resid_std": pl.Float64,
            "n": pl.UInt32,
        }
    )


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    lags=st.integers(1, 3),
    window=st.integers(15, 40),
    null_share=st.sampled_from([0.0, 0.1, 0.25]),
)
def test_property_dimson_matches_statsmodels(
    seed: int, lags: int, window: int, null_share: float
) -> None:
    frame = thin_frame(seed, 70, null_share)
    y, x = arrays(frame)
    least = 2 * lags + 3
    fits = frame.select(
        pa.rolling_dimson_beta("y", "x", lags=lags, window=window, min_periods=least).alias("d")
    ).unnest("d")
    for t in range(0, 70, 4):
        want = dimson_oracle(y, x, rows_before_lead(max(0, t - window + 1), t, lags), lags)
        got = fits.row(t, named=True)
        if want is None or want["n"] < least:
            assert got["beta"] is None
            continue
        # A window this short can be nearly collinear; the kernel then gives null.
        if got["beta"] is None:
            continue
        assert abs(got["beta"] - want["beta"]) <= 1e-7 * max(1.0, abs(want["beta"]))
        assert got["n"] == want["n"]
