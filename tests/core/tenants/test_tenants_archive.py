"""Archive before delete, and restore (issue 20), over real HTTP to the emulator.

What a tenant holds after a restore is asked of the emulator (`EmulatorState.flows_of`,
people, piece sets), never read back from our own records or the archive.
"""

from __future__ import annotations

import asyncio
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import fsspec
import pytest
from archive_support import tenant_document

from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient
from activepieces_core.tenants import (
    TeardownReport,
    apply,
    load_document,
    plan,
    plan_teardown,
    plan_view,
    reconcile,
)
from activepieces_core.tenants.archive import (
    ArchiveRequiredError,
    ArchiveStore,
    InvalidArchiveError,
    RestoreRefused,
    TenantArchive,
    archive_name,
    read_archive,
    restore,
)
from activepieces_core.tenants.archive.capture import acapture


def _flow(external_id: str, name: str) -> dict[str, Any]:
    trigger = {"name": "trigger", "valid": False, "type": "EMPTY", "settings": {}}
    version = {
        "displayName": name,
        "trigger": {**trigger, "displayName": "Select Trigger"},
        "valid": False,
        "notes": [],
    }
    return {"externalId": external_id, "status": "DISABLED", "version": version}


#: A template with two flows, a table, a folder and a connection reference.
CONNECTED: dict[str, Any] = {
    "schemaVersion": 1,
    "sourceActivepiecesVersion": "0.70.0",
    "flows": [_flow("welcome", "Welcome sequence"), _flow("crm-sync", "CRM sync")],
    "tables": [
        {
            "id": "src-leads",
            "name": "Leads",
            "externalId": "leads",
            "fields": [{"name": "Email", "type": "TEXT", "externalId": "email", "data": None}],
            "status": None,
            "trigger": None,
        }
    ],
    "folders": [{"externalId": "onboarding", "displayName": "Onboarding", "displayOrder": 0}],
    "connections": [
        {"externalId": "crm", "pieceName": "@activepieces/piece-hubspot", "displayName": "CRM"}
    ],
    "requiredPieces": [],
}


def project_of(emu: Any, external_id: str) -> str:
    (found,) = [p["id"] for p in live(emu, external_id)]
    return str(found)


def flows_by_external_id(emu: Any, external_id: str) -> dict[str, str]:
    flows = emu.state.flows_of(project_of(emu, external_id))
    ids = [f["externalId"] for f in flows]
    assert len(ids) == len(set(ids)), f"duplicate flows in {external_id}: {ids}"
    return {f["externalId"]: f["version"]["displayName"] for f in flows}


def document(tmp_path: Path, *tenants: str, **rows: dict[str, Any]) -> Path:
    return tenant_document(tmp_path, *tenants, template=CONNECTED, rows=rows)


@pytest.fixture
def emu(activepieces_emulator: Any) -> Any:
    activepieces_emulator.state.configure_platform(
        environments_enabled=True, manage_pieces_enabled=True
    )
    return activepieces_emulator


def teardown(client: ActivepiecesClient, ids: list[str], archive: Any) -> TeardownReport:
    tenant_plan = plan_teardown(client, ids)
    report = apply(client, tenant_plan, check_stale=False, archive=archive)
    return TeardownReport.build(ids, tenant_plan, report)


def live(emu: Any, external_id: str) -> list[dict[str, Any]]:
    return [p for p in emu.state.projects(types=["TEAM"]) if p["externalId"] == external_id]


def people(emu: Any, external_id: str) -> dict[str, str]:
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as c:
        found = c.project_members.people(project_of(emu, external_id))
        return {e: str(found.role_of(e)) for e in {*found.members, *found.invitations}}


def test_round_trip_teardown_archive_restore_plans_as_no_op(
    emu: Any, client: ActivepiecesClient, tmp_path: Path
) -> None:
    doc = document(tmp_path, "acme", "globex")
    assert reconcile(client, doc).ok
    before_people = people(emu, "acme")
    archives = tmp_path / "archives"

    report = teardown(client, ["acme"], archives)
    assert [r.status for r in report.results] == ["deleted"], report
    assert live(emu, "acme") == []
    archive = read_archive(archives / archive_name("acme"))
    assert archive.platform_url.startswith(emu.url)
    assert emu.api_key not in (archives / archive_name("acme")).read_text()
    assert archive.tenant["pieces"] == ["@activepieces/piece-gmail", "@activepieces/piece-slack"]
    assert {m["email"]: m["role"] for m in archive.tenant["members"]} == before_people
    assert archive.state["flows"]
    assert archive.project["displayName"] == "Acme Corp"

    restored = restore(client, archives / archive_name("acme"))
    assert restored.action == "created"
    assert restored.ok, restored.report.failed
    assert restored.connections_awaiting_authorization == ["crm"]
    # The original document (with the tenant back in it) plans as all no-op: fields, own
    # pieces, members, and flows as archived.
    again = plan(client, doc)
    assert not again.has_changes, [c.label for c in again.changes if c.action != "noop"]
    assert flows_by_external_id(emu, "acme") == {
        f["externalId"]: f["version"]["displayName"] for f in archive.state["flows"]
    }
    assert people(emu, "acme") == before_people

    # Restoring twice gives the same project, nothing duplicated.
    emu.requests.clear()
    twice = restore(client, archives / archive_name("acme"))
    assert twice.action == "unchanged"
    assert twice.project_id == restored.project_id
    assert len(live(emu, "acme")) == 1
    assert emu.requests.count(route="projects.replace") == 0


def test_restore_refuses_a_live_tenant_unless_replace_existing(
    emu: Any, client: ActivepiecesClient, tmp_path: Path
) -> None:
    doc = document(tmp_path, "acme")
    assert reconcile(client, doc).ok
    archives = tmp_path / "archives"
    assert teardown(client, ["acme"], archives).summary["deleted"] == 1
    # A new tenant takes the external id meanwhile, with its own name.
    newcomer = document(tmp_path, "acme", acme={"display_name": "New Acme", "members": []})
    assert reconcile(client, newcomer).ok
    with pytest.raises(RestoreRefused, match="update project"):
        restore(client, archives / archive_name("acme"))
    assert live(emu, "acme")[0]["displayName"] == "New Acme"  # nothing sent

    moved = restore(client, archives / archive_name("acme"), external_id="acme-old")
    assert moved.action == "created"
    assert live(emu, "acme-old")[0]["displayName"] == "Acme Corp"

    done = restore(client, archives / archive_name("acme"), replace_existing=True)
    assert done.action == "replaced"
    assert done.ok
    assert live(emu, "acme")[0]["displayName"] == "Acme Corp"
    assert len(live(emu, "acme")) == 1


def test_a_delete_without_an_archive_location_is_refused(
    emu: Any, client: ActivepiecesClient, tmp_path: Path
) -> None:
    assert reconcile(client, document(tmp_path, "acme", "globex")).ok
    pruning = plan(client, document(tmp_path, "acme"), prune=True)
    with pytest.raises(ArchiveRequiredError, match="globex"):
        apply(client, pruning, check_stale=False)
    assert len(live(emu, "globex")) == 1
    # Spelled out: no archive.
    assert apply(client, pruning, check_stale=False, archive=None).ok
    assert live(emu, "globex") == []


def test_prune_and_saved_plans_archive_every_delete_and_the_plan_says_where(
    emu: Any, client: ActivepiecesClient, tmp_path: Path
) -> None:
    assert reconcile(client, document(tmp_path, "acme", "globex", "initech")).ok
    pruning = plan(client, document(tmp_path, "acme"), prune=True)
    store = ArchiveStore(f"file://{tmp_path}/saved")
    view = plan_view(pruning, archive=store)
    rows = {r[1]: r[4] for r in view.rows if r[0] == "delete" and r[2] == "project"}
    assert rows == {e: f"archive → {store.location(e)}" for e in ("globex", "initech")}
    report = apply(client, pruning.to_dict(), archive=store)  # a saved plan
    assert report.ok, report.failed
    for ext in ("globex", "initech"):
        assert read_archive(store.location(ext)).external_id == ext


@pytest.mark.parametrize("where", ["unwritable", "failing_store"])
def test_no_archive_no_delete(
    emu: Any, client: ActivepiecesClient, tmp_path: Path, where: str
) -> None:
    assert reconcile(client, document(tmp_path, "acme", "globex")).ok
    if where == "unwritable":
        if os.geteuid() == 0:
            target: Any = str(tmp_path / "file-not-dir" / "archives")
            (tmp_path / "file-not-dir").write_text("a file, not a directory")
        else:
            (tmp_path / "ro").mkdir(mode=0o500)
            target = str(tmp_path / "ro")
    else:
        target = ArchiveStore("memory://failing-store", skip_instance_cache=True)
        target.fs.pipe_file = _broken  # the object store refuses every write
    report = teardown(client, ["acme", "globex"], target)
    assert report.summary == {"total": 2, "deleted": 0, "missing": 0, "failed": 2}
    for row in report.results:
        assert "ArchiveError" in row.error
        assert "archive not written to" in row.error
    assert len(live(emu, "acme")) == 1
    assert len(live(emu, "globex")) == 1
    assert emu.requests.count(route="delete") == 0
    # the owned piece sets stay with their projects
    keys = {s.get("externalId") or s.get("key") for s in emu.state.piece_sets.all()}
    assert keys >= {"tenant:acme", "tenant:globex"}


def _broken(*_: Any, **__: Any) -> None:
    raise OSError(28, "No space left on device")


def test_an_archive_that_does_not_read_back_is_refused(tmp_path: Path) -> None:
    archive = TenantArchive(
        tenant={"external_id": "acme"}, project={}, state=CONNECTED, platform_url="http://x"
    )
    store = ArchiveStore(tmp_path)
    written = store.write(archive)
    path = tmp_path / archive_name("acme")
    assert read_archive(path).external_id == "acme"
    assert written.digest.startswith("sha256:")
    path.write_text(path.read_text()[:-40])  # truncated
    with pytest.raises(InvalidArchiveError, match="acme"):
        read_archive(path)
    # A second archive of the same tenant keeps the first one.
    store.write(archive)
    store.write(archive.model_copy(update={"taken_at": "2030-01-01T00:00:00.000000Z"}))
    assert any("~" in p.name for p in tmp_path.iterdir())


def test_memory_store_round_trip(emu: Any, client: ActivepiecesClient, tmp_path: Path) -> None:
    assert reconcile(client, document(tmp_path, "acme")).ok
    report = teardown(client, ["acme"], "memory://ap-archives")
    assert report.summary["deleted"] == 1
    assert fsspec.filesystem("memory").exists("/ap-archives/acme.json")
    assert restore(client, "memory://ap-archives/acme.json").action == "created"


def test_the_hard_delete_job_takes_contents_and_project_connections(
    emu: Any, client: ActivepiecesClient, tmp_path: Path
) -> None:
    assert reconcile(client, document(tmp_path, "acme")).ok
    pid = project_of(emu, "acme")
    assert emu.state.flows_of(pid)
    assert emu.state.connections_for(pid)
    teardown(client, ["acme"], None)
    assert emu.state.flows_of(pid) == []
    assert emu.state.tables_of(pid) == []
    assert emu.state.folders_of(pid) == []
    platform = emu.state.platform()
    assert [
        c for c in emu.state.contents.project_connections(platform.id) if pid in c["projectIds"]
    ] == []


def test_faults_never_delete_a_tenant_without_a_verified_archive(
    emu: Any, make_client: Any, tmp_path: Path
) -> None:
    """20% faults on every route during a teardown of 200 tenants with archives: every deleted
    tenant has an archive that reads back whole, and every archive restores."""
    ids = [f"t-{i:03d}" for i in range(200)]
    specs = [{"external_id": e, "template": "standard.json"} for e in ids]
    (tmp_path / "standard.json").write_text(json.dumps(CONNECTED), encoding="utf-8")
    doc = load_document({"tenants": specs}, base=tmp_path)
    with make_client() as client:
        assert reconcile(client, doc, concurrency=16).ok
    store = ArchiveStore(tmp_path / "archives")
    emu.faults.seed(11)
    emu.faults.set("*", rate=0.2, retry_after=0, slow_seconds=0.05)
    rounds = []
    with make_client(timeout=0.5, max_retries=2) as client:
        for _ in range(8):
            left = [e for e in ids if live(emu, e)]
            if not left:
                break
            report = teardown(client, left, store)
            rounds.append(report.summary)
            for row in report.results:
                if row.status == "deleted":
                    # deleted only with a verified archive of that tenant
                    assert (
                        read_archive(store.location(row.external_id)).external_id == row.external_id
                    )
    assert sum(emu.faults.injected.values()) > 50, rounds
    emu.faults.clear()
    assert [e for e in ids if live(emu, e)] == [], rounds
    with make_client() as client, ThreadPoolExecutor(16) as pool:
        restored = list(pool.map(lambda e: restore(client, store.location(e)), ids))
    assert [r.action for r in restored] == ["created"] * len(ids)
    assert all(r.ok for r in restored)
    for ext in ids:
        assert flows_by_external_id(emu, ext) == {
            "welcome": "Welcome sequence",
            "crm-sync": "CRM sync",
        }


# --- an archived teardown reads what every tenant shares once (issue 20's bench target) ---

#: More than the member kind's platform-wide threshold (8).
TENANTS = [f"t-{i:02d}" for i in range(10)]


def _document() -> dict[str, Any]:
    """Half the tenants on their own pieces, half on the named set ``gold``; two invited."""
    tenants = [
        {
            "external_id": ext,
            "template": "standard.json",
            "members": [
                {"email": f"ada@{ext}.example", "role": "Admin"},
                {"email": f"bob@{ext}.example", "role": "Editor"},
            ],
            **({"pieces": ["slack"]} if i % 2 else {"piece_set": "gold"}),
        }
        for i, ext in enumerate(TENANTS)
    ]
    return {"piece_sets": [{"key": "gold", "allow": ["gmail"]}], "tenants": tenants}


def _content(archive: TenantArchive) -> dict[str, Any]:
    data = archive.to_dict()
    return {k: v for k, v in data.items() if k not in ("taken_at", "digest")}


def _per_tenant(emu: Any, url: str) -> dict[str, dict[str, Any]]:
    """Each tenant's archive read for it alone (no shared reads, the project read too)."""

    async def capture() -> list[TenantArchive]:
        async with AsyncActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as ac:
            projects = {p.external_id: p.id async for p in ac.projects.iter(types=["TEAM"])}
            return [await acapture(ac, projects[ext], ext, url) for ext in TENANTS]

    return {a.external_id: _content(a) for a in asyncio.run(capture())}


@pytest.mark.parametrize("members_listing", ["served", "unserved"])
def test_an_archived_teardown_reads_what_tenants_share_once(
    emu: Any, client: ActivepiecesClient, tmp_path: Path, members_listing: str
) -> None:
    """The server's version, the platform's members and invitations and a named piece set
    are read once for all, the project not again (the plan read it); the contents once per
    tenant; and the archives equal those of each tenant read alone. A server without the
    platform's members listing (404) has each tenant's members read per project instead."""
    (tmp_path / "standard.json").write_text(json.dumps(CONNECTED), encoding="utf-8")
    assert reconcile(client, load_document(_document(), base=tmp_path)).ok
    for project in emu.state.projects(types=["TEAM"]):  # a member who signed up, in each
        emu.state.people.add_member(project["id"], f"carol@{project['externalId']}.example")
    other = emu.state.add_project("Other", external_id="other")  # not torn down
    emu.state.people.add_member(other["id"], "dan@other.example", "Admin")
    url = str(client.config.base_url)
    expected = _per_tenant(emu, url)
    assert expected["t-00"]["tenant"]["piece_set"] == "gold"
    assert expected["t-01"]["tenant"]["pieces"] == ["@activepieces/piece-slack"]
    assert [m["email"] for m in expected["t-00"]["tenant"]["members"]] == [
        "ada@t-00.example",
        "bob@t-00.example",
        "carol@t-00.example",
    ]
    assert expected["t-00"]["state"]["connections"][0]["externalId"] == "crm"

    store = ArchiveStore(tmp_path / "archives")
    unserved = members_listing == "unserved"
    if unserved:
        emu.unserve("members.platform")
    emu.requests.clear()
    report = apply(client, plan_teardown(client, TENANTS), check_stale=False, archive=store)
    assert report.ok, report.failed

    count = emu.requests.count
    assert count(route="delete") == len(TENANTS)
    # Once per apply: the version, the platform's members and its invitations.
    assert count(route="flags.get") == 1
    assert count(route="members.platform") == (0 if unserved else 1)
    assert count(route="not_found") == (1 if unserved else 0)
    assert count(route="invitations.list") == 1
    assert count(route="members.list") == (len(TENANTS) if unserved else 0)
    # The project comes from the plan (its listing), not read again per tenant.
    assert count(route="get") == 0
    # Each tenant's own set, and the named one once.
    assert count(route="piece_sets.get") == len(TENANTS) // 2 + 1
    # Contents: once per tenant each.
    for route in ("flows.list", "folders.list", "tables.list", "app_connections.list"):
        assert count(route=route) == len(TENANTS), route
    assert {ext: _content(store.read(ext)) for ext in TENANTS} == expected


def test_an_archived_teardown_keeps_to_its_requests_in_flight(
    emu: Any, client: ActivepiecesClient, tmp_path: Path
) -> None:
    """Archiving reads a tenant's contents and people before its delete; with ``concurrency``
    n the server still never has more than n of the apply's requests at once (the budget the
    orchestrators' pools count on)."""
    (tmp_path / "standard.json").write_text(json.dumps(CONNECTED), encoding="utf-8")
    assert reconcile(client, load_document(_document(), base=tmp_path)).ok
    teardown = plan_teardown(client, TENANTS)
    emu.faults.set("*", latency=0.02)  # the requests overlap as they would over a network
    emu.app.stats.reset()
    report = apply(
        client, teardown, check_stale=False, archive=tmp_path / "archives", concurrency=3
    )
    assert report.ok, report.failed
    stats = emu.stats()
    assert stats["requests"] >= 5 * len(TENANTS)  # contents, people and the delete were sent
    assert stats["max_in_flight"] == 3


def test_a_contents_less_archive_restores_without_environments(
    activepieces_emulator: Any, client: ActivepiecesClient, tmp_path: Path
) -> None:
    # No environmentsEnabled: a template is refused, so a restore of a tenant without flows,
    # tables or folders must not name its archived state as one.
    emu = activepieces_emulator
    path = tmp_path / "plain.json"
    row = {"external_id": "plain", "display_name": "Plain Corp"}
    path.write_text(json.dumps({"tenants": [row]}), encoding="utf-8")
    assert reconcile(client, path).ok
    archives = tmp_path / "archives"
    assert teardown(client, ["plain"], archives).summary["deleted"] == 1
    done = restore(client, archives / archive_name("plain"))
    assert done.ok
    assert done.action == "created"
    assert live(emu, "plain")[0]["displayName"] == "Plain Corp"
