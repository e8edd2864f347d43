"""Read one tenant into a `TenantArchive`: its row, its project, its contents (reads only).

Reads, concurrently: its contents (flows, folders, tables with their fields, connections: the
replace body, `export_async`), its people (members and waiting invitations) and, when the
project is on a piece set, that set (``tenant:<id>`` -> the row's own ``pieces``; any other
but Default -> ``piece_set`` and the set's definition, so a restore can recreate it). The
project itself is read too (``GET /v1/projects/:id``) unless the caller has it: a delete's
archive uses the project its plan read. What is the same for every tenant of an apply (the
server's version, the platform's member and invitation listings, named piece sets) comes from
`PlatformReads`, read once; without one, everything is read for this tenant alone.
Global connections are not archived: they belong to the platform and outlive the project.
"""

from __future__ import annotations

import asyncio
from typing import Any

from activepieces_core.client import AsyncActivepiecesClient
from activepieces_core.models import Project
from activepieces_core.models.piece_set import PieceSelectionMode, PieceSet
from activepieces_core.resources.contents.export import export_async
from activepieces_core.tenants.archive.format import TenantArchive
from activepieces_core.tenants.archive.shared import PlatformReads
from activepieces_core.tenants.export import tenant_row
from activepieces_core.tenants.spec import OWNED_SET_PREFIX

__all__ = ["acapture", "piece_set_row"]


def piece_set_row(piece_set: PieceSet) -> dict[str, Any]:
    """A set as a tenant document declares it (``key``, ``name``, ``allow`` or ``block``)."""
    selection = piece_set.pieces
    mode = "allow" if selection.mode == PieceSelectionMode.EXCLUDE_ALL else "block"
    return {"key": piece_set.key, "name": piece_set.name, mode: list(selection.exceptions)}


async def acapture(
    client: AsyncActivepiecesClient,
    project_id: str,
    external_id: str,
    platform_url: str,
    *,
    project: Project | None = None,
    shared: PlatformReads | None = None,
) -> TenantArchive:
    """The archive of the tenant ``external_id`` whose project is ``project_id`` (``project``:
    that project as already read; ``shared``: the reads an apply's archives share).

    Its reads go one at a time: the engine runs a capture inside one of its ``concurrency``
    slots, so one request in flight per capture keeps the apply within its budget of requests
    in flight (the orchestrators' pools and limits count on it, docs/scale-out.md)."""
    reads = shared if shared is not None else PlatformReads(tenants=1)
    found = project if project is not None else await client.projects.get(project_id)
    piece_set = None
    if found.piece_set_id:
        piece_set = await reads.piece_set(client, found.piece_set_id)
    version = await reads.version(client)
    one_at_a_time = asyncio.Semaphore(1)
    state = await export_async(client.projects, project_id, version=version, gate=one_at_a_time)
    people = await reads.people(client, project_id)
    row, _dropped, _reason = tenant_row(found)
    tenant: dict[str, Any] = row if row is not None else {"external_id": external_id}
    tenant["external_id"] = external_id
    extra: dict[str, Any] = {}
    if piece_set is not None:
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
        project=found.to_dict(),
        # Not copied: this state was just read and is held by nobody else, and the archive
        # is dumped to fresh JSON when written.
        state=state.to_body(copy_flows=False),
        platform_url=platform_url,
        **extra,
    )
