"""The provider's errors, all under core's ``ActivepiecesError`` (API errors come from core as is).

``TenantSyncError`` is core's ``activepieces_core.tenants.TenantSyncError``, re-exported here; it is
loaded on first access because ``activepieces_core.tenants`` imports the whole reconcile engine.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException

from activepieces_core.errors import ActivepiecesError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from activepieces_core.models.contents import FailedItem
    from activepieces_core.tenants import TenantSyncError

__all__ = [
    "ActivepiecesProviderError",
    "HITLUnavailableError",
    "InvalidArgumentError",
    "MemberNotFoundError",
    "PieceSetNotFoundError",
    "PieceSetsNotEnabledError",
    "ProjectNotFoundError",
    "ProjectSensorError",
    "ReplaceItemsFailedError",
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


class MemberNotFoundError(ActivepiecesProviderError, LookupError):
    """The person is neither a member of the project nor invited to it."""

    def __init__(self, email: str, project_id: str) -> None:
        super().__init__(f"{email} is not in project {project_id} (no membership, no invitation)")
        self.email = email
        self.project_id = project_id

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.email, self.project_id))


class PieceSetNotFoundError(ActivepiecesProviderError, LookupError):
    """No piece set with the given key / id."""

    def __init__(self, *, key: str | None = None, piece_set_id: str | None = None) -> None:
        target = f"key {key!r}" if key else f"id {piece_set_id!r}"
        super().__init__(f"no Activepieces piece set with {target}")
        self.key = key
        self.piece_set_id = piece_set_id

    def __reduce__(self) -> tuple[Any, ...]:
        return (partial(type(self), key=self.key, piece_set_id=self.piece_set_id), ())


class PieceSetsNotEnabledError(ActivepiecesProviderError):
    """The platform answered FEATURE_DISABLED to a piece-set call: its plan has no
    ``managePiecesEnabled``, so projects' pieces come from their project plan instead."""


class ProjectSensorError(ActivepiecesProviderError):
    """The deferred sensor's trigger reported an error."""


class ReplaceItemsFailedError(ActivepiecesProviderError):
    """A replace answered 207: the server applied the rest but not these items (``failed``,
    core's `FailedItem`: kind, external id, op, the server's error)."""

    def __init__(self, project_id: str, failed: Sequence[FailedItem]) -> None:
        items = "; ".join(f"{i.kind} {i.external_id} ({i.op}): {i.error}" for i in failed)
        super().__init__(
            f"replace of project {project_id}: {len(failed)} item(s) not applied: {items}"
        )
        self.project_id = project_id
        self.failed = list(failed)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.project_id, self.failed))


class InvalidArgumentError(ActivepiecesProviderError, AirflowFailException, ValueError):
    """An operator's argument (typically a rendered template: ``"{{ params.prune }}"``) that is
    not a value of its kind. Raised before any request; the task fails without retries (a
    retry renders the same text)."""


class HITLUnavailableError(ActivepiecesProviderError, RuntimeError):
    """Airflow's human-in-the-loop operators are not installed (they need Airflow 3.1+ and
    ``apache-airflow-providers-standard`` with ``operators.hitl``)."""


def __getattr__(name: str) -> Any:
    if name == "TenantSyncError":
        from activepieces_core.tenants import TenantSyncError

        return TenantSyncError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
