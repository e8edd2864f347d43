"""Read one tenant into a `TenantArchive`: its row, its project, its contents (reads only).

Reads, concurrently: the project (``GET /v1/projects/:id``), its contents
(``export_state``: the replace body) and its people (members and waiting invitations); then,
when the project is on a piece set, that set (``tenant:<id>`` -> the row's own ``pieces``; any
other but Default -> ``piece_set`` and the set's definition, so a restore can recreate it).
Global connections are not archived: they belong to the platform and outlive the project.
"""

from __future__ import annotations

import asyncio
from typing import Any

from activepieces_core.archive.format import TenantArchive
from activepieces_core.client import AsyncActivepiecesClient
from activepieces_core.models.piece_set import PieceSelectionMode, PieceSet
from activepieces_core.tenants.export import tenant_row
from activepieces_core.tenants.spec import OWNED_SET_PREFIX

__all__ = ["acapture", "piece_set_row"]


def piece_set_row(piece_set: PieceSet) -> dict[str, Any]:
    """A set as a tenant document declares it (``key``, ``name``, ``allow`` or ``block``)."""
    selection = piece_set.pieces
    mode = "allow" if selection.mode == PieceSelectionMode.EXCLUDE_ALL else "block"
    return {"key": piece_set.key, "name": piece_set.name, mode: list(selection.exceptions)}


async def acapture(
    client: AsyncActivepiecesClient, project_id: str, external_id: str, platform_url: str
) -> TenantArchive:
    """The archive of the tenant ``external_id`` whose project is ``project_id``."""
    project, state, people = await asyncio.gather(
        client.projects.get(project_id),
        client.projects.export_state(project_id),
        client.project_members.people(project_id),
    )
    row, _dropped, _reason = tenant_row(project)
    tenant: dict[str, Any] = row if row is not None else {"external_id": external_id}
    tenant["external_id"] = external_id
    extra: dict[str, Any] = {}
    if project.piece_set_id:
        piece_set = await client.piece_sets.get(project.piece_set_id)
        tenant.pop("pieces", None)
        if piece_set.key == OWNED_SET_PREFIX + external_id:
            declared = piece_set_row(piece_set)
            tenant["pieces"] = declared.get("allow", [])
        elif not piece_set.is_default and piece_set.key:
            tenant["piece_set"] = piece_set.key
            extra["piece_set"] = piece_set_row(piece_set)
    emails = sorted({*people.members, *people.invitations})
    tenant["members"] = [{"email": e, "role": people.role_of(e)} for e in emails]
    return TenantArchive(
        tenant=tenant,
        project=project.to_dict(),
        state=state.to_body(),
        platform_url=platform_url,
        **extra,
    )
