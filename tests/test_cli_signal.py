"""The ``polars-alpha signal`` command, run for real in a subprocess, checked against
signal_report on the same data."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import polars_alpha as pa
from polars_alpha.datasets import load_sp500_sample, synthetic_signal

PREFIX = "python -m polars_alpha: error: "


def run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "polars_alpha", *args], capture_output=True, check=False
    )


def fails(*args: str) -> str:
    """Exit status 2, nothing on stdout, one line on stderr without a traceback."""
    result = run(*args)
    assert result.returncode == 2, result.stderr.decode()
    assert result.stdout == b""
    err = result.stderr.decode()
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def test_momentum_on_the_bundled_sample_matches_the_report(tmp_path: Path) -> None:
    out = tmp_path / "summary.csv"
    result = run("signal", "--signal", "momentum", "--horizons", "1,21", "-o", str(out))
    assert result.returncode == 0, result.stderr.decode()
    err = result.stderr.decode()
    assert "warning: the bundled sample has 20 tickers, a thin cross-section" in err
    got = pl.read_csv(out)
    stocks = load_sp500_sample().stocks.sort("ticker", "date")
    frame = stocks.with_columns(signal=pa.momentum("close", by="ticker", order_by="date"))
    report = pa.signal_report(frame, signal="signal", price="close", horizons=(1, 21))
    assert got["horizon"].to_list() == [1, 21]
    np.testing.assert_allclose(got["mean_ic"], report.summary["mean_ic"], rtol=1e-12)
    np.testing.assert_allclose(got["t_nw"], report.summary["t_nw"], rtol=1e-12)
    np.testing.assert_allclose(got["spread"], report.spread["mean_spread"], rtol=1e-12)
    assert got.columns == [
        "horizon",
        "dates",
        "mean_ic",
        "std_ic",
        "icir",
        "t_nw",
        "positive_share",
        "spread",
        "spread_t",
        "autocorrelation",
    ]


@pytest.mark.parametrize("name", ["weighted_alpha", "residual_momentum", "alpha"])
def test_every_named_signal_runs_on_the_sample(name: str) -> None:
    result = run("signal", "--signal", name, "--horizons", "5", "--format", "csv")
    assert result.returncode == 0, result.stderr.decode()
    table = pl.read_csv(result.stdout)
    assert table.height == 1
    assert table["dates"][0] > 1000
    assert -1 < table["mean_ic"][0] < 1


def test_table_output_and_plot(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    chart = tmp_path / "signal.png"
    result = run("signal", "--signal", "momentum", "--quantiles", "4", "--plot", str(chart))
    assert result.returncode == 0, result.stderr.decode()
    text = result.stdout.decode()
    assert "Signal momentum on 20 tickers" in text
    assert "Mean forward return by quantile" in text
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_signal_column_of_a_long_file(tmp_path: Path) -> None:
    planted = synthetic_signal(n_tickers=80, n_days=200, ic=0.1, seed=2)
    path = tmp_path / "stocks.parquet"
    market = planted.frame.group_by("date").agg(pl.col("close").mean()).sort("date")
    planted.frame.write_parquet(path)
    bench = tmp_path / "index.csv"
    market.write_csv(bench)
    result = run(
        "signal",
        str(path),
        "--signal",
        "signal",
        "--value-column",
        "close",
        "--benchmark",
        str(bench),
        "--horizons",
        "1",
        "--format",
        "csv",
    )
    assert result.returncode == 0, result.stderr.decode()
    assert b"warning" not in result.stderr
    got = pl.read_csv(result.stdout)
    want = pa.signal_report(planted.frame, signal="signal", price="close", horizons=(1,))
    assert got["mean_ic"][0] == pytest.approx(want.summary["mean_ic"][0], rel=1e-12)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--signal", "value"), "unknown signal 'value'"),
        (("--signal", "momentum", "--horizons", "0,5"), "--horizons '0,5' must be positive"),
        (("--signal", "momentum", "--horizons", "a"), "must be whole numbers"),
        (("--signal", "momentum", "--horizons", ""), "must be positive"),
        (("--signal", "momentum", "--quantiles", "1"), "--quantiles must be at least 2"),
        (("--signal", "momentum", "--plot", "x.jpg"), "--plot 'x.jpg'"),
        (("--signal", "momentum", "-o", "x.xlsx"), "--output 'x.xlsx'"),
    ],
)
def test_bad_options_are_one_line_errors(args: tuple[str, ...], message: str) -> None:
    err = fails("signal", *args)
    assert err.startswith(PREFIX)
    assert message in err


def test_missing_signal_option_is_an_error() -> None:
    result = run("signal")
    assert result.returncode == 2
    assert b"--signal" in result.stderr


def test_duplicate_rows_are_an_error(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "date": [dt.date(2024, 1, 2), dt.date(2024, 1, 2), dt.date(2024, 1, 3)],
            "ticker": ["A", "A", "A"],
            "close": [1.0, 1.1, 1.2],
            "score": [0.1, 0.2, 0.3],
        }
    )
    path = tmp_path / "dup.csv"
    frame.write_csv(path)
    bench = tmp_path / "bench.csv"
    pl.DataFrame({"date": [dt.date(2024, 1, 2), dt.date(2024, 1, 3)], "spx": [1.0, 1.1]}).write_csv(
        bench
    )
    err = fails(
        "signal",
        str(path),
        "--signal",
        "score",
        "--value-column",
        "close",
        "--benchmark",
        str(bench),
    )
    assert err.startswith(PREFIX)
    assert "'A' has two rows on `date` 2024-01-02" in err
