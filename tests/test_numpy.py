"""The NumPy entry point equals the Polars path exactly, and statsmodels' RollingOLS."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
import statsmodels.api as sm
from statsmodels.regression.rolling import RollingOLS

import polars_alpha as pa
from polars_alpha.numpy import RollingFit, rolling_alpha_beta, rolling_alpha_beta_frame

FIELDS = RollingFit._fields


def market_data(seed: int, periods: int = 300, assets: int = 7) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0004, 0.01, periods)
    rf = 1e-4 + rng.uniform(0.0, 2e-5, periods)
    betas = rng.uniform(0.5, 1.5, assets)
    returns = rf[:, None] + betas * (x - rf)[:, None] + rng.normal(0.0, 0.01, (periods, assets))
    return returns, x, rf


def polars_column(
    y: np.ndarray, x: np.ndarray, rf: np.ndarray | float | None, **kwargs: object
) -> pl.DataFrame:
    """One column through the Polars expression, no `by=`: the reference path."""
    data: dict[str, object] = {"y": y, "x": x}
    rate: object = rf
    if isinstance(rf, np.ndarray):
        data["rf"] = rf
        rate = "rf"
    return (
        pl.DataFrame(data)
        .select(pa.rolling_alpha_beta("y", "x", risk_free=rate, **kwargs).alias("f"))  # type: ignore[arg-type]
        .unnest("f")
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"window": 60},
        {"window": 60, "min_periods": 20},
        {"window": None},
        {"window": 2},
    ],
)
@pytest.mark.parametrize("rf_kind", ["array", "number", "none"])
def test_equals_the_polars_path_exactly(kwargs: dict[str, object], rf_kind: str) -> None:
    returns, x, rf_array = market_data(1)
    rng = np.random.default_rng(2)
    returns[rng.random(returns.shape) < 0.05] = np.nan  # scattered gaps
    returns[:40, 3] = np.nan  # a late listing
    returns[100:200, 5] = np.inf  # bad data is missing too
    x[[10, 11, 150]] = np.nan
    rf_array[[12, 160]] = np.nan
    rf: np.ndarray | float | None = {"array": rf_array, "number": 1e-4, "none": None}[rf_kind]
    fit = rolling_alpha_beta(returns, x, risk_free=rf, **kwargs)  # type: ignore[arg-type]
    for j in range(returns.shape[1]):
        expected = polars_column(returns[:, j], x, rf, **kwargs)
        for name in FIELDS:
            want = expected.get_column(name).to_numpy()
            np.testing.assert_array_equal(getattr(fit, name)[:, j], want, err_msg=name)
    assert fit.alpha.dtype == np.float64
    assert fit.n.dtype == np.int64
    assert all(getattr(fit, name).shape == returns.shape for name in FIELDS)
    # Nulls came back as NaN: one row is no fit, and column 3 has no rows before row 40.
    assert np.isnan(fit.beta[0]).all()
    assert np.isnan(fit.beta[:40, 3]).all()
    assert (fit.n[:40, 3] == 0).all()


def test_one_dimensional_asset_gives_one_dimensional_arrays() -> None:
    returns, x, rf = market_data(3)
    full = rolling_alpha_beta(returns, x, window=50, risk_free=rf)
    single = rolling_alpha_beta(returns[:, 2], x, window=50, risk_free=rf)
    for name in FIELDS:
        got = getattr(single, name)
        assert got.shape == (returns.shape[0],)
        np.testing.assert_array_equal(got, getattr(full, name)[:, 2])


def test_integer_and_float32_inputs_are_float64_inside() -> None:
    returns, x, _ = market_data(4, periods=80, assets=2)
    as32 = rolling_alpha_beta(returns.astype(np.float32), x.astype(np.float32), window=20)
    as64 = rolling_alpha_beta(
        returns.astype(np.float32).astype(np.float64), x.astype(np.float32), window=20
    )
    np.testing.assert_array_equal(as32.beta, as64.beta)
    ints = rolling_alpha_beta(np.arange(20).reshape(10, 2) ** 2, np.arange(10), window=5)
    assert ints.beta.dtype == np.float64
    assert np.isfinite(ints.beta[4:]).all()


@pytest.mark.parametrize("column", [0, 4, 6])
def test_equals_statsmodels_rolling_ols(column: int) -> None:
    returns, x, rf = market_data(5)
    window = 63
    fit = rolling_alpha_beta(returns, x, window=window, risk_free=rf)
    y = returns[:, column] - rf
    res = RollingOLS(y, sm.add_constant(x - rf), window=window).fit()
    rows = slice(window - 1, None)
    np.testing.assert_allclose(fit.alpha[rows, column], res.params[rows, 0], rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(fit.beta[rows, column], res.params[rows, 1], rtol=1e-9)
    np.testing.assert_allclose(fit.alpha_se[rows, column], res.bse[rows, 0], rtol=1e-9)
    np.testing.assert_allclose(fit.beta_se[rows, column], res.bse[rows, 1], rtol=1e-9)
    np.testing.assert_allclose(fit.alpha_t[rows, column], res.tvalues[rows, 0], rtol=1e-8)
    np.testing.assert_allclose(fit.beta_t[rows, column], res.tvalues[rows, 1], rtol=1e-9)
    np.testing.assert_allclose(fit.r2[rows, column], res.rsquared[rows], rtol=1e-9)
    np.testing.assert_allclose(fit.resid_std[rows, column], np.sqrt(res.mse_resid[rows]), rtol=1e-9)
    assert (fit.n[rows, column] == window).all()
    assert np.isnan(fit.beta[: window - 1, column]).all()


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((np.zeros((3, 2, 2)), np.zeros(3)), {}, ValueError, "`Y` must be 1-D"),
        ((np.zeros((5, 2)), np.zeros(4)), {}, ValueError, r"`x` must have shape \(5,\)"),
        ((np.zeros((5, 2)), np.zeros((5, 1))), {}, ValueError, "`x`"),
        ((np.zeros((5, 2)), np.zeros(5)), {"risk_free": np.zeros(4)}, ValueError, "risk_free"),
        ((np.array([["a", "b"]]), np.zeros(1)), {}, TypeError, "`Y` must hold real numbers"),
        ((np.zeros(3), np.array([True, False, True])), {}, TypeError, "`x`"),
        ((np.zeros((5, 2)), np.zeros(5)), {"risk_free": "rf"}, TypeError, "risk_free"),
        ((np.zeros((5, 2)), np.zeros(5)), {"window": 1}, ValueError, "window"),
        ((np.zeros((5, 2)), np.zeros(5)), {"window": 2.5}, TypeError, "window"),
        (
            (np.zeros((5, 2)), np.zeros(5)),
            {"window": 3, "min_periods": 4},
            ValueError,
            "min_periods",
        ),
    ],
)
def test_bad_inputs_name_the_argument(
    args: tuple[object, ...], kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        rolling_alpha_beta(*args, **kwargs)  # type: ignore[arg-type]


def test_empty_inputs_give_empty_arrays() -> None:
    assert rolling_alpha_beta(np.zeros((0, 3)), np.zeros(0)).beta.shape == (0, 3)
    assert rolling_alpha_beta(np.zeros((4, 0)), np.zeros(4)).n.shape == (4, 0)


def wide_returns() -> tuple[pd.DataFrame, pd.Series]:
    returns, x, _ = market_data(6, periods=120, assets=3)
    index = pd.date_range("2023-01-02", periods=120, freq="B", name="date")
    frame = pd.DataFrame(
        returns, index=index, columns=pd.Index(["AAA", "BBB", "CCC"], name="asset")
    )
    frame.iloc[5:9, 1] = np.nan
    return frame, pd.Series(x, index=index, name="market")


def test_pandas_frame_in_multiindex_frame_out() -> None:
    frame, market = wide_returns()
    out = rolling_alpha_beta_frame(frame, market, window=30)
    assert list(out.columns.names) == ["field", "asset"]
    assert list(out.columns.get_level_values(0).unique()) == list(FIELDS)
    assert list(out["beta"].columns) == ["AAA", "BBB", "CCC"]
    assert out.index.equals(frame.index)
    fit = rolling_alpha_beta(frame.to_numpy(), market.to_numpy(), window=30)
    for name in FIELDS:
        np.testing.assert_array_equal(out[name].to_numpy(), getattr(fit, name))
    assert out["n"]["BBB"].dtype == np.int64


def test_pandas_market_and_risk_free_as_columns_or_aligned_series() -> None:
    frame, market = wide_returns()
    rf = pd.Series(1e-4, index=frame.index)
    with_columns = frame.assign(mkt=market, rf=rf)
    by_name = rolling_alpha_beta_frame(with_columns, "mkt", window=30, risk_free="rf")
    assert list(by_name["alpha"].columns) == ["AAA", "BBB", "CCC"]
    by_series = rolling_alpha_beta_frame(frame, market, window=30, risk_free=rf)
    by_number = rolling_alpha_beta_frame(frame, market, window=30, risk_free=1e-4)
    np.testing.assert_array_equal(by_name.to_numpy(), by_series.to_numpy())
    np.testing.assert_array_equal(by_series.to_numpy(), by_number.to_numpy())
    # A market series on other dates is aligned to the frame: missing dates are gaps.
    shifted = market.iloc[10:]
    aligned = rolling_alpha_beta_frame(frame, shifted, window=30, min_periods=10)
    assert (aligned["n"].iloc[:10] == 0).all().all()
    manual = rolling_alpha_beta(
        frame.to_numpy(),
        market.where(market.index >= market.index[10]).to_numpy(),
        window=30,
        min_periods=10,
    )
    np.testing.assert_array_equal(aligned["beta"].to_numpy(), manual.beta)


def test_pandas_bad_inputs() -> None:
    frame, market = wide_returns()
    with pytest.raises(ValueError, match="names no column"):
        rolling_alpha_beta_frame(frame, "SPY")
    with pytest.raises(TypeError, match="pandas DataFrame"):
        rolling_alpha_beta_frame(frame.to_numpy(), market)
    with pytest.raises(TypeError, match="`market`"):
        rolling_alpha_beta_frame(frame, market.to_numpy())
