"""Exceptions raised by the flows once every tenant has been attempted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["TenantFlowError", "TenantSyncError", "TenantTeardownError"]


class TenantFlowError(RuntimeError):
    """Some tenants failed; the others were applied. ``report`` is the flow's full report."""

    def __init__(self, what: str, failed: Sequence[Mapping[str, Any]], report: dict[str, Any]):
        self.report = report
        self.failed_external_ids = [str(r.get("external_id")) for r in failed]
        shown = ", ".join(self.failed_external_ids[:10])
        more = f" and {len(failed) - 10} more" if len(failed) > 10 else ""
        super().__init__(
            f"{what}: {len(failed)} tenant(s) failed ({shown}{more}); "
            "the others were applied, see the report artifact"
        )


class TenantSyncError(TenantFlowError):
    """`sync_tenants` finished with failed tenants."""

    def __init__(self, failed: Sequence[Mapping[str, Any]], report: dict[str, Any]):
        super().__init__("tenant sync", failed, report)


class TenantTeardownError(TenantFlowError):
    """`teardown_tenants` could not delete some tenants."""

    def __init__(self, failed: Sequence[Mapping[str, Any]], report: dict[str, Any]):
        super().__init__("tenant teardown", failed, report)
