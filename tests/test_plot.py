"""Each chart renders to a valid, non-trivial PNG."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from matplotlib.image import imread

import polars_alpha as pa
from polars_alpha.datasets import SP500Sample, load_sp500_sample
from polars_alpha.plot import alpha_beta_scatter, rolling_chart, screen_report
from polars_alpha.screen import fit_history

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def sample() -> SP500Sample:
    return load_sp500_sample()


@pytest.fixture(scope="module")
def screened(sample: SP500Sample) -> pl.DataFrame:
    return pa.screen(sample.stocks, benchmark=sample.index, risk_free=sample.risk_free)


@pytest.fixture(scope="module")
def fits(sample: SP500Sample) -> pl.DataFrame:
    return fit_history(
        sample.stocks,
        benchmark=sample.index,
        risk_free=sample.risk_free,
        tickers=["AMD", "BBY", "XOM"],
        start="2012-01-01",
        end="2017-03-29",
    )


def check_png(path: Path, width: int, height: int) -> np.ndarray:
    """The file is a PNG of the given size, of some weight, and not one flat colour."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    # The first chunk is IHDR: length 13, then width and height as big-endian uint32.
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    assert struct.unpack(">II", data[16:24]) == (width, height)
    assert data[-8:-4] == b"IEND"
    assert len(data) > 20_000
    pixels = imread(path)
    assert pixels.shape[:2] == (height, width)
    assert pixels[..., :3].std() > 0.05  # lines, points and text on white
    assert len(np.unique(pixels[..., :3].reshape(-1, 3), axis=0)) > 50  # colours, antialiasing
    return pixels


def test_alpha_beta_scatter_png(tmp_path: Path, screened: pl.DataFrame) -> None:
    path = tmp_path / "scatter.png"
    fig = alpha_beta_scatter(screened, path=path, figsize=(8, 6), dpi=100)
    pixels = check_png(path, 800, 600)
    ax = fig.axes[0]
    # Every name is labelled; a name drawn at the edge carries its true value after a colon.
    names = sorted(t.get_text().split(":")[0] for t in ax.texts)
    assert names == sorted(screened.get_column("ticker"))
    assert ax.get_xlabel() == "beta"
    assert ax.get_title() == "Alpha against beta, as of 2017-03-29"
    assert fig.axes[1].get_ylabel() == "weighted alpha (%)"  # the colour bar
    # Both ends of the red-to-green scale are used: the screen has both signs.
    red = (pixels[..., 0] > 0.6) & (pixels[..., 1] < 0.3) & (pixels[..., 2] < 0.3)
    green = (pixels[..., 1] > 0.35) & (pixels[..., 0] < 0.3) & (pixels[..., 2] < 0.3)
    assert red.sum() > 50
    assert green.sum() > 50


def test_rolling_chart_png(tmp_path: Path, fits: pl.DataFrame) -> None:
    path = tmp_path / "rolling.png"
    fig = rolling_chart(fits, ["AMD", "XOM"], path=path, figsize=(9, 6), dpi=80)
    check_png(path, 720, 480)
    beta_ax, alpha_ax = fig.axes
    assert [line.get_label() for line in beta_ax.get_lines()[1:]] == ["AMD", "XOM"]
    # The plotted lines are the fits.
    amd = fits.filter(pl.col("ticker") == "AMD")
    np.testing.assert_array_equal(beta_ax.get_lines()[1].get_ydata(), amd.get_column("beta"))
    np.testing.assert_array_equal(alpha_ax.get_lines()[1].get_ydata(), amd.get_column("alpha_ann"))


def test_screen_report_png(tmp_path: Path, screened: pl.DataFrame, fits: pl.DataFrame) -> None:
    path = tmp_path / "report.png"
    fig = screen_report(screened, fits, ["AMD", "BBY", "XOM"], path=path, figsize=(15, 6.5))
    check_png(path, 1500, 650)
    assert len(fig.axes) == 4


def test_one_signed_colours_and_no_labels(tmp_path: Path, screened: pl.DataFrame) -> None:
    positive = screened.filter(pl.col("weighted_alpha") > 0)
    path = tmp_path / "positive.png"
    fig = alpha_beta_scatter(positive, label=None, color="weighted_alpha", path=path)
    check_png(path, 800, 600)
    assert len(fig.axes[0].texts) == 0
    uncoloured = alpha_beta_scatter(positive, color=None)
    assert len(uncoloured.axes) == 1  # no colour bar


def test_bad_inputs(screened: pl.DataFrame, fits: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="no column 'alpha_annual'"):
        alpha_beta_scatter(screened, alpha="alpha_annual")
    with pytest.raises(TypeError, match="Polars DataFrame"):
        alpha_beta_scatter(screened.to_dicts())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no rolling fits for ticker 'MSFT'"):
        rolling_chart(fits, ["AMD", "MSFT"])
    with pytest.raises(TypeError, match="tickers"):
        rolling_chart(fits, "AMD")


def test_without_matplotlib_the_error_says_what_to_install() -> None:
    # A child process where matplotlib cannot be imported.
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "import polars_alpha as pa\n"
        "from polars_alpha.plot import alpha_beta_scatter\n"
        "s = pa.datasets.load_sp500_sample()\n"
        "try:\n"
        "    alpha_beta_scatter(pa.screen(s.stocks, benchmark=s.index))\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert 'pip install "polars-alpha[plot]"' in out
    assert "matplotlib" in out
