"""`.over(key)` on a polars-alpha expression.

Written directly on an expression whose inputs are plain columns, with one plain key column,
no `order_by` and the default mapping, `.over(key)` runs as `by=key`. Every other `.over()` is
Polars' own, which calls the plugin once per group with that group's rows of the inputs. These
tests hold both paths to the same numbers where they must agree, and show where they must not:
an input computed under `.over()` sees only its group.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import polars_alpha as pa
from polars_alpha._plugin import KeyablePluginExpr


def _panel(seed: int = 7, tickers: int = 5, days: int = 40) -> pl.DataFrame:
    """Interleaved rows of several tickers (and a null key), with missing values."""
    rng = np.random.default_rng(seed)
    rows = tickers * days
    mkt = rng.normal(0.0, 0.01, rows)
    ret = 0.0003 + 0.9 * mkt + rng.normal(0.0, 0.01, rows)
    ret[rng.choice(rows, 12, replace=False)] = np.nan
    keys: list[str | None] = [f"T{k}" for k in rng.integers(0, tickers, rows)]
    for i in rng.choice(rows, 25, replace=False):
        keys[i] = None
    return pl.DataFrame(
        {
            "ticker": keys,
            "day": np.arange(rows),
            "ret": ret,
            "mkt": mkt,
            "rf": rng.uniform(0.0, 1e-4, rows),
            "price": 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, rows))),
        }
    ).with_columns(
        half=(pl.col("day") % 2 == 0),
        date=pl.date(2020, 1, 1) + pl.duration(days=pl.col("day")),
    )


#: Per-row expressions without `by=`, each as `make(by)`.
FORMS: dict[str, Callable[[str | None], pl.Expr]] = {
    "rolling_alpha_beta": lambda by: pa.rolling_alpha_beta(
        "ret", "mkt", window=8, min_periods=5, risk_free="rf", by=by
    ),
    "rolling_alpha_beta(fields=)": lambda by: pa.rolling_alpha_beta(
        pl.col("ret"), pl.col("mkt"), window=8, fields=["alpha", "beta"], by=by
    ),
    "rolling_beta(expanding)": lambda by: pa.rolling_beta("ret", "mkt", window=None, by=by),
    "date window": lambda by: pa.rolling_alpha(
        "ret", "mkt", window="60d", order_by="date", min_periods=4, by=by
    ),
    "ewm_alpha_beta": lambda by: pa.ewm_alpha_beta(
        "ret", "mkt", half_life=4.0, window=None, min_periods=5, by=by
    ),
    "rolling_factor_regression": lambda by: pa.rolling_factor_regression(
        "ret", ["mkt", "rf"], window=10, by=by
    ),
    "rolling_sharpe_ratio": lambda by: pa.rolling_sharpe_ratio("ret", window=8, by=by),
    "weighted_alpha": lambda by: pa.weighted_alpha("price", window=6, by=by),
    "residual_momentum": lambda by: pa.residual_momentum(
        "ret", "mkt", fit_window=10, window=5, skip=1, by=by
    ),
}


@pytest.mark.parametrize("name", list(FORMS))
def test_over_a_plain_key_runs_as_by(name: str) -> None:
    df = _panel()
    make = FORMS[name]
    expr = make(None)
    assert isinstance(expr, KeyablePluginExpr)
    for key in ("ticker", pl.col("ticker"), ["ticker"]):
        over = expr.over(key)
        # One plugin call with the key (its physical values) as its last input, no window node.
        assert ".over(" not in str(over), key
        assert str(over).endswith('col("ticker").to_physical()])'), key
        got = df.select(out=over)
        assert_frame_equal(got, df.select(out=make("ticker")), check_exact=True)
    # Polars' per-group path (`.alias` first) gives the same bits.
    per_group = df.select(out=expr.alias("out").over("ticker"))
    assert ".over(" in str(expr.alias("out").over("ticker"))
    assert_frame_equal(got, per_group, check_exact=True)
    # Not vacuous: most rows have a value, and the groups matter.
    values = got.get_column("out")
    if values.dtype == pl.Struct:
        values = values.struct.field(values.struct.fields[0])
    assert values.is_not_null().mean() > 0.2  # type: ignore[operator]
    assert not got.equals(df.select(out=expr))


def test_over_in_a_lazy_query_equals_eager() -> None:
    df = _panel()
    expr = pa.rolling_alpha_beta("ret", "mkt", window=8)
    lazy = df.lazy().with_columns(fit=expr.over("ticker")).collect()
    assert_frame_equal(lazy, df.with_columns(fit=expr.over("ticker")), check_exact=True)
    streaming = df.lazy().with_columns(fit=expr.over("ticker")).collect(engine="streaming")
    assert_frame_equal(streaming, lazy, check_exact=True)


def test_a_computed_input_sees_its_group() -> None:
    # Under `.over`, `ret - ret.mean()` subtracts each ticker's mean, so alpha falls by it
    # (alpha = mean(y) - beta mean(x)); `by=` would subtract the mean of the whole column.
    df = _panel().filter(pl.col("ticker").is_not_null(), pl.col("ret").is_not_nan())
    demeaned = pl.col("ret") - pl.col("ret").mean()
    got = df.select(pa.rolling_alpha(demeaned, "mkt", window=8).over("ticker"))
    raw = df.select(pa.rolling_alpha("ret", "mkt", window=8, by="ticker"))
    group_mean = df.select(pl.col("ret").mean().over("ticker")).to_series()
    np.testing.assert_allclose(
        got.to_series().to_numpy(),
        (raw.to_series() - group_mean).to_numpy(),
        rtol=1e-9,
        atol=1e-15,
    )
    whole_column = df.select(pa.rolling_alpha(demeaned, "mkt", window=8, by="ticker"))
    assert not np.allclose(
        got.to_series().to_numpy(), whole_column.to_series().to_numpy(), equal_nan=True
    )


def test_several_keys_are_polars_over() -> None:
    df = _panel()
    expr = pa.rolling_beta("ret", "mkt", window=6)
    over = expr.over("ticker", "half")
    assert ".over(" in str(over)
    combined = pl.struct("ticker", "half")
    want = df.select(pa.rolling_beta("ret", "mkt", window=6, by=combined))
    assert_frame_equal(df.select(over), want, check_exact=True)
    assert_frame_equal(df.select(expr.over(["ticker", "half"])), want, check_exact=True)


def test_a_join_mapping_is_polars_over() -> None:
    df = _panel().filter(pl.col("ticker").is_not_null())
    expr = pa.rolling_beta("ret", "mkt", window=6)
    got = df.select("ticker", beta=expr.over("ticker", mapping_strategy="join"))
    by = df.select("ticker", beta=pa.rolling_beta("ret", "mkt", window=6, by="ticker"))
    for (ticker,), rows in by.group_by("ticker"):
        lists = got.filter(pl.col("ticker") == ticker).get_column("beta")
        assert all(lst.equals(rows.get_column("beta"), null_equal=True) for lst in lists)


def test_other_expressions_keep_polars_over() -> None:
    expr = pa.rolling_beta("ret", "mkt", window=6)
    # Any method returns a plain expression; the key must be one plain column; an order_by
    # is Polars'.
    assert not isinstance(expr.alias("b"), KeyablePluginExpr)
    assert ".over(" in str(expr.over(pl.col("ticker").str.to_lowercase()))
    assert ".over(" in str(expr.over("ticker", order_by="day"))
    # Whole-sample statistics, and calls that already have a key, are plain expressions.
    assert not isinstance(pa.alpha_beta("ret", "mkt"), KeyablePluginExpr)
    assert not isinstance(pa.rolling_beta("ret", "mkt", window=6, by="ticker"), KeyablePluginExpr)


def test_a_pickled_expression_still_runs_over_as_by() -> None:
    # Dask and Spark ship expressions to their workers pickled.
    df = _panel()
    expr = pa.rolling_alpha_beta("ret", "mkt", window=8, risk_free="rf")
    shipped = pickle.loads(pickle.dumps(expr))
    assert isinstance(shipped, KeyablePluginExpr)
    assert ".over(" not in str(shipped.over("ticker"))
    assert_frame_equal(
        df.select(shipped.over("ticker")), df.select(expr.over("ticker")), check_exact=True
    )


@pytest.mark.parametrize("key", ["f", "b", "l", "s", "d", "c"])
def test_every_key_dtype_groups_as_polars_over(key: str) -> None:
    rng = np.random.default_rng(3)
    df = pl.DataFrame(
        {
            "ret": rng.normal(size=90),
            "mkt": rng.normal(size=90),
            "f": rng.integers(0, 3, 90).astype(float),
            "b": rng.integers(0, 2, 90).astype(bool),
        }
    ).with_columns(
        l=pl.concat_list("f"),
        s=pl.struct("f", "b"),
        d=pl.date(2020, 1, 1) + pl.duration(days=pl.col("f").cast(pl.Int64)),
        c=pl.col("f").cast(pl.String).cast(pl.Categorical),
    )
    expr = pa.rolling_beta("ret", "mkt", window=5)
    got = df.select(expr.over(key))
    assert ".over(" not in str(expr.over(key))
    assert_frame_equal(got, df.select(expr.alias("ret").over(key)), check_exact=True)
    assert got.to_series().is_not_null().sum() > 50
