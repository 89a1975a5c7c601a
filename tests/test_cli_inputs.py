"""The command on ordinary files that used to give plausible wrong numbers (issue 23): the
output format, FRED-style missing values, date formats, prices or returns per ticker, wide
files with delisted tickers, risk-free units and holidays, and what is left out."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import polars_alpha as pa
from polars_alpha.datasets import SP500Sample, load_sp500_sample

PREFIX = "python -m polars_alpha: error: "
RECENT = pl.col("date").dt.year() >= 2019


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "polars_alpha", "screen", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=300,
    )


def ok(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = run(*args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result


def fails(*args: str, cwd: Path) -> str:
    """Exit status 2, nothing on stdout, one line on stderr."""
    result = run(*args, cwd=cwd)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.stdout == ""
    assert result.stderr.startswith(PREFIX), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr


def csv(text: str) -> pl.DataFrame:
    return pl.read_csv(io.StringIO(text), try_parse_dates=True)


@pytest.fixture(scope="module")
def sample() -> SP500Sample:
    return load_sp500_sample()


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory, sample: SP500Sample) -> Path:
    folder = tmp_path_factory.mktemp("cli_inputs")
    sample.stocks.filter(RECENT).write_csv(folder / "long.csv")
    sample.index.write_csv(folder / "index.csv")
    return folder


def test_the_output_format_follows_the_extension(root: Path, sample: SP500Sample) -> None:
    expected = pa.screen(sample.stocks.filter(RECENT), benchmark=sample.index, top=3)
    args = ["long.csv", "--benchmark", "index.csv", "--top", "3"]
    ok(*args, "-o", "out.json", cwd=root)
    rows = json.loads((root / "out.json").read_text())
    assert [r["ticker"] for r in rows] == expected.get_column("ticker").to_list()
    ok(*args, "-o", "out.csv", cwd=root)
    out_csv = pl.read_csv(root / "out.csv", try_parse_dates=True)
    assert_frame_equal(out_csv, expected, check_dtypes=False)
    ok(*args, "-o", "out.parquet", cwd=root)
    assert_frame_equal(pl.read_parquet(root / "out.parquet"), expected)
    ok(*args, "-o", "out.txt", cwd=root)
    assert (root / "out.txt").read_text().startswith("Screen as of 2022-12-28")
    # An extension that names no format, or contradicts --format, is an error.
    err = fails(*args, "-o", "out.xlsx", cwd=root)
    assert "--output 'out.xlsx' has the extension '.xlsx'" in err
    assert ".csv, .json, .parquet" in err
    assert not (root / "out.xlsx").exists()
    err = fails(*args, "--format", "csv", "-o", "other.json", cwd=root)
    assert "--format csv does not match --output 'other.json', which names json" in err
    fails(*args, "-o", "no_extension", cwd=root)
    ok(*args, "--format", "csv", "-o", "no_extension", cwd=root)
    no_extension = pl.read_csv(root / "no_extension", try_parse_dates=True)
    assert_frame_equal(no_extension, expected, check_dtypes=False)


def test_fred_files_read_dots_and_empty_cells_as_missing(root: Path, sample: SP500Sample) -> None:
    # FRED's DTB3: percent yields, "." on a holiday. Prices with an empty cell too.
    days = sample.index.filter(RECENT).get_column("date")
    yields = [
        "." if i % 50 == 7 else ("" if i % 50 == 9 else f"{1.0 + i / 1000:.3f}")
        for i in range(days.len())
    ]
    (root / "DTB3.csv").write_text(
        "DATE,DTB3\n" + "".join(f"{d},{y}\n" for d, y in zip(days, yields, strict=True))
    )
    out = ok(
        "long.csv",
        *("--benchmark", "index.csv", "--risk-free", "DTB3.csv", "--annual-risk-free"),
        *("--percent-risk-free", "--format", "csv", "--top", "0"),
        cwd=root,
    )
    rates = pl.DataFrame(
        {"date": days, "rf": [None if y in (".", "") else float(y) for y in yields]}
    ).with_columns(rf=(1 + pl.col("rf") / 100) ** (1 / 252) - 1)
    expected = pa.screen(sample.stocks.filter(RECENT), benchmark=sample.index, risk_free=rates)
    missing = sum(y in (".", "") for y in yields)
    assert rates.get_column("rf").null_count() == missing > 0  # filled by the last quote
    assert_frame_equal(csv(out.stdout), expected, check_dtypes=False, rel_tol=1e-12)
    # A column that is text for another reason says which cell is not a number.
    (root / "bad_rf.csv").write_text("DATE,DTB3\n2019-01-02,2.40\n2019-01-03,n/a\n")
    err = fails(*("long.csv", "--benchmark", "index.csv", "--risk-free", "bad_rf.csv"), cwd=root)
    assert "'DTB3' is String: 'n/a' in data row 2 is no number" in err


def test_date_format(root: Path, sample: SP500Sample) -> None:
    stocks = sample.stocks.filter(RECENT)
    stocks.with_columns(pl.col("date").dt.strftime("%m/%d/%Y")).write_csv(root / "us_dates.csv")
    iso = ok("long.csv", "--benchmark", "index.csv", "--format", "csv", cwd=root)
    us = ok(
        "us_dates.csv",
        *("--benchmark", "index.csv", "--date-format", "%m/%d/%Y", "--format", "csv"),
        cwd=root,
    )
    assert us.stdout == iso.stdout  # index.csv's ISO dates are read as before
    err = fails(
        *("us_dates.csv", "--benchmark", "index.csv", "--date-format", "%d/%m/%Y"), cwd=root
    )
    assert "cannot parse date '01/14/2019'" in err  # the first day above 12
    assert "with --date-format '%d/%m/%Y'" in err


def test_prices_or_returns_per_ticker(root: Path, sample: SP500Sample) -> None:
    # One zero price, two years before the window, made every ticker's prices "returns".
    zero = (pl.col("ticker") == "RRC") & (pl.col("date") == dt.date(2020, 3, 2))
    sample.stocks.filter(RECENT).with_columns(
        pl.when(zero).then(0.0).otherwise(pl.col("close")).alias("close")
    ).write_csv(root / "zero.csv")
    err = fails("zero.csv", "--benchmark", "index.csv", cwd=root)
    assert "ticker 'RRC'" in err
    assert "0 on 2020-03-02" in err
    assert "--kind" in err


def test_a_delisted_ticker_in_a_wide_file_is_left_out(root: Path, sample: SP500Sample) -> None:
    wide = sample.wide().filter(RECENT)
    # GE delisted 50 days before the end: empty cells from then on.
    delisted = wide.with_columns(
        pl.when(pl.int_range(pl.len()) >= wide.height - 50).then(None).otherwise("GE").alias("GE")
    )
    delisted.write_csv(root / "delisted.csv")
    result = ok(*("delisted.csv", "--benchmark", "index.csv", "--format", "csv"), cwd=root)
    long = sample.stocks.filter(RECENT).filter(
        (pl.col("ticker") != "GE") | (pl.col("date") < wide.get_column("date")[-50])
    )
    expected = pa.screen(long, benchmark=sample.index, top=20)
    assert "GE" not in csv(result.stdout).get_column("ticker").to_list()
    assert_frame_equal(csv(result.stdout), expected, check_dtypes=False)
    # The tickers left out are listed on stderr, with the reason.
    assert result.stderr == (
        "python -m polars_alpha: note: 1 ticker(s) left out, no price or return on 2022-12-28: GE\n"
    )


def test_tickers_with_too_little_history_are_listed(root: Path, sample: SP500Sample) -> None:
    late = sample.stocks.filter(RECENT).filter(
        ~pl.col("ticker").is_in(["KO", "PG"]) | (pl.col("date") >= dt.date(2022, 6, 1))
    )
    late.write_csv(root / "late.csv")
    result = ok("late.csv", "--benchmark", "index.csv", "--format", "csv", cwd=root)
    assert csv(result.stdout).height == 18
    assert result.stderr == (
        "python -m polars_alpha: note: 2 ticker(s) left out, too little history for a fit on "
        "2022-12-28 (fewer than 202 usable rows of the last 252): KO, PG\n"
    )


def test_window_errors_say_how_many_rows_there_are(root: Path, sample: SP500Sample) -> None:
    rows = sample.stocks.filter(RECENT, pl.col("ticker") == "AAPL").height
    err = fails("long.csv", "--benchmark", "index.csv", "--window", "5000", cwd=root)
    assert f"--window 5000 is longer than the data: the longest history has {rows} rows" in err
    assert f"use --window {rows - 1} or less" in err
    # A window the data holds, but its first row has no return: one usable row too few.
    window = str(rows)
    err = fails(
        *("long.csv", "--benchmark", "index.csv", "--window", window, "--min-periods", window),
        cwd=root,
    )
    assert f"a fit needs {rows} usable rows (--min-periods) of the last {rows} (--window)" in err
    assert f"the longest history has {rows} rows" in err


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--risk-free", "4.5"], ("--risk-free is 4.5 per period", "--risk-free 0.045 --annual")),
        (
            ["--risk-free", "0.045"],
            ("0.045 per period", "pass --risk-free 0.045 --annual-risk-free"),
        ),
        (
            ["--risk-free", "4.5", "--annual-risk-free"],
            ("annual yield of 4.5", "looks like a percent", "--risk-free 0.045"),
        ),
        (
            ["--risk-free", "percent.csv", "--annual-risk-free"],
            ("the risk-free file percent.csv is an annual yield of 2.4 on", "--percent-risk-free"),
        ),
        (
            ["--risk-free", "percent.csv"],
            ("the risk-free rate is 2.4 per period on", "--annual-risk-free --percent-risk-free"),
        ),
    ],
)
def test_risk_free_units_are_checked(
    root: Path, sample: SP500Sample, args: list[str], needles: tuple[str, ...]
) -> None:
    days = sample.index.filter(RECENT).get_column("date")
    pl.DataFrame({"date": days, "yield": 2.4}).write_csv(root / "percent.csv")
    err = fails("long.csv", "--benchmark", "index.csv", *args, cwd=root)
    for needle in needles:
        assert needle in err
    # The same file in percent, said so, gives the decimal file's screen.
    pl.DataFrame({"date": days, "yield": 0.024}).write_csv(root / "decimal.csv")
    common = ["long.csv", "--benchmark", "index.csv", "--annual-risk-free", "--format", "csv"]
    by_percent = ok(*common, "--risk-free", "percent.csv", "--percent-risk-free", cwd=root)
    by_decimal = ok(*common, "--risk-free", "decimal.csv", cwd=root)
    assert by_percent.stdout == by_decimal.stdout


def test_risk_free_fill_can_be_turned_off(tmp_path: Path) -> None:
    filled = csv(ok("--format", "csv", "--top", "0", cwd=tmp_path).stdout)
    raw = csv(ok("--no-fill-risk-free", "--format", "csv", "--top", "0", cwd=tmp_path).stdout)
    # Two bank holidays of the year have no Treasury quote.
    assert filled.get_column("n").unique().to_list() == [252]
    assert raw.get_column("n").unique().to_list() == [250]
