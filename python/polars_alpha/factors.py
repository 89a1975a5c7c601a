"""Multi-factor regressions (Fama-French style): rolling and one fit per group."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from polars_alpha import _validate
from polars_alpha._plugin import rolling_call, whole_sample_call
from polars_alpha._typing import IntoExprColumn

__all__ = ["factor_regression", "rolling_factor_regression"]


def rolling_factor_regression(
    asset: IntoExprColumn,
    factors: Sequence[IntoExprColumn],
    *,
    window: int | str | None = 252,
    min_periods: int | None = None,
    risk_free: float | IntoExprColumn | None = None,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
    cov_type: str = "nonrobust",
    maxlags: int | None = None,
    fields: Sequence[str] | None = None,
) -> pl.Expr:
    """Rolling multi-factor regression: alpha and one beta per factor.

    At each row, fits ``asset - rf = alpha + sum_j beta_j * factor_j + e`` by ordinary least
    squares over the trailing window, e.g. on Fama-French's market excess return, SMB and HML.

    Parameters
    ----------
    asset
        Simple per-period returns of the asset: a column name or an expression.
    factors
        A list of factor columns or expressions (at least one), each with a distinct output
        name; the output fields are named after them. Factors are used as given: pass the
        market's *excess* return (``mkt - rf``) as a factor, as Fama and French publish it.
    window
        Number of trailing rows in each fit (at least 2); ``None`` for an expanding fit; or a
        Polars duration such as ``"1y"`` on ``order_by`` for a calendar window
        ``(date_t - duration, date_t]``.
    min_periods
        Fewest usable rows a window needs (2 to ``window``). Defaults to ``window``, or 2 for an
        expanding window, and for a date window 80% (rounded up) of the rows a full window holds at
        the data's frequency: the median row count of the windows the data covers in full. A date
        window the data never covers in full gets no fit by default. A fit also needs more rows than
        factors.
    risk_free
        Per-period risk-free rate subtracted from ``asset`` (not from the factors): a number,
        a column name or an expression. ``None`` means zero.
    by
        A key column (the ticker): each key's rows form their own series, computed in
        parallel. Equals ``.over(by)``.
    order_by
        The column that orders each key's rows in time (usually the date), as in
        :func:`~polars_alpha.rolling_alpha_beta`; a duration ``window`` is measured on it.
    cov_type
        The covariance behind the standard errors and t-values: ``"nonrobust"`` (default),
        ``"HC0"``, ``"HC1"`` or ``"HAC"`` (Newey-West, with ``maxlags``), as in
        :func:`~polars_alpha.rolling_alpha_beta`. The other fields do not depend on it.
    maxlags
        Lags of ``"HAC"`` (required by it, refused by the others): 0 to ``window - 1``.
    fields
        The struct fields to return, in struct order; ``None`` for all of the fields below.
        ``"fitted"`` (the window's prediction of its own last row) and ``"resid"`` (that
        row's residual) come only when named here, after ``n``.

    Returns
    -------
    pl.Expr
        A Struct with Float64 fields ``alpha``, ``beta_<f>`` for each factor ``f``, ``r2``,
        ``adj_r2``, ``resid_std``, ``alpha_se``, ``beta_<f>_se``, ``alpha_t``,
        ``beta_<f>_t``, and the UInt32 field ``n`` (only the ``fields`` asked for, when
        given).

    Notes
    -----
    With ``y = asset - rf`` and the factor matrix ``F`` (``k`` columns) over the usable rows:
    ``beta = Sff^-1 Sfy`` from the centered co-moments, ``alpha = mean(y) - beta . mean(F)``,
    ``r2 = 1 - SSR / Syy``, ``adj_r2 = 1 - (1 - r2) (n - 1) / (n - k - 1)``,
    ``resid_std = sqrt(SSR / (n - k - 1))``, ``beta_se_j = resid_std * sqrt((Sff^-1)_jj)``,
    ``alpha_se = resid_std * sqrt(1/n + mean(F)' Sff^-1 mean(F))``; t-values are coefficient
    / standard error. These equal statsmodels ``OLS(y, add_constant(F))``.

    Robust covariances are statsmodels ``OLS(y, X).fit(cov_type=...,
    cov_kwds={"maxlags": L, "use_correction": False})`` on the window's usable rows (HC1
    scales HC0 by ``n / (n - k - 1)``); rows with a missing input are dropped before HAC's
    lags are formed. See :func:`~polars_alpha.rolling_alpha_beta`.

    Each window is solved afresh from its co-moments by a Cholesky factorization of the
    factors' correlation matrix; no inverse is carried between windows.

    Null rules: a row is left out when any input is null, NaN or infinite. ``n`` counts the
    usable rows. Every other field is null when ``n < min_periods``, ``n <= k``, a factor is
    constant, or the factors are collinear in the window (a factor's ``1 - R²`` on the other
    factors below 1e-9); ``resid_std``, ``adj_r2``, standard errors and t-values when
    ``n <= k + 1``; ``r2`` and ``adj_r2`` when the asset is constant.

    Endpoints: at row ``t``, with the fit of the window ending at ``t``,
    ``fitted = alpha + sum_j beta_j * factor_j[t]`` and ``resid = y_t - fitted``; ``fitted``
    is null where the fit or a factor at ``t`` is, and ``resid`` also where ``y_t`` is.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "fund": [0.011, -0.003, 0.014, 0.002, -0.007, 0.016, 0.004, -0.001],
    ...         "mkt_rf": [0.008, -0.002, 0.010, 0.001, -0.006, 0.011, 0.003, -0.002],
    ...         "smb": [0.002, 0.001, -0.001, 0.003, 0.000, 0.002, -0.002, 0.001],
    ...     }
    ... )
    >>> fit = pa.rolling_factor_regression("fund", ["mkt_rf", "smb"], window=6)
    >>> df.select(fit.alias("fit")).unnest("fit").select(
    ...     "alpha", "beta_mkt_rf", "beta_smb", "r2", "n"
    ... ).with_columns(pl.col(pl.Float64).round(4))
    shape: (8, 5)
    ┌────────┬─────────────┬──────────┬────────┬─────┐
    │ alpha  ┆ beta_mkt_rf ┆ beta_smb ┆ r2     ┆ n   │
    │ ---    ┆ ---         ┆ ---      ┆ ---    ┆ --- │
    │ f64    ┆ f64         ┆ f64      ┆ f64    ┆ u32 │
    ╞════════╪═════════════╪══════════╪════════╪═════╡
    │ null   ┆ null        ┆ null     ┆ null   ┆ 1   │
    │ null   ┆ null        ┆ null     ┆ null   ┆ 2   │
    │ null   ┆ null        ┆ null     ┆ null   ┆ 3   │
    │ null   ┆ null        ┆ null     ┆ null   ┆ 4   │
    │ null   ┆ null        ┆ null     ┆ null   ┆ 5   │
    │ 0.0005 ┆ 1.3574      ┆ -0.0023  ┆ 0.9967 ┆ 6   │
    │ 0.0004 ┆ 1.3665      ┆ 0.1171   ┆ 0.9965 ┆ 6   │
    │ 0.0008 ┆ 1.3235      ┆ 0.1706   ┆ 0.997  ┆ 6   │
    └────────┴─────────────┴──────────┴────────┴─────┘
    """
    columns, names = _validate.factor_list(factors)
    return rolling_call(
        "rolling_factor_regression",
        [("asset", asset), *(("factors", f) for f in columns)],
        window=window,
        min_periods=min_periods,
        risk_free=risk_free,
        by=by,
        order_by=order_by,
        factor_names=names,
        **_validate.covariance(cov_type, maxlags, window),
        fields=_validate.factor_fit_fields(fields, names),
    )


def factor_regression(
    asset: IntoExprColumn,
    factors: Sequence[IntoExprColumn],
    *,
    min_periods: int = 2,
    risk_free: float | IntoExprColumn | None = None,
    cov_type: str = "nonrobust",
    maxlags: int | None = None,
) -> pl.Expr:
    """One multi-factor regression over all rows: a single Struct per group.

    The whole-sample form of :func:`rolling_factor_regression`, for ``select`` over a frame
    or ``group_by(...).agg(...)`` / ``group_by_dynamic(...).agg(...)`` per fund and period.

    Parameters
    ----------
    asset
        Simple per-period returns of the asset.
    factors
        A list of factor columns or expressions with distinct names (see
        :func:`rolling_factor_regression`).
    min_periods
        Fewest usable rows a fit needs (at least 2; a fit also needs more rows than factors).
    risk_free
        Per-period risk-free rate subtracted from ``asset``: a number, a column name or an
        expression.
    cov_type
        ``"nonrobust"``, ``"HC0"``, ``"HC1"`` or ``"HAC"``, as in
        :func:`rolling_factor_regression`.
    maxlags
        Lags of ``"HAC"`` (required by it), a whole number >= 0.

    Returns
    -------
    pl.Expr
        A scalar Struct with the fields of :func:`rolling_factor_regression`.

    Notes
    -----
    Formulas and null rules as in :func:`rolling_factor_regression`, over every usable row
    of the group.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "fund": ["A"] * 5 + ["B"] * 5,
    ...         "ret": [0.011, -0.003, 0.014, 0.002, -0.007, 0.004, 0.001, 0.006, 0.0, -0.002],
    ...         "mkt_rf": [0.008, -0.002, 0.010, 0.001, -0.006] * 2,
    ...         "hml": [0.001, 0.002, -0.001, 0.0, 0.003] * 2,
    ...     }
    ... )
    >>> df.group_by("fund", maintain_order=True).agg(
    ...     pa.factor_regression("ret", ["mkt_rf", "hml"]).alias("fit")
    ... ).unnest("fit").select("fund", "alpha", "beta_mkt_rf", "beta_hml", "n").with_columns(
    ...     pl.col(pl.Float64).round(4)
    ... )
    shape: (2, 5)
    ┌──────┬────────┬─────────────┬──────────┬─────┐
    │ fund ┆ alpha  ┆ beta_mkt_rf ┆ beta_hml ┆ n   │
    │ ---  ┆ ---    ┆ ---         ┆ ---      ┆ --- │
    │ str  ┆ f64    ┆ f64         ┆ f64      ┆ u32 │
    ╞══════╪════════╪═════════════╪══════════╪═════╡
    │ A    ┆ 0.0007 ┆ 1.3053      ┆ -0.1314  ┆ 5   │
    │ B    ┆ 0.0004 ┆ 0.5094      ┆ 0.283    ┆ 5   │
    └──────┴────────┴─────────────┴──────────┴─────┘
    """
    columns, names = _validate.factor_list(factors)
    return whole_sample_call(
        "factor_regression",
        [("asset", asset), *(("factors", f) for f in columns)],
        min_periods=min_periods,
        risk_free=risk_free,
        factor_names=names,
        **_validate.covariance(cov_type, maxlags),
    )
