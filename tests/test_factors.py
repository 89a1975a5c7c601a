"""Multi-factor regressions: rolling, expanding, date windows and whole-sample forms.

Oracles: statsmodels ``RollingOLS`` and ``OLS`` with several regressors, NumPy ``lstsq`` on each
window slice, and brute-force date filtering.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import warnings
from typing import Any

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from statsmodels.regression.rolling import RollingOLS

import polars_alpha as pa
from polars_alpha._internal import factor_fields
from polars_alpha._plugin import distinct_times

FACTORS = ("mkt_rf", "smb", "hml")
LOADINGS = {"mkt_rf": 1.1, "smb": 0.4, "hml": -0.3}
TRUE_ALPHA = 2e-4


def factor_frame(
    seed: int,
    n: int = 400,
    tickers: tuple[str, ...] = ("F1",),
    k: int = 3,
    noise: float = 0.004,
) -> pl.DataFrame:
    """Factor returns shared by all tickers and asset returns with known loadings."""
    rng = np.random.default_rng(seed)
    names = [*FACTORS, *(f"f{j}" for j in range(3, k))][:k]
    factors = {name: rng.normal(0.0003, 0.01, n) for name in names}
    rf = 1e-4 + rng.uniform(0, 2e-5, n)
    dates = [dt.date(2015, 1, 1) + dt.timedelta(days=i) for i in range(n)]
    parts = []
    for ticker in tickers:
        ret = rf + TRUE_ALPHA + rng.normal(0.0, noise, n)
        for j, name in enumerate(names):
            ret = ret + LOADINGS.get(name, 0.1 * (j - 4)) * factors[name]
        parts.append(
            pl.DataFrame({"date": dates, "ticker": [ticker] * n, "ret": ret, "rf": rf, **factors})
        )
    return pl.concat(parts)


def field_names(names: list[str]) -> list[str]:
    """The Float64 fields of a fit on factors ``names``: every field but the count ``n``."""
    return [name for name in factor_fields(names) if name != "n"]


def ols_fields(y: np.ndarray, f: np.ndarray, min_periods: int) -> dict[str, float | None]:
    """statsmodels OLS on the usable rows of one window, in the struct's field names."""
    k = f.shape[1]
    ok = np.isfinite(y) & np.isfinite(f).all(axis=1)
    y, f = y[ok], f[ok]
    n = len(y)
    names = [f"x{j}" for j in range(k)]
    out: dict[str, float | None] = dict.fromkeys(field_names(names))
    if n < max(min_periods, k + 1) or np.linalg.matrix_rank(f - f.mean(axis=0)) < k:
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.OLS(y, sm.add_constant(f, has_constant="add")).fit()
    out["alpha"] = float(res.params[0])
    for j in range(k):
        out[f"beta_x{j}"] = float(res.params[1 + j])
    out["r2"] = float(res.rsquared)
    if n > k + 1:
        out["adj_r2"] = float(res.rsquared_adj)
        out["resid_std"] = math.sqrt(res.mse_resid)
        out["alpha_se"] = float(res.bse[0])
        out["alpha_t"] = float(res.tvalues[0])
        for j in range(k):
            out[f"beta_x{j}_se"] = float(res.bse[1 + j])
            out[f"beta_x{j}_t"] = float(res.tvalues[1 + j])
    return out


def assert_close(got: Any, want: float | None, rel: float, where: str) -> None:
    if want is None or not math.isfinite(want):
        assert got is None, f"{where}: expected null, got {got}"
        return
    assert got is not None, f"{where}: expected {want}, got null"
    assert abs(got - want) <= rel * max(abs(want), 1e-12), f"{where}: {got} vs {want}"


def renamed(row: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """Struct fields of named factors under the positional names of `ols_fields`."""
    out = dict(row)
    for j, name in enumerate(names):
        for suffix in ("", "_se", "_t"):
            out[f"beta_x{j}{suffix}"] = row[f"beta_{name}{suffix}"]
    return out


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize(("window", "min_periods"), [(60, 50), (40, 25)])
def test_params_and_bse_match_statsmodels_rolling_ols(window: int, min_periods: int) -> None:
    df = factor_frame(1).with_columns(
        pl.when(pl.int_range(pl.len()) % 17 == 3).then(None).otherwise(pl.col("smb")).alias("smb"),
        pl.when(pl.int_range(pl.len()) % 29 == 5)
        .then(float("nan"))
        .otherwise(pl.col("ret"))
        .alias("ret"),
    )
    out = df.select(
        pa.rolling_factor_regression(
            "ret", list(FACTORS), window=window, min_periods=min_periods, risk_free="rf"
        ).alias("fit")
    ).unnest("fit")
    y = (df["ret"] - df["rf"]).to_numpy()
    f = df.select(FACTORS).to_numpy()
    res = RollingOLS(
        y,
        sm.add_constant(f),
        window=window,
        min_nobs=min_periods,
        missing="drop",
    ).fit()
    # RollingOLS starts at the first full window; before it, compare against nothing.
    out = out.slice(window - 1)
    params = np.asarray(res.params)[window - 1 :]
    bse = np.asarray(res.bse)[window - 1 :]
    names = ["alpha", *(f"beta_{n}" for n in FACTORS)]
    se_names = ["alpha_se", *(f"beta_{n}_se" for n in FACTORS)]
    compared = 0
    for j, (name, se_name) in enumerate(zip(names, se_names, strict=True)):
        got, got_se = out[name].to_numpy(), out[se_name].to_numpy()
        want, want_se = params[:, j], bse[:, j]
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        ok = ~np.isnan(want)
        np.testing.assert_allclose(got[ok], want[ok], rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(got_se[ok], want_se[ok], rtol=1e-9)
        compared += int(ok.sum())
    assert compared > 4 * 250


@pytest.mark.parametrize("with_rf", [False, True])
def test_every_field_matches_statsmodels_ols_per_window(with_rf: bool) -> None:
    df = factor_frame(2, n=120).with_columns(
        pl.when(pl.int_range(pl.len()).is_in([10, 11, 50]))
        .then(None)
        .otherwise(pl.col("hml"))
        .alias("hml")
    )
    window, min_periods = 30, 20
    rf: str | None = "rf" if with_rf else None
    out = df.select(
        pa.rolling_factor_regression(
            "ret", list(FACTORS), window=window, min_periods=min_periods, risk_free=rf
        ).alias("fit")
    ).unnest("fit")
    y = (df["ret"] - df["rf"]).to_numpy() if with_rf else df["ret"].to_numpy()
    f = df.select(FACTORS).to_numpy(writable=True).astype(float)
    rows = out.to_dicts()
    for t in range(len(df)):
        lo = max(0, t - window + 1)
        want = ols_fields(y[lo : t + 1], f[lo : t + 1], min_periods)
        got = renamed(rows[t], list(FACTORS))
        for key, value in want.items():
            assert_close(got[key], value, 1e-9, f"row {t} {key}")
        usable = np.isfinite(y[lo : t + 1]) & np.isfinite(f[lo : t + 1]).all(axis=1)
        assert rows[t]["n"] == int(usable.sum())


def test_ten_factors_match_lstsq() -> None:
    df = factor_frame(3, n=200, k=10)
    names = [c for c in df.columns if c not in ("date", "ticker", "ret", "rf")]
    assert len(names) == 10
    out = df.select(pa.rolling_factor_regression("ret", names, window=50).alias("fit")).unnest(
        "fit"
    )
    y = df["ret"].to_numpy()
    f = df.select(names).to_numpy()
    for t in range(49, 200):
        x = np.column_stack([np.ones(50), f[t - 49 : t + 1]])
        coef, *_ = np.linalg.lstsq(x, y[t - 49 : t + 1], rcond=None)
        got = [out["alpha"][t], *(out[f"beta_{n}"][t] for n in names)]
        np.testing.assert_allclose(got, coef, rtol=1e-8, atol=1e-12)


def test_known_loadings_are_recovered() -> None:
    df = factor_frame(4, n=3000, noise=0.001)
    fit = df.select(pa.factor_regression("ret", list(FACTORS), risk_free="rf").alias("f")).unnest(
        "f"
    )
    for name, loading in LOADINGS.items():
        assert abs(fit[f"beta_{name}"][0] - loading) < 5 * fit[f"beta_{name}_se"][0]
    assert abs(fit["alpha"][0] - TRUE_ALPHA) < 5 * fit["alpha_se"][0]


def test_collinear_windows_are_null_not_garbage() -> None:
    df = factor_frame(5, n=200)
    idx = pl.int_range(pl.len())
    df = df.with_columns(
        # Rows 60..130: HML is exactly a mix of the other two factors.
        pl.when((idx >= 60) & (idx < 130))
        .then(0.5 * pl.col("mkt_rf") - 2.0 * pl.col("smb"))
        .otherwise(pl.col("hml"))
        .alias("hml")
    )
    out = df.select(
        pa.rolling_factor_regression("ret", list(FACTORS), window=40).alias("fit")
    ).unnest("fit")
    f = df.select(FACTORS).to_numpy()
    floats = out.drop("n")
    for t in range(39, 200):
        window = f[t - 39 : t + 1]
        rank = np.linalg.matrix_rank(window - window.mean(axis=0))
        row = floats.row(t)
        if rank < 3:
            assert all(v is None for v in row), f"row {t}: {row}"
        else:
            assert all(v is not None and math.isfinite(v) for v in row), f"row {t}"
    assert out["n"].min() == 1


def test_nearly_collinear_factors_are_null_or_accurate() -> None:
    rng = np.random.default_rng(6)
    n = 300
    mkt = rng.normal(0, 0.01, n)
    for wiggle in (1e-2, 1e-3, 1e-4, 3e-5, 1e-5, 1e-9):
        other = mkt + rng.normal(0, 0.01 * wiggle, n)
        y = 0.001 + 0.8 * mkt + 0.2 * other + rng.normal(0, 0.001, n)
        df = pl.DataFrame({"y": y, "a": mkt, "b": other})
        got = df.select(pa.factor_regression("y", ["a", "b"]).alias("f")).unnest("f")["beta_b"][0]
        # The rank test's pivot is 1 - R² of b on a, about wiggle².
        centered = np.column_stack([mkt - mkt.mean(), other - other.mean()])
        corr = np.corrcoef(centered.T)[0, 1]
        if 1 - corr**2 < 1e-9:
            assert got is None, f"wiggle {wiggle}: {got}"
            continue
        assert got is not None, f"wiggle {wiggle}"
        x = np.column_stack([np.ones(n), mkt, other])
        coef, *_ = np.linalg.lstsq(x, y, rcond=None)
        # Normal equations lose about cond² = 1 / (1 - corr²) digits, no more.
        assert abs(got - coef[2]) <= 1e-15 / (1 - corr**2) * abs(coef[2]) * 10, wiggle


def test_expanding_matches_statsmodels() -> None:
    df = factor_frame(7, n=150)
    out = df.select(
        pa.rolling_factor_regression("ret", list(FACTORS), window=None, min_periods=10).alias("f")
    ).unnest("f")
    f = sm.add_constant(df.select(FACTORS).to_numpy())
    res = RollingOLS(df["ret"].to_numpy(), f, window=150, min_nobs=10, expanding=True).fit()
    params = np.asarray(res.params)
    for j, name in enumerate(["alpha", *(f"beta_{n}" for n in FACTORS)]):
        got = out[name].to_numpy()
        want = params[:, j]
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        ok = ~np.isnan(want)
        np.testing.assert_allclose(got[ok], want[ok], rtol=1e-9)


def test_one_factor_equals_rolling_alpha_beta() -> None:
    df = factor_frame(8, n=200)
    multi = df.select(pa.rolling_factor_regression("ret", ["mkt_rf"], window=60).alias("f")).unnest(
        "f"
    )
    single = df.select(pa.rolling_alpha_beta("ret", "mkt_rf", window=60).alias("f")).unnest("f")
    for a, b in [
        ("alpha", "alpha"),
        ("beta_mkt_rf", "beta"),
        ("r2", "r2"),
        ("resid_std", "resid_std"),
        ("alpha_se", "alpha_se"),
        ("beta_mkt_rf_se", "beta_se"),
        ("beta_mkt_rf_t", "beta_t"),
    ]:
        np.testing.assert_allclose(
            multi[a].to_numpy(), single[b].to_numpy(), rtol=1e-10, err_msg=f"{a} vs {b}"
        )


# --- date windows -----------------------------------------------------------------------


def gappy_panel(seed: int) -> pl.DataFrame:
    """Six tickers on business days: one with a suspension, one listed late, one delisted
    early, one listed late and delisted early, and two on the whole calendar. In the plugin
    the two on the whole calendar share one date window, and the three whose dates are a
    stretch of that calendar take their window starts from it."""
    df = factor_frame(seed, n=500, tickers=("AAA", "BBB", "CCC", "DDD", "EEE", "FFF"))
    df = df.filter(pl.col("date").dt.weekday() <= 5)
    ticker, date = pl.col("ticker"), pl.col("date")
    return df.filter(
        ~((ticker == "AAA") & date.is_between(dt.date(2015, 6, 1), dt.date(2015, 7, 15)))
        & ~((ticker == "BBB") & (date < dt.date(2015, 3, 1)))
        & ~((ticker == "EEE") & (date > dt.date(2016, 2, 15)))
        & ~((ticker == "FFF") & ~date.is_between(dt.date(2015, 3, 16), dt.date(2016, 4, 15)))
    )


def brute_force_dates(
    df: pl.DataFrame, start: Any, factors: list[str], min_periods: int
) -> list[dict[str, float | None]]:
    """For each row, filter that ticker's rows by date and fit with statsmodels."""
    out = []
    for ticker_rows in df.partition_by("ticker", maintain_order=True):
        dates = ticker_rows["date"].to_list()
        y = ticker_rows["ret"].to_numpy()
        f = ticker_rows.select(factors).to_numpy()
        for i, d in enumerate(dates):
            lo = start(d)
            keep = [j for j in range(i + 1) if dates[j] > lo]
            out.append(ols_fields(y[keep], f[keep], min_periods))
    return out


@pytest.mark.parametrize(
    ("duration", "start"),
    [
        ("63d", lambda d: d - dt.timedelta(days=63)),
        ("3mo", lambda d: pl.Series([d]).dt.offset_by("-3mo").item()),
    ],
)
def test_date_window_matches_brute_force(duration: str, start: Any) -> None:
    df = gappy_panel(9)
    factors = ["mkt_rf", "smb"]
    out = df.select(
        pa.rolling_factor_regression(
            "ret", factors, window=duration, order_by="date", by="ticker", min_periods=5
        ).alias("f")
    ).unnest("f")
    want = brute_force_dates(df, start, factors, 5)
    rows = out.to_dicts()
    for t, (got, expected) in enumerate(zip(rows, want, strict=True)):
        got = renamed(got, factors)
        for key in ("alpha", "beta_x0", "beta_x1", "resid_std", "beta_x1_se"):
            assert_close(got[key], expected[key], 1e-9, f"row {t} {key}")


def test_capm_date_window_matches_brute_force_and_spans_gaps() -> None:
    df = gappy_panel(10)
    out = df.with_columns(
        pa.rolling_alpha_beta(
            "ret", "mkt_rf", window="1y", order_by="date", by="ticker", risk_free="rf"
        ).alias("f")
    ).unnest("f")
    # The default min_periods, per ticker: 80% (rounded up) of the median row count of the
    # ticker's windows that its dates cover in full (lower bound at or after its first date).
    windows: list[tuple[str, int, list[int]]] = []
    min_periods: dict[str, int] = {}
    for ticker_rows in out.partition_by("ticker"):
        ticker = ticker_rows["ticker"][0]
        dates = ticker_rows["date"].to_list()
        full_counts: list[int] = []
        for i in range(len(dates)):
            lo = pl.Series([dates[i]]).dt.offset_by("-1y").item()
            keep = [j for j in range(i + 1) if dates[j] > lo]
            if lo >= dates[0]:
                full_counts.append(len(keep))
            if i % 7 == 0:
                windows.append((ticker, i, keep))
        typical = sorted(full_counts)[len(full_counts) // 2]
        min_periods[ticker] = max(2, math.ceil(0.8 * typical))
    # About 80% of a year of daily rows; AAA's suspension lowers its median.
    assert all(150 <= m <= 220 for m in min_periods.values()), min_periods
    checked_null = checked_fit = 0
    for ticker, i, keep in windows:
        rows = out.filter(pl.col("ticker") == ticker)
        y = (rows["ret"] - rows["rf"]).to_numpy()
        x = (rows["mkt_rf"] - rows["rf"]).to_numpy()
        assert rows["n"][i] == len(keep)
        if len(keep) < min_periods[ticker]:
            assert rows["beta"][i] is None
            checked_null += 1
            continue
        want = ols_fields(y[keep], x[keep, None], 2)
        assert_close(rows["beta"][i], want["beta_x0"], 1e-9, f"{ticker} row {i}")
        assert_close(rows["alpha_se"][i], want["alpha_se"], 1e-9, f"{ticker} row {i}")
        checked_fit += 1
    assert checked_null > 0 and checked_fit > 0
    # A calendar year across AAA's six-week suspension holds fewer rows than a row window.
    aaa = out.filter(pl.col("ticker") == "AAA", pl.col("date") == dt.date(2016, 3, 1))
    assert aaa["n"].item() < 250


def test_date_window_single_field_functions_and_over() -> None:
    df = gappy_panel(11)
    kw: dict[str, Any] = {"window": "6mo", "order_by": "date"}
    by = df.select(
        pa.rolling_beta("ret", "mkt_rf", by="ticker", **kw).alias("beta"),
        pa.rolling_alpha("ret", "mkt_rf", by="ticker", **kw).alias("alpha"),
    )
    over = df.select(
        pa.rolling_beta("ret", "mkt_rf", **kw).over("ticker").alias("beta"),
        pa.rolling_alpha("ret", "mkt_rf", **kw).over("ticker").alias("alpha"),
    )
    struct = df.select(pa.rolling_alpha_beta("ret", "mkt_rf", by="ticker", **kw).alias("f")).unnest(
        "f"
    )
    assert_frame_equal(by, over)
    assert_frame_equal(by, struct.select("beta", "alpha"))


def test_datetime_time_column_with_time_zone() -> None:
    df = gappy_panel(12).with_columns(
        pl.col("date").cast(pl.Datetime("us")).dt.replace_time_zone("America/New_York").alias("ts")
    )
    a = df.select(
        pa.rolling_beta("ret", "mkt_rf", window="30d", order_by="date", by="ticker").alias("b")
    )
    b = df.select(
        pa.rolling_beta("ret", "mkt_rf", window="30d", order_by="ts", by="ticker").alias("b")
    )
    assert_frame_equal(a, b)


def calendar_edge_panel(time_zone: str | None) -> pl.DataFrame:
    """Three keys on different calendars around month ends, a leap day and two DST changes,
    rows shuffled: every day; the last day of each month; a random quarter of the days."""
    days = pl.date_range(dt.date(2019, 12, 20), dt.date(2021, 4, 10), eager=True)
    month_ends = days.filter(days.dt.month_end() == days)
    sparse = days.sample(fraction=0.25, seed=3).sort()
    parts = [
        pl.DataFrame({"key": k, "date": d})
        for k, d in [("daily", days), ("month_end", month_ends), ("sparse", sparse)]
    ]
    rng = np.random.default_rng(4)
    df = pl.concat(parts).with_columns(
        ret=pl.Series(rng.normal(0, 0.01, sum(len(p) for p in parts))),
        mkt=pl.Series(rng.normal(0, 0.01, sum(len(p) for p in parts))),
    )
    if time_zone is not None:
        df = df.with_columns(
            (pl.col("date").cast(pl.Datetime("us")) + pl.duration(hours=9, minutes=30))
            .dt.replace_time_zone(time_zone)
            .alias("date")
        )
    return df.sample(fraction=1.0, shuffle=True, seed=5)


@pytest.mark.parametrize("time_zone", [None, "America/New_York"])
@pytest.mark.parametrize("duration", ["1mo", "3mo", "1q", "1y", "2w", "1mo15d", "36h"])
def test_date_window_rows_match_offset_by_of_each_row(duration: str, time_zone: str | None) -> None:
    # The window's lower bounds are computed once per distinct time and looked up; this
    # counts each row's window from its own time's `offset_by`.
    df = calendar_edge_panel(time_zone)
    got = df.with_columns(
        n=pa.rolling_alpha_beta(
            "ret", "mkt", window=duration, order_by="date", by="key", min_periods=2
        ).struct.field("n")
    )
    checked = 0
    for rows in got.partition_by("key"):
        rows = rows.sort("date")
        times = rows["date"].to_list()
        lower = rows.select(pl.col("date").dt.offset_by(f"-{duration}"))["date"].to_list()
        for i, (lo, n) in enumerate(zip(lower, rows["n"], strict=True)):
            assert n == i + 1 - bisect.bisect_right(times, lo, hi=i + 1), (rows["key"][0], i)
            checked += 1
    assert checked == df.height


def _distinct(column: pl.Series) -> pl.Series:
    return pl.select(distinct_times(pl.lit(column))).to_series()


TIME_DTYPES = [
    pl.Date,
    pl.Datetime("ms"),
    pl.Datetime("ns", "America/New_York"),
    pl.Int32,
    pl.Int64,
    pl.UInt16,
    pl.Float64,
]


@pytest.mark.parametrize("dtype", TIME_DTYPES, ids=str)
def test_distinct_times_are_the_set_of_values(dtype: pl.DataType) -> None:
    # The distinct times a date window's bounds are computed for, against Python's set, on
    # columns that take the plugin's table in several pieces (a panel, and one sorted by
    # time), and on those that take Polars' `unique`: nulls, all-distinct values, other
    # dtypes.
    rng = np.random.default_rng(21)
    days = np.arange(2_000, dtype=np.int64) - 300
    panel = np.concatenate([np.sort(rng.choice(days, 1_500, replace=False)) for _ in range(1_200)])
    columns = {
        "panel": panel,
        "by time": np.sort(panel),
        "all distinct": np.arange(100_000, dtype=np.int64) * 7,
        "empty": np.array([], dtype=np.int64),
    }
    if dtype == pl.UInt16:
        columns = {name: values % 60_000 for name, values in columns.items()}
    for name, values in columns.items():
        column = pl.Series("t", values).cast(dtype)
        if dtype == pl.Datetime("ns", "America/New_York"):
            # Days as times of day across two DST changes.
            column = (pl.Series("t", values) * 3_600_000_000_000).cast(pl.Datetime("ns"))
            column = column.dt.replace_time_zone("America/New_York", ambiguous="earliest")
        got = _distinct(column)
        assert got.dtype == column.dtype, name
        assert got.len() == got.n_unique(), name
        # Compared as physical values: a million zoned datetimes are slow to make in Python.
        assert set(got.to_physical().to_list()) == set(column.to_physical().to_list()), name
    with_nulls = pl.Series("t", [3, None, 1, 3, None], dtype=pl.Int64).cast(dtype)
    assert set(_distinct(with_nulls).to_list()) == set(with_nulls.to_list())
    parts = [pl.Series("t", panel[:7_000]), pl.Series("t", panel[3_000:])]
    chunks = pl.concat(parts, rechunk=False)
    assert chunks.n_chunks() == 2
    assert set(_distinct(chunks).to_list()) == set(chunks.to_list())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-(2**63), 2**63 - 1) | st.integers(-5, 5), max_size=300))
def test_distinct_times_of_any_integers(values: list[int]) -> None:
    # The extremes of Int64 among them: the table marks its empty slots with one.
    column = pl.Series("t", values, dtype=pl.Int64)
    got = _distinct(column)
    assert sorted(got.to_list()) == sorted(set(values))


# --- whole-sample forms -----------------------------------------------------------------


def test_factor_regression_per_group_matches_statsmodels() -> None:
    df = factor_frame(13, n=300, tickers=("A", "B", "C"))
    out = (
        df.group_by("ticker", maintain_order=True)
        .agg(pa.factor_regression("ret", list(FACTORS), risk_free="rf").alias("f"))
        .unnest("f")
    )
    for ticker_rows, got in zip(
        df.partition_by("ticker", maintain_order=True), out.to_dicts(), strict=True
    ):
        y = (ticker_rows["ret"] - ticker_rows["rf"]).to_numpy()
        want = ols_fields(y, ticker_rows.select(FACTORS).to_numpy(), 2)
        got = renamed(got, list(FACTORS))
        for key, value in want.items():
            assert_close(got[key], value, 1e-9, f"{ticker_rows['ticker'][0]} {key}")
        assert got["n"] == 300


def test_monthly_group_by_dynamic_report_matches_statsmodels() -> None:
    df = factor_frame(14, n=200, tickers=("A", "B")).sort("date")
    report = (
        df.group_by_dynamic("date", every="1mo", group_by="ticker")
        .agg(pa.factor_regression("ret", ["mkt_rf", "smb"]).alias("f"))
        .unnest("f")
    )
    assert report.height == 14
    for row in report.to_dicts():
        month = df.filter(
            pl.col("ticker") == row["ticker"],
            pl.col("date").dt.truncate("1mo") == row["date"],
        )
        want = ols_fields(month["ret"].to_numpy(), month.select("mkt_rf", "smb").to_numpy(), 2)
        got = renamed(row, ["mkt_rf", "smb"])
        for key in ("alpha", "beta_x0", "beta_x1", "r2", "adj_r2", "alpha_t"):
            assert_close(got[key], want[key], 1e-9, f"{row['ticker']} {row['date']} {key}")


def test_whole_sample_with_expressions_as_factors() -> None:
    df = factor_frame(15, n=100)
    a = df.select(
        pa.factor_regression("ret", [(pl.col("mkt_rf") * 2).alias("mkt2"), pl.col("smb")]).alias(
            "f"
        )
    ).unnest("f")
    b = df.select(pa.factor_regression("ret", ["mkt_rf", "smb"]).alias("f")).unnest("f")
    assert a["beta_mkt2"][0] == pytest.approx(b["beta_mkt_rf"][0] / 2, rel=1e-12)
    assert a["alpha"][0] == pytest.approx(b["alpha"][0], rel=1e-12)


# --- contracts ----------------------------------------------------------------------------


def contract_exprs() -> dict[str, pl.Expr]:
    return {
        "rows": pa.rolling_factor_regression("ret", list(FACTORS), window=30, by="ticker"),
        "dates": pa.rolling_factor_regression(
            "ret", ["mkt_rf", "smb"], window="2mo", order_by="date", by="ticker"
        ),
        "expanding": pa.rolling_factor_regression("ret", ["hml"], window=None, by="ticker"),
    }


@pytest.mark.parametrize("kind", ["rows", "dates", "expanding"])
@pytest.mark.parametrize("engine", ["in-memory", "streaming"])
def test_lazy_equals_eager_and_schema(kind: str, engine: Any) -> None:
    df = gappy_panel(16)
    expr = contract_exprs()[kind].alias("f")
    eager = df.with_columns(expr)
    lazy = df.lazy().with_columns(expr)
    assert lazy.collect_schema() == eager.schema
    assert_frame_equal(lazy.collect(engine=engine), eager)


@pytest.mark.parametrize("order", ["sorted", "shuffled"])
def test_over_equals_by(order: str) -> None:
    df = gappy_panel(17)
    if order == "shuffled":
        df = df.sample(fraction=1.0, shuffle=True, seed=3).sort("date")
    by = df.select(
        pa.rolling_factor_regression("ret", list(FACTORS), window=25, by="ticker").alias("f")
    )
    over = df.select(
        pa.rolling_factor_regression("ret", list(FACTORS), window=25).over("ticker").alias("f")
    )
    assert_frame_equal(by, over)


def test_mixed_dtypes_are_read_as_floats() -> None:
    df = factor_frame(18, n=80).with_columns(
        pl.col("smb").cast(pl.Float32), (pl.col("hml") * 1000).round().cast(pl.Int32)
    )
    got = df.select(pa.factor_regression("ret", ["mkt_rf", "smb", "hml"]).alias("f")).unnest("f")
    f = df.select("mkt_rf", "smb", "hml").cast(pl.Float64).to_numpy()
    want = ols_fields(df["ret"].to_numpy(), f, 2)
    assert_close(got["beta_hml"][0], want["beta_x2"], 1e-9, "int factor")


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: pa.rolling_factor_regression("ret", []), ValueError, "`factors` is empty"),
        (lambda: pa.factor_regression("ret", []), ValueError, "`factors` is empty"),
        (lambda: pa.rolling_factor_regression("ret", "mkt_rf"), TypeError, "must be a list"),
        (
            lambda: pa.rolling_factor_regression("ret", ["smb", "smb"]),
            ValueError,
            "two factors are named 'smb'",
        ),
        (
            lambda: pa.rolling_factor_regression(
                "ret", [pl.col("smb"), pl.col("hml").alias("smb")]
            ),
            ValueError,
            "distinct name",
        ),
        (
            lambda: pa.rolling_factor_regression("ret", ["smb"], window="1y"),
            ValueError,
            "needs `order_by=`",
        ),
        (
            lambda: pa.rolling_alpha_beta("ret", "mkt_rf", window="1 year", order_by="date"),
            ValueError,
            "not a duration",
        ),
        (
            lambda: pa.rolling_alpha_beta("ret", "mkt_rf", window="0d", order_by="date"),
            ValueError,
            "positive duration",
        ),
        (
            lambda: pa.rolling_factor_regression("ret", ["smb"], window=1),
            ValueError,
            "at least 2",
        ),
    ],
)
def test_bad_arguments_raise_at_call_time(call: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    ("expr", "match"),
    [
        (
            lambda: pa.rolling_alpha_beta("ret", "mkt_rf", window="1y", order_by="day_number"),
            "`order_by` must be a Date or Datetime",
        ),
        (
            lambda: pa.rolling_factor_regression("ret", ["smb", "label"]),
            "`factors` must be numeric .* column 'label'",
        ),
    ],
)
def test_bad_columns_raise_at_schema_time(expr: Any, match: str) -> None:
    df = factor_frame(19, n=30).with_columns(
        pl.int_range(pl.len()).alias("day_number"), pl.lit("x").alias("label")
    )
    # Polars reports every plugin error, at schema or run time, as a ComputeError.
    with pytest.raises(pl.exceptions.ComputeError, match=match):
        df.lazy().select(expr()).collect_schema()
    with pytest.raises(pl.exceptions.ComputeError, match=match):
        df.select(expr())


def test_a_ticker_out_of_date_order_is_taken_in_date_order() -> None:
    df = gappy_panel(20)
    reversed_aaa = pl.concat(
        [df.filter(pl.col("ticker") == "AAA").reverse(), df.filter(pl.col("ticker") != "AAA")]
    )
    kw: dict[str, Any] = {"window": "1mo", "order_by": "date", "by": "ticker"}
    got = reversed_aaa.select("ticker", "date", pa.rolling_alpha_beta("ret", "mkt_rf", **kw))
    want = df.select("ticker", "date", pa.rolling_alpha_beta("ret", "mkt_rf", **kw))
    assert_frame_equal(got.sort("ticker", "date"), want.sort("ticker", "date"))
    # Sorted by date across tickers but interleaved is fine: each ticker's rows are in order.
    interleaved = df.sort("date")
    a = interleaved.select(
        pa.rolling_beta("ret", "mkt_rf", window="1mo", order_by="date", by="ticker").alias("b"),
        "ticker",
        "date",
    ).sort("ticker", "date")
    b = df.select(
        pa.rolling_beta("ret", "mkt_rf", window="1mo", order_by="date", by="ticker").alias("b"),
        "ticker",
        "date",
    )
    assert_frame_equal(a, b)


def test_null_time_raises() -> None:
    df = gappy_panel(21).with_columns(
        pl.when(pl.int_range(pl.len()) == 5).then(None).otherwise(pl.col("date")).alias("date")
    )
    with pytest.raises(pl.exceptions.ComputeError, match="`order_by` has 1 null values"):
        df.select(pa.rolling_beta("ret", "mkt_rf", window="1mo", order_by="date"))


# --- property test ------------------------------------------------------------------------


@st.composite
def factor_cases(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int, int]:
    n = draw(st.integers(1, 60))
    k = draw(st.integers(1, 4))
    window = draw(st.integers(2, 40))
    min_periods = draw(st.integers(2, window))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    f = rng.normal(0, 1, (n, k))
    y = f @ rng.normal(0, 1, k) + rng.normal(0, 0.5, n)
    null_rate = draw(st.sampled_from([0.0, 0.1, 0.4]))
    f[rng.random((n, k)) < null_rate] = np.nan
    y[rng.random(n) < null_rate] = np.nan
    if draw(st.booleans()) and n > 3:
        f[: n // 2, -1] = 1.5  # a factor constant for the first half
    return y, f, window, min_periods


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=factor_cases())
def test_random_windows_match_lstsq(case: tuple[np.ndarray, np.ndarray, int, int]) -> None:
    y, f, window, min_periods = case
    n, k = f.shape
    names = [f"f{j}" for j in range(k)]
    df = pl.DataFrame({"y": y, **{name: f[:, j] for j, name in enumerate(names)}}).fill_nan(None)
    out = df.select(
        pa.rolling_factor_regression("y", names, window=window, min_periods=min_periods).alias("o")
    ).unnest("o")
    for t in range(n):
        lo = max(0, t - window + 1)
        yy, ff = y[lo : t + 1], f[lo : t + 1]
        ok = np.isfinite(yy) & np.isfinite(ff).all(axis=1)
        assert out["n"][t] == ok.sum()
        yy, ff = yy[ok], ff[ok]
        got = out["beta_f0"][t]
        centered = ff - ff.mean(axis=0) if len(ff) else ff
        full_rank = len(ff) > k and np.linalg.matrix_rank(centered) == k
        if len(ff) < min_periods or not full_rank:
            # Rank tests may disagree only at the tolerance edge; random data is far from it.
            assert got is None
            continue
        x = np.column_stack([np.ones(len(yy)), ff])
        coef, *_ = np.linalg.lstsq(x, yy, rcond=None)
        cond = np.linalg.cond(centered)
        assert got == pytest.approx(coef[1], rel=1e-12 * cond**2 + 1e-9, abs=1e-9)
