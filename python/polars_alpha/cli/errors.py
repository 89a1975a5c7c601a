"""The command's user errors, shared by every module of the package."""

from __future__ import annotations

__all__ = ["EXIT_ERROR", "CliError", "first_line"]

#: The exit status of a user error.
EXIT_ERROR = 2


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


def first_line(error: BaseException) -> str:
    """The first line of an error's message, or its type's name when it has none.

    Polars' messages run over several lines (plans, context stacks); the command prints one.
    """
    text = str(error).strip()
    if not text:
        return type(error).__name__
    return text.splitlines()[0]
