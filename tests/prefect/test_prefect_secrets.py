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

    stored = prefect_api.stored_by(states)
    dumped = json.dumps(stored, default=str)
    assert len(dumped) > 1000  # the logs, artifacts and messages really were read back
    assert key not in dumped
    assert key[3:15] not in dumped
    assert "'api_key': '**********'" in json.dumps(stored[0], default=str).replace('"', "'")
