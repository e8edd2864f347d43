"""Onboard tenants: read the tenant file, reconcile projects, wait until each is ready, report.

Connection: ``activepieces_default`` (type ``activepieces``; host = API base URL, password = API
key). Trigger with ``{"tenants_file": "/path/to/tenants.yaml"}`` to use another file, and with
``{"min_active_flows": 1}`` to wait until every tenant has built an active flow.

Every created/updated tenant emits an asset event ``activepieces://<host>/projects/<external_id>``
(alias ``activepieces-tenants``) for downstream DAGs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airflow.sdk import Param, dag, task

from activepieces_provider.operators.tenants import ActivepiecesSyncTenantsOperator
from activepieces_provider.sensors.projects import ActivepiecesProjectSensor

# examples/tenants.yaml, next to this repository's examples/airflow/dags folder.
DEFAULT_TENANTS_FILE = str(Path(__file__).resolve().parents[2] / "tenants.yaml")


@dag(
    dag_id="activepieces_tenant_onboarding",
    schedule=None,
    catchup=False,
    tags=["activepieces", "tenants"],
    params={
        "tenants_file": Param(DEFAULT_TENANTS_FILE, type="string"),
        "prune": Param(False, type="boolean"),
        "min_active_flows": Param(0, type="integer", minimum=0),
    },
)
def activepieces_tenant_onboarding() -> None:
    @task
    def read_tenants(tenants_file: str) -> list[dict[str, Any]]:
        """Validate the tenant file up front; the rows travel by XCom."""
        from activepieces_core.tenants import load_tenants

        return [spec.to_dict() for spec in load_tenants(tenants_file)]

    @task
    def external_ids(tenants: list[dict[str, Any]]) -> list[str]:
        return [tenant["external_id"] for tenant in tenants]

    tenants = read_tenants("{{ params.tenants_file }}")

    sync = ActivepiecesSyncTenantsOperator(
        task_id="sync_tenants",
        tenants=tenants,
        prune="{{ params.prune }}",
        max_deletions=5,
    )

    # One deferrable sensor per tenant (dynamic task mapping): the triggerer polls, no worker
    # slot is held while a tenant is not ready yet.
    ready = ActivepiecesProjectSensor.partial(
        task_id="wait_until_ready",
        min_active_flows="{{ params.min_active_flows }}",
        deferrable=True,
        poke_interval=2,
        timeout=600,
    ).expand(external_id=external_ids(tenants))

    @task
    def report(sync_report: dict[str, Any], projects: list[dict[str, Any]]) -> dict[str, Any]:
        """One JSON summary: what changed, and the id of every ready project."""
        return {
            "summary": sync_report["summary"],
            "projects": {p["externalId"]: p["id"] for p in projects},
        }

    sync >> ready
    report(sync.output, ready.output)


activepieces_tenant_onboarding()
