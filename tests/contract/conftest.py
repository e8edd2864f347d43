"""``contract_oracle``: upstream's zod schemas, one ``node`` process for the session;
``recorder`` + ``client``/``aclient``: real clients on the per-test emulator whose every
exchange is kept for the oracle to judge.

Without ``tests/contract/node_modules`` (``npm ci`` there) or ``node`` the contract tests skip
locally; with ``ACTIVEPIECES_REQUIRE_ORACLE=1`` (set by ``.ci/run``) they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
from exchanges import AsyncRecordingTransport, Recorder, RecordingTransport
from zod_oracle import ZodOracle, missing_reason

from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient
from activepieces_core.testing import Emulator


@pytest.fixture(scope="session")
def contract_oracle() -> Iterator[ZodOracle]:
    reason = missing_reason()
    if reason is not None:
        if os.environ.get("ACTIVEPIECES_REQUIRE_ORACLE") == "1":
            pytest.fail(f"contract oracle required (ACTIVEPIECES_REQUIRE_ORACLE=1): {reason}")
        pytest.skip(f"contract oracle unavailable: {reason}")
    oracle = ZodOracle()
    try:
        yield oracle
    finally:
        oracle.close()


@pytest.fixture
def emu(activepieces_emulator: Emulator) -> Emulator:
    return activepieces_emulator


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def client(emu: Emulator, recorder: Recorder) -> Iterator[ActivepiecesClient]:
    """A real client whose exchanges land in ``recorder``."""
    transport = RecordingTransport(recorder)
    with ActivepiecesClient(emu.api_key, emu.url, http_transport=transport) as the_client:
        yield the_client


@pytest.fixture
async def aclient(emu: Emulator, recorder: Recorder) -> AsyncIterator[AsyncActivepiecesClient]:
    """The async client, recording into the same ``recorder``."""
    transport = AsyncRecordingTransport(recorder)
    async with AsyncActivepiecesClient(
        emu.api_key, emu.url, http_transport=transport
    ) as the_client:
        yield the_client
