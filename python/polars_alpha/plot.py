"""Charts of a screen with matplotlib (the optional ``plot`` extra).

:func:`alpha_beta_scatter` draws the security characteristic view: each screened name at its
beta and annualized alpha, coloured by weighted alpha and labelled. :func:`rolling_chart` draws
rolling beta and alpha over time for chosen tickers. :func:`screen_report` puts both on one
figure, as ``polars-alpha screen --plot`` does.

matplotlib is imported only when a chart is drawn; the figures are rendered with its Agg
backend (no display, no global pyplot state), so they work on servers and in threads.

The charts are built to read right on real screens, where one name can sit far from the rest:

- an axis spans the bulk of the values, and a name far beyond them (past Tukey's far fence,
  three interquartile ranges beyond the quartiles, when showing it would take over a third of
  the axis) is drawn at the edge as a triangle pointing its way, its label giving its true
  value;
- the colour scale is diverging, centred on zero and spans the 90th percentile of the
  absolute values, so equal moves up and down get equally strong colours and one outlier does
  not wash out the rest (the colour bar's arrows mark values beyond it);
- labels are placed one by one, top of the screen first, where they overlap no label placed
  before and no point.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt
import polars as pl

from polars_alpha import _validate

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.transforms import Bbox

    from polars_alpha.report import StrategyReport

__all__ = ["alpha_beta_scatter", "rolling_chart", "screen_report", "strategy_chart"]

_INSTALL = 'pip install "polars-alpha[plot]"'


def _figure(figsize: tuple[float, float], dpi: int) -> Figure:
    """A new figure on an Agg canvas; a clear ImportError without matplotlib."""
    try:
        figure_module = importlib.import_module("matplotlib.figure")
        agg = importlib.import_module("matplotlib.backends.backend_agg")
    except ImportError:
        msg = f"polars_alpha.plot draws with matplotlib, which is not installed: {_INSTALL}"
        raise ImportError(msg) from None
    fig: Figure = figure_module.Figure(figsize=figsize, dpi=dpi, layout="constrained")
    agg.FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, target: tuple[str, str] | None) -> None:
    """Write the figure to ``target``'s path in its format (checked by ``chart_path``)."""
    if target is not None:
        path, fmt = target
        fig.savefig(Path(path), format=fmt)


# ---------------------------------------------------------------------------------------------
# Robust scales

#: Tukey's far fence: a value this many interquartile ranges beyond a quartile is far out.
_FENCE = 3.0
#: The diverging colour scale spans this quantile of the absolute values.
_COLOR_QUANTILE = 0.9
#: Label at most this far from the point, in points, and try these distances in turn.
_LABEL_RADII = (4.0, 8.0, 13.0, 19.0, 26.0)
_LABEL_DIRECTIONS = ((1, 1), (1, -1), (-1, 1), (-1, -1), (1, 0), (-1, 0), (0, 1), (0, -1))
#: A label's alignment, so that it lies away from its point in the direction tried.
_HA: dict[int, Literal["left", "center", "right"]] = {1: "left", -1: "right", 0: "center"}
_VA: dict[int, Literal["bottom", "center", "top"]] = {1: "bottom", -1: "top", 0: "center"}


def _robust_span(values: npt.NDArray[np.float64]) -> tuple[float, float]:
    """The span an axis shows: every value but the far outliers that would squeeze the rest.

    A side is cut only when its values beyond the far fence would take over a third of the
    axis; fewer than four values are all shown.
    """
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 0.0, 1.0
    low, high = float(values.min()), float(values.max())
    if values.size < 4:
        return low, high
    q1, q3 = (float(q) for q in np.quantile(values, [0.25, 0.75]))
    iqr = q3 - q1
    inner = values[(values >= q1 - _FENCE * iqr) & (values <= q3 + _FENCE * iqr)]
    if iqr <= 0.0 or inner.size == 0:
        return low, high
    inner_low, inner_high = float(inner.min()), float(inner.max())
    width = max(inner_high - inner_low, 1e-12)
    cut_low = inner_low - low > 0.5 * width
    cut_high = high - inner_high > 0.5 * width
    return (inner_low if cut_low else low), (inner_high if cut_high else high)


def _limits(span: tuple[float, float]) -> tuple[float, float, float]:
    """Axis limits around ``span`` with a margin, and the margin (where clipped points go)."""
    low, high = span
    width = high - low
    margin = 0.08 * width if width > 0 else max(abs(low) * 0.1, 0.05)
    return low - margin, high + margin, margin


def _color_norm(values: npt.NDArray[np.float64]) -> tuple[Any, str]:
    """A norm centred on zero that spans the 90th percentile of the absolute values.

    Returns the norm and the colour bar's ``extend`` (arrows where values go beyond it).
    """
    colors_module = importlib.import_module("matplotlib.colors")
    finite = values[np.isfinite(values)]
    magnitude = np.abs(finite)
    half = float(np.quantile(magnitude, _COLOR_QUANTILE)) if finite.size else 1.0
    if not half > 0.0:
        half = float(magnitude.max()) if finite.size and magnitude.max() > 0 else 1.0
    above = finite.size > 0 and float(finite.max()) > half
    below = finite.size > 0 and float(finite.min()) < -half
    extend = {(True, True): "both", (True, False): "max", (False, True): "min"}.get(
        (above, below), "neither"
    )
    return colors_module.CenteredNorm(vcenter=0.0, halfrange=half), extend


# ---------------------------------------------------------------------------------------------
# Labels


class _Label(NamedTuple):
    text: str
    x: float
    y: float


def _overlap(a: Bbox, b: Bbox) -> float:
    """The area two boxes share (zero when they only touch)."""
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return width * height if width > 0 and height > 0 else 0.0


def _covers(box: Bbox, centre: npt.NDArray[np.float64], radius: float) -> float:
    """How far a box reaches into a round marker, squared (zero when it stays clear)."""
    nearest_x = min(max(float(centre[0]), box.x0), box.x1)
    nearest_y = min(max(float(centre[1]), box.y0), box.y1)
    depth = radius - float(np.hypot(nearest_x - centre[0], nearest_y - centre[1]))
    return depth * depth if depth > 0 else 0.0


def _outside(box: Bbox, frame: Bbox) -> float:
    """The area of ``box`` outside ``frame``."""
    return box.width * box.height - _overlap(box, frame)


def _place_labels(
    ax: Axes, labels: Sequence[_Label], points: npt.NDArray[np.float64], marker_size: float
) -> None:
    """Label each point where the label overlaps no label placed before it and no point.

    Deterministic: the labels are placed in order (the top of the screen first); each takes
    the first free spot among eight directions at growing distances, a thin line back to
    the point when it is not beside it, else the spot that overlaps least. It runs on the
    figure's final layout, so call it once every axes and colour bar is on the figure.
    """
    fig = ax.get_figure(root=True)
    assert fig is not None
    fig.draw_without_rendering()  # the constrained layout fixes the axes' place
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    frame = ax.get_window_extent(renderer)
    radius = fig.dpi / 72.0 * (marker_size**0.5) / 2.0 + 1.0  # a marker's radius in pixels
    centres = ax.transData.transform(points) if len(points) else np.empty((0, 2))
    placed: list[Bbox] = []
    for label in labels:
        note = ax.annotate(
            label.text,
            (label.x, label.y),
            xytext=(0.0, 0.0),
            textcoords="offset points",
            fontsize=8,
            zorder=4,
        )
        best: tuple[float, float, float, Any, Any, Bbox] | None = None
        for distance in _LABEL_RADII:
            for dx, dy in _LABEL_DIRECTIONS:
                scale = distance / float(np.hypot(dx, dy))
                ha, va = _HA[dx], _VA[dy]
                note.set_position((dx * scale, dy * scale))
                note.set_horizontalalignment(ha)
                note.set_verticalalignment(va)
                box = note.get_window_extent(renderer)  # the text's box: no leader line yet
                cost = sum(_overlap(box, other) for other in placed)
                cost += sum(_covers(box, centre, radius) for centre in centres)
                cost += 10.0 * _outside(box, frame)
                if best is None or cost < best[0]:
                    best = (cost, dx * scale, dy * scale, ha, va, box)
                if cost == 0.0:
                    break
            if best is not None and best[0] == 0.0:
                break
        assert best is not None
        _, ox, oy, ha, va, box = best
        note.remove()
        leader: dict[str, Any] | None = None
        if float(np.hypot(ox, oy)) > _LABEL_RADII[1]:  # a thin line back to the point
            corner = (
                {"left": 0.0, "right": 1.0, "center": 0.5}[ha],
                {"bottom": 0.0, "top": 1.0, "center": 0.5}[va],
            )
            leader = {
                "arrowstyle": "-",
                "color": "0.45",
                "linewidth": 0.6,
                "relpos": corner,
                "shrinkA": 1.0,
                "shrinkB": (marker_size**0.5) / 2.0,
            }
        ax.annotate(
            label.text,
            (label.x, label.y),
            xytext=(ox, oy),
            textcoords="offset points",
            ha=ha,
            va=va,
            fontsize=8,
            zorder=4,
            arrowprops=leader,
        )
        placed.append(box)


def _percent(ax: Axes, axis: str = "y") -> None:
    ticker = importlib.import_module("matplotlib.ticker")
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(ticker.PercentFormatter(xmax=1.0, decimals=0))


class _Scatter(NamedTuple):
    """What :func:`_draw_scatter` drew, for the colour bar and the labels placed last."""

    mappable: Any
    extend: str
    labels: list[_Label]
    points: npt.NDArray[np.float64]


#: A point's marker area, in points squared.
_MARKER_SIZE = 60.0


def _value_text(value: float, percent: bool) -> str:
    return f"{value:+.0%}" if percent else f"{value:.3g}"


def _draw_scatter(
    ax: Axes,
    screened: pl.DataFrame,
    *,
    alpha: str,
    beta: str,
    color: str | None,
    label: str | None,
    max_labels: int,
) -> _Scatter:
    rows = screened.filter(pl.col(alpha).is_not_null() & pl.col(beta).is_not_null())
    x = rows.get_column(beta).cast(pl.Float64).to_numpy()
    y = rows.get_column(alpha).cast(pl.Float64).to_numpy()
    percent = alpha == "alpha_ann"
    x_low, x_high, x_margin = _limits(_robust_span(x))
    y_low, y_high, y_margin = _limits(_robust_span(y))
    # A point beyond the limits is drawn just inside the edge, as a triangle pointing out.
    right, left = x > x_high, x < x_low
    above, below = y > y_high, y < y_low
    shown_x = np.where(right, x_high - 0.4 * x_margin, np.where(left, x_low + 0.4 * x_margin, x))
    shown_y = np.where(above, y_high - 0.4 * y_margin, np.where(below, y_low + 0.4 * y_margin, y))
    markers = np.select([above, below, right, left], ["^", "v", ">", "<"], default="o")
    ax.axhline(0.0, color="0.6", linewidth=0.8, zorder=1)
    ax.axvline(1.0, color="0.6", linewidth=0.8, linestyle="--", zorder=1)
    style: dict[str, Any] = {"s": _MARKER_SIZE, "edgecolors": "0.2", "linewidths": 0.6}
    mappable = None
    extend = "neither"
    colored = color is not None and rows.get_column(color).drop_nulls().len() > 0
    c = np.full(len(x), np.nan)
    if colored:
        assert color is not None
        c = rows.get_column(color).cast(pl.Float64).fill_null(float("nan")).to_numpy()
        norm, extend = _color_norm(c)
        style.update(cmap="RdYlGn", norm=norm)
    else:
        style.update(color="tab:blue")
    for marker in ("o", "^", "v", ">", "<"):
        chosen = markers == marker
        if marker != "o" and not chosen.any():
            continue
        extra = {"c": c[chosen]} if colored else {}
        drawn = ax.scatter(
            shown_x[chosen], shown_y[chosen], marker=marker, zorder=3, **style, **extra
        )
        if marker == "o":
            mappable = drawn
    ax.set_xlim(x_low, x_high)
    ax.set_ylim(y_low, y_high)
    labels: list[_Label] = []
    if label is not None:
        names = rows.get_column(label).head(max_labels).to_list()
        for i, name in enumerate(names):
            beyond = []
            if right[i] or left[i]:
                beyond.append(f"{beta} {x[i]:.2f}")
            if above[i] or below[i]:
                beyond.append(f"{'alpha' if percent else alpha} {_value_text(y[i], percent)}")
            text = str(name) + (f": {', '.join(beyond)}" if beyond else "")
            labels.append(_Label(text, float(shown_x[i]), float(shown_y[i])))
    ax.set_xlabel("beta" if beta == "beta" else beta)
    ax.set_ylabel("alpha, annualized" if percent else alpha)
    if percent:
        _percent(ax)
    ax.grid(True, alpha=0.3)
    points = np.column_stack([shown_x, shown_y]) if len(x) else np.empty((0, 2))
    return _Scatter(mappable if colored else None, extend, labels, points)


def _color_bar(fig: Figure, ax: Axes, drawn: _Scatter, color: str | None) -> None:
    """The colour bar beside the scatter, with arrows where values go beyond the scale."""
    if drawn.mappable is not None and color is not None:
        bar = fig.colorbar(drawn.mappable, ax=ax, extend=drawn.extend)
        bar.set_label("weighted alpha (%)" if color == "weighted_alpha" else color)


def alpha_beta_scatter(
    screened: pl.DataFrame,
    *,
    alpha: str = "alpha_ann",
    beta: str = "beta",
    color: str | None = "weighted_alpha",
    label: str | None = "ticker",
    max_labels: int = 40,
    title: str | None = None,
    path: str | Path | None = None,
    figsize: tuple[float, float] = (8.0, 6.0),
    dpi: int = 100,
) -> Figure:
    """Alpha against beta for the screened names, coloured by weighted alpha and labelled.

    Parameters
    ----------
    screened
        A screen (the output of :func:`polars_alpha.screen`) or any frame with the columns
        named below.
    alpha
        The y column: annualized alpha by default (drawn in percent).
    beta
        The x column.
    color
        The column that colours the points: red below zero, green above, on a scale centred
        at zero that spans the 90th percentile of the absolute values (the colour bar's arrows
        mark values beyond it). ``None`` for one colour.
    label
        The column that labels the points; ``None`` for no labels. A label is placed beside
        its point where it overlaps no other label and no point (with a thin line back to
        the point when it has to move away).
    max_labels
        Label at most this many points: the first rows, which are the top of a sorted screen.
    title
        The chart's title; default "Alpha against beta (as of <date>)" when the frame has a
        ``date`` column.
    path
        Write the chart to this file as well, as PNG, SVG or PDF: the format follows the
        extension (``.png``, ``.svg``, ``.pdf``); any other extension is an error.
    figsize, dpi
        The figure's size in inches and resolution: the PNG is ``figsize * dpi`` pixels.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, on an Agg canvas; save it again with ``fig.savefig(...)``.

    Notes
    -----
    The security characteristic view: the dashed line is beta 1 (moves with the market), the
    solid line alpha 0 (no return beyond what beta explains). The "high alpha, moderate beta"
    names sit top centre. Rows with a null alpha or beta are not drawn.

    Each axis spans the bulk of the names. A name beyond Tukey's far fence (three
    interquartile ranges past the quartiles), when showing it would take more than a third
    of the axis, is drawn at the edge as a triangle pointing its way, and its label gives its
    true value ("AMD: alpha +354%"). Clipping keeps the axis linear, so distances between
    the other names still read as differences in alpha; a symmetric-log axis would show the
    outlier in place but bend the scale where most names sit.

    Examples
    --------
    >>> import polars_alpha as pa
    >>> from polars_alpha.plot import alpha_beta_scatter
    >>> sample = pa.datasets.load_sp500_sample()
    >>> screened = pa.screen(sample.stocks, benchmark=sample.index, risk_free=sample.risk_free)
    >>> fig = alpha_beta_scatter(screened)
    >>> fig.axes[0].get_xlabel(), len(fig.axes[0].texts)
    ('beta', 20)
    """
    columns = [c for c in (alpha, beta, color, label) if c is not None]
    _validate.frame_with_columns(screened, columns, "the screen")
    target = _validate.chart_path(path)
    fig = _figure(figsize, dpi)
    ax = fig.add_subplot()
    drawn = _draw_scatter(
        ax, screened, alpha=alpha, beta=beta, color=color, label=label, max_labels=max_labels
    )
    _color_bar(fig, ax, drawn, color)
    ax.set_title(title if title is not None else _default_title(screened))
    _place_labels(ax, drawn.labels, drawn.points, _MARKER_SIZE)
    _save(fig, target)
    return fig


def _default_title(screened: pl.DataFrame) -> str:
    if "date" in screened.columns and screened.height:
        return f"Alpha against beta, as of {screened.get_column('date').max()!s}"
    return "Alpha against beta"


def _clip_lines(ax: Axes, series: Sequence[tuple[str, npt.NDArray[np.float64]]], fmt: Any) -> None:
    """Robust y limits for lines: a ticker whose peak (or trough) is far beyond the others'
    is cut at the edge, and a note in the corner gives how far it goes."""
    kept = [(name, v[np.isfinite(v)]) for name, v in series]
    kept = [(name, v) for name, v in kept if v.size]
    if not kept:
        return
    troughs = np.array([float(v.min()) for _, v in kept])
    peaks = np.array([float(v.max()) for _, v in kept])
    low, high = _robust_span(troughs)[0], _robust_span(peaks)[1]
    if low <= troughs.min() and high >= peaks.max():
        return  # nothing is cut: matplotlib's own limits
    notes = []
    above = [f"{name} (to {fmt(v.max())})" for name, v in kept if v.max() > high]
    below = [f"{name} (to {fmt(v.min())})" for name, v in kept if v.min() < low]
    if above:
        notes.append("above the axis: " + ", ".join(above))
    if below:
        notes.append("below the axis: " + ", ".join(below))
    lower, upper, _ = _limits((low, high))
    ax.set_ylim(lower, upper)
    ax.text(
        0.99,
        0.97,
        "\n".join(notes),
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize=8,
        zorder=5,
        bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": "0.7", "alpha": 0.9},
    )


def _draw_rolling(
    axes: tuple[Axes, Axes],
    fits: pl.DataFrame,
    tickers: Sequence[str],
    *,
    date: str,
    ticker: str,
    alpha: str,
    beta: str,
) -> None:
    beta_ax, alpha_ax = axes
    beta_ax.axhline(1.0, color="0.6", linewidth=0.8, linestyle="--")
    alpha_ax.axhline(0.0, color="0.6", linewidth=0.8)
    betas, alphas = [], []
    for name in tickers:
        rows = fits.filter(pl.col(ticker) == name).sort(date)
        dates = rows.get_column(date).to_numpy()
        b = rows.get_column(beta).cast(pl.Float64).to_numpy()
        a = rows.get_column(alpha).cast(pl.Float64).to_numpy()
        beta_ax.plot(dates, b, linewidth=1.2, label=str(name))
        alpha_ax.plot(dates, a, linewidth=1.2, label=str(name))
        betas.append((str(name), b))
        alphas.append((str(name), a))
    percent = alpha == "alpha_ann"
    _clip_lines(beta_ax, betas, lambda v: f"{v:.2f}")
    _clip_lines(alpha_ax, alphas, lambda v: _value_text(v, percent))
    beta_ax.set_ylabel("beta")
    alpha_ax.set_ylabel("alpha, annualized" if percent else alpha)
    if percent:
        _percent(alpha_ax)
    beta_ax.legend(loc="upper left", fontsize=8, ncols=min(len(tickers), 5))
    for ax in axes:
        ax.grid(True, alpha=0.3)
    beta_ax.tick_params(labelbottom=False)


def _preview(names: Sequence[Any], limit: int = 8) -> str:
    shown = ", ".join(str(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _tickers(
    fits: pl.DataFrame, tickers: Sequence[str] | None, ticker: str, *, default: str | None = None
) -> list[str]:
    """The tickers to draw, each checked to have fits; ``default`` says where they came from
    when the caller chose them."""
    names = _validate.ticker_list(tickers)
    if names is None:
        return [str(t) for t in fits.get_column(ticker).unique(maintain_order=True).head(8)]
    held = fits.get_column(ticker).unique(maintain_order=True).to_list()
    present = set(held)
    absent = [t for t in names if t not in present]
    if absent:
        which = f"ticker {absent[0]!r}"
        if len(absent) > 1:
            which += f" (nor {_preview([repr(t) for t in absent[1:]])})"
        source = f" {default}" if default else ""
        holds = f"the fits hold {_preview(held)}" if held else "the fits are empty"
        msg = (
            f"no rolling fits for {which}{source}; {holds}: pass tickers=[...] naming "
            f"tickers the fits hold, or make the fits with fit_history(..., tickers={names!r})"
        )
        raise ValueError(msg)
    return names


def rolling_chart(
    fits: pl.DataFrame,
    tickers: Sequence[str] | None = None,
    *,
    date: str = "date",
    ticker: str = "ticker",
    alpha: str = "alpha_ann",
    beta: str = "beta",
    title: str | None = None,
    path: str | Path | None = None,
    figsize: tuple[float, float] = (9.0, 6.0),
    dpi: int = 100,
) -> Figure:
    """Rolling beta (top) and annualized alpha (bottom) over time for chosen tickers.

    Parameters
    ----------
    fits
        A long frame of fits over time, e.g. from :func:`polars_alpha.screen.fit_history`:
        the date, ticker, alpha and beta columns named below.
    tickers
        The tickers to draw, in legend order; default the first 8 in the frame.
    date, ticker, alpha, beta
        Column names.
    title
        The chart's title; default "Rolling beta and alpha".
    path
        Write the chart to this file as well, as PNG, SVG or PDF: the format follows the
        extension (``.png``, ``.svg``, ``.pdf``); any other extension is an error.
    figsize, dpi
        The figure's size in inches and resolution.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, with two axes sharing the date axis.

    Notes
    -----
    Beta's reference line is 1 (dashed), alpha's is 0. A date without a fit is a gap in
    the line only if the frame holds a null there; :func:`~polars_alpha.screen.fit_history`
    leaves such dates out, so the line bridges them.

    With four tickers or more, one whose peak (or trough) lies beyond the far fence of the
    others' peaks runs off the panel, and a note in its corner names it and how far it goes
    ("above the axis: AMD (to +513%)"), so it does not flatten the other lines.

    Examples
    --------
    >>> import polars_alpha as pa
    >>> from polars_alpha.plot import rolling_chart
    >>> from polars_alpha.screen import fit_history
    >>> sample = pa.datasets.load_sp500_sample()
    >>> fits = fit_history(sample.stocks, benchmark=sample.index, tickers=["AAPL", "XOM"])
    >>> fig = rolling_chart(fits, ["AAPL", "XOM"])
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['beta', 'alpha, annualized']
    """
    _validate.frame_with_columns(fits, [date, ticker, alpha, beta], "the fits")
    names = _tickers(fits, tickers, ticker)
    target = _validate.chart_path(path)
    fig = _figure(figsize, dpi)
    beta_ax = fig.add_subplot(2, 1, 1)
    alpha_ax = fig.add_subplot(2, 1, 2, sharex=beta_ax)
    _draw_rolling(
        (beta_ax, alpha_ax), fits, names, date=date, ticker=ticker, alpha=alpha, beta=beta
    )
    beta_ax.set_title(title if title is not None else "Rolling beta and alpha")
    _save(fig, target)
    return fig


def screen_report(
    screened: pl.DataFrame,
    fits: pl.DataFrame,
    tickers: Sequence[str] | None = None,
    *,
    path: str | Path | None = None,
    figsize: tuple[float, float] = (15.0, 6.5),
    dpi: int = 100,
) -> Figure:
    """Both charts on one figure: the alpha-beta scatter left, rolling beta and alpha right.

    Parameters
    ----------
    screened
        A screen, as for :func:`alpha_beta_scatter`.
    fits
        Fits over time with ``date, ticker, alpha_ann, beta``, as for :func:`rolling_chart`.
    tickers
        The tickers of the rolling panels; default the first 5 rows of the screen.
    path
        Write the figure to this file as well, as PNG, SVG or PDF: the format follows the
        extension (``.png``, ``.svg``, ``.pdf``); any other extension is an error.
    figsize, dpi
        The figure's size in inches and resolution.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, as ``polars-alpha screen --plot`` writes it.

    Notes
    -----
    The scatter shows the whole screen; the rolling panels show how the top names got there.
    Both keep far outliers at the edge as :func:`alpha_beta_scatter` and
    :func:`rolling_chart` describe. The fits must hold every ticker drawn: compute them with
    ``fit_history(..., tickers=...)`` for the same names, or pass ``tickers=``.

    Examples
    --------
    >>> import polars_alpha as pa
    >>> from polars_alpha.plot import screen_report
    >>> from polars_alpha.screen import fit_history
    >>> sample = pa.datasets.load_sp500_sample()
    >>> screened = pa.screen(sample.stocks, benchmark=sample.index, top=3)
    >>> top = screened["ticker"].to_list()
    >>> fits = fit_history(sample.stocks, benchmark=sample.index, tickers=top, start="2018-01-01")
    >>> len(screen_report(screened, fits).axes)  # scatter, colour bar, beta, alpha
    4
    """
    _validate.frame_with_columns(
        screened, ["ticker", "alpha_ann", "beta", "weighted_alpha"], "the screen"
    )
    _validate.frame_with_columns(fits, ["date", "ticker", "alpha_ann", "beta"], "the fits")
    target = _validate.chart_path(path)
    default = None
    if tickers is None:
        tickers = [str(t) for t in screened.get_column("ticker").head(5)]
        default = "among the screen's first 5, which screen_report draws by default"
    names = _tickers(fits, tickers, "ticker", default=default)
    fig = _figure(figsize, dpi)
    grid = fig.add_gridspec(2, 2, width_ratios=(1.0, 1.2))
    scatter_ax = fig.add_subplot(grid[:, 0])
    drawn = _draw_scatter(
        scatter_ax,
        screened,
        alpha="alpha_ann",
        beta="beta",
        color="weighted_alpha",
        label="ticker",
        max_labels=40,
    )
    _color_bar(fig, scatter_ax, drawn, "weighted_alpha")
    scatter_ax.set_title(_default_title(screened))
    beta_ax = fig.add_subplot(grid[0, 1])
    alpha_ax = fig.add_subplot(grid[1, 1], sharex=beta_ax)
    _draw_rolling(
        (beta_ax, alpha_ax),
        fits,
        names,
        date="date",
        ticker="ticker",
        alpha="alpha_ann",
        beta="beta",
    )
    beta_ax.set_title("Rolling beta and alpha of the top names")
    _place_labels(scatter_ax, drawn.labels, drawn.points, _MARKER_SIZE)
    _save(fig, target)
    return fig


# ---------------------------------------------------------------------------------------------
# Strategy report


def strategy_chart(
    report: StrategyReport,
    strategy: str | None = None,
    *,
    path: str | Path | None = None,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    dpi: int = 100,
    month_table: bool = True,
    benchmark_name: str = "benchmark",
) -> Figure:
    """One strategy's charts: growth against the benchmark with the drawdown below it,
    rolling one-year beta and alpha, and the monthly returns as a year x month table.

    Parameters
    ----------
    report
        A :func:`~polars_alpha.strategy_report`.
    strategy
        The strategy to draw; default the summary's first.
    path
        Write the figure to this file as well, as PNG, SVG or PDF: the format follows the
        extension (``.png``, ``.svg``, ``.pdf``); any other extension is an error.
    title
        The figure's title; default the strategy's name and the benchmark.
    figsize, dpi
        The figure's size in inches (default 11 wide, taller with more years) and
        resolution.
    month_table
        Draw the year x month table of monthly returns below the lines (default); the HTML
        page leaves it out and shows it as a table.
    benchmark_name
        The benchmark's name in the legend and the default title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, as ``polars-alpha report --plot`` writes it.

    Notes
    -----
    The growth panel compounds the strategy's and the benchmark's returns on the report's
    rows (``prod(1 + r) - 1``); the drawdown is the fall from the running peak of the
    strategy's growth. The rolling fits are :meth:`~polars_alpha.report.StrategyReport.
    rolling_fits` (one year of rows, alpha annualized). The table's cells are the report's
    monthly returns, coloured on a diverging scale centred on zero, with each year's
    compounded return in the last column.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> from polars_alpha.plot import strategy_chart
    >>> sample = pa.datasets.load_sp500_sample()
    >>> stocks = sample.stocks.filter(pl.col("ticker") == "AAPL", pl.col("date").dt.year() >= 2018)
    >>> report = pa.strategy_report(stocks, benchmark=sample.index)
    >>> len(strategy_chart(report).axes)  # growth, drawdown, beta, alpha, monthly table
    5
    >>> len(strategy_chart(report, month_table=False).axes)
    4
    """
    name = report.choose(strategy)
    target = _validate.chart_path(path)
    date = report.date
    rows = report.returns.filter(report.rows_of(name)).sort(date)
    growth = rows.select(
        pl.col(date),
        ((1.0 + pl.col("ret")).cum_prod() - 1.0).alias("strategy"),
        ((1.0 + pl.col("benchmark")).cum_prod() - 1.0).alias("benchmark"),
    ).with_columns(
        ((1.0 + pl.col("strategy")) / (1.0 + pl.col("strategy")).cum_max().clip(1.0) - 1.0).alias(
            "drawdown"
        )
    )
    fits = report.rolling_fits().filter(report.rows_of(name)).sort(date)
    table = report.monthly_table(name)
    years = table.height if month_table else 0
    size = figsize or (11.0, 8.5 + 0.25 * years)
    fig = _figure(size, dpi)
    heights = (3.0, 1.2, 1.4, 1.4, *((max(1.6, 0.3 * max(years, 4)),) if month_table else ()))
    grid = fig.add_gridspec(len(heights), 1, height_ratios=heights)
    growth_ax = fig.add_subplot(grid[0])
    drawdown_ax = fig.add_subplot(grid[1], sharex=growth_ax)
    beta_ax = fig.add_subplot(grid[2], sharex=growth_ax)
    alpha_ax = fig.add_subplot(grid[3], sharex=growth_ax)

    dates = growth.get_column(date).to_numpy()
    # Names come from users' files: a "$" must not start matplotlib's mathtext.
    shown, shown_benchmark = (text.replace("$", r"\$") for text in (name, benchmark_name))
    growth_ax.plot(dates, growth.get_column("strategy").to_numpy(), linewidth=1.3, label=shown)
    growth_ax.plot(
        dates,
        growth.get_column("benchmark").to_numpy(),
        linewidth=1.1,
        color="0.45",
        label=shown_benchmark,
    )
    growth_ax.axhline(0.0, color="0.6", linewidth=0.8)
    growth_ax.set_ylabel("cumulative return")
    _percent(growth_ax)
    growth_ax.legend(loc="upper left", fontsize=9)
    growth_ax.set_title(title or f"{shown} against {shown_benchmark}")
    drawdown = growth.get_column("drawdown").to_numpy()
    drawdown_ax.fill_between(dates, drawdown, 0.0, color="tab:red", alpha=0.45, linewidth=0)
    drawdown_ax.set_ylabel("drawdown")
    _percent(drawdown_ax)

    fit_dates = fits.get_column(date).to_numpy()
    beta_ax.plot(fit_dates, fits.get_column("beta").to_numpy(), linewidth=1.2)
    beta_ax.axhline(1.0, color="0.6", linewidth=0.8, linestyle="--")
    beta_ax.set_ylabel("beta, 1 year")
    alpha_ax.plot(fit_dates, fits.get_column("alpha_ann").to_numpy(), linewidth=1.2)
    alpha_ax.axhline(0.0, color="0.6", linewidth=0.8)
    alpha_ax.set_ylabel("alpha, 1 year\n(annualized)")
    _percent(alpha_ax)
    _clip_lines(beta_ax, [(name, fits.get_column("beta").to_numpy())], lambda v: f"{v:.2f}")
    _clip_lines(
        alpha_ax,
        [(name, fits.get_column("alpha_ann").to_numpy())],
        lambda v: _value_text(v, True),
    )
    for ax in (growth_ax, drawdown_ax, beta_ax):
        ax.tick_params(labelbottom=False)
    for ax in (growth_ax, drawdown_ax, beta_ax, alpha_ax):
        ax.grid(True, alpha=0.3)

    if month_table:
        _draw_month_table(fig.add_subplot(grid[4]), table)
    _save(fig, target)
    return fig


def _draw_month_table(ax: Axes, table: pl.DataFrame) -> None:
    """Monthly returns as coloured cells, one row per year, the year's return last. The
    months and the years have a colour scale each (a year's return is larger), diverging
    around zero and spanning the 90th percentile of the absolute values."""
    colors = importlib.import_module("matplotlib.colors")
    colormaps = importlib.import_module("matplotlib").colormaps
    columns = [c for c in table.columns if c != "year"]
    values = table.select(pl.col(columns).cast(pl.Float64)).to_numpy()
    rgba = np.ones((*values.shape, 4))
    for part in (slice(0, len(columns) - 1), slice(len(columns) - 1, len(columns))):
        block = values[:, part]
        finite = block[np.isfinite(block)]
        span = float(np.quantile(np.abs(finite), _COLOR_QUANTILE)) if finite.size else 0.0
        span = span if span > 0 else 0.01
        norm = colors.TwoSlopeNorm(vmin=-span, vcenter=0.0, vmax=span)
        shaded = colormaps["RdYlGn"](norm(np.nan_to_num(block)))
        shaded[~np.isfinite(block)] = (1.0, 1.0, 1.0, 1.0)
        rgba[:, part] = shaded
    ax.imshow(rgba, aspect="auto")
    small = 7 if table.height > 15 else 8
    for (i, j), value in np.ndenumerate(values):
        if np.isfinite(value):
            ax.text(j, i, f"{value:.1%}", ha="center", va="center", fontsize=small)
    ax.set_xticks(range(len(columns)), columns)
    ax.xaxis.tick_top()
    ax.set_yticks(range(table.height), [str(y) for y in table.get_column("year")])
    ax.tick_params(length=0, labelsize=small + 1)
    ax.axvline(len(columns) - 1.5, color="white", linewidth=3)
    ax.set_title("Monthly returns", fontsize=10, pad=18)
