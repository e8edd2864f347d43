"""Provider-specific errors (API errors come from ``activepieces_core.errors`` unchanged)."""

from __future__ import annotations


class ActivepiecesProviderError(Exception):
    """Base class of the provider's own errors."""


class ProjectNotFoundError(ActivepiecesProviderError, LookupError):
    """No project with the given id / external id."""

    def __init__(self, *, project_id: str | None = None, external_id: str | None = None) -> None:
        target = f"external id {external_id!r}" if external_id else f"id {project_id!r}"
        super().__init__(f"no Activepieces project with {target}")
        self.project_id = project_id
        self.external_id = external_id


class TenantSyncError(ActivepiecesProviderError):
    """Some tenants failed to reconcile (the others were applied)."""

    def __init__(self, failed: list[str], total: int) -> None:
        shown = ", ".join(failed[:10]) + (" ..." if len(failed) > 10 else "")
        super().__init__(f"{len(failed)} of {total} tenants failed: {shown}")
        self.failed = failed


class ProjectSensorError(ActivepiecesProviderError):
    """The deferred sensor's trigger reported an error."""
