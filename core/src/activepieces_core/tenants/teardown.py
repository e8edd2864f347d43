"""What a teardown did to each named tenant: ``deleted``, ``missing`` or ``failed``.

The CLI (``tenants teardown``), the Airflow teardown operator and the Prefect teardown flow all
report with a `TeardownReport`, so they agree on what counts as done and show the same rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import computed_field

from activepieces_core.errors import InvalidRequestError
from activepieces_core.tenants.results import ApplyReport, Outcome, Plan, TenantSyncError, label

__all__ = [
    "TEARDOWN_STATUSES",
    "TeardownReport",
    "TeardownRow",
    "TeardownStatus",
    "teardown_ids",
]

TeardownStatus = Literal["deleted", "missing", "failed"]
#: Per-tenant teardown statuses, in report order.
TEARDOWN_STATUSES: tuple[TeardownStatus, ...] = ("deleted", "missing", "failed")


def teardown_ids(external_ids: Iterable[Any]) -> list[str]:
    """The tenants to tear down, once each, in the given order; surrounding blanks stripped.

    Raises `InvalidRequestError` (a ``ValueError``), before any request, when one is blank.
    """
    ids = [str(e).strip() if e is not None else "" for e in external_ids]
    blank = [i for i, e in enumerate(ids) if not e]
    if blank:
        raise InvalidRequestError(
            f"external_ids must not contain blank values (position {', '.join(map(str, blank))})"
        )
    return list(dict.fromkeys(ids))


class TeardownRow(Outcome):
    """One tenant of a teardown: its project (if it had one), its status and what went wrong."""

    external_id: str
    project_id: str = ""
    status: TeardownStatus
    error: str = ""
    #: Where the tenant's archive was written (deleted tenants of an archived teardown).
    archive: str = ""


class TeardownReport(Outcome):
    """Per-tenant outcome of a teardown, in the order the tenants were named.

    ``to_dict()`` is ``{"results": [{"external_id", "project_id", "status", "error",
    "archive"}],
    "warnings": [...], "summary": {"total", "deleted", "missing", "failed"}}``.
    """

    results: list[TeardownRow]
    warnings: list[str] = []

    @computed_field  # type: ignore[prop-decorator]
    @property
    def summary(self) -> dict[str, int]:
        """``total`` and the count of each status (all keys always present)."""
        counts = Counter(r.status for r in self.results)
        return {"total": len(self.results), **{s: counts.get(s, 0) for s in TEARDOWN_STATUSES}}

    @property
    def failed_external_ids(self) -> list[str]:
        """Tenants whose teardown failed (a rerun finishes them)."""
        return [r.external_id for r in self.results if r.status == "failed"]

    def error(self, cls: type[TenantSyncError] = TenantSyncError) -> TenantSyncError | None:
        """The error to raise when a tenant failed (``cls``, carrying this report), else None."""
        failed = self.failed_external_ids
        if not failed:
            return None
        return cls(failed, len(self.results), self.to_dict(), what="tenant teardown")

    @classmethod
    def build(
        cls,
        external_ids: Sequence[str],
        plan: Plan | Mapping[str, Any],
        report: ApplyReport | Mapping[str, Any],
        *,
        missing_ok: bool = True,
        archive: Any = None,
    ) -> TeardownReport:
        """The rows of a teardown of ``external_ids`` planned as ``plan`` and applied as
        ``report`` (either may be its ``to_dict``).

        Status is ``deleted``, ``missing`` (no TEAM project; a failure unless ``missing_ok``)
        or ``failed``. A project gone between the read and the delete (404) counts as
        missing. A tenant whose own piece set or offboarding failed is ``failed`` even if its
        project went (the error names what is left), so that a rerun finishes the job.
        ``archive`` (the `activepieces_core.tenants.archive.ArchiveStore` the apply wrote to) names
        each deleted tenant's archive.
        """
        if not isinstance(report, ApplyReport):
            report = ApplyReport.model_validate(dict(report))
        gone = f"no TEAM project has this external id{'' if missing_ok else ' (missing_ok=False)'}"
        absent: dict[str, str] = (
            {"status": "missing", "error": ""}
            if missing_ok
            else {"status": "failed", "error": gone}
        )
        missing, warnings = (
            (plan.missing, plan.warnings)
            if isinstance(plan, Plan)
            else (plan.get("missing", []), plan.get("warnings", []))
        )
        outcome: dict[str, dict[str, str]] = {e: dict(absent) for e in missing}
        leftovers: dict[str, list[str]] = {}
        for result in report.results:
            not_found = result.error_type == "NotFoundError"
            if result.kind != "project":
                # A piece set or user found gone already is what a teardown wants.
                if result.status == "failed" and not not_found:
                    leftovers.setdefault(result.external_id, []).append(
                        f"{label(result.kind, result.key)}: {result.error_type}: {result.error}"
                    )
                continue
            if result.status == "succeeded":
                row = {"status": "deleted", "error": ""}
                if archive is not None:
                    row["archive"] = archive.location(result.external_id)
            elif not_found:
                row = dict(absent)
            else:
                row = {"status": "failed", "error": f"{result.error_type}: {result.error}"}
            outcome[result.external_id] = {"project_id": result.project_id or "", **row}
        unplanned = {"status": "failed", "error": "not in the teardown plan"}
        for external_id, errors in leftovers.items():
            row = outcome.setdefault(external_id, dict(unplanned))
            row["error"] = "; ".join(e for e in (row["error"], *errors) if e)
            row["status"] = "failed"
        rows = [
            TeardownRow.model_validate(
                {"external_id": external_id, **outcome.get(external_id, unplanned)}
            )
            for external_id in dict.fromkeys(external_ids)
        ]
        return cls(results=rows, warnings=list(warnings))
