"""Piece sets in the emulator, over real HTTP: one test (or parametrised case) per rule.

The rules and the upstream commits they were read from are in ``docs/piece-sets.md``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from activepieces_core.testing import PIECE_CATALOG, Emulator
from activepieces_core.testing.cli import _with_piece_sets

SLACK = "@activepieces/piece-slack"
GMAIL = "@activepieces/piece-gmail"
OPENAI = "@activepieces/piece-openai"


@pytest.fixture
def on(emu: Emulator) -> Emulator:
    """The default platform with ``managePiecesEnabled`` (reset after the test)."""
    emu.state.configure_platform(manage_pieces_enabled=True)
    return emu


def _project(api: httpx.Client, name: str = "Acme", **fields: Any) -> dict[str, Any]:
    response = api.post("/projects", json={"displayName": name, **fields})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _set(api: httpx.Client, name: str = "Gold tier", **fields: Any) -> dict[str, Any]:
    response = api.post("/piece-sets", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _names(page: dict[str, Any]) -> list[str]:
    return [row["name"] for row in page["data"]]


# ---- feature gate and request lifecycle ----------------------------------------------------------

ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/piece-sets", None),
    ("POST", "/piece-sets", {"name": "x"}),
    ("GET", "/piece-sets/abc", None),
    ("POST", "/piece-sets/abc", {}),
    ("DELETE", "/piece-sets/abc", None),
    ("POST", "/piece-sets/abc/duplicate", {"name": "x"}),
    ("POST", "/piece-sets/abc/projects", {"projectIds": ["A" * 21]}),
    ("DELETE", "/piece-sets/abc/projects/def", None),
    ("GET", "/piece-sets/projects/def", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_every_route_is_402_when_manage_pieces_is_off(
    api: httpx.Client, method: str, path: str, body: Any
) -> None:
    r = api.request(method, path, json=body)
    assert r.status_code == 402
    assert r.json() == {"code": "FEATURE_DISABLED", "params": {"message": "Feature is disabled"}}


def test_validation_comes_before_the_feature_gate(api: httpx.Client) -> None:
    assert api.post("/piece-sets", json={"name": ""}).status_code == 400
    assert api.get("/piece-sets", params={"limit": 0}).status_code == 400


def test_authentication_comes_before_the_feature_gate(
    anon: httpx.Client, make_api: Any, on: Emulator
) -> None:
    assert anon.get("/piece-sets").json()["code"] == "AUTHORIZATION"
    assert anon.get("/piece-sets").status_code == 403
    r = make_api("sk-" + "x" * 61).get("/piece-sets")
    assert (r.status_code, r.json()["code"]) == (401, "AUTHENTICATION")
    assert anon.post("/piece-sets", json={}).status_code == 400  # validation before auth


def test_unknown_piece_set_paths_are_route_not_found(api: httpx.Client, on: Emulator) -> None:
    for method, path in (("PATCH", "/piece-sets/x"), ("GET", "/piece-sets/x/duplicate")):
        r = api.request(method, path)
        assert r.status_code == 404
        assert r.json()["message"] == "Route not found"


# ---- the Default set --------------------------------------------------------------------------------


def test_the_default_set_is_created_lazily(api: httpx.Client, on: Emulator) -> None:
    assert api.get("/piece-sets").json() == {"data": [], "next": None, "previous": None}
    project = _project(api)
    [default] = api.get("/piece-sets").json()["data"]
    assert default["isDefault"] is True
    assert (default["key"], default["name"]) == ("default", "Default")
    assert default["config"]["pieces"] == {"mode": "include_all", "exceptions": []}
    assert project["pieceSetId"] == default["id"]  # new projects start on it


def test_projects_on_a_legacy_platform_have_no_set(api: httpx.Client) -> None:
    assert _project(api)["pieceSetId"] is None


def test_for_project_resolves_to_default_or_the_assigned_set(
    api: httpx.Client, on: Emulator
) -> None:
    personal = on.state.projects(types=["PERSONAL"])[0]  # made before the flag: no set
    assert personal["pieceSetId"] is None
    default = api.get(f"/piece-sets/projects/{personal['id']}").json()
    assert default["isDefault"] is True
    project = _project(api)
    gold = _set(api, key="gold")
    api.post(f"/piece-sets/{gold['id']}/projects", json={"projectIds": [project["id"]]})
    assert api.get(f"/piece-sets/projects/{project['id']}").json()["id"] == gold["id"]
    assert api.get("/piece-sets/projects/" + "Z" * 21).status_code == 404
    other = on.state.add_platform(manage_pieces_enabled=True)
    theirs = on.state.add_project("Theirs", platform_id=other.id)
    assert api.get(f"/piece-sets/projects/{theirs['id']}").status_code == 403


# ---- create -------------------------------------------------------------------------------------------


def test_create_starts_including_every_piece(api: httpx.Client, on: Emulator) -> None:
    body = _set(api, "Gold tier", key="gold")
    assert body["name"] == "Gold tier"
    assert body["key"] == "gold"
    assert body["isDefault"] is False
    assert body["generatedForProjectId"] is None
    assert body["platformId"] == on.platform_id
    assert body["config"] == {
        "pieces": {"mode": "include_all", "exceptions": []},
        "selectedActions": {},
        "selectedTriggers": {},
        "requiredActions": {"mode": "ANY", "actions": {}},
    }


@pytest.mark.parametrize("key", [None, "", "   "])
def test_a_blank_or_absent_key_is_generated_from_the_name(
    api: httpx.Client, on: Emulator, key: str | None
) -> None:
    body = _set(api, "Gold Tier Plus") if key is None else _set(api, "Gold Tier Plus", key=key)
    prefix, _, suffix = body["key"].rpartition("-")
    assert prefix == "gold-tier-plus"
    assert len(suffix) == 8


def test_a_taken_key_is_a_409(api: httpx.Client, on: Emulator) -> None:
    _set(api, key="gold")
    r = api.post("/piece-sets", json={"name": "Other", "key": "gold"})
    assert r.status_code == 409
    assert r.json() == {"code": "VALIDATION", "params": {"message": "Piece set key already used"}}
    assert len(on.state.piece_sets.all()) == 1


def test_keys_are_unique_per_platform_only(api: httpx.Client, on: Emulator) -> None:
    other = on.state.add_platform(manage_pieces_enabled=True)
    on.state.piece_sets.add("Theirs", "gold", platform_id=other.id)
    assert _set(api, key="gold")["key"] == "gold"
    assert [s["name"] for s in api.get("/piece-sets").json()["data"]] == ["Gold tier"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "body/name Invalid input: expected string, received undefined"),
        ({"name": ""}, "body/name"),
        ({"name": 3}, "body/name Invalid input: expected string, received number"),
        ({"name": "x", "key": None}, "body/key Invalid input: expected string, received null"),
        ({"name": "x", "key": 5}, "body/key"),
    ],
)
def test_create_validation(
    api: httpx.Client, on: Emulator, body: dict[str, Any], fragment: str
) -> None:
    r = api.post("/piece-sets", json=body)
    assert r.status_code == 400
    assert r.json()["code"] == "FST_ERR_VALIDATION"
    assert fragment in r.json()["message"]


def test_unknown_body_fields_are_stripped(api: httpx.Client, on: Emulator) -> None:
    body = _set(api, key="k", pieces={"mode": "exclude_all"}, externalId="other")
    assert body["config"]["pieces"]["mode"] == "include_all"  # create takes name and key only
    assert body["key"] == "k"


# ---- get / list ---------------------------------------------------------------------------------------


def test_get_unknown_or_foreign_set_is_404(api: httpx.Client, on: Emulator) -> None:
    other = on.state.add_platform(manage_pieces_enabled=True)
    theirs = on.state.piece_sets.add("Theirs", "t", platform_id=other.id)
    for set_id in ("nope", theirs["id"]):
        r = api.get(f"/piece-sets/{set_id}")
        assert r.status_code == 404
        assert r.json() == {
            "code": "ENTITY_NOT_FOUND",
            "params": {"entityType": "PieceSet", "entityId": set_id},
        }


def test_list_defaults_to_10_in_created_then_id_order(api: httpx.Client, on: Emulator) -> None:
    made = [_set(api, f"s{i:02d}") for i in range(12)]
    expected = [s["id"] for s in sorted(made, key=lambda s: (s["created"], s["id"]))]
    first = api.get("/piece-sets").json()
    assert [r["id"] for r in first["data"]] == expected[:10]
    assert first["next"] is not None
    assert first["previous"] is None
    second = api.get("/piece-sets", params={"cursor": first["next"]}).json()
    assert [r["id"] for r in second["data"]] == expected[10:]
    assert second["next"] is None
    back = api.get("/piece-sets", params={"cursor": second["previous"]}).json()
    assert [r["id"] for r in back["data"]] == expected[:10]
    assert back["next"] is not None


def test_list_pages_cover_every_set_exactly_once(api: httpx.Client, on: Emulator) -> None:
    made = {_set(api, f"s{i}")["id"] for i in range(23)}
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        page = api.get("/piece-sets", params=params).json()
        seen.extend(r["id"] for r in page["data"])
        cursor = page["next"]
        if not cursor:
            break
    assert sorted(seen) == sorted(made)


@pytest.mark.parametrize(
    ("limit", "ok"),
    [("1", True), ("100", True), ("0", False), ("101", False), ("abc", False), ("1.5", False)],
)
def test_list_limit_is_an_integer_from_1_to_100(
    api: httpx.Client, on: Emulator, limit: str, ok: bool
) -> None:
    r = api.get("/piece-sets", params={"limit": limit})
    assert r.status_code == (200 if ok else 400), r.text
    if not ok:
        assert r.json()["message"].startswith("querystring/limit ")


def test_a_cursor_without_separator_means_the_first_page(api: httpx.Client, on: Emulator) -> None:
    _set(api)
    assert _names(api.get("/piece-sets", params={"cursor": "garbage"}).json()) == ["Gold tier"]


def test_sets_of_other_platforms_never_show(api: httpx.Client, on: Emulator) -> None:
    other = on.state.add_platform(manage_pieces_enabled=True)
    on.state.piece_sets.add("Theirs", platform_id=other.id)
    _set(api, "Mine")
    assert _names(api.get("/piece-sets").json()) == ["Mine"]


# ---- update ---------------------------------------------------------------------------------------


def test_update_replaces_pieces_and_merges_component_selections(
    api: httpx.Client, on: Emulator
) -> None:
    sid = _set(api, key="gold")["id"]
    api.post(
        f"/piece-sets/{sid}",
        json={
            "pieces": {"mode": "include_all", "exceptions": [OPENAI, SLACK]},
            "actions": {SLACK: {"mode": "selected", "selected": ["send", "send", "read"]}},
            "triggers": {GMAIL: {"mode": "selected", "selected": ["new_email"]}},
        },
    )
    r = api.post(
        f"/piece-sets/{sid}",
        json={
            "name": "Renamed",
            "pieces": {"mode": "exclude_all", "exceptions": [GMAIL]},
            "actions": {OPENAI: {"mode": "selected", "selected": []}},
        },
    )
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "Renamed"
    assert body["key"] == "gold"  # untouched when not sent
    assert body["config"]["pieces"] == {"mode": "exclude_all", "exceptions": [GMAIL]}
    assert body["config"]["selectedActions"] == {SLACK: ["send", "read"], OPENAI: []}
    assert body["config"]["selectedTriggers"] == {GMAIL: ["new_email"]}
    cleared = api.post(f"/piece-sets/{sid}", json={"actions": {SLACK: {"mode": "all"}}}).json()
    assert cleared["config"]["selectedActions"] == {OPENAI: []}
    assert api.get(f"/piece-sets/{sid}").json() == cleared


def test_update_pieces_defaults_its_fields(api: httpx.Client, on: Emulator) -> None:
    sid = _set(api)["id"]
    body = api.post(f"/piece-sets/{sid}", json={"pieces": {}}).json()
    assert body["config"]["pieces"] == {"mode": "include_all", "exceptions": []}


def test_update_key(api: httpx.Client, on: Emulator) -> None:
    a = _set(api, "A", key="a")
    _set(api, "B", key="b")
    assert api.post(f"/piece-sets/{a['id']}", json={"key": "b"}).status_code == 409
    assert api.post(f"/piece-sets/{a['id']}", json={"key": "c"}).json()["key"] == "c"
    assert _set(api, "A again", key="a")["key"] == "a"  # the old key is free again
    regenerated = api.post(f"/piece-sets/{a['id']}", json={"key": None, "name": "New Name"})
    assert regenerated.json()["key"].startswith("new-name-")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"name": ""}, "body/name"),
        ({"pieces": {"mode": "some"}}, "body/pieces/mode Invalid option"),
        (
            {"pieces": {"exceptions": "slack"}},
            "body/pieces/exceptions Invalid input: expected array",
        ),
        ({"pieces": []}, "body/pieces Invalid input: expected object, received array"),
        ({"actions": {SLACK: {"mode": "selected"}}}, f"body/actions/{SLACK}/selected"),
        ({"triggers": {SLACK: {"mode": "none"}}}, f"body/triggers/{SLACK}/mode"),
        ({"requiredActions": {"mode": "SOME"}}, "body/requiredActions/mode"),
        ({"key": 1}, "body/key"),
    ],
)
def test_update_validation(
    api: httpx.Client, on: Emulator, body: dict[str, Any], fragment: str
) -> None:
    sid = _set(api)["id"]
    r = api.post(f"/piece-sets/{sid}", json=body)
    assert r.status_code == 400
    assert fragment in r.json()["message"]


def test_update_validation_comes_before_the_404(api: httpx.Client, on: Emulator) -> None:
    assert api.post("/piece-sets/nope", json={"name": ""}).status_code == 400
    assert api.post("/piece-sets/nope", json={"name": "x"}).status_code == 404


def test_required_actions_must_stay_visible(api: httpx.Client, on: Emulator) -> None:
    sid = _set(api)["id"]
    api.post(
        f"/piece-sets/{sid}", json={"actions": {SLACK: {"mode": "selected", "selected": ["read"]}}}
    )
    refused = api.post(
        f"/piece-sets/{sid}", json={"requiredActions": {"actions": {SLACK: ["post"]}}}
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "VALIDATION"
    ok = api.post(
        f"/piece-sets/{sid}",
        json={"requiredActions": {"mode": "ALL", "actions": {SLACK: ["read"]}}},
    ).json()
    assert ok["config"]["requiredActions"] == {"mode": "ALL", "actions": {SLACK: ["read"]}}
    pruned = api.post(
        f"/piece-sets/{sid}", json={"pieces": {"mode": "include_all", "exceptions": [SLACK]}}
    ).json()
    assert pruned["config"]["requiredActions"] == {"mode": "ALL", "actions": {}}


# ---- delete / duplicate ---------------------------------------------------------------------------------


def test_delete_moves_its_projects_to_default(api: httpx.Client, on: Emulator) -> None:
    project = _project(api)
    default_id = project["pieceSetId"]
    gold = _set(api, key="gold")
    api.post(f"/piece-sets/{gold['id']}/projects", json={"projectIds": [project["id"]]})
    assert on.state.get_project(project["id"])["pieceSetId"] == gold["id"]
    r = api.delete(f"/piece-sets/{gold['id']}")
    assert (r.status_code, r.content) == (204, b"")
    assert on.state.get_project(project["id"])["pieceSetId"] == default_id
    assert api.get(f"/piece-sets/{gold['id']}").status_code == 404
    assert api.delete(f"/piece-sets/{gold['id']}").status_code == 404
    assert _set(api, key="gold")["key"] == "gold"


def test_the_default_set_cannot_be_deleted(api: httpx.Client, on: Emulator) -> None:
    default_id = _project(api)["pieceSetId"]
    r = api.delete(f"/piece-sets/{default_id}")
    assert r.status_code == 409
    assert r.json() == {
        "code": "VALIDATION",
        "params": {"message": "Cannot delete the default piece set"},
    }


def test_duplicate_copies_the_config_under_a_new_key(api: httpx.Client, on: Emulator) -> None:
    source = _set(api, key="gold")
    api.post(
        f"/piece-sets/{source['id']}",
        json={
            "pieces": {"mode": "exclude_all", "exceptions": [SLACK]},
            "actions": {SLACK: {"mode": "selected", "selected": ["send"]}},
        },
    )
    r = api.post(f"/piece-sets/{source['id']}/duplicate", json={"name": "Gold copy"})
    assert r.status_code == 201
    copy = r.json()
    assert copy["id"] != source["id"]
    assert copy["name"] == "Gold copy"
    assert copy["key"].startswith("gold-copy-")
    assert copy["isDefault"] is False
    assert copy["config"] == api.get(f"/piece-sets/{source['id']}").json()["config"]
    assert api.post(f"/piece-sets/{source['id']}/duplicate", json={}).status_code == 400
    assert api.post("/piece-sets/nope/duplicate", json={"name": "x"}).status_code == 404


# ---- assign / unassign -----------------------------------------------------------------------------


def test_assign_and_unassign(api: httpx.Client, on: Emulator) -> None:
    a, b = _project(api, "A"), _project(api, "B")
    default_id = a["pieceSetId"]
    gold = _set(api, key="gold")
    r = api.post(f"/piece-sets/{gold['id']}/projects", json={"projectIds": [a["id"], b["id"]]})
    assert (r.status_code, r.content) == (204, b"")
    assert {on.state.get_project(p["id"])["pieceSetId"] for p in (a, b)} == {gold["id"]}
    r = api.delete(f"/piece-sets/{gold['id']}/projects/{a['id']}")
    assert r.status_code == 204
    assert on.state.get_project(a["id"])["pieceSetId"] == default_id
    assert on.state.get_project(b["id"])["pieceSetId"] == gold["id"]
    # Not on that set (any more): nothing happens, still 204.
    assert api.delete(f"/piece-sets/{gold['id']}/projects/{a['id']}").status_code == 204
    assert on.state.get_project(a["id"])["pieceSetId"] == default_id


def test_assign_is_idempotent_and_moves_between_sets(api: httpx.Client, on: Emulator) -> None:
    project = _project(api)
    gold, silver = _set(api, key="gold"), _set(api, key="silver")
    for target in (gold, gold, silver):
        body = {"projectIds": [project["id"]]}
        assert api.post(f"/piece-sets/{target['id']}/projects", json=body).status_code == 204
    assert on.state.get_project(project["id"])["pieceSetId"] == silver["id"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "body/projectIds Invalid input: expected array, received undefined"),
        ({"projectIds": []}, "body/projectIds"),
        ({"projectIds": ["short"]}, "body/projectIds/0 Invalid string"),
        ({"projectIds": [7]}, "body/projectIds/0 Invalid input: expected string"),
    ],
)
def test_assign_validation(
    api: httpx.Client, on: Emulator, body: dict[str, Any], fragment: str
) -> None:
    sid = _set(api)["id"]
    r = api.post(f"/piece-sets/{sid}/projects", json=body)
    assert r.status_code == 400
    assert fragment in r.json()["message"]


def test_assign_refuses_other_platforms_and_skips_unknown_ids(
    api: httpx.Client, on: Emulator
) -> None:
    gold = _set(api, key="gold")
    other = on.state.add_platform(manage_pieces_enabled=True)
    theirs = on.state.add_project("Theirs", platform_id=other.id)
    r = api.post(f"/piece-sets/{gold['id']}/projects", json={"projectIds": [theirs["id"]]})
    assert (r.status_code, r.json()["code"]) == (403, "AUTHORIZATION")
    assert on.state.get_project(theirs["id"])["pieceSetId"] != gold["id"]
    unknown = api.post(f"/piece-sets/{gold['id']}/projects", json={"projectIds": ["Q" * 21]})
    assert unknown.status_code == 204
    missing = api.post("/piece-sets/nope/projects", json={"projectIds": ["Q" * 21]})
    assert missing.status_code == 404


def test_projects_cannot_be_removed_from_the_default_set(api: httpx.Client, on: Emulator) -> None:
    project = _project(api)
    r = api.delete(f"/piece-sets/{project['pieceSetId']}/projects/{project['id']}")
    assert r.status_code == 409
    assert r.json()["params"]["message"] == "Cannot remove project from the default piece set"


# ---- project fields ---------------------------------------------------------------------------------


def test_new_project_fields_are_returned(api: httpx.Client) -> None:
    project = _project(api)
    for field, value in (
        ("notifyFlowOwnerOnFailure", False),
        ("workerGroupId", None),
        ("executionDataRetentionDays", None),
        ("sensitive", False),
        ("poolId", None),
        ("pieceSetId", None),
    ):
        assert project[field] == value
    assert project["plan"]["activeFlowsLimit"] is None


def test_update_accepts_the_new_project_fields(api: httpx.Client, emu: Emulator) -> None:
    emu.state.configure_platform(worker_groups_enabled=True)
    pid = _project(api)["id"]
    body = {
        "notifyFlowOwnerOnFailure": True,
        "sensitive": True,
        "executionDataRetentionDays": 30,
        "workerGroupId": "gpu-pool",
        "plan": {"activeFlowsLimit": 5},
    }
    updated = api.post(f"/projects/{pid}", json=body).json()
    assert updated["notifyFlowOwnerOnFailure"] is True
    assert updated["sensitive"] is True
    assert updated["executionDataRetentionDays"] == 30
    assert updated["workerGroupId"] == "gpu-pool"
    assert updated["plan"]["activeFlowsLimit"] == 5
    cleared = api.post(f"/projects/{pid}", json={"plan": {"activeFlowsLimit": None}}).json()
    assert cleared["plan"]["activeFlowsLimit"] is None


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"plan": {"activeFlowsLimit": 0}}, "body/plan/activeFlowsLimit Too small"),
        ({"plan": {"activeFlowsLimit": 1.5}}, "body/plan/activeFlowsLimit"),
        ({"executionDataRetentionDays": -1}, "body/executionDataRetentionDays Too small"),
        ({"executionDataRetentionDays": "30"}, "body/executionDataRetentionDays"),
        ({"notifyFlowOwnerOnFailure": None}, "body/notifyFlowOwnerOnFailure"),
        ({"sensitive": "yes"}, "body/sensitive"),
        ({"workerGroupId": 3}, "body/workerGroupId"),
    ],
)
def test_project_field_validation(api: httpx.Client, body: dict[str, Any], fragment: str) -> None:
    pid = _project(api)["id"]
    r = api.post(f"/projects/{pid}", json=body)
    assert r.status_code == 400
    assert fragment in r.json()["message"]


# ---- visibility (emulator-only) ---------------------------------------------------------------------


def test_visibility_on_a_legacy_platform_follows_the_plan(api: httpx.Client, emu: Emulator) -> None:
    pid = _project(api)["id"]
    assert emu.state.visible_pieces(pid) == list(PIECE_CATALOG)
    api.post(f"/projects/{pid}", json={"plan": {"piecesFilterType": "ALLOWED", "pieces": [SLACK]}})
    assert emu.state.visible_pieces(pid) == [SLACK]
    assert emu.state.piece_sets.visibility(pid)["mechanism"] == "PROJECT_PLAN"


def test_visibility_on_a_piece_set_platform_follows_the_set(
    api: httpx.Client, on: Emulator
) -> None:
    pid = _project(api)["id"]
    # The legacy plan no longer decides anything there.
    api.post(f"/projects/{pid}", json={"plan": {"piecesFilterType": "ALLOWED", "pieces": [SLACK]}})
    assert on.state.visible_pieces(pid) == list(PIECE_CATALOG)
    gold = _set(api, key="gold")
    api.post(
        f"/piece-sets/{gold['id']}",
        json={"pieces": {"mode": "exclude_all", "exceptions": [GMAIL, SLACK, "@acme/piece-x"]}},
    )
    api.post(f"/piece-sets/{gold['id']}/projects", json={"projectIds": [pid]})
    assert on.state.visible_pieces(pid) == [SLACK, GMAIL]  # catalog order, catalog pieces only
    api.post(
        f"/piece-sets/{gold['id']}",
        json={"pieces": {"mode": "include_all", "exceptions": [OPENAI]}},
    )
    assert OPENAI not in on.state.visible_pieces(pid)
    assert len(on.state.visible_pieces(pid)) == len(PIECE_CATALOG) - 1
    visibility = on.state.piece_sets.visibility(pid)
    assert (visibility["mechanism"], visibility["pieceSetId"]) == ("PIECE_SETS", gold["id"])


def test_visibility_oracle_route_is_not_logged_or_faulted(api: httpx.Client, on: Emulator) -> None:
    pid = _project(api)["id"]
    on.faults.set("*", rate=1.0, kinds=["503"])
    on.requests.clear()
    url = f"{on.base_url}/__emulator/projects/{pid}/visible-pieces"
    r = httpx.get(url, headers=dict(api.headers))
    assert r.status_code == 200
    assert r.json() == {
        "projectId": pid,
        "mechanism": "PIECE_SETS",
        "pieceSetId": on.state.get_project(pid)["pieceSetId"],
        "pieces": list(PIECE_CATALOG),
    }
    assert len(on.requests) == 0
    assert httpx.get(url).status_code == 403  # still needs the platform's key
    assert httpx.get(url.replace(pid, "Z" * 21), headers=dict(api.headers)).status_code == 404


# ---- faults, request log ------------------------------------------------------------------------------


def test_faults_apply_to_piece_set_routes(api: httpx.Client, on: Emulator) -> None:
    on.faults.script("piece_sets.create", 1, "503")
    assert api.post("/piece-sets", json={"name": "x"}).status_code == 503
    assert on.state.piece_sets.all() == []
    on.faults.set("*", rate=1.0, kinds=["500"])
    assert api.get("/piece-sets").status_code == 500
    on.faults.clear()
    on.faults.script("piece_sets.assign", 1, "drop_after")
    project, gold = _project(api), _set(api)
    with pytest.raises(httpx.TransportError):
        api.post(f"/piece-sets/{gold['id']}/projects", json={"projectIds": [project["id"]]})
    assert on.state.get_project(project["id"])["pieceSetId"] == gold["id"]  # it was applied
    routes = [r.route for r in on.requests]
    assert routes[:2] == ["piece_sets.create", "piece_sets.list"]
    assert "piece_sets.assign" in routes


def test_route_names_can_be_faulted_by_name() -> None:
    from activepieces_core.testing.faults import ROUTES as FAULTABLE
    from activepieces_core.testing.piece_sets_http import PieceSetRoutes
    from activepieces_core.testing.routes import PIECE_SET_ROUTES

    matched = {PieceSetRoutes.match(m, "/api/v1" + path)[0] for m, path, _ in ROUTES}
    assert matched == set(PIECE_SET_ROUTES)
    assert set(PIECE_SET_ROUTES) <= set(FAULTABLE)


# ---- the externalId era -----------------------------------------------------------------------------


def test_external_id_era(api: httpx.Client, on: Emulator) -> None:
    on.state.piece_sets.schema = "externalId"
    a = _set(api, "A", externalId="gold")
    assert a["externalId"] == "gold"
    assert "key" not in a
    assert "requiredActions" not in a["config"]
    b = _set(api, "No key")
    c = _set(api, "No key either")
    assert b["externalId"] is None  # not generated in that era
    assert c["externalId"] is None  # and nulls never collide
    ordered = [s["id"] for s in sorted((a, b, c), key=lambda s: (s["created"], s["id"]))]
    dup = api.post("/piece-sets", json={"name": "B", "externalId": "gold"})
    assert dup.status_code == 500  # a database error, not a clean conflict
    assert dup.json()["code"] == "23505"
    page = api.get("/piece-sets", params={"limit": 2}).json()
    assert [r["id"] for r in page["data"]] == ordered[:2]
    assert page["next"] == ordered[1]  # the plain id of the last row
    rest = api.get("/piece-sets", params={"limit": 2, "cursor": page["next"]}).json()
    assert [r["id"] for r in rest["data"]] == ordered[2:]
    assert rest["previous"] == ordered[2]
    assert api.get("/piece-sets", params={"cursor": "Z" * 21}).json()["data"] == []


# ---- fixtures and the command line -------------------------------------------------------------------


def test_fixture_file_with_piece_sets(tmp_path: Path) -> None:
    fixtures = {
        "platforms": [
            {
                "manage_pieces_enabled": True,
                "piece_sets": [
                    {"name": "Gold", "key": "gold", "mode": "exclude_all", "exceptions": [SLACK]}
                ],
                "projects": [{"displayName": "Acme", "externalId": "acme", "piece_set": "gold"}],
            },
            {"projects": [{"displayName": "Legacy", "externalId": "legacy"}]},
        ]
    }
    path = tmp_path / "fixtures.json"
    path.write_text(json.dumps(fixtures))
    with Emulator(seed=1, fixtures=path) as emu:
        first, second = emu.state.platforms()
        assert first.manage_pieces_enabled
        assert not second.manage_pieces_enabled
        [acme] = [p for p in emu.state.projects(types=["TEAM"]) if p["externalId"] == "acme"]
        assert emu.state.visible_pieces(acme["id"]) == [SLACK]
        emu.reset()  # the fixtures come back
        assert emu.state.piece_sets.by_key("gold") is not None
    bad = {"projects": [{"displayName": "X", "piece_set": "missing"}]}
    with pytest.raises(ValueError, match="no piece set with key 'missing'"):
        Emulator(seed=1, fixtures=bad)


def test_cli_flag_turns_piece_sets_on_for_the_default_platform(tmp_path: Path) -> None:
    assert _with_piece_sets(None) == {"platforms": [{"manage_pieces_enabled": True}]}
    path = tmp_path / "fixtures.json"
    path.write_text(json.dumps({"platforms": [{"team_projects_limit": "ONE"}, {}]}))
    data = _with_piece_sets(str(path))
    assert data["platforms"] == [
        {"team_projects_limit": "ONE", "manage_pieces_enabled": True},
        {},
    ]


def test_cli_serves_piece_sets_with_the_flag() -> None:
    script = Path(sys.executable).parent / "activepieces-emulator"
    command = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-m", "activepieces_core.testing.cli"]
    )
    proc = subprocess.Popen(
        [*command, "--port", "0", "--piece-sets"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        url, key = (proc.stdout.readline().split(": ", 1)[1].strip() for _ in range(2))
        r = httpx.get(f"{url}/piece-sets", headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
