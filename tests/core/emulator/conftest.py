"""Raw httpx clients over real HTTP against the per-test emulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from activepieces_core.testing import Emulator


def raw_client(emu: Emulator, api_key: str | None = None) -> httpx.Client:
    """A plain httpx client for ``emu``'s API root; ``api_key=""`` sends no Authorization."""
    key = emu.api_key if api_key is None else api_key
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=emu.url, headers=headers, timeout=5.0)


@pytest.fixture
def emu(activepieces_emulator: Emulator) -> Emulator:
    return activepieces_emulator


@pytest.fixture
def api(emu: Emulator) -> Iterator[httpx.Client]:
    with raw_client(emu) as client:
        yield client


@pytest.fixture
def anon(emu: Emulator) -> Iterator[httpx.Client]:
    """No Authorization header at all."""
    with raw_client(emu, api_key="") as client:
        yield client


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
