"""sync_tenants, onboard_tenant and teardown_tenants: results, artifacts, failure semantics."""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path
from typing import Any

import pytest
from prefect import flow

from activepieces_core.errors import ActivepiecesError, InvalidRequestError
from activepieces_core.tenants import DeletionLimitExceeded
from activepieces_core.tenants import TenantSyncError as CoreTenantSyncError
from prefect_activepieces import (
    ActivepiecesCredentials,
    TenantFlowError,
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
    assert list(dict.fromkeys((r["external_id"], r["action"]) for r in plan_rows))[:2] == [
        ("acme", "create"),
        ("globex", "create"),
    ]
    acme = next(r for r in plan_rows if r["external_id"] == "acme")
    assert (acme["what"], acme["changes"]) == ("project", "Acme Corp")  # a create names it
    report_rows = prefect_api.table(found["activepieces-tenants-report"])
    assert {r["status"] for r in report_rows} == {"succeeded"}
    summary = found["activepieces-tenants-summary"]
    assert summary.type == "markdown"
    assert "# Activepieces tenant sync" in summary.data
    assert "| project | 6 | 0 | 0 | 0 |" in summary.data  # planned creates and their outcome

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
    found = prefect_api.artifacts(state.state_details.flow_run_id)
    assert "Not applied" in found["activepieces-tenants-summary"].data
    # Regression: the refused run publishes its own -report (the latest was the previous run's).
    refused = found["activepieces-tenants-report"]
    assert refused.description.startswith("Not applied: refusing to apply")
    rows = prefect_api.table(refused)
    assert {r["status"] for r in rows} == {"not applied"}
    assert {r["external_id"] for r in rows if r["action"] == "delete"} == {"old-1", "old-2"}

    report = sync_tenants(
        TENANTS, credentials, prune=True, protect=["keep-*"], max_deletions=2, archive=None
    )
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
    assert isinstance(error, CoreTenantSyncError)
    assert isinstance(error, ActivepiecesError)
    assert str(error) == "tenant sync: 1 of 3 tenant(s) failed (acme); the other 2 were applied"
    statuses = {r["external_id"]: r["status"] for r in error.report["results"]}
    assert statuses == {"acme": "failed", "globex": "succeeded", "initech": "succeeded"}
    projects = _team_by_external_id(emulator)
    assert projects["acme"]["displayName"] == "Acme (old name)"
    assert {"globex", "initech"} <= set(projects)

    found = prefect_api.artifacts(state.state_details.flow_run_id)
    rows = {r["external_id"]: r for r in prefect_api.table(found["activepieces-tenants-report"])}
    assert rows["acme"]["status"] == "failed"
    assert "503" in rows["acme"]["error"]
    assert "| update | acme | project |" in found["activepieces-tenants-summary"].data


def test_no_others_means_no_tenant_succeeded(emulator: Any) -> None:
    """Regression: "the others were applied" was said when every tenant had failed."""
    for tenant in TENANTS[:2]:
        emulator.state.add_project("Old name", external_id=tenant["external_id"])
    emulator.faults.set(route="update", rate=1.0, kinds={"503": 1})
    creds = ActivepiecesCredentials(base_url=emulator.url, api_key=emulator.api_key, max_retries=0)
    state = sync_tenants(TENANTS[:2], creds, return_state=True)
    with pytest.raises(TenantSyncError) as excinfo:
        state.result()
    message = str(excinfo.value)
    assert message == "tenant sync: 2 of 2 tenant(s) failed (acme, globex); no tenant succeeded"
    assert "applied" not in message
    assert excinfo.value.report["summary"]["failed"] == 2


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
    # Regression: the artifact had no key, so it never showed under Artifacts.
    markdown = prefect_api.artifacts(state.state_details.flow_run_id)[
        "activepieces-tenants-onboard"
    ]
    assert markdown.type == "markdown"
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


NEW_FIELDS: dict[str, Any] = {
    "notify_flow_owner_on_failure": True,
    "active_flows_limit": 3,
    "worker_group_id": "gpu",
    "execution_data_retention_days": 14,
    "sensitive": True,
}


def _writes(emulator: Any) -> int:
    return sum(emulator.requests.count(route=r) for r in ("create", "update", "delete"))


def test_onboard_tenant_sets_the_2026_fields_then_is_unchanged(
    credentials: ActivepiecesCredentials, emulator: Any
) -> None:
    # Without worker groups the emulator drops workerGroupId (as upstream does).
    emulator.state.configure_platform(worker_groups_enabled=True)
    # Positional callers and saved deployments: the new parameters only ever come last.
    params = list(inspect.signature(onboard_tenant.fn).parameters)
    assert params[-len(NEW_FIELDS) :] == list(NEW_FIELDS)
    assert params.index("artifact_key") == len(params) - len(NEW_FIELDS) - 1

    result = onboard_tenant("stark", credentials, display_name="Stark", **NEW_FIELDS)
    assert result["action"] == "created"
    stored = _team_by_external_id(emulator)["stark"]
    assert stored["id"] == result["project"]["id"]
    assert stored["notifyFlowOwnerOnFailure"] is True
    assert stored["plan"]["activeFlowsLimit"] == 3
    assert stored["workerGroupId"] == "gpu"
    assert stored["executionDataRetentionDays"] == 14
    assert stored["sensitive"] is True
    # The create and its one follow-up update carrying the fields.
    assert emulator.requests.count(route="create") == 1
    assert emulator.requests.count(route="update") == 1

    before = _writes(emulator)
    again = onboard_tenant("stark", credentials, display_name="Stark", **NEW_FIELDS)
    assert again["action"] == "unchanged"
    assert _writes(emulator) == before


def test_onboard_tenant_bad_field_fails_before_any_request(
    credentials: ActivepiecesCredentials, emulator: Any
) -> None:
    state = onboard_tenant("stark", credentials, active_flows_limit=0, return_state=True)
    assert state.is_failed()
    with pytest.raises(InvalidRequestError):
        state.result()
    assert len(emulator.requests) == 0
    assert "stark" not in _team_by_external_id(emulator)


@pytest.mark.parametrize("count", [2, 12])
def test_teardown_tenants(
    count: int, credentials: ActivepiecesCredentials, emulator: Any, prefect_api: Any
) -> None:
    """Up to 4 tenants are looked up one by one, more with one listing; same results."""
    ids = [f"t{i:02d}" for i in range(count)]
    for ext in ids:
        emulator.state.add_project(ext.upper(), external_id=ext)
    emulator.state.add_project("Kept", external_id="kept")
    emulator.state.add_project("Personal", external_id="mine", type="PERSONAL")
    asked = [*ids, ids[0], "ghost", "mine"]
    state = teardown_tenants(asked, credentials, concurrency=2, return_state=True, archive=None)
    report = state.result()
    unique = len(ids) + 2
    assert report["summary"] == {"total": unique, "deleted": count, "missing": 2, "failed": 0}
    assert [r["external_id"] for r in report["results"]] == [*ids, "ghost", "mine"]
    left = _team_by_external_id(emulator)
    assert not set(ids) & set(left)
    assert "kept" in left  # only the named tenants: a plan with no desired tenants would prune it
    assert any(p.get("externalId") == "mine" for p in emulator.state.projects())
    assert emulator.requests.count(route="delete") == count  # one per tenant, no retry
    lookups = emulator.requests.count(route="list")
    assert lookups == (unique if unique <= 4 else 1)

    run_id = state.state_details.flow_run_id
    tasks = sorted(t.name.rsplit("-", 1)[0] for t in prefect_api.task_runs(run_id, at_least=2))
    assert tasks == ["Apply Activepieces tenant plan", "Plan Activepieces teardown"]
    found = prefect_api.artifacts(run_id)
    rows = {r["external_id"]: r for r in prefect_api.table(found["activepieces-tenants-teardown"])}
    assert rows["ghost"]["status"] == "missing"
    assert rows[ids[0]]["status"] == "deleted"
    assert rows[ids[0]]["project_id"]
    assert "# Activepieces tenant teardown" in found["activepieces-tenants-teardown-summary"].data


def test_teardown_failures_after_every_attempt(emulator: Any) -> None:
    emulator.state.add_project("D", external_id="d")
    emulator.state.add_project("E", external_id="e")
    creds = ActivepiecesCredentials(base_url=emulator.url, api_key=emulator.api_key, max_retries=0)
    failed = teardown_tenants(
        ["d", "ghost"], creds, missing_ok=False, return_state=True, archive=None
    )
    assert failed.is_failed()
    with pytest.raises(TenantTeardownError) as excinfo:
        failed.result()
    error = excinfo.value
    assert error.failed_external_ids == ["ghost"]
    assert isinstance(error, TenantSyncError)
    assert isinstance(error, TenantFlowError)
    assert (
        str(error) == "tenant teardown: 1 of 2 tenant(s) failed (ghost); the other 1 were applied"
    )
    assert "no TEAM project" in error.report["results"][1]["error"]
    assert "d" not in _team_by_external_id(emulator)  # the rest still happened

    emulator.faults.set(route="delete", rate=1.0, kinds={"503": 1})
    with pytest.raises(TenantTeardownError) as excinfo:
        teardown_tenants(["e"], creds, archive=None)
    assert str(excinfo.value).endswith("no tenant succeeded")
    assert "503" in excinfo.value.report["results"][0]["error"]
    assert "e" in _team_by_external_id(emulator)


@pytest.mark.parametrize("others", [[], ["a", "b", "c", "d"]])  # lookup, then listing
def test_teardown_follows_cores_duplicate_rule_on_either_read(
    others: list[str], credentials: ActivepiecesCredentials, emulator: Any
) -> None:
    """Two TEAM projects with one external id: core's rule (the lowest project id is managed,
    with a warning) whether the tenants are looked up or listed; the other project stays."""
    first = emulator.state.add_project("Dup 1", external_id="dup")
    second = emulator.state.add_project("Dup 2")
    emulator.state.replace(second["id"], {"externalId": "dup"})
    managed, other = sorted((first["id"], second["id"]))
    report = teardown_tenants(["dup", *others], credentials, archive=None)
    row = report["results"][0]
    assert (row["status"], row["project_id"]) == ("deleted", managed)
    (warning,) = report["warnings"]
    assert "several TEAM projects" in warning
    assert f"managing {managed}" in warning
    left = [p["id"] for p in emulator.state.projects(types=["TEAM"])]
    assert other in left
    assert managed not in left
    assert emulator.requests.count(route="delete") == 1


def test_flows_compose_under_an_async_parent(
    credentials: ActivepiecesCredentials, emulator: Any
) -> None:
    @flow
    async def parent() -> tuple[dict[str, Any], dict[str, Any]]:
        synced = sync_tenants(TENANTS[:1], credentials)
        removed = teardown_tenants(["acme"], credentials, archive=None)
        return synced, removed

    synced, removed = asyncio.run(parent())
    assert synced["summary"]["succeeded"] == 1
    assert removed["summary"]["deleted"] == 1
    assert "acme" not in _team_by_external_id(emulator)
