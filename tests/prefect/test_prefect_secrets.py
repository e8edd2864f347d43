"""The API key never reaches logs, artifacts, flow-run parameters or failure messages."""

from __future__ import annotations

import json
from typing import Any

from prefect import flow

from prefect_activepieces import (
    ActivepiecesCredentials,
    get_project,
    onboard_tenant,
    sync_tenants,
    teardown_tenants,
)


def test_api_key_never_stored_by_prefect(emulator: Any, prefect_api: Any) -> None:
    key = emulator.api_key
    creds = ActivepiecesCredentials(base_url=emulator.url, api_key=key, max_retries=0)
    emulator.state.add_project("Old", external_id="acme")
    emulator.faults.set(route="update", rate=1.0, kinds={"503": 1})  # one tenant fails

    @flow
    def failing_task() -> None:
        get_project(creds, project_id="missing00000000000000")

    states = [
        sync_tenants([{"external_id": "acme"}, {"external_id": "new"}], creds, return_state=True),
        onboard_tenant("other", creds, return_state=True),
        teardown_tenants(["new", "ghost"], creds, return_state=True, archive=None),
        failing_task(return_state=True),
    ]
    assert [s.is_completed() for s in states] == [False, True, True, False]

    stored: list[Any] = []
    for state in states:
        run_id = state.state_details.flow_run_id
        run = prefect_api.flow_run(run_id)
        stored += [run.parameters, run.state.message if run.state else None]
        stored += [log.message for log in prefect_api.logs(run_id)]
        stored += [(a.data, a.description) for a in prefect_api.artifacts(run_id).values()]
        stored += [tr.state.message for tr in prefect_api.task_runs(run_id) if tr.state]
        stored.append(str(state.result(raise_on_failure=False)))
    dumped = json.dumps(stored, default=str)
    assert len(dumped) > 1000  # the logs, artifacts and messages really were read back
    assert key not in dumped
    assert key[3:15] not in dumped
    assert "'api_key': '**********'" in json.dumps(stored[0], default=str).replace('"', "'")
