"""A risk-free rate is per period and in decimals: a percent or an annual yield is refused.

4.5 (a percent) or 0.06 (an annual yield) subtracted from daily returns gives alphas that look
like numbers and mean nothing; the expressions raise instead, naming `risk_free`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm

import polars_alpha as pa
from polars_alpha._internal import MAX_PER_PERIOD_RATE

CALLS: dict[str, Callable[[object], pl.Expr]] = {
    "rolling_alpha_beta": lambda rf: pa.rolling_alpha_beta("ret", "mkt", window=20, risk_free=rf),
    "rolling_beta": lambda rf: pa.rolling_beta("ret", "mkt", window=20, risk_free=rf),
    "ewm_alpha_beta": lambda rf: pa.ewm_alpha_beta("ret", "mkt", window=20, risk_free=rf),
    "alpha_beta": lambda rf: pa.alpha_beta("ret", "mkt", risk_free=rf),
    "rolling_factor_regression": lambda rf: pa.rolling_factor_regression(
        "ret", ["mkt"], window=20, risk_free=rf
    ),
    "treynor_ratio": lambda rf: pa.treynor_ratio("ret", "mkt", risk_free=rf),
}


def _frame(rf: float) -> pl.DataFrame:
    rng = np.random.default_rng(4)
    mkt = rng.normal(0, 0.01, 60)
    return pl.DataFrame({"ret": 1.1 * mkt + rng.normal(0, 0.005, 60), "mkt": mkt, "rf": rf})


def test_the_bound_is_five_percent_a_period() -> None:
    assert MAX_PER_PERIOD_RATE == 0.05


@pytest.mark.parametrize("name", list(CALLS))
@pytest.mark.parametrize("rate", [4.5, 0.06, -0.2])
def test_a_number_beyond_the_bound_raises_at_call_time(name: str, rate: float) -> None:
    with pytest.raises(ValueError, match=r"`risk_free` is a per-period rate of .*a percent"):
        CALLS[name](rate)


@pytest.mark.parametrize("name", list(CALLS))
def test_a_column_beyond_the_bound_raises_when_run(name: str) -> None:
    frame = _frame(0.0001).with_columns(
        rf=pl.when(pl.int_range(pl.len()) == 7).then(4.5).otherwise(pl.col("rf"))
    )
    with pytest.raises(pl.exceptions.ComputeError, match=r"`risk_free` .* 4\.5 \(row 7\)"):
        frame.select(CALLS[name]("rf"))


@pytest.mark.parametrize("name", list(CALLS))
def test_a_plausible_rate_fits_as_statsmodels_does(name: str) -> None:
    frame = _frame(0.0002)
    out = frame.select(CALLS[name]("rf"))
    assert out.height in (1, frame.height)
    if name == "alpha_beta":
        y = (frame["ret"] - frame["rf"]).to_numpy()
        x = (frame["mkt"] - frame["rf"]).to_numpy()
        fit = sm.OLS(y, sm.add_constant(x)).fit()
        got = out.to_series()[0]
        assert got["alpha"] == pytest.approx(fit.params[0], rel=1e-10)
        assert got["beta"] == pytest.approx(fit.params[1], rel=1e-10)
