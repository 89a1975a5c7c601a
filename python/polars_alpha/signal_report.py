"""Does a signal predict? Information coefficients, quantile returns and turnover over a
whole market, in one pass of Polars and NumPy.

:func:`signal_report` takes a long frame of dates, tickers, a signal and prices and returns a
:class:`SignalReport`, a few small frames: what alphalens' tear sheet computes, without the
pandas MultiIndex.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import queue
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from polars_alpha import _validate
from polars_alpha._plugin import numeric_input
from polars_alpha._typing import IntoExprColumn

__all__ = ["SignalReport", "newey_west_t", "signal_report"]


@dataclass(frozen=True)
class SignalReport:
    """The frames of :func:`signal_report`. Horizons and lags are counted in rows (dates).

    Attributes
    ----------
    ic
        ``date, horizon, ic, n``: the information coefficient of each date and horizon and
        the number of names with both a signal and a forward return (``ic`` null below 3 or
        when either side is constant that date).
    summary
        ``horizon, dates, mean_ic, std_ic, icir, t_nw, positive_share``: per horizon, over the
        dates with an IC: mean, standard deviation (``ddof=1``), their ratio, the Newey-West
        t-value of the mean with ``horizon - 1`` lags, and the share of dates with ``ic > 0``.
    quantile_returns_by_date
        ``date, horizon, quantile, mean_return, n``: the mean forward return of each signal
        quantile on each date (1 is the lowest signal).
    quantile_returns
        ``horizon, quantile, mean_return, std, dates``: the per-date means averaged over the
        dates, their standard deviation and count.
    spread
        ``horizon, mean_spread, std_spread, t_nw, dates``: the top quantile's mean forward
        return minus the bottom's, per date, averaged; its Newey-West t with ``horizon - 1``
        lags.
    rank_autocorrelation
        ``date, lag, autocorrelation``: the correlation across names of the signal's rank
        on a date and ``lag`` dates earlier (lag 1 and each horizon).
    turnover
        ``lag, mean_autocorrelation, dates``: its mean per lag. High autocorrelation is low
        turnover.
    """

    ic: pl.DataFrame
    summary: pl.DataFrame
    quantile_returns_by_date: pl.DataFrame
    quantile_returns: pl.DataFrame
    spread: pl.DataFrame
    rank_autocorrelation: pl.DataFrame
    turnover: pl.DataFrame


def newey_west_t(values: npt.ArrayLike, lags: int) -> float:
    """The t-value of the mean of ``values`` with a Newey-West (Bartlett) standard error.

    Parameters
    ----------
    values
        A series in time order, without missing values.
    lags
        Autocovariances included, at least 0 (0 gives the heteroskedasticity-robust HC0
        standard error).

    Returns
    -------
    float
        ``mean / se``; NaN with fewer than 2 values, a constant series or a zero standard
        error.

    Notes
    -----
    With ``u = x - mean(x)`` and ``T`` values,
    ``S = sum(u^2) + 2 sum_{j=1..L} (1 - j / (L + 1)) sum_t u_t u_{t-j}`` and
    ``se = sqrt(S) / T``: the HAC covariance of a regression on a constant, as statsmodels'
    ``OLS(x, ones).fit(cov_type="HAC", cov_kwds={"maxlags": L})`` (no small-sample
    correction).

    Examples
    --------
    >>> import polars_alpha as pa
    >>> round(pa.newey_west_t([0.1, 0.3, -0.1, 0.2, 0.25, 0.05], lags=1), 4)
    3.7144
    """
    x = np.asarray(values, dtype=np.float64)
    lags = int(lags)
    t_count = x.size
    # A constant series has no spread to scale by (its deviations are only rounding).
    if t_count < 2 or x.max() == x.min():
        return math.nan
    u = x - x.mean()
    s = float(u @ u)
    for j in range(1, min(lags, t_count - 1) + 1):
        s += 2.0 * (1.0 - j / (lags + 1)) * float(u[j:] @ u[:-j])
    if not s > 0.0:
        return math.nan
    return float(x.mean() * t_count / math.sqrt(s))


def signal_report(
    frame: pl.DataFrame | pl.LazyFrame,
    *,
    signal: IntoExprColumn,
    price: IntoExprColumn,
    horizons: Sequence[int] = (1, 5, 21, 63),
    quantiles: int = 5,
    date: str = "date",
    by: str = "ticker",
    method: str = "spearman",
) -> SignalReport:
    """Test whether a signal predicts returns: its information coefficient (IC) per date and
    horizon, the returns of its quantiles and its turnover.

    Parameters
    ----------
    frame
        A long frame with one row per ticker and date (a LazyFrame is collected).
    signal
        The signal column (or expression): higher should mean higher future returns.
    price
        The price column (or expression), from which forward returns are taken.
    horizons
        Forward-return horizons in rows of each ticker (``1, 5, 21, 63``: a day, a week, a
        month and a quarter of daily data). Distinct positive integers.
    quantiles
        Signal quantiles formed on each date, at least 2.
    date
        The date column: the cross-section's key and the time order.
    by
        The ticker column.
    method
        The IC's correlation: ``"spearman"`` (ranks, default) or ``"pearson"``.

    Returns
    -------
    SignalReport
        The frames described there.

    Notes
    -----
    The forward return of horizon ``h`` is :func:`~polars_alpha.forward_return`:
    ``P[t + h] / P[t] - 1`` over the ticker's rows in date order, null past its last row or
    over a missing price. The IC of a date is
    :func:`~polars_alpha.information_coefficient` over the names with both values.

    Quantiles are formed on each date from every name with a signal, as alphalens'
    ``quantize_factor`` (``pandas.qcut``): the edges are the ``i / quantiles`` quantiles of
    the date's signals with linear interpolation and a name's quantile is the first edge at
    or above it. Ties in the signal share the lowest quantile their value reaches. A date
    with fewer than 2 signals has no quantiles. The spread is the top quantile's mean return
    minus the bottom's, per date; the dates where either is missing are left out.

    Rank autocorrelation is alphalens' ``factor_rank_autocorrelation``: on each date the
    signals are ranked (ties averaged); the Pearson correlation of those ranks with the same
    names' ranks ``lag`` dates earlier (dates of the frame, not of the ticker), over the
    names present on both.

    Differences from alphalens, by design: alphalens drops a row whose forward return is
    missing for any horizon before it forms quantiles, ranks or ICs, so what it reports for
    one horizon depends on data the others need; here each horizon uses every row where its
    own forward return exists, and quantiles and ranks use every signal of the date. alphalens
    forward-fills missing prices; here a return over a missing price is missing. alphalens
    raises when a date's quantile edges coincide (many ties); here the tied names share a
    quantile. On a frame without missing values the numbers are alphalens' on the dates
    where it has every horizon.

    Newey-West t-values (:func:`newey_west_t`) use ``horizon - 1`` lags, because forward
    returns of overlapping horizons make neighbouring dates' ICs and spreads correlated; a
    plain t-value would overstate the evidence.

    Two rows of a ticker on one date are an error (a signal is one value per name and date).

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> m = pa.datasets.synthetic_signal(n_tickers=200, n_days=250, ic=0.1, seed=3)
    >>> report = pa.signal_report(m.frame, signal="signal", price="close", horizons=(1, 5))
    >>> report.summary.select("horizon", "dates", pl.col("mean_ic").round(2))
    shape: (2, 3)
    ┌─────────┬───────┬─────────┐
    │ horizon ┆ dates ┆ mean_ic │
    │ ---     ┆ ---   ┆ ---     │
    │ i64     ┆ u32   ┆ f64     │
    ╞═════════╪═══════╪═════════╡
    │ 1       ┆ 249   ┆ 0.1     │
    │ 5       ┆ 245   ┆ 0.03    │
    └─────────┴───────┴─────────┘
    """
    hs = _validate.horizons(horizons)
    q = _validate.quantile_count(quantiles)
    method = _validate.choice(method, "method", ("spearman", "pearson"))
    df = _prepare(frame, signal=signal, price=price, date=date, by=by)
    with _small_pages():
        return _report(df, hs, q, method, date)


@contextlib.contextmanager
def _small_pages() -> Iterator[None]:
    """NumPy asks the kernel for huge pages for every large array; each fresh one is then
    zeroed (and often compacted for) 2 MB at a time. The report's matrices are allocated
    and freed many times, so there that costs more CPU than all its arithmetic. The setting
    is NumPy's, for the whole process: reports running at once share one switch, and the
    last to finish puts back what was there before the first."""
    try:
        multiarray = importlib.import_module("numpy._core.multiarray")
    except ImportError:  # NumPy 1
        multiarray = importlib.import_module("numpy.core.multiarray")
    toggle = getattr(multiarray, "_set_madvise_hugepage", None)
    if toggle is None:
        yield
        return
    with _PAGES_LOCK:
        if not _PAGES_USERS:
            _PAGES_BEFORE[:] = [bool(toggle(False))]
        _PAGES_USERS.append(None)
    try:
        yield
    finally:
        with _PAGES_LOCK:
            _PAGES_USERS.pop()
            if not _PAGES_USERS:
                toggle(_PAGES_BEFORE[0])


_PAGES_LOCK = threading.Lock()
#: One entry per report inside :func:`_small_pages`, and NumPy's setting before the first.
_PAGES_USERS: list[None] = []
_PAGES_BEFORE: list[bool] = []


def _report(df: pl.DataFrame, hs: tuple[int, ...], q: int, method: str, date: str) -> SignalReport:
    # Every statistic is a cross-section: one row of a (dates x tickers) matrix.
    panel = _Panel.of(df)
    if panel.day is not None:
        # Each ticker's rows are contiguous and in date order: a forward return is a shift
        # within the segment.
        p = pl.col("_price")
        same = pl.col("_seg")
        df = df.with_columns(
            pl.when(same.shift(-h) == same)
            .then(p.shift(-h) / p - 1.0)
            .otherwise(None)
            .alias(f"_f{h}")
            for h in hs
        )
    # Two workers (NumPy releases the GIL in its loops).
    with ThreadPoolExecutor(max_workers=2) as pool:
        return _statistics(df, panel, hs, q, method, date, pool)


def _statistics(
    df: pl.DataFrame,
    panel: _Panel,
    hs: tuple[int, ...],
    q: int,
    method: str,
    date: str,
    pool: ThreadPoolExecutor,
) -> SignalReport:
    signal_matrix = panel.matrix(df["_signal"])
    price_job = pool.submit(panel.matrix, df["_price"]) if panel.day is None else None
    has_signal = ~np.isnan(signal_matrix)
    no_signal = ~has_signal
    ranks, lowest = _row_ranks(signal_matrix, pool=pool)
    assert lowest is not None
    cells = _quantile_cells(lowest, has_signal, q)
    del lowest
    rank_sums = _rank_sums(ranks) if method == "spearman" else None
    prices = None if price_job is None else price_job.result()
    # The horizons are independent. Each is taken a block of dates at a time (every
    # statistic is within a date), in small buffers that stay in cache and are reused.
    dates = panel.dates.len()
    buffers: queue.SimpleQueue[tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]]
    buffers = queue.SimpleQueue()
    for _ in range(2):
        block = (min(_BLOCK, dates), signal_matrix.shape[1])
        buffers.put((np.empty(block), np.empty(block)))

    def one_horizon(h: int) -> tuple[pl.DataFrame, pl.DataFrame]:
        forward_buffer, rank_buffer = buffers.get()
        try:
            whole = None if prices is not None else panel.matrix(df[f"_f{h}"])
            ic = np.empty(dates)
            n = np.empty(dates, dtype=np.int64)
            count = np.empty(dates * q, dtype=np.int64)
            total = np.empty(dates * q)
            for first in range(0, dates, _BLOCK):
                rows = slice(first, min(first + _BLOCK, dates))
                forward = forward_buffer[: rows.stop - first]
                if prices is not None:
                    # A balanced panel: a ticker's row t + h is the date t + h.
                    known = max(0, min(rows.stop, dates - h) - first)
                    np.divide(
                        prices[first + h : first + h + known],
                        prices[first : first + known],
                        out=forward[:known],
                    )
                    forward[:known] -= 1.0
                    forward[known:] = np.nan
                else:
                    assert whole is not None
                    forward[...] = whole[rows]
                # Only the names with a signal count: the others' returns are left out.
                np.copyto(forward, np.nan, where=no_signal[rows])
                sums = None
                if rank_sums is not None:
                    sums = (rank_sums[0][rows], rank_sums[1][rows], rank_sums[2][rows])
                ic[rows], n[rows] = _ic_rows(
                    signal_matrix[rows],
                    ranks[rows],
                    sums,
                    forward,
                    rank_buffer[: rows.stop - first],
                    method,
                )
                _quantile_sums(cells[rows], forward, first, q, count, total)
            return _ic_frame(panel, h, ic, n), _quantile_means(panel, h, count, total, q)
        finally:
            buffers.put((forward_buffer, rank_buffer))

    # Needs only the signal's ranks: runs beside the horizons.
    turnover_job = pool.submit(_rank_autocorrelation, panel, ranks, sorted({1, *hs}))
    results = list(pool.map(one_horizon, hs))
    autocorrelation, turnover = turnover_job.result()
    ic_frames = [ic_h for ic_h, _ in results]
    quantile_frames = [means for _, means in results]
    ic = pl.concat(ic_frames)
    summary = _ic_summary(ic, hs)
    by_date, quantile_summary, spread = _quantile_summary(quantile_frames, hs, q)
    names = {"_date": date}
    return SignalReport(
        ic=ic.rename(names),
        summary=summary,
        quantile_returns_by_date=by_date.rename(names),
        quantile_returns=quantile_summary,
        spread=spread,
        rank_autocorrelation=autocorrelation.rename(names),
        turnover=turnover,
    )


@dataclass(frozen=True)
class _Panel:
    """Where each row of the long frame (sorted by ticker, then date) sits in the
    (dates x tickers) matrix."""

    dates: pl.Series
    day: npt.NDArray[np.intp] | None
    name: npt.NDArray[np.intp] | None
    names: int

    @staticmethod
    def of(df: pl.DataFrame) -> _Panel:
        # ``_seg`` numbers the sorted tickers from 1: the last is their count.
        names = int(df["_seg"][-1]) if df.height else 0
        days = df["_date"]
        # A balanced panel (every ticker on every date) is a reshape: each ticker's dates,
        # rising, are the first ticker's.
        first = int((df["_seg"] == 1).sum()) if df.height else 0
        if df.height == first * names and names:
            physical = days.to_physical().to_numpy()
            if np.array_equal(
                physical.reshape(names, first), np.broadcast_to(physical[:first], (names, first))
            ):
                return _Panel(days.head(first), None, None, names)
        dates = days.unique().sort()
        day = np.searchsorted(dates.to_physical().to_numpy(), days.to_physical().to_numpy())
        return _Panel(dates, day, df["_seg"].to_numpy().astype(np.intp) - 1, names)

    def matrix(self, values: pl.Series) -> npt.NDArray[np.float64]:
        """A column of the long frame as a (dates x tickers) matrix, missing as NaN."""
        flat = values.cast(pl.Float64).fill_null(np.nan).to_numpy()
        if self.day is None or self.name is None:
            by_name = flat.reshape(self.names, self.dates.len())
            out = np.empty((self.dates.len(), self.names))
            # A few tickers at a time: the transposed copy stays in cache.
            for first in range(0, self.names, _BLOCK):
                out[:, first : first + _BLOCK] = by_name[first : first + _BLOCK].T
            return out
        out = np.full((self.dates.len(), self.names), np.nan)
        out[self.day, self.name] = flat
        return out


#: Rows of a matrix ranked at once: a block stays in cache through the passes.
_BLOCK = 64


def _row_ranks(
    matrix: npt.NDArray[np.float64],
    *,
    with_lowest: bool = True,
    out: npt.NDArray[np.float64] | None = None,
    pool: ThreadPoolExecutor | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64] | None]:
    """Each row's ranks among its non-NaN values, from 1: ties averaged (as
    ``scipy.stats.rankdata``, written to ``out`` when given) and, ``with_lowest``, the ties'
    lowest rank; NaN stays NaN."""
    average = np.empty_like(matrix) if out is None else out
    lowest = np.empty_like(matrix) if with_lowest else None
    rows = matrix.shape[0]
    if pool is None:
        _rank_rows(matrix, average, lowest, 0, rows)
    else:
        # Two halves of whole blocks, one per worker: the rows are independent.
        middle = -(-rows // (2 * _BLOCK)) * _BLOCK
        jobs = [
            pool.submit(_rank_rows, matrix, average, lowest, start, stop)
            for start, stop in ((0, middle), (middle, rows))
        ]
        for job in jobs:
            job.result()
    return average, lowest


def _rank_rows(
    matrix: npt.NDArray[np.float64],
    average: npt.NDArray[np.float64],
    lowest: npt.NDArray[np.float64] | None,
    begin: int,
    finish: int,
) -> None:
    """:func:`_row_ranks` of the rows ``begin:finish``, block by block."""
    width = matrix.shape[1]
    position = np.arange(width)
    plain = position + 1.0
    for first in range(begin, finish, _BLOCK):
        rows = slice(first, min(first + _BLOCK, finish))
        block = matrix[rows]
        order = np.argsort(block, axis=1)
        # Flat indices into the block's rows: a gather and a scatter without the index
        # arrays take_along_axis and put_along_axis build.
        flat = (order + (np.arange(block.shape[0]) * width)[:, None]).ravel()
        ordered = block.reshape(-1)[flat].reshape(block.shape)
        missing = np.isnan(ordered)
        tied = ordered[:, 1:] == ordered[:, :-1]
        if not tied.any():
            # No ties (the usual case for real signals): the rank is the position.
            average[rows].reshape(-1)[flat] = np.where(missing, np.nan, plain).ravel()
            if lowest is not None:
                lowest[rows] = average[rows]
            continue
        starts = np.ones(ordered.shape, dtype=bool)
        starts[:, 1:] = ~tied
        ends = np.ones(ordered.shape, dtype=bool)
        ends[:, :-1] = ~tied
        start = np.maximum.accumulate(np.where(starts, position, 0), axis=1)
        end = np.minimum.accumulate(np.where(ends, position, width - 1)[:, ::-1], axis=1)[:, ::-1]
        mid = np.where(missing, np.nan, (start + end) * 0.5 + 1.0)
        average[rows].reshape(-1)[flat] = mid.ravel()
        if lowest is not None:
            lowest[rows].reshape(-1)[flat] = np.where(missing, np.nan, start + 1.0).ravel()


_RankSums = tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]


def _rank_sums(a: npt.NDArray[np.float64]) -> _RankSums:
    """Each row's count of ranks, their sum and their sum of squares (NaN left out)."""
    count = np.zeros(a.shape[0], dtype=np.int64)
    total = np.zeros(a.shape[0])
    squares = np.zeros(a.shape[0])
    for first in range(0, a.shape[0], _BLOCK):
        rows = slice(first, first + _BLOCK)
        # NaN to 0 in one pass: ranks are at least 1.
        a0 = np.fmax(a[rows], 0.0)
        count[rows] = np.count_nonzero(a0, axis=1)
        total[rows] = a0.sum(axis=1)
        squares[rows] = np.einsum("ij,ij->i", a0, a0)
    return count, total, squares


def _rank_correlation(
    a: npt.NDArray[np.float64], b: npt.NDArray[np.float64], a_sums: _RankSums | None = None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Pearson correlation of each row of two rank matrices that are NaN at the same
    places; the pair counts, and whether both sides vary. Ranks are multiples of 1/2, so
    the raw sums are exact and the cancellation in ``sum(ab) - n mean(a) mean(b)`` costs
    no digits; ``a_sums`` is :func:`_rank_sums` of ``a`` when already known (the signal's
    ranks serve every horizon)."""
    counts, a_totals, a_squares = _rank_sums(a) if a_sums is None else a_sums
    r = np.full(a.shape[0], np.nan)
    varies = np.zeros(a.shape[0], dtype=bool)
    a0 = np.empty((min(_BLOCK, a.shape[0]), a.shape[1]))
    b0 = np.empty_like(a0)
    for first in range(0, a.shape[0], _BLOCK):
        rows = slice(first, first + _BLOCK)
        k = len(range(*rows.indices(a.shape[0])))
        np.fmax(a[rows], 0.0, out=a0[:k])
        np.fmax(b[rows], 0.0, out=b0[:k])
        count, sa = counts[rows], a_totals[rows]
        sb = b0[:k].sum(axis=1)
        saa = a_squares[rows] - sa * sa / np.maximum(count, 1)
        sbb = np.einsum("ij,ij->i", b0[:k], b0[:k]) - sb * sb / np.maximum(count, 1)
        sab = np.einsum("ij,ij->i", a0[:k], b0[:k]) - sa * sb / np.maximum(count, 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            r[rows] = sab / np.sqrt(saa * sbb)
        varies[rows] = (saa > 0) & (sbb > 0)
    return np.clip(r, -1.0, 1.0), counts, varies


def _row_correlation(
    a: npt.NDArray[np.float64], b: npt.NDArray[np.float64], both: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Pearson correlation of each row of ``a`` and ``b`` over the columns where ``both``
    (NaN without a pair), with the sums of squared deviations of each side."""
    n = both.sum(axis=1)
    out = np.full(a.shape[0], np.nan)
    saa_all = np.zeros(a.shape[0])
    sbb_all = np.zeros(a.shape[0])
    for first in range(0, a.shape[0], _BLOCK):
        rows = slice(first, first + _BLOCK)
        m = both[rows]
        count = n[rows]
        a0 = np.where(m, a[rows], 0.0)
        b0 = np.where(m, b[rows], 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            ma = a0.sum(axis=1) / count
            mb = b0.sum(axis=1) / count
            da = np.where(m, a0 - ma[:, None], 0.0)
            db = np.where(m, b0 - mb[:, None], 0.0)
            saa = np.einsum("ij,ij->i", da, da)
            sbb = np.einsum("ij,ij->i", db, db)
            out[rows] = np.einsum("ij,ij->i", da, db) / np.sqrt(saa * sbb)
        saa_all[rows] = saa
        sbb_all[rows] = sbb
    return np.clip(out, -1.0, 1.0), saa_all, sbb_all


def _ic_rows(
    signal: npt.NDArray[np.float64],
    ranks: npt.NDArray[np.float64],
    rank_sums: _RankSums | None,
    forward: npt.NDArray[np.float64],
    rank_buffer: npt.NDArray[np.float64],
    method: str,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """The IC of each row (NaN where undefined) and its pair count; ``forward`` is NaN
    wherever the signal is."""
    pair = ~np.isnan(forward)
    n = pair.sum(axis=1)
    if method == "spearman":
        _row_ranks(forward, with_lowest=False, out=rank_buffer)
        r, _, varies = _rank_correlation(ranks, rank_buffer, rank_sums)
        # The signal's ranks count only the names with a forward return: ranked again on
        # the dates where some name with a signal has none.
        assert rank_sums is not None
        redo = np.flatnonzero(n < rank_sums[0])
        if redo.size:
            again = _row_ranks(np.where(pair[redo], signal[redo], np.nan), with_lowest=False)[0]
            r[redo], _, varies[redo] = _rank_correlation(again, rank_buffer[redo])
        defined = (n >= 3) & varies
    else:
        r, _, _ = _row_correlation(signal, forward, pair)
        with np.errstate(invalid="ignore"):
            a_masked = np.where(pair, signal, np.nan)
            varies = np.zeros(len(n), dtype=bool)
            rows = n > 0
            varies[rows] = (
                np.nanmax(a_masked[rows], axis=1) > np.nanmin(a_masked[rows], axis=1)
            ) & (np.nanmax(forward[rows], axis=1) > np.nanmin(forward[rows], axis=1))
        defined = (n >= 3) & varies
    return np.where(defined, r, np.nan), n


def _ic_frame(
    panel: _Panel, h: int, ic: npt.NDArray[np.float64], n: npt.NDArray[np.int64]
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "_date": panel.dates,
            "horizon": pl.Series([h] * panel.dates.len(), dtype=pl.Int64),
            "ic": pl.Series(ic).fill_nan(None),
            "n": pl.Series(n, dtype=pl.UInt32),
        }
    )


def _prepare(
    frame: pl.DataFrame | pl.LazyFrame,
    *,
    signal: IntoExprColumn,
    price: IntoExprColumn,
    date: str,
    by: str,
) -> pl.DataFrame:
    """``_date, _key, _signal, _price, _seg`` sorted by key then date, ``_seg`` numbering
    the tickers; a duplicate (ticker, date) is an error."""
    frame = _validate.polars_frame(frame, "frame")
    for value, argument in ((date, "date"), (by, "by")):
        if not isinstance(value, str):
            msg = f"`{argument}` must be a column name, got {type(value).__name__}"
            raise TypeError(msg)
    columns = frame.collect_schema().names()
    for value, argument in ((date, "date"), (by, "by")):
        if value not in columns:
            msg = f"`{argument}`: the frame has no column {value!r}; its columns are: " + ", ".join(
                columns
            )
            raise ValueError(msg)
    for given, argument in ((signal, "signal"), (price, "price")):
        _validate.column(given, argument)
        if isinstance(given, str) and given not in columns:
            msg = f"`{argument}`: the frame has no column {given!r}; its columns are: " + ", ".join(
                columns
            )
            raise ValueError(msg)
    lazy = frame.lazy().select(
        pl.col(date).alias("_date"),
        pl.col(by).alias("_key"),
        # A bool, date or string column fails here, naming the argument.
        numeric_input(signal, "signal").fill_nan(None).alias("_signal"),
        numeric_input(price, "price").fill_nan(None).alias("_price"),
    )
    df = lazy.collect()
    if df["_date"].null_count() or df["_key"].null_count():
        msg = f"`{date}` and `{by}` must have no nulls; drop or fill those rows first"
        raise ValueError(msg)
    key, day = pl.col("_key"), pl.col("_date")
    # Numbered runs of equal keys: the tickers once sorted.
    seg = (key.rle_id() + 1).cast(pl.Int32).alias("_seg")
    df = df.with_columns(seg)
    # Sorted and without duplicates exactly when each row follows the one before: the key
    # never falls, and within a run of one key the date rises.
    same_run = pl.col("_seg") == pl.col("_seg").shift()
    ascending = (key >= key.shift()) & (~same_run | (day > day.shift()))
    if not df.select(ascending.slice(1).all()).item():
        df = df.sort("_key", "_date")
        duplicated = (key == key.shift()) & (day == day.shift())
        dup = df.filter(duplicated)
        if dup.height:
            msg = (
                f"`{by}` {dup['_key'][0]!r} has two rows on `{date}` {dup['_date'][0]}: a signal "
                f"needs one row per ticker and date; drop the duplicates, e.g. "
                f"frame.unique(subset=[{by!r}, {date!r}])"
            )
            raise ValueError(msg)
        df = df.with_columns(seg)
    return df


def _ic_summary(ic: pl.DataFrame, hs: tuple[int, ...]) -> pl.DataFrame:
    rows: list[dict[str, float | int]] = []
    for h in hs:
        values = ic.filter((pl.col("horizon") == h) & pl.col("ic").is_not_null())["ic"]
        x = values.to_numpy()
        mean = float(x.mean()) if x.size else math.nan
        std = float(x.std(ddof=1)) if x.size > 1 else math.nan
        rows.append(
            {
                "horizon": h,
                "dates": x.size,
                "mean_ic": mean,
                "std_ic": std,
                "icir": mean / std if std > 0 else math.nan,
                "t_nw": newey_west_t(x, h - 1),
                "positive_share": float((x > 0).mean()) if x.size else math.nan,
            }
        )
    return _float_frame(rows, {"horizon": pl.Int64, "dates": pl.UInt32})


def _quantile_cells(
    lowest: npt.NDArray[np.float64], has_signal: npt.NDArray[np.bool_], q: int
) -> npt.NDArray[np.signedinteger[Any]]:
    """Each name's cell ``date * q + quantile - 1``; ``dates * q`` (a spare cell) for a name
    without a quantile, so the sums need no masking."""
    # pandas.qcut's edges by rank: with the date's n signals sorted, edge i lies at position
    # i (n - 1) / q; a value whose lowest rank k (from 0) is above the floor of that position
    # is above the edge, so its quantile is 1 + #{i : i (n - 1) / q < k} = ceil(k q / (n - 1)).
    n = has_signal.sum(axis=1)[:, None]
    dates = lowest.shape[0]
    # Half the memory of int64 when the cells fit.
    cells = np.empty(lowest.shape, dtype=np.int32 if (dates + 1) * q < 2**31 else np.int64)
    # Block by block, so the temporaries stay in cache.
    for first in range(0, dates, _BLOCK):
        rows = slice(first, first + _BLOCK)
        count = n[rows]
        with np.errstate(invalid="ignore"):
            # k q and n - 1 are whole numbers: their quotient is exact when it is whole, so
            # the ceiling is never off by one.
            above = np.ceil((lowest[rows] - 1.0) * q / np.maximum(count - 1, 1))
            cell = np.clip(above, 1, q) + (np.arange(first, first + len(count))[:, None] * q - 1.0)
        cell[~(has_signal[rows] & (count >= 2))] = dates * q
        cells[rows] = cell
    return cells


def _quantile_sums(
    cells: npt.NDArray[np.signedinteger[Any]],
    forward: npt.NDArray[np.float64],
    first: int,
    q: int,
    count: npt.NDArray[np.int64],
    total: npt.NDArray[np.float64],
) -> None:
    """The count and sum of the forward returns of each cell of the rows from ``first``,
    written to their places in ``count`` and ``total``. A date's cells are its own, so these
    are final, added in the same order as over the whole matrix."""
    low, own = first * q, forward.shape[0] * q
    # A missing forward return or quantile goes to the rows' spare cell, ``own``.
    index = np.where(np.isnan(forward), count.size, cells).ravel()
    index -= low
    np.minimum(index, own, out=index)
    count[low : low + own] = np.bincount(index, minlength=own + 1)[:own]
    total[low : low + own] = np.bincount(index, weights=forward.ravel(), minlength=own + 1)[:own]


def _quantile_means(
    panel: _Panel,
    h: int,
    count: npt.NDArray[np.int64],
    total: npt.NDArray[np.float64],
    q: int,
) -> pl.DataFrame:
    """Each date's and quantile's mean forward return for one horizon."""
    present = count > 0
    slots = np.flatnonzero(present)
    return pl.DataFrame(
        {
            "_date": panel.dates.gather(slots // q),
            "horizon": pl.Series([h] * slots.size, dtype=pl.Int64),
            "quantile": pl.Series(slots % q + 1, dtype=pl.Int32),
            "mean_return": total[present] / count[present],
            "n": pl.Series(count[present], dtype=pl.UInt32),
        }
    )


def _quantile_summary(
    frames: list[pl.DataFrame], hs: tuple[int, ...], q: int
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    by_date = pl.concat(frames).sort("horizon", "quantile", "_date")
    summary = (
        by_date.group_by("horizon", "quantile")
        .agg(
            pl.col("mean_return").mean(),
            pl.col("mean_return").std().alias("std"),
            pl.len().cast(pl.UInt32).alias("dates"),
        )
        .sort("horizon", "quantile")
    )
    rows: list[dict[str, float | int]] = []
    for h in hs:
        one = by_date.filter(pl.col("horizon") == h, pl.col("quantile").is_in([1, q]))
        wide = one.pivot(on="quantile", index="_date", values="mean_return").sort("_date")
        if str(q) in wide.columns and "1" in wide.columns:
            x = (wide[str(q)] - wide["1"]).drop_nulls().to_numpy()
        else:
            x = np.empty(0)
        rows.append(
            {
                "horizon": h,
                "mean_spread": float(x.mean()) if x.size else math.nan,
                "std_spread": float(x.std(ddof=1)) if x.size > 1 else math.nan,
                "t_nw": newey_west_t(x, h - 1),
                "dates": x.size,
            }
        )
    spread = _float_frame(rows, {"horizon": pl.Int64, "dates": pl.UInt32})
    return by_date, summary, spread


def _rank_autocorrelation(
    panel: _Panel, ranks: npt.NDArray[np.float64], lags: list[int]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    present = ~np.isnan(ranks)
    dates = panel.dates.len()
    frames = []
    rows: list[dict[str, float | int]] = []
    for lag in lags:
        values = np.full(dates, np.nan)
        if lag < dates:
            both = present[lag:] & present[:-lag]
            r, saa, sbb = _row_correlation(ranks[lag:], ranks[:-lag], both)
            n = both.sum(axis=1)
            values[lag:] = np.where((n >= 2) & (saa > 0) & (sbb > 0), r, np.nan)
        frames.append(
            pl.DataFrame(
                {
                    "_date": panel.dates,
                    "lag": pl.Series([lag] * dates, dtype=pl.Int64),
                    "autocorrelation": pl.Series(values).fill_nan(None),
                }
            )
        )
        known = values[~np.isnan(values)]
        rows.append(
            {
                "lag": lag,
                "mean_autocorrelation": float(known.mean()) if known.size else math.nan,
                "dates": known.size,
            }
        )
    turnover = _float_frame(rows, {"lag": pl.Int64, "dates": pl.UInt32})
    return pl.concat(frames), turnover


def _float_frame(
    rows: list[dict[str, float | int]], ints: dict[str, type[pl.DataType]]
) -> pl.DataFrame:
    """Rows of numbers as a frame: the ``ints`` columns with their dtypes, the others
    Float64 with NaN as null."""
    schema = {name: ints.get(name, pl.Float64) for name in rows[0]}
    return pl.DataFrame(rows, schema=schema).with_columns(pl.col(pl.Float64).fill_nan(None))
