"""pytest-benchmark suite: polars-alpha against the Polars-native way and the peers installed.

Timed with ``make bench``; ``pytest benches --benchmark-disable`` runs every body once on a small
frame as a smoke test. Every benchmark checks its result (shape, nulls, values against an
independent computation); none asserts anything about time. Sizes: see ``Size`` below.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import polars as pl
import pytest
from timing import timing_disabled

from polars_alpha._internal import FIT_FIELDS

sys.path.insert(0, str(Path(__file__).resolve().parent))

import workload as wl

if TYPE_CHECKING:
    from pytest_benchmark.fixture import BenchmarkFixture

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
    disabled = timing_disabled(request.config)
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
    def date_window(self) -> pl.DataFrame:
        return wl.polars_native_date_window(self.frame)

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


# ---- benchmarks ----

pytest.importorskip("pytest_benchmark")

RTOL = 1e-7


def assert_matches(got: pl.Series | np.ndarray, want: np.ndarray) -> None:
    """Same missing positions (null or NaN) and values to ``RTOL``."""
    values = got.to_numpy() if isinstance(got, pl.Series) else np.asarray(got, dtype=np.float64)
    np.testing.assert_allclose(values, want, rtol=RTOL, atol=1e-12, equal_nan=True)


def assert_beta_alpha(result: pl.DataFrame, size: Size, references: References) -> None:
    assert result.height == size.rows
    beta, alpha = wl.beta_of(result), wl.alpha_of(result)
    assert beta.dtype == pl.Float64
    assert alpha.dtype == pl.Float64
    assert beta.null_count() + int(beta.is_nan().sum() or 0) == size.leading_nulls
    assert alpha.null_count() + int(alpha.is_nan().sum() or 0) == size.leading_nulls
    assert_matches(beta, references.beta)
    assert_matches(alpha, references.alpha)
    # The synthetic betas are drawn from [0.4, 1.6]; a trailing-year fit stays near them.
    assert 0.0 < cast(float, beta.median()) < 2.0


def assert_full_struct(result: pl.DataFrame, size: Size, references: References) -> None:
    assert result.columns == ["fit"]
    dtype = result.get_column("fit").dtype
    assert isinstance(dtype, pl.Struct)
    assert [f.name for f in dtype.fields] == list(FIT_FIELDS)
    assert_beta_alpha(result, size, references)
    table = result.unnest("fit")
    n = table.get_column("n")
    assert n.dtype == pl.UInt32
    assert n.null_count() == 0
    assert cast(int, n.max()) == size.window
    r2 = table.get_column("r2").drop_nulls()
    assert len(r2) == size.rows - size.leading_nulls
    assert cast(float, r2.min()) >= 0.0
    assert cast(float, r2.max()) <= 1.0
    se = table.get_column("beta_se").drop_nulls()
    assert cast(float, se.min()) > 0.0
    t = table.get_column("beta") / table.get_column("beta_se")
    assert_matches(table.get_column("beta_t"), t.to_numpy())


# ---------------------------------------------------------------------------------------------
# beta + alpha


@pytest.mark.benchmark(group="beta+alpha")
def test_ours_beta_alpha_by(
    benchmark: BenchmarkFixture, frame: pl.DataFrame, size: Size, references: References
) -> None:
    result = benchmark(wl.ours_beta_alpha, frame, size.window)
    assert_beta_alpha(result, size, references)


@pytest.mark.benchmark(group="beta+alpha")
def test_ours_beta_alpha_over(
    benchmark: BenchmarkFixture, frame: pl.DataFrame, size: Size, references: References
) -> None:
    result = benchmark(wl.ours_over_beta_alpha, frame, size.window)
    assert_beta_alpha(result, size, references)


@pytest.mark.benchmark(group="beta+alpha")
def test_ours_beta_alpha_per_group_over(
    benchmark: BenchmarkFixture, frame: pl.DataFrame, size: Size, references: References
) -> None:
    result = benchmark(wl.ours_per_group_over_beta_alpha, frame, size.window)
    assert_beta_alpha(result, size, references)


@pytest.mark.benchmark(group="beta+alpha")
def test_polars_native_beta_alpha(
    benchmark: BenchmarkFixture, frame: pl.DataFrame, size: Size, references: References
) -> None:
    result = benchmark(wl.polars_native_beta_alpha, frame, size.window)
    assert_beta_alpha(result, size, references)


@pytest.mark.benchmark(group="beta+alpha")
def test_polars_ols_beta_alpha(
    benchmark: BenchmarkFixture, frame: pl.DataFrame, size: Size, references: References
) -> None:
    pytest.importorskip("polars_ols")
    result = benchmark(wl.polars_ols_beta_alpha, frame, size.window)
    assert_beta_alpha(result, size, references)


@pytest.mark.benchmark(group="beta+alpha")
def test_polars_ds_beta_alpha(
    benchmark: BenchmarkFixture, frame: pl.DataFrame, size: Size, references: References
) -> None:
    pytest.importorskip("polars_ds")
    result = benchmark(wl.polars_ds_beta_alpha, frame, size.window)
    assert_beta_alpha(result, size, references)


@pytest.mark.benchmark(group="beta+alpha")
def test_pandas_wide_beta_alpha(
    benchmark: BenchmarkFixture, frame: pl.DataFrame, size: Size, references: References
) -> None:
    pytest.importorskip("pandas")
    ret_wide, market = wl.pandas_wide_inputs(frame)  # the pivot is not timed
    beta, alpha = benchmark(wl.pandas_wide_beta_alpha, ret_wide, market, size.window)
    assert beta.shape == (size.days, size.tickers)
    assert_matches(beta.to_numpy().T.ravel(), references.beta)
    assert_matches(alpha.to_numpy().T.ravel(), references.alpha)


@pytest.mark.benchmark(group="beta+alpha")
def test_floor_elementwise(benchmark: BenchmarkFixture, frame: pl.DataFrame, size: Size) -> None:
    result = benchmark(wl.polars_floor, frame, size.window)
    assert result.shape == (size.rows, 1)
    assert result.get_column("prod").null_count() == 0
    want = frame.get_column("ret").to_numpy() * frame.get_column("mkt").to_numpy()
    np.testing.assert_array_equal(result.get_column("prod").to_numpy(), want)


# ---------------------------------------------------------------------------------------------
# full struct


@pytest.mark.benchmark(group="full struct")
def test_ours_full_by(
    benchmark: BenchmarkFixture, frame: pl.DataFrame, size: Size, references: References
) -> None:
    result = benchmark(wl.ours_full, frame, size.window)
    assert_full_struct(result, size, references)


@pytest.mark.benchmark(group="full struct")
def test_ours_full_over(
    benchmark: BenchmarkFixture, frame: pl.DataFrame, size: Size, references: References
) -> None:
    result = benchmark(wl.ours_over_full, frame, size.window)
    assert_full_struct(result, size, references)


# ---------------------------------------------------------------------------------------------
# exponentially weighted


def wls_beta_alpha(y: np.ndarray, x: np.ndarray, half_life: float) -> tuple[float, float]:
    """Weighted least squares with weight ``0.5 ** (age / half_life)``, age 0 for the last row."""
    w = 0.5 ** (np.arange(len(y))[::-1] / half_life)
    mx, my = np.average(x, weights=w), np.average(y, weights=w)
    beta = float(np.sum(w * (x - mx) * (y - my)) / np.sum(w * (x - mx) ** 2))
    return beta, float(my - beta * mx)


# ---------------------------------------------------------------------------------------------
# date window: the trailing calendar year


def assert_date_window(result: pl.DataFrame, size: Size, want: pl.DataFrame) -> None:
    assert result.height == size.rows
    # A year holds about 261 business days; the first 199 rows of a ticker have too few.
    beta = wl.beta_of(result)
    assert beta.null_count() + int(beta.is_nan().sum() or 0) == size.tickers * (
        wl.DATE_MIN_PERIODS - 1
    )
    assert_matches(beta, want.get_column("beta").to_numpy())
    assert_matches(wl.alpha_of(result), want.get_column("alpha").to_numpy())


@pytest.mark.benchmark(group="date window")
def test_ours_date_window_by(
    benchmark: BenchmarkFixture, frame: pl.DataFrame, size: Size, references: References
) -> None:
    result = benchmark(wl.ours_date_window_beta_alpha, frame)
    assert_date_window(result, size, references.date_window)


@pytest.mark.benchmark(group="date window")
def test_polars_native_date_window(
    benchmark: BenchmarkFixture, frame: pl.DataFrame, size: Size
) -> None:
    result = benchmark(wl.polars_native_date_window, frame)
    # Against a direct least-squares fit of one window per ticker, dates filtered by hand.
    days = frame.get_column("date").to_list()[: size.days]
    last_year = frame.slice(0, size.days).select(pl.col("date").dt.offset_by("-1y"))
    lower = last_year.get_column("date").to_list()
    for ticker in (0, size.tickers - 1):
        t = size.days - 1
        keep = [i for i in range(size.days) if lower[t] < days[i] <= days[t]]
        rows = frame.slice(ticker * size.days, size.days)[keep]
        x, y = rows.get_column("mkt").to_numpy(), rows.get_column("ret").to_numpy()
        beta, alpha = np.polyfit(x, y, 1)
        end = (ticker + 1) * size.days - 1
        assert wl.beta_of(result)[end] == pytest.approx(beta, rel=1e-9)
        assert wl.alpha_of(result)[end] == pytest.approx(alpha, rel=1e-7, abs=1e-12)
    assert_date_window(result, size, wl.ours_date_window_beta_alpha(frame))


@pytest.mark.benchmark(group="date window")
def test_polars_native_date_window_group_by(
    benchmark: BenchmarkFixture, frame: pl.DataFrame, size: Size, references: References
) -> None:
    result = benchmark(wl.polars_native_date_window_group_by, frame)
    assert_date_window(result, size, references.date_window)


@pytest.mark.benchmark(group="ewm")
def test_ours_ewm_by(benchmark: BenchmarkFixture, frame: pl.DataFrame, size: Size) -> None:
    result = benchmark(wl.ours_ewm, frame, size.window)
    assert result.height == size.rows
    table = result.unnest("fit")
    assert table.get_column("beta").null_count() == size.leading_nulls
    assert int(table.get_column("n").max()) == size.window
    # The last fit of the first and the last ticker against a direct WLS of its window.
    for ticker in (0, size.tickers - 1):
        end = (ticker + 1) * size.days
        rows = frame.slice(end - size.window, size.window)
        beta, alpha = wls_beta_alpha(
            rows.get_column("ret").to_numpy(), rows.get_column("mkt").to_numpy(), wl.EWM_HALF_LIFE
        )
        assert table.get_column("beta")[end - 1] == pytest.approx(beta, rel=1e-9)
        assert table.get_column("alpha")[end - 1] == pytest.approx(alpha, rel=1e-7, abs=1e-12)


@pytest.mark.benchmark(group="ewm")
def test_ours_ewm_all_history_by(
    benchmark: BenchmarkFixture, frame: pl.DataFrame, size: Size, references: References
) -> None:
    result = benchmark(wl.ours_ewm_all_history, frame, size.window)
    assert result.height == size.rows
    beta = wl.beta_of(result)
    assert beta.null_count() == size.tickers  # the first row of each ticker: n = 1 < 2
    assert_matches(beta, references.ewm_all_history_beta)


@pytest.mark.benchmark(group="ewm")
def test_polars_ewm_composition(
    benchmark: BenchmarkFixture, frame: pl.DataFrame, size: Size, references: References
) -> None:
    result = benchmark(wl.polars_ewm_composition, frame, size.window)
    assert result.height == size.rows
    assert_matches(wl.beta_of(result), references.ours_ewm_all_history_beta)


@pytest.mark.benchmark(group="ewm")
def test_polars_ds_ewm(
    benchmark: BenchmarkFixture, frame: pl.DataFrame, size: Size, references: References
) -> None:
    pytest.importorskip("polars_ds")
    result = benchmark(wl.polars_ds_ewm, frame, size.window)
    assert result.height == size.rows
    assert_matches(wl.beta_of(result), references.ours_ewm_beta)


# ---------------------------------------------------------------------------------------------
# weighted alpha


@pytest.mark.benchmark(group="weighted alpha")
def test_ours_weighted_alpha_by(
    benchmark: BenchmarkFixture, frame: pl.DataFrame, size: Size, references: References
) -> None:
    result = benchmark(wl.ours_weighted_alpha, frame, size.window)
    assert result.shape == (size.rows, 1)
    assert result.get_column("wa").null_count() == size.leading_nulls
    assert_matches(result.get_column("wa"), references.weighted_alpha)


@pytest.mark.benchmark(group="weighted alpha")
def test_polars_weighted_alpha(
    benchmark: BenchmarkFixture, frame: pl.DataFrame, size: Size, references: References
) -> None:
    result = benchmark(wl.polars_weighted_alpha, frame, size.window)
    assert result.shape == (size.rows, 1)
    assert_matches(result.get_column("wa"), references.ours_weighted_alpha)


# ---------------------------------------------------------------------------------------------
# the strongest peers: each gives ours' numbers (a small workload, String and integer keys)

PEERS: dict[str, tuple[Callable[[pl.DataFrame, int], Any], Callable[[pl.DataFrame, int], Any]]] = {
    # peer: (the peer, ours it must equal)
    "polars_native_beta_alpha": (wl.polars_native_beta_alpha, wl.ours_beta_alpha),
    "polars_native_beta_alpha_group_by": (wl.polars_native_beta_alpha_group_by, wl.ours_beta_alpha),
    "polars_native_beta_alpha_whole": (wl.polars_native_beta_alpha_whole, wl.ours_beta_alpha),
    "polars_native_full": (wl.polars_native_full, wl.ours_full),
    "polars_native_full_group_by": (wl.polars_native_full_group_by, wl.ours_full),
    "polars_ewm_composition": (wl.polars_ewm_composition, wl.ours_ewm_all_history_beta_alpha),
    "polars_ewm_composition_group_by": (
        wl.polars_ewm_composition_group_by,
        wl.ours_ewm_all_history_beta_alpha,
    ),
    "polars_ewm_window": (wl.polars_ewm_window, wl.ours_ewm_beta_alpha),
    "polars_ewm_window_group_by": (wl.polars_ewm_window_group_by, wl.ours_ewm_beta_alpha),
    "polars_weighted_alpha": (wl.polars_weighted_alpha, wl.ours_weighted_alpha),
    "polars_weighted_alpha_group_by": (wl.polars_weighted_alpha_group_by, wl.ours_weighted_alpha),
    "numpy_cumsum_beta_alpha": (
        lambda df, window: wl.numpy_cumsum_beta_alpha(*wl.wide_arrays(df), window),
        wl.ours_beta_alpha,
    ),
}


@pytest.fixture(scope="module", params=["str", "categorical", "int"])
def small(request: pytest.FixtureRequest) -> pl.DataFrame:
    return wl.make_workload(*SMOKE[:2], seed=7, key_dtype=request.param)


@pytest.mark.parametrize("peer", sorted(PEERS))
def test_peer_gives_ours_numbers(peer: str, small: pl.DataFrame) -> None:
    window = SMOKE[2]
    fn, ours = PEERS[peer]
    want = ours(small, window)
    want = want.unnest("fit") if "fit" in want.columns else want
    fields = tuple(c for c in want.columns if c != "n")
    got = wl.columns_of(fn(small, window), fields)
    assert got.height == small.height
    for name in fields:
        expected = want.get_column(name).to_numpy()
        # Not a comparison of two empty columns: most rows have a value.
        assert np.isfinite(expected).sum() > small.height // 2
        scale = float(np.nanmax(np.abs(expected)))
        np.testing.assert_allclose(
            got.get_column(name).to_numpy(),
            expected,
            rtol=1e-7,
            atol=1e-10 * scale,
            equal_nan=True,
            err_msg=f"{peer}: {name}",
        )


# ---------------------------------------------------------------------------------------------
# the screen


@pytest.fixture(scope="session")
def market(request: pytest.FixtureRequest) -> Any:
    disabled = timing_disabled(request.config)
    tickers = _env_int("POLARS_ALPHA_BENCH_SCREEN_TICKERS", 20 if disabled else 500)
    return wl.screen_market(tickers, 600 if disabled else 2520)


@pytest.fixture(scope="session")
def chain_result(market: Any) -> pl.DataFrame:
    return wl.chain_screen(market).sort("ticker")


@pytest.mark.benchmark(group="screen")
def test_ours_screen(benchmark: BenchmarkFixture, market: Any, chain_result: pl.DataFrame) -> None:
    result = benchmark(wl.ours_screen, market).sort("ticker")
    assert result.height == market.truth.height
    for name in ("alpha_ann", "alpha_t", "beta", "r2", "resid_std", "weighted_alpha", "alpha_z"):
        np.testing.assert_allclose(
            result.get_column(name), chain_result.get_column(name), rtol=1e-9, atol=1e-15
        )


@pytest.mark.benchmark(group="screen")
def test_chain_screen(benchmark: BenchmarkFixture, market: Any) -> None:
    result = benchmark(wl.chain_screen, market)
    assert result.height == market.truth.height
    assert result.get_column("beta").null_count() == 0
