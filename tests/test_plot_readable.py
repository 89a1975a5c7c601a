"""Issue 23, item 9: the screen's charts read right on the bundled data.

An outlier does not flatten the rest, labels do not overlap, the colour scale is centred on
zero and robust, chart errors say how to fix them, and a chart is written in the format its
extension names.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

import polars_alpha as pa
from polars_alpha.datasets import SP500Sample, load_sp500_sample
from polars_alpha.plot import alpha_beta_scatter, rolling_chart, screen_report
from polars_alpha.screen import fit_history

MAGIC = {"png": (b"\x89PNG\r\n\x1a\n",), "svg": (b"<?xml", b"<svg"), "pdf": (b"%PDF",)}


@pytest.fixture(scope="module")
def sample() -> SP500Sample:
    return load_sp500_sample()


@pytest.fixture(scope="module")
def screened(sample: SP500Sample) -> pl.DataFrame:
    return pa.screen(sample.stocks, benchmark=sample.index, risk_free=sample.risk_free)


@pytest.fixture(scope="module")
def top_fits(sample: SP500Sample, screened: pl.DataFrame) -> pl.DataFrame:
    """The fits `screen --plot` draws: the screen's top 5 over five years."""
    return fit_history(
        sample.stocks,
        benchmark=sample.index,
        risk_free=sample.risk_free,
        tickers=screened.get_column("ticker").head(5).to_list(),
        start="2012-03-29",
        end="2017-03-29",
    )


def value(screened: pl.DataFrame, ticker: str, column: str) -> float:
    return float(screened.filter(pl.col("ticker") == ticker).get_column(column)[0])


def label_boxes(fig: Figure, ax_index: int = 0) -> dict[str, Bbox]:
    """Each label's text box on the rendered figure, in pixels (leader lines left out)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    return {
        t.get_text(): Text.get_window_extent(t, renderer)
        for t in fig.axes[ax_index].texts
        if t.get_text()
    }


def shared_area(a: Bbox, b: Bbox) -> float:
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return width * height if width > 0 and height > 0 else 0.0


def assert_labels_apart(fig: Figure) -> None:
    ax = fig.axes[0]
    boxes = label_boxes(fig)
    assert len(boxes) == len(ax.texts) > 1
    clashes = [
        (a, b)
        for (a, box_a), (b, box_b) in itertools.combinations(boxes.items(), 2)
        if shared_area(box_a, box_b) > 0
    ]
    assert clashes == []
    # Every label is inside the axes, and no label covers a point's centre.
    frame = ax.get_window_extent()
    centres = np.concatenate([c.get_offsets() for c in ax.collections])
    pixels = ax.transData.transform(centres)
    for name, box in boxes.items():
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1, name
        assert frame.y0 <= box.y0 and box.y1 <= frame.y1, name
        for px, py in pixels:
            assert not (box.x0 < px < box.x1 and box.y0 < py < box.y1), name


# ---------------------------------------------------------------------------------------------
# Outliers


def test_an_outlier_does_not_flatten_the_others(screened: pl.DataFrame) -> None:
    fig = alpha_beta_scatter(screened)
    ax = fig.axes[0]
    amd = value(screened, "AMD", "alpha_ann")
    assert amd > 3.0  # the outlier, beyond 300% a year
    others = screened.filter(pl.col("ticker") != "AMD").get_column("alpha_ann")
    low, high = ax.get_ylim()
    assert high < 1.0  # the axis is not stretched to AMD's alpha
    # The other 19 names use most of the height, not the bottom sixth.
    assert (others.max() - others.min()) / (high - low) > 0.7  # type: ignore[operator]
    assert low < others.min() and others.max() < high  # type: ignore[operator]
    # AMD is drawn at the top edge as an upward triangle, its label giving its true alpha.
    edge = [c for c in ax.collections if len(c.get_offsets()) == 1]
    assert len(edge) == 1
    (x, y) = edge[0].get_offsets()[0]
    assert high - 0.1 * (high - low) < y < high
    assert x == pytest.approx(value(screened, "AMD", "beta"))
    texts = [t.get_text() for t in ax.texts]
    assert f"AMD: alpha {amd:+.0%}" in texts
    # Beta is not cut: AMD's 2.07 is near the others' range.
    assert ax.get_xlim()[1] > value(screened, "AMD", "beta")


def test_no_outlier_leaves_the_axes_alone(screened: pl.DataFrame) -> None:
    # Without AMD no name is far out: every point is drawn in place, as a circle.
    rest = screened.filter(pl.col("ticker") != "AMD")
    ax = alpha_beta_scatter(rest).axes[0]
    assert len(ax.collections) == 1
    offsets = ax.collections[0].get_offsets()
    np.testing.assert_allclose(offsets[:, 1], rest.get_column("alpha_ann").to_numpy())
    assert all(":" not in t.get_text() for t in ax.texts)


def test_an_outlier_below_and_left(screened: pl.DataFrame) -> None:
    # A made-up name far below and left of the rest gets a downward triangle at the bottom.
    odd = screened.head(1).with_columns(
        ticker=pl.lit("ODD"), alpha_ann=pl.lit(-4.0), beta=pl.lit(-6.0)
    )
    ax = alpha_beta_scatter(pl.concat([screened.filter(pl.col("ticker") != "AMD"), odd])).axes[0]
    assert ax.get_ylim()[0] > -1.0
    assert ax.get_xlim()[0] > -1.0
    assert "ODD: beta -6.00, alpha -400%" in [t.get_text() for t in ax.texts]


def test_rolling_alpha_keeps_the_others_readable(top_fits: pl.DataFrame) -> None:
    fig = rolling_chart(top_fits, ["AMD", "BBY", "BAC", "JPM", "AAPL"])
    alpha_ax = fig.axes[1]
    peak = top_fits.filter(pl.col("ticker") == "AMD").get_column("alpha_ann").max()
    assert peak > 4.0  # type: ignore[operator]
    low, high = alpha_ax.get_ylim()
    assert high < 2.5  # not AMD's +500%: BBY's 2013 peak sets the top
    assert low < top_fits.get_column("alpha_ann").min()  # type: ignore[operator]  # no trough cut
    notes = [t.get_text() for t in alpha_ax.texts]
    assert notes == [f"above the axis: AMD (to {peak:+.0%})"]
    # The beta panel has no outlier and no note.
    assert len(fig.axes[0].texts) == 0


# ---------------------------------------------------------------------------------------------
# Labels


def test_scatter_labels_do_not_overlap(screened: pl.DataFrame) -> None:
    assert_labels_apart(alpha_beta_scatter(screened))


def test_report_labels_do_not_overlap(screened: pl.DataFrame, top_fits: pl.DataFrame) -> None:
    assert_labels_apart(screen_report(screened, top_fits))


@pytest.mark.parametrize("dpi", [72, 150])
def test_labels_do_not_overlap_at_another_size(screened: pl.DataFrame, dpi: int) -> None:
    assert_labels_apart(alpha_beta_scatter(screened, figsize=(6, 4.5), dpi=dpi))


def test_labels_do_not_overlap_on_a_crowded_market() -> None:
    market = pa.datasets.synthetic_market(n_tickers=40, n_days=400, seed=7)
    crowd = pa.screen(market.stocks, benchmark=market.index, value="close")
    assert crowd.height == 40
    assert_labels_apart(alpha_beta_scatter(crowd, figsize=(10, 7)))


def test_label_placement_is_deterministic(screened: pl.DataFrame) -> None:
    first = label_boxes(alpha_beta_scatter(screened))
    again = label_boxes(alpha_beta_scatter(screened))
    assert {k: tuple(b.bounds) for k, b in first.items()} == {
        k: tuple(b.bounds) for k, b in again.items()
    }


# ---------------------------------------------------------------------------------------------
# Colours


def test_colour_scale_is_centred_and_robust(screened: pl.DataFrame) -> None:
    fig = alpha_beta_scatter(screened)
    norm = fig.axes[0].collections[0].norm
    assert norm(0.0) == pytest.approx(0.5)
    rrc = value(screened, "RRC", "weighted_alpha")
    amd = value(screened, "AMD", "weighted_alpha")
    assert rrc < -15 and amd > 300
    # Equal moves up and down get equally strong colours ...
    assert norm(rrc) - 0.5 == pytest.approx(0.5 - norm(-rrc))
    # ... and RRC's -20% is a pale red, not the full red AMD's +346% gets in green.
    assert 0.15 < norm(rrc) < 0.45
    assert norm(amd) >= 1.0
    # The scale spans the 90th percentile of the absolute values; the bar's arrow marks more.
    half = float(np.quantile(screened.get_column("weighted_alpha").abs().to_numpy(), 0.9))
    assert norm(half) == pytest.approx(1.0)
    bar = fig.axes[1]
    assert bar.get_ylabel() == "weighted alpha (%)"
    assert bar.get_ylim() == pytest.approx((-half, half))
    assert fig.axes[0].collections[0].colorbar.extend == "max"  # type: ignore[union-attr]


def test_one_signed_colours_still_centre_on_zero(screened: pl.DataFrame) -> None:
    positive = screened.filter(pl.col("weighted_alpha") > 0)
    norm = alpha_beta_scatter(positive).axes[0].collections[0].norm
    assert norm(0.0) == pytest.approx(0.5)
    assert norm(positive.get_column("weighted_alpha").min()) > 0.5


# ---------------------------------------------------------------------------------------------
# Errors that say the fix


def test_missing_fits_suggest_tickers(
    sample: SP500Sample, screened: pl.DataFrame, top_fits: pl.DataFrame
) -> None:
    fits = fit_history(sample.stocks, benchmark=sample.index, tickers=["AAPL", "XOM"])
    with pytest.raises(ValueError, match="no rolling fits for ticker 'AMD'") as info:
        screen_report(screened, fits)
    message = str(info.value)
    assert "tickers=" in message
    assert "the fits hold AAPL, XOM" in message
    assert "(nor 'BBY', 'BAC', 'JPM') among the screen's first 5" in message
    assert "fit_history(..., tickers=['AMD', 'BBY', 'BAC', 'JPM', 'AAPL'])" in message
    # Naming tickers the fits hold draws them.
    assert len(screen_report(screened, fits, ["AAPL", "XOM"]).axes) == 4
    with pytest.raises(ValueError, match=r"ticker 'MSFT' \(nor 'KO'\).*pass tickers="):
        rolling_chart(top_fits, ["AMD", "MSFT", "KO"])


# ---------------------------------------------------------------------------------------------
# Formats


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_each_chart_writes_the_format_its_extension_names(
    tmp_path: Path, screened: pl.DataFrame, top_fits: pl.DataFrame, fmt: str
) -> None:
    tickers = ["AMD", "BBY"]
    writers = {
        "scatter": lambda p: alpha_beta_scatter(screened, path=p),
        "rolling": lambda p: rolling_chart(top_fits, tickers, path=p),
        "report": lambda p: screen_report(screened, top_fits, tickers, path=p),
    }
    for name, write in writers.items():
        path = tmp_path / f"{name}.{fmt.upper() if name == 'rolling' else fmt}"
        write(path)
        head = path.read_bytes()[:200].lstrip()
        assert head.startswith(MAGIC[fmt]), (name, head[:20])
        if fmt == "svg":
            assert b"<svg" in path.read_bytes()[:2000]


@pytest.mark.parametrize("name", ["chart.jpg", "chart.jpeg", "chart", "chart.png.txt", "c.eps"])
def test_other_extensions_are_refused_before_drawing(
    tmp_path: Path, screened: pl.DataFrame, top_fits: pl.DataFrame, name: str
) -> None:
    path = tmp_path / name
    for draw in (
        lambda: alpha_beta_scatter(screened, path=path),
        lambda: rolling_chart(top_fits, ["AMD"], path=str(path)),
        lambda: screen_report(screened, top_fits, ["AMD"], path=path),
    ):
        with pytest.raises(ValueError, match=r"`path` must end in \.png, \.svg, \.pdf"):
            draw()
        assert not path.exists()
    with pytest.raises(TypeError, match="`path` must be a file path"):
        alpha_beta_scatter(screened, path=3)  # type: ignore[arg-type]
