"""Tests of weighted alpha (momentum) against the definition evaluated by brute force.

Oracle: at each row ``t``, with log returns ``l_k = ln(p_{t-k} / p_{t-k-1})`` for ages
``k = 0 .. N-1`` and weights ``w_k`` normalized to ``w~_k = N w_k / sum(w)``, the score is
``100 * (exp(sum_k w~_k l_k) - 1)``, computed from scratch in numpy for every row.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal, assert_series_equal

import polars_alpha as pa

#: Tolerances against the brute force: relative, plus an absolute floor in percent points for
#: scores that cancel to nearly zero.
RTOL = 1e-10
ATOL = 1e-10


# --------------------------------------------------------------------------------------------
# Oracle and helpers
# --------------------------------------------------------------------------------------------


def exponential_weights(n: int, half_life: float | None = None) -> np.ndarray:
    """``w_k = 0.5 ** (k / half_life)``, ``k = 0 .. n-1`` (newest first); default ``n - 1``."""
    h = n - 1 if half_life is None else half_life
    return 0.5 ** (np.arange(n) / h)


def linear_weights(n: int) -> np.ndarray:
    """``w_k = 1 - 0.5 k / (n - 1)``, newest first."""
    return 1.0 - 0.5 * np.arange(n) / (n - 1)


def as_array(values: Any) -> np.ndarray:
    """Float array with nulls as NaN, from a Series or a sequence."""
    if isinstance(values, pl.Series):
        return values.cast(pl.Float64).fill_null(math.nan).to_numpy().astype(np.float64)
    return np.array([math.nan if v is None else v for v in values], dtype=np.float64)


def log_returns_of_prices(prices: Any) -> np.ndarray:
    """``l_t = ln(p_t / p_s)`` with ``s`` the last row before ``t`` with a known price; 0 on
    a missing price's row after the first known one (the gap's move lands on the next known
    price); NaN up to and at the first known price."""
    p = as_array(prices)
    out = np.full(p.shape, math.nan)
    last = math.nan
    for t, price in enumerate(p):
        known = bool(np.isfinite(price))
        if np.isfinite(last):
            out[t] = math.log(price / last) if known else 0.0
        if known:
            last = price
    return out


def price_scores(prices: Any, weights: np.ndarray, cap: float | None = None) -> np.ndarray:
    """The score at every row of a price series: :func:`brute_force` of its log returns,
    NaN where the row's own price is missing."""
    out = brute_force(log_returns_of_prices(prices), weights, cap)
    out[~np.isfinite(as_array(prices))] = math.nan
    return out


def log_returns_of_returns(returns: Any) -> np.ndarray:
    return np.log1p(as_array(returns))


def brute_force(logs: np.ndarray, weights: np.ndarray, cap: float | None = None) -> np.ndarray:
    """The score at every row from the log returns, NaN where a window is incomplete."""
    n = len(weights)
    norm = n * weights / weights.sum()
    out = np.full(logs.shape, math.nan)
    for t in range(n - 1, len(logs)):
        window = logs[t - n + 1 : t + 1][::-1]  # newest first: age k at index k
        if not np.all(np.isfinite(window)):
            continue
        if cap is not None:
            window = np.clip(window, -cap, cap)
        out[t] = 100.0 * math.expm1(float(norm @ window))
    return out


def assert_scores_match(
    got: pl.Series,
    expected: np.ndarray,
    *,
    rtol: float = RTOL,
    atol: float = ATOL,
    context: str = "",
) -> None:
    """Null exactly where the oracle is NaN (never NaN or inf), then the values."""
    assert got.dtype == pl.Float64, context
    assert len(got) == len(expected), context
    assert got.is_nan().sum() == 0, f"{context}: NaN in output (should be null)"
    assert got.is_infinite().sum() == 0, f"{context}: inf in output (should be null)"
    got_null = got.is_null().to_numpy()
    exp_null = ~np.isfinite(expected)
    bad = np.flatnonzero(got_null != exp_null)
    assert bad.size == 0, (
        f"{context}: null pattern differs at rows {bad[:10].tolist()}: "
        f"got {got.gather(bad[:10]).to_list()}, expected {expected[bad[:10]].tolist()}"
    )
    keep = ~exp_null
    np.testing.assert_allclose(
        got.to_numpy()[keep], expected[keep], rtol=rtol, atol=atol, err_msg=context
    )


def random_walk(seed: int, n: int, *, start: float = 100.0, vol: float = 0.02) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return start * np.exp(np.cumsum(rng.normal(0.0003, vol, n)))


def wa(prices: Any, **kw: Any) -> pl.Series:
    """weighted_alpha of a price sequence, as a Series."""
    s = pl.Series("p", prices, dtype=pl.Float64)
    return pl.select(pa.weighted_alpha(s, **kw)).to_series()


# --------------------------------------------------------------------------------------------
# Oracle: the definition, every row
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("window", [2, 5, 20, 252])
def test_matches_brute_force_every_row(window: int) -> None:
    prices = random_walk(window, 600)
    got = wa(prices, window=window)
    expected = price_scores(prices, exponential_weights(window))
    assert np.isnan(expected[:window]).all() and np.isfinite(expected[window:]).all()
    assert_scores_match(got, expected, context=f"N={window}")


@pytest.mark.parametrize("window", [5, 60, 252])
@pytest.mark.parametrize("half_life", [0.5, 10.0, 126.0, 1e6])
def test_explicit_half_life_matches_brute_force(window: int, half_life: float) -> None:
    prices = random_walk(7, 600, vol=0.03)
    got = wa(prices, window=window, half_life=half_life)
    expected = price_scores(prices, exponential_weights(window, half_life))
    assert_scores_match(got, expected, context=f"N={window} h={half_life}")


def test_default_half_life_is_window_minus_one() -> None:
    prices = random_walk(8, 400)
    out = pl.DataFrame({"p": prices}).select(
        default=pa.weighted_alpha("p", window=63),
        explicit=pa.weighted_alpha("p", window=63, half_life=62.0),
        default_252=pa.weighted_alpha("p"),
        explicit_252=pa.weighted_alpha("p", window=252, half_life=251.0),
    )
    assert_series_equal(out.get_column("default"), out.get_column("explicit"), check_names=False)
    assert_series_equal(
        out.get_column("default_252"), out.get_column("explicit_252"), check_names=False
    )
    assert out.get_column("default_252").null_count() == 252


@pytest.mark.parametrize("window", [2, 21, 252])
def test_no_decay_is_the_plain_price_change(window: int) -> None:
    prices = random_walk(window + 1, 700)
    got = wa(prices, window=window, half_life=float("inf"))
    expected = np.full(len(prices), math.nan)
    expected[window:] = 100.0 * (prices[window:] / prices[:-window] - 1.0)
    assert_scores_match(got, expected, rtol=1e-12, atol=1e-12, context=f"N={window}")


@pytest.mark.parametrize("window", [2, 12, 52, 252])
def test_linear_weights_match_brute_force(window: int) -> None:
    prices = random_walk(40 + window, 600)
    got = wa(prices, window=window, weights="linear")
    w = linear_weights(window)
    assert w[0] == 1.0 and w[-1] == pytest.approx(0.5, rel=1e-15)
    expected = price_scores(prices, w)
    assert_scores_match(got, expected, context=f"linear N={window}")


def test_hand_computed_small_window() -> None:
    # N = 2, default half-life 1: w = (1, 0.5), normalized (4/3, 2/3).
    got = wa([100.0, 110.0, 99.0], window=2).to_list()
    z = 4 / 3 * math.log(99 / 110) + 2 / 3 * math.log(110 / 100)
    assert got[:2] == [None, None]
    assert got[2] == pytest.approx(100 * math.expm1(z), rel=1e-13)


def test_two_paths_to_the_same_one_year_gain() -> None:
    n = 252
    late = np.concatenate([np.full(189, 0.2 / 189), np.full(63, 0.8 / 63)]) * math.log(2)
    early = np.concatenate([np.full(63, 1.0 / 63), np.zeros(189)]) * math.log(2)
    frame = pl.DataFrame(
        {
            "late": 50.0 * np.exp(np.concatenate([[0.0], np.cumsum(late)])),
            "early": 50.0 * np.exp(np.concatenate([[0.0], np.cumsum(early)])),
        }
    )
    last = frame.select(
        late=pa.weighted_alpha("late", window=n),
        early=pa.weighted_alpha("early", window=n),
        late_plain=pa.weighted_alpha("late", window=n, half_life=math.inf),
        early_plain=pa.weighted_alpha("early", window=n, half_life=math.inf),
        late_linear=pa.weighted_alpha("late", window=n, weights="linear"),
        early_linear=pa.weighted_alpha("early", window=n, weights="linear"),
    ).row(n, named=True)
    assert last["late_plain"] == pytest.approx(100.0, rel=1e-12)
    assert last["early_plain"] == pytest.approx(100.0, rel=1e-12)
    assert last["late"] > 100.0
    assert last["early"] < 100.0
    assert last["late_linear"] > 100.0
    assert last["early_linear"] < 100.0
    for kind in ("late", "early"):
        logs = log_returns_of_prices(frame.get_column(kind))
        assert last[kind] == pytest.approx(brute_force(logs, exponential_weights(n))[n], rel=RTOL)


# --------------------------------------------------------------------------------------------
# Missing prices
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", [None, math.nan])
@pytest.mark.parametrize("window", [2, 5, 30])
def test_a_missing_price_nulls_only_its_own_row(missing: float | None, window: int) -> None:
    prices: list[float | None] = list(random_walk(3, 200))
    holes = [60, 61, 130]  # two adjacent, one alone
    for i in holes:
        prices[i] = missing
    got = wa(prices, window=window)
    expected = price_scores(prices, exponential_weights(window))
    # The gap's move lands on the next known price: only the first N rows and the missing
    # prices' own rows are null, not the year after each hole.
    null_rows = set(range(window)) | set(holes)
    assert set(np.flatnonzero(np.isnan(expected)).tolist()) == null_rows
    assert set(np.flatnonzero(got.is_null().to_numpy()).tolist()) == null_rows
    assert_scores_match(got, expected, context=f"holes N={window}")
    # Without decay the score across a hole is the plain change from the last known price.
    plain = wa(prices, window=window, half_life=math.inf).to_list()
    t = 130 + 1
    base = prices[t - window] if t - window != 130 else prices[129]
    assert base is not None and prices[t] is not None
    assert plain[t] == pytest.approx(100.0 * (prices[t] / base - 1.0), rel=1e-12)


def test_leading_and_trailing_nulls() -> None:
    prices: list[float | None] = [None, None, *random_walk(4, 50).tolist(), None]
    got = wa(prices, window=5)
    expected = price_scores(prices, exponential_weights(5))
    # first full window: prices at rows 2..7, so row 7; the trailing null row is null
    assert got.is_null().to_list() == [True] * 7 + [False] * 45 + [True]
    assert_scores_match(got, expected)


def test_all_null_and_short_series() -> None:
    assert wa([None, None, None, None], window=2).null_count() == 4
    assert wa([1.0, 2.0, 3.0], window=3).null_count() == 3
    assert wa([], window=3).len() == 0
    assert wa([5.0], window=2).to_list() == [None]


# --------------------------------------------------------------------------------------------
# Options: cap, benchmark, returns
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("weights", ["exponential", "linear"])
@pytest.mark.parametrize("cap", [0.005, 0.02, 0.1])
def test_cap_clips_each_log_return(weights: str, cap: float) -> None:
    prices: list[float | None] = list(random_walk(11, 500, vol=0.03))
    prices[300] = None
    window = 40
    w = exponential_weights(window) if weights == "exponential" else linear_weights(window)
    got = wa(prices, window=window, weights=weights, cap=cap)
    assert_scores_match(got, price_scores(prices, w, cap=cap), context=f"cap={cap}")
    if cap < 0.05:  # the cap binds: the scores differ from the uncapped ones
        uncapped = price_scores(prices, w)
        ok = np.isfinite(uncapped)
        assert np.abs(got.to_numpy()[ok] - uncapped[ok]).max() > 1.0


def test_huge_jump_is_bounded_by_the_cap() -> None:
    prices = [100.0] * 10 + [1e6] + [1e6] * 10
    got = wa(prices, window=5, cap=0.1, half_life=math.inf).to_list()
    # one log return of ln(1e4) clipped to 0.1, the others 0: 100 * (exp(0.1) - 1)
    for t in range(10, 15):
        assert got[t] == pytest.approx(100 * math.expm1(0.1), rel=1e-12)
    assert got[15] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("returns", [False, True])
def test_benchmark_subtracts_its_weighted_alpha(returns: bool) -> None:
    stock: list[float | None] = list(random_walk(21, 400))
    index: list[float | None] = list(random_walk(22, 400, start=2000.0, vol=0.01))
    stock[100] = None
    index[250] = None
    df = pl.DataFrame(
        {"stock": stock, "index": index}, schema={"stock": pl.Float64, "index": pl.Float64}
    )
    if returns:  # not pct_change: it would fill the holes forward
        df = df.select(pl.all() / pl.all().shift(1) - 1.0)
    kw: dict[str, Any] = {"window": 63, "cap": 0.05, "returns": returns}
    out = df.select(
        rel=pa.weighted_alpha("stock", benchmark="index", **kw),
        diff=pa.weighted_alpha("stock", **kw) - pa.weighted_alpha("index", **kw),
    )
    assert out.get_column("rel").null_count() < out.height // 2
    assert_series_equal(
        out.get_column("rel"), out.get_column("diff"), check_exact=True, check_names=False
    )
    rel = out.get_column("rel")
    if returns:  # a missing return nulls the windows that hold it, on either side
        assert rel[260] is None  # index window holds its hole
        assert rel[120] is None  # stock window holds its hole
    else:  # a missing price nulls only its own row, on either side
        assert rel[100] is None and rel[250] is None
        assert rel[120] is not None and rel[260] is not None


@pytest.mark.parametrize("weights", ["exponential", "linear"])
@pytest.mark.parametrize("window", [2, 20, 252])
def test_returns_equal_the_price_version(weights: str, window: int) -> None:
    prices = random_walk(30 + window, 600)
    simple = prices[1:] / prices[:-1] - 1.0  # r_j is the return into price row j + 1
    by_price = wa(prices, window=window, weights=weights)
    by_returns = wa(simple, window=window, weights=weights, returns=True)
    # the returns version needs N returns, so it is valid from its row N - 1 on
    assert by_returns.is_null().to_list() == [True] * (window - 1) + [False] * (
        len(simple) - window + 1
    )
    assert_series_equal(by_returns, by_price[1:], rel_tol=1e-10, abs_tol=1e-10, check_names=False)
    w = exponential_weights(window) if weights == "exponential" else linear_weights(window)
    assert_scores_match(by_returns, brute_force(log_returns_of_returns(simple), w))


def test_returns_from_pct_change_start_one_row_later() -> None:
    prices = random_walk(5, 100)
    df = pl.DataFrame({"p": prices}).with_columns(r=pl.col("p").pct_change())
    out = df.select(
        price=pa.weighted_alpha("p", window=10),
        ret=pa.weighted_alpha("r", window=10, returns=True),
    )
    # pct_change leaves a null first return: then both versions start at row N
    assert out.get_column("ret").null_count() == 10
    assert_series_equal(
        out.get_column("ret"),
        out.get_column("price"),
        rel_tol=1e-10,
        abs_tol=1e-10,
        check_names=False,
    )


# --------------------------------------------------------------------------------------------
# Panels: by=, .over(), group_by().agg(), lazy
# --------------------------------------------------------------------------------------------


def price_panel(
    seed: int, n_dates: int = 400, tickers: tuple[str, ...] = ("A", "B", "C")
) -> pl.DataFrame:
    """Long frame (date, ticker, close, bench) sorted by ticker then date, with a few nulls."""
    rng = np.random.default_rng(seed)
    dates = pl.date_range(
        dt.date(2020, 1, 1), dt.date(2020, 1, 1) + dt.timedelta(days=n_dates - 1), eager=True
    )
    bench = random_walk(seed + 1000, n_dates, start=3000.0, vol=0.01)
    parts = []
    for i, ticker in enumerate(tickers):
        close: list[float | None] = list(random_walk(seed + i, n_dates, start=10.0 * (i + 1)))
        for j in rng.choice(n_dates - 70, 3, replace=False):  # none in the last 70 rows
            close[int(j)] = None
        parts.append(
            pl.DataFrame(
                {"date": dates, "ticker": [ticker] * n_dates, "close": close, "bench": bench},
                schema_overrides={"close": pl.Float64},
            )
        )
    return pl.concat(parts)


@pytest.mark.parametrize("order", ["sorted", "by_date", "shuffled"])
@pytest.mark.parametrize(
    "kw",
    [
        {"window": 20},
        {"window": 63, "weights": "linear", "cap": 0.03},
        {"window": 10, "half_life": math.inf, "benchmark": "bench"},
    ],
)
def test_over_equals_by(order: str, kw: dict[str, Any]) -> None:
    df = price_panel(1)
    if order == "by_date":  # tickers interleaved, each in time order
        df = df.sort("date", "ticker")
    elif order == "shuffled":  # interleaved and out of time order
        df = df.sample(fraction=1.0, shuffle=True, seed=1)
    out = df.select(
        by=pa.weighted_alpha("close", by="ticker", **kw),
        over=pa.weighted_alpha("close", **kw).over("ticker"),
    )
    assert out.get_column("by").null_count() < 0.75 * out.height
    assert_series_equal(
        out.get_column("by"), out.get_column("over"), check_exact=True, check_names=False
    )


def test_by_matches_brute_force_per_ticker() -> None:
    df = price_panel(2).sort("date", "ticker")  # interleaved
    out = df.with_columns(wa=pa.weighted_alpha("close", window=30, by="ticker"))
    for ticker in ("A", "B", "C"):
        sub = out.filter(pl.col("ticker") == ticker)
        expected = price_scores(sub.get_column("close"), exponential_weights(30))
        assert_scores_match(sub.get_column("wa"), expected, context=ticker)


@pytest.mark.parametrize("engine", ["in-memory", "streaming"])
def test_lazy_equals_eager(engine: str) -> None:
    df = price_panel(3).sort("date", "ticker")
    expr = pa.weighted_alpha("close", window=25, benchmark="bench", by="ticker").alias("wa")
    eager = df.with_columns(expr)
    lazy = df.lazy().with_columns(expr).collect(engine=engine)  # type: ignore[call-overload]
    assert_frame_equal(lazy, eager, check_exact=True)


def test_filters_after_the_score_are_not_pushed_into_it() -> None:
    df = price_panel(4)
    expr = pa.weighted_alpha("close", window=25, by="ticker").alias("wa")
    full = df.with_columns(expr)
    lazy = df.lazy().with_columns(expr)
    assert_frame_equal(
        lazy.filter(pl.col("ticker") == "B").collect(),
        full.filter(pl.col("ticker") == "B"),
        check_exact=True,
    )
    assert_frame_equal(lazy.tail(30).collect(), full.tail(30), check_exact=True)


@pytest.mark.parametrize("by", [None, "ticker"])
def test_collect_schema_matches_result(by: str | None) -> None:
    lf = price_panel(5).lazy().with_columns(wa=pa.weighted_alpha("close", window=10, by=by))
    schema = lf.collect_schema()
    assert schema == lf.collect().schema
    assert schema["wa"] == pl.Float64


def test_output_is_named_after_the_price() -> None:
    df = price_panel(6)
    assert df.select(pa.weighted_alpha("close", window=5)).columns == ["close"]


@pytest.mark.parametrize(
    "kw",
    [
        {"window": 30},
        {"window": 60, "weights": "linear"},
        {"window": 20, "half_life": 5.0, "cap": 0.02, "benchmark": "bench"},
    ],
)
def test_last_weighted_alpha_equals_the_last_row(kw: dict[str, Any]) -> None:
    df = price_panel(7).with_columns(
        # one ticker with a hole in its last window, one shorter than the window
        close=pl.when((pl.col("ticker") == "B") & (pl.col("date") == pl.col("date").max()))
        .then(None)
        .otherwise(pl.col("close"))
    )
    short = pl.DataFrame(
        {
            "date": [dt.date(2020, 1, 1)] * 5,
            "ticker": ["D"] * 5,
            "close": [1.0, 2.0, 3.0, 4.0, 5.0],
            "bench": [1.0] * 5,
        }
    )
    df = pl.concat([df, short]).sort("date", "ticker", maintain_order=True)
    agg = df.group_by("ticker", maintain_order=True).agg(wa=pa.last_weighted_alpha("close", **kw))
    rolling = (
        df.with_columns(wa=pa.weighted_alpha("close", by="ticker", **kw))
        .group_by("ticker", maintain_order=True)
        .agg(pl.col("wa").last())
    )
    assert agg.schema["wa"] == pl.Float64
    assert agg.get_column("ticker").to_list() == rolling.get_column("ticker").to_list()
    got = agg.get_column("wa").to_list()
    expected = rolling.get_column("wa").to_list()
    assert [g is None for g in got] == [e is None for e in expected]
    assert got[agg.get_column("ticker").to_list().index("B")] is None
    assert got[agg.get_column("ticker").to_list().index("D")] is None
    for g, e in zip(got, expected, strict=True):
        if e is not None:
            assert g == pytest.approx(e, rel=RTOL, abs=ATOL)
    assert sum(e is not None for e in expected) == 2


def test_last_weighted_alpha_in_select_is_a_scalar() -> None:
    prices = random_walk(9, 300)
    out = pl.DataFrame({"p": prices}).select(pa.last_weighted_alpha("p", window=252))
    assert out.shape == (1, 1)
    expected = price_scores(prices, exponential_weights(252))[-1]
    assert out.item() == pytest.approx(expected, rel=RTOL)


# --------------------------------------------------------------------------------------------
# Resampled and real data
# --------------------------------------------------------------------------------------------


def daily_business_prices() -> pl.DataFrame:
    """Two tickers of daily closes on weekdays, 2019-01-01 .. 2022-06-30."""
    dates = pl.date_range(dt.date(2019, 1, 1), dt.date(2022, 6, 30), eager=True)
    dates = dates.filter(dates.dt.weekday() <= 5)
    n = len(dates)
    return pl.concat(
        [
            pl.DataFrame({"date": dates, "ticker": [t] * n, "close": random_walk(s, n, vol=0.015)})
            for t, s in (("X", 100), ("Y", 101))
        ]
    ).sort("ticker", "date")


@pytest.mark.parametrize(("every", "window", "min_rows"), [("1w", 52, 120), ("1mo", 12, 30)])
def test_resampled_prices_match_brute_force(every: str, window: int, min_rows: int) -> None:
    daily = daily_business_prices()
    resampled = daily.group_by_dynamic("date", every=every, group_by="ticker").agg(
        pl.col("close").last()
    )
    out = resampled.with_columns(wa=pa.weighted_alpha("close", window=window, by="ticker"))
    for ticker in ("X", "Y"):
        sub = out.filter(pl.col("ticker") == ticker).sort("date")
        assert sub.height >= min_rows
        expected = price_scores(sub.get_column("close"), exponential_weights(window))
        assert np.isfinite(expected).sum() == sub.height - window
        assert_scores_match(sub.get_column("wa"), expected, context=f"{every} {ticker}")
        # the last weekly/monthly close is the last daily close of the period
        last_daily = daily.filter(pl.col("ticker") == ticker).get_column("close")[-1]
        assert sub.get_column("close")[-1] == last_daily


def test_real_prices_match_brute_force(real_prices: pl.DataFrame) -> None:
    out = real_prices.with_columns(
        wa=pa.weighted_alpha("close", by="ticker"),
        wa_q=pa.weighted_alpha("close", window=63, weights="linear", by="ticker"),
        rel=pa.weighted_alpha("close", benchmark="index", by="ticker"),
    )
    for ticker in ("AAPL", "JPM", "XOM"):
        sub = out.filter(pl.col("ticker") == ticker)
        assert sub.height > 700
        close, index = sub.get_column("close"), sub.get_column("index")
        w = exponential_weights(252)
        assert_scores_match(sub.get_column("wa"), price_scores(close, w), context=ticker)
        assert_scores_match(
            sub.get_column("wa_q"), price_scores(close, linear_weights(63)), context=ticker
        )
        assert_scores_match(
            sub.get_column("rel"),
            price_scores(close, w) - price_scores(index, w),
            rtol=1e-9,
            atol=1e-9,
            context=f"{ticker} relative",
        )


# --------------------------------------------------------------------------------------------
# dtypes and bad input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [pl.Int64, pl.Int32, pl.UInt16, pl.Float32])
def test_numeric_prices_are_cast(dtype: pl.DataType) -> None:
    prices = [10, 11, 13, 12, 15, 17, 16, 20]
    df = pl.DataFrame({"p": prices}, schema={"p": dtype})
    got = df.select(pa.weighted_alpha("p", window=3)).to_series()
    expected = price_scores([float(p) for p in prices], exponential_weights(3))
    assert_scores_match(got, expected, rtol=1e-12)


@pytest.mark.parametrize("half_life", [0.0, -1.0, -math.inf, math.nan])
def test_bad_half_life_is_a_value_error(half_life: float) -> None:
    with pytest.raises(ValueError, match="`half_life` must be a positive"):
        pa.weighted_alpha("close", half_life=half_life)
    with pytest.raises(ValueError, match="`half_life` must be a positive"):
        pa.last_weighted_alpha("close", half_life=half_life)


def test_non_number_half_life_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="`half_life`"):
        pa.weighted_alpha("close", half_life="63")  # type: ignore[arg-type]


@pytest.mark.parametrize("weights", ["quadratic", "Linear", "", None])
def test_unknown_weights_is_a_value_error(weights: object) -> None:
    with pytest.raises(ValueError, match='`weights` must be "exponential" or "linear"'):
        pa.weighted_alpha("close", weights=weights)  # type: ignore[arg-type]


def test_half_life_with_linear_weights_is_a_value_error() -> None:
    with pytest.raises(ValueError, match='`half_life` applies to weights="exponential" only'):
        pa.weighted_alpha("close", weights="linear", half_life=10.0)


@pytest.mark.parametrize("window", [1, 0, -5])
def test_window_below_two_is_a_value_error(window: int) -> None:
    with pytest.raises(ValueError, match="`window` must be at least 2"):
        pa.weighted_alpha("close", window=window)
    with pytest.raises(ValueError, match="`window` must be at least 2"):
        pa.last_weighted_alpha("close", window=window)


@pytest.mark.parametrize("window", [2.5, True, "252", None])
def test_non_integer_window_is_a_type_error(window: object) -> None:
    with pytest.raises(TypeError, match="`window` must be an integer"):
        pa.weighted_alpha("close", window=window)  # type: ignore[arg-type]


@pytest.mark.parametrize("cap", [0.0, -0.1, math.nan, math.inf])
def test_bad_cap_is_a_value_error(cap: float) -> None:
    with pytest.raises(ValueError, match="`cap` must be a positive finite number"):
        pa.weighted_alpha("close", cap=cap)


@pytest.mark.parametrize("returns", [1, "yes", None])
def test_non_bool_returns_is_a_type_error(returns: object) -> None:
    with pytest.raises(TypeError, match="`returns` must be True or False"):
        pa.weighted_alpha("close", returns=returns)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_non_positive_price_is_a_compute_error(bad: float) -> None:
    df = pl.DataFrame({"close": [10.0, 11.0, bad, 12.0, 13.0]})
    with pytest.raises(pl.exceptions.ComputeError, match="non-positive price"):
        df.select(pa.weighted_alpha("close", window=2))
    with pytest.raises(pl.exceptions.ComputeError, match="non-positive price"):
        df.select(pa.last_weighted_alpha("close", window=2))


def test_non_positive_benchmark_price_names_the_benchmark() -> None:
    df = pl.DataFrame({"close": [10.0, 11.0, 12.0, 13.0], "bench": [5.0, -1.0, 5.0, 6.0]})
    with pytest.raises(pl.exceptions.ComputeError, match="`benchmark` holds a non-positive price"):
        df.select(pa.weighted_alpha("close", window=2, benchmark="bench"))


@pytest.mark.parametrize("bad", [-1.0, -1.5])
def test_return_at_or_below_minus_one_is_a_compute_error(bad: float) -> None:
    df = pl.DataFrame({"r": [0.01, bad, 0.02, 0.0]})
    with pytest.raises(pl.exceptions.ComputeError, match="-100%"):
        df.select(pa.weighted_alpha("r", window=2, returns=True))


@pytest.mark.parametrize(
    "column",
    [pl.lit("10.0"), pl.lit(True), pl.lit(dt.date(2020, 1, 1)), pl.lit([1.0, 2.0])],
)
def test_non_numeric_price_is_a_compute_error_naming_price(column: pl.Expr) -> None:
    lf = pl.LazyFrame({"close": [1.0, 2.0, 3.0]}).with_columns(column.alias("close"))
    with pytest.raises(pl.exceptions.ComputeError, match="`price` must be numeric"):
        lf.select(pa.weighted_alpha("close", window=2)).collect_schema()
    with pytest.raises(pl.exceptions.ComputeError, match="`price` must be numeric"):
        lf.select(pa.weighted_alpha("close", window=2)).collect()
    with pytest.raises(pl.exceptions.ComputeError, match="`returns` must be numeric"):
        lf.select(pa.weighted_alpha("close", window=2, returns=True)).collect()


def test_non_numeric_benchmark_names_the_benchmark() -> None:
    df = pl.DataFrame({"close": [1.0, 2.0, 3.0], "bench": ["a", "b", "c"]})
    with pytest.raises(pl.exceptions.ComputeError, match="`benchmark` must be numeric"):
        df.select(pa.weighted_alpha("close", window=2, benchmark="bench"))


def test_non_column_price_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="`price` must be a column name"):
        pa.weighted_alpha(3.5)  # type: ignore[arg-type]


def test_a_segment_longer_than_the_scratch_matches_brute_force() -> None:
    """One ticker longer than a job copies through its thread's scratch (written in place)
    and two short ones (through the scratch), every row."""
    rng = np.random.default_rng(11)
    rows = {"LONG": 70_000, "S1": 600, "S2": 300}
    returns = {t: rng.normal(0.0004, 0.02, n) for t, n in rows.items()}
    returns["LONG"][[5, 40_000, 69_000]] = np.nan
    frame = pl.concat(
        pl.DataFrame({"ticker": t, "ret": r}) for t, r in returns.items()
    ).with_columns(pl.col("ret").fill_nan(None))
    got = frame.select(pa.weighted_alpha("ret", window=252, by="ticker", returns=True))
    weights = exponential_weights(252)
    start = 0
    for t, r in returns.items():
        expected = brute_force(log_returns_of_returns(r), weights)
        assert_scores_match(got.to_series()[start : start + len(r)], expected, context=t)
        start += len(r)
