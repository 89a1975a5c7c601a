"""What the command shows: the progress line, the table or file it writes, and the charts."""

from __future__ import annotations

import datetime as dt
import io
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import polars as pl

from polars_alpha import _validate
from polars_alpha.cli.errors import CliError
from polars_alpha.screen import fit_history

__all__ = [
    "FORMATS",
    "TABLE_COLUMNS",
    "Progress",
    "check_plot",
    "draw_charts",
    "output_format",
    "require_matplotlib",
    "table",
    "write",
]

#: Columns the ``table`` format prints (every column goes to csv, json and parquet).
TABLE_COLUMNS = (
    "ticker",
    "alpha_ann",
    "alpha_t",
    "beta",
    "r2",
    "resid_std",
    "weighted_alpha",
    "alpha_z",
    "n",
)
FORMATS = ("table", "csv", "parquet", "json")

#: Decimals of each float column in the table; the others get 3.
_DECIMALS = {"alpha_t": 2, "resid_std": 4, "weighted_alpha": 1, "alpha_z": 2}

#: The format each ``--output`` extension names (the table is text: ``.txt``).
_SUFFIX_FORMATS = {
    ".csv": "csv",
    ".json": "json",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".txt": "table",
}


class Progress:
    """A one-line progress indicator on stderr, drawn only when stderr is a terminal.

    Never writes to stdout, so machine-readable output stays clean, and writes nothing at
    all when stderr is redirected or piped.
    """

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(isatty and isatty())
        self._width = 0

    def update(self, message: str, done: int | None = None, total: int | None = None) -> None:
        """Show ``message``, with a bar when ``done`` of ``total`` steps are finished."""
        if not self.enabled:
            return
        if done is not None and total:
            filled = round(20 * done / total)
            message = f"[{'#' * filled}{'.' * (20 - filled)}] {done}/{total} {message}"
        line = message[:100]
        self.stream.write("\r" + line.ljust(self._width))
        self.stream.flush()
        self._width = len(line)

    def clear(self) -> None:
        """Erase the line, before the results or an error are printed."""
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0


def output_format(fmt: str | None, output: str | None) -> str:
    """The format ``--output``'s extension names, else ``--format``, else ``table``.

    An extension that names no format (``.xlsx``) is an error, and so is one that
    contradicts ``--format``; a path without an extension takes ``--format``.
    """
    if output is None:
        return fmt or "table"
    suffix = Path(output).suffix.lower()
    named = _SUFFIX_FORMATS.get(suffix)
    accepted = ", ".join(_SUFFIX_FORMATS)
    if named is None and (suffix or fmt is None):
        found = f"the extension {suffix!r}" if suffix else "no extension"
        msg = (
            f"--output {output!r} has {found}: the format follows the extension, one of "
            f"{accepted} (.txt for the table)"
        )
        raise CliError(msg)
    if named is not None and fmt is not None and fmt != named:
        msg = f"--format {fmt} does not match --output {output!r}, which names {named}"
        raise CliError(msg)
    return named or fmt or "table"


def table(result: pl.DataFrame, header: str) -> str:
    """The header and a selection of the result's columns, rounded, as a Polars table."""
    shown = [c for c in TABLE_COLUMNS if c in result.columns]
    rounded = result.select(shown).with_columns(
        pl.col(c).round(_DECIMALS.get(c, 3))
        for c, t in result.select(shown).schema.items()
        if t == pl.Float64
    )
    with pl.Config(
        tbl_rows=-1,
        tbl_cols=-1,
        tbl_hide_dataframe_shape=True,
        tbl_width_chars=200,
        float_precision=None,
    ):
        return f"{header}\n{rounded}\n"


def write(result: pl.DataFrame, fmt: str, header: str, output: str | None) -> None:
    """Write the result in ``fmt`` to ``output``, or to stdout when it is None."""
    if fmt == "parquet":
        buffer = io.BytesIO()
        result.write_parquet(buffer)
        data = buffer.getvalue()
        if output is None:
            if sys.stdout.isatty():
                msg = "parquet is binary: write it to a file with --output PATH.parquet"
                raise CliError(msg)
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            Path(output).write_bytes(data)
        return
    if fmt == "csv":
        text = result.write_csv()
    elif fmt == "json":
        text = result.write_json() + "\n"
    else:
        text = table(result, header)
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        Path(output).write_text(text, encoding="utf-8")


def require_matplotlib() -> None:
    """Fail before the work when ``--plot`` cannot be drawn."""
    try:
        __import__("matplotlib")
    except ImportError:
        msg = 'drawing --plot needs matplotlib: pip install "polars-alpha[plot]"'
        raise CliError(msg) from None


def check_plot(path: str) -> None:
    """Fail before the work when ``--plot`` cannot be drawn: a file ending in .png, .svg or
    .pdf (the format follows the extension), and matplotlib installed."""
    try:
        _validate.chart_path(path, "--plot")
    except ValueError:
        suffix = Path(path).suffix
        found = f"the extension {suffix!r}" if suffix else "no extension"
        accepted = ", ".join(_validate.CHART_FORMATS)
        msg = (
            f"--plot {path!r} has {found}: the charts are written as PNG, SVG or PDF, "
            f"so end the file name in {accepted}"
        )
        raise CliError(msg) from None
    require_matplotlib()


def draw_charts(
    path: str,
    frame: pl.DataFrame,
    result: pl.DataFrame,
    date: Any,
    fit_options: Mapping[str, Any],
) -> None:
    """The screen report's charts for the first five tickers of ``result``, to ``path``
    (PNG, SVG or PDF, from its extension; see :func:`check_plot`).

    ``fit_options`` are the screen's keyword arguments that :func:`fit_history` shares
    (benchmark, risk-free rate, window, ...), so the charts show the fits the screen made.
    """
    from polars_alpha.plot import screen_report  # matplotlib is an optional extra

    top: Sequence[str] = [str(t) for t in result.get_column("ticker").head(5)]
    end = date if isinstance(date, dt.date) else None
    start = None
    if end is not None:
        start = dt.date(end.year - 5, end.month, min(end.day, 28))
    fits = fit_history(frame, tickers=top, start=start, end=end, **fit_options)
    screen_report(result, fits, top, path=path)
