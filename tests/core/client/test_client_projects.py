"""Every projects method, sync and async, against the emulator over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from activepieces_core import ColorName, PiecesFilterType, Project, ProjectType
from activepieces_core.errors import (
    AmbiguousExternalIdError,
    ExternalIdConflictError,
    InvalidRequestError,
    NotFoundError,
)

SLACK = "@activepieces/piece-slack"
GMAIL = "@activepieces/piece-gmail"


def writes(emu: Any) -> int:
    return sum(emu.requests.count(route=r) for r in ("create", "update", "delete"))


async def test_create_get_update_delete(api: Any, emu: Any) -> None:
    created = await api.create(
        "Acme Corp",
        external_id="tenant-1",
        metadata={"tier": "gold"},
        max_concurrent_jobs=3,
        alert_receiver_email="ops@acme.example.com",
    )
    assert isinstance(created, Project)
    assert created.type is ProjectType.TEAM
    assert created.external_id == "tenant-1"
    assert created.metadata == {"tier": "gold"}
    assert created.max_concurrent_jobs == 3
    assert created.plan is not None
    assert created.plan.pieces_filter_type is PiecesFilterType.NONE
    assert (await api.get(created.id)) == created

    updated = await api.update(
        created.id,
        display_name="Acme Inc",
        metadata={"tier": "silver"},
        icon_color=ColorName.VIOLET,
        releases_enabled=True,
        pieces=["slack", "gmail", "slack"],
        pieces_filter_type="ALLOWED",
        max_concurrent_jobs=5,
    )
    assert updated.display_name == "Acme Inc"
    assert updated.metadata == {"tier": "silver"}
    assert updated.icon_color is ColorName.VIOLET
    assert updated.releases_enabled is True
    assert updated.pieces == [GMAIL, SLACK]
    assert updated.pieces_filter_type == "ALLOWED"
    assert updated.max_concurrent_jobs == 5
    sent = emu.state.get_project(created.id)
    assert sent["plan"]["pieces"] == [GMAIL, SLACK]

    assert (await api.update(created.id)).id == created.id  # {} is a valid no-op
    await api.delete(created.id)
    with pytest.raises(NotFoundError) as info:
        await api.get(created.id)
    assert info.value.status_code == 404
    assert info.value.code == "ENTITY_NOT_FOUND"
    with pytest.raises(NotFoundError):
        await api.delete(created.id)  # first attempt: a 404 is a real 404


async def test_update_external_id_conflict(api: Any) -> None:
    a = await api.create("A", external_id="a")
    await api.create("B", external_id="b")
    with pytest.raises(ExternalIdConflictError) as info:
        await api.update(a.id, external_id="b")
    assert info.value.status_code == 409
    assert info.value.params == {"externalId": "b"}


async def test_list_filters_and_pages(api: Any, emu: Any) -> None:
    for i in range(7):
        emu.state.add_project(f"Tenant {i:02d}", external_id=f"t{i}")
    everything = await api.list()
    assert len(everything.data) == 7 + 3  # plus the seeded users' PERSONAL projects
    assert everything.next is None
    assert everything.previous is None
    teams = await api.list(types=[ProjectType.TEAM], limit=3)
    assert [p.display_name for p in teams.data] == ["Tenant 00", "Tenant 01", "Tenant 02"]
    assert teams.next
    assert teams.previous is None
    second = await api.list(types="TEAM", limit=3, cursor=teams.next)
    assert [p.display_name for p in second.data] == ["Tenant 03", "Tenant 04", "Tenant 05"]
    assert second.previous
    personal = await api.list(types=["PERSONAL"])
    assert {p.type for p in personal.data} == {ProjectType.PERSONAL}
    found = await api.list(external_id="t4")
    assert [p.external_id for p in found.data] == ["t4"]
    named = await api.list(display_name="ANT 0")
    assert len(named.data) == 7


async def test_iter_follows_cursors_lazily(api: Any, emu: Any) -> None:
    for i in range(23):
        emu.state.add_project(f"Tenant {i:02d}", external_id=f"t{i}")
    emu.requests.clear()
    projects = await api.collect(types=["TEAM"], limit=5)
    assert [p.external_id for p in projects] == [f"t{i}" for i in range(23)]
    assert emu.requests.count(route="list") == 5  # ceil(23 / 5), no extra empty page
    emu.requests.clear()
    everything = await api.collect(limit=4)
    assert len(everything) == 26
    assert len({p.id for p in everything}) == 26
    assert emu.requests.count(route="list") == 7


def test_sync_iter_is_lazy(emu: Any) -> None:
    from activepieces_core import ActivepiecesClient

    for i in range(10):
        emu.state.add_project(f"Tenant {i:02d}")
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
        iterator = client.projects.iter(types=["TEAM"], limit=2)
        assert emu.requests.count(route="list") == 0
        first = next(iterator)
        assert first.display_name == "Tenant 00"
        assert emu.requests.count(route="list") == 1


async def test_get_by_external_id(api: Any, emu: Any) -> None:
    assert await api.get_by_external_id("nobody") is None
    made = emu.state.add_project("Acme", external_id="acme")
    found = await api.get_by_external_id("acme")
    assert found is not None
    assert found.id == made["id"]
    # Another platform's project with the same externalId is invisible.
    other = emu.state.add_platform()
    emu.state.add_project("Other", external_id="shared", platform_id=other.id)
    assert await api.get_by_external_id("shared") is None


async def test_get_by_external_id_refuses_ambiguity(api: Any, emu: Any) -> None:
    a = emu.state.add_project("A", external_id="dup")
    b = emu.state.add_project("B")
    emu.state.replace(b["id"], {"externalId": "dup"})  # what the server's race can leave
    with pytest.raises(AmbiguousExternalIdError) as info:
        await api.get_by_external_id("dup")
    assert set(info.value.params["projectIds"]) == {a["id"], b["id"]}
    assert isinstance(info.value, ExternalIdConflictError)


async def test_delete_by_external_id(api: Any, emu: Any) -> None:
    made = emu.state.add_project("Acme", external_id="acme")
    gone = await api.delete_by_external_id("acme")
    assert gone is not None
    assert gone.id == made["id"]
    assert emu.state.projects(types=["TEAM"]) == []
    assert await api.delete_by_external_id("acme", missing_ok=True) is None
    with pytest.raises(NotFoundError, match="acme"):
        await api.delete_by_external_id("acme")


async def test_find_by_id_or_external_id(api: Any, emu: Any) -> None:
    made = emu.state.add_project("Acme", external_id="acme")
    personal = emu.state.add_project("Mine", external_id="me", type="PERSONAL")
    assert (await api.find(made["id"])).external_id == "acme"
    assert (await api.find(external_id="acme")).id == made["id"]
    assert (await api.find(personal["id"])).type is ProjectType.PERSONAL
    assert (await api.find(external_id="me")).id == personal["id"]
    assert await api.find("no-such-id") is None
    assert await api.find(external_id="nobody") is None
    emu.requests.clear()
    for both_or_none in ({}, {"project_id": made["id"], "external_id": "acme"}):
        with pytest.raises(InvalidRequestError, match="exactly one"):
            await api.find(**both_or_none)
    assert len(emu.requests) == 0


async def test_discard_by_id_or_external_id(api: Any, emu: Any) -> None:
    by_id = emu.state.add_project("Acme", external_id="acme")
    by_external_id = emu.state.add_project("Beta", external_id="beta")
    personal = emu.state.add_project("Mine", external_id="me", type="PERSONAL")
    assert await api.discard(by_id["id"]) == by_id["id"]
    assert await api.discard(external_id="beta") == by_external_id["id"]
    assert emu.state.projects(types=["TEAM"]) == []
    assert await api.discard(by_id["id"]) is None
    assert await api.discard(external_id="beta") is None
    with pytest.raises(InvalidRequestError, match="PERSONAL"):
        await api.discard(external_id="me")
    assert emu.state.get_project(personal["id"])["type"] == "PERSONAL"
    with pytest.raises(InvalidRequestError, match="exactly one"):
        await api.discard()


async def test_personal_projects_are_refused_client_side(api: Any, emu: Any) -> None:
    personal = emu.state.add_project("Mine", external_id="me", type="PERSONAL")
    emu.requests.clear()
    with pytest.raises(InvalidRequestError, match="PERSONAL"):
        await api.delete_by_external_id("me")
    project = await api.get(personal["id"])
    with pytest.raises(InvalidRequestError, match="PERSONAL"):
        await api.delete(project)
    assert writes(emu) == 0
    assert emu.state.get_project(personal["id"])["type"] == "PERSONAL"


async def test_delete_accepts_a_project(api: Any, emu: Any) -> None:
    created = await api.create("Acme")
    await api.delete(created)
    assert emu.state.projects(types=["TEAM"]) == []


async def test_sync_pieces(api: Any, emu: Any) -> None:
    project = await api.create("Acme", external_id="acme")
    result = await api.sync_pieces(project, ["slack", "gmail"])
    assert result.changed
    assert result.project.pieces == [GMAIL, SLACK]
    assert result.project.pieces_filter_type is PiecesFilterType.ALLOWED
    emu.requests.clear()
    again = await api.sync_pieces(result.project, [SLACK, "gmail", "slack"])
    assert not again.changed
    assert len(emu.requests) == 0
    by_id = await api.sync_pieces(project.id, ["gmail", "slack"])
    assert not by_id.changed
    assert emu.requests.count(route="update") == 0
    everything = await api.sync_pieces(project.id, None)
    assert everything.changed
    assert everything.project.pieces_filter_type is PiecesFilterType.NONE
    assert everything.project.pieces == []
    assert everything.to_dict()["changed"] is True
    emu.requests.clear()
    assert not (await api.sync_pieces(everything.project, None)).changed
    assert len(emu.requests) == 0
    empty = await api.sync_pieces(everything.project, [])
    assert empty.changed
    assert empty.project.pieces_filter_type is PiecesFilterType.ALLOWED


async def test_sync_pieces_leaves_a_stale_list_under_none(api: Any, emu: Any) -> None:
    """A list stored under filter NONE decides nothing: "every piece" already holds, and the
    tenant planner agrees (one comparison, `project_diff`)."""
    made = emu.state.add_project("Acme", pieces=[SLACK], pieces_filter_type="NONE")
    result = await api.sync_pieces(made["id"], None)
    assert not result.changed
    assert result.project.allowed_pieces is None
    assert emu.requests.count(route="update") == 0


async def test_ensure_created_unchanged_updated(api: Any, emu: Any) -> None:
    first = await api.ensure(
        "acme",
        "Acme",
        metadata={"tier": "gold"},
        max_concurrent_jobs=2,
        releases_enabled=True,
        icon_color="GREEN",
        pieces=["slack"],
    )
    assert first.action == "created"
    assert first.created
    project = first.project
    assert project.releases_enabled
    assert project.icon_color is ColorName.GREEN
    assert project.pieces == [SLACK]
    assert project.metadata == {"tier": "gold"}
    assert emu.requests.count(route="create") == 1
    assert emu.requests.count(route="update") == 1  # one update for releases/icon/pieces

    emu.requests.clear()
    same = await api.ensure(
        "acme", "Acme", metadata={"tier": "gold"}, releases_enabled=True, pieces=["slack"]
    )
    assert same.action == "unchanged"
    assert same.project.id == project.id
    assert writes(emu) == 0
    assert emu.requests.count(route="list") == 1

    changed = await api.ensure("acme", "Acme Corp", pieces=None, max_concurrent_jobs=4)
    assert changed.action == "updated"
    assert changed.project.display_name == "Acme Corp"
    assert changed.project.max_concurrent_jobs == 4
    assert changed.project.pieces_filter_type is PiecesFilterType.NONE
    assert changed.project.metadata == {"tier": "gold"}  # not managed: left alone
    assert changed.to_dict()["project"]["displayName"] == "Acme Corp"


async def test_ensure_plain_create_needs_no_update(api: Any, emu: Any) -> None:
    result = await api.ensure("acme", "Acme", metadata={"a": 1}, pieces=None)
    assert result.action == "created"
    assert emu.requests.count(route="update") == 0  # a fresh project already has NONE/[]


async def test_ensure_if_exists_return_and_fail(api: Any, emu: Any) -> None:
    emu.state.add_project("Old Name", external_id="acme")
    left = await api.ensure("acme", "New Name", if_exists="return")
    assert left.action == "unchanged"
    assert left.project.display_name == "Old Name"
    with pytest.raises(ExternalIdConflictError, match="already exists"):
        await api.ensure("acme", "New Name", if_exists="fail")
    assert writes(emu) == 0


async def test_ensure_leaves_what_the_server_ignores_on_personal_projects(
    api: Any, emu: Any
) -> None:
    emu.state.add_project("Mine", external_id="me", type="PERSONAL", icon_color="RED")
    result = await api.ensure("me", "Another Name", icon_color="BLUE")
    assert result.action == "unchanged"
    assert writes(emu) == 0


async def test_ensure_with_global_connections(api: Any, emu: Any) -> None:
    emu.state.configure_platform(global_connections_enabled=True)
    conn = emu.state.add_global_connection("shared-slack")
    result = await api.ensure("acme", "Acme", global_connection_external_ids=["shared-slack"])
    assert result.action == "created"
    connections = emu.state.global_connections()
    assert result.project.id in next(c for c in connections if c["id"] == conn["id"])["projectIds"]
