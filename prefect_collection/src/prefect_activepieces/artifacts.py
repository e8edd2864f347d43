"""Turn plans and reports into Prefect artifacts: a table per step plus a markdown summary.

The row and markdown builders are pure (tested without a server); ``publish_*`` create the
artifacts in the current flow or task run. Nothing secret reaches them: plans and reports hold
project data, piece-set keys, e-mails and role names, and error messages; core never puts the
API key or an invitation link in any of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact

__all__ = [
    "DEFAULT_KEY",
    "check_key",
    "kind_counts",
    "onboard_markdown",
    "plan_rows",
    "publish_onboard",
    "publish_plan",
    "publish_report",
    "publish_teardown",
    "report_rows",
    "review_markdown",
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


_OFFICIAL = "@activepieces/piece-"
_PIECE_FIELDS = frozenset({"pieces", "exceptions"})


def _short(value: Any, field: str) -> str:
    if value is None:
        # A diff's None is "not set", except for pieces, where it means every piece is allowed.
        text = "all" if field == "pieces" else "(not set)"
    elif isinstance(value, list):
        if field in _PIECE_FIELDS:  # official pieces by short name: the list fits in a cell
            value = [str(v).removeprefix(_OFFICIAL) for v in value]
        text = ", ".join(map(str, value))
    else:
        text = str(value)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def _base(item: Mapping[str, Any]) -> dict[str, Any]:
    """The columns naming what a change (or result) is about: tenant, kind and key."""
    return {
        "external_id": item["external_id"],
        "kind": item.get("kind") or "project",
        "key": item.get("key") or "",
        "action": item.get("action") or "",
    }


def plan_rows(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per changed field (``field``, ``from``, ``to``); one row for a delete or no-op.

    A field per row keeps every cell short enough to read in the UI's table. ``kind`` says what
    changes (``project``, ``piece_set``, ``piece_set_assignment``, ``member``, ``user``) and
    ``key`` which one (a set's key, a person's e-mail; empty for projects). A create's old
    value is ``(new)``, a removal's new value ``(removed)``.
    """
    rows = []
    for change in plan.get("changes", []):
        base = {**_base(change), "project_id": change.get("project_id") or ""}
        diff: Mapping[str, Mapping[str, Any]] = change.get("diff") or {}
        if not diff:
            rows.append({**base, "field": "", "from": "", "to": ""})
        for field, values in diff.items():
            action = change["action"]
            old = "(new)" if action == "create" else _short(values.get("from"), field)
            new = "(removed)" if action == "delete" else _short(values.get("to"), field)
            rows.append({**base, "field": field, "from": old, "to": new})
    return rows


def report_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per result (a tenant's project, or one of its sets or people)."""
    return [
        {
            **_base(r),
            "status": r["status"],
            "project_id": r.get("project_id") or "",
            "error": r.get("error") or "",
        }
        for r in report.get("results", [])
    ]


def kind_counts(items: Sequence[Mapping[str, Any]], column: str) -> dict[str, dict[str, int]]:
    """Changes or results of kinds other than ``project``, counted per kind and ``column``.

    The engine's ``summary`` counts projects only; this is its ``kind_summary`` recomputed
    from the dicts (``to_dict`` does not carry it).
    """
    out: dict[str, dict[str, int]] = {}
    for item in items:
        kind = item.get("kind") or "project"
        if kind != "project":
            per = out.setdefault(kind, {})
            per[item[column]] = per.get(item[column], 0) + 1
    return out


def _kinds_text(counts: Mapping[str, Mapping[str, int]]) -> str:
    """``member: 2 create, 1 delete; piece_set: 1 update`` (empty when nothing)."""
    return "; ".join(
        f"{kind}: " + ", ".join(f"{n} {what}" for what, n in sorted(per.items()))
        for kind, per in sorted(counts.items())
    )


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
    rows = [[{**r, **_base(r)}.get(c) or "" for c in columns] for r in failed]
    return ["", "## Failed tenants", "", *_table(columns, rows)]


_ACTIONS = ("create", "update", "delete", "noop")
_STATUSES = ("succeeded", "failed", "skipped", "planned")


def _planned_tables(plan: Mapping[str, Any]) -> list[str]:
    """The project counts, then one row per other kind (sets, assignments, people)."""
    planned = plan.get("summary", {})
    lines = _table(
        ["create", "update", "delete", "unchanged"],
        [[planned.get(a, 0) for a in _ACTIONS]],
    )
    kinds = kind_counts(plan.get("changes", []), "action")
    if kinds:
        lines += ["", "Piece sets and people:", ""]
        lines += _table(
            ["kind", "create", "update", "delete", "unchanged"],
            [[kind, *(per.get(a, 0) for a in _ACTIONS)] for kind, per in sorted(kinds.items())],
        )
    if plan.get("protected"):
        lines += ["", "Protected from pruning: " + ", ".join(map(str, plan["protected"]))]
    for warning in plan.get("warnings", []):
        lines += ["", f"> Warning: {warning}"]
    return lines


def _review_line(review: Mapping[str, Any] | None) -> list[str]:
    if not review:
        return []
    verdict = "Approved" if review.get("decision") == "approve" else "Rejected"
    comment = f": {review['comment']}" if review.get("comment") else ""
    return ["", f"**{verdict}** by the reviewer{comment}"]


def summary_markdown(
    plan: Mapping[str, Any],
    report: Mapping[str, Any] | None,
    error: str | None = None,
    review: Mapping[str, Any] | None = None,
) -> str:
    """Markdown summary: planned actions, the review, outcomes, failures, warnings.

    ``report`` is None when the plan was not applied; ``error`` then says why. ``review`` is
    the reviewer's decision (``{"decision", "comment"}``) when the run asked for one.
    """
    lines = ["# Activepieces tenant sync", ""]
    if report is not None and report.get("dry_run"):
        lines += ["**Dry run**: nothing was changed.", ""]
    lines += _planned_tables(plan)
    lines += _review_line(review)
    if report is None:
        lines += ["", f"**Not applied**: {error or 'stopped before applying'}"]
        return "\n".join(lines) + "\n"
    outcome = report.get("summary", {})
    lines += [""]
    lines += _table(
        ["succeeded", "failed", "skipped", "planned", "seconds"],
        [[*(outcome.get(s, 0) for s in _STATUSES), report.get("duration_seconds", 0)]],
    )
    kinds = kind_counts(report.get("results", []), "status")
    if kinds:
        lines += [""]
        lines += _table(
            ["kind", *_STATUSES],
            [[kind, *(per.get(s, 0) for s in _STATUSES)] for kind, per in sorted(kinds.items())],
        )
    lines += _failures(report, ["external_id", "kind", "key", "action", "error"])
    return "\n".join(lines) + "\n"


REVIEW_SHOWN = 20
"""How many changes the review form lists (the ``-plan`` artifact has them all)."""


def review_markdown(plan: Mapping[str, Any], key: str = DEFAULT_KEY) -> str:
    """What the reviewer reads in the resume form: the counts and the first changes."""
    changes = [c for c in plan.get("changes", []) if c.get("action") != "noop"]
    lines = ["# Review the Activepieces tenant plan", ""]
    lines += _planned_tables(plan)
    lines += ["", f"Changes ({len(changes)}; every field in the artifact `{key}-plan`):", ""]
    rows = [
        [c["external_id"], c.get("kind") or "project", c.get("key") or "", c["action"]]
        for c in changes[:REVIEW_SHOWN]
    ]
    lines += _table(["external_id", "kind", "key", "action"], rows)
    if len(changes) > REVIEW_SHOWN:
        lines += ["", f"... and {len(changes) - REVIEW_SHOWN} more."]
    lines += [
        "",
        "Approve to apply exactly this plan (it is refused if the platform changed since); "
        "reject to cancel the run with nothing applied.",
    ]
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
    warnings = list(report.get("warnings", []))
    if warnings:
        lines += ["", "## Warnings", "", *(f"- {w}" for w in warnings)]
    return "\n".join(lines) + "\n"


def publish_plan(plan: Mapping[str, Any], key: str = DEFAULT_KEY) -> None:
    """Table artifact ``<key>-plan``."""
    counts = plan.get("summary", {})
    kinds = _kinds_text(kind_counts(plan.get("changes", []), "action"))
    create_table_artifact(
        table=plan_rows(plan),
        key=f"{check_key(key)}-plan",
        description=(
            f"Planned: {counts.get('create', 0)} create, {counts.get('update', 0)} update, "
            f"{counts.get('delete', 0)} delete, {counts.get('noop', 0)} unchanged."
            + (f" Also {kinds}." if kinds else "")
        ),
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
        rows = [
            {
                **_base(c),
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
        kinds = _kinds_text(kind_counts(report.get("results", []), "status"))
        description += f" Also {kinds}." if kinds else ""
    create_table_artifact(table=rows, key=f"{key}-report", description=description)
    create_markdown_artifact(
        markdown=summary_markdown(plan, report, error, review),
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
