"""Business rules: soft delete, externalId uniqueness, limits, PERSONAL projects, merges."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from activepieces_core.testing import Emulator, EmulatorState


def _create(api: httpx.Client, name: str, **fields: Any) -> httpx.Response:
    return api.post("/projects", json={"displayName": name, **fields})


def test_soft_delete_hides_everything_and_frees_the_external_id(
    api: httpx.Client, emu: Emulator
) -> None:
    pid = _create(api, "Acme", externalId="acme").json()["id"]
    assert api.delete(f"/projects/{pid}").status_code == 204
    for r in (
        api.get(f"/projects/{pid}"),
        api.post(f"/projects/{pid}", json={}),
        api.delete(f"/projects/{pid}"),
    ):
        assert r.status_code == 404
        assert r.json()["code"] == "ENTITY_NOT_FOUND"
    assert api.get("/projects", params={"externalId": "acme"}).json()["data"] == []
    assert emu.state.get_project(pid)["deleted"] is not None  # kept, soft-deleted
    assert pid in {p["id"] for p in emu.state.projects(include_deleted=True)}
    again = _create(api, "Acme", externalId="acme")
    assert again.status_code == 201
    assert again.json()["id"] != pid


def test_create_with_a_taken_external_id_is_500_by_default(api: httpx.Client) -> None:
    assert _create(api, "A", externalId="dup").status_code == 201
    r = _create(api, "B", externalId="dup")
    assert r.status_code == 500
    assert r.json() == {
        "statusCode": 500,
        "code": "23505",
        "error": "Internal Server Error",
        "message": 'duplicate key value violates unique constraint "idx_project_platform_id_external_id"',
    }


def test_create_duplicate_switch_gives_409(api: httpx.Client, emu: Emulator) -> None:
    emu.state.duplicate_external_id_status = 409
    _create(api, "A", externalId="dup")
    r = _create(api, "B", externalId="dup")
    assert r.status_code == 409
    assert r.json() == {
        "code": "PROJECT_EXTERNAL_ID_ALREADY_EXISTS",
        "params": {"externalId": "dup"},
    }


def test_emulator_constructor_switch_for_duplicates() -> None:
    with Emulator(seed=1, duplicate_external_id_status=409) as emu:
        headers = {"Authorization": f"Bearer {emu.api_key}"}
        body = {"displayName": "A", "externalId": "x"}
        httpx.post(f"{emu.url}/projects", json=body, headers=headers)
        assert httpx.post(f"{emu.url}/projects", json=body, headers=headers).status_code == 409
    with pytest.raises(ValueError, match="500 or 409"):
        Emulator(duplicate_external_id_status=400)


def test_external_id_is_unique_per_platform_on_create(api: httpx.Client, emu: Emulator) -> None:
    other = emu.state.add_platform()
    emu.state.add_project("Theirs", external_id="shared", platform_id=other.id)
    assert _create(api, "Mine", externalId="shared").status_code == 201


def test_empty_external_id_is_stored_on_create(api: httpx.Client) -> None:
    assert _create(api, "A", externalId="").json()["externalId"] == ""
    assert _create(api, "B", externalId="").status_code == 500  # "" is a value too


def test_update_external_id_conflict_is_409_and_global(api: httpx.Client, emu: Emulator) -> None:
    mine = emu.state.add_project("Mine", external_id="mine")
    emu.state.add_project("Taken", external_id="taken")
    other = emu.state.add_platform()
    emu.state.add_project("Theirs", external_id="theirs", platform_id=other.id)
    for ext in ("taken", "theirs"):
        r = api.post(f"/projects/{mine['id']}", json={"externalId": ext, "displayName": "X"})
        assert r.status_code == 409
        assert r.json() == {
            "code": "PROJECT_EXTERNAL_ID_ALREADY_EXISTS",
            "params": {"externalId": ext},
        }
    assert emu.state.get_project(mine["id"])["displayName"] == "Mine"  # nothing applied
    same = api.post(f"/projects/{mine['id']}", json={"externalId": "mine"})
    assert same.status_code == 200  # its own value is no conflict


def test_update_ignores_blank_external_id_and_null_max_jobs(
    api: httpx.Client, emu: Emulator
) -> None:
    project = emu.state.add_project("A", external_id="keep", max_concurrent_jobs=3)
    for body in ({"externalId": ""}, {"externalId": "   "}, {"maxConcurrentJobs": None}):
        r = api.post(f"/projects/{project['id']}", json=body)
        assert r.status_code == 200
        assert r.json()["externalId"] == "keep"
        assert r.json()["maxConcurrentJobs"] == 3
    r = api.post(f"/projects/{project['id']}", json={"externalId": " new ", "maxConcurrentJobs": 5})
    assert r.json()["externalId"] == " new "
    assert r.json()["maxConcurrentJobs"] == 5


def test_metadata_is_replaced_whole(api: httpx.Client, emu: Emulator) -> None:
    project = emu.state.add_project("A", metadata={"a": 1, "nested": {"x": 1}})
    r = api.post(f"/projects/{project['id']}", json={"metadata": {"nested": {"y": 2}}})
    assert r.json()["metadata"] == {"nested": {"y": 2}}


def test_plan_is_a_partial_merge(api: httpx.Client, emu: Emulator) -> None:
    pid = emu.state.add_project("A")["id"]
    r = api.post(f"/projects/{pid}", json={"plan": {"pieces": ["@activepieces/piece-slack"]}})
    plan = r.json()["plan"]
    assert plan["pieces"] == ["@activepieces/piece-slack"]
    assert plan["piecesFilterType"] == "NONE"
    r = api.post(f"/projects/{pid}", json={"plan": {"piecesFilterType": "ALLOWED"}})
    plan = r.json()["plan"]
    assert plan["pieces"] == ["@activepieces/piece-slack"]
    assert plan["piecesFilterType"] == "ALLOWED"
    assert plan["name"] == "platform"
    assert plan["locked"] is False
    r = api.post(f"/projects/{pid}", json={"plan": {"pieces": []}})
    assert r.json()["plan"]["pieces"] == []
    assert r.json()["plan"]["piecesFilterType"] == "ALLOWED"


def test_plan_is_ignored_when_team_projects_are_off(api: httpx.Client, emu: Emulator) -> None:
    pid = emu.state.add_project("A")["id"]
    emu.state.configure_platform(team_projects_limit="NONE")
    r = api.post(f"/projects/{pid}", json={"plan": {"pieces": ["x"]}})
    assert r.status_code == 200
    assert r.json()["plan"]["pieces"] == []


def test_other_update_fields(api: httpx.Client, emu: Emulator) -> None:
    pid = emu.state.add_project("A")["id"]
    body = {"releasesEnabled": True, "icon": {"color": "RED"}, "notifyFlowOwnerOnFailure": True}
    r = api.post(f"/projects/{pid}", json={**body, "workerGroupId": "wg"})
    p = r.json()
    assert p["releasesEnabled"] is True
    assert p["icon"] == {"color": "RED"}
    assert p["notifyFlowOwnerOnFailure"] is True
    assert p["workerGroupId"] is None  # worker groups off on this platform
    assert p["updated"] >= p["created"]


def test_display_name_and_icon_change_only_on_team(api: httpx.Client, emu: Emulator) -> None:
    personal = emu.state.projects(types=["PERSONAL"])[0]
    r = api.post(
        f"/projects/{personal['id']}",
        json={"displayName": "Renamed", "icon": {"color": "RED"}, "metadata": {"a": 1}},
    )
    assert r.status_code == 200
    assert r.json()["displayName"] == personal["displayName"]
    assert r.json()["icon"] == personal["icon"]
    assert r.json()["metadata"] == {"a": 1}


def test_personal_projects_are_listed_typed_and_undeletable(
    api: httpx.Client, emu: Emulator
) -> None:
    listed = api.get("/projects").json()["data"]
    personal = [p for p in listed if p["type"] == "PERSONAL"]
    assert len(personal) == 3  # owner + two users
    users = {u.id for u in emu.state.platform().users}
    assert {p["ownerId"] for p in personal} == users
    assert api.get("/projects", params={"types": "TEAM"}).json()["data"] == []
    r = api.delete(f"/projects/{personal[0]['id']}")
    assert r.status_code == 409
    assert r.json() == {
        "code": "VALIDATION",
        "params": {"message": "Personal projects cannot be deleted"},
    }


def test_team_limit_none_is_409(api: httpx.Client, emu: Emulator) -> None:
    emu.state.configure_platform(team_projects_limit="NONE")
    r = _create(api, "A")
    assert r.status_code == 409
    assert r.json() == {
        "code": "VALIDATION",
        "params": {"message": "Team projects are not available on your current plan"},
    }


def test_team_limit_one_is_402_and_freed_by_delete(api: httpx.Client, emu: Emulator) -> None:
    emu.state.configure_platform(team_projects_limit="ONE")
    first = _create(api, "A")
    assert first.status_code == 201
    r = _create(api, "B")
    assert r.status_code == 402
    assert r.json()["code"] == "FEATURE_DISABLED"
    assert r.json()["params"]["message"].startswith("Maximum limit of 1 team project")
    api.delete(f"/projects/{first.json()['id']}")
    assert _create(api, "C").status_code == 201


def test_team_limit_unlimited(api: httpx.Client, emu: Emulator) -> None:
    assert all(_create(api, f"P{i}").status_code == 201 for i in range(5))


def test_team_limit_from_the_constructor() -> None:
    with Emulator(seed=3, team_projects_limit="NONE") as emu:
        r = httpx.post(
            f"{emu.url}/projects",
            json={"displayName": "A"},
            headers={"Authorization": f"Bearer {emu.api_key}"},
        )
        assert r.status_code == 409


def test_global_connections_attach_on_create_and_full_sync_on_update(
    api: httpx.Client, emu: Emulator
) -> None:
    emu.state.configure_platform(global_connections_enabled=True)
    for ext in ("a", "b", "c"):
        emu.state.add_global_connection(ext)

    def attached(pid: str) -> set[str]:
        return {c["externalId"] for c in emu.state.global_connections() if pid in c["projectIds"]}

    pid = _create(api, "P", globalConnectionExternalIds=["a", "b", "zzz"]).json()["id"]
    assert attached(pid) == {"a", "b"}
    api.post(f"/projects/{pid}", json={"globalConnectionExternalIds": ["c", "b"]})
    assert attached(pid) == {"b", "c"}
    api.post(f"/projects/{pid}", json={"displayName": "Q"})  # omitted: unchanged
    assert attached(pid) == {"b", "c"}
    api.post(f"/projects/{pid}", json={"globalConnectionExternalIds": []})
    assert attached(pid) == set()


def test_global_connections_ignored_when_the_feature_is_off(
    api: httpx.Client, emu: Emulator
) -> None:
    emu.state.add_global_connection("a")
    pid = _create(api, "P", globalConnectionExternalIds=["a"]).json()["id"]
    assert emu.state.global_connections()[0]["projectIds"] == []
    assert api.get(f"/projects/{pid}").status_code == 200


def test_analytics_are_settable(api: httpx.Client, emu: Emulator) -> None:
    pid = emu.state.add_project("A")["id"]
    emu.state.set_analytics(pid, total_users=2, active_flows=3)
    emu.state.set_analytics(pid, active_users=1)
    assert api.get(f"/projects/{pid}").json()["analytics"] == {
        "totalUsers": 2,
        "activeUsers": 1,
        "totalFlows": 0,
        "activeFlows": 3,
    }


def test_state_helpers(emu: Emulator) -> None:
    project = emu.state.add_project(
        "Seeded", external_id="s", icon_color="RED", pieces=["x"], pieces_filter_type="ALLOWED"
    )
    assert project["icon"] == {"color": "RED"}
    assert project["plan"]["pieces"] == ["x"]
    assert project["plan"]["piecesFilterType"] == "ALLOWED"
    with pytest.raises(ValueError, match="already used"):
        emu.state.add_project("Again", external_id="s")
    project["displayName"] = "mutated copy"
    assert emu.state.get_project(project["id"])["displayName"] == "Seeded"
    with pytest.raises(TypeError):
        emu.state.configure_platform(no_such_setting=True)


def test_lists_reflect_every_write(api: httpx.Client, emu: Emulator) -> None:
    pid = emu.state.add_project("A", external_id="a")["id"]
    assert (
        api.get("/projects", params={"externalId": "a"}).json()["data"][0]["analytics"][
            "activeFlows"
        ]
        == 0
    )
    emu.state.set_analytics(pid, active_flows=4)
    api.post(f"/projects/{pid}", json={"metadata": {"v": 2}})
    listed = api.get("/projects", params={"externalId": "a"}).json()["data"][0]
    assert listed["analytics"]["activeFlows"] == 4
    assert listed["metadata"] == {"v": 2}


def test_fixtures_mapping() -> None:
    fixtures = {
        "platforms": [{"users": 0, "projects": [{"displayName": "Only", "externalId": "o"}]}]
    }
    with Emulator(seed=9, fixtures=fixtures, api_key="sk-" + "c" * 61) as emu:
        assert emu.api_key == "sk-" + "c" * 61
        names = [(p["type"], p["displayName"]) for p in emu.state.projects()]
        assert names == [("PERSONAL", "Olivia's Project"), ("TEAM", "Only")]
        emu.state.add_project("Extra")
        emu.reset()
        assert len(emu.state.projects()) == 2


def test_fixtures_have_one_name() -> None:
    """``seed_data=`` was a pre-release name of ``fixtures=``: gone, not a silent no-op."""
    fixtures = {"platforms": [{"users": 0}]}
    with pytest.raises(TypeError, match="seed_data"):
        Emulator(seed=9, seed_data=fixtures)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="seed_data"):
        EmulatorState(9, seed_data=fixtures)  # type: ignore[call-arg]
