"""The ``polars-alpha`` command: screen a market from CSV or Parquet files, or the bundled sample.

``polars-alpha screen`` (or ``python -m polars_alpha screen``) reads prices or returns, fits each
ticker's CAPM regression on the trailing window, and prints one row per ticker. See
``polars-alpha screen --help``. Errors are one line on stderr with exit code 2.

The modules split the command by job: :mod:`~polars_alpha.cli.command` (arguments and the
flow), :mod:`~polars_alpha.cli.inputs` (reading files), :mod:`~polars_alpha.cli.filters`
(``--filter``) and :mod:`~polars_alpha.cli.render` (progress, tables, charts).
"""

from __future__ import annotations

from polars_alpha.cli.command import main
from polars_alpha.cli.errors import CliError
from polars_alpha.cli.filters import parse_filter
from polars_alpha.cli.render import Progress

__all__ = ["CliError", "Progress", "main", "parse_filter"]
