"""``activepieces projects export|replace``: a project's contents to a file, and back.

``export EXTERNAL_ID --out FILE`` writes the project's replace body (flows, tables, folders,
connection references: the template of a tenant document is usually made this way from a
hand-built template project). ``replace EXTERNAL_ID FILE`` shows what the file would create,
update and delete (the server's own comparison, `activepieces_core.contents_diff`), asks (or
``--yes``), and replaces. Exit codes: 0 done, 1 some items failed (207), 2 a bad file,
6 not confirmed, and the CLI's others (docs: docs/tenant-contents.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from activepieces_core.cli._common import (
    ExitCode,
    err_console,
    fail,
    handle_errors,
    new_table,
    state,
)
from activepieces_core.contents_diff import ContentChange, change_counts, diff_state
from activepieces_core.models import Project
from activepieces_core.models.contents import ProjectState, ReplaceResult
from activepieces_core.models.state_file import read_state_file, write_state_file

__all__ = ["export_project", "replace_project"]

console = Console()

ExternalIdArg = Annotated[str, typer.Argument(help="The project's external id.")]


def _project(client: Any, external_id: str) -> Project:
    found: Project | None = client.projects.get_by_external_id(external_id)
    if found is None:
        fail(f"no project with external id {external_id!r}", ExitCode.API)
    return found


def _sizes(body: ProjectState) -> dict[str, int]:
    return {
        "flows": len(body.flows),
        "tables": len(body.tables),
        "folders": len(body.folders),
        "connections": len(body.connections),
    }


def export_project(
    external_id: ExternalIdArg,
    out: Annotated[Path, typer.Option("--out", help="File to write (.json, or .yaml).")],
) -> None:
    """Write a project's contents (a replace body) to a file."""
    with handle_errors(), state.client() as client:
        project = _project(client, external_id)
        exported = client.projects.export_state(project)
        write_state_file(out, exported)
    sizes = _sizes(exported)
    if state.json:
        state.emit_json({"projectId": project.id, "file": str(out), **sizes})
        return
    counts = ", ".join(f"{n} {kind}" for kind, n in sizes.items())
    console.print(f"wrote {out}: {counts}", highlight=False)


def _show_changes(changes: list[ContentChange]) -> None:
    table = new_table("kind", "external id", "name", "action", "what differs")
    for change in changes:
        table.add_row(
            change.kind,
            change.external_id,
            change.display_name,
            change.action,
            ", ".join(change.fields),
        )
    err_console.print(table)


def _summary(changes: list[ContentChange]) -> str:
    n = change_counts(changes)
    return "; ".join(
        f"{kind}s: {n[f'{kind}s_created']} to create, {n[f'{kind}s_updated']} to update, "
        f"{n[f'{kind}s_deleted']} to delete"
        for kind in ("flow", "table", "folder")
    )


def _show_result(result: ReplaceResult) -> None:
    a = result.applied
    console.print(
        f"replaced (HTTP {result.status}): flows {a.flows_created} created, {a.flows_updated} "
        f"updated, {a.flows_deleted} deleted, {a.flows_unchanged} unchanged; tables "
        f"{a.tables_created}/{a.tables_updated}/{a.tables_deleted}/{a.tables_unchanged}; "
        f"folders {a.folders_created}/{a.folders_updated}/{a.folders_deleted}/"
        f"{a.folders_unchanged}; connections {a.connections_created} created",
        highlight=False,
    )
    for item in result.failed:
        console.print(f"  failed: {item.kind} {item.external_id} ({item.op}): {item.error}")
    for conn in result.connections_awaiting_authorization:
        console.print(
            f"  to authorise: {conn.display_name} ({conn.piece_name}) [{conn.external_id}]",
            highlight=False,
        )


def replace_project(
    external_id: ExternalIdArg,
    file: Annotated[Path, typer.Argument(help="A replace body (.json, or .yaml).")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Replace a project's flows, tables and folders with FILE's (asks first unless --yes).

    Shows what will be created, updated and deleted (items not in FILE are deleted);
    FILE's connection references are added, never deleted.
    """
    with handle_errors():
        wanted = read_state_file(file)  # a bad file: exit 2 before any request
    with handle_errors(), state.client() as client:
        project = _project(client, external_id)
        changes = diff_state(client.projects.export_state(project), wanted)
        pending = [c for c in changes if c.action != "noop"]
        if pending:
            _show_changes(pending)
        err_console.print(f"{project.display_name} ({project.id}): {_summary(changes)}")
        if not yes and not typer.confirm(
            "Replace the project's contents?", default=False, err=True
        ):
            fail("not confirmed; nothing replaced", ExitCode.REFUSED)
        result = client.projects.replace(project, wanted)
    if state.json:
        state.emit_json(
            {
                "projectId": project.id,
                "changes": [
                    {
                        "kind": c.kind,
                        "externalId": c.external_id,
                        "action": c.action,
                        "fields": list(c.fields),
                        "displayName": c.display_name,
                    }
                    for c in pending
                ],
                "result": result.to_dict(),
            }
        )
    else:
        _show_result(result)
    if result.failed:
        raise typer.Exit(int(ExitCode.TENANT_FAILED))
