"""Contenders for the rolling strategy measures on the benchmark workload (``workload.py``):
polars-alpha with ``by=``, the fastest Polars composition (one ``.over`` around the whole
expression) and empyrical-reloaded's ``roll_*`` functions ticker by ticker.

Each contender is ``(df, window) -> pl.DataFrame`` (or an array for empyrical) with only its
outputs; ``df`` has ``ticker, date, ret, mkt`` sorted by (ticker, date), without missing values.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

import polars_alpha as pa

PERIODS = 252.0


def ours_sharpe(df: pl.DataFrame, window: int) -> pl.DataFrame:
    return df.select(sharpe=pa.rolling_sharpe_ratio("ret", window=window, by="ticker"))


def polars_sharpe(df: pl.DataFrame, window: int) -> pl.DataFrame:
    r = pl.col("ret")
    sharpe = r.rolling_mean(window) / r.rolling_std(window) * math.sqrt(PERIODS)
    return df.select(sharpe=sharpe.over("ticker"))


def ours_up_down_capture(df: pl.DataFrame, window: int) -> pl.DataFrame:
    return df.select(
        up=pa.rolling_up_capture("ret", "mkt", window=window, by="ticker"),
        down=pa.rolling_down_capture("ret", "mkt", window=window, by="ticker"),
    )


def _polars_capture(up: bool, window: int) -> pl.Expr:
    side = pl.col("mkt") > 0 if up else pl.col("mkt") < 0
    rows = side.cast(pl.Float64).rolling_sum(window)

    def annual(column: str) -> pl.Expr:
        logs = pl.when(side).then(pl.col(column).log1p()).otherwise(0.0).rolling_sum(window)
        return (logs * PERIODS / rows).exp() - 1.0

    return pl.when(rows > 0).then(annual("ret") / annual("mkt"))


def polars_up_down_capture(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """Up and down capture from rolling sums of ``log1p`` on the up (down) rows, each in one
    ``.over``."""
    return df.select(
        up=_polars_capture(True, window).over("ticker"),
        down=_polars_capture(False, window).over("ticker"),
    )


def ticker_arrays(df: pl.DataFrame, tickers: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The first ``tickers`` tickers' ``ret`` and ``mkt`` as NumPy arrays."""
    first = df.get_column("ticker").unique(maintain_order=True).head(tickers)
    part = df.filter(pl.col("ticker").is_in(first.implode()))
    return [
        (g.get_column("ret").to_numpy(), g.get_column("mkt").to_numpy())
        for _, g in part.group_by("ticker", maintain_order=True)
    ]


def empyrical_sharpe(arrays: list[tuple[np.ndarray, np.ndarray]], window: int) -> np.ndarray:
    import empyrical

    return np.concatenate(
        [np.asarray(empyrical.roll_sharpe_ratio(r, window=window)) for r, _ in arrays]
    )


def empyrical_up_down_capture(
    arrays: list[tuple[np.ndarray, np.ndarray]], window: int
) -> np.ndarray:
    import empyrical

    up = [np.asarray(empyrical.roll_up_capture(r, m, window=window)) for r, m in arrays]
    down = [np.asarray(empyrical.roll_down_capture(r, m, window=window)) for r, m in arrays]
    return np.stack([np.concatenate(up), np.concatenate(down)])
