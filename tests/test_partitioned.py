"""partitioned.sink_parquet: bucket by bucket equals the in-memory result, each key in one
bucket, progress only on a terminal, and peak memory bounded by a bucket (in subprocesses)."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from scale_out_data import expressions, random_panel, real_returns, single_machine

import polars_alpha as pa
from polars_alpha import partitioned


def _read(files: list[Path]) -> pl.DataFrame:
    return pl.read_parquet(files).sort("ticker", "date")


@pytest.mark.parametrize("buckets", [None, 1, 3, 7])
def test_bucket_by_bucket_equals_the_in_memory_result(tmp_path: Path, buckets: int | None) -> None:
    exprs = expressions()
    for k, frame in enumerate((real_returns(), random_panel(buckets or 0))):
        files = partitioned.sink_parquet(
            frame.lazy(), *exprs, path=tmp_path / f"out{k}", buckets=buckets
        )
        result = _read(files)
        assert result["capm"].struct.field("beta").null_count() < result.height
        assert_frame_equal(result, single_machine(frame, exprs), check_exact=True)
        assert len(files) <= (buckets or 1)
        assert not [p for p in (tmp_path / f"out{k}").iterdir() if p.name.startswith(".")]


def test_every_key_lies_in_one_file_and_rows_are_sorted_within_it(tmp_path: Path) -> None:
    frame = random_panel(11, tickers=12, days=120)
    expr = pa.rolling_beta("ret", "market", window=10, by="ticker").alias("b")
    files = partitioned.sink_parquet(frame, expr, path=tmp_path / "out", buckets=4)
    assert len(files) > 1
    seen: list[str] = []
    for file in files:
        part = pl.read_parquet(file)
        assert part.equals(part.sort("ticker", "date", maintain_order=True))
        seen.extend(part["ticker"].unique().to_list())
    assert sorted(seen) == sorted(frame["ticker"].unique().to_list())


def test_bucket_parquet_writes_each_key_to_one_file_in_input_order(tmp_path: Path) -> None:
    frame = random_panel(12).with_row_index("row")
    files = partitioned.bucket_parquet(frame, tmp_path / "b", buckets=3)
    parts = [pl.read_parquet(f) for f in files]
    assert sum(p.height for p in parts) == frame.height
    for part in parts:
        assert part["row"].is_sorted()
    keys = [t for p in parts for t in p["ticker"].unique()]
    assert len(keys) == len(set(keys)) == frame["ticker"].n_unique()


def test_hostile_input(tmp_path: Path) -> None:
    frame = random_panel(13)
    beta = pa.rolling_beta("ret", "market", window=5, by="ticker")
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "old.parquet").write_bytes(b"x")
    with pytest.raises(FileExistsError, match="`path`"):
        partitioned.sink_parquet(frame, beta, path=taken)
    with pytest.raises(ValueError, match="`partition_by`='symbol'"):
        partitioned.sink_parquet(frame, beta, path=tmp_path / "a", partition_by="symbol")
    with pytest.raises(ValueError, match="`order_by`='day'"):
        partitioned.sink_parquet(frame, beta, path=tmp_path / "a", order_by="day")
    with pytest.raises(ValueError, match="by='date'"):
        partitioned.sink_parquet(
            frame, pa.rolling_beta("ret", "market", window=5, by="date"), path=tmp_path / "a"
        )
    with pytest.raises(ValueError, match=r"over\('date'\)"):
        partitioned.sink_parquet(
            frame, pa.cross_sectional_rank("ret").over("date"), path=tmp_path / "a"
        )
    with pytest.raises(ValueError, match="`buckets`"):
        partitioned.sink_parquet(frame, beta, path=tmp_path / "a", buckets=0)
    with pytest.raises(TypeError, match="`lf`"):
        partitioned.sink_parquet(frame.to_pandas(), beta, path=tmp_path / "a")  # type: ignore[arg-type]
    assert not (tmp_path / "a").exists() or not any((tmp_path / "a").iterdir())


_RUN = """
import sys
import polars as pl
import polars_alpha as pa
from polars_alpha import partitioned
expr = pa.rolling_beta("ret", "market", window=10, by="ticker").alias("b")
partitioned.sink_parquet(pl.scan_parquet(sys.argv[1]), expr, path=sys.argv[2], buckets=3)
"""


def _sink_in_subprocess(tmp_path: Path, *, tty: bool) -> str:
    source = tmp_path / "in.parquet"
    random_panel(14).write_parquet(source)
    out = tmp_path / ("tty" if tty else "pipe")
    command = [sys.executable, "-c", _RUN, str(source), str(out)]
    if not tty:
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        return done.stderr
    primary, secondary = pty.openpty()
    try:
        process = subprocess.Popen(command, stderr=secondary, stdout=subprocess.DEVNULL)
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 4096)
            except OSError:  # the terminal closes when the process ends
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.wait() == 0
    finally:
        os.close(primary)
    return b"".join(chunks).decode()


def test_progress_shows_on_a_terminal_only(tmp_path: Path) -> None:
    assert _sink_in_subprocess(tmp_path, tty=False) == ""
    shown = _sink_in_subprocess(tmp_path, tty=True)
    # The last update: every non-empty bucket done, all the rows, a rate.
    assert re.search(r"bucket (\d+)/\1: 931 rows, [\d,]+ rows/s\r?\n$", shown), shown


# Peak resident memory of the work alone: the high-water mark (VmHWM) is reset after the
# imports, whose shared libraries alone map hundreds of MB (/proc/self/clear_refs; where the
# kernel refuses, the peak includes the imports', which only makes both runs look larger).
_MEASURE = """
import json, re, sys
from pathlib import Path
import polars as pl
import polars_alpha as pa
from polars_alpha import partitioned

def status(field):
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"^{field}:\\s+(\\d+) kB", text, re.M).group(1)) * 1024

source, mode, out = sys.argv[1:4]
expr = pa.rolling_alpha_beta("ret", "market", window=60, by="ticker", order_by="date")
before = status("VmRSS")
try:
    Path("/proc/self/clear_refs").write_text("5")
except OSError:
    pass
if mode == "buckets":
    partitioned.sink_parquet(pl.scan_parquet(source), expr.alias("capm"), path=out, buckets=16)
else:
    frame = pl.read_parquet(source)
    frame.with_columns(expr.alias("capm")).write_parquet(out)
print(json.dumps({"extra": status("VmHWM") - before}))
"""


def _extra_memory(source: Path, mode: str, out: Path) -> int:
    """The peak resident memory of one run above the interpreter's after its imports."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(source), mode, str(out)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "POLARS_MAX_THREADS": "2"},
    )
    return int(json.loads(done.stdout.strip().splitlines()[-1])["extra"])


def test_peak_memory_is_bounded_by_a_bucket_not_the_input(tmp_path: Path) -> None:
    """3 M rows (1,500 tickers x 2,000 days): the in-memory run holds the input, its sort and
    the full struct (about 0.5 GB); with 16 buckets the peak is a bucket's work plus the
    streaming sink's own buffers (about 0.15 GB whatever the bucket count)."""
    tickers, days = 1_500, 2_000
    rng = np.random.default_rng(15)
    n = tickers * days
    market = np.tile(rng.normal(3e-4, 0.01, days), tickers)
    frame = pl.DataFrame(
        {
            "ticker": pl.Series(np.repeat(np.arange(tickers), days)).cast(pl.String),
            "date": np.tile(np.arange(days, dtype=np.int32), tickers),
            "ret": rng.normal(0, 0.01, n) + market,
            "market": market,
        }
    )
    source = tmp_path / "input.parquet"
    frame.sample(fraction=1.0, shuffle=True, seed=1).write_parquet(source, row_group_size=100_000)
    del frame, market
    in_memory = _extra_memory(source, "memory", tmp_path / "memory.parquet")
    bucketed = _extra_memory(source, "buckets", tmp_path / "buckets")
    assert in_memory > 400 * 2**20, in_memory
    assert bucketed < in_memory / 2, (bucketed, in_memory)
