"""``--filter``: the comparison syntax the command has always read, and SQL through pl.sql_expr."""

from __future__ import annotations

import io
import subprocess
import sys

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import polars_alpha as pa
from polars_alpha.cli import CliError, parse_filter
from polars_alpha.cli.filters import unchain_comparisons
from polars_alpha.datasets import load_sp500_sample

PREFIX = "python -m polars_alpha: error: "

FRAME = pl.DataFrame(
    {
        "ticker": ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF"],
        "alpha_ann": [0.1, -0.1, 0.2, 0.3, 0.0, None],
        "beta": [0.7, 0.8, 1.2, 1.3, 1.0000001, 0.9],
        "r2": [0.1, 0.25, 0.3, 0.6, 0.2, 0.4],
        "alpha_t": [2.5, -1.0, 3.1, 0.5, 0.0, 1.0],
        "weighted_alpha_rank": pl.Series([3, 6, 1, 2, 5, 4], dtype=pl.UInt32),
    }
)


def run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "polars_alpha", *args], capture_output=True, check=False
    )


def csv(*args: str) -> pl.DataFrame:
    result = run("screen", "--format", "csv", *args)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr == b""
    return pl.read_csv(io.StringIO(result.stdout.decode()), try_parse_dates=True)


def fails(*args: str) -> str:
    """Exit status 2, nothing on stdout, one line on stderr without a traceback."""
    result = run("screen", *args)
    err = result.stderr.decode()
    assert result.returncode == 2, (result.returncode, err)
    assert result.stdout == b""
    assert err.count("\n") == 1, err
    assert err.endswith("\n")
    assert "Traceback" not in err
    return err


def rows(text: str) -> list[str]:
    return FRAME.filter(parse_filter(text)).get_column("ticker").to_list()


def expected(expr: pl.Expr) -> list[str]:
    return FRAME.filter(expr).get_column("ticker").to_list()


# The syntax of the command's first filter language: COLUMN OP NUMBER, LOW <(=) COLUMN <(=) HIGH.
@pytest.mark.parametrize(
    ("text", "expr"),
    [
        ("alpha_ann>0", pl.col("alpha_ann") > 0),
        ("alpha_ann >= 0", pl.col("alpha_ann") >= 0),
        ("r2<0.25", pl.col("r2") < 0.25),
        ("r2<=0.25", pl.col("r2") <= 0.25),
        ("beta==1.2", pl.col("beta") == 1.2),
        ("beta!=1.2", pl.col("beta") != 1.2),
        ("  beta > 1  ", pl.col("beta") > 1.0),
        ("beta>.9", pl.col("beta") > 0.9),
        ("beta>1.", pl.col("beta") > 1.0),
        ("alpha_t>-1e-3", pl.col("alpha_t") > -0.001),
        ("alpha_t>+2E0", pl.col("alpha_t") > 2.0),
        ("weighted_alpha_rank<=3", pl.col("weighted_alpha_rank") <= 3),
        ("0.8<=beta<=1.2", pl.col("beta").is_between(0.8, 1.2)),
        ("0.8<beta<1.2", pl.col("beta").is_between(0.8, 1.2, closed="none")),
        ("0.8 <= beta < 1.2", pl.col("beta").is_between(0.8, 1.2, closed="left")),
        ("0.8 < beta <= 1.2", pl.col("beta").is_between(0.8, 1.2, closed="right")),
    ],
)
def test_the_comparison_syntax_reads_as_before(text: str, expr: pl.Expr) -> None:
    assert rows(text) == expected(expr)


@pytest.mark.parametrize(
    ("text", "expr"),
    [
        ("beta = 1.2", pl.col("beta") == 1.2),
        ("beta <> 1.2", pl.col("beta") != 1.2),
        ("beta BETWEEN 0.8 AND 1.2", pl.col("beta").is_between(0.8, 1.2)),
        ("beta between 0.8 and 1.2", pl.col("beta").is_between(0.8, 1.2)),
        ("beta NOT BETWEEN 0.8 AND 1.2", ~pl.col("beta").is_between(0.8, 1.2)),
        (
            "beta BETWEEN 0.8 AND 1.2 AND r2 > 0.2",
            pl.col("beta").is_between(0.8, 1.2) & (pl.col("r2") > 0.2),
        ),
        ("alpha_t > 3 OR r2 > 0.5", (pl.col("alpha_t") > 3) | (pl.col("r2") > 0.5)),
        (
            "(alpha_t > 2 OR r2 > 0.5) AND beta < 1.25",
            ((pl.col("alpha_t") > 2) | (pl.col("r2") > 0.5)) & (pl.col("beta") < 1.25),
        ),
        ("NOT beta > 1", ~(pl.col("beta") > 1)),
        ("abs(beta - 1) < 0.15", (pl.col("beta") - 1).abs() < 0.15),
        ("ticker IN ('AAA', 'DDD')", pl.col("ticker").is_in(["AAA", "DDD"])),
        ("ticker LIKE 'B%'", pl.col("ticker").str.starts_with("B")),
        ("alpha_ann IS NULL", pl.col("alpha_ann").is_null()),
        # Chains inside SQL: parenthesized, after NOT, beside OR, and two in one filter.
        (
            "(0.8 <= beta <= 1.2) OR alpha_t > 3",
            pl.col("beta").is_between(0.8, 1.2) | (pl.col("alpha_t") > 3),
        ),
        ("NOT 0.8 <= beta <= 1.2", ~pl.col("beta").is_between(0.8, 1.2)),
        (
            "0.8<=beta<=1.2 AND 0.2<r2<0.5",
            pl.col("beta").is_between(0.8, 1.2) & pl.col("r2").is_between(0.2, 0.5, closed="none"),
        ),
        (
            "r2 > 0.2 OR 1 < beta < 1.25",
            (pl.col("r2") > 0.2) | pl.col("beta").is_between(1, 1.25, closed="none"),
        ),
        ("1.2 >= beta >= 0.8", pl.col("beta").is_between(0.8, 1.2)),
        ("0.5 < abs(alpha_t) < 3", pl.col("alpha_t").abs().is_between(0.5, 3, closed="none")),
    ],
)
def test_sql_conditions(text: str, expr: pl.Expr) -> None:
    assert rows(text) == expected(expr)


@pytest.mark.parametrize(
    ("text", "sql"),
    [
        ("0.8<=beta<=1.2", "(0.8 <= beta AND beta <= 1.2)"),
        ("a < b < c < d", "(a < b AND b < c AND c < d)"),
        ("x = y = z", "(x = y AND y = z)"),
        ("f(a, b) < c + 1 < d", "(f(a, b) < c + 1 AND c + 1 < d)"),
        ("NOT(0 < r2 < 1)", "NOT((0 < r2 AND r2 < 1))"),
        # Left as written: single comparisons, BETWEEN, text in quotes, comments, bad parentheses.
        ("alpha_ann>0", "alpha_ann>0"),
        ("beta BETWEEN 0.8 AND 1.2 AND r2 > 0.2", "beta BETWEEN 0.8 AND 1.2 AND r2 > 0.2"),
        ("ticker = 'a<b<c'", "ticker = 'a<b<c'"),
        ('"odd<name" < 1', '"odd<name" < 1'),
        ("beta > 1 -- 1 < 2 < 3", "beta > 1 "),
        ("(0 < a < 1", "(0 < a < 1"),
        ("CASE WHEN 0 < a < 1 THEN b END", "CASE WHEN (0 < a AND a < 1) THEN b END"),
    ],
)
def test_chains_become_comparisons_joined_by_and(text: str, sql: str) -> None:
    assert unchain_comparisons(text) == sql


_COMPARE = st.sampled_from(["<", "<=", ">", ">=", "==", "!="])


@given(
    st.lists(
        st.sampled_from(["beta", "r2", "alpha_t", "0.8", "1", "0.25", "-1"]), min_size=2, max_size=5
    ),
    st.data(),
)
def test_chains_mean_what_they_mean_in_python(operands: list[str], data: st.DataObject) -> None:
    # Python's chained comparisons are the meaning the filter promises.
    ops = [data.draw(_COMPARE) for _ in operands[1:]]
    text = operands[0] + "".join(f" {op} {x}" for op, x in zip(ops, operands[1:], strict=True))
    if not any(x in FRAME.columns for x in operands):
        text = f"{text} AND beta > -100"  # a filter names a column
    wanted = [
        row["ticker"]
        for row in FRAME.iter_rows(named=True)
        if eval(text.replace("AND", "and"), {}, row)  # the text is Python too
    ]
    assert rows(text) == wanted


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gamma>1", "unknown column 'gamma' in --filter 'gamma>1'; the columns are: date, "),
        ("beta BETWEEN 0.8 AND 1.2 AND Beta > 0", "unknown column 'Beta' in --filter"),
        ("0.8 <= gamma <= 1.2", "unknown column 'gamma' in --filter '0.8 <= gamma <= 1.2'"),
        ("beta", "cannot read --filter 'beta': it gives Float64 values, not true or false"),
        ("beta >", "cannot read --filter 'beta >': "),
        ("beta BETWEEN 0.8", "cannot read --filter 'beta BETWEEN 0.8': "),
        ("(beta > 1", "cannot read --filter '(beta > 1': "),
        ("beta > 1; DROP TABLE t", "cannot read --filter 'beta > 1; DROP TABLE t': "),
        ("", "cannot read --filter '': "),
        ("beta > 'high'", "cannot read --filter \"beta > 'high'\": cannot compare string"),
        ("ticker > 1", "cannot read --filter 'ticker > 1': cannot compare string"),
    ],
)
def test_errors_name_the_filter_on_one_line(text: str, message: str) -> None:
    with pytest.raises(CliError) as raised:
        parse_filter(text)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_the_command_reads_sql_filters() -> None:
    sample = load_sp500_sample()
    everyone = pa.screen(sample.stocks, benchmark=sample.index, risk_free=sample.risk_free)
    moderate = pl.col("beta").is_between(0.8, 1.2) & (pl.col("r2") > 0.2)
    wanted = everyone.filter(moderate)
    assert 0 < wanted.height < everyone.height
    by_sql = csv("--top", "0", "--filter", "beta BETWEEN 0.8 AND 1.2 AND r2 > 0.2")
    by_chain = csv("--top", "0", "--filter", "0.8<=beta<=1.2", "--filter", "r2>0.2")
    assert_frame_equal(by_sql, wanted, check_dtypes=False)
    assert_frame_equal(by_chain, wanted, check_dtypes=False)
    either = csv("--top", "0", "--filter", "alpha_t > 2 OR ticker IN ('XOM', 'AAPL')")
    assert_frame_equal(
        either,
        everyone.filter((pl.col("alpha_t") > 2) | pl.col("ticker").is_in(["XOM", "AAPL"])),
        check_dtypes=False,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("beta BETWEEN 0.8 AND 1.2 AND gamma > 0", "unknown column 'gamma' in --filter"),
        ("beta BETWEEN 0.8 AND", "cannot read --filter 'beta BETWEEN 0.8 AND': "),
        ("beta > 'high'", "cannot read --filter \"beta > 'high'\": "),
        ("r2", "cannot read --filter 'r2': it gives Float64 values"),
    ],
)
def test_the_command_fails_on_a_bad_filter_with_one_line(text: str, message: str) -> None:
    assert fails("--filter", "alpha_ann>0", "--filter", text).startswith(PREFIX + message)
