"""A tenant's people from Prefect: invite/remove tasks, and sync_tenants carrying members.

People are read back from the emulator (members and waiting invitations), never from the
report. Invitation links are bearer tokens: they must not reach results, logs or artifacts.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from prefect import flow

from activepieces_core.tenants import DeletionLimitExceeded, TenantSpecError
from prefect_activepieces import (
    ActivepiecesCredentials,
    ainvite_member,
    aremove_member,
    invite_member,
    remove_member,
    sync_tenants,
    teardown_tenants,
)
from prefect_activepieces.members import async_tasks, sync_tasks


def _project(emu: Any, external_id: str) -> dict[str, Any]:
    return next(p for p in emu.state.projects(types=["TEAM"]) if p["externalId"] == external_id)


def _people(emu: Any, external_id: str) -> dict[str, str]:
    """``{email: role}`` of the tenant's members and waiting invitations, from the emulator."""
    project = _project(emu, external_id)
    people = {
        m["user"]["email"]: m["projectRole"]["name"]
        for m in emu.state.people.members(project["id"])
    }
    for invitation in emu.state.people.invitations():
        if invitation.get("projectId") == project["id"]:
            people.setdefault(invitation["email"], invitation["projectRole"]["name"])
    return people


DOCUMENT: dict[str, Any] = {
    "defaults": {"member_role": "Viewer"},
    "tenants": [
        {
            "external_id": "acme",
            "members": [
                {"email": "Ops@Acme.example", "role": "Admin"},
                "analyst@acme.example",  # the default role
            ],
        },
        {"external_id": "globex"},  # members not managed
    ],
}


def test_sync_tenants_onboards_people_then_prunes_within_limits(
    credentials: ActivepiecesCredentials, emulator: Any, prefect_api: Any
) -> None:
    emulator.state.people.add_user("ops@acme.example")  # already a user: member at once
    state = sync_tenants(DOCUMENT, credentials, return_state=True)
    report = state.result()
    assert _people(emulator, "acme") == {
        "ops@acme.example": "Admin",
        "analyst@acme.example": "Viewer",
    }
    invited = {r["key"]: r["status"] for r in report["results"] if r["kind"] == "member"}
    assert invited == {"ops@acme.example": "succeeded", "analyst@acme.example": "succeeded"}

    found = prefect_api.artifacts(state.state_details.flow_run_id)
    rows = [
        r
        for r in prefect_api.table(found["activepieces-tenants-plan"])
        if r["what"].startswith("member ")
    ]
    assert {(r["what"], r["action"], r["changes"]) for r in rows} == {
        ("member ops@acme.example", "create", "role: Admin"),
        ("member analyst@acme.example", "create", "role: Viewer"),
    }
    assert "member: 2 create" in found["activepieces-tenants-plan"].description
    assert "| member | 2 | 0 | 0 | 0 |" in found["activepieces-tenants-summary"].data

    # A stray member and a role change; pruning members needs the flag, and stays in bounds.
    acme = _project(emulator, "acme")["id"]
    emulator.state.people.add_member(acme, "stray@acme.example", "Editor")
    emulator.state.people.add_member(acme, "keeper@ops.example", "Editor")
    changed = {
        **DOCUMENT,
        "tenants": [
            {"external_id": "acme", "members": ["ops@acme.example:Editor", "analyst@acme.example"]},
            DOCUMENT["tenants"][1],
        ],
    }
    kept = sync_tenants(changed, credentials)
    assert "stray@acme.example" in _people(emulator, "acme")  # not asked to prune
    assert [r["action"] for r in kept["results"] if r["key"] == "ops@acme.example"] == ["update"]

    before = emulator.requests.count(method="DELETE")
    refused = sync_tenants(
        changed, credentials, prune_members=True, max_deletions=0, return_state=True
    )
    with pytest.raises(DeletionLimitExceeded) as excinfo:
        refused.result()
    assert excinfo.value.kind == "member"
    assert emulator.requests.count(method="DELETE") == before

    pruned = sync_tenants(
        changed, credentials, prune_members=True, protect=["*@ops.example"], return_state=True
    )
    assert _people(emulator, "acme") == {
        "ops@acme.example": "Editor",
        "analyst@acme.example": "Viewer",
        "keeper@ops.example": "Editor",  # protected e-mail pattern
    }
    rows = prefect_api.table(
        prefect_api.artifacts(pruned.state_details.flow_run_id)["activepieces-tenants-plan"]
    )
    removal = next(r for r in rows if r["what"] == "member stray@acme.example")
    assert (removal["action"], removal["changes"]) == ("delete", "role: Editor → (removed)")


def test_unknown_role_refused_before_any_write(
    credentials: ActivepiecesCredentials, emulator: Any
) -> None:
    document = {"tenants": [{"external_id": "acme", "members": ["a@acme.example:Owner"]}]}
    state = sync_tenants(document, credentials, return_state=True)
    with pytest.raises(TenantSpecError, match="unknown role"):
        state.result()
    assert emulator.requests.count(method="POST") == 0


def test_sync_and_async_task_sets_match() -> None:
    assert [t.fn.__name__ for t in sync_tasks] == [
        t.fn.__name__.removeprefix("a") for t in async_tasks
    ]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_invite_and_remove_tasks_keep_links_secret(
    mode: str, credentials: ActivepiecesCredentials, emulator: Any, prefect_api: Any
) -> None:
    # Invitations wait for their link to be used, so the server answers with the link.
    emulator.state.configure_platform(invitations_auto_accept=False)
    project_id = emulator.state.add_project("Acme", external_id="acme")["id"]
    email = "New.Person@acme.example"

    @flow
    def sync_flow() -> list[dict[str, Any]]:
        return [
            invite_member(credentials, project_id, email, "Admin"),
            invite_member(credentials, project_id, email, "Admin"),
            invite_member(credentials, project_id, email, "Viewer"),
            remove_member(credentials, project_id, email),
            remove_member(credentials, project_id, email),
        ]

    @flow
    async def async_flow() -> list[dict[str, Any]]:
        return [
            await ainvite_member(credentials, project_id, email, "Admin"),
            await ainvite_member(credentials, project_id, email, "Admin"),
            await ainvite_member(credentials, project_id, email, "Viewer"),
            await aremove_member(credentials, project_id, email),
            await aremove_member(credentials, project_id, email),
        ]

    chosen = sync_flow if mode == "sync" else async_flow
    state = chosen(return_state=True) if mode == "sync" else asyncio.run(chosen(return_state=True))
    invited, same, changed, removed, absent = state.result()
    assert (invited["action"], invited["email"], invited["role"]) == (
        "invited",
        "new.person@acme.example",
        "Admin",
    )
    assert invited["invitationId"]
    assert same["action"] == "unchanged"
    assert changed["action"] == "invitation_updated"
    assert changed["role"] == "Viewer"
    assert (removed["action"], removed["removedInvitations"]) == ("removed", 1)
    assert absent["action"] == "absent"
    assert "new.person@acme.example" not in _people(emulator, "acme")

    # The links the server sent (one per invitation) are nowhere Prefect keeps things.
    run_id = state.state_details.flow_run_id
    stored = [state.result(), [log.message for log in prefect_api.logs(run_id)]]
    assert "token=" not in json.dumps(stored, default=str)


def test_invite_result_never_carries_the_link(
    credentials: ActivepiecesCredentials, emulator: Any, prefect_api: Any
) -> None:
    emulator.state.configure_platform(invitations_auto_accept=False)
    project_id = emulator.state.add_project("Acme", external_id="acme")["id"]

    @flow
    def invite() -> dict[str, Any]:
        return invite_member(credentials, project_id, "someone@acme.example")

    state = invite(return_state=True)
    result = state.result()
    (pending,) = emulator.state.people.invitations()
    link = pending["link"]
    assert "token=" in link
    assert result["role"] == "Editor"  # the default role
    run_id = state.state_details.flow_run_id
    stored = json.dumps([result, [log.message for log in prefect_api.logs(run_id)]], default=str)
    assert link not in stored
    assert "token=" not in stored


def test_teardown_with_offboard_users(
    credentials: ActivepiecesCredentials, emulator: Any, prefect_api: Any
) -> None:
    """Pruned tenants' people are deactivated only when asked, and never if still elsewhere."""
    gone = emulator.state.add_project("Gone", external_id="gone")["id"]
    kept = emulator.state.add_project("Kept", external_id="kept")["id"]
    emulator.state.people.add_member(gone, "only@gone.example", "Editor")
    emulator.state.people.add_member(gone, "both@shared.example", "Editor")
    emulator.state.people.add_member(kept, "both@shared.example", "Viewer")

    def status(email: str) -> str:
        user = emulator.state.people.user_by_email(email)
        assert user is not None
        return str(user["status"])

    state = sync_tenants(
        [{"external_id": "kept"}],
        credentials,
        prune=True,
        offboard_users=True,
        return_state=True,
        archive=None,
    )
    report = state.result()
    assert "gone" not in {p.get("externalId") for p in emulator.state.projects(types=["TEAM"])}
    assert status("only@gone.example") == "INACTIVE"
    assert status("both@shared.example") == "ACTIVE"
    offboarded = [r for r in report["results"] if r["kind"] == "user"]
    assert [(r["key"], r["status"]) for r in offboarded] == [("only@gone.example", "succeeded")]
    rows = prefect_api.table(
        prefect_api.artifacts(state.state_details.flow_run_id)["activepieces-tenants-plan"]
    )
    user_rows = [(r["what"], r["changes"]) for r in rows if r["what"].startswith("user ")]
    assert len(user_rows) == 1
    assert user_rows[0][0] == "user only@gone.example"
    assert "ACTIVE → INACTIVE" in user_rows[0][1]


def test_teardown_tenants_offboards_only_when_asked(
    credentials: ActivepiecesCredentials, emulator: Any
) -> None:
    """teardown_tenants(offboard_users=True) deactivates the people left in no project; a
    person still in a kept tenant stays active, and without the option nobody is touched."""
    for ext in ("gone", "next", "kept"):
        emulator.state.add_project(ext.title(), external_id=ext)
    emulator.state.people.add_member(
        _project(emulator, "gone")["id"], "only@gone.example", "Editor"
    )
    emulator.state.people.add_member(
        _project(emulator, "next")["id"], "only@next.example", "Editor"
    )
    for ext in ("gone", "kept"):
        emulator.state.people.add_member(_project(emulator, ext)["id"], "both@x.example", "Viewer")

    def status(email: str) -> str:
        user = emulator.state.people.user_by_email(email)
        assert user is not None
        return str(user["status"])

    plain = teardown_tenants(["next"], credentials, archive=None)
    assert plain["summary"]["deleted"] == 1
    assert status("only@next.example") == "ACTIVE"

    report = teardown_tenants(["gone"], credentials, offboard_users=True, archive=None)
    assert report["results"] == [
        {
            "external_id": "gone",
            "project_id": report["results"][0]["project_id"],
            "status": "deleted",
            "error": "",
            "archive": "",  # archive=None: deleted without one
        }
    ]
    assert status("only@gone.example") == "INACTIVE"
    assert status("both@x.example") == "ACTIVE"
    assert "kept" in {p.get("externalId") for p in emulator.state.projects(types=["TEAM"])}
