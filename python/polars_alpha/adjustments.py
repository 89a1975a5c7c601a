"""Annualization and adjusted betas: Polars expressions on fitted statistics.

Each input is checked to be numeric when the query is planned (a bool, date or string column
raises an error naming the argument) and read as Float64; the rest is Polars arithmetic.
"""

from __future__ import annotations

import math
from typing import Literal

import polars as pl

from polars_alpha import _validate
from polars_alpha._plugin import numeric_input
from polars_alpha._typing import IntoExprColumn

__all__ = [
    "annualize_alpha",
    "annualize_volatility",
    "appraisal_ratio",
    "blume_beta",
    "vasicek_beta",
]


def annualize_alpha(
    alpha: IntoExprColumn,
    periods_per_year: float = 252,
    method: Literal["geometric", "arithmetic"] = "geometric",
) -> pl.Expr:
    """Annualize a per-period alpha.

    Parameters
    ----------
    alpha
        Per-period alpha (e.g. the ``alpha`` field of a fit).
    periods_per_year
        ``P``: 252 for daily, 52 weekly, 12 monthly data. Positive.
    method
        ``"geometric"`` (default, empyrical's convention): ``(1 + alpha) ** P - 1``;
        ``"arithmetic"``: ``alpha * P``.

    Returns
    -------
    pl.Expr
        Float64 annualized alpha; null where ``alpha`` is null.

    Notes
    -----
    Compounding a per-period alpha of ``a`` over ``P`` periods, ``(1 + a) ** P - 1``, is how
    empyrical's ``alpha_beta`` reports alpha; ``a * P`` is the simple scaling.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame({"alpha": [0.0001, -0.0002, None]})
    >>> df.select(
    ...     geometric=pa.annualize_alpha("alpha").round(6),
    ...     arithmetic=pa.annualize_alpha("alpha", method="arithmetic").round(6),
    ... )
    shape: (3, 2)
    ┌───────────┬────────────┐
    │ geometric ┆ arithmetic │
    │ ---       ┆ ---        │
    │ f64       ┆ f64        │
    ╞═══════════╪════════════╡
    │ 0.025519  ┆ 0.0252     │
    │ -0.049156 ┆ -0.0504    │
    │ null      ┆ null       │
    └───────────┴────────────┘
    """
    periods = _validate.periods_per_year(periods_per_year)
    geometric = _validate.choice(method, "method", ("geometric", "arithmetic")) == "geometric"
    value = numeric_input(alpha, "alpha")
    if geometric:
        return (value + 1.0).pow(periods) - 1.0
    return value * periods


def annualize_volatility(resid_std: IntoExprColumn, periods_per_year: float = 252) -> pl.Expr:
    """Annualize a per-period volatility (e.g. ``resid_std``, idiosyncratic risk).

    Parameters
    ----------
    resid_std
        Per-period standard deviation.
    periods_per_year
        ``P``: 252 for daily, 52 weekly, 12 monthly data. Positive.

    Returns
    -------
    pl.Expr
        Float64 ``resid_std * sqrt(P)``.

    Notes
    -----
    Square-root-of-time scaling, which assumes uncorrelated residuals.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> pl.DataFrame({"s": [0.01]}).select(pa.annualize_volatility("s").round(6))
    shape: (1, 1)
    ┌──────────┐
    │ s        │
    │ ---      │
    │ f64      │
    ╞══════════╡
    │ 0.158745 │
    └──────────┘
    """
    return numeric_input(resid_std, "resid_std") * math.sqrt(
        _validate.periods_per_year(periods_per_year)
    )


def blume_beta(beta: IntoExprColumn) -> pl.Expr:
    """Blume's adjusted beta, ``0.67 * beta + 0.33``: betas regress toward 1.

    Parameters
    ----------
    beta
        Raw (historical) beta.

    Returns
    -------
    pl.Expr
        Float64 adjusted beta.

    Notes
    -----
    The weights 0.67 and 0.33 are the conventional rounding of Blume (1971)'s estimate, as
    Bloomberg's adjusted beta uses them.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> pl.DataFrame({"beta": [0.5, 1.0, 1.6]}).select(pa.blume_beta("beta"))
    shape: (3, 1)
    ┌───────┐
    │ beta  │
    │ ---   │
    │ f64   │
    ╞═══════╡
    │ 0.665 │
    │ 1.0   │
    │ 1.402 │
    └───────┘
    """
    # Column first, so the result keeps the input's name.
    return numeric_input(beta, "beta") * 0.67 + 0.33


def vasicek_beta(beta: IntoExprColumn, beta_se: IntoExprColumn) -> pl.Expr:
    """Vasicek's adjusted beta: each beta shrunk toward the cross-sectional mean beta.

    Use it over a cross-section, e.g. ``.over("date")`` on a panel of rolling fits, or in a
    ``select`` on one date's fits.

    Parameters
    ----------
    beta
        Raw betas of the cross-section.
    beta_se
        Their standard errors.

    Returns
    -------
    pl.Expr
        Float64 ``w * beta + (1 - w) * mean_xs``, with ``w = var_xs / (var_xs + beta_se^2)``.

    Notes
    -----
    ``mean_xs`` and ``var_xs`` are the mean and sample variance (``ddof=1``) of the non-null
    betas in the context (the whole frame, or each group under ``.over``). A precisely
    estimated beta (small ``beta_se``) keeps most of its own value; a noisy one moves toward
    the mean. Null where ``beta`` or ``beta_se`` is null, or where the cross-section has fewer
    than two betas.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame({"beta": [0.6, 1.0, 1.4], "beta_se": [0.1, 0.4, 0.2]})
    >>> df.select(pa.vasicek_beta("beta", "beta_se").round(4))
    shape: (3, 1)
    ┌────────┐
    │ beta   │
    │ ---    │
    │ f64    │
    ╞════════╡
    │ 0.6235 │
    │ 1.0    │
    │ 1.32   │
    └────────┘
    """
    raw = numeric_input(beta, "beta")
    se = numeric_input(beta_se, "beta_se")
    mean_xs = raw.mean()
    var_xs = raw.var(ddof=1)
    weight = var_xs / (var_xs + se * se)
    return weight * raw + (1.0 - weight) * mean_xs


def appraisal_ratio(alpha: IntoExprColumn, resid_std: IntoExprColumn) -> pl.Expr:
    """Appraisal (Treynor-Black) ratio: alpha per unit of idiosyncratic risk.

    Parameters
    ----------
    alpha
        Per-period alpha of a fit.
    resid_std
        Its residual standard deviation (same period).

    Returns
    -------
    pl.Expr
        Float64 ``alpha / resid_std`` per period; multiply by ``sqrt(P)`` to annualize.

    Notes
    -----
    Null where either input is null; a zero ``resid_std`` gives null, not infinity.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame({"alpha": [0.0004, 0.001], "resid_std": [0.01, 0.0]})
    >>> df.select(pa.appraisal_ratio("alpha", "resid_std"))
    shape: (2, 1)
    ┌───────┐
    │ alpha │
    │ ---   │
    │ f64   │
    ╞═══════╡
    │ 0.04  │
    │ null  │
    └───────┘
    """
    std = numeric_input(resid_std, "resid_std")
    ratio = numeric_input(alpha, "alpha") / std
    return pl.when(std > 0).then(ratio)
