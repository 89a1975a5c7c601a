"""``polars-alpha --version``: the version of the build that runs, as the installer recorded it."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import polars_alpha


def test_version_agrees_with_the_installed_metadata() -> None:
    # __version__ comes from the compiled module, the metadata from the wheel: a stale build
    # beside a newer install (or the reverse) shows up as a difference here.
    assert polars_alpha.__version__ == importlib.metadata.version("polars-alpha")


def test_version_option_prints_the_package_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "polars_alpha", "--version"], capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr == b""
    assert result.stdout.decode() == f"python -m polars_alpha {polars_alpha.__version__}\n"
    script = Path(sys.executable).parent / "polars-alpha"
    assert script.exists(), f"{script} is missing: reinstall the package (make install)"
    installed = subprocess.run([str(script), "--version"], capture_output=True, check=False)
    assert installed.returncode == 0, installed.stderr.decode()
    assert installed.stdout.decode() == f"polars-alpha {polars_alpha.__version__}\n"
