"""Spark: the expressions on a Spark DataFrame, each ticker's rows handed to Polars as Arrow.

Install with ``pip install "polars-alpha[spark]"`` (PySpark 4, which needs a Java 17 runtime).
Every executor's Python workers run Polars, so set ``spark.executorEnv.POLARS_MAX_THREADS``
to each task's share of the cores (see the scale-out guide).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

import polars as pl

from polars_alpha import _calls, _engines, _validate

__all__ = ["spark_schema", "with_columns"]


def _module(name: str) -> Any:
    """PySpark and pyarrow, imported on first use: untyped, and absent without the extra."""
    try:
        return importlib.import_module(name)
    except ImportError as error:  # pragma: no cover - the extra is installed in the tests
        msg = f'polars_alpha.spark needs {name}: pip install "polars-alpha[spark]"'
        raise ImportError(msg) from error


def _spark_dtype(dtype: Any) -> pl.DataType:
    """A dtype Spark accepts holding every value of ``dtype``: Spark has no unsigned
    integers (each widens to the next signed one; UInt64 to Int64, failing on overflow),
    and reads categoricals as strings."""
    widened: dict[type[pl.DataType], pl.DataType] = {
        pl.UInt8: pl.Int16(),
        pl.UInt16: pl.Int32(),
        pl.UInt32: pl.Int64(),
        pl.UInt64: pl.Int64(),
        pl.Categorical: pl.String(),
        pl.Enum: pl.String(),
    }
    # A schema may hold classes (pl.Float64) as well as instances.
    if isinstance(dtype, type):
        dtype = dtype()
    for kind, target in widened.items():
        if isinstance(dtype, kind):
            return target
    if isinstance(dtype, pl.Struct):
        return pl.Struct([pl.Field(f.name, _spark_dtype(f.dtype)) for f in dtype.fields])
    if isinstance(dtype, pl.List):
        return pl.List(_spark_dtype(dtype.inner))
    if isinstance(dtype, pl.Array):
        return pl.List(_spark_dtype(dtype.inner))
    assert isinstance(dtype, pl.DataType)
    return dtype


def _arrow_type(pa: Any, kind: Any) -> Any:
    """The Arrow type with 32-bit offsets for Arrow's large types: Spark's Arrow reader
    rejects ``large_string`` (Polars' strings), ``large_binary`` and ``large_list``."""
    types = pa.types
    if types.is_large_string(kind):
        return pa.string()
    if types.is_large_binary(kind):
        return pa.binary()
    if types.is_large_list(kind) or types.is_list(kind):
        return pa.list_(_arrow_type(pa, kind.value_type))
    if types.is_struct(kind):
        return pa.struct([field.with_type(_arrow_type(pa, field.type)) for field in kind])
    return kind


def _arrow_schema(schema: pl.Schema) -> Any:
    """The Arrow schema Spark is given for a Polars schema."""
    pa = _module("pyarrow")
    safe = pl.Schema({name: _spark_dtype(dtype) for name, dtype in schema.items()})
    arrow = pl.DataFrame(schema=safe).to_arrow().schema
    return pa.schema([field.with_type(_arrow_type(pa, field.type)) for field in arrow])


def spark_schema(schema: pl.Schema | dict[str, pl.DataType]) -> Any:
    """The Spark schema of a Polars schema, with the types Spark rejects cast.

    Parameters
    ----------
    schema
        A Polars schema, e.g. ``frame.schema``.

    Returns
    -------
    pyspark.sql.types.StructType
        One field per column: unsigned integers widened to the next signed type (``UInt32``,
        such as a fit's ``n``, to ``LongType``), categoricals as strings, and Polars'
        large (64-bit offset) strings, binaries and lists as Spark's ordinary ones.

    Notes
    -----
    :func:`with_columns` casts each partition's result to this schema; Spark would refuse
    ``large_string`` and ``uint32`` in an ``applyInArrow`` output otherwise.

    Examples
    --------
    >>> import polars as pl
    >>> from polars_alpha.spark import spark_schema
    >>> spark_schema({"ticker": pl.String(), "n": pl.UInt32()}).simpleString()
    'struct<ticker:string,n:bigint>'
    """
    types = _module("pyspark.sql.pandas.types")
    return types.from_arrow_schema(_arrow_schema(pl.Schema(schema)))


def _group_function(
    exprs: Sequence[str],
    partition_by: str,
    order_by: str,
    broadcast: pl.DataFrame | None,
    output: pl.Schema,
) -> Callable[[Any], Any]:
    """The function Spark calls with each key's rows as an Arrow table."""

    def compute(table: Any) -> Any:
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        out = _engines.evaluate(
            frame,
            _calls.local(exprs),
            partition_by=partition_by,
            order_by=order_by,
            broadcast=broadcast,
        )
        safe = out.cast({name: _spark_dtype(dtype) for name, dtype in output.items()})
        return safe.to_arrow().cast(_arrow_schema(output))

    return compute


def with_columns(
    sdf: Any,
    *exprs: pl.Expr,
    partition_by: str = "ticker",
    order_by: str = "date",
    broadcast: pl.DataFrame | pl.LazyFrame | None = None,
) -> Any:
    """Add the expressions' columns to a Spark DataFrame, computed with Polars per key.

    ``sdf.groupBy(partition_by).applyInArrow(...)`` hands each key's rows to Polars as an
    Arrow table (no copy on the way in); they are sorted by ``order_by`` and given the
    expressions' columns. The output schema is derived from the Polars schema.

    Parameters
    ----------
    sdf
        A ``pyspark.sql.DataFrame``.
    *exprs
        Polars expressions, as for ``with_columns``. Every call of this package must take
        ``by=partition_by`` or run under ``.over()`` by keys that include it.
    partition_by
        The key column: each of its values is one series (the ticker).
    order_by
        The column that orders each key's rows (the date).
    broadcast
        A small Polars frame with ``order_by`` and other columns (a benchmark's returns, one
        row per date), shipped with the function and joined on ``order_by`` for each key, for
        the expressions to read. Its columns are not added to the result.

    Returns
    -------
    pyspark.sql.DataFrame
        The input's columns and the expressions' columns (lazy, like any Spark DataFrame).
        Types Spark has not are cast as :func:`spark_schema` says (a fit's ``n`` is a
        ``bigint``).

    Notes
    -----
    Each key's whole series is computed at once, so each result equals the same
    expression on the whole frame in one process. Raises when a column is missing or when an
    expression would mix keys (a ``by=`` other than ``partition_by``, an ``.over()``
    without it, such as a cross-sectional rank by date). Needs PySpark 4
    (``applyInArrow``).

    Examples
    --------
    >>> import os, sys
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> from polars_alpha import spark as pas
    >>> from pyspark.sql import SparkSession
    >>> _ = os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers: this Python
    >>> spark = (
    ...     SparkSession.builder.master("local[2]")
    ...     .config("spark.executorEnv.POLARS_MAX_THREADS", "1")
    ...     .getOrCreate()
    ... )
    >>> frame = pl.DataFrame(
    ...     {
    ...         "ticker": ["A", "B"] * 4,
    ...         "date": [4, 4, 3, 3, 2, 2, 1, 1],
    ...         "r": [0.0, 0.01, 0.02, -0.02, -0.01, 0.01, 0.01, 0.02],
    ...         "m": [0.01, 0.02, 0.01, -0.01, -0.02, 0.0, 0.01, 0.01],
    ...     }
    ... )
    >>> beta = pa.rolling_beta("r", "m", window=3, by="ticker").round(4).alias("beta")
    >>> out = pas.with_columns(spark.createDataFrame(frame.to_arrow()), beta)
    >>> pl.from_arrow(out.toArrow()).sort("ticker", "date")["beta"].to_list()
    [None, None, 0.8333, 0.6667, None, None, 2.0, 0.8571]
    >>> spark.stop()
    """
    pa_types = _module("pyspark.sql.pandas.types")
    dataframe = _module("pyspark.sql")
    if not isinstance(sdf, dataframe.DataFrame):
        msg = f"`sdf` must be a pyspark.sql.DataFrame, got {type(sdf).__name__}"
        raise TypeError(msg)
    partition_by = _engines.key_column(partition_by, "partition_by")
    order_by = _engines.key_column(order_by, "order_by")
    exprs_list = _validate.expressions(list(exprs), "exprs")
    _engines.require_columns(
        [str(c) for c in sdf.columns],
        [("partition_by", partition_by), ("order_by", order_by)],
        "`sdf`",
    )
    _engines.check_keyed(exprs_list, partition_by)
    bench = _engines.check_broadcast(broadcast, order_by)

    arrow_schema = pa_types.to_arrow_schema(sdf.schema)
    empty = pl.from_arrow(arrow_schema.empty_table())
    assert isinstance(empty, pl.DataFrame)
    output = _engines.output_schema(
        empty.schema, exprs_list, partition_by=partition_by, order_by=order_by, broadcast=bench
    )
    compute = _group_function(_calls.portable(exprs_list), partition_by, order_by, bench, output)
    return sdf.groupBy(partition_by).applyInArrow(compute, schema=spark_schema(output))
