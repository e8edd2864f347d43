"""The provider's errors, all under core's ``ActivepiecesError`` (API errors come from core as is).

``TenantSyncError`` is core's ``activepieces_core.tenants.TenantSyncError``, re-exported here; it is
loaded on first access because ``activepieces_core.tenants`` imports the whole reconcile engine.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from activepieces_core.errors import ActivepiecesError

if TYPE_CHECKING:
    from activepieces_core.tenants import TenantSyncError

__all__ = [
    "ActivepiecesProviderError",
    "ProjectNotFoundError",
    "ProjectSensorError",
    "TenantSyncError",
]


class ActivepiecesProviderError(ActivepiecesError):
    """Base class of the provider's own errors."""


class ProjectNotFoundError(ActivepiecesProviderError, LookupError):
    """No project with the given id / external id."""

    def __init__(self, *, project_id: str | None = None, external_id: str | None = None) -> None:
        target = f"external id {external_id!r}" if external_id else f"id {project_id!r}"
        super().__init__(f"no Activepieces project with {target}")
        self.project_id = project_id
        self.external_id = external_id

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments: pickle needs the recipe (as core's errors have).
        return (partial(type(self), project_id=self.project_id, external_id=self.external_id), ())


class ProjectSensorError(ActivepiecesProviderError):
    """The deferred sensor's trigger reported an error."""


def __getattr__(name: str) -> Any:
    if name == "TenantSyncError":
        from activepieces_core.tenants import TenantSyncError

        return TenantSyncError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
