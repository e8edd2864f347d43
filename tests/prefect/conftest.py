"""Prefect tests: one test-harness server per session, the emulator over real HTTP per test.

The root conftest already points PREFECT_HOME at a temp dir and turns analytics and block
auto-registration off before Prefect is imported.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterName,
    FlowRunFilterParentFlowRunId,
    LogFilter,
    LogFilterFlowRunId,
    TaskRunFilter,
    TaskRunFilterFlowRunId,
)
from prefect.client.schemas.objects import Artifact, FlowRun, Log, StateType, TaskRun
from prefect.events.worker import EventsWorker
from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError
from prefect.logging.handlers import APILogWorker
from prefect.settings import PREFECT_API_DATABASE_CONNECTION_URL
from prefect.testing.utilities import prefect_test_harness

from prefect_activepieces import ActivepiecesCredentials

# Cold start on a 2-core CI box migrates a fresh SQLite DB: ~25 s, sometimes much more.
HARNESS_STARTUP_TIMEOUT = 180


@pytest.fixture(scope="session", autouse=True)
def prefect_harness() -> Iterator[None]:
    """A temporary Prefect server (subprocess, temp SQLite) for the whole session."""
    with prefect_test_harness(server_startup_timeout=HARNESS_STARTUP_TIMEOUT):
        yield
        _keep_database()


def _keep_database() -> None:
    """Copy the harness DB (deleted when the harness exits) into ACTIVEPIECES_TESTS_HOME.

    Only when that variable is set: ``bench/secret_leak_check.py`` searches the copy for the
    API key (artifacts, parameters, logs of every flow the suite ran).
    """
    home = os.environ.get("ACTIVEPIECES_TESTS_HOME")
    url = PREFECT_API_DATABASE_CONNECTION_URL.value()
    if not home or not url or ":///" not in url:
        return
    APILogWorker.drain_all()  # logs still in flight belong in the copy too
    target = Path(home) / "prefect" / "harness.db"
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(url.split(":///", 1)[1]) as source, sqlite3.connect(target) as copy:
        source.backup(copy)


@pytest.fixture
def emulator(activepieces_emulator: Any) -> Any:
    """The session emulator, reset to its seeded state for this test."""
    return activepieces_emulator


@pytest.fixture
def credentials(emulator: Any) -> ActivepiecesCredentials:
    """Unsaved credentials for the emulator; client retries without real backoff sleeps."""
    return ActivepiecesCredentials(
        base_url=emulator.url, api_key=emulator.api_key, timeout=5.0, max_retries=2, backoff_base=0
    )


class PrefectAPI:
    """Reads back what a run left on the Prefect server (artifacts, logs, runs)."""

    @property
    def _client(self) -> Any:
        # A fresh client per read: a sync client cannot be re-entered once closed.
        return get_client(sync_client=True)

    def flow_run(self, flow_run_id: UUID) -> FlowRun:
        with self._client as client:
            return client.read_flow_run(flow_run_id)

    def subflow_runs(self, flow_run_id: UUID) -> list[FlowRun]:
        with self._client as client:
            return client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[flow_run_id])
                )
            )

    def task_runs(
        self, flow_run_id: UUID, *, at_least: int = 0, wait: float = 30.0
    ) -> list[TaskRun]:
        """The flow run's task runs. They reach the server as events, sent by a background
        worker and recorded by a server service, so the last ones can land after the flow run
        has finished: with ``at_least``, wait (up to ``wait`` s) until that many are there."""
        EventsWorker.drain_all(timeout=5)
        deadline = time.monotonic() + wait
        while True:
            with self._client as client:
                runs = client.read_task_runs(
                    task_run_filter=TaskRunFilter(
                        flow_run_id=TaskRunFilterFlowRunId(any_=[flow_run_id])
                    )
                )
            if len(runs) >= at_least or time.monotonic() >= deadline:
                return runs
            time.sleep(0.1)

    def artifacts(self, flow_run_id: UUID) -> dict[str, Artifact]:
        """Artifacts of a flow run by key (unkeyed ones under their type)."""
        with self._client as client:
            found = client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])
                )
            )
        return {a.key or a.type or "": a for a in found}

    def table(self, artifact: Artifact) -> list[dict[str, Any]]:
        data = artifact.data
        rows: list[dict[str, Any]] = json.loads(data) if isinstance(data, str) else data
        return rows

    def paused_run(self, name: str, wait: float = 90.0) -> tuple[FlowRun, str]:
        """The flow run called ``name`` once it is Paused with its input form saved, and the
        form's description. The form is saved just after the state, so wait for its last part
        (a resume before the form exists would be refused)."""
        deadline = time.monotonic() + wait
        with self._client as client:
            while time.monotonic() < deadline:
                runs = client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name]))
                )
                state = runs[0].state if runs else None
                if state is not None and state.type == StateType.PAUSED:
                    keyset = state.state_details.run_input_keyset or {}
                    try:
                        description = client.read_flow_run_input(runs[0].id, keyset["description"])
                        return runs[0], description
                    except (KeyError, ObjectNotFound):
                        pass
                    except PrefectHTTPStatusError as exc:
                        # The input is saved a moment after the state: until then a 404.
                        if exc.response.status_code != 404:
                            raise
                time.sleep(0.2)
        raise TimeoutError(f"flow run {name!r} never paused with its input form")

    def logs(self, flow_run_id: UUID) -> list[Log]:
        APILogWorker.drain_all(timeout=5)  # logs are shipped in batches by a background worker
        with self._client as client:
            return client.read_logs(
                log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))
            )

    def stored_by(self, states: list[Any]) -> list[Any]:
        """Everything Prefect keeps of the flow runs behind ``states``: parameters, state and
        task-run messages, logs, artifacts, and the results (the key-leak scans read it)."""
        stored: list[Any] = []
        for state in states:
            run_id = state.state_details.flow_run_id
            run = self.flow_run(run_id)
            stored += [run.parameters, run.state.message if run.state else None]
            stored += [log.message for log in self.logs(run_id)]
            stored += [(a.data, a.description) for a in self.artifacts(run_id).values()]
            stored += [tr.state.message for tr in self.task_runs(run_id) if tr.state]
            stored.append(str(state.result(raise_on_failure=False)))
        return stored


@pytest.fixture
def prefect_api() -> PrefectAPI:
    return PrefectAPI()
