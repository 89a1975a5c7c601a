"""Every public expression gives the same result under the streaming engine as in memory.

The frame is a parquet file of several tickers (interleaved by date, with nulls, NaN and gaps in
the risk-free rate), written in several row groups so the streaming engine reads it in parts. Each
per-row expression runs with ``by="ticker"``, with ``.over("ticker")`` and with Polars' per-group
``.alias(...).over("ticker")``, also followed by a
filter (which must not be pushed below a window computation); the one-value-per-group forms
run in ``group_by`` and ``group_by_dynamic``; the helpers run on the fits and across dates.
Results must be identical, bit for bit, under ``collect(engine="streaming")``, ``collect()``
and the eager API.

The streaming engine cannot split a window computation into morsels, so it runs our plugin
calls in one of its whole-column nodes or hands them to the in-memory engine: the tests read
the streaming physical plan and assert which, so a change in how Polars runs them is noticed
rather than silently assumed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import polars_alpha as pa

TICKERS = ("AAA", "BBB", "CCC", "DDD")
DAYS = 25_000  # 100,000 rows, read in 5 row groups


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(20240607)
    n = len(TICKERS) * DAYS
    day = np.repeat(np.arange(DAYS), len(TICKERS))
    mkt_by_day = rng.normal(3e-4, 0.01, DAYS)
    mkt = mkt_by_day[day]
    beta = np.tile(np.array([0.6, 0.9, 1.2, 1.5]), DAYS)
    ret = 1e-4 + beta * mkt + rng.normal(0.0, 0.01, n)
    ret[rng.random(n) < 0.02] = np.nan  # missing returns (NaN)
    smb = rng.normal(0.0, 0.005, DAYS)[day]
    rf_by_day = np.where(rng.random(DAYS) < 0.03, np.nan, 1e-4)  # a few days without a rate
    frame = pl.DataFrame(
        {
            "day": pl.Series(day, dtype=pl.Int32).cast(pl.Date),
            "ticker": np.tile(np.array(TICKERS), DAYS),
            "ret": ret,
            "mkt": mkt,
            "smb": smb,
            "rf": rf_by_day[day],
        }
    ).with_columns(
        pl.col("rf").fill_nan(None),
        pl.when(pl.int_range(pl.len()) % 997 == 5).then(None).otherwise(pl.col("ret")).alias("ret"),
    )
    frame = frame.with_columns(
        price=(100.0 * (1.0 + pl.col("ret").fill_nan(0.0).fill_null(0.0)).cum_prod()).over(
            "ticker"
        ),
        bench=(100.0 * (1.0 + pl.col("mkt")).cum_prod()).over("ticker"),
    ).with_columns(
        pl.when(pl.int_range(pl.len()) % 1499 == 7).then(None).otherwise("price").alias("price")
    )
    path = tmp_path_factory.mktemp("streaming") / "panel.parquet"
    frame.write_parquet(path, row_group_size=20_000)
    return path


# Per-row expressions: each takes `by` (a key column name or None).
PER_ROW: dict[str, Callable[[str | None], pl.Expr]] = {
    "rolling_alpha_beta": lambda by: pa.rolling_alpha_beta(
        "ret", "mkt", window=63, min_periods=40, risk_free="rf", by=by
    ),
    "rolling_alpha_beta(order_by=)": lambda by: pa.rolling_alpha_beta(
        "ret", "mkt", window="90d", order_by="day", min_periods=40, by=by
    ),
    "rolling_beta": lambda by: pa.rolling_beta("ret", "mkt", window=21, by=by),
    "rolling_alpha": lambda by: pa.rolling_alpha("ret", "mkt", window=None, risk_free=1e-4, by=by),
    "rolling_factor_regression": lambda by: pa.rolling_factor_regression(
        "ret", ["mkt", "smb"], window=63, min_periods=50, risk_free="rf", by=by
    ),
    "rolling_treynor_ratio": lambda by: pa.rolling_treynor_ratio(
        "ret", "mkt", window=126, min_periods=100, risk_free="rf", by=by
    ),
    "rolling_information_ratio": lambda by: pa.rolling_information_ratio(
        "ret", "mkt", window=126, min_periods=100, by=by
    ),
    "rolling_correlation": lambda by: pa.rolling_correlation(
        "ret", "mkt", window=63, min_periods=50, by=by
    ),
    "ewm_alpha_beta": lambda by: pa.ewm_alpha_beta(
        "ret", "mkt", half_life=21.0, window=126, min_periods=60, risk_free="rf", by=by
    ),
    "riskmetrics_alpha_beta": lambda by: pa.riskmetrics_alpha_beta(
        "ret", "mkt", zero_mean=True, by=by
    ),
    "weighted_alpha": lambda by: pa.weighted_alpha("price", window=63, benchmark="bench", by=by),
    "rolling_sharpe_ratio": lambda by: pa.rolling_sharpe_ratio(
        "ret", window=63, min_periods=40, risk_free="rf", by=by
    ),
    "rolling_sortino_ratio": lambda by: pa.rolling_sortino_ratio(
        "ret", window=63, min_periods=40, by=by
    ),
    "rolling_tracking_error": lambda by: pa.rolling_tracking_error(
        "ret", "mkt", window=63, min_periods=40, by=by
    ),
    "rolling_up_market_alpha_beta": lambda by: pa.rolling_up_market_alpha_beta(
        "ret", "mkt", window=63, min_periods=40, risk_free="rf", by=by
    ),
    "rolling_down_market_alpha_beta": lambda by: pa.rolling_down_market_alpha_beta(
        "ret", "mkt", window=63, min_periods=40, by=by
    ),
    "rolling_downside_beta": lambda by: pa.rolling_downside_beta(
        "ret", "mkt", window=63, min_periods=40, by=by
    ),
    "rolling_up_capture": lambda by: pa.rolling_up_capture(
        "ret", "mkt", window=63, min_periods=40, by=by
    ),
    "rolling_down_capture": lambda by: pa.rolling_down_capture(
        "ret", "mkt", window=63, min_periods=40, by=by
    ),
    "rolling_up_down_capture": lambda by: pa.rolling_up_down_capture(
        "ret", "mkt", window=63, min_periods=40, by=by
    ),
    "rolling_max_drawdown": lambda by: pa.rolling_max_drawdown(
        "ret", window=63, min_periods=40, by=by
    ),
    "rolling_annual_return": lambda by: pa.rolling_annual_return(
        "ret", window=63, min_periods=40, by=by
    ),
    "rolling_calmar_ratio": lambda by: pa.rolling_calmar_ratio(
        "ret", window=63, min_periods=40, by=by
    ),
    "rolling_dimson_beta": lambda by: pa.rolling_dimson_beta(
        "ret", "mkt", lags=2, window=63, min_periods=40, risk_free="rf", by=by
    ),
    "rolling_scholes_williams_beta": lambda by: pa.rolling_scholes_williams_beta(
        "ret", "mkt", window=63, min_periods=40, by=by
    ),
    "residual_momentum": lambda by: pa.residual_momentum(
        "ret",
        "mkt",
        fit_window=63,
        fit_min_periods=40,
        window=42,
        skip=5,
        min_periods=20,
        by=by,
    ),
}

# Per-row expressions composed of Polars' own (no plugin call): the same checks but the plan's.
POLARS_PER_ROW: dict[str, Callable[[str | None], pl.Expr]] = {
    "momentum": lambda by: pa.momentum("price", window=63, skip=5, by=by),
    "forward_return": lambda by: pa.forward_return("price", 5, by=by),
}

# One value per group, for group_by("ticker").agg(...).
PER_GROUP: dict[str, pl.Expr] = {
    "alpha_beta": pa.alpha_beta("ret", "mkt", risk_free="rf"),
    "factor_regression": pa.factor_regression("ret", ["mkt", "smb"], risk_free="rf"),
    "treynor_ratio": pa.treynor_ratio("ret", "mkt", risk_free="rf"),
    "information_ratio": pa.information_ratio("ret", "mkt"),
    "last_weighted_alpha": pa.last_weighted_alpha("bench", window=252),
    "sharpe_ratio": pa.sharpe_ratio("ret", risk_free="rf"),
    "sortino_ratio": pa.sortino_ratio("ret"),
    "tracking_error": pa.tracking_error("ret", "mkt"),
    "up_market_alpha_beta": pa.up_market_alpha_beta("ret", "mkt", risk_free="rf"),
    "down_market_alpha_beta": pa.down_market_alpha_beta("ret", "mkt"),
    "downside_beta": pa.downside_beta("ret", "mkt"),
    "up_capture": pa.up_capture("ret", "mkt"),
    "down_capture": pa.down_capture("ret", "mkt"),
    "up_down_capture": pa.up_down_capture("ret", "mkt"),
    "max_drawdown": pa.max_drawdown("ret"),
    "annual_return": pa.annual_return("ret"),
    "calmar_ratio": pa.calmar_ratio("ret"),
    "dimson_beta": pa.dimson_beta("ret", "mkt", lags=2, risk_free="rf"),
    "scholes_williams_beta": pa.scholes_williams_beta("ret", "mkt"),
    "information_coefficient": pa.information_coefficient("ret", "mkt"),
}

_FIT = pa.rolling_alpha_beta("ret", "mkt", window=63, min_periods=40, by="ticker")
# The plain-Polars helpers, on the fits of every row and across tickers on each date.
HELPERS: dict[str, pl.Expr] = {
    "annualize_alpha": pa.annualize_alpha(_FIT.struct.field("alpha")),
    "annualize_volatility": pa.annualize_volatility(_FIT.struct.field("resid_std")),
    "blume_beta": pa.blume_beta(_FIT.struct.field("beta")),
    "appraisal_ratio": pa.appraisal_ratio(
        _FIT.struct.field("alpha"), _FIT.struct.field("resid_std")
    ),
    "vasicek_beta": pa.vasicek_beta("beta", "beta_se").over("day"),
    "cross_sectional_rank": pa.cross_sectional_rank("beta", pct=True).over("day"),
    "cross_sectional_zscore": pa.cross_sectional_zscore("beta", winsorize=0.25).over("day"),
}
NOT_EXPRESSIONS = {
    "RISKMETRICS_HALF_LIFE",
    "__version__",
    "datasets",
    "returns_panel",
    "screen",  # a frame function: checked below with a lazy frame
    # Frame functions and their results, which collect their input.
    "signal_report",
    "SignalReport",
    "strategy_report",
    "StrategyReport",
    "history_needed",
    "newey_west_t",  # a number from an array
}


def test_every_public_expression_is_covered() -> None:
    names = {name.split("(")[0] for name in (*PER_ROW, *POLARS_PER_ROW, *PER_GROUP, *HELPERS)}
    assert names | NOT_EXPRESSIONS == set(pa.__all__)


def plugin_nodes(lf: pl.LazyFrame) -> set[tuple[str, str]]:
    """(node kind, engine) of each node of the streaming physical plan that calls the plugin:
    engine is "streaming", "streaming, whole column" or "in-memory fallback"."""
    graph = lf.show_graph(engine="streaming", plan_stage="physical", raw_output=True)
    assert graph is not None
    colours = {"0.0 0.3 1.0": "in-memory fallback", "0.16 0.3 1.0": "streaming, whole column"}
    found = set()
    for match in re.finditer(
        r'^\d+ \[label="(.*?)"(?:,style=filled,fillcolor="([0-9. ]+)")?\];$', graph, re.M
    ):
        label, colour = match.groups()
        if "_internal" in label:
            kind = re.split(r"[\[\\]", label, maxsplit=1)[0]
            found.add((kind, colours.get(colour or "", "streaming")))
    return found


def _collect_both(lf: pl.LazyFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    return lf.collect(), lf.collect(engine="streaming")


# How the streaming engine runs each form (Polars 2.x): a plugin that is not elementwise runs
# once on the whole column (by=), inside the streaming window node (.over), or the whole
# aggregation falls back to the in-memory engine (group_by).
BY_NODES = {("columnar-function", "in-memory fallback")}
OVER_NODES = {("window", "streaming, whole column")}
AGG_NODES = {("in-memory-map", "in-memory fallback")}


@pytest.mark.parametrize("name", list(PER_ROW))
def test_per_row_expressions(source: Path, name: str) -> None:
    make = PER_ROW[name]
    eager = pl.read_parquet(source)
    lf = pl.scan_parquet(source)
    over = make(None).over("ticker")
    # `.over(key)` on plain columns runs as `by=key`; a literal input (Sortino's required
    # return) keeps Polars' `.over`, as does `.alias(...)` before it.
    forms = {
        "by": (lf.with_columns(out=make("ticker")), BY_NODES),
        "over": (lf.with_columns(out=over), OVER_NODES if ".over(" in str(over) else BY_NODES),
        "per group": (
            lf.with_columns(out=make(None).alias("out").over("ticker")),
            OVER_NODES,
        ),
    }
    results = {}
    for form, (query, nodes) in forms.items():
        found = plugin_nodes(query)
        # A literal input (Sortino's required return) adds a streaming select feeding the call.
        assert nodes <= found, form
        assert all(engine == "streaming" for _, engine in found - nodes), (form, found)
        in_memory, streaming = _collect_both(query)
        assert in_memory.height == eager.height
        assert_frame_equal(streaming, in_memory, check_exact=True)
        results[form] = in_memory
    # by=, .over and Polars' per-group .over agree, and with the eager API.
    assert_frame_equal(results["by"], results["over"], check_exact=True)
    assert_frame_equal(results["by"], results["per group"], check_exact=True)
    assert_frame_equal(eager.with_columns(out=make("ticker")), results["by"], check_exact=True)
    # Not vacuous: most rows have a value.
    values = results["by"].get_column("out")
    if values.dtype == pl.Struct:
        values = values.struct.field(values.struct.fields[1])
    assert values.is_not_null().mean() > 0.5  # type: ignore[operator]

    # A filter after the window must not be pushed below it (nor a slice).
    late = pl.col("day") >= pl.date(2030, 1, 1)
    filtered = lf.with_columns(out=make("ticker")).filter(late, pl.col("ticker") != "BBB")
    in_memory, streaming = _collect_both(filtered)
    expected = results["by"].filter(late, pl.col("ticker") != "BBB")
    assert expected.height > 1000
    assert_frame_equal(in_memory, expected, check_exact=True)
    assert_frame_equal(streaming, expected, check_exact=True)
    tail = lf.with_columns(out=make(None).over("ticker")).tail(500)
    for got in _collect_both(tail):
        assert_frame_equal(got, results["over"].tail(500), check_exact=True)


@pytest.mark.parametrize("name", list(POLARS_PER_ROW))
def test_per_row_polars_expressions(source: Path, name: str) -> None:
    make = POLARS_PER_ROW[name]
    lf = pl.scan_parquet(source)
    by = lf.with_columns(out=make("ticker"))
    over = lf.with_columns(out=make(None).over("ticker"))
    results = []
    for query in (by, over):
        in_memory, streaming = _collect_both(query)
        assert_frame_equal(streaming, in_memory, check_exact=True)
        results.append(in_memory)
    assert_frame_equal(results[0], results[1], check_exact=True)
    eager = pl.read_parquet(source).with_columns(out=make("ticker"))
    assert_frame_equal(eager, results[0], check_exact=True)
    assert results[0].get_column("out").is_not_null().mean() > 0.5  # type: ignore[operator]


@pytest.mark.parametrize("name", list(PER_GROUP))
def test_per_group_expressions(source: Path, name: str) -> None:
    expr = PER_GROUP[name].alias("out")
    lf = pl.scan_parquet(source)
    grouped = lf.group_by("ticker").agg(expr).sort("ticker")
    assert plugin_nodes(grouped) == AGG_NODES
    in_memory, streaming = _collect_both(grouped)
    assert_frame_equal(streaming, in_memory, check_exact=True)
    assert in_memory.height == len(TICKERS)
    # Monthly, per ticker (group_by_dynamic needs the dates sorted within each ticker).
    monthly = (
        lf.group_by_dynamic("day", every="1mo", group_by="ticker").agg(expr).sort("ticker", "day")
    )
    in_memory, streaming = _collect_both(monthly)
    assert_frame_equal(streaming, in_memory, check_exact=True)
    eager = (
        pl.read_parquet(source)
        .group_by_dynamic("day", every="1mo", group_by="ticker")
        .agg(expr)
        .sort("ticker", "day")
    )
    assert_frame_equal(in_memory, eager, check_exact=True)
    assert in_memory.height > 1000


@pytest.mark.parametrize("name", list(HELPERS))
def test_helpers(source: Path, name: str) -> None:
    lf = pl.scan_parquet(source).with_columns(_FIT.struct.unnest())
    query = lf.with_columns(out=HELPERS[name])
    in_memory, streaming = _collect_both(query)
    assert_frame_equal(streaming, in_memory, check_exact=True)
    assert in_memory.get_column("out").is_not_null().sum() > 50_000


def test_screen_of_a_lazy_frame(source: Path) -> None:
    lf = pl.scan_parquet(source).filter(pl.col("ticker") != "DDD")
    prices = lf.select("day", "ticker", "price")
    bench = lf.filter(pl.col("ticker") == "AAA").select("day", "bench")
    query = pa.screen(prices, benchmark=bench, date="day", window=126, as_of=dt.date(2030, 1, 1))
    in_memory, streaming = _collect_both(query)
    assert in_memory.height == 3
    assert_frame_equal(streaming, in_memory, check_exact=True)


@st.composite
def small_panels(draw: st.DrawFn) -> tuple[pl.DataFrame, int, int]:
    """A few tickers of random lengths, interleaved at random, with nulls, NaN and null keys."""
    n = draw(st.integers(0, 120))
    keys = draw(st.lists(st.sampled_from(["A", "B", "C", None]), min_size=n, max_size=n))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    mkt = rng.normal(0.0, 0.01, n)
    ret = 0.5 * mkt + rng.normal(0.0, 0.01, n)
    ret[rng.random(n) < 0.1] = np.nan
    frame = pl.DataFrame(
        {"key": pl.Series(keys, dtype=pl.String), "ret": ret, "mkt": mkt}
    ).with_columns(
        pl.when(pl.int_range(pl.len()) % 7 == 3).then(None).otherwise(pl.col("mkt")).alias("mkt")
    )
    window = draw(st.integers(2, 12))
    min_periods = draw(st.integers(2, window))
    return frame, window, min_periods


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=small_panels())
def test_random_panels_stream_like_memory(case: tuple[pl.DataFrame, int, int]) -> None:
    frame, window, min_periods = case
    by = pa.rolling_alpha_beta("ret", "mkt", window=window, min_periods=min_periods, by="key")
    over = pa.rolling_alpha_beta("ret", "mkt", window=window, min_periods=min_periods)
    ewm = pa.ewm_alpha_beta("ret", "mkt", half_life=3.0, window=window, min_periods=min_periods)
    lf = frame.lazy().with_columns(by=by, over=over.over("key"), ewm=ewm.over("key"))
    in_memory, streaming = _collect_both(lf)
    assert_frame_equal(streaming, in_memory, check_exact=True)
    assert_frame_equal(
        in_memory.select(pl.col("by").alias("fit")),
        in_memory.select(pl.col("over").alias("fit")),
        check_exact=True,
    )
    groups = lf.group_by("key").agg(pa.alpha_beta("ret", "mkt").alias("fit")).sort("key")
    in_memory, streaming = _collect_both(groups)
    assert_frame_equal(streaming, in_memory, check_exact=True)
