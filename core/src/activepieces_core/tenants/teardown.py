"""What a teardown did to each named tenant: ``deleted``, ``missing`` or ``failed``.

The CLI (``tenants teardown``), the Airflow teardown operator and the Prefect teardown flow
report with these rows, so they agree on what counts as done.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from activepieces_core.tenants.results import ApplyReport

__all__ = ["TEARDOWN_STATUSES", "teardown_rows"]

#: Per-tenant teardown statuses, in report order.
TEARDOWN_STATUSES = ("deleted", "missing", "failed")


def teardown_rows(
    external_ids: Sequence[str],
    missing: Sequence[str],
    report: ApplyReport | Mapping[str, Any],
    *,
    missing_ok: bool = True,
) -> list[dict[str, str]]:
    """One ``{"external_id", "project_id", "status", "error"}`` row per tenant, in input order.

    ``missing`` is the teardown plan's (`Plan.missing`), ``report`` its apply report (or the
    report's dict). Status is ``deleted``, ``missing`` (no TEAM project; a failure unless
    ``missing_ok``) or ``failed``. A project gone between the read and the delete (404) counts
    as missing. A tenant whose own piece set or offboarding failed is ``failed`` even if its
    project went (the error names what is left), so that a rerun finishes the job.
    """
    if not isinstance(report, ApplyReport):
        report = ApplyReport.model_validate(dict(report))
    gone = f"no TEAM project has this external id{'' if missing_ok else ' (missing_ok=False)'}"
    absent = {"status": "missing" if missing_ok else "failed", "error": "" if missing_ok else gone}
    outcome: dict[str, dict[str, str]] = {e: dict(absent) for e in missing}
    leftovers: dict[str, list[str]] = {}
    for result in report.results:
        not_found = result.error_type == "NotFoundError"
        if result.kind != "project":
            # A piece set or user found gone already is what a teardown wants.
            if result.status == "failed" and not not_found:
                what = result.kind if result.key is None else f"{result.kind} {result.key}"
                leftovers.setdefault(result.external_id, []).append(
                    f"{what}: {result.error_type}: {result.error}"
                )
            continue
        if result.status == "succeeded":
            row = {"status": "deleted", "error": ""}
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
    return [
        {
            "external_id": external_id,
            "project_id": outcome.get(external_id, unplanned).get("project_id", ""),
            "status": outcome.get(external_id, unplanned)["status"],
            "error": outcome.get(external_id, unplanned)["error"],
        }
        for external_id in dict.fromkeys(external_ids)
    ]
