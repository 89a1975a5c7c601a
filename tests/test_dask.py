"""polars_alpha.dask on a real 2-process distributed.LocalCluster: every result equals the same
expressions on the whole frame in one process, exactly."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

dask = pytest.importorskip(
    "dask", reason="the [dask] extra (dask[dataframe,distributed]) is not installed"
)
distributed = pytest.importorskip("distributed", reason="the [dask] extra is not installed")

import dask.dataframe as dd  # noqa: E402
import pandas as pd  # noqa: E402
import polars as pl  # noqa: E402
from polars.testing import assert_frame_equal  # noqa: E402
from scale_out_data import expressions, random_panel, real_returns, single_machine  # noqa: E402

import polars_alpha as pa  # noqa: E402
from polars_alpha import dask as pad  # noqa: E402
from polars_alpha import partitioned  # noqa: E402

# Two worker processes on two cores: one Polars thread each.
THREADS = 1


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    environ = {"distributed.nanny.pre-spawn-environ.POLARS_MAX_THREADS": str(THREADS)}
    with (
        dask.config.set(environ),
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _to_dask(frame: pl.DataFrame, npartitions: int) -> dd.DataFrame:
    return dd.from_pandas(
        frame.to_pandas(use_pyarrow_extension_array=True), npartitions=npartitions
    )


def _to_polars(ddf: dd.DataFrame) -> pl.DataFrame:
    return pl.from_pandas(ddf.compute().reset_index(drop=True)).sort("ticker", "date")


def test_real_data_equals_one_process(client: distributed.Client) -> None:
    frame = real_returns().sample(fraction=1.0, shuffle=True, seed=1)
    exprs = expressions()
    out = pad.with_columns(_to_dask(frame, 3), *exprs)
    assert isinstance(out, dd.DataFrame)
    result = _to_polars(out)
    expected = single_machine(frame, exprs)
    assert result["capm"].struct.field("beta").null_count() < result.height
    assert_frame_equal(result, expected, check_exact=True)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_panel_with_nulls_equals_one_process(client: distributed.Client, seed: int) -> None:
    frame = random_panel(seed)
    exprs = expressions()
    result = _to_polars(pad.with_columns(_to_dask(frame, 4), *exprs))
    assert_frame_equal(result, single_machine(frame, exprs), check_exact=True)


def test_two_worker_processes_did_the_work_with_the_configured_pool(
    client: distributed.Client,
) -> None:
    frame = random_panel(3, tickers=12, days=120)
    out = pad.with_columns(
        _to_dask(frame, 8), pa.rolling_beta("ret", "market", window=10, by="ticker").alias("b")
    )
    with distributed.get_task_stream(client) as stream:
        out.compute()
    workers = {task["worker"] for task in stream.data if "partition" in str(task["key"])}
    pids = client.run(os.getpid)
    pools = client.run(pl.thread_pool_size)
    assert len({pids[w] for w in workers}) == 2
    assert os.getpid() not in {pids[w] for w in workers}
    assert {pools[w] for w in workers} == {THREADS}


def test_the_meta_is_the_computed_schema(client: distributed.Client) -> None:
    frame = random_panel(4)
    out = pad.with_columns(_to_dask(frame, 2), *expressions())
    computed = out.compute()
    assert list(out.columns) == list(computed.columns)
    assert dict(out.dtypes) == dict(computed.dtypes)
    assert isinstance(out.dtypes["capm"], pd.ArrowDtype)


def test_the_key_column_is_kept_where_pandas_groupby_apply_drops_it(
    client: distributed.Client,
) -> None:
    frame = random_panel(5)
    pdf = frame.to_pandas(use_pyarrow_extension_array=True)
    if int(pd.__version__.split(".")[0]) >= 3:
        # The pitfall this module avoids: pandas 3 leaves the key out of each group.
        applied = pdf.groupby("ticker").apply(lambda g: g)
        assert "ticker" not in applied.columns
    expr = pa.rolling_beta("ret", "market", window=10, by="ticker", order_by="date")
    ddf = dd.from_pandas(pdf, npartitions=3)
    result = pad.with_columns(ddf, expr.alias("b")).compute()
    assert list(result.columns) == [*pdf.columns, "b"]
    assert result["ticker"].dtype == ddf["ticker"].dtype
    assert sorted(result["ticker"]) == sorted(pdf["ticker"])


def test_a_broadcast_benchmark_is_joined_on_the_date(client: distributed.Client) -> None:
    frame = real_returns()
    market = frame.select("date", "market").unique("date")
    stocks = frame.drop("market")
    exprs = [pa.rolling_alpha_beta("ret", "market", window=30, by="ticker").alias("fit")]
    result = _to_polars(pad.with_columns(_to_dask(stocks, 3), *exprs, broadcast=market))
    expected = stocks.join(market, on="date").sort("ticker", "date").with_columns(exprs)
    assert "market" not in result.columns
    assert_frame_equal(result, expected.drop("market"), check_exact=True)


def test_parquet_buckets_skip_the_shuffle(client: distributed.Client, tmp_path: Path) -> None:
    frame = random_panel(6, tickers=9)
    files = partitioned.bucket_parquet(frame, tmp_path / "buckets", buckets=4)
    ddf = dd.read_parquet(str(tmp_path / "buckets"), dtype_backend="pyarrow")
    assert ddf.npartitions == len(files)
    exprs = expressions()
    out = pad.with_columns(ddf, *exprs, shuffle=False)
    assert out.npartitions == len(files)
    assert_frame_equal(_to_polars(out), single_machine(frame, exprs), check_exact=True)


def test_a_key_split_across_partitions_raises_without_the_shuffle(
    client: distributed.Client,
) -> None:
    frame = random_panel(7).sort("date")  # every ticker in every partition
    expr = pa.rolling_beta("ret", "market", window=10, by="ticker").alias("b")
    with pytest.raises(ValueError, match="lie in several partitions"):
        pad.with_columns(_to_dask(frame, 3), expr, shuffle=False)


@pytest.mark.parametrize(
    ("kwargs", "expr", "error", "words"),
    [
        ({"partition_by": "symbol"}, None, ValueError, "`partition_by`='symbol'"),
        ({"order_by": "day"}, None, ValueError, "`order_by`='day'"),
        ({}, pa.rolling_beta("ret", "market", window=5, by="date"), ValueError, "by='date'"),
        ({}, pa.rolling_beta("ret", "market", window=5), ValueError, "has no by="),
        ({}, pa.cross_sectional_rank("ret").over("date"), ValueError, r"over\('date'\)"),
        ({"partition_by": ["ticker"]}, None, TypeError, "`partition_by`"),
        ({"broadcast": pl.DataFrame({"day": [1]})}, None, ValueError, "'date'"),
    ],
)
def test_hostile_input_names_the_argument(
    kwargs: dict[str, object], expr: pl.Expr | None, error: type[Exception], words: str
) -> None:
    ddf = _to_dask(random_panel(8), 2)
    expr = pa.rolling_beta("ret", "market", window=5, by="ticker") if expr is None else expr
    with pytest.raises(error, match=words):
        pad.with_columns(ddf, expr, **kwargs)  # type: ignore[arg-type]


def test_not_a_dask_frame_raises() -> None:
    with pytest.raises(TypeError, match="`ddf`"):
        pad.with_columns(random_panel(9), pa.rolling_beta("ret", "market", by="ticker"))


def test_shipped_expressions_find_the_library_where_the_worker_has_it() -> None:
    """An expression holds the compiled library's absolute path; a worker whose environment
    lives elsewhere (a packed one unpacked by Spark) gets it pointed at its own copy."""
    import json

    from polars_alpha import _calls

    frame = random_panel(10)
    expr = pa.rolling_beta("ret", "market", window=5, by="ticker", order_by="date").alias("b")
    shipped = _calls.portable([expr])[0]
    # Polars stores the library's path relative to sys.prefix when the package is installed
    # there (a virtual environment), and absolute otherwise (an editable checkout).
    package = Path(pa.__file__).parent
    prefix = Path(sys.prefix)
    ours = str(package.relative_to(prefix) if package.is_relative_to(prefix) else package)
    assert ours in shipped
    elsewhere = shipped.replace(json.dumps(ours)[1:-1], "/opt/other-env/site-packages/polars_alpha")
    assert ours not in elsewhere
    (local,) = _calls.local([elsewhere])
    assert_frame_equal(frame.with_columns(local), frame.with_columns(expr), check_exact=True)
