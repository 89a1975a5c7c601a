"""What the Dask, Spark and bucketed paths share: their argument checks and the Polars work done
on one partition's rows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import polars as pl

from polars_alpha import _validate
from polars_alpha._calls import column_node, over_keys, plugin_calls

# Calls that read one row at a time: no key is needed for them.
_ELEMENTWISE = frozenset({"numeric_input"})


def key_column(value: object, argument: str) -> str:
    """A column name: the engines partition and sort by names, not expressions."""
    if not isinstance(value, str) or not value:
        msg = f"`{argument}` must be a column name (a non-empty string), got {value!r}"
        raise TypeError(msg)
    return value


def require_columns(columns: Sequence[str], needed: Sequence[tuple[str, str]], what: str) -> None:
    """Raise naming the argument when a column it names is not in ``columns``."""
    for argument, name in needed:
        if name not in columns:
            msg = (
                f"`{argument}`={name!r} is not a column of {what}; its columns are: "
                f"{', '.join(columns)}"
            )
            raise ValueError(msg)


def _shown(node: Any) -> str:
    column = node.get("Column") if isinstance(node, dict) else None
    return repr(column) if isinstance(column, str) else json.dumps(node)[:80]


def check_keyed(exprs: Sequence[pl.Expr], partition_by: str, *, require_key: bool = True) -> None:
    """Raise when an expression would mix rows of several ``partition_by`` values.

    Each partition holds whole series of ``partition_by`` (several of them), sorted by it and
    the order column. So every call of this package must take its key from ``by=`` equal to
    ``partition_by`` or run inside ``.over()`` by keys that include it; and every ``.over()``
    must include it (an ``.over("date")`` needs all tickers of a date, which no partition
    holds). Polars expressions of the user's own that are not windowed by ``.over()`` are not
    checked: they see the partition's rows, several tickers after each other.

    ``require_key=False`` lets a call without a key pass (one grouped by ``group_by().agg()``,
    which the expression does not show); a key other than ``partition_by`` still raises.
    """
    key = column_node(partition_by)
    for keys in over_keys(exprs):
        if key not in keys:
            shown = ", ".join(_shown(k) for k in keys)
            msg = (
                f"an expression runs .over({shown}), which needs rows of several "
                f"{partition_by!r} values together, but each partition holds whole "
                f"{partition_by!r} series only: compute cross-sectional expressions on the "
                "result instead, or include the key in .over()"
            )
            raise ValueError(msg)
    for call in plugin_calls(exprs):
        if call.symbol in _ELEMENTWISE or any(key in keys for keys in call.over):
            continue
        by = call.by()
        if by is None and not require_key:
            continue
        if by is None:
            msg = (
                f"{call.symbol} has no by=: on a partition it would treat the rows of several "
                f"{partition_by!r} values as one series; pass by={partition_by!r}"
            )
            raise ValueError(msg)
        if by != key:
            msg = (
                f"{call.symbol} has by={_shown(by)} (or runs .over({_shown(by)})), but "
                f"partition_by={partition_by!r}: "
                f"each partition holds whole {partition_by!r} series, so pass "
                f"by={partition_by!r} (or partition by the expression's key)"
            )
            raise ValueError(msg)


def check_broadcast(broadcast: object, order_by: str) -> pl.DataFrame | None:
    """The ``broadcast=`` frame: a small eager Polars frame with the ``order_by`` column and
    one row per value of it (else the join would repeat rows)."""
    if broadcast is None:
        return None
    if isinstance(broadcast, pl.LazyFrame):
        broadcast = broadcast.collect()
    frame = _validate.frame_with_columns(broadcast, [order_by], "`broadcast`")
    if frame[order_by].is_duplicated().any():
        msg = (
            f"`broadcast` has repeated {order_by!r} values: it must hold one row per "
            f"{order_by!r}, or joining it would repeat rows"
        )
        raise ValueError(msg)
    return frame


def evaluate(
    frame: pl.DataFrame,
    exprs: Sequence[pl.Expr],
    *,
    partition_by: str,
    order_by: str,
    broadcast: pl.DataFrame | None,
) -> pl.DataFrame:
    """One partition's result: its rows sorted by (partition_by, order_by), the broadcast
    frame's columns joined on ``order_by`` for the expressions to read, and the expressions'
    columns added. The broadcast columns are not part of the result."""
    frame = frame.sort(partition_by, order_by, maintain_order=True)
    columns = frame.columns
    if broadcast is not None:
        extra = [c for c in broadcast.columns if c != order_by and c not in columns]
        frame = frame.join(
            broadcast.select(order_by, *extra), on=order_by, how="left", maintain_order="left"
        )
    else:
        extra = []
    out = frame.with_columns(exprs)
    added = [c for c in out.columns if c not in columns and c not in extra]
    return out.select(*columns, *added)


def output_schema(
    schema: pl.Schema,
    exprs: Sequence[pl.Expr],
    *,
    partition_by: str,
    order_by: str,
    broadcast: pl.DataFrame | None,
) -> pl.Schema:
    """The schema :func:`evaluate` returns for input ``schema``, from a run on no rows."""
    empty = pl.DataFrame(schema=schema)
    return evaluate(
        empty, exprs, partition_by=partition_by, order_by=order_by, broadcast=broadcast
    ).schema
