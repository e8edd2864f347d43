"""The replace body a state sends: made once per state (a template goes to every tenant),
encoded once per transport encoder, and never stale after a copy with changes."""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from typing import Any

import pytest
from contents_seed import piece_flow

from activepieces_core import _http
from activepieces_core._encoded import EncodedBody
from activepieces_core.models.contents import ProjectState


def _state() -> ProjectState:
    return ProjectState(source_activepieces_version="0.78.0", flows=[piece_flow("a", "A")])


def test_the_wire_body_is_the_body_made_once() -> None:
    state = _state()

    assert state.wire_body == state.to_body()
    assert state.wire_body is state.wire_body
    assert state == _state()  # the kept body is no part of equality


def test_an_updated_copy_sends_its_own_body() -> None:
    state = _state()
    sent = state.wire_body

    moved = state.model_copy(update={"source_activepieces_version": "0.79.0"})

    assert moved.wire_body["sourceActivepiecesVersion"] == "0.79.0"
    assert state.wire_body is sent
    assert sent["sourceActivepiecesVersion"] == "0.78.0"


def test_a_body_is_encoded_once_per_encoder() -> None:
    calls: list[str] = []

    def encoder(name: str) -> Any:
        def encode(body: Mapping[str, Any]) -> bytes:
            calls.append(name)
            return json.dumps(body).encode()

        return encode

    body = EncodedBody({"flows": []})
    first, second = encoder("first"), encoder("second")

    assert body.encoded(first) == body.encoded(first) == b'{"flows": []}'
    assert body.encoded(second) == b'{"flows": []}'
    assert calls == ["first", "second"]
    assert json.loads(json.dumps(body)) == {"flows": []}  # a plain dict to any other transport


@pytest.mark.activepieces_emulator(environments=True)
async def test_a_state_replaced_into_many_projects_is_encoded_once(
    api: Any, emu: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every transport (sync, aiohttp, httpx) sends a state's body as encoded the first time,
    and each project receives the whole of it."""
    encoded: list[int] = []
    encode = _http._encode

    def counting(body: Mapping[str, Any]) -> bytes:
        encoded.append(len(body))
        return encode(body)

    monkeypatch.setattr(_http, "_encode", counting)
    state = _state()
    for n in range(3):
        made = api.client.projects.ensure(f"t-{n}", f"T {n}")
        project = (await made if inspect.isawaitable(made) else made).project
        replaced = api.client.projects.replace(project.id, state)
        result = await replaced if inspect.isawaitable(replaced) else replaced
        assert result.applied.flows_created == 1  # the whole body arrived
    assert emu.requests.count(route="projects.replace") == 3
    assert encoded.count(len(state.to_body())) == 1  # the creates' bodies have other keys
