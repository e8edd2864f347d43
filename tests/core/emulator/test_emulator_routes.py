"""Statuses, body shapes and headers of every route."""

from __future__ import annotations

import re

import httpx

from activepieces_core.testing import Emulator

ID = re.compile(r"^[0-9A-Za-z]{21}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
PROJECT_KEYS = {
    "id",
    "created",
    "updated",
    "ownerId",
    "displayName",
    "platformId",
    "type",
    "icon",
    "externalId",
    "maxConcurrentJobs",
    "releasesEnabled",
    "notifyFlowOwnerOnFailure",
    "metadata",
    "poolId",
    "pieceSetId",
    "workerGroupId",
    "executionDataRetentionDays",
    "sensitive",
    "plan",
    "analytics",
}


def test_create_returns_201_with_the_full_project(api: httpx.Client, emu: Emulator) -> None:
    r = api.post("/projects", json={"displayName": "Acme", "externalId": "acme"})
    assert r.status_code == 201
    p = r.json()
    assert set(p) == PROJECT_KEYS  # `deleted` omitted
    assert ID.match(p["id"])
    assert TIMESTAMP.match(p["created"])
    assert TIMESTAMP.match(p["updated"])
    assert p["type"] == "TEAM"
    assert p["releasesEnabled"] is False
    assert p["ownerId"] == emu.state.platform().owner_id
    assert p["platformId"] == emu.platform_id
    assert p["plan"]["name"] == "platform"
    assert p["plan"]["piecesFilterType"] == "NONE"
    assert p["plan"]["pieces"] == []
    assert p["plan"]["projectId"] == p["id"]
    assert ID.match(p["plan"]["id"])
    assert p["analytics"] == {"totalUsers": 0, "activeUsers": 0, "totalFlows": 0, "activeFlows": 0}
    assert p["icon"]["color"] in {
        "RED", "BLUE", "YELLOW", "PURPLE", "GREEN", "PINK",
        "VIOLET", "ORANGE", "DARK_GREEN", "CYAN", "LAVENDER", "DEEP_ORANGE",
    }  # fmt: skip


def test_get_returns_200_with_deleted_null(api: httpx.Client, emu: Emulator) -> None:
    project = emu.state.add_project("Acme", external_id="acme")
    r = api.get(f"/projects/{project['id']}")
    assert r.status_code == 200
    body = r.json()
    assert body["deleted"] is None
    assert set(body) == PROJECT_KEYS | {"deleted"}


def test_list_returns_a_seek_page(api: httpx.Client) -> None:
    r = api.get("/projects")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"data", "next", "previous"}
    assert body["next"] is None
    assert body["previous"] is None
    assert all("deleted" not in p for p in body["data"])


def test_update_is_a_post_returning_200(api: httpx.Client, emu: Emulator) -> None:
    project = emu.state.add_project("Acme", external_id="acme")
    r = api.post(f"/projects/{project['id']}", json={"displayName": "Acme 2"})
    assert r.status_code == 200
    assert r.json()["displayName"] == "Acme 2"
    assert "deleted" not in r.json()
    assert api.patch(f"/projects/{project['id']}", json={}).status_code == 404


def test_empty_update_body_is_a_no_op(api: httpx.Client, emu: Emulator) -> None:
    project = emu.state.add_project("Acme", external_id="acme")
    r = api.post(f"/projects/{project['id']}", json={})
    assert r.status_code == 200
    assert r.json()["displayName"] == "Acme"


def test_delete_returns_204_with_an_empty_body(api: httpx.Client, emu: Emulator) -> None:
    project = emu.state.add_project("Acme", external_id="acme")
    r = api.delete(f"/projects/{project['id']}")
    assert r.status_code == 204
    assert r.content == b""


def test_unknown_route_is_the_fastify_404(api: httpx.Client, anon: httpx.Client) -> None:
    expected = {"statusCode": 404, "error": "Not Found", "message": "Route not found"}
    for client in (api, anon):
        assert client.get("/agents").json() == expected  # /flows is served (contents)
        assert client.get("/projects/a/b").status_code == 404
        assert client.put("/projects/x", json={}).json() == expected


def test_trailing_slash_is_ignored(api: httpx.Client) -> None:
    assert api.get("/projects/").status_code == 200


def test_served_under_api_v1_only(api: httpx.Client, emu: Emulator) -> None:
    headers = {"Authorization": f"Bearer {emu.api_key}"}
    assert httpx.get(f"{emu.base_url}/v1/projects", headers=headers).status_code == 404
    assert api.get("/projects").url.path == "/api/v1/projects"


def test_worker_groups_is_a_static_route(api: httpx.Client, emu: Emulator) -> None:
    emu.state.configure_platform(worker_groups_enabled=True)  # else 402 (upstream_updates)
    r = api.get("/projects/worker-groups")
    assert r.status_code == 200
    assert r.json() == {"groups": [], "sharedSlots": 0}


def test_every_response_has_a_request_id(api: httpx.Client, anon: httpx.Client) -> None:
    responses = [api.get("/projects"), anon.get("/projects"), api.get("/nothing")]
    responses.append(api.post("/projects", json={"displayName": "."}))
    ids = [r.headers["x-request-id"] for r in responses]
    assert all(re.fullmatch(r"req_[0-9A-Za-z]{21}", i) for i in ids)
    assert len(set(ids)) == len(ids)
    assert all(r.headers["access-control-allow-origin"] == "*" for r in responses)


def test_request_log_records_route_status_and_fault(api: httpx.Client, emu: Emulator) -> None:
    api.get("/projects")
    api.get("/nope")
    api.post("/projects", json={})
    records = list(emu.requests)
    assert [(r.route, r.method, r.status, r.fault) for r in records] == [
        ("list", "GET", 200, None),
        ("not_found", "GET", 404, None),
        ("create", "POST", 400, None),
    ]
    assert records[0].path == "/api/v1/projects"
    assert emu.requests.count(route="list") == 1
    assert emu.requests.count(method="POST") == 1
    assert len(emu.requests) == 3
    emu.requests.clear()
    assert len(emu.requests) == 0
