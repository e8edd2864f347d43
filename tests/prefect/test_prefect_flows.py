"""sync_tenants, onboard_tenant and teardown_tenants: results, artifacts, failure semantics."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from prefect import flow

from activepieces_core.tenants import DeletionLimitExceeded
from prefect_activepieces import (
    ActivepiecesCredentials,
    TenantSyncError,
    TenantTeardownError,
    onboard_tenant,
    sync_tenants,
    teardown_tenants,
)

TENANTS_YAML = Path(__file__).resolve().parents[2] / "examples" / "tenants.yaml"
TENANTS = [
    {"external_id": "acme", "display_name": "Acme", "pieces": ["slack"]},
    {"external_id": "globex", "display_name": "Globex", "metadata": {"tier": "gold"}},
    {"external_id": "initech", "display_name": "Initech", "max_concurrent_jobs": 3},
]


def _team_by_external_id(emulator: Any) -> dict[str, dict[str, Any]]:
    return {
        p["externalId"]: p for p in emulator.state.projects(types=["TEAM"]) if p.get("externalId")
    }


def test_sync_tenants_from_file_then_noop(
    credentials: ActivepiecesCredentials, emulator: Any, prefect_api: Any
) -> None:
    state = sync_tenants(str(TENANTS_YAML), credentials, concurrency=4, return_state=True)
    assert state.is_completed()
    report = state.result()
    projects = _team_by_external_id(emulator)
    assert {"acme", "globex", "initech", "umbrella", "hooli", "stark"} <= set(projects)
    assert report["summary"]["create"] == 6
    assert report["summary"]["succeeded"] == 6
    assert {r["project_id"] for r in report["results"]} == {
        projects[r["external_id"]]["id"] for r in report["results"]
    }
    assert projects["acme"]["plan"]["pieces"] == sorted(
        f"@activepieces/piece-{p}" for p in ("slack", "gmail", "google-sheets")
    )

    found = prefect_api.artifacts(state.state_details.flow_run_id)
    assert {
        "activepieces-tenants-plan",
        "activepieces-tenants-report",
        "activepieces-tenants-summary",
    } <= set(found)
    plan_rows = prefect_api.table(found["activepieces-tenants-plan"])
    assert [(r["external_id"], r["action"]) for r in plan_rows][:2] == [
        ("acme", "create"),
        ("globex", "create"),
    ]
    report_rows = prefect_api.table(found["activepieces-tenants-report"])
    assert {r["status"] for r in report_rows} == {"succeeded"}
    summary = found["activepieces-tenants-summary"]
    assert summary.type == "markdown"
    assert "# Activepieces tenant sync" in summary.data
    assert "Failed tenants" not in summary.data

    again = sync_tenants(str(TENANTS_YAML), credentials)
    assert again["summary"]["noop"] == 6
    assert again["summary"]["skipped"] == 6
    assert emulator.requests.count(route="create") == 6


def test_dry_run_changes_nothing(credentials: ActivepiecesCredentials, emulator: Any) -> None:
    before = emulator.state.projects()
    report = sync_tenants(TENANTS, credentials, dry_run=True)
    assert report["dry_run"] is True
    assert {r["status"] for r in report["results"]} == {"planned"}
    assert emulator.state.projects() == before
    assert emulator.requests.count(method="POST") == 0


def test_prune_respects_protect_and_max_deletions(
    credentials: ActivepiecesCredentials, emulator: Any, prefect_api: Any
) -> None:
    for ext in ("old-1", "old-2", "keep-me"):
        emulator.state.add_project(ext.title(), external_id=ext)

    state = sync_tenants(
        TENANTS, credentials, prune=True, protect=["keep-*"], max_deletions=1, return_state=True
    )
    assert state.is_failed()
    with pytest.raises(DeletionLimitExceeded):
        state.result()
    assert {"old-1", "old-2", "keep-me"} <= set(_team_by_external_id(emulator))
    assert emulator.requests.count(method="POST") == 0  # refused before any write
    summary = prefect_api.artifacts(state.state_details.flow_run_id)["activepieces-tenants-summary"]
    assert "Not applied" in summary.data

    report = sync_tenants(TENANTS, credentials, prune=True, protect=["keep-*"], max_deletions=2)
    deleted = {r["external_id"] for r in report["results"] if r["action"] == "delete"}
    assert deleted == {"old-1", "old-2"}
    assert set(_team_by_external_id(emulator)) >= {"keep-me", "acme", "globex", "initech"}
    assert not {"old-1", "old-2"} & set(_team_by_external_id(emulator))


def test_failed_tenant_fails_the_run_after_the_rest(emulator: Any, prefect_api: Any) -> None:
    emulator.state.add_project("Acme (old name)", external_id="acme")
    # The one update in the plan (acme's rename) always meets a 503; creates are untouched.
    emulator.faults.set(route="update", rate=1.0, kinds={"503": 1})
    creds = ActivepiecesCredentials(base_url=emulator.url, api_key=emulator.api_key, max_retries=0)
    state = sync_tenants(TENANTS, creds, return_state=True)
    assert state.is_failed()
    with pytest.raises(TenantSyncError) as excinfo:
        state.result()
    error = excinfo.value
    assert error.failed_external_ids == ["acme"]
    statuses = {r["external_id"]: r["status"] for r in error.report["results"]}
    assert statuses == {"acme": "failed", "globex": "succeeded", "initech": "succeeded"}
    projects = _team_by_external_id(emulator)
    assert projects["acme"]["displayName"] == "Acme (old name)"
    assert {"globex", "initech"} <= set(projects)

    found = prefect_api.artifacts(state.state_details.flow_run_id)
    rows = {r["external_id"]: r for r in prefect_api.table(found["activepieces-tenants-report"])}
    assert rows["acme"]["status"] == "failed"
    assert "503" in rows["acme"]["error"]
    assert "## Failed tenants" in found["activepieces-tenants-summary"].data


def test_onboard_tenant_with_saved_block_name(
    credentials: ActivepiecesCredentials, emulator: Any, prefect_api: Any
) -> None:
    credentials.save("onboarding", overwrite=True)
    state = onboard_tenant(
        "wayne", "onboarding", display_name="Wayne Enterprises", pieces=["slack"], return_state=True
    )
    result = state.result()
    assert result["action"] == "created"
    assert result["project"]["displayName"] == "Wayne Enterprises"
    assert result["project"]["plan"]["pieces"] == ["@activepieces/piece-slack"]
    run = prefect_api.flow_run(state.state_details.flow_run_id)
    assert run.parameters["credentials"] == "onboarding"
    markdown = prefect_api.artifacts(state.state_details.flow_run_id)["markdown"]
    assert "wayne" in markdown.data
    assert "created" in markdown.data

    assert (
        onboard_tenant("wayne", credentials, display_name="Wayne Enterprises", pieces=["slack"])[
            "action"
        ]
        == "unchanged"
    )
    assert (
        onboard_tenant("wayne", credentials, display_name="Wayne Ent", if_exists="return")["action"]
        == "unchanged"
    )
    assert _team_by_external_id(emulator)["wayne"]["displayName"] == "Wayne Enterprises"


def test_teardown_tenants(
    credentials: ActivepiecesCredentials, emulator: Any, prefect_api: Any
) -> None:
    for ext in ("a", "b", "c"):
        emulator.state.add_project(ext.upper(), external_id=ext)
    state = teardown_tenants(
        ["a", "b", "c", "a", "ghost"], credentials, concurrency=2, return_state=True
    )
    report = state.result()
    assert report["summary"] == {"total": 4, "deleted": 3, "missing": 1, "failed": 0}
    assert not {"a", "b", "c"} & set(_team_by_external_id(emulator))
    assert emulator.requests.count(route="delete") == 3
    found = prefect_api.artifacts(state.state_details.flow_run_id)
    rows = prefect_api.table(found["activepieces-tenants-teardown"])
    assert {r["external_id"]: r["status"] for r in rows}["ghost"] == "missing"
    assert "# Activepieces tenant teardown" in found["activepieces-tenants-teardown-summary"].data

    emulator.state.add_project("D", external_id="d")
    failed = teardown_tenants(["d", "ghost"], credentials, missing_ok=False, return_state=True)
    assert failed.is_failed()
    with pytest.raises(TenantTeardownError) as excinfo:
        failed.result()
    assert excinfo.value.failed_external_ids == ["ghost"]
    assert "d" not in _team_by_external_id(emulator)  # the rest still happened


def test_flows_compose_under_an_async_parent(
    credentials: ActivepiecesCredentials, emulator: Any
) -> None:
    @flow
    async def parent() -> tuple[dict[str, Any], dict[str, Any]]:
        synced = sync_tenants(TENANTS[:1], credentials)
        removed = teardown_tenants(["acme"], credentials)
        return synced, removed

    synced, removed = asyncio.run(parent())
    assert synced["summary"]["succeeded"] == 1
    assert removed["summary"]["deleted"] == 1
    assert "acme" not in _team_by_external_id(emulator)
