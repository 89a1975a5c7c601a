"""pytest-benchmark suite of the rolling strategy measures: polars-alpha with ``by=`` against
the fastest Polars composition and empyrical-reloaded (a few tickers).

Timed with ``make bench`` (or ``pytest benches/test_bench_strategy.py --benchmark-enable``);
with ``--benchmark-disable`` every body runs once on a small frame as a smoke test. Each
benchmark checks its result against another contender's; none asserts anything about time.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pytest
from timing import timing_disabled

sys.path.insert(0, str(Path(__file__).resolve().parent))

import strategy_workload as sw
import workload as wl

if TYPE_CHECKING:
    from pytest_benchmark.fixture import BenchmarkFixture

SMOKE = (20, 600, 60)
TIMED = (200, 2520, wl.DEFAULT_WINDOW)
#: Tickers empyrical is timed on; its time scales with the tickers.
EMPYRICAL_TICKERS = 2


@pytest.fixture(scope="module")
def shape(request: pytest.FixtureRequest) -> tuple[int, int, int]:
    disabled = timing_disabled(request.config)
    return SMOKE if disabled else TIMED


@pytest.fixture(scope="module")
def frame(shape: tuple[int, int, int]) -> pl.DataFrame:
    return wl.make_workload(shape[0], shape[1])


def close(got: pl.DataFrame, want: pl.DataFrame) -> None:
    assert got.columns == want.columns
    for column in got.columns:
        a, b = got.get_column(column), want.get_column(column)
        assert a.null_count() == b.null_count(), column
        np.testing.assert_allclose(a.drop_nulls().to_numpy(), b.drop_nulls().to_numpy(), 1e-8)


def head_rows(result: pl.DataFrame, days: int, window: int) -> np.ndarray:
    """The first ``EMPYRICAL_TICKERS`` tickers' full windows, as empyrical returns them."""
    parts = [
        result.slice(i * days + window - 1, days - window + 1) for i in range(EMPYRICAL_TICKERS)
    ]
    return pl.concat(parts).to_numpy().T


@pytest.mark.benchmark(group="rolling sharpe")
def test_ours_sharpe_by(
    benchmark: BenchmarkFixture, frame: pl.DataFrame, shape: tuple[int, int, int]
) -> None:
    result = benchmark(sw.ours_sharpe, frame, shape[2])
    close(result, sw.polars_sharpe(frame, shape[2]))


@pytest.mark.benchmark(group="rolling sharpe")
def test_polars_sharpe(
    benchmark: BenchmarkFixture, frame: pl.DataFrame, shape: tuple[int, int, int]
) -> None:
    result = benchmark(sw.polars_sharpe, frame, shape[2])
    assert result.get_column("sharpe").null_count() == shape[0] * (shape[2] - 1)


@pytest.mark.benchmark(group="rolling sharpe")
def test_empyrical_sharpe_few_tickers(
    benchmark: BenchmarkFixture, frame: pl.DataFrame, shape: tuple[int, int, int]
) -> None:
    pytest.importorskip("empyrical")
    arrays = sw.ticker_arrays(frame, EMPYRICAL_TICKERS)
    result = benchmark(sw.empyrical_sharpe, arrays, shape[2])
    ours = head_rows(sw.ours_sharpe(frame, shape[2]), shape[1], shape[2])
    np.testing.assert_allclose(result, ours[0], rtol=1e-8)


@pytest.mark.benchmark(group="rolling up/down capture")
def test_ours_up_down_capture_by(
    benchmark: BenchmarkFixture, frame: pl.DataFrame, shape: tuple[int, int, int]
) -> None:
    result = benchmark(sw.ours_up_down_capture, frame, shape[2])
    close(result, sw.polars_up_down_capture(frame, shape[2]))


@pytest.mark.benchmark(group="rolling up/down capture")
def test_polars_up_down_capture(
    benchmark: BenchmarkFixture, frame: pl.DataFrame, shape: tuple[int, int, int]
) -> None:
    result = benchmark(sw.polars_up_down_capture, frame, shape[2])
    assert result.height == frame.height


@pytest.mark.benchmark(group="rolling up/down capture")
def test_empyrical_up_down_capture_few_tickers(
    benchmark: BenchmarkFixture, frame: pl.DataFrame, shape: tuple[int, int, int]
) -> None:
    pytest.importorskip("empyrical")
    arrays = sw.ticker_arrays(frame, EMPYRICAL_TICKERS)
    result = benchmark(sw.empyrical_up_down_capture, arrays, shape[2])
    ours = head_rows(sw.ours_up_down_capture(frame, shape[2]), shape[1], shape[2])
    np.testing.assert_allclose(result, ours, rtol=1e-8)
