"""The engine's archive step: before a tenant's project is deleted, its archive is written and
verified (`ArchiveStore.write`); a failure raises, so the delete is never sent and the tenant
is reported failed with the reason (the project kind calls `Archiver.archive`, the one place
a tenant project is deleted).

`resolve_archiver` turns an entry point's ``archive`` argument into an `Archiver`: a location
(path, URL or `ArchiveStore`), ``None`` (spelled out: delete without archives) or, when not
given at all, `ARCHIVE_REQUIRED`, which refuses a plan that deletes a tenant project
(`ArchiveRequiredError`, before anything is sent).
"""

from __future__ import annotations

import asyncio
import os
from enum import Enum
from typing import TYPE_CHECKING, Literal, TypeAlias

from activepieces_core.errors import InvalidRequestError

if TYPE_CHECKING:
    from activepieces_core.client import AsyncActivepiecesClient
    from activepieces_core.models import Project
    from activepieces_core.tenants.archive.store import ArchiveStore, ArchiveWritten
    from activepieces_core.tenants.results import Plan

__all__ = [
    "ARCHIVE_REQUIRED",
    "ArchiveRequiredError",
    "ArchiveTarget",
    "Archiver",
    "deleted_tenants",
    "resolve_archiver",
    "store_of",
]


class _Required(Enum):
    ARCHIVE_REQUIRED = "ARCHIVE_REQUIRED"

    def __repr__(self) -> str:
        return "ARCHIVE_REQUIRED"


#: The default of every ``archive`` argument: say where archives go, or ``None``.
ARCHIVE_REQUIRED = _Required.ARCHIVE_REQUIRED
#: What an entry point's ``archive`` takes.
ArchiveTarget: TypeAlias = (
    "str | os.PathLike[str] | ArchiveStore | Literal[_Required.ARCHIVE_REQUIRED] | None"
)


class ArchiveRequiredError(InvalidRequestError):
    """A plan deletes tenant projects and no archive location was given; nothing was sent.

    Give one (``archive="archives/"``, ``--archive DIR|URL``) or skip archives explicitly
    (``archive=None``, ``--no-archive``)."""

    def __init__(self, tenants: list[str]) -> None:
        self.external_ids = tenants
        shown = ", ".join(tenants[:10]) + (" ..." if len(tenants) > 10 else "")
        super().__init__(
            f"the plan deletes {len(tenants)} tenant project(s) ({shown}) and no archive "
            "location was given: pass archive=DIR|URL (--archive), or archive=None "
            "(--no-archive) to delete without archives; nothing was sent"
        )


def deleted_tenants(plan: Plan) -> list[str]:
    """The tenants whose project ``plan`` deletes, in plan order."""
    return [c.external_id for c in plan.changes if c.kind == "project" and c.action == "delete"]


def store_of(archive: ArchiveTarget) -> ArchiveStore | None:
    """The store an ``archive`` argument names (None for None or `ARCHIVE_REQUIRED`)."""
    from activepieces_core.tenants.archive.store import ArchiveStore

    if archive is None or archive is ARCHIVE_REQUIRED:
        return None
    if isinstance(archive, ArchiveStore):
        return archive
    return ArchiveStore(archive)


class Archiver:
    """Writes the archive of each tenant whose project an apply deletes; ``tenants`` (how many
    it deletes) decides how what they share is read (`PlatformReads`)."""

    def __init__(self, store: ArchiveStore, platform_url: str, tenants: int = 1) -> None:
        from activepieces_core.tenants.archive.shared import PlatformReads

        self.store = store
        self.platform_url = platform_url
        self.shared = PlatformReads(tenants)
        self.written: dict[str, ArchiveWritten] = {}

    async def archive(
        self,
        client: AsyncActivepiecesClient,
        project_id: str,
        external_id: str,
        *,
        project: Project | None = None,
    ) -> ArchiveWritten:
        """Read the tenant (``project``: its project as the plan read it), write its archive,
        read it back and verify it; raises otherwise."""
        from activepieces_core.tenants.archive.capture import acapture

        archive = await acapture(
            client, project_id, external_id, self.platform_url, project=project, shared=self.shared
        )
        # File I/O off the event loop: other tenants' requests go on meanwhile.
        written = await asyncio.to_thread(self.store.write, archive)
        self.written[external_id] = written
        return written


def resolve_archiver(
    archive: ArchiveTarget, plan: Plan, platform_url: str, *, dry_run: bool = False
) -> Archiver | None:
    """The `Archiver` an apply of ``plan`` uses; `ArchiveRequiredError` when the plan deletes
    tenant projects and ``archive`` was not given."""
    if archive is ARCHIVE_REQUIRED:
        going = deleted_tenants(plan)
        if going and not dry_run:
            raise ArchiveRequiredError(going)
        return None
    store = store_of(archive)
    return None if store is None else Archiver(store, platform_url, len(deleted_tenants(plan)))
