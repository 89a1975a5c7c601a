"""history_needed: history's trailing rows plus the new rows give the new rows' results as a full
recompute, for every row-window expression; what no halo can reproduce raises.

The same nulls and counts, and floats equal to rounding: the kernels update running sums as rows
enter and leave, so where a series starts moves the last bits (relative differences of 1e-13
and below on this data)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import polars_alpha as pa

KEY = {"by": "ticker", "order_by": "date"}
CUT = dt.date(2021, 1, 1) + dt.timedelta(days=100)
# Rounding of running sums started at another row; a missing row of history moves results by
# far more (see test_one_row_less_of_history_changes_a_result).
TOLERANCE = {"check_exact": False, "rel_tol": 1e-10, "abs_tol": 1e-14}


def _panel(seed: int) -> pl.DataFrame:
    """Tickers of different lengths (one shorter than the windows), nulls and NaN in every
    input, prices with gaps, rows shuffled."""
    rng = np.random.default_rng(seed)
    frames = []
    for ticker, days in (("AAA", 120), ("BBB", 112), ("CCC", 15), ("DDD", 106)):
        start = dt.date(2021, 1, 1) + dt.timedelta(days=120 - days)
        n = days
        mkt = rng.normal(0.0005, 0.01, n)
        ret = 0.0002 + rng.uniform(0.5, 1.5) * mkt + rng.normal(0, 0.01, n)
        price = 100 * np.cumprod(1 + ret)
        frame = pl.DataFrame(
            {
                "ticker": [ticker] * n,
                "date": pl.date_range(start, start + dt.timedelta(days=n - 1), eager=True),
                "ret": ret,
                "mkt": mkt,
                "f2": rng.normal(0, 0.01, n),
                "rf": rng.uniform(0, 1e-4, n),
                "price": price,
                "bench": 50 * np.cumprod(1 + mkt),
            }
        )
        for column in ("ret", "mkt", "price", "bench"):
            holes = rng.random(n) < 0.06
            frame = frame.with_columns(
                pl.when(pl.Series(holes)).then(None).otherwise(pl.col(column)).alias(column)
            )
        frame = frame.with_columns(
            pl.when(pl.int_range(pl.len()) == 7).then(float("nan")).otherwise("ret").alias("ret")
        )
        frames.append(frame)
    panel = pl.concat(frames)
    return panel.sample(fraction=1.0, shuffle=True, seed=seed)


ROW_WINDOW_EXPRESSIONS: dict[str, Callable[[], pl.Expr]] = {
    "rolling_alpha_beta": lambda: pa.rolling_alpha_beta(
        "ret", "mkt", window=20, risk_free="rf", **KEY
    ),
    "rolling_alpha_beta_min_periods": lambda: pa.rolling_alpha_beta(
        "ret", "mkt", window=25, min_periods=5, **KEY
    ),
    "rolling_beta": lambda: pa.rolling_beta("ret", "mkt", window=12, **KEY),
    "rolling_alpha": lambda: pa.rolling_alpha(
        "ret", "mkt", window=30, min_periods=20, risk_free=1e-4, **KEY
    ),
    "rolling_factor_regression": lambda: pa.rolling_factor_regression(
        "ret", ["mkt", "f2"], window=22, **KEY
    ),
    "rolling_treynor_ratio": lambda: pa.rolling_treynor_ratio(
        "ret", "mkt", window=18, min_periods=12, **KEY
    ),
    "rolling_information_ratio": lambda: pa.rolling_information_ratio(
        "ret", "mkt", window=16, **KEY
    ),
    "rolling_correlation": lambda: pa.rolling_correlation("ret", "mkt", window=14, **KEY),
    "ewm_alpha_beta": lambda: pa.ewm_alpha_beta("ret", "mkt", window=30, half_life=8.0, **KEY),
    "weighted_alpha": lambda: pa.weighted_alpha("price", window=20, **KEY),
    "weighted_alpha_benchmark_linear": lambda: pa.weighted_alpha(
        "price", window=15, weights="linear", benchmark="bench", **KEY
    ),
    "weighted_alpha_returns": lambda: pa.weighted_alpha("ret", window=10, returns=True, **KEY),
    "rolling_sharpe_ratio": lambda: pa.rolling_sharpe_ratio(
        "ret", window=20, min_periods=10, risk_free="rf", **KEY
    ),
    "rolling_max_drawdown": lambda: pa.rolling_max_drawdown(
        "ret", window=20, min_periods=10, **KEY
    ),
    "rolling_up_capture": lambda: pa.rolling_up_capture(
        "ret", "mkt", window=20, min_periods=10, **KEY
    ),
    "rolling_downside_beta": lambda: pa.rolling_downside_beta(
        "ret", "mkt", window=20, min_periods=10, **KEY
    ),
    "residual_momentum": lambda: pa.residual_momentum(
        "ret", "mkt", fit_window=15, window=10, skip=2, min_periods=5, fit_min_periods=10, **KEY
    ),
    "momentum": lambda: pa.momentum("price", window=10, skip=2, **KEY),
    "rolling_dimson_beta": lambda: pa.rolling_dimson_beta(
        "ret", "mkt", lags=2, window=20, min_periods=10, **KEY
    ),
    "rolling_scholes_williams_beta": lambda: pa.rolling_scholes_williams_beta(
        "ret", "mkt", window=20, min_periods=10, **KEY
    ),
    # Polars' own functions, and one feeding another: their needs add up.
    "polars_rolling_mean": lambda: pl.col("ret").rolling_mean(7).over("ticker", order_by="date"),
    "beta_of_price_changes": lambda: pa.rolling_beta(
        pl.col("price").pct_change(2).over("ticker", order_by="date"),
        "mkt",
        window=12,
        min_periods=6,
        **KEY,
    ),
    "shifted_fit": lambda: (
        pa.rolling_alpha_beta("ret", "mkt", window=15, min_periods=10, **KEY)
        .struct.field("beta")
        .shift(3)
        .over("ticker", order_by="date")
    ),
}


def _update(panel: pl.DataFrame, expr: pl.Expr, halo: pl.DataFrame) -> tuple[pl.DataFrame, ...]:
    new = panel.filter(pl.col("date") >= CUT)
    full = panel.with_columns(expr.alias("out")).filter(pl.col("date") >= CUT)
    updated = pl.concat([halo, new]).with_columns(expr.alias("out"))
    updated = updated.filter(pl.col("date") >= CUT)
    return full.sort("ticker", "date"), updated.sort("ticker", "date")


@pytest.mark.parametrize("name", list(ROW_WINDOW_EXPRESSIONS))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_halo_plus_new_rows_equals_a_full_recompute(name: str, seed: int) -> None:
    panel = _panel(seed)
    expr = ROW_WINDOW_EXPRESSIONS[name]()
    history = panel.filter(pl.col("date") < CUT)
    halo = pa.history_needed(history, window=expr)
    full, updated = _update(panel, expr, halo)
    assert full.height > 0
    assert full["out"].null_count() < full.height  # the new rows have results to compare
    assert_frame_equal(updated, full, **TOLERANCE)
    assert halo.height < history.height


@pytest.mark.parametrize("name", list(ROW_WINDOW_EXPRESSIONS))
def test_one_row_less_of_history_changes_a_result(name: str) -> None:
    """The halo is the least that works: without each key's oldest halo row some new row's
    result differs on some panel (so the equality above can fail; a drawdown misses its
    oldest row only when the window's peak is there)."""
    expr = ROW_WINDOW_EXPRESSIONS[name]()
    differs = []
    for seed in (4, 5, 6, 7):
        panel = _panel(seed)
        history = panel.filter(pl.col("date") < CUT)
        halo = pa.history_needed(history, window=expr)
        shorter = halo.filter(pl.int_range(pl.len()).over("ticker") > 0)
        full, updated = _update(panel, expr, shorter)
        try:
            assert_frame_equal(updated, full, **TOLERANCE)
        except AssertionError:
            differs.append(seed)
    assert differs


def test_weighted_alpha_keeps_history_back_to_the_last_known_price() -> None:
    """A missing price at the halo's first row: its move lands on the next known price, which
    needs the last known price before it."""
    n, window = 40, 10
    price = list(100 + np.arange(n, dtype=float))
    cut = 30
    start = cut - window  # the halo's first row
    for k in (start, start - 1, start - 2):
        price[k] = None  # type: ignore[call-overload]
    panel = pl.DataFrame(
        {
            "ticker": ["A"] * n,
            "date": pl.date_range(dt.date(2021, 1, 1), dt.date(2021, 2, 9), eager=True),
            "price": price,
        }
    )
    expr = pa.weighted_alpha("price", window=window, **KEY)
    history = panel.head(cut)
    halo = pa.history_needed(history, window=expr)
    assert halo.height == window + 3
    assert halo["price"][0] == 100 + start - 3
    new = panel.tail(n - cut)
    full = panel.with_columns(out=expr).tail(n - cut)
    updated = pl.concat([halo, new]).with_columns(out=expr).tail(n - cut)
    assert_frame_equal(updated, full, **TOLERANCE)
    # Without the extension the first new row loses its score's oldest move.
    plain = pl.concat([history.tail(window), new]).with_columns(out=expr).tail(n - cut)
    with pytest.raises(AssertionError):
        assert_frame_equal(plain, full, **TOLERANCE)


def test_last_weighted_alpha_from_the_halo_equals_the_full_history() -> None:
    panel = _panel(5)
    expr = pa.last_weighted_alpha("price", window=20)
    history = panel.filter(pl.col("date") < CUT)
    halo = pa.history_needed(history, window=expr)
    new = panel.filter(pl.col("date") >= CUT)

    def last(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.sort("ticker", "date").group_by("ticker").agg(expr).sort("ticker")

    assert_frame_equal(last(pl.concat([halo, new])), last(panel), **TOLERANCE)


def test_an_integer_window_keeps_window_minus_one_rows_and_lazy_stays_lazy() -> None:
    panel = _panel(6)
    halo = pa.history_needed(panel.lazy(), window=5)
    assert isinstance(halo, pl.LazyFrame)
    out = halo.collect()
    assert out.columns == panel.columns
    expected = (
        panel.sort("ticker", "date").group_by("ticker", maintain_order=True).tail(4)
    ).select(panel.columns)
    assert_frame_equal(out, expected)


def test_several_expressions_keep_the_longest_need() -> None:
    panel = _panel(7)
    exprs = [
        pa.rolling_beta("ret", "mkt", window=5, **KEY),
        pa.rolling_beta("ret", "mkt", window=9, **KEY).alias("b9"),
    ]
    halo = pa.history_needed(panel, window=exprs)
    assert halo.group_by("ticker").len()["len"].max() == 8


@pytest.mark.parametrize(
    ("expr", "words"),
    [
        (pa.ewm_alpha_beta("ret", "mkt", window=None, **KEY), "exponentially weighted"),
        (pa.riskmetrics_alpha_beta("ret", "mkt", **KEY), "exponentially weighted"),
        (pa.rolling_alpha_beta("ret", "mkt", window=None, **KEY), "expanding"),
        (pa.rolling_beta("ret", "mkt", window="30d", **KEY), "date window"),
        (pa.alpha_beta("ret", "mkt").over("ticker"), "every row"),
        (pl.col("ret").cum_sum().over("ticker"), "every earlier row"),
        (pl.col("price").forward_fill().over("ticker"), "every earlier row"),
        (pl.col("ret").rolling_mean_by("date", "5d").over("ticker"), "every earlier row"),
        (pl.col("ret").rank().over("ticker"), "cannot tell"),
        (pl.col("ret").shift(pl.col("ret").len()).over("ticker"), "cannot tell"),
    ],
)
def test_what_no_halo_reproduces_raises_saying_why(expr: pl.Expr, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        pa.history_needed(_panel(8), window=expr)


@pytest.mark.parametrize(
    ("expr", "words"),
    [
        (pa.rolling_beta("ret", "mkt", window=5, by="date"), "by='date'"),
        (pa.rolling_beta("ret", "mkt", window=5).over("date"), r"over\('date'\)"),
    ],
)
def test_a_series_not_keyed_by_partition_by_raises(expr: pl.Expr, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        pa.history_needed(_panel(10), window=expr)


def test_over_the_key_is_read_like_by() -> None:
    panel = _panel(11)
    expr = pa.rolling_beta("ret", "mkt", window=6).over("ticker", order_by="date")
    halo = pa.history_needed(panel, window=expr)
    assert halo.group_by("ticker").len()["len"].to_list() == [5, 5, 5, 5]


def test_bad_arguments_name_themselves() -> None:
    panel = _panel(9)
    with pytest.raises(ValueError, match="`partition_by`='symbol'"):
        pa.history_needed(panel, window=5, partition_by="symbol")
    with pytest.raises(ValueError, match="`order_by`='day'"):
        pa.history_needed(panel, window=5, order_by="day")
    with pytest.raises(TypeError, match="`window`"):
        pa.history_needed(panel, window="5")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="window"):
        pa.history_needed(panel, window=0)
