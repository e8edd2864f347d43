"""Test-only DAG: every project operator as a dynamically mapped task (``.partial().expand()``),
and one task that fails before reaching its project."""

from __future__ import annotations

from typing import Any

from airflow.sdk import dag, task

from activepieces_provider.operators.projects import (
    ActivepiecesCreateProjectOperator,
    ActivepiecesDeleteProjectOperator,
    ActivepiecesGetProjectOperator,
    ActivepiecesListProjectsOperator,
    ActivepiecesSyncPiecesOperator,
    ActivepiecesUpdateProjectOperator,
)
from activepieces_provider.operators.tenants import ActivepiecesSyncTenantsOperator

IDS = ["mapped-1", "mapped-2"]


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
            {"external_id": "mapped-2", "pieces": "*"},
        ]
    )

    get = ActivepiecesGetProjectOperator.partial(task_id="get").expand(external_id=IDS)

    listed = ActivepiecesListProjectsOperator(task_id="list", types=["TEAM"])

    @task
    def ids_of(projects: list[dict[str, Any]]) -> list[str]:
        return [p["id"] for p in projects]

    sync_tenants = ActivepiecesSyncTenantsOperator.partial(task_id="sync_tenants").expand(
        tenants=[[{"external_id": "mapped-3"}]]
    )

    delete = ActivepiecesDeleteProjectOperator.partial(task_id="delete").expand(
        project_id=ids_of(get.output)
    )

    create >> update >> pieces >> get >> listed >> sync_tenants >> delete

    # Fails before it finds a project (so before it pushes the link URL); the run still succeeds
    # through an all_done successor, so the extra link of a failed task can be checked.
    missing = ActivepiecesGetProjectOperator(task_id="get_missing", external_id="no-such-tenant")

    @task(trigger_rule="all_done")
    def after_missing() -> None:
        return None

    missing >> after_missing()


activepieces_test_mapped_operators()
