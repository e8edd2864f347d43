"""Onboard tenants: read the tenant file, reconcile projects, wait until each is ready, report.

Connection: ``activepieces_default`` (type ``activepieces``; host = API base URL, password = API
key). Params:

- ``tenants_file``: another tenant document (default: ``examples/tenants.yaml``); it may declare
  ``piece_sets`` and give tenants a ``piece_set``, ``pieces`` and ``members``.
- ``template``: a replace body (path or URL, e.g. written by the ``activepieces_project_contents``
  DAG or ``activepieces projects export``) for every tenant whose file names no ``template``;
  blank (default): only tenants with a ``template`` in the file get contents.
- ``prune``: also delete managed projects missing from the file (at most 5 deletions; a
  template's dropped flows, tables and folders count too), each archived first to ``archive``
  (a directory or a URL).
- ``prune_members``: also remove people a tenant's ``members`` does not list (counted in the 5).
- ``min_active_flows``: wait until every tenant has this many active flows. ``0`` (default)
  only waits for the project, which the sync has just created, so the sensors finish on their
  first check; ``1`` or more makes them **defer** to the triggerer until tenants build flows.

Each tenant's ``wait_until_ready`` task links its project (**Activepieces Project** button), and
every created/updated tenant emits an asset event ``activepieces://<host>/projects/<external_id>``
(alias ``activepieces-tenants``) for downstream DAGs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from airflow.sdk import Param, dag, task

from activepieces_provider.operators.tenants import ActivepiecesSyncTenantsOperator
from activepieces_provider.sensors.projects import ActivepiecesProjectSensor

# examples/tenants.yaml, next to this repository's examples/airflow/dags folder.
DEFAULT_TENANTS_FILE = str(Path(__file__).resolve().parents[2] / "tenants.yaml")
#: Where deleted tenants are archived first (a directory or an fsspec URL, e.g.
#: ``s3://bucket/activepieces-archives``); the ``archive`` param overrides it per run.
DEFAULT_ARCHIVE = os.environ.get(
    "ACTIVEPIECES_ARCHIVE",
    str(Path(os.environ.get("AIRFLOW_HOME", Path.home() / "airflow")) / "activepieces-archives"),
)


@dag(
    dag_id="activepieces_tenant_onboarding",
    schedule=None,
    catchup=False,
    tags=["activepieces", "tenants"],
    params={
        "tenants_file": Param(
            DEFAULT_TENANTS_FILE, type="string", description="Tenant file (YAML, JSON or CSV)."
        ),
        "template": Param(
            "",
            type="string",
            description="Replace body for tenants naming no template (path or URL; blank: none).",
        ),
        "prune": Param(
            False, type="boolean", description="Delete managed projects missing from the file."
        ),
        "archive": Param(
            DEFAULT_ARCHIVE,
            type="string",
            description="Where each deleted tenant is archived first (directory or URL).",
        ),
        "prune_members": Param(
            False,
            type="boolean",
            description="Remove people the file does not list (tenants with members only).",
        ),
        "min_active_flows": Param(
            0,
            type="integer",
            minimum=0,
            description="Wait until each tenant has this many active flows; 1 or more makes "
            "the sensors defer to the triggerer.",
        ),
    },
)
def activepieces_tenant_onboarding() -> None:
    @task
    def read_tenants(tenants_file: str) -> dict[str, Any]:
        """Validate the tenant document up front; it travels by XCom whole (tenants with their
        members and piece sets, the piece sets it declares, the templates it names)."""
        from activepieces_core.tenants import load_document
        from activepieces_provider.operators.tenants import document_to_dict

        return document_to_dict(load_document(tenants_file))

    @task
    def external_ids(document: dict[str, Any]) -> list[str]:
        return [tenant["external_id"] for tenant in document["tenants"]]

    tenants = read_tenants("{{ params.tenants_file }}")

    sync = ActivepiecesSyncTenantsOperator(
        task_id="sync_tenants",
        tenants=tenants,
        template="{{ params.template }}",
        prune="{{ params.prune }}",
        prune_members="{{ params.prune_members }}",
        max_deletions=5,
        archive="{{ params.archive }}",
    )

    # One deferrable sensor per tenant (dynamic task mapping): the triggerer polls, no worker
    # slot is held while a tenant is not ready yet. Each links the tenant's project.
    ready = ActivepiecesProjectSensor.partial(
        task_id="wait_until_ready",
        min_active_flows="{{ params.min_active_flows }}",
        deferrable=True,
        poke_interval=2,
        timeout=600,
    ).expand(external_id=external_ids(tenants))

    @task
    def report(sync_report: dict[str, Any], projects: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """One JSON summary: what changed, and the id of every ready project."""
        return {
            "summary": sync_report["summary"],
            "projects": {p["externalId"]: p["id"] for p in projects},
        }

    sync >> ready
    report(sync.output, ready.output)


activepieces_tenant_onboarding()
