"""The bad-input matrix: every public expression against each hostile input, with its
documented outcome asserted exactly.

Each function's cases run in a child process, so an abort or a segfault in the extension fails
that function's test with the crash instead of killing the whole run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

# Each entry: how to call the function on a frame with float columns r, m (and p, positive
# prices), with `X` standing for the input under test, and its per-row output form.
FUNCTIONS: dict[str, str] = {
    "rolling_alpha_beta": "pa.rolling_alpha_beta('r', {x}, window=3).struct.field('beta')",
    "rolling_beta": "pa.rolling_beta('r', {x}, window=3)",
    "rolling_alpha": "pa.rolling_alpha('r', {x}, window=3)",
    "ewm_alpha_beta": "pa.ewm_alpha_beta('r', {x}, half_life=2.0, window=3).struct.field('beta')",
    "riskmetrics_alpha_beta": "pa.riskmetrics_alpha_beta('r', {x}).struct.field('beta')",
    "alpha_beta": "pa.alpha_beta('r', {x}).struct.field('beta')",
    "rolling_factor_regression": (
        "pa.rolling_factor_regression('r', [{x}], window=3).struct.field('beta_X')"
    ),
    "factor_regression": "pa.factor_regression('r', [{x}]).struct.field('beta_X')",
    "rolling_treynor_ratio": "pa.rolling_treynor_ratio('r', {x}, window=3)",
    "treynor_ratio": "pa.treynor_ratio('r', {x})",
    "rolling_information_ratio": "pa.rolling_information_ratio('r', {x}, window=3)",
    "information_ratio": "pa.information_ratio('r', {x})",
    "rolling_correlation": "pa.rolling_correlation('r', {x}, window=3)",
    "weighted_alpha": "pa.weighted_alpha({x}, window=3)",
    "last_weighted_alpha": "pa.last_weighted_alpha({x}, window=3)",
    # Strategy measures: X is the market or benchmark, or the asset of a one-series measure.
    "rolling_sharpe_ratio": "pa.rolling_sharpe_ratio({x}, window=3)",
    "sharpe_ratio": "pa.sharpe_ratio({x})",
    "rolling_sortino_ratio": "pa.rolling_sortino_ratio({x}, window=3)",
    "sortino_ratio": "pa.sortino_ratio({x})",
    "rolling_tracking_error": "pa.rolling_tracking_error('r', {x}, window=3)",
    "tracking_error": "pa.tracking_error('r', {x})",
    "rolling_up_market_alpha_beta": (
        "pa.rolling_up_market_alpha_beta('r', {x}, window=3).struct.field('beta')"
    ),
    "up_market_alpha_beta": "pa.up_market_alpha_beta('r', {x}).struct.field('beta')",
    "rolling_down_market_alpha_beta": (
        "pa.rolling_down_market_alpha_beta('r', {x}, window=5).struct.field('beta')"
    ),
    "down_market_alpha_beta": "pa.down_market_alpha_beta('r', {x}).struct.field('beta')",
    "rolling_downside_beta": "pa.rolling_downside_beta('r', {x}, window=4)",
    "downside_beta": "pa.downside_beta('r', {x})",
    "rolling_up_capture": "pa.rolling_up_capture('r', {x}, window=4)",
    "up_capture": "pa.up_capture('r', {x})",
    "rolling_down_capture": "pa.rolling_down_capture('r', {x}, window=4)",
    "down_capture": "pa.down_capture('r', {x})",
    "rolling_up_down_capture": "pa.rolling_up_down_capture('r', {x}, window=5)",
    "up_down_capture": "pa.up_down_capture('r', {x})",
    "rolling_max_drawdown": "pa.rolling_max_drawdown({x}, window=3)",
    "max_drawdown": "pa.max_drawdown({x})",
    "rolling_annual_return": "pa.rolling_annual_return({x}, window=3)",
    "annual_return": "pa.annual_return({x})",
    "rolling_calmar_ratio": "pa.rolling_calmar_ratio({x}, window=3)",
    "calmar_ratio": "pa.calmar_ratio({x})",
}

# Input cases: an expression for X over the frame (`{col}` is the return column m, or the price
# column p for functions of prices; `{scale}` makes integers of either), and the expected
# outcome class:
#   "error: <text>"  a Python exception whose message contains <text>
#   "values"          finite numbers, equal to the Float64 input's result
#   "null"            every output row null
#   "some"            a valid result (nulls allowed), no exception
CASES: dict[str, tuple[str, str]] = {
    "string": ("pl.lit('a').alias('X')", "error: must be numeric"),
    "bool": ("(pl.col('{col}') > 0).alias('X')", "error: must be numeric"),
    "date": ("pl.lit(dt.date(2020, 1, 1)).alias('X')", "error: must be numeric"),
    "categorical": ("pl.lit('a').cast(pl.Categorical).alias('X')", "error: must be numeric"),
    "decimal": ("pl.col('{col}').cast(pl.Decimal(12, 6)).alias('X')", "values"),
    "int8": ("(pl.col('{col}') * {scale}).cast(pl.Int8).alias('X')", "values"),
    "int16": ("(pl.col('{col}') * {scale}).cast(pl.Int16).alias('X')", "values"),
    "int32": ("(pl.col('{col}') * {scale}).cast(pl.Int32).alias('X')", "values"),
    "int64": ("(pl.col('{col}') * {scale}).cast(pl.Int64).alias('X')", "values"),
    "uint64": ("(pl.col('p') * 10).cast(pl.UInt64).alias('X')", "values"),
    "float32": ("pl.col('{col}').cast(pl.Float32).alias('X')", "values"),
    "all_null": ("pl.lit(None, dtype=pl.Float64).alias('X')", "null"),
    "null_dtype": ("pl.lit(None).alias('X')", "null"),
    "nan": ("pl.lit(float('nan')).alias('X')", "null"),
    "inf": ("pl.lit(float('inf')).alias('X')", "null"),
    "neg_inf": ("pl.lit(float('-inf')).alias('X')", "null"),
    "constant": ("pl.lit(1.5).alias('X')", "null"),
    # Co-moments of returns near 1e300 overflow and near 1e-300 underflow: null, not wrong.
    "huge": ("(pl.col('{col}') * 1e300).alias('X')", "null"),
    "tiny": ("(pl.col('{col}') * 1e-300).alias('X')", "null"),
    "partly_null": (
        "pl.when(pl.int_range(pl.len()) == 2).then(None).otherwise(pl.col('p')).alias('X')",
        "values",
    ),
}

# Functions whose input X is a price (positive), not a return: different documented outcomes.
PRICE_FUNCTIONS = {"weighted_alpha", "last_weighted_alpha"}
PRICE_OUTCOMES = {
    # A constant price has a weighted alpha of exactly 0.
    "constant": "values",
    # Weighted alpha depends on price ratios only: any scale gives the same score.
    "huge": "values",
    "tiny": "values",
}
# A constant (or a 1e-300) benchmark leaves a varying active return: the information ratio
# is defined.
OUTCOME_OVERRIDES = {
    ("rolling_information_ratio", "constant"): "values",
    ("information_ratio", "constant"): "values",
    ("rolling_information_ratio", "tiny"): "values",
    ("information_ratio", "tiny"): "values",
}
# Strategy measures. A constant or a 1e-300 benchmark leaves a varying active return (tracking
# error defined). The compounded measures have no co-moment to overflow: a constant 150% return
# compounds to about 1e100 a year and a 1e-300 return to 1e-298 (ln(1 + r) and exp_m1 keep
# it), both true values; 1e298 returns compound past f64's range: null. Values that are all
# positive (the prices behind uint64 and partly_null) have no down rows, no downside and no
# drawdown: null (as returns of 100 to 121, the uint64 prices also compound past f64's
# range); returns of several hundred percent (the int cases, m * 1000) that go below
# -100% make the compounded wealth negative: no real annual return, null.
for _function in ("rolling_tracking_error", "tracking_error"):
    OUTCOME_OVERRIDES[(_function, "constant")] = "values"
    OUTCOME_OVERRIDES[(_function, "tiny")] = "values"
for _function in ("rolling_up_capture", "up_capture", "rolling_annual_return", "annual_return"):
    OUTCOME_OVERRIDES[(_function, "constant")] = "values"
for _function in (
    "rolling_up_capture",
    "up_capture",
    "rolling_down_capture",
    "down_capture",
    "rolling_up_down_capture",
    "up_down_capture",
    "rolling_annual_return",
    "annual_return",
    "rolling_max_drawdown",
    "max_drawdown",
):
    OUTCOME_OVERRIDES[(_function, "tiny")] = "values"
# A constant return never falls: a drawdown of exactly 0.
OUTCOME_OVERRIDES[("rolling_max_drawdown", "constant")] = "values"
OUTCOME_OVERRIDES[("max_drawdown", "constant")] = "values"
for _function in (
    "rolling_sortino_ratio",
    "sortino_ratio",
    "rolling_down_market_alpha_beta",
    "down_market_alpha_beta",
    "rolling_down_capture",
    "down_capture",
    "rolling_up_down_capture",
    "up_down_capture",
    "rolling_calmar_ratio",
    "calmar_ratio",
    "rolling_up_capture",
    "up_capture",
    "rolling_annual_return",
    "annual_return",
):
    OUTCOME_OVERRIDES[(_function, "uint64")] = "null"
    if "up_capture" not in _function and "annual_return" not in _function:
        OUTCOME_OVERRIDES[(_function, "partly_null")] = "null"
for _function in ("annual_return", "calmar_ratio"):
    for _case in ("int8", "int16", "int32", "int64"):
        OUTCOME_OVERRIDES[(_function, _case)] = "null"

CHILD = textwrap.dedent(
    """
    import datetime as dt, json, math, sys
    import polars as pl
    import polars_alpha as pa

    template, cases, price = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3] == "1"
    df = pl.DataFrame({
        "r": [0.010, -0.004, 0.012, 0.003, -0.008, 0.015, 0.002, -0.001],
        "m": [0.008, -0.002, 0.010, 0.001, -0.006, 0.011, 0.004, -0.003],
        "p": [10.0, 10.5, 10.2, 10.9, 11.3, 11.0, 11.8, 12.1],
    })
    base = df.with_columns(pl.col("p" if price else "m").alias("X"))
    def run(frame):
        expr = eval(template.format(x="pl.col('X')"))
        return frame.select(expr.alias("out"))["out"].cast(pl.Float64).to_list()
    reference = run(base)
    results = {}
    for name, source in cases.items():
        try:
            column, scale = ("p", "10") if price else ("m", "1000")
            frame = df.with_columns(eval(source.format(col=column, scale=scale)))
            got = run(frame)
            if all(v is None for v in got):
                kind = "null"
            else:
                kind = "some"
                cast_ref = run(frame.with_columns(pl.col("X").cast(pl.Float64)))
                if got == cast_ref and all(v is None or math.isfinite(v) for v in got):
                    kind = "values"
            results[name] = {"kind": kind, "got": got}
        except Exception as e:
            results[name] = {"kind": "error", "type": type(e).__name__, "message": str(e)}
    print(json.dumps(results))
    """
)


def expected_outcome(function: str, case: str) -> str:
    expected = CASES[case][1]
    if function in PRICE_FUNCTIONS:
        expected = PRICE_OUTCOMES.get(case, expected)
    return OUTCOME_OVERRIDES.get((function, case), expected)


@pytest.mark.parametrize("function", list(FUNCTIONS))
def test_bad_input_matrix(function: str) -> None:
    price = function in PRICE_FUNCTIONS
    cases = {name: source for name, (source, _) in CASES.items()}
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            FUNCTIONS[function],
            json.dumps(cases),
            "1" if price else "0",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # A crash (abort, segfault, panic across the FFI) shows as a non-zero exit here.
    assert proc.returncode == 0, f"{function} crashed: rc={proc.returncode}\n{proc.stderr[-2000:]}"
    results = json.loads(proc.stdout.splitlines()[-1])
    failures = []
    for case in CASES:
        expected = expected_outcome(function, case)
        got = results[case]
        if expected.startswith("error: "):
            ok = got["kind"] == "error" and expected[7:] in got["message"]
        elif expected == "some":
            ok = got["kind"] in ("some", "values", "null")
        else:
            ok = got["kind"] == expected
        if not ok:
            failures.append(f"{case}: expected {expected}, got {got}")
    assert not failures, f"{function}:\n" + "\n".join(failures)
