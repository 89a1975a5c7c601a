"""``--filter``: conditions such as ``alpha_ann>0`` or ``0.8<=beta<=1.2`` on the columns."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import polars as pl

from polars_alpha.cli.errors import CliError
from polars_alpha.screen import SCREEN_COLUMNS

__all__ = ["parse_filter"]

_FILTER_OP = r"(>=|<=|==|!=|>|<)"
_NUMBER = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
_COLUMN = r"([A-Za-z_][A-Za-z0-9_]*)"
_SIMPLE = re.compile(rf"^\s*{_COLUMN}\s*{_FILTER_OP}\s*{_NUMBER}\s*$")
_RANGE = re.compile(rf"^\s*{_NUMBER}\s*(<=|<)\s*{_COLUMN}\s*(<=|<)\s*{_NUMBER}\s*$")
_OPS: dict[str, Callable[[pl.Expr, float], pl.Expr]] = {
    ">": lambda c, v: c > v,
    ">=": lambda c, v: c >= v,
    "<": lambda c, v: c < v,
    "<=": lambda c, v: c <= v,
    "==": lambda c, v: c == v,
    "!=": lambda c, v: c != v,
}


def parse_filter(text: str, columns: Sequence[str] = SCREEN_COLUMNS) -> pl.Expr:
    """Turn a ``--filter`` string such as ``"alpha_ann>0"`` into a Polars expression.

    Parameters
    ----------
    text
        ``COLUMN OP NUMBER`` (OP one of ``> >= < <= == !=``) or ``LOW <= COLUMN <= HIGH``
        (``<`` allowed on either side).
    columns
        The columns a filter may name.

    Returns
    -------
    pl.Expr
        A boolean expression.

    Notes
    -----
    Raises :class:`CliError` for text that is not a filter or names an unknown column.

    Examples
    --------
    >>> import polars as pl
    >>> from polars_alpha.cli import parse_filter
    >>> df = pl.DataFrame({"beta": [0.7, 0.9, 1.2, 1.3], "alpha_ann": [0.1, -0.1, 0.2, 0.3]})
    >>> df.filter(parse_filter("0.8 <= beta <= 1.2"), parse_filter("alpha_ann>0"))
    shape: (1, 2)
    ┌──────┬───────────┐
    │ beta ┆ alpha_ann │
    │ ---  ┆ ---       │
    │ f64  ┆ f64       │
    ╞══════╪═══════════╡
    │ 1.2  ┆ 0.2       │
    └──────┴───────────┘
    """
    simple = _SIMPLE.match(text)
    ranged = _RANGE.match(text)
    if simple:
        name, op, number = simple.groups()
        conditions = [(name, op, float(number))]
    elif ranged:
        low, low_op, name, high_op, high = ranged.groups()
        flipped = {"<": ">", "<=": ">="}
        conditions = [(name, flipped[low_op], float(low)), (name, high_op, float(high))]
    else:
        msg = (
            f"cannot read --filter {text!r}: write COLUMN OP NUMBER or LOW<=COLUMN<=HIGH, "
            "e.g. 'alpha_ann>0' or '0.8<=beta<=1.2'"
        )
        raise CliError(msg)
    if name not in columns:
        msg = f"unknown column {name!r} in --filter {text!r}; the columns are: {', '.join(columns)}"
        raise CliError(msg)
    exprs = [_OPS[op](pl.col(column), value) for column, op, value in conditions]
    combined: pl.Expr = exprs[0] if len(exprs) == 1 else exprs[0] & exprs[1]
    return combined
