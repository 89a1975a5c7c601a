"""Rolling single-index (CAPM) regressions of an asset's returns on a market's returns."""

from __future__ import annotations

from typing import Any

import polars as pl

from polars_alpha import _validate
from polars_alpha._plugin import call_plugin
from polars_alpha._typing import IntoExprColumn

__all__ = ["rolling_alpha", "rolling_alpha_beta", "rolling_beta"]


def _rolling_call(
    function_name: str,
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    window: int,
    min_periods: int | None,
    risk_free: float | IntoExprColumn | None,
    by: IntoExprColumn | None,
) -> pl.Expr:
    window, min_periods = _validate.window_and_min_periods(window, min_periods)
    args: list[IntoExprColumn] = [
        _validate.column(asset, "asset"),
        _validate.column(market, "market"),
    ]
    rate, rate_column = _validate.risk_free(risk_free)
    if rate_column is not None:
        args.append(rate_column)
    if by is not None:
        args.append(_validate.column(by, "by"))
    kwargs: dict[str, Any] = {
        "window": window,
        "min_periods": min_periods,
        "risk_free": rate,
        "risk_free_column": rate_column is not None,
        "by": by is not None,
    }
    return call_plugin(function_name, args, kwargs)


def rolling_alpha_beta(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    window: int = 252,
    min_periods: int | None = None,
    risk_free: float | IntoExprColumn | None = None,
    by: IntoExprColumn | None = None,
) -> pl.Expr:
    """Rolling CAPM regression of an asset's returns on the market's returns.

    At each row, fits ``asset - rf = alpha + beta * (market - rf) + e`` by ordinary least
    squares over the trailing ``window`` rows and returns the fit's statistics.

    Parameters
    ----------
    asset
        Simple per-period returns of the asset: a column name or an expression.
    market
        Simple per-period returns of the market (benchmark), same length as ``asset``.
    window
        Number of trailing rows in each fit (at least 2). 252 is one year of daily data.
    min_periods
        Fewest usable rows a window needs to produce a result (2 to ``window``).
        Defaults to ``window``, as in Polars' ``rolling_*`` functions.
    risk_free
        Per-period risk-free rate, subtracted from both returns: a number, a column name or
        an expression. With it, ``alpha`` is Jensen's alpha. ``None`` means zero.
    by
        A key column (the ticker). Each key's rows form their own series, in their relative
        order, computed in parallel; rows of a key need not be contiguous. The result equals
        ``.over(by)`` without ``by``, and is faster on many keys.

    Returns
    -------
    pl.Expr
        A Struct with Float64 fields ``alpha, beta, r2, resid_std, alpha_se, beta_se,
        alpha_t, beta_t`` and the UInt32 field ``n``, one row per input row.

    Notes
    -----
    With ``y = asset - rf`` and ``x = market - rf`` over the usable rows of the window:
    ``beta = Sxy / Sxx``, ``alpha = mean(y) - beta * mean(x)``,
    ``r2 = Sxy^2 / (Sxx * Syy)``, ``resid_std = sqrt(SSR / (n - 2))``,
    ``beta_se = resid_std / sqrt(Sxx)``, ``alpha_se = resid_std * sqrt(1/n + mean(x)^2 / Sxx)``,
    and t-values are coefficient / standard error. These equal statsmodels
    ``OLS(y, add_constant(x))`` with nonrobust covariance.

    Null rules: a row is left out of the fit when any of its inputs is null, NaN or
    infinite (statsmodels ``missing="drop"``), so ``n <= window``. ``n`` counts the usable
    rows and is never null. Every other field is null when ``n < min_periods`` or the market
    is constant in the window; ``resid_std``, the standard errors and t-values are null when
    ``n <= 2``; ``r2`` is null when the asset is constant; a t-value is null when its standard
    error is zero. A result that overflows Float64 is null, never infinite.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "stock": [0.010, -0.004, 0.012, 0.003, -0.008, 0.015],
    ...         "index": [0.008, -0.002, 0.010, 0.001, -0.006, 0.011],
    ...     }
    ... )
    >>> out = df.select(pa.rolling_alpha_beta("stock", "index", window=4).alias("fit"))
    >>> out.unnest("fit").select("alpha", "beta", "r2", "n").with_columns(pl.col(pl.Float64).round(4))
    shape: (6, 4)
    ┌─────────┬────────┬────────┬─────┐
    │ alpha   ┆ beta   ┆ r2     ┆ n   │
    │ ---     ┆ ---    ┆ ---    ┆ --- │
    │ f64     ┆ f64    ┆ f64    ┆ u32 │
    ╞═════════╪════════╪════════╪═════╡
    │ null    ┆ null   ┆ null   ┆ 1   │
    │ null    ┆ null   ┆ null   ┆ 2   │
    │ null    ┆ null   ┆ null   ┆ 3   │
    │ -0.0005 ┆ 1.3    ┆ 0.9918 ┆ 4   │
    │ -0.0005 ┆ 1.2706 ┆ 0.9975 ┆ 4   │
    │ -0.0003 ┆ 1.3158 ┆ 0.9946 ┆ 4   │
    └─────────┴────────┴────────┴─────┘
    """
    return _rolling_call(
        "rolling_alpha_beta",
        asset,
        market,
        window=window,
        min_periods=min_periods,
        risk_free=risk_free,
        by=by,
    )


def rolling_beta(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    window: int = 252,
    min_periods: int | None = None,
    risk_free: float | IntoExprColumn | None = None,
    by: IntoExprColumn | None = None,
) -> pl.Expr:
    """Rolling CAPM beta: the ``beta`` field of :func:`rolling_alpha_beta` as Float64.

    Computes only the slope, so it is cheaper than the full struct.

    Parameters
    ----------
    asset
        Simple per-period returns of the asset.
    market
        Simple per-period returns of the market.
    window
        Number of trailing rows in each fit (at least 2).
    min_periods
        Fewest usable rows a window needs (2 to ``window``); defaults to ``window``.
    risk_free
        Per-period risk-free rate: a number, a column name or an expression.
    by
        A key column (the ticker); equals ``.over(by)``.

    Returns
    -------
    pl.Expr
        Float64 beta per row.

    Notes
    -----
    ``beta = Sxy / Sxx`` over the usable rows of the window, on excess returns.
    Null when ``n < min_periods`` or the market is constant in the window; rows with a
    null, NaN or infinite input are left out of the fit.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "ticker": ["A", "A", "A", "B", "B", "B"],
    ...         "ret": [0.01, 0.02, -0.01, 0.03, 0.01, 0.02],
    ...         "mkt": [0.01, 0.015, -0.005, 0.02, 0.0, 0.01],
    ...     }
    ... )
    >>> df.with_columns(beta=pa.rolling_beta("ret", "mkt", window=3, by="ticker"))
    shape: (6, 4)
    ┌────────┬───────┬───────┬──────────┐
    │ ticker ┆ ret   ┆ mkt   ┆ beta     │
    │ ---    ┆ ---   ┆ ---   ┆ ---      │
    │ str    ┆ f64   ┆ f64   ┆ f64      │
    ╞════════╪═══════╪═══════╪══════════╡
    │ A      ┆ 0.01  ┆ 0.01  ┆ null     │
    │ A      ┆ 0.02  ┆ 0.015 ┆ null     │
    │ A      ┆ -0.01 ┆ -0.005┆ 1.5      │
    │ B      ┆ 0.03  ┆ 0.02  ┆ null     │
    │ B      ┆ 0.01  ┆ 0.0   ┆ null     │
    │ B      ┆ 0.02  ┆ 0.01  ┆ 1.0      │
    └────────┴───────┴───────┴──────────┘
    """
    return _rolling_call(
        "rolling_beta",
        asset,
        market,
        window=window,
        min_periods=min_periods,
        risk_free=risk_free,
        by=by,
    )


def rolling_alpha(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    window: int = 252,
    min_periods: int | None = None,
    risk_free: float | IntoExprColumn | None = None,
    by: IntoExprColumn | None = None,
) -> pl.Expr:
    """Rolling CAPM alpha per period: the ``alpha`` field of :func:`rolling_alpha_beta`.

    With ``risk_free`` given this is Jensen's alpha.

    Parameters
    ----------
    asset
        Simple per-period returns of the asset.
    market
        Simple per-period returns of the market.
    window
        Number of trailing rows in each fit (at least 2).
    min_periods
        Fewest usable rows a window needs (2 to ``window``); defaults to ``window``.
    risk_free
        Per-period risk-free rate: a number, a column name or an expression.
    by
        A key column (the ticker); equals ``.over(by)``.

    Returns
    -------
    pl.Expr
        Float64 alpha per row, in return units per period (not annualized).

    Notes
    -----
    ``alpha = mean(y) - beta * mean(x)`` with ``y = asset - rf``, ``x = market - rf`` over
    the usable rows of the window. Null rules as in :func:`rolling_alpha_beta`.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame({"ret": [0.011, 0.021, -0.009], "mkt": [0.01, 0.02, -0.01]})
    >>> df.select(pa.rolling_alpha("ret", "mkt", window=3).round(6))
    shape: (3, 1)
    ┌───────┐
    │ ret   │
    │ ---   │
    │ f64   │
    ╞═══════╡
    │ null  │
    │ null  │
    │ 0.001 │
    └───────┘
    """
    return _rolling_call(
        "rolling_alpha",
        asset,
        market,
        window=window,
        min_periods=min_periods,
        risk_free=risk_free,
        by=by,
    )
