"""Export the platform's TEAM projects as a tenant document that plans as all no-op.

Each TEAM project with an external id becomes one tenant row holding every field the
document manages on projects, read with the same comparison the planner uses
(`activepieces_core.project_diff`), and the row is checked against its project with that very
comparison: a row is only written when planning it would find nothing to change. A field the
document cannot express (say a fractional ``max_concurrent_jobs``) is left out of the row,
which leaves it unmanaged; a project whose display name the document cannot express, or that
has no external id (see ``tenants adopt``), or that shares its external id with a project the
planner manages instead, is left out and reported.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from activepieces_core.constants import DEFAULT_PAGE_SIZE
from activepieces_core.models import Project, ProjectType
from activepieces_core.project_diff import MANAGED_FIELDS
from activepieces_core.tenants._runner import AnyClient, async_client, blocking
from activepieces_core.tenants.diff import diff_project
from activepieces_core.tenants.spec import TenantSpec

__all__ = ["Export", "LeftOut", "aexport_tenants", "export_tenants", "tenant_row"]


@dataclass(frozen=True)
class LeftOut:
    """A TEAM project the document does not cover, and why (or a field it leaves unmanaged)."""

    project_id: str
    display_name: str
    reason: str
    external_id: str | None = None
    #: True when ``plan --prune`` of the exported document would delete this project.
    prunable: bool = False


@dataclass
class Export:
    """``document`` (``{"defaults": {...}, "tenants": [...]}``, rows sorted by external id, a
    value most rows share under ``defaults``) and what was left out.

    ``unmanaged`` lists fields dropped from rows because the document cannot express their
    value (one entry per project and field); those fields stay as they are on apply.
    """

    document: dict[str, Any]
    left_out: list[LeftOut] = field(default_factory=list)
    unmanaged: list[LeftOut] = field(default_factory=list)
    read_requests: int = 0

    @property
    def tenants(self) -> list[dict[str, Any]]:
        """The exported rows."""
        rows: list[dict[str, Any]] = self.document["tenants"]
        return rows


def _raw_row(project: Project) -> dict[str, Any]:
    row: dict[str, Any] = {"external_id": project.external_id}
    for name, managed in MANAGED_FIELDS.items():
        if name not in TenantSpec.model_fields:
            continue  # a field the document has no column for is not managed by it
        value = managed.read(project)
        if value is not None or name == "pieces":  # pieces None = every piece (managed)
            row[name] = value
    return row


def tenant_row(project: Project) -> tuple[dict[str, Any] | None, list[str], str | None]:
    """The tenant row of ``project``: ``(row, dropped fields, reason it cannot be exported)``.

    The row plans as a no-op against ``project``; ``row`` is None with a reason otherwise.
    """
    row = _raw_row(project)
    dropped: list[str] = []
    for _ in range(len(row) + 1):  # each round drops at least one field, or ends
        try:
            spec = TenantSpec.model_validate(row)
        except ValidationError as exc:
            bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        else:
            bad = set(diff_project(spec, project))
            if not bad:
                return spec.to_dict(), dropped, None
        if not bad or "display_name" in bad or "external_id" in bad:
            return None, dropped, "its display name cannot be written in a tenant document"
        if "pieces" in bad:  # always managed: leaving it out would mean "every piece"
            return None, dropped, "its piece list cannot be written in a tenant document"
        for name in sorted(bad):
            row.pop(name, None)
            dropped.append(name)
    return None, dropped, "no tenant row plans as unchanged"  # pragma: no cover - bounded


async def aexport_tenants(
    client: AnyClient,
    *,
    types: Sequence[str] = ("TEAM",),
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Export:
    """Read every TEAM project and return the tenant document describing them (reads only).

    ``types`` must be ``("TEAM",)``: PERSONAL projects belong to users and are never tenants.
    """
    wanted = {str(t).upper() for t in types}
    if wanted != {"TEAM"}:
        raise ValueError("only TEAM projects are tenants (PERSONAL projects belong to users)")
    projects: list[Project] = []
    async with async_client(client) as ac:
        async for project in ac.projects.iter(types=[ProjectType.TEAM], limit=page_size):
            if project.is_team:
                projects.append(project)
    export = Export(document={"tenants": []}, read_requests=max(1, -(-len(projects) // page_size)))
    claimed: dict[str, str] = {}
    for project in sorted(projects, key=lambda p: p.id):  # the planner manages the lowest id
        ext = project.external_id
        if not ext:
            export.left_out.append(
                LeftOut(project.id, project.display_name, "no external id (see tenants adopt)")
            )
            continue
        if ext in claimed:
            twin = f"external id also on {claimed[ext]}, which the document manages"
            export.left_out.append(LeftOut(project.id, project.display_name, twin, ext))
            continue
        row, dropped, reason = tenant_row(project)
        if row is None:
            why = reason or "not exportable"
            export.left_out.append(LeftOut(project.id, project.display_name, why, ext, True))
            continue
        claimed[ext] = project.id
        export.tenants.append(row)
        for name in dropped:
            export.unmanaged.append(
                LeftOut(project.id, project.display_name, f"{name} left unmanaged", ext)
            )
    export.tenants.sort(key=lambda r: str(r["external_id"]))
    _factor_defaults(export.document)
    return export


_NEVER_DEFAULTS = ("external_id", "display_name")


def _factor_defaults(document: dict[str, Any]) -> None:
    """Move a value most rows share into ``defaults`` (rows keep only what differs).

    Only fields every row sets are factored: the loader merges ``defaults`` under each row,
    so a default for a field some row leaves unmanaged would start managing it there.
    """
    rows: list[dict[str, Any]] = document["tenants"]
    if len(rows) < 2:
        return
    defaults: dict[str, Any] = {}
    for name in rows[0]:
        if name in _NEVER_DEFAULTS or not all(name in row for row in rows):
            continue
        counts: dict[str, tuple[int, Any]] = {}
        for row in rows:
            key = json.dumps(row[name], sort_keys=True)
            counts[key] = (counts.get(key, (0, None))[0] + 1, row[name])
        count, value = max(counts.values(), key=lambda item: item[0])
        if count * 2 > len(rows):
            defaults[name] = value
    if not defaults:
        return
    for row in rows:
        for name, value in defaults.items():
            if row[name] == value:
                del row[name]
    document.clear()
    document.update({"defaults": defaults, "tenants": rows})


export_tenants = blocking(aexport_tenants, "Sync `aexport_tenants`: the platform as a document.")
