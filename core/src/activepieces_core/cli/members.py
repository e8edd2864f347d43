"""``activepieces members list|invite|remove``: one project's people.

A project is chosen with ``--project PROJECT_ID`` or ``--external-id``. ``invite`` converges
(same role: nothing sent) and refuses a role the platform does not have before sending.
Invitation links are bearer secrets: no command prints one, in any output format.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from activepieces_core.cli._common import ExitCode, fail, handle_errors, new_table, state
from activepieces_core.cli.projects import _resolve
from activepieces_core.models import Project
from activepieces_core.parsing import exactly_one

__all__ = ["DEFAULT_ROLE", "app"]

app = typer.Typer(help="A project's members and invitations.", no_args_is_help=True)
console = Console()

#: The role ``invite`` gives without ``--role`` (one of upstream's four default roles).
DEFAULT_ROLE = "Editor"

ProjectOpt = Annotated[
    str | None, typer.Option("--project", "-p", help="Project id.", show_default=False)
]
ExternalIdOpt = Annotated[
    str | None,
    typer.Option("--external-id", "-e", help="Project external id.", show_default=False),
]
EmailArg = Annotated[str, typer.Argument(help="The person's e-mail.", show_default=False)]


def _project(client: Any, project_id: str | None, external_id: str | None) -> Project:
    try:
        exactly_one(project=project_id, external_id=external_id)
    except ValueError:
        fail("give exactly one of --project or --external-id", ExitCode.USAGE)
    return _resolve(client, project_id, external_id)


@app.command("list")
def list_members(project_id: ProjectOpt = None, external_id: ExternalIdOpt = None) -> None:
    """List a project's people: e-mail, role, member or invited."""
    with handle_errors(), state.client() as client:
        project = _project(client, project_id, external_id)
        people = client.project_members.people(project)
    rows: list[dict[str, Any]] = [
        {"email": email, "role": m.role, "status": "member"}
        for email, m in sorted(people.members.items())
    ]
    rows += [
        {"email": email, "role": i.role, "status": "invited"}
        for email, i in sorted(people.invitations.items())
        if email not in people.members
    ]
    if state.json:  # built field by field: an invitation's link never reaches the output
        state.emit_json({"projectId": project.id, "people": rows})
        return
    table = new_table("email", "role", "status")
    for row in rows:
        table.add_row(escape(row["email"]), escape(row["role"] or ""), row["status"])
    console.print(table)


@app.command("invite")
def invite_member(
    email: EmailArg,
    project_id: ProjectOpt = None,
    external_id: ExternalIdOpt = None,
    role: Annotated[str, typer.Option("--role", help="Project role name.")] = DEFAULT_ROLE,
) -> None:
    """Give EMAIL a role in the project, sending only what differs.

    Prints unchanged, invited, role_updated or invitation_updated.
    """
    with handle_errors(), state.client() as client:
        project = _project(client, project_id, external_id)
        result = client.project_members.invite(
            project, email, role, roles=client.project_roles.names()
        )
    if state.json:
        state.emit_json(result.to_dict())  # to_dict never holds the link
    else:
        console.print(
            f"{result.action}: {escape(result.email)} ({escape(result.role)}) "
            f"in project {project.id}",
            highlight=False,
        )


@app.command("remove")
def remove_member(
    email: EmailArg,
    project_id: ProjectOpt = None,
    external_id: ExternalIdOpt = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove EMAIL from the project: membership and waiting invitation (removed / absent)."""
    with handle_errors(), state.client() as client:
        project = _project(client, project_id, external_id)
        if not yes:
            # The confirm rule of `tenants apply`: without a terminal, only --yes confirms.
            if not sys.stdin.isatty():
                fail("not confirmed (stdin is not a terminal): pass --yes", ExitCode.REFUSED)
            if not typer.confirm(f"Remove {email} from project {project.id}?", default=False):
                fail("not confirmed; nothing was changed", ExitCode.REFUSED)
        result = client.project_members.remove(project, email)
    if state.json:
        state.emit_json(result.to_dict())
    else:
        console.print(
            f"{result.action}: {escape(result.email)} from project {project.id}", highlight=False
        )
