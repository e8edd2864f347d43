"""The documentation site as a reader uses it: Debian's Chromium opens the built site (served by
a local HTTP server this module starts and stops), searches for "piece set" and lands on the
piece-sets guide. Screenshots: kept in the test's tmp dir, one more at a failure (conftest)."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # the test's output stays readable
        pass


@pytest.fixture(scope="module")
def docs_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The site built from this checkout, served on a free loopback port for the module."""
    site = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "-q",
            "-f",
            str(ROOT / "mkdocs.yml"),
            "-d",
            str(site),
        ],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"mkdocs build failed:\n{done.stdout}\n{done.stderr}"
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="docs-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_search_for_piece_set_lands_on_the_piece_sets_page(
    page: Any, docs_url: str, shots: Any
) -> None:
    from playwright.sync_api import expect

    page.goto(docs_url)
    expect(page.locator("h1")).to_contain_text("Activepieces tenants")
    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially("piece set")  # typed, as a reader would
    first = page.locator(".md-search-result__item a").first
    expect(first).to_be_visible()
    shots.take(page, "search-results")
    first.click()
    page.wait_for_url("**/piece-sets*/**")
    expect(page.locator("article h1")).to_contain_text("Piece sets")
    shots.take(page, "piece-sets-page")
    assert "piece-sets" in page.url, page.url
