"""Evaluating a strategy or a fund: Sharpe, Sortino, tracking error, up and down markets,
capture ratios, drawdown, annual return and Calmar.

Each measure is one value per group, for ``group_by().agg()`` and ``group_by_dynamic()``,
following empyrical's conventions. Inputs are simple per-period returns; a row with a null or
non-finite input is left out (both series together for two-input measures).
"""

from __future__ import annotations

import math
from typing import Literal

import polars as pl

from polars_alpha import _validate
from polars_alpha._plugin import numeric_input
from polars_alpha._typing import IntoExprColumn
from polars_alpha.regression import alpha_beta

__all__ = [
    "annual_return",
    "calmar_ratio",
    "down_capture",
    "down_market_alpha_beta",
    "downside_beta",
    "max_drawdown",
    "sharpe_ratio",
    "sortino_ratio",
    "tracking_error",
    "up_capture",
    "up_down_capture",
    "up_market_alpha_beta",
]


def _usable(*values: pl.Expr) -> pl.Expr:
    """True on rows where every value is a finite number (null counts as not)."""
    checks = [value.is_finite().fill_null(False) for value in values]
    ok = checks[0]
    for check in checks[1:]:
        ok = ok & check
    return ok


def _finite(value: pl.Expr) -> pl.Expr:
    """``value`` where finite, else null: a degenerate statistic is null, never inf or NaN."""
    return pl.when(value.is_finite()).then(value)


def _rate(value: object, argument: str) -> pl.Expr:
    """A per-period rate given as a number, a column or an expression, as Float64."""
    if argument == "risk_free":
        if value is None:
            return pl.lit(0.0, dtype=pl.Float64)
        rate, column = _validate.risk_free(value)
    else:
        rate, column = _validate.required_return(value)
    if column is None:
        return pl.lit(rate, dtype=pl.Float64)
    return numeric_input(column, argument)


def _enough(ok: pl.Expr, min_periods: int) -> pl.Expr:
    return ok.sum() >= min_periods


def _annualized(returns: pl.Expr, periods_per_year: float) -> pl.Expr:
    """``prod(1 + r) ** (P / n) - 1`` of the non-null rows (NaN on a negative product)."""
    return (returns + 1.0).product().pow(periods_per_year / returns.count()) - 1.0


def _drawdown(returns: pl.Expr) -> pl.Expr:
    """Largest fall of the wealth ``prod(1 + r)`` from its running peak, the start (1) being
    the first peak; the rows are the non-null ones, in order."""
    wealth = (returns.drop_nulls() + 1.0).cum_prod()
    peak = wealth.cum_max().clip(lower_bound=1.0)
    return (wealth / peak - 1.0).min()


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
    periods = _validate.periods_per_year(periods_per_year)
    least = _validate.whole_sample_min_periods(min_periods)
    r = numeric_input(asset, "asset")
    rf = _rate(risk_free, "risk_free")
    ok = _usable(r, rf)
    y = pl.when(ok).then(r - rf)
    sd = y.std(ddof=1)
    value = y.mean() / sd * math.sqrt(periods)
    return pl.when(_enough(ok, least) & _spread(y, sd)).then(_finite(value))


def _spread(y: pl.Expr, sd: pl.Expr) -> pl.Expr:
    """True when ``y`` is not constant up to rounding: its standard deviation is more than a
    few ulps of its level (a rounding-noise spread would give a huge, meaningless ratio)."""
    return sd > 16 * 2.220446049250313e-16 * (y.abs().mean() + sd)


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
    periods = _validate.periods_per_year(periods_per_year)
    least = _validate.whole_sample_min_periods(min_periods)
    r = numeric_input(asset, "asset")
    req = _rate(required_return, "required_return")
    ok = _usable(r, req)
    d = pl.when(ok).then(r - req)
    downside = d.clip(upper_bound=0.0).pow(2).mean().sqrt() * math.sqrt(periods)
    value = d.mean() * periods / downside
    return pl.when(_enough(ok, least) & (downside > 0)).then(_finite(value))


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
    periods = _validate.periods_per_year(periods_per_year)
    least = _validate.whole_sample_min_periods(min_periods)
    r = numeric_input(asset, "asset")
    b = numeric_input(benchmark, "benchmark")
    ok = _usable(r, b)
    active = pl.when(ok).then(r - b)
    value = active.std(ddof=1) * math.sqrt(periods)
    return pl.when(_enough(ok, least)).then(_finite(value))


def _market_alpha_beta(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    up: bool,
    risk_free: float | IntoExprColumn | None,
    min_periods: int,
) -> pl.Expr:
    least = _validate.whole_sample_min_periods(min_periods)
    r = numeric_input(asset, "asset")
    m = numeric_input(market, "market")
    ok = _usable(r, m)
    side = ok & ((m > 0) if up else (m < 0))
    fit = alpha_beta(
        pl.when(side).then(r), pl.when(side).then(m), risk_free=risk_free, min_periods=2
    )
    return pl.when(_enough(ok, least)).then(fit)


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
    cut = _validate.downside_threshold(threshold)
    least = _validate.whole_sample_min_periods(min_periods)
    r = numeric_input(asset, "asset")
    m = numeric_input(market, "market")
    ok = _usable(r, m)
    level = pl.when(ok).then(m).mean() if cut is None else pl.lit(cut, dtype=pl.Float64)
    below = ok & (m < level)
    x = pl.when(below).then(m)
    y = pl.when(below).then(r)
    sxx = ((x - x.mean()) ** 2).sum()
    sxy = ((y - y.mean()) * (x - x.mean())).sum()
    enough_below = below.sum() >= 2
    value = sxy / sxx
    return pl.when(_enough(ok, least) & enough_below & _spread(x, x.std(ddof=1))).then(
        _finite(value)
    )


def _capture(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    periods_per_year: float,
    min_periods: int,
    side: Literal["up", "down", "both"],
) -> pl.Expr:
    periods = _validate.periods_per_year(periods_per_year)
    least = _validate.whole_sample_min_periods(min_periods)
    r = numeric_input(asset, "asset")
    m = numeric_input(market, "market")
    ok = _usable(r, m)

    def ratio(mask: pl.Expr) -> pl.Expr:
        mine = _annualized(pl.when(mask).then(r), periods)
        theirs = _annualized(pl.when(mask).then(m), periods)
        return pl.when(mask.any() & (theirs != 0)).then(mine / theirs)

    up = ratio(ok & (m > 0))
    down = ratio(ok & (m < 0))
    if side == "up":
        value = up
    elif side == "down":
        value = down
    else:
        value = pl.when(down != 0).then(up / down)
    return pl.when(_enough(ok, least)).then(_finite(value))


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
    return _capture(asset, market, periods_per_year, min_periods, "up")


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
    return _capture(asset, market, periods_per_year, min_periods, "down")


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
    return _capture(asset, market, periods_per_year, min_periods, "both")


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
    least = _validate.whole_sample_min_periods(min_periods)
    r = numeric_input(asset, "asset")
    ok = _usable(r)
    return pl.when(_enough(ok, least)).then(_finite(_drawdown(pl.when(ok).then(r))))


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
    periods = _validate.periods_per_year(periods_per_year)
    least = _validate.whole_sample_min_periods(min_periods)
    r = numeric_input(asset, "asset")
    ok = _usable(r)
    return pl.when(_enough(ok, least)).then(_finite(_annualized(pl.when(ok).then(r), periods)))


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
    periods = _validate.periods_per_year(periods_per_year)
    least = _validate.whole_sample_min_periods(min_periods)
    r = numeric_input(asset, "asset")
    ok = _usable(r)
    kept = pl.when(ok).then(r)
    drawdown = _drawdown(kept)
    value = _annualized(kept, periods) / drawdown.abs()
    return pl.when(_enough(ok, least) & (drawdown < 0)).then(_finite(value))
