"""A gateway that echoes the request (the emulator's ``502_echo``): what Prefect keeps of the
failing runs (logs, state messages, artifacts, results) shows ``***``, never the API key."""

from __future__ import annotations

import json
from typing import Any

from prefect import flow

from activepieces_core.testing.faults import ECHO_KIND
from prefect_activepieces import ActivepiecesCredentials, get_project, sync_tenants


def _kept(prefect_api: Any, state: Any) -> str:
    """Everything the Prefect server (and the returned state) holds of one flow run."""
    run_id = state.state_details.flow_run_id
    run = prefect_api.flow_run(run_id)
    kept: list[Any] = [run.parameters, run.state.message if run.state else None]
    kept += [log.message for log in prefect_api.logs(run_id)]
    kept += [(a.data, a.description) for a in prefect_api.artifacts(run_id).values()]
    kept += [tr.state.message for tr in prefect_api.task_runs(run_id) if tr.state]
    kept.append(str(state.result(raise_on_failure=False)))
    return json.dumps(kept, default=str)


def test_an_echoing_gateway_leaves_only_stars_in_flow_run_logs(
    emulator: Any, prefect_api: Any
) -> None:
    key = emulator.api_key
    creds = ActivepiecesCredentials(base_url=emulator.url, api_key=key, max_retries=0)
    emulator.state.add_project("Old", external_id="acme")
    emulator.faults.set("update", rate=1.0, kinds=[ECHO_KIND])  # the tenant's update fails

    @flow
    def lookup() -> None:
        get_project(creds, external_id="acme")

    synced = sync_tenants([{"external_id": "acme"}], creds, return_state=True)
    emulator.faults.set("list", rate=1.0, kinds=[ECHO_KIND])  # and the task's lookup
    looked = lookup(return_state=True)
    assert not synced.is_completed()
    assert not looked.is_completed()
    for state in (synced, looked):
        kept = _kept(prefect_api, state)
        assert "Bearer ***" in kept
        assert key not in kept
        assert key[3:15] not in kept
