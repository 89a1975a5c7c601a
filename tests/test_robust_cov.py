"""Robust standard errors (``cov_type="HC0" | "HC1" | "HAC"``) of every fit.

Oracle: statsmodels ``OLS(y, add_constant(X)).fit(cov_type=..., cov_kwds={"maxlags": L,
"use_correction": False})`` refitted on each window's usable rows (nulls dropped before the
lags are formed), compared to 1e-9 relative on the bundled real data and on random data
with nulls, over row, expanding and date windows, ``by=`` and ``.over``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

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
SE_FIELDS = ("alpha_se", "beta_se", "alpha_t", "beta_t")
SAME_FIELDS = ("alpha", "beta", "r2", "resid_std", "n")


def statsmodels_fit(
    y: np.ndarray, x: np.ndarray, cov_type: str, maxlags: int | None
) -> tuple[np.ndarray, np.ndarray] | None:
    """``(bse, tvalues)`` of statsmodels on the usable rows, or None without a fit."""
    x2 = x.reshape(len(y), -1)
    keep = np.isfinite(y) & np.isfinite(x2).all(axis=1)
    y, x2 = y[keep], x2[keep]
    k = x2.shape[1] + 1
    if len(y) <= k:
        return None
    kwds = {} if cov_type != "HAC" else {"maxlags": maxlags, "use_correction": False}
    res = sm.OLS(y, sm.add_constant(x2, has_constant="add")).fit(cov_type=cov_type, cov_kwds=kwds)
    return np.asarray(res.bse), np.asarray(res.tvalues)


def assert_close(got: float | None, want: float, what: str, *, t_value: bool = False) -> None:
    assert got is not None, f"{what}: null, expected {want}"
    # A t-value near zero is a ratio with a near-zero coefficient, so it is judged absolutely.
    tol = RTOL * (max(abs(want), 1.0) if t_value else abs(want))
    assert abs(got - want) <= tol, f"{what}: {got} vs {want} (rel {abs(got - want) / abs(want)})"


def check_rows(
    fits: pl.DataFrame,
    y: np.ndarray,
    x: np.ndarray,
    window_rows: Callable[[int], np.ndarray],
    cov_type: str,
    maxlags: int | None,
    rows: range | list[int],
    min_periods: int,
) -> int:
    """Compares the robust fields of ``fits`` (one row per input row) at ``rows``."""
    compared = 0
    for t in rows:
        idx = window_rows(t)
        fit = fits.row(t, named=True)
        usable = int((np.isfinite(y[idx]) & np.isfinite(x[idx].reshape(len(idx), -1)).all(1)).sum())
        if usable < min_periods:
            assert fit["alpha_se"] is None
            continue
        want = statsmodels_fit(y[idx], x[idx], cov_type, maxlags)
        assert want is not None
        bse, tv = want
        assert_close(fit["alpha_se"], bse[0], f"row {t} alpha_se")
        assert_close(fit["beta_se"], bse[1], f"row {t} beta_se")
        assert_close(fit["alpha_t"], tv[0], f"row {t} alpha_t", t_value=True)
        assert_close(fit["beta_t"], tv[1], f"row {t} beta_t", t_value=True)
        compared += 1
    return compared


def random_frame(seed: int, n: int, null_share: float = 0.08) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.01, n)
    vol = 0.01 * (1 + 40 * np.abs(x))
    e = rng.normal(0.0, 1.0, n) * vol
    e[1:] += 0.4 * e[:-1]  # autocorrelated residuals
    y = 0.0005 + 1.2 * x + e
    y[rng.random(n) < null_share] = np.nan
    x[rng.random(n) < null_share] = np.nan
    start = dt.date(2020, 1, 1)
    # Dates with gaps, so a date window holds a varying number of rows.
    days = np.cumsum(rng.integers(1, 4, n))
    dates = [start + dt.timedelta(days=int(d)) for d in days]
    return pl.DataFrame({"date": dates, "y": y, "x": x}).with_columns(
        pl.col("y", "x").fill_nan(None)
    )


def arrays(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return (
        frame["y"].cast(pl.Float64).to_numpy().astype(float),
        frame["x"].cast(pl.Float64).to_numpy().astype(float),
    )


def fit_frame(frame: pl.DataFrame, **kwargs: object) -> pl.DataFrame:
    return frame.select(pa.rolling_alpha_beta("y", "x", **kwargs).alias("f")).unnest("f")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Rolling CAPM: every window kind, every lag, random data with nulls
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("maxlags", range(11))
def test_row_window_every_lag(maxlags: int) -> None:
    frame = random_frame(maxlags, 260)
    y, x = arrays(frame)
    fits = fit_frame(frame, window=40, min_periods=20, cov_type="HAC", maxlags=maxlags)
    base = fit_frame(frame, window=40, min_periods=20)
    assert_frame_equal(fits.select(SAME_FIELDS), base.select(SAME_FIELDS))
    compared = check_rows(
        fits, y, x, lambda t: np.arange(max(0, t - 39), t + 1), "HAC", maxlags, range(260), 20
    )
    assert compared > 200


@pytest.mark.parametrize("cov_type", ["HC0", "HC1"])
def test_white_row_window(cov_type: str) -> None:
    frame = random_frame(11, 200)
    y, x = arrays(frame)
    fits = fit_frame(frame, window=30, min_periods=10, cov_type=cov_type)
    n = check_rows(
        fits, y, x, lambda t: np.arange(max(0, t - 29), t + 1), cov_type, None, range(200), 10
    )
    assert n > 180


@pytest.mark.parametrize(("cov_type", "maxlags"), [("HC1", None), ("HAC", 0), ("HAC", 7)])
def test_expanding_window(cov_type: str, maxlags: int | None) -> None:
    frame = random_frame(5, 200)
    y, x = arrays(frame)
    fits = fit_frame(frame, window=None, cov_type=cov_type, maxlags=maxlags)
    n = check_rows(fits, y, x, lambda t: np.arange(0, t + 1), cov_type, maxlags, range(200), 3)
    assert n > 190


@pytest.mark.parametrize(("cov_type", "maxlags"), [("HC0", None), ("HAC", 3), ("HAC", 10)])
def test_date_window(cov_type: str, maxlags: int | None) -> None:
    frame = random_frame(6, 220)
    y, x = arrays(frame)
    fits = fit_frame(
        frame, window="60d", min_periods=12, order_by="date", cov_type=cov_type, maxlags=maxlags
    )
    dates = frame["date"].to_numpy()

    def window_rows(t: int) -> np.ndarray:
        lower = dates[t] - np.timedelta64(60, "D")
        return np.nonzero((dates > lower) & (dates <= dates[t]))[0]

    assert check_rows(fits, y, x, window_rows, cov_type, maxlags, range(220), 12) > 180


def test_by_equals_over_and_lazy_equals_eager() -> None:
    frames = [random_frame(s, 150).with_columns(key=pl.lit(f"k{s}")) for s in range(4)]
    panel = pl.concat(frames)
    # Interleave the keys: a key's rows need not be contiguous.
    panel = panel.with_row_index("i").sort(pl.col("i") % 150, "key").drop("i")
    kwargs = {"window": 30, "min_periods": 15, "cov_type": "HAC", "maxlags": 4}
    by = panel.select(pa.rolling_alpha_beta("y", "x", by="key", **kwargs))  # type: ignore[arg-type]
    over = panel.select(pa.rolling_alpha_beta("y", "x", **kwargs).over("key"))  # type: ignore[arg-type]
    assert_frame_equal(by, over)
    lazy = panel.lazy().select(pa.rolling_alpha_beta("y", "x", by="key", **kwargs)).collect()  # type: ignore[arg-type]
    assert_frame_equal(by, lazy)
    # Each key alone, against statsmodels.
    key = panel.filter(pl.col("key") == "k2")
    fits = by.filter(panel["key"] == "k2").unnest("y")
    y, x = arrays(key)
    n = check_rows(
        fits, y, x, lambda t: np.arange(max(0, t - 29), t + 1), "HAC", 4, range(0, 150, 3), 15
    )
    assert n > 40


def test_schema_and_fields() -> None:
    frame = random_frame(1, 50)
    expr = pa.rolling_alpha_beta(
        "y", "x", window=20, cov_type="HAC", maxlags=2, fields=["beta", "beta_t"]
    )
    out = frame.select(expr)
    assert out.schema == frame.lazy().select(expr).collect_schema()
    assert out.schema["y"] == pl.Struct({"beta": pl.Float64, "beta_t": pl.Float64})
    full = fit_frame(frame, window=20, cov_type="HAC", maxlags=2)
    assert out.unnest("y")["beta_t"].to_list() == full["beta_t"].to_list()


# --------------------------------------------------------------------------------------------
# Real data
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real() -> pl.DataFrame:
    returns = load_sp500_sample().returns()
    return returns.filter(pl.col("ticker").is_in(["AAPL", "XOM"])).with_columns(
        y=pl.col("ret") - pl.col("rf"), x=pl.col("market") - pl.col("rf")
    )


@pytest.mark.parametrize(("cov_type", "maxlags"), [("HC0", None), ("HC1", None), ("HAC", 5)])
def test_real_data_by_ticker(real: pl.DataFrame, cov_type: str, maxlags: int | None) -> None:
    out = real.with_columns(
        pa.rolling_alpha_beta(
            "ret",
            "market",
            risk_free="rf",
            window=252,
            by="ticker",
            order_by="date",
            cov_type=cov_type,
            maxlags=maxlags,
        ).alias("f")
    )
    compared = 0
    for ticker in ["AAPL", "XOM"]:
        one = out.filter(pl.col("ticker") == ticker).sort("date")
        y, x = arrays(one)
        fits = one.select("f").unnest("f")
        rows = list(range(251, one.height, 97))
        compared += check_rows(
            fits, y, x, lambda t: np.arange(t - 251, t + 1), cov_type, maxlags, rows, 252
        )
    assert compared > 100


def test_real_data_whole_sample_per_ticker(real: pl.DataFrame) -> None:
    fits = (
        real.group_by("ticker", maintain_order=True)
        .agg(pa.alpha_beta("y", "x", cov_type="HAC", maxlags=10).alias("f"))
        .unnest("f")
    )
    for row in fits.iter_rows(named=True):
        one = real.filter(pl.col("ticker") == row["ticker"])
        y, x = arrays(one)
        want = statsmodels_fit(y, x, "HAC", 10)
        assert want is not None
        assert_close(row["alpha_se"], want[0][0], "alpha_se")
        assert_close(row["beta_se"], want[0][1], "beta_se")
        assert_close(row["alpha_t"], want[1][0], "alpha_t", t_value=True)
        assert_close(row["beta_t"], want[1][1], "beta_t", t_value=True)


# --------------------------------------------------------------------------------------------
# Multi-factor fits
# --------------------------------------------------------------------------------------------


def factor_frame(seed: int, n: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.normal(0, 0.01, (n, 3))
    e = rng.normal(0, 0.01, n) * (1 + 30 * np.abs(f[:, 0]))
    y = 0.001 + f @ np.array([1.0, 0.3, -0.4]) + e
    y[rng.random(n) < 0.05] = np.nan
    f[rng.random((n, 3)) < 0.03] = np.nan
    return pl.DataFrame({"y": y, "m": f[:, 0], "s": f[:, 1], "h": f[:, 2]}).fill_nan(None)


@pytest.mark.parametrize(("cov_type", "maxlags"), [("HC0", None), ("HC1", None), ("HAC", 6)])
def test_rolling_factor_regression(cov_type: str, maxlags: int | None) -> None:
    frame = factor_frame(3, 180)
    fits = frame.select(
        pa.rolling_factor_regression(
            "y", ["m", "s", "h"], window=50, min_periods=30, cov_type=cov_type, maxlags=maxlags
        ).alias("f")
    ).unnest("f")
    base = frame.select(
        pa.rolling_factor_regression("y", ["m", "s", "h"], window=50, min_periods=30).alias("f")
    ).unnest("f")
    same = ["alpha", "beta_m", "beta_s", "beta_h", "r2", "adj_r2", "resid_std", "n"]
    assert_frame_equal(fits.select(same), base.select(same))
    y = frame["y"].to_numpy().astype(float)
    x = frame.select("m", "s", "h").to_numpy().astype(float)
    compared = 0
    for t in range(180):
        idx = np.arange(max(0, t - 49), t + 1)
        row = fits.row(t, named=True)
        keep = np.isfinite(y[idx]) & np.isfinite(x[idx]).all(1)
        if keep.sum() < 30:
            assert row["alpha_se"] is None
            continue
        want = statsmodels_fit(y[idx], x[idx], cov_type, maxlags)
        assert want is not None
        bse, tv = want
        names = ["alpha", "beta_m", "beta_s", "beta_h"]
        for i, name in enumerate(names):
            assert_close(row[f"{name}_se"], bse[i], f"row {t} {name}_se")
            assert_close(row[f"{name}_t"], tv[i], f"row {t} {name}_t", t_value=True)
        compared += 1
    assert compared > 100


def test_factor_regression_whole_sample_and_over() -> None:
    frame = pl.concat(
        [factor_frame(s, 120).with_columns(g=pl.lit(s)) for s in range(3)], how="vertical"
    )
    fits = (
        frame.group_by("g", maintain_order=True)
        .agg(pa.factor_regression("y", ["m", "s", "h"], cov_type="HAC", maxlags=3).alias("f"))
        .unnest("f")
    )
    for row in fits.iter_rows(named=True):
        one = frame.filter(pl.col("g") == row["g"])
        want = statsmodels_fit(
            one["y"].to_numpy().astype(float),
            one.select("m", "s", "h").to_numpy().astype(float),
            "HAC",
            3,
        )
        assert want is not None
        for i, name in enumerate(["alpha", "beta_m", "beta_s", "beta_h"]):
            assert_close(row[f"{name}_se"], want[0][i], f"{name}_se")
    kwargs = {"window": 40, "min_periods": 20, "cov_type": "HC1"}
    by = frame.select(pa.rolling_factor_regression("y", ["m", "s", "h"], by="g", **kwargs))  # type: ignore[arg-type]
    over = frame.select(pa.rolling_factor_regression("y", ["m", "s", "h"], **kwargs).over("g"))  # type: ignore[arg-type]
    assert_frame_equal(by, over)


# --------------------------------------------------------------------------------------------
# Numerical stress
# --------------------------------------------------------------------------------------------


def test_level_of_1e6() -> None:
    """Returns at a level of 1e6 (exactly representable shifts): the slope's robust
    statistics of the shifted data equal statsmodels' on the data shifted back, and alpha's
    equal those of the data whose asset alone is shifted."""
    frame = random_frame(8, 200, null_share=0.05)
    _y, x = arrays(frame)
    shifted = frame.with_columns(y=pl.col("y") + 1e6, x=pl.col("x") + 1e6)
    ys, xs = arrays(shifted)
    fits = fit_frame(shifted, window=50, min_periods=30, cov_type="HAC", maxlags=5)
    compared = 0
    for t in range(49, 200, 2):
        idx = np.arange(t - 49, t + 1)
        want = statsmodels_fit(ys[idx] - 1e6, xs[idx] - 1e6, "HAC", 5)
        assert want is not None
        row = fits.row(t, named=True)
        assert_close(row["beta_se"], want[0][1], f"row {t} beta_se")
        assert_close(row["beta_t"], want[1][1], f"row {t} beta_t", t_value=True)
        compared += 1
    assert compared > 60
    only_y = frame.with_columns(y=pl.col("y") + 1e6)
    ys, _ = arrays(only_y)
    fits = fit_frame(only_y, window=50, min_periods=30, cov_type="HAC", maxlags=5)
    for t in range(49, 200, 5):
        idx = np.arange(t - 49, t + 1)
        want = statsmodels_fit(ys[idx] - 1e6, x[idx], "HAC", 5)
        assert want is not None
        assert_close(fits["alpha_se"][t], want[0][0], f"row {t} alpha_se")
        assert_close(fits["beta_se"][t], want[0][1], f"row {t} beta_se")


def test_outliers_entering_and_leaving() -> None:
    frame = random_frame(9, 300, null_share=0.03)
    y, x = arrays(frame)
    for t, scale in [(60, 40.0), (61, -25.0), (150, 80.0)]:
        x[t], y[t] = 0.01 * scale, -0.012 * scale
    y[220] = 3.0
    frame = frame.with_columns(y=pl.Series(y), x=pl.Series(x)).with_columns(
        pl.col("y", "x").fill_nan(None)
    )
    y, x = arrays(frame)
    for cov_type, maxlags in [("HC0", None), ("HAC", 5)]:
        fits = fit_frame(frame, window=40, min_periods=30, cov_type=cov_type, maxlags=maxlags)
        n = check_rows(
            fits, y, x, lambda t: np.arange(max(0, t - 39), t + 1), cov_type, maxlags,
            range(300), 30,
        )  # fmt: skip
        assert n > 250


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cov_type": "hac", "maxlags": 2}, r'"nonrobust", "HC0", "HC1", "HAC"'),
        ({"cov_type": "HC3"}, r"`cov_type` must be one of"),
        ({"cov_type": None}, r"`cov_type` must be one of"),
        ({"cov_type": "HAC"}, r"`maxlags` is required"),
        ({"cov_type": "HAC", "maxlags": -1}, r"`maxlags` must be a whole number"),
        ({"cov_type": "HAC", "maxlags": 2.5}, r"`maxlags` must be a whole number"),
        ({"cov_type": "HAC", "maxlags": True}, r"`maxlags` must be a whole number"),
        ({"cov_type": "HAC", "maxlags": "5"}, r"`maxlags` must be a whole number"),
        ({"cov_type": "HAC", "maxlags": 20}, r"`maxlags` \(20\) must be below the window"),
        ({"cov_type": "HC0", "maxlags": 2}, r"`maxlags` applies only"),
        ({"maxlags": 2}, r"`maxlags` applies only"),
    ],
)
def test_bad_input(kwargs: dict[str, object], match: str) -> None:
    for call in (
        lambda: pa.rolling_alpha_beta("y", "x", window=20, **kwargs),  # type: ignore[arg-type]
        lambda: pa.rolling_factor_regression("y", ["x"], window=20, **kwargs),  # type: ignore[arg-type]
    ):
        with pytest.raises(ValueError, match=match):
            call()
    if kwargs.get("maxlags") != 20:  # whole-sample fits have no window to exceed
        for call in (
            lambda: pa.alpha_beta("y", "x", **kwargs),  # type: ignore[arg-type]
            lambda: pa.factor_regression("y", ["x"], **kwargs),  # type: ignore[arg-type]
        ):
            with pytest.raises(ValueError, match=match):
                call()


def test_maxlags_above_a_window_of_fewer_usable_rows() -> None:
    """A lag past a window's usable rows pairs nothing, as in statsmodels."""
    frame = random_frame(12, 60, null_share=0.4)
    y, x = arrays(frame)
    fits = fit_frame(frame, window=20, min_periods=5, cov_type="HAC", maxlags=15)
    n = check_rows(fits, y, x, lambda t: np.arange(max(0, t - 19), t + 1), "HAC", 15, range(60), 5)
    assert n > 30


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    window=st.integers(8, 40),
    maxlags=st.integers(0, 7),
    null_share=st.sampled_from([0.0, 0.1, 0.3]),
)
def test_property_matches_statsmodels(
    seed: int, window: int, maxlags: int, null_share: float
) -> None:
    maxlags = min(maxlags, window - 1)
    frame = random_frame(seed, 80, null_share)
    y, x = arrays(frame)
    fits = fit_frame(frame, window=window, min_periods=4, cov_type="HAC", maxlags=maxlags)
    check_rows(
        fits, y, x, lambda t: np.arange(max(0, t - window + 1), t + 1), "HAC", maxlags,
        range(0, 80, 3), 4,
    )  # fmt: skip
    # HAC with no lags is HC0, and HC1 is HC0 scaled by n / (n - 2).
    hc0 = fit_frame(frame, window=window, min_periods=4, cov_type="HC0")
    hac0 = fit_frame(frame, window=window, min_periods=4, cov_type="HAC", maxlags=0)
    hc1 = fit_frame(frame, window=window, min_periods=4, cov_type="HC1")
    assert_frame_equal(hc0, hac0)
    n = hc0["n"].cast(pl.Float64).to_numpy()
    ratio = (hc1["beta_se"] / hc0["beta_se"]).to_numpy()
    ok = np.isfinite(ratio)
    assert (n[ok] > 2).all()
    np.testing.assert_allclose(ratio[ok], np.sqrt(n[ok] / (n[ok] - 2)), rtol=1e-12)


def test_lag_rule_is_not_applied() -> None:
    """maxlags is never chosen silently: the suggested rule is only in the docs."""
    n = 252
    assert math.floor(4 * (n / 100) ** (2 / 9)) == 4
    frame = random_frame(2, 100)
    with pytest.raises(ValueError, match="maxlags"):
        fit_frame(frame, window=50, cov_type="HAC")


# --------------------------------------------------------------------------------------------
# screen
# --------------------------------------------------------------------------------------------


def test_screen_passes_cov_type_to_alpha_t() -> None:
    sample = load_sp500_sample()
    kwargs = {"benchmark": sample.index, "risk_free": sample.risk_free}
    base = pa.screen(sample.stocks, **kwargs)  # type: ignore[arg-type]
    hac = pa.screen(sample.stocks, cov_type="HAC", maxlags=5, **kwargs)  # type: ignore[arg-type]
    same = ["date", "ticker", "alpha", "beta", "r2", "resid_std", "n", "weighted_alpha"]
    assert_frame_equal(base.sort("ticker").select(same), hac.sort("ticker").select(same))
    panel = pa.returns_panel(sample.stocks, **kwargs)  # type: ignore[arg-type]
    for row in hac.iter_rows(named=True):
        one = panel.filter((pl.col("ticker") == row["ticker"]) & (pl.col("date") <= row["date"]))
        last = one.tail(252)
        y = (last["ret"] - last["rf"]).to_numpy().astype(float)
        x = (last["benchmark"] - last["rf"]).to_numpy().astype(float)
        want = statsmodels_fit(y, x, "HAC", 5)
        assert want is not None
        assert_close(row["alpha_t"], want[1][0], f"{row['ticker']} alpha_t", t_value=True)
    with pytest.raises(ValueError, match="`cov_type` must be one of"):
        pa.screen(sample.stocks, cov_type="White", **kwargs)  # type: ignore[arg-type]


def test_huge_maxlags_without_a_window_bound() -> None:
    """An expanding window or a whole sample has no row count to bound maxlags; a lag past
    the rows pairs nothing, and with every Bartlett weight next to 1 the meat is the square of
    the scores' sum, which is zero: the standard errors collapse far below White's."""
    frame = random_frame(21, 80, null_share=0.0)
    huge = fit_frame(frame, window=None, min_periods=10, cov_type="HAC", maxlags=2**40)
    white = fit_frame(frame, window=None, min_periods=10, cov_type="HC0")
    ok = white["beta_se"].is_not_null()
    assert ok.sum() > 60
    assert (huge.filter(ok)["beta_se"] < 1e-3 * white.filter(ok)["beta_se"]).all()
    whole = frame.select(pa.alpha_beta("y", "x", cov_type="HAC", maxlags=2**40).alias("f"))
    assert whole.unnest("f")["beta_se"][0] < 1e-3 * white["beta_se"][-1]
