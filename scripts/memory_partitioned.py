"""Peak memory of ``partitioned.sink_parquet`` on an input larger than it may hold: is it bounded
by a bucket rather than by the input?

Writes a long frame of ``--tickers`` x ``--days`` rows (ticker String, date, ret, market;
100 M rows by default) to Parquet chunk by chunk, so this process never holds it, then runs
``sink_parquet`` with the full ``rolling_alpha_beta`` struct (window 252, ``by=``,
``order_by=``) in a subprocess and prints the input's in-memory size (Polars'
``estimated_size``, summed over the chunks), the peak resident memory of the run above the
interpreter's after its imports (``VmHWM`` reset through ``/proc/self/clear_refs``), the
largest bucket's rows and the wall time. Linux only.

    python scripts/memory_partitioned.py                     # 100 M rows, 20 buckets
    python scripts/memory_partitioned.py --tickers 4000      # 10 M rows
    python scripts/memory_partitioned.py --buckets 40        # smaller buckets

It needs about 6 GB of free disk in ``--dir`` (default a temporary directory).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

GIB = 1024**3

_RUN = """
import json, re, sys, time
from pathlib import Path
import polars as pl
import polars_alpha as pa
from polars_alpha import partitioned

def status(field):
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"^{field}:\\s+(\\d+) kB", text, re.M).group(1)) * 1024

source, out, buckets = sys.argv[1], sys.argv[2], int(sys.argv[3])
fit = pa.rolling_alpha_beta("ret", "market", window=252, by="ticker", order_by="date")
before = status("VmRSS")
Path("/proc/self/clear_refs").write_text("5")
start = time.perf_counter()
files = partitioned.sink_parquet(
    pl.scan_parquet(source), fit.alias("capm"), path=out, buckets=buckets
)
seconds = time.perf_counter() - start
largest = max(pl.scan_parquet(f).select(pl.len()).collect().item() for f in files)
print(json.dumps({"extra": status("VmHWM") - before, "before": before,
                  "seconds": seconds, "largest": largest, "files": len(files)}))
"""


def write_input(directory: Path, tickers: int, days: int, chunk: int, seed: int) -> int:
    """The input as Parquet files of ``chunk`` tickers each; returns its in-memory size."""
    rng = np.random.default_rng(seed)
    market = rng.normal(3e-4, 0.01, days)
    dates = pl.date_range(
        dt.date(1990, 1, 1), dt.date(1990, 1, 1) + dt.timedelta(days - 1), eager=True
    )
    size = 0
    for first in range(0, tickers, chunk):
        count = min(chunk, tickers - first)
        beta = np.repeat(rng.uniform(0.5, 1.5, count), days)
        frame = pl.DataFrame(
            {
                "ticker": pl.Series(np.repeat(np.arange(first, first + count), days))
                .cast(pl.String)
                .str.zfill(6),
                "date": pl.concat([dates] * count),
                "ret": rng.normal(0.0, 0.01, count * days) + beta * np.tile(market, count),
                "market": np.tile(market, count),
            }
        )
        size += frame.estimated_size()
        frame.write_parquet(directory / f"chunk-{first:07d}.parquet", row_group_size=250_000)
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickers", type=int, default=40_000)
    parser.add_argument("--days", type=int, default=2_500)
    parser.add_argument("--buckets", type=int, default=20)
    parser.add_argument("--chunk", type=int, default=1_000, help="tickers per input file")
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = Path(tmp)
        (root / "input").mkdir()
        start = time.perf_counter()
        size = write_input(root / "input", args.tickers, args.days, args.chunk, seed=1)
        rows = args.tickers * args.days
        print(
            f"input: {rows:,} rows, {size / GIB:.2f} GiB in memory "
            f"(written in {time.perf_counter() - start:.0f} s)",
            flush=True,
        )
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                _RUN,
                str(root / "input" / "*.parquet"),
                str(root / "out"),
                str(args.buckets),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"buckets: {result['files']}, largest {result['largest']:,} rows")
    print(
        f"peak resident memory of the run: {result['extra'] / GIB:.2f} GiB "
        f"(+{result['before'] / GIB:.2f} GiB of interpreter and libraries), "
        f"{result['extra'] / size:.1%} of the input's in-memory size"
    )
    print(f"wall time: {result['seconds']:.0f} s, {rows / result['seconds']:,.0f} rows/s")


if __name__ == "__main__":
    main()
