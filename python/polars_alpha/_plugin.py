"""The one place that registers calls into the compiled plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
from polars.plugins import register_plugin_function

from polars_alpha._typing import IntoExprColumn
from polars_alpha._validate import as_expr

_LIBRARY = Path(__file__).parent


def call_plugin(
    function_name: str,
    args: list[IntoExprColumn],
    kwargs: dict[str, Any],
    *,
    returns_scalar: bool = False,
    is_elementwise: bool = False,
) -> pl.Expr:
    """Build an expression that runs ``function_name`` of the Rust plugin.

    The statistics are window or whole-sample computations over their inputs, so they are
    not elementwise: Polars must never feed them in morsels. Only the input conversion
    ``numeric_input`` is elementwise.
    """
    return register_plugin_function(
        plugin_path=_LIBRARY,
        function_name=function_name,
        args=args,
        kwargs=kwargs,
        is_elementwise=is_elementwise,
        returns_scalar=returns_scalar,
    )


def numeric_input(value: IntoExprColumn, argument: str) -> pl.Expr:
    """``value`` as a Float64 expression, failing at plan time, with the argument named,
    when its dtype is not numeric (a bool, date, duration, string or categorical)."""
    return call_plugin(
        "numeric_input", [as_expr(value)], {"argument": argument}, is_elementwise=True
    )
