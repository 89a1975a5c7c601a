"""The README's examples run and print exactly what the README shows."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")

# A fenced python block directly followed (after blank lines) by a fenced text block.
PAIR = re.compile(r"```python\n(?P<code>(?:(?!```).)*?)```\s*\n```text\n(?P<out>.*?)```", re.DOTALL)


def python_blocks_with_output() -> list[tuple[str, str]]:
    return [(m.group("code"), m.group("out")) for m in PAIR.finditer(README)]


def test_readme_has_examples_with_output() -> None:
    # The example-and-output pairs below must exist, or the tests of them would pass vacuously.
    assert len(python_blocks_with_output()) >= 2


@pytest.mark.parametrize(
    ("code", "expected"),
    python_blocks_with_output(),
    ids=lambda v: v.splitlines()[0][:40] if isinstance(v, str) else None,
)
def test_readme_block_prints_what_it_shows(
    code: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})
    assert buffer.getvalue() == expected


def test_quickstart_prints_the_readme_table() -> None:
    shown = README.split("make example")[1]
    expected = re.search(r"```text\n(.*?)```", shown, re.DOTALL)
    assert expected is not None
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == expected.group(1)
