"""Raw httpx clients over real HTTP against the per-test emulator.

The clients live for the session (the emulator's URL and key never change across resets), so
tests do not pay for a new client and TLS context each time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from activepieces_core.testing import Emulator


def raw_client(emu: Emulator, api_key: str | None = None) -> httpx.Client:
    """A plain httpx client for ``emu``'s API root; ``api_key=""`` sends no Authorization."""
    key = emu.api_key if api_key is None else api_key
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=emu.url, headers=headers, timeout=5.0, verify=False)


@pytest.fixture(scope="session")
def _session_clients(
    activepieces_emulator_server: Emulator,
) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    with (
        raw_client(activepieces_emulator_server) as api,
        raw_client(activepieces_emulator_server, api_key="") as anon,
    ):
        yield api, anon


@pytest.fixture
def emu(activepieces_emulator: Emulator) -> Emulator:
    return activepieces_emulator


@pytest.fixture
def api(emu: Emulator, _session_clients: tuple[httpx.Client, httpx.Client]) -> httpx.Client:
    """Raw client with the default platform's key."""
    return _session_clients[0]


@pytest.fixture
def anon(emu: Emulator, _session_clients: tuple[httpx.Client, httpx.Client]) -> httpx.Client:
    """No Authorization header at all."""
    return _session_clients[1]


@pytest.fixture
def make_api(emu: Emulator) -> Iterator[Callable[[str], httpx.Client]]:
    """``make_api(key)`` -> a raw client with that API key (closed after the test)."""
    opened: list[httpx.Client] = []

    def make(key: str) -> httpx.Client:
        client = raw_client(emu, api_key=key)
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.close()
