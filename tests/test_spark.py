"""polars_alpha.spark on a real local[2] Spark session: every result equals the same
expressions on the whole frame in one process, exactly, with the types Spark lacks cast."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator

import pytest

if shutil.which("java") is None:  # pragma: no cover - .ci/run installs openjdk-17-jre-headless
    pytest.skip("Spark needs a Java runtime (openjdk-17-jre-headless)", allow_module_level=True)
pyspark = pytest.importorskip("pyspark", reason="the [spark] extra (pyspark) is not installed")

import polars as pl  # noqa: E402
import pyarrow as pa  # noqa: E402
from polars.testing import assert_frame_equal  # noqa: E402
from pyspark.sql import SparkSession  # noqa: E402
from scale_out_data import expressions, random_panel, real_returns, single_machine  # noqa: E402

import polars_alpha as pa_  # noqa: E402
from polars_alpha import spark as pas  # noqa: E402

# Two task slots on two cores: one Polars thread each.
THREADS = 1


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("polars-alpha-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.executorEnv.POLARS_MAX_THREADS", str(THREADS))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _spark_dtypes(frame: pl.DataFrame) -> pl.DataFrame:
    """What Spark returns for a Polars frame: n (UInt32) as Int64."""
    return frame.cast({name: pas._spark_dtype(dtype) for name, dtype in frame.schema.items()})


def _collect(sdf: object) -> pl.DataFrame:
    out = pl.from_arrow(sdf.toArrow())  # type: ignore[attr-defined]
    assert isinstance(out, pl.DataFrame)
    return out.sort("ticker", "date")


def test_real_and_random_data_equal_one_process(spark: SparkSession) -> None:
    exprs = expressions()
    for frame in (real_returns(), random_panel(1)):
        out = pas.with_columns(spark.createDataFrame(frame.to_arrow()), *exprs)
        result = _collect(out)
        expected = _spark_dtypes(single_machine(frame, exprs))
        assert result["capm"].struct.field("beta").null_count() < result.height
        assert_frame_equal(result, expected, check_exact=True)


def test_the_output_schema_is_derived_and_spark_safe(spark: SparkSession) -> None:
    frame = random_panel(2).with_columns(pl.col("ticker").cast(pl.Categorical))
    exprs = [
        pa_.rolling_alpha_beta("ret", "market", window=20, by="ticker").alias("fit"),
        pl.len().over("ticker").cast(pl.UInt32).alias("rows"),
    ]
    out = pas.with_columns(spark.createDataFrame(frame.to_arrow()), *exprs)
    fields = {f.name: f.dataType.simpleString() for f in out.schema.fields}
    assert fields["rows"] == "bigint"
    assert fields["fit"].endswith(",n:bigint>")
    assert fields["ticker"] == "string"
    result = _collect(out)
    assert result["rows"].dtype == pl.Int64
    assert result["fit"].struct.field("n").dtype == pl.Int64
    assert_frame_equal(result, _spark_dtypes(single_machine(frame, exprs)), check_exact=True)


def test_a_broadcast_benchmark_is_joined_on_the_date(spark: SparkSession) -> None:
    frame = real_returns()
    market = frame.select("date", "market").unique("date")
    stocks = frame.drop("market")
    exprs = [pa_.rolling_alpha_beta("ret", "market", window=30, by="ticker").alias("fit")]
    out = pas.with_columns(spark.createDataFrame(stocks.to_arrow()), *exprs, broadcast=market)
    expected = stocks.join(market, on="date").sort("ticker", "date").with_columns(exprs)
    assert "market" not in out.columns
    assert_frame_equal(_collect(out), _spark_dtypes(expected.drop("market")), check_exact=True)


def test_python_workers_run_polars_with_the_configured_threads(spark: SparkSession) -> None:
    sdf = spark.createDataFrame(random_panel(3).to_arrow())
    probe = sdf.groupBy("ticker").applyInArrow(
        lambda table: pa.table(
            {
                "threads": pa.array([pl.thread_pool_size()], pa.int64()),
                "variable": pa.array([os.environ.get("POLARS_MAX_THREADS")], pa.string()),
            }
        ),
        schema="threads long, variable string",
    )
    rows = probe.toArrow().to_pylist()
    assert len(rows) == 7
    assert {(r["threads"], r["variable"]) for r in rows} == {(THREADS, str(THREADS))}


@pytest.mark.parametrize(
    ("kwargs", "expr", "error", "words"),
    [
        ({"partition_by": "symbol"}, None, ValueError, "`partition_by`='symbol'"),
        ({"order_by": "day"}, None, ValueError, "`order_by`='day'"),
        ({}, pa_.rolling_beta("ret", "market", window=5, by="date"), ValueError, "by='date'"),
        ({}, pa_.rolling_beta("ret", "market", window=5), ValueError, "has no by="),
        ({}, pa_.cross_sectional_zscore("ret").over("date"), ValueError, r"over\('date'\)"),
        ({"broadcast": pl.DataFrame({"date": [1, 1]})}, None, ValueError, "repeated"),
    ],
)
def test_hostile_input_names_the_argument(
    spark: SparkSession,
    kwargs: dict[str, object],
    expr: pl.Expr | None,
    error: type[Exception],
    words: str,
) -> None:
    sdf = spark.createDataFrame(random_panel(4).to_arrow())
    expr = pa_.rolling_beta("ret", "market", window=5, by="ticker") if expr is None else expr
    with pytest.raises(error, match=words):
        pas.with_columns(sdf, expr, **kwargs)  # type: ignore[arg-type]


def test_not_a_spark_frame_raises() -> None:
    with pytest.raises(TypeError, match="`sdf`"):
        pas.with_columns(random_panel(5), pa_.rolling_beta("ret", "market", by="ticker"))
