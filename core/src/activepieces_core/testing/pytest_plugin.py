"""pytest plugin (entry point ``pytest11``): the Activepieces emulator as fixtures.

``activepieces_emulator``: the session's emulator, reset to its initial state (faults and request
log cleared) before each test. ``activepieces_emulator_server``: the same server, never reset.
``@pytest.mark.activepieces_emulator(environments=True, global_connections=True)`` turns those
plan flags on for the test (after the reset). ``--activepieces-emulator-api-key KEY`` fixes its platform API key (default: derived from the
random seed), e.g. to search a run's logs and databases for a recognisable key afterwards.
The server is imported lazily, so merely installing the package costs a test run nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .server import Emulator


KEY_OPTION = "--activepieces-emulator-api-key"


MARKER = "activepieces_emulator"
_PLAN_FLAGS = {
    "environments": "environments_enabled",
    "global_connections": "global_connections_enabled",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(environments=False, global_connections=False): plan flags of the emulator's "
        "default platform for this test",
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("activepieces").addoption(
        KEY_OPTION,
        default=None,
        metavar="KEY",
        help="API key of the session emulator's platform (sk-...; default: derived from the seed)",
    )


@pytest.fixture(scope="session")
def activepieces_emulator_server(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """One emulator (seed 0) for the whole session; state persists between tests."""
    from .server import Emulator

    with Emulator(seed=0, api_key=request.config.getoption(KEY_OPTION)) as emulator:
        yield emulator


@pytest.fixture
def activepieces_emulator(
    activepieces_emulator_server: Emulator, request: pytest.FixtureRequest
) -> Emulator:
    """The session emulator, reset for this test (same URL and API key every time); the
    test's ``activepieces_emulator`` marker sets plan flags of the default platform."""
    activepieces_emulator_server.reset()
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        unknown = set(marker.kwargs) - set(_PLAN_FLAGS)
        if unknown:
            raise TypeError(f"unknown {MARKER} option(s): {sorted(unknown)}")
        settings: dict[str, Any] = {_PLAN_FLAGS[k]: bool(v) for k, v in marker.kwargs.items()}
        activepieces_emulator_server.state.configure_platform(None, **settings)
    return activepieces_emulator_server
