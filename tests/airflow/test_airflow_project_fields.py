"""The 2026 project fields (notify_flow_owner_on_failure, active_flows_limit, worker_group_id,
execution_data_retention_days, sensitive) through the create and update operators: a real
``dag.test()`` run with templated values, and the errors a bad rendered value gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from activepieces_core.errors import InvalidRequestError
from activepieces_provider.operators.projects import (
    ActivepiecesCreateProjectOperator,
    ActivepiecesUpdateProjectOperator,
)

pytestmark = pytest.mark.usefixtures("airflow_db")

TEST_DAGS = Path(__file__).resolve().parent / "dags"


def _team(emu: Any) -> dict[str, dict[str, Any]]:
    return {p["externalId"]: p for p in emu.state.projects() if p.get("externalId")}


def _return_values(dag_id: str, run_id: str) -> dict[str, Any]:
    """``task_id -> return value`` of a run, straight from the metadata DB."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(XComModel.task_id, XComModel.value).where(
                XComModel.dag_id == dag_id,
                XComModel.run_id == run_id,
                XComModel.key == "return_value",
            )
        ).all()
    return {task_id: XComModel.deserialize_value(_Row(value)) for task_id, value in rows}


class _Row:
    def __init__(self, value: Any) -> None:
        self.value = value


@pytest.fixture(autouse=True)
def _worker_groups(emulator: Any) -> None:
    # Without worker groups the server drops workerGroupId (as upstream does).
    emulator.state.configure_platform(worker_groups_enabled=True)


@pytest.mark.slow
def test_templated_fields_dag(
    emulator: Any, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(TEST_DAGS / "activepieces_test_project_fields.py"))
    assert not bag.import_errors, bag.import_errors
    dag = bag.dags["activepieces_test_project_fields"]
    dr = dag.test()
    captured = capfd.readouterr()
    output = captured.out + captured.err + caplog.text
    assert dr.state == "success", output[-3000:]

    project = _team(emulator)["fields-co"]
    assert project["notifyFlowOwnerOnFailure"] is True
    assert project["plan"]["activeFlowsLimit"] == 3
    assert project["workerGroupId"] == "gpu"
    assert project["executionDataRetentionDays"] == 30  # set to 14, then updated
    assert project["sensitive"] is True
    returned = _return_values(dag.dag_id, dr.run_id)
    assert returned["create"]["action"] == "created"
    assert returned["create"]["project"]["executionDataRetentionDays"] == 14
    assert returned["again"]["action"] == "unchanged"
    assert returned["update"]["executionDataRetentionDays"] == 30
    # One create, its one follow-up update, none for "again", one for the update task.
    assert emulator.requests.count(route="create") == 1
    assert emulator.requests.count(route="update") == 2
    assert emulator.api_key not in output


def test_update_sets_one_field_from_text(emulator: Any, context: dict[str, Any]) -> None:
    made = emulator.state.add_project("Acme", external_id="acme", sensitive=True)
    emulator.requests.clear()
    result = ActivepiecesUpdateProjectOperator(
        task_id="u", external_id="acme", notify_flow_owner_on_failure="on", active_flows_limit="5"
    ).execute(context)
    assert result["notifyFlowOwnerOnFailure"] is True
    stored = emulator.state.get_project(made["id"])
    assert stored["plan"]["activeFlowsLimit"] == 5
    assert stored["sensitive"] is True  # not given: left alone
    assert emulator.requests.count(route="update") == 1


def test_blank_rendered_values_leave_the_fields_unmanaged(
    emulator: Any, context: dict[str, Any]
) -> None:
    emulator.state.add_project("Acme", external_id="acme", worker_group_id="gpu")
    emulator.requests.clear()
    result = ActivepiecesCreateProjectOperator(
        task_id="c",
        external_id="acme",
        display_name="Acme",
        worker_group_id="",
        active_flows_limit="None",
        execution_data_retention_days=" ",
    ).execute(context)
    assert result["action"] == "unchanged"
    assert result["project"]["workerGroupId"] == "gpu"
    assert emulator.requests.count(route="update") == 0


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        # Text that is not a number / a boolean: refused while decoding, naming the field.
        ({"active_flows_limit": "three"}, InvalidRequestError, "active_flows_limit must be an"),
        ({"execution_data_retention_days": "1.5"}, InvalidRequestError, "retention_days must"),
        ({"sensitive": "maybe"}, InvalidRequestError, "sensitive: not a boolean"),
        ({"notify_flow_owner_on_failure": "ture"}, InvalidRequestError, "notify_flow_owner_on"),
        # Decoded fine, refused by core's rule: positive integers, a string group id.
        ({"active_flows_limit": "0"}, InvalidRequestError, "active_flows_limit"),
        ({"execution_data_retention_days": -7}, InvalidRequestError, "retention_days"),
        ({"active_flows_limit": True}, InvalidRequestError, "active_flows_limit"),
        ({"worker_group_id": 5}, InvalidRequestError, "worker_group_id"),
    ],
)
@pytest.mark.parametrize("operator", ["create", "update"])
def test_bad_values_fail_before_any_request(
    emulator: Any,
    context: dict[str, Any],
    operator: str,
    fields: dict[str, Any],
    error: type[Exception],
    message: str,
) -> None:
    emulator.state.add_project("Acme", external_id="acme")
    emulator.requests.clear()
    op = (
        ActivepiecesCreateProjectOperator(task_id="c", external_id="acme", **fields)
        if operator == "create"
        else ActivepiecesUpdateProjectOperator(task_id="u", external_id="acme", **fields)
    )
    with pytest.raises(error, match=message):
        op.execute(context)
    assert emulator.requests.count(route="update") == 0
    assert emulator.requests.count(route="create") == 0
