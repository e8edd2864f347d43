"""Retries: transient failures retried (client first, then opt-in task retries), 4xx never,
and no duplicate projects whatever the faults."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from prefect import flow
from prefect.states import State

from activepieces_core.errors import NotFoundError
from prefect_activepieces import (
    ActivepiecesCredentials,
    create_project,
    delete_project,
    ensure_project,
    get_project,
    sync_tenants,
)


def _no_retry_credentials(emulator: Any) -> ActivepiecesCredentials:
    """The client gives up at once, so the Prefect task retries are what is being tested."""
    return ActivepiecesCredentials(base_url=emulator.url, api_key=emulator.api_key, max_retries=0)


def _run(task: Any, *args: Any, **kwargs: Any) -> State:
    """Run ``task`` in a flow and hand back its final state, failed or not."""

    @flow
    def wrapper() -> dict[str, State]:
        # Wrapped: a flow returning a bare State would take that state as its own.
        return {"state": task(*args, return_state=True, **kwargs)}

    return wrapper()["state"]


@pytest.mark.parametrize("kind", ["503", "429", "502_html", "drop_before"])
def test_client_retries_transient_errors(
    kind: str, credentials: ActivepiecesCredentials, emulator: Any
) -> None:
    project = emulator.state.add_project("Retry", external_id="retry")
    emulator.faults.set(retry_after=0)
    emulator.faults.script(route="get", nth=1, kind=kind)
    state = _run(get_project, credentials, project_id=project["id"])
    assert state.is_completed()
    assert state.result()["id"] == project["id"]
    assert emulator.requests.count(route="get") == 2


def test_4xx_fails_at_once_even_with_task_retries(
    credentials: ActivepiecesCredentials, emulator: Any
) -> None:
    state = _run(
        get_project.with_options(retries=3, retry_delay_seconds=0),
        credentials,
        project_id="doesNotExist0000000000",
    )
    assert state.is_failed()
    with pytest.raises(NotFoundError):
        state.result()
    assert emulator.requests.count(route="get") == 1


def test_task_retries_transient_failures_when_enabled(emulator: Any) -> None:
    creds = _no_retry_credentials(emulator)
    project = emulator.state.add_project("Retry", external_id="retry")
    emulator.faults.script(route="get", nth=1, kind="503")
    state = _run(
        get_project.with_options(retries=2, retry_delay_seconds=0), creds, project_id=project["id"]
    )
    assert state.is_completed()
    assert emulator.requests.count(route="get") == 2


@pytest.mark.parametrize(("kind", "creates"), [("drop_after", 1), ("500", 1), ("429", 2)])
def test_create_task_retries_only_refused_creates(kind: str, creates: int, emulator: Any) -> None:
    """A create that may have committed (5xx, dropped response) is never sent again."""
    creds = _no_retry_credentials(emulator)
    emulator.faults.set(retry_after=0)
    emulator.faults.script(route="create", nth=1, kind=kind)
    state = _run(
        create_project.with_options(retries=3, retry_delay_seconds=0),
        creds,
        "Once",
        external_id="once",
    )
    assert emulator.requests.count(route="create") == creates
    assert state.is_completed() == (kind == "429")
    matching = [p for p in emulator.state.projects() if p.get("externalId") == "once"]
    assert len(matching) <= 1


def test_ensure_project_survives_a_lost_create_response(emulator: Any) -> None:
    creds = _no_retry_credentials(emulator)
    emulator.faults.script(route="create", nth=1, kind="drop_after")
    state = _run(ensure_project.with_options(retries=2, retry_delay_seconds=0), creds, "tenant-x")
    assert state.is_completed()
    matching = [p for p in emulator.state.projects() if p.get("externalId") == "tenant-x"]
    assert len(matching) == 1
    assert state.result()["project"]["id"] == matching[0]["id"]


def test_delete_retry_after_a_lost_response_counts_as_deleted(emulator: Any) -> None:
    creds = _no_retry_credentials(emulator)
    project = emulator.state.add_project("Gone", external_id="gone")
    emulator.faults.script(route="delete", nth=1, kind="drop_after")
    state = _run(
        delete_project.with_options(retries=1, retry_delay_seconds=0),
        creds,
        project_id=project["id"],
    )
    assert state.is_completed()
    assert state.result()["deleted"] is True
    assert emulator.requests.count(route="delete") == 2


def test_no_duplicates_under_random_faults(
    credentials: ActivepiecesCredentials, emulator: Any
) -> None:
    tenants = [{"external_id": f"t{i:02d}", "display_name": f"Tenant {i}"} for i in range(20)]
    creds = ActivepiecesCredentials(
        base_url=emulator.url, api_key=emulator.api_key, max_retries=6, backoff_base=0
    )
    emulator.faults.seed(7)
    emulator.faults.set(
        route="*",
        rate=0.3,
        retry_after=0,
        kinds={"429": 1, "500": 1, "503": 1, "502_html": 1, "drop_before": 1, "drop_after": 2},
    )
    sync_tenants(tenants, creds, concurrency=8, return_state=True)  # may report failures
    injected = sum(emulator.faults.injected.values())
    emulator.faults.clear()
    report = sync_tenants(tenants, creds, concurrency=8)  # converges whatever the first left

    counts = Counter(p.get("externalId") for p in emulator.state.projects())
    assert all(counts[t["external_id"]] == 1 for t in tenants), counts
    assert report["summary"]["failed"] == 0
    assert injected > 0
