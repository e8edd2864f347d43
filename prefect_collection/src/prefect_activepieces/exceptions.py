"""Exceptions raised by the flows.

The failure ones are core's: `TenantSyncError` is ``activepieces_core.tenants.TenantSyncError``
(an ``ActivepiecesError``), so one ``except`` catches a failed sync from Airflow, Prefect or the
engine alike; `TenantTeardownError` is a subclass of it. `PlanRejectedError` is what a run
cancelled by its reviewer carries (also an ``ActivepiecesError``). `ReplaceItemsFailedError` is
a replace the server answered 207 (some items not applied).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from activepieces_core.errors import ActivepiecesError
from activepieces_core.tenants import TenantSyncError

__all__ = [
    "PlanRejectedError",
    "ReplaceItemsFailedError",
    "TenantFlowError",
    "TenantSyncError",
    "TenantTeardownError",
]

TenantFlowError = TenantSyncError
"""Base of both flow errors (an alias kept for code that catches it)."""


class TenantTeardownError(TenantSyncError):
    """`teardown_tenants` could not delete some tenants; the others were deleted.

    ``failed_external_ids``, ``total`` and ``report`` (the flow's report dict) as in
    `TenantSyncError`.
    """

    def __init__(
        self,
        failed_external_ids: Sequence[str],
        total: int,
        report: Mapping[str, Any] | None = None,
        *,
        what: str = "tenant teardown",
    ) -> None:
        super().__init__(failed_external_ids, total, report, what=what)


class PlanRejectedError(ActivepiecesError):
    """The reviewer rejected the tenant plan; nothing was applied.

    Carried by the Cancelled state of a `sync_tenants` run with ``require_approval``: calling
    the flow raises it, ``state.result(raise_on_failure=False)`` returns it. ``comment`` is the
    reviewer's comment, ``plan`` the saved plan that was rejected (``Plan.to_dict()``).
    """

    def __init__(self, comment: str = "", plan: Mapping[str, Any] | None = None) -> None:
        self.comment = comment
        self.plan: dict[str, Any] = dict(plan or {})
        said = f": {comment}" if comment else " (no comment)"
        super().__init__(f"the tenant plan was rejected by the reviewer{said}; nothing was applied")

    def __reduce__(self) -> tuple[Any, ...]:
        # Prefect may pickle a state's data (persisted results): rebuild from the fields.
        return (type(self), (self.comment, self.plan))


class ReplaceItemsFailedError(ActivepiecesError):
    """A replace answered 207: the server applied the rest, but not the ``failed`` items.

    ``project_id`` is the project, ``result`` the whole answer (what `replace_project_state`
    would have returned: ``applied`` counts, ``failed`` items ``{kind, externalId, op,
    error}``). Running the replace again resends the same body (replace is idempotent).
    """

    def __init__(self, project_id: str, result: Mapping[str, Any]) -> None:
        self.project_id = project_id
        self.result: dict[str, Any] = dict(result)
        failed = [i for i in self.result.get("failed") or [] if isinstance(i, Mapping)]
        items = "; ".join(
            f"{i.get('kind')} {i.get('externalId')} ({i.get('op')}): {i.get('error')}"
            for i in failed
        )
        super().__init__(
            f"replace of project {project_id}: {len(failed)} item(s) not applied, the rest "
            f"was: {items}"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.project_id, self.result))
