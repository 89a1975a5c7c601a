"""Check a built wheel holds what users need, and print its size.

    python scripts/check_wheel.py dist/polars_alpha-*.whl

It checks what an editable install cannot show: the wheel is tagged abi3 (one wheel for every
CPython from 3.10), holds the compiled module, its stub ``_internal.pyi`` and ``py.typed``, every
file of the package's source tree (the modules and the bundled data in ``data/``), and declares
the ``polars-alpha`` console script. Exits 1 with the list of problems otherwise.
"""

from __future__ import annotations

import configparser
import sys
import zipfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "python" / "polars_alpha"
REQUIRED = ("polars_alpha/_internal.abi3.so", "polars_alpha/_internal.pyi", "polars_alpha/py.typed")
CONSOLE_SCRIPT = ("polars-alpha", "polars_alpha.cli:main")


def source_files() -> list[str]:
    """The package's files as the wheel names them, without build products and caches."""
    return sorted(
        path.relative_to(PACKAGE.parent).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in {".so", ".pyc"}
    )


def problems(wheel: Path) -> list[str]:
    found: list[str] = []
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = next(n for n in names if n.endswith(".dist-info/WHEEL"))
        tags = [
            line.split(":", 1)[1].strip()
            for line in archive.read(info).decode().splitlines()
            if line.startswith("Tag:")
        ]
        entry_points = next((n for n in names if n.endswith(".dist-info/entry_points.txt")), None)
        scripts = configparser.ConfigParser()
        if entry_points:
            scripts.read_string(archive.read(entry_points).decode())
    if not tags or not all(tag.startswith("cp310-abi3-") for tag in tags):
        found.append(f"not tagged cp310-abi3: {tags}")
    if "-cp310-abi3-" not in wheel.name:
        found.append(f"the file name has no cp310-abi3 tag: {wheel.name}")
    missing = [name for name in dict.fromkeys((*REQUIRED, *source_files())) if name not in names]
    if missing:
        found.append(f"missing from the wheel: {missing}")
    name, target = CONSOLE_SCRIPT
    if scripts.get("console_scripts", name, fallback=None) != target:
        found.append(f"no console script {name} = {target} in entry_points.txt")
    return found


def main(paths: list[str]) -> int:
    if len(paths) != 1:
        print(f"usage: {sys.argv[0]} WHEEL (one wheel, got {len(paths)})", file=sys.stderr)
        return 2
    wheel = Path(paths[0])
    found = problems(wheel)
    for problem in found:
        print(f"{wheel.name}: {problem}", file=sys.stderr)
    size = wheel.stat().st_size
    print(f"wheel size: {size / 1e6:.1f} MB ({size:,} bytes), {wheel.name}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
