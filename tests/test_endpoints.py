"""The endpoint fields of the rolling CAPM fit: ``fitted`` (the window's prediction of its own
last row) and ``resid`` (that row's residual), asked for by name in ``fields=``.

Oracle: ``numpy.linalg.lstsq`` on every window's usable rows, then the prediction of the
window's last row from its excess returns.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import polars_alpha as pa
from polars_alpha._internal import ENDPOINT_FIELDS


def lstsq_endpoints(
    y: np.ndarray, x: np.ndarray, window: int | None, min_periods: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's fitted value and residual from the fit of the window ending at it."""
    fitted = np.full(len(y), np.nan)
    resid = np.full(len(y), np.nan)
    for t in range(len(y)):
        start = 0 if window is None else max(0, t + 1 - window)
        ys, xs = y[start : t + 1], x[start : t + 1]
        ok = np.isfinite(ys) & np.isfinite(xs)
        if ok.sum() < max(min_periods, 2) or np.ptp(xs[ok]) == 0:
            continue
        design = np.column_stack([np.ones(ok.sum()), xs[ok]])
        (alpha, beta), *_ = np.linalg.lstsq(design, ys[ok], rcond=None)
        fitted[t] = alpha + beta * x[t]
        resid[t] = y[t] - fitted[t]
    return fitted, resid


def assert_close_or_both_null(got: pl.Series, want: np.ndarray) -> None:
    got_np = got.to_numpy().astype(np.float64)
    assert np.array_equal(np.isnan(got_np), np.isnan(want)), got.name
    ok = ~np.isnan(want)
    np.testing.assert_allclose(got_np[ok], want[ok], rtol=1e-9, atol=1e-14)


def test_real_data_with_a_risk_free_column_matches_lstsq(real_panel: pl.DataFrame) -> None:
    window = 60
    out = real_panel.with_columns(
        fit=pa.rolling_alpha_beta(
            "ret", "mkt", window=window, risk_free="rf", by="ticker", fields=["fitted", "resid"]
        )
    ).unnest("fit")
    assert out.select("fitted", "resid").null_count().row(0) < (out.height, out.height)
    for ticker, rows in out.partition_by("ticker", as_dict=True).items():
        rf = rows["rf"].to_numpy().astype(np.float64)
        y = rows["ret"].to_numpy().astype(np.float64) - rf
        x = rows["mkt"].to_numpy().astype(np.float64) - rf
        fitted, resid = lstsq_endpoints(y, x, window, window)
        assert np.isfinite(fitted).sum() > 100, ticker
        assert_close_or_both_null(rows["fitted"], fitted)
        assert_close_or_both_null(rows["resid"], resid)


def random_frame(seed: int, n: int = 120, null_share: float = 0.1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    mkt = rng.normal(0.0, 0.01, n)
    ret = 0.0002 + 1.1 * mkt + rng.normal(0.0, 0.01, n)
    ret[rng.random(n) < null_share] = np.nan
    mkt_with_nulls = mkt.copy()
    mkt_with_nulls[rng.random(n) < null_share] = np.nan
    return pl.DataFrame(
        {
            "date": [dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(n)],
            "ret": ret,
            "mkt": mkt_with_nulls,
        }
    ).with_columns(pl.col("ret", "mkt").fill_nan(None))


@pytest.mark.parametrize(("window", "min_periods"), [(20, 15), (None, 5)])
def test_random_data_with_nulls_matches_lstsq(window: int | None, min_periods: int) -> None:
    frame = random_frame(7)
    out = frame.select(
        pa.rolling_alpha_beta(
            "ret", "mkt", window=window, min_periods=min_periods, fields=["fitted", "resid"]
        )
    ).unnest("ret")
    y = frame["ret"].to_numpy().astype(np.float64)
    x = frame["mkt"].to_numpy().astype(np.float64)
    fitted, resid = lstsq_endpoints(y, x, window, min_periods)
    assert_close_or_both_null(out["fitted"], fitted)
    assert_close_or_both_null(out["resid"], resid)
    # A row with a market return but no asset return is predicted and has no residual.
    predicted_only = (
        frame["ret"].is_null() & frame["mkt"].is_not_null() & out["fitted"].is_not_null()
    )
    assert predicted_only.any()
    assert out.filter(predicted_only)["resid"].null_count() == predicted_only.sum()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), window=st.integers(3, 30))
def test_endpoints_are_the_fit_evaluated_at_the_last_row(seed: int, window: int) -> None:
    frame = random_frame(seed, n=80, null_share=0.15)
    fit = frame.select(
        pa.rolling_alpha_beta(
            "ret",
            "mkt",
            window=window,
            min_periods=3,
            fields=["alpha", "beta", "fitted", "resid"],
        )
    ).unnest("ret")
    want_fitted = fit["alpha"] + fit["beta"] * frame["mkt"]
    # The same arithmetic in the same order: the same bits.
    assert fit["fitted"].equals(want_fitted.rename("fitted"))
    assert fit["resid"].equals((frame["ret"] - fit["fitted"]).rename("resid"))


def test_field_order_and_schema() -> None:
    frame = random_frame(3)
    expr = pa.rolling_alpha_beta(
        "ret", "mkt", window=20, fields=["resid", "beta", "n", "fitted"]
    ).alias("fit")
    eager = frame.select(expr)
    lazy = frame.lazy().select(expr)
    want = pl.Struct(
        [
            pl.Field("beta", pl.Float64),
            pl.Field("n", pl.UInt32),
            pl.Field("fitted", pl.Float64),
            pl.Field("resid", pl.Float64),
        ]
    )
    assert eager.schema["fit"] == want
    assert lazy.collect_schema()["fit"] == want
    assert_frame_equal(lazy.collect(), eager)
    # Alpha and beta are computed for the endpoints but leave the struct unless named.
    only = frame.select(pa.rolling_alpha_beta("ret", "mkt", window=20, fields=["resid"]))
    assert only.schema["ret"] == pl.Struct([pl.Field("resid", pl.Float64)])
    assert ENDPOINT_FIELDS == ("fitted", "resid")


def test_by_equals_over_and_a_date_window() -> None:
    frames = [random_frame(seed).with_columns(ticker=pl.lit(f"T{seed}")) for seed in range(4)]
    panel = pl.concat(frames).sample(fraction=1.0, shuffle=True, seed=1)
    fields = ["alpha", "fitted", "resid"]
    for window in (25, "30d"):
        by = panel.select(
            pa.rolling_alpha_beta(
                "ret",
                "mkt",
                window=window,
                min_periods=10,
                by="ticker",
                order_by="date",
                fields=fields,
            )
        )
        over = panel.select(
            pa.rolling_alpha_beta(
                "ret", "mkt", window=window, min_periods=10, order_by="date", fields=fields
            ).over("ticker")
        )
        assert_frame_equal(by, over)
        assert by.unnest("ret")["resid"].drop_nulls().len() > 100


def test_only_the_rolling_fit_returns_endpoints() -> None:
    with pytest.raises(
        ValueError,
        match="only rolling_alpha_beta and rolling_factor_regression return fitted and resid",
    ):
        pa.ewm_alpha_beta("ret", "mkt", half_life=10.0, fields=["fitted"])


def test_an_unknown_field_lists_the_endpoints() -> None:
    with pytest.raises(ValueError, match=r"choose from alpha, .*, n, fitted, resid"):
        pa.rolling_alpha_beta("ret", "mkt", fields=["fit"])


def test_residual_momentum_is_the_mean_over_std_of_these_residuals() -> None:
    # Two independent paths to the same numbers: the residual-momentum kernel, and the
    # endpoint residuals averaged over the span t-window+1 .. t-skip with Polars.
    frame = random_frame(11, n=200, null_share=0.0)
    fit_window, window, skip = 40, 30, 5
    resid = pa.rolling_alpha_beta("ret", "mkt", window=fit_window, fields=["resid"]).struct.field(
        "resid"
    )
    span = window - skip
    lagged = resid.shift(skip)
    want = lagged.rolling_mean(span) / lagged.rolling_std(span)
    out = frame.select(
        got=pa.residual_momentum("ret", "mkt", fit_window=fit_window, window=window, skip=skip),
        want=want,
    )
    assert out["got"].drop_nulls().len() > 100
    assert out["got"].is_null().equals(out["want"].is_null())
    np.testing.assert_allclose(
        out["got"].drop_nulls().to_numpy(), out["want"].drop_nulls().to_numpy(), rtol=1e-9
    )


# --------------------------------------------------------------------------------------------
# Multi-factor fits


def lstsq_factor_endpoints(
    y: np.ndarray, factors: np.ndarray, window: int, min_periods: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's fitted value and residual from the multi-factor fit of its window."""
    fitted = np.full(len(y), np.nan)
    resid = np.full(len(y), np.nan)
    for t in range(len(y)):
        start = max(0, t + 1 - window)
        ys, fs = y[start : t + 1], factors[start : t + 1]
        ok = np.isfinite(ys) & np.isfinite(fs).all(axis=1)
        if ok.sum() < min_periods:
            continue
        design = np.column_stack([np.ones(ok.sum()), fs[ok]])
        coef, *_ = np.linalg.lstsq(design, ys[ok], rcond=None)
        fitted[t] = coef[0] + factors[t] @ coef[1:]
        resid[t] = y[t] - fitted[t]
    return fitted, resid


def factor_frame(seed: int, n: int = 150) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    mkt, smb = rng.normal(0, 0.01, n), rng.normal(0, 0.005, n)
    rf = np.full(n, 0.0001)
    ret = rf + 0.0003 + 0.9 * mkt + 0.4 * smb + rng.normal(0, 0.008, n)
    ret[rng.random(n) < 0.1] = np.nan
    smb[rng.random(n) < 0.05] = np.nan
    return pl.DataFrame({"ret": ret, "mkt": mkt, "smb": smb, "rf": rf}).with_columns(
        pl.all().fill_nan(None)
    )


def test_factor_endpoints_match_lstsq() -> None:
    frame = factor_frame(5)
    out = frame.select(
        pa.rolling_factor_regression(
            "ret",
            ["mkt", "smb"],
            window=40,
            min_periods=30,
            risk_free="rf",
            fields=["fitted", "resid"],
        )
    ).unnest("ret")
    assert out.columns == ["fitted", "resid"]
    y = (frame["ret"] - frame["rf"]).to_numpy().astype(np.float64)
    factors = frame.select("mkt", "smb").to_numpy().astype(np.float64)
    fitted, resid = lstsq_factor_endpoints(y, factors, 40, 30)
    assert np.isfinite(resid).sum() > 50
    assert_close_or_both_null(out["fitted"], fitted)
    assert_close_or_both_null(out["resid"], resid)


def test_factor_fields_select_and_order_the_struct() -> None:
    frame = factor_frame(6).with_columns(ticker=pl.lit("A"))
    fields = ["resid", "beta_smb", "n", "alpha"]
    expr = pa.rolling_factor_regression("ret", ["mkt", "smb"], window=30, fields=fields)
    out = frame.select(expr)
    assert [f.name for f in out.schema["ret"].fields] == ["alpha", "beta_smb", "n", "resid"]
    assert_frame_equal(frame.lazy().select(expr).collect(), out)
    by = frame.select(
        pa.rolling_factor_regression("ret", ["mkt", "smb"], window=30, fields=fields, by="ticker")
    )
    assert_frame_equal(by, out)
    full = frame.select(
        pa.rolling_factor_regression("ret", ["mkt", "smb"], window=30, fields=["alpha", "beta_mkt"])
    ).unnest("ret")
    # Without a risk-free rate the fitted value is the fit at the row's factors, summed in
    # factor order: the same bits as the expression below.
    both = frame.select(
        pa.rolling_factor_regression(
            "ret", ["mkt", "smb"], window=30, fields=["alpha", "beta_mkt", "beta_smb", "fitted"]
        )
    ).unnest("ret")
    want = both["alpha"] + both["beta_mkt"] * frame["mkt"] + both["beta_smb"] * frame["smb"]
    assert both["fitted"].equals(want.rename("fitted"))
    assert full["alpha"].equals(both["alpha"])
    # The default struct has no endpoints.
    default = frame.select(pa.rolling_factor_regression("ret", ["mkt", "smb"], window=30))
    assert "fitted" not in [f.name for f in default.schema["ret"].fields]


def test_factor_fields_name_the_choices_on_a_typo() -> None:
    with pytest.raises(ValueError, match=r"unknown field 'beta_hml'.*beta_smb.*fitted, resid"):
        pa.rolling_factor_regression("ret", ["mkt", "smb"], fields=["beta_hml"])
    with pytest.raises(ValueError, match="`fields` is empty"):
        pa.rolling_factor_regression("ret", ["mkt", "smb"], fields=[])
