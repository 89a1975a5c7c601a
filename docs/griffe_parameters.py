"""Griffe extension: document parameters listed together one by one.

A numpydoc entry may name several parameters (``figsize, dpi``) under one description.
Griffe gives every name of such an entry the annotation and default of the first, so the API
reference would show wrong types and defaults; this repeats the entry for each name instead,
and each takes its own from the signature.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

HEADER = re.compile(r"^(\w[\w ]*)\n-+$", re.MULTILINE)
GROUP = re.compile(r"^(\w+(?:, \w+)+)\n((?:[ \t]+\S.*\n)*)", re.MULTILINE)


def split_groups(text: str) -> str:
    """``text`` with each grouped entry of its Parameters section repeated per name."""
    sections = list(HEADER.finditer(text))
    for i, header in reversed(list(enumerate(sections))):
        if header.group(1) != "Parameters":
            continue
        end = sections[i + 1].start() if i + 1 < len(sections) else len(text)
        body = text[header.end() + 1 : end]
        body = GROUP.sub(
            lambda m: "".join(f"{name}\n{m.group(2)}" for name in m.group(1).split(", ")),
            body,
        )
        text = text[: header.end() + 1] + body + text[end:]
    return text


class SplitGroupedParameters(griffe.Extension):
    def on_function_instance(self, *, func: griffe.Function, **kwargs: Any) -> None:
        if func.docstring is not None:
            func.docstring.value = split_groups(func.docstring.value)
