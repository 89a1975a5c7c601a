"""Run one contender of ``compare_peers.py`` over and over, for a sampling profiler.

The workload is built and the contender warmed up (and checked) before the profiler is told to
start, so that the profile holds the repeated calls alone: building the frame and the first
calls, whose first touch of fresh memory the kernel clears page by page, are left out. On a
virtual machine that hands freed memory back to its host, that clearing alone can fill a
quarter of a profile taken from the start.

    mkfifo /tmp/perf.ctl /tmp/perf.ack
    perf record -F 2000 -D -1 --control fifo:/tmp/perf.ctl,/tmp/perf.ack -o ewm.data -- \\
        python benches/profile_contender.py ours_ewm_all \\
        --perf-control /tmp/perf.ctl --perf-ack /tmp/perf.ack
    perf report -i ewm.data --no-children --sort symbol

``perf record -D -1`` starts with its events off; this script writes ``enable`` to the control
FIFO after the warm-up and ``disable`` after the last call (waiting for perf's ``ack`` on the
second FIFO when given). The per-call times go to stderr. Contender keys are those of
``compare_peers.py --only``.

Calls back to back reuse the memory the last call's result freed. ``compare_peers.py`` times
each contender between the others, seconds apart, by which time Polars' allocator has handed
that memory back to the operating system (after about a second), so there every call writes its
outputs into fresh memory. ``--pause 1.5`` profiles that case: the profiler is switched off
for a pause before each call and on for the call.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import compare_peers as cp
import workload as wl


def tell_profiler(control: Path | None, ack: Path | None, command: str) -> None:
    """Writes `command` to perf's control FIFO, and waits for its answer when `ack` is set."""
    if control is None:
        return
    with control.open("w") as fifo:
        fifo.write(command + "\n")
    if ack is not None:
        with ack.open() as answer:
            reply = answer.readline().strip()
        if reply != "ack":
            raise RuntimeError(f"perf answered {reply!r} to {command!r}, not 'ack'")


def main(argv: list[str] | None = None) -> list[float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("contender", choices=sorted(cp.BY_KEY), metavar="contender")
    parser.add_argument("--calls", type=int, default=30, help="profiled calls (default 30)")
    parser.add_argument("--tickers", type=int, default=5000)
    parser.add_argument("--days", type=int, default=2520)
    parser.add_argument("--window", type=int, default=wl.DEFAULT_WINDOW)
    parser.add_argument("--key-dtype", choices=wl.KEY_DTYPES, default="str")
    parser.add_argument("--subset-tickers", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--sort-by",
        choices=("ticker", "date"),
        default="ticker",
        help="the frame's row order: by ticker then date (the workload's, default), or by "
        "date then ticker, where each ticker's rows are gathered into place and back",
    )
    parser.add_argument(
        "--pause",
        type=float,
        default=0.0,
        help="seconds to wait, unprofiled, before each call (default 0: back to back); over "
        "a second, each call writes into fresh memory, as in compare_peers.py's table",
    )
    parser.add_argument("--perf-control", type=Path, help="perf's control FIFO")
    parser.add_argument("--perf-ack", type=Path, help="perf's acknowledgement FIFO")
    args = parser.parse_args(argv)
    if args.calls < 1:
        parser.error(f"--calls must be at least 1, got {args.calls}")
    if args.pause < 0:
        parser.error(f"--pause must be at least 0 seconds, got {args.pause}")

    df = wl.make_workload(args.tickers, args.days, seed=args.seed, key_dtype=args.key_dtype)
    if args.sort_by == "date":
        df = df.sort("date", "ticker")
    bench = cp.Bench(df, args.window, args.subset_tickers, check=True)
    outcome, call = cp.prepare_contender(cp.BY_KEY[args.contender], bench)
    if call is None or (outcome.check or "").startswith("MISMATCH"):
        raise SystemExit(f"{args.contender}: {outcome.error or outcome.check}")
    call()  # a second untimed call: the first may still have met fresh memory
    gc.collect()

    times = []
    profiling = False
    try:
        for _ in range(args.calls):
            if args.pause > 0:
                if profiling:
                    tell_profiler(args.perf_control, args.perf_ack, "disable")
                    profiling = False
                time.sleep(args.pause)
            if not profiling:
                tell_profiler(args.perf_control, args.perf_ack, "enable")
                profiling = True
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
    finally:
        if profiling:
            tell_profiler(args.perf_control, args.perf_ack, "disable")
    print(
        f"{args.contender} ({args.key_dtype} keys): {args.calls} calls, best "
        f"{min(times):.4f} s, median {statistics.median(times):.4f} s",
        file=sys.stderr,
    )
    return times


if __name__ == "__main__":
    main()
