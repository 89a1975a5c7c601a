"""The signal report's workload: the long frame of ``workload.make_workload`` (sorted by ticker,
then date) with each ticker's price (100 compounded by its returns) and a signal, the 60-day
return ``close / close.shift(60) - 1`` (null on each ticker's first 60 rows)."""

from __future__ import annotations

import polars as pl
import workload as wl

HORIZONS = (1, 5, 21, 63)
QUANTILES = 5


def make_signal_workload(tickers: int, days: int, *, seed: int = 42) -> pl.DataFrame:
    """``ticker, date, close, signal``: ``tickers * days`` rows sorted by (ticker, date)."""
    frame = wl.make_workload(tickers, days, seed=seed)
    return frame.select(
        "ticker",
        "date",
        close=(100.0 * (1.0 + pl.col("ret")).cum_prod()).over("ticker"),
    ).with_columns(signal=(pl.col("close") / pl.col("close").shift(60) - 1.0).over("ticker"))
