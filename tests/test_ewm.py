"""Tests of the exponentially weighted CAPM regression against statsmodels and numpy oracles.

Oracles:
- statsmodels ``WLS`` refitted on every window's usable rows with the weights
  ``2 ** ((s - t) / half_life)`` of the fit ending at row ``t`` (statsmodels ``RollingWLS``
  takes one fixed weight vector, so it cannot move the weights with the window), every field;
- statsmodels ``RollingWLS`` with the weights of the LAST row: slope and intercept are
  unchanged by a common factor on the weights, so every row's fit must match;
- weighted sums written out in numpy for the expanding fit and the property-based test.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
from conftest import SyntheticPanel
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal, assert_series_equal
from statsmodels.regression.rolling import RollingWLS
from test_regression import (
    FLOAT_FIELDS,
    STRUCT_DTYPE,
    Fit,
    assert_fits_match,
    excess_returns,
    long_and_short_tickers,
    null_fit,
    one_ticker,
    with_bad_values,
)

import polars_alpha as pa

RiskFree = float | str | pl.Expr | None

#: Tolerances of the oracle comparisons.
RTOL = 1e-9
ATOL = 1e-12


# --------------------------------------------------------------------------------------------
# Oracles and helpers
# --------------------------------------------------------------------------------------------


def ewm_weights(lo: int, t: int, half_life: float) -> np.ndarray:
    """Weights of rows ``lo .. t`` in the fit ending at row ``t``: ``2 ** ((s - t) / h)``."""
    return 2.0 ** ((np.arange(lo, t + 1) - t) / half_life)


def wls_window(
    y: np.ndarray, x: np.ndarray, w: np.ndarray, min_periods: int, *, zero_mean: bool = False
) -> Fit:
    """statsmodels WLS of y on [1, x] (on x alone with ``zero_mean``) over the usable rows,
    with the library's null rules applied on top."""
    ok = np.isfinite(y) & np.isfinite(x)
    y, x, w = y[ok], x[ok], w[ok]
    n = int(ok.sum())
    fit = null_fit(n)
    if n < max(min_periods, 2):
        return fit
    if zero_mean:
        if np.all(x == 0):
            return fit
        res = sm.WLS(y, x[:, None], weights=w, hasconst=False).fit()
        assert res.k_constant == 0
        fit["alpha"], fit["beta"] = 0.0, float(res.params[0])
        if np.any(y != 0):
            fit["r2"] = float(res.rsquared)  # uncentered for a model without constant
        fit["resid_std"] = math.sqrt(float(res.mse_resid))
        fit["beta_se"] = float(res.bse[0])
        if fit["beta_se"] > 0:
            fit["beta_t"] = float(res.tvalues[0])
        return fit
    if np.all(x == x[0]):
        return fit
    res = sm.WLS(y, sm.add_constant(x, has_constant="add"), weights=w).fit()
    assert int(res.nobs) == n
    fit["alpha"], fit["beta"] = (float(v) for v in res.params)
    if not np.all(y == y[0]):
        # statsmodels' WLS rsquared is the weighted centered R^2 = Sxy^2 / (Sxx Syy)
        fit["r2"] = float(res.rsquared)
    if n > 2:
        fit["resid_std"] = math.sqrt(float(res.mse_resid))
        alpha_se, beta_se = (float(v) for v in res.bse)
        fit["alpha_se"], fit["beta_se"] = alpha_se, beta_se
        if alpha_se > 0:
            fit["alpha_t"] = float(res.tvalues[0])
        if beta_se > 0:
            fit["beta_t"] = float(res.tvalues[1])
    return fit


def ewm_oracle(
    y: np.ndarray,
    x: np.ndarray,
    *,
    half_life: float,
    window: int | None,
    min_periods: int,
    zero_mean: bool = False,
    rows: Sequence[int] | None = None,
) -> list[Fit]:
    """``wls_window`` on the trailing window (all history with ``window=None``) ending at each
    of ``rows`` (default: all), weights by age in rows counting unusable rows too."""
    if rows is None:
        rows = range(len(y))
    out = []
    for t in rows:
        lo = 0 if window is None else max(0, t - window + 1)
        w = ewm_weights(lo, t, half_life)
        out.append(wls_window(y[lo : t + 1], x[lo : t + 1], w, min_periods, zero_mean=zero_mean))
    return out


def weighted_sums_fit(y: np.ndarray, x: np.ndarray, w: np.ndarray, min_periods: int) -> Fit:
    """The documented formulas, written out with weighted moments (no statsmodels)."""
    ok = np.isfinite(y) & np.isfinite(x)
    y, x, w = y[ok], x[ok], w[ok]
    n = int(ok.sum())
    fit = null_fit(n)
    if n < max(min_periods, 2) or np.all(x == x[0]):
        return fit
    total = w.sum()
    mx, my = (w * x).sum() / total, (w * y).sum() / total
    dx, dy = x - mx, y - my
    sxx, sxy, syy = (w * dx * dx).sum(), (w * dx * dy).sum(), (w * dy * dy).sum()
    beta = sxy / sxx
    alpha = my - beta * mx
    fit["alpha"], fit["beta"] = alpha, beta
    if syy > 0:
        fit["r2"] = sxy * sxy / (sxx * syy)
    if n > 2:
        e = y - alpha - beta * x
        s2 = (w * e * e).sum() / (n - 2)
        fit["resid_std"] = math.sqrt(s2)
        fit["beta_se"] = math.sqrt(s2 / sxx)
        fit["alpha_se"] = math.sqrt(s2 * (1 / total + mx * mx / sxx))
        if fit["beta_se"] > 0:
            fit["beta_t"] = beta / fit["beta_se"]
        if fit["alpha_se"] > 0:
            fit["alpha_t"] = alpha / fit["alpha_se"]
    return fit


def ewm_frame(
    frame: pl.DataFrame,
    *,
    half_life: float,
    window: int | None,
    min_periods: int | None = None,
    risk_free: RiskFree = None,
    by: str | None = None,
    zero_mean: bool = False,
    asset: str = "ret",
    market: str = "mkt",
) -> pl.DataFrame:
    """The frame with the EW struct result unnested next to it (fields alpha .. n)."""
    expr = pa.ewm_alpha_beta(
        asset,
        market,
        half_life=half_life,
        window=window,
        min_periods=min_periods,
        risk_free=risk_free,
        by=by,
        zero_mean=zero_mean,
    )
    return frame.with_columns(expr.alias("fit")).unnest("fit")


def fitted_count(expected: Sequence[Fit]) -> int:
    return sum(e["beta"] is not None for e in expected)


# --------------------------------------------------------------------------------------------
# Oracle: statsmodels WLS on every window, every field
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("window", "half_life", "min_periods", "corrupt"),
    [
        (60, 20.0, None, False),
        (60, 20.0, 30, True),
        (252, 63.0, 40, True),
        (5, 1.5, 3, True),
        (3, 0.7, 2, True),
        (30, 1e3, 10, False),
    ],
)
def test_every_field_matches_statsmodels_wls(
    synthetic_panel: SyntheticPanel,
    window: int,
    half_life: float,
    min_periods: int | None,
    corrupt: bool,
) -> None:
    frame = synthetic_panel.frame
    if corrupt:  # nulls, NaN and +/-inf in ret and mkt, nulls in rf
        frame = with_bad_values(frame, seed=200 + window, rf_nulls=True)
    mp = window if min_periods is None else min_periods
    out = ewm_frame(
        frame,
        half_life=half_life,
        window=window,
        min_periods=min_periods,
        risk_free="rf",
        by="ticker",
    )
    for ticker in synthetic_panel.alphas:
        sub = out.filter(pl.col("ticker") == ticker)
        y, x = excess_returns(sub, risk_free="rf")
        expected = ewm_oracle(y, x, half_life=half_life, window=window, min_periods=mp)
        assert fitted_count(expected) > sub.height // 3
        assert_fits_match(
            sub, expected, rtol=RTOL, atol=ATOL, context=f"{ticker} w={window} h={half_life}"
        )


def test_statsmodels_r2_is_the_documented_weighted_formula() -> None:
    # The oracle relies on WLS rsquared being Sxy^2 / (Sxx Syy) with weighted moments.
    rng = np.random.default_rng(1)
    x = rng.normal(0.0, 0.01, 50)
    y = 0.3 + 1.2 * x + rng.normal(0.0, 0.01, 50)
    w = ewm_weights(0, 49, 7.0)
    res = sm.WLS(y, sm.add_constant(x), weights=w).fit()
    by_hand = weighted_sums_fit(y, x, w, 2)
    for field, value in (
        ("r2", res.rsquared),
        ("beta", res.params[1]),
        ("alpha", res.params[0]),
        ("resid_std", math.sqrt(res.mse_resid)),
        ("beta_se", res.bse[1]),
        ("alpha_se", res.bse[0]),
    ):
        assert by_hand[field] == pytest.approx(float(value), rel=1e-12), field


def test_every_field_with_scalar_risk_free(synthetic_panel: SyntheticPanel) -> None:
    frame = with_bad_values(one_ticker(synthetic_panel, "CCC"), seed=7)
    out = ewm_frame(frame, half_life=10.0, window=40, min_periods=15, risk_free=2.5e-4)
    y, x = excess_returns(frame, risk_free=2.5e-4)
    expected = ewm_oracle(y, x, half_life=10.0, window=40, min_periods=15)
    assert_fits_match(out, expected, rtol=RTOL, atol=ATOL)


def test_default_window_and_half_life_are_barra_use4(real_panel: pl.DataFrame) -> None:
    sub = real_panel.filter(pl.col("ticker") == "JPM")
    out = sub.with_columns(pa.ewm_alpha_beta("ret", "mkt").alias("fit")).unnest("fit")
    explicit = ewm_frame(sub, half_life=63.0, window=252)
    assert_frame_equal(out, explicit, check_exact=True)
    y, x = excess_returns(sub)
    rows = list(range(240, sub.height, 7))
    expected = ewm_oracle(y, x, half_life=63.0, window=252, min_periods=252, rows=rows)
    # the first row has no return, so the first full window ends at row 252
    assert expected[0]["beta"] is None
    assert fitted_count(expected) == len(rows) - 2
    assert_fits_match(out[rows], expected, rtol=RTOL, atol=ATOL)


def test_real_data_rf_column_matches_statsmodels(real_panel: pl.DataFrame) -> None:
    # rf has join nulls (holidays, and none after 2017-03-29): those rows drop out but age.
    out = ewm_frame(
        real_panel, half_life=21.0, window=126, min_periods=60, risk_free="rf", by="ticker"
    )
    for ticker in real_panel.get_column("ticker").unique(maintain_order=True):
        sub = out.filter(pl.col("ticker") == ticker)
        y, x = excess_returns(sub, risk_free="rf")
        rows = list(range(0, sub.height, 2))
        expected = ewm_oracle(y, x, half_life=21.0, window=126, min_periods=60, rows=rows)
        assert fitted_count(expected) > 200
        assert_fits_match(sub[rows], expected, rtol=RTOL, atol=ATOL, context=f"real {ticker}")


# --------------------------------------------------------------------------------------------
# Oracle: statsmodels RollingWLS with the last row's weights (the design's claim)
# --------------------------------------------------------------------------------------------


# statsmodels divides by nobs - 2 = 0 for its (unused) variance of two-row windows
@pytest.mark.filterwarnings("ignore::RuntimeWarning:statsmodels")
@pytest.mark.parametrize(
    ("window", "half_life", "min_periods", "corrupt"),
    [(60, 20.0, None, False), (40, 10.0, 20, True), (5, 2.0, 3, True)],
)
def test_rolling_wls_with_last_row_weights_gives_the_same_betas(
    synthetic_panel: SyntheticPanel,
    window: int,
    half_life: float,
    min_periods: int | None,
    corrupt: bool,
) -> None:
    frame = one_ticker(synthetic_panel, "BBB")
    if corrupt:  # RollingWLS detects only NaN, not inf
        frame = with_bad_values(frame, seed=window, rate=0.08, include_inf=False)
    mp = window if min_periods is None else min_periods
    out = ewm_frame(frame, half_life=half_life, window=window, min_periods=min_periods)
    y, x = excess_returns(frame)
    last = frame.height - 1
    res = RollingWLS(
        y,
        sm.add_constant(x, has_constant="add"),
        window=window,
        weights=ewm_weights(0, last, half_life),
        min_nobs=mp,
        missing="drop",
        expanding=True,
    ).fit(method="lstsq")
    params = np.asarray(res.params)
    fitted = ~np.isnan(params[:, 1])
    assert fitted.sum() > 0.5 * frame.height
    assert fitted[last]

    beta = out.get_column("beta")
    alpha = out.get_column("alpha")
    # at the last row the weights are exactly ours: every field statsmodels stores matches
    assert beta[last] == pytest.approx(params[last, 1], rel=RTOL, abs=1e-10)
    assert alpha[last] == pytest.approx(params[last, 0], rel=RTOL, abs=1e-10)
    assert out.get_column("resid_std")[last] == pytest.approx(
        math.sqrt(float(np.asarray(res.mse_resid)[last])), rel=RTOL
    )
    bse = np.asarray(res.bse)[last]
    assert out.get_column("alpha_se")[last] == pytest.approx(bse[0], rel=RTOL)
    assert out.get_column("beta_se")[last] == pytest.approx(bse[1], rel=RTOL)
    assert out.get_column("r2")[last] == pytest.approx(float(res.rsquared[last]), rel=RTOL)
    # earlier rows: the weights differ from ours by one factor per window, which the slope
    # and intercept do not see
    np.testing.assert_array_equal(beta.is_not_null().to_numpy(), fitted)
    np.testing.assert_allclose(beta.to_numpy()[fitted], params[fitted, 1], rtol=RTOL, atol=1e-10)
    np.testing.assert_allclose(alpha.to_numpy()[fitted], params[fitted, 0], rtol=RTOL, atol=1e-10)
    np.testing.assert_array_equal(
        out.get_column("n").to_numpy()[fitted], np.asarray(res.nobs)[fitted]
    )


# --------------------------------------------------------------------------------------------
# Expanding fit (window=None)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("half_life", "min_periods"), [(11.2, None), (3.0, 5), (200.0, 30)])
def test_expanding_matches_brute_force_weighted_sums(
    real_panel: pl.DataFrame, half_life: float, min_periods: int | None
) -> None:
    sub = real_panel.filter(pl.col("ticker") == "AAPL")
    out = ewm_frame(sub, half_life=half_life, window=None, min_periods=min_periods, risk_free="rf")
    y, x = excess_returns(sub, risk_free="rf")
    mp = 2 if min_periods is None else min_periods
    expected = [
        weighted_sums_fit(y[: t + 1], x[: t + 1], ewm_weights(0, t, half_life), mp)
        for t in range(sub.height)
    ]
    assert fitted_count(expected) > sub.height - 40
    # n counts every usable row so far, however little it weighs
    n = out.get_column("n").to_numpy()
    ok = np.isfinite(y) & np.isfinite(x)
    np.testing.assert_array_equal(n, np.cumsum(ok))
    assert_fits_match(out, expected, rtol=RTOL, atol=ATOL, context=f"expanding h={half_life}")


def test_expanding_matches_statsmodels_wls_with_gaps(synthetic_panel: SyntheticPanel) -> None:
    frame = with_bad_values(synthetic_panel.frame, seed=31, rf_nulls=True)
    out = ewm_frame(frame, half_life=15.0, window=None, min_periods=4, risk_free="rf", by="ticker")
    for ticker in ("AAA", "DDD"):
        sub = out.filter(pl.col("ticker") == ticker)
        y, x = excess_returns(sub, risk_free="rf")
        expected = ewm_oracle(y, x, half_life=15.0, window=None, min_periods=4)
        assert_fits_match(sub, expected, rtol=RTOL, atol=ATOL, context=ticker)


def test_expanding_equals_a_window_longer_than_the_series(
    synthetic_panel: SyntheticPanel,
) -> None:
    frame = with_bad_values(one_ticker(synthetic_panel), seed=3)
    expanding = ewm_frame(frame, half_life=9.0, window=None, min_periods=2)
    long = ewm_frame(frame, half_life=9.0, window=frame.height + 5, min_periods=2)
    for field in (*FLOAT_FIELDS, "n"):
        assert_series_equal(
            expanding.get_column(field), long.get_column(field), rel_tol=1e-11, abs_tol=1e-15
        )


def test_missing_newest_row_only_shrinks_resid_std() -> None:
    # resid_std is the residual spread of a row of weight 1, i.e. of age 0 at the current row:
    # while the newest row is missing every other field stays, and resid_std shrinks by
    # sqrt(0.5 ** (gap / half_life)).
    rng = np.random.default_rng(12)
    x = rng.normal(0.0, 0.01, 40).tolist()
    y = (0.001 + 0.8 * np.asarray(x) + rng.normal(0.0, 0.005, 40)).tolist()
    y[30] = None
    x[31] = math.nan
    half_life = 6.0
    df = pl.DataFrame({"y": y, "x": x}, schema={"y": pl.Float64, "x": pl.Float64})
    out = ewm_frame(df, half_life=half_life, window=None, asset="y", market="x")
    before = out.row(29, named=True)
    for gap, row in ((1, out.row(30, named=True)), (2, out.row(31, named=True))):
        assert row["n"] == before["n"]
        for field in (f for f in FLOAT_FIELDS if f != "resid_std"):
            assert row[field] == pytest.approx(before[field], rel=1e-12), field
        assert row["resid_std"] == pytest.approx(
            before["resid_std"] * math.sqrt(0.5 ** (gap / half_life)), rel=1e-12
        )


def test_very_long_half_life_approaches_rolling_ols(synthetic_panel: SyntheticPanel) -> None:
    frame = with_bad_values(synthetic_panel.frame, seed=9)
    kw: dict[str, Any] = {"window": 30, "min_periods": 10, "risk_free": "rf", "by": "ticker"}
    ewm = frame.select(pa.ewm_alpha_beta("ret", "mkt", half_life=1e12, **kw)).unnest("ret")
    ols = frame.select(pa.rolling_alpha_beta("ret", "mkt", **kw)).unnest("ret")
    for field in (*FLOAT_FIELDS, "n"):
        assert_series_equal(
            ewm.get_column(field), ols.get_column(field), rel_tol=1e-8, abs_tol=1e-13
        )


# --------------------------------------------------------------------------------------------
# zero_mean: the line through the origin
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("window", "half_life", "min_periods", "corrupt"),
    [(40, 10.0, None, False), (40, 10.0, 2, True), (None, 11.2, 3, True), (4, 2.0, 2, True)],
)
def test_zero_mean_matches_wls_without_constant(
    synthetic_panel: SyntheticPanel,
    window: int | None,
    half_life: float,
    min_periods: int | None,
    corrupt: bool,
) -> None:
    frame = synthetic_panel.frame
    if corrupt:
        frame = with_bad_values(frame, seed=77, rf_nulls=True)
    mp = (2 if window is None else window) if min_periods is None else min_periods
    out = ewm_frame(
        frame,
        half_life=half_life,
        window=window,
        min_periods=min_periods,
        risk_free="rf",
        by="ticker",
        zero_mean=True,
    )
    for ticker in ("AAA", "CCC"):
        sub = out.filter(pl.col("ticker") == ticker)
        y, x = excess_returns(sub, risk_free="rf")
        expected = ewm_oracle(
            y, x, half_life=half_life, window=window, min_periods=mp, zero_mean=True
        )
        assert fitted_count(expected) > sub.height // 2
        assert_fits_match(sub, expected, rtol=RTOL, atol=ATOL, context=f"zero_mean {ticker}")
        fitted = sub.filter(pl.col("beta").is_not_null())
        assert (fitted.get_column("alpha") == 0.0).all()
        assert sub.get_column("alpha_se").null_count() == sub.height
        assert sub.get_column("alpha_t").null_count() == sub.height


def test_zero_mean_two_rows_have_one_degree_of_freedom() -> None:
    # Through the origin, two rows leave one residual degree of freedom: se is defined.
    df = pl.DataFrame({"y": [1.0, 3.0], "x": [1.0, 2.0]})
    out = ewm_frame(df, half_life=1.0, window=2, asset="y", market="x", zero_mean=True)
    row = out.row(1, named=True)
    w = np.array([0.5, 1.0])
    res = sm.WLS(np.array([1.0, 3.0]), np.array([[1.0], [2.0]]), weights=w, hasconst=False).fit()
    assert row["n"] == 2
    assert row["alpha"] == 0.0
    assert row["beta"] == pytest.approx(float(res.params[0]), rel=1e-14)
    assert row["r2"] == pytest.approx(float(res.rsquared), rel=1e-14)
    assert row["resid_std"] == pytest.approx(math.sqrt(float(res.mse_resid)), rel=1e-13)
    assert row["beta_se"] == pytest.approx(float(res.bse[0]), rel=1e-13)
    assert row["alpha_se"] is None
    assert row["alpha_t"] is None


# --------------------------------------------------------------------------------------------
# RiskMetrics preset
# --------------------------------------------------------------------------------------------


def test_riskmetrics_half_life_constant() -> None:
    half_life = pa.RISKMETRICS_HALF_LIFE
    assert half_life == pytest.approx(math.log(0.5) / math.log(0.94), rel=1e-15)
    assert 0.5 ** (1 / half_life) == pytest.approx(0.94, rel=1e-14)


@pytest.mark.parametrize("zero_mean", [False, True])
@pytest.mark.parametrize("decay", [0.94, 0.97, 0.5])
def test_riskmetrics_equals_ewm_preset(
    synthetic_panel: SyntheticPanel, zero_mean: bool, decay: float
) -> None:
    frame = with_bad_values(synthetic_panel.frame, seed=13, rf_nulls=True)
    kw: dict[str, Any] = {"risk_free": "rf", "by": "ticker", "zero_mean": zero_mean}
    out = frame.select(
        rm=pa.riskmetrics_alpha_beta("ret", "mkt", decay=decay, min_periods=3, **kw),
        ewm=pa.ewm_alpha_beta(
            "ret",
            "mkt",
            half_life=math.log(0.5) / math.log(decay),
            window=None,
            min_periods=3,
            **kw,
        ),
    )
    assert out.get_column("rm").struct.field("beta").null_count() < out.height // 4
    assert_series_equal(
        out.get_column("rm"), out.get_column("ewm"), check_exact=True, check_names=False
    )


def test_riskmetrics_weights_are_decay_to_the_age(synthetic_panel: SyntheticPanel) -> None:
    frame = with_bad_values(one_ticker(synthetic_panel, "DDD"), seed=17)
    out = frame.select(pa.riskmetrics_alpha_beta("ret", "mkt").alias("fit")).unnest("fit")
    y, x = excess_returns(frame)
    rows = list(range(0, frame.height, 5))
    expected = [wls_window(y[: t + 1], x[: t + 1], 0.94 ** (t - np.arange(t + 1)), 2) for t in rows]
    assert_fits_match(out[rows], expected, rtol=1e-8, atol=1e-12)


def test_riskmetrics_defaults(synthetic_panel: SyntheticPanel) -> None:
    frame = one_ticker(synthetic_panel)
    out = frame.select(
        rm=pa.riskmetrics_alpha_beta("ret", "mkt"),
        ewm=pa.ewm_alpha_beta(
            "ret", "mkt", half_life=pa.RISKMETRICS_HALF_LIFE, window=None, min_periods=2
        ),
    )
    assert_series_equal(
        out.get_column("rm"), out.get_column("ewm"), check_exact=True, check_names=False
    )
    # min_periods defaults to 2: the second row is fitted
    assert out.get_column("rm").struct.field("beta").is_null().to_list()[:3] == [
        True,
        False,
        False,
    ]


# --------------------------------------------------------------------------------------------
# Numerics
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("magnitude", [1e4, 1e6])
def test_outliers_that_left_the_window_leave_no_trace(magnitude: float) -> None:
    rng = np.random.default_rng(5)
    n, window, half_life = 300, 30, 8.0
    x = rng.normal(0.0, 0.02, n)
    y = 0.9 * x + rng.normal(0.0, 0.01, n)
    x[40] = magnitude
    y[41] = -magnitude
    x[150], y[150] = -magnitude, magnitude
    df = pl.DataFrame({"y": y, "x": x})
    out = ewm_frame(df, half_life=half_life, window=window, asset="y", market="x")
    clean = [t for t in range(n) if t - window + 1 > 41 and not (t - window < 150 <= t)]
    expected = ewm_oracle(y, x, half_life=half_life, window=window, min_periods=window, rows=clean)
    assert_fits_match(out[clean], expected, rtol=RTOL, atol=ATOL, context="after outlier")
    # and equal to a fresh fit of the library on the window's rows alone
    for t in clean[::7]:
        fresh = ewm_frame(
            df[t - window + 1 : t + 1], half_life=half_life, window=window, asset="y", market="x"
        )
        assert_fits_match(
            out[t : t + 1],
            [{k: fresh.row(window - 1, named=True)[k] for k in (*FLOAT_FIELDS, "n")}],
            rtol=1e-9,
            atol=0.0,
            context=f"fresh fit at {t}",
        )


def test_outlier_in_expanding_fit_fades_out() -> None:
    # An expanding fit never subtracts: a 1e4 outlier fades with its weight. Long after, the
    # fit equals the oracle on all rows, which the outlier no longer moves visibly.
    rng = np.random.default_rng(6)
    n, half_life = 400, 4.0
    x = rng.normal(0.0, 0.02, n)
    y = 0.9 * x + rng.normal(0.0, 0.01, n)
    x[20], y[20] = 1e4, -1e4
    df = pl.DataFrame({"y": y, "x": x})
    out = ewm_frame(df, half_life=half_life, window=None, asset="y", market="x")
    rows = list(range(200, n, 9))
    expected = ewm_oracle(y, x, half_life=half_life, window=None, min_periods=2, rows=rows)
    assert_fits_match(out[rows], expected, rtol=1e-8, atol=ATOL, context="expanding outlier")


def test_rounding_drift_does_not_accumulate() -> None:
    rng = np.random.default_rng(21)
    n, window, half_life = 20_000, 50, 12.0
    x = 0.05 + rng.normal(0.0, 0.02, n)
    y = 0.02 + 1.1 * x + rng.normal(0.0, 0.01, n)
    out = ewm_frame(
        pl.DataFrame({"y": y, "x": x}), half_life=half_life, window=window, asset="y", market="x"
    )
    rows = list(range(n - 200, n, 13))
    expected = ewm_oracle(y, x, half_life=half_life, window=window, min_periods=window, rows=rows)
    assert_fits_match(out[rows], expected, rtol=RTOL, atol=ATOL)


# Property-based: random series with gaps against the written-out formulas
# --------------------------------------------------------------------------------------------

#: Dyadic grid: differences of grid values are exact, so "constant market" is exact equality.
GRID = 2.0**-14
CELL_KINDS = ["ok"] * 10 + ["null", "nan", "inf"]


def _cells(draw: st.DrawFn, n: int) -> list[float | None]:
    values = draw(st.lists(st.integers(-800, 800), min_size=n, max_size=n))
    kinds = draw(st.lists(st.sampled_from(CELL_KINDS), min_size=n, max_size=n))
    special: dict[str, float | None] = {"null": None, "nan": math.nan, "inf": math.inf}
    return [v * GRID if k == "ok" else special[k] for v, k in zip(values, kinds, strict=True)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    n=st.integers(0, 60),
    window=st.none() | st.integers(2, 25),
    half_life=st.sampled_from([0.3, 1.0, 2.5, 10.0, 1e3]),
    two_keys=st.booleans(),
)
def test_random_series_match_weighted_sums(
    data: st.DataObject, n: int, window: int | None, half_life: float, two_keys: bool
) -> None:
    upper = 25 if window is None else window
    min_periods = data.draw(st.none() | st.integers(2, upper))
    y = np.array([math.nan if v is None else v for v in _cells(data.draw, n)], dtype=np.float64)
    x = np.array([math.nan if v is None else v for v in _cells(data.draw, n)], dtype=np.float64)
    keys = data.draw(st.lists(st.sampled_from(["a", "b"]), min_size=n, max_size=n))
    if not two_keys:
        keys = ["a"] * n
    df = pl.DataFrame({"y": y, "x": x, "k": keys}, schema_overrides={"k": pl.String})
    out = ewm_frame(
        df,
        half_life=half_life,
        window=window,
        min_periods=min_periods,
        by="k",
        asset="y",
        market="x",
    )
    mp = (2 if window is None else window) if min_periods is None else min_periods
    expected: list[Fit] = [null_fit(0)] * n
    for key in ("a", "b"):
        rows = np.array([i for i, k in enumerate(keys) if k == key], dtype=np.int64)
        for j, row in enumerate(rows):
            lo = 0 if window is None else max(0, j - window + 1)
            expected[row] = weighted_sums_fit(
                y[rows[lo : j + 1]], x[rows[lo : j + 1]], ewm_weights(lo, j, half_life), mp
            )
    # only slope, intercept and n: the dyadic grid makes perfect fits and constant y common,
    # where the other fields are rounding-level quantities
    assert_fits_match(out, expected, rtol=1e-8, atol=1e-10, fields=("alpha", "beta"))


# --------------------------------------------------------------------------------------------
# Contracts: .over, lazy, schema
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("window", [20, None])
@pytest.mark.parametrize("zero_mean", [False, True])
@pytest.mark.parametrize("order", ["sorted", "by_date", "shuffled"])
def test_over_equals_by(
    synthetic_panel: SyntheticPanel, window: int | None, zero_mean: bool, order: str
) -> None:
    df = with_bad_values(synthetic_panel.frame, seed=4, rf_nulls=True)
    if order == "by_date":  # tickers interleaved, each in time order
        df = df.sort("date", "ticker")
    elif order == "shuffled":  # interleaved and out of time order
        df = df.sample(fraction=1.0, shuffle=True, seed=1)
    kw: dict[str, Any] = {
        "half_life": 7.0,
        "window": window,
        "min_periods": 8,
        "risk_free": "rf",
        "zero_mean": zero_mean,
    }
    out = df.select(
        by=pa.ewm_alpha_beta("ret", "mkt", by="ticker", **kw),
        over=pa.ewm_alpha_beta("ret", "mkt", **kw).over("ticker"),
    )
    assert out.get_column("by").struct.field("beta").null_count() < out.height // 2
    assert_series_equal(
        out.get_column("by"), out.get_column("over"), check_exact=True, check_names=False
    )


def test_riskmetrics_over_equals_by(synthetic_panel: SyntheticPanel) -> None:
    df = with_bad_values(synthetic_panel.frame, seed=8).sort("date", "ticker")
    out = df.select(
        by=pa.riskmetrics_alpha_beta("ret", "mkt", by="ticker"),
        over=pa.riskmetrics_alpha_beta("ret", "mkt").over("ticker"),
    )
    assert_series_equal(
        out.get_column("by"), out.get_column("over"), check_exact=True, check_names=False
    )


@pytest.mark.parametrize("window", [20, None])
@pytest.mark.parametrize("engine", ["in-memory", "streaming"])
def test_lazy_equals_eager(
    synthetic_panel: SyntheticPanel, window: int | None, engine: str
) -> None:
    df = with_bad_values(synthetic_panel.frame, seed=3, rf_nulls=True)
    expr = pa.ewm_alpha_beta(
        "ret", "mkt", half_life=5.0, window=window, min_periods=10, risk_free="rf", by="ticker"
    ).alias("out")
    eager = df.with_columns(expr)
    lazy = df.lazy().with_columns(expr).collect(engine=engine)  # type: ignore[call-overload]
    assert_frame_equal(lazy, eager, check_exact=True)


def test_filters_after_the_fit_are_not_pushed_into_it(synthetic_panel: SyntheticPanel) -> None:
    df = synthetic_panel.frame
    expr = pa.ewm_alpha_beta("ret", "mkt", half_life=5.0, window=20, by="ticker").alias("fit")
    full = df.with_columns(expr)
    lazy = df.lazy().with_columns(expr)
    assert_frame_equal(
        lazy.filter(pl.col("ticker") == "BBB").collect(),
        full.filter(pl.col("ticker") == "BBB"),
        check_exact=True,
    )
    assert_frame_equal(lazy.tail(50).collect(), full.tail(50), check_exact=True)


@pytest.mark.parametrize("fn", ["ewm", "riskmetrics"])
@pytest.mark.parametrize("by", [None, "ticker"])
def test_collect_schema_matches_result(
    synthetic_panel: SyntheticPanel, fn: str, by: str | None
) -> None:
    expr = (
        pa.ewm_alpha_beta("ret", "mkt", half_life=4.0, window=10, risk_free="rf", by=by)
        if fn == "ewm"
        else pa.riskmetrics_alpha_beta("ret", "mkt", risk_free="rf", by=by)
    )
    lf = synthetic_panel.frame.lazy().with_columns(expr.alias("out"))
    schema = lf.collect_schema()
    assert schema == lf.collect().schema
    assert schema["out"] == STRUCT_DTYPE


def test_empty_frame_gives_empty_output_with_schema() -> None:
    df = pl.DataFrame(schema={"ret": pl.Float64, "mkt": pl.Float64})
    out = df.select(pa.ewm_alpha_beta("ret", "mkt", half_life=3.0, window=5).alias("fit"))
    assert out.height == 0
    assert out.schema["fit"] == STRUCT_DTYPE


def test_string_asset_is_rejected_naming_the_argument(synthetic_panel: SyntheticPanel) -> None:
    lf = synthetic_panel.frame.lazy().with_columns(pl.col("ret").cast(pl.String))
    expr = pa.ewm_alpha_beta("ret", "mkt", half_life=3.0, window=5)
    with pytest.raises(pl.exceptions.ComputeError, match="`asset` must be numeric"):
        lf.select(expr).collect()


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("half_life", [0.0, -1.0, -math.inf, math.nan, math.inf, 0])
def test_bad_half_life_is_a_value_error(half_life: float) -> None:
    # inf (no decay) is valid for weighted_alpha, not for a regression: use rolling_alpha_beta
    with pytest.raises(ValueError, match="`half_life` must be a positive"):
        pa.ewm_alpha_beta("ret", "mkt", half_life=half_life)


@pytest.mark.parametrize("half_life", ["63", True, None])
def test_non_number_half_life_is_a_type_error(half_life: object) -> None:
    with pytest.raises(TypeError, match="`half_life` must be a positive number"):
        pa.ewm_alpha_beta("ret", "mkt", half_life=half_life)  # type: ignore[arg-type]


@pytest.mark.parametrize("window", [1, 0, -3])
def test_window_below_two_is_a_value_error(window: int) -> None:
    with pytest.raises(ValueError, match="`window` must be at least 2"):
        pa.ewm_alpha_beta("ret", "mkt", half_life=10.0, window=window)


@pytest.mark.parametrize("window", [2.5, True, "20"])
def test_non_integer_window_is_a_type_error(window: object) -> None:
    with pytest.raises(TypeError, match="`window` must be an integer"):
        pa.ewm_alpha_beta("ret", "mkt", window=window)  # type: ignore[arg-type]


def test_min_periods_rules() -> None:
    with pytest.raises(ValueError, match=r"`min_periods` \(11\) must not exceed `window` \(10\)"):
        pa.ewm_alpha_beta("ret", "mkt", window=10, min_periods=11)
    with pytest.raises(ValueError, match="`min_periods` must be at least 2"):
        pa.ewm_alpha_beta("ret", "mkt", window=None, min_periods=1)
    with pytest.raises(ValueError, match="`min_periods` must be at least 2"):
        pa.riskmetrics_alpha_beta("ret", "mkt", min_periods=0)


@pytest.mark.parametrize("decay", [0.0, 1.0, 1.5, -0.2, math.nan, math.inf])
def test_decay_outside_zero_one_is_a_value_error(decay: float) -> None:
    with pytest.raises(ValueError, match=r"`decay` must be.*strictly between 0 and 1"):
        pa.riskmetrics_alpha_beta("ret", "mkt", decay=decay)


@pytest.mark.parametrize("decay", ["0.94", True, None])
def test_non_number_decay_is_rejected(decay: object) -> None:
    with pytest.raises((TypeError, ValueError), match="`decay`"):
        pa.riskmetrics_alpha_beta("ret", "mkt", decay=decay)  # type: ignore[arg-type]


@pytest.mark.parametrize("zero_mean", [1, 0, "yes", None])
def test_non_bool_zero_mean_is_a_type_error(zero_mean: object) -> None:
    with pytest.raises(TypeError, match="`zero_mean` must be True or False"):
        pa.ewm_alpha_beta("ret", "mkt", zero_mean=zero_mean)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`zero_mean` must be True or False"):
        pa.riskmetrics_alpha_beta("ret", "mkt", zero_mean=zero_mean)  # type: ignore[arg-type]


def test_a_segment_longer_than_the_scratch_matches_statsmodels_wls() -> None:
    frame = long_and_short_tickers()
    got = frame.with_columns(
        pa.ewm_alpha_beta("ret", "mkt", half_life=20.0, window=100, by="ticker").alias("fit")
    ).unnest("fit")
    for ticker, part in got.partition_by("ticker", maintain_order=True, as_dict=True).items():
        y = part.get_column("ret").to_numpy().astype(np.float64)
        x = part.get_column("mkt").to_numpy()
        rows = sorted({*range(0, len(y), 131), *range(len(y) - 200, len(y))})
        rows = [t for t in rows if 0 <= t < len(y)]
        expected = ewm_oracle(y, x, half_life=20.0, window=100, min_periods=100, rows=rows)
        assert_fits_match(part[rows], expected, context=f"{ticker[0]}")


def many_tickers_of_one_length(rows: int = 500, seed: int = 11) -> pl.DataFrame:
    """44 tickers of ``rows`` rows each, enough rows for the parallel path, which fits two
    tickers of one length side by side: most complete, some with a missing first row (as
    returns from prices have), one with a gap, one with a different missing start, one with a
    market constant for a while, and two shorter ones at the end."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(44):
        length = rows if i < 42 else rows - 7
        mkt = rng.normal(0.0003, 0.01, length)
        ret = 0.0002 * i + (0.5 + i / 40) * mkt + rng.normal(0.0, 0.015, length)
        if i % 4 in (2, 3):
            ret[0] = np.nan
        if i == 8:
            ret[rows // 2] = np.nan
        if i == 13:
            mkt[:3] = np.nan
        if i == 20:
            mkt[:50] = 0.004
        frames.append(pl.DataFrame({"ticker": f"T{i:02d}", "ret": ret, "mkt": mkt}))
    return pl.concat(frames).with_columns(pl.col("ret", "mkt").fill_nan(None))


@pytest.mark.parametrize("fields", [["alpha", "beta"], ["beta"], ["alpha", "n"], None])
def test_expanding_fits_of_many_tickers_match_statsmodels_wls(fields: list[str] | None) -> None:
    frame = many_tickers_of_one_length()
    assert frame.height >= 16_384, "the parallel path needs this many rows"
    options: dict[str, Any] = {"half_life": 30.0, "window": None, "min_periods": 5}
    got = frame.with_columns(
        pa.ewm_alpha_beta("ret", "mkt", fields=fields, by="ticker", **options).alias("fit")
    ).unnest("fit")
    # `.over` fits one ticker a call, the way a lone series is fit.
    one_by_one = frame.with_columns(
        pa.ewm_alpha_beta("ret", "mkt", **options).over("ticker").alias("fit")
    ).unnest("fit")
    names = [*FLOAT_FIELDS, "n"] if fields is None else fields
    for field in names:
        assert_series_equal(got.get_column(field), one_by_one.get_column(field), check_exact=True)
    for ticker, part in got.partition_by("ticker", maintain_order=True, as_dict=True).items():
        y = part.get_column("ret").to_numpy().astype(np.float64)
        x = part.get_column("mkt").to_numpy().astype(np.float64)
        rows = sorted({*range(0, len(y), 37), *range(8), len(y) - 1})
        expected = ewm_oracle(y, x, half_life=30.0, window=None, min_periods=5, rows=rows)
        assert_fits_match(
            part[rows],
            expected,
            fields=[f for f in names if f != "n"],
            context=f"{ticker[0]}",
        )
        if "n" in names:
            assert part["n"].gather(rows).to_list() == [e["n"] for e in expected]
