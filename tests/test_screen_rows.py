"""screen() on an eager long frame builds the panel of the rows its fits use only
(``_screen_rows``); that gives exactly what the panel of the whole frame gives.

The whole-frame path is the same screen with ``_screen_rows`` switched off. A second oracle is
built from the public expressions on every row of the frame: ``returns_panel``, then
``rolling_alpha_beta`` and ``weighted_alpha`` over all of each ticker's history.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import polars_alpha as pa
from polars_alpha.datasets import SyntheticMarket, synthetic_market

screen_module = importlib.import_module("polars_alpha.screen")


@pytest.fixture(scope="module")
def market() -> SyntheticMarket:
    return synthetic_market(n_tickers=30, n_days=400, seed=5)


class Paths:
    """Runs a screen through the rows-only panel (and says whether it applied) or through
    the panel of the whole frame."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.original = screen_module._screen_rows
        self.used: list[bool] = []

    def fast(self, frame: Any, **kwargs: Any) -> pl.DataFrame:
        def spy(*args: Any, **kw: Any) -> Any:
            found = self.original(*args, **kw)
            self.used.append(found is not None)
            return found

        self.monkeypatch.setattr(screen_module, "_screen_rows", spy)
        return pa.screen(frame, **kwargs)

    def whole(self, frame: Any, **kwargs: Any) -> pl.DataFrame:
        self.monkeypatch.setattr(screen_module, "_screen_rows", lambda *a, **k: None)
        return pa.screen(frame, **kwargs)

    def assert_same(self, frame: Any, *, rows_only: bool = True, **kwargs: Any) -> pl.DataFrame:
        self.used.clear()
        fast = self.fast(frame, **kwargs)
        assert self.used == [rows_only]
        whole = self.whole(frame, **kwargs)
        assert_frame_equal(fast, whole, check_exact=True)
        return fast


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> Iterator[Paths]:
    yield Paths(monkeypatch)


def to_returns(market: SyntheticMarket) -> tuple[pl.DataFrame, pl.DataFrame]:
    stocks = market.stocks.with_columns(
        pl.col("close").pct_change().over("ticker").alias("close")
    ).drop_nulls()
    index = market.index.with_columns(pl.col("market").pct_change()).drop_nulls()
    return stocks, index


def test_risk_free_frame_number_or_none(market: SyntheticMarket, paths: Paths) -> None:
    for risk_free in (market.risk_free, 1e-4, None):
        out = paths.assert_same(market.stocks, benchmark=market.index, risk_free=risk_free)
        assert out.height == 30
        assert out.get_column("n").unique().to_list() == [252]


@pytest.mark.parametrize("kind", ["auto", "prices"])
def test_kind_of_prices(market: SyntheticMarket, paths: Paths, kind: str) -> None:
    paths.assert_same(market.stocks, benchmark=market.index, risk_free=market.risk_free, kind=kind)


@pytest.mark.parametrize("kind", ["auto", "returns"])
def test_returns_input(market: SyntheticMarket, paths: Paths, kind: str) -> None:
    stocks, index = to_returns(market)
    out = paths.assert_same(stocks, benchmark=index, risk_free=market.risk_free, kind=kind)
    prices = paths.fast(market.stocks, benchmark=market.index, risk_free=market.risk_free)
    # From returns, the same fits as from prices (returns of returns would not be).
    np.testing.assert_allclose(out.get_column("beta"), prices.get_column("beta"), rtol=1e-9)


def test_auto_kind_per_ticker_and_returns_benchmark(market: SyntheticMarket, paths: Paths) -> None:
    stocks, index = to_returns(market)
    returning = [f"T{i:04d}" for i in range(0, 30, 3)]
    mixed = pl.concat(
        [
            market.stocks.filter(~pl.col("ticker").is_in(returning)),
            stocks.filter(pl.col("ticker").is_in(returning)),
        ]
    ).sort("ticker", "date")
    paths.assert_same(mixed, benchmark=index, risk_free=market.risk_free)
    paths.assert_same(mixed, benchmark=market.index, risk_free=market.risk_free)


def test_as_of_windows_and_selection(market: SyntheticMarket, paths: Paths) -> None:
    dates = market.index.get_column("date")
    for as_of in (dates[300], dates[260], dates[253], "2021-03-06"):
        paths.assert_same(
            market.stocks, benchmark=market.index, risk_free=market.risk_free, as_of=as_of
        )
    paths.assert_same(
        market.stocks,
        benchmark=market.index,
        risk_free=market.risk_free,
        window=60,
        min_periods=30,
        weighted_alpha_window=120,
        beta_between=(0.8, 1.4),
        sort_by="alpha_t",
        top=7,
    )


def test_risk_free_ends_before_the_stocks(market: SyntheticMarket, paths: Paths) -> None:
    # As in the bundled sample: the as-of date is the rate's last quote, rows after it stay.
    short_rf = market.risk_free.head(330)
    out = paths.assert_same(market.stocks, benchmark=market.index, risk_free=short_rf)
    assert out.get_column("date").unique().to_list() == [short_rf.get_column("date")[-1]]


def test_gaps_missing_values_and_short_histories(market: SyntheticMarket, paths: Paths) -> None:
    rng = np.random.default_rng(3)
    stocks = market.stocks.with_columns(
        pl.when(pl.Series(rng.random(market.stocks.height) < 0.02))
        .then(None)
        .otherwise(pl.col("close"))
        .alias("close")
    )
    stocks = stocks.filter(pl.Series(rng.random(stocks.height) > 0.03))  # dates missing
    late = stocks.filter(pl.col("ticker") == "T0001", pl.col("date") > dt.date(2021, 3, 1))
    stocks = pl.concat(
        [
            stocks.filter(~pl.col("ticker").is_in(["T0001", "T0002"])),
            late,  # listed late: fewer rows than the window
            stocks.filter(pl.col("ticker") == "T0002").head(100),  # delisted early
        ]
    )
    index = market.index.filter(pl.Series(rng.random(market.index.height) > 0.02))
    index = index.with_columns(pl.col("market").fill_nan(None))
    rf = market.risk_free.filter(pl.Series(rng.random(market.risk_free.height) > 0.05))
    for fill in (True, False):
        out = paths.assert_same(stocks, benchmark=index, risk_free=rf, fill_risk_free=fill)
        assert "T0002" not in out.get_column("ticker").to_list()
        assert out.get_column("n").min() < 252


def test_risk_free_nan_on_the_last_date(market: SyntheticMarket, paths: Paths) -> None:
    # A NaN rate is no rate, and the fill stops at the last quote: the day before is the as-of.
    rf = market.risk_free.with_columns(
        pl.when(pl.int_range(pl.len()) == 399).then(float("nan")).otherwise("rf").alias("rf")
    )
    for fill in (True, False):
        out = paths.assert_same(
            market.stocks, benchmark=market.index, risk_free=rf, fill_risk_free=fill
        )
        assert out.get_column("date")[0] == market.index.get_column("date")[398]


def test_benchmark_missing_on_the_last_dates(market: SyntheticMarket, paths: Paths) -> None:
    # The latest dates have no benchmark return from prices: the as-of date is found earlier.
    index = market.index.with_columns(
        pl.when(pl.int_range(pl.len()) >= 395)
        .then(None)
        .otherwise(pl.col("market"))
        .alias("market")
    )
    out = paths.assert_same(market.stocks, benchmark=index, risk_free=market.risk_free)
    assert out.get_column("date")[0] == market.index.get_column("date")[394]


def test_key_and_date_types(market: SyntheticMarket, paths: Paths) -> None:
    codes = market.stocks.with_columns(pl.col("ticker").str.slice(1).cast(pl.Int32))
    paths.assert_same(codes, benchmark=market.index, risk_free=market.risk_free)
    categorical = market.stocks.with_columns(pl.col("ticker").cast(pl.Categorical))
    paths.assert_same(categorical, benchmark=market.index, risk_free=market.risk_free)
    stamped = market.stocks.with_columns(pl.col("date").cast(pl.Datetime("us")))
    paths.assert_same(stamped, benchmark=market.index, risk_free=market.risk_free)


@pytest.mark.parametrize(
    "reshape",
    [
        lambda m: m.stocks.sort("date", "ticker"),  # a date's rows together
        lambda m: m.stocks.sample(fraction=1.0, shuffle=True, seed=1),
    ],
)
def test_frames_out_of_order(
    market: SyntheticMarket, paths: Paths, reshape: Callable[[SyntheticMarket], pl.DataFrame]
) -> None:
    frame = reshape(market)
    out = paths.assert_same(frame, benchmark=market.index, risk_free=market.risk_free)
    in_order = paths.fast(market.stocks, benchmark=market.index, risk_free=market.risk_free)
    assert_frame_equal(out, in_order, check_exact=True)


def test_columns_of_the_frame_take_the_whole_panel(market: SyntheticMarket, paths: Paths) -> None:
    joined = market.stocks.join(market.index, on="date").join(market.risk_free, on="date")
    out = paths.assert_same(
        joined, rows_only=False, benchmark="market", risk_free="rf", value="close"
    )
    in_order = paths.fast(market.stocks, benchmark=market.index, risk_free=market.risk_free)
    assert_frame_equal(out, in_order, check_exact=True)


def test_errors_are_the_whole_panels(market: SyntheticMarket, paths: Paths) -> None:
    """Where the screen raises, the rows-only panel steps aside and the error is the same."""
    zero = market.stocks.with_columns(
        pl.when((pl.col("ticker") == "T0004") & (pl.int_range(pl.len()).over("ticker") == 10))
        .then(0.0)
        .otherwise(pl.col("close"))
        .alias("close")
    )
    twice = pl.concat([market.stocks, market.stocks.filter(pl.col("ticker") == "T0003").tail(1)])
    twice = twice.sort("ticker", "date", maintain_order=True)
    annual = market.risk_free.with_columns(pl.col("rf") * 252 * 100)
    cases: list[tuple[pl.DataFrame, dict[str, Any], str]] = [
        (zero, {"risk_free": market.risk_free}, "T0004"),
        (twice, {"risk_free": market.risk_free}, "more than one row"),
        (market.stocks, {"risk_free": annual}, "risk_free"),
        (market.stocks, {"risk_free": 0.05}, "risk_free"),
        (market.stocks, {"risk_free": market.risk_free, "as_of": "2019-01-01"}, "no date"),
    ]
    for frame, kwargs, match in cases:
        paths.used.clear()
        with pytest.raises(ValueError, match=match) as fast:
            paths.fast(frame, benchmark=market.index, **kwargs)
        assert paths.used == [False]
        with pytest.raises(ValueError, match=match) as whole:
            paths.whole(frame, benchmark=market.index, **kwargs)
        assert str(fast.value) == str(whole.value)


def test_the_public_expressions_on_every_row(market: SyntheticMarket, paths: Paths) -> None:
    """The screen's fits are those of the public expressions run on the whole history."""
    out = paths.fast(market.stocks, benchmark=market.index, risk_free=market.risk_free)
    panel = pa.returns_panel(market.stocks, benchmark=market.index, risk_free=market.risk_free)
    as_of = panel.filter(pl.col("benchmark").is_finite() & pl.col("rf").is_finite())
    as_of_date = as_of.get_column("date").max()
    full = (
        panel.with_columns(
            pa.rolling_alpha_beta(
                "ret", "benchmark", window=252, min_periods=202, risk_free="rf", by="ticker"
            ).alias("fit"),
            pa.weighted_alpha("ret", window=252, by="ticker", returns=True).alias("wa"),
        )
        .filter(pl.col("date") == as_of_date)
        .unnest("fit")
        .sort("ticker")
    )
    mine = out.sort("ticker")
    assert mine.get_column("ticker").to_list() == full.get_column("ticker").to_list()
    assert (mine.get_column("date") == as_of_date).all()
    assert mine.get_column("n").to_list() == full.get_column("n").to_list()
    for column, reference in (
        ("alpha", "alpha"),
        ("beta", "beta"),
        ("r2", "r2"),
        ("resid_std", "resid_std"),
        ("alpha_t", "alpha_t"),
        ("weighted_alpha", "wa"),
    ):
        # The whole history's running sums reach the last window by another path.
        np.testing.assert_allclose(
            mine.get_column(column), full.get_column(reference), rtol=1e-9, atol=1e-15
        )


@st.composite
def markets(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | float | None]:
    n_tickers = draw(st.integers(1, 6))
    n_days = draw(st.integers(3, 60))
    seed = draw(st.integers(0, 2**16))
    market = synthetic_market(n_tickers=n_tickers, n_days=n_days, seed=seed)
    rng = np.random.default_rng(seed)
    stocks = market.stocks
    drop = draw(st.floats(0.0, 0.4))
    stocks = stocks.filter(pl.Series(rng.random(stocks.height) >= drop))
    null = draw(st.floats(0.0, 0.2))
    stocks = stocks.with_columns(
        pl.when(pl.Series(rng.random(stocks.height) < null))
        .then(None)
        .otherwise(pl.col("close"))
        .alias("close")
    )
    if draw(st.booleans()):
        stocks = stocks.with_columns(pl.col("close").pct_change().over("ticker"))
    if stocks.height and draw(st.booleans()):
        # A ticker with two rows on one date (its own value or another).
        row = stocks.sample(1, seed=seed)
        stocks = pl.concat(
            [stocks, row.with_columns(pl.col("close") * draw(st.sampled_from([1.0, 1.1])))]
        )
    if draw(st.booleans()):
        stocks = stocks.sample(fraction=1.0, shuffle=True, seed=seed)
    index = market.index.filter(pl.Series(rng.random(market.index.height) >= drop / 2))
    risk_free = draw(
        st.sampled_from([market.risk_free, market.risk_free.head(max(1, n_days - 5)), 2e-4, None])
    )
    return stocks, index, risk_free


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=markets(),
    window=st.integers(2, 12),
    wa_window=st.integers(2, 15),
    fill=st.booleans(),
)
def test_random_markets(
    data: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | float | None],
    window: int,
    wa_window: int,
    fill: bool,
) -> None:
    stocks, index, risk_free = data
    kwargs: dict[str, Any] = {
        "benchmark": index,
        "risk_free": risk_free,
        "window": window,
        "min_periods": 2,
        "weighted_alpha_window": wa_window,
        "fill_risk_free": fill,
    }
    original = screen_module._screen_rows
    outcomes = []
    for rows in (original, lambda *a, **k: None):
        screen_module._screen_rows = rows
        try:
            outcomes.append(("ok", pa.screen(stocks, **kwargs)))
        except ValueError as exc:
            outcomes.append(("error", str(exc)))
        finally:
            screen_module._screen_rows = original
    (kind_a, a), (kind_b, b) = outcomes
    assert kind_a == kind_b
    if kind_a == "ok":
        assert_frame_equal(a, b, check_exact=True)
    else:
        assert a == b
        # Errors of the data drawn, never of the arguments.
        assert any(what in a for what in DATA_ERRORS), a


DATA_ERRORS = ("more than one row", "no date", "no rows", "the benchmark", "kind=")


def test_a_lazy_screen_reads_only_its_columns(market: SyntheticMarket, paths: Paths) -> None:
    # A column the screen does not read fails if computed: it is never computed.
    poisoned = market.stocks.lazy().with_columns(
        volume=pl.col("close").mul(1e6).cast(pl.Int8, strict=True)
    )
    with pytest.raises(pl.exceptions.InvalidOperationError):
        poisoned.collect()
    lazy = pa.screen(
        poisoned, benchmark=market.index, risk_free=market.risk_free, value="close"
    ).collect()
    eager = paths.fast(market.stocks, benchmark=market.index, risk_free=market.risk_free)
    assert_frame_equal(lazy, eager, check_exact=True)
