"""The plugin's parallel work runs on Polars' thread pool, bounded by POLARS_MAX_THREADS.

Each case runs in a fresh process, because a thread pool, once started, lives as long as the
process, and counts the process's threads in /proc/self/task before and after the call. The
allocator's background thread (jemalloc's purger, started by Polars' allocator once enough
memory has been freed) is not a worker, and is not counted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/task").is_dir(), reason="counts threads through Linux's /proc"
)

_PROGRAM = textwrap.dedent(
    """
    import json, os
    import numpy as np
    import polars as pl
    import polars_alpha as pa

    def threads():
        count = 0
        for task in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{task}/comm") as comm:
                    count += comm.read().strip() != "jemalloc_bg_thd"
            except FileNotFoundError:  # the thread ended while counting
                pass
        return count

    rng = np.random.default_rng(1)
    n_tickers, n_days = 40, N_DAYS
    df = pl.DataFrame({
        "ticker": np.repeat([f"T{i:03d}" for i in range(n_tickers)], n_days),
        "mkt": np.tile(rng.normal(0, 0.01, n_days), n_tickers),
        "ret": rng.normal(0, 0.01, n_tickers * n_days),
    })
    # Polars' own pool starts with the first parallel query, before the count.
    df.group_by("ticker").agg(pl.col("ret").sum())
    df.select(pl.col("ret").rolling_mean(5).over("ticker"))
    before = threads()
    out = df.with_columns(CALL)
    after = threads()
    assert out.height == df.height
    print(json.dumps({"before": before, "after": after}))
    """
)


# 40 tickers of this many days make a call large enough for the pool (PARALLEL_MIN_ROWS, in
# the plugin's panel/threads.rs, is 16,384 rows); smaller calls run on the calling thread.
POOL_DAYS = 500
CALLER_DAYS = 300


def _thread_gain(call: str, max_threads: int, n_days: int = POOL_DAYS) -> int:
    env = {**os.environ, "POLARS_MAX_THREADS": str(max_threads)}
    env.pop("RAYON_NUM_THREADS", None)
    program = _PROGRAM.replace("CALL", call).replace("N_DAYS", str(n_days))
    done = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    return int(counts["after"]) - int(counts["before"])


BY_CALLS = [
    'fit=pa.rolling_alpha_beta("ret", "mkt", window=60, by="ticker")',
    'beta=pa.rolling_beta("ret", "mkt", window=60, by="ticker")',
    'fit=pa.ewm_alpha_beta("ret", "mkt", window=60, half_life=20.0, by="ticker")',
    'fit=pa.rolling_factor_regression("ret", ["mkt"], window=60, by="ticker")',
    'ir=pa.rolling_information_ratio("ret", "mkt", window=60, by="ticker")',
    'wa=pa.weighted_alpha("ret", returns=True, window=60, by="ticker")',
]


@pytest.mark.parametrize("call", BY_CALLS)
def test_a_by_call_gains_at_most_the_one_thread_polars_max_threads_allows(call: str) -> None:
    assert _thread_gain(call, max_threads=1) <= 1


@pytest.mark.parametrize("max_threads", [2, 3])
def test_the_pool_is_bounded_by_polars_max_threads(max_threads: int) -> None:
    assert 1 <= _thread_gain(BY_CALLS[0], max_threads=max_threads) <= max_threads


def test_a_small_call_runs_on_the_calling_thread() -> None:
    # Handing a small call to the pool costs more than its work (one call per group under
    # `.over()`), so no pool starts for it.
    assert _thread_gain(BY_CALLS[0], max_threads=2, n_days=CALLER_DAYS) == 0


@pytest.mark.parametrize("max_threads", [1, 2])
def test_under_over_the_threads_stay_within_polars_max_threads(max_threads: int) -> None:
    # Each group is one segment, run on the calling thread; Polars' own code in the plugin
    # may start the pool, which POLARS_MAX_THREADS bounds.
    call = 'fit=pa.rolling_alpha_beta("ret", "mkt", window=60).over("ticker")'
    assert _thread_gain(call, max_threads=max_threads) <= max_threads
