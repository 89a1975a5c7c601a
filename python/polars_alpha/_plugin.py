"""The one place that registers calls into the compiled plugin, and lays out their inputs.

Every call passes its columns positionally in one order, which :class:`PluginInputs` builds
and describes to the Rust side in the ``inputs`` keyword argument:

1. the value inputs, in order, each under the argument name errors give it
   (``inputs["values"]``, e.g. ``["asset", "market"]``);
2. the risk-free column, if any (``inputs["risk_free"]``);
3. the ``order_by`` column, if any (``inputs["order_by"]``): each key's rows are taken in its
   order; for a date window it is the time, and a struct follows it
   (``inputs["date_window"]``) of each distinct time and that time minus the duration: Polars
   does the calendar arithmetic, the kernel only looks up and compares;
4. the ``by`` key, if any (``inputs["by"]``), as its physical values (``to_physical()``: the
   codes of a Categorical or Enum, the integers of a date).

The other keyword arguments are each function's parameters, every key always sent (None
where not set): the Rust side rejects unknown and missing keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import polars as pl
from polars.plugins import register_plugin_function

from polars_alpha import _validate
from polars_alpha._typing import IntoExprColumn

_LIBRARY = Path(__file__).parent


@dataclass(frozen=True)
class PluginInputs:
    """The positional inputs of one plugin call, in the order the Rust side reads them.

    Each column is checked (a column name, an expression or a Series) when the inputs are
    built, naming its argument.
    """

    #: The value inputs: (argument name, column), in order.
    values: tuple[tuple[str, IntoExprColumn], ...]
    #: The per-period risk-free column; a scalar rate is a keyword argument instead.
    risk_free: IntoExprColumn | None = None
    #: The column whose order is each key's time order.
    order_by: IntoExprColumn | None = None
    #: A date window on ``order_by``: the duration (a Polars duration string).
    duration: str | None = None
    #: The key column of ``by=``.
    by: IntoExprColumn | None = None

    def __post_init__(self) -> None:
        for argument, value in self.values:
            _validate.column(value, argument)
        if self.risk_free is not None:
            _validate.column(self.risk_free, "risk_free")
        if self.order_by is not None:
            _validate.column(self.order_by, "order_by")
        if self.duration is not None and self.order_by is None:
            msg = "a date window needs `order_by=`, the date column it is measured on"
            raise ValueError(msg)
        if self.by is not None:
            _validate.column(self.by, "by")

    def args(self) -> list[pl.Expr]:
        """The positional arguments: values, [risk-free], [order_by[, {time, lower}]], [by]."""
        args = [_validate.as_expr(value) for _, value in self.values]
        if self.risk_free is not None:
            args.append(_validate.as_expr(self.risk_free))
        if self.order_by is not None:
            order = _validate.as_expr(self.order_by)
            args.append(order)
            if self.duration is not None:
                # Calendar arithmetic costs Polars far more than the fit, so it runs once per
                # distinct time: a panel repeats each date once per key. `with_fields` reads
                # the times from the struct, so they are found once without Polars' common
                # subexpression step, which costs more here than finding them.
                table = pl.struct(time=distinct_times(order)).struct.with_fields(
                    lower=pl.field("time").dt.offset_by(f"-{self.duration}")
                )
                args.append(table)
        if self.by is not None:
            # The key crosses the plugin interface as its physical values: a Categorical or
            # Enum key would otherwise become an Arrow dictionary and back on every call,
            # which costs several times the fit. Equal codes are equal categories.
            args.append(_validate.as_expr(self.by).to_physical())
        return args

    def columns(self) -> list[IntoExprColumn]:
        """Every column input: the values, then risk-free, ``order_by`` and ``by`` if set."""
        optional = (self.risk_free, self.order_by, self.by)
        return [value for _, value in self.values] + [c for c in optional if c is not None]

    def describe(self) -> dict[str, Any]:
        """The ``inputs`` keyword argument: what the positional arguments are."""
        return {
            "values": [argument for argument, _ in self.values],
            "risk_free": self.risk_free is not None,
            "order_by": self.order_by is not None,
            "date_window": self.duration is not None,
            "by": self.by is not None,
        }


def call_plugin(
    function_name: str,
    inputs: PluginInputs,
    kwargs: dict[str, Any],
    *,
    returns_scalar: bool = False,
    is_elementwise: bool = False,
) -> pl.Expr:
    """Build an expression that runs ``function_name`` of the Rust plugin on ``inputs``.

    ``kwargs`` are the function's parameters; the description of the inputs is added to
    them under ``"inputs"``. The statistics are window or whole-sample computations over
    their inputs, so they are not elementwise: Polars must never feed them in morsels. Only
    the input conversion ``numeric_input`` is elementwise.
    """
    expr = register_plugin_function(
        plugin_path=_LIBRARY,
        function_name=function_name,
        args=inputs.args(),
        kwargs={"inputs": inputs.describe(), **kwargs},
        is_elementwise=is_elementwise,
        returns_scalar=returns_scalar,
    )
    # A per-row call without a key can take one: its `.over(key)` may run as `by=key`.
    if returns_scalar or is_elementwise or inputs.by is not None:
        return expr
    return KeyablePluginExpr.of(expr, function_name, inputs, kwargs)


class KeyablePluginExpr(pl.Expr):
    """A per-row plugin call without ``by=``, whose ``.over(key)`` runs as ``by=key``.

    Under ``.over()`` Polars calls a plugin once per group, on one thread, and every call pays
    the plugin interface's fixed costs; ``by=`` splits the rows into keys once in Rust and
    fits them in parallel. The two give the same result whenever each group's rows are the
    key's rows of the inputs as the whole frame has them: one plain key column, the default
    mapping, no ``order_by``, and inputs that are plain columns. A computed input may depend
    on the group (``pl.col("ret") - pl.col("ret").mean()`` means each ticker's mean under
    ``.over``), so any other call is left to Polars' ``.over``.

    Any other method returns a plain ``pl.Expr``, so ``.alias(...).over(key)`` is always
    Polars' per-group ``.over``.
    """

    _call: tuple[str, PluginInputs, dict[str, Any]]

    @classmethod
    def of(
        cls, expr: pl.Expr, function_name: str, inputs: PluginInputs, kwargs: dict[str, Any]
    ) -> KeyablePluginExpr:
        keyable = cls.__new__(cls)
        keyable._pyexpr = expr._pyexpr
        keyable._call = (function_name, inputs, kwargs)
        return keyable

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled (say, to a Dask worker) with the call, so `.over` still runs as `by=`.
        plain = pl.Expr._from_pyexpr(self._pyexpr)
        return (KeyablePluginExpr.of, (plain, *self._call))

    def over(
        self,
        partition_by: Any = None,
        *more_exprs: Any,
        order_by: Any = None,
        descending: bool = False,
        nulls_last: bool = False,
        mapping_strategy: Any = "group_to_rows",
    ) -> pl.Expr:
        function_name, inputs, kwargs = self._call
        key = _one_key_column(partition_by, more_exprs)
        if (
            key is not None
            and order_by is None
            and mapping_strategy == "group_to_rows"
            and all(_is_plain_column(column) for column in inputs.columns())
        ):
            return call_plugin(function_name, replace(inputs, by=key), kwargs)
        return super().over(
            partition_by,
            *more_exprs,
            order_by=order_by,
            descending=descending,
            nulls_last=nulls_last,
            mapping_strategy=mapping_strategy,
        )


def _is_plain_column(value: IntoExprColumn) -> bool:
    """A reference to one column by name, as the whole frame has it."""
    return isinstance(value, (str, pl.Expr)) and _validate.as_expr(value).meta.is_column()


def _one_key_column(partition_by: Any, more_exprs: tuple[Any, ...]) -> str | pl.Expr | None:
    """The key of ``.over(partition_by, *more_exprs)`` when it is one plain column."""
    keys = [partition_by] if isinstance(partition_by, (str, pl.Expr)) else partition_by
    if more_exprs or not isinstance(keys, (list, tuple)) or len(keys) != 1:
        return None
    key = keys[0]
    return key if _is_plain_column(key) else None


def rolling_call(
    function_name: str,
    values: Sequence[tuple[str, IntoExprColumn]],
    *,
    window: object,
    min_periods: object,
    risk_free: object,
    by: object,
    order_by: object = None,
    **parameters: Any,
) -> pl.Expr:
    """A regression or ratio over trailing windows: a row window, an expanding window
    (``window=None``) or a date window (a duration on ``order_by``).

    Sends ``window`` (the row count; None for expanding and date windows), ``min_periods``
    (None only for a date window's default) and ``risk_free`` (a scalar per-period rate, or
    None), then ``parameters``.
    """
    rows, least, duration = _validate.window_kind(window, min_periods, order_by)
    rate, rate_column = _validate.risk_free(risk_free)
    inputs = PluginInputs(
        tuple(values),
        risk_free=rate_column,
        order_by=None if order_by is None else _validate.column(order_by, "order_by"),
        duration=duration,
        by=None if by is None else _validate.column(by, "by"),
    )
    kwargs = {"window": rows, "min_periods": least, "risk_free": rate, **parameters}
    return call_plugin(function_name, inputs, kwargs)


def whole_sample_call(
    function_name: str,
    values: Sequence[tuple[str, IntoExprColumn]],
    *,
    min_periods: object,
    risk_free: object,
    **parameters: Any,
) -> pl.Expr:
    """A regression or ratio over every row of the group: one value per group.

    Sends ``min_periods`` and ``risk_free`` (a scalar per-period rate, or None), then
    ``parameters``.
    """
    least = _validate.whole_sample_min_periods(min_periods)
    rate, rate_column = _validate.risk_free(risk_free)
    inputs = PluginInputs(tuple(values), risk_free=rate_column)
    kwargs = {"min_periods": least, "risk_free": rate, **parameters}
    return call_plugin(function_name, inputs, kwargs, returns_scalar=True)


def numeric_input(value: IntoExprColumn, argument: str) -> pl.Expr:
    """``value`` as a Float64 expression, failing at plan time, with the argument named,
    when its dtype is not numeric (a bool, date, duration, string or categorical)."""
    return call_plugin("numeric_input", PluginInputs(((argument, value),)), {}, is_elementwise=True)


def distinct_times(order: pl.Expr) -> pl.Expr:
    """The distinct values of a date window's ``order_by`` column, in no set order: a panel
    repeats each time once per key, and the plugin finds them about three times faster than
    ``unique()``."""
    return register_plugin_function(
        plugin_path=_LIBRARY,
        function_name="distinct_times",
        args=[order],
        kwargs=None,
        is_elementwise=False,
        returns_scalar=False,
        changes_length=True,
    )
