"""Performance ratios against a market or benchmark: Treynor, information, correlation.

Each comes rolling (trailing row, expanding or date windows, ``by=`` panels) and as one value
per group for ``group_by().agg()``. The appraisal ratio, which needs a fit's alpha and residual
volatility, is :func:`polars_alpha.appraisal_ratio`.
"""

from __future__ import annotations

import polars as pl

from polars_alpha import _validate
from polars_alpha._plugin import rolling_call, whole_sample_call
from polars_alpha._typing import IntoExprColumn

__all__ = [
    "information_ratio",
    "rolling_correlation",
    "rolling_information_ratio",
    "rolling_treynor_ratio",
    "treynor_ratio",
]


def rolling_treynor_ratio(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    window: int | str | None = 252,
    min_periods: int | None = None,
    risk_free: float | IntoExprColumn | None = None,
    periods_per_year: float = 252,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
) -> pl.Expr:
    """Rolling Treynor ratio: annualized excess return per unit of beta.

    Parameters
    ----------
    asset
        Simple per-period returns of the asset.
    market
        Simple per-period returns of the market, for the beta.
    window
        Trailing rows (at least 2), ``None`` for an expanding window, or a duration such as
        ``"1y"`` on ``order_by``.
    min_periods
        Fewest usable rows (2 to ``window``); defaults to ``window``, or 2 for an expanding window,
        and for a date window 80% (rounded up) of the rows a full window holds at the data's
        frequency: the median row count of the windows the data covers in full. A date window the
        data never covers in full gets no fit by default.
    risk_free
        Per-period risk-free rate subtracted from both returns: a number or a column.
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
        Float64 Treynor ratio per row.

    Notes
    -----
    ``mean(y) * P / beta`` with ``y = asset - rf``, ``x = market - rf`` and
    ``beta = Sxy / Sxx`` over the usable rows of the window (the beta of
    :func:`rolling_alpha_beta`). Null when ``n < min_periods``, the market is constant, or
    beta is exactly 0. Rows with a null, NaN or infinite input are left out.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "fund": [0.010, -0.004, 0.012, 0.003, -0.008, 0.015],
    ...         "index": [0.008, -0.002, 0.010, 0.001, -0.006, 0.011],
    ...     }
    ... )
    >>> df.select(
    ...     pa.rolling_treynor_ratio("fund", "index", window=4, periods_per_year=252).round(4)
    ... )
    shape: (6, 1)
    ┌────────┐
    │ fund   │
    │ ---    │
    │ f64    │
    ╞════════╡
    │ null   │
    │ null   │
    │ null   │
    │ 1.0513 │
    │ 0.1484 │
    │ 1.0842 │
    └────────┘
    """
    return rolling_call(
        "rolling_ratio",
        [("asset", asset), ("market", market)],
        window=window,
        min_periods=min_periods,
        risk_free=risk_free,
        by=by,
        order_by=order_by,
        statistic="treynor",
        periods_per_year=_validate.periods_per_year(periods_per_year),
    )


def treynor_ratio(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    risk_free: float | IntoExprColumn | None = None,
    periods_per_year: float = 252,
    min_periods: int = 2,
) -> pl.Expr:
    """Treynor ratio over all rows: a single value per group.

    Parameters
    ----------
    asset
        Simple per-period returns of the asset.
    market
        Simple per-period returns of the market.
    risk_free
        Per-period risk-free rate subtracted from both returns.
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
    ``mean(asset - rf) * P / beta``; null rules as in :func:`rolling_treynor_ratio`.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "fund": ["A"] * 4 + ["B"] * 4,
    ...         "ret": [0.02, -0.01, 0.03, 0.01, 0.01, 0.0, 0.02, 0.01],
    ...         "mkt": [0.015, -0.01, 0.02, 0.005] * 2,
    ...     }
    ... )
    >>> df.group_by("fund", maintain_order=True).agg(
    ...     pa.treynor_ratio("ret", "mkt", periods_per_year=12).round(4)
    ... )
    shape: (2, 2)
    ┌──────┬────────┐
    │ fund ┆ ret    │
    │ ---  ┆ ---    │
    │ str  ┆ f64    │
    ╞══════╪════════╡
    │ A    ┆ 0.1167 │
    │ B    ┆ 0.21   │
    └──────┴────────┘
    """
    return whole_sample_call(
        "ratio",
        [("asset", asset), ("market", market)],
        min_periods=min_periods,
        risk_free=risk_free,
        statistic="treynor",
        periods_per_year=_validate.periods_per_year(periods_per_year),
    )


def rolling_information_ratio(
    asset: IntoExprColumn,
    benchmark: IntoExprColumn,
    *,
    window: int | str | None = 252,
    min_periods: int | None = None,
    periods_per_year: float = 252,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
) -> pl.Expr:
    """Rolling information ratio: annualized active return per unit of tracking error.

    Parameters
    ----------
    asset
        Simple per-period returns of the asset or fund.
    benchmark
        Simple per-period returns of its benchmark.
    window
        Trailing rows (at least 2), ``None`` for an expanding window, or a duration such as
        ``"1y"`` on ``order_by``.
    min_periods
        Fewest usable rows (2 to ``window``); defaults to ``window``, or 2 for an expanding window,
        and for a date window 80% (rounded up) of the rows a full window holds at the data's
        frequency: the median row count of the windows the data covers in full. A date window the
        data never covers in full gets no fit by default.
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
        Float64 information ratio per row.

    Notes
    -----
    ``mean(r - r_b) / std(r - r_b) * sqrt(P)`` with the sample standard deviation
    (ddof = 1) of the active return over the usable rows of the window. The active return
    is kept as its own series, so a fund that tracks its benchmark closely keeps full
    precision. Null when ``n < min_periods`` or the active return is constant.

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
    >>> df.select(pa.rolling_information_ratio("fund", "index", window=4).round(4))
    shape: (6, 1)
    ┌─────────┐
    │ fund    │
    │ ---     │
    │ f64     │
    ╞═════════╡
    │ null    │
    │ null    │
    │ null    │
    │ 7.9373  │
    │ 1.9251  │
    │ 13.4755 │
    └─────────┘
    """
    return rolling_call(
        "rolling_ratio",
        [("asset", asset), ("benchmark", benchmark)],
        window=window,
        min_periods=min_periods,
        risk_free=None,
        by=by,
        order_by=order_by,
        statistic="information",
        periods_per_year=_validate.periods_per_year(periods_per_year),
    )


def information_ratio(
    asset: IntoExprColumn,
    benchmark: IntoExprColumn,
    *,
    periods_per_year: float = 252,
    min_periods: int = 2,
) -> pl.Expr:
    """Information ratio over all rows: a single value per group.

    Parameters
    ----------
    asset
        Simple per-period returns of the asset or fund.
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
    ``mean(r - r_b) / std(r - r_b) * sqrt(P)``, ddof = 1; null rules as in
    :func:`rolling_information_ratio`.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "ret": [0.02, -0.01, 0.03, 0.01],
    ...         "bench": [0.015, -0.01, 0.02, 0.005],
    ...     }
    ... )
    >>> df.select(pa.information_ratio("ret", "bench", periods_per_year=12).round(4))
    shape: (1, 1)
    ┌────────┐
    │ ret    │
    │ ---    │
    │ f64    │
    ╞════════╡
    │ 4.2426 │
    └────────┘
    """
    return whole_sample_call(
        "ratio",
        [("asset", asset), ("benchmark", benchmark)],
        min_periods=min_periods,
        risk_free=None,
        statistic="information",
        periods_per_year=_validate.periods_per_year(periods_per_year),
    )


def rolling_correlation(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    window: int | str | None = 252,
    min_periods: int | None = None,
    risk_free: float | IntoExprColumn | None = None,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
) -> pl.Expr:
    """Rolling Pearson correlation of an asset's returns with the market's.

    Parameters
    ----------
    asset
        Simple per-period returns of the asset.
    market
        Simple per-period returns of the market.
    window
        Trailing rows (at least 2), ``None`` for an expanding window, or a duration such as
        ``"1y"`` on ``order_by``.
    min_periods
        Fewest usable rows (2 to ``window``); defaults to ``window``, or 2 for an expanding window,
        and for a date window 80% (rounded up) of the rows a full window holds at the data's
        frequency: the median row count of the windows the data covers in full. A date window the
        data never covers in full gets no fit by default.
    risk_free
        Per-period risk-free rate subtracted from both returns (as in the CAPM fit, whose
        ``r2`` is this correlation squared). A constant rate changes nothing.
    by
        A key column (the ticker); equals ``.over(by)``.
    order_by
        The column that orders each key's rows in time (usually the date), as in
        :func:`~polars_alpha.rolling_alpha_beta`; a duration ``window`` is measured on it.

    Returns
    -------
    pl.Expr
        Float64 correlation per row, in ``[-1, 1]``.

    Notes
    -----
    ``Sxy / sqrt(Sxx * Syy)`` over the usable rows of the window (rows with a null, NaN or
    infinite input are left out of both series together, unlike Polars' ``rolling_corr``).
    Null when ``n < min_periods`` or either series is constant.

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
    >>> df.select(pa.rolling_correlation("stock", "index", window=4).round(4))
    shape: (6, 1)
    ┌────────┐
    │ stock  │
    │ ---    │
    │ f64    │
    ╞════════╡
    │ null   │
    │ null   │
    │ null   │
    │ 0.9824 │
    │ 0.9878 │
    │ 0.9938 │
    └────────┘
    """
    return rolling_call(
        "rolling_ratio",
        [("asset", asset), ("market", market)],
        window=window,
        min_periods=min_periods,
        risk_free=risk_free,
        by=by,
        order_by=order_by,
        statistic="correlation",
        periods_per_year=1.0,
    )
