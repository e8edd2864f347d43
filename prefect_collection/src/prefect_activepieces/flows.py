"""Flows: reconcile many tenants from a file (optionally reviewed), onboard one, tear down,
restore one from its archive, copy one project's contents into others.

All five are sync flows, so they run the same when called as scripts, from deployments, or
as sub-flows of sync *and* async parent flows (an async sub-flow called from a sync flow
silently never runs in Prefect 3). ``credentials`` is a saved block's name (preferred for
deployments: only the name is stored with the run) or an `ActivepiecesCredentials` instance
(stored with its key masked).
"""

from __future__ import annotations

from typing import Any, Literal

from prefect import flow
from prefect.exceptions import FlowPauseTimeout
from prefect.logging import get_run_logger
from prefect.states import Cancelled

from activepieces_core.constants import DEFAULT_CONCURRENCY
from activepieces_core.tenants import (
    ApplyReport,
    DeletionLimitExceeded,
    Plan,
    StalePlanError,
    TeardownReport,
    check_deletions,
)
from activepieces_core.tenants.archive import ARCHIVE_REQUIRED, ArchiveRequiredError, store_of
from activepieces_core.tenants.archive.archiver import resolve_archiver
from prefect_activepieces import artifacts, review
from prefect_activepieces.archives import ArchiveInput, archive_target, restore_archive
from prefect_activepieces.contents import export_project_state, replace_project_state
from prefect_activepieces.credentials import ActivepiecesCredentials, resolve_credentials
from prefect_activepieces.exceptions import (
    PlanRejectedError,
    ReplaceItemsFailedError,
    TenantSyncError,
    TenantTeardownError,
)
from prefect_activepieces.projects import ensure_project
from prefect_activepieces.storage import Storage
from prefect_activepieces.tenants import (
    TenantsInput,
    apply_tenant_plan,
    plan_teardown,
    plan_tenants,
)

__all__ = [
    "copy_project_contents",
    "onboard_tenant",
    "restore_tenant",
    "sync_tenants",
    "teardown_tenants",
]

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
    prune_members: bool = False,
    offboard_users: bool = False,
    require_approval: bool = False,
    approval_timeout: int = review.DEFAULT_TIMEOUT,
    approval_poll_interval: int = review.DEFAULT_POLL_INTERVAL,
    templates: dict[str, Any] | None = None,
    template_storage: Storage | None = None,
    archive: ArchiveInput = ARCHIVE_REQUIRED,
) -> dict[str, Any]:
    """Bring the platform's TEAM projects, piece sets, people and contents to ``tenants``.

    Plans (read only), publishes the plan as the table artifact ``<artifact_key>-plan``,
    optionally waits for a reviewer's approval, applies it with at most ``concurrency``
    requests in flight, then publishes ``<artifact_key>-report`` (table) and
    ``<artifact_key>-summary`` (markdown).

    Args:
        tenants: tenant file path (.yaml/.yml/.json/.csv), JSON string, document or rows.
            A document may declare ``piece_sets``; rows may set ``piece_set``, ``pieces``,
            ``members``, ``template`` and the other tenant fields.
        credentials: saved `ActivepiecesCredentials` block name, or the block itself.
        prune: delete TEAM projects that are not in ``tenants`` (see ``protect``).
        dry_run: plan and report, write nothing.
        max_deletions: refuse to apply (before any write) a plan deleting more projects, or
            removing more members, than this.
        concurrency: requests in flight while reading and applying.
        protect: glob patterns of external ids (and, with ``@``, of e-mails) that pruning
            never deletes.
        artifact_key: prefix of the artifact keys.
        prune_members: remove the people a tenant with ``members`` does not list.
        offboard_users: with ``prune``, deactivate users whose every project was pruned.
        require_approval: pause after publishing the plan until a reviewer approves it
            (applied exactly as planned) or rejects it (the run ends Cancelled). A plan with
            nothing to write, or a dry run, does not pause.
        approval_timeout: seconds to wait for the review; then the run fails, nothing applied.
        approval_poll_interval: seconds between the paused run's checks for the review.
        templates: template name (as a tenant's ``template`` writes it) -> replace body
            (a dict) or state file path, instead of the file beside the document.
        template_storage: a filesystem block (or a saved one's ``"<block-type-slug>/<name>"``,
            preferred: only the name is stored with the run) the named templates are read
            from, instead of beside the document.
        archive: where each tenant that ``prune`` deletes is archived first (and read back):
            a LocalFileSystem / RemoteFileSystem block, a directory or an fsspec URL
            (`prefect_activepieces.archives`). Required when the plan deletes a tenant
            project; ``None`` spelled out deletes without archives. The plan artifact says
            where each delete's archive goes.

    Returns:
        The report (``ApplyReport.to_dict()``): ``results`` per change (``kind`` and ``key``
        say which resource), ``summary`` counts of project changes; after a review also
        ``review`` (``decision``, ``comment``, ``plan_digest``).

    Raises:
        TenantSyncError: after every tenant was attempted, when any failed (``.report``); a
            tenant whose archive could not be written is among them, not deleted.
        ArchiveRequiredError: the plan deletes tenant projects and ``archive`` was not given;
            nothing changed.
        DeletionLimitExceeded: the plan deletes more than ``max_deletions``; nothing changed.
        StalePlanError: approved, but the platform changed since planning; nothing changed.
        PlanRejectedError: the reviewer rejected the plan (the run is Cancelled).
    """
    artifacts.check_key(artifact_key)
    target = archive_target(archive)  # a block that cannot hold archives fails here
    creds = resolve_credentials(credentials)
    tenant_plan = plan_tenants(
        creds,
        tenants,
        prune=prune,
        protect=protect or (),
        concurrency=concurrency,
        prune_members=prune_members,
        offboard_users=offboard_users,
        templates=templates,
        template_storage=template_storage,
    )
    artifacts.publish_plan(tenant_plan, artifact_key, archive=target)
    reviewed: dict[str, Any] | None = None
    saved = Plan.from_dict(tenant_plan) if require_approval and not dry_run else None
    if saved is not None and saved.has_changes:
        try:
            # A plan that would be refused anyway is not worth a reviewer's time.
            check_deletions(saved, max_deletions)
            resolve_archiver(target, saved, creds.base_url)
            answer = review.wait_for_review(
                tenant_plan,
                artifact_key,
                timeout=approval_timeout,
                poll_interval=approval_poll_interval,
            )
        except (DeletionLimitExceeded, ArchiveRequiredError, FlowPauseTimeout) as exc:
            why = (
                f"no review within {approval_timeout} s"
                if isinstance(exc, FlowPauseTimeout)
                else str(exc)
            )
            artifacts.publish_report(tenant_plan, None, artifact_key, error=why)
            raise
        reviewed = {**answer.to_dict(), "plan_digest": tenant_plan.get("digest")}
        if not answer.approved:
            rejected = PlanRejectedError(answer.comment, tenant_plan)
            artifacts.publish_report(
                tenant_plan, None, artifact_key, error="rejected by the reviewer", review=reviewed
            )
            get_run_logger().info("%s", rejected)
            # A state returned by the flow becomes its final state: Cancelled, carrying the
            # error (raised to a direct caller) and with it the rejected plan.
            cancelled: dict[str, Any] = Cancelled(  # type: ignore[assignment]
                message=f"Cancelled by the reviewer: {answer.comment or '(no comment)'}; "
                f"the plan was not applied (artifact {artifact_key}-plan)",
                data=rejected,
            )
            return cancelled
    try:
        report = apply_tenant_plan(
            creds,
            tenant_plan,
            concurrency=concurrency,
            dry_run=dry_run,
            max_deletions=max_deletions,
            # A plan moments old is not re-read (as core's reconcile); a reviewed one is.
            check_stale=reviewed is not None,
            archive=archive,
        )
    except (DeletionLimitExceeded, ArchiveRequiredError, StalePlanError) as exc:
        artifacts.publish_report(tenant_plan, None, artifact_key, error=str(exc), review=reviewed)
        raise
    artifacts.publish_report(tenant_plan, report, artifact_key, review=reviewed)
    applied = ApplyReport.from_dict(report)
    if not applied.ok:
        raise TenantSyncError.from_report(applied)
    return report if reviewed is None else {**report, "review": reviewed}


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
    notify_flow_owner_on_failure: bool | None = None,
    active_flows_limit: int | None = None,
    worker_group_id: str | None = None,
    execution_data_retention_days: int | None = None,
    sensitive: bool | None = None,
) -> dict[str, Any]:
    """Ensure the tenant's project exists with these settings; idempotent.

    Same meaning as a row of a tenant file: ``pieces=None`` allows every piece, a list is the
    allow-list; other ``None`` fields are left as they are. ``if_exists="return"`` leaves an
    existing project untouched, ``"fail"`` raises `ExternalIdConflictError`.

    The 2026 project fields come last (so positional callers and saved deployments keep
    working), each ``None`` = not managed: ``notify_flow_owner_on_failure``,
    ``active_flows_limit`` (positive), ``worker_group_id`` (non-blank; platforms with worker
    groups), ``execution_data_retention_days`` (positive) and ``sensitive``. A new project
    gets them in one update right after its create; a bad value fails the run with
    `InvalidRequestError` before any request.

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
        notify_flow_owner_on_failure=notify_flow_owner_on_failure,
        active_flows_limit=active_flows_limit,
        worker_group_id=worker_group_id,
        execution_data_retention_days=execution_data_retention_days,
        sensitive=sensitive,
    )
    project = result["project"]
    artifacts.publish_onboard(external_id, result, artifact_key)
    get_run_logger().info(
        "Tenant %s: project %s %s", external_id, project.get("id"), result["action"]
    )
    return result


@flow(
    name="teardown-activepieces-tenants",
    description="Tear tenants down by external id: their projects and owned piece sets.",
)
def teardown_tenants(
    external_ids: list[str],
    credentials: Credentials,
    missing_ok: bool = True,
    concurrency: int = DEFAULT_CONCURRENCY,
    artifact_key: str = artifacts.DEFAULT_KEY,
    offboard_users: bool = False,
    archive: ArchiveInput = ARCHIVE_REQUIRED,
) -> dict[str, Any]:
    """Tear down exactly the named tenants, at most ``concurrency`` requests at a time.

    Two tasks through the core engine: `plan_teardown` plans (read only) and
    `apply_tenant_plan` applies: each tenant's TEAM project is deleted (its memberships go
    with it), the piece set it owns (``tenant:<id>``, on piece-set platforms) too, and with
    ``offboard_users`` each user whose every project was torn down is deactivated (never a
    platform admin, never anyone still in another project). Every tenant is attempted; an
    external id with no TEAM project counts as ``missing`` (or as a failure when
    ``missing_ok`` is False). Publishes ``<artifact_key>-teardown`` (table) and
    ``<artifact_key>-teardown-summary`` (markdown).

    ``archive`` (a LocalFileSystem / RemoteFileSystem block, a directory or an fsspec URL) is
    where each tenant is archived before its project is deleted: the archive is written,
    read back and verified first, and a tenant whose archive fails is ``failed`` with the
    reason, not deleted (`restore_tenant` brings one back). ``archive=None`` spelled out
    deletes without archives; without either, a teardown that deletes anything raises
    `ArchiveRequiredError` before any delete.

    Returns:
        ``{"results": [{"external_id", "project_id", "status", "error", "archive"}],
        "summary": {...}, "warnings": [...]}`` with status ``deleted`` / ``missing`` /
        ``failed``; ``archive`` is where a deleted tenant's archive was written.

    Raises:
        TenantTeardownError: after all attempts, when any tenant failed (``.report``).
        ArchiveRequiredError: ``archive`` not given; nothing was deleted.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    artifacts.check_key(artifact_key)
    target = archive_target(archive)
    creds = resolve_credentials(credentials)
    found = plan_teardown(
        creds, external_ids, concurrency=concurrency, offboard_users=offboard_users
    )
    # The plan is moments old: no staleness re-read (it would double the reads).
    applied = apply_tenant_plan(
        creds, found["plan"], concurrency=concurrency, check_stale=False, archive=archive
    )
    teardown = TeardownReport.build(
        found["external_ids"],
        found["plan"],
        applied,
        missing_ok=missing_ok,
        archive=store_of(target),
    )
    report = teardown.to_dict()
    artifacts.publish_teardown(report, artifact_key)
    error = teardown.error(TenantTeardownError)
    if error is not None:
        raise error
    return report


@flow(
    name="restore-activepieces-tenant",
    description="Bring a torn-down tenant back from its archive.",
)
def restore_tenant(
    archive: str,
    credentials: Credentials,
    storage: Storage | None = None,
    external_id: str | None = None,
    display_name: str | None = None,
    replace_existing: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    artifact_key: str = artifacts.DEFAULT_KEY,
) -> dict[str, Any]:
    """Restore one tenant from the archive a teardown wrote (`restore_archive`).

    ``archive`` is the archive's path or fsspec URL (a teardown report's ``archive``), or its
    path in ``storage`` (any filesystem block, or a saved one's ``"<slug>/<name>"``).
    The project comes back with its fields, piece set or own pieces, members (invited
    again) and flows, tables and folders; under ``external_id`` / ``display_name`` when given.
    A live tenant with the same external id is overwritten only with ``replace_existing``;
    running it twice changes nothing the second time. Publishes ``<artifact_key>-restore``.

    Returns:
        ``restore_archive``'s dict: ``project_id``, ``action``, ``report`` and the
        ``connections_awaiting_authorization`` (secrets are never archived).

    Raises:
        RestoreRefused: a live tenant would be overwritten; nothing was sent.
        TenantSyncError: part of the restore failed (``.report``); running it again resumes.
    """
    artifacts.check_key(artifact_key)
    creds = resolve_credentials(credentials)
    result: dict[str, Any] = restore_archive(
        creds,
        archive,
        storage=storage,
        external_id=external_id,
        display_name=display_name,
        replace_existing=replace_existing,
        concurrency=concurrency,
    )
    artifacts.publish_restore(result, artifact_key)
    get_run_logger().info(
        "Tenant %s restored (%s) as project %s from %s",
        result["external_id"],
        result["action"],
        result["project_id"],
        result["source"],
    )
    report = ApplyReport.from_dict(result["report"])
    if not report.ok:
        raise TenantSyncError.from_report(report, what="tenant restore")
    return result


@flow(
    name="copy-activepieces-project-contents",
    description="Export one project's flows, tables and folders into other projects.",
)
def copy_project_contents(
    source: str,
    targets: list[str],
    credentials: Credentials,
    allow_failed_items: bool = False,
    path: str | None = None,
    storage: Storage | None = None,
    artifact_key: str = artifacts.DEFAULT_KEY,
) -> dict[str, Any]:
    """Make the contents of the projects ``targets`` (external ids) those of ``source``.

    Exports ``source`` once (`export_project_state`; also written to ``path``, in ``storage``
    when given, to keep the template), then replaces every target with it
    (`replace_project_state`, one task run each, concurrently): their flows, tables and
    folders not in ``source`` are deleted, connection references added. Every target is
    attempted; the table artifact ``<artifact_key>-contents`` shows what each replace did.

    Returns:
        ``{"source", "results": {external id: replace result}}``.

    Raises:
        TenantSyncError: after every target was attempted, when any replace failed (a 207 too,
            unless ``allow_failed_items``); ``.report`` holds each target's outcome.
    """
    artifacts.check_key(artifact_key)
    creds = resolve_credentials(credentials)
    body = export_project_state(creds, external_id=source, path=path, storage=storage)
    futures = {
        target: replace_project_state.submit(
            creds, body, external_id=target, allow_failed_items=allow_failed_items
        )
        for target in dict.fromkeys(targets)  # each target once
    }
    outcomes: dict[str, dict[str, Any]] = {}
    for target, future in futures.items():
        try:
            outcomes[target] = future.result()
        except Exception as exc:  # recorded per target; the run fails below
            found = exc.result if isinstance(exc, ReplaceItemsFailedError) else {}
            outcomes[target] = {**found, "error": f"{type(exc).__name__}: {exc}"}
    artifacts.publish_contents(source, outcomes, artifact_key)
    report = {"source": source, "results": outcomes}
    failed = [t for t, outcome in outcomes.items() if "error" in outcome]
    if failed:
        raise TenantSyncError(failed, len(outcomes), report, what="project contents copy")
    return report
