"""Treynor ratio, information ratio and correlation, rolling and whole-sample.

Oracles: direct NumPy formulas on each window slice, Polars' own ``rolling_corr`` and
brute-force date filtering.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import polars_alpha as pa


def returns_frame(seed: int, n: int = 300, tickers: tuple[str, ...] = ("A", "B")) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    mkt = rng.normal(0.0004, 0.01, n)
    rf = 1e-4 + rng.uniform(0, 2e-5, n)
    dates = [dt.date(2018, 1, 1) + dt.timedelta(days=i + i // 5 * 2) for i in range(n)]
    parts = []
    for i, ticker in enumerate(tickers):
        ret = rf + 1e-4 * i + (0.7 + 0.3 * i) * (mkt - rf) + rng.normal(0, 0.006, n)
        parts.append(
            pl.DataFrame({"date": dates, "ticker": ticker, "ret": ret, "mkt": mkt, "rf": rf})
        )
    return pl.concat(parts)


def treynor(y: np.ndarray, x: np.ndarray, periods: float) -> float | None:
    if len(y) < 2 or np.ptp(x) == 0:
        return None
    beta = np.cov(x, y, ddof=1)[0, 1] / np.var(x, ddof=1)
    return float(np.mean(y) * periods / beta)


def information(r: np.ndarray, b: np.ndarray, periods: float) -> float | None:
    active = r - b
    if len(active) < 2 or np.ptp(active) == 0:
        return None
    return float(np.mean(active) / np.std(active, ddof=1) * math.sqrt(periods))


def correlation(y: np.ndarray, x: np.ndarray, periods: float) -> float | None:
    if len(y) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


ORACLES: dict[str, Callable[[np.ndarray, np.ndarray, float], float | None]] = {
    "treynor": treynor,
    "information": information,
    "correlation": correlation,
}


def rolling_expr(kind: str, **kw: Any) -> pl.Expr:
    if kind == "treynor":
        return pa.rolling_treynor_ratio("ret", "mkt", risk_free="rf", **kw)
    if kind == "information":
        return pa.rolling_information_ratio("ret", "mkt", **kw)
    return pa.rolling_correlation("ret", "mkt", risk_free="rf", **kw)


def oracle_inputs(kind: str, frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(asset side, market side) as the definition sees them: excess returns except for IR."""
    if kind == "information":
        return frame["ret"].to_numpy(), frame["mkt"].to_numpy()
    rf = frame["rf"].to_numpy()
    return frame["ret"].to_numpy() - rf, frame["mkt"].to_numpy() - rf


def assert_close(got: Any, want: float | None, rel: float, where: str) -> None:
    if want is None:
        assert got is None, f"{where}: expected null, got {got}"
        return
    assert got is not None, f"{where}: expected {want}, got null"
    assert abs(got - want) <= rel * max(abs(want), 1e-12), f"{where}: {got} vs {want}"


@pytest.mark.parametrize("kind", list(ORACLES))
@pytest.mark.parametrize(("window", "min_periods"), [(40, None), (60, 30), (None, 5)])
def test_rolling_matches_direct_formula_on_every_window(
    kind: str, window: int | None, min_periods: int | None
) -> None:
    df = returns_frame(1).with_columns(
        pl.when(pl.int_range(pl.len()) % 23 == 4).then(None).otherwise(pl.col("ret")).alias("ret")
    )
    periods = 252
    out = df.with_columns(
        rolling_expr(kind, window=window, min_periods=min_periods, by="ticker").alias("v")
    )
    need = min_periods or window or 2
    for part in out.partition_by("ticker", maintain_order=True):
        y, x = oracle_inputs(kind, part)
        got = part["v"].to_list()
        for t in range(part.height):
            lo = 0 if window is None else max(0, t - window + 1)
            yy, xx = y[lo : t + 1], x[lo : t + 1]
            ok = np.isfinite(yy) & np.isfinite(xx)
            want = ORACLES[kind](yy[ok], xx[ok], periods) if ok.sum() >= need else None
            assert_close(got[t], want, 1e-9, f"{kind} row {t}")


@pytest.mark.parametrize("kind", list(ORACLES))
def test_whole_sample_per_group_matches_direct_formula(kind: str) -> None:
    df = returns_frame(2, tickers=("A", "B", "C"))
    expr = {
        "treynor": pa.treynor_ratio("ret", "mkt", risk_free="rf", periods_per_year=252),
        "information": pa.information_ratio("ret", "mkt", periods_per_year=252),
        "correlation": pa.rolling_correlation("ret", "mkt", risk_free="rf", window=None).last(),
    }[kind]
    out = df.group_by("ticker", maintain_order=True).agg(expr.alias("v"))
    for part, got in zip(df.partition_by("ticker", maintain_order=True), out["v"], strict=True):
        y, x = oracle_inputs(kind, part)
        assert_close(got, ORACLES[kind](y, x, 252), 1e-11, f"{kind} {part['ticker'][0]}")


def test_correlation_equals_polars_rolling_corr_and_sqrt_r2() -> None:
    df = returns_frame(3, tickers=("A",))
    ours = df.select(pa.rolling_correlation("ret", "mkt", window=30).alias("c"))["c"]
    polars = df.select(pl.rolling_corr("ret", "mkt", window_size=30).alias("c"))["c"]
    np.testing.assert_allclose(ours.to_numpy()[29:], polars.to_numpy()[29:], rtol=1e-10)
    fit = df.select(pa.rolling_alpha_beta("ret", "mkt", window=30).alias("f")).unnest("f")
    signed = (np.sign(fit["beta"].to_numpy()) * np.sqrt(fit["r2"].to_numpy()))[29:]
    np.testing.assert_allclose(ours.to_numpy()[29:], signed, rtol=1e-10)


def test_treynor_in_a_monthly_report() -> None:
    df = returns_frame(4).sort("date")
    report = df.group_by_dynamic("date", every="1mo", group_by="ticker").agg(
        pa.treynor_ratio("ret", "mkt", risk_free="rf").alias("treynor"),
        pa.information_ratio("ret", "mkt").alias("ir"),
    )
    for row in report.to_dicts():
        month = df.filter(
            pl.col("ticker") == row["ticker"], pl.col("date").dt.truncate("1mo") == row["date"]
        )
        y, x = oracle_inputs("treynor", month)
        assert_close(row["treynor"], treynor(y, x, 252), 1e-10, str(row["date"]))
        r, b = oracle_inputs("information", month)
        assert_close(row["ir"], information(r, b, 252), 1e-10, str(row["date"]))


@pytest.mark.parametrize("kind", list(ORACLES))
def test_date_window_matches_brute_force(kind: str) -> None:
    df = returns_frame(5)
    expr = rolling_expr(kind, window="30d", order_by="date", by="ticker", min_periods=2)
    out = df.with_columns(expr.alias("v"))
    for part in out.partition_by("ticker", maintain_order=True):
        y, x = oracle_inputs(kind, part)
        dates = part["date"].to_list()
        for t in range(0, part.height, 3):
            keep = [j for j in range(t + 1) if dates[j] > dates[t] - dt.timedelta(days=30)]
            assert_close(part["v"][t], ORACLES[kind](y[keep], x[keep], 252), 1e-9, f"{t}")


def test_tracking_fund_information_ratio_is_accurate() -> None:
    rng = np.random.default_rng(6)
    bench = rng.normal(0, 0.02, 1000)
    fund = bench + rng.normal(2e-7, 1e-6, 1000)
    df = pl.DataFrame({"ret": fund, "mkt": bench})
    got = df.select(pa.information_ratio("ret", "mkt"))["ret"][0]
    active = np.array([f - b for f, b in zip(fund, bench, strict=True)])
    want = active.mean() / active.std(ddof=1) * math.sqrt(252)
    assert got == pytest.approx(want, rel=1e-12)


def test_degenerate_inputs_give_null() -> None:
    df = pl.DataFrame({"ret": [0.01, 0.02, -0.01, 0.0], "mkt": [0.01] * 4})
    out = df.select(
        pa.treynor_ratio("ret", "mkt").alias("t"),
        pa.information_ratio("ret", pl.col("ret")).alias("ir"),
        pa.rolling_correlation("ret", "mkt", window=3).last().alias("c"),
    )
    assert out.row(0) == (None, None, None)


@pytest.mark.parametrize("kind", list(ORACLES))
@pytest.mark.parametrize("engine", ["in-memory", "streaming"])
def test_contracts(kind: str, engine: Any) -> None:
    df = returns_frame(7).sample(fraction=1.0, shuffle=True, seed=1).sort("date")
    by = rolling_expr(kind, window=20, by="ticker").alias("v")
    over = rolling_expr(kind, window=20).over("ticker").alias("v")
    eager = df.with_columns(by)
    lazy = df.lazy().with_columns(by)
    assert lazy.collect_schema() == eager.schema
    assert_frame_equal(lazy.collect(engine=engine), eager)
    assert_frame_equal(df.with_columns(over), eager)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: pa.treynor_ratio("r", "m", periods_per_year=0), ValueError, "periods_per_year"),
        (lambda: pa.information_ratio("r", "m", periods_per_year=-12), ValueError, "positive"),
        (
            lambda: pa.rolling_treynor_ratio("r", "m", periods_per_year=float("nan")),
            ValueError,
            "periods_per_year",
        ),
        (lambda: pa.rolling_information_ratio("r", "m", window=0), ValueError, "at least 2"),
        (
            lambda: pa.rolling_correlation("r", "m", window="soon", order_by="d"),
            ValueError,
            "duration",
        ),
        (lambda: pa.treynor_ratio("r", "m", min_periods=2.5), TypeError, "min_periods"),  # type: ignore[arg-type]
    ],
)
def test_bad_arguments(call: Callable[[], pl.Expr], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()
