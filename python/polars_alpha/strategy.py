"""Evaluating a strategy or a fund: Sharpe, Sortino, tracking error, up and down markets,
capture ratios, drawdown, annual return and Calmar.

Each measure is one value per group, for ``group_by().agg()`` and ``group_by_dynamic()``,
and a ``rolling_`` form over trailing windows (rows, expanding, or a duration on ``order_by``,
with ``by=`` panels), following empyrical's conventions. Inputs are simple per-period
returns; a row with a null or non-finite input is left out (both series together for
two-input measures).
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from polars_alpha import _validate
from polars_alpha._plugin import numeric_input, rolling_call, whole_sample_call
from polars_alpha._typing import IntoExprColumn
from polars_alpha.regression import alpha_beta, rolling_alpha_beta

__all__ = [
    "annual_return",
    "calmar_ratio",
    "down_capture",
    "down_market_alpha_beta",
    "downside_beta",
    "max_drawdown",
    "rolling_annual_return",
    "rolling_calmar_ratio",
    "rolling_down_capture",
    "rolling_down_market_alpha_beta",
    "rolling_downside_beta",
    "rolling_max_drawdown",
    "rolling_sharpe_ratio",
    "rolling_sortino_ratio",
    "rolling_tracking_error",
    "rolling_up_capture",
    "rolling_up_down_capture",
    "rolling_up_market_alpha_beta",
    "sharpe_ratio",
    "sortino_ratio",
    "tracking_error",
    "up_capture",
    "up_down_capture",
    "up_market_alpha_beta",
]


def _required_return(value: object) -> pl.Expr:
    """Sortino's per-period required return (a number, a column or an expression), as
    Float64; it is subtracted from the asset's return per row."""
    rate, column = _validate.required_return(value)
    if column is None:
        return pl.lit(rate, dtype=pl.Float64)
    return numeric_input(column, "required_return")


def _whole(
    statistic: str,
    values: list[tuple[str, IntoExprColumn]],
    *,
    min_periods: int,
    risk_free: float | IntoExprColumn | None = None,
    periods_per_year: float = 252,
    threshold: float | None = None,
) -> pl.Expr:
    return whole_sample_call(
        "strategy",
        values,
        min_periods=min_periods,
        risk_free=risk_free,
        statistic=statistic,
        periods_per_year=_validate.periods_per_year(periods_per_year),
        threshold=threshold,
    )


def sharpe_ratio(
    asset: IntoExprColumn,
    *,
    risk_free: float | IntoExprColumn | None = None,
    periods_per_year: float = 252,
    min_periods: int = 2,
) -> pl.Expr:
    """Sharpe ratio over all rows: a single value per group.

    Parameters
    ----------
    asset
        Simple per-period returns of the strategy or fund.
    risk_free
        Per-period risk-free rate subtracted per row: a number, a column or an expression.
    periods_per_year
        ``P``: 252 daily, 52 weekly, 12 monthly.
    min_periods
        Fewest usable rows (at least 2).

    Returns
    -------
    pl.Expr
        A scalar Float64 per group.

    Notes
    -----
    ``mean(y) / std(y) * sqrt(P)`` with ``y = asset - rf`` and the sample standard deviation
    (ddof = 1), as ``empyrical.sharpe_ratio``. Rows where the asset or the rate is null, NaN
    or infinite are left out. Null when fewer than ``min_periods`` rows are usable or ``y`` is
    constant.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "fund": ["A"] * 4 + ["B"] * 4,
    ...         "ret": [0.02, -0.01, 0.03, 0.01, 0.01, 0.0, 0.02, 0.01],
    ...     }
    ... )
    >>> df.group_by("fund", maintain_order=True).agg(
    ...     pa.sharpe_ratio("ret", periods_per_year=12).round(4)
    ... )
    shape: (2, 2)
    ┌──────┬────────┐
    │ fund ┆ ret    │
    │ ---  ┆ ---    │
    │ str  ┆ f64    │
    ╞══════╪════════╡
    │ A    ┆ 2.5355 │
    │ B    ┆ 4.2426 │
    └──────┴────────┘
    """
    return _whole(
        "sharpe",
        [("asset", asset)],
        min_periods=min_periods,
        risk_free=risk_free,
        periods_per_year=periods_per_year,
    )


def sortino_ratio(
    asset: IntoExprColumn,
    *,
    required_return: float | IntoExprColumn = 0.0,
    periods_per_year: float = 252,
    min_periods: int = 2,
) -> pl.Expr:
    """Sortino ratio over all rows: a single value per group.

    Parameters
    ----------
    asset
        Simple per-period returns of the strategy or fund.
    required_return
        Per-period minimum acceptable return subtracted per row: a number, a column or an
        expression.
    periods_per_year
        ``P``: 252 daily, 52 weekly, 12 monthly.
    min_periods
        Fewest usable rows (at least 2).

    Returns
    -------
    pl.Expr
        A scalar Float64 per group.

    Notes
    -----
    ``mean(d) * P / (sqrt(mean(min(d, 0)^2)) * sqrt(P))`` with ``d = asset - required_return``,
    as ``empyrical.sortino_ratio`` with its ``downside_risk``. Null when fewer than
    ``min_periods`` rows are usable or no row falls below the required return (no downside).

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame({"ret": [0.02, -0.01, 0.03, 0.01, -0.02, 0.015]})
    >>> df.select(pa.sortino_ratio("ret", periods_per_year=12).round(4))
    shape: (1, 1)
    ┌───────┐
    │ ret   │
    │ ---   │
    │ f64   │
    ╞═══════╡
    │ 2.846 │
    └───────┘
    """
    r = numeric_input(asset, "asset")
    req = _required_return(required_return)
    return _whole(
        "sortino",
        [("asset", r - req)],
        min_periods=min_periods,
        periods_per_year=periods_per_year,
    )


def tracking_error(
    asset: IntoExprColumn,
    benchmark: IntoExprColumn,
    *,
    periods_per_year: float = 252,
    min_periods: int = 2,
) -> pl.Expr:
    """Tracking error over all rows: a single value per group.

    Parameters
    ----------
    asset
        Simple per-period returns of the strategy or fund.
    benchmark
        Simple per-period returns of its benchmark.
    periods_per_year
        ``P``: 252 daily, 52 weekly, 12 monthly.
    min_periods
        Fewest usable rows (at least 2).

    Returns
    -------
    pl.Expr
        A scalar Float64 per group.

    Notes
    -----
    ``std(r - r_b) * sqrt(P)``, the annualized sample standard deviation (ddof = 1) of the
    active return (the denominator of :func:`~polars_alpha.information_ratio`). Rows where
    either return is null, NaN or infinite are left out. Null when fewer than ``min_periods``
    rows are usable.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {"ret": [0.02, -0.01, 0.03, 0.01], "bench": [0.015, -0.01, 0.02, 0.005]}
    ... )
    >>> df.select(pa.tracking_error("ret", "bench", periods_per_year=12).round(4))
    shape: (1, 1)
    ┌────────┐
    │ ret    │
    │ ---    │
    │ f64    │
    ╞════════╡
    │ 0.0141 │
    └────────┘
    """
    return _whole(
        "tracking_error",
        [("asset", asset), ("benchmark", benchmark)],
        min_periods=min_periods,
        periods_per_year=periods_per_year,
    )


def _market_alpha_beta(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    up: bool,
    risk_free: float | IntoExprColumn | None,
    min_periods: int,
) -> pl.Expr:
    r = numeric_input(asset, "asset")
    m = numeric_input(market, "market")
    side = (m > 0) if up else (m < 0)
    # The group's usable rows, up and down, decide min_periods; the fit needs 2 of its side.
    gate = _whole("count", [("asset", r), ("market", m)], min_periods=min_periods)
    fit = alpha_beta(
        pl.when(side).then(r), pl.when(side).then(m), risk_free=risk_free, min_periods=2
    )
    return pl.when(gate.is_not_null()).then(fit)


def up_market_alpha_beta(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    risk_free: float | IntoExprColumn | None = None,
    min_periods: int = 2,
) -> pl.Expr:
    """The CAPM fit on the rows where the market went up: a single Struct per group.

    Parameters
    ----------
    asset
        Simple per-period returns of the strategy or fund.
    market
        Simple per-period returns of the market.
    risk_free
        Per-period risk-free rate subtracted from both returns: a number, a column or an
        expression.
    min_periods
        Fewest usable rows of the group, up or down (at least 2).

    Returns
    -------
    pl.Expr
        The Struct of :func:`~polars_alpha.alpha_beta` (``alpha``, ``beta``, ``r2``,
        ``resid_std``, ``alpha_se``, ``beta_se``, ``alpha_t``, ``beta_t``, ``n``), fitted on
        the up-market rows; ``n`` counts them.

    Notes
    -----
    The rows where the market's own return (before the risk-free rate) is above 0, as
    ``empyrical.up_alpha_beta``. ``alpha`` is per period; empyrical reports
    ``(1 + alpha) ** P - 1`` (:func:`~polars_alpha.annualize_alpha` with
    ``compound=True``). Null when fewer than ``min_periods`` rows are usable; the fit's own
    rules (fewer than 2 up rows, a constant market) leave its fields null.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "ret": [0.012, -0.004, 0.021, 0.003, -0.011, 0.016],
    ...         "mkt": [0.010, -0.005, 0.015, 0.005, -0.010, 0.012],
    ...     }
    ... )
    >>> df.select(pa.up_market_alpha_beta("ret", "mkt").alias("fit")).unnest("fit").select(
    ...     pl.col("alpha", "beta").round(4), "n"
    ... )
    shape: (1, 3)
    ┌────────┬────────┬─────┐
    │ alpha  ┆ beta   ┆ n   │
    │ ---    ┆ ---    ┆ --- │
    │ f64    ┆ f64    ┆ u32 │
    ╞════════╪════════╪═════╡
    │ -0.006 ┆ 1.8113 ┆ 4   │
    └────────┴────────┴─────┘
    """
    return _market_alpha_beta(asset, market, up=True, risk_free=risk_free, min_periods=min_periods)


def down_market_alpha_beta(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    risk_free: float | IntoExprColumn | None = None,
    min_periods: int = 2,
) -> pl.Expr:
    """The CAPM fit on the rows where the market went down: a single Struct per group.

    Parameters
    ----------
    asset
        Simple per-period returns of the strategy or fund.
    market
        Simple per-period returns of the market.
    risk_free
        Per-period risk-free rate subtracted from both returns: a number, a column or an
        expression.
    min_periods
        Fewest usable rows of the group, up or down (at least 2).

    Returns
    -------
    pl.Expr
        The Struct of :func:`~polars_alpha.alpha_beta`, fitted on the down-market rows.

    Notes
    -----
    The rows where the market's own return is below 0, as ``empyrical.down_alpha_beta``;
    otherwise as :func:`up_market_alpha_beta`.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "ret": [0.012, -0.004, 0.021, 0.003, -0.011, 0.016, -0.02],
    ...         "mkt": [0.010, -0.005, 0.015, 0.005, -0.010, 0.012, -0.015],
    ...     }
    ... )
    >>> df.select(pa.down_market_alpha_beta("ret", "mkt").alias("fit")).unnest("fit").select(
    ...     pl.col("alpha", "beta").round(4), "n"
    ... )
    shape: (1, 3)
    ┌────────┬──────┬─────┐
    │ alpha  ┆ beta ┆ n   │
    │ ---    ┆ ---  ┆ --- │
    │ f64    ┆ f64  ┆ u32 │
    ╞════════╪══════╪═════╡
    │ 0.0043 ┆ 1.6  ┆ 3   │
    └────────┴──────┴─────┘
    """
    return _market_alpha_beta(asset, market, up=False, risk_free=risk_free, min_periods=min_periods)


def downside_beta(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    threshold: float | Literal["mean"] = "mean",
    min_periods: int = 2,
) -> pl.Expr:
    """Downside beta over all rows: a single value per group.

    Parameters
    ----------
    asset
        Simple per-period returns of the strategy or fund.
    market
        Simple per-period returns of the market.
    threshold
        ``"mean"``: the rows where the market is below its mean over the usable rows
        (Ang, Chen and Xing); or a number: the rows where the market is below it.
    min_periods
        Fewest usable rows of the group (at least 2).

    Returns
    -------
    pl.Expr
        A scalar Float64 per group.

    Notes
    -----
    ``Sxy / Sxx`` (the OLS slope, with an intercept) on the usable rows where the market is
    below the threshold. Null when fewer than ``min_periods`` rows are usable, fewer than 2
    rows lie below the threshold, or the market is constant on them.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "ret": [0.012, -0.004, 0.021, 0.003, -0.011, 0.016, -0.02],
    ...         "mkt": [0.010, -0.005, 0.015, 0.005, -0.010, 0.012, -0.015],
    ...     }
    ... )
    >>> df.select(pa.downside_beta("ret", "mkt").round(4))
    shape: (1, 1)
    ┌─────┐
    │ ret │
    │ --- │
    │ f64 │
    ╞═════╡
    │ 1.6 │
    └─────┘
    """
    return _whole(
        "downside_beta",
        [("asset", asset), ("market", market)],
        min_periods=min_periods,
        threshold=_validate.downside_threshold(threshold),
    )


def up_capture(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    periods_per_year: float = 252,
    min_periods: int = 2,
) -> pl.Expr:
    """Up-market capture ratio over all rows: a single value per group.

    Parameters
    ----------
    asset
        Simple per-period returns of the strategy or fund.
    market
        Simple per-period returns of the market or benchmark.
    periods_per_year
        ``P``: 252 daily, 52 weekly, 12 monthly.
    min_periods
        Fewest usable rows of the group, up or down (at least 2).

    Returns
    -------
    pl.Expr
        A scalar Float64 per group.

    Notes
    -----
    On the ``k`` usable rows where the market went up (``market > 0``), the annualized
    geometric return ``prod(1 + r) ** (P / k) - 1`` of the asset divided by the market's, as
    ``empyrical.up_capture``. Null when fewer than ``min_periods`` rows are usable, no row
    went up, or the market's annualized return is 0; a product below zero (a return below
    -100%) has no real root and gives null.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "ret": [0.012, -0.004, 0.021, 0.003, -0.011, 0.016, -0.02],
    ...         "mkt": [0.010, -0.005, 0.015, 0.005, -0.010, 0.012, -0.015],
    ...     }
    ... )
    >>> df.select(pa.up_capture("ret", "mkt", periods_per_year=12).round(4))
    shape: (1, 1)
    ┌────────┐
    │ ret    │
    │ ---    │
    │ f64    │
    ╞════════╡
    │ 1.2541 │
    └────────┘
    """
    return _whole(
        "up_capture",
        [("asset", asset), ("market", market)],
        min_periods=min_periods,
        periods_per_year=periods_per_year,
    )


def down_capture(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    periods_per_year: float = 252,
    min_periods: int = 2,
) -> pl.Expr:
    """Down-market capture ratio over all rows: a single value per group.

    Parameters
    ----------
    asset
        Simple per-period returns of the strategy or fund.
    market
        Simple per-period returns of the market or benchmark.
    periods_per_year
        ``P``: 252 daily, 52 weekly, 12 monthly.
    min_periods
        Fewest usable rows of the group, up or down (at least 2).

    Returns
    -------
    pl.Expr
        A scalar Float64 per group.

    Notes
    -----
    As :func:`up_capture` on the rows where the market went down (``market < 0``), as
    ``empyrical.down_capture``. Null when no row went down.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "ret": [0.012, -0.004, 0.021, 0.003, -0.011, 0.016, -0.02],
    ...         "mkt": [0.010, -0.005, 0.015, 0.005, -0.010, 0.012, -0.015],
    ...     }
    ... )
    >>> df.select(pa.down_capture("ret", "mkt", periods_per_year=12).round(4))
    shape: (1, 1)
    ┌────────┐
    │ ret    │
    │ ---    │
    │ f64    │
    ╞════════╡
    │ 1.1573 │
    └────────┘
    """
    return _whole(
        "down_capture",
        [("asset", asset), ("market", market)],
        min_periods=min_periods,
        periods_per_year=periods_per_year,
    )


def up_down_capture(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    periods_per_year: float = 252,
    min_periods: int = 2,
) -> pl.Expr:
    """Up-market capture over down-market capture: a single value per group.

    Parameters
    ----------
    asset
        Simple per-period returns of the strategy or fund.
    market
        Simple per-period returns of the market or benchmark.
    periods_per_year
        ``P``: 252 daily, 52 weekly, 12 monthly.
    min_periods
        Fewest usable rows of the group, up or down (at least 2).

    Returns
    -------
    pl.Expr
        A scalar Float64 per group.

    Notes
    -----
    :func:`up_capture` / :func:`down_capture`, as ``empyrical.up_down_capture``. Null when
    either is null or the down capture is 0.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "ret": [0.012, -0.004, 0.021, 0.003, -0.011, 0.016, -0.02],
    ...         "mkt": [0.010, -0.005, 0.015, 0.005, -0.010, 0.012, -0.015],
    ...     }
    ... )
    >>> df.select(pa.up_down_capture("ret", "mkt", periods_per_year=12).round(4))
    shape: (1, 1)
    ┌────────┐
    │ ret    │
    │ ---    │
    │ f64    │
    ╞════════╡
    │ 1.0837 │
    └────────┘
    """
    return _whole(
        "up_down_capture",
        [("asset", asset), ("market", market)],
        min_periods=min_periods,
        periods_per_year=periods_per_year,
    )


def max_drawdown(asset: IntoExprColumn, *, min_periods: int = 2) -> pl.Expr:
    """Maximum drawdown over all rows: a single value per group.

    Parameters
    ----------
    asset
        Simple per-period returns of the strategy or fund, in time order.
    min_periods
        Fewest usable rows (at least 2).

    Returns
    -------
    pl.Expr
        A scalar Float64 per group, at most 0.

    Notes
    -----
    With the wealth ``W_t = prod_{s <= t}(1 + r_s)`` over the usable rows in order and the
    starting wealth 1 as the first peak, ``min_t(W_t / max_{s <= t} W_s - 1)``, a negative
    fraction (0 when the wealth never falls), as ``empyrical.max_drawdown``. Rows with a null,
    NaN or infinite return are left out. Null when fewer than ``min_periods`` rows are usable.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame({"ret": [0.10, -0.05, -0.10, 0.20, -0.02]})
    >>> df.select(pa.max_drawdown("ret").round(4))
    shape: (1, 1)
    ┌────────┐
    │ ret    │
    │ ---    │
    │ f64    │
    ╞════════╡
    │ -0.145 │
    └────────┘
    """
    return _whole("max_drawdown", [("asset", asset)], min_periods=min_periods)


def annual_return(
    asset: IntoExprColumn, *, periods_per_year: float = 252, min_periods: int = 2
) -> pl.Expr:
    """Annual (compound) return over all rows: a single value per group.

    Parameters
    ----------
    asset
        Simple per-period returns of the strategy or fund.
    periods_per_year
        ``P``: 252 daily, 52 weekly, 12 monthly.
    min_periods
        Fewest usable rows (at least 2).

    Returns
    -------
    pl.Expr
        A scalar Float64 per group.

    Notes
    -----
    ``prod(1 + r) ** (P / n) - 1`` over the ``n`` usable rows, as ``empyrical.annual_return``.
    Null when fewer than ``min_periods`` rows are usable or the product is negative (a
    return below -100%).

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame({"ret": [0.02, -0.01, 0.03, 0.01]})
    >>> df.select(pa.annual_return("ret", periods_per_year=12).round(4))
    shape: (1, 1)
    ┌────────┐
    │ ret    │
    │ ---    │
    │ f64    │
    ╞════════╡
    │ 0.1593 │
    └────────┘
    """
    return _whole(
        "annual_return",
        [("asset", asset)],
        min_periods=min_periods,
        periods_per_year=periods_per_year,
    )


def calmar_ratio(
    asset: IntoExprColumn, *, periods_per_year: float = 252, min_periods: int = 2
) -> pl.Expr:
    """Calmar ratio over all rows: a single value per group.

    Parameters
    ----------
    asset
        Simple per-period returns of the strategy or fund, in time order.
    periods_per_year
        ``P``: 252 daily, 52 weekly, 12 monthly.
    min_periods
        Fewest usable rows (at least 2).

    Returns
    -------
    pl.Expr
        A scalar Float64 per group.

    Notes
    -----
    :func:`annual_return` / ``|``:func:`max_drawdown```|``, as ``empyrical.calmar_ratio``.
    Null when there is no drawdown (the wealth never fell) or fewer than ``min_periods`` rows
    are usable.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame({"ret": [0.10, -0.05, -0.10, 0.20, -0.02]})
    >>> df.select(pa.calmar_ratio("ret", periods_per_year=12).round(4))
    shape: (1, 1)
    ┌───────┐
    │ ret   │
    │ ---   │
    │ f64   │
    ╞═══════╡
    │ 1.887 │
    └───────┘
    """
    return _whole(
        "calmar", [("asset", asset)], min_periods=min_periods, periods_per_year=periods_per_year
    )


# ---------------------------------------------------------------------------------------------
# Rolling forms


def _rolling(
    statistic: str,
    values: list[tuple[str, IntoExprColumn]],
    *,
    window: int | str | None,
    min_periods: int | None,
    by: IntoExprColumn | None,
    order_by: IntoExprColumn | None,
    risk_free: float | IntoExprColumn | None = None,
    periods_per_year: float = 252,
    threshold: float | None = None,
) -> pl.Expr:
    return rolling_call(
        "rolling_strategy",
        values,
        window=window,
        min_periods=min_periods,
        risk_free=risk_free,
        by=by,
        order_by=order_by,
        statistic=statistic,
        periods_per_year=_validate.periods_per_year(periods_per_year),
        threshold=threshold,
    )


def rolling_sharpe_ratio(
    asset: IntoExprColumn,
    *,
    window: int | str | None = 252,
    min_periods: int | None = None,
    risk_free: float | IntoExprColumn | None = None,
    periods_per_year: float = 252,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
) -> pl.Expr:
    """Rolling Sharpe ratio.

    Parameters
    ----------
    asset
        Simple per-period returns of the strategy or fund.
    window
        Trailing rows (at least 2), ``None`` for an expanding window, or a duration such as
        ``"1y"`` on ``order_by``.
    min_periods
        Fewest usable rows (2 to ``window``); defaults to ``window``, or 2 for an expanding window,
        and for a date window 80% (rounded up) of the rows a full window holds at the data's
        frequency (as in :func:`~polars_alpha.rolling_treynor_ratio`).
    risk_free
        Per-period risk-free rate subtracted per row: a number, a column or an expression.
    periods_per_year
        ``P``: 252 daily, 52 weekly, 12 monthly.
    by
        A key column (the ticker); equals ``.over(by)``.
    order_by
        The column that orders each key's rows in time (usually the date), as in
        :func:`~polars_alpha.rolling_alpha_beta`; a duration ``window`` is measured on it.

    Returns
    -------
    pl.Expr
        Float64 Sharpe ratio per row.

    Notes
    -----
    :func:`sharpe_ratio` on the usable rows of each window: ``mean(y) / std(y) * sqrt(P)``,
    ``y = asset - rf``, ddof = 1. The moments slide, O(1) per row. Null when
    ``n < min_periods`` or ``y`` is constant in the window.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame({"ret": [0.010, -0.004, 0.012, 0.003, -0.008, 0.015]})
    >>> df.select(pa.rolling_sharpe_ratio("ret", window=4).round(4))
    shape: (6, 1)
    ┌─────────┐
    │ ret     │
    │ ---     │
    │ f64     │
    ╞═════════╡
    │ null    │
    │ null    │
    │ null    │
    │ 11.4568 │
    │ 1.3575  │
    │ 8.4406  │
    └─────────┘
    """
    return _rolling(
        "sharpe",
        [("asset", asset)],
        window=window,
        min_periods=min_periods,
        by=by,
        order_by=order_by,
        risk_free=risk_free,
        periods_per_year=periods_per_year,
    )


def rolling_sortino_ratio(
    asset: IntoExprColumn,
    *,
    window: int | str | None = 252,
    min_periods: int | None = None,
    required_return: float | IntoExprColumn = 0.0,
    periods_per_year: float = 252,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
) -> pl.Expr:
    """Rolling Sortino ratio.

    Parameters
    ----------
    asset
        Simple per-period returns of the strategy or fund.
    window
        Trailing rows (at least 2), ``None`` for an expanding window, or a duration on
        ``order_by``.
    min_periods
        Fewest usable rows; defaults as in :func:`rolling_sharpe_ratio`.
    required_return
        Per-period minimum acceptable return subtracted per row: a number, a column or an
        expression.
    periods_per_year
        ``P``: 252 daily, 52 weekly, 12 monthly.
    by
        A key column (the ticker); equals ``.over(by)``.
    order_by
        The column that orders each key's rows in time; a duration ``window`` is measured
        on it.

    Returns
    -------
    pl.Expr
        Float64 Sortino ratio per row.

    Notes
    -----
    :func:`sortino_ratio` on the usable rows of each window, O(1) per row. Null when
    ``n < min_periods`` or no row of the window is below the required return.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame({"ret": [0.010, -0.004, 0.012, 0.003, -0.008, 0.015]})
    >>> df.select(pa.rolling_sortino_ratio("ret", window=4).round(4))
    shape: (6, 1)
    ┌─────────┐
    │ ret     │
    │ ---     │
    │ f64     │
    ╞═════════╡
    │ null    │
    │ null    │
    │ null    │
    │ 41.6706 │
    │ 2.6622  │
    │ 21.8274 │
    └─────────┘
    """
    r = numeric_input(asset, "asset")
    req = _required_return(required_return)
    return _rolling(
        "sortino",
        [("asset", r - req)],
        window=window,
        min_periods=min_periods,
        by=by,
        order_by=order_by,
        periods_per_year=periods_per_year,
    )


def rolling_tracking_error(
    asset: IntoExprColumn,
    benchmark: IntoExprColumn,
    *,
    window: int | str | None = 252,
    min_periods: int | None = None,
    periods_per_year: float = 252,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
) -> pl.Expr:
    """Rolling tracking error.

    Parameters
    ----------
    asset
        Simple per-period returns of the strategy or fund.
    benchmark
        Simple per-period returns of its benchmark.
    window
        Trailing rows (at least 2), ``None`` for an expanding window, or a duration on
        ``order_by``.
    min_periods
        Fewest usable rows; defaults as in :func:`rolling_sharpe_ratio`.
    periods_per_year
        ``P``: 252 daily, 52 weekly, 12 monthly.
    by
        A key column (the ticker); equals ``.over(by)``.
    order_by
        The column that orders each key's rows in time; a duration ``window`` is measured
        on it.

    Returns
    -------
    pl.Expr
        Float64 tracking error per row.

    Notes
    -----
    :func:`tracking_error` on the usable rows of each window; the active return is kept as
    its own series and its moments slide, O(1) per row. Null when ``n < min_periods``.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "fund": [0.010, -0.004, 0.012, 0.003, -0.007, 0.015],
    ...         "index": [0.008, -0.002, 0.010, 0.001, -0.006, 0.011],
    ...     }
    ... )
    >>> df.select(pa.rolling_tracking_error("fund", "index", window=4).round(4))
    shape: (6, 1)
    ┌────────┐
    │ fund   │
    │ ---    │
    │ f64    │
    ╞════════╡
    │ null   │
    │ null   │
    │ null   │
    │ 0.0317 │
    │ 0.0327 │
    │ 0.0327 │
    └────────┘
    """
    return _rolling(
        "tracking_error",
        [("asset", asset), ("benchmark", benchmark)],
        window=window,
        min_periods=min_periods,
        by=by,
        order_by=order_by,
        periods_per_year=periods_per_year,
    )


def _rolling_market_alpha_beta(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    up: bool,
    window: int | str | None,
    min_periods: int | None,
    risk_free: float | IntoExprColumn | None,
    by: IntoExprColumn | None,
    order_by: IntoExprColumn | None,
) -> pl.Expr:
    r = numeric_input(asset, "asset")
    m = numeric_input(market, "market")
    side = (m > 0) if up else (m < 0)
    # The window's usable rows, up and down, decide min_periods; the fit needs 2 of its side.
    gate = _rolling(
        "count",
        [("asset", r), ("market", m)],
        window=window,
        min_periods=min_periods,
        by=by,
        order_by=order_by,
    )
    fit = rolling_alpha_beta(
        pl.when(side).then(r),
        pl.when(side).then(m),
        window=window,
        min_periods=2,
        risk_free=risk_free,
        by=by,
        order_by=order_by,
    )
    return pl.when(gate.is_not_null()).then(fit)


def rolling_up_market_alpha_beta(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    window: int | str | None = 252,
    min_periods: int | None = None,
    risk_free: float | IntoExprColumn | None = None,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
) -> pl.Expr:
    """Rolling CAPM fit on the rows of each window where the market went up.

    Parameters
    ----------
    asset
        Simple per-period returns of the strategy or fund.
    market
        Simple per-period returns of the market.
    window
        Trailing rows (at least 2), ``None`` for an expanding window, or a duration on
        ``order_by``.
    min_periods
        Fewest usable rows of the window, up and down alike; defaults as in
        :func:`rolling_sharpe_ratio`.
    risk_free
        Per-period risk-free rate subtracted from both returns.
    by
        A key column (the ticker); equals ``.over(by)``.
    order_by
        The column that orders each key's rows in time; a duration ``window`` is measured
        on it.

    Returns
    -------
    pl.Expr
        The Struct of :func:`~polars_alpha.rolling_alpha_beta` per row, fitted on the
        window's up-market rows (``n`` counts them).

    Notes
    -----
    :func:`up_market_alpha_beta` on each window: :func:`~polars_alpha.rolling_alpha_beta`
    of the rows where the market's return is above 0 (the others masked), O(1) per row.
    Null when the window has fewer than ``min_periods`` usable rows; the fit's fields are
    null when it has fewer than 2 up rows or the market is constant on them.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "ret": [0.012, -0.004, 0.021, 0.003, -0.011, 0.016],
    ...         "mkt": [0.010, -0.005, 0.015, 0.005, -0.010, 0.012],
    ...     }
    ... )
    >>> df.select(
    ...     pa.rolling_up_market_alpha_beta("ret", "mkt", window=4).struct.field("beta").round(4)
    ... )
    shape: (6, 1)
    ┌────────┐
    │ beta   │
    │ ---    │
    │ f64    │
    ╞════════╡
    │ null   │
    │ null   │
    │ null   │
    │ 1.8    │
    │ 1.8    │
    │ 1.8101 │
    └────────┘
    """
    return _rolling_market_alpha_beta(
        asset,
        market,
        up=True,
        window=window,
        min_periods=min_periods,
        risk_free=risk_free,
        by=by,
        order_by=order_by,
    )


def rolling_down_market_alpha_beta(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    window: int | str | None = 252,
    min_periods: int | None = None,
    risk_free: float | IntoExprColumn | None = None,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
) -> pl.Expr:
    """Rolling CAPM fit on the rows of each window where the market went down.

    Parameters
    ----------
    asset
        Simple per-period returns of the strategy or fund.
    market
        Simple per-period returns of the market.
    window
        Trailing rows (at least 2), ``None`` for an expanding window, or a duration on
        ``order_by``.
    min_periods
        Fewest usable rows of the window, up and down alike; defaults as in
        :func:`rolling_sharpe_ratio`.
    risk_free
        Per-period risk-free rate subtracted from both returns.
    by
        A key column (the ticker); equals ``.over(by)``.
    order_by
        The column that orders each key's rows in time; a duration ``window`` is measured
        on it.

    Returns
    -------
    pl.Expr
        The Struct of :func:`~polars_alpha.rolling_alpha_beta` per row, fitted on the
        window's down-market rows.

    Notes
    -----
    As :func:`rolling_up_market_alpha_beta` on the rows where the market's return is below
    0; a window without 2 down days has null fields.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "ret": [0.012, -0.004, 0.021, -0.003, -0.011, 0.016],
    ...         "mkt": [0.010, -0.005, 0.015, -0.002, -0.010, 0.012],
    ...     }
    ... )
    >>> df.select(
    ...     pa.rolling_down_market_alpha_beta("ret", "mkt", window=4)
    ...     .struct.field("beta")
    ...     .round(4)
    ... )
    shape: (6, 1)
    ┌────────┐
    │ beta   │
    │ ---    │
    │ f64    │
    ╞════════╡
    │ null   │
    │ null   │
    │ null   │
    │ 0.3333 │
    │ 1.0408 │
    │ 1.0    │
    └────────┘
    """
    return _rolling_market_alpha_beta(
        asset,
        market,
        up=False,
        window=window,
        min_periods=min_periods,
        risk_free=risk_free,
        by=by,
        order_by=order_by,
    )


def rolling_downside_beta(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    threshold: float | Literal["mean"] = "mean",
    window: int | str | None = 252,
    min_periods: int | None = None,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
) -> pl.Expr:
    """Rolling downside beta.

    Parameters
    ----------
    asset
        Simple per-period returns of the strategy or fund.
    market
        Simple per-period returns of the market.
    threshold
        ``"mean"``: the rows where the market is below its mean over the window's usable rows;
        or a number.
    window
        Trailing rows (at least 2), ``None`` for an expanding window, or a duration on
        ``order_by``.
    min_periods
        Fewest usable rows of the window, below the threshold or not; defaults as in
        :func:`rolling_sharpe_ratio`.
    by
        A key column (the ticker); equals ``.over(by)``.
    order_by
        The column that orders each key's rows in time; a duration ``window`` is measured
        on it.

    Returns
    -------
    pl.Expr
        Float64 downside beta per row.

    Notes
    -----
    :func:`downside_beta` on each window. With a number the rows below it are fixed and the
    moments slide, O(1) per row; with ``"mean"`` the rows below the window's mean change
    with every window, which is rescanned: O(window) per row. Null when ``n < min_periods``,
    fewer than 2 rows are below the threshold, or the market is constant on them.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "ret": [0.012, -0.004, 0.021, -0.003, -0.011, 0.016],
    ...         "mkt": [0.010, -0.005, 0.015, -0.002, -0.010, 0.012],
    ...     }
    ... )
    >>> df.select(pa.rolling_downside_beta("ret", "mkt", window=4).round(4))
    shape: (6, 1)
    ┌────────┐
    │ ret    │
    │ ---    │
    │ f64    │
    ╞════════╡
    │ null   │
    │ null   │
    │ null   │
    │ 0.3333 │
    │ 1.0408 │
    │ 1.0    │
    └────────┘
    """
    return _rolling(
        "downside_beta",
        [("asset", asset), ("market", market)],
        window=window,
        min_periods=min_periods,
        by=by,
        order_by=order_by,
        threshold=_validate.downside_threshold(threshold),
    )


def rolling_up_capture(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    window: int | str | None = 252,
    min_periods: int | None = None,
    periods_per_year: float = 252,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
) -> pl.Expr:
    """Rolling up-market capture ratio.

    Parameters
    ----------
    asset
        Simple per-period returns of the strategy or fund.
    market
        Simple per-period returns of the market or benchmark.
    window
        Trailing rows (at least 2), ``None`` for an expanding window, or a duration on
        ``order_by``.
    min_periods
        Fewest usable rows of the window, up and down alike; defaults as in
        :func:`rolling_sharpe_ratio`.
    periods_per_year
        ``P``: 252 daily, 52 weekly, 12 monthly.
    by
        A key column (the ticker); equals ``.over(by)``.
    order_by
        The column that orders each key's rows in time; a duration ``window`` is measured
        on it.

    Returns
    -------
    pl.Expr
        Float64 up-market capture ratio per row.

    Notes
    -----
    :func:`up_capture` on the usable rows of each window. The compounded returns are
    differences of running sums of ``ln(1 + r)`` over the up (down) rows, O(1) per row. Null when
    ``n < min_periods``, the window has no up (down) row, or a denominator is 0.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "ret": [0.012, -0.004, 0.021, -0.003, -0.011, 0.016],
    ...         "mkt": [0.010, -0.005, 0.015, -0.002, -0.010, 0.012],
    ...     }
    ... )
    >>> df.select(pa.rolling_up_capture("ret", "mkt", window=4, periods_per_year=12).round(4))
    shape: (6, 1)
    ┌────────┐
    │ ret    │
    │ ---    │
    │ f64    │
    ╞════════╡
    │ null   │
    │ null   │
    │ null   │
    │ 1.3493 │
    │ 1.4479 │
    │ 1.4091 │
    └────────┘
    """
    return _rolling(
        "up_capture",
        [("asset", asset), ("market", market)],
        window=window,
        min_periods=min_periods,
        by=by,
        order_by=order_by,
        periods_per_year=periods_per_year,
    )


def rolling_down_capture(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    window: int | str | None = 252,
    min_periods: int | None = None,
    periods_per_year: float = 252,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
) -> pl.Expr:
    """Rolling down-market capture ratio.

    Parameters
    ----------
    asset
        Simple per-period returns of the strategy or fund.
    market
        Simple per-period returns of the market or benchmark.
    window
        Trailing rows (at least 2), ``None`` for an expanding window, or a duration on
        ``order_by``.
    min_periods
        Fewest usable rows of the window, up and down alike; defaults as in
        :func:`rolling_sharpe_ratio`.
    periods_per_year
        ``P``: 252 daily, 52 weekly, 12 monthly.
    by
        A key column (the ticker); equals ``.over(by)``.
    order_by
        The column that orders each key's rows in time; a duration ``window`` is measured
        on it.

    Returns
    -------
    pl.Expr
        Float64 down-market capture ratio per row.

    Notes
    -----
    :func:`down_capture` on the usable rows of each window. The compounded returns are
    differences of running sums of ``ln(1 + r)`` over the up (down) rows, O(1) per row. Null when
    ``n < min_periods``, the window has no up (down) row, or a denominator is 0.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "ret": [0.012, -0.004, 0.021, -0.003, -0.011, 0.016],
    ...         "mkt": [0.010, -0.005, 0.015, -0.002, -0.010, 0.012],
    ...     }
    ... )
    >>> df.select(pa.rolling_down_capture("ret", "mkt", window=4, periods_per_year=12).round(4))
    shape: (6, 1)
    ┌────────┐
    │ ret    │
    │ ---    │
    │ f64    │
    ╞════════╡
    │ null   │
    │ null   │
    │ null   │
    │ 0.9997 │
    │ 1.057  │
    │ 1.1601 │
    └────────┘
    """
    return _rolling(
        "down_capture",
        [("asset", asset), ("market", market)],
        window=window,
        min_periods=min_periods,
        by=by,
        order_by=order_by,
        periods_per_year=periods_per_year,
    )


def rolling_up_down_capture(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    window: int | str | None = 252,
    min_periods: int | None = None,
    periods_per_year: float = 252,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
) -> pl.Expr:
    """Rolling up/down capture ratio.

    Parameters
    ----------
    asset
        Simple per-period returns of the strategy or fund.
    market
        Simple per-period returns of the market or benchmark.
    window
        Trailing rows (at least 2), ``None`` for an expanding window, or a duration on
        ``order_by``.
    min_periods
        Fewest usable rows of the window, up and down alike; defaults as in
        :func:`rolling_sharpe_ratio`.
    periods_per_year
        ``P``: 252 daily, 52 weekly, 12 monthly.
    by
        A key column (the ticker); equals ``.over(by)``.
    order_by
        The column that orders each key's rows in time; a duration ``window`` is measured
        on it.

    Returns
    -------
    pl.Expr
        Float64 up/down capture ratio per row.

    Notes
    -----
    :func:`up_down_capture` on the usable rows of each window. The compounded returns are
    differences of running sums of ``ln(1 + r)`` over the up (down) rows, O(1) per row. Null when
    ``n < min_periods``, the window has no up (down) row, or a denominator is 0.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "ret": [0.012, -0.004, 0.021, -0.003, -0.011, 0.016],
    ...         "mkt": [0.010, -0.005, 0.015, -0.002, -0.010, 0.012],
    ...     }
    ... )
    >>> df.select(pa.rolling_up_down_capture("ret", "mkt", window=4, periods_per_year=12).round(4))
    shape: (6, 1)
    ┌────────┐
    │ ret    │
    │ ---    │
    │ f64    │
    ╞════════╡
    │ null   │
    │ null   │
    │ null   │
    │ 1.3497 │
    │ 1.3699 │
    │ 1.2147 │
    └────────┘
    """
    return _rolling(
        "up_down_capture",
        [("asset", asset), ("market", market)],
        window=window,
        min_periods=min_periods,
        by=by,
        order_by=order_by,
        periods_per_year=periods_per_year,
    )


def rolling_max_drawdown(
    asset: IntoExprColumn,
    *,
    window: int | str | None = 252,
    min_periods: int | None = None,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
) -> pl.Expr:
    """Rolling maximum drawdown.

    Parameters
    ----------
    asset
        Simple per-period returns of the strategy or fund.
    window
        Trailing rows (at least 2), ``None`` for an expanding window, or a duration on
        ``order_by``.
    min_periods
        Fewest usable rows; defaults as in :func:`rolling_sharpe_ratio`.
    by
        A key column (the ticker); equals ``.over(by)``.
    order_by
        The column that orders each key's rows in time; a duration ``window`` is measured
        on it.

    Returns
    -------
    pl.Expr
        Float64 max drawdown per row, at most 0.

    Notes
    -----
    :func:`max_drawdown` of each window's usable rows, the wealth starting at 1 on the
    window's first row. Cost: O(window) per row (the window is rescanned when its start
    moves); O(1) per row on an expanding window. Null when ``n < min_periods``.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame({"ret": [0.10, -0.05, -0.10, 0.20, -0.02, 0.01]})
    >>> df.select(pa.rolling_max_drawdown("ret", window=3).round(4))
    shape: (6, 1)
    ┌────────┐
    │ ret    │
    │ ---    │
    │ f64    │
    ╞════════╡
    │ null   │
    │ null   │
    │ -0.145 │
    │ -0.145 │
    │ -0.1   │
    │ -0.02  │
    └────────┘
    """
    return _rolling(
        "max_drawdown",
        [("asset", asset)],
        window=window,
        min_periods=min_periods,
        by=by,
        order_by=order_by,
    )


def rolling_annual_return(
    asset: IntoExprColumn,
    *,
    window: int | str | None = 252,
    min_periods: int | None = None,
    periods_per_year: float = 252,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
) -> pl.Expr:
    """Rolling annual (compound) return.

    Parameters
    ----------
    asset
        Simple per-period returns of the strategy or fund.
    window
        Trailing rows (at least 2), ``None`` for an expanding window, or a duration on
        ``order_by``.
    min_periods
        Fewest usable rows; defaults as in :func:`rolling_sharpe_ratio`.
    periods_per_year
        ``P``: 252 daily, 52 weekly, 12 monthly.
    by
        A key column (the ticker); equals ``.over(by)``.
    order_by
        The column that orders each key's rows in time; a duration ``window`` is measured
        on it.

    Returns
    -------
    pl.Expr
        Float64 annual return per row.

    Notes
    -----
    :func:`annual_return` of each window's usable rows, from differences of running sums of
    ``ln(1 + r)``: O(1) per row. Null when ``n < min_periods``.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame({"ret": [0.02, -0.01, 0.03, 0.01, -0.02]})
    >>> df.select(pa.rolling_annual_return("ret", window=3, periods_per_year=12).round(4))
    shape: (5, 1)
    ┌────────┐
    │ ret    │
    │ ---    │
    │ f64    │
    ╞════════╡
    │ null   │
    │ null   │
    │ 0.1703 │
    │ 0.1251 │
    │ 0.0803 │
    └────────┘
    """
    return _rolling(
        "annual_return",
        [("asset", asset)],
        window=window,
        min_periods=min_periods,
        by=by,
        order_by=order_by,
        periods_per_year=periods_per_year,
    )


def rolling_calmar_ratio(
    asset: IntoExprColumn,
    *,
    window: int | str | None = 252,
    min_periods: int | None = None,
    periods_per_year: float = 252,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
) -> pl.Expr:
    """Rolling Calmar ratio.

    Parameters
    ----------
    asset
        Simple per-period returns of the strategy or fund.
    window
        Trailing rows (at least 2), ``None`` for an expanding window, or a duration on
        ``order_by``.
    min_periods
        Fewest usable rows; defaults as in :func:`rolling_sharpe_ratio`.
    periods_per_year
        ``P``: 252 daily, 52 weekly, 12 monthly.
    by
        A key column (the ticker); equals ``.over(by)``.
    order_by
        The column that orders each key's rows in time; a duration ``window`` is measured
        on it.

    Returns
    -------
    pl.Expr
        Float64 Calmar ratio per row.

    Notes
    -----
    :func:`rolling_annual_return` / ``|``:func:`rolling_max_drawdown```|``; its cost is the
    drawdown's, O(window) per row (O(1) expanding). Null when ``n < min_periods`` or the
    window has no drawdown.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame({"ret": [0.10, -0.05, -0.10, 0.20, -0.02, 0.01]})
    >>> df.select(pa.rolling_calmar_ratio("ret", window=3, periods_per_year=12).round(4))
    shape: (6, 1)
    ┌─────────┐
    │ ret     │
    │ ---     │
    │ f64     │
    ╞═════════╡
    │ null    │
    │ null    │
    │ -1.5006 │
    │ 0.7457  │
    │ 2.5487  │
    │ 49.5141 │
    └─────────┘
    """
    return _rolling(
        "calmar",
        [("asset", asset)],
        window=window,
        min_periods=min_periods,
        by=by,
        order_by=order_by,
        periods_per_year=periods_per_year,
    )
