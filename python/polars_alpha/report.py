"""Evaluate strategies or funds against a benchmark: a summary and alpha and beta month by month.

:func:`strategy_report` takes the returns or prices of one or many strategies or funds (the
same inputs as :func:`~polars_alpha.screen`) and returns a :class:`StrategyReport`: one summary
row per strategy (return, risk, risk-adjusted ratios, CAPM fit, up and down markets) and one
row per strategy and month (the month's return, the benchmark's, and the CAPM fit on that
month's days). :func:`infer_periods_per_year` is how the report tells daily from weekly and
monthly data. The report draws its charts (:meth:`StrategyReport.plot`) and writes a
self-contained HTML page (:meth:`StrategyReport.to_html`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeAlias

import polars as pl

from polars_alpha import _validate
from polars_alpha.adjustments import annualize_alpha, annualize_volatility
from polars_alpha.ratios import rolling_information_ratio, rolling_treynor_ratio
from polars_alpha.regression import rolling_alpha_beta
from polars_alpha.screen import default_min_periods, returns_panel
from polars_alpha.strategy import (
    annual_return,
    calmar_ratio,
    down_capture,
    max_drawdown,
    sharpe_ratio,
    sortino_ratio,
    tracking_error,
    up_capture,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "FREQUENCIES",
    "MONTHLY_COLUMNS",
    "MONTHS",
    "SUMMARY_COLUMNS",
    "StrategyReport",
    "infer_periods_per_year",
    "strategy_report",
]

Frame: TypeAlias = "pl.DataFrame | pl.LazyFrame"
Kind: TypeAlias = Literal["auto", "prices", "returns"]

#: The frequencies :func:`infer_periods_per_year` recognizes: name, periods a year, the
#: range of the median spacing of the dates (days) that names it, and the range of spacings
#: (days) a regular series of that frequency keeps to (weekends, holidays, a market closed
#: for a week, month ends on different weekdays).
FREQUENCIES: tuple[tuple[str, int, tuple[float, float], tuple[float, float]], ...] = (
    ("daily", 252, (0.9, 1.6), (0.9, 7.5)),
    ("weekly", 52, (5.5, 8.5), (2.5, 11.5)),
    ("monthly", 12, (26.0, 35.0), (18.0, 42.0)),
)

#: The share of the spacings that must lie in the frequency's range.
_REGULAR_SHARE = 0.95

#: The summary's columns after the ticker column, in order.
SUMMARY_COLUMNS: tuple[str, ...] = (
    "start",
    "end",
    "n",
    "annual_return",
    "benchmark_return",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "calmar",
    "alpha_ann",
    "alpha_t",
    "beta",
    "r2",
    "treynor",
    "information_ratio",
    "tracking_error",
    "up_beta",
    "down_beta",
    "up_capture",
    "down_capture",
)

#: The monthly frame's columns after the ticker column, in order.
MONTHLY_COLUMNS: tuple[str, ...] = (
    "month",
    "return",
    "benchmark_return",
    "alpha",
    "alpha_ann",
    "beta",
    "n",
)

_RUN = "__pa_run"
_FIT = "__pa_fit"

#: The month columns of :meth:`StrategyReport.monthly_table`.
MONTHS: tuple[str, ...] = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


@dataclass(frozen=True)
class StrategyReport:
    """What :func:`strategy_report` returns.

    Attributes
    ----------
    summary
        One row per strategy: the ticker column, then :data:`SUMMARY_COLUMNS` (see
        :func:`strategy_report`).
    monthly
        One row per strategy and calendar month: the ticker column, then
        :data:`MONTHLY_COLUMNS`.
    returns
        The rows the report used: ``date``, the ticker column, ``ret``, ``benchmark`` and,
        with a risk-free rate, ``rf``; sorted by ticker then date.
    periods_per_year
        ``P``, given or inferred from the dates.
    frequency
        ``"daily"``, ``"weekly"`` or ``"monthly"`` when ``P`` was inferred, ``"given"`` when
        it was passed.
    date, ticker
        The names of the date and ticker columns.
    """

    summary: pl.DataFrame
    monthly: pl.DataFrame
    returns: pl.DataFrame
    periods_per_year: float
    frequency: str
    date: str = "date"
    ticker: str = "ticker"

    @property
    def strategies(self) -> list[str]:
        """The strategies of the summary, in its order."""
        return [str(s) for s in self.summary.get_column(self.ticker)]

    def choose(self, strategy: str | None = None) -> str:
        """The strategy a chart or page shows: ``strategy``, checked, or the summary's first.

        Parameters
        ----------
        strategy
            A strategy of the report, or ``None`` for the summary's first.

        Returns
        -------
        str
            The strategy's name.

        Raises
        ------
        ValueError
            For a name the report does not hold.
        """
        names = self.strategies
        if strategy is None:
            return names[0]
        if strategy not in names:
            shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
            msg = f"no strategy {strategy!r} in the report; it holds {shown}"
            raise ValueError(msg)
        return strategy

    def rows_of(self, strategy: str) -> pl.Expr:
        """A filter for one strategy's rows in the report's frames.

        Parameters
        ----------
        strategy
            A name of :attr:`strategies` (the ticker as text, also for integer tickers).

        Returns
        -------
        pl.Expr
            ``ticker.cast(String) == strategy``.
        """
        return pl.col(self.ticker).cast(pl.String) == strategy

    def monthly_table(self, strategy: str | None = None) -> pl.DataFrame:
        """A strategy's monthly returns as a year x month table.

        Parameters
        ----------
        strategy
            The strategy; default the summary's first.

        Returns
        -------
        pl.DataFrame
            ``year`` (Int32), ``Jan`` .. ``Dec`` and ``Year`` (the year's months compounded),
            Float64, null for a month the report has no row in; sorted by year.
        """
        name = self.choose(strategy)
        rows = self.monthly.filter(self.rows_of(name))
        months = rows.select(
            pl.col("month").dt.year().alias("year"),
            pl.col("month").dt.month().alias("m"),
            "return",
        )
        columns = [
            pl.col("return").filter(pl.col("m") == i).first().alias(label)
            for i, label in enumerate(MONTHS, start=1)
        ]
        year = ((1.0 + pl.col("return")).product() - 1.0).alias("Year")
        return months.group_by("year").agg(*columns, year).sort("year")

    def rolling_fits(self, window: int | None = None) -> pl.DataFrame:
        """Rolling CAPM fits of every strategy, as the charts draw them.

        Parameters
        ----------
        window
            Rows per fit; default one year, ``round(periods_per_year)``.

        Returns
        -------
        pl.DataFrame
            ``date``, the ticker column, ``alpha_ann`` and ``beta``, on every row with a
            fit (at least 80% of the window's rows, :func:`~polars_alpha.screen.
            default_min_periods`), sorted by ticker then date.
        """
        rows = max(2, round(self.periods_per_year)) if window is None else window
        rows, _ = _validate.window_and_min_periods(rows, None)
        rate: str | None = "rf" if "rf" in self.returns.columns else None
        fit = rolling_alpha_beta(
            "ret",
            "benchmark",
            window=rows,
            min_periods=default_min_periods(rows),
            risk_free=rate,
            by=self.ticker,
        )
        return (
            self.returns.with_columns(fit.alias("__pa_fit"))
            .unnest("__pa_fit")
            .filter(pl.col("beta").is_not_null())
            .select(
                pl.col(self.date),
                pl.col(self.ticker),
                annualize_alpha("alpha", self.periods_per_year).alias("alpha_ann"),
                "beta",
            )
        )

    def plot(
        self,
        strategy: str | None = None,
        *,
        path: str | Path | None = None,
        title: str | None = None,
        figsize: tuple[float, float] | None = None,
        dpi: int = 100,
        month_table: bool = True,
        benchmark_name: str = "benchmark",
    ) -> Figure:
        """The charts of one strategy; see :func:`polars_alpha.plot.strategy_chart`."""
        from polars_alpha.plot import strategy_chart  # matplotlib is an optional extra

        return strategy_chart(
            self,
            strategy,
            path=path,
            title=title,
            figsize=figsize,
            dpi=dpi,
            month_table=month_table,
            benchmark_name=benchmark_name,
        )

    def to_html(
        self,
        path: str | Path | None = None,
        *,
        strategy: str | None = None,
        title: str | None = None,
        benchmark_name: str = "the benchmark",
        risk_free_name: str = "",
        source: str = "",
    ) -> str:
        """A self-contained HTML page of the report; see
        :func:`polars_alpha.report_html.report_html`. Written to ``path`` when given."""
        from polars_alpha.report_html import report_html

        page = report_html(
            self,
            strategy=strategy,
            title=title,
            benchmark_name=benchmark_name,
            risk_free_name=risk_free_name,
            source=source,
        )
        if path is not None:
            Path(path).write_text(page, encoding="utf-8")
        return page


def _spacings(dates: pl.Series) -> pl.Series:
    """The spacings of the distinct dates, in days (Float64)."""
    days = dates.drop_nulls().unique().sort()
    if days.dtype == pl.Date:
        days = days.cast(pl.Datetime("us"))
    return days.diff().drop_nulls().dt.total_microseconds().cast(pl.Float64) / 86_400e6


def infer_periods_per_year(dates: pl.Series) -> tuple[int, str]:
    """The periods a year of a series of dates: 252 daily, 52 weekly, 12 monthly.

    Parameters
    ----------
    dates
        A Date or Datetime series (repeats and nulls are ignored, order does not matter).

    Returns
    -------
    tuple[int, str]
        ``(P, name)``: ``(252, "daily")``, ``(52, "weekly")`` or ``(12, "monthly")``.

    Raises
    ------
    ValueError
        With fewer than three distinct dates, when the median spacing names none of the
        three frequencies (quarterly data, intraday bars, random dates), or when more than
        5% of the spacings stray from the frequency's range (a daily history that turns
        monthly): the message gives the spacings and says to pass ``periods_per_year``.

    Notes
    -----
    The frequency is the one whose range holds the median spacing between consecutive
    distinct dates (days): 0.9-1.6 daily, 5.5-8.5 weekly, 26-35 monthly
    (:data:`FREQUENCIES`). The dates are regular when at least 95% of the spacings lie in the
    frequency's wider range of usual gaps: 0.9-7.5 days for daily data (weekends,
    holidays, a market closed for a week), 2.5-11.5 weekly, 18-42 monthly.

    Examples
    --------
    >>> import polars as pl
    >>> from polars_alpha.report import infer_periods_per_year
    >>> days = pl.date_range(pl.date(2024, 1, 1), pl.date(2024, 3, 31), eager=True)
    >>> infer_periods_per_year(days.filter(days.dt.weekday() <= 5))
    (252, 'daily')
    >>> infer_periods_per_year(pl.date_range(pl.date(2020, 1, 31), pl.date(2024, 1, 31),
    ...                                      interval="1mo", eager=True))
    (12, 'monthly')
    """
    if not isinstance(dates, pl.Series) or not dates.dtype.is_temporal():
        msg = "infer_periods_per_year takes a Date or Datetime series"
        raise TypeError(msg)
    gaps = _spacings(dates)
    if gaps.len() < 2:
        msg = (
            f"cannot infer periods_per_year from {gaps.len() + 1 if gaps.len() else 'fewer than 2'}"
            " distinct dates; pass periods_per_year (252 daily, 52 weekly, 12 monthly)"
        )
        raise ValueError(msg)
    median = float(gaps.median())  # type: ignore[arg-type]
    fix = "pass periods_per_year (252 daily, 52 weekly, 12 monthly) if the dates are right"
    for name, periods, (low, high), (least, most) in FREQUENCIES:
        if low <= median <= high:
            regular = float(((gaps >= least) & (gaps <= most)).mean())  # type: ignore[arg-type]
            if regular < _REGULAR_SHARE:
                outside = gaps.filter((gaps < least) | (gaps > most))
                msg = (
                    f"irregular dates: the median spacing is {median:g} days ({name}), but "
                    f"{1.0 - regular:.0%} of the spacings lie outside {least:g}-{most:g} days "
                    f"(e.g. {outside[0]:g} days); {fix}"
                )
                raise ValueError(msg)
            return periods, name
    msg = (
        f"irregular dates: the median spacing between dates is {median:g} days, which is "
        f"not daily (about 1), weekly (about 7) or monthly (about 30); {fix}"
    )
    raise ValueError(msg)


def _measures(date: str, periods: float, has_rf: bool) -> list[pl.Expr]:
    """The summary's aggregations over a strategy's usable rows, but the regressions."""
    ret, bench = pl.col("ret"), pl.col("benchmark")
    rf: pl.Expr | None = pl.col("rf") if has_rf else None
    return [
        pl.col(date).min().alias("start"),
        pl.col(date).max().alias("end"),
        pl.len().cast(pl.UInt32).alias("n"),
        annual_return(ret, periods_per_year=periods).alias("annual_return"),
        annual_return(bench, periods_per_year=periods).alias("benchmark_return"),
        annualize_volatility(ret.std(), periods).alias("volatility"),
        sharpe_ratio(ret, risk_free=rf, periods_per_year=periods).alias("sharpe"),
        sortino_ratio(ret, periods_per_year=periods).alias("sortino"),
        max_drawdown(ret).alias("max_drawdown"),
        calmar_ratio(ret, periods_per_year=periods).alias("calmar"),
        tracking_error(ret, bench, periods_per_year=periods).alias("tracking_error"),
        up_capture(ret, bench, periods_per_year=periods).alias("up_capture"),
        down_capture(ret, bench, periods_per_year=periods).alias("down_capture"),
    ]


def _last_per_run(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """The last row of each run of equal ``key`` values (the frame is sorted by it)."""
    return frame.filter(pl.col(key).ne_missing(pl.col(key).shift(-1)))


def _regressions(returns: pl.DataFrame, ticker: str, periods: float) -> pl.DataFrame:
    """The summary's regression figures per strategy: the CAPM fit, Treynor's and the
    information ratio, and the fits on the benchmark's up and down rows.

    Each is the last row of an expanding fit keyed by strategy (``by=``): the fit on all of
    a strategy's rows, as :func:`~polars_alpha.alpha_beta` (and
    :func:`~polars_alpha.up_market_alpha_beta`, ...) give in a ``group_by``, computed for
    every strategy in one parallel pass instead of one call per strategy.
    """
    ret, bench = pl.col("ret"), pl.col("benchmark")
    rf = "rf" if "rf" in returns.columns else None
    # Only the fields the summary shows: the standard errors of the rest cost time.
    fit = rolling_alpha_beta(
        ret,
        bench,
        window=None,
        min_periods=2,
        risk_free=rf,
        by=ticker,
        fields=["alpha", "alpha_t", "beta", "r2"],
    )
    whole = _last_per_run(
        returns.select(
            ticker,
            fit.alias(_FIT),
            rolling_treynor_ratio(
                ret,
                bench,
                window=None,
                min_periods=2,
                risk_free=rf,
                periods_per_year=periods,
                by=ticker,
            ).alias("treynor"),
            rolling_information_ratio(
                ret, bench, window=None, min_periods=2, periods_per_year=periods, by=ticker
            ).alias("information_ratio"),
        ),
        ticker,
    ).select(
        ticker,
        annualize_alpha(pl.col(_FIT).struct.field("alpha"), periods).alias("alpha_ann"),
        pl.col(_FIT).struct.field("alpha_t").alias("alpha_t"),
        pl.col(_FIT).struct.field("beta").alias("beta"),
        pl.col(_FIT).struct.field("r2").alias("r2"),
        "treynor",
        "information_ratio",
    )
    for name, side in (("up_beta", bench > 0.0), ("down_beta", bench < 0.0)):
        rows = returns.filter(side)
        side_fit = rolling_alpha_beta(
            ret, bench, window=None, min_periods=2, risk_free=rf, by=ticker, fields=["beta"]
        )
        beta = _last_per_run(rows.select(ticker, side_fit.struct.field("beta").alias(name)), ticker)
        whole = whole.join(beta, on=ticker, how="left", maintain_order="left")
    return whole


def _monthly(returns: pl.DataFrame, date: str, ticker: str, periods: float) -> pl.DataFrame:
    """One row per strategy and month: compounded returns and the CAPM fit on its rows.

    ``returns`` is sorted by ticker then date, so each strategy-month is a run of rows. Its
    fit is the last row of an expanding :func:`~polars_alpha.rolling_alpha_beta` keyed by
    the run (``by=``): the fit on all of the month's rows, in one pass over the frame rather
    than one call per month.
    """
    ret, bench = pl.col("ret"), pl.col("benchmark")
    rf = "rf" if "rf" in returns.columns else None
    month = pl.col(date).dt.truncate("1mo").cast(pl.Date)
    starts = (pl.col(ticker) != pl.col(ticker).shift(1)) | (month != month.shift(1))
    runs = returns.with_columns(month.alias("month"), starts.fill_null(True).cum_sum().alias(_RUN))
    fit = rolling_alpha_beta(
        ret, bench, window=None, min_periods=2, risk_free=rf, by=_RUN, fields=["alpha", "beta"]
    )
    fits = (
        runs.with_columns(fit.alias(_FIT))
        .filter(pl.col(_RUN).ne_missing(pl.col(_RUN).shift(-1)))
        .select(
            _RUN,
            pl.col(_FIT).struct.field("alpha").alias("alpha"),
            pl.col(_FIT).struct.field("beta").alias("beta"),
        )
    )
    return (
        runs.group_by(_RUN, maintain_order=True)
        .agg(
            pl.col(ticker).first(),
            pl.col("month").first(),
            ((1.0 + ret).product() - 1.0).alias("return"),
            ((1.0 + bench).product() - 1.0).alias("benchmark_return"),
            pl.len().cast(pl.UInt32).alias("n"),
        )
        .join(fits, on=_RUN, how="left", maintain_order="left")
        .select(
            ticker,
            "month",
            "return",
            "benchmark_return",
            "alpha",
            annualize_alpha("alpha", periods).alias("alpha_ann"),
            "beta",
            "n",
        )
    )


def _check_rows(panel: pl.DataFrame, usable: pl.DataFrame, date: str, ticker: str) -> None:
    """A clear error instead of an empty report, and for a strategy twice on one date."""
    if panel.height == 0:
        msg = "the frame has no rows to report on"
        raise ValueError(msg)
    # returns_panel sorts by ticker then date, so a repeated date is next to its twin.
    repeated = panel.select(
        (pl.col(ticker).eq_missing(pl.col(ticker).shift(1)))
        & (pl.col(date).eq_missing(pl.col(date).shift(1)))
    ).to_series()
    if repeated.any():
        row = panel.filter(repeated).row(0, named=True)
        msg = (
            f"strategy {row[ticker]!r} has more than one row on {row[date]!s}; each "
            "strategy needs one row per date"
        )
        raise ValueError(msg)
    if usable.height:
        return
    span = f"{panel.get_column(date).min()!s} to {panel.get_column(date).max()!s}"
    if panel.get_column("benchmark").is_not_null().sum() == 0:
        msg = (
            f"the benchmark has no return on any of the frame's dates ({span}): no dates in "
            "common, or no values on them"
        )
    elif panel.get_column("ret").is_not_null().sum() == 0:
        msg = f"no strategy has a return on any date ({span}); check the value column"
    else:
        needs = " and a risk-free rate" if "rf" in panel.columns else ""
        msg = f"no date has both a strategy's return and a benchmark return{needs} ({span})"
    raise ValueError(msg)


def strategy_report(
    frame: Frame,
    *,
    benchmark: str | Frame,
    risk_free: float | str | Frame | None = None,
    periods_per_year: float | None = None,
    date: str = "date",
    ticker: str = "ticker",
    value: str | None = None,
    kind: Kind = "auto",
    fill_risk_free: bool = True,
) -> StrategyReport:
    """Evaluate strategies or funds against a benchmark: a summary and month-by-month fits.

    Parameters
    ----------
    frame
        Prices or returns of one or many strategies or funds, eager or lazy: long (``date``,
        ``ticker`` and one value column) or wide (``date`` and one column per strategy), as
        for :func:`~polars_alpha.screen` (see :func:`~polars_alpha.returns_panel`). A
        LazyFrame is collected: the report is two small eager frames.
    benchmark
        The benchmark's prices or returns: a column of ``frame`` or a frame of ``date`` and
        one numeric column.
    risk_free
        Per-period risk-free rate in decimals: a number, a column of ``frame`` or a frame of
        ``date`` and one numeric column; ``None`` means zero. It enters the Sharpe ratio,
        the CAPM fits (Jensen's alpha, beta, t-values, up and down betas) and Treynor's
        ratio.
    periods_per_year
        ``P`` for annualizing; default inferred from the dates by
        :func:`infer_periods_per_year` (252 daily, 52 weekly, 12 monthly), an error for
        irregular dates. The report's ``periods_per_year`` and ``frequency`` say which was
        used.
    date, ticker, value, kind, fill_risk_free
        Column names, prices or returns (decided per strategy with ``"auto"``) and the fill
        of a risk-free rate missing on a date, as in :func:`~polars_alpha.returns_panel`.

    Returns
    -------
    StrategyReport
        ``summary``: one row per strategy, sorted by ticker: ``start``, ``end`` (first and
        last date used), ``n`` (rows used), ``annual_return``, ``benchmark_return`` (the
        benchmark's annual return on the same rows), ``volatility``, ``sharpe``,
        ``sortino``, ``max_drawdown`` (negative), ``calmar``, ``alpha_ann`` (Jensen's alpha,
        annualized geometrically), ``alpha_t``, ``beta``, ``r2``, ``treynor``,
        ``information_ratio``, ``tracking_error``, ``up_beta``, ``down_beta``,
        ``up_capture``, ``down_capture``.

        ``monthly``: one row per strategy and calendar month: ``month`` (its first day),
        ``return`` and ``benchmark_return`` (compounded over the month's rows), ``alpha``
        (per period), ``alpha_ann``, ``beta`` and ``n``, from the CAPM fit on that month's
        rows.

        Also ``returns`` (the rows used), ``periods_per_year`` and ``frequency``.

    Raises
    ------
    ValueError
        A frame without rows, a benchmark without a return on any of the frame's dates, a
        strategy with two rows on one date, irregular dates without ``periods_per_year``,
        and every error of :func:`~polars_alpha.returns_panel` (ambiguous prices, a risk-free
        rate too large to be per period).

    Notes
    -----
    A strategy's rows are those with a finite return, a finite benchmark return and, with a
    risk-free column or frame, a rate; every measure uses the same rows. With ``r`` the
    strategy's return, ``b`` the benchmark's, ``rf`` the risk-free rate and ``n`` rows
    (empyrical's conventions, standard deviations with ddof = 1), each column is the
    library's expression over those rows:

    - ``annual_return`` :func:`~polars_alpha.annual_return` ``prod(1 + r) ** (P / n) - 1``
      (``benchmark_return`` the same of ``b``); ``volatility`` ``std(r) sqrt(P)``;
    - ``sharpe`` :func:`~polars_alpha.sharpe_ratio` ``mean(r - rf) / std(r - rf) sqrt(P)``;
      ``sortino`` :func:`~polars_alpha.sortino_ratio` with required return 0;
    - ``max_drawdown`` :func:`~polars_alpha.max_drawdown` (the start counts as a peak);
      ``calmar`` :func:`~polars_alpha.calmar_ratio`, annual return / |max drawdown|;
    - ``alpha_ann``, ``alpha_t``, ``beta``, ``r2``: :func:`~polars_alpha.alpha_beta` on
      ``r - rf`` and ``b - rf``, alpha annualized ``(1 + alpha) ** P - 1``;
      ``treynor`` :func:`~polars_alpha.treynor_ratio`; ``information_ratio``
      :func:`~polars_alpha.information_ratio`; ``tracking_error``
      :func:`~polars_alpha.tracking_error` ``std(r - b) sqrt(P)``;
    - ``up_beta`` (``down_beta``): :func:`~polars_alpha.up_market_alpha_beta`
      (:func:`~polars_alpha.down_market_alpha_beta`), the CAPM fit on the rows where
      ``b > 0`` (``b < 0``); ``up_capture`` (``down_capture``):
      :func:`~polars_alpha.up_capture` (:func:`~polars_alpha.down_capture`), the annual
      return of ``r`` over those rows divided by that of ``b``.

    A ratio whose denominator is zero (a constant series, no drawdown, no down rows) is
    null, never infinite. A monthly fit needs two rows and a benchmark that moves.

    Examples
    --------
    >>> import polars as pl
    >>> import polars_alpha as pa
    >>> sample = pa.datasets.load_sp500_sample()
    >>> stocks = sample.stocks.filter(pl.col("ticker").is_in(["AAPL", "XOM"]))
    >>> report = pa.strategy_report(stocks, benchmark=sample.index)
    >>> report.periods_per_year, report.frequency
    (252, 'daily')
    >>> columns = ["ticker", "annual_return", "sharpe", "max_drawdown", "beta", "up_capture"]
    >>> report.summary.select(columns).with_columns(pl.col(pl.Float64).round(3))
    shape: (2, 6)
    ┌────────┬───────────────┬────────┬──────────────┬───────┬────────────┐
    │ ticker ┆ annual_return ┆ sharpe ┆ max_drawdown ┆ beta  ┆ up_capture │
    │ ---    ┆ ---           ┆ ---    ┆ ---          ┆ ---   ┆ ---        │
    │ str    ┆ f64           ┆ f64    ┆ f64          ┆ f64   ┆ f64        │
    ╞════════╪═══════════════╪════════╪══════════════╪═══════╪════════════╡
    │ AAPL   ┆ 0.206         ┆ 0.652  ┆ -0.818       ┆ 1.154 ┆ 1.81       │
    │ XOM    ┆ 0.104         ┆ 0.521  ┆ -0.624       ┆ 0.825 ┆ 0.68       │
    └────────┴───────────────┴────────┴──────────────┴───────┴────────────┘
    """
    if periods_per_year is not None:
        periods_per_year = _validate.periods_per_year(periods_per_year)
    panel = returns_panel(
        frame,
        benchmark=benchmark,
        risk_free=risk_free,
        date=date,
        ticker=ticker,
        value=value,
        kind=kind,
        fill_risk_free=fill_risk_free,
    )
    collected = panel.collect() if isinstance(panel, pl.LazyFrame) else panel
    has_rf = "rf" in collected.columns
    usable_row = pl.col("ret").is_finite().fill_null(False) & pl.col(
        "benchmark"
    ).is_finite().fill_null(False)
    if has_rf:
        usable_row = usable_row & pl.col("rf").is_finite().fill_null(False)
    usable = collected.filter(usable_row)
    _check_rows(collected, usable, date, ticker)
    if periods_per_year is None:
        periods, frequency = infer_periods_per_year(usable.get_column(date))
        periods_per_year = float(periods)
    else:
        frequency = "given"
    returns = usable.select(
        pl.col(date), pl.col(ticker), "ret", "benchmark", *(["rf"] if has_rf else [])
    )
    summary = (
        returns.group_by(ticker)
        .agg(_measures(date, periods_per_year, has_rf))
        .join(_regressions(returns, ticker, periods_per_year), on=ticker, how="left")
        .select(ticker, *SUMMARY_COLUMNS)
        .sort(ticker)
    )
    monthly = _monthly(returns, date, ticker, periods_per_year)
    if periods_per_year == round(periods_per_year):
        periods_per_year = int(periods_per_year)
    return StrategyReport(
        summary=summary,
        monthly=monthly,
        returns=returns,
        periods_per_year=periods_per_year,
        frequency=frequency,
        date=date,
        ticker=ticker,
    )
