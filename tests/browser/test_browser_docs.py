"""The documentation site as a reader uses it: Debian's Chromium opens the built site (served by
a local HTTP server this module starts and stops), searches for "piece set" and lands on the
piece-sets guide. Screenshots: kept in the test's tmp dir, one more at a failure (conftest)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # the test's output stays readable
        pass


@pytest.fixture(scope="module")
def docs_url(docs_site: Path) -> Iterator[str]:
    """The site built from this checkout (the session's ``docs_site``), served on a free
    loopback port for the module."""
    handler = functools.partial(_QuietHandler, directory=str(docs_site))
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
