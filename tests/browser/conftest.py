"""Browser tests: Debian's Chromium driven by Playwright, one fresh profile per test.

Chromium comes from the system (``apt-get install chromium``), never from a download: Playwright's
wheel brings only its driver. Without a Chromium the tests skip and say so, unless
``ACTIVEPIECES_REQUIRE_CHROMIUM=1`` (CI sets it), where a missing browser is a failure.
The browser may only reach loopback addresses: anything else (a logo on a CDN) is aborted.
"""

from __future__ import annotations

import os
import secrets
import shutil
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

# Headless, no sandbox (root in CI containers), and nothing that phones home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
DEFAULT_TIMEOUT_MS = 60_000  # a cold server and a browser share 2 cores in CI
KEY_OPTION = "--activepieces-emulator-api-key"  # the suite's fixed key (bench/secret_leak_check.py)


def chromium_path() -> str | None:
    """The system Chromium: ``$ACTIVEPIECES_CHROMIUM``, else ``chromium`` on PATH."""
    given = os.environ.get("ACTIVEPIECES_CHROMIUM")
    if given:
        return given if Path(given).exists() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        reason = (
            "no Chromium on this machine (apt-get install chromium, or set ACTIVEPIECES_CHROMIUM)"
        )
        if os.environ.get("ACTIVEPIECES_REQUIRE_CHROMIUM") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Any]:
    """Playwright's driver process (started and stopped through its own handle), per module so
    nothing of it outlives the browser tests."""
    from playwright.sync_api import sync_playwright

    driver = sync_playwright().start()
    try:
        yield driver
    finally:
        driver.stop()


@pytest.fixture(scope="module")
def api_key(request: pytest.FixtureRequest) -> str:
    """The key typed into the forms: the suite's fixed key if given, else a recognisable one."""
    given: str | None = request.config.getoption(KEY_OPTION, default=None)
    if given:
        return given
    alphabet = string.ascii_letters + string.digits
    return "sk-BROWSERTEST" + "".join(secrets.choice(alphabet) for _ in range(32))


@pytest.fixture(scope="module")
def server_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Homes and logs of the module's servers; under ACTIVEPIECES_TESTS_HOME when that is set,
    so the secret-leak check searches their databases and logs too."""
    name: str = request.module.__name__.rsplit(".", 1)[-1]
    home = os.environ.get("ACTIVEPIECES_TESTS_HOME")
    if home:
        root = Path(home) / "browser" / name
        root.mkdir(parents=True, exist_ok=True)
        return root
    return tmp_path_factory.mktemp(name)


class Screenshots:
    """Screenshots of one test, kept in its tmp dir whatever the outcome."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.page: Any = None  # the page to capture when the test fails

    def take(self, page: Any, name: str) -> Path:
        path = self.directory / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(tmp_path: Path) -> Screenshots:
    directory = tmp_path / "screenshots"
    directory.mkdir()
    return Screenshots(directory)


def _only_loopback(route: Any) -> None:
    host = urlsplit(route.request.url).hostname or ""
    if route.request.url.startswith(("data:", "blob:")) or host in LOOPBACK:
        route.continue_()
    else:
        route.abort()


@pytest.fixture
def page(
    chromium: str, playwright_driver: Any, tmp_path: Path, shots: Screenshots
) -> Iterator[Any]:
    """A page in a Chromium with a fresh profile (``--user-data-dir`` under the test's tmp dir)."""
    from playwright.sync_api import expect

    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
    context = playwright_driver.chromium.launch_persistent_context(
        str(tmp_path / "chromium-profile"),
        executable_path=chromium,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 1400},
    )
    try:
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        context.route("**/*", _only_loopback)
        shots.page = context.pages[0] if context.pages else context.new_page()
        yield shots.page
    finally:
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    """On a failure: one more screenshot of the page as it was, and where the screenshots are."""
    report = yield
    funcargs = getattr(item, "funcargs", {})
    taken = funcargs.get("shots")
    if report.failed and isinstance(taken, Screenshots):
        if report.when == "call" and taken.page is not None:
            try:
                taken.take(taken.page, "at-failure")
            except Exception as exc:  # the page may be gone; the report matters more
                report.sections.append(("screenshots", f"no failure screenshot: {exc}"))
        report.sections.append(("screenshots", f"kept in {taken.directory}"))
    return report
