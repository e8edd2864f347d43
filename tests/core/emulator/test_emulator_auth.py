"""Authentication, authorization and platform isolation."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from activepieces_core.testing import Emulator

MakeApi = Callable[[str], httpx.Client]


def test_missing_header_is_403_authorization(anon: httpx.Client) -> None:
    r = anon.get("/projects")
    assert r.status_code == 403
    assert r.json() == {
        "code": "AUTHORIZATION",
        "params": {"message": "principal is not allowed for this route"},
    }


def test_non_bearer_header_is_403(emu: Emulator) -> None:
    r = httpx.get(f"{emu.url}/projects", headers={"Authorization": f"bearer {emu.api_key}"})
    assert r.status_code == 403


def test_unknown_key_is_401_authentication(make_api: MakeApi) -> None:
    r = make_api("sk-" + "x" * 61).get("/projects")
    assert r.status_code == 401
    assert r.json() == {"code": "AUTHENTICATION", "params": {"message": "invalid api key"}}


def test_non_sk_bearer_is_401_invalid_bearer_token(make_api: MakeApi) -> None:
    r = make_api("not-a-jwt").get("/projects")
    assert r.status_code == 401
    assert r.json()["code"] == "INVALID_BEARER_TOKEN"


def test_api_key_shape(emu: Emulator) -> None:
    assert emu.api_key.startswith("sk-")
    assert len(emu.api_key) == 64
    assert emu.api_key[3:].isalnum()


def test_other_platform_get_and_update_are_403(api: httpx.Client, emu: Emulator) -> None:
    other = emu.state.add_platform()
    theirs = emu.state.add_project("Theirs", external_id="t", platform_id=other.id)
    for r in (api.get(f"/projects/{theirs['id']}"), api.post(f"/projects/{theirs['id']}", json={})):
        assert r.status_code == 403
        assert r.json() == {
            "code": "AUTHORIZATION",
            "params": {
                "message": "Service is not allowed to access this project",
                "projectId": theirs["id"],
                "platformId": emu.platform_id,
            },
        }


def test_other_platform_delete_is_404_and_keeps_it(api: httpx.Client, emu: Emulator) -> None:
    other = emu.state.add_platform()
    theirs = emu.state.add_project("Theirs", external_id="t", platform_id=other.id)
    r = api.delete(f"/projects/{theirs['id']}")
    assert r.status_code == 404
    assert r.json() == {
        "code": "ENTITY_NOT_FOUND",
        "params": {"entityId": theirs["id"], "entityType": "project"},
    }
    assert emu.state.get_project(theirs["id"])["deleted"] is None


def test_lists_are_per_platform(api: httpx.Client, emu: Emulator, make_api: MakeApi) -> None:
    other = emu.state.add_platform(users=0)
    emu.state.add_project("Mine", external_id="same")
    emu.state.add_project("Theirs", external_id="same", platform_id=other.id)
    names = [p["displayName"] for p in make_api(other.api_key).get("/projects").json()["data"]]
    assert names == ["Olivia's Project", "Theirs"]
    mine = api.get("/projects", params={"externalId": "same"}).json()["data"]
    assert [p["displayName"] for p in mine] == ["Mine"]


def test_unknown_id_is_404_on_every_route(api: httpx.Client) -> None:
    for r in (
        api.get("/projects/nope"),
        api.post("/projects/nope", json={}),
        api.delete("/projects/nope"),
    ):
        assert r.status_code == 404
        assert r.json() == {
            "code": "ENTITY_NOT_FOUND",
            "params": {"entityId": "nope", "entityType": "project"},
        }


def test_platform_repr_hides_the_key(emu: Emulator) -> None:
    assert emu.api_key not in repr(emu.state.platform())
    assert emu.api_key not in repr(emu)
