"""Tests of signal_report against alphalens-reloaded, statsmodels and a planted signal.

Oracles: alphalens' ``factor_information_coefficient``, ``mean_return_by_quantile``
(``by_date=True, demeaned=False``) and ``factor_rank_autocorrelation`` on the frame
``get_clean_factor_and_forward_returns`` builds from the same prices; statsmodels'
``OLS(ic, ones).fit(cov_type="HAC", cov_kwds={"maxlags": h - 1})`` for the Newey-West t; and
a synthetic market whose signal predicts with a known information coefficient.
"""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

import polars_alpha as pa
from polars_alpha.datasets import load_sp500_sample, synthetic_signal

al = pytest.importorskip("alphalens")
sm = pytest.importorskip("statsmodels.api")

TOL = 1e-10


def alphalens_frame(frame: pl.DataFrame, horizons: tuple[int, ...], quantiles: int) -> Any:
    """alphalens' clean factor frame from the long frame's prices and signal."""
    pdf = frame.select("date", "ticker", "close", "signal").to_pandas()
    pdf["date"] = pd.to_datetime(pdf["date"])
    prices = pdf.pivot(index="date", columns="ticker", values="close")
    factor = pdf.dropna(subset=["signal"]).set_index(["date", "ticker"])["signal"]
    factor.index = factor.index.set_names(["date", "asset"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return al.utils.get_clean_factor_and_forward_returns(
            factor, prices, quantiles=quantiles, periods=horizons, max_loss=1.0
        )


def as_dates(values: Any) -> list[dt.date]:
    return [pd.Timestamp(v).date() for v in values]


@pytest.fixture(scope="module")
def synthetic() -> pl.DataFrame:
    return synthetic_signal(n_tickers=60, n_days=160, ic=0.1, seed=11, persistence=0.7).frame


@pytest.fixture(scope="module")
def real() -> pl.DataFrame:
    """The bundled sample over 2010-2012, the signal 60-day momentum, no missing price."""
    stocks = load_sp500_sample().stocks.filter(
        pl.col("date").is_between(dt.date(2010, 1, 1), dt.date(2012, 12, 31))
    )
    assert stocks["close"].null_count() == 0
    return stocks.with_columns(signal=pa.momentum("close", window=60, skip=0, by="ticker"))


def check_against_alphalens(frame: pl.DataFrame, horizons: tuple[int, ...], q: int) -> None:
    report = pa.signal_report(frame, signal="signal", price="close", horizons=horizons, quantiles=q)
    clean = alphalens_frame(frame, horizons, q)
    # alphalens keeps only the dates where every horizon's forward return exists.
    al_dates = as_dates(clean.index.get_level_values("date").unique())
    assert len(al_dates) > 20

    ic = al.performance.factor_information_coefficient(clean)
    for h in horizons:
        ours = report.ic.filter(pl.col("horizon") == h, pl.col("date").is_in(al_dates)).sort("date")
        want = ic[f"{h}D"].to_numpy()
        got = ours["ic"].to_numpy()
        assert ours["date"].to_list() == as_dates(ic.index)
        np.testing.assert_allclose(got, want, rtol=0, atol=TOL)

    mean, _ = al.performance.mean_return_by_quantile(clean, by_date=True, demeaned=False)
    for h in horizons:
        want = mean[f"{h}D"].reset_index()
        want["date"] = as_dates(want["date"])
        ours = (
            report.quantile_returns_by_date.filter(
                pl.col("horizon") == h, pl.col("date").is_in(al_dates)
            )
            .sort("quantile", "date")
            .to_pandas()
        )
        assert list(ours["quantile"]) == list(want["factor_quantile"])
        assert as_dates(ours["date"]) == list(want["date"])
        np.testing.assert_allclose(ours["mean_return"], want[f"{h}D"], rtol=0, atol=TOL)

    for lag in sorted({1, *horizons}):
        want = al.performance.factor_rank_autocorrelation(clean, period=lag).dropna()
        ours = report.rank_autocorrelation.filter(
            pl.col("lag") == lag,
            pl.col("date").is_in(as_dates(want.index)),
        ).sort("date")
        assert ours.height == len(want)
        np.testing.assert_allclose(ours["autocorrelation"], want.to_numpy(), rtol=0, atol=TOL)


def test_matches_alphalens_on_synthetic_data(synthetic: pl.DataFrame) -> None:
    # The rank autocorrelation's lags are dates of the frame: alphalens' too, on the frame's
    # dates cut to those with every horizon, so the last rows differ; compared on its dates.
    check_against_alphalens(synthetic, (1, 3, 7), 5)


def test_matches_alphalens_on_real_data(real: pl.DataFrame) -> None:
    check_against_alphalens(real.filter(pl.col("signal").is_not_null()), (1, 5, 21), 4)


def test_summary_matches_statsmodels_hac(synthetic: pl.DataFrame) -> None:
    report = pa.signal_report(synthetic, signal="signal", price="close", horizons=(1, 5, 10))
    for h in (1, 5, 10):
        ic = report.ic.filter(pl.col("horizon") == h).sort("date")["ic"].drop_nulls().to_numpy()
        fit = sm.OLS(ic, np.ones_like(ic)).fit(cov_type="HAC", cov_kwds={"maxlags": h - 1})
        row = report.summary.filter(pl.col("horizon") == h).row(0, named=True)
        assert row["t_nw"] == pytest.approx(fit.tvalues[0], rel=1e-10)
        assert row["mean_ic"] == pytest.approx(ic.mean(), rel=1e-12)
        assert row["std_ic"] == pytest.approx(ic.std(ddof=1), rel=1e-12)
        assert row["icir"] == pytest.approx(ic.mean() / ic.std(ddof=1), rel=1e-12)
        assert row["positive_share"] == pytest.approx((ic > 0).mean(), rel=1e-12)
        assert row["dates"] == ic.size


def test_spread_is_top_minus_bottom_with_hac_t(synthetic: pl.DataFrame) -> None:
    report = pa.signal_report(synthetic, signal="signal", price="close", horizons=(1, 4))
    by_date = report.quantile_returns_by_date
    for h in (1, 4):
        wide = (
            by_date.filter(pl.col("horizon") == h)
            .pivot(on="quantile", index="date", values="mean_return")
            .sort("date")
        )
        x = (wide["5"] - wide["1"]).drop_nulls().to_numpy()
        fit = sm.OLS(x, np.ones_like(x)).fit(cov_type="HAC", cov_kwds={"maxlags": h - 1})
        row = report.spread.filter(pl.col("horizon") == h).row(0, named=True)
        assert row["mean_spread"] == pytest.approx(x.mean(), rel=1e-12)
        assert row["t_nw"] == pytest.approx(fit.tvalues[0], rel=1e-10)
        means = report.quantile_returns.filter(pl.col("horizon") == h).sort("quantile")
        per_q = (
            by_date.filter(pl.col("horizon") == h)
            .group_by("quantile")
            .agg(pl.col("mean_return").mean())
        )
        assert means["mean_return"].to_list() == pytest.approx(
            per_q.sort("quantile")["mean_return"].to_list(), rel=1e-12
        )


@pytest.mark.parametrize("seed", [1, 2])
def test_planted_signal_is_recovered(seed: int) -> None:
    planted = synthetic_signal(n_tickers=300, n_days=400, ic=0.08, seed=seed)
    report = pa.signal_report(planted.frame, signal="signal", price="close", horizons=(1,))
    row = report.summary.row(0, named=True)
    standard_error = row["std_ic"] / np.sqrt(row["dates"])
    # Within three standard errors of the expected IC, and far from zero.
    assert abs(row["mean_ic"] - planted.expected_ic) < 3 * standard_error
    assert row["t_nw"] > 10
    spread = report.spread.row(0, named=True)
    assert spread["mean_spread"] > 0


def test_no_signal_is_not_found() -> None:
    planted = synthetic_signal(n_tickers=200, n_days=300, ic=0.0, seed=5)
    report = pa.signal_report(planted.frame, signal="signal", price="close", horizons=(1,))
    assert abs(report.summary["t_nw"][0]) < 4


def test_order_and_lazy_do_not_matter(synthetic: pl.DataFrame) -> None:
    report = pa.signal_report(synthetic, signal="signal", price="close", horizons=(1, 5))
    shuffled = synthetic.sample(fraction=1.0, shuffle=True, seed=3)
    for other in (
        pa.signal_report(shuffled, signal="signal", price="close", horizons=(5, 1)),
        pa.signal_report(shuffled.lazy(), signal=pl.col("signal"), price="close", horizons=[1, 5]),
    ):
        for name in ("ic", "summary", "quantile_returns", "spread", "turnover"):
            left = getattr(report, name)
            right = getattr(other, name)
            assert left.equals(right), name


def test_report_schemas(synthetic: pl.DataFrame) -> None:
    report = pa.signal_report(synthetic, signal="signal", price="close", horizons=(1, 2))
    assert report.ic.schema == pl.Schema(
        {"date": pl.Date, "horizon": pl.Int64, "ic": pl.Float64, "n": pl.UInt32}
    )
    assert report.summary.columns == [
        "horizon",
        "dates",
        "mean_ic",
        "std_ic",
        "icir",
        "t_nw",
        "positive_share",
    ]
    assert report.quantile_returns_by_date.columns == [
        "date",
        "horizon",
        "quantile",
        "mean_return",
        "n",
    ]
    assert report.quantile_returns.columns == ["horizon", "quantile", "mean_return", "std", "dates"]
    assert report.spread.columns == ["horizon", "mean_spread", "std_spread", "t_nw", "dates"]
    assert report.rank_autocorrelation.columns == ["date", "lag", "autocorrelation"]
    assert report.turnover["lag"].to_list() == [1, 2]


# --------------------------------------------------------------------------------------------
# Conventions that differ from alphalens, and null rules
# --------------------------------------------------------------------------------------------


def test_missing_forward_return_drops_only_its_horizon(synthetic: pl.DataFrame) -> None:
    """alphalens drops a row from every horizon when any horizon lacks a forward return;
    here each horizon keeps its own rows. Dropping the rows by hand gives alphalens' value."""
    frame = synthetic.with_columns(
        close=pl.when((pl.col("ticker") == "T0003") & (pl.col("date") == dt.date(2020, 3, 2)))
        .then(None)
        .otherwise(pl.col("close"))
    )
    day = dt.date(2020, 2, 27)  # a Thursday: T0003's 1-day return exists, its 2-day does not
    report = pa.signal_report(frame, signal="signal", price="close", horizons=(1, 2))
    one_day = frame.filter(pl.col("date") == day)
    fwd = (
        frame.sort("ticker", "date")
        .with_columns(f=pa.forward_return("close", 1, by="ticker"))
        .filter(pl.col("date") == day)
    )
    # alphalens would leave T0003 out of that date's 1-day IC as well; here it stays.
    ic1 = report.ic.filter(pl.col("horizon") == 1, pl.col("date") == day)
    assert ic1["n"][0] == one_day.height
    ic2 = report.ic.filter(pl.col("horizon") == 2, pl.col("date") == day)
    assert ic2["n"][0] == one_day.height - 1
    from scipy.stats import spearmanr

    expected = spearmanr(fwd["signal"].to_numpy(), fwd["f"].to_numpy()).statistic
    assert ic1["ic"][0] == pytest.approx(expected, abs=TOL)


def test_ties_share_a_quantile_where_alphalens_raises() -> None:
    frame = pl.DataFrame(
        {
            "date": [dt.date(2024, 1, d) for d in (1, 2)] * 6,
            "ticker": [t for t in "ABCDEF" for _ in range(2)],
            "close": [10.0, 11.0, 10.0, 9.0, 10.0, 10.5, 10.0, 10.2, 10.0, 9.5, 10.0, 10.1],
            "signal": [1.0, 0, 1.0, 0, 1.0, 0, 1.0, 0, 2.0, 0, 3.0, 0],
        }
    )
    report = pa.signal_report(frame, signal="signal", price="close", horizons=(1,), quantiles=3)
    got = report.quantile_returns_by_date.filter(pl.col("date") == dt.date(2024, 1, 1))
    # Edges at 1, 1, 1.5, 3: the four tied names are all in quantile 1, the others in 3.
    assert got.sort("quantile")["quantile"].to_list() == [1, 3]
    assert got.sort("quantile")["n"].to_list() == [4, 2]
    with pytest.raises(ValueError, match="Bin edges must be unique"):
        pd.qcut(pd.Series([1.0, 1, 1, 1, 2, 3]), 3, labels=False)


def test_quantiles_match_pandas_qcut_on_random_dates() -> None:
    rng = np.random.default_rng(7)
    for n in (2, 3, 5, 7, 10, 31, 100):
        for q in (2, 3, 5, 10):
            values = np.round(rng.normal(size=n), 1 if n > 20 else 3)
            if any((n - 1) * k % q == 0 for k in range(1, q)):
                # An edge at a data point: which bin that value takes depends on the rounding
                # of the edge's position, which differs between NumPy and pandas versions.
                continue
            try:
                want = pd.qcut(pd.Series(values), q, labels=False).to_numpy() + 1
            except ValueError:
                continue  # duplicate edges: pandas raises, tested above
            frame = pl.DataFrame(
                {
                    "date": [dt.date(2024, 1, 1)] * n + [dt.date(2024, 1, 2)] * n,
                    "ticker": [f"T{i}" for i in range(n)] * 2,
                    "close": rng.uniform(10, 11, 2 * n),
                    "signal": np.concatenate([values, values]),
                }
            )
            report = pa.signal_report(
                frame, signal="signal", price="close", horizons=(1,), quantiles=q
            )
            by_date = report.quantile_returns_by_date.filter(pl.col("date") == dt.date(2024, 1, 1))
            counts = dict(zip(by_date["quantile"], by_date["n"], strict=True))
            want_counts = {
                int(k): int(v) for k, v in zip(*np.unique(want, return_counts=True), strict=True)
            }
            assert counts == want_counts, (n, q, values)


def test_all_names_tie_gives_null_ic() -> None:
    frame = pl.DataFrame(
        {
            "date": [dt.date(2024, 1, d) for d in (1, 2, 3)] * 4,
            "ticker": [t for t in "ABCD" for _ in range(3)],
            "close": [10.0, 11, 12, 10, 9, 8, 10, 10.5, 10, 10, 10.2, 10.4],
            "signal": [1.0, 1, 0.5, 1.0, 2, 0.2, 1.0, 3, 0.1, 1.0, 4, 0.3],
        }
    )
    report = pa.signal_report(frame, signal="signal", price="close", horizons=(1,))
    ic = report.ic.sort("date")
    assert ic["ic"][0] is None  # every signal is 1.0 on the first date
    assert ic["ic"][1] is not None
    assert ic["ic"][2] is None  # no forward return after the last date
    assert report.summary["dates"][0] == 1


def test_fewer_than_three_pairs_gives_null_ic() -> None:
    frame = pl.DataFrame(
        {
            "date": [dt.date(2024, 1, 1), dt.date(2024, 1, 2)] * 3,
            "ticker": ["A", "A", "B", "B", "C", "C"],
            "close": [10.0, 11, 10, 9, 10, None],
            "signal": [1.0, 0, 2.0, 0, 3.0, 0],
        }
    )
    report = pa.signal_report(frame, signal="signal", price="close", horizons=(1,))
    first = report.ic.filter(pl.col("date") == dt.date(2024, 1, 1))
    assert first["n"][0] == 2
    assert first["ic"][0] is None


# --------------------------------------------------------------------------------------------
# Hostile input
# --------------------------------------------------------------------------------------------


def test_duplicate_ticker_date_is_an_error(synthetic: pl.DataFrame) -> None:
    doubled = pl.concat([synthetic, synthetic.head(1)])
    with pytest.raises(ValueError, match="two rows on `date`"):
        pa.signal_report(doubled, signal="signal", price="close")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"horizons": ()}, ValueError, "horizons` is empty"),
        ({"horizons": (0, 5)}, ValueError, "positive"),
        ({"horizons": (-1,)}, ValueError, "positive"),
        ({"horizons": (1, 1)}, ValueError, "twice"),
        ({"horizons": (1.5,)}, TypeError, "integers"),
        ({"horizons": 5}, TypeError, "sequence"),
        ({"quantiles": 1}, ValueError, "at least 2"),
        ({"quantiles": 0}, ValueError, "at least 2"),
        ({"quantiles": 2.5}, TypeError, "integer"),
        ({"method": "kendall"}, ValueError, "method"),
        ({"date": "when"}, ValueError, "no column 'when'"),
        ({"by": "name"}, ValueError, "no column 'name'"),
        ({"signal": "nope"}, ValueError, "no column 'nope'"),
    ],
)
def test_bad_arguments(
    synthetic: pl.DataFrame, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    arguments: dict[str, Any] = {"signal": "signal", "price": "close", **kwargs}
    with pytest.raises(error, match=match):
        pa.signal_report(synthetic, **arguments)


def test_not_a_frame() -> None:
    with pytest.raises(TypeError, match="`frame` must be a Polars DataFrame"):
        pa.signal_report({"a": [1]}, signal="a", price="a")  # type: ignore[arg-type]


def test_newey_west_t_edge_cases() -> None:
    assert np.isnan(pa.newey_west_t([0.1], 0))
    assert np.isnan(pa.newey_west_t([0.1, 0.1, 0.1], 2))
    x = np.random.default_rng(0).normal(0.05, 0.1, 40)
    fit = sm.OLS(x, np.ones_like(x)).fit(cov_type="HAC", cov_kwds={"maxlags": 3})
    assert pa.newey_west_t(x, 3) == pytest.approx(fit.tvalues[0], rel=1e-12)


def test_unbalanced_panel_matches_direct_computation(synthetic: pl.DataFrame) -> None:
    """Tickers missing some dates (the matrix is filled by date and ticker, forward returns
    count each ticker's own rows): against Polars expressions and scipy, date by date."""
    from scipy.stats import pearsonr, rankdata

    rng = np.random.default_rng(4)
    frame = synthetic.filter(pl.Series(rng.random(synthetic.height) > 0.15))
    report = pa.signal_report(frame, signal="signal", price="close", horizons=(1, 3), quantiles=4)
    fwd = frame.sort("ticker", "date").with_columns(
        f1=pa.forward_return("close", 1, by="ticker"),
        f3=pa.forward_return("close", 3, by="ticker"),
    )
    want_ic = fwd.group_by("date").agg(
        ic1=pa.information_coefficient("signal", "f1"),
        ic3=pa.information_coefficient("signal", "f3"),
    )
    got = report.ic.pivot(on="horizon", index="date", values="ic").join(want_ic, on="date")
    np.testing.assert_allclose(got["1"].to_numpy(), got["ic1"].to_numpy(), atol=TOL)
    np.testing.assert_allclose(got["3"].to_numpy(), got["ic3"].to_numpy(), atol=TOL)

    dates = frame["date"].unique().sort()
    wide = frame.pivot(on="ticker", index="date", values="signal").sort("date").drop("date")
    m = wide.to_numpy()
    for lag in (1, 3):
        got_r = report.rank_autocorrelation.filter(pl.col("lag") == lag).sort("date")
        for t in range(lag, len(dates), 7):
            now, before = m[t], m[t - lag]
            r_now = np.full(now.shape, np.nan)
            r_before = np.full(now.shape, np.nan)
            r_now[~np.isnan(now)] = rankdata(now[~np.isnan(now)])
            r_before[~np.isnan(before)] = rankdata(before[~np.isnan(before)])
            both = ~np.isnan(r_now) & ~np.isnan(r_before)
            want = pearsonr(r_now[both], r_before[both]).statistic
            assert got_r["autocorrelation"][t] == pytest.approx(want, abs=TOL)

    by_date = report.quantile_returns_by_date.filter(pl.col("horizon") == 3)
    day = dates[40]
    rows = fwd.filter(pl.col("date") == day)
    sig = rows["signal"].to_numpy()
    import pandas as pd

    q = pd.qcut(pd.Series(sig), 4, labels=False).to_numpy() + 1
    f3 = rows["f3"].to_numpy()
    for k in range(1, 5):
        want_mean = np.nanmean(np.where(q == k, f3, np.nan))
        got_mean = by_date.filter(pl.col("date") == day, pl.col("quantile") == k)["mean_return"][0]
        assert got_mean == pytest.approx(want_mean, abs=TOL)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"signal": "name", "price": "close"}, "`signal` must be numeric"),
        ({"signal": "flag", "price": "close"}, "`signal` must be numeric"),
        ({"signal": "signal", "price": "date"}, "`price` must be numeric"),
    ],
)
def test_non_numeric_columns_fail_naming_the_argument(kwargs: dict[str, str], match: str) -> None:
    frame = pl.DataFrame(
        {
            "date": [dt.date(2024, 1, 1)] * 3,
            "ticker": ["A", "B", "C"],
            "close": [1.0, 2.0, 3.0],
            "signal": [0.1, 0.2, 0.3],
            "name": ["x", "y", "z"],
            "flag": [True, False, True],
        }
    )
    with pytest.raises(pl.exceptions.PolarsError, match=match):
        pa.signal_report(frame, horizons=(1,), **kwargs)


def test_empty_frame_gives_empty_frames() -> None:
    frame = pl.DataFrame(
        schema={"date": pl.Date, "ticker": pl.String, "close": pl.Float64, "signal": pl.Float64}
    )
    report = pa.signal_report(frame, signal="signal", price="close", horizons=(1, 5))
    assert report.ic.height == 0
    assert report.summary["dates"].to_list() == [0, 0]
    assert report.summary["mean_ic"].null_count() == 2
    assert report.quantile_returns_by_date.height == 0


def test_pearson_ic_matches_the_aggregation(synthetic: pl.DataFrame) -> None:
    frame = synthetic.with_columns(
        signal=pl.when(pl.col("ticker") == "T0001").then(None).otherwise(pl.col("signal"))
    )
    report = pa.signal_report(
        frame, signal="signal", price="close", horizons=(2,), method="pearson"
    )
    want = (
        frame.sort("ticker", "date")
        .with_columns(f=pa.forward_return("close", 2, by="ticker"))
        .group_by("date")
        .agg(want=pa.information_coefficient("signal", "f", method="pearson"))
    )
    got = report.ic.join(want, on="date")
    assert got["ic"].null_count() == got["want"].null_count() == 2
    np.testing.assert_allclose(got["ic"].to_numpy(), got["want"].to_numpy(), atol=1e-12)


@pytest.mark.parametrize("setting", [True, False])
def test_numpy_huge_page_setting_is_put_back(synthetic: pl.DataFrame, setting: bool) -> None:
    # The report turns NumPy's process-wide huge-page advice off while it runs; reports
    # running at once in threads must leave the setting as it was before the first.
    import importlib
    import threading

    try:
        multiarray = importlib.import_module("numpy._core.multiarray")
    except ImportError:
        multiarray = importlib.import_module("numpy.core.multiarray")
    toggle = getattr(multiarray, "_set_madvise_hugepage", None)
    if toggle is None:
        pytest.skip("this NumPy has no huge-page setting")
    original = toggle(setting)
    try:
        errors: list[BaseException] = []

        def run() -> None:
            try:
                pa.signal_report(synthetic, signal="signal", price="close", horizons=(1, 5))
            except BaseException as error:  # reported by the assert below
                errors.append(error)

        threads = [threading.Thread(target=run) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert toggle(setting) is setting
    finally:
        toggle(original)
