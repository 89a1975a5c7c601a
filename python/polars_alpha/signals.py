"""Alpha signals built per ticker in time order, and the measures that test them.

:func:`momentum` and :func:`residual_momentum` are signals (one value per row);
:func:`forward_return` is what they try to predict, and :func:`information_coefficient` is an
aggregation for ``group_by("date").agg(...)`` that scores one date's cross-section.
:func:`~polars_alpha.signal_report` combines them over every date and several horizons.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import polars as pl

from polars_alpha import _validate
from polars_alpha._plugin import PluginInputs, call_plugin, numeric_input
from polars_alpha._typing import IntoExprColumn

__all__ = ["forward_return", "information_coefficient", "momentum", "residual_momentum"]

CorrelationMethod = Literal["spearman", "pearson"]


def _in_time_order(
    expr: pl.Expr, by: IntoExprColumn | None, order_by: IntoExprColumn | None
) -> pl.Expr:
    """``expr`` evaluated per key in ``order_by`` order, results in the input rows."""
    if by is None and order_by is None:
        return expr
    order = None if order_by is None else _validate.as_expr(_validate.column(order_by, "order_by"))
    if by is None:
        return expr.over(order_by=order)
    return expr.over(_validate.as_expr(_validate.column(by, "by")), order_by=order)


def _price(price: IntoExprColumn) -> pl.Expr:
    """Prices as Float64 with NaN as null: a missing price is missing, whichever way."""
    return numeric_input(_validate.column(price, "price"), "price").fill_nan(None)


def momentum(
    price: IntoExprColumn,
    *,
    window: int = 252,
    skip: int = 21,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
) -> pl.Expr:
    """Price momentum: the return from ``window`` rows ago to ``skip`` rows ago.

    Parameters
    ----------
    price
        Prices (positive), in time order per key (or ordered by ``order_by``).
    window
        Rows back to the start price ``P[t - window]``; 252 is a year of daily data.
    skip
        Newest rows left out: the end price is ``P[t - skip]``. The default 21 skips the last
        month, the short-term reversal (12-1 momentum); ``skip=0`` ends at today's price.
    by
        A key column (the ticker); equals ``.over(by)``.
    order_by
        The column that orders each key's rows in time (usually the date), as in
        :func:`~polars_alpha.rolling_alpha_beta`; results come back in the input rows.

    Returns
    -------
    pl.Expr
        Float64, one value per row.

    Notes
    -----
    ``momentum[t] = P[t - skip] / P[t - window] - 1``, with rows counted within the key.
    ``window=60, skip=0`` is the 60-day return. Null rule: null on the first ``window`` rows
    of each key and when either price is null or NaN (a missing price is not bridged). A
    price of zero gives an infinite or NaN value, as the division does.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "ticker": ["A"] * 5 + ["B"] * 5,
    ...         "close": [10.0, 11.0, 12.0, 13.0, 14.0, 20.0, 18.0, 16.0, 15.0, 15.0],
    ...     }
    ... )
    >>> df.with_columns(mom=pa.momentum("close", window=3, skip=1, by="ticker").round(4))
    shape: (10, 3)
    ┌────────┬───────┬─────────┐
    │ ticker ┆ close ┆ mom     │
    │ ---    ┆ ---   ┆ ---     │
    │ str    ┆ f64   ┆ f64     │
    ╞════════╪═══════╪═════════╡
    │ A      ┆ 10.0  ┆ null    │
    │ A      ┆ 11.0  ┆ null    │
    │ A      ┆ 12.0  ┆ null    │
    │ A      ┆ 13.0  ┆ 0.2     │
    │ A      ┆ 14.0  ┆ 0.1818  │
    │ B      ┆ 20.0  ┆ null    │
    │ B      ┆ 18.0  ┆ null    │
    │ B      ┆ 16.0  ┆ null    │
    │ B      ┆ 15.0  ┆ -0.2    │
    │ B      ┆ 15.0  ┆ -0.1667 │
    └────────┴───────┴─────────┘
    """
    rows, skipped = _validate.signal_windows(window, skip)
    p = _price(price)
    return _in_time_order(p.shift(skipped) / p.shift(rows) - 1.0, by, order_by).alias("momentum")


def forward_return(
    price: IntoExprColumn,
    horizon: int,
    *,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
) -> pl.Expr:
    """The return from this row's price to the price ``horizon`` rows later.

    Parameters
    ----------
    price
        Prices (positive), in time order per key (or ordered by ``order_by``).
    horizon
        Rows ahead, at least 1.
    by
        A key column (the ticker); equals ``.over(by)``.
    order_by
        The column that orders each key's rows in time, as in :func:`momentum`.

    Returns
    -------
    pl.Expr
        Float64, one value per row.

    Notes
    -----
    ``forward_return[t] = P[t + h] / P[t] - 1``, rows counted within the key. Null rule: null
    on the last ``h`` rows of each key (``t + h`` is past its last row) and when either price
    is null or NaN. alphalens forward-fills missing prices first; this does not, so a return
    over a missing price is null rather than the fill's.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame({"close": [100.0, 110.0, 99.0, 108.9]})
    >>> df.with_columns(
    ...     f1=pa.forward_return("close", 1).round(4), f2=pa.forward_return("close", 2).round(4)
    ... )
    shape: (4, 3)
    ┌───────┬──────┬───────┐
    │ close ┆ f1   ┆ f2    │
    │ ---   ┆ ---  ┆ ---   │
    │ f64   ┆ f64  ┆ f64   │
    ╞═══════╪══════╪═══════╡
    │ 100.0 ┆ 0.1  ┆ -0.01 │
    │ 110.0 ┆ -0.1 ┆ -0.01 │
    │ 99.0  ┆ 0.1  ┆ null  │
    │ 108.9 ┆ null ┆ null  │
    └───────┴──────┴───────┘
    """
    h = _validate.horizon(horizon)
    p = _price(price)
    return _in_time_order(p.shift(-h) / p - 1.0, by, order_by).alias("forward_return")


def information_coefficient(
    signal: IntoExprColumn,
    forward: IntoExprColumn,
    *,
    method: CorrelationMethod = "spearman",
) -> pl.Expr:
    """The correlation across names of a signal and the forward return: an aggregation.

    Use it in ``group_by("date").agg(...)`` to get one information coefficient (IC) per date.

    Parameters
    ----------
    signal
        The signal's values (numeric).
    forward
        The forward returns on the same rows (numeric), e.g. :func:`forward_return`.
    method
        ``"spearman"`` (default): the correlation of the ranks, as alphalens'
        ``factor_information_coefficient``; or ``"pearson"``: of the values.

    Returns
    -------
    pl.Expr
        A Float64 scalar per group, in ``[-1, 1]``.

    Notes
    -----
    Only the rows where both values are present count (null and NaN are missing). Spearman
    ranks them with ties averaged (as ``scipy.stats.spearmanr``) and takes the Pearson
    correlation of the ranks: ``sum(a b) / sqrt(sum(a^2) sum(b^2))`` with ``a, b`` the
    deviations from the means. Null rule: null when fewer than 3 rows have both values, or
    when either side is constant over them (all names tie), never an error.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "date": [1, 1, 1, 1, 2, 2, 2, 2],
    ...         "signal": [0.1, 0.4, 0.2, 0.3, 1.0, 1.0, 1.0, 1.0],
    ...         "fwd": [0.01, 0.03, -0.02, 0.02, 0.01, 0.02, 0.03, 0.04],
    ...     }
    ... )
    >>> df.group_by("date", maintain_order=True).agg(
    ...     ic=pa.information_coefficient("signal", "fwd")
    ... )
    shape: (2, 2)
    ┌──────┬──────┐
    │ date ┆ ic   │
    │ ---  ┆ ---  │
    │ i64  ┆ f64  │
    ╞══════╪══════╡
    │ 1    ┆ 0.8  │
    │ 2    ┆ null │
    └──────┴──────┘
    """
    method = _validate.choice(method, "method", ("spearman", "pearson"))  # type: ignore[assignment]
    s = numeric_input(_validate.column(signal, "signal"), "signal").fill_nan(None)
    f = numeric_input(_validate.column(forward, "forward"), "forward").fill_nan(None)
    both = s.is_not_null() & f.is_not_null()
    a, b = s.filter(both), f.filter(both)
    if method == "spearman":
        a, b = a.rank("average").cast(pl.Float64), b.rank("average").cast(pl.Float64)
    return correlation_of(a, b, both.sum()).alias("ic")


def correlation_of(a: pl.Expr, b: pl.Expr, n: pl.Expr) -> pl.Expr:
    """Pearson correlation of ``a`` and ``b`` (already paired, no nulls) over ``n`` rows:
    null below 3 rows or with a constant side, clipped to ``[-1, 1]``."""
    da, db = a - a.mean(), b - b.mean()
    r = (da * db).sum() / ((da * da).sum() * (db * db).sum()).sqrt()
    defined = (n >= 3) & (a.max() > a.min()) & (b.max() > b.min())
    return pl.when(defined).then(r.clip(-1.0, 1.0)).otherwise(None)


def residual_momentum(
    asset: IntoExprColumn,
    market_or_factors: IntoExprColumn | Sequence[IntoExprColumn],
    *,
    fit_window: int = 756,
    window: int = 252,
    skip: int = 21,
    min_periods: int | None = None,
    fit_min_periods: int | None = None,
    risk_free: float | IntoExprColumn | None = None,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
) -> pl.Expr:
    """Residual momentum (Blitz, Huij and Martens): the momentum of the part of the returns
    the market (or the factors) does not explain, scaled by its volatility.

    Parameters
    ----------
    asset
        The asset's simple returns per period.
    market_or_factors
        One column: the market's returns, regressed on as in
        :func:`~polars_alpha.rolling_alpha_beta` (the risk-free rate comes off both). A list
        of columns: factor returns (already excess, as in
        :func:`~polars_alpha.rolling_factor_regression`; the rate comes off the asset only).
    fit_window
        Rows of each trailing regression (756: three years of daily data).
    window
        Rows from the oldest residual to the signal's row (252: a year).
    skip
        Newest residuals left out (21: the last month).
    min_periods
        Fewest residuals in the span ``window - skip`` for a signal; default all of them.
    fit_min_periods
        Fewest usable rows of a regression; default ``fit_window``.
    risk_free
        A per-period risk-free rate: a number, or a column or expression.
    by
        A key column (the ticker); equals ``.over(by)``, computed in parallel in one pass.
    order_by
        The column that orders each key's rows in time, as in
        :func:`~polars_alpha.rolling_alpha_beta`. Windows count rows, not dates.

    Returns
    -------
    pl.Expr
        Float64 signal, one per row.

    Notes
    -----
    ``e[s] = y[s] - alpha_s - sum_j beta_{s,j} f_j[s]`` is the residual at row ``s`` of the
    trailing ``fit_window`` regression that ends at ``s`` (excess returns ``y``). The signal
    at ``t`` is ``mean(e) / std(e, ddof=1)`` over ``s`` in ``t - window + 1 .. t - skip``.

    Null rule: ``e[s]`` is missing where its regression has no fit (fewer than
    ``fit_min_periods`` usable rows, a constant market, collinear factors) or the row's own
    return is missing; the signal is null with fewer than ``min_periods`` residuals in the
    span, when they are constant, or when their standard deviation is within rounding
    (``1e-10`` of the returns' scale) of zero: a perfect fit has no residual to score. With
    the defaults a ticker's first signal is at row ``fit_window + window - 2`` (from 0) when
    its first return is there, one row later when its first row has no return (as after
    ``pct_change``): in the example, row 69 of each ticker.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> m = pa.datasets.synthetic_market(n_tickers=2, n_days=120, seed=1)
    >>> r = m.stocks.join(m.index, on="date").with_columns(
    ...     ret=pl.col("close").pct_change().over("ticker"),
    ...     mkt=pl.col("market").pct_change().over("ticker"),
    ... )
    >>> out = r.with_columns(
    ...     rm=pa.residual_momentum(
    ...         "ret", "mkt", fit_window=40, window=30, skip=5, by="ticker", order_by="date"
    ...     )
    ... )
    >>> out.group_by("ticker", maintain_order=True).agg(
    ...     first=pl.col("date").filter(pl.col("rm").is_not_null()).first()
    ... )
    shape: (2, 2)
    ┌────────┬────────────┐
    │ ticker ┆ first      │
    │ ---    ┆ ---        │
    │ str    ┆ date       │
    ╞════════╪════════════╡
    │ T0000  ┆ 2020-04-07 │
    │ T0001  ┆ 2020-04-07 │
    └────────┴────────────┘
    """
    fit_rows, fit_least, rows, skipped, least = _validate.residual_momentum_windows(
        fit_window, fit_min_periods, window, skip, min_periods
    )
    market = isinstance(market_or_factors, (str, pl.Expr, pl.Series))
    if market:
        regressors: list[tuple[str, IntoExprColumn]] = [
            ("market", _validate.column(market_or_factors, "market_or_factors"))
        ]
    else:
        columns, _ = _validate.factor_list(market_or_factors)
        regressors = [("factors", f) for f in columns]
    rate, rate_column = _validate.risk_free(risk_free)
    inputs = PluginInputs(
        (("asset", asset), *regressors),
        risk_free=rate_column,
        order_by=None if order_by is None else _validate.column(order_by, "order_by"),
        by=None if by is None else _validate.column(by, "by"),
    )
    kwargs: dict[str, Any] = {
        "fit_window": fit_rows,
        "fit_min_periods": fit_least,
        "window": rows,
        "skip": skipped,
        "min_periods": least,
        "risk_free": rate,
        "market": market,
    }
    return call_plugin("residual_momentum", inputs, kwargs)
