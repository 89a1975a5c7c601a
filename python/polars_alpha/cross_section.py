"""Cross-sectional ranks and z-scores: Polars expressions meant for ``.over("date")``.

Each function treats the rows it sees as one cross-section (one date across tickers). Use
them on a single date's rows directly, or on a panel with ``.over("date")`` so each date is
ranked and standardized on its own. The measure must be numeric: a bool, date or string
column raises an error naming ``measure`` when the query is planned.
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from polars_alpha import _validate
from polars_alpha._plugin import numeric_input
from polars_alpha._typing import IntoExprColumn

__all__ = ["cross_sectional_rank", "cross_sectional_zscore"]

RankMethod = Literal["average", "min", "max", "dense", "ordinal"]


def _missing_as_null(value: IntoExprColumn) -> pl.Expr:
    """The input as a Float64 expression whose NaN are null, keeping the input's name."""
    return numeric_input(value, "measure").fill_nan(None)


def cross_sectional_rank(
    measure: IntoExprColumn,
    *,
    descending: bool = True,
    method: RankMethod = "min",
    pct: bool = False,
) -> pl.Expr:
    """Rank of each value within its cross-section: 1 for the largest by default.

    Parameters
    ----------
    measure
        The values to rank: a column name, an expression or a Series.
    descending
        ``True`` (default) gives rank 1 to the largest value, the screening convention
        ("the highest alpha ranks first"); ``False`` gives rank 1 to the smallest.
    method
        How ties are ranked, as in :meth:`polars.Expr.rank`: ``"min"`` (default, ties
        share the lowest rank: 1, 2, 2, 4), ``"average"``, ``"max"``, ``"dense"``
        (1, 2, 2, 3) or ``"ordinal"`` (ties broken by row order).
    pct
        Return ``rank / count`` instead, in ``(0, 1]``: a percentile rank comparable
        across cross-sections of different sizes.

    Returns
    -------
    pl.Expr
        UInt32 ranks for ``"min"``, ``"max"``, ``"dense"`` and ``"ordinal"``; Float64 for
        ``"average"`` or ``pct=True``. The output keeps the input's name.

    Notes
    -----
    Null and NaN values are missing: their rank is null and they are not counted, so the
    ranks run from 1 to the number of non-missing values (and ``pct`` divides by that
    number). Integer inputs are ranked as Float64.

    Use ``.over("date")`` to rank each date of a panel on its own.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "date": [1, 1, 1, 1, 2, 2],
    ...         "alpha": [0.02, None, -0.01, 0.02, 0.01, float("nan")],
    ...     }
    ... )
    >>> df.with_columns(
    ...     rank=pa.cross_sectional_rank("alpha").over("date"),
    ...     pct=pa.cross_sectional_rank("alpha", pct=True).over("date").round(3),
    ... )
    shape: (6, 4)
    ┌──────┬───────┬──────┬───────┐
    │ date ┆ alpha ┆ rank ┆ pct   │
    │ ---  ┆ ---   ┆ ---  ┆ ---   │
    │ i64  ┆ f64   ┆ u32  ┆ f64   │
    ╞══════╪═══════╪══════╪═══════╡
    │ 1    ┆ 0.02  ┆ 1    ┆ 0.333 │
    │ 1    ┆ null  ┆ null ┆ null  │
    │ 1    ┆ -0.01 ┆ 3    ┆ 1.0   │
    │ 1    ┆ 0.02  ┆ 1    ┆ 0.333 │
    │ 2    ┆ 0.01  ┆ 1    ┆ 1.0   │
    │ 2    ┆ NaN   ┆ null ┆ null  │
    └──────┴───────┴──────┴───────┘
    """
    _validate.flag(descending, "descending")
    _validate.flag(pct, "pct")
    _validate.choice(method, "method", ("average", "min", "max", "dense", "ordinal"))
    value = _missing_as_null(measure)
    rank = value.rank(method=method, descending=descending)
    if pct:
        return rank.cast(pl.Float64) / value.count().cast(pl.Float64)
    return rank


def cross_sectional_zscore(
    measure: IntoExprColumn,
    *,
    winsorize: float | None = None,
    clip: float | None = None,
    ddof: int = 1,
) -> pl.Expr:
    """Z-score of each value within its cross-section, optionally winsorized.

    ``z = (x - mean(x)) / std(x)`` over the cross-section's non-missing values.

    Parameters
    ----------
    measure
        The values to standardize: a column name, an expression or a Series.
    winsorize
        A tail fraction ``q`` in ``[0, 0.5)``: before the mean and standard deviation are
        taken, values below the ``q`` quantile are raised to it and values above the
        ``1 - q`` quantile are lowered to it (quantiles linearly interpolated, as NumPy's
        default). ``0.01`` winsorizes at the 1st and 99th percentiles. ``None`` (default)
        uses the values as they are.
    clip
        Clip the resulting z-scores to ``[-clip, clip]`` (e.g. ``3.0``): a sigma clip of
        the output, applied after winsorizing. Positive; ``None`` (default) does not clip.
    ddof
        Delta degrees of freedom of the standard deviation: 1 (default, the sample
        standard deviation, as Polars' and pandas' ``std``) or 0 (as ``scipy.stats.zscore``).

    Returns
    -------
    pl.Expr
        Float64 z-scores, keeping the input's name.

    Notes
    -----
    Winsorizing by quantile, rather than clipping at a number of standard deviations, is the
    textbook definition and is robust: one huge outlier inflates the standard deviation that a
    sigma rule would be measured with, but it cannot move a quantile much. ``clip`` is there
    for the common practice of capping z-scores at 3 afterwards.

    Null and NaN values are missing: their z-score is null and they are left out of the
    quantiles, mean and standard deviation. The z-scores are null when fewer than
    ``ddof + 1`` values are present or when every value is the same (zero standard
    deviation): no value stands out. Integer inputs are standardized as Float64.

    Use ``.over("date")`` to standardize each date of a panel on its own.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame({"beta": [0.8, 1.0, 1.2, None, 5.0]})
    >>> df.with_columns(
    ...     z=pa.cross_sectional_zscore("beta").round(3),
    ...     z_winsorized=pa.cross_sectional_zscore("beta", winsorize=0.25).round(3),
    ... )
    shape: (5, 3)
    ┌──────┬────────┬──────────────┐
    │ beta ┆ z      ┆ z_winsorized │
    │ ---  ┆ ---    ┆ ---          │
    │ f64  ┆ f64    ┆ f64          │
    ╞══════╪════════╪══════════════╡
    │ 0.8  ┆ -0.598 ┆ -0.669       │
    │ 1.0  ┆ -0.498 ┆ -0.58        │
    │ 1.2  ┆ -0.399 ┆ -0.223       │
    │ null ┆ null   ┆ null         │
    │ 5.0  ┆ 1.495  ┆ 1.472        │
    └──────┴────────┴──────────────┘
    """
    q = _validate.winsorize(winsorize)
    bound = None
    if clip is not None:
        bound = _validate.positive(clip, "clip", fix="a number of standard deviations, e.g. 3")
    degrees = _validate.ddof(ddof)
    value = _missing_as_null(measure)
    if q is not None and q > 0:
        value = value.clip(
            value.quantile(q, interpolation="linear"),
            value.quantile(1.0 - q, interpolation="linear"),
        )
    std = value.std(ddof=degrees)
    z: pl.Expr = pl.when(std > 0).then((value - value.mean()) / std)
    if bound is not None:
        z = z.clip(-bound, bound)
    return z.alias(_output_name(measure))


def _output_name(measure: IntoExprColumn) -> str:
    if isinstance(measure, str):
        return measure
    if isinstance(measure, pl.Series):
        return measure.name
    try:
        return measure.meta.output_name()
    except pl.exceptions.ComputeError:
        return "literal"
