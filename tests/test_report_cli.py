"""polars-alpha report, run for real in a subprocess: the bundled sample (20 stocks and their
equal-weight portfolio against the S&P 500), files, the charts and page it writes, and its
one-line errors (exit code 2)."""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import polars_alpha as pa
from polars_alpha.cli.report import PORTFOLIO
from polars_alpha.datasets import SP500Sample, load_sp500_sample

empyrical = pytest.importorskip("empyrical")
sm = pytest.importorskip("statsmodels.api")

PREFIX = "python -m polars_alpha: error: "


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "polars_alpha", "report", *args],
        capture_output=True,
        cwd=cwd,
        check=False,
    )


def ok(*args: str, cwd: Path | None = None) -> tuple[str, str]:
    result = run(*args, cwd=cwd)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode(), result.stderr.decode()


def fails(*args: str, cwd: Path | None = None) -> str:
    """Exit status 2, nothing on stdout, one line on stderr without a traceback."""
    result = run(*args, cwd=cwd)
    err = result.stderr.decode()
    assert result.returncode == 2, (result.returncode, err)
    assert result.stdout == b""
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err
    assert err.startswith(PREFIX), err
    return err[len(PREFIX) :]


@pytest.fixture(scope="module")
def sample() -> SP500Sample:
    return load_sp500_sample()


def test_no_file_reports_the_stocks_and_their_equal_weight_portfolio(
    tmp_path: Path, sample: SP500Sample
) -> None:
    out, err = ok()
    first, second = out.splitlines()[:2]
    assert first.startswith("Strategy report: 21 strategies from the bundled S&P 500 sample")
    assert "1990-01-03 to 2017-03-29, 252 periods a year (daily dates)" in second
    assert "note: the risk-free rate ends on 2017-03-29" in err
    assert f"{PORTFOLIO}: the last 12 months" in out
    months = [
        line.split("┆")[0].strip("│ ") for line in out.split("the last 12 months")[1].splitlines()
    ]
    assert [m for m in months if m[:2] in ("20",)] == [
        *(f"2016-{m:02d}" for m in range(4, 13)),
        "2017-01",
        "2017-02",
        "2017-03",
    ]
    ok("-o", str(tmp_path / "summary.csv"))
    summary = pl.read_csv(tmp_path / "summary.csv", try_parse_dates=True)
    assert summary.height == 21
    assert summary.get_column("ticker").to_list() == sorted(
        [*sample.stocks.get_column("ticker").unique().to_list(), PORTFOLIO]
    )
    # The portfolio: the mean of the day's stock returns, built here from the dataset's own
    # returns; its figures against empyrical and statsmodels.
    rows = sample.returns()
    portfolio = (
        rows.group_by("date")
        .agg(pl.col("ret").mean(), pl.col("market").first(), pl.col("rf").first())
        .filter(pl.all_horizontal(pl.col("ret", "market", "rf").is_finite()))
        .sort("date")
    )
    r, b, rf = (portfolio.get_column(c).to_numpy() for c in ("ret", "market", "rf"))
    row = summary.filter(pl.col("ticker") == PORTFOLIO).row(0, named=True)
    fit = sm.OLS(r - rf, sm.add_constant(b - rf)).fit()
    wanted = {
        "n": len(r),
        "sharpe": empyrical.sharpe_ratio(r, risk_free=rf),
        "max_drawdown": empyrical.max_drawdown(r),
        "up_capture": empyrical.up_capture(r, b),
        "alpha_ann": empyrical.alpha(r - rf, b - rf),
        "beta": fit.params[1],
        "alpha_t": fit.tvalues[0],
    }
    for name, value in wanted.items():
        assert math.isclose(row[name], value, rel_tol=1e-9), (name, row[name], value)
    # A stock's row is strategy_report's on the same inputs.
    direct = pa.strategy_report(sample.stocks, benchmark=sample.index, risk_free=sample.risk_free)
    assert_frame_equal(
        summary.filter(pl.col("ticker") != PORTFOLIO),
        direct.summary.with_columns(pl.col("n").cast(pl.Int64)),
        check_exact=False,
        rel_tol=1e-12,
    )


def test_the_table_prints_every_measure_and_the_months_of_strategy() -> None:
    out, err = ok("--no-risk-free", "--strategy", "AAPL")
    assert err == ""
    assert "1990-01-03 to 2022-12-28" in out
    for column in pa.report.SUMMARY_COLUMNS[3:]:
        assert column in out
    assert "AAPL: the last 12 months" in out
    assert "2022-12 " in out


@pytest.fixture(scope="module")
def weekly_file(tmp_path_factory: pytest.TempPathFactory, sample: SP500Sample) -> Path:
    """A wide CSV of two funds' weekly prices and SPY's, Fridays 2015-2022."""
    root = tmp_path_factory.mktemp("report")
    stocks = sample.stocks.filter(pl.col("ticker").is_in(["KO", "MSFT"]))
    wide = (
        stocks.pivot(on="ticker", index="date", values="close")
        .join(sample.index.rename({"sp500": "SPY"}), on="date")
        .filter(pl.col("date").dt.weekday() == 5, pl.col("date").dt.year() >= 2015)
        .sort("date")
    )
    path = root / "funds.csv"
    wide.write_csv(path)
    return path


def test_a_weekly_file_is_reported_with_52_periods(weekly_file: Path, tmp_path: Path) -> None:
    out, _ = ok(str(weekly_file), "--benchmark", "SPY")
    assert "52 periods a year (weekly dates)" in out
    ok(str(weekly_file), "--benchmark", "SPY", "-o", str(tmp_path / "s.json"))
    got = pl.read_json(tmp_path / "s.json")
    frame = pl.read_csv(weekly_file, try_parse_dates=True)
    direct = pa.strategy_report(frame, benchmark="SPY")
    assert direct.periods_per_year == 52
    for column in ("sharpe", "alpha_ann", "beta", "up_capture", "max_drawdown"):
        assert np.allclose(got.get_column(column), direct.summary.get_column(column), rtol=1e-12)
    out, _ = ok(str(weekly_file), "--benchmark", "SPY", "--periods-per-year", "12")
    assert "12 periods a year (--periods-per-year)" in out


def test_an_annual_risk_free_rate_is_converted_with_the_inferred_periods(
    weekly_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "s.csv"
    ok(
        str(weekly_file),
        "--benchmark",
        "SPY",
        "--risk-free",
        "0.05",
        "--annual-risk-free",
        "-o",
        str(out),
    )
    got = pl.read_csv(out)
    frame = pl.read_csv(weekly_file, try_parse_dates=True)
    weekly_rate = 1.05 ** (1 / 52) - 1  # weekly dates: 52 periods a year, not 252
    direct = pa.strategy_report(frame, benchmark="SPY", risk_free=weekly_rate)
    for column in ("sharpe", "alpha_ann", "treynor"):
        assert np.allclose(got.get_column(column), direct.summary.get_column(column), rtol=1e-12)


def test_plot_and_html_are_written(weekly_file: Path, tmp_path: Path) -> None:
    png, page = tmp_path / "fund.png", tmp_path / "fund.html"
    out, _ = ok(
        str(weekly_file),
        "--benchmark",
        "SPY",
        "--plot",
        str(png),
        "--html",
        str(page),
        "--strategy",
        "MSFT",
    )
    assert "MSFT: the last 12 months" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "Input: funds.csv" in text and "data:image/png;base64," in text
    ok(str(weekly_file), "--benchmark", "SPY", "--plot", str(tmp_path / "fund.svg"))
    assert b"<svg" in (tmp_path / "fund.svg").read_bytes()[:500]


def test_help_lists_the_command() -> None:
    top = subprocess.run(
        [sys.executable, "-m", "polars_alpha", "--help"], capture_output=True, check=True
    ).stdout.decode()
    assert "report" in top
    out, _ = ok("--help")
    for option in ("--benchmark", "--risk-free", "--html", "--plot", "--strategy"):
        assert option in out


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bad")
    days = [dt.date(2020, 1, 2) + dt.timedelta(days=i) for i in range(40)]
    business = [d for d in days if d.weekday() < 5]
    prices = [100 + i + (i % 3) for i in range(len(business))]
    pl.DataFrame({"date": business, "F": prices}).write_csv(root / "fund.csv")
    pl.DataFrame({"date": business, "name": ["x"] * len(business)}).write_csv(root / "text.csv")
    later = [d + dt.timedelta(days=400) for d in business]
    pl.DataFrame({"date": later, "SPY": prices}).write_csv(root / "later.csv")
    pl.DataFrame({"date": business, "SPY": prices[::-1]}).write_csv(root / "spy.csv")
    irregular = [dt.date(2020, 1, 1) + dt.timedelta(days=int(d)) for d in (0, 3, 17, 40, 41, 90)]
    pl.DataFrame({"date": irregular, "F": [1.0, 1.1, 1.2, 1.1, 1.3, 1.4]}).write_csv(
        root / "irregular.csv"
    )
    pl.DataFrame({"date": irregular, "SPY": [2.0, 2.1, 2.2, 2.1, 2.3, 2.4]}).write_csv(
        root / "irregular_spy.csv"
    )
    return root


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fund.csv", "--benchmark", "later.csv"], "the benchmark has no return on any of the"),
        (["text.csv", "--benchmark", "spy.csv"], "text.csv: column 'name' is String, not prices"),
        (["fund.csv"], "--benchmark is required with input files"),
        (["fund.csv", "--benchmark", "spy.csv", "--strategy", "G"], "no strategy 'G' in the"),
        (["irregular.csv", "--benchmark", "irregular_spy.csv"], "irregular dates: the median"),
        (["fund.csv", "--benchmark", "spy.csv", "--plot", "f.jpg"], "--plot 'f.jpg' has the"),
        (["fund.csv", "--benchmark", "spy.csv", "--periods-per-year", "0"], "must be positive"),
        (["fund.csv", "--benchmark", "spy.csv", "-o", "s.xlsx"], "the format follows the"),
        (["missing.csv", "--benchmark", "spy.csv"], "no such file: missing.csv"),
        (["--strategy", "<b>"], "no strategy '<b>' in the report"),
    ],
)
def test_errors_are_one_line_with_exit_code_2(
    bad_files: Path, args: list[str], message: str
) -> None:
    assert message in fails(*args, cwd=bad_files)
