"""pytest-benchmark: strategy_report on many funds (500 x 2,520 days when timed with
``make bench``; 20 x 300 as a smoke test under ``--benchmark-disable``). The peer table against
quantstats and empyrical is ``python benches/compare_report.py``. The result is checked against
empyrical for one fund; nothing is asserted about time."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import polars as pl
import pytest
from timing import timing_disabled

import polars_alpha as pa

if TYPE_CHECKING:
    from pytest_benchmark.fixture import BenchmarkFixture

pytest.importorskip("pytest_benchmark")
empyrical = pytest.importorskip("empyrical")

SMOKE = (20, 300)
TIMED = (500, 2520)


@pytest.fixture(scope="module")
def market(request: pytest.FixtureRequest) -> pa.datasets.SyntheticMarket:
    disabled = timing_disabled(request.config)
    funds, days = SMOKE if disabled else TIMED
    return pa.datasets.synthetic_market(funds, days, seed=7)


def test_strategy_report_many_funds(
    benchmark: BenchmarkFixture, market: pa.datasets.SyntheticMarket
) -> None:
    report = benchmark(pa.strategy_report, market.stocks, benchmark=market.index)
    funds = market.stocks.get_column("ticker").n_unique()
    assert report.summary.height == funds
    months = market.stocks.get_column("date").dt.truncate("1mo").n_unique()
    assert report.monthly.height == funds * months
    first = report.summary.row(0, named=True)
    rows = report.returns.filter(pl.col("ticker") == first["ticker"])
    r, b = rows.get_column("ret").to_numpy(), rows.get_column("benchmark").to_numpy()
    assert math.isclose(first["sharpe"], empyrical.sharpe_ratio(r), rel_tol=1e-9)
    assert math.isclose(first["up_capture"], empyrical.up_capture(r, b), rel_tol=1e-9)
