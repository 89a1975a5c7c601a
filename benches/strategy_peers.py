"""Time the rolling Sharpe ratio and up/down capture with ``by=`` on the workload of
``DESIGN.md`` (5,000 tickers x 2,520 days, window 252) against the fastest Polars composition
and empyrical-reloaded.

empyrical computes one ticker at a time, so it is timed on ``--empyrical-tickers`` tickers and
its time is scaled to all of them (marked "extrapolated"). Every contender's result is checked
against polars-alpha's before its time is reported.

    python benches/strategy_peers.py [--tickers 5000] [--days 2520] [--window 252] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

import strategy_workload as sw
import workload as wl


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def agree(got: np.ndarray, want: np.ndarray) -> str:
    both = np.isfinite(got) & np.isfinite(want)
    if not np.array_equal(np.isfinite(got), np.isfinite(want)):
        return "MISMATCHED NULLS"
    worst = float(np.max(np.abs(got[both] - want[both]) / np.maximum(np.abs(want[both]), 1e-300)))
    return f"max rel diff {worst:.1e}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickers", type=int, default=5000)
    parser.add_argument("--days", type=int, default=2520)
    parser.add_argument("--window", type=int, default=wl.DEFAULT_WINDOW)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--empyrical-tickers", type=int, default=20)
    args = parser.parse_args()
    frame = wl.make_workload(args.tickers, args.days)
    window, days = args.window, args.days
    print(
        f"{frame.height:,} rows ({args.tickers} tickers x {days} days), window {window}, "
        f"polars {pl.__version__}, {pl.thread_pool_size()} threads"
    )

    def numeric(result: pl.DataFrame) -> np.ndarray:
        return result.to_numpy().astype(float).T

    def head(result: pl.DataFrame) -> np.ndarray:
        parts = [
            result.slice(i * days + window - 1, days - window + 1)
            for i in range(args.empyrical_tickers)
        ]
        return numeric(pl.concat(parts))

    arrays = sw.ticker_arrays(frame, args.empyrical_tickers)
    scale = args.tickers / args.empyrical_tickers
    groups = [
        ("rolling Sharpe", sw.ours_sharpe, sw.polars_sharpe, sw.empyrical_sharpe),
        (
            "rolling up + down capture",
            sw.ours_up_down_capture,
            sw.polars_up_down_capture,
            sw.empyrical_up_down_capture,
        ),
    ]
    for title, ours, composition, empyrical in groups:
        print(f"\n{title}")
        run = cast(Callable[[], Any], lambda f=ours: f(frame, window))
        ours_time, ours_result = best_of(args.repeat, run)
        print(f"  polars-alpha by=              {ours_time:8.2f} s")
        run = cast(Callable[[], Any], lambda f=composition: f(frame, window))
        t, result = best_of(args.repeat, run)
        check = agree(numeric(result), numeric(ours_result))
        print(f"  Polars composition, one .over {t:8.2f} s  ({t / ours_time:.1f}x; {check})")
        run = cast(Callable[[], Any], lambda f=empyrical: f(arrays, window))
        t, result = best_of(1, run)
        check = agree(np.atleast_2d(result), head(ours_result))
        print(
            f"  empyrical roll_*, extrapolated {t * scale:8.1f} s  "
            f"({t * scale / ours_time:.0f}x; measured {t:.2f} s on {args.empyrical_tickers} "
            f"tickers; {check})"
        )


if __name__ == "__main__":
    main()
