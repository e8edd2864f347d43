"""A tenant's contents through real Prefect flow runs (the harness server) and real HTTP to
the emulator, which follows upstream's replace: a template synced into tenants, the export and
replace tasks, state files in a filesystem block, the typed failures, and the key kept out.

What each project holds is asked of the emulator (`EmulatorState.flows_of`), never read back
from the flows' own results.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from prefect import flow
from prefect.filesystems import LocalFileSystem

from activepieces_core.errors import PieceInstallError, ReplacePreflightError
from activepieces_core.tenants import TenantSyncError
from prefect_activepieces import (
    ActivepiecesCredentials,
    ReplaceItemsFailedError,
    areplace_project_state,
    copy_project_contents,
    export_project_state,
    replace_project_state,
    sync_tenants,
)

TENANTS = ("acme", "globex")


def a_flow(external_id: str, name: str) -> dict[str, Any]:
    """A flow of a replace body as ``projects export`` writes it (a PopulatedFlow)."""
    trigger = {"name": "trigger", "valid": False, "displayName": "Select Trigger"}
    return {
        "id": f"tpl-{external_id}",
        "externalId": external_id,
        "projectId": "tpl",
        "folderId": None,
        "status": "DISABLED",
        "version": {
            "id": f"tpl-{external_id}-1",
            "flowId": f"tpl-{external_id}",
            "displayName": name,
            "trigger": {**trigger, "type": "EMPTY", "settings": {}},
            "valid": False,
            "schemaVersion": None,
            "notes": [],
            "connectionIds": [],
            "agentIds": [],
            "state": "DRAFT",
        },
    }


def a_template(*flows: tuple[str, str]) -> dict[str, Any]:
    return {
        "schemaVersion": 1,
        "sourceActivepiecesVersion": "0.70.0",
        "flows": [a_flow(ext, name) for ext, name in flows],
        "tables": [],
        "folders": [{"externalId": "onboarding", "displayName": "Onboarding", "displayOrder": 0}],
        "connections": [],
        "requiredPieces": [],
    }


STANDARD = a_template(("welcome", "Welcome sequence"), ("alerts", "Alert flow"))


@pytest.fixture
def emu(emulator: Any) -> Any:
    emulator.state.configure_platform(environments_enabled=True)
    return emulator


def project_of(emu: Any, external_id: str) -> str:
    (found,) = [p["id"] for p in emu.state.projects() if p.get("externalId") == external_id]
    return str(found)


def flows_in(emu: Any, external_id: str) -> dict[str, str]:
    flows = emu.state.flows_of(project_of(emu, external_id))
    names = {f["externalId"]: f["version"]["displayName"] for f in flows}
    assert len(names) == len(flows), f"duplicate flows in {external_id}"
    return names


def wanted(body: dict[str, Any]) -> dict[str, str]:
    return {f["externalId"]: f["version"]["displayName"] for f in body["flows"]}


def write_document(folder: Path, body: dict[str, Any]) -> Path:
    (folder / "templates").mkdir(exist_ok=True)
    (folder / "templates" / "standard.json").write_text(json.dumps(body), encoding="utf-8")
    document = folder / "tenants.json"
    document.write_text(
        json.dumps(
            {
                "defaults": {"template": "templates/standard.json"},
                "tenants": [{"external_id": ext} for ext in TENANTS],
            }
        ),
        encoding="utf-8",
    )
    return document


def content_rows(rows: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    """(action, tenant, what) of the content rows of a plan or report artifact."""
    kinds = ("flow ", "table ", "folder ")
    return {(r["action"], r["external_id"], r["what"]) for r in rows if r["what"].startswith(kinds)}


def test_sync_tenants_installs_the_template_then_writes_nothing_then_shows_drift(
    emu: Any, credentials: ActivepiecesCredentials, tmp_path: Path, prefect_api: Any
) -> None:
    document = write_document(tmp_path, STANDARD)
    state = sync_tenants(str(document), credentials, return_state=True)
    assert state.is_completed(), state.message
    for ext in TENANTS:
        assert flows_in(emu, ext) == wanted(STANDARD)
    assert emu.requests.count(route="projects.replace") == len(TENANTS)  # one per tenant
    found = prefect_api.artifacts(state.state_details.flow_run_id)
    planned = content_rows(prefect_api.table(found["activepieces-tenants-plan"]))
    for ext in TENANTS:
        assert ("create", ext, "flow Welcome sequence") in planned
        assert ("create", ext, "folder Onboarding") in planned
    report = prefect_api.table(found["activepieces-tenants-report"])
    flows_done = [r for r in report if r["what"].startswith("flow ")]
    assert len(flows_done) == 2 * len(TENANTS)
    assert {r["status"] for r in flows_done} == {"succeeded"}
    summary = found["activepieces-tenants-summary"].data
    assert "| flow | 4 | 0 | 0 | 0 |" in summary  # core's counts per kind: 4 flows to create

    # A re-run reads each tenant's flows once and writes nothing.
    emu.requests.clear()
    again = sync_tenants(str(document), credentials, return_state=True)
    assert again.is_completed(), again.message
    assert emu.requests.count(route="projects.replace") == 0
    assert emu.requests.count(route="flows.list") == len(TENANTS)
    assert {r["action"] for r in again.result()["results"]} == {"noop"}

    # Someone renames globex's welcome flow in the UI: the plan shows globex alone.
    emu.state.put_flow(
        project_of(emu, "globex"), {"externalId": "welcome", "version": {"displayName": "Hi"}}
    )
    drift = sync_tenants(str(document), credentials, dry_run=True, return_state=True)
    rows = prefect_api.table(
        prefect_api.artifacts(drift.state_details.flow_run_id)["activepieces-tenants-plan"]
    )
    assert content_rows(rows) == {("update", "globex", "flow Welcome sequence")}
    (change,) = [r for r in rows if r["what"].startswith("flow ")]
    assert change["changes"] == "displayName: Hi → Welcome sequence"


def test_export_then_replace_into_another_project(
    emu: Any, credentials: ActivepiecesCredentials, tmp_path: Path
) -> None:
    source = emu.state.add_project("Template", external_id="template")
    for ext, name in (("welcome", "Welcome"), ("crm", "CRM sync")):
        emu.state.put_flow(source["id"], {"externalId": ext, "version": {"displayName": name}})
    emu.state.add_project("Acme", external_id="acme")
    file = tmp_path / "exports" / "template.json"

    @flow
    def export_then_replace() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        body = export_project_state(credentials, external_id="template", path=file)
        first = replace_project_state(credentials, str(file), external_id="acme")
        again = replace_project_state(credentials, body, project_id=project_of(emu, "acme"))
        return body, first, again

    body, first, again = export_then_replace()
    assert json.loads(file.read_text()) == body
    assert flows_in(emu, "acme") == {"welcome": "Welcome", "crm": "CRM sync"}
    assert first["status"] == 200
    assert first["projectId"] == project_of(emu, "acme")
    assert first["applied"]["flowsCreated"] == 2
    assert again["applied"]["flowsCreated"] == 0
    assert again["applied"]["flowsUnchanged"] == 2


def test_copy_project_contents_reports_each_target(
    emu: Any, credentials: ActivepiecesCredentials, prefect_api: Any
) -> None:
    source = emu.state.add_project("Template", external_id="template")
    emu.state.put_flow(source["id"], {"externalId": "welcome", "version": {"displayName": "W"}})
    for ext in TENANTS:
        emu.state.add_project(ext.title(), external_id=ext)
    old = emu.state.add_project("Old", external_id="old")
    emu.state.put_flow(old["id"], {"externalId": "stale", "version": {"displayName": "S"}})

    state = copy_project_contents(
        "template", [*TENANTS, "old", "ghost"], credentials, return_state=True
    )
    assert state.is_failed()
    with pytest.raises(TenantSyncError) as raised:
        state.result()
    assert raised.value.failed_external_ids == ["ghost"]
    for ext in (*TENANTS, "old"):
        assert flows_in(emu, ext) == {"welcome": "W"}  # old's own flow was deleted
    rows = prefect_api.table(
        prefect_api.artifacts(state.state_details.flow_run_id)["activepieces-tenants-contents"]
    )
    by_target = {r["external_id"]: r for r in rows}
    assert rows[0]["external_id"] == "ghost"  # failures first
    assert by_target["ghost"]["status"] == "failed"
    assert "no project with external id 'ghost'" in by_target["ghost"]["error"]
    assert by_target["acme"]["flows"] == "1/0/0/0"
    assert by_target["old"]["flows"] == "1/0/1/0"


def test_templates_and_exports_in_a_filesystem_block(
    emu: Any, credentials: ActivepiecesCredentials, tmp_path: Path
) -> None:
    block = LocalFileSystem(basepath=str(tmp_path / "bucket"))
    block.save("activepieces-templates", overwrite=True)
    source = emu.state.add_project("Template", external_id="template")
    emu.state.put_flow(source["id"], {"externalId": "welcome", "version": {"displayName": "W"}})

    @flow
    def export_to_block() -> None:
        export_project_state(
            credentials, external_id="template", path="states/standard.yaml", storage=block
        )

    export_to_block()
    assert (
        (tmp_path / "bucket" / "states" / "standard.yaml")
        .read_text()
        .startswith("schemaVersion: 1")
    )
    document = {
        "defaults": {"template": "states/standard.yaml"},
        "tenants": [{"external_id": ext} for ext in TENANTS],
    }
    # The saved block by name: only the name is stored with the run.
    report = sync_tenants(
        document, credentials, template_storage="local-file-system/activepieces-templates"
    )
    assert not [r for r in report["results"] if r["status"] != "succeeded"]
    for ext in TENANTS:
        assert flows_in(emu, ext) == {"welcome": "W"}

    # A template given by name as data wins over the block.
    renamed = a_template(("welcome", "Welcome v2"))
    sync_tenants(document, credentials, templates={"states/standard.yaml": renamed})
    for ext in TENANTS:
        assert flows_in(emu, ext) == wanted(renamed)

    # A name the block lacks fails the plan before anything is sent.
    before = len(emu.requests)
    state = sync_tenants(
        {"tenants": [{"external_id": "acme", "template": "nowhere.json"}]},
        credentials,
        template_storage=block,
        return_state=True,
    )
    assert state.is_failed()
    assert "nowhere.json (in activepieces-templates): cannot read" in str(state.message)
    assert len(emu.requests) == before  # not even a read


def test_a_preflight_422_and_a_piece_502_raise_typed_errors_with_the_servers_words(
    emu: Any, credentials: ActivepiecesCredentials
) -> None:
    emu.state.add_project("Acme", external_id="acme")
    newer = {**STANDARD, "sourceActivepiecesVersion": "1.0.0"}  # the emulator runs 0.x

    @flow
    def replace(body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = replace_project_state(credentials, body, external_id="acme")
        return result

    with pytest.raises(ReplacePreflightError, match="Major version mismatch") as raised:
        replace(newer)
    assert raised.value.errors[0]["kind"] == "AP_VERSION_MISMATCH"
    piece = {"name": "@activepieces/piece-nowhere", "version": "1.0.0", "pieceType": "OFFICIAL"}
    emu.state.contents.uninstallable_pieces.add(piece["name"])
    with pytest.raises(PieceInstallError, match="piece-nowhere"):
        replace({**STANDARD, "requiredPieces": [piece]})
    assert emu.state.flows_of(project_of(emu, "acme")) == []  # nothing was written


def test_a_207_fails_the_task_unless_failed_items_are_allowed(
    emu: Any, credentials: ActivepiecesCredentials
) -> None:
    emu.state.add_project("Acme", external_id="acme")
    emu.state.contents.failing_items.add(("flow", "alerts"))

    @flow
    def replace(allow: bool) -> dict[str, Any]:
        result: dict[str, Any] = replace_project_state(
            credentials, STANDARD, external_id="acme", allow_failed_items=allow
        )
        return result

    with pytest.raises(ReplaceItemsFailedError, match=r"flow alerts \(CREATE\)") as raised:
        replace(False)
    assert raised.value.result["status"] == 207
    assert raised.value.result["applied"]["flowsCreated"] == 1  # the rest was applied
    allowed = replace(True)
    assert allowed["status"] == 207
    assert [i["externalId"] for i in allowed["failed"]] == ["alerts"]


async def test_the_async_replace_task(emu: Any, credentials: ActivepiecesCredentials) -> None:
    emu.state.add_project("Acme", external_id="acme")

    @flow
    async def replace_async() -> dict[str, Any]:
        result: dict[str, Any] = await areplace_project_state(
            credentials, STANDARD, external_id="acme"
        )
        return result

    result = await replace_async()
    assert result["applied"]["flowsCreated"] == 2
    assert flows_in(emu, "acme") == wanted(STANDARD)


def test_the_api_key_never_reaches_results_artifacts_or_logs(
    emu: Any, tmp_path: Path, prefect_api: Any
) -> None:
    key = emu.api_key
    creds = ActivepiecesCredentials(base_url=emu.url, api_key=key, max_retries=0)
    source = emu.state.add_project("Template", external_id="template")
    emu.state.put_flow(source["id"], {"externalId": "alerts", "version": {"displayName": "A"}})
    emu.state.contents.failing_items.add(("flow", "alerts"))
    # A gateway that quotes the refused request (its Authorization header) on every replace.
    emu.faults.set(route="projects.replace", rate=1.0, kinds={"502_echo": 1})
    states = [sync_tenants(str(write_document(tmp_path, STANDARD)), creds, return_state=True)]
    emu.faults.clear()
    states.append(copy_project_contents("template", ["acme", "ghost"], creds, return_state=True))
    stored = prefect_api.stored_by(states)
    dumped = json.dumps(stored, default=str)
    assert "alerts" in dumped  # the failures really were read back
    assert key not in dumped
    assert key[3:15] not in dumped


def test_the_onboarding_example_installs_a_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """examples/prefect/onboard.py with a tenant file naming a template, against its own
    emulator (which must have environmentsEnabled for the replace)."""
    monkeypatch.delenv("ACTIVEPIECES_URL", raising=False)
    monkeypatch.delenv("ACTIVEPIECES_API_KEY", raising=False)
    example = Path(__file__).resolve().parents[2] / "examples" / "prefect" / "onboard.py"
    spec = importlib.util.spec_from_file_location("prefect_example_onboard_contents", example)
    assert spec is not None
    assert spec.loader is not None
    onboard = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(onboard)
    assert onboard.main([str(write_document(tmp_path, STANDARD))]) == 0
