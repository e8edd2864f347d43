"""Test-only DAG: the 2026 project fields through the create (ensure) and update operators,
every value a template rendered from ``params`` (so the operators get text such as ``"14"``)."""

from __future__ import annotations

from airflow.sdk import dag

from activepieces_provider.operators.projects import (
    ActivepiecesCreateProjectOperator,
    ActivepiecesUpdateProjectOperator,
)

PARAMS = {
    "tenant": "fields-co",
    "notify": "yes",
    "limit": 3,
    "group": "gpu",
    "retention": "14",
    "sensitive": "true",
    "new_retention": 30,
}

FIELDS = {
    "notify_flow_owner_on_failure": "{{ params.notify }}",
    "active_flows_limit": "{{ params.limit }}",
    "worker_group_id": "{{ params.group }}",
    "execution_data_retention_days": "{{ params.retention }}",
    "sensitive": "{{ params.sensitive }}",
}


@dag(dag_id="activepieces_test_project_fields", schedule=None, catchup=False, params=PARAMS)
def activepieces_test_project_fields() -> None:
    create = ActivepiecesCreateProjectOperator(
        task_id="create", external_id="{{ params.tenant }}", **FIELDS
    )
    # The same values again: the project already has them, so nothing is written.
    again = ActivepiecesCreateProjectOperator(
        task_id="again", external_id="{{ params.tenant }}", **FIELDS
    )
    update = ActivepiecesUpdateProjectOperator(
        task_id="update",
        external_id="{{ params.tenant }}",
        execution_data_retention_days="{{ params.new_retention }}",
    )
    create >> again >> update


activepieces_test_project_fields()
