"""Daily updates: the trailing history a row window needs, so new rows are computed without
recomputing the past."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

import polars as pl

from polars_alpha import _engines, _validate
from polars_alpha._calls import PluginCall, is_plugin, plugin_call

__all__ = ["history_needed"]

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)

# Fits over the trailing `window` rows: a row's result reads that row and the `window - 1`
# before it.
_ROW_WINDOWS = frozenset(
    {
        "rolling_alpha_beta",
        "rolling_beta",
        "rolling_alpha",
        "rolling_ratio",
        "rolling_factor_regression",
        "ewm_alpha_beta",
        "rolling_strategy",
    }
)
# Weighted alpha: `window` log returns, so from prices `window + 1` rows, and a missing price's
# move is taken from the last known price before it.
_WEIGHTED_ALPHA = frozenset({"weighted_alpha_rolling", "last_weighted_alpha"})
# One value from every row of the group.
_WHOLE_SAMPLE = frozenset({"alpha_beta", "ratio", "factor_regression"})
_ELEMENTWISE = frozenset({"numeric_input"})


def _need(call: PluginCall) -> tuple[int, list[pl.Expr]]:
    """Rows of history the call needs before the first new row, and the price inputs whose
    last known value before that must be kept too (weighted alpha's bridged returns)."""
    window = call.kwargs.get("window")
    if call.symbol in _ELEMENTWISE:
        return 0, []
    if call.symbol in _WHOLE_SAMPLE:
        msg = (
            f"{call.symbol} fits every row of a key, so no trailing history gives the same "
            "result: recompute it on the full history"
        )
        raise ValueError(msg)
    if call.symbol in _ROW_WINDOWS or call.symbol in _WEIGHTED_ALPHA:
        if call.date_window():
            msg = (
                f"{call.symbol} has a date window, whose default min_periods is measured on "
                "the key's whole history: recompute it on the full history, or use a row "
                "window"
            )
            raise ValueError(msg)
        if window is None:
            kind = "exponentially weighted" if call.symbol == "ewm_alpha_beta" else "expanding"
            msg = (
                f"{call.symbol} with window=None is an {kind} fit over all of a key's rows: "
                "a trailing halo cannot reproduce it (it would need the fit's carried "
                "sums); recompute it on the full history, or give it a row window"
            )
            raise ValueError(msg)
        if call.symbol in _WEIGHTED_ALPHA and not call.kwargs.get("returns"):
            return int(window), call.value_inputs()
        return int(window) - 1, []
    if call.symbol == "thin_trading_beta" and window is not None and not call.date_window():
        # The window's oldest row reads the market `lags` rows before it (its leads reach
        # no further than t).
        return int(window) - 1 + int(call.kwargs["lags"]), []
    if call.symbol == "residual_momentum":
        # The oldest residual in the score ends `window - 1` rows back, and its regression
        # reaches `fit_window - 1` rows further.
        return int(call.kwargs["fit_window"]) + int(call.kwargs["window"]) - 2, []
    msg = (
        f"history_needed does not know how much history {call.symbol} needs: pass the "
        "longest row window of your expressions as an integer"
    )
    raise ValueError(msg)


# Polars functions whose value at a row reads that row's inputs only.
_ROW_BY_ROW = frozenset(
    {
        "Abs",
        "AsStruct",
        "Clip",
        "Exp",
        "FillNull",
        "Log",
        "Log1p",
        "MaxHorizontal",
        "MeanHorizontal",
        "MinHorizontal",
        "Negate",
        "Pow",
        "Round",
        "Sign",
        "StructExpr",
        "SumHorizontal",
        "TemporalExpr",
        "ToPhysical",
    }
)
_ROW_BY_ROW_BOOLEAN = frozenset(
    {
        "AllHorizontal",
        "AnyHorizontal",
        "IsBetween",
        "IsFinite",
        "IsIn",
        "IsInfinite",
        "IsNan",
        "IsNotNan",
        "IsNotNull",
        "IsNull",
        "Not",
    }
)
# Polars functions reading `n` rows back (their second input, a literal integer).
_LOOK_BACK = frozenset({"Shift", "Diff", "PctChange"})


def _tag(function: Any) -> tuple[str, Any]:
    """The name of a serialized Polars function and its options."""
    if isinstance(function, str):
        return function, None
    if isinstance(function, dict) and len(function) == 1:
        ((name, options),) = function.items()
        return str(name), options
    return json.dumps(function)[:60], None


def _unknown(name: str) -> ValueError:
    return ValueError(
        f"history_needed cannot tell how much history {name} needs (it may use every earlier "
        "row, or look at other rows in a way it does not read): pass the longest row window "
        "of your expressions as an integer"
    )


def _literal_int(node: Any) -> int | None:
    value = node.get("Literal") if isinstance(node, dict) else None
    dynamic = value.get("Dyn") if isinstance(value, dict) else None
    number = dynamic.get("Int") if isinstance(dynamic, dict) else None
    return number if isinstance(number, int) else None


def _function_need(function: dict[str, Any], prices: list[pl.Expr]) -> int:
    """The rows a serialized ``Function`` node needs before a row, beyond its inputs'."""
    call = plugin_call(function)
    if call is not None:
        rows, inputs = _need(call)
        prices.extend(inputs)
        return rows
    if is_plugin(function):
        raise _unknown(str(function["function"]["FfiPlugin"].get("symbol")))
    name, options = _tag(function.get("function"))
    inputs = function.get("input") or []
    if name in _ROW_BY_ROW or (name == "Boolean" and _tag(options)[0] in _ROW_BY_ROW_BOOLEAN):
        return 0
    if name in _LOOK_BACK:
        back = _literal_int(inputs[1]) if len(inputs) > 1 else None
        if back is None:
            raise _unknown(f"{name} by a computed number of rows")
        # A negative shift looks ahead: the new rows lack those rows in a full recompute too.
        return max(back, 0)
    if name == "RollingExpr" and isinstance(options, dict):
        size = options.get("options", {}).get("window_size")
        if isinstance(size, int):
            return size - 1
    if name.startswith(("Cum", "Ewm")) or name in ("FillNullWithStrategy", "RollingExprBy"):
        msg = (
            f"{name} uses every earlier row of a key (or a date window measured on them): no "
            "trailing history reproduces it; recompute it on the full history"
        )
        raise ValueError(msg)
    raise _unknown(name)


def _node_need(node: Any, prices: list[pl.Expr]) -> int:
    """The rows a serialized expression needs before a row: a function's own need plus the
    most any of its inputs needs (a shift of a rolling mean needs both)."""
    if not isinstance(node, dict) or len(node) != 1:
        raise _unknown(json.dumps(node)[:60])
    ((kind, value),) = node.items()
    if kind in ("Column", "Literal"):
        return 0
    if kind == "Alias":
        return _node_need(value[0], prices)
    if kind in ("Cast", "RenameAlias", "KeepName"):
        return _node_need(value["expr"] if isinstance(value, dict) else value, prices)
    if kind == "BinaryExpr":
        return max(_node_need(value["left"], prices), _node_need(value["right"], prices))
    if kind == "Ternary":
        return max(_node_need(value[part], prices) for part in ("predicate", "truthy", "falsy"))
    if kind in ("Over", "Window"):
        return _node_need(value["function"], prices)
    if kind == "Function":
        # The function first: a call that no halo can reproduce says why, before its inputs
        # (a date window's table of distinct dates, say) are looked at.
        own = _function_need(value, prices)
        inputs = [_node_need(item, prices) for item in value.get("input") or []]
        return own + max(inputs, default=0)
    raise _unknown(kind)


def history_needed(
    frame: FrameT,
    *,
    window: int | pl.Expr | Sequence[pl.Expr],
    partition_by: str = "ticker",
    order_by: str = "date",
) -> FrameT:
    """The trailing rows of each key that new rows' rolling results need.

    Appending new rows to these (instead of to the whole history) and computing gives the new
    rows the same results as a full recompute.

    Parameters
    ----------
    frame
        The history, a DataFrame or LazyFrame, every key's rows up to the last computed one.
    window
        Either the expressions to be computed (one or a list), whose needs are read from
        them, or a row window's length ``w`` (``w - 1`` rows are kept).
    partition_by
        The key column (the ticker).
    order_by
        The column ordering each key's rows (the date): the latest rows are kept.

    Returns
    -------
    pl.DataFrame or pl.LazyFrame
        The rows kept, sorted by ``(partition_by, order_by)``, same columns as ``frame``.

    Notes
    -----
    What an expression needs is read from it: a row window of ``w`` rows needs the ``w - 1``
    rows before the first new row (the rolling regressions, ratios and strategy measures,
    ``ewm_alpha_beta`` with a row window, Polars' ``rolling_*``). Weighted alpha on prices
    needs ``w`` rows (``w`` log returns take ``w + 1`` prices) and, when the first of them is
    missing, back to the last known price, since a missing price's move is taken from the
    last known one; on returns (``returns=True``) ``w - 1``. The thin-trading betas need
    ``w - 1 + lags`` (a row's market lags reach ``lags`` rows before the window;
    Scholes-Williams has one). Residual momentum needs ``fit_window + window - 2``; momentum,
    Polars' ``shift``, ``diff`` and ``pct_change`` by ``n`` need ``n``. A function fed by
    another needs both (their sum); of several expressions the most any needs is kept.
    Functions reading one row at a time need nothing. A key with fewer rows keeps them all.

    Raises ``ValueError`` for what no halo reproduces: an expanding fit or an exponentially
    weighted one over all history (``window=None``: they would need the fit's carried sums,
    not rows), cumulative and EW Polars functions and forward fills, a date window (its
    default ``min_periods`` is measured on the key's whole history), the whole-sample fits;
    for a function it does not know (pass the longest row window as an integer then); and
    when a call is keyed by another column than ``partition_by`` (its ``by=``, or an
    ``.over()`` leaving the key out). A call with no key is taken to run on one key's rows
    (in ``group_by(partition_by).agg()``, or on one ticker's frame).

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> history = pl.DataFrame(
    ...     {"ticker": ["A"] * 5 + ["B"] * 2, "date": [1, 2, 3, 4, 5, 1, 2], "r": range(7)}
    ... )
    >>> beta = pa.rolling_beta("r", "r", window=3, by="ticker", order_by="date")
    >>> pa.history_needed(history, window=beta)
    shape: (4, 3)
    ┌────────┬──────┬─────┐
    │ ticker ┆ date ┆ r   │
    │ ---    ┆ ---  ┆ --- │
    │ str    ┆ i64  ┆ i64 │
    ╞════════╪══════╪═════╡
    │ A      ┆ 4    ┆ 3   │
    │ A      ┆ 5    ┆ 4   │
    │ B      ┆ 1    ┆ 5   │
    │ B      ┆ 2    ┆ 6   │
    └────────┴──────┴─────┘
    """
    if not isinstance(frame, (pl.DataFrame, pl.LazyFrame)):
        _validate.polars_frame(frame, "frame")
    partition_by = _engines.key_column(partition_by, "partition_by")
    order_by = _engines.key_column(order_by, "order_by")
    schema = frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema
    _engines.require_columns(
        schema.names(), [("partition_by", partition_by), ("order_by", order_by)], "`frame`"
    )
    need, prices = _needed_rows(window, partition_by)

    columns = schema.names()
    rows = frame.lazy().sort(partition_by, order_by, maintain_order=True)
    index = pl.int_range(pl.len()).over(partition_by)
    start = (pl.len() - need).over(partition_by)
    rows = rows.with_columns(_row=index, _start=start)
    first = pl.col("_start")
    for k, price in enumerate(prices):
        # The last row at or before a row where the price is known (null when none is).
        known = price.cast(pl.Float64)
        known = known.is_not_null() & known.is_not_nan()
        last = f"_known{k}"
        rows = rows.with_columns(
            pl.when(known).then(pl.col("_row")).forward_fill().over(partition_by).alias(last)
        )
        at_start = pl.col(last).filter(pl.col("_row") == pl.col("_start")).first()
        # No known price at the halo's first row: keep the key's rows from its last known
        # price before it, or all of them when there is none.
        first = pl.min_horizontal(first, at_start.over(partition_by).fill_null(0))
    out = rows.filter(pl.col("_row") >= first).select(columns)
    return out if isinstance(frame, pl.LazyFrame) else out.collect()


def _needed_rows(window: object, partition_by: str) -> tuple[int, list[pl.Expr]]:
    if isinstance(window, bool) or not isinstance(window, (int, pl.Expr, Sequence)):
        msg = (
            "`window` must be a row window's length (an int) or the expressions to compute, "
            f"got {type(window).__name__}"
        )
        raise TypeError(msg)
    if isinstance(window, int):
        return _validate.positive_int(window, "window") - 1, []
    exprs = _validate.expressions(window, "window")
    # The halo is taken per key: a series keyed otherwise would need another one. A call
    # without a key may be grouped by group_by().agg(), which the expression does not show.
    _engines.check_keyed(exprs, partition_by, require_key=False)
    prices: list[pl.Expr] = []
    need = max(_node_need(json.loads(expr.meta.serialize(format="json")), prices) for expr in exprs)
    return need, prices
