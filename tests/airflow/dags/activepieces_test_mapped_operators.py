"""Test-only DAG: every operator as a dynamically mapped task (``.partial().expand()``), and one
task that fails before reaching its project. Runs on a piece-set platform."""

from __future__ import annotations

from typing import Any

from airflow.sdk import dag, task

from activepieces_provider.operators.archives import ActivepiecesRestoreTenantOperator
from activepieces_provider.operators.members import (
    ActivepiecesInviteMemberOperator,
    ActivepiecesRemoveMemberOperator,
)
from activepieces_provider.operators.piece_sets import (
    ActivepiecesAssignPieceSetOperator,
    ActivepiecesDeletePieceSetOperator,
    ActivepiecesEnsurePieceSetOperator,
)
from activepieces_provider.operators.projects import (
    ActivepiecesCreateProjectOperator,
    ActivepiecesDeleteProjectOperator,
    ActivepiecesGetProjectOperator,
    ActivepiecesListProjectsOperator,
    ActivepiecesSyncPiecesOperator,
    ActivepiecesUpdateProjectOperator,
)
from activepieces_provider.operators.tenants import (
    ActivepiecesApplyTenantPlanOperator,
    ActivepiecesPlanTenantsOperator,
    ActivepiecesSyncTenantsOperator,
    ActivepiecesTeardownTenantsOperator,
)

IDS = ["mapped-1", "mapped-2"]
#: Where the mapped teardown archives (``dag.test()`` runs every task in one process).
MAPPED_ARCHIVES = "memory://activepieces-tests/mapped-archives"


@dag(dag_id="activepieces_test_mapped_operators", schedule=None, catchup=False)
def activepieces_test_mapped_operators() -> None:
    create = ActivepiecesCreateProjectOperator.partial(
        task_id="create", if_exists="update"
    ).expand_kwargs([{"external_id": i, "display_name": i.title()} for i in IDS])

    update = ActivepiecesUpdateProjectOperator.partial(
        task_id="update", metadata={"stage": "updated"}
    ).expand(external_id=IDS)

    pieces = ActivepiecesSyncPiecesOperator.partial(task_id="sync_pieces").expand_kwargs(
        [
            {"external_id": "mapped-1", "pieces": ["slack"]},
            {"external_id": "mapped-2", "pieces": "all"},
        ]
    )

    get = ActivepiecesGetProjectOperator.partial(task_id="get").expand(external_id=IDS)

    ensure_set = ActivepiecesEnsurePieceSetOperator.partial(task_id="ensure_set").expand_kwargs(
        [{"key": "mapped-gold", "allow": ["slack"]}, {"key": "mapped-silver", "block": "openai"}]
    )
    assign_set = ActivepiecesAssignPieceSetOperator.partial(task_id="assign_set").expand_kwargs(
        [
            {"external_id": "mapped-1", "piece_set_key": "mapped-gold"},
            {"external_id": "mapped-2", "piece_set_key": "mapped-silver"},
        ]
    )
    delete_set = ActivepiecesDeletePieceSetOperator.partial(task_id="delete_set").expand(
        piece_set_key=["mapped-silver"]
    )
    invite = ActivepiecesInviteMemberOperator.partial(
        task_id="invite", external_id="mapped-1", role="Admin"
    ).expand(email=["a@mapped.example", "b@mapped.example"])
    remove = ActivepiecesRemoveMemberOperator.partial(task_id="remove").expand_kwargs(
        [{"external_id": "mapped-1", "email": "b@mapped.example"}]
    )

    listed = ActivepiecesListProjectsOperator(task_id="list", types=["TEAM"])

    @task
    def ids_of(projects: list[dict[str, Any]]) -> list[str]:
        return [p["id"] for p in projects]

    sync_tenants = ActivepiecesSyncTenantsOperator.partial(task_id="sync_tenants").expand(
        tenants=[[{"external_id": "mapped-3"}]]
    )

    plan = ActivepiecesPlanTenantsOperator.partial(task_id="plan").expand(
        tenants=[[{"external_id": "mapped-4", "members": ["c@mapped.example:Viewer"]}]]
    )
    apply = ActivepiecesApplyTenantPlanOperator.partial(task_id="apply").expand(plan=plan.output)

    delete = ActivepiecesDeleteProjectOperator.partial(task_id="delete").expand(
        project_id=ids_of(get.output)
    )

    teardown = ActivepiecesTeardownTenantsOperator.partial(
        task_id="teardown", archive=MAPPED_ARCHIVES
    ).expand(external_ids=[["mapped-3"]])
    restore = ActivepiecesRestoreTenantOperator.partial(
        task_id="restore", external_id="mapped-3-restored"
    ).expand(archive=[f"{MAPPED_ARCHIVES}/mapped-3.json"])

    (
        create
        >> update
        >> pieces
        >> get
        >> ensure_set
        >> assign_set
        >> delete_set
        >> invite
        >> remove
        >> listed
        >> sync_tenants
        >> plan
    )
    apply >> delete >> teardown >> restore

    # Fails before it finds a project (so before it pushes the link URL); the run still succeeds
    # through an all_done successor, so the extra link of a failed task can be checked.
    missing = ActivepiecesGetProjectOperator(task_id="get_missing", external_id="no-such-tenant")

    @task(trigger_rule="all_done")
    def after_missing() -> None:
        return None

    missing >> after_missing()


activepieces_test_mapped_operators()
