"""Fixtures of the pytest-benchmark suite.

``make bench`` (``pytest benches --benchmark-only -p no:doctest``) times the contenders on
``POLARS_ALPHA_BENCH_TICKERS`` tickers (default 200) x ``POLARS_ALPHA_BENCH_DAYS`` days
(default 2520), window ``POLARS_ALPHA_BENCH_WINDOW`` (default 252). ``pytest benches
--benchmark-disable`` is a smoke test: each benchmark body runs once on 20 tickers x 600 days,
window 60, unless the variables say otherwise. The full peer comparison on the 12.6 M-row
workload is ``benches/compare_peers.py``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import workload as wl

SMOKE = (20, 600, 60)
TIMED = (200, 2520, wl.DEFAULT_WINDOW)


@dataclass(frozen=True)
class Size:
    tickers: int
    days: int
    window: int

    @property
    def rows(self) -> int:
        return self.tickers * self.days

    @property
    def leading_nulls(self) -> int:
        """Rows of a full-window rolling output that are null: ``window - 1`` per ticker."""
        return self.tickers * (self.window - 1)


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        msg = f"{name} must be an integer, got {value!r}"
        raise pytest.UsageError(msg) from None


@pytest.fixture(scope="session")
def size(request: pytest.FixtureRequest) -> Size:
    disabled = bool(request.config.getoption("benchmark_disable", default=False))
    tickers, days, window = SMOKE if disabled else TIMED
    chosen = Size(
        _env_int("POLARS_ALPHA_BENCH_TICKERS", tickers),
        _env_int("POLARS_ALPHA_BENCH_DAYS", days),
        _env_int("POLARS_ALPHA_BENCH_WINDOW", window),
    )
    if chosen.tickers < 1 or not 2 <= chosen.window <= chosen.days:
        msg = f"bench size needs tickers >= 1 and 2 <= window <= days, got {chosen}"
        raise pytest.UsageError(msg)
    return chosen


@pytest.fixture(scope="session")
def frame(size: Size) -> pl.DataFrame:
    return wl.make_workload(size.tickers, size.days)


class References:
    """Results the benchmarks are checked against, each computed once and untimed."""

    def __init__(self, frame: pl.DataFrame, window: int) -> None:
        self.frame = frame
        self.window = window

    @cached_property
    def native(self) -> pl.DataFrame:
        return wl.polars_native_beta_alpha(self.frame, self.window)

    @property
    def beta(self) -> np.ndarray:
        return self.native.get_column("beta").to_numpy()

    @property
    def alpha(self) -> np.ndarray:
        return self.native.get_column("alpha").to_numpy()

    @cached_property
    def ewm_all_history_beta(self) -> np.ndarray:
        return wl.beta_of(wl.polars_ewm_composition(self.frame, self.window)).to_numpy()

    @cached_property
    def weighted_alpha(self) -> np.ndarray:
        return wl.polars_weighted_alpha(self.frame, self.window).get_column("wa").to_numpy()

    @cached_property
    def ours_weighted_alpha(self) -> np.ndarray:
        return wl.ours_weighted_alpha(self.frame, self.window).get_column("wa").to_numpy()

    @cached_property
    def ours_ewm_all_history_beta(self) -> np.ndarray:
        return wl.beta_of(wl.ours_ewm_all_history(self.frame, self.window)).to_numpy()

    @cached_property
    def ours_ewm_beta(self) -> np.ndarray:
        return wl.beta_of(wl.ours_ewm(self.frame, self.window)).to_numpy()


@pytest.fixture(scope="session")
def references(frame: pl.DataFrame, size: Size) -> References:
    return References(frame, size.window)
