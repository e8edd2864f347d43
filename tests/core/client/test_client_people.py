"""Users, project roles, members and invitations: sync and async clients over real HTTP.

``api`` is parametrised (sync, async on aiohttp, async on httpx); `call` and `collect` reach
any resource of it. Faults are the emulator's own, injected per route.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import pickle
from collections import Counter
from typing import Any

import pytest

from activepieces_core import (
    AsyncActivepiecesClient,
    Invitation,
    InvitationStatus,
    InvitationType,
    InviteResult,
    PlatformRole,
    Project,
    ProjectMember,
    ProjectPeople,
    UnknownRoleError,
    User,
    UserStatus,
)
from activepieces_core.errors import (
    AmbiguousExternalIdError,
    FeatureDisabledError,
    InvalidRequestError,
    NotFoundError,
    QuotaExceededError,
    ValidationError,
)

WRITES = ("invitations.create", "invitations.delete", "members.update", "members.delete")
ALICE = "alice.adams@example.com"  # an existing user of the emulator's default platform


async def call(api: Any, resource: str, method: str, *args: Any, **kwargs: Any) -> Any:
    result = getattr(getattr(api.client, resource), method)(*args, **kwargs)
    return await result if inspect.isawaitable(result) else result


async def collect(api: Any, resource: str, *args: Any, **kwargs: Any) -> list[Any]:
    rows = getattr(api.client, resource).iter(*args, **kwargs)
    if hasattr(rows, "__aiter__"):
        return [row async for row in rows]
    return list(rows)


def writes(emu: Any) -> int:
    return sum(emu.requests.count(route=r) for r in WRITES)


def project(emu: Any, ext: str = "acme") -> str:
    return str(emu.state.add_project(ext.title(), external_id=ext)["id"])


def people_of(emu: Any, pid: str) -> dict[str, str]:
    """email -> role for members and listed invitations (members win)."""
    out = {i["email"]: i["projectRole"]["name"] for i in emu.state.people.invitations()
           if i["projectId"] == pid}  # fmt: skip
    out.update(
        {m["user"]["email"]: m["projectRole"]["name"] for m in emu.state.people.members(pid)}
    )
    return out


# ---- roles and users ----------------------------------------------------------------------------
async def test_project_roles(api: Any, emu: Any) -> None:
    emu.state.people.add_role("Auditor", ["READ_FLOW"])
    roles = await call(api, "project_roles", "list")
    assert [r.name for r in roles] == ["Admin", "Editor", "Operator", "Viewer", "Auditor"]
    assert roles[-1].type == "CUSTOM"
    assert roles[-1].permissions == ["READ_FLOW"]
    assert await call(api, "project_roles", "names") == [r.name for r in roles]


async def test_users_list_find_update_delete(api: Any, emu: Any) -> None:
    for i in range(5):
        emu.state.people.add_user(f"u{i}@x.example", external_id=f"ext-{i}")
    page = await call(api, "users", "list", limit=2)
    assert len(page.data) == 2
    assert page.has_more
    everyone = await collect(api, "users", limit=2)
    assert len(everyone) == 8  # owner, 2 seeded, 5 added
    assert all(isinstance(u, User) for u in everyone)
    user = await call(api, "users", "get_by_external_id", "ext-3")
    assert user is not None
    assert user.email == "u3@x.example"
    assert await call(api, "users", "get_by_external_id", "nobody") is None
    assert (await call(api, "users", "get_by_email", " U3@X.example", page_size=3)).id == user.id
    assert await call(api, "users", "get_by_email", "none@x.example") is None
    off = await call(api, "users", "deactivate", user)
    assert off.status is UserStatus.INACTIVE
    assert not off.is_active
    on = await call(api, "users", "update", user.id, status="ACTIVE", platform_role="OPERATOR")
    assert on.is_active
    assert on.platform_role is PlatformRole.OPERATOR
    with pytest.raises(InvalidRequestError):
        await call(api, "users", "update", user.id, status="GONE")
    await call(api, "users", "delete", user)
    assert await call(api, "users", "get_by_external_id", "ext-3") is None
    with pytest.raises(NotFoundError):
        await call(api, "users", "delete", user.id)


async def test_ambiguous_user_external_id(api: Any, emu: Any) -> None:
    emu.state.people.add_user("a@x.example", external_id="same")
    emu.state.people.add_user("b@x.example", external_id="same")
    with pytest.raises(AmbiguousExternalIdError):
        await call(api, "users", "get_by_external_id", "same")


# ---- invitations ------------------------------------------------------------------------------
async def test_send_list_delete_invitations(api: Any, emu: Any) -> None:
    pid = project(emu)
    sent = await call(api, "invitations", "send", "New@Acme.example", project=pid, role="Viewer")
    assert isinstance(sent, Invitation)
    assert sent.email == "new@acme.example"
    assert sent.status is InvitationStatus.ACCEPTED
    assert sent.type is InvitationType.PROJECT
    assert sent.reveal_link() is None  # an API key's invitation is accepted: no link
    listed = await collect(api, "invitations", project_id=pid)
    assert [(i.email, i.role) for i in listed] == [("new@acme.example", "Viewer")]
    page = await call(api, "invitations", "list", project_id=pid, status="PENDING")
    assert page.data == []
    await call(api, "invitations", "delete", listed[0])
    assert await collect(api, "invitations", project_id=pid) == []
    platform = await call(api, "invitations", "send", "p@x.example", platform_role="ADMIN")
    assert platform.type is InvitationType.PLATFORM
    assert [i.email for i in await collect(api, "invitations", type="PLATFORM")] == ["p@x.example"]
    for bad in (
        {"project": pid},  # no role
        {"platform_role": "ADMIN", "project": pid, "role": "Admin"},
        {},
        {"platform_role": "KING"},
    ):
        with pytest.raises(InvalidRequestError):
            await call(api, "invitations", "send", "p@x.example", **bad)
    with pytest.raises(InvalidRequestError):
        await call(api, "invitations", "list", type="NOPE")


async def test_invitation_link_is_a_secret(api: Any, emu: Any, caplog: Any) -> None:
    emu.state.configure_platform(invitations_auto_accept=False)
    pid = project(emu)
    caplog.set_level(logging.DEBUG)
    sent = await call(api, "invitations", "send", "p@acme.example", project=pid, role="Editor")
    link = sent.reveal_link()
    assert link is not None
    assert "token=" in link
    token = link.split("token=")[1].split("&")[0]
    assert sent.has_link
    for text in (
        repr(sent),
        str(sent),
        str(sent.to_dict()),
        caplog.text,
        repr(pickle.loads(pickle.dumps(sent))),
    ):
        assert token not in text
    assert sent.to_dict()["hasLink"] is True
    assert "link" not in sent.to_dict()
    result = await call(api, "project_members", "invite", pid, "q@acme.example", "Editor")
    assert token not in repr(result)
    assert "link" not in str(result.to_dict())


# ---- members and the converging invite -----------------------------------------------------
async def test_invite_a_new_person_converges(api: Any, emu: Any) -> None:
    pid = project(emu)
    first = await call(api, "project_members", "invite", pid, "Ops@Acme.example ", "Admin")
    assert isinstance(first, InviteResult)
    assert (first.action, first.email, first.role) == ("invited", "ops@acme.example", "Admin")
    assert first.changed
    assert emu.requests.count(route="invitations.create") == 1
    emu.requests.clear()
    again = await call(api, "project_members", "invite", pid, "ops@acme.example", "admin")
    assert again.action == "unchanged"
    assert writes(emu) == 0
    changed = await call(api, "project_members", "invite", pid, "ops@acme.example", "Viewer")
    assert changed.action == "invitation_updated"
    assert people_of(emu, pid) == {"ops@acme.example": "Viewer"}
    assert len(emu.state.people.invitations()) == 1
    emu.state.sign_up("ops@acme.example")
    emu.requests.clear()
    assert (
        await call(api, "project_members", "invite", pid, "ops@acme.example", "Viewer")
    ).action == "unchanged"
    assert writes(emu) == 0
    members = await collect(api, "project_members", pid)
    assert [(m.email, m.role) for m in members] == [("ops@acme.example", "Viewer")]
    assert isinstance(members[0], ProjectMember)
    assert members[0].user is not None
    assert members[0].user.first_name == "ops"


async def test_invite_an_existing_user_and_change_the_role(api: Any, emu: Any) -> None:
    pid = project(emu)
    result = await call(api, "project_members", "invite", pid, ALICE, "Editor")
    assert result.action == "invited"
    assert people_of(emu, pid) == {ALICE: "Editor"}  # a member at once
    emu.requests.clear()
    changed = await call(api, "project_members", "invite", pid, ALICE, "Operator")
    assert changed.action == "role_updated"
    assert changed.member is not None
    assert emu.requests.count(route="members.update") == 1
    assert emu.requests.count(route="invitations.create") == 0
    assert people_of(emu, pid) == {ALICE: "Operator"}
    member = await call(api, "project_members", "get_by_email", pid, ALICE.upper())
    assert member.role == "Operator"
    updated = await call(api, "project_members", "update_role", member, "Viewer")
    assert updated.id == member.id
    assert updated.user is None  # the bare row comes back
    assert people_of(emu, pid) == {ALICE: "Viewer"}


async def test_invite_checks_input_before_sending(api: Any, emu: Any) -> None:
    pid = project(emu)
    personal = Project.model_validate(emu.state.projects(types=["PERSONAL"])[0])
    roles = await call(api, "project_roles", "names")
    emu.requests.clear()
    with pytest.raises(UnknownRoleError, match="Owner"):
        await call(api, "project_members", "invite", pid, "a@acme.example", "Owner", roles=roles)
    for email in ("not an email", "a@b", "", "a@@acme.example"):
        with pytest.raises(InvalidRequestError):
            await call(api, "project_members", "invite", pid, email, "Admin")
    with pytest.raises(InvalidRequestError):
        await call(api, "project_members", "invite", pid, "a@acme.example", " ")
    with pytest.raises(InvalidRequestError, match="PERSONAL"):
        await call(api, "project_members", "invite", personal, "a@acme.example", "Admin")
    assert len(emu.requests) == 0
    canonical = await call(
        api, "project_members", "invite", pid, "a@acme.example", "viewer", roles=roles
    )
    assert canonical.role == "Viewer"


async def test_server_refusals_are_typed(api: Any, emu: Any) -> None:
    pid = project(emu)
    with pytest.raises(NotFoundError):  # the server does not know the role
        await call(api, "project_members", "invite", pid, "a@acme.example", "Owner")
    personal = emu.state.projects(types=["PERSONAL"])[0]["id"]
    with pytest.raises(ValidationError):
        await call(api, "invitations", "send", "a@acme.example", project=personal, role="Admin")
    emu.state.configure_platform(users_limit=3)  # owner + 2: full
    with pytest.raises(QuotaExceededError) as quota:
        await call(api, "project_members", "invite", pid, "b@acme.example", "Admin")
    assert quota.value.params == {"metric": "users", "usage": 3, "limit": 3}
    emu.state.configure_platform(project_roles_enabled=False)
    with pytest.raises(FeatureDisabledError):
        await call(api, "project_members", "invite", pid, ALICE, "Admin")


async def test_members_of_every_project_in_one_listing(api: Any, emu: Any) -> None:
    """``iter_platform``: ``GET /v1/platform-project-members/users`` pages through the members
    of every project, each naming its project; behind ``projectRolesEnabled``."""
    acme, globex = project(emu, "acme"), project(emu, "globex")
    for i in range(3):
        emu.state.people.add_member(acme, f"a{i}@acme.example", "Viewer")
    emu.state.people.add_member(globex, "g@globex.example", "Admin")
    members = await _platform_members(api, limit=2)
    by_project = Counter(m.project_id for m in members)
    assert by_project == {acme: 3, globex: 1}
    assert {m.email for m in members if m.project_id == globex} == {"g@globex.example"}
    assert emu.requests.count(route="members.platform") == 2  # pages of 2
    emu.state.configure_platform(project_roles_enabled=False)
    with pytest.raises(FeatureDisabledError):
        await _platform_members(api)


async def _platform_members(api: Any, **filters: Any) -> list[Any]:
    listed = api.client.project_members.iter_platform(**filters)
    return [m async for m in listed] if hasattr(listed, "__aiter__") else list(listed)


async def test_people_snapshot_saves_the_reads(api: Any, emu: Any) -> None:
    pid = project(emu)
    emu.state.people.add_member(pid, "m@acme.example", "Viewer")
    await call(api, "invitations", "send", "w@acme.example", project=pid, role="Editor")
    people = await call(api, "project_members", "people", pid, page_size=1)
    assert isinstance(people, ProjectPeople)
    assert people.to_dict() == {
        "projectId": pid,
        "members": {"m@acme.example": "Viewer"},
        "invitations": {"w@acme.example": "Editor"},
    }
    assert people.role_of("W@acme.example") == "Editor"
    assert people.emails == {"m@acme.example", "w@acme.example"}
    emu.requests.clear()
    for email, role in (("m@acme.example", "Viewer"), ("w@acme.example", "Editor")):
        result = await call(api, "project_members", "invite", pid, email, role, people=people)
        assert result.action == "unchanged"
    assert len(emu.requests) == 0  # nothing read, nothing written
    with pytest.raises(InvalidRequestError):
        await call(
            api,
            "project_members",
            "invite",
            project(emu, "beta"),
            "m@acme.example",
            "Viewer",
            people=people,
        )


async def test_remove(api: Any, emu: Any) -> None:
    pid = project(emu)
    emu.state.people.add_member(pid, "m@acme.example")
    await call(api, "project_members", "invite", pid, "w@acme.example", "Editor")
    removed = await call(api, "project_members", "remove", pid, "M@acme.example")
    assert (removed.action, removed.removed_member, removed.removed_invitations) == (
        "removed",
        True,
        0,
    )
    waiting = await call(api, "project_members", "remove", pid, "w@acme.example")
    assert (waiting.action, waiting.removed_member, waiting.removed_invitations) == (
        "removed",
        False,
        1,
    )
    assert people_of(emu, pid) == {}
    emu.requests.clear()
    absent = await call(api, "project_members", "remove", pid, "m@acme.example")
    assert absent.action == "absent"
    assert not absent.changed
    assert writes(emu) == 0
    assert absent.to_dict()["action"] == "absent"


async def test_member_listing_pages_and_delete(api: Any, emu: Any) -> None:
    pid = project(emu)
    for i in range(5):
        emu.state.people.add_member(pid, f"m{i}@acme.example", "Viewer")
    page = await call(api, "project_members", "list", pid, limit=2)
    assert len(page.data) == 2
    assert page.next
    assert len(await collect(api, "project_members", pid, limit=2)) == 5
    await call(api, "project_members", "delete", page.data[0])
    assert len(await collect(api, "project_members", pid)) == 4
    with pytest.raises(InvalidRequestError):
        await call(api, "project_members", "list", pid, limit=0)
    with pytest.raises(InvalidRequestError):
        await collect(api, "project_members", pid, role="Admin")


# ---- faults --------------------------------------------------------------------------------
KINDS = ["drop_after", "slow", "drop_before", "500", "503_html", "429"]


#: A ``slow`` answer is held until the client hangs up; this client timeout is how long that
#: takes (normal answers, in milliseconds, stay far inside it on a loaded machine).
HANG_UP_AFTER = 1.0
HELD = {"slow_seconds": 600}
READ = [("members.list", None), ("invitations.list", None)]


@pytest.mark.parametrize("kind", KINDS)
async def test_invite_survives_a_failed_send(make_api: Any, emu: Any, kind: str) -> None:
    api = make_api(timeout=HANG_UP_AFTER, max_retries=3, backoff_base=0, backoff_max=0)
    pid = project(emu)
    emu.faults.set("invitations.create", **HELD)
    emu.faults.script("invitations.create", 1, kind)
    emu.requests.clear()
    result = await call(api, "project_members", "invite", pid, "n@acme.example", "Editor")
    assert result.action == "invited"
    assert people_of(emu, pid) == {"n@acme.example": "Editor"}
    assert len(emu.state.people.invitations()) == 1
    # Transient failures are resent by the transport (the server upserts, so that is safe);
    # a plain 500 is followed by a look at the project's people, then one more send.
    failed, resent = ("invitations.create", kind), ("invitations.create", None)
    reread = READ if kind == "500" else []
    assert [(r.route, r.fault) for r in emu.requests] == [*READ, failed, *reread, resent]


@pytest.mark.parametrize("kind", KINDS)
async def test_role_update_and_remove_survive_faults(make_api: Any, emu: Any, kind: str) -> None:
    api = make_api(timeout=HANG_UP_AFTER, max_retries=3, backoff_base=0, backoff_max=0)
    pid = project(emu)
    emu.state.people.add_member(pid, ALICE, "Viewer")
    emu.faults.set("*", **HELD)
    emu.faults.script("members.update", 1, kind)
    result = await call(api, "project_members", "invite", pid, ALICE, "Admin")
    assert result.action == "role_updated"
    assert people_of(emu, pid) == {ALICE: "Admin"}
    emu.faults.script("members.delete", 1, kind)
    removed = await call(api, "project_members", "remove", pid, ALICE)
    assert removed.action == "removed"
    assert people_of(emu, pid) == {}
    assert list(emu.state.people.all_members()) == []


async def test_invite_gives_up_on_a_persistent_500(make_api: Any, emu: Any) -> None:
    api = make_api(max_retries=2, backoff_base=0, backoff_max=0)
    pid = project(emu)
    emu.faults.set("invitations.create", rate=1.0, kinds=["500"])
    with pytest.raises(Exception, match="500"):
        await call(api, "project_members", "invite", pid, "n@acme.example", "Editor")
    assert emu.requests.count(route="invitations.create") == 3
    assert people_of(emu, pid) == {}


async def test_onboarding_under_20_percent_faults(emu: Any) -> None:
    """60 projects x 2 people (one user already on the platform, one new) while 20% of all
    requests fail: no duplicate invitation or membership, everyone accounted for, and a
    second pass writes nothing."""
    n = 60
    emu.faults.seed(5)
    faults = {"429": 1.0, "503_html": 1.0, "slow": 1.0, "drop_before": 1.0, "drop_after": 1.0}
    pids = [project(emu, f"t{i:03d}") for i in range(n)]
    wanted = {
        pid: {ALICE: "Admin" if i % 2 else "Viewer", f"new{i}@t.example": "Editor"}
        for i, pid in enumerate(pids)
    }
    emu.faults.set("*", rate=0.2, kinds=faults, retry_after=1, slow_seconds=0.6)
    async with AsyncActivepiecesClient(
        api_key=emu.api_key, base_url=emu.url, timeout=0.3, max_retries=8,
        backoff_base=0, backoff_max=0,
    ) as client:  # fmt: skip
        gate = asyncio.Semaphore(8)

        async def onboard(pid: str, email: str, role: str) -> str:
            async with gate:
                result = await client.project_members.invite(pid, email, role)
                return result.action

        jobs = [(pid, e, r) for pid, people in wanted.items() for e, r in people.items()]
        actions = Counter(await asyncio.gather(*(onboard(*job) for job in jobs)))
        assert actions["invited"] == 2 * n, actions
        injected = dict(emu.faults.injected)
        assert sum(injected.values()) > 40, injected
        for pid in pids:
            assert people_of(emu, pid) == wanted[pid]
        invited = [i for i in emu.state.people.invitations() if i["type"] == "PROJECT"]
        assert Counter((i["email"], i["projectId"]) for i in invited).most_common(1)[0][1] == 1
        assert len(invited) == n  # the new people wait for sign-up
        for i in range(n):
            emu.state.sign_up(f"new{i}@t.example")
        members = list(emu.state.people.all_members())
        keys = Counter((m["user"]["email"], m["projectId"]) for m in members)
        assert len(keys) == 2 * n
        assert max(keys.values()) == 1
        emu.faults.clear()
        emu.requests.clear()
        again = await asyncio.gather(*(onboard(*job) for job in jobs))
        assert set(again) == {"unchanged"}
        assert writes(emu) == 0
