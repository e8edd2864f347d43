"""Boolean and integer arguments given as rendered templates (``prune="{{ params.prune }}"``):
the rendered text reads as the value (``"False"``, ``"false"``, ``"0"`` are false), and text that
is no such value fails the task, naming the argument, before any request is sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from activepieces_provider.exceptions import InvalidArgumentError
from activepieces_provider.operators._base import argument_bool, optional_int
from activepieces_provider.operators.archives import ActivepiecesRestoreTenantOperator
from activepieces_provider.operators.members import ActivepiecesRemoveMemberOperator
from activepieces_provider.operators.piece_sets import ActivepiecesDeletePieceSetOperator
from activepieces_provider.operators.tenants import (
    ActivepiecesApplyTenantPlanOperator,
    ActivepiecesPlanTenantsOperator,
    ActivepiecesSyncTenantsOperator,
    ActivepiecesTeardownTenantsOperator,
)

pytestmark = pytest.mark.usefixtures("airflow_db")

DAG_FILE = Path(__file__).resolve().parent / "dags/activepieces_test_templated_arguments.py"
DAG_ID = "activepieces_test_templated_arguments"


def _team(emu: Any) -> set[str]:
    return {p["externalId"] for p in emu.state.projects(types=["TEAM"]) if p.get("externalId")}


@pytest.mark.parametrize("text", ["False", "false", "0", " FALSE ", "no", "off", ""])
def test_rendered_false_reads_false(text: str) -> None:
    assert argument_bool("prune", text) is False


@pytest.mark.parametrize("text", ["True", "true", "1", "yes"])
def test_rendered_true_reads_true(text: str) -> None:
    assert argument_bool("prune", text) is True


def test_integers_read_from_rendered_text() -> None:
    assert optional_int(" 5 ", "max_deletions") == 5
    assert optional_int("0", "max_deletions") == 0
    assert optional_int("None", "max_deletions") is None
    assert optional_int("", "max_deletions") is None


@pytest.mark.parametrize(
    ("read", "value", "message"),
    [
        (argument_bool, "maybe", "prune: not a boolean: 'maybe'"),
        (argument_bool, "2", "prune: not a boolean: '2'"),
        (optional_int, "five", "max_deletions: not an integer: 'five'"),
        (optional_int, "2.5", "max_deletions: not an integer: '2.5'"),
    ],
)
def test_bad_text_is_an_error_naming_the_argument(read: Any, value: str, message: str) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    name = "prune" if read is argument_bool else "max_deletions"
    with pytest.raises(InvalidArgumentError) as caught:
        read(name, value) if read is argument_bool else read(value, name)
    assert str(caught.value).startswith(message)
    # A ValueError for callers, and no retries: a retry renders the same text.
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, AirflowFailException)


BAD_ARGUMENTS = [
    (
        "prune",
        lambda: ActivepiecesSyncTenantsOperator(
            task_id="t", tenants={"tenants": [{"external_id": "a"}]}, prune="maybe", archive=None
        ),
    ),
    (
        "dry_run",
        lambda: ActivepiecesSyncTenantsOperator(
            task_id="t", tenants={"tenants": [{"external_id": "a"}]}, dry_run="ja", archive=None
        ),
    ),
    (
        "max_deletions",
        lambda: ActivepiecesSyncTenantsOperator(
            task_id="t", tenants={"tenants": [{"external_id": "a"}]}, max_deletions="lots"
        ),
    ),
    (
        "prune_members",
        lambda: ActivepiecesPlanTenantsOperator(
            task_id="t", tenants={"tenants": [{"external_id": "a"}]}, prune_members="sure"
        ),
    ),
    (
        "max_deletions",
        lambda: ActivepiecesApplyTenantPlanOperator(
            task_id="t", plan={"digest": "x"}, max_deletions="many", archive=None
        ),
    ),
    (
        "check_stale",
        lambda: ActivepiecesApplyTenantPlanOperator(
            task_id="t", plan={"digest": "x"}, check_stale="perhaps", archive=None
        ),
    ),
    (
        "offboard_users",
        lambda: ActivepiecesTeardownTenantsOperator(
            task_id="t", external_ids=["a"], offboard_users="nope", archive=None
        ),
    ),
    (
        "missing_ok",
        lambda: ActivepiecesTeardownTenantsOperator(
            task_id="t", external_ids=["a"], missing_ok="maybe", archive=None
        ),
    ),
    (
        "max_deletions",
        lambda: ActivepiecesTeardownTenantsOperator(
            task_id="t", external_ids=["a"], max_deletions="x", archive=None
        ),
    ),
    (
        "replace_existing",
        lambda: ActivepiecesRestoreTenantOperator(
            task_id="t", archive="/nowhere/archive.json", replace_existing="overwrite"
        ),
    ),
    (
        "missing_ok",
        lambda: ActivepiecesRemoveMemberOperator(
            task_id="t", external_id="a", email="ada@example.com", missing_ok="maybe"
        ),
    ),
    (
        "missing_ok",
        lambda: ActivepiecesDeletePieceSetOperator(
            task_id="t", piece_set_key="gold", missing_ok="maybe"
        ),
    ),
]


@pytest.mark.parametrize(
    ("name", "build"), BAD_ARGUMENTS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD_ARGUMENTS)]
)
def test_a_bad_rendered_argument_fails_before_any_request(
    name: str, build: Any, emulator: Any, context: dict[str, Any]
) -> None:
    emulator.state.add_project("A", external_id="a")
    with pytest.raises(InvalidArgumentError, match=f"^{name}: not (a boolean|an integer)"):
        build().execute(context)
    assert len(emulator.requests) == 0
    assert context["ti"].pushed == {}


@pytest.mark.slow
def test_rendered_false_params_in_a_real_dag_run(
    emulator: Any, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """``dag.test()``: params rendered into ``prune``/``prune_members``/``dry_run``/
    ``max_deletions`` as text. Nothing is pruned (a true reading would delete ``tpl-old`` and
    ``max_deletions`` "0" would refuse the task), and ``dry_run`` "False" writes."""
    from airflow.dag_processing.dagbag import DagBag

    emulator.state.add_project("Templated Old", external_id="tpl-old")
    bag = DagBag(dag_folder=str(DAG_FILE))
    assert not bag.import_errors, bag.import_errors
    dag = bag.dags[DAG_ID]

    dr = dag.test()
    captured = capfd.readouterr()
    output = captured.out + captured.err + caplog.text
    assert dr.state == "success", output[-3000:]
    assert _team(emulator) == {"tpl-old", "tpl-new"}

    # The same DAG with a prune text that is no boolean (a string param: Airflow itself
    # refuses "maybe" for a boolean one): the first task fails, naming it, before any request.
    emulator.requests.clear()
    dr = dag.test(run_conf={"prune_text": "maybe"})
    captured = capfd.readouterr()
    output = captured.out + captured.err + caplog.text
    assert dr.state == "failed"
    assert "prune: not a boolean: 'maybe'" in output
    assert len(emulator.requests) == 0
    assert _team(emulator) == {"tpl-old", "tpl-new"}
