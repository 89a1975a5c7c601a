"""Compare two builds of polars-alpha bit for bit on the benchmark workload.

Run it once under each build, then compare::

    PYTHONPATH=/path/to/old/build python scripts/compare_builds.py run /tmp/old
    python scripts/compare_builds.py run /tmp/new
    python scripts/compare_builds.py compare /tmp/old /tmp/new

``run`` computes every plugin expression on the workload of ``benches/workload.py`` (sorted
String keys, the same rows shuffled so the panel gathers and scatters, integer keys, a date
window, ``.over()``) and writes each result to Parquet. ``compare`` checks that every column
of every result has the same nulls and the same float bits; it exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benches"))

from workload import make_workload

import polars_alpha as pa

WINDOW = 252
# Earlier builds name the date-window column `time=`; later ones `order_by=`.
DATE_COLUMN = (
    "order_by" if "order_by" in inspect.signature(pa.rolling_alpha_beta).parameters else "time"
)


def _expressions(df: pl.DataFrame) -> dict[str, Callable[[], pl.DataFrame]]:
    shuffled = df.with_row_index("row").sample(fraction=1.0, shuffle=True, seed=7)
    factors = df.with_columns(
        smb=(pl.col("mkt") * 0.3 + pl.col("ret").shift(1).over("ticker").fill_null(0.0) * 0.1)
    )
    int_keys = make_workload(500, 2520, key_dtype="int")
    dated = df.filter(pl.col("ticker").is_in(df["ticker"].unique().sort().head(300).implode()))
    return {
        "full": lambda: df.select(
            pa.rolling_alpha_beta("ret", "mkt", window=WINDOW, by="ticker").struct.unnest()
        ),
        "beta_alpha": lambda: df.select(
            pa.rolling_beta("ret", "mkt", window=WINDOW, by="ticker").alias("beta"),
            pa.rolling_alpha("ret", "mkt", window=WINDOW, by="ticker").alias("alpha"),
        ),
        "full_shuffled": lambda: shuffled.select(
            "row",
            pa.rolling_alpha_beta("ret", "mkt", window=WINDOW, by="ticker").struct.unnest(),
        ).sort("row"),
        "full_int_keys": lambda: int_keys.select(
            pa.rolling_alpha_beta("ret", "mkt", window=WINDOW, by="ticker").struct.unnest()
        ),
        "risk_free": lambda: df.select(
            pa.rolling_alpha_beta(
                "ret", "mkt", window=WINDOW, risk_free=0.0001, by="ticker"
            ).struct.unnest()
        ),
        "over": lambda: df.head(252 * 200).select(
            pa.rolling_alpha_beta("ret", "mkt", window=WINDOW).over("ticker").struct.unnest()
        ),
        "date_window": lambda: dated.select(
            pa.rolling_alpha_beta(
                "ret", "mkt", window="1y", min_periods=200, by="ticker", **{DATE_COLUMN: "date"}
            ).struct.unnest()
        ),
        "ewm": lambda: df.select(
            pa.ewm_alpha_beta(
                "ret", "mkt", window=WINDOW, half_life=63.0, by="ticker"
            ).struct.unnest()
        ),
        "weighted_alpha": lambda: df.select(
            pa.weighted_alpha(
                (1 + pl.col("ret")).cum_prod().over("ticker"), window=WINDOW, by="ticker"
            ).alias("wa")
        ),
        "weighted_alpha_benchmark": lambda: df.select(
            pa.weighted_alpha(
                "ret", window=WINDOW, by="ticker", benchmark="mkt", returns=True
            ).alias("wa")
        ),
        "factor": lambda: factors.select(
            pa.rolling_factor_regression(
                "ret", ["mkt", "smb"], window=WINDOW, by="ticker"
            ).struct.unnest()
        ),
        "treynor": lambda: df.select(
            pa.rolling_treynor_ratio("ret", "mkt", window=WINDOW, by="ticker").alias("t")
        ),
        "information": lambda: df.select(
            pa.rolling_information_ratio("ret", "mkt", window=WINDOW, by="ticker").alias("i")
        ),
        "whole_sample": lambda: df.group_by("ticker", maintain_order=True).agg(
            pa.alpha_beta("ret", "mkt").alias("fit"),
            pa.factor_regression("ret", ["mkt"]).alias("factor_fit"),
            pa.treynor_ratio("ret", "mkt").alias("treynor"),
            pa.last_weighted_alpha("ret", returns=True).alias("wa"),
        ),
    }


def run(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    df = make_workload(5000, 2520)
    for name, compute in _expressions(df).items():
        compute().write_parquet(out / f"{name}.parquet")
        print(f"wrote {name}")


def _bits(s: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """The null mask and the raw bits of a numeric column (floats as integers)."""
    mask = s.is_null().to_numpy()
    values = s.fill_null(0).to_numpy()
    if values.dtype.kind == "f":
        values = values.astype(np.float64).view(np.uint64)
    return mask, values


def _flat(df: pl.DataFrame) -> pl.DataFrame:
    while structs := [c for c, t in df.schema.items() if isinstance(t, pl.Struct)]:
        # Prefixed, since two structs may share field names.
        df = df.with_columns(pl.col(c).name.prefix_fields(f"{c}.") for c in structs)
        df = df.unnest(structs)
    lists = [c for c, t in df.schema.items() if isinstance(t, pl.List)]
    return df.explode(lists) if lists else df


def compare(a: Path, b: Path) -> int:
    differences = 0
    for path in sorted(a.glob("*.parquet")):
        left, right = _flat(pl.read_parquet(path)), _flat(pl.read_parquet(b / path.name))
        if left.columns != right.columns or left.height != right.height:
            print(f"{path.stem}: shapes differ {left.shape} vs {right.shape}")
            differences += 1
            continue
        for column in left.columns:
            if left[column].dtype == pl.String:
                same = left[column].equals(right[column])
            else:
                (mask_l, bits_l), (mask_r, bits_r) = _bits(left[column]), _bits(right[column])
                same = np.array_equal(mask_l, mask_r) and np.array_equal(bits_l, bits_r)
            if not same:
                print(f"{path.stem}.{column}: differs")
                differences += 1
        print(f"{path.stem}: {left.height} rows x {left.width} columns compared")
    print("identical" if differences == 0 else f"{differences} columns differ")
    return 1 if differences else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run").add_argument("out", type=Path)
    cmp = sub.add_parser("compare")
    cmp.add_argument("a", type=Path)
    cmp.add_argument("b", type=Path)
    args = parser.parse_args()
    if args.command == "run":
        run(args.out)
        return 0
    return compare(args.a, args.b)


if __name__ == "__main__":
    sys.exit(main())
