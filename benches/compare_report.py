"""Time strategy_report on many funds against what a quantstats or empyrical user runs per fund,
and print a markdown table of ratios.

The workload: ``--funds`` funds (500) x ``--days`` daily prices (2,520, ten years) from
``datasets.synthetic_market``, a long frame ``date, ticker, close`` and the market's prices.
Ours is one ``strategy_report`` call on the whole frame (prices in, returns computed, every
summary figure and the monthly alpha and beta of every fund). The peers get each fund's
returns as a ready pandas Series or NumPy array (their preparation is not timed) and run, per
fund:

- quantstats ``reports.metrics(mode="full")``: the report table a quantstats user prints (it
  computes more rows than our summary, and no monthly alpha and beta);
- quantstats ``reports.metrics(mode="basic")``;
- quantstats' ``stats`` functions for our summary's measures only (CAGR, volatility, Sharpe,
  Sortino, max drawdown, Calmar, alpha and beta, R², information ratio): the fastest
  quantstats code for the same figures;
- empyrical's functions for the same measures on NumPy arrays.

The peers run on ``--peer-funds`` funds and are scaled to ``--funds`` (marked "extrapolated":
they are one fund at a time, so time grows linearly with funds). Each peer's Sharpe ratio and
max drawdown are checked against ours for the funds it ran. Ratios are time / ours.

    python benches/compare_report.py                          # 500 funds x 2,520 days
    python benches/compare_report.py --funds 20 --days 300 --peer-funds 2 --repeat 1
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import polars as pl

import polars_alpha as pa


def _cell(value: object) -> float:
    """A quantstats table cell as a number; NaN for one it shows as "-"."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def timed(run: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    out = run()  # warm-up (imports, caches), checked below
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - start)
    return times, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--funds", type=int, default=500)
    parser.add_argument("--days", type=int, default=2520)
    parser.add_argument("--peer-funds", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    market = pa.datasets.synthetic_market(args.funds, args.days, seed=7)
    stocks, index = market.stocks, market.index
    print(
        f"# strategy_report: {args.funds} funds x {args.days} days = {stocks.height:,} rows; "
        f"peers on {args.peer_funds} funds, scaled x{args.funds / args.peer_funds:g}\n"
        f"polars {pl.__version__}, Python {platform.python_version()}, "
        f"{platform.machine()}\n"
    )
    rows: list[tuple[str, list[float], str]] = []

    times, report = timed(lambda: pa.strategy_report(stocks, benchmark=index), args.repeat)
    rows.append(("ours: strategy_report, prices in (summary + monthly)", times, "reference"))
    summary = report.summary
    panel = report.returns
    returns = panel.select("date", "ticker", "ret")
    bench = panel.select("date", "benchmark").unique("date").sort("date")
    times, _ = timed(
        lambda: pa.strategy_report(returns, benchmark=bench, kind="returns"), args.repeat
    )
    rows.append(("ours: strategy_report, returns in", times, "same rows"))

    funds = summary.get_column("ticker").head(args.peer_funds).to_list()
    arrays = {
        f: panel.filter(pl.col("ticker") == f).select("date", "ret", "benchmark") for f in funds
    }
    want = {row["ticker"]: row for row in summary.iter_rows(named=True)}
    scale = args.funds / len(funds)

    def check(got: dict[str, tuple[float, float]], *, rounded: bool = False) -> str:
        """Sharpe and max drawdown against ours: relative difference, or for a table that
        shows two decimals, the difference from ours rounded."""
        worst, blank = 0.0, 0
        for fund, (sharpe, drawdown) in got.items():
            pairs = ((sharpe, want[fund]["sharpe"]), (drawdown, want[fund]["max_drawdown"]))
            for value, ours in pairs:
                if value != value:  # a cell the table shows as "-"
                    blank += 1
                elif rounded:
                    worst = max(worst, abs(value - ours))
                else:
                    worst = max(worst, abs(value - ours) / max(abs(ours), 1e-12))
        if rounded:
            fine = worst <= 0.005 + 1e-9
            shown = f"{blank} cells shown as '-'; " if blank else ""
            verdict = "ok (to 2 decimals" if fine else "DIFFERS ("
            return f"{verdict}{', ' if fine else ''}{shown}diff {worst:.3f})"
        return f"ok (rel diff {worst:.1e})" if worst < 1e-6 else f"DIFFERS (rel {worst:.1e})"

    try:
        import pandas as pd
        import quantstats as qs
    except ImportError as error:
        print(f"quantstats not installed ({error}); pip install 'polars-alpha[bench]'")
        have_quantstats = False
    else:
        have_quantstats = True
    if have_quantstats:
        series = {}
        for fund, frame in arrays.items():
            idx = pd.DatetimeIndex(frame.get_column("date").to_list())
            series[fund] = (
                pd.Series(frame.get_column("ret").to_numpy(), index=idx, name=fund),
                pd.Series(frame.get_column("benchmark").to_numpy(), index=idx, name="bench"),
            )

        def qs_metrics(mode: str) -> Callable[[], dict[str, tuple[float, float]]]:
            def run() -> dict[str, tuple[float, float]]:
                out = {}
                for fund, (r, b) in series.items():
                    table = qs.reports.metrics(r, benchmark=b, rf=0.0, mode=mode, display=False)  # type: ignore[no-untyped-call]
                    out[fund] = (
                        _cell(table.loc["Sharpe", "Strategy"]),
                        _cell(table.loc["Max Drawdown", "Strategy"]),
                    )
                return out

            return run

        def qs_stats() -> dict[str, tuple[float, float]]:
            out = {}
            for fund, (r, b) in series.items():
                qs.stats.cagr(r)
                qs.stats.volatility(r)
                sharpe = qs.stats.sharpe(r)
                qs.stats.sortino(r)
                drawdown = qs.stats.max_drawdown(r)
                qs.stats.calmar(r)
                qs.stats.greeks(r, b)  # type: ignore[no-untyped-call]
                qs.stats.r_squared(r, b)  # type: ignore[no-untyped-call]
                qs.stats.information_ratio(r, b)  # type: ignore[no-untyped-call]
                out[fund] = (float(sharpe), float(drawdown))
            return out

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for label, run in (
                ('quantstats reports.metrics(mode="full"), per fund', qs_metrics("full")),
                ('quantstats reports.metrics(mode="basic"), per fund', qs_metrics("basic")),
                ("quantstats stats functions, our measures, per fund", qs_stats),
            ):
                times, got = timed(run, args.repeat)
                note = check(got, rounded="metrics" in label)
                rows.append((f"{label} (extrapolated)", [t * scale for t in times], note))

    try:
        import empyrical as ep
    except ImportError as error:
        print(f"empyrical-reloaded not installed ({error})")
        ep = None
    if ep is not None:
        numpy = {
            f: (frame.get_column("ret").to_numpy(), frame.get_column("benchmark").to_numpy())
            for f, frame in arrays.items()
        }

        def empyrical_stats() -> dict[str, tuple[float, float]]:
            out = {}
            for fund, (r, b) in numpy.items():
                ep.annual_return(r)
                ep.annual_volatility(r)
                sharpe = ep.sharpe_ratio(r)
                ep.sortino_ratio(r)
                drawdown = ep.max_drawdown(r)
                ep.calmar_ratio(r)
                ep.alpha_beta(r, b)
                ep.up_alpha_beta(r, b)
                ep.down_alpha_beta(r, b)
                ep.up_capture(r, b)
                ep.down_capture(r, b)
                out[fund] = (float(sharpe), float(drawdown))
            return out

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            times, got = timed(empyrical_stats, args.repeat)
        rows.append(
            (
                "empyrical functions, our measures, per fund (extrapolated)",
                [t * scale for t in times],
                check(got),
            )
        )

    reference = min(rows[0][1])
    print("| contender | best s | median s | x ours | check |")
    print("|---|---:|---:|---:|---|")
    for label, times, note in rows:
        best = min(times)
        print(
            f"| {label} | {best:.3f} | {statistics.median(times):.3f} | "
            f"{best / reference:.1f} | {note} |"
        )
    bad = [label for label, _, note in rows if note.startswith("DIFFERS")]
    if bad:
        print(f"\nresults differ from ours: {', '.join(bad)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
