"""People routes over real HTTP: invitations, members, users and project roles (contract).

Each test pins one rule of ``activepieces_core.testing.people`` (see its docstring and
``docs/people.md`` for the upstream source of each).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from activepieces_core.testing import Emulator
from activepieces_core.testing.people_fixtures import with_options


def team(api: httpx.Client, name: str = "Acme", ext: str = "acme") -> str:
    r = api.post("/projects", json={"displayName": name, "externalId": ext})
    assert r.status_code == 201
    return str(r.json()["id"])


def invite(api: httpx.Client, project_id: str, email: str, role: str = "Editor") -> httpx.Response:
    return api.post(
        "/user-invitations",
        json={"type": "PROJECT", "email": email, "projectId": project_id, "projectRole": role},
    )


def invitations(api: httpx.Client, project_id: str | None = None, **query: Any) -> list[Any]:
    params = {"type": "PROJECT", "limit": "100", **query}
    if project_id is not None:
        params["projectId"] = project_id
    r = api.get("/user-invitations", params=params)
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


def members(api: httpx.Client, project_id: str) -> list[tuple[str, str]]:
    r = api.get("/project-members", params={"projectId": project_id, "limit": "100"})
    assert r.status_code == 200, r.text
    return [(m["user"]["email"], m["projectRole"]["name"]) for m in r.json()["data"]]


def personal_project(emu: Emulator) -> str:
    return str(emu.state.projects(types=["PERSONAL"])[0]["id"])


# ---- project roles ---------------------------------------------------------------------------
def test_default_platform_has_the_four_default_roles(api: httpx.Client, emu: Emulator) -> None:
    assert emu.state.platform().project_roles_enabled is True
    assert emu.state.platform().users_limit is None
    body = api.get("/project-roles").json()
    assert [r["name"] for r in body["data"]] == ["Admin", "Editor", "Operator", "Viewer"]
    assert {r["type"] for r in body["data"]} == {"DEFAULT"}
    assert {r["platformId"] for r in body["data"]} == {None}
    assert body["next"] is None
    assert body["previous"] is None
    assert all(len(r["id"]) == 21 for r in body["data"])


def test_custom_roles_are_per_platform_and_count_users(api: httpx.Client, emu: Emulator) -> None:
    emu.state.people.add_role("Auditor", ["READ_FLOW"])
    other = emu.state.add_platform()
    emu.state.people.add_role("Elsewhere", platform_id=other.id)
    pid = team(api)
    emu.state.people.add_member(pid, "a@acme.example", "auditor")
    roles = {r["name"]: r for r in api.get("/project-roles").json()["data"]}
    assert set(roles) == {"Admin", "Editor", "Operator", "Viewer", "Auditor"}
    assert roles["Auditor"]["type"] == "CUSTOM"
    assert roles["Auditor"]["platformId"] == emu.platform_id
    assert roles["Auditor"]["userCount"] == 1
    assert roles["Editor"]["userCount"] == 0


# ---- invitations: auto-accept ----------------------------------------------------------------
def test_api_key_invitation_of_a_new_person_waits_for_sign_up(
    api: httpx.Client, emu: Emulator
) -> None:
    pid = team(api)
    r = invite(api, pid, "  Ops@Acme.Example ", "Admin")
    assert r.status_code == 201
    body = r.json()
    assert body["email"] == "ops@acme.example"  # lower-cased and trimmed
    assert body["status"] == "ACCEPTED"
    assert body["type"] == "PROJECT"
    assert body["projectId"] == pid
    assert "link" not in body  # auto-accepted: no link, even without SMTP
    listed = invitations(api, pid)
    assert [i["email"] for i in listed] == ["ops@acme.example"]
    assert listed[0]["projectRole"]["name"] == "Admin"
    assert members(api, pid) == []
    user = emu.state.sign_up("ops@acme.example", first_name="Ops", last_name="Lead")
    assert user["platformRole"] == "MEMBER"
    assert members(api, pid) == [("ops@acme.example", "Admin")]
    assert invitations(api, pid) == []  # provisioned invitations are deleted


def test_api_key_invitation_of_an_existing_user_is_a_member_at_once(
    api: httpx.Client, emu: Emulator
) -> None:
    pid = team(api)
    r = invite(api, pid, "alice.adams@example.com", "Viewer")
    assert r.status_code == 201
    assert members(api, pid) == [("alice.adams@example.com", "Viewer")]
    assert invitations(api, pid) == []
    # The same invitation again changes nothing; another role updates the membership.
    assert invite(api, pid, "ALICE.adams@example.com", "Viewer").status_code == 201
    assert members(api, pid) == [("alice.adams@example.com", "Viewer")]
    assert invite(api, pid, "alice.adams@example.com", "Editor").status_code == 201
    assert members(api, pid) == [("alice.adams@example.com", "Editor")]


def test_identity_on_another_platform_gets_a_user_here(api: httpx.Client, emu: Emulator) -> None:
    other = emu.state.add_platform()
    emu.state.people.add_user("carol@corp.example", platform_id=other.id)
    pid = team(api)
    invite(api, pid, "carol@corp.example")
    assert members(api, pid) == [("carol@corp.example", "Editor")]
    assert emu.state.people.user_by_email("carol@corp.example") is not None


def test_invitation_upserts_on_email_platform_and_project(api: httpx.Client) -> None:
    pid = team(api)
    first = invite(api, pid, "new@acme.example", "Viewer").json()
    second = invite(api, pid, "NEW@acme.example ", "Editor").json()
    listed = invitations(api, pid)
    assert len(listed) == 1
    assert listed[0]["projectRole"]["name"] == "Editor"
    assert second["id"] != first["id"]  # the upsert writes a fresh id
    assert listed[0]["id"] == second["id"]
    assert listed[0]["created"] == first["created"]
    other = team(api, "Beta", "beta")
    invite(api, pid := other, "new@acme.example")
    assert len(invitations(api, pid)) == 1
    assert len(invitations(api)) == 2  # one per project


def test_role_names_are_case_insensitive_and_unknown_ones_404(api: httpx.Client) -> None:
    pid = team(api)
    assert invite(api, pid, "a@acme.example", "eDiToR").status_code == 201
    assert invitations(api, pid)[0]["projectRole"]["name"] == "Editor"
    r = invite(api, pid, "b@acme.example", "Owner")
    assert r.status_code == 404
    assert r.json() == {
        "code": "ENTITY_NOT_FOUND",
        "params": {
            "entityType": "project_role",
            "entityId": "Owner",
            "message": "Project Role by name and platformId not found",
        },
    }


def test_project_invitation_needs_a_team_project(api: httpx.Client, emu: Emulator) -> None:
    r = invite(api, personal_project(emu), "a@acme.example")
    assert r.status_code == 409
    assert r.json()["code"] == "VALIDATION"


def test_project_invitation_needs_project_roles_enabled(api: httpx.Client, emu: Emulator) -> None:
    pid = team(api)
    emu.state.configure_platform(project_roles_enabled=False)
    r = invite(api, pid, "a@acme.example")
    assert r.status_code == 402
    assert r.json() == {"code": "FEATURE_DISABLED", "params": {"message": "Feature is disabled"}}
    r = api.get("/project-members", params={"projectId": pid})
    assert r.status_code == 402
    # PLATFORM invitations are not gated by the project-roles flag.
    r = api.post(
        "/user-invitations",
        json={"type": "PLATFORM", "email": "b@acme.example", "platformRole": "MEMBER"},
    )
    assert r.status_code == 201


def test_project_invitation_unknown_or_foreign_project(
    api: httpx.Client, emu: Emulator, make_api: Callable[[str], httpx.Client]
) -> None:
    r = invite(api, "A" * 21, "a@acme.example")
    assert r.status_code == 404
    assert r.json()["params"]["entityType"] == "project"
    other = emu.state.add_platform()
    foreign = make_api(other.api_key)
    pid = team(api)
    r = invite(foreign, pid, "a@acme.example")
    assert r.status_code == 403
    assert r.json()["code"] == "AUTHORIZATION"
    r = foreign.get("/project-members", params={"projectId": pid})
    assert r.status_code == 403


# ---- seat cap ----------------------------------------------------------------------------------
def test_users_limit_refuses_invitations_that_add_a_user(api: httpx.Client, emu: Emulator) -> None:
    pid = team(api)
    users = len(api.get("/users").json()["data"])  # owner + 2
    emu.state.configure_platform(users_limit=users + 1)
    assert invite(api, pid, "one@acme.example").status_code == 201  # takes the last seat
    assert invite(api, pid, "one@acme.example", "Admin").status_code == 201  # already reserved
    r = invite(api, pid, "two@acme.example")
    assert r.status_code == 402
    assert r.json() == {
        "code": "QUOTA_EXCEEDED",
        "params": {"metric": "users", "usage": users + 1, "limit": users + 1},
    }
    # Existing users take no seat.
    assert invite(api, pid, "bob.brown@example.com").status_code == 201
    emu.state.sign_up("one@acme.example")  # the reservation becomes a user: usage unchanged
    assert invite(api, pid, "two@acme.example").status_code == 402


# ---- pending invitations (a non-auto-accepting server) -----------------------------------------
def test_pending_invitation_carries_a_link_without_smtp(api: httpx.Client, emu: Emulator) -> None:
    emu.state.configure_platform(invitations_auto_accept=False)
    pid = team(api)
    body = invite(api, pid, "p@acme.example").json()
    assert body["status"] == "PENDING"
    assert body["link"].startswith("https://")
    assert "token=" in body["link"]
    assert "email=p%40acme.example" in body["link"]
    listed = invitations(api, pid)
    assert "link" not in listed[0]  # the list never shows it
    emu.state.people.accept_invitation(body["id"])
    emu.state.sign_up("p@acme.example")
    assert members(api, pid) == [("p@acme.example", "Editor")]
    emu.state.configure_platform(smtp_configured=True)
    assert "link" not in invite(api, pid, "q@acme.example").json()


# ---- platform invitations ----------------------------------------------------------------------
def test_platform_invitation(api: httpx.Client, emu: Emulator) -> None:
    body = {"type": "PLATFORM", "email": "bob.brown@example.com", "platformRole": "OPERATOR"}
    assert api.post("/user-invitations", json=body).status_code == 201
    assert emu.state.people.user_by_email("bob.brown@example.com")["platformRole"] == "OPERATOR"
    # A new person: NULL projectId never conflicts, so each send is a new row (Postgres).
    new = {"type": "PLATFORM", "email": "n@x.example", "platformRole": "ADMIN"}
    api.post("/user-invitations", json=new)
    api.post("/user-invitations", json=new)
    assert len(invitations(api, type="PLATFORM")) == 2
    emu.state.sign_up("n@x.example")
    assert invitations(api, type="PLATFORM") == []
    assert emu.state.people.user_by_email("n@x.example")["platformRole"] == "ADMIN"


# ---- listing, paging, deleting invitations ------------------------------------------------
def test_invitation_list_requires_type_and_filters(api: httpx.Client, emu: Emulator) -> None:
    r = api.get("/user-invitations")
    assert r.status_code == 400
    assert r.json()["code"] == "FST_ERR_VALIDATION"
    assert r.json()["message"].startswith("querystring/type")
    a, b = team(api), team(api, "Beta", "beta")
    invite(api, a, "x@acme.example")
    invite(api, b, "y@acme.example")
    assert [i["email"] for i in invitations(api, a)] == ["x@acme.example"]
    assert len(invitations(api)) == 2
    assert invitations(api, a, status="PENDING") == []
    assert len(invitations(api, a, status="ACCEPTED")) == 1
    r = api.get("/user-invitations", params={"type": "PROJECT", "projectId": personal_project(emu)})
    assert r.status_code == 409


def test_invitation_pages(api: httpx.Client) -> None:
    pid = team(api)
    for i in range(13):
        invite(api, pid, f"u{i:02d}@acme.example")
    first = api.get("/user-invitations", params={"type": "PROJECT", "projectId": pid}).json()
    assert len(first["data"]) == 10  # the route's default
    assert first["previous"] is None
    second = api.get(
        "/user-invitations", params={"type": "PROJECT", "projectId": pid, "cursor": first["next"]}
    ).json()
    assert [i["email"] for i in second["data"]] == [f"u{i}@acme.example" for i in range(10, 13)]
    assert second["next"] is None
    assert second["previous"] is not None
    back = api.get(
        "/user-invitations",
        params={"type": "PROJECT", "projectId": pid, "cursor": second["previous"]},
    ).json()
    assert [i["id"] for i in back["data"]] == [i["id"] for i in first["data"]]
    garbage = api.get("/user-invitations", params={"type": "PROJECT", "cursor": "%%%"}).json()
    assert len(garbage["data"]) == 10  # a bad cursor reads as the first page


def test_delete_invitation(api: httpx.Client, emu: Emulator) -> None:
    pid = team(api)
    inv = invite(api, pid, "x@acme.example").json()
    r = api.delete(f"/user-invitations/{inv['id']}")
    assert r.status_code == 204
    assert r.content == b""
    assert invitations(api, pid) == []
    r = api.delete(f"/user-invitations/{inv['id']}")
    assert r.status_code == 404
    assert r.json()["params"] == {"entityId": f"id={inv['id']}", "entityType": "UserInvitation"}


# ---- members -------------------------------------------------------------------------------------
def test_member_shape_and_paging(api: httpx.Client, emu: Emulator) -> None:
    pid = team(api)
    for i in range(12):
        emu.state.people.add_member(pid, f"m{i:02d}@acme.example", "Viewer")
    page = api.get("/project-members", params={"projectId": pid}).json()
    assert len(page["data"]) == 10
    member = page["data"][0]
    assert set(member) >= {"id", "created", "updated", "platformId", "userId", "projectId"}
    assert member["project"] == {"id": pid, "displayName": "Acme"}
    assert member["projectRole"]["name"] == "Viewer"
    user = member["user"]
    assert set(user) >= {"id", "email", "firstName", "lastName", "externalId", "status"}
    rest = api.get("/project-members", params={"projectId": pid, "cursor": page["next"]}).json()
    assert len(rest["data"]) == 2
    assert rest["next"] is None
    r = api.get("/project-members")
    assert r.status_code == 400
    assert r.json()["message"].startswith("querystring/projectId")


def test_member_role_update_and_delete(api: httpx.Client, emu: Emulator) -> None:
    pid = team(api)
    mid = emu.state.people.add_member(pid, "m@acme.example", "Viewer")["id"]
    r = api.post(f"/project-members/{mid}", json={"role": "admin"})
    assert r.status_code == 200
    assert r.json()["id"] == mid
    assert "user" not in r.json()  # the plain row (the response schema does not fit it)
    assert members(api, pid) == [("m@acme.example", "Admin")]
    assert api.post(f"/project-members/{mid}", json={"role": "Nope"}).status_code == 404
    assert api.post(f"/project-members/{mid}", json={}).status_code == 400
    assert api.delete(f"/project-members/{mid}").status_code == 204
    assert members(api, pid) == []
    assert api.delete(f"/project-members/{mid}").status_code == 404
    assert api.post(f"/project-members/{mid}", json={"role": "Admin"}).status_code == 404


def test_deleting_a_project_cascades(api: httpx.Client, emu: Emulator) -> None:
    pid = team(api)
    keep = team(api, "Beta", "beta")
    emu.state.people.add_member(pid, "m@acme.example")
    invite(api, pid, "pending@acme.example")
    invite(api, keep, "pending@acme.example")
    assert api.delete(f"/projects/{pid}").status_code == 204
    assert emu.state.people.members(pid) == []
    assert [i["projectId"] for i in invitations(api)] == [keep]
    emu.state.sign_up("pending@acme.example")
    assert members(api, keep) == [("pending@acme.example", "Editor")]


# ---- listings follow every change ---------------------------------------------------------------
def _emails(api: httpx.Client, path: str, **params: str) -> list[str]:
    r = api.get(path, params={"limit": "100", **params})
    assert r.status_code == 200, r.text
    return [row.get("email") or row["user"]["email"] for row in r.json()["data"]]


def pending_id(api: httpx.Client) -> str:
    r = api.get("/user-invitations", params={"type": "PROJECT", "status": "PENDING"})
    return str(r.json()["data"][0]["id"])


def test_listings_follow_every_change(api: httpx.Client, emu: Emulator) -> None:
    """The emulator sorts a listing once and keeps it until an invitation or member changes:
    each kind of change shows in the next read of a listing read just before it."""
    emu.state.configure_platform(invitations_auto_accept=False)
    pid = team(api)
    role = {r["name"]: r["id"] for r in api.get("/project-roles").json()["data"]}

    def pending() -> list[str]:
        return _emails(api, "/user-invitations", type="PROJECT", status="PENDING")

    def holding(name: str) -> list[str]:
        return _emails(api, "/project-members", projectId=pid, projectRoleId=role[name])

    def platform_members() -> list[str]:
        return _emails(api, "/platform-project-members/users")

    assert pending() == []
    invitation = invite(api, pid, "p@acme.example").json()  # an invitation added
    assert pending() == ["p@acme.example"]
    emu.state.people.accept_invitation(invitation["id"])  # its status changed
    assert pending() == []
    assert invite(api, pid, "q@acme.example").status_code == 201
    assert pending() == ["q@acme.example"]
    assert api.delete(f"/user-invitations/{pending_id(api)}").status_code == 204  # removed
    assert pending() == []

    assert holding("Viewer") == []
    member = emu.state.people.add_member(pid, "m@acme.example", "Viewer")  # a member added
    assert holding("Viewer") == ["m@acme.example"]
    emu.state.people.add_member(pid, "m@acme.example", "Editor")  # its role, upserted
    assert holding("Viewer") == []
    assert holding("Editor") == ["m@acme.example"]
    r = api.post(f"/project-members/{member['id']}", json={"role": "Admin"})  # role updated
    assert r.status_code == 200
    assert holding("Editor") == []
    assert _emails(api, f"/project-roles/{role['Admin']}/project-members") == ["m@acme.example"]
    assert platform_members() == ["m@acme.example"]
    assert api.delete(f"/project-members/{member['id']}").status_code == 204  # removed
    assert platform_members() == []
    assert _emails(api, f"/project-roles/{role['Admin']}/project-members") == []
    other = team(api, "Beta", "beta")  # no invitation: deleting it drops members only
    emu.state.people.add_member(other, "n@acme.example")
    assert platform_members() == ["n@acme.example"]
    assert api.delete(f"/projects/{other}").status_code == 204  # its project deleted
    assert platform_members() == []


# ---- users ---------------------------------------------------------------------------------------
def test_users_list_filter_update_delete(api: httpx.Client, emu: Emulator) -> None:
    for i in range(10):
        emu.state.people.add_user(f"user{i}@x.example", external_id=f"ext-{i}")
    page = api.get("/users").json()
    assert len(page["data"]) == 10
    assert page["next"] is not None
    found = api.get("/users", params={"externalId": "ext-3"}).json()["data"]
    assert [u["email"] for u in found] == ["user3@x.example"]
    uid = found[0]["id"]
    r = api.post(f"/users/{uid}", json={"status": "INACTIVE", "platformRole": "OPERATOR"})
    assert r.status_code == 200
    assert r.json()["status"] == "INACTIVE"
    assert r.json()["platformRole"] == "OPERATOR"
    assert r.json()["externalId"] == "ext-3"
    assert api.post(f"/users/{uid}", json={"status": "GONE"}).status_code == 400
    assert api.post("/users/short", json={}).status_code == 400
    assert api.post("/users/" + "B" * 21, json={}).status_code == 404
    pid = team(api)
    emu.state.people.add_member(pid, "user3@x.example")
    assert api.delete(f"/users/{uid}").status_code == 204
    assert api.get("/users", params={"externalId": "ext-3"}).json()["data"] == []
    assert members(api, pid) == []  # memberships go with the user
    assert api.delete(f"/users/{uid}").status_code == 404


def test_users_of_another_platform_are_not_found(
    api: httpx.Client, emu: Emulator, make_api: Callable[[str], httpx.Client]
) -> None:
    other = emu.state.add_platform()
    foreign = make_api(other.api_key)
    uid = api.get("/users").json()["data"][1]["id"]
    r = foreign.post(f"/users/{uid}", json={"status": "INACTIVE"})
    assert r.status_code == 404
    assert r.json()["params"] == {"entityType": "user", "entityId": uid}
    assert foreign.delete(f"/users/{uid}").status_code == 404


def test_external_id_set_through_users_drives_the_projects_filter(
    api: httpx.Client, emu: Emulator
) -> None:
    uid = api.get("/users").json()["data"][1]["id"]
    api.post(f"/users/{uid}", json={"externalId": "alice-ext"})
    r = api.get("/projects", params={"externalUserId": "alice-ext"}).json()
    assert [p["ownerId"] for p in r["data"]] == [uid]


# ---- lifecycle order, auth, faults ------------------------------------------------------------
def test_validation_comes_before_authentication(anon: httpx.Client) -> None:
    r = anon.post("/user-invitations", json={"type": "NOPE"})
    assert r.status_code == 400
    r = anon.post("/user-invitations", json={"type": "PROJECT", "email": "a@b.example"})
    assert r.status_code == 400
    assert "body/projectId" in r.json()["message"]
    r = anon.get("/project-roles")
    assert r.status_code == 403
    assert r.json()["code"] == "AUTHORIZATION"


def test_unknown_people_routes_are_404(api: httpx.Client) -> None:
    assert api.put("/user-invitations").status_code == 404
    assert api.get("/users/a/b").status_code == 404
    assert api.put("/project-roles/x").status_code == 404  # DELETE is a route (by name)
    assert api.get("/project-roles/x/project-members/y").status_code == 404


def test_faults_apply_to_people_routes(api: httpx.Client, emu: Emulator) -> None:
    pid = team(api)
    emu.faults.script("invitations.create", 1, "drop_after")
    with pytest.raises(httpx.TransportError):
        invite(api, pid, "dropped@acme.example")
    assert [i["email"] for i in invitations(api, pid)] == ["dropped@acme.example"]  # committed
    emu.faults.script("members.list", 1, "503")
    assert api.get("/project-members", params={"projectId": pid}).status_code == 503
    emu.faults.set("*", rate=1.0, kinds=["429"])
    assert api.get("/project-roles").status_code == 429
    records = [r for r in emu.requests if r.route.startswith(("invitations.", "members."))]
    assert [(r.route, r.fault) for r in records][:2] == [
        ("invitations.create", "drop_after"),
        ("invitations.list", None),
    ]


# ---- fixtures and the CLI --------------------------------------------------------------------
FIXTURES: dict[str, Any] = {
    "platforms": [
        {
            "users_limit": 10,
            "users": ["Alice Adams", {"email": "ops@acme.example", "platform_role": "ADMIN"}],
            "project_roles": [{"name": "Auditor", "permissions": ["READ_FLOW"]}],
            "projects": [
                {
                    "displayName": "Acme",
                    "externalId": "acme",
                    "members": [
                        {"email": "ops@acme.example", "role": "Admin"},
                        {"email": "n@x.io"},
                    ],
                }
            ],
        }
    ]
}


def test_fixture_users_roles_and_members() -> None:
    with Emulator(seed=1, fixtures=FIXTURES) as emu:
        platform = emu.state.platform()
        assert platform.users_limit == 10
        emails = [u["email"] for u in emu.state.people.users()]
        assert emails == [
            "olivia.owner@example.com",
            "alice.adams@example.com",
            "ops@acme.example",
            "n@x.io",
        ]
        assert emu.state.people.user_by_email("ops@acme.example")["platformRole"] == "ADMIN"
        pid = emu.state.live_ids_by_external("acme", platform.id).pop()
        got = [
            (m["user"]["email"], m["projectRole"]["name"]) for m in emu.state.people.members(pid)
        ]
        assert got == [("ops@acme.example", "Admin"), ("n@x.io", "Editor")]
        emu.reset()  # the fixture people come back
        assert len(emu.state.people.members(pid)) == 2
        names = [r["name"] for r in emu.state.people.roles(emu.state.platform())]
        assert "Auditor" in names


def test_cli_options_fold_into_the_fixtures() -> None:
    assert with_options(None) is None
    data = with_options(None, users_limit=3, project_roles_enabled=False, users=["a@x.example"])
    assert data is not None
    first = dict(data)["platforms"][0]
    assert first["users_limit"] == 3
    assert first["project_roles_enabled"] is False
    assert first["users"] == ["Alice Adams", "Bob Brown", {"email": "a@x.example"}]
    with Emulator(seed=2, fixtures=data) as emu:
        assert emu.state.people.user_by_email("a@x.example") is not None
        assert emu.state.platform().project_roles_enabled is False


def test_cli_help_lists_the_people_options() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "activepieces_core.testing.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for option in ("--users-limit", "--no-project-roles", "--user EMAIL"):
        assert option in out
