"""Whether pytest-benchmark times this run, for the benchmark files' choice of size."""

from __future__ import annotations

import pytest


def timing_disabled(config: pytest.Config) -> bool:
    """True for a smoke run. pyproject's addopts disable timing and ``make bench`` enables it
    again, so both flags can be set: enabling wins."""
    disabled = bool(config.getoption("benchmark_disable", default=False))
    return disabled and not bool(config.getoption("benchmark_enable", default=False))
