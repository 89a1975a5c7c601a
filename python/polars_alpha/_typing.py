"""Type aliases shared by the public modules."""

from __future__ import annotations

from typing import TypeAlias

import polars as pl

#: A column name, an expression or a Series: anything that names an input column.
IntoExprColumn: TypeAlias = "pl.Expr | str | pl.Series"
