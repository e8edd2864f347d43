"""The emulator brought to today's upstream (issue 19): each rule over real HTTP.

Sources (file and commit) are in ``docs/upstream-emulator-updates.md``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from activepieces_core.testing import Emulator

SLACK = "@activepieces/piece-slack"
GMAIL = "@activepieces/piece-gmail"


def _set(api: httpx.Client, name: str = "Gold tier") -> dict[str, Any]:
    response = api.post("/piece-sets", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


# ---- piece sets: the required-actions message -----------------------------------------------


def test_required_actions_hidden_by_the_set_are_refused_with_upstreams_text(
    api: httpx.Client, emu: Emulator
) -> None:
    emu.state.configure_platform(manage_pieces_enabled=True)
    sid = _set(api)["id"]
    hide = {"mode": "selected", "selected": ["read"]}
    api.post(f"/piece-sets/{sid}", json={"actions": {SLACK: hide, GMAIL: hide}})
    required = {SLACK: ["post", "read", "post"], GMAIL: ["send"]}
    refused = api.post(f"/piece-sets/{sid}", json={"requiredActions": {"actions": required}})
    assert refused.status_code == 409
    assert refused.json() == {
        "code": "VALIDATION",
        "params": {
            "message": "Required actions must be included in the piece set: "
            f"{SLACK} · post, {GMAIL} · send"
        },
    }


# ---- GET /v1/projects/worker-groups ---------------------------------------------------------


def test_worker_groups_needs_the_plan_flag(api: httpx.Client, emu: Emulator) -> None:
    refused = api.get("/projects/worker-groups")
    assert refused.status_code == 402
    assert refused.json() == {
        "code": "FEATURE_DISABLED",
        "params": {"message": "Isolated workers are not enabled for this platform"},
    }
    emu.state.configure_platform(worker_groups_enabled=True)
    served = api.get("/projects/worker-groups")
    assert served.status_code == 200
    assert served.json() == {"groups": [], "sharedSlots": 0}


def test_worker_groups_authenticates_before_the_plan_check(anon: httpx.Client) -> None:
    assert anon.get("/projects/worker-groups").status_code == 403


# ---- /v1/project-roles: create, update, delete, get, members --------------------------------

AUDITOR = {"name": "Auditor", "permissions": ["READ_FLOW"], "type": "CUSTOM"}


@pytest.fixture
def custom(emu: Emulator) -> Emulator:
    """The default platform with ``customRolesEnabled`` (reset after the test)."""
    emu.state.configure_platform(custom_roles_enabled=True)
    return emu


def _role_names(api: httpx.Client) -> list[str]:
    return [r["name"] for r in api.get("/project-roles").json()["data"]]


def test_role_writes_need_custom_roles_enabled(api: httpx.Client, emu: Emulator) -> None:
    disabled = {"code": "FEATURE_DISABLED", "params": {"message": "Feature is disabled"}}
    created = api.post("/project-roles", json=AUDITOR)
    assert (created.status_code, created.json()) == (402, disabled)
    role = emu.state.people.add_role("Auditor", ["READ_FLOW"])
    renamed = api.post(f"/project-roles/{role['id']}", json={"name": "Reviewer"})
    assert (renamed.status_code, renamed.json()) == (402, disabled)
    deleted = api.delete("/project-roles/Auditor")
    assert (deleted.status_code, deleted.json()) == (402, disabled)
    assert "Auditor" in _role_names(api)


def test_role_create_update_delete(api: httpx.Client, custom: Emulator) -> None:
    created = api.post("/project-roles", json={**AUDITOR, "extra": 1})
    assert created.status_code == 201
    role = created.json()
    assert {k: role[k] for k in ("name", "permissions", "type")} == AUDITOR
    assert role["platformId"] == custom.state.platform().id
    assert "extra" not in role
    assert "userCount" not in role
    assert api.get(f"/project-roles/{role['id']}").json() == role
    updated = api.post(f"/project-roles/{role['id']}", json={"permissions": ["READ_RUN"]})
    assert updated.status_code == 200
    assert updated.json()["name"] == "Auditor"
    assert updated.json()["permissions"] == ["READ_RUN"]
    renamed = api.post(f"/project-roles/{role['id']}", json={"name": "Reviewer"}).json()
    assert renamed["permissions"] == ["READ_RUN"]
    assert "Reviewer" in _role_names(api)
    assert api.delete("/project-roles/Reviewer").status_code == 204
    assert "Reviewer" not in _role_names(api)


def test_role_name_taken_is_upstreams_404(api: httpx.Client, custom: Emulator) -> None:
    assert api.post("/project-roles", json=AUDITOR).status_code == 201
    for name in ("auditor", "editor"):  # case-insensitive, DEFAULT roles included
        r = api.post("/project-roles", json={**AUDITOR, "name": name})
        assert r.status_code == 404
        assert r.json() == {
            "code": "ENTITY_NOT_FOUND",
            "params": {
                "entityType": "project_role",
                "entityId": name,
                "message": "Project Role name already exists",
            },
        }


def test_default_roles_cannot_be_changed(api: httpx.Client, custom: Emulator) -> None:
    editor = next(r for r in api.get("/project-roles").json()["data"] if r["name"] == "Editor")
    r = api.post(f"/project-roles/{editor['id']}", json={"name": "Writer"})
    assert r.status_code == 404
    assert api.delete("/project-roles/Editor").status_code == 204  # matches no own row
    assert "Editor" in _role_names(api)


def test_role_delete_by_unknown_name_is_404(api: httpx.Client, custom: Emulator) -> None:
    r = api.delete("/project-roles/Nobody")
    assert r.status_code == 404
    assert r.json()["params"] == {
        "entityType": "project_role",
        "entityId": "Nobody",
        "message": "Project Role by name and platformId not found",
    }


def test_role_get_unknown_id_is_404(api: httpx.Client) -> None:
    r = api.get("/project-roles/" + "x" * 21)
    assert r.status_code == 404
    assert r.json()["params"]["message"] == "Project Role by id not found"


@pytest.mark.parametrize(
    ("method", "path", "body", "fragment"),
    [
        ("post", "/project-roles", {"permissions": [], "type": "CUSTOM"}, "body/name"),
        ("post", "/project-roles", {**AUDITOR, "name": "a.b"}, "body/name"),
        ("post", "/project-roles", {**AUDITOR, "type": "OTHER"}, "body/type"),
        ("post", "/project-roles", {**AUDITOR, "permissions": [1]}, "body/permissions"),
        ("post", "/project-roles/short", {"name": "x"}, "params/id"),
        ("get", "/project-roles/short", None, "params/id"),
        ("get", "/project-roles/short/project-members", None, "params/id"),
    ],
)
def test_role_requests_are_validated_before_authentication(
    anon: httpx.Client, method: str, path: str, body: Any, fragment: str
) -> None:
    r = anon.request(method.upper(), path, json=body)
    assert r.status_code == 400
    assert fragment in r.json()["message"]


def test_role_members_lists_the_platforms_holders(api: httpx.Client, custom: Emulator) -> None:
    role = api.post("/project-roles", json=AUDITOR).json()
    people = custom.state.people
    first = custom.state.add_project("Acme")["id"]
    second = custom.state.add_project("Beta")["id"]
    people.add_member(first, "a@acme.example", "Auditor")
    people.add_member(second, "b@beta.example", "Auditor")
    people.add_member(second, "c@beta.example", "Editor")
    page = api.get(f"/project-roles/{role['id']}/project-members", params={"limit": 1}).json()
    assert [m["user"]["email"] for m in page["data"]] == ["a@acme.example"]
    assert page["data"][0]["projectRole"]["name"] == "Auditor"
    rest = api.get(
        f"/project-roles/{role['id']}/project-members", params={"cursor": page["next"]}
    ).json()
    assert [m["user"]["email"] for m in rest["data"]] == ["b@beta.example"]
    assert api.delete("/project-roles/Auditor").status_code == 204  # members go with it
    assert [m["user"]["email"] for m in people.members(second)] == ["c@beta.example"]


def test_role_routes_are_fault_targets(api: httpx.Client, custom: Emulator) -> None:
    custom.faults.script("roles.create", 1, "503")
    assert api.post("/project-roles", json=AUDITOR).status_code == 503
    assert [r.route for r in custom.requests][-1:] == ["roles.create"]


# ---- the plan's team-project limit is a number (billedTeamProjectsLimit) --------------------


def _create(api: httpx.Client, name: str) -> httpx.Response:
    return api.post("/projects", json={"displayName": name})


def test_a_numeric_team_project_limit_refuses_the_next_one(
    api: httpx.Client, emu: Emulator
) -> None:
    emu.state.configure_platform(team_projects_limit=2)
    first = _create(api, "A")
    assert [first.status_code, _create(api, "B").status_code] == [201, 201]
    refused = _create(api, "C")
    assert refused.status_code == 402
    assert refused.json() == {
        "code": "FEATURE_DISABLED",
        "params": {
            "message": "Maximum limit of 2 team projects reached for this plan. "
            "Upgrade your plan to add more team projects."
        },
    }
    assert api.delete(f"/projects/{first.json()['id']}").status_code == 204
    assert _create(api, "C").status_code == 201  # soft-deleted projects do not count


def test_personal_projects_do_not_count_against_the_limit(api: httpx.Client, emu: Emulator) -> None:
    emu.state.configure_platform(team_projects_limit=1)  # three PERSONAL projects exist
    assert _create(api, "A").status_code == 201
    assert (
        _create(api, "B")
        .json()["params"]["message"]
        .startswith("Maximum limit of 1 team project reached")
    )


def test_a_zero_limit_refuses_every_team_project_and_ignores_plan_updates(
    api: httpx.Client, emu: Emulator
) -> None:
    pid = emu.state.add_project("Existing")["id"]
    emu.state.configure_platform(team_projects_limit=0)
    refused = _create(api, "A")
    assert refused.status_code == 409
    assert refused.json()["params"] == {
        "message": "Team projects are not available on your current plan"
    }
    updated = api.post(f"/projects/{pid}", json={"plan": {"activeFlowsLimit": 5}})
    assert updated.json()["plan"]["activeFlowsLimit"] is None
    emu.state.configure_platform(team_projects_limit=3)
    updated = api.post(f"/projects/{pid}", json={"plan": {"activeFlowsLimit": 5}})
    assert updated.json()["plan"]["activeFlowsLimit"] == 5


@pytest.mark.parametrize(
    ("given", "stored"),
    [("NONE", 0), ("ONE", 1), ("UNLIMITED", None), ("one", 1), (7, 7), ("7", 7), (None, None)],
)
def test_old_names_are_aliases_of_numbers(emu: Emulator, given: Any, stored: Any) -> None:
    assert emu.state.configure_platform(team_projects_limit=given).team_projects_limit == stored


@pytest.mark.parametrize("given", ["MANY", -1, "-1", True, 1.5])
def test_a_wrong_limit_is_refused(emu: Emulator, given: Any) -> None:
    with pytest.raises(ValueError, match="team_projects_limit"):
        emu.state.configure_platform(team_projects_limit=given)


def test_the_emulator_takes_a_numeric_limit() -> None:
    with (
        Emulator(seed=4, team_projects_limit=1) as emu,
        httpx.Client(base_url=emu.url, headers={"Authorization": f"Bearer {emu.api_key}"}) as api,
    ):
        assert [_create(api, n).status_code for n in "AB"] == [201, 402]
