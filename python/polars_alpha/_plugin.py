"""The one place that registers calls into the compiled plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
from polars.plugins import register_plugin_function

from polars_alpha._typing import IntoExprColumn

_LIBRARY = Path(__file__).parent


def call_plugin(
    function_name: str,
    args: list[IntoExprColumn],
    kwargs: dict[str, Any],
    *,
    returns_scalar: bool = False,
) -> pl.Expr:
    """Build an expression that runs ``function_name`` of the Rust plugin.

    Every function of this package is a window or whole-sample computation over its
    inputs, so none is elementwise: Polars must never feed it in morsels.
    """
    return register_plugin_function(
        plugin_path=_LIBRARY,
        function_name=function_name,
        args=args,
        kwargs=kwargs,
        is_elementwise=False,
        returns_scalar=returns_scalar,
    )
