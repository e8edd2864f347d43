"""Tear tenants down in one task through core's teardown plan, then wait until they are gone.

Trigger with ``{"external_ids": ["acme", "globex"]}``; with no ids, every tenant of the tenant
file is removed. Each tenant's project goes, and so does the piece set it owns (a tenant with its
own ``pieces`` list, on a piece-set platform); with ``offboard_users`` the people left in no
project are deactivated too. A tenant already absent counts as ``missing``, not a failure.

Each tenant is archived before its project is deleted (param ``archive``: a directory or a URL;
written, read back and verified first; a tenant whose archive fails keeps its project and fails
the task). ``activepieces tenants restore <archive>`` or ``ActivepiecesRestoreTenantOperator``
brings one back.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from airflow.sdk import Param, dag, task

from activepieces_provider.operators.tenants import ActivepiecesTeardownTenantsOperator
from activepieces_provider.sensors.projects import ActivepiecesProjectSensor

DEFAULT_TENANTS_FILE = str(Path(__file__).resolve().parents[2] / "tenants.yaml")
#: Where deleted tenants are archived first (a directory or an fsspec URL, e.g.
#: ``s3://bucket/activepieces-archives``); the ``archive`` param overrides it per run.
DEFAULT_ARCHIVE = os.environ.get(
    "ACTIVEPIECES_ARCHIVE",
    str(Path(os.environ.get("AIRFLOW_HOME", Path.home() / "airflow")) / "activepieces-archives"),
)


@dag(
    dag_id="activepieces_tenant_teardown",
    schedule=None,
    catchup=False,
    tags=["activepieces", "tenants"],
    params={
        "external_ids": Param([], type="array", items={"type": "string"}),
        "tenants_file": Param(DEFAULT_TENANTS_FILE, type="string"),
        "offboard_users": Param(False, type="boolean"),
        "archive": Param(
            DEFAULT_ARCHIVE,
            type="string",
            description="Where each deleted tenant is archived first (directory or URL).",
        ),
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

    # Projects, owned piece sets and (optionally) people, per tenant; fails after every tenant
    # was attempted if any failed, with the per-tenant rows in the error's report.
    torn_down = ActivepiecesTeardownTenantsOperator(
        task_id="teardown",
        external_ids=ids,
        offboard_users="{{ params.offboard_users }}",
        missing_ok=True,
        archive="{{ params.archive }}",
    )

    gone = ActivepiecesProjectSensor.partial(
        task_id="wait_until_gone",
        wait_for="gone",
        mode="reschedule",
        poke_interval=5,
        timeout=300,
    ).expand(external_id=ids)

    @task
    def report(teardown: dict[str, Any]) -> dict[str, list[str]]:
        rows = teardown["results"]
        return {
            status: sorted(r["external_id"] for r in rows if r["status"] == status)
            for status in ("deleted", "missing", "failed")
        }

    torn_down >> gone >> report(torn_down.output)


activepieces_tenant_teardown()
