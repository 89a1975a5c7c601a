"""Issue 23, item 7: `screen --plot` writes the format its extension names, and refuses others."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

MAGIC = {".png": (b"\x89PNG\r\n\x1a\n",), ".svg": (b"<?xml", b"<svg"), ".pdf": (b"%PDF",)}
PREFIX = "python -m polars_alpha: error: "


def run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "polars_alpha", *args], capture_output=True, check=False
    )


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf", ".PDF"])
def test_plot_writes_the_extensions_format(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"screen{suffix}"
    result = run("screen", "--top", "6", "--plot", str(path))
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().startswith("Screen as of 2017-03-29")
    data = path.read_bytes()
    assert data.startswith(MAGIC[suffix.lower()])
    if suffix == ".svg":
        assert b"<svg" in data[:2000]
    assert len(data) > 20_000


@pytest.mark.parametrize("name", ["screen.jpg", "screen.jpeg", "screen.gif", "screen"])
def test_plot_refuses_other_extensions(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    result = run("screen", "--plot", str(path))
    assert result.returncode == 2
    assert result.stdout == b""
    err = result.stderr.decode()
    assert err.startswith(PREFIX)
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert ".png, .svg, .pdf" in err
    assert f"--plot {str(path)!r}" in err
    assert not path.exists()


def test_plot_help_names_the_formats() -> None:
    out = run("screen", "--help").stdout.decode()
    assert ".png, .svg or .pdf" in out
