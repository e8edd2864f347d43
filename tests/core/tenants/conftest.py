"""Fixtures for the tenant engine tests: a client bound to the per-test emulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from activepieces_core import ActivepiecesClient


def client_for(emu: Any, **overrides: Any) -> ActivepiecesClient:
    """A client for ``emu`` with near-zero backoff (no real sleeping in tests)."""
    options: dict[str, Any] = {
        "api_key": emu.api_key,
        "base_url": emu.url,
        "timeout": 2.0,
        "max_retries": 6,
        "backoff_base": 0.001,
        "backoff_max": 0.01,
    }
    options.update(overrides)
    return ActivepiecesClient(**options)


@pytest.fixture
def make_client(activepieces_emulator: Any) -> Callable[..., ActivepiecesClient]:
    """Factory: ``make_client(timeout=0.5)`` -> a client for this test's emulator."""
    return lambda **overrides: client_for(activepieces_emulator, **overrides)


@pytest.fixture
def client(activepieces_emulator: Any) -> Iterator[ActivepiecesClient]:
    with client_for(activepieces_emulator) as c:
        yield c


@pytest.fixture
def writes(activepieces_emulator: Any) -> Callable[[], int]:
    """Count of write requests (create / update / delete) in the emulator's request log."""
    log = activepieces_emulator.requests
    return lambda: sum(log.count(route=r) for r in ("create", "update", "delete"))
