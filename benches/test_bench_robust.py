"""pytest-benchmark: robust standard errors (Newey-West HAC, ``maxlags=5``) against the
ordinary ones on the workload, both as the full struct with ``by=``.

``make bench`` times them on the size of ``test_bench.py`` (``POLARS_ALPHA_BENCH_*``);
``pytest benches --benchmark-disable`` runs each once on a small frame as a smoke test.
``benches/robust_cov.py`` gives the 12.6 M-row ratio and statsmodels' per-window time.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pytest
import workload as wl
from timing import timing_disabled

import polars_alpha as pa

if TYPE_CHECKING:
    from pytest_benchmark.fixture import BenchmarkFixture

pytest.importorskip("pytest_benchmark")

SMOKE = (20, 600, 60)
TIMED = (200, 2520, wl.DEFAULT_WINDOW)
MAXLAGS = 5


@pytest.fixture(scope="module")
def robust_size(request: pytest.FixtureRequest) -> tuple[int, int, int]:
    disabled = timing_disabled(request.config)
    tickers, days, window = SMOKE if disabled else TIMED
    env = os.environ.get
    return (
        int(env("POLARS_ALPHA_BENCH_TICKERS") or tickers),
        int(env("POLARS_ALPHA_BENCH_DAYS") or days),
        int(env("POLARS_ALPHA_BENCH_WINDOW") or window),
    )


@pytest.fixture(scope="module")
def robust_frame(robust_size: tuple[int, int, int]) -> pl.DataFrame:
    tickers, days, _ = robust_size
    return wl.make_workload(tickers, days)


def full_struct(df: pl.DataFrame, window: int, cov_type: str) -> pl.DataFrame:
    maxlags = MAXLAGS if cov_type == "HAC" else None
    fit = pa.rolling_alpha_beta(
        "ret", "mkt", window=window, by="ticker", cov_type=cov_type, maxlags=maxlags
    )
    return df.select(fit.alias("fit")).unnest("fit")


def check(result: pl.DataFrame, size: tuple[int, int, int]) -> None:
    tickers, days, window = size
    assert result.height == tickers * days
    assert result["alpha_t"].null_count() == tickers * (window - 1)
    assert np.isfinite(result["beta_se"].drop_nulls().to_numpy()).all()


@pytest.mark.benchmark(group="robust")
def test_nonrobust_full_struct(
    benchmark: BenchmarkFixture, robust_frame: pl.DataFrame, robust_size: tuple[int, int, int]
) -> None:
    check(benchmark(full_struct, robust_frame, robust_size[2], "nonrobust"), robust_size)


@pytest.mark.benchmark(group="robust")
def test_hac_full_struct(
    benchmark: BenchmarkFixture, robust_frame: pl.DataFrame, robust_size: tuple[int, int, int]
) -> None:
    result = benchmark(full_struct, robust_frame, robust_size[2], "HAC")
    check(result, robust_size)
    base = full_struct(robust_frame, robust_size[2], "nonrobust")
    # Same coefficients, other standard errors.
    assert result["beta"].equals(base["beta"])
    assert not result["beta_se"].equals(base["beta_se"])
