"""Reads back the polars-alpha plugin calls inside an expression.

The engines (Dask, Spark, the bucketed sink) and :func:`~polars_alpha.history_needed` must
know, before running anything, which key and window each call of this package uses. Polars
serializes an expression to JSON; a plugin call appears there with its symbol, its positional
inputs and its keyword arguments (pickled by Polars). The inputs' order is the one
:class:`polars_alpha._plugin.PluginInputs` lays out and describes under ``kwargs["inputs"]``.
"""

from __future__ import annotations

import io
import json
import pickle
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import polars as pl


class _DataOnly(pickle.Unpickler):
    """Unpickles the plain data (dicts, lists, numbers, strings) the plugin kwargs hold and
    nothing that would import or call code."""

    def find_class(self, module: str, name: str) -> Any:
        msg = f"unexpected object {module}.{name} in a plugin call's arguments"
        raise pickle.UnpicklingError(msg)


@dataclass(frozen=True)
class PluginCall:
    """One call of this package's plugin inside an expression."""

    #: The Rust function, e.g. ``"rolling_alpha_beta"``.
    symbol: str
    #: The keyword arguments the call sends (``window``, ``min_periods``, ``inputs``, ...).
    kwargs: dict[str, Any]
    #: The positional inputs, each as its serialized expression node.
    args: tuple[Any, ...]
    #: The ``partition_by`` nodes of every ``.over()`` around the call, innermost first.
    over: tuple[tuple[Any, ...], ...]

    @property
    def _layout(self) -> dict[str, Any]:
        layout: dict[str, Any] = self.kwargs.get("inputs", {})
        return layout

    def value_inputs(self) -> list[pl.Expr]:
        """The value inputs (prices, returns, factors) as expressions."""
        count = len(self._layout.get("values", []))
        return [_node_expr(node) for node in self.args[:count]]

    def by(self) -> Any | None:
        """The serialized ``by=`` key, or None when the call has none: the key as given,
        without the ``to_physical()`` the call wraps it in."""
        if not self._layout.get("by"):
            return None
        key = self.args[-1]
        function = key.get("Function") if isinstance(key, dict) else None
        if isinstance(function, dict) and function.get("function") == "ToPhysical":
            [key] = function["input"]
        return key

    def date_window(self) -> bool:
        """Whether the call's window is a duration on ``order_by``."""
        return bool(self._layout.get("date_window"))


def column_node(name: str) -> Any:
    """The serialized form of ``pl.col(name)``, to compare with a call's inputs."""
    return json.loads(pl.col(name).meta.serialize(format="json"))


def _node_expr(node: Any) -> pl.Expr:
    return pl.Expr.deserialize(io.StringIO(json.dumps(node)), format="json")


# Plugin functions that only prepare another call's inputs (a date window's distinct times):
# they read no key and no window of their own.
_INPUT_HELPERS = frozenset({"distinct_times"})


def _is_ours(plugin: dict[str, Any]) -> bool:
    lib = PurePath(str(plugin.get("lib", "")))
    return lib.parent.name == "polars_alpha" and lib.name.startswith("_internal")


def is_plugin(function: Any) -> bool:
    """Whether a serialized ``Function`` node's function is a plugin's (ours or another's)."""
    inner = function.get("function") if isinstance(function, dict) else None
    return isinstance(inner, dict) and isinstance(inner.get("FfiPlugin"), dict)


def plugin_call(
    function: dict[str, Any], over: tuple[tuple[Any, ...], ...] = ()
) -> PluginCall | None:
    """The call of this package's plugin a serialized ``Function`` node holds, if any."""
    if not is_plugin(function):
        return None
    plugin = function["function"]["FfiPlugin"]
    if not _is_ours(plugin):
        return None
    raw = bytes(plugin.get("kwargs") or b"")
    kwargs = _DataOnly(io.BytesIO(raw)).load() if raw else {}
    return PluginCall(
        symbol=str(plugin.get("symbol")),
        kwargs=kwargs,
        args=tuple(function.get("input") or ()),
        over=over,
    )


def _walk(node: Any, over: tuple[tuple[Any, ...], ...]) -> Iterator[PluginCall]:
    if isinstance(node, list):
        for item in node:
            yield from _walk(item, over)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in ("Over", "Window") and isinstance(value, dict):
            keys = tuple(value.get("partition_by") or ())
            yield from _walk(value.get("function"), (keys, *over))
            for other, part in value.items():
                if other != "function":
                    yield from _walk(part, over)
            continue
        if key == "Function" and isinstance(value, dict):
            call = plugin_call(value, over)
            if call is not None and call.symbol not in _INPUT_HELPERS:
                yield call
        yield from _walk(value, over)


def _overs(node: Any) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, list):
        for item in node:
            yield from _overs(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in ("Over", "Window") and isinstance(value, dict):
                yield tuple(value.get("partition_by") or ())
            yield from _overs(value)


def over_keys(exprs: Sequence[pl.Expr]) -> list[tuple[Any, ...]]:
    """The serialized ``partition_by`` of every ``.over()`` inside ``exprs``."""
    keys: list[tuple[Any, ...]] = []
    for expr in exprs:
        keys.extend(_overs(json.loads(expr.meta.serialize(format="json"))))
    return keys


def _relocate(node: Any, library: str) -> Any:
    if isinstance(node, list):
        return [_relocate(item, library) for item in node]
    if not isinstance(node, dict):
        return node
    if isinstance(node.get("FfiPlugin"), dict) and _is_ours(node["FfiPlugin"]):
        plugin = dict(node["FfiPlugin"])
        plugin["lib"] = str(PurePath(library) / PurePath(str(plugin["lib"])).name)
        return {**node, "FfiPlugin": plugin}
    return {key: _relocate(value, library) for key, value in node.items()}


def portable(exprs: Sequence[pl.Expr]) -> list[str]:
    """``exprs`` serialized to ship to another process, which may hold the package elsewhere
    (a packed environment unpacked by Spark): :func:`local` points them at its own copy."""
    return [expr.meta.serialize(format="json") for expr in exprs]


def local(serialized: Sequence[str]) -> list[pl.Expr]:
    """Expressions from :func:`portable`, their plugin calls pointed at this process's copy of
    the compiled library (a plugin call holds the library's path: relative to ``sys.prefix``
    for an installed package, absolute otherwise)."""
    library = str(PurePath(__file__).parent)
    return [_node_expr(_relocate(json.loads(text), library)) for text in serialized]


def plugin_calls(exprs: Sequence[pl.Expr]) -> list[PluginCall]:
    """Every call of this package's plugin inside ``exprs``, outermost first."""
    calls: list[PluginCall] = []
    for expr in exprs:
        calls.extend(_walk(json.loads(expr.meta.serialize(format="json")), ()))
    return calls
