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
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

import polars_alpha as pa

if TYPE_CHECKING:
    from polars_alpha.datasets import SyntheticMarket

DEFAULT_WINDOW = 252
EWM_HALF_LIFE = 63.0
#: The date window: the trailing calendar year, fitted from 200 rows on.
DATE_WINDOW = "1y"
DATE_MIN_PERIODS = 200
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
    """``rolling_alpha_beta(fields=["alpha", "beta"]).over("ticker")``, which runs as ``by=``."""
    fit = pa.rolling_alpha_beta("ret", "mkt", window=window, fields=["alpha", "beta"])
    return df.select(fit.over("ticker").alias("fit")).unnest("fit")


def ours_per_group_over_beta_alpha(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """``rolling_alpha_beta(fields=["alpha", "beta"]).alias("fit").over("ticker")``: after
    ``.alias`` the ``.over`` is Polars' own, which calls the plugin once per group."""
    fit = pa.rolling_alpha_beta("ret", "mkt", window=window, fields=["alpha", "beta"])
    return df.select(fit.alias("fit").over("ticker")).unnest("fit")


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


def ours_ewm_beta_alpha(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """``ewm_alpha_beta(fields=["alpha", "beta"], by=)`` over the trailing ``window`` rows."""
    fit = pa.ewm_alpha_beta(
        "ret", "mkt", half_life=EWM_HALF_LIFE, window=window, by="ticker", fields=["alpha", "beta"]
    )
    return df.select(fit.alias("fit")).unnest("fit")


def ours_ewm_all_history_beta_alpha(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """``ewm_alpha_beta(fields=["alpha", "beta"], by=, window=None)``: all history."""
    del window
    fit = pa.ewm_alpha_beta(
        "ret", "mkt", half_life=EWM_HALF_LIFE, window=None, by="ticker", fields=["alpha", "beta"]
    )
    return df.select(fit.alias("fit")).unnest("fit")


def ours_weighted_alpha(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """``weighted_alpha(by=)`` on the simple returns (``returns=True``)."""
    return df.select(pa.weighted_alpha("ret", window=window, by="ticker", returns=True).alias("wa"))


# ---------------------------------------------------------------------------------------------
# Polars peers: what a skilled Polars user writes. The rolling moments per ticker under one
# ``.over("ticker")`` (in one struct), or in ``group_by().agg()`` exploded back to rows, then
# the fit's arithmetic on the moments' columns, which needs no window. The form with the whole
# expression under one ``.over`` is timed too for beta and alpha.


def _over(df: pl.DataFrame, columns: dict[str, pl.Expr]) -> pl.DataFrame:
    """``columns`` in one struct under one ``.over("ticker")``."""
    return df.select(pl.struct(**columns).over("ticker").alias("out")).unnest("out")  # type: ignore[call-overload]


def _group_by(df: pl.DataFrame, columns: dict[str, pl.Expr]) -> pl.DataFrame:
    """``columns`` per ticker with ``group_by().agg()``, exploded back to one row per row (the
    frame is sorted by ticker, so ``maintain_order`` gives the input's row order)."""
    names = list(columns)
    return df.group_by("ticker", maintain_order=True).agg(**columns).explode(names).select(names)


def native_moments(window: int, *, full: bool = False) -> dict[str, pl.Expr]:
    """The rolling moments of a fit: means, variances (``ddof=1``) and the covariance."""
    x, y = pl.col("mkt"), pl.col("ret")
    moments = {
        "mean_x": x.rolling_mean(window),
        "mean_y": y.rolling_mean(window),
        "var_x": x.rolling_var(window),
        "cov": pl.rolling_cov(y, x, window_size=window),
    }
    if full:
        moments["var_y"] = y.rolling_var(window)
    return moments


def beta_alpha_from_moments() -> dict[str, pl.Expr]:
    """Beta and alpha from the columns of :func:`native_moments`."""
    beta = pl.col("cov") / pl.col("var_x")
    return {"beta": beta, "alpha": pl.col("mean_y") - beta * pl.col("mean_x")}


def full_from_moments(window: int) -> dict[str, pl.Expr]:
    """``alpha, beta, r2, resid_std, alpha_se, beta_se, alpha_t, beta_t`` from the columns of
    :func:`native_moments` (``full=True``), for full windows of ``window`` rows."""
    n = float(window)
    cov, var_x, var_y, mean_x = pl.col("cov"), pl.col("var_x"), pl.col("var_y"), pl.col("mean_x")
    beta = cov / var_x
    alpha = pl.col("mean_y") - beta * mean_x
    resid_std = ((n - 1.0) * (var_y - beta * cov) / (n - 2.0)).sqrt()
    beta_se = resid_std / ((n - 1.0) * var_x).sqrt()
    alpha_se = resid_std * (1.0 / n + mean_x * mean_x / ((n - 1.0) * var_x)).sqrt()
    return {
        "alpha": alpha,
        "beta": beta,
        "r2": cov * cov / (var_x * var_y),
        "resid_std": resid_std,
        "alpha_se": alpha_se,
        "beta_se": beta_se,
        "alpha_t": alpha / alpha_se,
        "beta_t": beta / beta_se,
    }


def polars_native_beta_alpha(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """Beta and alpha: the moments under one ``.over("ticker")``, then the arithmetic."""
    return _over(df, native_moments(window)).select(**beta_alpha_from_moments())


def polars_native_beta_alpha_group_by(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """Beta and alpha: the moments in ``group_by("ticker").agg()``, then the arithmetic."""
    return _group_by(df, native_moments(window)).select(**beta_alpha_from_moments())


def native_beta_alpha_exprs(window: int) -> dict[str, pl.Expr]:
    """Beta from ``rolling_cov / rolling_var``, alpha from the rolling means, as one
    expression each."""
    x, y = pl.col("mkt"), pl.col("ret")
    beta = pl.rolling_cov(y, x, window_size=window) / x.rolling_var(window)
    alpha = y.rolling_mean(window) - beta * x.rolling_mean(window)
    return {"beta": beta, "alpha": alpha}


def polars_native_beta_alpha_whole(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """Beta and alpha, the whole expression under one ``.over("ticker")``."""
    return _over(df, native_beta_alpha_exprs(window))


def polars_native_full(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """The full fit: the moments under one ``.over("ticker")``, then the arithmetic."""
    return _over(df, native_moments(window, full=True)).select(**full_from_moments(window))


def polars_native_full_group_by(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """The full fit: the moments in ``group_by("ticker").agg()``, then the arithmetic."""
    return _group_by(df, native_moments(window, full=True)).select(**full_from_moments(window))


def ewm_moments(mean: Callable[[pl.Expr], pl.Expr]) -> dict[str, pl.Expr]:
    """The four weighted means of an EW fit."""
    x, y = pl.col("mkt"), pl.col("ret")
    return {"mx": mean(x), "my": mean(y), "mxy": mean(x * y), "mxx": mean(x * x)}


def ewm_beta_alpha_from_moments() -> dict[str, pl.Expr]:
    """Weighted beta ``cov_w(x, y) / var_w(x)`` and alpha from :func:`ewm_moments`."""
    mx, my = pl.col("mx"), pl.col("my")
    beta = (pl.col("mxy") - mx * my) / (pl.col("mxx") - mx * mx)
    return {"beta": beta, "alpha": my - beta * mx}


def ewm_all_history_moments(window: int) -> dict[str, pl.Expr]:
    """``ewm_mean(half_life=63)``: all history (``ewm_mean`` has no trailing window)."""
    del window
    return ewm_moments(lambda e: e.ewm_mean(half_life=EWM_HALF_LIFE))


def ewm_window_moments(window: int) -> dict[str, pl.Expr]:
    """The trailing-window EW means: ``rolling_mean(weights=)`` with the weights
    ``0.5 ** (age / 63)`` of the window's rows (``rolling_mean`` divides by their sum)."""
    weights = [0.5 ** ((window - 1 - i) / EWM_HALF_LIFE) for i in range(window)]
    return ewm_moments(lambda e: e.rolling_mean(window, weights=weights))


def polars_ewm_composition(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """EW beta and alpha over all history: the means under one ``.over("ticker")``."""
    return _over(df, ewm_all_history_moments(window)).select(**ewm_beta_alpha_from_moments())


def polars_ewm_composition_group_by(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """EW beta and alpha over all history: the means in ``group_by().agg()``."""
    moments = ewm_all_history_moments(window)
    return _group_by(df, moments).select(**ewm_beta_alpha_from_moments())


def date_window_moments() -> dict[str, pl.Expr]:
    """The means of a date-window fit over :data:`DATE_WINDOW` (``rolling_mean_by``)."""
    x, y = pl.col("mkt"), pl.col("ret")

    def mean(e: pl.Expr) -> pl.Expr:
        return e.rolling_mean_by("date", DATE_WINDOW, min_samples=DATE_MIN_PERIODS)

    return {"mx": mean(x), "my": mean(y), "mxy": mean(x * y), "mxx": mean(x * x)}


def polars_native_date_window(df: pl.DataFrame, window: int | None = None) -> pl.DataFrame:
    """Beta and alpha over the trailing calendar year: the means by date under one
    ``.over("ticker")``, then the arithmetic."""
    del window  # the window is DATE_WINDOW
    return _over(df, date_window_moments()).select(**ewm_beta_alpha_from_moments())


def polars_native_date_window_group_by(df: pl.DataFrame, window: int | None = None) -> pl.DataFrame:
    """Beta and alpha over the trailing calendar year: the means by date in
    ``group_by("ticker").agg()``, then the arithmetic."""
    del window  # the window is DATE_WINDOW
    return _group_by(df, date_window_moments()).select(**ewm_beta_alpha_from_moments())


def ours_date_window_beta_alpha(df: pl.DataFrame, window: int | None = None) -> pl.DataFrame:
    """``rolling_alpha_beta(window="1y", order_by="date", fields=["alpha", "beta"], by=)``."""
    del window  # the window is DATE_WINDOW
    fit = pa.rolling_alpha_beta(
        "ret",
        "mkt",
        window=DATE_WINDOW,
        order_by="date",
        min_periods=DATE_MIN_PERIODS,
        by="ticker",
        fields=["alpha", "beta"],
    )
    return df.select(fit.alias("fit")).unnest("fit")


def polars_ewm_window(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """EW beta and alpha over the trailing ``window`` rows: the means under one ``.over``."""
    return _over(df, ewm_window_moments(window)).select(**ewm_beta_alpha_from_moments())


def polars_ewm_window_group_by(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """EW beta and alpha over the trailing ``window`` rows: the means in ``group_by().agg()``."""
    return _group_by(df, ewm_window_moments(window)).select(**ewm_beta_alpha_from_moments())


def weighted_alpha_weights(window: int, half_life: float | None = None) -> list[float]:
    """polars-alpha's exponential weights, normalized to sum to ``window``, in the order
    ``rolling_sum(weights=)`` applies them: the first weight to the oldest row."""
    half_life = float(window - 1) if half_life is None else half_life
    raw = [0.5 ** ((window - 1 - i) / half_life) for i in range(window)]
    total = math.fsum(raw)
    return [window * w / total for w in raw]


def weighted_alpha_exprs(window: int) -> dict[str, pl.Expr]:
    """Weighted alpha in percent from ``log1p(ret).rolling_sum(weights=)``."""
    score = pl.col("ret").log1p().rolling_sum(window, weights=weighted_alpha_weights(window))
    return {"wa": (score.exp() - 1.0) * 100.0}


def polars_weighted_alpha(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """Weighted alpha under one ``.over("ticker")``."""
    return _over(df, weighted_alpha_exprs(window))


def polars_weighted_alpha_group_by(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """Weighted alpha in ``group_by("ticker").agg()``, exploded."""
    return _group_by(df, weighted_alpha_exprs(window))


def polars_floor(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """The memory-bandwidth floor: Polars' elementwise ``ret * mkt``."""
    del window
    return df.select((pl.col("ret") * pl.col("mkt")).alias("prod"))


def polars_ols_beta_alpha(df: pl.DataFrame, window: int) -> pl.DataFrame:
    """polars-ols ``rolling_ols(..., mode="coefficients")`` with ``.over``."""
    import polars_ols  # noqa: F401  (registers the ``least_squares`` namespace)

    coef = (
        pl.col("ret")  # type: ignore[attr-defined]
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


def wide_arrays(df: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``ret`` as a (days, tickers) array and the market's returns; not part of the timing.
    The columns keep the tickers' order of appearance, so ``ret.T.ravel()`` has the long
    frame's row order."""
    wide = df.pivot(on="ticker", index="date", values="ret").sort("date")
    first = df.get_column("ticker")[0]
    market = df.filter(pl.col("ticker") == first).sort("date").get_column("mkt").to_numpy()
    return np.ascontiguousarray(wide.drop("date").to_numpy()), market


def numpy_cumsum_beta_alpha(
    ret: np.ndarray, mkt: np.ndarray, window: int
) -> tuple[np.ndarray, np.ndarray]:
    """Beta and alpha of every column of a wide (days, tickers) array from rolling sums taken
    as differences of cumulative sums; NaN before the first full window."""

    def rolling_sum(a: np.ndarray) -> np.ndarray:
        total = np.cumsum(a, axis=0)
        out = np.full_like(total, np.nan)
        out[window - 1] = total[window - 1]
        out[window:] = total[window:] - total[:-window]
        return out

    sx, sxx = rolling_sum(mkt), rolling_sum(mkt * mkt)
    sy, sxy = rolling_sum(ret), rolling_sum(ret * mkt[:, None])
    mean_x = sx / window
    beta = (sxy - sy * mean_x[:, None]) / (sxx - sx * mean_x)[:, None]
    alpha = (sy - beta * sx[:, None]) / window
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


FULL_FIELDS = ("alpha", "beta", "r2", "resid_std", "alpha_se", "beta_se", "alpha_t", "beta_t")


def columns_of(result: Any, fields: tuple[str, ...]) -> pl.DataFrame:
    """``fields`` of a contender's result as plain columns in the long frame's row order: a
    frame (plain columns or a ``fit`` struct), a wide pair ``(beta, alpha)`` of (days,
    tickers) arrays or pandas frames, or per-ticker ``(n, 2)`` arrays of alpha and beta."""
    if isinstance(result, pl.DataFrame):
        frame: pl.DataFrame = result.unnest("fit") if "fit" in result.columns else result
        return frame.select(fields)
    if isinstance(result, tuple):
        beta, alpha = (np.asarray(part, dtype=np.float64) for part in result)
        wide = {"beta": beta.T.ravel(), "alpha": alpha.T.ravel()}
        return pl.DataFrame({f: wide[f] for f in fields})
    fits = np.concatenate(result)
    return pl.DataFrame({"alpha": fits[:, 0], "beta": fits[:, 1]}).select(fields)


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


# ---------------------------------------------------------------------------------------------
# the screen: pa.screen against the hand-written chain of docs/guide/screening.md


def screen_market(tickers: int, days: int) -> SyntheticMarket:
    """``datasets.synthetic_market``: long prices ``date, ticker, close`` sorted by ticker
    then date, the index level ``date, market`` and the rate ``date, rf``."""
    return pa.datasets.synthetic_market(tickers, days, seed=0)


def ours_screen(market: SyntheticMarket) -> pl.DataFrame:
    """``pa.screen`` on prices, with the risk-free frame."""
    return pa.screen(market.stocks, benchmark=market.index, risk_free=market.risk_free)


def chain_screen(market: SyntheticMarket) -> pl.DataFrame:
    """The screen written out as one expression chain, as docs/guide/screening.md does."""
    as_of = market.risk_free.get_column("date").max()
    return (
        market.stocks.lazy()
        .join(market.index.lazy(), on="date")
        .join(market.risk_free.lazy(), on="date", how="left")
        .filter(pl.col("date") <= as_of)
        .sort("ticker", "date")
        .with_columns(
            ret=pl.col("close").pct_change().over("ticker"),
            mkt=pl.col("market").pct_change().over("ticker"),
        )
        .with_columns(
            fit=pa.rolling_alpha_beta(
                "ret",
                "mkt",
                window=252,
                min_periods=202,
                risk_free="rf",
                by="ticker",
                order_by="date",
            ),
            weighted_alpha=pa.weighted_alpha("close", window=252, by="ticker", order_by="date"),
        )
        .filter(pl.col("date") == as_of)
        .unnest("fit")
        .with_columns(
            alpha_ann=pa.annualize_alpha("alpha"),
            alpha_z=pa.cross_sectional_zscore("alpha").over("date"),
        )
        .sort("alpha_ann", descending=True)
        .select(
            "ticker", "alpha_ann", "alpha_t", "beta", "r2", "resid_std", "weighted_alpha", "alpha_z"
        )
        .collect()
    )
