"""Bring a tenant back from its archive: a one-tenant apply of the archived row, with the
archived replace body as its template (the engine's own plan and writes: project fields, piece
set or own pieces, members invited again, flows/tables/folders through ``replace``).

Rules:
* a live tenant with the same external id is never overwritten unless ``replace_existing``:
  the restore refuses (`RestoreRefused`, nothing sent) when its plan would update or delete
  anything there; a plan that only adds (a restore interrupted half-way) or changes nothing
  (a restore run twice) goes ahead, so restoring twice gives one project, no duplicates;
* a named piece set the tenant was on is used as the platform has it now, or recreated from
  the archive when it is gone;
* connections: the archive holds their references only (the API never returns secrets);
  those of the restored project that are not ``ACTIVE`` are reported as awaiting authorisation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from activepieces_core.constants import DEFAULT_CONCURRENCY
from activepieces_core.errors import ActivepiecesError
from activepieces_core.tenants._runner import AnyClient, async_client, blocking
from activepieces_core.tenants.archive.format import TenantArchive
from activepieces_core.tenants.archive.store import read_archive

if TYPE_CHECKING:
    from activepieces_core.models.contents import ProjectState
    from activepieces_core.tenants.results import ApplyReport, Plan, TenantChange

__all__ = ["RestoreRefused", "RestoreResult", "arestore", "restore"]

#: The template name a restored tenant's contents follow.
TEMPLATE_PREFIX = "archive:"
#: Piece-set changes a restore may make on a live tenant without ``replace_existing``.
_ADDITIVE_KINDS = frozenset({"piece_set_assignment"})


class RestoreRefused(ActivepiecesError):
    """A live tenant has the archive's external id and the restore would change it; nothing
    was sent. ``changes`` lists what would be overwritten."""

    def __init__(self, external_id: str, changes: list[str]) -> None:
        self.external_id = external_id
        self.changes = changes
        shown = "; ".join(changes[:10]) + (" ..." if len(changes) > 10 else "")
        super().__init__(
            f"tenant {external_id!r} is live and the restore would change it ({shown}): "
            "pass replace_existing=True (--replace-existing) to overwrite it, or restore "
            "under another external id; nothing was sent"
        )


@dataclass(frozen=True)
class RestoreResult:
    """What a restore did: the tenant, its project, ``action`` (``created``: a new project;
    ``replaced``: a live one overwritten; ``completed``: a live one given what it lacked;
    ``unchanged``), the apply report and the connections awaiting authorisation again."""

    external_id: str
    project_id: str | None
    action: str
    report: ApplyReport
    connections_awaiting_authorization: list[str] = field(default_factory=list)
    source: str = ""

    @property
    def ok(self) -> bool:
        return self.report.ok

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (``report`` as `ApplyReport.to_dict`)."""
        return {
            "external_id": self.external_id,
            "project_id": self.project_id,
            "action": self.action,
            "ok": self.ok,
            "connections_awaiting_authorization": list(self.connections_awaiting_authorization),
            "source": self.source,
            "report": self.report.to_dict(),
        }


def _overwrites(change: TenantChange) -> bool:
    return change.action in ("update", "delete") and change.kind not in _ADDITIVE_KINDS


async def _document(client: Any, archive: TenantArchive, row: dict[str, Any]) -> Any:
    from activepieces_core.tenants.archive.capture import piece_set_row
    from activepieces_core.tenants.loaders import TenantDocument
    from activepieces_core.tenants.spec import PieceSetSpec, TenantSpec

    state = archive.project_state
    # Only an archive with contents names a template: a template needs environmentsEnabled, so
    # a contents-less tenant (flows, tables, folders all empty) restores on any platform.
    templates: dict[str, ProjectState] = {}
    if state.flows or state.tables or state.folders:
        template = TEMPLATE_PREFIX + str(row["external_id"])
        row = {**row, "template": template}
        templates[template] = state
    piece_sets = []
    key = row.get("piece_set")
    if key:
        current = await client.piece_sets.get_by_key(key)
        declared = piece_set_row(current) if current is not None else archive.piece_set
        piece_sets.append(PieceSetSpec.model_validate(declared or {"key": key}))
    return TenantDocument(
        tenants=[TenantSpec.model_validate(row)],
        piece_sets=piece_sets,
        templates=templates,
    )


async def arestore(
    client: AnyClient,
    archive: TenantArchive | str | os.PathLike[str],
    *,
    external_id: str | None = None,
    display_name: str | None = None,
    replace_existing: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> RestoreResult:
    """Restore the tenant of ``archive`` (a `TenantArchive`, or its path/URL), optionally
    under a new ``external_id`` / ``display_name``. Raises `RestoreRefused` (see the module's
    rules) or the planner's errors before anything is sent; a failed write lands in the report.
    """
    from activepieces_core.tenants.engine import aapply
    from activepieces_core.tenants.planner import aplan

    source = "" if isinstance(archive, TenantArchive) else os.fspath(archive)
    if not isinstance(archive, TenantArchive):
        archive = read_archive(archive)
    row = dict(archive.tenant)
    if external_id is not None:
        row["external_id"] = external_id
    if display_name is not None:
        row["display_name"] = display_name
    async with async_client(client) as ac:
        document = await _document(ac, archive, row)
        tenant_plan: Plan = await aplan(ac, document, concurrency=concurrency)
        project = next(c for c in tenant_plan.changes if c.kind == "project")
        live = project.action != "create"
        overwrites = [c for c in tenant_plan.changes if _overwrites(c)]
        if live and overwrites and not replace_existing:
            raise RestoreRefused(project.external_id, [f"{c.action} {c.label}" for c in overwrites])
        report = await aapply(
            ac, tenant_plan, concurrency=concurrency, check_stale=False, archive=None
        )
        project_id = next(
            (r.project_id for r in report.results if r.kind == "project" and r.project_id),
            project.project_id,
        )
        awaiting: list[str] = []
        if project_id is not None and archive.project_state.connections:
            archived = {c.external_id for c in archive.project_state.connections}
            rows = await ac.app_connections.list(project_id, scope="PROJECT")
            awaiting = sorted(
                r.external_id
                for r in rows
                if r.external_id in archived and (r.status or "").upper() != "ACTIVE"
            )
    if not live:
        action = "created"
    elif not tenant_plan.has_changes:
        action = "unchanged"
    else:
        action = "replaced" if overwrites else "completed"
    return RestoreResult(
        external_id=project.external_id,
        project_id=project_id,
        action=action,
        report=report,
        connections_awaiting_authorization=awaiting,
        source=source,
    )


restore = blocking(arestore, "Sync `arestore`: bring a tenant back from its archive.")
