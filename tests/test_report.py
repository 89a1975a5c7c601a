"""strategy_report: every summary figure against empyrical-reloaded, statsmodels or a direct
NumPy formula on the strategy's rows; the monthly fits against statsmodels OLS on each month's
rows; periods-per-year inference; input forms (long, wide, lazy, prices) and errors.

The rows the oracles use are built independently of the report: from SP500Sample.returns()
(the dataset's own returns, market and filled risk-free rate) or from NumPy arrays.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import polars_alpha as pa
from polars_alpha.report import MONTHLY_COLUMNS, SUMMARY_COLUMNS, infer_periods_per_year

empyrical = pytest.importorskip("empyrical")
sm = pytest.importorskip("statsmodels.api")


#: empyrical's period names for the periods a year the tests use.
PERIODS = {252.0: "daily", 52.0: "weekly", 12.0: "monthly"}


def same(got: float | None, want: float, rel: float = 1e-9) -> None:
    """``got`` equals ``want``, or is null where ``want`` is NaN or infinite."""
    if not math.isfinite(want):
        assert got is None, (got, want)
        return
    assert got is not None
    assert math.isclose(got, want, rel_tol=rel, abs_tol=1e-12), (got, want)


def oracle_summary(r: np.ndarray, b: np.ndarray, rf: np.ndarray, periods: float) -> dict:
    """Each summary figure from empyrical, statsmodels or NumPy, on one strategy's rows."""
    y, x = r - rf, b - rf
    fit = sm.OLS(y, sm.add_constant(x)).fit()
    active = r - b
    out = {
        "n": len(r),
        "annual_return": empyrical.annual_return(r, annualization=periods),
        "benchmark_return": empyrical.annual_return(b, annualization=periods),
        "volatility": empyrical.annual_volatility(r, annualization=periods),
        "sharpe": empyrical.sharpe_ratio(r, risk_free=rf, annualization=periods),
        "sortino": empyrical.sortino_ratio(r, annualization=periods),
        "max_drawdown": empyrical.max_drawdown(r),
        "calmar": empyrical.calmar_ratio(r, annualization=periods),
        # empyrical subtracts only a constant rate, so it is given the excess returns.
        "alpha_ann": empyrical.alpha(y, x, annualization=periods),
        "beta": empyrical.beta(y, x),
        "alpha_t": fit.tvalues[0],
        "r2": fit.rsquared,
        "treynor": y.mean() * periods / fit.params[1],
        "information_ratio": active.mean() / active.std(ddof=1) * math.sqrt(periods),
        "tracking_error": active.std(ddof=1) * math.sqrt(periods),
        # capture() takes a period name, not a number.
        "up_capture": empyrical.up_capture(r, b, period=PERIODS[periods]),
        "down_capture": empyrical.down_capture(r, b, period=PERIODS[periods]),
    }
    for name, side in (("up_beta", b > 0), ("down_beta", b < 0)):
        side_fit = sm.OLS(y[side], sm.add_constant(x[side])).fit()
        out[name] = side_fit.params[1]
    return out


def check_summary(row: dict, want: dict) -> None:
    for name, value in want.items():
        if name == "n":
            assert row["n"] == value
        else:
            same(row[name], float(value), rel=1e-8)


@pytest.fixture(scope="module")
def sample() -> pa.datasets.SP500Sample:
    return pa.datasets.load_sp500_sample()


@pytest.fixture(scope="module")
def sample_report(sample: pa.datasets.SP500Sample) -> pa.StrategyReport:
    return pa.strategy_report(sample.stocks, benchmark=sample.index, risk_free=sample.risk_free)


def test_summary_equals_empyrical_and_statsmodels_on_the_sample(
    sample: pa.datasets.SP500Sample, sample_report: pa.StrategyReport
) -> None:
    rows = sample.returns().filter(
        pl.col("ret").is_finite(), pl.col("market").is_finite(), pl.col("rf").is_finite()
    )
    assert sample_report.periods_per_year == 252
    assert sample_report.frequency == "daily"
    assert sample_report.summary.get_column("ticker").to_list() == sorted(
        rows.get_column("ticker").unique().to_list()
    )
    for row in sample_report.summary.iter_rows(named=True):
        mine = rows.filter(pl.col("ticker") == row["ticker"]).sort("date")
        r, b, rf = (mine.get_column(c).to_numpy() for c in ("ret", "market", "rf"))
        assert row["start"] == mine.get_column("date").min()
        assert row["end"] == mine.get_column("date").max()
        check_summary(row, oracle_summary(r, b, rf, 252.0))


def test_monthly_equals_statsmodels_on_each_month(
    sample: pa.datasets.SP500Sample, sample_report: pa.StrategyReport
) -> None:
    rows = sample.returns().filter(
        pl.col("ret").is_finite(), pl.col("market").is_finite(), pl.col("rf").is_finite()
    )
    for ticker in ("AAPL", "RRC"):
        mine = rows.filter(pl.col("ticker") == ticker).with_columns(
            month=pl.col("date").dt.truncate("1mo")
        )
        got = sample_report.monthly.filter(pl.col("ticker") == ticker)
        assert got.height == mine.get_column("month").n_unique()
        for row, (key, part) in zip(
            got.iter_rows(named=True),
            sorted(mine.group_by("month"), key=lambda kv: kv[0][0]),
            strict=True,
        ):
            assert row["month"] == key[0]
            r, b, rf = (part.get_column(c).to_numpy() for c in ("ret", "market", "rf"))
            assert row["n"] == len(r)
            same(row["return"], float(np.prod(1 + r) - 1))
            same(row["benchmark_return"], float(np.prod(1 + b) - 1))
            fit = sm.OLS(r - rf, sm.add_constant(b - rf)).fit()
            same(row["alpha"], float(fit.params[0]), rel=1e-7)
            same(row["beta"], float(fit.params[1]), rel=1e-8)
            same(row["alpha_ann"], float((1 + fit.params[0]) ** 252 - 1), rel=1e-7)


def random_wide(seed: int, rows: int = 300) -> tuple[pl.DataFrame, np.ndarray]:
    """Three strategies' returns with nulls and NaN, a benchmark with gaps, business days."""
    rng = np.random.default_rng(seed)
    days = pl.date_range(dt.date(2020, 1, 1), dt.date(2022, 12, 31), eager=True)
    days = days.filter(days.dt.weekday() <= 5).head(rows)
    market = rng.normal(0.0004, 0.011, rows)
    market[rng.choice(rows, 8, replace=False)] = np.nan
    data: dict[str, object] = {"date": days, "bench": market}
    for i, name in enumerate(("S1", "S2", "S3")):
        r = 0.0002 * i + (0.5 + 0.4 * i) * np.nan_to_num(market) + rng.normal(0, 0.01, rows)
        r[rng.choice(rows, 10 + 5 * i, replace=False)] = np.nan
        data[name] = r
    frame = pl.DataFrame(data).with_columns(
        pl.col("S2").fill_nan(None), pl.col("bench").fill_nan(None)
    )
    return frame, market


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_with_nulls_equals_oracles(seed: int) -> None:
    frame, _ = random_wide(seed)
    rate = 5e-5
    report = pa.strategy_report(frame, benchmark="bench", risk_free=rate, kind="returns")
    assert report.summary.get_column("ticker").to_list() == ["S1", "S2", "S3"]
    bench = frame.get_column("bench").cast(pl.Float64).fill_null(np.nan).to_numpy()
    for row in report.summary.iter_rows(named=True):
        r = frame.get_column(row["ticker"]).fill_null(np.nan).to_numpy()
        keep = np.isfinite(r) & np.isfinite(bench)
        rf = np.full(keep.sum(), rate)
        check_summary(row, oracle_summary(r[keep], bench[keep], rf, 252.0))


def test_no_risk_free_equals_empyrical_alpha_beta_and_up_down() -> None:
    frame, _ = random_wide(7)
    report = pa.strategy_report(frame, benchmark="bench", kind="returns")
    bench = frame.get_column("bench").fill_null(np.nan).to_numpy()
    for row in report.summary.iter_rows(named=True):
        r = frame.get_column(row["ticker"]).fill_null(np.nan).to_numpy()
        keep = np.isfinite(r) & np.isfinite(bench)
        _, up_beta = empyrical.up_alpha_beta(r[keep], bench[keep])
        _, down_beta = empyrical.down_alpha_beta(r[keep], bench[keep])
        alpha, beta = empyrical.alpha_beta(r[keep], bench[keep])
        same(row["up_beta"], up_beta, rel=1e-8)
        same(row["down_beta"], down_beta, rel=1e-8)
        same(row["alpha_ann"], alpha, rel=1e-8)
        same(row["beta"], beta, rel=1e-8)
        same(row["sharpe"], empyrical.sharpe_ratio(r[keep]), rel=1e-9)


def test_schema_and_order(sample_report: pa.StrategyReport) -> None:
    summary, monthly = sample_report.summary, sample_report.monthly
    assert summary.columns == ["ticker", *SUMMARY_COLUMNS]
    assert monthly.columns == ["ticker", *MONTHLY_COLUMNS]
    assert summary.schema["start"] == pl.Date and summary.schema["n"] == pl.UInt32
    floats = [c for c in SUMMARY_COLUMNS if c not in ("start", "end", "n")]
    assert all(summary.schema[c] == pl.Float64 for c in floats)
    assert monthly.schema["month"] == pl.Date
    assert monthly.equals(monthly.sort("ticker", "month"))
    assert sample_report.returns.columns == ["date", "ticker", "ret", "benchmark", "rf"]


def test_lazy_wide_and_prices_equal_eager_long(sample: pa.datasets.SP500Sample) -> None:
    stocks = sample.stocks.filter(
        pl.col("ticker").is_in(["AAPL", "KO", "XOM"]), pl.col("date").dt.year() >= 2012
    )
    eager = pa.strategy_report(stocks, benchmark=sample.index, risk_free=sample.risk_free)
    lazy = pa.strategy_report(
        stocks.lazy(), benchmark=sample.index.lazy(), risk_free=sample.risk_free.lazy()
    )
    wide = pa.strategy_report(
        stocks.pivot(on="ticker", index="date", values="close").sort("date"),
        benchmark=sample.index,
        risk_free=sample.risk_free,
    )
    returns = pa.returns_panel(stocks, benchmark=sample.index)
    from_returns = pa.strategy_report(
        returns.select("date", "ticker", "ret"),
        benchmark=returns.select("date", "benchmark").unique("date").sort("date"),
        risk_free=sample.risk_free,
        kind="returns",
    )
    for other in (lazy, wide, from_returns):
        assert_frame_equal(other.summary, eager.summary, check_exact=False, rel_tol=1e-12)
        assert_frame_equal(other.monthly, eager.monthly, check_exact=False, rel_tol=1e-12)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_row_order_does_not_matter(seed: int) -> None:
    frame, _ = random_wide(11, rows=120)
    long = frame.unpivot(index=["date", "bench"], variable_name="ticker", value_name="ret")
    base = pa.strategy_report(long, benchmark="bench", kind="returns", value="ret")
    shuffled = long.sample(fraction=1.0, shuffle=True, seed=seed)
    got = pa.strategy_report(shuffled, benchmark="bench", kind="returns", value="ret")
    assert_frame_equal(got.summary, base.summary, check_exact=False, rel_tol=1e-12)
    assert_frame_equal(got.monthly, base.monthly, check_exact=False, rel_tol=1e-12)


def test_degenerate_rows_give_null_not_inf() -> None:
    days = pl.date_range(dt.date(2024, 1, 1), dt.date(2024, 3, 29), eager=True)
    days = days.filter(days.dt.weekday() <= 5)
    n = days.len()
    rising = 0.001 + 0.002 * np.abs(np.sin(np.arange(n)))  # never a down day
    frame = pl.DataFrame(
        {
            "date": days,
            "flat": np.full(n, 0.001),
            "follow": rising * 1.5,
            "bench": rising,
        }
    )
    report = pa.strategy_report(frame, benchmark="bench", kind="returns")
    flat, follow = report.summary.sort("ticker").iter_rows(named=True)
    assert flat["ticker"] == "flat"
    assert flat["sharpe"] is None and flat["sortino"] is None
    assert flat["calmar"] is None and flat["max_drawdown"] == 0.0
    assert follow["down_beta"] is None and follow["down_capture"] is None
    numbers = report.summary.select(pl.col(pl.Float64))
    assert not numbers.select(pl.any_horizontal(pl.all().is_infinite())).to_series().any()


# Periods per year


def business_days(start: dt.date, end: dt.date) -> pl.Series:
    days = pl.date_range(start, end, eager=True)
    return days.filter(days.dt.weekday() <= 5)


def test_infer_daily_weekly_monthly(sample: pa.datasets.SP500Sample) -> None:
    assert infer_periods_per_year(sample.index.get_column("date")) == (252, "daily")
    assert infer_periods_per_year(business_days(dt.date(2024, 1, 1), dt.date(2024, 2, 1))) == (
        252,
        "daily",
    )
    fridays = pl.date_range(dt.date(2020, 1, 3), dt.date(2023, 12, 29), "1w", eager=True)
    assert infer_periods_per_year(fridays) == (52, "weekly")
    month_ends = pl.date_range(dt.date(2015, 1, 1), dt.date(2023, 12, 1), "1mo", eager=True)
    assert infer_periods_per_year(month_ends.dt.month_end()) == (12, "monthly")
    # Business month ends (the last trading day), and Datetime dates.
    last_days = sample.index.group_by(pl.col("date").dt.truncate("1mo")).agg(
        pl.col("date").max().alias("last")
    )
    assert infer_periods_per_year(last_days.get_column("last")) == (12, "monthly")
    stamps = business_days(dt.date(2024, 1, 1), dt.date(2024, 6, 1)).cast(pl.Datetime("us"))
    assert infer_periods_per_year(stamps + dt.timedelta(hours=16)) == (252, "daily")
    # Weekly data with a holiday week moved a day still counts as weekly.
    moved = fridays.to_list()
    moved[10] = moved[10] - dt.timedelta(days=1)
    assert infer_periods_per_year(pl.Series(moved)) == (52, "weekly")


def test_irregular_dates_raise() -> None:
    rng = np.random.default_rng(5)
    gaps = np.cumsum(rng.integers(1, 40, 200))
    random_days = pl.Series([dt.date(2000, 1, 1) + dt.timedelta(days=int(g)) for g in gaps])
    with pytest.raises(ValueError, match=r"irregular dates.*pass periods_per_year"):
        infer_periods_per_year(random_days)
    quarters = pl.date_range(dt.date(2000, 1, 1), dt.date(2020, 1, 1), "3mo", eager=True)
    with pytest.raises(ValueError, match=r"median spacing between dates is 9\d[.\d]* days"):
        infer_periods_per_year(quarters)
    daily_then_monthly = pl.concat(
        [
            business_days(dt.date(2020, 1, 1), dt.date(2020, 12, 31)),
            pl.date_range(dt.date(2021, 1, 1), dt.date(2030, 1, 1), "1mo", eager=True),
        ]
    )
    with pytest.raises(ValueError, match=r"median spacing is 1 days \(daily\), but \d+%"):
        infer_periods_per_year(daily_then_monthly)
    with pytest.raises(ValueError, match="distinct dates"):
        infer_periods_per_year(pl.Series([dt.date(2020, 1, 1), dt.date(2020, 1, 2)]))
    with pytest.raises(TypeError, match="Date or Datetime"):
        infer_periods_per_year(pl.Series([1, 2, 3]))  # type: ignore[arg-type]


def test_report_uses_the_inferred_or_given_periods() -> None:
    rng = np.random.default_rng(3)
    fridays = pl.date_range(dt.date(2015, 1, 2), dt.date(2020, 12, 25), "1w", eager=True)
    n = fridays.len()
    bench = rng.normal(0.002, 0.02, n)
    frame = pl.DataFrame({"date": fridays, "fund": bench + rng.normal(0.0005, 0.01, n), "b": bench})
    weekly = pa.strategy_report(frame, benchmark="b", kind="returns")
    assert (weekly.periods_per_year, weekly.frequency) == (52, "weekly")
    r = frame.get_column("fund").to_numpy()
    check_summary(weekly.summary.row(0, named=True), oracle_summary(r, bench, 0 * r, 52.0))
    given_ = pa.strategy_report(frame, benchmark="b", kind="returns", periods_per_year=12)
    assert (given_.periods_per_year, given_.frequency) == (12, "given")
    check_summary(given_.summary.row(0, named=True), oracle_summary(r, bench, 0 * r, 12.0))
    irregular = frame.filter(pl.int_range(pl.len()) % 3 != 1)
    with pytest.raises(ValueError, match="irregular dates"):
        pa.strategy_report(irregular, benchmark="b", kind="returns")
    assert pa.strategy_report(irregular, benchmark="b", kind="returns", periods_per_year=52)


# Errors


def test_errors_name_the_problem(sample: pa.datasets.SP500Sample) -> None:
    stocks = sample.stocks.filter(pl.col("ticker") == "AAPL", pl.col("date").dt.year() == 2020)
    later = sample.index.filter(pl.col("date").dt.year() == 2021)
    with pytest.raises(ValueError, match="benchmark has no return on any of the frame's dates"):
        pa.strategy_report(stocks, benchmark=later)
    with pytest.raises(ValueError, match="no rows to report on"):
        pa.strategy_report(stocks.clear(), benchmark=sample.index)
    twice = pl.concat([stocks, stocks.head(1)])
    with pytest.raises(ValueError, match="'AAPL' has more than one row on 2020-01-02"):
        pa.strategy_report(twice, benchmark=sample.index)
    for bad in (0, -12, float("nan"), "daily"):
        with pytest.raises((ValueError, TypeError), match="periods_per_year"):
            pa.strategy_report(stocks, benchmark=sample.index, periods_per_year=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown column 'SPY' \\(benchmark\\)"):
        pa.strategy_report(stocks, benchmark="SPY")
    report = pa.strategy_report(stocks, benchmark=sample.index)
    with pytest.raises(ValueError, match="no strategy 'MSFT' in the report; it holds AAPL"):
        report.choose("MSFT")


def test_monthly_table_and_rolling_fits(sample: pa.datasets.SP500Sample) -> None:
    stocks = sample.stocks.filter(pl.col("ticker") == "KO", pl.col("date").dt.year() >= 2019)
    report = pa.strategy_report(stocks, benchmark=sample.index)
    table = report.monthly_table("KO")
    assert table.columns == ["year", *pa.report.MONTHS, "Year"]
    assert table.get_column("year").to_list() == [2019, 2020, 2021, 2022]
    months = report.monthly.filter(pl.col("month").dt.year() == 2020).get_column("return")
    same(table.row(1, named=True)["Mar"], months[2])
    same(table.row(1, named=True)["Year"], float(np.prod(1 + months.to_numpy()) - 1))
    # The rolling fits are rolling_alpha_beta over one year of the report's rows.
    fits = report.rolling_fits()
    rows = report.returns
    last = rows.tail(252)
    fit = sm.OLS(
        last.get_column("ret").to_numpy(),
        sm.add_constant(last.get_column("benchmark").to_numpy()),
    ).fit()
    same(fits.get_column("beta")[-1], float(fit.params[1]), rel=1e-8)
    same(fits.get_column("alpha_ann")[-1], float((1 + fit.params[0]) ** 252 - 1), rel=1e-7)
    assert fits.get_column("date").min() == rows.get_column("date")[201]


# Charts


def test_strategy_chart_draws_every_panel_and_any_name(
    sample: pa.datasets.SP500Sample, tmp_path: Path
) -> None:
    pytest.importorskip("matplotlib")
    from polars_alpha.plot import strategy_chart

    name = r"$\frac{a$ <b>"  # mathtext that does not parse, were it read as mathtext
    stocks = sample.stocks.filter(
        pl.col("ticker") == "KO", pl.col("date").dt.year() >= 2019
    ).with_columns(ticker=pl.lit(name))
    report = pa.strategy_report(stocks, benchmark=sample.index)
    fig = strategy_chart(report, path=tmp_path / "chart.png", benchmark_name="$SPX")
    assert (tmp_path / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    growth, drawdown, beta, alpha, table = fig.axes
    assert growth.get_legend_handles_labels()[1] == [r"\$\frac{a\$ <b>", r"\$SPX"]
    # The drawdown panel's floor is the report's max drawdown; the table has the years.
    lowest = min(float(np.min(c.get_paths()[0].vertices[:, 1])) for c in drawdown.collections)
    same(lowest, report.summary.get_column("max_drawdown")[0], rel=1e-9)
    assert [t.get_text() for t in table.get_yticklabels()] == ["2019", "2020", "2021", "2022"]
    fits = report.rolling_fits()
    same(float(beta.get_lines()[0].get_ydata()[-1]), fits.get_column("beta")[-1])
    same(float(alpha.get_lines()[0].get_ydata()[-1]), fits.get_column("alpha_ann")[-1])
    assert len(strategy_chart(report, month_table=False).axes) == 4
    with pytest.raises(ValueError, match="no strategy 'KO' in the report"):
        strategy_chart(report, "KO")
    with pytest.raises(ValueError, match=r"\.png, \.svg, \.pdf"):
        strategy_chart(report, path=tmp_path / "chart.jpg")


def test_integer_tickers_chart_and_page(sample: pa.datasets.SP500Sample, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    ids = {"KO": 1, "PEP": 2}
    stocks = sample.stocks.filter(
        pl.col("ticker").is_in(list(ids)), pl.col("date").dt.year() >= 2021
    ).with_columns(pl.col("ticker").replace_strict(ids, return_dtype=pl.Int64))
    report = pa.strategy_report(stocks, benchmark=sample.index)
    assert report.strategies == ["1", "2"]
    assert report.summary.schema["ticker"] == pl.Int64
    by_name = pa.strategy_report(
        sample.stocks.filter(pl.col("ticker") == "PEP", pl.col("date").dt.year() >= 2021),
        benchmark=sample.index,
    )
    assert_frame_equal(report.monthly_table("2"), by_name.monthly_table("PEP"))
    assert len(report.plot("2", path=tmp_path / "pep.png").axes) == 5
    page = report.to_html(strategy="2")
    assert 'data-name="2" class="chosen"' in page
