"""Rolling one-year Jensen's alpha and beta of 20 large US stocks against the S&P 500.

Reads the real daily prices bundled in the package (polars_alpha/data, 1990-2022) and
prints, for the last trading day, each stock's CAPM fit over the trailing 252 days.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

import polars_alpha as pa

DATA = Path(pa.__file__).resolve().parent / "data"


def load_returns() -> pl.DataFrame:
    """Long frame of daily returns: date, ticker, ret, market, rf."""
    stocks = pl.read_csv(DATA / "sp500_stocks_prices.csv.gz", try_parse_dates=True)
    index = pl.read_csv(DATA / "sp500_index_prices.csv.gz", try_parse_dates=True)
    treasury = pl.read_csv(DATA / "us_treasury_3month_yield.csv", try_parse_dates=True)
    prices = stocks.unpivot(index="Date", variable_name="ticker", value_name="close")
    market = index.select("Date", market=pl.col("SP500").pct_change())
    # The annual 3-month yield as a daily rate; dates without a quote stay null and are
    # left out of the fits.
    rf = treasury.select(pl.col("Date").cast(pl.Date), rf=(1 + pl.col("yield_3m")) ** (1 / 252) - 1)
    return (
        prices.sort("ticker", "Date")
        .with_columns(ret=pl.col("close").pct_change().over("ticker"))
        .join(market, on="Date", how="left")
        .join(rf, on="Date", how="left")
        .select(date="Date", ticker="ticker", ret="ret", market="market", rf="rf")
    )


def main() -> None:
    returns = load_returns()
    # The treasury file ends in 2017; use its last complete year so the risk-free rate is real.
    last_rf_date = returns.drop_nulls("rf").get_column("date").max()
    fits = (
        returns.filter(pl.col("date") <= last_rf_date)
        .with_columns(
            # A day without a Treasury quote is left out of the fit, so a year holds fewer
            # than 252 usable rows: accept a fit from 200 of them.
            # The joins above do not keep row order: order_by says what the time order is.
            fit=pa.rolling_alpha_beta(
                "ret",
                "market",
                window=252,
                min_periods=200,
                risk_free="rf",
                by="ticker",
                order_by="date",
            )
        )
        .filter(pl.col("date") == last_rf_date)
        .unnest("fit")
        .select(
            "ticker",
            "beta",
            alpha_ann=(1 + pl.col("alpha")) ** 252 - 1,
            alpha_t="alpha_t",
            r2="r2",
            n="n",
        )
        .sort("alpha_ann", descending=True)
    )
    pl.Config.set_tbl_rows(25)
    print(f"CAPM fits over the 252 trading days to {last_rf_date}:")
    print(fits.with_columns(pl.col(pl.Float64).round(3)))


if __name__ == "__main__":
    main()
