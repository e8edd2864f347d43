"""Exceptions raised by the flows once every tenant has been attempted.

They are core's: `TenantSyncError` is ``activepieces_core.tenants.TenantSyncError`` (an
``ActivepiecesError``), so one ``except`` catches a failed sync from Airflow, Prefect or the
engine alike; `TenantTeardownError` is a subclass of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from activepieces_core.tenants import TenantSyncError

__all__ = ["TenantFlowError", "TenantSyncError", "TenantTeardownError"]

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
