"""Airflow provider tests: metadata DB, connection to the emulator, task-context helpers.

Environment first (Airflow reads its config when first imported): a second DAG bundle holds the
test-only DAGs in ``tests/airflow/dags`` next to the examples bundle the root conftest sets up,
because ``dag.test()`` only runs DAGs that live in a configured bundle.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

TEST_DAGS = Path(__file__).resolve().parent / "dags"
# The in-process Execution API of dag.test() signs task tokens; a fresh AIRFLOW_HOME has no key.
os.environ.setdefault("AIRFLOW__API_AUTH__JWT_SECRET", secrets.token_urlsafe(64))
os.environ["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"] = json.dumps(
    [
        {
            "name": "dags-folder",
            "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
            "kwargs": {},
        },
        {
            "name": "activepieces-tests",
            "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
            "kwargs": {"path": str(TEST_DAGS)},
        },
    ]
)

CONN_ENV = "AIRFLOW_CONN_ACTIVEPIECES_DEFAULT"


def connection_json(url: str, api_key: str, **extra: Any) -> str:
    """``AIRFLOW_CONN_*`` JSON form of an activepieces connection."""
    return json.dumps(
        {
            "conn_type": "activepieces",
            "host": url,
            "password": api_key,
            "extra": {"timeout": 5, "max_retries": 2, **extra},
        }
    )


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """Migrate the temporary SQLite metadata DB once per session (``dag.test()`` needs it)."""
    from airflow.utils.db import initdb

    initdb()


@pytest.fixture(scope="session")
def airflow_api(airflow_db: None) -> Iterator[Any]:
    """The api-server's core API (``/api/v2``) in-process, on the tests' metadata DB.

    Built once per session (building the app takes seconds). Every caller is an admin
    (simple auth manager, all admins), as a reviewer with access to the DAG would be.
    """
    from airflow.api_fastapi.app import create_app
    from fastapi.testclient import TestClient

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "True")
        with TestClient(create_app("core")) as api:
            yield api


@pytest.fixture
def emulator(activepieces_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The emulator (reset) with ``activepieces_default`` pointing at it."""
    monkeypatch.setenv(
        CONN_ENV, connection_json(activepieces_emulator.url, activepieces_emulator.api_key)
    )
    return activepieces_emulator


@pytest.fixture
def set_connection(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``set_connection(url, api_key, **extra)`` (re)defines ``activepieces_default``."""

    def configure(url: str, api_key: str | None, **extra: Any) -> None:
        if api_key is None:
            monkeypatch.setenv(CONN_ENV, json.dumps({"conn_type": "activepieces", "host": url}))
        else:
            monkeypatch.setenv(CONN_ENV, connection_json(url, api_key, **extra))

    return configure


class RecordingTI:
    """Stand-in for the runtime task instance: records ``xcom_push`` calls; ``xcom_pull``
    answers from ``upstream`` (``(task_id, key) -> value``), then from this task's pushes."""

    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}
        self.upstream: dict[tuple[str, str], Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        json.dumps(value)  # XCom values must be JSON-serialisable
        self.pushed[key] = value

    def xcom_pull(self, task_ids: str, key: str = "return_value", **_: Any) -> Any:
        if (task_ids, key) in self.upstream:
            return self.upstream[(task_ids, key)]
        return self.pushed.get(key)


@pytest.fixture
def context() -> dict[str, Any]:
    """Minimal task context for calling ``execute`` directly."""
    from airflow.sdk.execution_time.context import OutletEventAccessors

    return {"ti": RecordingTI(), "outlet_events": OutletEventAccessors()}
