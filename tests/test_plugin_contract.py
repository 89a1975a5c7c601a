"""The contract between the Python functions and the compiled plugin.

Every plugin call passes its columns positionally (the value inputs, then the risk-free
column, then the ``order_by`` column and for a date window its lower bound, then the ``by``
key) and describes them in the keyword argument ``inputs``; the other keyword arguments are
each function's parameters, all of them always sent: the Rust side rejects unknown and
missing keys. These tests record what each public function registers and hold it to the
keys below, and check that the struct field names Python reads from the compiled module are
the fields the plugin returns.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import polars_alpha as pa
from polars_alpha import _plugin
from polars_alpha._internal import FIT_FIELDS, factor_fields
from polars_alpha.numpy import RollingFit

#: The keyword arguments of each plugin function besides ``inputs``.
KEYS: dict[str, set[str]] = {
    "rolling_alpha_beta": {"window", "min_periods", "risk_free", "fields"},
    "rolling_alpha": {"window", "min_periods", "risk_free"},
    "rolling_beta": {"window", "min_periods", "risk_free"},
    "ewm_alpha_beta": {"window", "min_periods", "risk_free", "half_life", "zero_mean", "fields"},
    "alpha_beta": {"min_periods", "risk_free", "fields"},
    "rolling_ratio": {"window", "min_periods", "risk_free", "statistic", "periods_per_year"},
    "ratio": {"min_periods", "risk_free", "statistic", "periods_per_year"},
    "rolling_factor_regression": {"factor_names", "window", "min_periods", "risk_free", "fields"},
    "factor_regression": {"factor_names", "min_periods", "risk_free"},
    "weighted_alpha_rolling": {"window", "weights", "half_life", "cap", "returns"},
    "last_weighted_alpha": {"window", "weights", "half_life", "cap", "returns"},
    "numeric_input": set(),
    "residual_momentum": {
        "fit_window",
        "fit_min_periods",
        "window",
        "skip",
        "min_periods",
        "risk_free",
        "market",
    },
    "rolling_strategy": {
        "window",
        "min_periods",
        "risk_free",
        "statistic",
        "periods_per_year",
        "threshold",
    },
    "strategy": {"min_periods", "risk_free", "statistic", "periods_per_year", "threshold"},
    "thin_trading_beta": {"window", "min_periods", "risk_free", "lags", "method"},
    "thin_trading_beta_whole": {"min_periods", "risk_free", "lags", "method"},
}

#: Plugin functions that only prepare another call's inputs, without keyword arguments: a
#: date window's distinct times.
INPUT_HELPERS = {"distinct_times"}

#: Keys sent only when their parameter is not the default: a robust covariance.
OPTIONAL: dict[str, set[str]] = {
    name: {"cov_type", "maxlags"}
    for name in (
        "rolling_alpha_beta",
        "alpha_beta",
        "rolling_factor_regression",
        "factor_regression",
    )
}

#: Functions that give one value per group.
SCALAR = {
    "alpha_beta",
    "ratio",
    "factor_regression",
    "last_weighted_alpha",
    "strategy",
    "thin_trading_beta_whole",
}


@dataclass(frozen=True)
class Call:
    """One recorded ``register_plugin_function`` call."""

    function_name: str
    args: list[pl.Expr]
    kwargs: dict[str, Any]
    returns_scalar: bool
    is_elementwise: bool


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[Call]:
    """Record the plugin calls instead of registering them."""
    recorded: list[Call] = []

    def record(**kwargs: Any) -> pl.Expr:
        recorded.append(
            Call(
                kwargs["function_name"],
                list(kwargs["args"]),
                kwargs["kwargs"] or {},
                kwargs["returns_scalar"],
                kwargs["is_elementwise"],
            )
        )
        return pl.lit(None)

    monkeypatch.setattr(_plugin, "register_plugin_function", record)
    return recorded


def inputs(
    values: list[str],
    *,
    risk_free: bool = False,
    order_by: bool = False,
    date_window: bool = False,
    by: bool = False,
) -> dict[str, Any]:
    return {
        "values": values,
        "risk_free": risk_free,
        "order_by": order_by,
        "date_window": date_window,
        "by": by,
    }


CAPM = ["asset", "market"]

#: (public call, plugin function, the ``inputs`` kwarg, the other kwargs exactly).
CASES: dict[str, tuple[Callable[[], pl.Expr], str, dict[str, Any], dict[str, Any]]] = {
    "rolling_alpha_beta": (
        lambda: pa.rolling_alpha_beta("r", "m"),
        "rolling_alpha_beta",
        inputs(CAPM),
        {"window": 252, "min_periods": 252, "risk_free": None, "fields": None},
    ),
    "rolling_alpha_beta, every input": (
        lambda: pa.rolling_alpha_beta(
            "r", "m", window="1y", order_by="d", risk_free="rf", by="k", fields=["beta"]
        ),
        "rolling_alpha_beta",
        inputs(CAPM, risk_free=True, order_by=True, date_window=True, by=True),
        {"window": None, "min_periods": None, "risk_free": None, "fields": ["beta"]},
    ),
    "rolling_alpha_beta, scalar rate, expanding": (
        lambda: pa.rolling_alpha_beta("r", "m", window=None, min_periods=5, risk_free=1e-4),
        "rolling_alpha_beta",
        inputs(CAPM),
        {"window": None, "min_periods": 5, "risk_free": 1e-4, "fields": None},
    ),
    "rolling_alpha": (
        lambda: pa.rolling_alpha("r", "m", window=20, min_periods=10, by="k"),
        "rolling_alpha",
        inputs(CAPM, by=True),
        {"window": 20, "min_periods": 10, "risk_free": None},
    ),
    "rolling_beta": (
        lambda: pa.rolling_beta("r", "m", window=20, risk_free="rf"),
        "rolling_beta",
        inputs(CAPM, risk_free=True),
        {"window": 20, "min_periods": 20, "risk_free": None},
    ),
    "ewm_alpha_beta": (
        lambda: pa.ewm_alpha_beta("r", "m"),
        "ewm_alpha_beta",
        inputs(CAPM),
        {
            "window": 252,
            "min_periods": 252,
            "risk_free": None,
            "half_life": 63.0,
            "zero_mean": False,
            "fields": None,
        },
    ),
    "riskmetrics_alpha_beta": (
        lambda: pa.riskmetrics_alpha_beta("r", "m", zero_mean=True, by="k"),
        "ewm_alpha_beta",
        inputs(CAPM, by=True),
        {
            "window": None,
            "min_periods": 2,
            "risk_free": None,
            "half_life": pa.RISKMETRICS_HALF_LIFE,
            "zero_mean": True,
            "fields": None,
        },
    ),
    "alpha_beta": (
        lambda: pa.alpha_beta("r", "m", risk_free=2e-4),
        "alpha_beta",
        inputs(CAPM),
        {"min_periods": 2, "risk_free": 2e-4, "fields": None},
    ),
    "rolling_treynor_ratio": (
        lambda: pa.rolling_treynor_ratio("r", "m", window=60, periods_per_year=12),
        "rolling_ratio",
        inputs(CAPM),
        {
            "window": 60,
            "min_periods": 60,
            "risk_free": None,
            "statistic": "treynor",
            "periods_per_year": 12.0,
        },
    ),
    "rolling_information_ratio": (
        lambda: pa.rolling_information_ratio("r", "b", window="6mo", order_by="d", by="k"),
        "rolling_ratio",
        inputs(["asset", "benchmark"], order_by=True, date_window=True, by=True),
        {
            "window": None,
            "min_periods": None,
            "risk_free": None,
            "statistic": "information",
            "periods_per_year": 252.0,
        },
    ),
    "rolling_correlation": (
        lambda: pa.rolling_correlation("r", "m", window=30, risk_free="rf"),
        "rolling_ratio",
        inputs(CAPM, risk_free=True),
        {
            "window": 30,
            "min_periods": 30,
            "risk_free": None,
            "statistic": "correlation",
            "periods_per_year": 1.0,
        },
    ),
    "treynor_ratio": (
        lambda: pa.treynor_ratio("r", "m", risk_free="rf"),
        "ratio",
        inputs(CAPM, risk_free=True),
        {"min_periods": 2, "risk_free": None, "statistic": "treynor", "periods_per_year": 252.0},
    ),
    "information_ratio": (
        lambda: pa.information_ratio("r", "b", periods_per_year=52, min_periods=4),
        "ratio",
        inputs(["asset", "benchmark"]),
        {"min_periods": 4, "risk_free": None, "statistic": "information", "periods_per_year": 52.0},
    ),
    "rolling_factor_regression": (
        lambda: pa.rolling_factor_regression(
            "r", ["mkt", pl.col("s").alias("smb")], window=40, risk_free="rf", by="k"
        ),
        "rolling_factor_regression",
        inputs(["asset", "factors", "factors"], risk_free=True, by=True),
        {
            "factor_names": ["mkt", "smb"],
            "window": 40,
            "min_periods": 40,
            "risk_free": None,
            "fields": None,
        },
    ),
    "factor_regression": (
        lambda: pa.factor_regression("r", ["mkt", "smb", "hml"], risk_free=1e-4),
        "factor_regression",
        inputs(["asset", "factors", "factors", "factors"]),
        {"factor_names": ["mkt", "smb", "hml"], "min_periods": 2, "risk_free": 1e-4},
    ),
    "weighted_alpha": (
        lambda: pa.weighted_alpha("p"),
        "weighted_alpha_rolling",
        inputs(["price"]),
        {"window": 252, "weights": "exponential", "half_life": None, "cap": None, "returns": False},
    ),
    "weighted_alpha, returns and benchmark": (
        lambda: pa.weighted_alpha(
            "p", window=10, half_life=4, benchmark="b", by="k", cap=0.2, returns=True
        ),
        "weighted_alpha_rolling",
        inputs(["returns", "benchmark"], by=True),
        {"window": 10, "weights": "exponential", "half_life": 4.0, "cap": 0.2, "returns": True},
    ),
    "last_weighted_alpha": (
        lambda: pa.last_weighted_alpha("p", window=5, weights="linear", benchmark="b"),
        "last_weighted_alpha",
        inputs(["price", "benchmark"]),
        {"window": 5, "weights": "linear", "half_life": None, "cap": None, "returns": False},
    ),
    "numeric_input": (
        lambda: pa.blume_beta("b"),
        "numeric_input",
        inputs(["beta"]),
        {},
    ),
    "numeric_input of a measure": (
        lambda: pa.cross_sectional_rank("x"),
        "numeric_input",
        inputs(["measure"]),
        {},
    ),
    "rolling_alpha_beta, HAC": (
        lambda: pa.rolling_alpha_beta("r", "m", window=60, cov_type="HAC", maxlags=3),
        "rolling_alpha_beta",
        inputs(CAPM),
        {
            "window": 60,
            "min_periods": 60,
            "risk_free": None,
            "fields": None,
            "cov_type": "HAC",
            "maxlags": 3,
        },
    ),
    "factor_regression, HC1": (
        lambda: pa.factor_regression("r", ["mkt"], cov_type="HC1"),
        "factor_regression",
        inputs(["asset", "factors"]),
        {"factor_names": ["mkt"], "min_periods": 2, "risk_free": None, "cov_type": "HC1"},
    ),
    "residual_momentum": (
        lambda: pa.residual_momentum("r", "m", window=36, by="k"),
        "residual_momentum",
        inputs(CAPM, by=True),
        {
            "fit_window": 756,
            "fit_min_periods": 756,
            "window": 36,
            "skip": 21,
            "min_periods": 15,
            "risk_free": None,
            "market": True,
        },
    ),
    "rolling_sharpe_ratio": (
        lambda: pa.rolling_sharpe_ratio("r", window=20),
        "rolling_strategy",
        inputs(["asset"]),
        {
            "window": 20,
            "min_periods": 20,
            "risk_free": None,
            "statistic": "sharpe",
            "periods_per_year": 252.0,
            "threshold": None,
        },
    ),
    "sharpe_ratio": (
        lambda: pa.sharpe_ratio("r"),
        "strategy",
        inputs(["asset"]),
        {
            "min_periods": 2,
            "risk_free": None,
            "statistic": "sharpe",
            "periods_per_year": 252.0,
            "threshold": None,
        },
    ),
    "rolling_dimson_beta": (
        lambda: pa.rolling_dimson_beta("r", "m", window=60),
        "thin_trading_beta",
        inputs(CAPM),
        {"window": 60, "min_periods": 59, "risk_free": None, "lags": 1, "method": "dimson"},
    ),
    "scholes_williams_beta": (
        lambda: pa.scholes_williams_beta("r", "m"),
        "thin_trading_beta_whole",
        inputs(CAPM),
        {"min_periods": 3, "risk_free": None, "lags": 1, "method": "scholes_williams"},
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_each_call_sends_exactly_its_keys(calls: list[Call], case: str) -> None:
    make, function_name, described, parameters = CASES[case]
    make()
    helpers = [c for c in calls if c.function_name in INPUT_HELPERS]
    # A date window first registers the call that finds its distinct times.
    assert [c.function_name for c in helpers] == ["distinct_times"] * described["date_window"]
    assert [c.function_name for c in calls if c not in helpers] == [function_name]
    call = calls[-1]
    required = {"inputs", *KEYS[function_name]}
    assert required <= set(call.kwargs) <= required | OPTIONAL.get(function_name, set())
    assert call.kwargs["inputs"] == described
    assert {k: v for k, v in call.kwargs.items() if k != "inputs"} == parameters
    assert call.returns_scalar == (function_name in SCALAR)
    assert call.is_elementwise == (function_name == "numeric_input")
    # One positional argument per described input: a date window adds the lower bound.
    count = (
        len(described["values"])
        + described["risk_free"]
        + described["order_by"]
        + described["date_window"]
    )
    assert len(call.args) == count + described["by"]


def test_every_plugin_function_is_covered() -> None:
    assert {case[1] for case in CASES.values()} == set(KEYS)


def test_every_compiled_plugin_function_has_its_keys() -> None:
    sources = Path(__file__).resolve().parents[1] / "crates" / "plugin" / "src" / "expressions"
    if not sources.is_dir():
        pytest.skip("reads the plugin's Rust sources, which only a checkout has")
    # A function is exported by `#[polars_expr]` or written out as `_polars_plugin_<name>`.
    exported = r"#\[polars_expr[^\]]*\]\s*fn (\w+)|fn _polars_plugin_(?!field_)(\w+)\("
    compiled = {
        "".join(names)
        for path in sources.glob("*.rs")
        for names in re.findall(exported, path.read_text())
    }
    assert compiled, "no #[polars_expr] function found"
    assert compiled == set(KEYS) | INPUT_HELPERS


def test_positional_order(calls: list[Call]) -> None:
    # values, risk-free column, order_by and its distinct times less the duration, by
    pa.rolling_factor_regression(
        "r", ["f1", "f2"], window="3mo", order_by="day", risk_free="rf", by="key"
    )
    distinct, call = calls
    assert distinct.function_name == "distinct_times"
    assert [a.meta.eq(pl.col("day")) for a in distinct.args] == [True]
    args = call.args
    names = [a.meta.output_name() for a in args]
    assert names == ["r", "f1", "f2", "rf", "day", "time", "key"]
    assert args[4].meta.eq(pl.col("day"))
    # The recorded distinct-times call stands as `pl.lit(None)` (see the fixture).
    table = pl.struct(time=pl.lit(None)).struct.with_fields(
        lower=pl.field("time").dt.offset_by("-3mo")
    )
    assert args[5].meta.eq(table)
    # The key goes as its physical values: a Categorical's codes, not a dictionary array.
    assert args[6].meta.eq(pl.col("key").to_physical())


def test_a_call_reads_back_the_key_it_was_given() -> None:
    from polars_alpha import _calls

    for by in ["key", pl.col("key"), pl.col("key").to_physical()]:
        expr = pa.rolling_beta("r", "m", window=5, by=by)
        [call] = _calls.plugin_calls([expr])
        given = pl.col(by) if isinstance(by, str) else by
        assert call.by() == json.loads(given.meta.serialize(format="json"))
    [call] = _calls.plugin_calls([pa.rolling_beta("r", "m", window=5)])
    assert call.by() is None


def test_series_and_expressions_are_positional_inputs(calls: list[Call]) -> None:
    market = pl.Series("mkt", [0.01, 0.02])
    pa.alpha_beta(pl.col("r") * 2, market)
    first, second = calls[0].args
    assert first.meta.eq(pl.col("r") * 2)
    assert second.meta.eq(pl.lit(market))


# ---------------------------------------------------------------------------------------------
# Struct field names: defined once, in Rust


def test_fit_fields_are_the_documented_layout() -> None:
    # The public struct layout (README, docstrings); changing it is a breaking change.
    assert FIT_FIELDS == (
        "alpha",
        "beta",
        "r2",
        "resid_std",
        "alpha_se",
        "beta_se",
        "alpha_t",
        "beta_t",
        "n",
    )


def test_factor_fields_are_the_documented_layout() -> None:
    assert factor_fields(["mkt", "smb"]) == [
        "alpha",
        "beta_mkt",
        "beta_smb",
        "r2",
        "adj_r2",
        "resid_std",
        "alpha_se",
        "beta_mkt_se",
        "beta_smb_se",
        "alpha_t",
        "beta_mkt_t",
        "beta_smb_t",
        "n",
    ]


FRAME = pl.LazyFrame(
    {
        "r": [0.01, -0.02, 0.015, 0.003, -0.004],
        "m": [0.008, -0.01, 0.012, 0.001, -0.002],
        "smb": [0.001, 0.002, -0.001, 0.0, 0.003],
        "hml": [0.0, -0.001, 0.002, 0.001, 0.0],
    }
)


def _fields(expr: pl.Expr) -> list[str]:
    dtype = FRAME.select(expr.alias("fit")).collect_schema()["fit"]
    assert isinstance(dtype, pl.Struct)
    return [f.name for f in dtype.fields]


@pytest.mark.parametrize(
    "make",
    [
        lambda: pa.rolling_alpha_beta("r", "m", window=3),
        lambda: pa.ewm_alpha_beta("r", "m", window=3, half_life=2.0),
        lambda: pa.alpha_beta("r", "m"),
    ],
    ids=["rolling_alpha_beta", "ewm_alpha_beta", "alpha_beta"],
)
def test_fit_fields_are_the_struct_fields(make: Callable[[], pl.Expr]) -> None:
    assert _fields(make()) == list(FIT_FIELDS)


@pytest.mark.parametrize("factors", [["m"], ["m", "smb", "hml"]])
def test_factor_fields_are_the_struct_fields(factors: list[str]) -> None:
    rolling = pa.rolling_factor_regression("r", factors, window=5)
    assert _fields(rolling) == factor_fields(factors)
    assert _fields(pa.factor_regression("r", factors)) == factor_fields(factors)


def test_fields_selects_from_fit_fields() -> None:
    assert _fields(pa.rolling_alpha_beta("r", "m", window=3, fields=["beta", "n"])) == [
        "beta",
        "n",
    ]
    with pytest.raises(ValueError, match="choose from " + ", ".join(FIT_FIELDS)):
        pa.rolling_alpha_beta("r", "m", fields=["gamma"])


def test_numpy_fit_has_the_fit_fields() -> None:
    assert RollingFit._fields == FIT_FIELDS
