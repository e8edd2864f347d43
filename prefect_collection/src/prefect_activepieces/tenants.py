"""Tasks wrapping the core tenants engine: plan (read only) and apply (bounded concurrency)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from prefect.logging import get_run_logger

from activepieces_core.tenants import TenantResult, TenantSpec, load_tenants
from activepieces_core.tenants import apply as apply_plan
from activepieces_core.tenants import plan as make_plan
from prefect_activepieces._options import api_task
from prefect_activepieces.credentials import ActivepiecesCredentials

__all__ = ["DEFAULT_CONCURRENCY", "TenantsInput", "apply_tenant_plan", "plan_tenants"]

DEFAULT_CONCURRENCY = 16

TenantsInput = str | Path | list[TenantSpec | dict[str, Any]] | dict[str, Any]
"""A tenant file path (.yaml/.yml/.json/.csv), a JSON string, a document or a list of rows."""


@api_task("Plan Activepieces tenants")
def plan_tenants(
    credentials: ActivepiecesCredentials,
    tenants: TenantsInput,
    prune: bool = False,
    protect: Sequence[str] = (),
    concurrency: int = DEFAULT_CONCURRENCY,
) -> dict[str, Any]:
    """Validate ``tenants`` and plan the changes bringing the platform to them; read only.

    With ``prune``, TEAM projects missing from ``tenants`` are planned for deletion unless
    they match a ``protect`` glob. Returns the plan as a dict (``Plan.to_dict()``).
    """
    specs = load_tenants(tenants)
    the_plan = make_plan(
        credentials.get_config(),
        specs,
        prune=prune,
        protect=tuple(protect),
        concurrency=concurrency,
    )
    counts = the_plan.summary
    get_run_logger().info(
        "Planned %d create, %d update, %d delete, %d unchanged",
        counts["create"],
        counts["update"],
        counts["delete"],
        counts["noop"],
    )
    return the_plan.to_dict()


@api_task("Apply Activepieces tenant plan")
def apply_tenant_plan(
    credentials: ActivepiecesCredentials,
    plan: Mapping[str, Any],
    concurrency: int = DEFAULT_CONCURRENCY,
    dry_run: bool = False,
    max_deletions: int | None = None,
) -> dict[str, Any]:
    """Apply a plan with at most ``concurrency`` requests in flight; returns the report dict.

    One tenant's failure never stops the others: it is recorded in the report (the caller
    decides whether that fails the run). Raises `DeletionLimitExceeded` before any write when
    the plan deletes more than ``max_deletions`` projects.
    """
    logger = get_run_logger()

    def log(result: TenantResult) -> None:
        if result.status == "failed":
            logger.warning("%s (%s) failed: %s", result.external_id, result.action, result.error)
        elif result.status == "succeeded":
            logger.info(
                "%s: %s succeeded (%s)", result.external_id, result.action, result.project_id
            )

    report = apply_plan(
        credentials.get_config(),
        dict(plan),
        concurrency=concurrency,
        dry_run=dry_run,
        max_deletions=max_deletions,
        on_result=log,
    )
    return report.to_dict()
