"""Annualization and adjusted betas against their direct formulas."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import polars_alpha as pa

finite_alphas = st.lists(
    st.one_of(st.none(), st.floats(-0.05, 0.05, allow_nan=False)), min_size=1, max_size=30
)


@settings(max_examples=50, deadline=None)
@given(alphas=finite_alphas, periods=st.sampled_from([252, 52, 12, 365.25]))
def test_annualize_alpha_matches_the_formulas(alphas: list[float | None], periods: float) -> None:
    df = pl.DataFrame({"alpha": alphas}, schema={"alpha": pl.Float64})
    out = df.select(
        geometric=pa.annualize_alpha("alpha", periods),
        arithmetic=pa.annualize_alpha("alpha", periods, method="arithmetic"),
        vol=pa.annualize_volatility(pl.col("alpha").abs(), periods),
    )
    columns = (out["geometric"], out["arithmetic"], out["vol"])
    for value, geo, ari, vol in zip(alphas, *columns, strict=True):
        if value is None:
            assert geo is None and ari is None and vol is None
            continue
        # empyrical's convention for an annualized alpha: compound the per-period alpha.
        assert geo == pytest.approx((1 + value) ** periods - 1, rel=1e-12, abs=1e-15)
        assert ari == pytest.approx(value * periods, rel=1e-12, abs=1e-15)
        assert vol == pytest.approx(abs(value) * math.sqrt(periods), rel=1e-12, abs=1e-15)


def test_annualized_alpha_of_a_fit_keeps_the_column_name() -> None:
    df = pl.DataFrame({"alpha": [0.001], "beta": [1.2]})
    out = df.select(pa.annualize_alpha("alpha"), pa.blume_beta("beta"))
    assert out.columns == ["alpha", "beta"]
    assert out["beta"][0] == pytest.approx(0.67 * 1.2 + 0.33, rel=1e-15)


def test_vasicek_per_date_matches_numpy() -> None:
    rng = np.random.default_rng(3)
    n_dates, n_tickers = 5, 40
    df = pl.DataFrame(
        {
            "date": np.repeat(np.arange(n_dates), n_tickers),
            "beta": rng.normal(1.0, 0.3, n_dates * n_tickers),
            "beta_se": rng.uniform(0.05, 0.5, n_dates * n_tickers),
        }
    ).with_columns(
        beta=pl.when(pl.int_range(pl.len()) % 17 == 0).then(None).otherwise(pl.col("beta"))
    )
    got = df.with_columns(adj=pa.vasicek_beta("beta", "beta_se").over("date"))
    for date in range(n_dates):
        part = got.filter(pl.col("date") == date)
        beta = part["beta"].to_numpy()
        se = part["beta_se"].to_numpy()
        known = ~np.isnan(beta)
        mean, var = beta[known].mean(), beta[known].var(ddof=1)
        weight = var / (var + se**2)
        expected = weight * beta + (1 - weight) * mean
        adj = part["adj"].to_numpy()
        np.testing.assert_allclose(adj[known], expected[known], rtol=1e-12)
        assert part["adj"].is_null().to_numpy()[~known].all()


def test_vasicek_shrinks_noisy_betas_more() -> None:
    df = pl.DataFrame({"beta": [0.5, 1.5, 1.0, 2.0], "beta_se": [0.01, 1.0, 0.2, 0.2]})
    adj = df.select(pa.vasicek_beta("beta", "beta_se"))["beta"].to_numpy()
    mean = 1.25
    # the precise 0.5 barely moves; the noisy 1.5 moves most of the way to the mean
    assert abs(adj[0] - 0.5) < 0.01
    assert abs(adj[1] - mean) < abs(1.5 - mean) / 2


def test_appraisal_ratio_and_its_null_rule() -> None:
    df = pl.DataFrame(
        {"alpha": [0.0005, -0.001, 0.002, None], "resid_std": [0.01, 0.02, 0.0, 0.01]}
    )
    out = df.select(pa.appraisal_ratio("alpha", "resid_std"))["alpha"].to_list()
    assert out[0] == pytest.approx(0.05) and out[1] == pytest.approx(-0.05)
    assert out[2] is None and out[3] is None


@pytest.mark.parametrize("periods", [0, -12, float("nan"), float("inf")])
def test_periods_per_year_must_be_positive(periods: float) -> None:
    with pytest.raises(ValueError, match="`periods_per_year` must be positive"):
        pa.annualize_alpha("alpha", periods)
    with pytest.raises(ValueError, match="`periods_per_year` must be positive"):
        pa.annualize_volatility("resid_std", periods)


def test_bad_method_and_types() -> None:
    with pytest.raises(ValueError, match='`method` must be "geometric" or "arithmetic"'):
        pa.annualize_alpha("alpha", method="log")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`periods_per_year` must be a positive number"):
        pa.annualize_alpha("alpha", "252")  # type: ignore[arg-type]
