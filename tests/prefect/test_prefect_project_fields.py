"""The 2026 project fields (notify_flow_owner_on_failure, active_flows_limit, worker_group_id,
execution_data_retention_days, sensitive) through ensure_project / update_project and their
async twins, in real flow runs against the emulator over HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from prefect import flow

from activepieces_core.errors import InvalidRequestError
from prefect_activepieces import ActivepiecesCredentials
from prefect_activepieces.projects import (
    aensure_project,
    aupdate_project,
    ensure_project,
    update_project,
)

FIELDS: dict[str, Any] = {
    "notify_flow_owner_on_failure": True,
    "active_flows_limit": 3,
    "worker_group_id": "gpu",
    "execution_data_retention_days": 14,
    "sensitive": True,
}


@flow
def sync_fields_flow(credentials: ActivepiecesCredentials) -> dict[str, Any]:
    created = ensure_project(credentials, "fields-co", **FIELDS)
    return {
        "created": created,
        "again": ensure_project(credentials, "fields-co", **FIELDS),
        "updated": update_project(
            credentials, created["project"]["id"], execution_data_retention_days=30
        ),
    }


@flow
async def async_fields_flow(credentials: ActivepiecesCredentials) -> dict[str, Any]:
    created = await aensure_project(credentials, "fields-co", **FIELDS)
    return {
        "created": created,
        "again": await aensure_project(credentials, "fields-co", **FIELDS),
        "updated": await aupdate_project(
            credentials, created["project"]["id"], execution_data_retention_days=30
        ),
    }


@pytest.fixture(autouse=True)
def _worker_groups(emulator: Any) -> None:
    # Without worker groups the server drops workerGroupId (as upstream does).
    emulator.state.configure_platform(worker_groups_enabled=True)


@pytest.mark.parametrize("runner", ["sync", "async"])
def test_ensure_and_update_the_fields(
    runner: str, credentials: ActivepiecesCredentials, emulator: Any
) -> None:
    if runner == "sync":
        out = sync_fields_flow(credentials)
    else:
        out = asyncio.run(async_fields_flow(credentials))

    created = out["created"]
    assert created["action"] == "created"
    assert created["project"]["notifyFlowOwnerOnFailure"] is True
    assert created["project"]["plan"]["activeFlowsLimit"] == 3
    assert created["project"]["workerGroupId"] == "gpu"
    assert created["project"]["executionDataRetentionDays"] == 14
    assert created["project"]["sensitive"] is True
    assert out["again"]["action"] == "unchanged"
    assert out["updated"]["executionDataRetentionDays"] == 30
    stored = emulator.state.get_project(created["project"]["id"])
    assert stored["executionDataRetentionDays"] == 30
    assert stored["workerGroupId"] == "gpu"  # not given to the update: left alone
    assert stored["sensitive"] is True
    assert stored["plan"]["activeFlowsLimit"] == 3
    # One create with its one follow-up update, none for "again", one for update_project.
    assert emulator.requests.count(route="create") == 1
    assert emulator.requests.count(route="update") == 2


@flow
def bad_ensure(credentials: ActivepiecesCredentials, fields: dict[str, Any]) -> Any:
    return ensure_project(credentials, "bad-co", **fields)


@flow
async def abad_update(credentials: ActivepiecesCredentials, fields: dict[str, Any]) -> Any:
    return await aupdate_project(credentials, "a" * 21, **fields)


@pytest.mark.parametrize(
    "fields",
    [
        {"active_flows_limit": 0},
        {"execution_data_retention_days": -1},
        {"worker_group_id": ""},
        {"sensitive": "maybe"},
    ],
)
def test_bad_values_fail_the_task_before_any_request(
    credentials: ActivepiecesCredentials, emulator: Any, fields: dict[str, Any]
) -> None:
    with pytest.raises(InvalidRequestError):
        bad_ensure(credentials, fields)
    with pytest.raises(InvalidRequestError):
        asyncio.run(abad_update(credentials, fields))
    assert len(emulator.requests) == 0
