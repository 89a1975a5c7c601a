"""``python -m polars_alpha``: the same command as the ``polars-alpha`` script."""

from __future__ import annotations

from polars_alpha.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
