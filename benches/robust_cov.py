"""Robust standard errors on the 12.6 M-row workload: HAC (``maxlags=5``) against the ordinary
fit, and against statsmodels' per-window HAC on a few tickers, extrapolated to the workload.

    python benches/robust_cov.py [--tickers 5000] [--days 2520] [--sm-tickers 2] [--sm-windows 200]

Prints each time (best of ``--repeat`` runs, one process, all threads Polars uses) and the
ratios. statsmodels' time is measured on ``--sm-windows`` windows of ``--sm-tickers`` tickers
and scaled to every window of the workload: it is marked *extrapolated*.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import polars as pl
import statsmodels.api as sm
import workload as wl

import polars_alpha as pa

WINDOW = wl.DEFAULT_WINDOW
MAXLAGS = 5


def ours(df: pl.DataFrame, cov_type: str) -> pl.DataFrame:
    maxlags = MAXLAGS if cov_type == "HAC" else None
    fit = pa.rolling_alpha_beta(
        "ret", "mkt", window=WINDOW, by="ticker", cov_type=cov_type, maxlags=maxlags
    )
    return df.select(fit.alias("fit")).unnest("fit")


def best_of(repeat: int, body: object) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        body()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def statsmodels_per_window(df: pl.DataFrame, tickers: int, windows: int) -> tuple[float, int]:
    """Seconds for ``windows`` HAC fits on each of the first ``tickers`` tickers."""
    names = df["ticker"].unique(maintain_order=True).head(tickers).to_list()
    fits = 0
    start = time.perf_counter()
    for name in names:
        one = df.filter(pl.col("ticker") == name)
        y, x = one["ret"].to_numpy(), one["mkt"].to_numpy()
        for t in range(WINDOW - 1, WINDOW - 1 + windows):
            sl = slice(t - WINDOW + 1, t + 1)
            sm.OLS(y[sl], sm.add_constant(x[sl])).fit(
                cov_type="HAC", cov_kwds={"maxlags": MAXLAGS, "use_correction": False}
            )
            fits += 1
    return time.perf_counter() - start, fits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickers", type=int, default=5000)
    parser.add_argument("--days", type=int, default=2520)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sm-tickers", type=int, default=2)
    parser.add_argument("--sm-windows", type=int, default=200)
    args = parser.parse_args()
    df = wl.make_workload(args.tickers, args.days)
    print(f"workload: {df.height:,} rows, {args.tickers} tickers, window {WINDOW}")
    hac, base = ours(df, "HAC"), ours(df, "nonrobust")
    assert hac["beta"].equals(base["beta"])
    assert np.isfinite(hac["alpha_t"].drop_nulls().to_numpy()).all()
    t_base = best_of(args.repeat, lambda: ours(df, "nonrobust"))
    t_hac = best_of(args.repeat, lambda: ours(df, "HAC"))
    sm_seconds, sm_fits = statsmodels_per_window(df, args.sm_tickers, args.sm_windows)
    windows = args.tickers * (args.days - WINDOW + 1)
    sm_total = sm_seconds / sm_fits * windows
    print(f"ours, nonrobust full struct, by=:        {t_base:8.3f} s")
    print(
        f"ours, HAC maxlags={MAXLAGS} full struct, by=:    {t_hac:8.3f} s  ({t_hac / t_base:.2f}x)"
    )
    print(
        f"statsmodels OLS HAC per window:          {sm_total:8.0f} s  (extrapolated from "
        f"{sm_fits} fits in {sm_seconds:.2f} s; {sm_total / t_hac:,.0f}x ours)"
    )


if __name__ == "__main__":
    main()
