"""screen() against a hand computation on the bundled data; its input forms agree."""

from __future__ import annotations

import bisect
import datetime as dt
import math

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal, assert_series_equal
from scipy import stats

import polars_alpha as pa
from polars_alpha.datasets import SP500Sample, load_sp500_sample, synthetic_market
from polars_alpha.screen import MEASURES, SCREEN_COLUMNS, default_min_periods

AS_OF = dt.date(2017, 3, 29)  # the last Treasury quote: the default as-of date with rf


@pytest.fixture(scope="module")
def sample() -> SP500Sample:
    return load_sp500_sample()


@pytest.fixture(scope="module")
def screened(sample: SP500Sample) -> pl.DataFrame:
    return pa.screen(sample.stocks, benchmark=sample.index, risk_free=sample.risk_free)


def hand_fit(
    sample: SP500Sample, ticker: str, as_of: dt.date, window: int = 252, *, fill: bool = True
) -> dict[str, float]:
    """The CAPM fit and weighted alpha of one ticker, straight from the CSV numbers.

    With ``fill``, a date without a Treasury quote takes the last earlier quote (up to the
    last quote); without, it has no rate and is left out of the fit.
    """
    stock = sample.stocks.filter(pl.col("ticker") == ticker, pl.col("date") <= as_of)
    close = stock.get_column("close").to_numpy()
    dates = stock.get_column("date")
    index = sample.index.filter(pl.col("date") <= as_of).get_column("sp500").to_numpy()
    rf_by_date = dict(sample.risk_free.iter_rows())
    quoted = sorted(rf_by_date)
    if fill:
        for day in dates:
            before = bisect.bisect_right(quoted, day)
            if day not in rf_by_date and 0 < before < len(quoted):
                rf_by_date[day] = rf_by_date[quoted[before - 1]]
    ret = close[1:] / close[:-1] - 1
    mkt = index[1:] / index[:-1] - 1
    rf = np.array([rf_by_date.get(d, np.nan) for d in dates[1:]])
    # The last `window` rows; rows without a risk-free rate are left out.
    y, x, r = ret[-window:], mkt[-window:], rf[-window:]
    keep = ~np.isnan(r)
    y, x = y[keep] - r[keep], x[keep] - r[keep]
    n = len(y)
    design = np.column_stack([np.ones(n), x])
    (alpha, beta), ssr, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid_std = math.sqrt(ssr[0] / (n - 2))
    sxx = ((x - x.mean()) ** 2).sum()
    alpha_se = resid_std * math.sqrt(1 / n + x.mean() ** 2 / sxx)
    r2 = 1 - ssr[0] / ((y - y.mean()) ** 2).sum()
    # Weighted alpha: 252 log returns, weight 0.5 ** (age / 251), normalized to sum to 252.
    logs = np.log(close[-253:][1:] / close[-253:][:-1])[::-1]  # age 0 first
    w = 0.5 ** (np.arange(252) / 251)
    weighted = 100 * (math.exp((252 * w / w.sum() * logs).sum()) - 1)
    return {
        "alpha": alpha,
        "alpha_ann": (1 + alpha) ** 252 - 1,
        "beta": beta,
        "r2": r2,
        "resid_std": resid_std,
        "alpha_t": alpha / alpha_se,
        "n": n,
        "weighted_alpha": weighted,
    }


@pytest.mark.parametrize("ticker", ["AAPL", "JPM", "XOM", "AMD"])
def test_screen_matches_a_hand_computation(
    sample: SP500Sample, screened: pl.DataFrame, ticker: str
) -> None:
    row = screened.filter(pl.col("ticker") == ticker).row(0, named=True)
    expected = hand_fit(sample, ticker, AS_OF)
    assert row["date"] == AS_OF
    # Two bank holidays of the year have no Treasury quote: they take the day before's rate.
    assert row["n"] == expected["n"] == 252
    for name, value in expected.items():
        assert row[name] == pytest.approx(value, rel=1e-9, abs=1e-13), name


@pytest.mark.parametrize("ticker", ["AAPL", "AMD"])
def test_without_the_fill_days_without_a_quote_are_left_out(
    sample: SP500Sample, ticker: str
) -> None:
    out = pa.screen(
        sample.stocks, benchmark=sample.index, risk_free=sample.risk_free, fill_risk_free=False
    )
    row = out.filter(pl.col("ticker") == ticker).row(0, named=True)
    expected = hand_fit(sample, ticker, AS_OF, fill=False)
    assert row["n"] == expected["n"] == 250
    for name, value in expected.items():
        assert row[name] == pytest.approx(value, rel=1e-9, abs=1e-13), name


def test_screen_on_another_date_without_risk_free(sample: SP500Sample) -> None:
    as_of = dt.date(2008, 10, 15)
    out = pa.screen(sample.stocks, benchmark=sample.index, as_of=as_of, window=126)
    row = out.filter(pl.col("ticker") == "BAC").row(0, named=True)
    no_rf = SP500Sample(
        stocks=sample.stocks,
        index=sample.index,
        risk_free=sample.index.select("date", rf=pl.lit(0.0)),
    )
    expected = hand_fit(no_rf, "BAC", as_of, window=126)
    assert row["n"] == 126
    for name in ("alpha", "beta", "r2", "resid_std", "alpha_t"):
        assert row[name] == pytest.approx(expected[name], rel=1e-9), name


def test_screen_columns_and_one_row_per_ticker(screened: pl.DataFrame) -> None:
    assert screened.columns == ["date", "ticker", *SCREEN_COLUMNS]
    assert screened.height == 20
    assert screened.get_column("ticker").n_unique() == 20
    assert screened.get_column("date").unique().to_list() == [AS_OF]
    assert screened.get_column("alpha_ann").is_sorted(descending=True)


def test_ranks_and_zscores_are_the_cross_sectional_formulas(screened: pl.DataFrame) -> None:
    for m in MEASURES:
        values = screened.get_column(m).to_numpy()
        ranks = screened.get_column(f"{m}_rank").to_numpy()
        np.testing.assert_array_equal(ranks, stats.rankdata(-values, method="min"))
        np.testing.assert_allclose(
            screened.get_column(f"{m}_z").to_numpy(), stats.zscore(values, ddof=1), rtol=1e-10
        )


def test_the_screen_equals_the_full_rolling_computation(sample: SP500Sample) -> None:
    # screen() computes only each ticker's last rows; the full expression chain over every row
    # of the panel gives the same numbers at the as-of date.
    panel = pa.returns_panel(sample.stocks, benchmark=sample.index, risk_free=sample.risk_free)
    full = (
        panel.with_columns(
            fit=pa.rolling_alpha_beta(
                "ret", "benchmark", window=252, min_periods=202, risk_free="rf", by="ticker"
            ),
            weighted_alpha=pa.weighted_alpha("ret", returns=True, by="ticker"),
        )
        .filter(pl.col("date") == AS_OF)
        .unnest("fit")
        .select("ticker", "alpha", "beta", "r2", "resid_std", "alpha_t", "n", "weighted_alpha")
        .sort("ticker")
    )
    out = pa.screen(sample.stocks, benchmark=sample.index, risk_free=sample.risk_free)
    assert_frame_equal(out.select(full.columns).sort("ticker"), full)


def test_long_equals_wide(sample: SP500Sample, screened: pl.DataFrame) -> None:
    wide = sample.wide().join(sample.index, on="date").join(sample.risk_free, on="date", how="left")
    out = pa.screen(wide, benchmark="sp500", risk_free="rf")
    assert_frame_equal(out, screened)
    # The wide frame's columns in another order, the benchmark as a separate frame.
    shuffled = sample.wide().select("date", *reversed(sample.wide().columns[1:]))
    out = pa.screen(shuffled, benchmark=sample.index, risk_free=sample.risk_free)
    assert_frame_equal(out, screened)


def test_lazy_equals_eager(sample: SP500Sample, screened: pl.DataFrame) -> None:
    lazy = pa.screen(
        sample.stocks.lazy(), benchmark=sample.index.lazy(), risk_free=sample.risk_free.lazy()
    )
    assert isinstance(lazy, pl.LazyFrame)
    assert_frame_equal(lazy.collect(), screened)
    filtered = dict(beta_between=(0.8, 1.2), min_alpha=0.0, top=4, as_of="2012-06-29")
    eager = pa.screen(sample.stocks, benchmark=sample.index, **filtered)  # type: ignore[arg-type]
    lazy_out = pa.screen(sample.stocks.lazy(), benchmark=sample.index, **filtered)  # type: ignore[arg-type]
    assert_frame_equal(lazy_out.collect(), eager)


def test_benchmark_column_of_a_long_frame(sample: SP500Sample, screened: pl.DataFrame) -> None:
    long = sample.stocks.join(sample.index, on="date").join(sample.risk_free, on="date", how="left")
    out = pa.screen(long, benchmark="sp500", risk_free="rf", value="close")
    assert_frame_equal(out, screened)


def test_returns_input_equals_prices_input(sample: SP500Sample) -> None:
    returns = sample.returns()
    from_returns = pa.screen(
        returns.select("date", "ticker", "ret", "market", "rf"),
        benchmark="market",
        value="ret",
        risk_free="rf",
    )
    # Returns are detected: they have negative values. Prices are all positive.
    from_prices = pa.screen(sample.stocks, benchmark=sample.index, risk_free=sample.risk_free)
    cols = ["ticker", "alpha", "beta", "r2", "n", "weighted_alpha"]
    assert_frame_equal(from_returns.select(cols), from_prices.select(cols))
    explicit = pa.screen(
        returns.select("date", "ticker", "ret", "market", "rf"),
        benchmark="market",
        value="ret",
        risk_free="rf",
        kind="returns",
    )
    assert_frame_equal(explicit, from_returns)


def test_risk_free_number_equals_a_constant_column(sample: SP500Sample) -> None:
    stocks = sample.stocks.filter(pl.col("date").dt.year() >= 2015)
    by_number = pa.screen(stocks, benchmark=sample.index, risk_free=1e-4)
    by_column = pa.screen(
        stocks.with_columns(rf=pl.lit(1e-4)), benchmark=sample.index, risk_free="rf", value="close"
    )
    assert_frame_equal(by_number, by_column)
    assert by_number.get_column("date")[0] == dt.date(2022, 12, 28)  # no rf frame: last date


def test_as_of_on_a_weekend_uses_the_trading_day_before(sample: SP500Sample) -> None:
    saturday = pa.screen(sample.stocks, benchmark=sample.index, as_of=dt.date(2010, 5, 8))
    friday = pa.screen(sample.stocks, benchmark=sample.index, as_of="2010-05-07")
    assert_frame_equal(saturday, friday)
    assert friday.get_column("date")[0] == dt.date(2010, 5, 7)


def test_filters_apply_after_ranking(screened: pl.DataFrame, sample: SP500Sample) -> None:
    out = pa.screen(
        sample.stocks,
        benchmark=sample.index,
        risk_free=sample.risk_free,
        min_alpha=0.0,
        beta_between=(0.8, 1.2),
        filters=[pl.col("r2") > 0.1],
    )
    expected = screened.filter(
        pl.col("alpha_ann") >= 0, pl.col("beta").is_between(0.8, 1.2), pl.col("r2") > 0.1
    )
    assert out.height > 0
    assert_frame_equal(out, expected)  # same ranks and z-scores as in the whole universe


def test_sort_and_top(screened: pl.DataFrame, sample: SP500Sample) -> None:
    out = pa.screen(
        sample.stocks,
        benchmark=sample.index,
        risk_free=sample.risk_free,
        sort_by="beta",
        descending=False,
        top=5,
    )
    assert out.get_column("ticker").to_list() == (
        screened.sort("beta").head(5).get_column("ticker").to_list()
    )
    assert out.get_column("beta_rank").to_list() == [20, 19, 18, 17, 16]


def test_empty_after_filters_is_an_empty_frame(sample: SP500Sample) -> None:
    out = pa.screen(sample.stocks, benchmark=sample.index, min_alpha=100.0)
    assert out.height == 0
    assert out.columns == ["date", "ticker", *SCREEN_COLUMNS]


def test_tickers_without_enough_rows_are_left_out(sample: SP500Sample) -> None:
    late = sample.stocks.filter((pl.col("ticker") != "KO") | (pl.col("date") > dt.date(2016, 9, 1)))
    out = pa.screen(late, benchmark=sample.index, risk_free=sample.risk_free)
    assert "KO" not in out.get_column("ticker").to_list()
    assert out.height == 19
    # With a lower bar, KO is back, with the rows it has.
    out = pa.screen(late, benchmark=sample.index, risk_free=sample.risk_free, min_periods=100)
    ko = out.filter(pl.col("ticker") == "KO").row(0, named=True)
    assert 100 <= ko["n"] < 202
    assert ko["weighted_alpha"] is None  # less than a year of returns


def test_default_min_periods() -> None:
    assert default_min_periods(252) == 202
    assert default_min_periods(2) == 2
    assert default_min_periods(10) == 8


def test_screen_recovers_a_synthetic_market() -> None:
    market = synthetic_market(n_tickers=40, n_days=1500, seed=21)
    out = pa.screen(
        market.stocks, benchmark=market.index, risk_free=market.risk_free, window=1499
    ).join(market.truth, on="ticker", suffix="_true")
    assert out.height == 40
    assert out.get_column("n").unique().to_list() == [1499]
    # Market volatility is 1% a day: beta's standard error is about resid_std / (0.01 sqrt(n)),
    # alpha's about resid_std / sqrt(n).
    resid = out.get_column("resid_std_true")
    beta_error = (out.get_column("beta") - out.get_column("beta_true")).abs()
    alpha_error = (out.get_column("alpha") - out.get_column("alpha_true")).abs()
    assert (beta_error < 4.5 * resid / 0.01 / math.sqrt(1499)).all()
    assert (alpha_error < 4.5 * resid / math.sqrt(1499)).all()
    np.testing.assert_allclose(out.get_column("resid_std"), resid, rtol=0.1)


def test_datetime_dates_work(sample: SP500Sample, screened: pl.DataFrame) -> None:
    stocks = sample.stocks.with_columns(pl.col("date").cast(pl.Datetime("us")))
    out = pa.screen(stocks, benchmark=sample.index, risk_free=sample.risk_free, as_of=AS_OF)
    assert out.get_column("date")[0] == dt.datetime(2017, 3, 29)
    assert_frame_equal(out.drop("date"), screened.drop("date"))


def test_returns_panel_is_sorted_and_named(sample: SP500Sample) -> None:
    panel = pa.returns_panel(
        sample.stocks.lazy(), benchmark=sample.index, risk_free=sample.risk_free
    )
    assert isinstance(panel, pl.LazyFrame)
    df = panel.collect()
    assert df.columns == ["date", "ticker", "ret", "benchmark", "rf"]
    assert_frame_equal(df, df.sort("ticker", "date"))
    expected = sample.returns().select("ret", "market")
    np.testing.assert_allclose(df.get_column("ret").to_numpy(), expected.get_column("ret"))
    np.testing.assert_allclose(
        df.get_column("benchmark").to_numpy(), expected.get_column("market").to_numpy()
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"benchmark": "SPY"}, ValueError, r"unknown column 'SPY' \(benchmark\)"),
        ({"risk_free": "tbill"}, ValueError, r"unknown column 'tbill' \(risk_free\)"),
        ({"date": "Date"}, ValueError, r"unknown column 'Date' \(date\)"),
        ({"value": "price"}, ValueError, r"unknown column 'price' \(value\)"),
        ({"window": 1}, ValueError, "window"),
        ({"window": 10, "min_periods": 11}, ValueError, "min_periods"),
        ({"top": 0}, ValueError, "top"),
        ({"sort_by": "alpha_annual"}, ValueError, "unknown column 'alpha_annual'"),
        ({"beta_between": (1.2, 0.8)}, ValueError, "beta_between"),
        ({"beta_between": 1.0}, TypeError, "beta_between"),
        ({"min_alpha": "5%"}, TypeError, "min_alpha"),
        ({"filters": ["r2 > 0"]}, TypeError, "filters"),
        ({"kind": "levels"}, ValueError, "kind"),
        ({"as_of": "29/03/2017"}, ValueError, "as_of"),
        ({"risk_free": float("nan")}, ValueError, "risk_free"),
        ({"benchmark": 3}, TypeError, "benchmark"),
    ],
)
def test_bad_arguments(
    sample: SP500Sample, kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    args: dict[str, object] = {"benchmark": sample.index, **kwargs}
    with pytest.raises(error, match=match):
        pa.screen(sample.stocks, **args)  # type: ignore[arg-type]


def test_data_errors_of_an_eager_frame(sample: SP500Sample) -> None:
    later = sample.index.with_columns(pl.col("date").dt.offset_by("40y"))
    with pytest.raises(ValueError, match="no dates in common"):
        pa.screen(sample.stocks, benchmark=later)
    with pytest.raises(ValueError, match="no date on or before 1989-01-01"):
        pa.screen(sample.stocks, benchmark=sample.index, as_of="1989-01-01")
    twice = pl.concat([sample.stocks, sample.stocks.filter(pl.col("ticker") == "GE").tail(1)])
    with pytest.raises(ValueError, match="'GE' has more than one row on 2022-12-28"):
        pa.screen(twice, benchmark=sample.index)
    with pytest.raises(ValueError, match="no rows"):
        pa.screen(sample.stocks.clear(), benchmark=sample.index)
    ambiguous = sample.stocks.with_columns(volume=pl.lit(1.0))
    with pytest.raises(ValueError, match=r"cannot tell which column.*\['close', 'volume'\]"):
        pa.screen(ambiguous, benchmark=sample.index)
    as_text = sample.stocks.with_columns(pl.col("date").cast(pl.String))
    with pytest.raises(TypeError, match="not a date"):
        pa.screen(as_text, benchmark=sample.index)
    two_columns = sample.index.with_columns(other=pl.lit(1.0))
    with pytest.raises(ValueError, match="exactly one numeric column"):
        pa.screen(sample.stocks, benchmark=two_columns)


def test_a_lazy_screen_raises_the_eager_errors_when_collected(sample: SP500Sample) -> None:
    # Issue 23, item 8: a lazy screen used to give an empty frame where the eager one raised.
    later = sample.index.with_columns(pl.col("date").dt.offset_by("40y"))
    lazy = pa.screen(sample.stocks.lazy(), benchmark=later)
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect_schema().names() == ["date", "ticker", *SCREEN_COLUMNS]  # unread
    with pytest.raises(ValueError, match="no dates in common"):
        lazy.collect()
    with pytest.raises(ValueError, match="no dates in common"):
        pa.screen(sample.stocks.lazy(), benchmark=later.lazy()).collect()
    twice = pl.concat([sample.stocks, sample.stocks.filter(pl.col("ticker") == "GE").tail(1)])
    with pytest.raises(ValueError, match="'GE' has more than one row on 2022-12-28"):
        pa.screen(twice.lazy(), benchmark=sample.index).collect()
    with pytest.raises(ValueError, match="no rows"):
        pa.screen(sample.stocks.clear().lazy(), benchmark=sample.index).collect()
    with pytest.raises(ValueError, match="no date on or before 1989-01-01"):
        pa.screen(sample.stocks.lazy(), benchmark=sample.index, as_of="1989-01-01").collect()


def _with_value(frame: pl.DataFrame, ticker: str, day: dt.date, value: float) -> pl.DataFrame:
    hit = (pl.col("ticker") == ticker) & (pl.col("date") == day)
    return frame.with_columns(pl.when(hit).then(value).otherwise(pl.col("close")).alias("close"))


@pytest.mark.parametrize("lazy", [False, True])
def test_auto_kind_names_a_ticker_whose_prices_have_a_zero(sample: SP500Sample, lazy: bool) -> None:
    # Issue 23, item 2: one zero price two years before the window made the whole frame
    # "returns" (betas of 7 to 154, alpha_ann = inf).
    stocks = _with_value(sample.stocks, "RRC", dt.date(2015, 3, 2), 0.0)
    frame = stocks.lazy() if lazy else stocks
    with pytest.raises(ValueError, match=r"ticker 'RRC'.*0 on 2015-03-02.*kind=\"prices\""):
        out = pa.screen(frame, benchmark=sample.index, risk_free=sample.risk_free)
        assert isinstance(out, pl.LazyFrame)  # eager raised already
        out.collect()
    with pytest.raises(ValueError, match="ticker 'RRC'"):
        pa.returns_panel(frame, benchmark=sample.index).lazy().collect()
    # Said explicitly, the values are prices: the other tickers are screened as before.
    screened = pa.screen(sample.stocks, benchmark=sample.index, risk_free=sample.risk_free)
    forced = pa.screen(stocks, benchmark=sample.index, risk_free=sample.risk_free, kind="prices")
    assert_frame_equal(forced, screened)  # RRC's zero is older than its last 252 rows


def test_auto_kind_negative_price_and_benchmark(sample: SP500Sample) -> None:
    stocks = _with_value(sample.stocks, "XOM", dt.date(2020, 4, 20), -37.6)
    with pytest.raises(ValueError, match=r"ticker 'XOM'.*-37\.6 on 2020-04-20"):
        pa.screen(stocks, benchmark=sample.index)
    index = sample.index.with_columns(
        pl.when(pl.col("date") == dt.date(2001, 9, 17)).then(0.0).otherwise("sp500").alias("sp500")
    )
    with pytest.raises(ValueError, match=r"the benchmark holds prices or returns.*2001-09-17"):
        pa.screen(sample.stocks, benchmark=index)


def test_auto_kind_is_decided_per_ticker(sample: SP500Sample) -> None:
    # A ticker given as returns among tickers given as prices: each is read as what it is.
    returns = sample.returns().filter(pl.col("ticker") == "AAPL")
    mixed = pl.concat(
        [
            sample.stocks.filter(pl.col("ticker") != "AAPL"),
            returns.select("date", pl.lit("AAPL").alias("ticker"), pl.col("ret").alias("close")),
        ]
    )
    out = pa.screen(mixed, benchmark=sample.index, risk_free=sample.risk_free)
    screened = pa.screen(sample.stocks, benchmark=sample.index, risk_free=sample.risk_free)
    assert_frame_equal(out, screened)
    # Returns with zeros among them (AAPL's early prices are coarse) are still returns.
    early = returns.filter(pl.col("date").dt.year() <= 1991)
    assert (early.get_column("ret") == 0).sum() > 10
    panel = pa.returns_panel(
        early.select("date", "ticker", "ret"), benchmark=sample.index, kind="auto"
    )
    assert_series_equal(panel.get_column("ret"), early.get_column("ret"))


def test_wide_trailing_nulls_mean_no_row(sample: SP500Sample) -> None:
    # Issue 23, item 3: a delisted ticker (its last 50 rows null in a wide frame) was
    # screened on the last date; a ticker listed late (leading nulls) is the same case.
    last_days = sample.index.get_column("date").tail(50)
    first_days = sample.index.get_column("date").head(8000)
    long = sample.stocks.filter(
        ~((pl.col("ticker") == "GE") & pl.col("date").is_in(last_days.implode())),
        ~((pl.col("ticker") == "KO") & pl.col("date").is_in(first_days.implode())),
    )
    wide = long.pivot("ticker", index="date", values="close").sort("date")
    assert wide.get_column("GE").tail(50).null_count() == 50
    from_long = pa.screen(long, benchmark=sample.index)
    from_wide = pa.screen(wide, benchmark=sample.index)
    assert "GE" not in from_wide.get_column("ticker").to_list()
    assert_frame_equal(from_wide, from_long)
    assert_frame_equal(
        pa.returns_panel(wide, benchmark=sample.index),
        pa.returns_panel(long, benchmark=sample.index),
    )


def test_risk_free_is_filled_over_days_without_a_quote(sample: SP500Sample) -> None:
    # Issue 23, item 5: a rate missing on a day stocks trade takes the last earlier quote,
    # whether the rate is a frame or a column; after the last quote it stays missing.
    panel = pa.returns_panel(sample.stocks, benchmark=sample.index, risk_free=sample.risk_free)
    quotes = sample.risk_free.sort("date")
    expected = (
        panel.select("date", "ticker")
        .sort("date")
        .join_asof(quotes, on="date", strategy="backward")
        .with_columns(pl.when(pl.col("date") <= quotes.get_column("date").max()).then(pl.col("rf")))
        .sort("ticker", "date")
    )
    assert_series_equal(panel.get_column("rf"), expected.get_column("rf"))
    holiday = panel.filter(pl.col("date") == dt.date(2016, 11, 11))  # Veterans Day
    assert holiday.get_column("rf").null_count() == 0
    assert panel.filter(pl.col("date") > AS_OF).get_column("rf").null_count() > 0
    raw = pa.returns_panel(
        sample.stocks, benchmark=sample.index, risk_free=sample.risk_free, fill_risk_free=False
    )
    assert raw.filter(pl.col("date") == dt.date(2016, 11, 11)).get_column("rf").null_count() == 20
    column = sample.stocks.join(sample.risk_free, on="date", how="left")
    by_column = pa.returns_panel(column, benchmark=sample.index, risk_free="rf", value="close")
    assert_frame_equal(by_column, panel)


def test_implausible_risk_free_rates_raise(sample: SP500Sample) -> None:
    # Issue 23, item 4: a percent, an annual yield, a frame of percent yields.
    with pytest.raises(ValueError, match=r"`risk_free` is .*4\.5"):
        pa.screen(sample.stocks, benchmark=sample.index, risk_free=4.5)
    with pytest.raises(ValueError, match=r"0\.045 per period.*annual yield in decimals"):
        pa.screen(sample.stocks, benchmark=sample.index, risk_free=0.045)
    percent = sample.risk_free.with_columns(pl.lit(5.1).alias("rf"))
    with pytest.raises(ValueError, match=r"5\.1 per period on 1990-01-02.*in percent"):
        pa.screen(sample.stocks.lazy(), benchmark=sample.index, risk_free=percent).collect()
    # The bound scales with the data's frequency: 3% a month is plausible, 3% a day is not.
    with pytest.raises(ValueError, match="252 periods a year"):
        pa.screen(sample.stocks, benchmark=sample.index, risk_free=0.03)
    month_ends = sample.index.group_by_dynamic("date", every="1mo").agg(last=pl.col("date").last())
    monthly = sample.stocks.filter(pl.col("date").is_in(month_ends.get_column("last").implode()))
    out = pa.screen(monthly, benchmark=sample.index, risk_free=0.03, window=36, periods_per_year=12)
    assert out.height == 20
    annual = monthly.with_columns(rf=pl.lit(0.06))
    with pytest.raises(ValueError, match=r"0\.06 per period on 1990-01-31.*12 periods a year"):
        pa.screen(annual, benchmark=sample.index, risk_free="rf", value="close", window=36)
