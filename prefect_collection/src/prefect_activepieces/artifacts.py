"""Turn plans and reports into Prefect artifacts: a table per step plus a markdown summary.

The row and markdown builders are pure (tested without a server); ``publish_*`` create the
artifacts in the current flow or task run. Nothing secret reaches them: plans and reports hold
project data and error messages, and core error messages never contain the API key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact

__all__ = [
    "DEFAULT_KEY",
    "check_key",
    "onboard_markdown",
    "plan_rows",
    "publish_onboard",
    "publish_plan",
    "publish_report",
    "publish_teardown",
    "report_rows",
    "summary_markdown",
    "teardown_markdown",
]

DEFAULT_KEY = "activepieces-tenants"
_KEY = re.compile(r"^[a-z0-9-]+$")
_MAX_VALUE = 60


def check_key(key: str) -> str:
    """Validate an artifact key prefix (Prefect allows lowercase letters, digits and dashes)."""
    if not _KEY.match(key):
        raise ValueError(f"artifact key {key!r}: use only lowercase letters, digits and dashes")
    return key


def _short(value: Any, field: str) -> str:
    if value is None:
        # A diff's None is "not set", except for pieces, where it means every piece is allowed.
        text = "all" if field == "pieces" else "(not set)"
    else:
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def plan_rows(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per changed field (``field``, ``from``, ``to``); one row for a delete or no-op.

    A field per row keeps every cell short enough to read in the UI's table. A create's old
    value is ``(new)``.
    """
    rows = []
    for change in plan.get("changes", []):
        base = {
            "external_id": change["external_id"],
            "action": change["action"],
            "project_id": change.get("project_id") or "",
        }
        diff: Mapping[str, Mapping[str, Any]] = change.get("diff") or {}
        if not diff:
            rows.append({**base, "field": "", "from": "", "to": ""})
        for field, values in diff.items():
            old = "(new)" if change["action"] == "create" else _short(values.get("from"), field)
            rows.append(
                {**base, "field": field, "from": old, "to": _short(values.get("to"), field)}
            )
    return rows


def report_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per tenant result."""
    return [
        {
            "external_id": r["external_id"],
            "action": r["action"],
            "status": r["status"],
            "project_id": r.get("project_id") or "",
            "error": r.get("error") or "",
        }
        for r in report.get("results", [])
    ]


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines


def _failures(report: Mapping[str, Any], columns: Sequence[str]) -> list[str]:
    """A "Failed tenants" section (empty when nothing failed)."""
    failed = [r for r in report.get("results", []) if r.get("status") == "failed"]
    if not failed:
        return []
    rows = [[r.get(c) or "" for c in columns] for r in failed]
    return ["", "## Failed tenants", "", *_table(columns, rows)]


def summary_markdown(
    plan: Mapping[str, Any], report: Mapping[str, Any] | None, error: str | None = None
) -> str:
    """Markdown summary: planned actions, outcomes, failures, warnings.

    ``report`` is None when the plan was not applied; ``error`` then says why.
    """
    planned = plan.get("summary", {})
    lines = ["# Activepieces tenant sync", ""]
    if report is not None and report.get("dry_run"):
        lines += ["**Dry run**: nothing was changed.", ""]
    lines += _table(
        ["create", "update", "delete", "unchanged"],
        [[planned.get(a, 0) for a in ("create", "update", "delete", "noop")]],
    )
    if plan.get("protected"):
        lines += ["", "Protected from pruning: " + ", ".join(map(str, plan["protected"]))]
    for warning in plan.get("warnings", []):
        lines += ["", f"> Warning: {warning}"]
    if report is None:
        lines += ["", f"**Not applied**: {error or 'stopped before applying'}"]
        return "\n".join(lines) + "\n"
    outcome = report.get("summary", {})
    lines += [""]
    lines += _table(
        ["succeeded", "failed", "skipped", "planned", "seconds"],
        [
            [
                *(outcome.get(s, 0) for s in ("succeeded", "failed", "skipped", "planned")),
                report.get("duration_seconds", 0),
            ]
        ],
    )
    lines += _failures(report, ["external_id", "action", "error"])
    return "\n".join(lines) + "\n"


def teardown_markdown(report: Mapping[str, Any]) -> str:
    """Markdown summary of a teardown."""
    counts = report.get("summary", {})
    lines = ["# Activepieces tenant teardown", ""]
    lines += _table(
        ["deleted", "missing", "failed"],
        [[counts.get(k, 0) for k in ("deleted", "missing", "failed")]],
    )
    lines += _failures(report, ["external_id", "error"])
    return "\n".join(lines) + "\n"


def publish_plan(plan: Mapping[str, Any], key: str = DEFAULT_KEY) -> None:
    """Table artifact ``<key>-plan``."""
    counts = plan.get("summary", {})
    create_table_artifact(
        table=plan_rows(plan),
        key=f"{check_key(key)}-plan",
        description=(
            f"Planned: {counts.get('create', 0)} create, {counts.get('update', 0)} update, "
            f"{counts.get('delete', 0)} delete, {counts.get('noop', 0)} unchanged."
        ),
    )


def publish_report(
    plan: Mapping[str, Any],
    report: Mapping[str, Any] | None,
    key: str = DEFAULT_KEY,
    error: str | None = None,
) -> None:
    """Table artifact ``<key>-report`` and markdown ``<key>-summary``.

    ``report`` is None when the plan was refused before any write (``error`` says why): the
    report then lists every planned change as ``not applied``, so the latest ``-report`` is
    always this run's.
    """
    check_key(key)
    if report is None:
        rows = [
            {
                "external_id": c["external_id"],
                "action": c["action"],
                "status": "not applied",
                "project_id": c.get("project_id") or "",
                "error": "",
            }
            for c in plan.get("changes", [])
        ]
        description = f"Not applied: {error or 'stopped before applying'}"
    else:
        rows = report_rows(report)
        counts = report.get("summary", {})
        description = (
            f"{'Dry run: ' if report.get('dry_run') else ''}{counts.get('succeeded', 0)} "
            f"succeeded, {counts.get('failed', 0)} failed, {counts.get('skipped', 0)} unchanged."
        )
    create_table_artifact(table=rows, key=f"{key}-report", description=description)
    create_markdown_artifact(
        markdown=summary_markdown(plan, report, error),
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
    create_table_artifact(
        table=list(report.get("results", [])),
        key=f"{key}-teardown",
        description="Per-tenant teardown results.",
    )
    create_markdown_artifact(
        markdown=teardown_markdown(report),
        key=f"{key}-teardown-summary",
        description="Activepieces tenant teardown summary.",
    )
