"""POLARS_ALPHA_HUGE_PAGES turns the huge-page advice for output columns off, without
changing a result.

The switch is read once per process, so each case runs in a fresh one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from polars_alpha import _internal

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="the huge-page advice is given on Linux only"
)

_PROGRAM = textwrap.dedent(
    """
    import sys
    import numpy as np
    import polars as pl
    import polars_alpha as pa
    from polars_alpha import _internal

    # 300 tickers x 2,000 days: 4.8 MB a column, so every output holds whole huge pages.
    rng = np.random.default_rng(3)
    n_tickers, n_days = 300, 2000
    df = pl.DataFrame({
        "ticker": np.repeat(np.arange(n_tickers), n_days),
        "mkt": np.tile(rng.normal(0, 0.01, n_days), n_tickers),
        "ret": rng.normal(0, 0.01, n_tickers * n_days),
    })
    out = df.select(
        fit=pa.rolling_alpha_beta("ret", "mkt", window=60, by="ticker"),
        ew=pa.ewm_alpha_beta("ret", "mkt", half_life=20, window=None, by="ticker"),
    )
    out.write_ipc(sys.argv[1])
    print(_internal.huge_pages())
    """
)


def _run(directory: Path, setting: str | None) -> tuple[bool, pl.DataFrame]:
    env = {k: v for k, v in os.environ.items() if k != _internal.HUGE_PAGES_VAR}
    if setting is not None:
        env[_internal.HUGE_PAGES_VAR] = setting
    path = directory / f"out-{setting}.arrow"
    done = subprocess.run(
        [sys.executable, "-c", _PROGRAM, str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip() == "True", pl.read_ipc(path)


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[bool, pl.DataFrame]:
    return _run(tmp_path_factory.mktemp("default"), None)


def test_the_advice_is_on_by_default(default_run: tuple[bool, pl.DataFrame]) -> None:
    advised, out = default_run
    assert advised
    assert out.height == 600_000
    assert out["fit"].struct.field("beta").null_count() < out.height
    assert out["ew"].struct.field("beta").null_count() < out.height


@pytest.mark.parametrize(
    ("setting", "wanted"),
    [("1", True), ("on", True), ("0", False), ("off", False), ("False", False), (" no ", False)],
)
def test_the_switch_sets_the_advice_and_leaves_results_alone(
    tmp_path: Path,
    default_run: tuple[bool, pl.DataFrame],
    setting: str,
    wanted: bool,
) -> None:
    advised, out = _run(tmp_path, setting)
    assert advised is wanted
    # Bit for bit: the advice changes how memory is backed, never a value.
    assert_frame_equal(out, default_run[1], check_exact=True)
