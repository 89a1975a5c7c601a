"""Out of core on one machine: bucket the input by ticker on disk, then compute bucket by bucket.

A frame larger than memory is written once, hash-bucketed by its key with Polars' own
partitioned Parquet sink (streaming, so the input never sits in memory whole). Each bucket
then holds whole series of the key and is computed on its own, so the peak memory is that of
the largest bucket.
"""

from __future__ import annotations

import math
import re
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import polars as pl

from polars_alpha import _engines, _validate

__all__ = ["bucket_parquet", "sink_parquet"]

# Default bucket size: a few million rows keep the memory of a bucket's fit (its inputs, the
# sort and a full struct of results) in the hundreds of megabytes.
ROWS_PER_BUCKET = 5_000_000

# Fixed seed: the bucket of a key depends only on the key (within one Polars version).
_SEED = 0x5EED
_PART = re.compile(r"part-(\d+)(?:-\d+)?\.parquet")


def _lazy(frame: object) -> pl.LazyFrame:
    frame = _validate.polars_frame(frame, "lf")
    return frame.lazy() if isinstance(frame, pl.DataFrame) else frame


def _bucket_count(value: object, lf: pl.LazyFrame) -> int:
    if value is None:
        rows = int(lf.select(pl.len()).collect(engine="streaming").item())
        return max(1, math.ceil(rows / ROWS_PER_BUCKET))
    return _validate.positive_int(value, "buckets")


def _empty_directory(value: object, argument: str) -> Path:
    if not isinstance(value, (str, Path)):
        msg = f"`{argument}` must be a directory path (str or Path), got {type(value).__name__}"
        raise TypeError(msg)
    path = Path(value)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        msg = (
            f"`{argument}`={str(path)!r} exists and is not an empty directory: pass a new "
            "path, so files of an earlier run cannot mix with this one's"
        )
        raise FileExistsError(msg)
    return path


def bucket_parquet(
    lf: pl.LazyFrame | pl.DataFrame,
    path: str | Path,
    *,
    partition_by: str = "ticker",
    buckets: int | None = None,
) -> list[Path]:
    """Write a frame to Parquet files hash-bucketed by a key: every key's rows in one file.

    Parameters
    ----------
    lf
        The input, a LazyFrame (streamed, so it may exceed memory) or a DataFrame.
    path
        A directory that does not exist yet, or an empty one. Bucket ``k`` is written to
        ``part-{k:05d}.parquet`` in it.
    partition_by
        The key column (the ticker). Every row of a key lands in the same bucket.
    buckets
        The number of buckets; default one per 5 million rows (which costs a pass counting
        the rows).

    Returns
    -------
    list[pathlib.Path]
        The files written, in bucket order. A bucket no key hashes to has no file.

    Notes
    -----
    The bucket of a row is ``hash(partition_by) % buckets`` with Polars' hash and a fixed
    seed. Rows keep their input order within a bucket. Dask reads each file as one partition,
    so :func:`polars_alpha.dask.with_columns` can skip its shuffle (``shuffle=False``).

    Examples
    --------
    >>> import tempfile
    >>> import polars as pl
    >>> from polars_alpha import partitioned
    >>> lf = pl.LazyFrame({"ticker": ["A", "B", "A", "C"], "r": [0.1, 0.2, 0.3, 0.4]})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     files = partitioned.bucket_parquet(lf, f"{tmp}/buckets", buckets=2)
    ...     keys = [t for f in files for t in pl.read_parquet(f)["ticker"].unique()]
    >>> sorted(keys)  # each key in one file only
    ['A', 'B', 'C']
    """
    lf = _lazy(lf)
    partition_by = _engines.key_column(partition_by, "partition_by")
    _engines.require_columns(lf.collect_schema().names(), [("partition_by", partition_by)], "`lf`")
    out = _empty_directory(path, "path")
    count = _bucket_count(buckets, lf)

    def name(args: pl.io.partition.FileProviderArgs) -> str:
        bucket = int(args.partition_keys[0, 0])
        index = args.index_in_partition
        return f"part-{bucket:05d}.parquet" if index == 0 else f"part-{bucket:05d}-{index}.parquet"

    lf.sink_parquet(
        pl.PartitionBy(
            out,
            key={"_bucket": pl.col(partition_by).hash(_SEED) % count},
            include_key=False,
            approximate_bytes_per_file=None,
            file_path_provider=name,
        ),
        mkdir=True,
    )
    return sorted(out.glob("part-*.parquet"), key=_bucket_of)


def _bucket_of(file: Path) -> tuple[int, str]:
    match = _PART.fullmatch(file.name)
    return (int(match.group(1)) if match else -1, file.name)


class _Progress:
    """Buckets done and rows per second on a terminal's stderr; silent otherwise."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.rows = 0
        self.start = time.perf_counter()
        self.shown = sys.stderr.isatty()

    def done(self, bucket: int, rows: int) -> None:
        self.rows += rows
        if not self.shown:
            return
        rate = self.rows / max(time.perf_counter() - self.start, 1e-9)
        end = "\n" if bucket == self.total else ""
        print(
            f"\rbucket {bucket}/{self.total}: {self.rows:,} rows, {rate:,.0f} rows/s",
            end=end,
            file=sys.stderr,
            flush=True,
        )


def sink_parquet(
    lf: pl.LazyFrame | pl.DataFrame,
    *exprs: pl.Expr,
    partition_by: str = "ticker",
    order_by: str = "date",
    path: str | Path,
    buckets: int | None = None,
) -> list[Path]:
    """Compute expressions on a frame larger than memory, bucket by bucket, into Parquet.

    The input is written once, hash-bucketed by ``partition_by``
    (:func:`bucket_parquet`, in a temporary directory inside ``path``); then each bucket is
    read, sorted by ``(partition_by, order_by)``, given the columns of ``exprs`` and written
    to ``path``. The result equals ``lf.with_columns(*exprs)`` with its rows sorted by
    bucket, then ``(partition_by, order_by)``.

    Parameters
    ----------
    lf
        The input, a LazyFrame (streamed into the buckets) or a DataFrame.
    *exprs
        Polars expressions, as for ``with_columns``. Every call of this package must take
        ``by=partition_by`` or run under ``.over()`` by keys that include it.
    partition_by
        The key column: each of its values is one series (the ticker).
    order_by
        The column that orders each key's rows (the date).
    path
        A directory that does not exist yet, or an empty one; the result goes to
        ``part-{k:05d}.parquet`` files in it, one per bucket: ``pl.scan_parquet(path)``
        reads it all.
    buckets
        The number of buckets; default one per 5 million rows. Peak memory is that of the
        largest bucket's computation, so more buckets use less memory.

    Returns
    -------
    list[pathlib.Path]
        The result files, in bucket order.

    Notes
    -----
    Rows with the same ``order_by`` value keep their input order. On a terminal, stderr
    shows the buckets done and the rows per second; nothing is printed otherwise.
    Raises when a column is missing, or when an expression would mix keys (a call whose
    ``by=`` is not ``partition_by``, or an ``.over()`` without it, such as a cross-sectional
    rank by date: compute those on the result).

    Examples
    --------
    >>> import tempfile
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> from polars_alpha import partitioned
    >>> lf = pl.LazyFrame(
    ...     {
    ...         "ticker": ["A", "B"] * 4,
    ...         "date": [1, 1, 2, 2, 3, 3, 4, 4],
    ...         "r": [0.01, 0.02, -0.01, 0.01, 0.02, -0.02, 0.0, 0.01],
    ...         "m": [0.01, 0.01, -0.02, 0.0, 0.01, -0.01, 0.01, 0.02],
    ...     }
    ... )
    >>> beta = pa.rolling_beta("r", "m", window=3, by="ticker").round(4).alias("beta")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     files = partitioned.sink_parquet(lf, beta, path=f"{tmp}/out", buckets=2)
    ...     out = pl.read_parquet(files).sort("ticker", "date")
    >>> out["beta"].to_list()
    [None, None, 0.8333, 0.6667, None, None, 2.0, 0.8571]
    """
    lf = _lazy(lf)
    partition_by = _engines.key_column(partition_by, "partition_by")
    order_by = _engines.key_column(order_by, "order_by")
    exprs_list = _validate.expressions(list(exprs), "exprs")
    _engines.require_columns(
        lf.collect_schema().names(),
        [("partition_by", partition_by), ("order_by", order_by)],
        "`lf`",
    )
    _engines.check_keyed(exprs_list, partition_by)
    out = _empty_directory(path, "path")
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".buckets-", dir=out))
    try:
        files = bucket_parquet(lf, staging / "in", partition_by=partition_by, buckets=buckets)
        by_bucket: dict[int, list[Path]] = defaultdict(list)
        for file in files:
            by_bucket[_bucket_of(file)[0]].append(file)
        progress = _Progress(len(by_bucket))
        written = []
        for done, (bucket, parts) in enumerate(sorted(by_bucket.items()), start=1):
            frame = _engines.evaluate(
                pl.read_parquet(parts),
                exprs_list,
                partition_by=partition_by,
                order_by=order_by,
                broadcast=None,
            )
            target = out / f"part-{bucket:05d}.parquet"
            frame.write_parquet(target)
            written.append(target)
            progress.done(done, frame.height)
            del frame
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written
