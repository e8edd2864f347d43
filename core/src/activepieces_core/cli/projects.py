"""``activepieces projects list|get|create|update|delete`` (and ``export|replace``, in
`activepieces_core.cli.contents`)."""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable, Iterable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from activepieces_core.cli._common import ExitCode, fail, handle_errors, new_table, state
from activepieces_core.cli.contents import export_project, replace_project
from activepieces_core.models import Project
from activepieces_core.parsing import ALL_PIECES, exactly_one, pieces_argument
from activepieces_core.project_fields import UPDATE_FIELDS, ProjectField

__all__ = ["app"]

app = typer.Typer(
    help="Create, read, update and delete projects; export and replace their contents.",
    no_args_is_help=True,
)
console = Console()


def _project_row(p: Project) -> list[str]:
    plan = p.plan
    pieces = ALL_PIECES
    if plan is not None and str(getattr(plan.pieces_filter_type, "value", "")) == "ALLOWED":
        pieces = f"{len(plan.pieces or [])} allowed"
    return [
        p.id,
        p.external_id or "",
        p.display_name,
        str(getattr(p.type, "value", p.type)),
        pieces,
    ]


def _show(
    projects: Iterable[Project], *, paged: bool = False, next_cursor: str | None = None
) -> None:
    items = list(projects)
    if state.json:
        data = [p.to_dict() for p in items]
        state.emit_json({"data": data, "next": next_cursor} if paged else data)
        return
    table = new_table("id", "external id", "display name", "type", "pieces")
    for p in items:
        table.add_row(*_project_row(p))
    console.print(table)
    if next_cursor:
        console.print(f"more: --cursor {next_cursor}", highlight=False)


def _show_one(project: Project) -> None:
    if state.json:
        state.emit_json(project.to_dict())
        return
    table = new_table("field", "value", show_header=False)
    for key, value in project.to_dict().items():
        table.add_row(key, value if isinstance(value, str) else json.dumps(value))
    console.print(table)


def _json_object(text: str | None, option: str) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{option} is not valid JSON: {exc}", ExitCode.USAGE)
    if not isinstance(value, dict):
        fail(f"{option} must be a JSON object", ExitCode.USAGE)
    return value


#: Fields whose options the commands spell out themselves (their own option names, repeatable
#: lists, "all" pieces, JSON, upper-cased colours). Every other field update takes (the 2026
#: fields, and any field core's description gains) gets an option built from the description.
_SPELLED_OUT = {
    "display_name",
    "pieces",
    "metadata",
    "max_concurrent_jobs",
    "releases_enabled",
    "icon_color",
    "global_connection_external_ids",
}
_DESCRIBED = tuple(f for f in UPDATE_FIELDS if f.name not in _SPELLED_OUT)
_PANEL = "Project fields"
_Command = TypeVar("_Command", bound=Callable[..., None])


def _option(field: ProjectField) -> Any:
    """A field's typer parameter: ``--name VALUE`` (a flag pair for a bool), unset = None."""
    if field.kind == "bool":
        flag = field.option
        option = typer.Option(f"{flag}/--no-{flag[2:]}", help=field.help, rich_help_panel=_PANEL)
        return Annotated[bool | None, option]
    kinds: dict[str, Any] = {"int": int, "text": str, "color": str, "json": str, "list": list[str]}
    if field.kind not in kinds:  # pieces: spelled out by the commands
        raise TypeError(f"no CLI option for {field.kind} field {field.name!r}")
    text = f"{field.help} (JSON)" if field.kind == "json" else field.help
    option = typer.Option(field.option, help=text, rich_help_panel=_PANEL)
    return Annotated[kinds[field.kind] | None, option]


def _field_options(command: _Command) -> _Command:
    """Give ``command`` an option per described field; it receives their values as ``fields``
    (``{name: value}`` of the options given, JSON decoded)."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "fields"]
    added = [
        inspect.Parameter(
            f.name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=_option(f)
        )
        for f in _DESCRIBED
    ]

    @functools.wraps(command)
    def run(**kwargs: Any) -> None:
        fields = {f.name: kwargs.pop(f.name) for f in _DESCRIBED}
        for f in _DESCRIBED:
            if f.kind == "json":
                fields[f.name] = _json_object(fields[f.name], f.option)
        command(**kwargs, fields={k: v for k, v in fields.items() if v is not None})

    # typer reads the options from the signature and the type hints.
    run.__signature__ = signature.replace(parameters=[*own, *added])  # type: ignore[attr-defined]
    hints = {k: v for k, v in command.__annotations__.items() if k != "fields"}
    run.__annotations__ = {**hints, **{p.name: p.annotation for p in added}}
    return run  # type: ignore[return-value]


ExternalIdOpt = Annotated[
    str | None, typer.Option("--external-id", "-e", help="Select by external id instead.")
]


@app.command("list")
def list_projects(
    external_id: Annotated[str | None, typer.Option(help="Exact external id.")] = None,
    display_name: Annotated[str | None, typer.Option(help="Case-insensitive substring.")] = None,
    type_: Annotated[
        list[str] | None, typer.Option("--type", help="TEAM or PERSONAL (repeatable).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Page size.")] = None,
    cursor: Annotated[str | None, typer.Option(help="Cursor from a previous page.")] = None,
    all_pages: Annotated[bool, typer.Option("--all", help="Follow every page.")] = False,
) -> None:
    """List projects (one page, or every page with --all)."""
    types = [t.upper() for t in type_] if type_ else None
    with handle_errors(), state.client() as client:
        if all_pages:
            items = client.projects.iter(
                external_id=external_id, display_name=display_name, types=types, limit=limit
            )
            _show(items)
            return
        page = client.projects.list(
            external_id=external_id,
            display_name=display_name,
            types=types,
            limit=limit,
            cursor=cursor,
        )
        _show(page.data, paged=True, next_cursor=page.next)


def _resolve(client: Any, project_id: str | None, external_id: str | None) -> Project:
    try:
        exactly_one(PROJECT_ID=project_id, external_id=external_id)
    except ValueError:
        fail("give exactly one of PROJECT_ID or --external-id", ExitCode.USAGE)
    if project_id:
        project: Project = client.projects.get(project_id)
        return project
    found: Project | None = client.projects.get_by_external_id(external_id)
    if found is None:
        fail(f"no project with external id {external_id!r}", ExitCode.API)
    return found


@app.command("get")
def get_project(
    project_id: Annotated[str | None, typer.Argument(help="Project id.")] = None,
    external_id: ExternalIdOpt = None,
) -> None:
    """Show one project by id or external id."""
    with handle_errors(), state.client() as client:
        _show_one(_resolve(client, project_id, external_id))


@app.command("create")
@_field_options
def create_project(
    display_name: Annotated[str, typer.Argument(help="Display name (no '.' or '/').")],
    external_id: Annotated[str | None, typer.Option(help="Your tenant id.")] = None,
    metadata: Annotated[str | None, typer.Option(help="JSON object.")] = None,
    max_concurrent_jobs: Annotated[int | None, typer.Option(help="Concurrency cap.")] = None,
    global_connection: Annotated[
        list[str] | None, typer.Option(help="Global connection external id (repeatable).")
    ] = None,
    alert_receiver_email: Annotated[str | None, typer.Option(help="Alert email.")] = None,
    ensure: Annotated[
        bool,
        typer.Option(help="Idempotent: return/converge the project with this external id."),
    ] = False,
    fields: dict[str, Any] | None = None,
) -> None:
    """Create a TEAM project (with --ensure: create only if the external id is absent).

    The project fields create cannot send (the 2026 fields) need --ensure: it sets them with
    one update after the create, and converges them on an existing project.
    """
    meta = _json_object(metadata, "--metadata")
    fields = fields or {}
    if not ensure:
        by_update = [f.option for f in _DESCRIBED if f.name in fields and not f.create]
        if by_update:
            fail(
                f"{', '.join(by_update)}: create cannot set them; add --ensure (with "
                "--external-id) or set them with 'projects update'",
                ExitCode.USAGE,
            )
    with handle_errors(), state.client() as client:
        if ensure:
            if not external_id:
                fail("--ensure needs --external-id", ExitCode.USAGE)
            result = client.projects.ensure(
                external_id,
                display_name,
                metadata=meta,
                max_concurrent_jobs=max_concurrent_jobs,
                global_connection_external_ids=global_connection,
                alert_receiver_email=alert_receiver_email,
                **fields,
            )
            project = result.project
        else:
            project = client.projects.create(
                display_name,
                external_id=external_id,
                metadata=meta,
                max_concurrent_jobs=max_concurrent_jobs,
                global_connection_external_ids=global_connection,
                alert_receiver_email=alert_receiver_email,
                **fields,
            )
        _show_one(project)


@app.command("update")
@_field_options
def update_project(
    project_id: Annotated[str | None, typer.Argument(help="Project id.")] = None,
    by_external_id: ExternalIdOpt = None,
    display_name: Annotated[str | None, typer.Option(help="New display name.")] = None,
    new_external_id: Annotated[
        str | None, typer.Option("--new-external-id", help="New external id.")
    ] = None,
    metadata: Annotated[str | None, typer.Option(help="JSON object (replaces).")] = None,
    icon_color: Annotated[str | None, typer.Option(help="RED, BLUE, ...")] = None,
    releases: Annotated[
        bool | None, typer.Option("--releases/--no-releases", help="Git releases.")
    ] = None,
    pieces: Annotated[
        list[str] | None,
        typer.Option(help=f"Allowed piece (repeatable); '{ALL_PIECES}' lifts the filter."),
    ] = None,
    max_concurrent_jobs: Annotated[int | None, typer.Option(help="Concurrency cap.")] = None,
    fields: dict[str, Any] | None = None,
) -> None:
    """Update fields of one project; unspecified fields are left unchanged."""
    meta = _json_object(metadata, "--metadata")
    kwargs: dict[str, Any] = {
        "display_name": display_name,
        "external_id": new_external_id,
        "metadata": meta,
        "icon_color": icon_color.upper() if icon_color else None,
        "releases_enabled": releases,
        "max_concurrent_jobs": max_concurrent_jobs,
        **(fields or {}),
    }
    if pieces:  # checked before any request
        try:
            allowed = pieces_argument(pieces)
        except ValueError as exc:
            fail(str(exc), ExitCode.USAGE)
        kwargs.update(
            pieces=allowed or [], pieces_filter_type="NONE" if allowed is None else "ALLOWED"
        )
    with handle_errors(), state.client() as client:
        project = _resolve(client, project_id, by_external_id)
        _show_one(client.projects.update(project.id, **kwargs))


@app.command("delete")
def delete_project(
    project_id: Annotated[str | None, typer.Argument(help="Project id.")] = None,
    external_id: ExternalIdOpt = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete one TEAM project (asks for confirmation unless --yes)."""
    with handle_errors(), state.client() as client:
        project = _resolve(client, project_id, external_id)
        if not yes and not typer.confirm(
            f"Delete project {project.id} ({project.display_name})?", default=False
        ):
            fail("not confirmed; nothing deleted", ExitCode.REFUSED)
        client.projects.delete(project.id)
        if state.json:
            state.emit_json({"deleted": project.id, "external_id": project.external_id})
        else:
            console.print(f"deleted {project.id}", highlight=False)


app.command("export")(export_project)
app.command("replace")(replace_project)
