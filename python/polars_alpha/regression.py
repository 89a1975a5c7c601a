"""Single-index (CAPM) regressions of an asset's returns on a market's returns.

Rolling ordinary least squares (:func:`rolling_alpha_beta`, :func:`rolling_alpha`,
:func:`rolling_beta`), one fit per group (:func:`alpha_beta`) and exponentially weighted least
squares (:func:`ewm_alpha_beta`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl

from polars_alpha import _validate
from polars_alpha._plugin import rolling_call, whole_sample_call
from polars_alpha._typing import IntoExprColumn

__all__ = [
    "RISKMETRICS_HALF_LIFE",
    "alpha_beta",
    "ewm_alpha_beta",
    "riskmetrics_alpha_beta",
    "rolling_alpha",
    "rolling_alpha_beta",
    "rolling_beta",
]

#: Half-life in rows of RiskMetrics' daily decay factor 0.94: ``ln 0.5 / ln 0.94`` (~11.2).
RISKMETRICS_HALF_LIFE = math.log(0.5) / math.log(0.94)


def rolling_alpha_beta(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    window: int | str | None = 252,
    min_periods: int | None = None,
    risk_free: float | IntoExprColumn | None = None,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
    fields: Sequence[str] | None = None,
    cov_type: str = "nonrobust",
    maxlags: int | None = None,
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
        ``None`` fits every row so far (an expanding fit, exact at every row). A Polars
        duration string (``"1y"``, ``"6mo"``, ``"63d"``) on ``order_by`` fits the rows whose
        date lies in ``(date_t - duration, date_t]``: a true calendar window across gaps.
    min_periods
        Fewest usable rows a window needs to produce a result (2 to ``window``).
        Defaults to ``window``, as in Polars' ``rolling_*`` functions, or 2 for an expanding window,
        and for a date window 80% (rounded up) of the rows a full window holds at the data's
        frequency: the median row count of the windows the data covers in full. A date window the
        data never covers in full gets no fit by default.
    risk_free
        Per-period risk-free rate, subtracted from both returns: a number, a column name or
        an expression. With it, ``alpha`` is Jensen's alpha. ``None`` means zero.
    by
        A key column (the ticker). Each key's rows form their own series, in their relative
        order, computed in parallel; rows of a key need not be contiguous. The result equals
        ``.over(by)`` without ``by``, and is faster on many keys. Rows with a null key form
        one series of their own, as under ``.over``.
    order_by
        The column that orders each key's rows in time (usually the date), as in
        ``.over(by, order_by=...)``: rows are taken in its order and the results go back to
        the input rows, so the frame's own order does not matter. Without it the frame's
        order is the time order, which a join does not keep: pass ``order_by="date"`` after
        a join. A duration ``window`` is measured on it (a Date or Datetime column, free of
        nulls). Rows on the same date keep their frame order; a row's window ends at the
        row itself.
    fields
        The struct fields to compute and return, e.g. ``["alpha", "beta"]``, in struct
        order; ``None`` for all. Fields left out are not computed, so fewer is faster.
        Two more fields come only when named here: ``"fitted"``, the window's prediction
        of its own last row, and ``"resid"``, that row's residual (see Notes).
    cov_type
        The covariance behind ``alpha_se``, ``beta_se``, ``alpha_t`` and ``beta_t``:
        ``"nonrobust"`` (the textbook one, the default), ``"HC0"`` or ``"HC1"`` (White's
        heteroskedasticity-consistent) or ``"HAC"`` (Newey-West, with ``maxlags``). The
        other fields do not depend on it. See the Inference guide.
    maxlags
        Lags of the ``"HAC"`` estimator (required by it, refused by the others): a whole
        number from 0 to ``window - 1``. It is never chosen for you;
        ``floor(4 * (n / 100) ** (2 / 9))`` is a common rule (5 for a year of daily rows).

    Returns
    -------
    pl.Expr
        A Struct with Float64 fields ``alpha, beta, r2, resid_std, alpha_se, beta_se,
        alpha_t, beta_t`` and the UInt32 field ``n``, one row per input row (only the
        ``fields`` asked for, when given, with ``fitted`` and ``resid`` after ``n``).

    Notes
    -----
    With ``y = asset - rf`` and ``x = market - rf`` over the usable rows of the window:
    ``beta = Sxy / Sxx``, ``alpha = mean(y) - beta * mean(x)``,
    ``r2 = Sxy^2 / (Sxx * Syy)``, ``resid_std = sqrt(SSR / (n - 2))``,
    ``beta_se = resid_std / sqrt(Sxx)``, ``alpha_se = resid_std * sqrt(1/n + mean(x)^2 / Sxx)``,
    and t-values are coefficient / standard error. These equal statsmodels
    ``OLS(y, add_constant(x))`` with nonrobust covariance.

    Robust covariances are statsmodels
    ``OLS(y, X).fit(cov_type=..., cov_kwds={"maxlags": L, "use_correction": False})`` on the
    window's usable rows: the sandwich ``inv(X'X) S inv(X'X)`` with
    ``S = sum_t h_t h_t' + sum_{l=1..L} (1 - l / (L + 1)) sum_t (h_t h_{t-l}' + h_{t-l} h_t')``
    and ``h_t = e_t x_t``; HC0 is ``L = 0``, HC1 scales HC0 by ``n / (n - 2)``. Rows with a
    missing input are dropped before the lags are formed, as statsmodels ``missing="drop"``
    does: a lag pairs consecutive usable rows of the window.

    Null rules: a row is left out of the fit when any of its inputs is null, NaN or
    infinite (statsmodels ``missing="drop"``), so ``n <= window``. ``n`` counts the usable
    rows and is never null. Every other field is null when ``n < min_periods`` or the market
    is constant in the window; ``resid_std``, the standard errors and t-values are null when
    ``n <= 2``; ``r2`` is null when the asset is constant; a t-value is null when its standard
    error is zero. A result that overflows Float64 is null, never infinite.

    Endpoints: at row ``t``, with ``alpha`` and ``beta`` of the window ending at ``t``,
    ``fitted = alpha + beta * x_t`` (the excess return the window predicts for its own last
    row) and ``resid = y_t - fitted``. ``fitted`` is null where the fit or ``x_t`` is, and
    ``resid`` also where ``y_t`` is; residual momentum averages these residuals over time.

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
    >>> table = out.unnest("fit").select("alpha", "beta", "r2", "n")
    >>> table.with_columns(pl.col(pl.Float64).round(4))
    shape: (6, 4)
    ┌─────────┬────────┬────────┬─────┐
    │ alpha   ┆ beta   ┆ r2     ┆ n   │
    │ ---     ┆ ---    ┆ ---    ┆ --- │
    │ f64     ┆ f64    ┆ f64    ┆ u32 │
    ╞═════════╪════════╪════════╪═════╡
    │ null    ┆ null   ┆ null   ┆ 1   │
    │ null    ┆ null   ┆ null   ┆ 2   │
    │ null    ┆ null   ┆ null   ┆ 3   │
    │ -0.0001 ┆ 1.2584 ┆ 0.9651 ┆ 4   │
    │ -0.0002 ┆ 1.2739 ┆ 0.9758 ┆ 4   │
    │ 0.0004  ┆ 1.2784 ┆ 0.9876 ┆ 4   │
    └─────────┴────────┴────────┴─────┘
    """
    return rolling_call(
        "rolling_alpha_beta",
        [("asset", asset), ("market", market)],
        window=window,
        min_periods=min_periods,
        risk_free=risk_free,
        by=by,
        order_by=order_by,
        fields=_validate.fit_fields(fields, endpoints=True),
        **_validate.covariance(cov_type, maxlags, window),
    )


def rolling_beta(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    window: int | str | None = 252,
    min_periods: int | None = None,
    risk_free: float | IntoExprColumn | None = None,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
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
        Number of trailing rows in each fit (at least 2), ``None`` for an expanding fit, or
        a duration such as ``"1y"`` on ``order_by``.
    min_periods
        Fewest usable rows a window needs (2 to ``window``); defaults to ``window``, or 2 for an
        expanding window, and for a date window 80% (rounded up) of the rows a full window holds at
        the data's frequency: the median row count of the windows the data covers in full. A date
        window the data never covers in full gets no fit by default.
    risk_free
        Per-period risk-free rate: a number, a column name or an expression.
    by
        A key column (the ticker); equals ``.over(by)``.
    order_by
        The column that orders each key's rows in time (usually the date), as in
        :func:`rolling_alpha_beta`; a duration ``window`` is measured on it.

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
    ┌────────┬───────┬────────┬──────────┐
    │ ticker ┆ ret   ┆ mkt    ┆ beta     │
    │ ---    ┆ ---   ┆ ---    ┆ ---      │
    │ str    ┆ f64   ┆ f64    ┆ f64      │
    ╞════════╪═══════╪════════╪══════════╡
    │ A      ┆ 0.01  ┆ 0.01   ┆ null     │
    │ A      ┆ 0.02  ┆ 0.015  ┆ null     │
    │ A      ┆ -0.01 ┆ -0.005 ┆ 1.461538 │
    │ B      ┆ 0.03  ┆ 0.02   ┆ null     │
    │ B      ┆ 0.01  ┆ 0.0    ┆ null     │
    │ B      ┆ 0.02  ┆ 0.01   ┆ 1.0      │
    └────────┴───────┴────────┴──────────┘
    """
    return rolling_call(
        "rolling_beta",
        [("asset", asset), ("market", market)],
        window=window,
        min_periods=min_periods,
        risk_free=risk_free,
        by=by,
        order_by=order_by,
    )


def rolling_alpha(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    window: int | str | None = 252,
    min_periods: int | None = None,
    risk_free: float | IntoExprColumn | None = None,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
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
        Number of trailing rows in each fit (at least 2), ``None`` for an expanding fit, or
        a duration such as ``"1y"`` on ``order_by``.
    min_periods
        Fewest usable rows a window needs (2 to ``window``); defaults to ``window``, or 2 for an
        expanding window, and for a date window 80% (rounded up) of the rows a full window holds at
        the data's frequency: the median row count of the windows the data covers in full. A date
        window the data never covers in full gets no fit by default.
    risk_free
        Per-period risk-free rate: a number, a column name or an expression.
    by
        A key column (the ticker); equals ``.over(by)``.
    order_by
        The column that orders each key's rows in time (usually the date), as in
        :func:`rolling_alpha_beta`; a duration ``window`` is measured on it.

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
    return rolling_call(
        "rolling_alpha",
        [("asset", asset), ("market", market)],
        window=window,
        min_periods=min_periods,
        risk_free=risk_free,
        by=by,
        order_by=order_by,
    )


def ewm_alpha_beta(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    half_life: float = 63.0,
    window: int | None = 252,
    min_periods: int | None = None,
    risk_free: float | IntoExprColumn | None = None,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
    zero_mean: bool = False,
    fields: Sequence[str] | None = None,
) -> pl.Expr:
    """Exponentially weighted CAPM regression: alpha and beta that forget the past smoothly.

    At each row, fits ``asset - rf = alpha + beta * (market - rf) + e`` by weighted least
    squares, weighting the row of age ``a`` (0 for the current row) by ``0.5 ** (a / half_life)``.
    The defaults (half-life 63 over 252 rows) are Barra's USE4 convention; see
    :func:`riskmetrics_alpha_beta` for RiskMetrics'.

    Parameters
    ----------
    asset
        Simple per-period returns of the asset: a column name or an expression.
    market
        Simple per-period returns of the market, same length as ``asset``.
    half_life
        Age, in rows, at which a row weighs half the current one. Positive and finite.
    window
        Number of trailing rows in each fit (at least 2), or ``None`` for all history.
    min_periods
        Fewest usable rows a fit needs: 2 to ``window``; defaults to ``window``, or 2 when
        ``window`` is None.
    risk_free
        Per-period risk-free rate: a number, a column name or an expression.
    by
        A key column (the ticker); equals ``.over(by)``, computed in parallel.
    order_by
        The column that orders each key's rows in time (usually the date), as in
        :func:`rolling_alpha_beta`.
    zero_mean
        Fit the line through the origin (no intercept), RiskMetrics' own convention: then
        ``alpha`` is 0 and ``alpha_se``/``alpha_t`` are null, ``r2`` is the uncentered R²
        and the residual variance divides by ``n - 1``, as statsmodels ``WLS`` without a
        constant.
    fields
        The struct fields to compute and return, e.g. ``["alpha", "beta"]``, in struct
        order; ``None`` for all. Fields left out are not computed, so fewer is faster.

    Returns
    -------
    pl.Expr
        A Struct with the fields of :func:`rolling_alpha_beta`: ``alpha, beta, r2,
        resid_std, alpha_se, beta_se, alpha_t, beta_t`` (Float64) and ``n`` (UInt32).

    Notes
    -----
    With weights ``w``, ``W = sum(w)``, weighted means ``mean(x) = sum(w x) / W`` and weighted
    co-moments ``Sxx = sum(w (x - mean x)^2)``, ``Sxy``, ``Syy``: ``beta = Sxy / Sxx``,
    ``alpha = mean(y) - beta * mean(x)``, ``r2 = Sxy^2 / (Sxx * Syy)``. The standard errors
    are those of statsmodels ``WLS(y, add_constant(x), weights=w)``: ``s2 = sum(w e^2) /
    (n - 2)``, ``beta_se = sqrt(s2 / Sxx)``, ``alpha_se = sqrt(s2 (1/W + mean(x)^2 / Sxx))``,
    and ``resid_std = sqrt(s2)`` is the residual spread of a row of weight 1.

    Rows with a null, NaN or infinite input are left out of the fit but still age (age is
    counted in rows). ``n`` counts the usable rows in the window. Other null rules as in
    :func:`rolling_alpha_beta`. Each row costs O(1): decayed sums are updated as rows enter
    and leave, and rebuilt exactly every ``window`` rows and when cancellation shows.

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
    >>> fit = pa.ewm_alpha_beta("stock", "index", half_life=2.0, window=None, min_periods=3)
    >>> df.select(fit.struct.field("beta").round(4))
    shape: (6, 1)
    ┌────────┐
    │ beta   │
    │ ---    │
    │ f64    │
    ╞════════╡
    │ null   │
    │ null   │
    │ 1.3455 │
    │ 1.202  │
    │ 1.2771 │
    │ 1.3236 │
    └────────┘
    """
    _validate.rows_only(window, why="exponentially weighted fits count their window in rows")
    return rolling_call(
        "ewm_alpha_beta",
        [("asset", asset), ("market", market)],
        window=window,
        min_periods=min_periods,
        risk_free=risk_free,
        by=by,
        order_by=order_by,
        half_life=_validate.half_life(half_life, allow_infinite=False),
        zero_mean=_validate.flag(zero_mean, "zero_mean"),
        fields=_validate.fit_fields(fields),
    )


def riskmetrics_alpha_beta(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    decay: float = 0.94,
    min_periods: int | None = None,
    risk_free: float | IntoExprColumn | None = None,
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
    zero_mean: bool = False,
) -> pl.Expr:
    """RiskMetrics-style EW regression: decay factor λ (0.94 daily) over all history.

    The preset of :func:`ewm_alpha_beta` with ``half_life = ln 0.5 / ln decay`` and
    ``window=None``. RiskMetrics itself fits through the origin (``zero_mean=True``);
    the default keeps an intercept so that ``alpha`` is estimated.

    Parameters
    ----------
    asset
        Simple per-period returns of the asset.
    market
        Simple per-period returns of the market.
    decay
        The weight ratio λ of consecutive rows, strictly between 0 and 1.
    min_periods
        Fewest usable rows a fit needs (at least 2); defaults to 2.
    risk_free
        Per-period risk-free rate: a number, a column name or an expression.
    by
        A key column (the ticker); equals ``.over(by)``.
    order_by
        The column that orders each key's rows in time (usually the date), as in
        :func:`rolling_alpha_beta`.
    zero_mean
        Fit through the origin, as RiskMetrics does.

    Returns
    -------
    pl.Expr
        The Struct of :func:`ewm_alpha_beta`.

    Notes
    -----
    Weights ``decay ** age``; everything else as in :func:`ewm_alpha_beta` with
    ``window=None``.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {"stock": [0.01, -0.02, 0.015, 0.0], "index": [0.005, -0.01, 0.01, 0.001]}
    ... )
    >>> fit = pa.riskmetrics_alpha_beta("stock", "index", zero_mean=True)
    >>> df.select(fit.struct.field("alpha", "beta").round(4))
    shape: (4, 2)
    ┌───────┬────────┐
    │ alpha ┆ beta   │
    │ ---   ┆ ---    │
    │ f64   ┆ f64    │
    ╞═══════╪════════╡
    │ null  ┆ null   │
    │ 0.0   ┆ 2.0    │
    │ 0.0   ┆ 1.7686 │
    │ 0.0   ┆ 1.76   │
    └───────┴────────┘
    """
    return ewm_alpha_beta(
        asset,
        market,
        half_life=math.log(0.5) / math.log(_validate.decay(decay)),
        window=None,
        min_periods=min_periods,
        risk_free=risk_free,
        by=by,
        order_by=order_by,
        zero_mean=zero_mean,
    )


def alpha_beta(
    asset: IntoExprColumn,
    market: IntoExprColumn,
    *,
    min_periods: int = 2,
    risk_free: float | IntoExprColumn | None = None,
    cov_type: str = "nonrobust",
    maxlags: int | None = None,
) -> pl.Expr:
    """One CAPM regression over all rows: a single Struct per group.

    The whole-sample form of :func:`rolling_alpha_beta`, for ``select`` over a frame or
    ``group_by(...).agg(...)`` / ``group_by_dynamic(...).agg(...)`` per fund and period.
    Without ``risk_free``, ``beta`` and ``alpha`` are Excel's ``SLOPE(asset, market)`` and
    ``INTERCEPT(asset, market)``.

    Parameters
    ----------
    asset
        Simple per-period returns of the asset: a column name or an expression.
    market
        Simple per-period returns of the market, same length as ``asset``.
    min_periods
        Fewest usable rows a fit needs (at least 2); fewer give nulls.
    risk_free
        Per-period risk-free rate: a number, a column name or an expression. With it,
        ``alpha`` is Jensen's alpha.
    cov_type
        ``"nonrobust"``, ``"HC0"``, ``"HC1"`` or ``"HAC"``, as in :func:`rolling_alpha_beta`.
    maxlags
        Lags of ``"HAC"`` (required by it), a whole number >= 0.

    Returns
    -------
    pl.Expr
        A scalar Struct with the fields of :func:`rolling_alpha_beta`.

    Notes
    -----
    Formulas and null rules as in :func:`rolling_alpha_beta`, over every usable row of
    the group (rows with a null, NaN or infinite input are left out, before HAC's lags are
    formed).

    Examples
    --------
    Excel: ``=SLOPE({1.2;-0.4;2.1;0.3}, {1.0;-0.5;1.5;0.5})`` gives 1.2343 and
    ``=INTERCEPT(...)`` gives 0.0286 (rounded).

    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "fund": ["F1"] * 4 + ["F2"] * 4,
    ...         "ret": [1.2, -0.4, 2.1, 0.3, 0.5, 0.1, 0.9, 0.4],
    ...         "mkt": [1.0, -0.5, 1.5, 0.5] * 2,
    ...     }
    ... )
    >>> df.group_by("fund", maintain_order=True).agg(
    ...     pa.alpha_beta("ret", "mkt").alias("fit")
    ... ).unnest("fit").select("fund", "alpha", "beta", "r2", "n").with_columns(
    ...     pl.col(pl.Float64).round(4)
    ... )
    shape: (2, 5)
    ┌──────┬────────┬────────┬────────┬─────┐
    │ fund ┆ alpha  ┆ beta   ┆ r2     ┆ n   │
    │ ---  ┆ ---    ┆ ---    ┆ ---    ┆ --- │
    │ str  ┆ f64    ┆ f64    ┆ f64    ┆ u32 │
    ╞══════╪════════╪════════╪════════╪═════╡
    │ F1   ┆ 0.0286 ┆ 1.2343 ┆ 0.9414 ┆ 4   │
    │ F2   ┆ 0.2429 ┆ 0.3714 ┆ 0.9215 ┆ 4   │
    └──────┴────────┴────────┴────────┴─────┘
    """
    return whole_sample_call(
        "alpha_beta",
        [("asset", asset), ("market", market)],
        min_periods=min_periods,
        risk_free=risk_free,
        fields=None,
        **_validate.covariance(cov_type, maxlags),
    )
