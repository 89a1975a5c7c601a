"""Tests of the rolling CAPM regression against statsmodels and numpy oracles.

Oracles:
- statsmodels ``RollingOLS`` for the rolling slope and intercept;
- statsmodels ``OLS`` refitted on every window's usable rows, for every field;
- ``numpy.linalg.lstsq`` on every window, in the property-based tests.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
from conftest import SyntheticPanel
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal, assert_series_equal
from statsmodels.regression.rolling import RollingOLS

import polars_alpha as pa
from polars_alpha._internal import FIT_FIELDS

#: The Float64 fields of a fit: every field but the count ``n`` (the last).
FLOAT_FIELDS: tuple[str, ...] = tuple(name for name in FIT_FIELDS if name != "n")
STRUCT_DTYPE = pl.Struct(
    [pl.Field(name, pl.Float64) for name in FLOAT_FIELDS] + [pl.Field("n", pl.UInt32)]
)

#: One window's expected result: a float (or None for null) per float field, and ``n``.
Fit = dict[str, Any]

RiskFree = float | str | pl.Expr | None


# --------------------------------------------------------------------------------------------
# Oracles and helpers
# --------------------------------------------------------------------------------------------


def excess_returns(
    frame: pl.DataFrame,
    asset: str = "ret",
    market: str = "mkt",
    risk_free: float | str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(y, x) = (asset - rf, market - rf)`` as float arrays, nulls as NaN."""
    a = frame.get_column(asset).cast(pl.Float64).to_numpy().astype(np.float64)
    m = frame.get_column(market).cast(pl.Float64).to_numpy().astype(np.float64)
    if risk_free is None:
        return a, m
    rf = (
        frame.get_column(risk_free).cast(pl.Float64).to_numpy().astype(np.float64)
        if isinstance(risk_free, str)
        else risk_free
    )
    with np.errstate(invalid="ignore"):  # inf - inf: an unusable row either way
        return a - rf, m - rf


def null_fit(n: int) -> Fit:
    fit: Fit = dict.fromkeys(FLOAT_FIELDS)
    fit["n"] = n
    return fit


def ols_window(y: np.ndarray, x: np.ndarray, min_periods: int) -> Fit:
    """statsmodels OLS of y on [1, x] over the usable (finite) rows, with the library's
    null rules applied on top (statsmodels itself returns NaN or inf in those cases)."""
    ok = np.isfinite(y) & np.isfinite(x)
    y, x = y[ok], x[ok]
    n = int(ok.sum())
    fit = null_fit(n)
    if n < max(min_periods, 2) or np.all(x == x[0]):
        return fit
    res = sm.OLS(y, sm.add_constant(x, has_constant="add")).fit()
    assert int(res.nobs) == n
    fit["alpha"], fit["beta"] = (float(v) for v in res.params)
    if not np.all(y == y[0]):
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


def rolling_ols_oracle(
    y: np.ndarray,
    x: np.ndarray,
    window: int,
    min_periods: int,
    rows: Sequence[int] | None = None,
) -> list[Fit]:
    """``ols_window`` on the trailing window ending at each of ``rows`` (default: all)."""
    if rows is None:
        rows = range(len(y))
    return [
        ols_window(
            y[max(0, t - window + 1) : t + 1], x[max(0, t - window + 1) : t + 1], min_periods
        )
        for t in rows
    ]


def usable_counts(y: np.ndarray, x: np.ndarray, window: int) -> np.ndarray:
    """Count of finite (y, x) pairs in each trailing window."""
    ok = (np.isfinite(y) & np.isfinite(x)).astype(np.int64)
    csum = np.concatenate([[0], np.cumsum(ok)])
    idx = np.arange(len(y))
    return csum[idx + 1] - csum[np.maximum(0, idx + 1 - window)]


def assert_fits_match(
    got: pl.DataFrame,
    expected: Sequence[Fit],
    *,
    rtol: float = 1e-9,
    atol: float = 1e-14,
    fields: Sequence[str] = FLOAT_FIELDS,
    context: str = "",
) -> None:
    """Checks the null pattern, then the values, of each field; then ``n``."""
    assert got.height == len(expected), context
    for field in fields:
        col = got.get_column(field)
        assert col.is_nan().sum() == 0, f"{context}: {field} has NaN (should be null)"
        assert col.is_infinite().sum() == 0, f"{context}: {field} has inf (should be null)"
        got_null = col.is_null().to_numpy()
        exp_null = np.array([e[field] is None for e in expected], dtype=bool)
        bad = np.flatnonzero(got_null != exp_null)
        assert bad.size == 0, (
            f"{context}: null pattern of {field} differs at rows {bad[:10].tolist()}: "
            f"got {col.gather(bad[:10]).to_list()}, "
            f"expected {[expected[i][field] for i in bad[:10]]}"
        )
        keep = ~exp_null
        if keep.any():
            np.testing.assert_allclose(
                col.to_numpy()[keep],
                np.array([e[field] for e in expected], dtype=object)[keep].astype(np.float64),
                rtol=rtol,
                atol=atol,
                err_msg=f"{context}: field {field}",
            )
    if "n" in got.columns:
        np.testing.assert_array_equal(
            got.get_column("n").to_numpy(),
            np.array([e["n"] for e in expected]),
            err_msg=f"{context}: n",
        )


def fit_frame(
    frame: pl.DataFrame,
    *,
    window: int | None,
    min_periods: int | None = None,
    risk_free: RiskFree = None,
    by: str | None = None,
    asset: str = "ret",
    market: str = "mkt",
) -> pl.DataFrame:
    """The frame with the struct result unnested next to it (fields alpha .. n)."""
    expr = pa.rolling_alpha_beta(
        asset, market, window=window, min_periods=min_periods, risk_free=risk_free, by=by
    )
    return frame.with_columns(expr.alias("fit")).unnest("fit")


def with_bad_values(
    frame: pl.DataFrame,
    seed: int,
    *,
    rate: float = 0.06,
    include_inf: bool = True,
    rf_nulls: bool = False,
) -> pl.DataFrame:
    """Injects nulls and NaN (and optionally +/-inf) into ret and mkt, nulls into rf."""
    rng = np.random.default_rng(seed)
    n = frame.height
    ret = frame.get_column("ret").to_numpy().astype(np.float64).copy()
    mkt = frame.get_column("mkt").to_numpy().astype(np.float64).copy()
    ret[rng.random(n) < rate] = np.nan
    mkt[rng.random(n) < rate] = np.nan
    if include_inf:
        ret[rng.random(n) < rate / 3] = np.inf
        mkt[rng.random(n) < rate / 3] = -np.inf
        mkt[rng.random(n) < rate / 3] = np.inf
    ret_null = rng.random(n) < rate
    mkt_null = rng.random(n) < rate
    out = frame.with_columns(
        ret=pl.Series([None if z else float(v) for v, z in zip(ret, ret_null, strict=True)]),
        mkt=pl.Series([None if z else float(v) for v, z in zip(mkt, mkt_null, strict=True)]),
    )
    if rf_nulls:
        rf_null = pl.Series(rng.random(n) < rate)
        out = out.with_columns(rf=pl.when(rf_null).then(None).otherwise(pl.col("rf")))
    return out


def one_ticker(panel: SyntheticPanel, ticker: str = "AAA") -> pl.DataFrame:
    return panel.frame.filter(pl.col("ticker") == ticker)


def lstsq_window(y: np.ndarray, x: np.ndarray, min_periods: int) -> tuple[float | None, ...]:
    """(alpha, beta, n) by numpy least squares on the usable rows; None where null."""
    ok = np.isfinite(y) & np.isfinite(x)
    y, x = y[ok], x[ok]
    n = int(ok.sum())
    if n < min_periods or n < 2 or np.all(x == x[0]):
        return None, None, n
    design = np.column_stack([np.ones(n), x])
    (alpha, beta), *_ = np.linalg.lstsq(design, y, rcond=None)
    return float(alpha), float(beta), n


# --------------------------------------------------------------------------------------------
# Oracle: statsmodels RollingOLS (slope and intercept)
# --------------------------------------------------------------------------------------------


# statsmodels divides by nobs - 2 = 0 for its (unused) variance of two-row windows
@pytest.mark.filterwarnings("ignore::RuntimeWarning:statsmodels")
@pytest.mark.parametrize(
    ("window", "min_periods", "corrupt"),
    [(40, None, False), (40, 25, True), (60, 2, True), (5, 3, True), (2, None, False)],
)
def test_beta_matches_statsmodels_rolling_ols(
    synthetic_panel: SyntheticPanel, window: int, min_periods: int | None, corrupt: bool
) -> None:
    frame = one_ticker(synthetic_panel)
    if corrupt:
        # RollingOLS detects only NaN (np.isnan), not inf: no inf here (see the OLS tests).
        frame = with_bad_values(frame, seed=window, rate=0.08, include_inf=False)
    mp = window if min_periods is None else min_periods
    out = fit_frame(frame, window=window, min_periods=min_periods, risk_free="rf")
    y, x = excess_returns(frame, risk_free="rf")

    # expanding=True fits the first rows (fewer than `window` of them) as soon as they hold
    # `min_nobs` usable rows, as we do. RollingOLS counts nobs as the usable rows in the window
    # (missing="drop"), the same as our n, but stores nobs = 0 for windows it does not fit, so
    # n is compared with it only where it fitted and against a direct count everywhere.
    res = RollingOLS(
        y,
        sm.add_constant(x, has_constant="add"),
        window=window,
        min_nobs=mp,
        missing="drop",
        expanding=True,
    ).fit(method="lstsq")
    params = np.asarray(res.params)
    fitted = ~np.isnan(params[:, 1])
    assert fitted.sum() > 0.5 * frame.height

    beta = out.get_column("beta")
    alpha = out.get_column("alpha")
    np.testing.assert_array_equal(beta.is_not_null().to_numpy(), fitted)
    np.testing.assert_array_equal(alpha.is_not_null().to_numpy(), fitted)
    np.testing.assert_allclose(beta.to_numpy()[fitted], params[fitted, 1], rtol=0, atol=1e-10)
    np.testing.assert_allclose(alpha.to_numpy()[fitted], params[fitted, 0], rtol=0, atol=1e-10)

    n = out.get_column("n").to_numpy()
    np.testing.assert_array_equal(n[fitted], np.asarray(res.nobs)[fitted])
    np.testing.assert_array_equal(n, usable_counts(y, x, window))


@pytest.mark.filterwarnings("ignore::RuntimeWarning:statsmodels")
@pytest.mark.parametrize(("min_periods", "corrupt"), [(None, False), (10, True)])
def test_window_none_is_an_exact_expanding_fit(
    synthetic_panel: SyntheticPanel, min_periods: int | None, corrupt: bool
) -> None:
    frame = one_ticker(synthetic_panel)
    if corrupt:
        frame = with_bad_values(frame, seed=7, rate=0.08, include_inf=False)
    out = fit_frame(frame, window=None, min_periods=min_periods, risk_free="rf")
    y, x = excess_returns(frame, risk_free="rf")
    # A window as long as the series with expanding=True is statsmodels' expanding fit.
    res = RollingOLS(
        y,
        sm.add_constant(x, has_constant="add"),
        window=frame.height,
        min_nobs=2 if min_periods is None else min_periods,
        missing="drop",
        expanding=True,
    ).fit(method="lstsq")
    params = np.asarray(res.params)
    fitted = ~np.isnan(params[:, 1])
    beta = out.get_column("beta")
    np.testing.assert_array_equal(beta.is_not_null().to_numpy(), fitted)
    np.testing.assert_allclose(beta.to_numpy()[fitted], params[fitted, 1], rtol=0, atol=1e-10)
    np.testing.assert_allclose(
        out.get_column("alpha").to_numpy()[fitted], params[fitted, 0], rtol=0, atol=1e-10
    )
    np.testing.assert_allclose(
        out.get_column("beta_se").to_numpy()[fitted][1:],
        np.asarray(res.bse)[fitted, 1][1:],
        rtol=1e-9,
    )
    np.testing.assert_array_equal(out.get_column("n").to_numpy(), usable_counts(y, x, frame.height))


# --------------------------------------------------------------------------------------------
# Oracle: statsmodels OLS on every window, every field
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("window", "min_periods", "corrupt"),
    [(30, None, False), (30, 20, True), (3, 2, True), (12, 4, True)],
)
def test_every_field_matches_statsmodels_ols(
    synthetic_panel: SyntheticPanel, window: int, min_periods: int | None, corrupt: bool
) -> None:
    frame = synthetic_panel.frame
    if corrupt:
        frame = with_bad_values(frame, seed=100 + window, rf_nulls=True)
    mp = window if min_periods is None else min_periods
    out = fit_frame(frame, window=window, min_periods=min_periods, risk_free="rf", by="ticker")
    for ticker in synthetic_panel.alphas:
        sub = out.filter(pl.col("ticker") == ticker)
        y, x = excess_returns(sub, risk_free="rf")
        expected = rolling_ols_oracle(y, x, window, mp)
        assert sum(e["beta"] is not None for e in expected) > sub.height // 2
        assert_fits_match(sub, expected, context=f"{ticker} window={window}")


def test_every_field_with_scalar_risk_free(synthetic_panel: SyntheticPanel) -> None:
    frame = with_bad_values(one_ticker(synthetic_panel, "CCC"), seed=7)
    out = fit_frame(frame, window=25, min_periods=15, risk_free=2.5e-4)
    y, x = excess_returns(frame, risk_free=2.5e-4)
    assert_fits_match(out, rolling_ols_oracle(y, x, 25, 15))


def test_hand_computed_window() -> None:
    # x = 1..4, y = 2, 4, 5, 8: Sxx = 5, Sxy = 9.5, Syy = 18.75, SSR = 18.75 - 1.9 * 9.5 = 0.7.
    df = pl.DataFrame({"y": [2.0, 4.0, 5.0, 8.0], "x": [1.0, 2.0, 3.0, 4.0]})
    row = fit_frame(df, window=4, asset="y", market="x").row(3, named=True)
    s2 = 0.7 / 2
    assert row["n"] == 4
    assert row["beta"] == pytest.approx(1.9, rel=1e-14)
    assert row["alpha"] == pytest.approx(0.0, abs=1e-14)
    assert row["r2"] == pytest.approx(9.5**2 / (5 * 18.75), rel=1e-14)
    assert row["resid_std"] == pytest.approx(math.sqrt(s2), rel=1e-14)
    assert row["beta_se"] == pytest.approx(math.sqrt(s2 / 5), rel=1e-14)
    assert row["alpha_se"] == pytest.approx(math.sqrt(s2 * (1 / 4 + 2.5**2 / 5)), rel=1e-14)
    assert row["beta_t"] == pytest.approx(1.9 / math.sqrt(s2 / 5), rel=1e-14)
    assert row["alpha_t"] == pytest.approx(0.0, abs=1e-12)


def test_perfect_fit_has_zero_se_and_null_t() -> None:
    # y = 1 + 2x exactly representable: the residuals are exactly zero.
    df = pl.DataFrame({"y": [3.0, 5.0, 7.0, 9.0], "x": [1.0, 2.0, 3.0, 4.0]})
    row = fit_frame(df, window=4, asset="y", market="x").row(3, named=True)
    assert row["beta"] == pytest.approx(2.0, rel=1e-15)
    assert row["alpha"] == pytest.approx(1.0, rel=1e-15)
    assert row["r2"] == pytest.approx(1.0, rel=1e-15)
    assert row["resid_std"] == 0.0
    assert row["alpha_se"] == 0.0
    assert row["beta_se"] == 0.0
    assert row["alpha_t"] is None
    assert row["beta_t"] is None


def test_two_rows_give_a_line_without_inference() -> None:
    df = pl.DataFrame({"y": [1.0, 3.0, 4.0], "x": [0.0, 1.0, 3.0]})
    out = fit_frame(df, window=2, asset="y", market="x")
    assert out.get_column("beta").to_list() == [None, pytest.approx(2.0), pytest.approx(0.5)]
    assert out.get_column("alpha").to_list() == [None, pytest.approx(1.0), pytest.approx(2.5)]
    assert out.get_column("n").to_list() == [1, 2, 2]
    for field in ("resid_std", "alpha_se", "beta_se", "alpha_t", "beta_t"):
        assert out.get_column(field).null_count() == 3, field
    assert out.get_column("r2").to_list() == [None, pytest.approx(1.0), pytest.approx(1.0)]


def test_constant_asset_gives_null_r2() -> None:
    # y constant: Sxy = Syy = 0 exactly, so beta = 0, alpha = y, zero residuals, no r2 or t.
    df = pl.DataFrame({"y": [0.01] * 6, "x": [0.01, -0.02, 0.03, 0.0, 0.015, -0.01]})
    row = fit_frame(df, window=6, asset="y", market="x").row(5, named=True)
    assert row["n"] == 6
    assert row["beta"] == 0.0
    assert row["alpha"] == 0.01
    assert row["r2"] is None
    assert row["resid_std"] == 0.0
    assert row["alpha_se"] == 0.0
    assert row["beta_se"] == 0.0
    assert row["alpha_t"] is None
    assert row["beta_t"] is None


def test_known_coefficients_are_recovered(panel_factory: Callable[..., SyntheticPanel]) -> None:
    panel = panel_factory(11, n_dates=2000)
    out = fit_frame(panel.frame, window=2000, risk_free="rf", by="ticker")
    last = out.group_by("ticker", maintain_order=True).last()
    for row in last.iter_rows(named=True):
        ticker = row["ticker"]
        assert row["n"] == 2000
        assert abs(row["beta"] - panel.betas[ticker]) < 5 * row["beta_se"], ticker
        assert abs(row["alpha"] - panel.alphas[ticker]) < 5 * row["alpha_se"], ticker
        assert row["resid_std"] == pytest.approx(panel.noise, rel=0.1), ticker


# --------------------------------------------------------------------------------------------
# Real data
# --------------------------------------------------------------------------------------------


def test_real_data_rf_column_matches_statsmodels(real_panel: pl.DataFrame) -> None:
    window, min_periods = 60, 40
    out = fit_frame(real_panel, window=window, min_periods=min_periods, risk_free="rf", by="ticker")
    rf_null_windows_fitted = 0
    tail_nulls = 0
    for ticker in real_panel.get_column("ticker").unique(maintain_order=True):
        sub = out.filter(pl.col("ticker") == ticker)
        y, x = excess_returns(sub, risk_free="rf")
        expected = rolling_ols_oracle(y, x, window, min_periods)
        assert_fits_match(sub, expected, context=f"real {ticker}")
        rf_null = sub.get_column("rf").is_null().to_numpy()
        for t, e in enumerate(expected):
            touches_null_rf = rf_null[max(0, t - window + 1) : t + 1].any()
            if touches_null_rf and e["beta"] is not None:
                rf_null_windows_fitted += 1
            if rf_null[max(0, t - window + 1) : t + 1].sum() > window - min_periods:
                tail_nulls += 1
                assert e["beta"] is None
    # the comparison covered fitted windows that drop null-rf rows, and windows the nulls empty
    assert rf_null_windows_fitted > 100
    assert tail_nulls > 30


def test_real_data_rf_column_long_window(real_panel: pl.DataFrame) -> None:
    window, min_periods = 252, 200
    out = fit_frame(real_panel, window=window, min_periods=min_periods, risk_free="rf", by="ticker")
    for ticker in ("AAPL", "XOM"):
        sub = out.filter(pl.col("ticker") == ticker)
        y, x = excess_returns(sub, risk_free="rf")
        rows = list(range(0, sub.height, 3)) + list(range(sub.height - 20, sub.height))
        expected = rolling_ols_oracle(y, x, window, min_periods, rows)
        assert_fits_match(sub[rows], expected, context=f"real {ticker} w=252")


def test_real_data_scalar_risk_free_matches_statsmodels(real_panel: pl.DataFrame) -> None:
    rf = 2e-5
    out = fit_frame(real_panel, window=252, risk_free=rf, by="ticker")
    for ticker in ("JPM", "XOM"):
        sub = out.filter(pl.col("ticker") == ticker)
        y, x = excess_returns(sub, risk_free=rf)
        rows = list(range(0, sub.height, 2))
        expected = rolling_ols_oracle(y, x, 252, 252, rows)
        # the first row of each ticker has no return, so the first full window is row 252
        assert expected[126]["beta"] is not None
        assert all(e["beta"] is None for e in expected[:126])
        assert_fits_match(sub[rows], expected, context=f"real {ticker} scalar rf")


# --------------------------------------------------------------------------------------------
# Numerics
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("magnitude", [1e4, 1e6])
def test_outliers_that_left_the_window_leave_no_trace(magnitude: float) -> None:
    rng = np.random.default_rng(5)
    n, window = 300, 30
    x = rng.normal(0.0, 0.02, n)
    y = 0.9 * x + rng.normal(0.0, 0.01, n)
    x[40] = magnitude
    y[41] = -magnitude
    x[150], y[150] = -magnitude, magnitude
    df = pl.DataFrame({"y": y, "x": x})
    out = fit_frame(df, window=window, asset="y", market="x")
    clean = [t for t in range(n) if t - window + 1 > 41 and not (t - window < 150 <= t)]
    expected = rolling_ols_oracle(y, x, window, window, clean)
    assert_fits_match(out[clean], expected, context="after outlier")
    # and identical to a fresh fit of the library on the window's rows alone
    for t in clean[::10]:
        fresh = fit_frame(df[t - window + 1 : t + 1], window=window, asset="y", market="x")
        assert_fits_match(
            out[t : t + 1],
            [{k: fresh.row(window - 1, named=True)[k] for k in (*FLOAT_FIELDS, "n")}],
            context=f"fresh fit at {t}",
        )


def test_large_mean_small_spread_market() -> None:
    rng = np.random.default_rng(8)
    n, window = 200, 25
    x = 1e3 + rng.normal(0.0, 1e-2, n)
    y = 0.5 * (x - 1e3) + rng.normal(0.0, 5e-3, n)
    df = pl.DataFrame({"y": y, "x": x})
    out = fit_frame(df, window=window, asset="y", market="x")
    expected = rolling_ols_oracle(y, x, window, window)
    assert_fits_match(out, expected, rtol=1e-8, atol=1e-14, context="mean 1e3, sd 1e-2")


def test_rounding_drift_does_not_accumulate() -> None:
    # A long series through a short window: thousands of running updates.
    rng = np.random.default_rng(9)
    n, window = 20_000, 20
    x = rng.normal(0.001, 0.01, n)
    y = 0.0002 + 1.1 * x + rng.normal(0.0, 0.01, n)
    df = pl.DataFrame({"y": y, "x": x})
    out = fit_frame(df, window=window, asset="y", market="x")
    rows = list(range(n - 200, n))
    assert_fits_match(out[rows], rolling_ols_oracle(y, x, window, window, rows))


@pytest.mark.parametrize("scale_power", [400, 520])
def test_huge_values_are_null_or_correct(scale_power: int) -> None:
    """Results are scale-equivariant: y * s gives beta, alpha, resid_std and se times s,
    and the same r2 and t. With s = 2**520, y**2 overflows Float64: a field is then null,
    or correct, never a wrong finite number."""
    rng = np.random.default_rng(12)
    n, window = 60, 20
    x = rng.normal(0.0, 0.01, n)
    z = 0.001 + 1.2 * x + rng.normal(0.0, 0.005, n)
    scale = 2.0**scale_power
    df = pl.DataFrame({"y": z * scale, "x": x})
    out = fit_frame(df, window=window, asset="y", market="x")
    expected = rolling_ols_oracle(z, x, window, window)
    scaled = {"alpha", "beta", "resid_std", "alpha_se", "beta_se"}
    for field in FLOAT_FIELDS:
        col = out.get_column(field)
        assert col.is_nan().sum() == 0 and col.is_infinite().sum() == 0, field
        for t, e in enumerate(expected):
            got = col[t]
            want = e[field]
            if want is None:
                assert got is None, (field, t)
            elif got is not None or scale_power == 400:
                want = want * scale if field in scaled else want
                assert got == pytest.approx(want, rel=1e-9), (field, t, got, want)


def test_overflowing_beta_is_null() -> None:
    # Sxx = 1e-300 and Sxy = 1e10: beta = 1e310 overflows; so do alpha and Syy.
    x = np.array([0.0, 1e-150, 0.0, 1e-150])
    y = np.array([0.0, 1e160, 0.0, 1e160])
    out = fit_frame(pl.DataFrame({"y": y, "x": x}), window=4, asset="y", market="x")
    row = out.row(3, named=True)
    assert row["n"] == 4
    for field in FLOAT_FIELDS:
        assert row[field] is None or math.isfinite(row[field]), field
    assert row["beta"] is None
    assert row["alpha"] is None


# --------------------------------------------------------------------------------------------
# Property-based: random panels against numpy lstsq
# --------------------------------------------------------------------------------------------

#: Dyadic grid: differences of grid values are exact, so "constant market" is exact equality.
GRID = 2.0**-14
CELL_KINDS = ["ok"] * 12 + ["null", "nan", "inf", "-inf"]


@dataclass
class PanelCase:
    asset: list[float | None]
    market: list[float | None]
    rf: list[float | None] | float | None
    keys: list[str | None] | None
    window: int
    min_periods: int | None


def _cells(draw: st.DrawFn, n: int, lo: int, hi: int) -> list[float | None]:
    values = draw(st.lists(st.integers(lo, hi), min_size=n, max_size=n))
    kinds = draw(st.lists(st.sampled_from(CELL_KINDS), min_size=n, max_size=n))
    special: dict[str, float | None] = {
        "null": None,
        "nan": math.nan,
        "inf": math.inf,
        "-inf": -math.inf,
    }
    return [v * GRID if k == "ok" else special[k] for v, k in zip(values, kinds, strict=True)]


@st.composite
def panel_cases(draw: st.DrawFn) -> PanelCase:
    n = draw(st.integers(0, 80))
    window = draw(st.integers(2, 30))
    min_periods = draw(st.none() | st.integers(2, window))
    asset = _cells(draw, n, -800, 800)
    # few distinct market values: windows with a constant market occur
    market = _cells(draw, n, -800, 800) if draw(st.booleans()) else _cells(draw, n, -2, 2)
    rf_kind = draw(st.sampled_from(["none", "scalar", "column"]))
    rf: list[float | None] | float | None = None
    if rf_kind == "scalar":
        rf = draw(st.integers(0, 8)) * GRID
    elif rf_kind == "column":
        rf = _cells(draw, n, 0, 8)
    keys: list[str | None] | None = None
    if draw(st.booleans()):
        alphabet = draw(st.sampled_from([["a"], ["a", "b"], ["a", "b", "c"], ["a", "b", None]]))
        if draw(st.booleans()):
            keys = draw(st.lists(st.sampled_from(alphabet), min_size=n, max_size=n))
        else:  # contiguous blocks
            keys = sorted(
                draw(st.lists(st.sampled_from(alphabet), min_size=n, max_size=n)),
                key=lambda k: (k is None, k or ""),
            )
    return PanelCase(asset, market, rf, keys, window, min_periods)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=panel_cases())
def test_random_panels_match_lstsq(case: PanelCase) -> None:
    n = len(case.asset)
    data: dict[str, pl.Series] = {
        "ret": pl.Series("ret", case.asset, dtype=pl.Float64),
        "mkt": pl.Series("mkt", case.market, dtype=pl.Float64),
    }
    risk_free: float | str | None = None
    if isinstance(case.rf, list):
        data["rf"] = pl.Series("rf", case.rf, dtype=pl.Float64)
        risk_free = "rf"
    elif case.rf is not None:
        risk_free = case.rf
    if case.keys is not None:
        data["key"] = pl.Series("key", case.keys, dtype=pl.String)
    df = pl.DataFrame(data)
    by = "key" if case.keys is not None else None
    kw: dict[str, Any] = {
        "window": case.window,
        "min_periods": case.min_periods,
        "risk_free": risk_free,
        "by": by,
    }
    out = df.select(
        fit=pa.rolling_alpha_beta("ret", "mkt", **kw),
        beta=pa.rolling_beta("ret", "mkt", **kw),
        alpha=pa.rolling_alpha("ret", "mkt", **kw),
    )
    assert out.schema["fit"] == STRUCT_DTYPE
    fit = out.get_column("fit").struct.unnest()

    y, x = excess_returns(df, risk_free=risk_free)
    mp = case.window if case.min_periods is None else case.min_periods
    groups: list[np.ndarray] = (
        [np.arange(n)]
        if case.keys is None
        else [np.array([i for i, k in enumerate(case.keys) if k == key]) for key in set(case.keys)]
    )
    exp_alpha: list[float | None] = [None] * n
    exp_beta: list[float | None] = [None] * n
    exp_n = [0] * n
    for rows in groups:
        for j, row in enumerate(rows):
            window_rows = rows[max(0, j - case.window + 1) : j + 1]
            exp_alpha[row], exp_beta[row], exp_n[row] = lstsq_window(
                y[window_rows], x[window_rows], mp
            )

    assert fit.get_column("n").to_list() == exp_n
    for name, expected in (("alpha", exp_alpha), ("beta", exp_beta)):
        for col in (fit.get_column(name), out.get_column(name)):
            got = col.to_list()
            assert [g is None for g in got] == [e is None for e in expected], name
            pairs = [(g, e) for g, e in zip(got, expected, strict=True) if e is not None]
            if pairs:
                g_arr, e_arr = np.array(pairs).T
                np.testing.assert_allclose(g_arr, e_arr, rtol=1e-9, atol=1e-11, err_msg=name)

    if by is not None:
        over_kw = {**kw, "by": None}
        over = df.select(fit=pa.rolling_alpha_beta("ret", "mkt", **over_kw).over("key"))
        assert_series_equal(over.get_column("fit"), out.get_column("fit"), check_exact=True)


# --------------------------------------------------------------------------------------------
# Contracts: lazy, schema, .over, contexts, dtypes, names
# --------------------------------------------------------------------------------------------


def _exprs(kind: str, **kw: Any) -> pl.Expr:
    fn = {"struct": pa.rolling_alpha_beta, "beta": pa.rolling_beta, "alpha": pa.rolling_alpha}
    return fn[kind]("ret", "mkt", **kw)


@pytest.mark.parametrize("kind", ["struct", "beta", "alpha"])
@pytest.mark.parametrize("engine", ["in-memory", "streaming"])
def test_lazy_equals_eager(synthetic_panel: SyntheticPanel, kind: str, engine: str) -> None:
    df = with_bad_values(synthetic_panel.frame, seed=3, rf_nulls=True)
    expr = _exprs(kind, window=20, min_periods=10, risk_free="rf", by="ticker").alias("out")
    eager = df.with_columns(expr)
    lazy = df.lazy().with_columns(expr).collect(engine=engine)  # type: ignore[call-overload]
    assert_frame_equal(lazy, eager, check_exact=True)


@pytest.mark.parametrize("by", [None, "ticker"])
def test_filters_and_slices_after_the_fit_are_not_pushed_into_it(
    synthetic_panel: SyntheticPanel, by: str | None
) -> None:
    # The fit depends on earlier rows: a later filter or slice must not shrink its input.
    df = synthetic_panel.frame
    expr = pa.rolling_alpha_beta("ret", "mkt", window=20, risk_free="rf", by=by).alias("fit")
    full = df.with_columns(expr)
    lazy = df.lazy().with_columns(expr)
    assert_frame_equal(
        lazy.filter(pl.col("ticker") == "BBB").collect(),
        full.filter(pl.col("ticker") == "BBB"),
        check_exact=True,
    )
    assert_frame_equal(lazy.tail(50).collect(), full.tail(50), check_exact=True)
    assert_frame_equal(lazy.slice(290, 30).collect(), full.slice(290, 30), check_exact=True)
    assert_frame_equal(
        lazy.select("date", "fit").filter(pl.col("date") > dt.date(2020, 6, 1)).collect(),
        full.select("date", "fit").filter(pl.col("date") > dt.date(2020, 6, 1)),
        check_exact=True,
    )


@pytest.mark.parametrize("kind", ["struct", "beta", "alpha"])
@pytest.mark.parametrize("by", [None, "ticker"])
def test_collect_schema_matches_result(
    synthetic_panel: SyntheticPanel, kind: str, by: str | None
) -> None:
    lf = synthetic_panel.frame.lazy().with_columns(
        _exprs(kind, window=10, risk_free="rf", by=by).alias("out")
    )
    schema = lf.collect_schema()
    assert schema == lf.collect().schema
    assert schema["out"] == (STRUCT_DTYPE if kind == "struct" else pl.Float64)


@pytest.mark.parametrize("kind", ["struct", "beta", "alpha"])
@pytest.mark.parametrize("order", ["sorted", "by_date", "shuffled"])
def test_over_equals_by(synthetic_panel: SyntheticPanel, kind: str, order: str) -> None:
    df = with_bad_values(synthetic_panel.frame, seed=4, rf_nulls=True)
    if order == "by_date":  # tickers interleaved, each in time order
        df = df.sort("date", "ticker")
    elif order == "shuffled":  # interleaved and out of time order
        df = df.sample(fraction=1.0, shuffle=True, seed=1)
    kw: dict[str, Any] = {"window": 15, "min_periods": 8, "risk_free": "rf"}
    out = df.select(
        by=_exprs(kind, by="ticker", **kw),
        over=_exprs(kind, **kw).over("ticker"),
    )
    assert out.get_column("by").null_count() < out.height
    assert_series_equal(
        out.get_column("by"), out.get_column("over"), check_exact=True, check_names=False
    )


TICKERS = ["AAA", "BBB", "CCC", "DDD"]
KEY_EXPRS: dict[str, pl.Expr] = {
    "String": pl.col("ticker"),
    "Int64": pl.col("ticker").rank("dense").cast(pl.Int64),
    "Int16": pl.col("ticker").rank("dense").cast(pl.Int16),
    "UInt8": pl.col("ticker").rank("dense").cast(pl.UInt8),
    "Date": pl.col("ticker").rank("dense").cast(pl.Int32).cast(pl.Date),
    "Categorical": pl.col("ticker").cast(pl.Categorical),
    "Enum": pl.col("ticker").cast(pl.Enum(TICKERS)),
}


@pytest.mark.parametrize("key_dtype", list(KEY_EXPRS))
@pytest.mark.parametrize("sort_by", ["date", "ticker"])  # tickers interleaved, or contiguous
def test_by_accepts_common_key_dtypes(
    synthetic_panel: SyntheticPanel, key_dtype: str, sort_by: str
) -> None:
    df = synthetic_panel.frame.sort(sort_by, "date")
    key = KEY_EXPRS[key_dtype]
    kw: dict[str, Any] = {"window": 10, "risk_free": "rf"}
    out = df.select(
        by=pa.rolling_alpha_beta("ret", "mkt", by=key, **kw),
        over=pa.rolling_alpha_beta("ret", "mkt", **kw).over(key),
        by_name=pa.rolling_alpha_beta("ret", "mkt", by="ticker", **kw),
    )
    assert_series_equal(
        out.get_column("by"), out.get_column("over"), check_exact=True, check_names=False
    )
    assert_series_equal(
        out.get_column("by"), out.get_column("by_name"), check_exact=True, check_names=False
    )


def test_by_with_null_keys_equals_over(synthetic_panel: SyntheticPanel) -> None:
    df = synthetic_panel.frame.sort("date").with_columns(
        ticker=pl.when(pl.col("ticker") == "BBB").then(None).otherwise(pl.col("ticker"))
    )
    kw: dict[str, Any] = {"window": 10, "risk_free": "rf"}
    out = df.select(
        by=pa.rolling_alpha_beta("ret", "mkt", by="ticker", **kw),
        over=pa.rolling_alpha_beta("ret", "mkt", **kw).over("ticker"),
    )
    assert_series_equal(
        out.get_column("by"), out.get_column("over"), check_exact=True, check_names=False
    )


def test_interleaved_panel_equals_sorted_panel(synthetic_panel: SyntheticPanel) -> None:
    df = with_bad_values(synthetic_panel.frame, seed=5)
    kw: dict[str, Any] = {"window": 20, "min_periods": 12, "risk_free": "rf", "by": "ticker"}
    sorted_out = fit_frame(df, **kw)
    interleaved = df.sample(fraction=1.0, shuffle=True, seed=2).sort("date")
    inter_out = fit_frame(interleaved, **kw).sort("ticker", "date")
    assert_frame_equal(inter_out, sorted_out, check_exact=True)


def test_group_by_agg_equals_by(synthetic_panel: SyntheticPanel) -> None:
    df = synthetic_panel.frame
    kw: dict[str, Any] = {"window": 10, "risk_free": "rf"}
    agg = (
        df.group_by("ticker", maintain_order=True)
        .agg(pa.rolling_beta("ret", "mkt", **kw).alias("beta"))
        .explode("beta")
    )
    by = df.select("ticker", beta=pa.rolling_beta("ret", "mkt", by="ticker", **kw))
    assert_frame_equal(agg, by, check_exact=True)


def test_with_columns_and_select_agree(synthetic_panel: SyntheticPanel) -> None:
    df = synthetic_panel.frame
    expr = pa.rolling_alpha_beta("ret", "mkt", window=20, risk_free="rf", by="ticker")
    selected = df.select(expr.alias("fit"))
    added = df.with_columns(expr.alias("fit"))
    assert added.columns == [*df.columns, "fit"]
    assert_series_equal(added.get_column("fit"), selected.get_column("fit"), check_exact=True)
    assert_frame_equal(added.drop("fit"), df)


def test_output_is_named_after_the_asset(synthetic_panel: SyntheticPanel) -> None:
    df = synthetic_panel.frame
    out = df.select(
        pa.rolling_beta(pl.col("ret") * 1.0, "mkt", window=5),
        pa.rolling_alpha_beta("mkt", "ret", window=5),
    )
    assert out.columns == ["ret", "mkt"]
    assert out.schema["mkt"] == STRUCT_DTYPE


def test_single_field_functions_equal_struct_fields(synthetic_panel: SyntheticPanel) -> None:
    df = with_bad_values(synthetic_panel.frame, seed=6)
    kw: dict[str, Any] = {"window": 20, "min_periods": 15, "risk_free": "rf", "by": "ticker"}
    out = df.select(
        fit=pa.rolling_alpha_beta("ret", "mkt", **kw),
        beta=pa.rolling_beta("ret", "mkt", **kw),
        alpha=pa.rolling_alpha("ret", "mkt", **kw),
    )
    fit = out.get_column("fit").struct.unnest()
    assert_series_equal(out.get_column("beta"), fit.get_column("beta"), check_exact=True)
    assert_series_equal(out.get_column("alpha"), fit.get_column("alpha"), check_exact=True)


def test_risk_free_forms_agree(synthetic_panel: SyntheticPanel) -> None:
    rate = 1.5e-4
    df = one_ticker(synthetic_panel).with_columns(const_rf=pl.lit(rate))
    kw: dict[str, Any] = {"window": 20}
    out = df.select(
        scalar=pa.rolling_alpha_beta("ret", "mkt", risk_free=rate, **kw),
        name=pa.rolling_alpha_beta("ret", "mkt", risk_free="const_rf", **kw),
        col=pa.rolling_alpha_beta("ret", "mkt", risk_free=pl.col("const_rf"), **kw),
        lit=pa.rolling_alpha_beta("ret", "mkt", risk_free=pl.lit(rate), **kw),
        series=pa.rolling_alpha_beta("ret", "mkt", risk_free=pl.Series([rate] * df.height), **kw),
    )
    for other in ("name", "col", "lit", "series"):
        assert_series_equal(
            out.get_column(other), out.get_column("scalar"), check_exact=True, check_names=False
        )
    assert out.get_column("scalar").struct.field("beta").null_count() == 19


def test_risk_free_column_equals_pre_subtracted_returns(synthetic_panel: SyntheticPanel) -> None:
    df = with_bad_values(synthetic_panel.frame, seed=8, rf_nulls=True)
    kw: dict[str, Any] = {"window": 20, "min_periods": 10, "by": "ticker"}
    out = df.select(
        rf=pa.rolling_alpha_beta("ret", "mkt", risk_free="rf", **kw),
        manual=pa.rolling_alpha_beta(
            pl.col("ret") - pl.col("rf"), pl.col("mkt") - pl.col("rf"), **kw
        ),
    )
    assert_series_equal(
        out.get_column("rf"), out.get_column("manual"), check_exact=True, check_names=False
    )


def test_no_risk_free_equals_zero_risk_free(synthetic_panel: SyntheticPanel) -> None:
    df = synthetic_panel.frame
    out = df.select(
        none=pa.rolling_alpha_beta("ret", "mkt", window=20, by="ticker"),
        zero=pa.rolling_alpha_beta("ret", "mkt", window=20, by="ticker", risk_free=0.0),
    )
    assert_series_equal(
        out.get_column("none"), out.get_column("zero"), check_exact=True, check_names=False
    )


@pytest.mark.parametrize(
    "dtype",
    [
        pl.Float32,
        pl.Int64,
        pl.Int32,
        pl.Int16,
        pl.Int8,
        pl.UInt64,
        pl.UInt32,
        pl.UInt16,
        pl.UInt8,
    ],
)
def test_narrow_numeric_inputs_are_cast(dtype: pl.DataType) -> None:
    rng = np.random.default_rng(13)
    n = 80
    if dtype == pl.Float32:
        ret, mkt = rng.normal(0, 0.01, n), rng.normal(0, 0.01, n)
    else:  # integer returns, e.g. in basis points
        lo = 0 if dtype.is_unsigned_integer() else -100
        ret, mkt = rng.integers(lo, 100, n), rng.integers(lo, 100, n)
    # Integer rates in basis points would read as 100% a period; a zero rate still casts.
    rf = np.full(n, 1e-4 if dtype == pl.Float32 else 0)
    df = pl.DataFrame({"ret": ret, "mkt": mkt, "rf": rf}).with_columns(pl.all().cast(dtype))
    wide = df.with_columns(pl.all().cast(pl.Float64))
    kw: dict[str, Any] = {"window": 15, "risk_free": "rf"}
    got = df.select(fit=pa.rolling_alpha_beta("ret", "mkt", **kw))
    want = wide.select(fit=pa.rolling_alpha_beta("ret", "mkt", **kw))
    assert got.schema["fit"] == STRUCT_DTYPE
    assert_frame_equal(got, want, check_exact=True)
    beta = df.select(pa.rolling_beta("ret", "mkt", **kw)).to_series()
    assert beta.dtype == pl.Float64
    assert beta.null_count() == 14


@pytest.mark.parametrize(
    "dtype",
    [pytest.param(pl.Decimal(12, 6), id="Decimal"), pl.Int128, pl.Float16],
)
def test_other_numeric_dtypes_are_cast_or_refused_cleanly(dtype: pl.DataType) -> None:
    """Less common numeric dtypes are either computed as their Float64 cast or refused with
    an error naming the argument; never a panic."""
    df = pl.DataFrame(
        {"ret": [0.01, -0.02, 0.03, 0.005, 0.01], "mkt": [0.5, -1.0, 2.0, 0.25, 1.0]}
    ).with_columns(pl.col("mkt").cast(dtype))
    expr = pa.rolling_alpha_beta("ret", "mkt", window=3)
    try:
        got = df.select(expr)
    except pl.exceptions.PolarsError as exc:
        assert "`market` must be numeric" in str(exc), str(exc)
    else:
        want = df.with_columns(pl.col("mkt").cast(pl.Float64)).select(expr)
        assert_frame_equal(got, want, check_exact=True)


def test_null_dtype_input_gives_nulls() -> None:
    df = pl.DataFrame({"ret": [0.01, -0.02, 0.03], "mkt": [None, None, None]})
    assert df.schema["mkt"] == pl.Null
    out = fit_frame(df, window=2)
    assert out.get_column("n").to_list() == [0, 0, 0]
    for field in FLOAT_FIELDS:
        assert out.get_column(field).null_count() == 3, field


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------


def test_string_asset_is_rejected_naming_the_argument(synthetic_panel: SyntheticPanel) -> None:
    lf = synthetic_panel.frame.lazy().with_columns(pl.col("ret").cast(pl.String))
    expr = pa.rolling_alpha_beta("ret", "mkt", window=5)
    with pytest.raises(pl.exceptions.ComputeError, match="`asset` must be numeric"):
        lf.select(expr).collect_schema()
    with pytest.raises(pl.exceptions.ComputeError, match="`asset` must be numeric"):
        lf.select(expr).collect()


def test_bool_market_is_rejected_naming_the_argument(synthetic_panel: SyntheticPanel) -> None:
    df = synthetic_panel.frame.with_columns(pl.col("mkt") > 0)
    with pytest.raises(pl.exceptions.ComputeError, match="`market` must be numeric"):
        df.select(pa.rolling_beta("ret", "mkt", window=5))


def test_date_risk_free_is_rejected_naming_the_argument(synthetic_panel: SyntheticPanel) -> None:
    df = synthetic_panel.frame
    with pytest.raises(pl.exceptions.ComputeError, match="`risk_free` must be numeric"):
        df.select(pa.rolling_alpha("ret", "mkt", window=5, risk_free="date"))


NON_NUMERIC: dict[str, pl.Expr] = {
    "string": pl.lit("0.01"),
    "bool": pl.lit(True),
    "date": pl.lit(dt.date(2020, 1, 1)),
    "datetime": pl.lit(dt.datetime(2020, 1, 1)),
    "duration": pl.lit(dt.timedelta(days=1)),
    "categorical": pl.lit("a").cast(pl.Categorical),
    "list": pl.lit([0.01, 0.02]),
    "struct": pl.struct(a=pl.lit(0.01)),
}


@pytest.mark.parametrize("kind", list(NON_NUMERIC))
@pytest.mark.parametrize("argument", ["asset", "market", "risk_free"])
def test_non_numeric_dtypes_name_the_argument(
    synthetic_panel: SyntheticPanel, kind: str, argument: str
) -> None:
    columns = {"asset": "ret", "market": "mkt", "risk_free": "rf"}
    lf = synthetic_panel.frame.lazy().with_columns(NON_NUMERIC[kind].alias(columns[argument]))
    expr = pa.rolling_alpha_beta("ret", "mkt", window=5, risk_free="rf")
    with pytest.raises(pl.exceptions.ComputeError, match=f"`{argument}` must be numeric"):
        lf.select(expr).collect_schema()
    with pytest.raises(pl.exceptions.ComputeError, match=f"`{argument}` must be numeric"):
        lf.select(expr).collect()


@pytest.mark.parametrize("window", [1, 0, -3])
def test_window_below_two_is_a_value_error(window: int) -> None:
    with pytest.raises(ValueError, match="`window` must be at least 2"):
        pa.rolling_alpha_beta("ret", "mkt", window=window)


def test_min_periods_above_window_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"`min_periods` \(11\) must not exceed `window` \(10\)"):
        pa.rolling_beta("ret", "mkt", window=10, min_periods=11)


@pytest.mark.parametrize("min_periods", [1, 0, -1])
def test_min_periods_below_two_is_a_value_error(min_periods: int) -> None:
    with pytest.raises(ValueError, match="`min_periods` must be at least 2"):
        pa.rolling_alpha("ret", "mkt", window=10, min_periods=min_periods)


@pytest.mark.parametrize("window", [2.5, True, 20.0])
def test_non_integer_window_is_a_type_error(window: object) -> None:
    with pytest.raises(TypeError, match="`window` must be an integer"):
        pa.rolling_alpha_beta("ret", "mkt", window=window)  # type: ignore[arg-type]


def test_string_window_must_be_a_duration() -> None:
    with pytest.raises(ValueError, match="`window` '20' is not a duration"):
        pa.rolling_alpha_beta("ret", "mkt", window="20", order_by="date")


@pytest.mark.parametrize("min_periods", [2.0, False])
def test_non_integer_min_periods_is_a_type_error(min_periods: object) -> None:
    with pytest.raises(TypeError, match="`min_periods` must be an integer or None"):
        pa.rolling_alpha_beta("ret", "mkt", window=10, min_periods=min_periods)  # type: ignore[arg-type]


def test_numpy_integer_window_is_accepted(synthetic_panel: SyntheticPanel) -> None:
    df = synthetic_panel.frame
    out = df.select(
        a=pa.rolling_beta("ret", "mkt", window=np.int64(12), min_periods=np.int32(6)),  # type: ignore[arg-type]
        b=pa.rolling_beta("ret", "mkt", window=12, min_periods=6),
    )
    assert_series_equal(out.get_column("a"), out.get_column("b"), check_names=False)


@pytest.mark.parametrize("rate", [math.nan, math.inf, -math.inf])
def test_non_finite_scalar_risk_free_is_a_value_error(rate: float) -> None:
    with pytest.raises(ValueError, match="`risk_free` must be a finite per-period rate"):
        pa.rolling_alpha_beta("ret", "mkt", window=10, risk_free=rate)


def test_bool_risk_free_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="`risk_free` must be a number"):
        pa.rolling_alpha_beta("ret", "mkt", window=10, risk_free=True)


@pytest.mark.parametrize("argument", ["asset", "market", "by"])
def test_non_column_argument_is_a_type_error(argument: str) -> None:
    kw: dict[str, Any] = {"asset": "ret", "market": "mkt", "window": 10, argument: 0.5}
    with pytest.raises(TypeError, match=f"`{argument}` must be a column name"):
        pa.rolling_alpha_beta(**kw)


def test_inputs_of_different_lengths_are_an_error() -> None:
    asset = pl.Series("a", [0.01, 0.02, -0.01, 0.0, 0.03])
    market = pl.Series("m", [0.01, 0.01, -0.02, 0.0, 0.02, 0.01])
    with pytest.raises(
        pl.exceptions.ComputeError, match=r"`market` has 6 rows but `asset` has 5.*same length"
    ):
        pl.select(pa.rolling_alpha_beta(asset, market, window=3))


def test_risk_free_series_of_different_length_is_an_error() -> None:
    asset = pl.Series("a", [0.01, 0.02, -0.01, 0.0, 0.03])
    market = pl.Series("m", [0.01, 0.01, -0.02, 0.0, 0.02])
    rf = pl.Series("rf", [0.0001] * 4)
    with pytest.raises(
        pl.exceptions.ComputeError, match="`risk_free` has 4 rows but `asset` has 5"
    ):
        pl.select(pa.rolling_beta(asset, market, window=3, risk_free=rf))


def test_series_inputs_of_equal_length_work() -> None:
    asset = pl.Series("a", [0.01, 0.02, -0.01, 0.0, 0.03])
    market = pl.Series("m", [0.01, 0.015, -0.02, 0.0, 0.02])
    out = pl.select(pa.rolling_beta(asset, market, window=3))
    assert out.columns == ["a"]
    y, x = asset.to_numpy(), market.to_numpy()
    expected = [lstsq_window(y[t - 2 : t + 1], x[t - 2 : t + 1], 3)[1] for t in range(2, 5)]
    np.testing.assert_allclose(out.to_series().to_list()[2:], expected, rtol=1e-12)
    assert out.to_series().to_list()[:2] == [None, None]


# --------------------------------------------------------------------------------------------
# Edge cases of the data
# --------------------------------------------------------------------------------------------


def test_constant_market_window_is_null_until_it_leaves() -> None:
    rng = np.random.default_rng(14)
    n, window = 60, 10
    x = rng.normal(0.0, 0.02, n)
    x[10:40] = 0.001
    y = 0.5 * x + rng.normal(0.0, 0.01, n)
    out = fit_frame(pl.DataFrame({"y": y, "x": x}), window=window, asset="y", market="x")
    for field in FLOAT_FIELDS:
        col = out.get_column(field)
        assert col[19:40].null_count() == 21, field  # windows 10..19 .. 30..39: all constant
    assert out.get_column("n")[19:40].to_list() == [10] * 21
    assert_fits_match(out, rolling_ols_oracle(y, x, window, window))
    assert out.get_column("beta")[40:].null_count() == 0


def test_empty_frame_gives_empty_output_with_schema() -> None:
    df = pl.DataFrame(
        schema={"ticker": pl.String, "ret": pl.Float64, "mkt": pl.Float64, "rf": pl.Float64}
    )
    for by in (None, "ticker"):
        out = df.with_columns(
            fit=pa.rolling_alpha_beta("ret", "mkt", window=5, risk_free="rf", by=by),
            beta=pa.rolling_beta("ret", "mkt", window=5, risk_free="rf", by=by),
            alpha=pa.rolling_alpha("ret", "mkt", window=5, risk_free="rf", by=by),
        )
        assert out.height == 0
        assert out.schema == pl.Schema(
            {**df.schema, "fit": STRUCT_DTYPE, "beta": pl.Float64, "alpha": pl.Float64}
        )


def test_all_null_ticker_is_null_and_others_unaffected(synthetic_panel: SyntheticPanel) -> None:
    df = synthetic_panel.frame.with_columns(
        ret=pl.when(pl.col("ticker") == "BBB").then(None).otherwise(pl.col("ret"))
    ).sort("date")  # interleaved
    kw: dict[str, Any] = {"window": 20, "risk_free": "rf", "by": "ticker"}
    out = fit_frame(df, **kw)
    bbb = out.filter(pl.col("ticker") == "BBB")
    assert bbb.get_column("n").unique().to_list() == [0]
    for field in FLOAT_FIELDS:
        assert bbb.get_column(field).null_count() == bbb.height, field
    others = out.filter(pl.col("ticker") != "BBB").sort("ticker", "date")
    alone = fit_frame(df.filter(pl.col("ticker") != "BBB"), **kw).sort("ticker", "date")
    assert_frame_equal(others, alone, check_exact=True)
    assert others.get_column("beta").null_count() == 3 * 19


def test_ticker_shorter_than_window_is_null(synthetic_panel: SyntheticPanel) -> None:
    df = pl.concat(
        [
            one_ticker(synthetic_panel, "AAA").head(7),
            one_ticker(synthetic_panel, "BBB"),
        ]
    )
    out = fit_frame(df, window=10, by="ticker")
    short = out.filter(pl.col("ticker") == "AAA")
    assert short.get_column("n").to_list() == list(range(1, 8))
    for field in FLOAT_FIELDS:
        assert short.get_column(field).null_count() == 7, field
    long = out.filter(pl.col("ticker") == "BBB")
    y, x = excess_returns(long)
    assert_fits_match(long, rolling_ols_oracle(y, x, 10, 10))


@pytest.mark.parametrize(("ret", "n"), [(0.01, 1), (None, 0), (math.nan, 0)])
def test_single_row(ret: float | None, n: int) -> None:
    df = pl.DataFrame({"ret": [ret], "mkt": [0.02]}, schema={"ret": pl.Float64, "mkt": pl.Float64})
    for window, min_periods in ((2, None), (5, 2)):
        row = fit_frame(df, window=window, min_periods=min_periods).row(0, named=True)
        assert row["n"] == n
        assert all(row[f] is None for f in FLOAT_FIELDS)


def test_window_larger_than_series(synthetic_panel: SyntheticPanel) -> None:
    df = one_ticker(synthetic_panel).head(30)
    y, x = excess_returns(df)
    full = fit_frame(df, window=100)
    assert full.get_column("n").to_list() == list(range(1, 31))
    for field in FLOAT_FIELDS:
        assert full.get_column(field).null_count() == 30, field
    # with a lower min_periods the window grows from the start, as an expanding fit
    partial = fit_frame(df, window=100, min_periods=5)
    assert_fits_match(partial, rolling_ols_oracle(y, x, 100, 5))
    assert partial.get_column("beta").null_count() == 4


def test_nan_and_inf_rows_are_dropped_like_nulls(synthetic_panel: SyntheticPanel) -> None:
    df = one_ticker(synthetic_panel, "DDD")
    bad = {5: ("ret", math.nan), 9: ("mkt", math.inf), 14: ("ret", -math.inf), 30: ("rf", math.nan)}
    rows = {col: df.get_column(col).to_list() for col in ("ret", "mkt", "rf")}
    for i, (col, value) in bad.items():
        rows[col][i] = value
    with_special = df.with_columns(**{c: pl.Series(v) for c, v in rows.items()})
    with_nulls = with_special.with_columns(
        pl.col("ret", "mkt", "rf").fill_nan(None).replace([math.inf, -math.inf], None)
    )
    assert with_nulls.null_count().row(0)[2:] == (2, 1, 1)
    kw: dict[str, Any] = {"window": 12, "min_periods": 8, "risk_free": "rf"}
    got = fit_frame(with_special, **kw)
    assert_frame_equal(
        got.drop("ret", "mkt", "rf"),
        fit_frame(with_nulls, **kw).drop("ret", "mkt", "rf"),
        check_exact=True,
    )
    y, x = excess_returns(with_special, risk_free="rf")
    expected = rolling_ols_oracle(y, x, 12, 8)
    assert_fits_match(got, expected)
    assert got.get_column("n")[11] == 10  # rows 0..11 hold unusable rows 5 and 9
    assert got.get_column("n")[21] == 11  # rows 10..21 hold unusable row 14
    assert got.get_column("n")[30] == 11  # rows 19..30 hold unusable row 30 (NaN rf)


def test_default_window_is_252(real_panel: pl.DataFrame) -> None:
    df = real_panel.filter(pl.col("ticker") == "JPM")
    out = df.select(
        default=pa.rolling_alpha_beta("ret", "mkt"),
        explicit=pa.rolling_alpha_beta("ret", "mkt", window=252, min_periods=252),
    )
    assert_series_equal(
        out.get_column("default"), out.get_column("explicit"), check_exact=True, check_names=False
    )
    n = out.get_column("default").struct.field("n")
    assert n.max() == 252
    # first row has a null return, so the first full window ends at row 252
    beta = out.get_column("default").struct.field("beta")
    assert beta[:252].null_count() == 252
    assert beta[252] is not None


def test_rows_are_taken_in_their_given_order() -> None:
    # Rows are taken in their given order: the result does not look at any date column.
    df = pl.DataFrame(
        {
            "date": [dt.date(2020, 1, d) for d in (3, 1, 2, 4)],
            "ret": [0.01, -0.02, 0.015, 0.0],
            "mkt": [0.012, -0.01, 0.01, 0.002],
        }
    )
    out = fit_frame(df, window=3)
    y, x = excess_returns(df)
    assert_fits_match(out, rolling_ols_oracle(y, x, 3, 3))


# --------------------------------------------------------------------------------------------
# Whole-sample fits: alpha_beta in group_by / group_by_dynamic
# --------------------------------------------------------------------------------------------


def test_alpha_beta_per_group_matches_statsmodels(synthetic_panel: SyntheticPanel) -> None:
    frame = with_bad_values(synthetic_panel.frame, seed=11, rf_nulls=True)
    got = (
        frame.group_by("ticker", maintain_order=True)
        .agg(pa.alpha_beta("ret", "mkt", risk_free="rf").alias("fit"))
        .unnest("fit")
    )
    expected = []
    for ticker in got.get_column("ticker"):
        y, x = excess_returns(frame.filter(pl.col("ticker") == ticker), risk_free="rf")
        expected.append(ols_window(y, x, 2))
    assert_fits_match(got, expected, context="group_by")


def test_alpha_beta_monthly_report_matches_statsmodels(synthetic_panel: SyntheticPanel) -> None:
    frame = synthetic_panel.frame.sort("ticker", "date")
    got = (
        frame.group_by_dynamic("date", every="1mo", group_by="ticker")
        .agg(pa.alpha_beta("ret", "mkt", risk_free=1e-4).alias("fit"))
        .unnest("fit")
    )
    assert got.height > 3 * frame.get_column("ticker").n_unique()
    expected = []
    for ticker, start in got.select("ticker", "date").iter_rows():
        month = frame.filter(
            (pl.col("ticker") == ticker)
            & (pl.col("date") >= start)
            & (pl.col("date") < pl.lit(start).dt.offset_by("1mo"))
        )
        y, x = excess_returns(month, risk_free=1e-4)
        expected.append(ols_window(y, x, 2))
    assert_fits_match(got, expected, context="group_by_dynamic")


def test_alpha_beta_is_excel_slope_and_intercept(synthetic_panel: SyntheticPanel) -> None:
    frame = one_ticker(synthetic_panel)
    fit = frame.select(pa.alpha_beta("ret", "mkt").alias("fit")).unnest("fit")
    slope, intercept = np.polyfit(frame["mkt"].to_numpy(), frame["ret"].to_numpy(), 1)
    assert fit.height == 1
    np.testing.assert_allclose(fit["beta"][0], slope, rtol=1e-12)
    np.testing.assert_allclose(fit["alpha"][0], intercept, rtol=1e-10)


def test_alpha_beta_equals_last_row_of_an_expanding_fit(synthetic_panel: SyntheticPanel) -> None:
    frame = one_ticker(synthetic_panel)
    whole = frame.select(pa.alpha_beta("ret", "mkt", risk_free="rf").alias("fit")).unnest("fit")
    expanding = fit_frame(frame, window=None, risk_free="rf").tail(1)
    assert_frame_equal(whole, expanding.select(whole.columns))


def test_alpha_beta_lazy_schema_and_bad_input(synthetic_panel: SyntheticPanel) -> None:
    lf = synthetic_panel.frame.lazy().group_by("ticker").agg(pa.alpha_beta("ret", "mkt"))
    assert lf.collect_schema() == lf.collect().schema
    with pytest.raises(ValueError, match="`min_periods` must be at least 2"):
        pa.alpha_beta("ret", "mkt", min_periods=1)
    short = pl.DataFrame({"ret": [0.01, 0.02], "mkt": [0.01, 0.03]})
    out = short.select(pa.alpha_beta("ret", "mkt", min_periods=3).alias("f")).unnest("f")
    assert out["beta"].is_null().all() and out["n"][0] == 2


# --- fields= -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields", [["alpha", "beta"], ["beta"], ["n"], ["beta_t", "alpha"], ["r2", "resid_std", "n"]]
)
@pytest.mark.parametrize("kind", ["rolling", "ewm"])
def test_fields_subset_equals_the_full_struct(
    synthetic_panel: SyntheticPanel, fields: list[str], kind: str
) -> None:
    df = synthetic_panel.frame
    make = pa.rolling_alpha_beta if kind == "rolling" else pa.ewm_alpha_beta
    full = df.select(make("ret", "mkt", window=60, by="ticker", risk_free="rf").alias("f"))
    part = df.lazy().select(
        make("ret", "mkt", window=60, by="ticker", risk_free="rf", fields=fields).alias("f")
    )
    in_struct_order = [f for f in full.unnest("f").columns if f in fields]
    assert part.collect_schema()["f"] == pl.Struct(
        {name: full.schema["f"].to_schema()[name] for name in in_struct_order}  # type: ignore[attr-defined]
    )
    assert_frame_equal(part.collect().unnest("f"), full.unnest("f").select(in_struct_order))


@pytest.mark.parametrize(
    ("fields", "error", "match"),
    [
        (["alpha", "gamma"], ValueError, "unknown field 'gamma'"),
        ([], ValueError, "`fields` is empty"),
        (["beta", "beta"], ValueError, "names a field twice"),
        ("beta", TypeError, "must be a list of field names"),
    ],
)
def test_bad_fields(fields: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        pa.rolling_alpha_beta("ret", "mkt", fields=fields)  # type: ignore[arg-type]


def long_and_short_tickers(long_rows: int = 70_000, seed: int = 7) -> pl.DataFrame:
    """One ticker longer than a job copies through its thread's scratch (65,536 rows; it is
    written in place) and two short ones (written through the scratch), with missing rows."""
    rng = np.random.default_rng(seed)
    frames = []
    for ticker, rows in (("LONG", long_rows), ("S1", 700), ("S2", 400)):
        mkt = rng.normal(0.0003, 0.01, rows)
        ret = 0.0002 + 1.1 * mkt + rng.normal(0.0, 0.015, rows)
        ret[rng.choice(rows, size=rows // 500, replace=False)] = np.nan
        frames.append(pl.DataFrame({"ticker": ticker, "ret": ret, "mkt": mkt}))
    return pl.concat(frames).with_columns(pl.col("ret").fill_nan(None))


def test_a_segment_longer_than_the_scratch_matches_statsmodels() -> None:
    frame = long_and_short_tickers()
    got = fit_frame(frame, window=60, by="ticker")
    for ticker, part in got.partition_by("ticker", maintain_order=True, as_dict=True).items():
        y = part.get_column("ret").to_numpy().astype(np.float64)
        x = part.get_column("mkt").to_numpy()
        # Every row of the short tickers; the long one's first and last rows and a sample.
        rows = sorted({*range(0, len(y), 97), *range(len(y) - 300, len(y)), *range(80)})
        rows = [t for t in rows if 0 <= t < len(y)]
        expected = rolling_ols_oracle(y, x, 60, 60, rows)
        assert_fits_match(part[rows], expected, context=f"{ticker[0]}")
