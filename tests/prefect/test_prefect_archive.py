"""Archive before delete, and restore, through real Prefect flow runs (the harness server) and
real HTTP to the emulator (issue 20): the teardown and sync flows archive every tenant they
delete into a filesystem block or a path, refuse a delete with no archive location, fail (and
keep) a tenant whose archive cannot be written, and `restore_tenant` brings one back.

What a tenant holds is asked of the emulator (`archive_support`), never of the flows' results.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import fsspec
import pytest
from archive_support import (
    TEMPLATE_FLOWS,
    archive_platform,
    flows_of,
    live,
    people,
    tenant_document,
)
from prefect.blocks.system import Secret
from prefect.filesystems import LocalFileSystem, RemoteFileSystem

from activepieces_core.tenants import load_document, plan
from activepieces_core.tenants.archive import (
    ArchiveRequiredError,
    RestoreRefused,
    archive_name,
    read_archive,
)
from prefect_activepieces import (
    ActivepiecesCredentials,
    TenantTeardownError,
    restore_tenant,
    sync_tenants,
    teardown_tenants,
)


@pytest.fixture
def emu(emulator: Any) -> Any:
    return archive_platform(emulator)


@pytest.fixture
def onboarded(tmp_path: Path, credentials: ActivepiecesCredentials, emu: Any) -> Path:
    """acme and globex onboarded with the template, their pieces and two members each."""
    doc = tenant_document(tmp_path, "acme", "globex")
    assert sync_tenants(str(doc), credentials)["summary"]["failed"] == 0
    assert flows_of(emu, "acme") == TEMPLATE_FLOWS
    return doc


def test_teardown_archives_into_a_block_and_restore_plans_as_no_op(
    onboarded: Path,
    tmp_path: Path,
    credentials: ActivepiecesCredentials,
    emu: Any,
    prefect_api: Any,
) -> None:
    before = people(emu, "acme")
    folder = tmp_path / "archives"
    state = teardown_tenants(
        ["acme", "globex", "ghost"],
        credentials,
        archive=LocalFileSystem(basepath=str(folder)),
        return_state=True,
    )
    report = state.result()
    rows = {r["external_id"]: r for r in report["results"]}
    assert report["summary"] == {"total": 3, "deleted": 2, "missing": 1, "failed": 0}
    assert rows["acme"]["archive"] == str(folder.resolve() / archive_name("acme"))
    assert rows["ghost"]["archive"] == ""
    assert live(emu, "acme") == []
    assert live(emu, "globex") == []
    # Verified archives: digest checked on read, the template's flows, the members, no key.
    archive = read_archive(rows["acme"]["archive"])
    assert {f["externalId"] for f in archive.state["flows"]} == set(TEMPLATE_FLOWS)
    assert {m["email"]: m["role"] for m in archive.tenant["members"]} == before
    assert emu.api_key not in Path(rows["acme"]["archive"]).read_text(encoding="utf-8")
    table = prefect_api.table(
        prefect_api.artifacts(state.state_details.flow_run_id)["activepieces-tenants-teardown"]
    )
    assert {r["external_id"]: r["archive"] for r in table}["globex"] == rows["globex"]["archive"]

    restored = restore_tenant(rows["acme"]["archive"], credentials, return_state=True)
    result = restored.result()
    assert (result["external_id"], result["action"], result["ok"]) == ("acme", "created", True)
    (project,) = live(emu, "acme")
    assert result["project_id"] == project["id"]
    assert result["connections_awaiting_authorization"] == ["slack-main"]
    assert flows_of(emu, "acme") == TEMPLATE_FLOWS
    assert people(emu, "acme") == before
    # The original document, globex left out, plans as all no-op for acme.
    doc = json.loads(onboarded.read_text(encoding="utf-8"))
    doc["tenants"] = doc["tenants"][:1]
    again = plan(credentials.get_config(), load_document(doc, base=onboarded.parent))
    assert not again.has_changes, [c.label for c in again.changes if c.action != "noop"]
    found = prefect_api.artifacts(restored.state_details.flow_run_id)
    markdown = found["activepieces-tenants-restore"].data
    assert f"Project `{project['id']}`: created" in markdown
    assert "`slack-main`" in markdown
    assert emu.api_key not in json.dumps(result) + markdown

    # Twice: the same project, nothing written.
    emu.requests.clear()
    twice = restore_tenant(rows["acme"]["archive"], credentials)
    assert (twice["action"], twice["project_id"]) == ("unchanged", project["id"])
    assert len(live(emu, "acme")) == 1
    assert emu.requests.count(route="projects.replace") == 0


def test_remote_file_system_block_and_restore_from_storage_under_a_new_id(
    onboarded: Path, credentials: ActivepiecesCredentials, emu: Any
) -> None:
    base = f"memory://ap-archives-{uuid.uuid4().hex}"
    block = RemoteFileSystem(basepath=base)
    report = teardown_tenants(["acme"], credentials, archive=block)
    assert report["results"][0]["archive"] == f"{base}/acme.json"
    assert fsspec.filesystem("memory").exists(f"{base}/acme.json")

    result = restore_tenant(
        "acme.json",
        credentials,
        storage=block,
        external_id="acme-again",
        display_name="Acme again",
    )
    assert (result["external_id"], result["action"]) == ("acme-again", "created")
    assert result["source"].startswith("acme.json (in ")
    (project,) = live(emu, "acme-again")
    assert project["displayName"] == "Acme again"
    assert flows_of(emu, "acme-again") == TEMPLATE_FLOWS
    assert live(emu, "acme") == []


def test_a_delete_needs_an_archive_location_or_archive_none_spelled_out(
    onboarded: Path, credentials: ActivepiecesCredentials, emu: Any
) -> None:
    state = teardown_tenants(["acme"], credentials, return_state=True)
    assert state.is_failed()
    with pytest.raises(ArchiveRequiredError, match="archive=None"):
        state.result()
    assert emu.requests.count(route="delete") == 0
    assert len(live(emu, "acme")) == 1
    # Nothing to delete: nothing to archive, no location needed.
    assert teardown_tenants(["ghost"], credentials)["summary"]["missing"] == 1

    report = teardown_tenants(["acme"], credentials, archive=None)
    assert report["results"][0]["status"] == "deleted"
    assert report["results"][0]["archive"] == ""
    assert live(emu, "acme") == []


def test_an_unwritable_archive_deletes_nothing(
    onboarded: Path, tmp_path: Path, credentials: ActivepiecesCredentials, emu: Any
) -> None:
    """A file where the archive directory should be: every tenant fails with the reason and
    keeps its project; the run fails after every tenant was attempted."""
    blocked = tmp_path / "blocked"
    blocked.write_text("not a directory", encoding="utf-8")
    state = teardown_tenants(
        ["acme", "globex"], credentials, archive=str(blocked / "archives"), return_state=True
    )
    assert state.is_failed()
    with pytest.raises(TenantTeardownError) as excinfo:
        state.result()
    error = excinfo.value
    assert error.failed_external_ids == ["acme", "globex"]
    for row in error.report["results"]:
        assert row["status"] == "failed"
        assert (
            f"archive not written to {blocked}/archives/{row['external_id']}.json" in (row["error"])
        )
    assert emu.requests.count(route="delete") == 0
    assert len(live(emu, "acme")) == 1
    assert len(live(emu, "globex")) == 1


def test_sync_prune_archives_what_it_deletes(
    onboarded: Path,
    tmp_path: Path,
    credentials: ActivepiecesCredentials,
    emu: Any,
    prefect_api: Any,
) -> None:
    keep_acme = tenant_document(tmp_path, "acme")
    refused = sync_tenants(str(keep_acme), credentials, prune=True, return_state=True)
    assert refused.is_failed()
    with pytest.raises(ArchiveRequiredError):
        refused.result()
    found = prefect_api.artifacts(refused.state_details.flow_run_id)
    assert "no archive location" in found["activepieces-tenants-report"].description
    assert len(live(emu, "globex")) == 1

    folder = tmp_path / "pruned"
    state = sync_tenants(
        str(keep_acme), credentials, prune=True, archive=str(folder), return_state=True
    )
    assert state.result()["summary"]["delete"] == 1
    assert live(emu, "globex") == []
    assert read_archive(folder / "globex.json").external_id == "globex"
    rows = prefect_api.table(
        prefect_api.artifacts(state.state_details.flow_run_id)["activepieces-tenants-plan"]
    )
    (delete,) = [r for r in rows if r["action"] == "delete" and r["what"] == "project"]
    assert delete["changes"] == f"archive → {folder}/globex.json"


def test_restore_refuses_to_overwrite_a_live_tenant_unless_told(
    onboarded: Path, tmp_path: Path, credentials: ActivepiecesCredentials, emu: Any
) -> None:
    folder = tmp_path / "archives"
    teardown_tenants(["acme"], credentials, archive=str(folder))
    location = str(folder / "acme.json")
    assert restore_tenant(location, credentials)["action"] == "created"
    (project,) = live(emu, "acme")
    emu.state.put_flow(project["id"], {"externalId": "welcome", "version": {"displayName": "X"}})

    refused = restore_tenant(location, credentials, return_state=True)
    assert refused.is_failed()
    with pytest.raises(RestoreRefused, match="replace_existing"):
        refused.result()
    assert flows_of(emu, "acme")["welcome"] == "X"

    replaced = restore_tenant(location, credentials, replace_existing=True)
    assert replaced["action"] == "replaced"
    assert flows_of(emu, "acme") == TEMPLATE_FLOWS


def test_a_block_that_cannot_hold_archives_fails_before_any_request(
    credentials: ActivepiecesCredentials, emu: Any
) -> None:
    emu.state.add_project("Acme", external_id="acme")
    state = teardown_tenants(["acme"], credentials, archive=Secret(value="x"), return_state=True)
    with pytest.raises(TypeError, match="LocalFileSystem or a RemoteFileSystem"):
        state.result()
    assert len(emu.requests) == 0
