"""Cross-sectional rank and z-score against scipy and NumPy formulas."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from scipy import stats

import polars_alpha as pa


def panel(seed: int = 5, dates: int = 6, tickers: int = 25) -> pl.DataFrame:
    """Dates x tickers of values with ties, nulls and NaN."""
    rng = np.random.default_rng(seed)
    values = np.round(rng.normal(0.0, 1.0, dates * tickers), 1)  # rounding makes ties
    frame = pl.DataFrame(
        {
            "date": np.repeat(np.arange(dates), tickers),
            "x": values,
        }
    )
    missing = rng.random(dates * tickers)
    return frame.with_columns(
        x=pl.when(pl.lit(missing) < 0.08)
        .then(None)
        .when(pl.lit(missing) < 0.14)
        .then(float("nan"))
        .otherwise(pl.col("x"))
    )


def present(values: np.ndarray) -> np.ndarray:
    return ~np.isnan(values)


@pytest.mark.parametrize("method", ["average", "min", "max", "dense", "ordinal"])
@pytest.mark.parametrize("descending", [True, False])
def test_rank_matches_scipy_rankdata_per_date(method: str, descending: bool) -> None:
    frame = panel()
    out = frame.with_columns(
        rank=pa.cross_sectional_rank("x", descending=descending, method=method).over("date")  # type: ignore[arg-type]
    )
    for _, group in out.group_by("date", maintain_order=True):
        x = group.get_column("x").fill_null(float("nan")).to_numpy()
        got = group.get_column("rank").to_numpy().astype(float)
        keep = present(x)
        assert np.isnan(got[~keep]).all()  # null and NaN rank null
        expected = stats.rankdata(-x[keep] if descending else x[keep], method=method)
        np.testing.assert_array_equal(got[keep], expected)


def test_rank_pct_divides_by_the_present_count() -> None:
    frame = panel(seed=8)
    out = frame.with_columns(
        rank=pa.cross_sectional_rank("x").over("date"),
        pct=pa.cross_sectional_rank("x", pct=True).over("date"),
    )
    for _, group in out.group_by("date"):
        x = group.get_column("x").fill_null(float("nan")).to_numpy()
        count = present(x).sum()
        ranks = group.get_column("rank").to_numpy().astype(float)
        np.testing.assert_allclose(group.get_column("pct").to_numpy(), ranks / count)
    assert out.get_column("pct").max() == 1.0


def test_rank_default_is_one_for_the_largest_with_min_ties() -> None:
    df = pl.DataFrame({"a": [3, 1, 3, None, 2]})
    out = df.select(pa.cross_sectional_rank("a"))
    assert out.get_column("a").to_list() == [1, 4, 1, None, 3]
    assert out.schema["a"] == pl.UInt32


@pytest.mark.parametrize("ddof", [0, 1])
def test_zscore_matches_scipy_per_date(ddof: int) -> None:
    frame = panel(seed=2)
    out = frame.with_columns(z=pa.cross_sectional_zscore("x", ddof=ddof).over("date"))
    for _, group in out.group_by("date"):
        x = group.get_column("x").fill_null(float("nan")).to_numpy()
        got = group.get_column("z").to_numpy()
        keep = present(x)
        assert np.isnan(got[~keep]).all()
        np.testing.assert_allclose(got[keep], stats.zscore(x[keep], ddof=ddof), rtol=1e-12)


@pytest.mark.parametrize("q", [0.0, 0.05, 0.1, 0.25])
def test_winsorized_zscore_clips_at_interpolated_quantiles(q: float) -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_t(2, 200)  # heavy tails
    x[[5, 50]] = [40.0, -35.0]
    df = pl.DataFrame({"x": x})
    got = df.select(pa.cross_sectional_zscore("x", winsorize=q)).get_column("x").to_numpy()
    clipped = np.clip(x, np.quantile(x, q), np.quantile(x, 1 - q))
    expected = (clipped - clipped.mean()) / clipped.std(ddof=1)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_winsorizing_tames_an_outlier() -> None:
    x = [*map(float, range(1, 100)), 100_000.0]
    df = pl.DataFrame({"x": x})
    raw = df.select(pa.cross_sectional_zscore("x")).get_column("x")
    wins = df.select(pa.cross_sectional_zscore("x", winsorize=0.05)).get_column("x")
    # Raw: the outlier squeezes the 99 others into a sliver; winsorized, they spread out.
    assert raw[:99].max() - raw[:99].min() < 0.01
    assert wins[:99].max() - wins[:99].min() > 3.0
    assert wins[99] == wins[94:99].max()  # the outlier now sits with the top 5%


def test_zscore_clip_caps_the_output() -> None:
    x = np.arange(100.0)
    x[-1] = 10_000.0
    df = pl.DataFrame({"x": x})
    raw = df.select(pa.cross_sectional_zscore("x")).get_column("x").to_numpy()
    clipped = df.select(pa.cross_sectional_zscore("x", clip=3.0)).get_column("x").to_numpy()
    assert raw.max() > 9.0
    np.testing.assert_allclose(clipped, np.clip(raw, -3.0, 3.0))


def test_zscore_is_null_without_dispersion() -> None:
    df = pl.DataFrame(
        {
            "date": [1, 1, 1, 2, 2, 3, 3],
            "x": [2.0, 2.0, None, 5.0, None, 1.0, 3.0],
        }
    )
    out = df.with_columns(z=pa.cross_sectional_zscore("x").over("date"))
    z = out.get_column("z").to_list()
    assert z[:5] == [None] * 5  # constant date 1; a single value on date 2
    assert z[5] == pytest.approx(-1 / math.sqrt(2))
    assert z[6] == pytest.approx(1 / math.sqrt(2))


def test_integer_input_and_expression_names() -> None:
    df = pl.DataFrame({"n": [1, 2, 3, 4]})
    out = df.select(
        pa.cross_sectional_zscore("n"),
        pa.cross_sectional_rank(pl.col("n") * 2).alias("r"),
    )
    assert out.schema == pl.Schema({"n": pl.Float64, "r": pl.UInt32})
    np.testing.assert_allclose(out.get_column("n").to_numpy(), stats.zscore([1, 2, 3, 4], ddof=1))
    assert out.get_column("r").to_list() == [4, 3, 2, 1]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: pa.cross_sectional_zscore("x", winsorize=0.5), ValueError, "winsorize"),
        (lambda: pa.cross_sectional_zscore("x", winsorize=-0.1), ValueError, "winsorize"),
        (lambda: pa.cross_sectional_zscore("x", winsorize="1%"), TypeError, "winsorize"),
        (lambda: pa.cross_sectional_zscore("x", clip=0.0), ValueError, "clip"),
        (lambda: pa.cross_sectional_zscore("x", clip=True), TypeError, "clip"),
        (lambda: pa.cross_sectional_zscore("x", ddof=2), ValueError, "ddof"),
        (lambda: pa.cross_sectional_zscore(3), TypeError, "measure"),
        (lambda: pa.cross_sectional_rank("x", method="first"), ValueError, "method"),
        (lambda: pa.cross_sectional_rank("x", descending=1), TypeError, "descending"),
        (lambda: pa.cross_sectional_rank("x", pct="yes"), TypeError, "pct"),
    ],
)
def test_bad_arguments_raise_at_once(call: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()  # type: ignore[operator]
