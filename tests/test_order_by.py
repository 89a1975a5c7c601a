"""`order_by=`: each key's rows in the order of a column, whatever the frame's row order.

A join does not keep row order in Polars, so a pipeline that joins the benchmark and then fits
with `by=` must say what the time order is. These tests shuffle the rows in many ways and check
that the results with `order_by` are those of the sorted input, put back in the input's order,
and that the joined pipeline of the issue gives statsmodels' beta every time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import polars_alpha as pa


def _panel(seed: int, tickers: int, days: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pl.date_range(pl.date(2020, 1, 1), pl.date(2030, 1, 1), "1d", eager=True)
    # Each ticker trades on its own random subset of days, so dates differ across keys.
    frames = []
    for k in range(tickers):
        picked = np.sort(rng.choice(len(dates), size=days, replace=False))
        mkt = rng.normal(0, 0.01, days)
        frames.append(
            pl.DataFrame(
                {
                    "ticker": f"T{k}",
                    "date": dates.gather(picked),
                    "mkt": mkt,
                    "ret": 0.0002 + (0.5 + k * 0.3) * mkt + rng.normal(0, 0.01, days),
                    "price": 100 * np.exp(np.cumsum(rng.normal(0, 0.01, days))),
                }
            )
        )
    return pl.concat(frames)


EXPRESSIONS: dict[str, Callable[[], pl.Expr]] = {
    "rows": lambda: pa.rolling_alpha_beta(
        "ret", "mkt", window=8, by="ticker", order_by="date"
    ).struct.field("beta", "alpha_t", "n"),
    "date window": lambda: pa.rolling_alpha_beta(
        "ret", "mkt", window="3w", min_periods=3, by="ticker", order_by="date"
    ).struct.field("beta", "r2"),
    "expanding": lambda: pa.rolling_beta("ret", "mkt", window=None, by="ticker", order_by="date"),
    "ewm": lambda: pa.ewm_alpha_beta(
        "ret", "mkt", window=10, half_life=4.0, by="ticker", order_by="date"
    ).struct.field("beta"),
    "factors": lambda: pa.rolling_factor_regression(
        "ret", ["mkt"], window=8, by="ticker", order_by="date"
    ).struct.field("beta_mkt"),
    "ratio": lambda: pa.rolling_information_ratio(
        "ret", "mkt", window=8, by="ticker", order_by="date"
    ),
    "weighted alpha": lambda: pa.weighted_alpha("price", window=6, by="ticker", order_by="date"),
}


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31), data=st.data())
def test_any_permutation_with_order_by_gives_the_sorted_results(seed: int, data: Any) -> None:
    frame = _panel(seed % 1000, tickers=3, days=30)
    permutation = data.draw(st.permutations(range(frame.height)))
    shuffled = frame.with_row_index("row").select(pl.all().gather(list(permutation)))
    for name, make in EXPRESSIONS.items():
        want = frame.with_row_index("row").select("row", make())
        got = shuffled.select("row", make()).sort("row")
        assert got.equals(want), name


#: The same expressions without `by=`, for `.over("ticker", order_by="date")`.
OVER_FORMS: dict[str, Callable[[], pl.Expr]] = {
    "rows": lambda: pa.rolling_alpha_beta("ret", "mkt", window=8).struct.field(
        "beta", "alpha_t", "n"
    ),
    "date window": lambda: pa.rolling_alpha_beta(
        "ret", "mkt", window="3w", min_periods=3, order_by="date"
    ).struct.field("beta", "r2"),
    "expanding": lambda: pa.rolling_beta("ret", "mkt", window=None),
    "ewm": lambda: pa.ewm_alpha_beta("ret", "mkt", window=10, half_life=4.0).struct.field("beta"),
    "factors": lambda: pa.rolling_factor_regression("ret", ["mkt"], window=8).struct.field(
        "beta_mkt"
    ),
    "ratio": lambda: pa.rolling_information_ratio("ret", "mkt", window=8),
    "weighted alpha": lambda: pa.weighted_alpha("price", window=6),
}


@pytest.mark.parametrize("name", list(EXPRESSIONS))
def test_by_with_order_by_equals_over_with_order_by(name: str) -> None:
    frame = _panel(5, tickers=4, days=40).sample(fraction=1.0, shuffle=True, seed=2)
    got = frame.select(EXPRESSIONS[name]())
    want = frame.select(OVER_FORMS[name]().over("ticker", order_by="date"))
    assert_frame_equal(got, want, check_exact=True)


def _joined_pipeline(m: Any, stocks: pl.LazyFrame) -> pl.LazyFrame:
    bench = m.index.lazy().with_columns(mkt=pl.col("market").pct_change()).select("date", "mkt")
    return (
        stocks.sort("ticker", "date")
        .with_columns(ret=pl.col("close").pct_change().over("ticker"))
        .join(bench, on="date", how="left")
        .with_columns(beta=pa.rolling_beta("ret", "mkt", window=252, by="ticker", order_by="date"))
    )


def test_the_joined_pipeline_gives_the_statsmodels_beta_every_time() -> None:
    m = pa.datasets.synthetic_market(n_tickers=40, n_days=600, seed=3)
    # statsmodels on each ticker's last 252 rows, sorted by date.
    tidy = (
        m.stocks.sort("ticker", "date")
        .with_columns(ret=pl.col("close").pct_change().over("ticker"))
        .join(m.index.with_columns(mkt=pl.col("market").pct_change()), on="date", how="left")
    )
    want: dict[str, float] = {}
    for (ticker,), rows in tidy.group_by("ticker"):
        last = rows.sort("date").tail(252)
        fit = sm.OLS(last["ret"].to_numpy(), sm.add_constant(last["mkt"].to_numpy())).fit()
        want[str(ticker)] = float(fit.params[1])
    for seed in range(6):
        stocks = m.stocks.sample(fraction=1.0, shuffle=True, seed=seed).lazy()
        for engine in ("in-memory", "streaming"):
            out = _joined_pipeline(m, stocks).collect(engine=engine)  # type: ignore[call-overload]
            last = out.sort("date").group_by("ticker").agg(pl.col("beta").last())
            for ticker, beta in last.iter_rows():
                assert beta == pytest.approx(want[ticker], rel=1e-9), (seed, engine, ticker)
