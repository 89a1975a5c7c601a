"""The bundled real sample and the synthetic market generator."""

from __future__ import annotations

import datetime as dt
import importlib.resources
import math

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import polars_alpha as pa
from polars_alpha.datasets import SP500_SAMPLE_TICKERS, load_sp500_sample, synthetic_market

FILES = (
    "sp500_stocks_prices.csv.gz",
    "sp500_index_prices.csv.gz",
    "us_treasury_3month_yield.csv",
    "LICENSE-skfolio-BSD3.txt",
    "LICENSE-zipline-Apache2.txt",
    "README.md",
)


@pytest.fixture(scope="module")
def sample() -> pa.datasets.SP500Sample:
    return load_sp500_sample()


@pytest.mark.parametrize("name", FILES)
def test_data_files_and_licenses_ship_inside_the_package(name: str) -> None:
    resource = importlib.resources.files("polars_alpha") / "data" / name
    assert resource.is_file()
    with importlib.resources.as_file(resource) as path:
        assert path.stat().st_size > 1000
        # Inside python/polars_alpha/, which maturin packages (python-source = "python").
        assert path.parent.parent.name == "polars_alpha"


def test_data_readme_keeps_the_attribution() -> None:
    text = (importlib.resources.files("polars_alpha") / "data" / "README.md").read_text("utf-8")
    for needle in ("skfolio", "BSD-3-Clause", "zipline-reloaded", "Apache-2.0"):
        assert needle in text


def test_stocks_are_the_long_frame_of_20_tickers(sample: pa.datasets.SP500Sample) -> None:
    stocks = sample.stocks
    assert stocks.schema == pl.Schema({"date": pl.Date, "ticker": pl.String, "close": pl.Float64})
    assert tuple(stocks.get_column("ticker").unique().sort()) == SP500_SAMPLE_TICKERS
    counts = stocks.group_by("ticker").len().get_column("len")
    assert counts.unique().to_list() == [8313]
    assert stocks.get_column("date").min() == dt.date(1990, 1, 2)
    assert stocks.get_column("date").max() == dt.date(2022, 12, 28)
    assert stocks.get_column("close").null_count() == 0
    assert stocks.get_column("close").min() > 0
    # Sorted by ticker, then date.
    assert_frame_equal(stocks, stocks.sort("ticker", "date"))


def test_index_and_risk_free(sample: pa.datasets.SP500Sample) -> None:
    assert sample.index.columns == ["date", "sp500"]
    assert sample.index.height == 8313
    assert sample.index.get_column("date").equals(
        sample.stocks.filter(pl.col("ticker") == "AAPL").get_column("date")
    )
    raw = pl.read_csv(
        importlib.resources.files("polars_alpha") / "data" / "us_treasury_3month_yield.csv",
        try_parse_dates=True,
    )
    assert sample.risk_free.columns == ["date", "rf"]
    assert sample.risk_free.height == raw.height
    expected = [(1 + y) ** (1 / 252) - 1 for y in raw.get_column("yield_3m")]
    np.testing.assert_allclose(sample.risk_free.get_column("rf").to_numpy(), expected, rtol=1e-12)
    assert sample.risk_free.get_column("date").max() == dt.date(2017, 3, 29)


def test_returns_view(sample: pa.datasets.SP500Sample) -> None:
    returns = sample.returns()
    assert returns.columns == ["date", "ticker", "close", "ret", "market", "rf"]
    jpm = returns.filter(pl.col("ticker") == "JPM")
    close = jpm.get_column("close").to_numpy()
    np.testing.assert_allclose(jpm.get_column("ret").to_numpy()[1:], close[1:] / close[:-1] - 1)
    assert jpm.get_column("ret")[0] is None
    level = sample.index.get_column("sp500").to_numpy()
    np.testing.assert_allclose(jpm.get_column("market").to_numpy()[1:], level[1:] / level[:-1] - 1)
    # After the last Treasury quote (2017-03-29) the rate is null.
    assert jpm.filter(pl.col("date") > dt.date(2017, 3, 29)).get_column("rf").null_count() > 0
    assert jpm.filter(pl.col("date") == dt.date(2016, 1, 4)).get_column("rf").item() > 0


def test_returns_fill_the_risk_free_rate_over_bank_holidays(
    sample: pa.datasets.SP500Sample,
) -> None:
    # Issue 23, item 5: the Treasury file misses bank holidays on which stocks trade, so every
    # 252-row window with the joined rate had a gap and this beta was null from 2000 to 2017.
    returns = sample.returns()
    quoted = returns.filter(pl.col("date") <= dt.date(2017, 3, 29))
    assert quoted.get_column("rf").null_count() == 0
    beta = returns.with_columns(
        beta=pa.rolling_beta("ret", "market", window=252, risk_free="rf", by="ticker")
    ).filter(pl.col("date").is_between(dt.date(2000, 1, 1), dt.date(2017, 3, 29)))
    assert beta.get_column("beta").null_count() == 0
    # A holiday's rate is the last earlier quote (oracle: the published file, by hand).
    rates = dict(sample.risk_free.iter_rows())
    days = sorted(rates)
    holidays = [d for d in quoted.get_column("date").unique().sort() if d not in rates]
    assert dt.date(2016, 11, 11) in holidays  # Veterans Day: stocks trade, no quote
    for day in holidays:
        earlier = max(d for d in days if d < day)
        got = quoted.filter(pl.col("date") == day).get_column("rf")
        assert got.to_list() == [rates[earlier]] * 20
    # Dates with a quote keep it; after the last quote the rate stays missing.
    on_quotes = quoted.filter(pl.col("ticker") == "KO", ~pl.col("date").is_in(holidays))
    assert on_quotes.get_column("rf").to_list() == [rates[d] for d in on_quotes.get_column("date")]
    assert returns.filter(pl.col("date") > dt.date(2017, 3, 29)).get_column("rf").null_count() > 0


def test_wide_view_round_trips(sample: pa.datasets.SP500Sample) -> None:
    wide = sample.wide()
    assert wide.columns == ["date", *SP500_SAMPLE_TICKERS]
    back = wide.unpivot(index="date", variable_name="ticker", value_name="close").sort(
        "ticker", "date"
    )
    assert_frame_equal(back, sample.stocks)


def test_synthetic_market_is_deterministic_per_seed() -> None:
    a = synthetic_market(5, 50, seed=3)
    b = synthetic_market(5, 50, seed=3)
    c = synthetic_market(5, 50, seed=4)
    assert_frame_equal(a.stocks, b.stocks)
    assert_frame_equal(a.truth, b.truth)
    assert not a.stocks.equals(c.stocks)


def test_synthetic_market_shape_and_calendar() -> None:
    market = synthetic_market(4, 30, seed=1, start=dt.date(2024, 3, 1))
    assert market.stocks.shape == (120, 3)
    assert market.index.columns == ["date", "market"]
    assert market.risk_free.columns == ["date", "rf"]
    dates = market.index.get_column("date")
    assert dates[0] == dt.date(2024, 3, 1)
    assert dates.len() == 30
    assert dates.is_sorted()
    assert dates.dt.weekday().max() <= 5
    assert (
        market.stocks.filter(pl.col("date") == dates[0]).get_column("close").to_list()
        == [100.0] * 4
    )


def test_synthetic_market_has_the_true_coefficients() -> None:
    # OLS on the full sample recovers each generated alpha and beta within 4 standard errors.
    market = synthetic_market(12, 2000, seed=11)
    level = market.index.get_column("market").to_numpy()
    rf = market.risk_free.get_column("rf").to_numpy()[1:]
    x = level[1:] / level[:-1] - 1 - rf
    design = np.column_stack([np.ones_like(x), x])
    for row in market.truth.iter_rows(named=True):
        close = market.stocks.filter(pl.col("ticker") == row["ticker"]).get_column("close")
        p = close.to_numpy()
        y = p[1:] / p[:-1] - 1 - rf
        coef, ssr, *_ = np.linalg.lstsq(design, y, rcond=None)
        sigma2 = ssr[0] / (len(y) - 2)
        se = np.sqrt(sigma2 * np.diag(np.linalg.inv(design.T @ design)))
        assert abs(coef[0] - row["alpha"]) < 4 * se[0]
        assert abs(coef[1] - row["beta"]) < 4 * se[1]
        assert math.isclose(math.sqrt(sigma2), row["resid_std"], rel_tol=0.1)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [({"n_tickers": 0}, "n_tickers"), ({"n_days": -1}, "n_days"), ({"n_days": 2.5}, "n_days")],
)
def test_synthetic_market_rejects_bad_sizes(kwargs: dict[str, object], argument: str) -> None:
    with pytest.raises(ValueError, match=argument):
        synthetic_market(**kwargs)  # type: ignore[arg-type]
