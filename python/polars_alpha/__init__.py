"""polars-alpha: alpha and beta for whole markets, as Polars expressions computed in Rust."""

from __future__ import annotations

from polars_alpha._internal import __version__
from polars_alpha.regression import rolling_alpha, rolling_alpha_beta, rolling_beta

__all__ = [
    "__version__",
    "rolling_alpha",
    "rolling_alpha_beta",
    "rolling_beta",
]
