"""Shared fixtures: a seeded synthetic panel with known alpha/beta, and a real-data panel."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import polars_alpha

#: The real sample bundled in the package (python/polars_alpha/data).
DATA = Path(polars_alpha.__file__).resolve().parent / "data"

#: Tickers and the period of the real-data panel: three sectors, three years, ending after the
#: last treasury quote (2017-03-29) so the tail of the window has no risk-free rate at all.
REAL_TICKERS: tuple[str, ...] = ("AAPL", "JPM", "XOM")
REAL_START = dt.date(2014, 7, 1)
REAL_END = dt.date(2017, 6, 30)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "slow: a long-input check (seconds, e.g. 10 M rows); part of the normal run, "
        "deselect with -m 'not slow'",
    )


@dataclass(frozen=True)
class SyntheticPanel:
    """A long frame (date, ticker, ret, mkt, rf) and the true coefficients behind it."""

    frame: pl.DataFrame
    alphas: dict[str, float]
    betas: dict[str, float]
    noise: float


def make_synthetic_panel(
    seed: int,
    n_dates: int = 300,
    tickers: Sequence[str] = ("AAA", "BBB", "CCC", "DDD"),
    *,
    noise: float = 0.01,
    market_scale: float = 0.01,
) -> SyntheticPanel:
    """Returns ``ret = rf + alpha + beta * (mkt - rf) + noise`` for each ticker.

    Every ticker shares the market and risk-free series of the same dates. Rows are sorted by
    ticker, then date. Return scale is about 1% a period.
    """
    rng = np.random.default_rng(seed)
    mkt = rng.normal(0.0004, market_scale, n_dates)
    rf = 1e-4 + rng.uniform(0.0, 2e-5, n_dates)
    dates = pl.date_range(
        dt.date(2020, 1, 1), dt.date(2020, 1, 1) + dt.timedelta(days=n_dates - 1), eager=True
    )
    alphas: dict[str, float] = {}
    betas: dict[str, float] = {}
    parts: list[pl.DataFrame] = []
    for ticker in tickers:
        alpha = float(rng.uniform(-5e-4, 5e-4))
        beta = float(rng.uniform(0.5, 1.5))
        ret = rf + alpha + beta * (mkt - rf) + rng.normal(0.0, noise, n_dates)
        alphas[ticker] = alpha
        betas[ticker] = beta
        parts.append(
            pl.DataFrame(
                {
                    "date": dates,
                    "ticker": [ticker] * n_dates,
                    "ret": ret,
                    "mkt": mkt,
                    "rf": rf,
                }
            )
        )
    frame = pl.concat(parts) if parts else pl.DataFrame()
    return SyntheticPanel(frame=frame, alphas=alphas, betas=betas, noise=noise)


@pytest.fixture
def panel_factory() -> Callable[..., SyntheticPanel]:
    """The synthetic panel generator, for tests that need their own seed or shape."""
    return make_synthetic_panel


@pytest.fixture(scope="session")
def synthetic_panel() -> SyntheticPanel:
    """Four tickers, 300 dates, seed 20240601."""
    return make_synthetic_panel(20240601)


def load_real_panel(
    tickers: Sequence[str] = REAL_TICKERS,
    start: dt.date = REAL_START,
    end: dt.date = REAL_END,
) -> pl.DataFrame:
    """Long frame (date, ticker, ret, mkt, rf) of daily simple returns from the bundled prices.

    ``rf`` comes from a LEFT join of the treasury yields on the date, so dates without a quote
    have a null ``rf``. Returns are computed inside the period, so each ticker's first row has
    null ``ret`` and ``mkt``.
    """
    stocks = pl.read_csv(DATA / "sp500_stocks_prices.csv.gz", try_parse_dates=True)
    index = pl.read_csv(DATA / "sp500_index_prices.csv.gz", try_parse_dates=True)
    treasury = pl.read_csv(DATA / "us_treasury_3month_yield.csv", try_parse_dates=True)
    in_period = pl.col("Date").is_between(start, end)
    market = (
        index.filter(in_period)
        .sort("Date")
        .select(date=pl.col("Date"), mkt=pl.col("SP500").pct_change())
    )
    rf = treasury.select(
        date=pl.col("Date").cast(pl.Date), rf=(1 + pl.col("yield_3m")) ** (1 / 252) - 1
    )
    return (
        stocks.filter(in_period)
        .select("Date", *tickers)
        .unpivot(index="Date", variable_name="ticker", value_name="close")
        .rename({"Date": "date"})
        .sort("ticker", "date")
        .with_columns(ret=pl.col("close").pct_change().over("ticker"))
        .join(market, on="date", how="left")
        .join(rf, on="date", how="left")
        .select("date", "ticker", "ret", "mkt", "rf")
        .sort("ticker", "date")
    )


@pytest.fixture(scope="session")
def real_panel() -> pl.DataFrame:
    """AAPL, JPM and XOM against the S&P 500, mid-2014 to mid-2017, rf with join nulls."""
    return load_real_panel()


def load_real_prices(
    tickers: Sequence[str] = REAL_TICKERS,
    start: dt.date = REAL_START,
    end: dt.date = REAL_END,
) -> pl.DataFrame:
    """Long frame (date, ticker, close, index) of the bundled daily prices, sorted by ticker
    then date; ``index`` is the S&P 500 level on the same date."""
    stocks = pl.read_csv(DATA / "sp500_stocks_prices.csv.gz", try_parse_dates=True)
    index = pl.read_csv(DATA / "sp500_index_prices.csv.gz", try_parse_dates=True)
    in_period = pl.col("Date").is_between(start, end)
    return (
        stocks.filter(in_period)
        .select("Date", *tickers)
        .unpivot(index="Date", variable_name="ticker", value_name="close")
        .join(index.select("Date", index=pl.col("SP500")), on="Date", how="left")
        .rename({"Date": "date"})
        .select("date", "ticker", "close", "index")
        .sort("ticker", "date")
    )


@pytest.fixture(scope="session")
def real_prices() -> pl.DataFrame:
    """Daily closes of AAPL, JPM and XOM and the S&P 500 level, mid-2014 to mid-2017."""
    return load_real_prices()
