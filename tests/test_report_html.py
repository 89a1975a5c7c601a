"""The report's HTML page in a real browser (headless Chromium, Debian's ``chromium``): it
renders the summary's figures, a screenshot is a real picture with the chart in it, hostile
names show as text, and the page asks the network for nothing."""

from __future__ import annotations

import html.parser
import http.server
import math
import re
import shutil
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import polars_alpha as pa
from polars_alpha.report_html import SUMMARY_LABELS, format_value

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (.ci/run installs it)"
)

HOSTILE = "<script>alert(1)</script>"
HOSTILE_2 = '"><img src=x onerror=alert(2)>'

#: Chromium's own background requests (component updates, the clock, sign-in), which go
#: through the proxy whatever the page is; any other request came from the page.
BROWSER_HOSTS = ("google.com", "googleapis.com", "gvt1.com", "gstatic.com")


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[bytes]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        timeout=180,
        check=True,
    )


class Dom(html.parser.HTMLParser):
    """Every element's tag and attributes, and the summary table's rows (name, cells)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.rows: list[tuple[str, list[tuple[str | None, str]]]] = []
        self.titles: list[str] = []
        self._table: str | None = None
        self._cell: tuple[str | None, list[str]] | None = None
        self._row: list[tuple[str | None, str]] | None = None
        self._name = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag == "table":
            self._table = attributes.get("id")
        elif tag == "tr" and self._table == "summary" and "data-name" in attributes:
            self._row, self._name = [], attributes["data-name"] or ""
        elif tag == "td" and self._row is not None:
            self._cell = (attributes.get("data-value"), [])
        elif tag == "h2":
            self._in_title = True
            self.titles.append("")

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell[1].append(data)
        if self._in_title:
            self.titles[-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._row is not None:
            self._row.append((self._cell[0], "".join(self._cell[1])))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append((self._name, self._row))
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "h2":
            self._in_title = False


def parse(page: str) -> Dom:
    dom = Dom()
    dom.feed(page)
    return dom


@pytest.fixture(scope="module")
def report() -> pa.StrategyReport:
    sample = pa.datasets.load_sp500_sample()
    names = {"XOM": HOSTILE, "AAPL": HOSTILE_2, "KO": "KO"}
    stocks = sample.stocks.filter(
        pl.col("ticker").is_in(list(names)), pl.col("date").dt.year() >= 2018
    ).with_columns(pl.col("ticker").replace(names))
    return pa.strategy_report(stocks, benchmark=sample.index)


@pytest.fixture(scope="module")
def page(report: pa.StrategyReport, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("page") / "report.html"
    report.to_html(
        path,
        strategy=HOSTILE,
        title="Funds & <i>strategies</i>",
        benchmark_name="<b>S&P 500</b>",
        source="funds<x>.csv",
    )
    return path


@pytest.fixture(scope="module")
def dom(page: Path, tmp_path_factory: pytest.TempPathFactory) -> Dom:
    profile = tmp_path_factory.mktemp("profile")
    result = chromium("--dump-dom", page.as_uri(), profile=profile)
    return parse(result.stdout.decode())


def test_the_rendered_page_holds_the_summary_figures(dom: Dom, report: pa.StrategyReport) -> None:
    summary = report.summary
    assert [name for name, _ in dom.rows] == summary.get_column("ticker").to_list()
    columns = [c for c in SUMMARY_LABELS if c in summary.columns]
    for (name, cells), row in zip(dom.rows, summary.iter_rows(named=True), strict=True):
        assert cells[0] == (None, name)  # the name cell, as text
        assert len(cells) == len(columns) + 1
        for column, (value, text) in zip(columns, cells[1:], strict=True):
            how = SUMMARY_LABELS[column][1]
            assert text == format_value(row[column], how), column
            if isinstance(row[column], float):
                assert value is not None and float(value) == row[column], column
    # The page's numbers are the figures: the Sharpe ratio's text for each strategy.
    sharpe = columns.index("sharpe") + 1
    assert [cells[sharpe][1] for _, cells in dom.rows] == [
        f"{v:.2f}" for v in summary.get_column("sharpe")
    ]
    assert all(math.isfinite(float(cells[sharpe][0] or "nan")) for _, cells in dom.rows)


def test_hostile_names_show_as_text(dom: Dom, page: Path) -> None:
    tags = [tag for tag, _ in dom.elements]
    assert "script" not in tags and "b" not in tags and "i" not in tags and "x" not in tags
    images = [attrs for tag, attrs in dom.elements if tag == "img"]
    assert len(images) == 1  # the chart, never the injected one
    handlers = [name for _, attrs in dom.elements for name in attrs if name.startswith("on")]
    assert handlers == []
    names = [name for name, _ in dom.rows]
    assert HOSTILE in names and HOSTILE_2 in names  # shown as the names they are
    assert any(HOSTILE in title for title in dom.titles)
    text = page.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;b&gt;S&amp;P 500&lt;/b&gt;" in text and "funds&lt;x&gt;.csv" in text


def test_the_page_references_nothing_outside_itself(page: Path, dom: Dom) -> None:
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page.read_text(encoding="utf-8"))
    assert "data:image/png;base64" not in text
    assert "http:" not in text and "https:" not in text and "//" not in text
    for _, attrs in dom.elements:
        for name in ("src", "href", "srcset", "action", "data"):
            value = attrs.get(name)
            assert value is None or value.startswith("data:image/png;base64,"), (name, value)
    assert "url(" not in text and "@import" not in text


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[str]

    def _record(self) -> None:
        self.seen.append(f"{self.command} {self.path}")
        self.send_response(404)
        self.end_headers()

    do_GET = do_POST = do_HEAD = do_CONNECT = _record  # noqa: N815 (http.server's names)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def proxy() -> Iterator[tuple[int, list[str]]]:
    """A proxy that answers every request with 404 and records it."""
    seen: list[str] = []
    handler = type("Recorder", (_Recorder,), {"seen": seen})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


def page_requests(seen: list[str]) -> list[str]:
    def host(request: str) -> str:
        target = request.split(" ", 1)[1]
        target = target.split("://", 1)[-1]
        return target.split("/", 1)[0].split(":", 1)[0]

    return [r for r in seen if not host(r).endswith(BROWSER_HOSTS)]


def test_the_browser_asks_the_network_for_nothing(
    page: Path, proxy: tuple[int, list[str]], tmp_path: Path
) -> None:
    port, seen = proxy
    route = (f"--proxy-server=http://127.0.0.1:{port}", "--proxy-bypass-list=<-loopback>")
    # The check can fail: a page with a remote image and style sheet is caught.
    control = tmp_path / "control.html"
    control.write_text(
        '<!DOCTYPE html><img src="http://example.invalid/a.png">'
        '<link rel="stylesheet" href="https://example.invalid/b.css">',
        encoding="utf-8",
    )
    chromium(*route, "--dump-dom", control.as_uri(), profile=tmp_path / "p1")
    assert any("example.invalid" in r for r in page_requests(seen)), seen
    seen.clear()
    chromium(*route, "--dump-dom", page.as_uri(), profile=tmp_path / "p2")
    assert page_requests(seen) == []


def test_a_screenshot_is_a_real_picture_of_the_report(page: Path, tmp_path: Path) -> None:
    image_module = pytest.importorskip("matplotlib.image")
    shot = tmp_path / "shot.png"
    chromium(
        f"--screenshot={shot}", "--window-size=1280,1400", page.as_uri(), profile=tmp_path / "p"
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = np.asarray(image_module.imread(shot))[..., :3]
    assert pixels.shape[:2] == (1400, 1280)
    assert float(pixels.std()) > 0.05
    inked = (pixels < 0.9).any(axis=2).mean()
    assert 0.02 < inked < 0.9
    # The chart's lines (matplotlib's first colour, #1f77b4) are on screen: the embedded
    # image was decoded and drawn.
    blue = np.abs(pixels - np.array([0x1F, 0x77, 0xB4]) / 255.0).max(axis=2) < 0.06
    assert blue.sum() > 200
    colours = np.unique((pixels * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 50


def test_the_command_writes_a_safe_page(tmp_path: Path) -> None:
    sample = pa.datasets.load_sp500_sample()
    wide = (
        sample.stocks.filter(
            pl.col("ticker").is_in(["KO", "PEP"]), pl.col("date").dt.year() >= 2021
        )
        .pivot(on="ticker", index="date", values="close")
        .rename({"KO": HOSTILE})
        .join(sample.index.rename({"sp500": "SPY"}), on="date")
        .sort("date")
    )
    source = tmp_path / "funds<i>.csv"
    wide.write_csv(source)
    page = tmp_path / "page.html"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "polars_alpha",
            "report",
            str(source),
            "--benchmark",
            "SPY",
            "--strategy",
            HOSTILE,
            "--html",
            str(page),
        ],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    dom = parse(chromium("--dump-dom", page.as_uri(), profile=tmp_path / "p").stdout.decode())
    assert "script" not in [tag for tag, _ in dom.elements]
    assert [name for name, _ in dom.rows] == sorted([HOSTILE, "PEP"])
    assert "funds&lt;i&gt;.csv" in page.read_text(encoding="utf-8")
