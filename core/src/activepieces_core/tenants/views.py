"""One neutral rendering of plans, reports and teardowns: a headline, counts per kind, rows.

The CLI prints a `View` as rich tables, Airflow writes it to task logs (`View.text`) and review
Markdown (`View.markdown`), Prefect publishes it as artifacts (`View.records`,
`View.markdown`). None of them builds its own summary, label or value text, so a new kind of
change shows up in all three with no change there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from activepieces_core.tenants.results import ACTIONS, STATUSES, ApplyReport, Plan
from activepieces_core.tenants.teardown import TEARDOWN_STATUSES, TeardownReport

__all__ = [
    "ALL_PIECES",
    "PLATFORM",
    "View",
    "diff_text",
    "plan_view",
    "report_view",
    "teardown_view",
    "value_text",
]

#: How a diff shows "no piece filter": every piece is allowed.
ALL_PIECES = "all pieces"
#: The tenant column of a change that belongs to no tenant (a piece set the document declares).
PLATFORM = "(platform)"
#: ``plan_view``'s default: archives not mentioned (a plan shown before one is chosen).
_NO_ARCHIVE: Any = object()
#: Longest value shown in a cell (the saved plan / report has the whole value).
MAX_VALUE = 60
_OFFICIAL = "@activepieces/piece-"
_PIECE_FIELDS = frozenset({"pieces", "exceptions", "selected"})


def value_text(field_name: str, value: Any, *, limit: int = MAX_VALUE) -> str:
    """One value of a diff as a cell shows it: ``None`` is "(not set)" (for pieces: every
    piece), official pieces by short name, long values cut to ``limit`` characters."""
    if value is None:
        text = ALL_PIECES if field_name == "pieces" else "(not set)"
    elif isinstance(value, list | tuple):
        if field_name in _PIECE_FIELDS:
            value = [str(v).removeprefix(_OFFICIAL) for v in value]
        text = "[" + ", ".join(map(str, value)) + "]"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def diff_text(diff: Mapping[str, Mapping[str, Any]], action: str = "update") -> str:
    """``field: old → new, ...`` for a change's ``diff``; a create shows only the new values
    (``field: new``), a delete ``field: old → (removed)``."""

    def one(name: str, values: Mapping[str, Any]) -> str:
        new = value_text(name, values.get("to"))
        if action == "create":
            return f"{name}: {new}"
        new = "(removed)" if action == "delete" else new
        return f"{name}: {value_text(name, values.get('from'))} → {new}"

    return ", ".join(one(name, values) for name, values in diff.items())


def _cell(text: str) -> str:
    """A Markdown table cell: pipes escaped, one line."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _table_text(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Columns padded to their widest cell; the last one (often long) left unpadded."""
    header = [c.replace("_", " ") for c in columns]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    return [
        "  ".join(c.ljust(w) for c, w in zip(line[:-1], widths, strict=False)) + "  " + line[-1]
        for line in (header, *rows)
    ]


def _table_markdown(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(c.replace("_", " ") for c in columns) + " |"]
    lines.append("|" + "---|" * len(columns))
    lines += ["| " + " | ".join(_cell(str(v)) for v in row) + " |" for row in rows]
    return lines


@dataclass(frozen=True)
class View:
    """What a plan, a report or a teardown says, for any medium to draw.

    ``headline`` is one sentence; ``counts`` a table (``count_columns`` x one row per kind,
    projects first) of the same numbers as the outcome's ``summary`` and ``kind_summary``;
    ``rows`` the changes shown (``columns`` names their cells), ``hidden`` how many more there
    are; ``notes`` what a reader must not miss (protected tenants, warnings).
    """

    title: str
    headline: str
    count_columns: tuple[str, ...]
    counts: tuple[tuple[Any, ...], ...]
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    hidden: int = 0
    notes: tuple[str, ...] = ()
    kind_lines: tuple[str, ...] = field(default=())

    def records(self) -> list[dict[str, str]]:
        """The rows as dicts keyed by column (a table artifact, JSON)."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def more_line(self, where: str) -> str | None:
        """``... and N more not shown (WHERE has all of them)``, or None when all are shown."""
        if self.hidden <= 0:
            return None
        return f"... and {self.hidden} more not shown ({where} has all of them)"

    def text(self, where: str = "the full report") -> str:
        """Plain text for a log: headline, per-kind lines, notes, the rows as an aligned table."""
        lines = [self.headline, *(f"  {line}" for line in self.kind_lines)]
        if self.rows:
            lines += _table_text(self.columns, self.rows)
        more = self.more_line(where)
        lines += [more] if more else []
        lines += list(self.notes)
        return "\n".join(lines)

    def markdown(self, where: str = "the full report", *, heading: str = "###") -> str:
        """Markdown: title, headline, the counts table, the rows table, notes."""
        lines = [f"{heading} {self.title}", "", self.headline, ""]
        lines += _table_markdown(self.count_columns, self.counts)
        if self.rows:
            lines += ["", *_table_markdown(self.columns, self.rows)]
        more = self.more_line(where)
        lines += ["", more] if more else []
        for note in self.notes:
            lines += ["", _cell(note)]
        return "\n".join(lines) + "\n"


def _counted(per_kind: Mapping[str, Mapping[str, int]], keys: Sequence[str]) -> list[str]:
    """``member: 2 create, 1 delete`` per kind (zero counts left out), kinds sorted."""
    return [
        f"{kind}: " + ", ".join(f"{per[k]} {k}" for k in keys if per.get(k))
        for kind, per in sorted(per_kind.items())
    ]


def _others(
    per_kind: Mapping[str, Mapping[str, int]],
    noun: str,
    quiet: Sequence[str],
    named: str | None = None,
) -> str:
    """The headline's tail for the kinds besides projects (its counts are the projects'):
    ``; 3 other change(s) (flow, member)``, with how many of them are ``named`` (e.g.
    failed) when any; empty when no other kind has anything but ``quiet`` values."""
    counted = {
        kind: sum(n for value, n in per.items() if value not in quiet)
        for kind, per in per_kind.items()
    }
    kinds = sorted(kind for kind, n in counted.items() if n)
    if not kinds:
        return ""
    tail = f"; {sum(counted.values())} other {noun}(s) ({', '.join(kinds)})"
    flagged = sum(per.get(named, 0) for per in per_kind.values()) if named else 0
    return tail + (f", {flagged} {named}" if flagged else "")


def _count_rows(
    projects: Mapping[str, int], per_kind: Mapping[str, Mapping[str, int]], keys: Sequence[str]
) -> tuple[tuple[Any, ...], ...]:
    rows = [("project", *(projects.get(k, 0) for k in keys))]
    rows += [(kind, *(per.get(k, 0) for k in keys)) for kind, per in sorted(per_kind.items())]
    return tuple(rows)


def _project_text(item: Any) -> str:
    """The changes cell: the diff of an update (and of any other kind), else the project's name."""
    if item.action == "update" or item.kind != "project":
        text = diff_text(item.diff, item.action)
        if text:
            return text
    return getattr(item, "display_name", None) or ""


def _archive_text(archive: Any, external_id: str) -> str:
    """Where a deleted tenant's archive goes, as a delete row shows it."""
    if archive is None:
        return "no archive (archive=None)"
    location = getattr(archive, "location", None)
    if location is None:  # ARCHIVE_REQUIRED: apply refuses until told where
        return "archive required: none given"
    return f"archive → {location(external_id)}"


def plan_view(
    plan: Plan | Mapping[str, Any], max_rows: int | None = None, *, archive: Any = _NO_ARCHIVE
) -> View:
    """The plan's changes (noops left out), the first ``max_rows`` of them (None: all).

    ``archive`` (an `activepieces_core.tenants.archive.ArchiveStore`, or None for deletes without
    archives) makes each project delete say where its archive will be written."""
    if not isinstance(plan, Plan):
        plan = Plan.from_dict(plan, verify=False)
    s = plan.summary
    changed = [c for c in plan.changes if c.action != "noop"]
    shown = changed if max_rows is None else changed[:max_rows]
    notes = []
    if plan.protected:
        names = ", ".join(plan.protected[:20]) + (" ..." if len(plan.protected) > 20 else "")
        notes.append(f"Protected, not deleted ({len(plan.protected)}): {names}")
    notes += [f"Warning: {w}" for w in plan.warnings]
    return View(
        title="Activepieces tenant plan",
        headline=(
            f"Plan: {s['create']} to create, {s['update']} to update, {s['delete']} to delete, "
            f"{s['noop']} unchanged{_others(plan.kind_summary, 'change', ('noop',))} "
            f"({plan.read_requests} read request(s))."
        ),
        kind_lines=tuple(_counted(plan.kind_summary, ACTIONS)),
        count_columns=("kind", *ACTIONS),
        counts=_count_rows(s, plan.kind_summary, ACTIONS),
        columns=("action", "external_id", "what", "project_id", "changes"),
        rows=tuple(
            (
                c.action,
                c.external_id or PLATFORM,
                c.label,
                c.project_id or "",
                _archive_text(archive, c.external_id)
                if archive is not _NO_ARCHIVE and c.kind == "project" and c.action == "delete"
                else _project_text(c),
            )
            for c in shown
        ),
        hidden=len(changed) - len(shown),
        notes=tuple(notes),
    )


def report_view(report: ApplyReport | Mapping[str, Any], max_rows: int | None = None) -> View:
    """The report's changes (noops left out): every failure first, then the first
    ``max_rows`` of the others (None: all)."""
    if not isinstance(report, ApplyReport):
        report = ApplyReport.from_dict(dict(report))
    s = report.summary
    changed = [r for r in report.results if r.action != "noop"]
    failed = [r for r in changed if r.status == "failed"]
    others = [r for r in changed if r.status != "failed"]
    shown = others if max_rows is None else others[:max_rows]
    return View(
        title="Activepieces tenant sync",
        headline=(
            f"{'Dry run' if report.dry_run else 'Applied'}: {s['succeeded']} succeeded, "
            f"{s['failed']} failed, {s['planned']} planned, {s['skipped']} unchanged"
            f"{_others(report.kind_summary, 'result', ('skipped',), 'failed')} "
            f"in {report.duration_seconds:.2f}s."
        ),
        kind_lines=tuple(_counted(report.kind_summary, STATUSES)),
        count_columns=("kind", *STATUSES),
        counts=_count_rows(s, report.kind_summary, STATUSES),
        columns=("action", "external_id", "what", "project_id", "status", "error", "changes"),
        rows=tuple(
            (
                r.action,
                r.external_id or PLATFORM,
                r.label,
                r.project_id or "",
                r.status,
                r.error or ((r.error_type or "") if r.status == "failed" else ""),
                _project_text(r),
            )
            for r in (*failed, *shown)
        ),
        hidden=len(others) - len(shown),
    )


def teardown_view(teardown: TeardownReport | Mapping[str, Any]) -> View:
    """Every named tenant, in the order named, with its status."""
    if not isinstance(teardown, TeardownReport):
        teardown = TeardownReport.from_dict(dict(teardown))
    s = teardown.summary
    archived = any(r.archive for r in teardown.results)  # the column only when there are some
    return View(
        title="Activepieces tenant teardown",
        headline=f"Teardown: {s['deleted']} deleted, {s['missing']} missing, {s['failed']} failed.",
        count_columns=TEARDOWN_STATUSES,
        counts=(tuple(s[k] for k in TEARDOWN_STATUSES),),
        columns=(
            "external_id",
            "project_id",
            "status",
            "error",
            *(("archive",) if archived else ()),
        ),
        rows=tuple(
            (r.external_id, r.project_id, r.status, r.error, *((r.archive,) if archived else ()))
            for r in teardown.results
        ),
        notes=tuple(f"Warning: {w}" for w in teardown.warnings),
    )
