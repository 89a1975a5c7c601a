"""Rows per second per worker for the full CAPM struct, the figure the scale-out guide's
arithmetic starts from.

Three measurements on the same long frame (``--tickers`` x ``--days`` rows of ticker String,
date, ret, market; 5 M rows by default), each the best of ``--repeat`` runs:

1. Polars alone in a process with ``POLARS_MAX_THREADS=1``: ``rolling_alpha_beta`` (all
   fields, window 252, ``by=``, ``order_by=``) on the frame in memory. One core's rate.
2. ``polars_alpha.dask.with_columns`` on a 2-process ``LocalCluster`` (one thread and one
   Polars thread each) reading Parquet bucketed by ticker (no shuffle), counting the rows of
   the result: the engine's rate including Parquet reads and the Arrow conversions.
3. The same with the shuffle on the ticker (input not bucketed).

    python scripts/rows_per_worker.py
    python scripts/rows_per_worker.py --tickers 400   # 1 M rows, quicker

Rates per worker divide by the worker count. Run on an idle machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

_POLARS = """
import json, sys, time
import polars as pl
import polars_alpha as pa
frame = pl.read_parquet(sys.argv[1])
fit = pa.rolling_alpha_beta("ret", "market", window=252, by="ticker", order_by="date")
best = float("inf")
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    frame.with_columns(fit.alias("capm"))
    best = min(best, time.perf_counter() - start)
print(json.dumps({"seconds": best, "threads": pl.thread_pool_size()}))
"""


def build(path: Path, tickers: int, days: int) -> int:
    rng = np.random.default_rng(1)
    market = np.tile(rng.normal(3e-4, 0.01, days), tickers)
    start = dt.date(2000, 1, 1)
    frame = pl.DataFrame(
        {
            "ticker": pl.Series(np.repeat(np.arange(tickers), days)).cast(pl.String),
            "date": pl.concat(
                [pl.date_range(start, start + dt.timedelta(days - 1), eager=True)] * tickers
            ),
            "ret": rng.normal(0, 0.01, tickers * days) + market,
            "market": market,
        }
    )
    frame.write_parquet(path)
    return frame.height


def polars_alone(source: Path, repeat: int) -> float:
    done = subprocess.run(
        [sys.executable, "-c", _POLARS, str(source), str(repeat)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "POLARS_MAX_THREADS": "1"},
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["threads"] == 1
    return float(result["seconds"])


def dask_runs(source: Path, buckets: Path, repeat: int) -> tuple[float, float]:
    import dask
    import dask.dataframe as dd
    import distributed

    import polars_alpha as pa
    from polars_alpha import dask as pad

    fit = pa.rolling_alpha_beta("ret", "market", window=252, by="ticker", order_by="date")
    config = {"distributed.nanny.pre-spawn-environ.POLARS_MAX_THREADS": "1"}
    with (
        dask.config.set(config),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster),
    ):
        times = []
        for path, shuffle in ((buckets, False), (source, True)):
            best = float("inf")
            for _ in range(repeat):
                start = time.perf_counter()
                ddf = dd.read_parquet(str(path), dtype_backend="pyarrow")
                out = pad.with_columns(ddf, fit.alias("capm"), shuffle=shuffle)
                out.map_partitions(len).compute()
                best = min(best, time.perf_counter() - start)
            times.append(best)
    return times[0], times[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickers", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=2_500)
    parser.add_argument("--buckets", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from polars_alpha import partitioned

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "input.parquet"
        rows = build(source, args.tickers, args.days)
        buckets = Path(tmp) / "buckets"
        partitioned.bucket_parquet(pl.scan_parquet(source), buckets, buckets=args.buckets)
        alone = polars_alone(source, args.repeat)
        bucketed, shuffled = dask_runs(source, buckets, args.repeat)
    print(f"{rows:,} rows, full rolling_alpha_beta struct, window 252, best of {args.repeat}")
    print("| run | workers | seconds | rows/s per worker |")
    print("|---|---|---|---|")
    for name, workers, seconds in (
        ("Polars alone, 1 thread", 1, alone),
        ("Dask, bucketed Parquet (no shuffle)", 2, bucketed),
        ("Dask, with the shuffle", 2, shuffled),
    ):
        print(f"| {name} | {workers} | {seconds:.2f} | {rows / seconds / workers:,.0f} |")


if __name__ == "__main__":
    main()
