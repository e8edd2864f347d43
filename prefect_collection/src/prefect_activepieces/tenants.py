"""Tasks over the core tenants engine: plan (read only), apply (bounded concurrency), teardown.

A teardown is a plan too: `plan_teardown` is core's teardown plan (each tenant's project, the
piece set it owns, optionally its people's accounts), which `apply_tenant_plan` applies like
any other plan. Core's `TeardownReport` turns both into the per-tenant deleted / missing /
failed rows the teardown flow reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from prefect.logging import get_run_logger

from activepieces_core.constants import DEFAULT_CONCURRENCY
from activepieces_core.tenants import TenantResult, TenantSpec, load_document, teardown_ids
from activepieces_core.tenants import apply as apply_plan
from activepieces_core.tenants import plan as make_plan
from activepieces_core.tenants import plan_teardown as core_plan_teardown
from activepieces_core.tenants.archive import ARCHIVE_REQUIRED
from activepieces_core.tenants.views import PLATFORM, plan_view
from prefect_activepieces._retry import api_task
from prefect_activepieces.archives import ArchiveInput, archive_target
from prefect_activepieces.credentials import ActivepiecesCredentials
from prefect_activepieces.storage import StateInput, Storage, TemplateReader

__all__ = [
    "DEFAULT_CONCURRENCY",
    "TenantsInput",
    "apply_tenant_plan",
    "plan_teardown",
    "plan_tenants",
]

TenantsInput = str | Path | list[TenantSpec | dict[str, Any]] | dict[str, Any]
"""A tenant file path (.yaml/.yml/.json/.csv), a JSON string, a document (``tenants``,
``defaults``, ``piece_sets``) or a list of rows."""


@api_task("Plan Activepieces tenants")
def plan_tenants(
    credentials: ActivepiecesCredentials,
    tenants: TenantsInput,
    prune: bool = False,
    protect: Sequence[str] = (),
    concurrency: int = DEFAULT_CONCURRENCY,
    prune_members: bool = False,
    offboard_users: bool = False,
    templates: Mapping[str, StateInput] | None = None,
    template_storage: Storage | None = None,
) -> dict[str, Any]:
    """Validate ``tenants`` and plan the changes bringing the platform to them; read only.

    ``tenants`` may be a whole document: its ``piece_sets`` are planned too (created or
    converged, then assigned), and so are the ``members`` of tenants that list them. With
    ``prune``, TEAM projects missing from ``tenants`` are planned for deletion unless they
    match a ``protect`` glob; with ``prune_members``, people a managed tenant does not list
    are removed (never an e-mail matching a ``protect`` glob); with ``offboard_users`` (and
    ``prune``), users whose every project was pruned are deactivated.

    A tenant's ``template`` (a replace body file; also in ``defaults``) is read beside the
    document, or, by its name as written: from ``templates`` (name -> body or path) or from
    ``template_storage`` (a filesystem block or a saved one's ``"<slug>/<name>"``). Its
    flows, tables and folders are planned per tenant with the server's own comparison.

    Returns the saved plan (``Plan.to_dict()``, with the document's digest): apply it as is
    with `apply_tenant_plan`, even after a pause for review.
    """
    reader = (
        None
        if templates is None and template_storage is None
        else TemplateReader(templates, template_storage)
    )
    document = load_document(tenants, templates=reader)
    tenant_plan = make_plan(
        credentials.get_config(),
        document,
        prune=prune,
        protect=tuple(protect),
        concurrency=concurrency,
        prune_members=prune_members,
        offboard_users=offboard_users,
    )
    view = plan_view(tenant_plan, max_rows=0)
    get_run_logger().info("%s", "\n  ".join([view.headline, *view.kind_lines]))
    return tenant_plan.to_dict()


@api_task("Apply Activepieces tenant plan")
def apply_tenant_plan(
    credentials: ActivepiecesCredentials,
    plan: Mapping[str, Any],
    concurrency: int = DEFAULT_CONCURRENCY,
    dry_run: bool = False,
    max_deletions: int | None = None,
    check_stale: bool = True,
    archive: ArchiveInput = ARCHIVE_REQUIRED,
) -> dict[str, Any]:
    """Apply a saved plan with at most ``concurrency`` requests in flight; returns the report.

    One tenant's failure never stops the others: it is recorded in the report (the caller
    decides whether that fails the run). Each tenant whose project the plan deletes is first
    archived to ``archive`` (a LocalFileSystem / RemoteFileSystem block, a directory or an
    fsspec URL; `prefect_activepieces.archives`) and read back: one whose archive fails is
    failed, not deleted. Raises, before any write: `ArchiveRequiredError` when the plan
    deletes tenant projects and ``archive`` was not given (``None`` spelled out deletes
    without archives); `DeletionLimitExceeded` when the plan deletes more than
    ``max_deletions`` projects (or removes more members); `InvalidPlanError` when the plan
    was edited after it was saved; with ``check_stale``, `StalePlanError` when what it writes
    to changed on the server since it was planned.
    """
    logger = get_run_logger()

    def log(result: TenantResult) -> None:
        what = f"{result.external_id or PLATFORM} {result.label}"
        target = result.project_id if result.kind == "project" else result.target_id
        if result.status == "failed":
            logger.warning("%s (%s) failed: %s", what, result.action, result.error)
        elif result.status == "succeeded":
            logger.info("%s: %s succeeded (%s)", what, result.action, target)

    report = apply_plan(
        credentials.get_config(),
        dict(plan),
        concurrency=concurrency,
        dry_run=dry_run,
        max_deletions=max_deletions,
        on_result=log,
        check_stale=check_stale,
        archive=archive_target(archive),
    )
    return report.to_dict()


@api_task("Plan Activepieces teardown")
def plan_teardown(
    credentials: ActivepiecesCredentials,
    external_ids: Sequence[str],
    concurrency: int = DEFAULT_CONCURRENCY,
    offboard_users: bool = False,
) -> dict[str, Any]:
    """Plan tearing down exactly the tenants ``external_ids``; read only.

    Core's teardown plan (`activepieces_core.tenants.plan_teardown`): each tenant's TEAM
    project is deleted, the piece set it owns (``tenant:<id>``, on piece-set platforms) goes
    with it, and with ``offboard_users`` the users left in no other project are deactivated.
    A few tenants are looked up one by one, more are found with one paged listing; an external
    id on several TEAM projects follows core's rule (the lowest project id is managed, with a
    warning; see ``warnings``). Returns ``{"plan": Plan.to_dict(), "missing": [external ids
    with no TEAM project], "external_ids": [the tenants, once each], "failed": [],
    "warnings": [...]}``; a blank external id fails the task before any request.
    """
    ids = teardown_ids(external_ids)  # one delete per tenant even if listed twice
    config = credentials.get_config()
    tenant_plan = core_plan_teardown(
        config, ids, offboard_users=offboard_users, concurrency=concurrency
    )
    logger = get_run_logger()
    view = plan_view(tenant_plan, max_rows=0)
    logger.info("Teardown of %d tenant(s): %s", len(ids), view.headline)
    for line in view.kind_lines:
        logger.info("  %s", line)
    for warning in tenant_plan.warnings:
        logger.warning("%s", warning)
    return {
        "plan": tenant_plan.to_dict(),
        "external_ids": ids,
        "missing": list(tenant_plan.missing),
        "failed": [],
        "warnings": list(tenant_plan.warnings),
    }
