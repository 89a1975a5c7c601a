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
    "index",
    range(len(python_blocks_with_output())),
    ids=lambda i: python_blocks_with_output()[i][0].splitlines()[0][:40],
)
def test_readme_block_prints_what_it_shows(index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Blocks read like a notebook: a block may continue from the blocks before it, so those
    # run first, in the same namespace, with their output discarded.
    monkeypatch.chdir(ROOT)
    blocks = python_blocks_with_output()
    namespace: dict[str, object] = {"__name__": "__readme__"}
    with contextlib.redirect_stdout(io.StringIO()):
        for code, _ in blocks[:index]:
            exec(compile(code, "README.md", "exec"), namespace)
    code, expected = blocks[index]
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(code, "README.md", "exec"), namespace)
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
