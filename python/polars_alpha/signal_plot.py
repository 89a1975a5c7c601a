"""Charts of a signal report with matplotlib (the optional ``plot`` extra).

:func:`signal_chart` draws what ``polars-alpha signal --plot`` shows: the information
coefficient over time with its rolling mean, the mean IC by horizon (how fast the signal's
edge decays) and the mean forward return by signal quantile.

matplotlib is imported only when a chart is drawn; the figure is rendered with its Agg
backend (no display, no global pyplot state).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from polars_alpha import _validate

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from polars_alpha.signal_report import SignalReport

__all__ = ["signal_chart"]


def _new_figure(figsize: tuple[float, float], dpi: int) -> Figure:
    try:
        figure_module = importlib.import_module("matplotlib.figure")
        agg = importlib.import_module("matplotlib.backends.backend_agg")
    except ImportError:
        msg = (
            "polars_alpha.signal_plot draws with matplotlib, which is not installed: "
            'pip install "polars-alpha[plot]"'
        )
        raise ImportError(msg) from None
    fig: Figure = figure_module.Figure(figsize=figsize, dpi=dpi, layout="constrained")
    agg.FigureCanvasAgg(fig)
    return fig


def signal_chart(
    report: SignalReport,
    *,
    horizon: int | None = None,
    rolling: int = 63,
    title: str | None = None,
    path: str | Path | None = None,
    figsize: tuple[float, float] = (12.0, 8.0),
    dpi: int = 100,
) -> Figure:
    """Draw a signal report: IC over time, IC by horizon, mean return by quantile.

    Parameters
    ----------
    report
        The result of :func:`~polars_alpha.signal_report`.
    horizon
        The horizon of the IC-over-time and quantile panels; default the shortest.
    rolling
        Dates in the rolling mean drawn over the daily IC.
    title
        The figure's title; default none.
    path
        Write the figure here as PNG, SVG or PDF (from the extension).
    figsize, dpi
        The figure's size in inches and resolution.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, on an Agg canvas.

    Notes
    -----
    The IC-by-horizon bars carry two Newey-West standard errors (``mean / t``) each side.

    Examples
    --------
    >>> import polars_alpha as pa
    >>> from polars_alpha.signal_plot import signal_chart
    >>> m = pa.datasets.synthetic_signal(n_tickers=50, n_days=120, ic=0.1, seed=2)
    >>> report = pa.signal_report(m.frame, signal="signal", price="close", horizons=(1, 5))
    >>> fig = signal_chart(report)
    >>> for ax in fig.axes:
    ...     print(ax.get_title())
    Information coefficient, 1-row horizon
    Mean IC by horizon
    Mean return by quantile, 1-row horizon
    """
    target = _validate.chart_path(path)
    horizons = report.summary["horizon"].to_list()
    h = horizons[0] if horizon is None else horizon
    if h not in horizons:
        msg = f"`horizon` {h!r} is not in the report; its horizons are {horizons}"
        raise ValueError(msg)
    if isinstance(rolling, bool) or not isinstance(rolling, int) or rolling < 1:
        msg = f"`rolling` must be a positive number of dates, got {rolling!r}"
        raise ValueError(msg)
    fig = _new_figure(figsize, dpi)
    grid = fig.add_gridspec(2, 2, height_ratios=(1.1, 1.0))
    over_time = fig.add_subplot(grid[0, :])
    by_horizon = fig.add_subplot(grid[1, 0])
    by_quantile = fig.add_subplot(grid[1, 1])

    date_column = report.ic.columns[0]
    ic = report.ic.filter(pl.col("horizon") == h).sort(date_column)
    dates = ic[date_column].to_numpy()
    values = ic["ic"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    smooth = ic["ic"].rolling_mean(window_size=rolling, min_samples=max(1, rolling // 2)).to_numpy()
    over_time.plot(dates, values, color="#9ab8d6", linewidth=0.6, label="IC per date")
    over_time.plot(dates, smooth, color="#1f4e79", linewidth=1.8, label=f"{rolling}-date mean")
    over_time.axhline(0.0, color="black", linewidth=0.8)
    over_time.set_title(f"Information coefficient, {h}-row horizon")
    over_time.set_ylabel("IC")
    over_time.legend(loc="upper left", frameon=False)

    summary = report.summary.sort("horizon")
    means = summary["mean_ic"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    t = summary["t_nw"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        errors = np.where(np.isfinite(t) & (t != 0), 2.0 * np.abs(means / t), 0.0)
    labels = [str(v) for v in summary["horizon"]]
    colors = ["#2e7d32" if m >= 0 else "#c62828" for m in np.nan_to_num(means)]
    by_horizon.bar(labels, np.nan_to_num(means), yerr=errors, color=colors, capsize=4)
    by_horizon.axhline(0.0, color="black", linewidth=0.8)
    by_horizon.set_title("Mean IC by horizon")
    by_horizon.set_xlabel("horizon (rows)")
    by_horizon.set_ylabel("mean IC (2 Newey-West s.e.)")

    quantiles = report.quantile_returns.filter(pl.col("horizon") == h).sort("quantile")
    returns = quantiles["mean_return"].cast(pl.Float64).fill_null(np.nan).to_numpy() * 1e4
    by_quantile.bar(
        [str(q) for q in quantiles["quantile"]], np.nan_to_num(returns), color="#1f4e79"
    )
    by_quantile.axhline(0.0, color="black", linewidth=0.8)
    by_quantile.set_title(f"Mean return by quantile, {h}-row horizon")
    by_quantile.set_xlabel("signal quantile (1 = lowest)")
    by_quantile.set_ylabel("mean forward return (bp)")
    if title:
        fig.suptitle(title)
    if target is not None:
        out, fmt = target
        fig.savefig(Path(out), format=fmt)
    return fig
