"""Strategy measures, one value per group: Sharpe, Sortino, tracking error, up/down-market
alpha and beta, downside beta, capture ratios, max drawdown, annual return and Calmar.

Oracles: empyrical-reloaded on each group's usable rows (the rows empyrical is given are
those our null rule keeps), and direct NumPy for tracking error and downside beta.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import polars_alpha as pa

empyrical = pytest.importorskip("empyrical")

P = 252.0


def close(got: float | None, want: float | None, rel: float = 1e-9) -> bool:
    if want is None or not math.isfinite(want):
        return got is None
    return got is not None and math.isclose(got, want, rel_tol=rel, abs_tol=1e-12)


def np_tracking_error(r: np.ndarray, b: np.ndarray, periods: float = P) -> float:
    return float(np.std(r - b, ddof=1) * math.sqrt(periods)) if len(r) >= 2 else math.nan


def np_downside_beta(r: np.ndarray, m: np.ndarray, threshold: float | None = None) -> float:
    cut = m.mean() if threshold is None else threshold
    below = m < cut
    x, y = m[below], r[below]
    if len(x) < 2 or np.ptp(x) == 0:
        return math.nan
    return float(np.cov(x, y, ddof=1)[0, 1] / np.var(x, ddof=1))


def compound(alpha: float) -> float:
    return (1 + alpha) ** P - 1


#: (our expression, oracle on the usable rows' arrays r, m, rf)
SCALARS: dict[str, tuple[Callable[[], pl.Expr], Callable[..., float]]] = {
    "sharpe": (
        lambda: pa.sharpe_ratio("ret", risk_free="rf"),
        lambda r, m, rf: empyrical.sharpe_ratio(r, risk_free=rf),
    ),
    "sharpe_const": (
        lambda: pa.sharpe_ratio("ret", risk_free=1e-4),
        lambda r, m, rf: empyrical.sharpe_ratio(r, risk_free=1e-4),
    ),
    "sortino": (
        lambda: pa.sortino_ratio("ret", required_return=2e-4),
        lambda r, m, rf: empyrical.sortino_ratio(r, required_return=2e-4),
    ),
    "tracking_error": (
        lambda: pa.tracking_error("ret", "market"),
        lambda r, m, rf: np_tracking_error(r, m),
    ),
    "downside_beta": (
        lambda: pa.downside_beta("ret", "market"),
        lambda r, m, rf: np_downside_beta(r, m),
    ),
    "downside_beta_zero": (
        lambda: pa.downside_beta("ret", "market", threshold=0.0),
        lambda r, m, rf: np_downside_beta(r, m, 0.0),
    ),
    "up_capture": (
        lambda: pa.up_capture("ret", "market"),
        lambda r, m, rf: empyrical.up_capture(r, m),
    ),
    "down_capture": (
        lambda: pa.down_capture("ret", "market"),
        lambda r, m, rf: empyrical.down_capture(r, m),
    ),
    "up_down_capture": (
        lambda: pa.up_down_capture("ret", "market"),
        lambda r, m, rf: empyrical.up_down_capture(r, m),
    ),
    "max_drawdown": (
        lambda: pa.max_drawdown("ret"),
        lambda r, m, rf: empyrical.max_drawdown(r),
    ),
    "annual_return": (
        lambda: pa.annual_return("ret"),
        lambda r, m, rf: empyrical.annual_return(r),
    ),
    "calmar": (
        lambda: pa.calmar_ratio("ret"),
        lambda r, m, rf: empyrical.calmar_ratio(r),
    ),
}

#: Which columns decide whether a row is usable for each measure.
USES = {
    "sharpe": ("ret", "rf"),
    "sharpe_const": ("ret",),
    "sortino": ("ret",),
    "max_drawdown": ("ret",),
    "annual_return": ("ret",),
    "calmar": ("ret",),
}


def usable_rows(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    columns = USES.get(name, ("ret", "market"))
    keep = pl.all_horizontal(pl.col(c).is_finite().fill_null(False) for c in columns)
    return frame.filter(keep)


def arrays(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tuple(frame.get_column(c).to_numpy().astype(float) for c in ("ret", "market", "rf"))


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    return pa.datasets.load_sp500_sample().returns()


def random_frame(seed: int, n: int = 400, tickers: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    for i in range(tickers):
        mkt = rng.normal(0.0004, 0.01, n)
        ret = 0.0001 * i + (0.8 + 0.2 * i) * mkt + rng.normal(0, 0.007, n)
        rf = 1e-4 + rng.uniform(0, 2e-5, n)
        ret[rng.random(n) < 0.05] = np.nan
        mkt[rng.random(n) < 0.03] = np.inf
        frame = pl.DataFrame({"ticker": f"T{i}", "ret": ret, "market": mkt, "rf": rf})
        # Nulls as well as NaN and inf.
        frame = frame.with_columns(
            ret=pl.when(pl.int_range(pl.len()) % 17 == 3).then(None).otherwise(pl.col("ret")),
            rf=pl.when(pl.int_range(pl.len()) % 23 == 5).then(None).otherwise(pl.col("rf")),
        )
        parts.append(frame)
    return pl.concat(parts)


def check_groups(frame: pl.DataFrame, name: str, rel: float = 1e-9) -> int:
    ours, oracle = SCALARS[name]
    got = frame.group_by("ticker", maintain_order=True).agg(value=ours())
    checked = 0
    for ticker, value in got.iter_rows():
        rows = usable_rows(frame.filter(pl.col("ticker") == ticker), name)
        want = float(oracle(*arrays(rows)))
        assert close(value, want, rel), (name, ticker, value, want)
        checked += value is not None
    return checked


@pytest.mark.parametrize("name", sorted(SCALARS))
def test_real_data_matches_oracle(sample: pl.DataFrame, name: str) -> None:
    assert check_groups(sample, name) >= 19


@pytest.mark.parametrize("name", sorted(SCALARS))
@pytest.mark.parametrize("seed", [1, 2])
def test_random_data_with_nulls_matches_oracle(name: str, seed: int) -> None:
    assert check_groups(random_frame(seed), name) == 3


@pytest.mark.parametrize("up", [True, False])
def test_market_alpha_beta_matches_empyrical(sample: pl.DataFrame, up: bool) -> None:
    function = pa.up_market_alpha_beta if up else pa.down_market_alpha_beta
    oracle = empyrical.up_alpha_beta if up else empyrical.down_alpha_beta
    got = sample.group_by("ticker", maintain_order=True).agg(
        const=function("ret", "market", risk_free=1e-4),
        column=function("ret", "market", risk_free="rf"),
    )
    for ticker, const, column in got.iter_rows():
        rows = usable_rows(sample.filter(pl.col("ticker") == ticker), "tracking_error")
        r, m, _ = arrays(rows)
        want_alpha, want_beta = oracle(r, m, risk_free=1e-4)
        assert math.isclose(const["beta"], want_beta, rel_tol=1e-9), ticker
        assert math.isclose(compound(const["alpha"]), want_alpha, rel_tol=1e-8), ticker
        side = (m > 0) if up else (m < 0)
        assert const["n"] == int(side.sum())
        # With a rate column the oracle is the OLS fit of the excess returns on the side's
        # rows: empyrical's up/down filter leaves a risk-free array unfiltered, and its beta
        # does not subtract the rate.
        rows = rows.filter(pl.col("rf").is_finite())
        r, m, rf = arrays(rows)
        side = (m > 0) if up else (m < 0)
        want_beta, want_alpha = np.polyfit(m[side] - rf[side], r[side] - rf[side], 1)
        assert math.isclose(column["beta"], want_beta, rel_tol=1e-9), ticker
        assert math.isclose(column["alpha"], want_alpha, rel_tol=1e-7), ticker


def test_market_alpha_beta_is_alpha_beta_on_the_side() -> None:
    frame = random_frame(5)
    side = pl.col("market") > 0
    got = frame.group_by("ticker", maintain_order=True).agg(
        a=pa.up_market_alpha_beta("ret", "market", risk_free="rf"),
        b=pa.alpha_beta(pl.when(side).then("ret"), pl.when(side).then("market"), risk_free="rf"),
    )
    assert got.get_column("a").to_list() == got.get_column("b").to_list()


def test_group_by_dynamic_monthly(sample: pl.DataFrame) -> None:
    one = sample.filter(pl.col("ticker") == "AAPL", pl.col("date").dt.year() == 2010)
    got = one.group_by_dynamic("date", every="1mo").agg(
        sharpe=pa.sharpe_ratio("ret"),
        up=pa.up_capture("ret", "market"),
        dd=pa.max_drawdown("ret"),
    )
    assert got.height == 12
    for start, sharpe, up, dd in got.iter_rows():
        month = one.filter(pl.col("date").dt.truncate("1mo") == start)
        r, m, _ = arrays(month)
        assert close(sharpe, empyrical.sharpe_ratio(r))
        assert close(up, empyrical.up_capture(r, m))
        assert close(dd, empyrical.max_drawdown(r))


def test_lazy_equals_eager_and_schema() -> None:
    frame = random_frame(3)
    exprs = {
        "sharpe": pa.sharpe_ratio("ret", risk_free="rf"),
        "sortino": pa.sortino_ratio("ret"),
        "te": pa.tracking_error("ret", "market"),
        "up": pa.up_market_alpha_beta("ret", "market"),
        "down": pa.down_market_alpha_beta("ret", "market"),
        "dbeta": pa.downside_beta("ret", "market"),
        "upc": pa.up_capture("ret", "market"),
        "downc": pa.down_capture("ret", "market"),
        "udc": pa.up_down_capture("ret", "market"),
        "mdd": pa.max_drawdown("ret"),
        "ann": pa.annual_return("ret"),
        "calmar": pa.calmar_ratio("ret"),
    }
    query = frame.lazy().group_by("ticker", maintain_order=True).agg(**exprs)
    eager = frame.group_by("ticker", maintain_order=True).agg(**exprs)
    assert_frame_equal(query.collect(), eager, check_exact=True)
    schema = query.collect_schema()
    assert schema == eager.schema
    for name in exprs:
        if name in ("up", "down"):
            assert isinstance(schema[name], pl.Struct)
            assert [f.name for f in schema[name].fields][:2] == ["alpha", "beta"]
        else:
            assert schema[name] == pl.Float64, name


def test_expressions_and_names() -> None:
    frame = random_frame(4).filter(pl.col("ticker") == "T0")
    a = frame.select(pa.sharpe_ratio(pl.col("ret") * 2, risk_free=pl.col("rf") * 2)).item()
    b = frame.select(pa.sharpe_ratio("ret", risk_free="rf")).item()
    assert math.isclose(a, b, rel_tol=1e-12)
    out = frame.select(pa.tracking_error("ret", "market"), pa.annual_return("market"))
    assert out.columns == ["ret", "market"]


def one(values: dict[str, list[Any]], expr: pl.Expr) -> Any:
    return pl.DataFrame(values, schema={k: pl.Float64 for k in values}).select(expr).item()


def test_degenerate_inputs_are_null() -> None:
    const = {"ret": [0.01] * 6, "market": [0.01, -0.02, 0.03, -0.01, 0.02, 0.01]}
    up_only = {"ret": [0.01, 0.02, 0.0, 0.03], "market": [0.01, 0.02, 0.005, 0.01]}
    assert one(const, pa.sharpe_ratio("ret")) is None
    # A constant series whose mean is not exactly representable: rounding noise in std.
    assert one({"ret": [0.1 + 0.2] * 7}, pa.sharpe_ratio("ret")) is None
    assert one(const, pa.sortino_ratio("ret")) is None  # no downside
    assert one(const, pa.tracking_error("ret", "ret")) == 0.0
    assert one(const, pa.max_drawdown("ret")) == 0.0
    assert one(const, pa.calmar_ratio("ret")) is None  # no drawdown
    assert one(up_only, pa.down_capture("ret", "market")) is None
    assert one(up_only, pa.up_down_capture("ret", "market")) is None
    assert one(up_only, pa.up_capture("ret", "market")) is not None
    fit = one(up_only, pa.down_market_alpha_beta("ret", "market"))
    assert fit["beta"] is None and fit["alpha"] is None
    assert one(up_only, pa.downside_beta("ret", "market", threshold=0.0)) is None
    # Too few usable rows.
    short = {"ret": [0.01, None, math.nan], "market": [0.01, 0.02, 0.03]}
    for expr in (
        pa.sharpe_ratio("ret"),
        pa.annual_return("ret"),
        pa.max_drawdown("ret"),
        pa.up_capture("ret", "market"),
    ):
        assert one(short, expr) is None
    assert one(short, pa.up_market_alpha_beta("ret", "market")) is None
    # A return of -100% wipes the wealth out: drawdown -1, annual return -1.
    wiped = {"ret": [0.1, -1.0, 0.2]}
    assert one(wiped, pa.max_drawdown("ret")) == -1.0
    assert one(wiped, pa.annual_return("ret")) == -1.0
    # Below -100% the product is negative and has no real root.
    assert one({"ret": [0.1, -1.5, 0.2, 0.0, 0.01]}, pa.annual_return("ret")) is None
    # min_periods counts the usable rows.
    values = {"ret": [0.01, -0.02, 0.03, None], "market": [0.0] * 4}
    assert one(values, pa.sharpe_ratio("ret", min_periods=3)) is not None
    assert one(values, pa.sharpe_ratio("ret", min_periods=4)) is None


def test_max_drawdown_pinned() -> None:
    # Wealth 1.1, 1.045, 0.9405, 1.1286, 1.106: the peak 1.1 falls to 0.9405.
    values = {"ret": [0.10, -0.05, -0.10, 0.20, -0.02]}
    assert math.isclose(one(values, pa.max_drawdown("ret")), 0.9405 / 1.1 - 1, rel_tol=1e-12)
    # The start counts as a peak: a first-day loss is a drawdown.
    assert math.isclose(one({"ret": [-0.1, 0.05]}, pa.max_drawdown("ret")), -0.1)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: pa.sharpe_ratio("r", periods_per_year=0), "periods_per_year"),
        (lambda: pa.sharpe_ratio("r", min_periods=1), "min_periods"),
        (lambda: pa.sharpe_ratio("r", risk_free=4.5), "risk_free"),
        (lambda: pa.sortino_ratio("r", required_return=None), "required_return"),
        (lambda: pa.sortino_ratio("r", required_return=math.nan), "required_return"),
        (lambda: pa.downside_beta("r", "m", threshold="median"), "threshold"),
        (lambda: pa.downside_beta("r", "m", threshold=math.inf), "threshold"),
        (lambda: pa.up_capture("r", 3), "market"),
        (lambda: pa.max_drawdown("r", min_periods=2.5), "min_periods"),  # type: ignore[arg-type]
    ],
)
def test_bad_arguments_name_themselves(call: Callable[[], pl.Expr], match: str) -> None:
    with pytest.raises((TypeError, ValueError), match=match):
        call()
