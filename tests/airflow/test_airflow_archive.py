"""Archive before delete, and restore, from Airflow (issue 20), through real ``dag.test()`` runs
against the emulator: the teardown operator archives every tenant it deletes (a directory, URL
text or an ``ObjectStoragePath``), refuses to delete with no archive location, fails (and keeps)
a tenant whose archive cannot be written; the restore operator brings one back.

What a tenant holds is asked of the emulator (`archive_support`), never of the XComs. The DAGs
are ``tests/airflow/dags/activepieces_test_archive.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from archive_support import (
    TEMPLATE_FLOWS,
    archive_platform,
    flows_of,
    live,
    people,
    tenant_document,
)
from test_airflow_contents import TEST_DAGS, run

from activepieces_core import ActivepiecesClient
from activepieces_core.tenants import load_document, plan, reconcile
from activepieces_core.tenants.archive import archive_name, read_archive

pytestmark = pytest.mark.usefixtures("airflow_db")

DAGS = TEST_DAGS / "activepieces_test_archive.py"


@pytest.fixture
def emu(emulator: Any) -> Any:
    return archive_platform(emulator)


@pytest.fixture
def onboarded(tmp_path: Path, emu: Any) -> Path:
    """acme and globex onboarded with the template, their pieces and two members each."""
    doc = tenant_document(tmp_path, "acme", "globex")
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
        assert reconcile(client, load_document(doc)).ok
    assert flows_of(emu, "acme") == TEMPLATE_FLOWS
    return doc


def archive_dag(dag_id: str, capfd: Any, caplog: Any, **conf: Any) -> tuple[Any, str, Any]:
    return run(dag_id, capfd, caplog, dag_file=DAGS, **conf)


def test_teardown_writes_verified_archives_then_restore_round_trip(
    onboarded: Path, tmp_path: Path, emu: Any, capfd: Any, caplog: Any
) -> None:
    before = people(emu, "acme")
    folder = tmp_path / "archives"
    dr, output, found = archive_dag(
        "activepieces_test_archive_teardown",
        capfd,
        caplog,
        tenants="acme,globex,ghost",
        archive=str(folder),
    )
    assert dr.state == "success", output[-12000:]
    rows = {r["external_id"]: r for r in found["teardown/return_value"]["results"]}
    assert rows["acme"]["archive"] == str(folder / archive_name("acme"))
    assert rows["ghost"]["status"] == "missing"
    assert live(emu, "acme") == []
    assert live(emu, "globex") == []
    archive = read_archive(rows["acme"]["archive"])  # digest checked
    assert {f["externalId"] for f in archive.state["flows"]} == set(TEMPLATE_FLOWS)
    assert {m["email"]: m["role"] for m in archive.tenant["members"]} == before
    assert f"archive → {folder}/globex.json" in output  # the logged plan says where

    dr, output, found = archive_dag(
        "activepieces_test_archive_restore", capfd, caplog, archive=rows["acme"]["archive"]
    )
    assert dr.state == "success", output[-12000:]
    restored = found["restore/return_value"]
    (project,) = live(emu, "acme")
    assert restored["project_id"] == project["id"]
    assert (restored["action"], restored["ok"]) == ("created", True)
    assert restored["connections_awaiting_authorization"] == ["slack-main"]
    assert restored["summary"]["create"] == 1
    assert restored["kinds"]["flow"] == {"succeeded": len(TEMPLATE_FLOWS)}
    assert flows_of(emu, "acme") == TEMPLATE_FLOWS
    assert people(emu, "acme") == before
    assert emu.api_key not in json.dumps(found) + output
    # The original document, globex left out, plans as all no-op.
    doc = json.loads(onboarded.read_text(encoding="utf-8"))
    doc["tenants"] = doc["tenants"][:1]
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
        again = plan(client, load_document(doc, base=onboarded.parent))
    assert not again.has_changes, [c.label for c in again.changes if c.action != "noop"]

    # Twice: the same project, nothing written.
    emu.requests.clear()
    dr, output, found = archive_dag(
        "activepieces_test_archive_restore", capfd, caplog, archive=rows["acme"]["archive"]
    )
    assert dr.state == "success", output[-12000:]
    assert found["restore/return_value"]["action"] == "unchanged"
    assert len(live(emu, "acme")) == 1
    assert emu.requests.count(route="projects.replace") == 0


def test_an_unwritable_archive_deletes_nothing_and_fails_with_the_reason(
    onboarded: Path, tmp_path: Path, emu: Any, capfd: Any, caplog: Any
) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the archive directory should be", encoding="utf-8")
    dr, output, found = archive_dag(
        "activepieces_test_archive_teardown",
        capfd,
        caplog,
        tenants="acme,globex",
        archive=str(blocked / "archives"),
    )
    assert dr.state == "failed"
    assert "teardown/return_value" not in found
    for ext in ("acme", "globex"):
        assert f"archive not written to {blocked}/archives/{ext}.json" in output
        assert len(live(emu, ext)) == 1
    report = found["teardown/report"]
    assert {r["external_id"] for r in report["results"] if r["status"] == "failed"} == {
        "acme",
        "globex",
    }
    assert "2 of 2 tenant(s) failed" in output
    assert emu.requests.count(route="delete") == 0


def test_a_teardown_without_an_archive_location_deletes_nothing(
    onboarded: Path, emu: Any, capfd: Any, caplog: Any
) -> None:
    dr, output, _ = archive_dag("activepieces_test_archive_required", capfd, caplog, tenants="acme")
    assert dr.state == "failed"
    assert "no archive location was given" in output
    assert emu.requests.count(route="delete") == 0
    assert len(live(emu, "acme")) == 1


def test_object_storage_archive_then_restore_from_the_teardowns_result(
    onboarded: Path, emu: Any, capfd: Any, caplog: Any
) -> None:
    from airflow.sdk import ObjectStoragePath

    dr, output, found = archive_dag(
        "activepieces_test_archive_object_storage", capfd, caplog, tenants="globex"
    )
    assert dr.state == "success", output[-12000:]
    where = found["teardown/return_value"]["results"][0]["archive"]
    assert where == "memory://activepieces-tests/archives/globex.json"
    assert json.loads(ObjectStoragePath(where).read_text())["tenant"]["external_id"] == "globex"
    assert found["restore/return_value"]["action"] == "created"
    assert found["restore/return_value"]["source"] == where
    assert flows_of(emu, "globex") == TEMPLATE_FLOWS


def test_restore_refuses_to_overwrite_a_live_tenant_unless_told(
    onboarded: Path, tmp_path: Path, emu: Any, capfd: Any, caplog: Any
) -> None:
    folder = tmp_path / "archives"
    dr, output, _ = archive_dag(
        "activepieces_test_archive_teardown", capfd, caplog, tenants="acme", archive=str(folder)
    )
    assert dr.state == "success", output[-12000:]
    source = str(folder / "acme.json")
    dr, output, _ = archive_dag("activepieces_test_archive_restore", capfd, caplog, archive=source)
    assert dr.state == "success", output[-12000:]
    (project,) = live(emu, "acme")
    emu.state.put_flow(project["id"], {"externalId": "welcome", "version": {"displayName": "X"}})

    dr, output, found = archive_dag(
        "activepieces_test_archive_restore", capfd, caplog, archive=source
    )
    assert dr.state == "failed"
    assert "replace_existing=True" in output
    assert flows_of(emu, "acme")["welcome"] == "X"

    dr, output, found = archive_dag(
        "activepieces_test_archive_restore",
        capfd,
        caplog,
        archive=source,
        replace_existing=True,
    )
    assert dr.state == "success", output[-12000:]
    assert found["restore/return_value"]["action"] == "replaced"
    assert flows_of(emu, "acme") == TEMPLATE_FLOWS

    # Under another external id, the live tenant stays as it is.
    dr, output, found = archive_dag(
        "activepieces_test_archive_restore", capfd, caplog, archive=source, external_id="acme-old"
    )
    assert dr.state == "success", output[-12000:]
    assert found["restore/return_value"]["external_id"] == "acme-old"
    assert flows_of(emu, "acme-old") == TEMPLATE_FLOWS


def test_a_pruning_sync_archives_what_it_deletes(
    onboarded: Path, tmp_path: Path, emu: Any, capfd: Any, caplog: Any
) -> None:
    keep_acme = tenant_document(tmp_path / "next", "acme")
    folder = tmp_path / "pruned"
    dr, output, _ = archive_dag(
        "activepieces_test_archive_sync",
        capfd,
        caplog,
        tenants=str(keep_acme),
        archive=str(folder),
    )
    assert dr.state == "success", output[-12000:]
    assert live(emu, "globex") == []
    assert read_archive(folder / "globex.json").external_id == "globex"
    assert len(live(emu, "acme")) == 1
