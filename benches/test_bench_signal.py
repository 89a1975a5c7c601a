"""pytest-benchmark: signal_report with 4 horizons and 5 quantiles, and residual_momentum, on
5,000 tickers x 2,520 days when timed with ``make bench`` (200 x 300 as a smoke test under
``--benchmark-disable``).
The peer table against alphalens is ``python benches/compare_signal.py``. The result's shape and
one date's IC (against scipy) are checked; nothing is asserted about time."""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

import polars as pl
import pytest
import workload as wl
from scipy import stats
from signal_workload import HORIZONS, QUANTILES, make_signal_workload
from timing import timing_disabled

import polars_alpha as pa

if TYPE_CHECKING:
    from pytest_benchmark.fixture import BenchmarkFixture

pytest.importorskip("pytest_benchmark")

SMOKE = (200, 300)
TIMED = (5000, 2520)


@pytest.fixture(scope="module")
def signal_frame(request: pytest.FixtureRequest) -> pl.DataFrame:
    disabled = timing_disabled(request.config)
    tickers, days = SMOKE if disabled else TIMED
    return make_signal_workload(tickers, days)


def test_signal_report_whole_market(
    benchmark: BenchmarkFixture, signal_frame: pl.DataFrame
) -> None:
    report = benchmark(
        pa.signal_report,
        signal_frame,
        signal="signal",
        price="close",
        horizons=HORIZONS,
        quantiles=QUANTILES,
    )
    dates = signal_frame.get_column("date").n_unique()
    assert report.ic.height == dates * len(HORIZONS)
    assert report.summary.height == len(HORIZONS)
    day = signal_frame.get_column("date").unique().sort()[100]
    assert isinstance(day, dt.date)
    rows = (
        signal_frame.with_columns(f=pa.forward_return("close", 5, by="ticker"))
        .filter(pl.col("date") == day)
        .drop_nulls(["signal", "f"])
    )
    want = stats.spearmanr(rows["signal"].to_numpy(), rows["f"].to_numpy()).statistic
    got = report.ic.filter(pl.col("date") == day, pl.col("horizon") == 5)["ic"][0]
    assert math.isclose(got, want, abs_tol=1e-12)


@pytest.fixture(scope="module")
def returns_frame(request: pytest.FixtureRequest) -> pl.DataFrame:
    disabled = timing_disabled(request.config)
    tickers, days = SMOKE if disabled else TIMED
    return wl.make_workload(tickers, days)


def test_residual_momentum_whole_market(
    benchmark: BenchmarkFixture, returns_frame: pl.DataFrame
) -> None:
    days = returns_frame.get_column("date").n_unique()
    fit_window, window = (756, 252) if days > 1200 else (120, 60)
    out = benchmark(
        returns_frame.select,
        pa.residual_momentum("ret", "mkt", fit_window=fit_window, window=window, by="ticker"),
    )
    tickers = returns_frame.get_column("ticker").n_unique()
    # Every return is there: each ticker's first signal is at row fit_window + window - 2.
    assert out.to_series().is_not_null().sum() == tickers * (days - fit_window - window + 2)
