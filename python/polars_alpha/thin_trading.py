"""Betas for thinly traded assets: Dimson's and Scholes-Williams'.

A small or illiquid stock's price reacts to the market a day late, so an ordinary beta on the
same day's market return understates its risk. Both estimators add the market's lagged and
leading returns; rolling forms never look ahead (the value at a row uses no market return
after it).
"""

from __future__ import annotations

import polars as pl

from polars_alpha import _validate
from polars_alpha._plugin import rolling_call, whole_sample_call
from polars_alpha._typing import IntoExprColumn

__all__ = [
    "dimson_beta",
    "rolling_dimson_beta",
    "rolling_scholes_williams_beta",
    "scholes_williams_beta",
]


def rolling_dimson_beta(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    lags: int = 1,
    window: int | str | None = 252,
    min_periods: int | None = None,
    risk_free: float | IntoExprColumn | None = None,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
) -> pl.Expr:
    """Rolling Dimson (1979) beta: the sum of the slopes on the market's lags and leads.

    At each row, regresses ``asset - rf`` on the market's excess return at rows
    ``s - lags .. s .. s + lags`` over the trailing window, and reports the sum of those
    ``2 * lags + 1`` coefficients as ``beta``.

    Parameters
    ----------
    asset
        Simple per-period returns of the asset: a column name or an expression.
    market
        Simple per-period returns of the market, same length as ``asset``.
    lags
        Lags (and as many leads) of the market, a whole number >= 1.
    window
        Trailing rows of each fit (``None`` for expanding, or a duration such as ``"1y"`` on
        ``order_by``), as in :func:`~polars_alpha.rolling_alpha_beta`.
    min_periods
        Fewest usable rows a fit needs. Defaults to ``window - lags`` for a row window (its
        last ``lags`` rows have no known lead), 2 for an expanding window, and the date
        window's default of :func:`~polars_alpha.rolling_alpha_beta`.
    risk_free
        Per-period risk-free rate subtracted from both returns: a number, a column or None.
    by
        A key column (the ticker): each key's rows are their own series. Equals ``.over(by)``.
    order_by
        The column that orders each key's rows (usually the date), as in
        :func:`~polars_alpha.rolling_alpha_beta`.

    Returns
    -------
    pl.Expr
        A Struct with Float64 fields ``alpha``, ``beta`` (the sum), ``beta_se`` and
        ``beta_t`` (its standard error and t-value), ``r2``, ``resid_std``, and the UInt32
        field ``n``.

    Notes
    -----
    With ``y_s = asset_s - rf_s`` and ``x_s = market_s - rf_s``, the fit is
    ``y_s = alpha + sum_{j=-L..L} b_j x_{s+j} + e_s`` and ``beta = sum_j b_j``;
    ``beta_se = sqrt(1' Cov(b) 1)`` from the ordinary (nonrobust) covariance. These equal
    statsmodels ``OLS`` on the lag and lead columns.

    **No look-ahead.** The value at row ``t`` uses no market return after ``t``: the rows of
    ``t``'s window whose lead ``s + lags`` lies after ``t`` are left out of that fit.

    Lags and leads are rows of the key's series (the previous and next row, present or not).
    Null rules: a row takes part when ``y_s`` and every ``x_{s-L} .. x_{s+L}`` are finite.
    Every field but ``n`` is null when ``n < min_periods``, ``n <= 2 * lags + 2`` or the
    market columns are collinear in the window.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> market = [0.01, -0.02, 0.015, 0.003, -0.01, 0.02, -0.005, 0.012, 0.0, -0.007]
    >>> # The stock moves with half of today's market and half of yesterday's.
    >>> stock = [0.5 * m + 0.5 * p for m, p in zip(market, [0.0] + market[:-1])]
    >>> df = pl.DataFrame({"stock": stock, "market": market})
    >>> fit = pa.rolling_dimson_beta("stock", "market", window=None, min_periods=6)
    >>> df.select(fit.alias("d")).unnest("d").select("beta", "n").tail(3).with_columns(
    ...     pl.col("beta").round(6)
    ... )
    shape: (3, 2)
    ┌──────┬─────┐
    │ beta ┆ n   │
    │ ---  ┆ --- │
    │ f64  ┆ u32 │
    ╞══════╪═════╡
    │ 1.0  ┆ 6   │
    │ 1.0  ┆ 7   │
    │ 1.0  ┆ 8   │
    └──────┴─────┘
    """
    least = _validate.lead_window_min_periods(
        window, min_periods, _validate.dimson_lags(lags), 2 * int(lags) + 3
    )
    return rolling_call(
        "thin_trading_beta",
        [("asset", asset), ("market", market)],
        window=window,
        min_periods=least,
        risk_free=risk_free,
        by=by,
        order_by=order_by,
        lags=int(lags),
        method="dimson",
    )


def dimson_beta(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    lags: int = 1,
    min_periods: int = 2,
    risk_free: float | IntoExprColumn | None = None,
) -> pl.Expr:
    """One Dimson beta over all rows: a single Struct per group.

    The whole-sample form of :func:`rolling_dimson_beta`, for ``select`` or
    ``group_by(...).agg(...)``. The rows are taken in frame order (lags are rows): sort by
    date first, or pass ``pl.col(...).sort_by("date")`` as the inputs.

    Parameters
    ----------
    asset
        Simple per-period returns of the asset.
    market
        Simple per-period returns of the market.
    lags
        Lags (and as many leads) of the market, a whole number >= 1.
    min_periods
        Fewest usable rows a fit needs (at least 2; a fit also needs ``2 * lags + 3``).
    risk_free
        Per-period risk-free rate subtracted from both returns.

    Returns
    -------
    pl.Expr
        A scalar Struct with the fields of :func:`rolling_dimson_beta`.

    Notes
    -----
    Formula and null rules as in :func:`rolling_dimson_beta`, over every row whose lags and
    leads lie in the group.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> market = [0.01, -0.02, 0.015, 0.003, -0.01, 0.02, -0.005, 0.012, 0.0, -0.007]
    >>> stock = [0.5 * m + 0.5 * p for m, p in zip(market, [0.0] + market[:-1])]
    >>> df = pl.DataFrame({"stock": stock, "market": market})
    >>> out = df.select(pa.dimson_beta("stock", "market").alias("d")).unnest("d")
    >>> round(out["beta"][0], 6), out["n"][0]
    (1.0, 8)
    """
    return whole_sample_call(
        "thin_trading_beta_whole",
        [("asset", asset), ("market", market)],
        min_periods=min_periods,
        risk_free=risk_free,
        lags=_validate.dimson_lags(lags),
        method="dimson",
    )


def rolling_scholes_williams_beta(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    window: int | str | None = 252,
    min_periods: int | None = None,
    risk_free: float | IntoExprColumn | None = None,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
) -> pl.Expr:
    """Rolling Scholes-Williams (1977) beta: ``(b_- + b_0 + b_+) / (1 + 2 rho)``.

    At each row, over the trailing window: the univariate slopes of ``asset - rf`` on the
    market's excess return at the previous row (``b_-``), the same row (``b_0``) and the next
    row (``b_+``), and the market's lag-1 autocorrelation ``rho``, all on the same rows.

    Parameters
    ----------
    asset
        Simple per-period returns of the asset: a column name or an expression.
    market
        Simple per-period returns of the market, same length as ``asset``.
    window
        Trailing rows of each fit (``None`` for expanding, or a duration on ``order_by``).
    min_periods
        Fewest usable rows a fit needs. Defaults to ``window - 1`` for a row window (its last
        row has no known lead), 2 for an expanding window, and the date window's default of
        :func:`~polars_alpha.rolling_alpha_beta`.
    risk_free
        Per-period risk-free rate subtracted from both returns.
    by
        A key column (the ticker). Equals ``.over(by)``.
    order_by
        The column that orders each key's rows (usually the date).

    Returns
    -------
    pl.Expr
        A Struct with Float64 fields ``beta``, ``beta_lag`` (``b_-``), ``beta_0``,
        ``beta_lead`` (``b_+``), ``rho`` and the UInt32 field ``n``.

    Notes
    -----
    Each slope is ``Sxy / Sxx`` of ``y_s`` on ``x_{s-1}``, ``x_s`` or ``x_{s+1}``, and
    ``rho`` is the Pearson correlation of ``x_s`` and ``x_{s-1}``, over the rows ``s`` where
    ``y_s``, ``x_{s-1}``, ``x_s`` and ``x_{s+1}`` are all finite (``np.polyfit`` and
    ``np.corrcoef`` on those rows give the same numbers).

    **No look-ahead.** The value at row ``t`` uses no market return after ``t``: the last
    row of ``t``'s window, whose lead lies after ``t``, is left out of that fit.

    Every field but ``n`` is null when ``n < min_periods`` or a market column is constant.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> market = [0.01, -0.02, 0.015, 0.003, -0.01, 0.02, -0.005, 0.012, 0.0, -0.007]
    >>> stock = [0.5 * m + 0.5 * p for m, p in zip(market, [0.0] + market[:-1])]
    >>> df = pl.DataFrame({"stock": stock, "market": market})
    >>> fit = pa.rolling_scholes_williams_beta("stock", "market", window=None, min_periods=5)
    >>> out = df.select(fit.alias("sw")).unnest("sw")
    >>> out.select("beta", "beta_lag", "beta_0", "beta_lead", "n").tail(3).with_columns(
    ...     pl.col(pl.Float64).round(3)
    ... )
    shape: (3, 5)
    ┌───────┬──────────┬────────┬───────────┬─────┐
    │ beta  ┆ beta_lag ┆ beta_0 ┆ beta_lead ┆ n   │
    │ ---   ┆ ---      ┆ ---    ┆ ---       ┆ --- │
    │ f64   ┆ f64      ┆ f64    ┆ f64       ┆ u32 │
    ╞═══════╪══════════╪════════╪═══════════╪═════╡
    │ 0.059 ┆ 0.164    ┆ 0.157  ┆ -0.342    ┆ 6   │
    │ 0.094 ┆ 0.147    ┆ 0.157  ┆ -0.34     ┆ 7   │
    │ 0.068 ┆ 0.163    ┆ 0.15   ┆ -0.339    ┆ 8   │
    └───────┴──────────┴────────┴───────────┴─────┘
    """
    least = _validate.lead_window_min_periods(window, min_periods, 1, 3)
    return rolling_call(
        "thin_trading_beta",
        [("asset", asset), ("market", market)],
        window=window,
        min_periods=least,
        risk_free=risk_free,
        by=by,
        order_by=order_by,
        lags=1,
        method="scholes_williams",
    )


def scholes_williams_beta(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    min_periods: int = 3,
    risk_free: float | IntoExprColumn | None = None,
) -> pl.Expr:
    """One Scholes-Williams beta over all rows: a single Struct per group.

    The whole-sample form of :func:`rolling_scholes_williams_beta`. The rows are taken in
    frame order (lags are rows): sort by date first.

    Parameters
    ----------
    asset
        Simple per-period returns of the asset.
    market
        Simple per-period returns of the market.
    min_periods
        Fewest usable rows a fit needs (at least 2).
    risk_free
        Per-period risk-free rate subtracted from both returns.

    Returns
    -------
    pl.Expr
        A scalar Struct with the fields of :func:`rolling_scholes_williams_beta`.

    Notes
    -----
    Formula and null rules as in :func:`rolling_scholes_williams_beta`, over every row whose
    previous and next rows lie in the group.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> market = [0.01, -0.02, 0.015, 0.003, -0.01, 0.02, -0.005, 0.012, 0.0, -0.007]
    >>> stock = [0.5 * m + 0.5 * p for m, p in zip(market, [0.0] + market[:-1])]
    >>> df = pl.DataFrame({"stock": stock, "market": market})
    >>> out = df.select(pa.scholes_williams_beta("stock", "market").alias("sw")).unnest("sw")
    >>> round(out["beta"][0], 4), round(out["rho"][0], 4), out["n"][0]
    (0.0681, -0.6863, 8)
    """
    return whole_sample_call(
        "thin_trading_beta_whole",
        [("asset", asset), ("market", market)],
        min_periods=min_periods,
        risk_free=risk_free,
        lags=1,
        method="scholes_williams",
    )
