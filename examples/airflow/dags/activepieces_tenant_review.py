"""Reviewed tenant changes: plan -> a person approves in Airflow -> apply exactly that plan.

1. ``plan`` reads the platform and saves the plan (XCom ``return_value``: ``Plan.to_dict()``,
   sealed with a digest) plus a Markdown summary (XCom ``plan_summary``). When nothing would
   change it ends as *skipped* and so do the others.
2. ``approve`` (Airflow 3.1+ human-in-the-loop) shows that summary under *Required Actions*
   (or answer it through the REST API: ``PATCH /api/v2/dags/{dag_id}/dagRuns/{run_id}/
   taskInstances/approve/-1/hitlDetails`` with ``{"chosen_options": ["Approve"]}``). *Reject*
   (or no answer within a day) skips ``apply``.
3. ``apply`` applies the saved plan whose digest was reviewed. If the platform changed since
   the plan was made, it refuses the whole plan and writes nothing (XCom ``stale`` lists what
   moved): trigger the DAG again to plan and review afresh.

Connection: ``activepieces_default``. Params: ``tenants_file`` (default
``examples/tenants.yaml``; a document may declare ``piece_sets`` and tenants' ``members``),
``prune``, ``prune_members``, ``max_deletions`` and ``archive`` (where ``apply`` archives
each tenant it deletes before the delete: a directory or a URL).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from airflow.sdk import Param, dag

from activepieces_provider.operators.approval import ActivepiecesApproveTenantPlanOperator
from activepieces_provider.operators.tenants import (
    ActivepiecesApplyTenantPlanOperator,
    ActivepiecesPlanTenantsOperator,
)

DEFAULT_TENANTS_FILE = str(Path(__file__).resolve().parents[2] / "tenants.yaml")
#: Where deleted tenants are archived first (a directory or an fsspec URL, e.g.
#: ``s3://bucket/activepieces-archives``); the ``archive`` param overrides it per run.
DEFAULT_ARCHIVE = os.environ.get(
    "ACTIVEPIECES_ARCHIVE",
    str(Path(os.environ.get("AIRFLOW_HOME", Path.home() / "airflow")) / "activepieces-archives"),
)


@dag(
    dag_id="activepieces_tenant_review",
    schedule=None,
    catchup=False,
    tags=["activepieces", "tenants", "review"],
    params={
        "tenants_file": Param(
            DEFAULT_TENANTS_FILE, type="string", description="Tenant document (YAML, JSON or CSV)."
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
        "max_deletions": Param(
            5, type="integer", minimum=0, description="Refuse a plan that deletes more."
        ),
    },
)
def activepieces_tenant_review() -> None:
    plan = ActivepiecesPlanTenantsOperator(
        task_id="plan",
        tenants="{{ params.tenants_file }}",
        prune="{{ params.prune }}",
        prune_members="{{ params.prune_members }}",
        skip_if_no_changes=True,
    )
    approve = ActivepiecesApproveTenantPlanOperator(
        task_id="approve",
        plan_task_id="plan",
        response_timeout=timedelta(days=1),
        defaults="Reject",
    )
    apply = ActivepiecesApplyTenantPlanOperator(
        task_id="apply",
        plan=plan.output,
        approved_digest=approve.reviewed_digest,
        max_deletions="{{ params.max_deletions }}",
        archive="{{ params.archive }}",
    )
    plan >> approve >> apply


activepieces_tenant_review()
