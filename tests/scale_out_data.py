"""Inputs and expressions shared by the Dask, Spark and bucketed-sink tests, and the
single-machine result each engine must equal."""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np
import polars as pl

import polars_alpha as pa

TICKERS = ("AAPL", "AMD", "JPM", "KO", "XOM")


@functools.cache
def real_returns() -> pl.DataFrame:
    """Five real tickers over 2015-2016 (about 2,500 rows): date, ticker, close, ret, market,
    rf; the first row of the period has null returns."""
    returns = pa.datasets.load_sp500_sample().returns()
    return returns.filter(
        pl.col("ticker").is_in(TICKERS),
        pl.col("date").is_between(dt.date(2015, 1, 1), dt.date(2016, 12, 31)),
    )


def random_panel(seed: int, tickers: int = 7, days: int = 160) -> pl.DataFrame:
    """Tickers of different lengths with nulls and NaN in every input, rows shuffled."""
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(tickers):
        n = days - 9 * k
        start = dt.date(2020, 1, 1) + dt.timedelta(days=9 * k)
        market = rng.normal(0.0004, 0.01, n)
        ret = 0.0003 + rng.uniform(0.5, 1.5) * market + rng.normal(0, 0.01, n)
        frame = pl.DataFrame(
            {
                "date": pl.date_range(start, start + dt.timedelta(days=n - 1), eager=True),
                "ticker": [f"T{k:02d}"] * n,
                "close": 20 * np.cumprod(1 + ret),
                "ret": ret,
                "market": market,
                "rf": rng.uniform(0, 1e-4, n),
            }
        )
        for column in ("close", "ret", "market"):
            holes = pl.Series(rng.random(n) < 0.05)
            frame = frame.with_columns(pl.when(holes).then(None).otherwise(column).alias(column))
        nan = pl.int_range(pl.len()) == 3
        frames.append(frame.with_columns(ret=pl.when(nan).then(float("nan")).otherwise("ret")))
    panel = pl.concat(frames)
    return panel.sample(fraction=1.0, shuffle=True, seed=seed)


def expressions() -> list[pl.Expr]:
    """The full CAPM struct and one of each kind of window: rows, a date window, EW over all
    history, expanding, weighted alpha on prices, a ratio, a whole-sample fit under .over()."""
    key = {"by": "ticker", "order_by": "date"}
    return [
        pa.rolling_alpha_beta(
            "ret", "market", window=40, min_periods=30, risk_free="rf", **key
        ).alias("capm"),
        pa.rolling_beta("ret", "market", window="60d", **key).alias("beta_60d"),
        pa.ewm_alpha_beta("ret", "market", window=None, half_life=20.0, **key).alias("ewm"),
        pa.rolling_alpha("ret", "market", window=None, **key).alias("expanding_alpha"),
        pa.weighted_alpha("close", window=30, **key).alias("wa"),
        pa.rolling_information_ratio("ret", "market", window=30, min_periods=20, **key).alias("ir"),
        pa.alpha_beta("ret", "market").over("ticker").alias("whole"),
    ]


def single_machine(frame: pl.DataFrame, exprs: list[pl.Expr]) -> pl.DataFrame:
    """The same expressions on the whole frame in this process, its rows sorted by (ticker,
    date) as the engines sort them: a whole-sample fit without ``order_by`` sums its rows in
    frame order, and another order moves its last bits."""
    return frame.sort("ticker", "date", maintain_order=True).with_columns(exprs)
