"""``--filter``: conditions on the screen's columns, read by Polars' SQL expression parser.

Any SQL condition :func:`polars.sql_expr` reads is a filter (``beta BETWEEN 0.8 AND 1.2 AND
r2 > 0.2``, ``ticker IN ('AAPL', 'MSFT')``), and so are chained comparisons such as
``0.8<=beta<=1.2``. SQL has no chains: it reads ``a <= b <= c`` as ``(a <= b) <= c``, which
compares a boolean with a number, so chains are rewritten into comparisons joined by ``AND``
before the text reaches the parser.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from polars_alpha.cli.errors import CliError, first_line
from polars_alpha.screen import SCREEN_COLUMNS

__all__ = ["FILTER_COLUMNS", "parse_filter"]

#: The columns a filter may name: every column of the screen's result.
FILTER_COLUMNS: tuple[str, ...] = ("date", "ticker", *SCREEN_COLUMNS)

_EXAMPLES = "e.g. 'alpha_ann>0', '0.8<=beta<=1.2' or 'beta BETWEEN 0.8 AND 1.2 AND r2 > 0.2'"

# Tokens are only found to locate comparison chains; everything else reaches the parser as
# written, so this needs to know SQL only as far as where a comparison's operands end.
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>--[^\n]*|/\*.*?\*/)
  | (?P<quoted>'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`)
  | (?P<word>[A-Za-z0-9_.$]+)
  | (?P<operator>[<>=!]+)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_COMPARISONS = frozenset({"<", "<=", ">", ">=", "=", "==", "!=", "<>"})
# Words that end a comparison's operand: the logical connectives, and the clauses inside
# which a comparison may sit.
_BOUNDARY_WORDS = frozenset(
    {"AND", "OR", "NOT", "XOR", "BETWEEN", "IS", "IN", "LIKE", "ILIKE"}
    | {"CASE", "WHEN", "THEN", "ELSE", "END"}
)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str


@dataclass(frozen=True)
class _Group:
    """A parenthesized part: one operand of the comparison around it."""

    items: list[_Token | _Group]


def parse_filter(text: str, columns: Sequence[str] = FILTER_COLUMNS) -> pl.Expr:
    """Turn a ``--filter`` string such as ``"alpha_ann>0"`` into a Polars expression.

    Parameters
    ----------
    text
        A SQL condition as :func:`polars.sql_expr` reads it (``r2 > 0.2``,
        ``beta BETWEEN 0.8 AND 1.2 AND alpha_t > 2``, ``NOT ticker IN ('XOM')``), where
        comparisons may also be chained as in ``0.8 <= beta <= 1.2``; ``==`` is ``=``.
    columns
        The columns a filter may name; ``date`` is checked as a date, ``ticker`` as text and
        every other column as a number.

    Returns
    -------
    pl.Expr
        A boolean expression.

    Notes
    -----
    Raises :class:`~polars_alpha.cli.CliError` for text that is not a condition, names an
    unknown column, or compares values of types that cannot be compared.

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
    >>> df.filter(parse_filter("beta BETWEEN 0.8 AND 1.2 OR alpha_ann > 0.25")).height
    3
    """
    try:
        expr = pl.sql_expr(unchain_comparisons(text))
    except pl.exceptions.PolarsError as error:
        msg = f"cannot read --filter {text!r}: {first_line(error)}; write a condition, {_EXAMPLES}"
        raise CliError(msg) from None
    unknown = [name for name in expr.meta.root_names() if name not in columns]
    if unknown:
        msg = (
            f"unknown column {unknown[0]!r} in --filter {text!r}; "
            f"the columns are: {', '.join(columns)}"
        )
        raise CliError(msg)
    _check_condition(expr, text, columns)
    return expr


def unchain_comparisons(text: str) -> str:
    """SQL for ``text`` with each chain of comparisons written as comparisons joined by AND.

    ``0.8 <= beta < 1.2`` becomes ``(0.8 <= beta AND beta < 1.2)``; the rest of the text is
    left as it is, and so is text whose parentheses do not balance (the parser reports it).

    Examples
    --------
    >>> from polars_alpha.cli.filters import unchain_comparisons
    >>> unchain_comparisons("0.8<=beta<=1.2 AND NOT 0 < r2 < 0.2")
    '(0.8 <= beta AND beta <= 1.2) AND NOT (0 < r2 AND r2 < 0.2)'
    >>> unchain_comparisons("beta BETWEEN 0.8 AND 1.2")
    'beta BETWEEN 0.8 AND 1.2'
    """
    tokens = [
        _Token(str(match.lastgroup), match.group())
        for match in _TOKEN.finditer(text)
        if match.lastgroup != "comment"  # a comment could hide the closing parenthesis
    ]
    grouped = _group(tokens)
    return text if grouped is None else _render(grouped)


def _group(tokens: list[_Token]) -> list[_Token | _Group] | None:
    """Nest the tokens by parentheses; None when they do not balance."""
    stack: list[list[_Token | _Group]] = [[]]
    for token in tokens:
        if token.text == "(":
            stack.append([])
        elif token.text == ")":
            if len(stack) == 1:
                return None
            inner = stack.pop()
            stack[-1].append(_Group(inner))
        else:
            stack[-1].append(token)
    return stack[0] if len(stack) == 1 else None


def _render(items: Sequence[_Token | _Group]) -> str:
    """The text of ``items``, with the chains among them rewritten."""
    out: list[str] = []
    run: list[_Token | _Group] = []  # the items since the last boundary
    for item in items:
        if isinstance(item, _Token) and (
            item.text == "," or (item.kind == "word" and item.text.upper() in _BOUNDARY_WORDS)
        ):
            out.append(_render_run(run))
            out.append(item.text)
            run = []
        else:
            run.append(item)
    out.append(_render_run(run))
    return "".join(out)


def _render_run(run: Sequence[_Token | _Group]) -> str:
    """One stretch between boundaries: operands and the comparisons between them."""
    operands: list[str] = [""]
    operators: list[str] = []
    for item in run:
        if isinstance(item, _Token) and item.kind == "operator" and item.text in _COMPARISONS:
            operators.append(item.text)
            operands.append("")
        else:
            operands[-1] += _text(item)
    text = "".join(operands[i] + op for i, op in enumerate(operators)) + operands[-1]
    if len(operators) < 2 or not all(o.strip() for o in operands):
        return text
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    parts = [
        f"{left.strip()} {op} {right.strip()}"
        for left, op, right in zip(operands[:-1], operators, operands[1:], strict=True)
    ]
    return f"{lead}({' AND '.join(parts)}){trail}"


def _text(item: _Token | _Group) -> str:
    if isinstance(item, _Group):
        return f"({_render(item.items)})"
    return item.text


def _check_condition(expr: pl.Expr, text: str, columns: Sequence[str]) -> None:
    """Run the filter on an empty frame of the columns, so that a value that is not a
    condition, or a comparison of text with a number, fails here with the filter's text,
    not later in the screen."""
    # Numeric columns are all taken as Float64: which numeric type does not change whether a
    # comparison is valid.
    types = {"date": pl.Date(), "ticker": pl.String()}
    empty = pl.DataFrame(schema={name: types.get(name, pl.Float64()) for name in columns})
    try:
        dtype = empty.lazy().select(expr).collect_schema().dtypes()[0]
        if dtype != pl.Boolean:
            msg = (
                f"cannot read --filter {text!r}: it gives {dtype} values, not true or false; "
                f"write a condition, {_EXAMPLES}"
            )
            raise CliError(msg)
        empty.filter(expr)
    except pl.exceptions.PolarsError as error:
        msg = f"cannot read --filter {text!r}: {first_line(error)}"
        raise CliError(msg) from None
