"""Turn plans and reports into Prefect artifacts: a table per step plus a markdown summary.

What they say is core's (`activepieces_core.tenants.views`: headline, counts per kind, rows);
this module only lays it out as Prefect artifacts. The markdown builders are pure (tested
without a server); ``publish_*`` create the artifacts in the current flow or task run. Nothing secret reaches them: plans and reports hold
project data, piece-set keys, e-mails and role names, and error messages; core never puts the
API key or an invitation link in any of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from activepieces_core.tenants.archive import ARCHIVE_REQUIRED
from activepieces_core.tenants.views import View, plan_view, report_view, teardown_view

__all__ = [
    "DEFAULT_KEY",
    "REVIEW_SHOWN",
    "check_key",
    "contents_rows",
    "onboard_markdown",
    "publish_contents",
    "publish_onboard",
    "publish_plan",
    "publish_report",
    "publish_restore",
    "publish_teardown",
    "restore_markdown",
    "review_markdown",
    "summary_markdown",
    "teardown_markdown",
]

DEFAULT_KEY = "activepieces-tenants"
_KEY = re.compile(r"^[a-z0-9-]+$")
REVIEW_SHOWN = 20
"""How many changes the review form lists (the ``-plan`` artifact has them all)."""


def check_key(key: str) -> str:
    """Validate an artifact key prefix (Prefect allows lowercase letters, digits and dashes)."""
    if not _KEY.match(key):
        raise ValueError(f"artifact key {key!r}: use only lowercase letters, digits and dashes")
    return key


def _description(view: View) -> str:
    """A table artifact's description: core's headline and its per-kind counts."""
    return " ".join([view.headline, *(f"{line}." for line in view.kind_lines)])


def _review_line(review: Mapping[str, Any] | None) -> list[str]:
    if not review:
        return []
    verdict = "Approved" if review.get("decision") == "approve" else "Rejected"
    comment = f": {review['comment']}" if review.get("comment") else ""
    return [f"**{verdict}** by the reviewer{comment}", ""]


def summary_markdown(
    plan: Mapping[str, Any],
    report: Mapping[str, Any] | None,
    error: str | None = None,
    review: Mapping[str, Any] | None = None,
    key: str = DEFAULT_KEY,
) -> str:
    """Markdown summary: core's plan counts, the review, the outcome counts and every failure.

    ``report`` is None when the plan was not applied; ``error`` then says why. ``review`` is
    the reviewer's decision (``{"decision", "comment"}``) when the run asked for one.
    """
    lines = ["# Activepieces tenant sync", ""]
    if report is not None and report.get("dry_run"):
        lines += ["**Dry run**: nothing was changed.", ""]
    lines += [plan_view(plan, max_rows=0).markdown(f"the artifact `{key}-plan`", heading="##")]
    lines += _review_line(review)
    if report is None:
        lines += [f"**Not applied**: {error or 'stopped before applying'}"]
    else:
        where = f"the artifact `{key}-report`"
        lines += [report_view(report, max_rows=0).markdown(where, heading="##")]
    return "\n".join(lines).rstrip("\n") + "\n"


def review_markdown(plan: Mapping[str, Any], key: str = DEFAULT_KEY) -> str:
    """What the reviewer reads in the resume form: the counts and the first changes."""
    view = plan_view(plan, max_rows=REVIEW_SHOWN)
    lines = [
        view.markdown(f"the artifact `{key}-plan`", heading="#").replace(
            "# Activepieces tenant plan", "# Review the Activepieces tenant plan", 1
        ),
        "Approve to apply exactly this plan (it is refused if the platform changed since); "
        "reject to cancel the run with nothing applied.",
    ]
    return "\n".join(lines) + "\n"


def teardown_markdown(report: Mapping[str, Any]) -> str:
    """Markdown summary of a teardown (core's `teardown_view`)."""
    return teardown_view(report).markdown(heading="#")


def publish_plan(
    plan: Mapping[str, Any], key: str = DEFAULT_KEY, *, archive: Any = ARCHIVE_REQUIRED
) -> None:
    """Table artifact ``<key>-plan``: every change (core's `plan_view` rows); each project
    delete says where its archive goes (``archive``: core's archive target)."""
    view = plan_view(plan, archive=archive)
    create_table_artifact(
        table=view.records(), key=f"{check_key(key)}-plan", description=_description(view)
    )


def publish_report(
    plan: Mapping[str, Any],
    report: Mapping[str, Any] | None,
    key: str = DEFAULT_KEY,
    error: str | None = None,
    review: Mapping[str, Any] | None = None,
) -> None:
    """Table artifact ``<key>-report`` and markdown ``<key>-summary``.

    ``report`` is None when the plan was refused or rejected before any write (``error`` says
    why): the report then lists every planned change as ``not applied``, so the latest
    ``-report`` is always this run's.
    """
    check_key(key)
    if report is None:
        rows = [{**row, "status": "not applied"} for row in plan_view(plan).records()]
        description = f"Not applied: {error or 'stopped before applying'}"
    else:
        view = report_view(report)
        rows, description = view.records(), _description(view)
    create_table_artifact(table=rows, key=f"{key}-report", description=description)
    create_markdown_artifact(
        markdown=summary_markdown(plan, report, error, review, key),
        key=f"{key}-summary",
        description="Activepieces tenant sync summary.",
    )


def onboard_markdown(external_id: str, result: Mapping[str, Any]) -> str:
    """Markdown record of one `onboard_tenant` run."""
    project = result.get("project", {})
    return (
        f"# Tenant `{external_id}`\n\nProject **{project.get('displayName')}** "
        f"(`{project.get('id')}`): {result.get('action')}.\n"
    )


def publish_onboard(external_id: str, result: Mapping[str, Any], key: str = DEFAULT_KEY) -> None:
    """Markdown artifact ``<key>-onboard``: one version per onboarding, listed under Artifacts."""
    create_markdown_artifact(
        markdown=onboard_markdown(external_id, result),
        key=f"{check_key(key)}-onboard",
        description=f"Onboarding of tenant {external_id}.",
    )


def publish_teardown(report: Mapping[str, Any], key: str = DEFAULT_KEY) -> None:
    """Table artifact ``<key>-teardown`` and markdown ``<key>-teardown-summary``."""
    check_key(key)
    view = teardown_view(report)
    create_table_artifact(table=view.records(), key=f"{key}-teardown", description=view.headline)
    create_markdown_artifact(
        markdown=teardown_markdown(report),
        key=f"{key}-teardown-summary",
        description="Activepieces tenant teardown summary.",
    )


def restore_markdown(result: Mapping[str, Any]) -> str:
    """Markdown record of a restore (`restore_archive`'s result): what came back, from where,
    the connections awaiting authorisation again, then core's report view."""
    lines = [
        f"# Tenant `{result.get('external_id')}` restored",
        "",
        f"Project `{result.get('project_id')}`: {result.get('action')}, from "
        f"`{result.get('source') or 'an archive'}`.",
        "",
    ]
    awaiting = result.get("connections_awaiting_authorization") or []
    if awaiting:
        lines += [
            "Connections awaiting authorisation again: " + ", ".join(f"`{c}`" for c in awaiting),
            "",
        ]
    lines += [report_view(result.get("report") or {}).markdown(heading="##")]
    return "\n".join(lines).rstrip("\n") + "\n"


def publish_restore(result: Mapping[str, Any], key: str = DEFAULT_KEY) -> None:
    """Markdown artifact ``<key>-restore``: one version per restore."""
    create_markdown_artifact(
        markdown=restore_markdown(result),
        key=f"{check_key(key)}-restore",
        description=f"Restore of tenant {result.get('external_id')}.",
    )


_CONTENT_KINDS = ("flows", "tables", "folders")


def contents_rows(outcomes: Mapping[str, Mapping[str, Any]]) -> list[dict[str, str]]:
    """One row per target project of a contents copy: the replace's counts per kind
    (``created/updated/deleted/unchanged``), its HTTP status, and what failed.

    ``outcomes`` maps each target's external id to `replace_project_state`'s result, or to
    ``{"error": "..."}`` when the replace raised. Failures first.
    """
    rows = []
    for external_id, outcome in outcomes.items():
        applied = outcome.get("applied") or {}
        failed = outcome.get("failed") or []
        error = outcome.get("error") or "; ".join(
            f"{i.get('kind')} {i.get('externalId')} ({i.get('op')}): {i.get('error')}"
            for i in failed
        )
        row = {
            "external_id": external_id,
            "project_id": str(outcome.get("projectId") or ""),
            "status": "failed" if error else "replaced",
        }
        for kind in _CONTENT_KINDS:
            row[kind] = (
                ""
                if "error" in outcome
                else "/".join(
                    str(applied.get(f"{kind}{word}", 0))
                    for word in ("Created", "Updated", "Deleted", "Unchanged")
                )
            )
        rows.append({**row, "error": error})
    return sorted(rows, key=lambda r: r["status"] != "failed")


def publish_contents(
    source: str, outcomes: Mapping[str, Mapping[str, Any]], key: str = DEFAULT_KEY
) -> None:
    """Table artifact ``<key>-contents``: what each target's replace did (`contents_rows`)."""
    rows = contents_rows(outcomes)
    failed = sum(1 for r in rows if r["status"] == "failed")
    create_table_artifact(
        table=rows,
        key=f"{check_key(key)}-contents",
        description=f"Contents of {source} copied into {len(rows) - failed} of {len(rows)} "
        "project(s); counts per kind are created/updated/deleted/unchanged.",
    )
