"""Flows: reconcile many tenants from a file, onboard one tenant, tear tenants down.

All three are sync flows, so they run the same when called as scripts, from deployments, or
as sub-flows of sync *and* async parent flows (an async sub-flow called from a sync flow
silently never runs in Prefect 3). ``credentials`` is a saved block's name (preferred for
deployments: only the name is stored with the run) or an `ActivepiecesCredentials` instance
(stored with its key masked).
"""

from __future__ import annotations

from typing import Any, Literal

from prefect import flow
from prefect.logging import get_run_logger

from activepieces_core.constants import DEFAULT_CONCURRENCY
from activepieces_core.tenants import ApplyReport, DeletionLimitExceeded
from prefect_activepieces import artifacts
from prefect_activepieces.credentials import ActivepiecesCredentials, resolve_credentials
from prefect_activepieces.exceptions import TenantSyncError, TenantTeardownError
from prefect_activepieces.projects import ensure_project
from prefect_activepieces.tenants import (
    TenantsInput,
    apply_tenant_plan,
    plan_teardown,
    plan_tenants,
    teardown_rows,
)

__all__ = ["onboard_tenant", "sync_tenants", "teardown_tenants"]

Credentials = ActivepiecesCredentials | str


@flow(
    name="sync-activepieces-tenants",
    description="Reconcile Activepieces tenant projects with a tenant file or list.",
)
def sync_tenants(
    tenants: TenantsInput,
    credentials: Credentials,
    prune: bool = False,
    dry_run: bool = False,
    max_deletions: int | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    protect: list[str] | None = None,
    artifact_key: str = artifacts.DEFAULT_KEY,
) -> dict[str, Any]:
    """Bring the platform's TEAM projects to ``tenants`` with the core reconcile engine.

    Plans (read only), publishes the plan as the table artifact ``<artifact_key>-plan``,
    applies it with at most ``concurrency`` requests in flight, then publishes
    ``<artifact_key>-report`` (table) and ``<artifact_key>-summary`` (markdown).

    Args:
        tenants: tenant file path (.yaml/.yml/.json/.csv), JSON string, or rows.
        credentials: saved `ActivepiecesCredentials` block name, or the block itself.
        prune: delete TEAM projects that are not in ``tenants`` (see ``protect``).
        dry_run: plan and report, write nothing.
        max_deletions: refuse to apply (before any write) a plan deleting more projects.
        concurrency: requests in flight while reading and applying.
        protect: glob patterns of external ids that pruning never deletes.
        artifact_key: prefix of the artifact keys.

    Returns:
        The report (``ApplyReport.to_dict()``): ``results`` per tenant, ``summary`` counts.

    Raises:
        TenantSyncError: after every tenant was attempted, when any failed (``.report``).
        DeletionLimitExceeded: the plan deletes more than ``max_deletions``; nothing changed.
    """
    artifacts.check_key(artifact_key)
    creds = resolve_credentials(credentials)
    the_plan = plan_tenants(
        creds, tenants, prune=prune, protect=protect or (), concurrency=concurrency
    )
    artifacts.publish_plan(the_plan, artifact_key)
    try:
        report = apply_tenant_plan(
            creds, the_plan, concurrency=concurrency, dry_run=dry_run, max_deletions=max_deletions
        )
    except DeletionLimitExceeded as exc:
        artifacts.publish_report(the_plan, None, artifact_key, error=str(exc))
        raise
    artifacts.publish_report(the_plan, report, artifact_key)
    applied = ApplyReport.from_dict(report)
    if not applied.ok:
        raise TenantSyncError.from_report(applied)
    return report


@flow(
    name="onboard-activepieces-tenant",
    description="Create (or converge) one tenant's Activepieces project by external id.",
)
def onboard_tenant(
    external_id: str,
    credentials: Credentials,
    display_name: str | None = None,
    pieces: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
    max_concurrent_jobs: int | None = None,
    releases_enabled: bool | None = None,
    icon_color: str | None = None,
    global_connection_external_ids: list[str] | None = None,
    alert_receiver_email: str | None = None,
    if_exists: Literal["update", "return", "fail"] = "update",
    artifact_key: str = artifacts.DEFAULT_KEY,
) -> dict[str, Any]:
    """Ensure the tenant's project exists with these settings; idempotent.

    Same meaning as a row of a tenant file: ``pieces=None`` allows every piece, a list is the
    allow-list; other ``None`` fields are left as they are. ``if_exists="return"`` leaves an
    existing project untouched, ``"fail"`` raises `ExternalIdConflictError`.

    Returns:
        ``{"project": {...}, "action": "created" | "updated" | "unchanged"}``; the markdown
        artifact ``<artifact_key>-onboard`` records the outcome.
    """
    artifacts.check_key(artifact_key)
    creds = resolve_credentials(credentials)
    result: dict[str, Any] = ensure_project(
        creds,
        external_id,
        display_name,
        pieces=pieces,
        if_exists=if_exists,
        metadata=metadata,
        max_concurrent_jobs=max_concurrent_jobs,
        releases_enabled=releases_enabled,
        icon_color=icon_color,
        global_connection_external_ids=global_connection_external_ids,
        alert_receiver_email=alert_receiver_email,
    )
    project = result["project"]
    artifacts.publish_onboard(external_id, result, artifact_key)
    get_run_logger().info(
        "Tenant %s: project %s %s", external_id, project.get("id"), result["action"]
    )
    return result


@flow(
    name="teardown-activepieces-tenants",
    description="Delete tenants' Activepieces projects by external id.",
)
def teardown_tenants(
    external_ids: list[str],
    credentials: Credentials,
    missing_ok: bool = True,
    concurrency: int = DEFAULT_CONCURRENCY,
    artifact_key: str = artifacts.DEFAULT_KEY,
) -> dict[str, Any]:
    """Delete the TEAM project of every external id, at most ``concurrency`` requests at a time.

    Two tasks through the core engine: `plan_teardown` finds the projects (read only) and
    `apply_tenant_plan` deletes them. Every tenant is attempted; an external id with no TEAM
    project counts as ``missing`` (or as a failure when ``missing_ok`` is False). Publishes
    ``<artifact_key>-teardown`` (table) and ``<artifact_key>-teardown-summary`` (markdown).

    Returns:
        ``{"results": [{"external_id", "project_id", "status", "error"}], "summary": {...}}``
        with status ``deleted`` / ``missing`` / ``failed``.

    Raises:
        TenantTeardownError: after all attempts, when any tenant failed (``.report``).
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    artifacts.check_key(artifact_key)
    creds = resolve_credentials(credentials)
    found = plan_teardown(creds, external_ids, concurrency=concurrency)
    applied = apply_tenant_plan(creds, found["plan"], concurrency=concurrency)
    rows = teardown_rows(external_ids, found, applied, missing_ok=missing_ok)
    summary = {s: sum(r["status"] == s for r in rows) for s in ("deleted", "missing", "failed")}
    report = {"results": rows, "summary": {"total": len(rows), **summary}}
    artifacts.publish_teardown(report, artifact_key)
    failed = [r["external_id"] for r in rows if r["status"] == "failed"]
    if failed:
        raise TenantTeardownError(failed, len(rows), report)
    return report
