"""polars-alpha: alpha and beta for whole markets, as Polars expressions computed in Rust."""

from __future__ import annotations

from polars_alpha import datasets
from polars_alpha._internal import __version__
from polars_alpha.adjustments import (
    annualize_alpha,
    annualize_volatility,
    appraisal_ratio,
    blume_beta,
    vasicek_beta,
)
from polars_alpha.cross_section import cross_sectional_rank, cross_sectional_zscore
from polars_alpha.factors import factor_regression, rolling_factor_regression
from polars_alpha.momentum import last_weighted_alpha, weighted_alpha
from polars_alpha.ratios import (
    information_ratio,
    rolling_correlation,
    rolling_information_ratio,
    rolling_treynor_ratio,
    treynor_ratio,
)
from polars_alpha.regression import (
    RISKMETRICS_HALF_LIFE,
    alpha_beta,
    ewm_alpha_beta,
    riskmetrics_alpha_beta,
    rolling_alpha,
    rolling_alpha_beta,
    rolling_beta,
)
from polars_alpha.report import StrategyReport, strategy_report
from polars_alpha.screen import returns_panel, screen
from polars_alpha.signal_report import SignalReport, newey_west_t, signal_report
from polars_alpha.signals import (
    forward_return,
    information_coefficient,
    momentum,
    residual_momentum,
)
from polars_alpha.strategy import (
    annual_return,
    calmar_ratio,
    down_capture,
    down_market_alpha_beta,
    downside_beta,
    max_drawdown,
    rolling_annual_return,
    rolling_calmar_ratio,
    rolling_down_capture,
    rolling_down_market_alpha_beta,
    rolling_downside_beta,
    rolling_max_drawdown,
    rolling_sharpe_ratio,
    rolling_sortino_ratio,
    rolling_tracking_error,
    rolling_up_capture,
    rolling_up_down_capture,
    rolling_up_market_alpha_beta,
    sharpe_ratio,
    sortino_ratio,
    tracking_error,
    up_capture,
    up_down_capture,
    up_market_alpha_beta,
)
from polars_alpha.thin_trading import (
    dimson_beta,
    rolling_dimson_beta,
    rolling_scholes_williams_beta,
    scholes_williams_beta,
)
from polars_alpha.updates import history_needed

__all__ = [
    "RISKMETRICS_HALF_LIFE",
    "SignalReport",
    "StrategyReport",
    "__version__",
    "alpha_beta",
    "annual_return",
    "annualize_alpha",
    "annualize_volatility",
    "appraisal_ratio",
    "blume_beta",
    "calmar_ratio",
    "cross_sectional_rank",
    "cross_sectional_zscore",
    "datasets",
    "dimson_beta",
    "down_capture",
    "down_market_alpha_beta",
    "downside_beta",
    "ewm_alpha_beta",
    "factor_regression",
    "forward_return",
    "history_needed",
    "information_coefficient",
    "information_ratio",
    "last_weighted_alpha",
    "max_drawdown",
    "momentum",
    "newey_west_t",
    "residual_momentum",
    "returns_panel",
    "riskmetrics_alpha_beta",
    "rolling_alpha",
    "rolling_alpha_beta",
    "rolling_annual_return",
    "rolling_beta",
    "rolling_calmar_ratio",
    "rolling_correlation",
    "rolling_dimson_beta",
    "rolling_down_capture",
    "rolling_down_market_alpha_beta",
    "rolling_downside_beta",
    "rolling_factor_regression",
    "rolling_information_ratio",
    "rolling_max_drawdown",
    "rolling_scholes_williams_beta",
    "rolling_sharpe_ratio",
    "rolling_sortino_ratio",
    "rolling_tracking_error",
    "rolling_treynor_ratio",
    "rolling_up_capture",
    "rolling_up_down_capture",
    "rolling_up_market_alpha_beta",
    "scholes_williams_beta",
    "screen",
    "sharpe_ratio",
    "signal_report",
    "sortino_ratio",
    "strategy_report",
    "tracking_error",
    "treynor_ratio",
    "up_capture",
    "up_down_capture",
    "up_market_alpha_beta",
    "vasicek_beta",
    "weighted_alpha",
]
