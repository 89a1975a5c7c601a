"""MkDocs hook: render the docstrings' Sphinx roles (:func:`name`) as plain code.

The docstrings are numpydoc, read by mkdocstrings, which leaves a role's prefix in the text
(``:func:``). This drops the prefix and, for ``~package.module.name``, shows only ``name``,
as Sphinx does.
"""

from __future__ import annotations

import re
from typing import Any

ROLE = re.compile(r":(?:func|class|meth|mod|attr|data|obj|exc):<code>(~?)([^<]*)</code>")


def _plain(match: re.Match[str]) -> str:
    tilde, target = match.groups()
    return f"<code>{target.rsplit('.', 1)[-1] if tilde else target}</code>"


def on_page_content(html: str, **kwargs: Any) -> str:
    return ROLE.sub(_plain, html)
