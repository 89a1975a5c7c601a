"""The documentation site (mkdocs.yml, docs/): the API reference covers every public name,
every example runs and prints what the page shows, and the site builds in strict mode."""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import io
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# The package the suite tests: the installed one (`make test-wheel` runs this suite from a copy
# of tests/ and docs/ beside an installed wheel), else the source tree's.
_SPEC = importlib.util.find_spec("polars_alpha")
PACKAGE = (
    Path(_SPEC.origin).parent
    if _SPEC is not None and _SPEC.origin is not None
    else ROOT / "python" / "polars_alpha"
)
# A clone, not a copy of the suite beside an installed wheel: what only the repository has.
SOURCE_TREE = (ROOT / "pyproject.toml").exists()
PAGES = sorted(DOCS.rglob("*.md"))
REFERENCE = sorted((DOCS / "reference").glob("*.md"))
COMMAND_PAGE = DOCS / "command.md"

# A fenced block: its info string (language) and body. Every fence in docs/ starts a line.
FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```[ \t]*\n", re.MULTILINE | re.DOTALL)
# A mkdocstrings directive (`::: polars_alpha.name`) and the `members:` list under it.
DIRECTIVE = re.compile(r"^::: (?P<path>[\w.]+)\n(?P<options>(?:[ \t]+\S.*\n)*)", re.MULTILINE)
MEMBER = re.compile(r"^[ \t]+- (\w+)$", re.MULTILINE)


def _page_id(page: Path) -> str:
    return page.relative_to(DOCS).as_posix()


def _blocks(text: str) -> list[tuple[str, str, str | None]]:
    """Each fenced block as (language, body, output): ``output`` is the body of a ``text``
    block that directly follows (blank lines aside), the output the example prints."""
    matches = list(FENCE.finditer(text))
    blocks = []
    for i, match in enumerate(matches):
        language = match.group("info").strip()
        output = None
        if i + 1 < len(matches):
            following = matches[i + 1]
            between = text[match.end() : following.start()]
            if following.group("info").strip() == "text" and not between.strip():
                output = following.group("body")
        blocks.append((language, match.group("body"), output))
    return blocks


def _module_all(path: Path) -> list[str]:
    """The names in a module's ``__all__``, read from its source (no import needed)."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            value = ast.literal_eval(node.value)
            assert isinstance(value, list)
            return [str(name) for name in value]
    msg = f"{path} has no __all__"
    raise AssertionError(msg)


def _documented() -> tuple[set[str], dict[str, set[str]]]:
    """The directive paths of the reference pages, and the members listed under each."""
    paths: set[str] = set()
    members: dict[str, set[str]] = {}
    for page in REFERENCE:
        for match in DIRECTIVE.finditer(page.read_text(encoding="utf-8")):
            path = match.group("path")
            paths.add(path)
            members.setdefault(path, set()).update(MEMBER.findall(match.group("options")))
    return paths, members


# ---------------------------------------------------------------------------------------------
# (a) The API reference covers the public API


def test_reference_covers_every_public_name() -> None:
    paths, members = _documented()
    public = _module_all(PACKAGE / "__init__.py")
    assert public, "polars_alpha.__all__ is empty"
    missing = [
        name
        for name in public
        if not any(path == f"polars_alpha.{name}" or path.endswith(f".{name}") for path in paths)
        and not any(name in listed for listed in members.values())
    ]
    assert not missing, (
        f"not in docs/reference/*.md (add a `::: polars_alpha.x` directive): {missing}"
    )


@pytest.mark.parametrize("module", ["datasets", "plot", "numpy"])
def test_reference_covers_the_modules(module: str) -> None:
    paths, members = _documented()
    name = f"polars_alpha.{module}"
    assert name in paths, f"no `::: {name}` directive in docs/reference/"
    listed = members[name]
    missing = [m for m in _module_all(PACKAGE / f"{module}.py") if m not in listed]
    assert not missing, f"{name}'s __all__ names missing from its members list: {missing}"


def test_every_page_is_in_the_navigation() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    not_listed = [_page_id(p) for p in PAGES if _page_id(p) not in config]
    assert not not_listed, f"pages missing from mkdocs.yml's nav: {not_listed}"


# ---------------------------------------------------------------------------------------------
# (b) Every example runs, and prints what the page shows

PYTHON_PAGES = [
    p for p in PAGES if any(lang == "python" for lang, _, _ in _blocks(p.read_text("utf-8")))
]


def test_the_guide_has_examples_with_output() -> None:
    # The tests below would pass vacuously if the fences stopped being recognized.
    shown = [
        out
        for p in PYTHON_PAGES
        for lang, _, out in _blocks(p.read_text("utf-8"))
        if lang == "python" and out
    ]
    assert len(PYTHON_PAGES) >= 8
    assert len(shown) >= 15


@pytest.mark.parametrize("page", PYTHON_PAGES, ids=_page_id)
def test_page_examples_run_and_print_what_they_show(
    page: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("polars_alpha", reason="the compiled extension is not built")
    # A page reads like a notebook: its blocks run in order in one namespace, so a block may
    # use what an earlier one defined.
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for number, (language, code, expected) in enumerate(_blocks(page.read_text("utf-8")), 1):
        if language != "python":
            continue
        where = f"{_page_id(page)}, python block {number}"
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile(code, where, "exec"), namespace)
        if expected is not None:
            assert buffer.getvalue() == expected, f"{where} printed something else"


def _command_examples() -> list[tuple[str, str, str]]:
    """Shell examples with their output: a ``bash`` block of one ``polars-alpha`` command
    followed by a ``text`` block (stdout), and ``$ polars-alpha ...`` lines of ``console``
    blocks followed by their output (stdout and stderr)."""
    examples = []
    for page in PAGES:
        for language, body, output in _blocks(page.read_text("utf-8")):
            lines = body.splitlines()
            if language == "bash" and output is not None and len(lines) == 1:
                examples.append((_page_id(page), lines[0], output))
            if language == "console":
                for command, result in re.findall(r"^\$ (.*)\n((?:(?!\$ ).*\n)*)", body, re.M):
                    examples.append((_page_id(page), command, result))
    return [e for e in examples if e[1].startswith("polars-alpha ")]


COMMAND_EXAMPLES = _command_examples()
# What the `polars-alpha` console script does.
SCRIPT = (
    "import sys; from polars_alpha.cli import main; sys.argv[0] = 'polars-alpha'; sys.exit(main())"
)


def test_the_docs_show_command_output() -> None:
    assert len(COMMAND_EXAMPLES) >= 2


@pytest.mark.parametrize(
    ("page", "command", "expected"), COMMAND_EXAMPLES, ids=[c for _, c, _ in COMMAND_EXAMPLES]
)
def test_command_examples_print_what_they_show(
    page: str, command: str, expected: str, tmp_path: Path
) -> None:
    pytest.importorskip("polars_alpha", reason="the compiled extension is not built")
    arguments = shlex.split(command)[1:]
    # As the installed `polars-alpha` script runs it (the messages name the program), in an
    # empty working directory: a file named in an example must not exist by accident.
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, *arguments],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "100"},
        check=False,
    )
    assert result.stdout + result.stderr == expected, f"{page}: `{command}` printed otherwise"


def test_command_reference_lists_every_option() -> None:
    pytest.importorskip("polars_alpha", reason="the compiled extension is not built")
    page = COMMAND_PAGE.read_text(encoding="utf-8")
    options: set[str] = set()
    for arguments in (["--help"], ["screen", "--help"], ["report", "--help"], ["signal", "--help"]):
        result = subprocess.run(
            [sys.executable, "-m", "polars_alpha", *arguments],
            capture_output=True,
            text=True,
            check=True,
        )
        options |= set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", result.stdout))
    options -= {"--help"}
    assert "--benchmark" in options
    missing = sorted(o for o in options if not re.search(rf"(?<![\w-]){o}(?![\w-])", page))
    assert not missing, f"options missing from docs/command.md: {missing}"


# ---------------------------------------------------------------------------------------------
# (c) The site builds without a warning


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    if not SOURCE_TREE:
        pytest.skip("the site builds from a clone (mkdocs.yml reads python/)")
    for module in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python"):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            pytest.skip(f'{module} is not installed (pip install -e ".[docs]")')
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    assert (tmp_path / "reference" / "regression" / "index.html").exists()


# ---------------------------------------------------------------------------------------------
# The README's links


def test_readme_links_resolve() -> None:
    if not SOURCE_TREE:
        pytest.skip("the README links files of the repository")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    local = [t for t in targets if "://" not in t]
    assert local, "the README links no docs page"
    broken = [t for t in local if not (ROOT / t).exists()]
    assert not broken, f"README links to missing files: {broken}"
