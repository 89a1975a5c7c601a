"""Dask: the expressions on a Dask DataFrame, each ticker's rows in one partition.

Install with ``pip install "polars-alpha[dask]"``. Every worker runs Polars on its partitions,
so set ``POLARS_MAX_THREADS`` for each worker to its share of the cores (see the scale-out
guide).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

import polars as pl

from polars_alpha import _calls, _engines, _validate

__all__ = ["with_columns"]

# Carries each row's position in its partition through the sort, to put the partition's own
# pandas columns in the result's order without converting them.
_ROW = "__polars_alpha_row"


def _module(name: str) -> Any:
    """Dask and what it brings (pandas, pyarrow), imported on first use: untyped, and absent
    without the extra."""
    try:
        return importlib.import_module(name)
    except ImportError as error:  # pragma: no cover - the extra is installed in the tests
        msg = f'polars_alpha.dask needs {name}: pip install "polars-alpha[dask]"'
        raise ImportError(msg) from error


def _partition(
    pdf: Any,
    exprs: Sequence[str],
    names: Sequence[str],
    needed: Sequence[str],
    partition_by: str,
    order_by: str,
    broadcast: pl.DataFrame | None,
) -> Any:
    """One partition: its needed columns to Polars through Arrow, the expressions evaluated
    on its rows sorted by (partition_by, order_by), the results back as Arrow-backed pandas
    columns beside the partition's own columns in that order."""
    pd, pa = _module("pandas"), _module("pyarrow")
    table = pa.Table.from_pandas(pdf[list(needed)], preserve_index=False)
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    frame = frame.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias(_ROW))
    out = _engines.evaluate(
        frame,
        _calls.local(exprs),
        partition_by=partition_by,
        order_by=order_by,
        broadcast=broadcast,
    )
    result = pdf.iloc[out[_ROW].to_numpy()]
    arrow = out.select(names).to_arrow()
    added = {
        name: pd.Series(pd.arrays.ArrowExtensionArray(arrow.column(name)), index=result.index)
        for name in names
    }
    return result.assign(**added)


def _split_keys(ddf: Any, partition_by: str) -> list[Any]:
    """Keys found in more than one partition."""
    keys = ddf[partition_by].map_partitions(lambda s: s.drop_duplicates()).compute()
    return list(keys[keys.duplicated()].drop_duplicates().head(5))


def with_columns(
    ddf: Any,
    *exprs: pl.Expr,
    partition_by: str = "ticker",
    order_by: str = "date",
    broadcast: pl.DataFrame | pl.LazyFrame | None = None,
    shuffle: bool = True,
) -> Any:
    """Add the expressions' columns to a Dask DataFrame, computed with Polars per partition.

    Each ``partition_by`` value's rows are brought into one partition (a shuffle on the key);
    each partition goes to Polars through Arrow, is sorted by ``(partition_by, order_by)``
    and gets the expressions' columns. The result is lazy, like any Dask DataFrame.

    Parameters
    ----------
    ddf
        A ``dask.dataframe.DataFrame``.
    *exprs
        Polars expressions, as for ``with_columns``. Every call of this package must take
        ``by=partition_by`` or run under ``.over()`` by keys that include it.
    partition_by
        The key column: each of its values is one series (the ticker).
    order_by
        The column that orders each key's rows (the date).
    broadcast
        A small Polars frame with ``order_by`` and other columns (a benchmark's returns, one
        row per date), joined on ``order_by`` in every partition for the expressions to read.
        Its columns are not added to the result.
    shuffle
        Whether to shuffle the rows on ``partition_by`` first. ``False`` when every key's
        rows already lie in one partition, such as Parquet files written by
        :func:`polars_alpha.partitioned.bucket_parquet` and read with one partition per file;
        the keys of each partition are then read once to check it.

    Returns
    -------
    dask.dataframe.DataFrame
        The partitions' rows sorted by ``(partition_by, order_by)``, with the expressions'
        columns added (or replaced) as Arrow-backed pandas columns (``pd.ArrowDtype``; a
        struct stays a struct). The other columns keep their dtypes.

    Notes
    -----
    The expressions run on whole series of each key, so each result equals the same
    expression on the whole frame in one process. Raises when a column is missing, when an
    expression would mix keys (a ``by=`` other than ``partition_by``, an ``.over()`` without
    it, such as a cross-sectional rank by date), or, with ``shuffle=False``, when a key's
    rows lie in several partitions. Polars expressions of your own run on a partition's rows
    as they are, several keys after each other: window them with ``.over(partition_by)``.
    The partitions are processed with ``map_partitions`` rather than
    ``groupby().apply()``, which drops the key column under pandas 3.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> import pandas as pd
    >>> import polars_alpha as pa
    >>> from polars_alpha import dask as pad
    >>> pdf = pd.DataFrame(
    ...     {
    ...         "ticker": ["A", "B"] * 4,
    ...         "date": [4, 4, 3, 3, 2, 2, 1, 1],
    ...         "r": [0.0, 0.01, 0.02, -0.02, -0.01, 0.01, 0.01, 0.02],
    ...         "m": [0.01, 0.02, 0.01, -0.01, -0.02, 0.0, 0.01, 0.01],
    ...     }
    ... )
    >>> beta = pa.rolling_beta("r", "m", window=3, by="ticker").alias("beta")
    >>> out = pad.with_columns(dd.from_pandas(pdf, npartitions=2), beta)
    >>> out.compute(scheduler="sync").sort_values(["ticker", "date"])["beta"].round(4).tolist()
    [<NA>, <NA>, 0.8333, 0.6667, <NA>, <NA>, 2.0, 0.8571]
    """
    dd, pd, pa = _module("dask.dataframe"), _module("pandas"), _module("pyarrow")
    if not isinstance(ddf, dd.DataFrame):
        msg = f"`ddf` must be a dask.dataframe.DataFrame, got {type(ddf).__name__}"
        raise TypeError(msg)
    partition_by = _engines.key_column(partition_by, "partition_by")
    order_by = _engines.key_column(order_by, "order_by")
    exprs_list = _validate.expressions(list(exprs), "exprs")
    columns = [str(c) for c in ddf.columns]
    _engines.require_columns(
        columns, [("partition_by", partition_by), ("order_by", order_by)], "`ddf`"
    )
    _engines.check_keyed(exprs_list, partition_by)
    bench = _engines.check_broadcast(broadcast, order_by)
    # The input columns the expressions read: Polars sees only these.
    bench_names = [] if bench is None else bench.columns
    roots = {name for expr in exprs_list for name in expr.meta.root_names()}
    needed = [c for c in columns if c in roots or c in (partition_by, order_by)]
    missing = sorted(roots - set(columns) - set(bench_names))
    if missing:
        msg = (
            f"the expressions read {missing[0]!r}, which is a column of neither `ddf` nor "
            "`broadcast`"
        )
        raise ValueError(msg)
    if not _validate.flag(shuffle, "shuffle"):
        split = _split_keys(ddf, partition_by)
        if split:
            msg = (
                f"`shuffle=False`, but the rows of {partition_by}={split!r} lie in several "
                "partitions: pass shuffle=True, or bucket the data by the key first "
                "(polars_alpha.partitioned.bucket_parquet)"
            )
            raise ValueError(msg)
    else:
        ddf = ddf.shuffle(on=partition_by)

    # The output schema, from a run on no rows of the partitions' own schema.
    meta = ddf._meta
    # Dask's made-up rows type an empty object column too (as a string).
    sample = pl.from_arrow(pa.Table.from_pandas(ddf._meta_nonempty, preserve_index=False))
    assert isinstance(sample, pl.DataFrame)
    schema = sample.schema
    needed_schema = pl.Schema({name: schema[name] for name in needed})
    empty = pl.DataFrame(schema=needed_schema)
    if bench is not None:
        empty = empty.join(bench.clear(), on=order_by, how="left", maintain_order="left").select(
            *needed, *[c for c in bench.columns if c not in needed]
        )
    names = empty.lazy().select(exprs_list).collect_schema().names()
    out_empty = _engines.evaluate(
        pl.DataFrame(schema=needed_schema),
        exprs_list,
        partition_by=partition_by,
        order_by=order_by,
        broadcast=bench,
    )
    arrow = out_empty.select(names).to_arrow()
    new_meta = meta.assign(
        **{
            name: pd.Series(pd.arrays.ArrowExtensionArray(arrow.column(name)), index=meta.index)
            for name in names
        }
    )
    return ddf.map_partitions(
        _partition,
        _calls.portable(exprs_list),
        names,
        needed,
        partition_by,
        order_by,
        bench,
        meta=new_meta,
    )
