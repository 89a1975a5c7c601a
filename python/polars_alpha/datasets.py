"""Datasets: the real S&P 500 sample bundled with the package, and a synthetic market.

:func:`load_sp500_sample` reads daily prices of 20 large US stocks, the S&P 500 index and the
3-month Treasury yield (1990-2022) shipped in ``polars_alpha/data`` with their licenses.
:func:`synthetic_market` generates a market of any size whose true alphas and betas are known.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
from dataclasses import dataclass

import numpy as np
import polars as pl

from polars_alpha import _validate

__all__ = [
    "SP500_SAMPLE_TICKERS",
    "SP500Sample",
    "SyntheticMarket",
    "SyntheticSignal",
    "load_sp500_sample",
    "synthetic_market",
    "synthetic_signal",
]

#: The 20 stocks of the bundled sample, in alphabetical order.
SP500_SAMPLE_TICKERS: tuple[str, ...] = (
    "AAPL",
    "AMD",
    "BAC",
    "BBY",
    "CVX",
    "GE",
    "HD",
    "JNJ",
    "JPM",
    "KO",
    "LLY",
    "MRK",
    "MSFT",
    "PEP",
    "PFE",
    "PG",
    "RRC",
    "UNH",
    "WMT",
    "XOM",
)


@dataclass(frozen=True)
class SP500Sample:
    """The bundled real sample, as returned by :func:`load_sp500_sample`.

    Attributes
    ----------
    stocks
        Long frame ``date`` (Date), ``ticker`` (String), ``close`` (Float64): the daily
        dividend-adjusted close of 20 large US stocks, sorted by ticker then date.
    index
        ``date``, ``sp500``: the daily S&P 500 price index level on the same dates.
    risk_free
        ``date``, ``rf``: the daily risk-free rate ``(1 + yield_3m) ** (1/252) - 1`` from the
        3-month Treasury yield, as published: it has fewer dates than the prices (no quote on
        some bank holidays, none after 2017-03-29). ``returns()`` fills the holidays.
    """

    stocks: pl.DataFrame
    index: pl.DataFrame
    risk_free: pl.DataFrame

    def returns(self) -> pl.DataFrame:
        """Long frame of daily simple returns with the market and the risk-free rate.

        Returns
        -------
        pl.DataFrame
            ``date, ticker, close, ret, market, rf`` sorted by ticker then date: ``ret`` is
            the stock's return from its previous close (null on its first row), ``market``
            the S&P 500's return on the same date and ``rf`` the daily risk-free rate (null
            after 2017-03-29, the last Treasury quote).

        Notes
        -----
        The Treasury yield has no quote on a few bank holidays on which stocks trade; on
        those dates ``rf`` is the last earlier quote (forward-filled), as
        :func:`~polars_alpha.screen` does, so a 252-row window of ``rf`` is never broken by a
        holiday. ``risk_free`` itself keeps the quotes as published.
        """
        market = self.index.sort("date").select("date", market=pl.col("sp500").pct_change())
        quotes = self.risk_free.drop_nulls().sort("date")
        last_quote = quotes.get_column("date").max()
        return (
            self.stocks.sort("date")
            .join_asof(quotes, on="date", strategy="backward")
            .with_columns(rf=pl.when(pl.col("date") <= last_quote).then(pl.col("rf")))
            .sort("ticker", "date")
            .with_columns(ret=pl.col("close").pct_change().over("ticker"))
            .join(market, on="date", how="left", maintain_order="left")
            .select("date", "ticker", "close", "ret", "market", "rf")
        )

    def wide(self) -> pl.DataFrame:
        """The stocks as a wide frame: ``date`` and one close column per ticker.

        Returns
        -------
        pl.DataFrame
            ``date`` then the 20 tickers in alphabetical order, one row per date.
        """
        return self.stocks.pivot("ticker", index="date", values="close", sort_columns=True).sort(
            "date"
        )


def _read(name: str) -> pl.DataFrame:
    resource = importlib.resources.files("polars_alpha") / "data" / name
    with importlib.resources.as_file(resource) as path:
        return pl.read_csv(path, try_parse_dates=True)


def load_sp500_sample() -> SP500Sample:
    """Load the bundled real sample: 20 US stocks, the S&P 500 and the risk-free rate.

    Daily prices from 1990-01-02 to 2022-12-28 (8313 trading days, no gaps) of AAPL AMD
    BAC BBY CVX GE HD JNJ JPM KO LLY MRK MSFT PEP PFE PG RRC UNH WMT XOM, the S&P 500 price
    index, and the 3-month US Treasury yield to 2017-03-29 as a daily rate.

    Returns
    -------
    SP500Sample
        A frozen dataclass with ``stocks`` (long: ``date, ticker, close``), ``index``
        (``date, sp500``) and ``risk_free`` (``date, rf``), plus the ``returns()`` and
        ``wide()`` views.

    Notes
    -----
    Sources: stock and index prices from skfolio's bundled datasets (BSD-3-Clause), the
    yields from zipline-reloaded's bundled treasury curves (Apache-2.0; the yields are US
    Treasury public data). The license texts and a README with the data's quirks are in
    ``polars_alpha/data``. Quirks worth knowing: prices are rounded to 3 decimals (early
    low-priced series have coarse, often zero, returns); RRC's early prices are stale; the
    index is a price index while the stocks are dividend-adjusted; the risk-free rate is
    missing on a few bank holidays and after 2017-03-29, where a join leaves nulls
    (``returns()`` and :func:`~polars_alpha.screen` fill the holidays with the last earlier
    quote).

    The daily rate is ``rf = (1 + yield_3m) ** (1/252) - 1``.

    Examples
    --------
    >>> import polars_alpha as pa
    >>> sample = pa.datasets.load_sp500_sample()
    >>> sample.stocks.shape, sample.stocks.columns
    ((166260, 3), ['date', 'ticker', 'close'])
    >>> sample.index.columns, sample.risk_free.columns
    (['date', 'sp500'], ['date', 'rf'])
    >>> sample.stocks.get_column("date").max()
    datetime.date(2022, 12, 28)
    """
    wide = _read("sp500_stocks_prices.csv.gz").rename({"Date": "date"})
    stocks = (
        wide.unpivot(index="date", variable_name="ticker", value_name="close")
        .with_columns(pl.col("close").cast(pl.Float64))
        .sort("ticker", "date")
    )
    index = (
        _read("sp500_index_prices.csv.gz")
        .select(date=pl.col("Date"), sp500=pl.col("SP500").cast(pl.Float64))
        .sort("date")
    )
    risk_free = (
        _read("us_treasury_3month_yield.csv")
        .select(
            date=pl.col("Date").cast(pl.Date),
            rf=(1.0 + pl.col("yield_3m")) ** (1.0 / 252.0) - 1.0,
        )
        .sort("date")
    )
    return SP500Sample(stocks=stocks, index=index, risk_free=risk_free)


@dataclass(frozen=True)
class SyntheticMarket:
    """A generated market with known coefficients, as returned by :func:`synthetic_market`.

    Attributes
    ----------
    stocks
        Long frame ``date, ticker, close`` sorted by ticker then date.
    index
        ``date, market``: the market index level.
    risk_free
        ``date, rf``: the per-period risk-free rate.
    truth
        ``ticker, alpha, beta, resid_std``: the per-period Jensen's alpha, the beta and the
        residual volatility each stock's returns were generated with.
    """

    stocks: pl.DataFrame
    index: pl.DataFrame
    risk_free: pl.DataFrame
    truth: pl.DataFrame


def synthetic_market(
    n_tickers: int = 100,
    n_days: int = 756,
    seed: int = 0,
    *,
    start: dt.date = dt.date(2020, 1, 1),
) -> SyntheticMarket:
    """Generate a market whose stocks have known alphas and betas.

    Each stock's daily return is ``rf + alpha + beta * (market - rf) + e`` with ``e`` normal,
    and its price starts at 100. Use it to check a screen recovers the truth, or to try the
    library at any scale (5,000 tickers by 2,520 days is 12.6 million rows).

    Parameters
    ----------
    n_tickers
        Number of stocks, named ``T0000``, ``T0001``, ...
    n_days
        Number of trading days (weekdays from ``start``); prices have one row per day.
    seed
        Seed of NumPy's ``default_rng``: the same seed gives the same market.
    start
        The first date; weekends are skipped.

    Returns
    -------
    SyntheticMarket
        ``stocks`` (long ``date, ticker, close``), ``index`` (``date, market``),
        ``risk_free`` (``date, rf``) and ``truth`` (``ticker, alpha, beta, resid_std``).

    Notes
    -----
    Market returns are normal with mean 4 bp and volatility 1% a day; the risk-free rate is
    1 bp a day plus a small drift; alphas are uniform in +-4 bp a day (about +-10% a year),
    betas uniform in [0.5, 1.8] and residual volatilities uniform in [0.8%, 2.5%] a day.
    The first day's prices are the starting levels, so there are ``n_days - 1`` returns.

    Examples
    --------
    >>> import polars_alpha as pa
    >>> market = pa.datasets.synthetic_market(n_tickers=3, n_days=5, seed=1)
    >>> market.stocks.shape, market.truth.columns
    ((15, 3), ['ticker', 'alpha', 'beta', 'resid_std'])
    >>> market.stocks.get_column("ticker").unique().sort().to_list()
    ['T0000', 'T0001', 'T0002']
    """
    n_tickers = _validate.positive_int(n_tickers, "n_tickers")
    n_days = _validate.positive_int(n_days, "n_days")
    rng = np.random.default_rng(seed)
    # Enough calendar days to hold n_days weekdays.
    calendar = pl.date_range(start, start + dt.timedelta(days=n_days * 7 // 5 + 7), eager=True)
    dates = calendar.filter(calendar.dt.weekday() <= 5).head(n_days)

    market_ret = rng.normal(0.0004, 0.01, n_days)
    rf = 1e-4 + np.cumsum(rng.normal(0.0, 1e-7, n_days))
    alpha = rng.uniform(-4e-4, 4e-4, n_tickers)
    beta = rng.uniform(0.5, 1.8, n_tickers)
    resid_std = rng.uniform(0.008, 0.025, n_tickers)
    noise = rng.standard_normal((n_days, n_tickers)) * resid_std
    ret = rf[:, None] + alpha + beta * (market_ret - rf)[:, None] + noise
    # Day 0 carries the starting level; returns apply from day 1.
    ret[0, :] = 0.0
    market_ret[0] = 0.0
    close = 100.0 * np.cumprod(1.0 + ret, axis=0)
    level = 1000.0 * np.cumprod(1.0 + market_ret)

    tickers = [f"T{i:04d}" for i in range(n_tickers)]
    stocks = pl.DataFrame(
        {
            "date": dates.gather(np.tile(np.arange(n_days), n_tickers)),
            "ticker": pl.Series(tickers).gather(np.repeat(np.arange(n_tickers), n_days)),
            "close": np.ravel(close, order="F"),
        }
    )
    return SyntheticMarket(
        stocks=stocks,
        index=pl.DataFrame({"date": dates, "market": level}),
        risk_free=pl.DataFrame({"date": dates, "rf": rf}),
        truth=pl.DataFrame(
            {"ticker": tickers, "alpha": alpha, "beta": beta, "resid_std": resid_std}
        ),
    )


@dataclass(frozen=True)
class SyntheticSignal:
    """A generated market with a planted signal, as returned by :func:`synthetic_signal`.

    Attributes
    ----------
    frame
        Long frame ``date, ticker, close, signal`` sorted by ticker then date.
    correlation
        ``rho``, the correlation of each day's signal with the next day's idiosyncratic return.
    expected_ic
        The expected Spearman information coefficient of a date at horizon 1 for this many
        names: ``6 / (pi (n + 1)) * (asin(rho) + (n - 2) asin(rho / 2))`` (Moran's formula
        for normal pairs).
    """

    frame: pl.DataFrame
    correlation: float
    expected_ic: float


def synthetic_signal(
    n_tickers: int = 500,
    n_days: int = 504,
    ic: float = 0.05,
    seed: int = 0,
    *,
    persistence: float = 0.0,
    start: dt.date = dt.date(2020, 1, 1),
) -> SyntheticSignal:
    """Generate prices and a signal that predicts the next day's return with a known strength.

    Parameters
    ----------
    n_tickers
        Number of stocks, named ``T0000``, ``T0001``, ...
    n_days
        Number of trading days (weekdays from ``start``).
    ic
        The signal's rank information coefficient at horizon 1 for a large cross-section,
        in ``(-1, 1)``.
    seed
        Seed of NumPy's ``default_rng``.
    persistence
        The signal's autocorrelation from one day to the next, in ``[0, 1)``: 0 gives a new
        signal every day, 0.9 a slowly turning one (then longer horizons predict too).
    start
        The first date; weekends are skipped.

    Returns
    -------
    SyntheticSignal
        The frame, the planted correlation and the expected IC.

    Notes
    -----
    Each stock's signal ``s`` is a standard normal AR(1) with coefficient ``persistence``.
    Its return from day ``t`` to ``t + 1`` is ``m + 0.02 (rho s_t + sqrt(1 - rho^2) z)``
    with ``m`` a market return common to all stocks (it moves no rank) and ``z`` standard
    normal, where ``rho = 2 sin(pi ic / 6)``: the Pearson correlation whose Spearman
    correlation is ``ic`` for normal pairs. Prices start at 100.

    Examples
    --------
    >>> import polars_alpha as pa
    >>> m = pa.datasets.synthetic_signal(n_tickers=3, n_days=4, ic=0.1, seed=1)
    >>> m.frame.columns, m.frame.height
    (['date', 'ticker', 'close', 'signal'], 12)
    >>> round(m.correlation, 4)
    0.1047
    """
    n_tickers = _validate.positive_int(n_tickers, "n_tickers")
    n_days = _validate.positive_int(n_days, "n_days")
    if isinstance(ic, bool) or not isinstance(ic, (int, float)) or not -1.0 < ic < 1.0:
        msg = f"`ic` must be a number strictly between -1 and 1, got {ic!r}"
        raise ValueError(msg)
    if (
        isinstance(persistence, bool)
        or not isinstance(persistence, (int, float))
        or not 0.0 <= persistence < 1.0
    ):
        msg = f"`persistence` must be a number in [0, 1), got {persistence!r}"
        raise ValueError(msg)
    rho = 2.0 * np.sin(np.pi * float(ic) / 6.0)
    rng = np.random.default_rng(seed)
    calendar = pl.date_range(start, start + dt.timedelta(days=n_days * 7 // 5 + 7), eager=True)
    dates = calendar.filter(calendar.dt.weekday() <= 5).head(n_days)

    innovations = rng.standard_normal((n_days, n_tickers))
    signal = np.empty((n_days, n_tickers))
    signal[0] = innovations[0]
    scale = np.sqrt(1.0 - persistence**2)
    for t in range(1, n_days):
        signal[t] = persistence * signal[t - 1] + scale * innovations[t]
    market = rng.normal(0.0004, 0.01, n_days)
    z = rng.standard_normal((n_days, n_tickers))
    ret = np.zeros((n_days, n_tickers))
    ret[1:] = market[1:, None] + 0.02 * (rho * signal[:-1] + np.sqrt(1.0 - rho**2) * z[1:])
    close = 100.0 * np.cumprod(1.0 + ret, axis=0)

    tickers = [f"T{i:04d}" for i in range(n_tickers)]
    frame = pl.DataFrame(
        {
            "date": dates.gather(np.tile(np.arange(n_days), n_tickers)),
            "ticker": pl.Series(tickers).gather(np.repeat(np.arange(n_tickers), n_days)),
            "close": np.ravel(close, order="F"),
            "signal": np.ravel(signal, order="F"),
        }
    )
    n = n_tickers
    expected = 6.0 / (np.pi * (n + 1)) * (np.arcsin(rho) + (n - 2) * np.arcsin(rho / 2.0))
    return SyntheticSignal(frame=frame, correlation=float(rho), expected_ic=float(expected))
