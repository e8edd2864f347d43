"""Keyset pagination: order, cursors, limits, garbage cursors, filters."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from activepieces_core.testing import Emulator

N = 250


@pytest.fixture
def many(emu: Emulator) -> list[tuple[str, str, str]]:
    """250 TEAM projects plus the seeded PERSONAL ones: the expected (type, name, id) order."""
    for i in range(N):
        emu.state.add_project(f"Tenant {i % 100:03d}", external_id=f"t{i}")
    return [(p["type"], p["displayName"], p["id"]) for p in _all(emu)]


def _all(emu: Emulator) -> list[dict[str, Any]]:
    return emu.state.projects()


def _keys(page: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(p["type"], p["displayName"], p["id"]) for p in page["data"]]


def _walk(api: httpx.Client, limit: int | None) -> Iterator[dict[str, Any]]:
    params: dict[str, Any] = {} if limit is None else {"limit": limit}
    page = api.get("/projects", params=params).json()
    yield page
    while page["next"]:
        page = api.get("/projects", params={**params, "cursor": page["next"]}).json()
        yield page


def test_order_is_type_name_id(many: list[tuple[str, str, str]]) -> None:
    assert many == sorted(many)
    assert many[0][0] == "PERSONAL"
    assert many[-1][0] == "TEAM"
    assert len(many) == N + 3


@pytest.mark.parametrize("limit", [None, 7, 100, 1000])
def test_walk_forwards_then_backwards(
    api: httpx.Client, many: list[tuple[str, str, str]], limit: int | None
) -> None:
    pages = list(_walk(api, limit))
    size = 50 if limit is None else limit
    assert [len(p["data"]) for p in pages[:-1]] == [size] * (len(pages) - 1)
    assert [k for p in pages for k in _keys(p)] == many
    assert pages[0]["previous"] is None
    assert pages[-1]["next"] is None
    # backwards from the last page, following `previous`
    page = pages[-1]
    seen = _keys(page)
    while page["previous"]:
        page = api.get("/projects", params={"limit": size, "cursor": page["previous"]}).json()
        assert len(page["data"]) == size
        assert page["next"] is not None  # a before-page always has `next`
        seen = _keys(page) + seen
    assert seen == many


def test_cursor_encoding_is_double_base64(api: httpx.Client, many: list[Any]) -> None:
    page = api.get("/projects", params={"limit": 2}).json()
    outer = base64.b64decode(page["next"]).decode()
    assert outer.startswith("next_")
    inner = base64.b64decode(outer[len("next_") :]).decode()
    assert inner == json.dumps(
        {"type": many[1][0], "displayName": many[1][1], "id": many[1][2]}, separators=(",", ":")
    )


def test_known_cursor_example_decodes() -> None:
    from activepieces_core.testing.pagination import (
        decode_cursor,
        project_cursor,
        project_cursor_key,
    )

    key = ("TEAM", "Acme Corp", "4nS0uVvXkQ3a2bC1dE5fG")
    expected = (
        "bmV4dF9leUowZVhCbElqb2lWRVZCVFNJc0ltUnBjM0JzWVhsT1lXMWxJam9pUVdOdFpTQkRiM0p3SWl3aWFXUWl"
        "PaUkwYmxNd2RWWjJXR3RSTTJFeVlrTXhaRVUxWmtjaWZRPT0="
    )
    assert project_cursor(True, key) == expected
    cursor = decode_cursor(expected)
    assert cursor is not None
    assert cursor.after
    assert project_cursor_key(cursor) == key


def test_every_listing_pages_with_the_one_codec(emu: Emulator, api: httpx.Client) -> None:
    """Projects, people and piece sets: one shape, each with its own payload."""
    from activepieces_core.testing.pagination import decode_cursor, encode_cursor

    emu.state.configure_platform(manage_pieces_enabled=True)
    emu.state.piece_sets.add("Gold")
    emu.state.piece_sets.add("Silver")
    payloads = {}
    for path in ("/projects", "/users", "/piece-sets"):
        raw = api.get(path, params={"limit": 1}).json()["next"]
        cursor = decode_cursor(raw)
        assert cursor is not None
        assert cursor.direction == "next", path
        assert encode_cursor(True, cursor.payload) == raw
        payloads[path] = cursor.payload
    assert json.loads(payloads["/projects"])["type"] == "PERSONAL"
    created, seq = json.loads(payloads["/users"])
    assert created.endswith("Z")
    assert isinstance(seq, int)
    assert payloads["/piece-sets"].startswith("created:")
    assert ",id:" in payloads["/piece-sets"]


def test_limit_zero_is_100_and_minus_one_is_all(
    api: httpx.Client, many: list[tuple[str, str, str]]
) -> None:
    assert len(api.get("/projects", params={"limit": 0}).json()["data"]) == 100
    everything = api.get("/projects", params={"limit": -1}).json()
    assert _keys(everything) == many
    assert everything["next"] is None
    assert everything["previous"] is None
    default = api.get("/projects").json()
    assert len(default["data"]) == 50
    assert default["next"]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_garbage_cursors_never_400(api: httpx.Client, many: list[tuple[str, str, str]]) -> None:
    def page(cursor: str) -> dict[str, Any]:
        r = api.get("/projects", params={"limit": 10, "cursor": cursor})
        assert r.status_code == 200
        return r.json()

    first = page("garbage!!")  # no "_" once decoded -> first page
    assert _keys(first) == many[:10]
    assert first["previous"] is None
    bad_after = page(_b64("next_" + _b64("{not json")))  # after + {} -> first page, previous set
    assert _keys(bad_after) == many[:10]
    assert bad_after["previous"] is not None
    bad_before = page(_b64("prev_junk"))  # before + {} -> last page, ascending
    assert _keys(bad_before) == many[-10:]
    assert bad_before["next"] is not None


def test_filters_by_external_id_name_and_types(
    api: httpx.Client, many: list[tuple[str, str, str]]
) -> None:
    one = api.get("/projects", params={"externalId": "t42"}).json()["data"]
    assert [p["externalId"] for p in one] == ["t42"]
    assert api.get("/projects", params={"externalId": "none"}).json()["data"] == []
    named = api.get("/projects", params={"displayName": "tenant 04", "limit": -1}).json()["data"]
    assert {p["displayName"] for p in named} == {f"Tenant 04{d}" for d in range(10)}
    wildcard = api.get("/projects", params={"displayName": "Tenant _99", "limit": -1}).json()
    assert {p["displayName"] for p in wildcard["data"]} == {"Tenant 099"}
    team = api.get("/projects", params={"types": "TEAM", "limit": -1}).json()["data"]
    assert len(team) == N
    personal = api.get("/projects", params={"types": "PERSONAL"}).json()["data"]
    assert len(personal) == 3


def test_filtered_walk_pages_through_matches_only(
    api: httpx.Client, many: list[tuple[str, str, str]]
) -> None:
    params: dict[str, Any] = {"types": "TEAM", "limit": 60}
    seen: list[tuple[str, str, str]] = []
    page = api.get("/projects", params=params).json()
    seen += _keys(page)
    while page["next"]:
        page = api.get("/projects", params={**params, "cursor": page["next"]}).json()
        seen += _keys(page)
    assert seen == [k for k in many if k[0] == "TEAM"]
