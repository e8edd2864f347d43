"""Test-only DAG: one lookup that meets a gateway echoing the request (the test scripts the
emulator's ``502_echo`` fault), so its task fails with the gateway's words in the log."""

from __future__ import annotations

from airflow.sdk import dag

from activepieces_provider.operators.projects import ActivepiecesGetProjectOperator


@dag(dag_id="activepieces_test_secret_echo", schedule=None, catchup=False)
def activepieces_test_secret_echo() -> None:
    ActivepiecesGetProjectOperator(task_id="get", external_id="echoed", retries=0)


activepieces_test_secret_echo()
