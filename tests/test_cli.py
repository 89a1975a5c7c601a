"""The polars-alpha command, run for real in a subprocess."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import polars_alpha as pa
from polars_alpha.cli import Progress
from polars_alpha.datasets import SP500Sample, load_sp500_sample

PREFIX = "python -m polars_alpha: error: "


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "polars_alpha", *args], capture_output=True, cwd=cwd, check=False
    )


def ok(*args: str, cwd: Path | None = None) -> str:
    result = run(*args, cwd=cwd)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr == b""  # no progress bar when stderr is not a terminal
    return result.stdout.decode()


def fails(*args: str, cwd: Path | None = None) -> str:
    """Exit status 2, nothing on stdout, one line on stderr without a traceback."""
    result = run(*args, cwd=cwd)
    err = result.stderr.decode()
    assert result.returncode == 2, (result.returncode, err)
    assert result.stdout == b""
    assert err.endswith("\n")
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


@pytest.fixture(scope="module")
def sample() -> SP500Sample:
    return load_sp500_sample()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, sample: SP500Sample) -> Path:
    """Input files in the forms the command reads, 2019-2022."""
    root = tmp_path_factory.mktemp("cli")
    recent = pl.col("date").dt.year() >= 2019
    wide = sample.wide().filter(recent).join(sample.index, on="date")
    wide.write_csv(root / "wide.csv")
    sample.stocks.filter(recent).write_parquet(root / "long.parquet")
    sample.stocks.filter(recent).with_columns(
        pl.col("date").dt.strftime("%Y%m%d").cast(pl.Int64)
    ).rename({"ticker": "Symbol", "date": "Day"}).write_csv(root / "symbols.csv")
    sample.index.write_csv(root / "index.csv")
    sample.index.with_columns(pl.col("date") + pl.duration(days=365 * 50)).write_csv(
        root / "future_index.csv"
    )
    for ticker in ("AAPL", "MSFT", "XOM"):
        close = sample.stocks.filter(pl.col("ticker") == ticker, recent)
        close.select(
            Date="date",
            Open="close",
            High="close",
            Low="close",
            Close="close",
            **{"Adj Close": "close"},
            Volume=pl.lit(1000),
        ).write_csv(root / f"{ticker}.csv")
    yields = pl.DataFrame({"date": sample.index.filter(recent).get_column("date"), "yield": 0.02})
    yields.write_csv(root / "yield.csv")
    bad = wide.head(30).with_columns(pl.col("date").cast(pl.String))
    bad = bad.with_columns(
        date=pl.when(pl.int_range(pl.len()) == 7).then(pl.lit("2019-01-32")).otherwise("date")
    )
    bad.write_csv(root / "bad_dates.csv")
    return root


def test_no_file_screens_the_bundled_sample(sample: SP500Sample) -> None:
    out = ok("screen")
    lines = out.splitlines()
    assert lines[0] == "Screen as of 2017-03-29: 20 tickers by alpha_ann (descending)"
    assert lines[1] == (
        "CAPM fits over 252 rows against the S&P 500, risk-free rate the 3-month T-bill"
    )
    rows = [line for line in lines if line.startswith("│ ") and "---" not in line][2:]
    assert len(rows) == 20
    expected = pa.screen(sample.stocks, benchmark=sample.index, risk_free=sample.risk_free)
    first = [cell.strip() for cell in rows[0].strip("│").split("┆")]
    amd = expected.row(0, named=True)
    assert first[0] == amd["ticker"] == "AMD"
    assert float(first[1]) == round(amd["alpha_ann"], 3)
    assert float(first[3]) == round(amd["beta"], 3)
    assert int(first[-1]) == amd["n"]


def test_readme_shows_what_the_command_prints() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    shown = re.search(
        r"```bash\npolars-alpha screen +# or: python -m polars_alpha screen\n```\s*"
        r"```text\n(.*?)```",
        readme,
        re.DOTALL,
    )
    assert shown is not None
    assert ok("screen") == shown.group(1)


def test_formats_round_trip(tmp_path: Path, sample: SP500Sample) -> None:
    expected = pa.screen(sample.stocks, benchmark=sample.index, risk_free=sample.risk_free)
    top5 = expected.head(5)
    csv = pl.read_csv(
        io.StringIO(ok("screen", "--top", "5", "--format", "csv")), try_parse_dates=True
    )
    assert_frame_equal(csv, top5, check_dtypes=False)
    assert csv.schema["date"] == pl.Date
    rows = json.loads(ok("screen", "--top", "5", "--format", "json"))
    assert [r["ticker"] for r in rows] == top5.get_column("ticker").to_list()
    assert rows[0]["alpha"] == top5.get_column("alpha")[0]
    assert rows[0]["date"] == "2017-03-29"
    as_json = pl.read_json(io.StringIO(ok("screen", "--top", "5", "--format", "json")))
    assert_frame_equal(as_json.with_columns(pl.col("date").str.to_date()), top5, check_dtypes=False)
    # Parquet: to a file (format from the suffix), and to a pipe.
    ok("screen", "--top", "5", "--output", str(tmp_path / "out.parquet"))
    assert_frame_equal(pl.read_parquet(tmp_path / "out.parquet"), top5)
    piped = run("screen", "--top", "5", "--format", "parquet")
    assert piped.returncode == 0
    assert_frame_equal(pl.read_parquet(io.BytesIO(piped.stdout)), top5)
    # All rows with --top 0; csv to a file.
    ok("screen", "--top", "0", "--output", str(tmp_path / "all.csv"))
    assert pl.read_csv(tmp_path / "all.csv").height == 20


def test_wide_long_and_single_ticker_files_agree(files: Path, sample: SP500Sample) -> None:
    recent = sample.stocks.filter(pl.col("date").dt.year() >= 2019)
    expected = pa.screen(recent, benchmark=sample.index, top=20)
    wide = pl.read_csv(
        io.StringIO(ok("screen", "wide.csv", "--benchmark", "sp500", "--format", "csv", cwd=files)),
        try_parse_dates=True,
    )
    assert_frame_equal(wide, expected, check_dtypes=False)
    long = pl.read_csv(
        io.StringIO(
            ok("screen", "long.parquet", "--benchmark", "index.csv", "--format", "csv", cwd=files)
        ),
        try_parse_dates=True,
    )
    assert_frame_equal(long, expected, check_dtypes=False)
    symbols = pl.read_csv(
        io.StringIO(
            ok("screen", "symbols.csv", "--benchmark", "index.csv", "--format", "csv", cwd=files)
        ),
        try_parse_dates=True,
    )
    assert_frame_equal(symbols, expected, check_dtypes=False)
    # One file per ticker: the ranks and z-scores are among these three only.
    three = pl.read_csv(
        io.StringIO(
            ok(
                "screen",
                "AAPL.csv",
                "MSFT.csv",
                "XOM.csv",
                "--benchmark",
                "index.csv",
                "--format",
                "csv",
                cwd=files,
            )
        ),
        try_parse_dates=True,
    )
    subset = pa.screen(
        recent.filter(pl.col("ticker").is_in(["AAPL", "MSFT", "XOM"])), benchmark=sample.index
    )
    assert_frame_equal(three, subset, check_dtypes=False)


def test_risk_free_file_and_number_and_filters(files: Path, sample: SP500Sample) -> None:
    recent = sample.stocks.filter(pl.col("date").dt.year() >= 2019)
    daily = 1.02 ** (1 / 252) - 1
    expected = pa.screen(
        recent,
        benchmark=sample.index,
        risk_free=daily,
        beta_between=(0.8, 1.2),
        filters=[pl.col("r2") >= 0.3],
        sort_by="alpha_t",
    )
    common = ["--benchmark", "sp500", "--annual-risk-free", "--beta-between", "0.8", "1.2"]
    common += ["--filter", "r2>=0.3", "--sort-by", "alpha_t", "--format", "csv"]
    by_file = ok("screen", "wide.csv", "--risk-free", "yield.csv", *common, cwd=files)
    by_number = ok("screen", "wide.csv", "--risk-free", "0.02", *common, cwd=files)
    for text in (by_file, by_number):
        out = pl.read_csv(io.StringIO(text), try_parse_dates=True)
        assert out.height > 0
        assert_frame_equal(out, expected, check_dtypes=False, rel_tol=1e-12)
    ranged = ok(
        "screen", "--filter", "0.8<=beta<=1.2", "--filter", "alpha_ann>0", "--format", "csv"
    )
    out = pl.read_csv(io.StringIO(ranged))
    assert out.height > 0
    assert out.get_column("beta").is_between(0.8, 1.2).all()
    assert (out.get_column("alpha_ann") > 0).all()


def test_as_of_and_the_note_when_it_moves() -> None:
    result = run("screen", "--as-of", "2010-05-08", "--top", "2", "--format", "csv")
    assert result.returncode == 0
    out = pl.read_csv(io.StringIO(result.stdout.decode()), try_parse_dates=True)
    assert out.get_column("date").unique().to_list() == [dt.date(2010, 5, 7)]
    note = result.stderr.decode()
    assert note.startswith("python -m polars_alpha: note: screening as of 2010-05-07")
    assert note.count("\n") == 1
    later = ok("screen", "--as-of", "2022-12-28", "--no-risk-free", "--top", "1", "--format", "csv")
    assert "2022-12-28" in later


def test_plot_writes_a_png_beside_the_table(tmp_path: Path) -> None:
    path = tmp_path / "screen.png"
    out = ok("screen", "--top", "6", "--plot", str(path))
    assert out.startswith("Screen as of 2017-03-29")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 50_000


def test_help_teaches() -> None:
    out = ok("screen", "--help")
    for needle in ("examples:", "--benchmark", "--filter", "'0.8<=beta<=1.2'", "wide", "long"):
        assert needle in out
    assert "screen" in ok("--help")


# Each error path: one line on stderr, exit status 2, no traceback.


def test_error_missing_file(files: Path) -> None:
    err = fails("screen", "wide.csv", "nope.csv", "--benchmark", "sp500", cwd=files)
    assert err == f"{PREFIX}no such file: nope.csv\n"
    err = fails("screen", "wide.csv", "--benchmark", "missing_index.csv", cwd=files)
    assert err == f"{PREFIX}no such file: missing_index.csv\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["wide.csv", "--benchmark", "SPY"], "unknown column 'SPY' (--benchmark)"),
        (
            ["wide.csv", "--benchmark", "sp500", "--risk-free", "tbill"],
            "unknown column 'tbill' (--risk-free)",
        ),
        (
            ["wide.csv", "--benchmark", "sp500", "--date-column", "Day"],
            "unknown column 'Day' (--date-column)",
        ),
        (
            ["long.parquet", "--benchmark", "index.csv", "--value-column", "px"],
            "unknown column 'px' (--value-column)",
        ),
        (
            ["wide.csv", "--benchmark", "sp500", "--sort-by", "alpha_annual"],
            "unknown column 'alpha_annual' (--sort-by)",
        ),
        (["--filter", "gamma>1"], "unknown column 'gamma' in --filter 'gamma>1'"),
        (["--benchmark", "SPY"], "unknown column 'SPY' (--benchmark)"),
    ],
)
def test_error_unknown_column(files: Path, args: list[str], message: str) -> None:
    err = fails("screen", *args, cwd=files)
    assert err.startswith(PREFIX + message)


def test_error_unparseable_date(files: Path) -> None:
    err = fails("screen", "bad_dates.csv", "--benchmark", "sp500", cwd=files)
    assert err == (
        f"{PREFIX}bad_dates.csv: cannot parse date '2019-01-32' in column 'date' (data row 8); "
        "use ISO dates such as 2024-01-31\n"
    )
    err = fails("screen", "--as-of", "2017-02-30")
    assert err.startswith(PREFIX + "cannot parse --as-of '2017-02-30'")


def test_error_benchmark_without_common_dates(files: Path) -> None:
    err = fails("screen", "wide.csv", "--benchmark", "future_index.csv", cwd=files)
    assert err.startswith(PREFIX + "the benchmark has no dates in common with the frame")


def test_error_empty_after_filters() -> None:
    err = fails("screen", "--filter", "alpha_ann>100")
    assert err == (
        f"{PREFIX}no ticker passes the filters (20 screened as of 2017-03-29); "
        "loosen --filter, --min-alpha or --beta-between\n"
    )
    assert fails("screen", "--min-alpha", "50").startswith(PREFIX + "no ticker passes")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["screen", "--window", "1"], PREFIX + "`window` must be at least 2"),
        (["screen", "--filter", "beta"], PREFIX + "cannot read --filter 'beta'"),
        (["screen", "--top", "-3"], PREFIX + "--top must be 0 (all) or a positive number"),
        (["screen", "--window", "many"], "python -m polars_alpha screen: error: argument --window"),
        (["screen", "--format", "xlsx"], "python -m polars_alpha screen: error: argument --format"),
        (["screen", "--bogus"], PREFIX + "unrecognized arguments: --bogus"),
        ([], PREFIX + "choose a command: screen"),
        (["screen", "long.parquet"], PREFIX + "--benchmark is required with input files"),
        (["screen", ".", "--benchmark", "x"], PREFIX + ". is a directory"),
    ],
)
def test_other_errors_are_one_line_too(files: Path, args: list[str], message: str) -> None:
    assert fails(*args, cwd=files).startswith(message)


def test_progress_only_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Terminal()
    progress = Progress(tty)
    progress.update("reading a.csv", 1, 4)
    progress.update("screening")
    progress.clear()
    text = tty.getvalue()
    assert "[#####...............] 1/4 reading a.csv" in text
    assert text.endswith("\r")
    pipe = io.StringIO()
    quiet = Progress(pipe)
    quiet.update("reading a.csv", 1, 4)
    quiet.clear()
    assert pipe.getvalue() == ""


def test_progress_goes_to_a_terminal_stderr_and_never_to_stdout(files: Path) -> None:
    # stderr is a pseudo-terminal, stdout a pipe: the bar is drawn on stderr only.
    args = ["screen", "AAPL.csv", "MSFT.csv", "XOM.csv", "--benchmark", "index.csv"]
    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "polars_alpha", *args, "--format", "csv"],
            stdout=subprocess.PIPE,
            stderr=follower,
            cwd=files,
            check=False,
        )
        os.close(follower)
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal is closed once everything is read
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(leader)
    assert result.returncode == 0
    text = drawn.decode()
    assert "[#######.............] 1/3 reading MSFT.csv" in text
    assert "screening 3 tickers" in text
    assert text.endswith("\r")  # the line is erased before the results
    out = result.stdout.decode()
    assert "\r" not in out
    assert out.startswith("date,ticker,alpha,")
    assert pl.read_csv(io.StringIO(out)).height == 3


def test_the_installed_console_script() -> None:
    # `polars-alpha` is installed next to the interpreter by `pip install` (project.scripts).
    script = Path(sys.executable).parent / "polars-alpha"
    assert script.exists(), f"{script} is missing: reinstall the package (make install)"
    result = subprocess.run([str(script), "screen", "--top", "3"], capture_output=True, check=False)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().startswith("Screen as of 2017-03-29: 3 tickers")
    err = subprocess.run(
        [str(script), "screen", "nope.csv", "--benchmark", "x"], capture_output=True
    )
    assert err.returncode == 2
    assert err.stderr.decode() == "polars-alpha: error: no such file: nope.csv\n"
