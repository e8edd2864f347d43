"""Tasks over the core tenants engine: plan (read only), apply (bounded concurrency), teardown.

A teardown is a plan too: `plan_teardown` finds the TEAM project of each external id and
returns a core `Plan` holding one delete per project found, which `apply_tenant_plan` applies
like any other plan. `teardown_rows` turns both into the per-tenant deleted / missing / failed
rows the teardown flow reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from prefect.logging import get_run_logger

from activepieces_core import ActivepiecesClient, Project
from activepieces_core.constants import DEFAULT_CONCURRENCY, DEFAULT_PAGE_SIZE
from activepieces_core.parsing import is_blank
from activepieces_core.tenants import (
    Plan,
    TenantChange,
    TenantResult,
    TenantSpec,
    document_digest,
    load_document,
)
from activepieces_core.tenants import apply as apply_plan
from activepieces_core.tenants import plan as make_plan
from prefect_activepieces._retry import api_task
from prefect_activepieces.credentials import ActivepiecesCredentials

__all__ = [
    "DEFAULT_CONCURRENCY",
    "TenantsInput",
    "apply_tenant_plan",
    "plan_teardown",
    "plan_tenants",
    "teardown_rows",
]

TenantsInput = str | Path | list[TenantSpec | dict[str, Any]] | dict[str, Any]
"""A tenant file path (.yaml/.yml/.json/.csv), a JSON string, a document (``tenants``,
``defaults``, ``piece_sets``) or a list of rows."""

LOOKUP_MAX = 4
"""Up to this many tenants, `plan_teardown` looks each one up; beyond, one paged listing."""


@api_task("Plan Activepieces tenants")
def plan_tenants(
    credentials: ActivepiecesCredentials,
    tenants: TenantsInput,
    prune: bool = False,
    protect: Sequence[str] = (),
    concurrency: int = DEFAULT_CONCURRENCY,
    prune_members: bool = False,
    offboard_users: bool = False,
) -> dict[str, Any]:
    """Validate ``tenants`` and plan the changes bringing the platform to them; read only.

    ``tenants`` may be a whole document: its ``piece_sets`` are planned too (created or
    converged, then assigned), and so are the ``members`` of tenants that list them. With
    ``prune``, TEAM projects missing from ``tenants`` are planned for deletion unless they
    match a ``protect`` glob; with ``prune_members``, people a managed tenant does not list
    are removed (never an e-mail matching a ``protect`` glob); with ``offboard_users`` (and
    ``prune``), users whose every project was pruned are deactivated.

    Returns the saved plan (``Plan.to_dict()``, with the document's digest): apply it as is
    with `apply_tenant_plan`, even after a pause for review.
    """
    document = load_document(tenants)
    the_plan = make_plan(
        credentials.get_config(),
        document,
        prune=prune,
        protect=tuple(protect),
        concurrency=concurrency,
        prune_members=prune_members,
        offboard_users=offboard_users,
    )
    the_plan = the_plan.model_copy(update={"document_digest": document_digest(document)})
    counts = the_plan.summary
    others = the_plan.kind_summary
    get_run_logger().info(
        "Planned %d create, %d update, %d delete, %d unchanged%s",
        counts["create"],
        counts["update"],
        counts["delete"],
        counts["noop"],
        "".join(f"; {kind}: {per}" for kind, per in sorted(others.items())),
    )
    return the_plan.to_dict()


@api_task("Apply Activepieces tenant plan")
def apply_tenant_plan(
    credentials: ActivepiecesCredentials,
    plan: Mapping[str, Any],
    concurrency: int = DEFAULT_CONCURRENCY,
    dry_run: bool = False,
    max_deletions: int | None = None,
    check_stale: bool = True,
) -> dict[str, Any]:
    """Apply a saved plan with at most ``concurrency`` requests in flight; returns the report.

    One tenant's failure never stops the others: it is recorded in the report (the caller
    decides whether that fails the run). Raises, before any write: `DeletionLimitExceeded`
    when the plan deletes more than ``max_deletions`` projects (or removes more members);
    `InvalidPlanError` when the plan was edited after it was saved; with ``check_stale``,
    `StalePlanError` when what it writes to changed on the server since it was planned.
    """
    logger = get_run_logger()

    def log(result: TenantResult) -> None:
        if result.kind == "project":
            what, target = result.external_id, result.project_id
        else:
            what = f"{result.external_id or '(document)'} {result.kind} {result.key}"
            target = result.target_id
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
    )
    return report.to_dict()


def _team_projects(client: ActivepiecesClient, external_id: str) -> list[Project]:
    # limit=2 tells "one" from "several"; the exact match guards against an ignored filter.
    page = client.projects.list(external_id=external_id, types=["TEAM"], limit=2)
    return [p for p in page.data if p.external_id == external_id]


def _find(
    client: ActivepiecesClient, external_ids: Sequence[str], concurrency: int
) -> tuple[dict[str, list[Project] | Exception], int]:
    """TEAM projects per external id (or the lookup's error), and how many reads it took."""
    if len(external_ids) > LOOKUP_MAX:
        found: dict[str, list[Project] | Exception] = {e: [] for e in external_ids}
        seen = 0
        for project in client.projects.iter(types=["TEAM"], limit=DEFAULT_PAGE_SIZE):
            seen += 1
            matches = found.get(project.external_id) if project.external_id else None
            if isinstance(matches, list):
                matches.append(project)
        return found, max(1, -(-seen // DEFAULT_PAGE_SIZE))

    def lookup(external_id: str) -> list[Project] | Exception:
        try:
            return _team_projects(client, external_id)
        except Exception as exc:  # one tenant's failed read never stops the others
            return exc

    with ThreadPoolExecutor(max(1, min(concurrency, len(external_ids)))) as pool:
        looked_up = dict(zip(external_ids, pool.map(lookup, external_ids), strict=True))
    return looked_up, len(external_ids)


@api_task("Plan Activepieces teardown")
def plan_teardown(
    credentials: ActivepiecesCredentials,
    external_ids: Sequence[str],
    concurrency: int = DEFAULT_CONCURRENCY,
) -> dict[str, Any]:
    """Find the TEAM project of each external id and plan its deletion; read only.

    Up to `LOOKUP_MAX` tenants are looked up one by one (at most ``concurrency`` at a time),
    more with one paged listing of TEAM projects. Returns ``{"plan": Plan.to_dict(),
    "missing": [external ids], "failed": [{"external_id", "error"}]}``: an external id on
    several TEAM projects is a failure (delete those by id), not a guess.
    """
    ids = list(dict.fromkeys(external_ids))  # one delete per tenant even if listed twice
    if any(is_blank(e) for e in ids):
        raise ValueError("external_ids must not contain blank values")
    with credentials.get_client() as client:
        found, reads = _find(client, ids, concurrency)
    changes: list[TenantChange] = []
    missing: list[str] = []
    failed: list[dict[str, str]] = []
    for external_id in ids:
        projects = found[external_id]
        if isinstance(projects, Exception):
            failed.append({"external_id": external_id, "error": _error(projects)})
        elif not projects:
            missing.append(external_id)
        elif len(projects) > 1:
            listed = ", ".join(sorted(p.id for p in projects))
            error = f"several TEAM projects have this external id ({listed}); delete them by id"
            failed.append({"external_id": external_id, "error": error})
        else:
            (project,) = projects
            changes.append(
                TenantChange(
                    external_id=external_id,
                    action="delete",
                    project_id=project.id,
                    display_name=project.display_name,
                )
            )
    get_run_logger().info(
        "Teardown of %d tenant(s): %d to delete, %d missing, %d failed to read",
        len(ids),
        len(changes),
        len(missing),
        len(failed),
    )
    the_plan = Plan(changes=changes, read_requests=reads)
    return {"plan": the_plan.to_dict(), "missing": missing, "failed": failed}


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def teardown_rows(
    external_ids: Sequence[str],
    found: Mapping[str, Any],
    report: Mapping[str, Any],
    missing_ok: bool = True,
) -> list[dict[str, Any]]:
    """One ``{"external_id", "project_id", "status", "error"}`` row per tenant, in input order.

    ``found`` is `plan_teardown`'s output and ``report`` the apply report of its plan. Status
    is ``deleted``, ``missing`` (no TEAM project; a failure unless ``missing_ok``) or
    ``failed``. A project gone between the read and the delete (404) counts as missing.
    """
    gone = f"no TEAM project has this external id{'' if missing_ok else ' (missing_ok=False)'}"
    absent = {"status": "missing" if missing_ok else "failed", "error": "" if missing_ok else gone}
    outcome: dict[str, dict[str, Any]] = {e: dict(absent) for e in found.get("missing", [])}
    for row in found.get("failed", []):
        outcome[row["external_id"]] = {"status": "failed", "error": row["error"]}
    for result in report.get("results", []):
        if result["status"] == "succeeded":
            row = {"status": "deleted", "error": ""}
        elif result.get("error_type") == "NotFoundError":
            row = dict(absent)
        else:
            row = {"status": "failed", "error": f"{result.get('error_type')}: {result['error']}"}
        outcome[result["external_id"]] = {"project_id": result.get("project_id") or "", **row}
    return [
        {
            "external_id": e,
            "project_id": outcome[e].get("project_id", ""),
            "status": outcome[e]["status"],
            "error": outcome[e]["error"],
        }
        for e in dict.fromkeys(external_ids)
    ]
