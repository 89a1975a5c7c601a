"""Peak memory of a 50 M-row rolling fit: does ``rolling_alpha_beta(by=)`` stay near the size of
its input plus its output?

Builds a long frame of 20,000 tickers x 2,500 days (50 M rows: a UInt32 ticker key and float64
asset and market returns), then runs one expression on it and prints the input and output sizes
and the peak resident set size (``VmHWM`` of ``/proc/self/status``), before and during the fit.
The high-water mark is reset after the input is built (``/proc/self/clear_refs``), so the peak
during the fit is measured on its own. Linux only.

    python scripts/memory_50m.py                      # rolling_alpha_beta, all fields, by=
    python scripts/memory_50m.py --expression ewm     # or: beta_alpha, weighted_alpha
    python scripts/memory_50m.py --tickers 2000       # a smaller run (5 M rows)

It needs about 6 GiB of free memory at the default size; check ``free -g`` first.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np
import polars as pl

import polars_alpha as pa

GIB = 1024**3


def status(field: str) -> int:
    """A ``/proc/self/status`` memory field (VmRSS, VmHWM) in bytes."""
    text = Path("/proc/self/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    assert match is not None, field
    return int(match.group(1)) * 1024


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS; False when the kernel does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def build(tickers: int, days: int, seed: int) -> pl.DataFrame:
    """Ticker after ticker, each ``days`` rows: key, ret, mkt (float64)."""
    rng = np.random.default_rng(seed)
    rows = tickers * days
    market = rng.normal(3e-4, 0.01, days)
    mkt = np.tile(market, tickers)
    ret = rng.normal(0.0, 0.01, rows)
    ret += np.repeat(rng.uniform(0.5, 1.5, tickers), days) * mkt  # beta * market, in place
    key = np.repeat(np.arange(tickers, dtype=np.uint32), days)
    frame = pl.DataFrame({"key": key, "ret": ret, "mkt": mkt})
    del key, ret, mkt
    return frame


EXPRESSIONS = {
    "rolling_alpha_beta": lambda w: pa.rolling_alpha_beta("ret", "mkt", window=w, by="key"),
    "beta_alpha": lambda w: pa.rolling_alpha_beta(
        "ret", "mkt", window=w, by="key", fields=["alpha", "beta"]
    ),
    "ewm": lambda w: pa.ewm_alpha_beta("ret", "mkt", half_life=63.0, window=w, by="key"),
    "weighted_alpha": lambda w: pa.weighted_alpha("mkt", window=w, by="key", returns=True),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickers", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=2_500)
    parser.add_argument("--window", type=int, default=252)
    parser.add_argument("--expression", choices=sorted(EXPRESSIONS), default="rolling_alpha_beta")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    baseline = status("VmRSS")
    start = time.perf_counter()
    frame = build(args.tickers, args.days, args.seed)
    built = time.perf_counter() - start
    peak_building = status("VmHWM")
    input_bytes = frame.estimated_size()
    rss_with_input = status("VmRSS")
    resettable = reset_peak()

    start = time.perf_counter()
    out = frame.select(EXPRESSIONS[args.expression](args.window).alias("fit"))
    fitted = time.perf_counter() - start
    peak_fit = status("VmHWM")
    output_bytes = out.estimated_size()
    rss_after = status("VmRSS")

    def gib(value: float) -> str:
        return f"{value / GIB:6.2f} GiB"

    rows = frame.height
    print(f"{args.expression}(window={args.window}, by=key) on {rows:,} rows")
    shape = f"{args.tickers:,} tickers x {args.days:,} days"
    print(f"  ({shape}; built in {built:.1f} s, fit in {fitted:.1f} s)")
    print(f"  input frame                       {gib(input_bytes)}")
    print(f"  output                            {gib(output_bytes)}")
    print(f"  RSS after imports                 {gib(baseline)}")
    print(f"  peak RSS while building the input {gib(peak_building)}")
    print(f"  RSS with the input                {gib(rss_with_input)}")
    label = "peak RSS during the fit" if resettable else "peak RSS (whole run; no reset)"
    print(f"  {label:<34}{gib(peak_fit)}")
    print(f"  RSS after the fit                 {gib(rss_after)}")
    extra = peak_fit - rss_with_input - output_bytes
    print(f"  fit's peak beyond input + output  {gib(extra)} ({extra / rows:.1f} bytes a row)")


if __name__ == "__main__":
    main()
