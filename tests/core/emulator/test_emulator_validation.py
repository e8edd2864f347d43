"""Schema validation (Fastify 4-key 400) and the request lifecycle order."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from activepieces_core.testing import Emulator


def _is_validation_error(r: httpx.Response, fragment: str = "") -> None:
    assert r.status_code == 400, r.text
    body = r.json()
    assert set(body) == {"statusCode", "code", "error", "message"}
    assert body["statusCode"] == 400
    assert body["code"] == "FST_ERR_VALIDATION"
    assert body["error"] == "Bad Request"
    assert fragment in body["message"]


def test_bad_body_without_a_key_is_400_not_403(anon: httpx.Client) -> None:
    r = anon.post("/projects", json={"displayName": "a/b"})
    _is_validation_error(r, "body/displayName Invalid string: must match pattern /^[^./]+$/")


def test_bad_query_without_a_key_is_400(anon: httpx.Client) -> None:
    _is_validation_error(anon.get("/projects", params={"limit": "abc"}), "querystring/limit")


def test_unknown_route_wins_over_validation(anon: httpx.Client) -> None:
    assert anon.post("/nothing", json={"displayName": "."}).status_code == 404


def test_auth_comes_before_rbac(anon: httpx.Client) -> None:
    assert anon.get("/projects/nope").status_code == 403


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "body/displayName Invalid input: expected string, received undefined"),
        ({"displayName": ""}, "body/displayName"),
        ({"displayName": "a.b"}, "must match pattern"),
        ({"displayName": 3}, "expected string, received number"),
        ({"displayName": "A", "externalId": 5}, "body/externalId"),
        ({"displayName": "A", "metadata": [1]}, "body/metadata"),
        ({"displayName": "A", "metadata": "x"}, "body/metadata"),
        ({"displayName": "A", "maxConcurrentJobs": "3"}, "body/maxConcurrentJobs"),
        ({"displayName": "A", "alertReceiverEmail": ""}, "Invalid email address"),
        ({"displayName": "A", "alertReceiverEmail": "nope"}, "body/alertReceiverEmail"),
        ({"displayName": "A", "globalConnectionExternalIds": None}, "body/global"),
        (
            {"displayName": "A", "globalConnectionExternalIds": [1]},
            "/globalConnectionExternalIds/0",
        ),
    ],
)
def test_create_validation(api: httpx.Client, body: dict[str, Any], fragment: str) -> None:
    _is_validation_error(api.post("/projects", json=body), fragment)


@pytest.mark.parametrize(
    "body",
    [
        {"displayName": "A", "externalId": None, "metadata": None, "maxConcurrentJobs": None},
        {"displayName": "A", "maxConcurrentJobs": 2.5, "alertReceiverEmail": None},
        {"displayName": "A", "alertReceiverEmail": "ops@example.com"},
        {"displayName": "A", "notifyStatus": "ALWAYS", "plan": {"tasks": 5}},
    ],
)
def test_create_accepts(api: httpx.Client, body: dict[str, Any]) -> None:
    r = api.post("/projects", json=body)
    assert r.status_code == 201, r.text
    assert "notifyStatus" not in r.json()


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"externalId": None}, "body/externalId"),
        ({"metadata": None}, "body/metadata"),
        ({"maxConcurrentJobs": 0}, "body/maxConcurrentJobs Too small"),
        ({"maxConcurrentJobs": 1.5}, "body/maxConcurrentJobs"),
        ({"maxConcurrentJobs": -2}, "body/maxConcurrentJobs"),
        ({"icon": {"color": "MAUVE"}}, "body/icon/color Invalid option"),
        ({"icon": {}}, "body/icon/color"),
        ({"releasesEnabled": "yes"}, "body/releasesEnabled"),
        ({"plan": {"piecesFilterType": "BLOCKED"}}, "body/plan/piecesFilterType"),
        ({"plan": {"pieces": "slack"}}, "body/plan/pieces"),
        ({"displayName": "x/y"}, "body/displayName"),
        ({"globalConnectionExternalIds": "a"}, "body/globalConnectionExternalIds"),
    ],
)
def test_update_validation(
    api: httpx.Client, emu: Emulator, body: dict[str, Any], fragment: str
) -> None:
    project = emu.state.add_project("Acme", external_id="acme")
    _is_validation_error(api.post(f"/projects/{project['id']}", json=body), fragment)


def test_update_validation_comes_before_the_404(api: httpx.Client) -> None:
    _is_validation_error(api.post("/projects/nope", json={"metadata": None}))


def test_several_issues_are_joined(api: httpx.Client) -> None:
    r = api.post("/projects", json={"displayName": ".", "metadata": 1})
    message = r.json()["message"]
    assert "body/displayName" in message
    assert ", body/metadata" in message


@pytest.mark.parametrize(
    ("params", "ok"),
    [
        ({"types": "TEAM"}, True),
        ([("types", "TEAM"), ("types", "PERSONAL")], True),
        ({"types[]": "TEAM"}, True),
        ({"types": "team"}, False),
        ({"types": "PLATFORM_MANAGED"}, False),
        ({"limit": "10"}, True),
        ({"limit": "-1"}, True),
        ({"limit": "1e1"}, True),
        ({"limit": "ten"}, False),
    ],
)
def test_list_query_validation(api: httpx.Client, params: Any, ok: bool) -> None:
    r = api.get("/projects", params=params)
    if ok:
        assert r.status_code == 200, r.text
    else:
        _is_validation_error(r, "querystring/")


def test_malformed_and_empty_json_bodies(api: httpx.Client) -> None:
    headers = {"content-type": "application/json"}
    bad = api.post("/projects", content=b"{nope", headers=headers)
    empty = api.post("/projects", content=b"", headers=headers)
    for r, code in ((bad, "FST_ERR_CTP_INVALID_JSON_BODY"), (empty, "FST_ERR_CTP_EMPTY_JSON_BODY")):
        assert r.status_code == 400
        assert set(r.json()) == {"statusCode", "code", "error", "message"}
        assert r.json()["code"] == code


def test_missing_body_is_a_validation_error(api: httpx.Client) -> None:
    _is_validation_error(api.post("/projects"), "body Invalid input: expected object")


def test_text_plain_body_fails_validation_and_other_types_are_415(api: httpx.Client) -> None:
    text = api.post("/projects", content=b"hello", headers={"content-type": "text/plain"})
    _is_validation_error(text, "expected object, received string")
    xml = api.post("/projects", content=b"<a/>", headers={"content-type": "application/xml"})
    assert xml.status_code == 415
    assert xml.json()["code"] == "FST_ERR_CTP_INVALID_MEDIA_TYPE"
