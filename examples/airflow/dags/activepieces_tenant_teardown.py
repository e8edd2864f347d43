"""Tear tenants down: delete their projects (one mapped task each) and wait until they are gone.

Trigger with ``{"external_ids": ["acme", "globex"]}``; with no ids, every tenant of the tenant
file is removed. Deleting a project that is already absent succeeds (``missing_ok``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airflow.sdk import Param, dag, task

from activepieces_provider.operators.projects import ActivepiecesDeleteProjectOperator
from activepieces_provider.sensors.projects import ActivepiecesProjectSensor

DEFAULT_TENANTS_FILE = str(Path(__file__).resolve().parents[2] / "tenants.yaml")


@dag(
    dag_id="activepieces_tenant_teardown",
    schedule=None,
    catchup=False,
    tags=["activepieces", "tenants"],
    params={
        "external_ids": Param([], type="array", items={"type": "string"}),
        "tenants_file": Param(DEFAULT_TENANTS_FILE, type="string"),
    },
)
def activepieces_tenant_teardown() -> None:
    @task
    def tenants_to_remove(params: dict[str, Any] | None = None) -> list[str]:
        from activepieces_core.tenants import load_tenants

        assert params is not None
        if params["external_ids"]:
            return [str(external_id) for external_id in params["external_ids"]]
        return [spec.external_id for spec in load_tenants(params["tenants_file"])]

    ids = tenants_to_remove()

    deleted = ActivepiecesDeleteProjectOperator.partial(
        task_id="delete_project", missing_ok=True
    ).expand(external_id=ids)

    gone = ActivepiecesProjectSensor.partial(
        task_id="wait_until_gone",
        wait_for="gone",
        mode="reschedule",
        poke_interval=5,
        timeout=300,
    ).expand(external_id=ids)

    @task
    def report(results: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "deleted": sorted(r["external_id"] for r in results if r["deleted"]),
            "absent": sorted(r["external_id"] for r in results if not r["deleted"]),
        }

    deleted >> gone >> report(deleted.output)


activepieces_tenant_teardown()
