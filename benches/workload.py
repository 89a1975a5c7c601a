"""The benchmark workload and the contenders, shared by the pytest-benchmark suite and
``compare_peers.py``.

The workload is the one of ``DESIGN.md`` ("Performance workload"): a long frame sorted by
(ticker, date) with columns ``ticker, date, ret, mkt`` -- seeded synthetic daily returns of
``tickers`` stocks over ``days`` business days and the market's return on the same days. Every
stock follows ``ret = alpha + beta * mkt + noise`` with its own alpha and beta, so the fits have
something to find. The frame has no missing values, so every rolling fit with
``min_periods = window`` is null on exactly the first ``window - 1`` rows of each ticker.

Each contender is a function ``(df, window) -> pl.DataFrame`` returning only its outputs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl

import polars_alpha as pa

DEFAULT_WINDOW = 252
EWM_HALF_LIFE = 63.0
KEY_DTYPES = ("str", "categorical", "int")


def make_workload(
    tickers: int, days: int, *, seed: int = 42, key_dtype: str = "str"
) -> pl.DataFrame:
    """Build the long frame: ``tickers * days`` rows sorted by (ticker, date)."""
    if tickers < 1 or days < 2:
        msg = f"need at least 1 ticker and 2 days, got {tickers} tickers x {days} days"
        raise ValueError(msg)
    if key_dtype not in KEY_DTYPES:
        msg = f"key_dtype must be one of {KEY_DTYPES}, got {key_dtype!r}"
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    mkt = rng.normal(0.0003, 0.01, days)
    alpha = rng.normal(0.0001, 0.0003, tickers)
    beta = rng.uniform(0.4, 1.6, tickers)
    idio = rng.uniform(0.008, 0.025, tickers)
    # Fill ``ret`` in place, one block of tickers at a time, to keep the peak low.
    ret = np.empty(tickers * days)
    block = max(1, 2_000_000 // days)
    for start in range(0, tickers, block):
        stop = min(tickers, start + block)
        noise = rng.standard_normal((stop - start, days))
        noise *= idio[start:stop, None]
        noise += alpha[start:stop, None]
        noise += beta[start:stop, None] * mkt[None, :]
        ret[start * days : stop * days] = noise.ravel()
        del noise
    dates = np.busday_offset("2010-01-01", np.arange(days), roll="forward")
    width = max(4, len(str(tickers - 1)))
    codes = pl.Series("ticker", np.repeat(np.arange(tickers, dtype=np.uint32), days))
    if key_dtype == "int":
        key = codes
    else:
        names = pl.Series("ticker", [f"T{i:0{width}d}" for i in range(tickers)])
        key = names.gather(codes)
        if key_dtype == "categorical":
            key = key.cast(pl.Categorical)
    return pl.DataFrame(
        {
            "ticker": key,
            "date": pl.Series("date", np.tile(dates, tickers)).cast(pl.Date),
            "ret": ret,
            "mkt": np.tile(mkt, tickers),
        }
    )


# ---------------------------------------------------------------------------------------------
# ours (polars-alpha)


def ours_full(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """``rolling_alpha_beta(by=)``: the full struct."""
    return df.select(pa.rolling_alpha_beta("ret", "mkt", window=window, by="ticker").alias("fit"))


def ours_beta_alpha(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """``rolling_alpha_beta(fields=["alpha", "beta"], by=)``: one pass, beta and alpha only."""
    fit = pa.rolling_alpha_beta("ret", "mkt", window=window, by="ticker", fields=["alpha", "beta"])
    return df.select(fit.alias("fit")).unnest("fit")


def ours_two_calls_beta_alpha(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """``rolling_beta(by=)`` and ``rolling_alpha(by=)``: two passes."""
    return df.select(
        pa.rolling_beta("ret", "mkt", window=window, by="ticker").alias("beta"),
        pa.rolling_alpha("ret", "mkt", window=window, by="ticker").alias("alpha"),
    )


def ours_over_beta_alpha(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """``rolling_alpha_beta(fields=["alpha", "beta"]).over("ticker")``."""
    fit = pa.rolling_alpha_beta("ret", "mkt", window=window, fields=["alpha", "beta"])
    return df.select(fit.over("ticker").alias("fit")).unnest("fit")


def ours_over_full(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """``rolling_alpha_beta(...).over("ticker")``: the full struct through ``.over``."""
    return df.select(pa.rolling_alpha_beta("ret", "mkt", window=window).over("ticker").alias("fit"))


def ours_ewm(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """``ewm_alpha_beta(by=)``: half-life 63 over the trailing ``window`` rows (USE4)."""
    fit = pa.ewm_alpha_beta("ret", "mkt", half_life=EWM_HALF_LIFE, window=window, by="ticker")
    return df.select(fit.alias("fit"))


def ours_ewm_all_history(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """``ewm_alpha_beta(by=, window=None)``: all history, like Polars' ``ewm_mean``."""
    del window
    fit = pa.ewm_alpha_beta("ret", "mkt", half_life=EWM_HALF_LIFE, window=None, by="ticker")
    return df.select(fit.alias("fit"))


def ours_weighted_alpha(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """``weighted_alpha(by=)`` on the simple returns (``returns=True``)."""
    return df.select(pa.weighted_alpha("ret", window=window, by="ticker", returns=True).alias("wa"))


# ---------------------------------------------------------------------------------------------
# Polars peers and the floor


def polars_native_beta_alpha(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """Polars ``rolling_cov / rolling_var`` with ``.over``; alpha from the rolling means."""
    beta = pl.rolling_cov("ret", "mkt", window_size=window).over("ticker") / pl.col(
        "mkt"
    ).rolling_var(window).over("ticker")
    alpha = pl.col("ret").rolling_mean(window).over("ticker") - beta * pl.col("mkt").rolling_mean(
        window
    ).over("ticker")
    return df.select(beta.alias("beta"), alpha.alias("alpha"))


def polars_ewm_composition(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """Exponentially weighted beta and alpha from four ``ewm_mean(half_life=63)`` with
    ``.over``. All history: ``ewm_mean`` has no trailing-window truncation."""
    del window

    def ewm(expr: pl.Expr) -> pl.Expr:
        return expr.ewm_mean(half_life=EWM_HALF_LIFE).over("ticker")

    x, y = pl.col("mkt"), pl.col("ret")
    mx, my = ewm(x), ewm(y)
    beta = (ewm(x * y) - mx * my) / (ewm(x * x) - mx * mx)
    return df.select(beta.alias("beta"), (my - beta * mx).alias("alpha"))


def weighted_alpha_weights(window: int, half_life: float | None = None) -> list[float]:
    """polars-alpha's exponential weights, normalized to sum to ``window``, in the order
    ``rolling_sum(weights=)`` applies them: the first weight to the oldest row."""
    half_life = float(window - 1) if half_life is None else half_life
    raw = [0.5 ** ((window - 1 - i) / half_life) for i in range(window)]
    total = math.fsum(raw)
    return [window * w / total for w in raw]


def polars_weighted_alpha(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """Weighted alpha from ``log1p(ret).rolling_sum(weights=...)`` with ``.over``."""
    weights = weighted_alpha_weights(window)
    score = pl.col("ret").log1p().rolling_sum(window, weights=weights).over("ticker")
    return df.select(((score.exp() - 1.0) * 100.0).alias("wa"))


def polars_floor(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """The memory-bandwidth floor: Polars' elementwise ``ret * mkt``."""
    del window
    return df.select((pl.col("ret") * pl.col("mkt")).alias("prod"))


def polars_ols_beta_alpha(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """polars-ols ``rolling_ols(..., mode="coefficients")`` with ``.over``."""
    import polars_ols  # noqa: F401  (registers the ``least_squares`` namespace)

    coef = (
        pl.col("ret")
        .least_squares.rolling_ols(
            pl.col("mkt"),
            window_size=window,
            min_periods=window,
            add_intercept=True,
            mode="coefficients",
        )
        .over("ticker")
    )
    return df.select(coef.alias("coef")).select(
        pl.col("coef").struct.field("mkt").alias("beta"),
        pl.col("coef").struct.field("const").alias("alpha"),
    )


def _polars_ds_beta_alpha(df: pl.DataFrame, window: int, half_life: float | None) -> pl.DataFrame:
    import polars_ds as pds

    fit = pds.rolling_lin_reg(
        "mkt", target="ret", window_size=window, add_bias=True, half_life=half_life
    ).over("ticker")
    coeffs = pl.col("fit").struct.field("coeffs")
    return df.select(fit.alias("fit")).select(
        coeffs.list.get(0).alias("beta"), coeffs.list.get(1).alias("alpha")
    )


def polars_ds_beta_alpha(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """polars-ds ``rolling_lin_reg(add_bias=True)`` with ``.over``."""
    return _polars_ds_beta_alpha(df, window, None)


def polars_ds_ewm(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """polars-ds ``rolling_lin_reg(half_life=63)`` with ``.over``: the same trailing-window
    exponentially weighted fit as ``ewm_alpha_beta``."""
    return _polars_ds_beta_alpha(df, window, EWM_HALF_LIFE)


# ---------------------------------------------------------------------------------------------
# pandas, statsmodels and the empyrical-style loop


def pandas_wide_inputs(df: pl.DataFrame) -> tuple[Any, Any]:
    """Pivot to a wide frame (dates x tickers) and the market Series; not part of the timing.

    The columns keep the tickers' order of appearance, so ``wide.to_numpy().T.ravel()`` has
    the long frame's row order."""
    import pandas as pd

    wide = df.pivot(on="ticker", index="date", values="ret").sort("date")
    dates = pd.DatetimeIndex(wide.get_column("date").to_numpy(), name="date")
    ret_wide = pd.DataFrame(wide.drop("date").to_numpy(), index=dates, columns=wide.columns[1:])
    first = df.get_column("ticker")[0]
    market = df.filter(pl.col("ticker") == first).sort("date").get_column("mkt").to_numpy()
    return ret_wide, pd.Series(market, index=dates, name="mkt")


def pandas_wide_beta_alpha(ret_wide: Any, market: Any, window: int) -> tuple[Any, Any]:
    """pandas wide-frame ``rolling().cov / var``; alpha from the rolling means."""
    beta = ret_wide.rolling(window).cov(market).div(market.rolling(window).var(), axis=0)
    alpha = ret_wide.rolling(window).mean() - beta.mul(market.rolling(window).mean(), axis=0)
    return beta, alpha


def per_ticker_arrays(df: pl.DataFrame, tickers: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(ret, mkt)`` NumPy arrays of the first ``tickers`` tickers; not part of the timing."""
    keys = df.get_column("ticker").unique(maintain_order=True).head(tickers)
    head = df.filter(pl.col("ticker").is_in(keys.implode()))
    return [
        (g.get_column("ret").to_numpy(), g.get_column("mkt").to_numpy())
        for _, g in head.group_by("ticker", maintain_order=True)
    ]


def statsmodels_rolling_ols(
    arrays: list[tuple[np.ndarray, np.ndarray]], window: int
) -> list[np.ndarray]:
    """statsmodels ``RollingOLS(y, add_constant(x)).fit(params_only=True)``, one ticker at a
    time. Each result has columns ``const, beta``."""
    from statsmodels.regression.rolling import RollingOLS
    from statsmodels.tools import add_constant

    return [
        np.asarray(RollingOLS(y, add_constant(x), window=window).fit(params_only=True).params)
        for y, x in arrays
    ]


def empyrical_style_alpha_beta(y: np.ndarray, x: np.ndarray, window: int) -> np.ndarray:
    """empyrical's ``roll_alpha_beta`` approach for one ticker: a Python loop over the windows,
    each fitted with NumPy ``nanmean`` as ``empyrical.alpha_beta_aligned`` does. Returns
    ``(n, 2)``: per-period alpha (not annualized) and beta, NaN before the first full window.
    """
    out = np.full((len(y), 2), np.nan)
    for end in range(window, len(y) + 1):
        ys = y[end - window : end]
        xs = np.where(np.isnan(ys), np.nan, x[end - window : end])
        resid = xs - np.nanmean(xs)
        beta = np.nanmean(resid * ys) / np.nanmean(resid * resid)
        out[end - 1, 0] = np.nanmean(ys - beta * xs)
        out[end - 1, 1] = beta
    return out


def empyrical_style_loop(
    arrays: list[tuple[np.ndarray, np.ndarray]], window: int
) -> list[np.ndarray]:
    """``empyrical_style_alpha_beta`` one ticker at a time."""
    return [empyrical_style_alpha_beta(y, x, window) for y, x in arrays]


def beta_of(result: pl.DataFrame) -> pl.Series:
    """The beta column of a contender's result (struct field or plain column)."""
    if "fit" in result.columns:
        return result.get_column("fit").struct.field("beta")
    return result.get_column("beta")


def alpha_of(result: pl.DataFrame) -> pl.Series:
    """The alpha column of a contender's result (struct field or plain column)."""
    if "fit" in result.columns:
        return result.get_column("fit").struct.field("alpha")
    return result.get_column("alpha")
