"""Charts of a screen with matplotlib (the optional ``plot`` extra).

:func:`alpha_beta_scatter` draws the security characteristic view: each screened name at its
beta and annualized alpha, coloured by weighted alpha and labelled. :func:`rolling_chart` draws
rolling beta and alpha over time for chosen tickers. :func:`screen_report` puts both on one
figure, as ``polars-alpha screen --plot`` does.

matplotlib is imported only when a chart is drawn; the figures are rendered with its Agg
backend (no display, no global pyplot state), so they work on servers and in threads.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from polars_alpha import _validate

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["alpha_beta_scatter", "rolling_chart", "screen_report"]

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


def _save(fig: Figure, path: str | Path | None) -> None:
    if path is not None:
        fig.savefig(Path(path), format="png")


def _percent(ax: Axes, axis: str = "y") -> None:
    ticker = importlib.import_module("matplotlib.ticker")
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(ticker.PercentFormatter(xmax=1.0, decimals=0))


def _draw_scatter(
    ax: Axes,
    screened: pl.DataFrame,
    *,
    alpha: str,
    beta: str,
    color: str | None,
    label: str | None,
    max_labels: int,
) -> Any:
    colors_module = importlib.import_module("matplotlib.colors")
    rows = screened.filter(pl.col(alpha).is_not_null() & pl.col(beta).is_not_null())
    x = rows.get_column(beta).to_numpy()
    y = rows.get_column(alpha).to_numpy()
    ax.axhline(0.0, color="0.6", linewidth=0.8, zorder=1)
    ax.axvline(1.0, color="0.6", linewidth=0.8, linestyle="--", zorder=1)
    mappable = None
    if color is not None and rows.get_column(color).drop_nulls().len() > 0:
        c = rows.get_column(color).cast(pl.Float64).fill_null(float("nan")).to_numpy()
        finite = c[~(c != c)]
        low, high = float(finite.min()), float(finite.max())
        norm: Any
        if low < 0.0 < high:  # red below zero, green above
            norm, cmap = colors_module.TwoSlopeNorm(vcenter=0.0, vmin=low, vmax=high), "RdYlGn"
        else:  # one sign: a plain sequential scale
            norm = colors_module.Normalize(vmin=low, vmax=high if high > low else low + 1.0)
            cmap = "viridis"
        mappable = ax.scatter(
            x, y, c=c, cmap=cmap, norm=norm, s=60, edgecolors="0.2", linewidths=0.6, zorder=2
        )
    else:
        ax.scatter(x, y, s=60, color="tab:blue", edgecolors="0.2", linewidths=0.6, zorder=2)
    if label is not None:
        for name, xi, yi in zip(rows.get_column(label).head(max_labels), x, y, strict=False):
            ax.annotate(
                str(name),
                (xi, yi),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=8,
                zorder=3,
            )
    ax.set_xlabel("beta")
    ax.set_ylabel("alpha, annualized" if alpha == "alpha_ann" else alpha)
    if alpha == "alpha_ann":
        _percent(ax)
    ax.grid(True, alpha=0.3)
    return mappable


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
        The column that colours the points: red below zero and green above, on a scale
        centred at zero, when the values have both signs; otherwise the viridis scale.
        ``None`` for one colour.
    label
        The column that labels the points; ``None`` for no labels.
    max_labels
        Label at most this many points: the first rows, which are the top of a sorted screen.
    title
        The chart's title; default "Alpha against beta (as of <date>)" when the frame has a
        ``date`` column.
    path
        Write the chart to this PNG file as well.
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
    fig = _figure(figsize, dpi)
    ax = fig.add_subplot()
    mappable = _draw_scatter(
        ax, screened, alpha=alpha, beta=beta, color=color, label=label, max_labels=max_labels
    )
    if mappable is not None and color is not None:
        bar = fig.colorbar(mappable, ax=ax)
        bar.set_label("weighted alpha (%)" if color == "weighted_alpha" else color)
    ax.set_title(title if title is not None else _default_title(screened))
    _save(fig, path)
    return fig


def _default_title(screened: pl.DataFrame) -> str:
    if "date" in screened.columns and screened.height:
        return f"Alpha against beta, as of {screened.get_column('date').max()!s}"
    return "Alpha against beta"


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
    for name in tickers:
        rows = fits.filter(pl.col(ticker) == name).sort(date)
        dates = rows.get_column(date).to_numpy()
        beta_ax.plot(dates, rows.get_column(beta).to_numpy(), linewidth=1.2, label=str(name))
        alpha_ax.plot(dates, rows.get_column(alpha).to_numpy(), linewidth=1.2, label=str(name))
    beta_ax.set_ylabel("beta")
    alpha_ax.set_ylabel("alpha, annualized" if alpha == "alpha_ann" else alpha)
    if alpha == "alpha_ann":
        _percent(alpha_ax)
    beta_ax.legend(loc="upper left", fontsize=8, ncols=min(len(tickers), 5))
    for ax in axes:
        ax.grid(True, alpha=0.3)
    beta_ax.tick_params(labelbottom=False)


def _tickers(fits: pl.DataFrame, tickers: Sequence[str] | None, ticker: str) -> list[str]:
    names = _validate.ticker_list(tickers)
    if names is None:
        return [str(t) for t in fits.get_column(ticker).unique(maintain_order=True).head(8)]
    present = set(fits.get_column(ticker).unique().to_list())
    absent = [t for t in names if t not in present]
    if absent:
        msg = f"no rolling fits for ticker {absent[0]!r}"
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
        Write the chart to this PNG file as well.
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
    fig = _figure(figsize, dpi)
    beta_ax = fig.add_subplot(2, 1, 1)
    alpha_ax = fig.add_subplot(2, 1, 2, sharex=beta_ax)
    _draw_rolling(
        (beta_ax, alpha_ax), fits, names, date=date, ticker=ticker, alpha=alpha, beta=beta
    )
    beta_ax.set_title(title if title is not None else "Rolling beta and alpha")
    _save(fig, path)
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
        Write the figure to this PNG file as well.
    figsize, dpi
        The figure's size in inches and resolution.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, as ``polars-alpha screen --plot`` writes it.

    Notes
    -----
    The scatter shows the whole screen; the rolling panels show how the top names got there.

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
    if tickers is None:
        tickers = [str(t) for t in screened.get_column("ticker").head(5)]
    names = _tickers(fits, tickers, "ticker")
    fig = _figure(figsize, dpi)
    grid = fig.add_gridspec(2, 2, width_ratios=(1.0, 1.2))
    scatter_ax = fig.add_subplot(grid[:, 0])
    mappable = _draw_scatter(
        scatter_ax,
        screened,
        alpha="alpha_ann",
        beta="beta",
        color="weighted_alpha",
        label="ticker",
        max_labels=40,
    )
    if mappable is not None:
        fig.colorbar(mappable, ax=scatter_ax).set_label("weighted alpha (%)")
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
    _save(fig, path)
    return fig
