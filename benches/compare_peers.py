"""Time polars-alpha against the peers a user would otherwise pick, in one process, and print a
markdown table of ratios.

The workload is ``DESIGN.md``'s: a long frame sorted by (ticker, date) with columns
``ticker, date, ret, mkt`` (seeded synthetic daily returns), 5,000 tickers x 2,520 days = 12.6 M
rows, window 252. Every contender runs once as a warm-up (its result is checked against ours,
and its peak memory is measured), then ``--repeat`` timed runs; the table gives the best and the
median. Ratios are time / reference time, so 10 in "x ours" means ten times slower than ours.

Ours is checked against Polars' own rolling_cov/rolling_var (beta and alpha), ewm_mean
composition and rolling_sum(weights=): if they disagree the script stops with an error instead
of printing a table, so a wrong fast number is never reported. Peers are checked against ours and
flagged in the ``check`` column.

    python benches/compare_peers.py                       # the full workload
    python benches/compare_peers.py --sweeps --threads-compare --memory-isolated
    python benches/compare_peers.py --tickers 20 --days 600 --window 60 --repeat 1 \\
        --subset-tickers 3                                # a smoke run

``--sweeps``, ``--threads-compare`` and ``--memory-isolated`` rerun contenders in fresh
subprocesses of this script (``--only ... --json``).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

import workload as wl

import polars_alpha as pa

JSON_PREFIX = "BENCH-JSON "
MB = 1024.0 * 1024.0

# ---------------------------------------------------------------------------------------------
# memory


def _proc_status_kb(field_name: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class PeakMemory:
    """Peak resident memory over a block, in bytes: resets the kernel's high-water mark
    (``/proc/self/clear_refs``) and reads ``VmHWM``. ``None`` where that is not possible."""

    def __init__(self) -> None:
        self.baseline: int | None = None
        self.peak: int | None = None

    def __enter__(self) -> PeakMemory:
        gc.collect()
        try:
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")
        except OSError:
            return self
        rss = _proc_status_kb("VmRSS")
        self.baseline = None if rss is None else rss * 1024
        return self

    def __exit__(self, *exc: object) -> None:
        hwm = _proc_status_kb("VmHWM")
        if self.baseline is not None and hwm is not None:
            self.peak = hwm * 1024
            RUN_PEAK[0] = max(RUN_PEAK[0], self.peak)

    @property
    def delta(self) -> int | None:
        if self.baseline is None or self.peak is None:
            return None
        return self.peak - self.baseline


# The highest VmHWM seen: resetting the high-water mark also resets ru_maxrss.
RUN_PEAK = [0]


def process_peak_bytes() -> int:
    ru_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ru_bytes = ru_maxrss if sys.platform == "darwin" else ru_maxrss * 1024
    return max(RUN_PEAK[0], ru_bytes)


def nbytes(result: Any) -> int:
    if isinstance(result, pl.DataFrame):
        return int(result.estimated_size())
    if isinstance(result, np.ndarray):
        return int(result.nbytes)
    if isinstance(result, (list, tuple)):
        return sum(nbytes(part) for part in result)
    if hasattr(result, "memory_usage"):  # pandas
        usage = result.memory_usage(deep=False)
        return int(usage.sum() if hasattr(usage, "sum") else usage)
    return 0


# ---------------------------------------------------------------------------------------------
# contenders


class MismatchError(AssertionError):
    pass


@dataclass
class Bench:
    """The workload and what the contenders share: references for the checks, subsets."""

    df: pl.DataFrame
    window: int
    subset_tickers: int
    check: bool
    refs: dict[str, np.ndarray] = field(default_factory=dict)
    _subset: list[tuple[np.ndarray, np.ndarray]] | None = None
    _wide: tuple[Any, Any] | None = None

    @property
    def tickers(self) -> int:
        return int(self.df.get_column("ticker").n_unique())

    @property
    def subset(self) -> list[tuple[np.ndarray, np.ndarray]]:
        if self._subset is None:
            self._subset = wl.per_ticker_arrays(self.df, self.subset_tickers)
        return self._subset

    @property
    def wide(self) -> tuple[Any, Any]:
        if self._wide is None:
            self._wide = wl.pandas_wide_inputs(self.df)
        return self._wide

    def reference(self, name: str) -> np.ndarray:
        """Beta or alpha (``"beta"``, ``"alpha"``) from Polars' own rolling_cov/rolling_var
        with ``.over``: computed once, untimed, on first use."""
        if name not in self.refs:
            result = wl.polars_native_beta_alpha(self.df, self.window)
            self.refs["beta"] = wl.beta_of(result).to_numpy()
            self.refs["alpha"] = wl.alpha_of(result).to_numpy()
        return self.refs[name]


def compare(name: str, got: np.ndarray, want: np.ndarray, *, rtol: float = 1e-7) -> str:
    """Same missing positions (null/NaN) and values within ``rtol`` (plus a tiny atol)."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        raise MismatchError(f"{name}: shape {got.shape} != {want.shape}")
    got_nan, want_nan = np.isnan(got), np.isnan(want)
    if not np.array_equal(got_nan, want_nan):
        diff = int(np.count_nonzero(got_nan != want_nan))
        raise MismatchError(f"{name}: missing values differ at {diff} rows")
    if want_nan.all():
        raise MismatchError(f"{name}: every value is missing")
    scale = float(np.nanmax(np.abs(want)))
    err = float(np.nanmax(np.abs(got - want)))
    if not np.allclose(got, want, rtol=rtol, atol=rtol * scale * 1e-3, equal_nan=True):
        raise MismatchError(f"{name}: max |diff| {err:.3g} (values up to {scale:.3g})")
    return f"{name} {err:.1e}"


def _frame_check(pairs: list[tuple[str, Callable[[Any], pl.Series], str]]) -> Callable:
    """A check comparing columns of a Polars result with named references."""

    def check(bench: Bench, result: Any) -> str:
        notes = []
        for name, column, ref in pairs:
            notes.append(compare(name, column(result).to_numpy(), bench.reference(ref)))
        return "ok: " + ", ".join(notes)

    return check


def _store(ref: str, column: Callable[[Any], pl.Series]) -> Callable:
    """Keep a column of the result as the reference ``ref`` for a later check."""

    def check(bench: Bench, result: Any) -> str:
        bench.refs[ref] = column(result).to_numpy()
        return "reference"

    return check


def _check_with(ref: str, column: Callable[[Any], pl.Series], name: str = "beta") -> Callable:
    def check(bench: Bench, result: Any) -> str:
        if ref not in bench.refs:
            return "not checked (no reference)"
        return "ok: " + compare(name, column(result).to_numpy(), bench.refs[ref])

    return check


def _series(col: str) -> Callable[[pl.DataFrame], pl.Series]:
    return lambda result: result.get_column(col)


BETA_ALPHA = [("beta", wl.beta_of, "beta"), ("alpha", wl.alpha_of, "alpha")]


def _pandas_check(bench: Bench, result: Any) -> str:
    beta, alpha = result
    return "ok: " + ", ".join(
        [
            compare("beta", beta.to_numpy().T.ravel(), bench.reference("beta")),
            compare("alpha", alpha.to_numpy().T.ravel(), bench.reference("alpha")),
        ]
    )


def _subset_check(beta_col: int, alpha_col: int) -> Callable:
    def check(bench: Bench, result: Any) -> str:
        fits = np.concatenate(result)
        rows = len(fits)
        return "ok: " + ", ".join(
            [
                compare("beta", fits[:, beta_col], bench.reference("beta")[:rows]),
                compare("alpha", fits[:, alpha_col], bench.reference("alpha")[:rows]),
            ]
        )

    return check


@dataclass
class Contender:
    key: str
    label: str
    group: str  # "ours", "peer" or "floor"
    make: Callable[[Bench], Callable[[], Any]]  # untimed setup -> the timed call
    check: Callable[[Bench, Any], str] | None = None
    needs: str | None = None  # module that must import
    subset: bool = False  # timed on --subset-tickers tickers and extrapolated
    strict: bool = False  # a failed check stops the script


def _frame_fn(fn: Callable[[pl.DataFrame, int], pl.DataFrame]) -> Callable:
    return lambda bench: lambda: fn(bench.df, bench.window)


CONTENDERS = [
    Contender(
        "ours_ba",
        'ours: rolling_alpha_beta(fields=["alpha", "beta"]) (by=)',
        "ours",
        _frame_fn(wl.ours_beta_alpha),
        _frame_check(BETA_ALPHA),
        strict=True,
    ),
    Contender(
        "ours_ba_two_calls",
        "ours: rolling_beta + rolling_alpha (by=), two passes",
        "ours",
        _frame_fn(wl.ours_two_calls_beta_alpha),
        _frame_check(BETA_ALPHA),
        strict=True,
    ),
    Contender(
        "ours_full",
        "ours: rolling_alpha_beta (by=), full struct",
        "ours",
        _frame_fn(wl.ours_full),
        _frame_check(BETA_ALPHA),
        strict=True,
    ),
    Contender(
        "ours_over_ba",
        'ours: rolling_alpha_beta(fields=["alpha", "beta"]).over("ticker")',
        "ours",
        _frame_fn(wl.ours_over_beta_alpha),
        _frame_check(BETA_ALPHA),
        strict=True,
    ),
    Contender(
        "ours_over_full",
        'ours: rolling_alpha_beta .over("ticker"), full struct',
        "ours",
        _frame_fn(wl.ours_over_full),
        _frame_check(BETA_ALPHA),
        strict=True,
    ),
    Contender(
        "ours_ewm",
        "ours: ewm_alpha_beta (by=, half_life=63, window={window})",
        "ours",
        _frame_fn(wl.ours_ewm),
        _store("ours_ewm_beta", wl.beta_of),
    ),
    Contender(
        "ours_ewm_all",
        "ours: ewm_alpha_beta (by=, half_life=63, window=None)",
        "ours",
        _frame_fn(wl.ours_ewm_all_history),
        _store("ours_ewm_all_beta", wl.beta_of),
    ),
    Contender(
        "ours_wa",
        "ours: weighted_alpha (by=)",
        "ours",
        _frame_fn(wl.ours_weighted_alpha),
        _store("ours_wa", _series("wa")),
    ),
    Contender("floor", "floor: Polars elementwise ret * mkt", "floor", _frame_fn(wl.polars_floor)),
    Contender(
        "polars_native",
        'Polars rolling_cov / rolling_var .over("ticker") (beta + alpha)',
        "peer",
        _frame_fn(wl.polars_native_beta_alpha),
        lambda bench, result: "reference (ours and the peers are checked against it)",
    ),
    Contender(
        "polars_ewm",
        'Polars ewm_mean composition .over("ticker") (all history, beta + alpha)',
        "peer",
        _frame_fn(wl.polars_ewm_composition),
        _check_with("ours_ewm_all_beta", wl.beta_of),
        strict=True,
    ),
    Contender(
        "polars_wa",
        'Polars log1p(ret).rolling_sum(weights=) .over("ticker") (weighted alpha)',
        "peer",
        _frame_fn(wl.polars_weighted_alpha),
        _check_with("ours_wa", _series("wa"), "wa"),
        strict=True,
    ),
    Contender(
        "polars_ols",
        'polars-ols rolling_ols .over("ticker") (beta + alpha)',
        "peer",
        _frame_fn(wl.polars_ols_beta_alpha),
        _frame_check(BETA_ALPHA),
        needs="polars_ols",
    ),
    Contender(
        "polars_ds",
        'polars-ds rolling_lin_reg .over("ticker") (beta + alpha)',
        "peer",
        _frame_fn(wl.polars_ds_beta_alpha),
        _frame_check(BETA_ALPHA),
        needs="polars_ds",
    ),
    Contender(
        "polars_ds_ewm",
        'polars-ds rolling_lin_reg(half_life=63) .over("ticker") (EW beta + alpha)',
        "peer",
        _frame_fn(wl.polars_ds_ewm),
        _check_with("ours_ewm_beta", wl.beta_of),
        needs="polars_ds",
    ),
    Contender(
        "pandas_wide",
        "pandas wide rolling().cov / var (beta + alpha; pivot not timed)",
        "peer",
        lambda bench: (lambda wide: lambda: wl.pandas_wide_beta_alpha(*wide, bench.window))(
            bench.wide
        ),
        _pandas_check,
        needs="pandas",
    ),
    Contender(
        "statsmodels",
        "statsmodels RollingOLS(params_only=True), per ticker",
        "peer",
        lambda bench: (lambda arrays: lambda: wl.statsmodels_rolling_ols(arrays, bench.window))(
            bench.subset
        ),
        _subset_check(beta_col=1, alpha_col=0),
        needs="statsmodels",
        subset=True,
    ),
    Contender(
        "empyrical_style",
        "empyrical-style per-ticker loop (NumPy per window)",
        "peer",
        lambda bench: (lambda arrays: lambda: wl.empyrical_style_loop(arrays, bench.window))(
            bench.subset
        ),
        _subset_check(beta_col=1, alpha_col=0),
        subset=True,
    ),
]
BY_KEY = {c.key: c for c in CONTENDERS}
REFERENCE_OURS = "ours_ba"
REFERENCE_NATIVE = "polars_native"


@dataclass
class Outcome:
    key: str
    label: str
    group: str
    times: list[float] = field(default_factory=list)
    scale: float = 1.0  # extrapolation factor applied to the times
    measured_tickers: int | None = None
    peak_delta: int | None = None
    out_bytes: int | None = None
    check: str = ""
    error: str | None = None
    strict_failure: bool = False

    @property
    def best(self) -> float | None:
        return min(self.times) * self.scale if self.times else None

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) * self.scale if self.times else None


def prewarm(contender: Contender, bench: Bench) -> None:
    """Run once on a small slice, so that loading libraries and starting thread pools is not
    counted in the peak memory of the warm-up run."""
    rows = min(bench.df.height, 4 * bench.window)
    small = Bench(bench.df.slice(0, rows), bench.window, 1, check=False)
    with contextlib.suppress(Exception):  # the full-size run reports the error
        contender.make(small)()


def run_contender(contender: Contender, bench: Bench, repeat: int) -> Outcome:
    label = contender.label.format(window=bench.window)
    outcome = Outcome(contender.key, label, contender.group)
    if contender.needs is not None:
        try:
            importlib.import_module(contender.needs)
        except Exception as exc:  # any import failure means unavailable
            outcome.error = f"unavailable ({type(exc).__name__}: {exc})"
            return outcome
    try:
        call = contender.make(bench)
        if contender.subset:
            measured = min(bench.subset_tickers, bench.tickers)
            outcome.measured_tickers = measured
            outcome.scale = bench.tickers / measured
        prewarm(contender, bench)
        with PeakMemory() as memory:
            result = call()  # warm-up; checked and measured
        outcome.peak_delta = memory.delta
        outcome.out_bytes = nbytes(result)
        if bench.check and contender.check is not None:
            try:
                outcome.check = contender.check(bench, result)
            except MismatchError as exc:
                outcome.check = f"MISMATCH: {exc}"
                outcome.strict_failure = contender.strict
        del result
        gc.collect()
        result = None
        for _ in range(repeat):
            result = None
            start = time.perf_counter()
            result = call()
            outcome.times.append(time.perf_counter() - start)
        del result
    except Exception as exc:  # one failing peer must not stop the others
        outcome.error = f"error ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"
    gc.collect()
    return outcome


def run_all(bench: Bench, keys: list[str], repeat: int, *, verbose: bool) -> list[Outcome]:
    outcomes = []
    for key in keys:
        contender = BY_KEY[key]
        if verbose:
            print(f"  {contender.label} ...", file=sys.stderr, flush=True)
        outcome = run_contender(contender, bench, repeat)
        if verbose:
            status = outcome.error or f"{outcome.best:.3f} s  {outcome.check}"
            print(f"    {status}", file=sys.stderr, flush=True)
        outcomes.append(outcome)
    return outcomes


# ---------------------------------------------------------------------------------------------
# reporting


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 100 else f"{value:.0f}"


def fmt_ratio(value: float | None, reference: float | None) -> str:
    if value is None or not reference:
        return "-"
    ratio = value / reference
    return f"{ratio:.3f}" if ratio < 0.1 else f"{ratio:.2f}"


def fmt_mb(value: int | None) -> str:
    if value is None:
        return "-"
    return f"{value / MB:,.0f}" if abs(value) >= 10 * MB else f"{value / MB:.1f}"


def label_of(outcome: Outcome) -> str:
    if outcome.measured_tickers is not None and outcome.scale != 1.0:
        return f"{outcome.label} (extrapolated from {outcome.measured_tickers} tickers)"
    return outcome.label


def ratio_table(outcomes: list[Outcome]) -> str:
    by_key = {o.key: o for o in outcomes}
    ours = by_key.get(REFERENCE_OURS)
    native = by_key.get(REFERENCE_NATIVE)
    ours_best = ours.best if ours else None
    native_best = native.best if native else None
    lines = [
        "| contender | seconds (best) | median | ratio vs ours | ratio vs Polars native "
        "| peak Δ RSS MB | output MB | check |",
        "|---|--:|--:|--:|--:|--:|--:|---|",
    ]
    for o in outcomes:
        if o.error is not None:
            name = o.label.split(" ")[0] if o.error.startswith("unavailable") else o.label
            lines.append(f"| {name}: {o.error} | - | - | - | - | - | - | |")
            continue
        lines.append(
            f"| {label_of(o)} | {fmt_seconds(o.best)} | {fmt_seconds(o.median)} "
            f"| {fmt_ratio(o.best, ours_best)} | {fmt_ratio(o.best, native_best)} "
            f"| {fmt_mb(o.peak_delta)} | {fmt_mb(o.out_bytes)} | {o.check} |"
        )
    return "\n".join(lines)


def speedup(slow: Outcome | None, fast: Outcome | None) -> float | None:
    if slow is None or fast is None or slow.best is None or fast.best is None:
        return None
    return slow.best / fast.best


def target_rows(outcomes: list[Outcome], used_input_bytes: int) -> list[tuple[str, str, str]]:
    """``(target, measured, status)`` for the performance targets that this run measured."""
    o = {x.key: x for x in outcomes if x.error is None}
    rows = []

    def add(target: str, value: float | None, ok: Callable[[float], bool], unit: str) -> None:
        if value is None:
            return
        rows.append((target, f"{value:.2f}{unit}", "met" if ok(value) else "NOT met"))

    add(
        "full struct (by=) >= 10x faster than Polars native",
        speedup(o.get("polars_native"), o.get("ours_full")),
        lambda v: v >= 10,
        "x",
    )
    add(
        "beta+alpha (by=) >= 15x faster than Polars native",
        speedup(o.get("polars_native"), o.get("ours_ba")),
        lambda v: v >= 15,
        "x",
    )
    add(
        "beta+alpha (by=) >= 30x faster than polars-ols",
        speedup(o.get("polars_ols"), o.get("ours_ba")),
        lambda v: v >= 30,
        "x",
    )
    add(
        "beta+alpha (by=) <= 4x the elementwise floor",
        speedup(o.get("ours_ba"), o.get("floor")),
        lambda v: v <= 4,
        "x floor",
    )
    add(
        '.over("ticker") beta+alpha no slower than Polars native',
        speedup(o.get("polars_native"), o.get("ours_over_ba")),
        lambda v: v >= 1,
        "x faster",
    )
    add(
        "weighted_alpha (by=) >= 10x faster than rolling_sum(weights)",
        speedup(o.get("polars_wa"), o.get("ours_wa")),
        lambda v: v >= 10,
        "x",
    )
    add(
        "ewm_alpha_beta (by=) >= 5x faster than the ewm_mean composition",
        speedup(o.get("polars_ewm"), o.get("ours_ewm")),
        lambda v: v >= 5,
        "x",
    )
    for key in ("ours_full", "ours_ba"):
        x = o.get(key)
        if x is not None and x.peak_delta is not None and x.out_bytes:
            ratio = (used_input_bytes + x.peak_delta) / (used_input_bytes + x.out_bytes)
            add(
                f"{key}: peak memory <= inputs + outputs + 25% (this process, indicative)",
                ratio,
                lambda v: v <= 1.25,
                "x (in+out)",
            )
    return rows


def markdown(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# subprocess runs: sweeps, threads, isolated memory


def child_run(
    args: argparse.Namespace,
    keys: list[str],
    *,
    tickers: int | None = None,
    window: int | None = None,
    threads: int | None = None,
    repeat: int | None = None,
    check: bool = True,
) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--tickers",
        str(tickers or args.tickers),
        "--days",
        str(args.days),
        "--window",
        str(window or args.window),
        "--repeat",
        str(repeat or args.repeat),
        "--subset-tickers",
        str(args.subset_tickers),
        "--key-dtype",
        args.key_dtype,
        "--seed",
        str(args.seed),
        "--only",
        ",".join(keys),
        "--json",
    ]
    if not check:
        command.append("--no-check")
    env = dict(os.environ)
    if threads is not None:
        env["POLARS_MAX_THREADS"] = str(threads)
    print(f"  subprocess: {' '.join(command[2:])} threads={threads}", file=sys.stderr, flush=True)
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith(JSON_PREFIX):
            payload: dict[str, Any] = json.loads(line[len(JSON_PREFIX) :])
            return payload
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
    return {"error": f"exit {proc.returncode}: {' / '.join(tail)}", "outcomes": []}


def child_best(payload: dict[str, Any], key: str) -> float | None:
    for record in payload.get("outcomes", []):
        if record["key"] == key and record["error"] is None and record["times"]:
            return float(min(record["times"]))
    return None


def child_error(payload: dict[str, Any], key: str) -> str:
    if payload.get("error"):
        return str(payload["error"])
    for record in payload.get("outcomes", []):
        if record["key"] == key:
            return str(record["error"] or record["check"])
    return "missing"


def cell(payload: dict[str, Any], key: str) -> str:
    best = child_best(payload, key)
    return fmt_seconds(best) if best is not None else f"failed: {child_error(payload, key)}"


def window_sweep(args: argparse.Namespace, keys: list[str]) -> tuple[str, list[tuple]]:
    windows = [w for w in (21, 252, 1260) if w < args.days]
    runs = {w: child_run(args, keys, window=w) for w in windows}
    rows = [
        (BY_KEY[k].label.format(window="w"), *(cell(runs[w], k) for w in windows)) for k in keys
    ]
    targets = []
    for k in keys:
        times = [t for t in (child_best(runs[w], k) for w in windows) if t is not None]
        if len(windows) >= 2 and len(times) == len(windows):
            spread = max(times) / min(times)
            ok = "met" if spread <= 1.3 else "NOT met"
            targets.append((f"{k}: window {windows[0]} vs {windows[-1]} within 1.3x", spread, ok))
    header = ("contender", *(f"window {w} (s)" for w in windows))
    return markdown(rows, header), targets


def size_sweep(args: argparse.Namespace, keys: list[str]) -> tuple[str, list[tuple]]:
    factors = (1, 2, 4)
    runs = {f: child_run(args, keys, tickers=args.tickers * f) for f in factors}
    rows = []
    targets = []
    for k in keys:
        times = [child_best(runs[f], k) for f in factors]
        base = times[0]
        cells = []
        for f, t in zip(factors, times, strict=True):
            if t is None:
                cells.append(f"failed: {child_error(runs[f], k)}")
            else:
                cells.append(f"{fmt_seconds(t)} ({t / base:.2f}x)" if base else fmt_seconds(t))
        rows.append((BY_KEY[k].label.format(window=args.window), *cells))
        if base and times[-1] is not None:
            growth = times[-1] / base
            ok = "met" if growth <= 4.4 else "NOT met"
            targets.append((f"{k}: 4x rows <= 4.4x time", growth, ok))
    header = (
        "contender",
        *(f"{f}x rows = {args.tickers * f * args.days / 1e6:.1f} M (s)" for f in factors),
    )
    return markdown(rows, header), targets


def threads_compare(args: argparse.Namespace, keys: list[str]) -> tuple[str, list[tuple]]:
    runs = {n: child_run(args, keys, threads=n) for n in (1, 2)}
    rows = []
    targets = []
    for k in keys:
        one, two = child_best(runs[1], k), child_best(runs[2], k)
        gain = one / two if one and two else None
        rows.append(
            (
                BY_KEY[k].label.format(window=args.window),
                cell(runs[1], k),
                cell(runs[2], k),
                "-" if gain is None else f"{gain:.2f}x",
            )
        )
        if gain is not None and BY_KEY[k].group == "ours":
            ok = "met" if gain >= 1.7 else "NOT met"
            targets.append((f"{k}: 2 threads >= 1.7x faster than 1", gain, ok))
    header = ("contender", "1 thread (s)", "2 threads (s)", "speed-up")
    return markdown(rows, header), targets


def memory_isolated(args: argparse.Namespace, keys: list[str]) -> tuple[str, list[tuple]]:
    rows = []
    targets = []
    for k in keys:
        payload = child_run(args, [k], repeat=1, check=False)
        record = next((r for r in payload.get("outcomes", []) if r["key"] == k), None)
        if record is None or record["error"] is not None or record["peak_delta"] is None:
            rows.append(
                (
                    BY_KEY[k].label.format(window=args.window),
                    f"failed: {child_error(payload, k)}",
                    "",
                    "",
                    "",
                    "",
                )
            )
            continue
        used_in = payload["used_input_bytes"]
        peak = used_in + record["peak_delta"]
        in_out = used_in + record["out_bytes"]
        ratio = peak / in_out
        rows.append(
            (
                BY_KEY[k].label.format(window=args.window),
                fmt_mb(used_in),
                fmt_mb(record["out_bytes"]),
                fmt_mb(record["peak_delta"]),
                fmt_mb(payload["process_peak_bytes"]),
                f"{ratio:.2f}",
            )
        )
        ok = "met" if ratio <= 1.25 else "NOT met"
        targets.append((f"{k}: peak memory <= inputs + outputs + 25% (fresh process)", ratio, ok))
    header = (
        "contender",
        "inputs MB (ticker, ret, mkt)",
        "output MB",
        "peak Δ RSS MB",
        "process peak RSS MB",
        "(inputs + peak Δ) / (inputs + output)",
    )
    return markdown(rows, header), targets


# ---------------------------------------------------------------------------------------------
# main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickers", type=int, default=5000)
    parser.add_argument("--days", type=int, default=2520)
    parser.add_argument("--window", type=int, default=wl.DEFAULT_WINDOW)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs after one warm-up")
    parser.add_argument(
        "--subset-tickers",
        type=int,
        default=20,
        help="tickers the slow per-ticker peers run on; their time is extrapolated linearly",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--key-dtype", choices=wl.KEY_DTYPES, default="str")
    parser.add_argument(
        "--only", help=f"comma-separated contender keys (default all): {', '.join(BY_KEY)}"
    )
    parser.add_argument("--skip", default="", help="comma-separated contender keys to leave out")
    parser.add_argument(
        "--sweeps", action="store_true", help="window sweep 21/252/1260 and size sweep 1x/2x/4x"
    )
    parser.add_argument(
        "--sweep-contenders", default="ours_ba,ours_full", help="contenders of the sweeps"
    )
    parser.add_argument(
        "--threads-compare",
        action="store_true",
        help="rerun with POLARS_MAX_THREADS=1 and =2 in subprocesses",
    )
    parser.add_argument(
        "--threads-contenders",
        default="ours_ba,ours_full,ours_ewm,ours_wa,polars_native,floor",
        help="contenders of --threads-compare",
    )
    parser.add_argument(
        "--memory-isolated",
        action="store_true",
        help="measure the peak memory of ours_full and ours_ba, each in a fresh process",
    )
    parser.add_argument("--no-check", action="store_true", help="skip the result checks")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for name in ("only", "skip", "sweep_contenders", "threads_contenders"):
        value = getattr(args, name)
        keys = [k for k in (value or "").split(",") if k]
        unknown = [k for k in keys if k not in BY_KEY]
        if unknown:
            parser.error(f"--{name.replace('_', '-')}: unknown contenders {unknown}")
    if args.window < 2 or args.window > args.days:
        parser.error("--window must be between 2 and --days")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    keys = args.only.split(",") if args.only else list(BY_KEY)
    keys = [k for k in keys if k not in set(args.skip.split(","))]
    verbose = not args.json

    rss_before = (_proc_status_kb("VmRSS") or 0) * 1024
    start = time.perf_counter()
    df = wl.make_workload(args.tickers, args.days, seed=args.seed, key_dtype=args.key_dtype)
    build_seconds = time.perf_counter() - start
    RUN_PEAK[0] = (_proc_status_kb("VmHWM") or 0) * 1024  # before the first reset
    input_bytes = int(df.estimated_size())
    used_input_bytes = int(df.select("ticker", "ret", "mkt").estimated_size())
    bench = Bench(df, args.window, args.subset_tickers, check=not args.no_check)
    if verbose:
        print(
            f"workload: {df.height:,} rows ({args.tickers} tickers x {args.days} days), "
            f"built in {build_seconds:.1f} s; timing {len(keys)} contenders",
            file=sys.stderr,
            flush=True,
        )
    outcomes = run_all(bench, keys, args.repeat, verbose=verbose)
    peak = process_peak_bytes()

    strict = [o for o in outcomes if o.strict_failure]
    # Ours is checked against Polars (or peers against ours): a strict mismatch means a number
    # in the table would be wrong, so report nothing but the mismatch.
    if args.json:
        payload = {
            "outcomes": [o.__dict__ for o in outcomes],
            "used_input_bytes": used_input_bytes,
            "input_bytes": input_bytes,
            "process_peak_bytes": peak,
        }
        if strict:
            payload = {"error": "; ".join(o.check for o in strict), "outcomes": []}
        print(JSON_PREFIX + json.dumps(payload))
        return 1 if strict else 0
    if strict:
        for o in strict:
            print(f"CHECK FAILED: {o.label}: {o.check}", file=sys.stderr)
        print("Results disagree: no table is reported.", file=sys.stderr)
        return 1

    threads = pl.thread_pool_size()
    print("## polars-alpha peer benchmark\n")
    print(f"Command: `python benches/compare_peers.py {' '.join(sys.argv[1:])}`".rstrip() + "  ")
    print(
        f"Workload: {df.height:,} rows = {args.tickers:,} tickers x {args.days:,} days, window "
        f"{args.window}, ticker dtype {df.schema['ticker']}, seed {args.seed}.  "
    )
    print(
        f"Machine: {os.cpu_count()} CPUs, Polars thread pool {threads}; Python "
        f"{platform.python_version()}, Polars {pl.__version__}, polars-alpha {pa.__version__}.  "
    )
    print(
        f"Times: best and median of {args.repeat} run(s) after one warm-up; ratios are "
        "time / reference time (below 1 = faster than the reference): 'ours' is "
        "rolling_beta + rolling_alpha (by=), 'Polars native' is rolling_cov/rolling_var "
        '.over("ticker"). Peak Δ RSS: the rise of resident memory during the warm-up run '
        "(indicative in this shared process; see --memory-isolated).\n"
    )
    print(ratio_table(outcomes))
    print()
    print(
        f"Memory: inputs {fmt_mb(input_bytes)} MB (whole frame; ticker+ret+mkt "
        f"{fmt_mb(used_input_bytes)} MB); process RSS before the workload "
        f"{fmt_mb(rss_before)} MB; peak RSS of this process (ru_maxrss / VmHWM) "
        f"{fmt_mb(peak)} MB. Output MB of the extrapolated peers is that of their subset."
    )
    targets = [(t, m, s) for t, m, s in target_rows(outcomes, used_input_bytes)]

    sweep_keys = args.sweep_contenders.split(",")
    extra: list[tuple[str, float, str]] = []
    if args.sweeps:
        table, found = window_sweep(args, sweep_keys)
        print(f"\n### Window sweep ({args.tickers:,} tickers x {args.days:,} days)\n\n{table}")
        extra += found
        table, found = size_sweep(args, sweep_keys)
        print(f"\n### Size sweep (tickers x 1, 2, 4; window {args.window})\n\n{table}")
        extra += found
    if args.threads_compare:
        table, found = threads_compare(args, args.threads_contenders.split(","))
        print("\n### Threads (POLARS_MAX_THREADS)\n\n" + table)
        extra += found
    if args.memory_isolated:
        table, found = memory_isolated(args, ["ours_full", "ours_ba"])
        print("\n### Peak memory, each contender in a fresh process\n\n" + table)
        extra += found
    targets += [(t, f"{v:.2f}x", s) for t, v, s in extra]
    if targets:
        print("\n### Targets (issue 6)\n")
        print(markdown(targets, ("target", "measured", "status")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
