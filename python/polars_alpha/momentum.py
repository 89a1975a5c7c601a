"""Weighted alpha: a one-year price momentum score that weighs recent moves more."""

from __future__ import annotations

from typing import Any, Literal

import polars as pl

from polars_alpha import _validate
from polars_alpha._plugin import PluginInputs, call_plugin
from polars_alpha._typing import IntoExprColumn

__all__ = ["last_weighted_alpha", "weighted_alpha"]

WeightsKind = Literal["exponential", "linear"]


def _weighted_alpha_call(
    function_name: str,
    price: IntoExprColumn,
    *,
    window: int,
    half_life: float | None,
    weights: str,
    by: IntoExprColumn | None,
    benchmark: IntoExprColumn | None,
    cap: float | None,
    returns: bool,
    order_by: IntoExprColumn | None = None,
    returns_scalar: bool = False,
) -> pl.Expr:
    rows, _ = _validate.window_and_min_periods(window, None)
    weights = _validate.choice(weights, "weights", ("exponential", "linear"))
    half_life = _validate.weighted_alpha_half_life(half_life, weights)
    if cap is not None:
        cap = _validate.positive(cap, "cap", fix="a bound on each daily log return, e.g. 0.2")
    argument = "returns" if _validate.flag(returns, "returns") else "price"
    values: list[tuple[str, IntoExprColumn]] = [(argument, price)]
    if benchmark is not None:
        values.append(("benchmark", benchmark))
    inputs = PluginInputs(
        tuple(values),
        order_by=None if order_by is None else _validate.column(order_by, "order_by"),
        by=None if by is None else _validate.column(by, "by"),
    )
    kwargs: dict[str, Any] = {
        "window": rows,
        "weights": weights,
        "half_life": half_life,
        "cap": cap,
        "returns": returns,
    }
    return call_plugin(function_name, inputs, kwargs, returns_scalar=returns_scalar)


def weighted_alpha(
    price: IntoExprColumn,
    *,
    window: int = 252,
    half_life: float | None = None,
    weights: WeightsKind = "exponential",
    by: IntoExprColumn | None = None,
    order_by: IntoExprColumn | None = None,
    benchmark: IntoExprColumn | None = None,
    cap: float | None = None,
    returns: bool = False,
) -> pl.Expr:
    """Rolling weighted alpha: the price change over ``window`` rows with recent moves
    weighing more, in percent.

    Parameters
    ----------
    price
        Prices (positive), or simple returns with ``returns=True``.
    window
        ``N``, the number of log returns in each score (252 for one year of daily data,
        52 weekly, 12 monthly). At least 2.
    half_life
        For exponential weights: the age in rows at which a return weighs half the newest.
        Default ``window - 1``, so the oldest return weighs half the newest.
        ``float("inf")`` means no decay: the plain ``N``-period price change.
    weights
        ``"exponential"`` (default) or ``"linear"`` (``w_k = 1 - 0.5 k / (N - 1)``).
    by
        A key column (the ticker); equals ``.over(by)``, computed in parallel.
    order_by
        The column that orders each key's rows in time (usually the date), as in
        :func:`~polars_alpha.rolling_alpha_beta`.
    benchmark
        Prices (or returns) of a benchmark on the same rows; its weighted alpha is
        subtracted, giving momentum relative to the benchmark.
    cap
        Clip each log return to ``[-cap, cap]`` before weighting, so one jump cannot
        dominate. Positive.
    returns
        Whether ``price`` (and ``benchmark``) hold simple returns instead of prices.

    Returns
    -------
    pl.Expr
        Float64 score in percent, one per row.

    Notes
    -----
    With log returns ``l_k = ln(p_{t-k} / p_{t-k-1})`` for ages ``k = 0 .. N-1`` and
    weights ``w_k`` normalized to ``w~_k = N w_k / sum(w)``:
    ``weighted_alpha = 100 * (exp(sum_k w~_k l_k) - 1)``. Exponential weights are
    ``w_k = 0.5 ** (k / half_life)``; without decay the score is exactly
    ``100 * (p_t / p_{t-N} - 1)``.

    Null rule: a missing (null or NaN) price does not void a year: the next known price's
    log return is taken from the last known price, so the gap's move lands on the day after
    it, and only the score on the missing price's own row is null. The first ``N`` rows of
    each series (prices; ``N - 1`` with returns) are null. With ``returns=True`` a missing
    return is a move nobody knows, so the windows that hold it are null. Non-positive
    prices, or returns at or below -100%, raise an error: their log is undefined. Each row
    costs O(1) whatever ``N``. ``ln(1 + r)`` and ``exp(z) - 1`` are computed several rows at
    a time, within one unit in the last place of the C library's ``log1p`` and ``expm1``.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame({"close": [100.0, 101.0, 103.0, 102.0, 106.0, 110.0]})
    >>> df.with_columns(
    ...     wa=pa.weighted_alpha("close", window=4).round(3),
    ...     change=pa.weighted_alpha("close", window=4, half_life=float("inf")).round(3),
    ... )
    shape: (6, 3)
    ┌───────┬────────┬────────┐
    │ close ┆ wa     ┆ change │
    │ ---   ┆ ---    ┆ ---    │
    │ f64   ┆ f64    ┆ f64    │
    ╞═══════╪════════╪════════╡
    │ 100.0 ┆ null   ┆ null   │
    │ 101.0 ┆ null   ┆ null   │
    │ 103.0 ┆ null   ┆ null   │
    │ 102.0 ┆ null   ┆ null   │
    │ 106.0 ┆ 6.795  ┆ 6.0    │
    │ 110.0 ┆ 10.236 ┆ 8.911  │
    └───────┴────────┴────────┘
    """
    return _weighted_alpha_call(
        "weighted_alpha_rolling",
        price,
        window=window,
        half_life=half_life,
        weights=weights,
        by=by,
        order_by=order_by,
        benchmark=benchmark,
        cap=cap,
        returns=returns,
    )


def last_weighted_alpha(
    price: IntoExprColumn,
    *,
    window: int = 252,
    half_life: float | None = None,
    weights: WeightsKind = "exponential",
    benchmark: IntoExprColumn | None = None,
    cap: float | None = None,
    returns: bool = False,
) -> pl.Expr:
    """Weighted alpha as of the last row: one score per group, for ``group_by().agg()``.

    Parameters
    ----------
    price
        Prices (positive), or simple returns with ``returns=True``, in time order.
    window
        ``N``, the number of log returns in the score. At least 2.
    half_life
        Exponential weights' half-life in rows; default ``window - 1``.
    weights
        ``"exponential"`` (default) or ``"linear"``.
    benchmark
        Benchmark prices (or returns) on the same rows, whose score is subtracted.
    cap
        Clip each log return to ``[-cap, cap]``.
    returns
        Whether the inputs hold simple returns instead of prices.

    Returns
    -------
    pl.Expr
        A Float64 scalar per group: the value :func:`weighted_alpha` gives at the last row.

    Notes
    -----
    Same definition and null rule as :func:`weighted_alpha`: null when the group has fewer
    than ``N + 1`` prices or a missing one among them.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> df = pl.DataFrame(
    ...     {
    ...         "ticker": ["A"] * 4 + ["B"] * 4,
    ...         "close": [10.0, 11.0, 12.0, 13.0, 20.0, 20.0, 20.0, 26.0],
    ...     }
    ... )
    >>> df.group_by("ticker", maintain_order=True).agg(
    ...     wa=pa.last_weighted_alpha("close", window=3).round(2)
    ... )
    shape: (2, 2)
    ┌────────┬───────┐
    │ ticker ┆ wa    │
    │ ---    ┆ ---   │
    │ str    ┆ f64   │
    ╞════════╪═══════╡
    │ A      ┆ 29.33 │
    │ B      ┆ 42.85 │
    └────────┴───────┘
    """
    return _weighted_alpha_call(
        "last_weighted_alpha",
        price,
        window=window,
        half_life=half_life,
        weights=weights,
        by=None,
        benchmark=benchmark,
        cap=cap,
        returns=returns,
        returns_scalar=True,
    )
