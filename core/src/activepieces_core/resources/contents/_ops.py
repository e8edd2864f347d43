"""A project's contents, read: operations written once, without I/O (see `resources._base`).

The routes and their query parameters are those upstream's own CLI pages through to build a
replace body (``packages/cli/src/lib/commands/replace-project.ts`` @
1e06de43d1e0c6da6b29741043c67cdf018f4a57): ``GET /v1/flows?projectId=``, ``/v1/folders?projectId=``,
``/v1/tables?projectId=`` (seek pages, ``limit=100``), ``/v1/fields?tableId=`` (a plain list),
``/v1/app-connections?projectId=`` and ``/v1/flags`` (the version). `export_state` builds the
body from them exactly as that CLI does (see `assemble`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, RootModel

from activepieces_core._http import Call
from activepieces_core.errors import InvalidRequestError
from activepieces_core.models import Page, Project
from activepieces_core.models.contents import (
    AppConnection,
    ConnectionState,
    Field,
    FieldState,
    Flow,
    Folder,
    FolderState,
    ProjectState,
    RequiredPiece,
    Table,
    TableState,
    flow_steps,
)
from activepieces_core.models.project import OWNED
from activepieces_core.resources._base import Op, all_rows, parse, require_id

__all__ = [
    "PAGE_SIZE",
    "ConnectionScope",
    "assemble",
    "connections_page",
    "export_state",
    "flags_version",
    "flows_page",
    "folders_page",
    "project_id",
    "required_pieces",
    "table_fields",
    "tables_page",
]

#: Rows per page, as upstream's CLI asks for.
PAGE_SIZE = 100
#: Upstream's CLI falls back to this when ``/v1/flags`` names no version.
UNKNOWN_VERSION = "0.0.0"

M = TypeVar("M", bound=BaseModel)
PageOp = Callable[[str | None], Op[Page[M]]]

# Parametrised once (see `resources.projects._ops.ProjectPage`).
FlowPage = Page[Flow]
FolderPage = Page[Folder]
TablePage = Page[Table]
ConnectionPage = Page[AppConnection]
ConnectionScope = str | None


class _Fields(RootModel[list[Field]]):
    """``GET /v1/fields`` answers a plain list of fields."""


def project_id(project: Project | str) -> str:
    """The id of a `Project` or an id string (checked)."""
    return project.id if isinstance(project, Project) else require_id(project, "project_id")


def _pages(path: str, model: type[Page[M]], **filters: str | None) -> PageOp[M]:
    """``page(cursor)``: one page of ``path`` with ``filters`` (None left out)."""
    base = [(k, v) for k, v in filters.items() if v is not None] + [("limit", str(PAGE_SIZE))]

    def page(cursor: str | None) -> Op[Page[M]]:
        params = base + ([("cursor", cursor)] if cursor else [])
        body = yield Call("GET", path, params=params)
        return parse(model, body)

    return page


def flows_page(project: Project | str) -> PageOp[Flow]:
    """Pages of ``GET /v1/flows?projectId=`` (each flow with its version)."""
    return _pages("/flows", FlowPage, projectId=project_id(project))


def folders_page(project: Project | str) -> PageOp[Folder]:
    """Pages of ``GET /v1/folders?projectId=``."""
    return _pages("/folders", FolderPage, projectId=project_id(project))


def tables_page(project: Project | str) -> PageOp[Table]:
    """Pages of ``GET /v1/tables?projectId=``."""
    return _pages("/tables", TablePage, projectId=project_id(project))


def check_scope(scope: ConnectionScope) -> ConnectionScope:
    """None (every connection the project sees), ``PROJECT`` or ``PLATFORM`` (global ones)."""
    if scope not in (None, "PROJECT", "PLATFORM"):
        raise InvalidRequestError(f"scope must be None, 'PROJECT' or 'PLATFORM', got {scope!r}")
    return scope


def connections_page(
    project: Project | str, scope: ConnectionScope = None
) -> PageOp[AppConnection]:
    """Pages of ``GET /v1/app-connections?projectId=[&scope=]``."""
    return _pages(
        "/app-connections", ConnectionPage, projectId=project_id(project), scope=check_scope(scope)
    )


def table_fields(table_id: str) -> Op[list[Field]]:
    """``GET /v1/fields?tableId=``: the table's fields (a plain list; a page is read too)."""
    body = yield Call("GET", "/fields", params=[("tableId", require_id(table_id, "table_id"))])
    if isinstance(body, Mapping) and "data" in body:
        body = body["data"]
    return parse(_Fields, body).root


def flags_version() -> Op[str]:
    """The server's version from ``GET /v1/flags`` (``CURRENT_VERSION``, else ``version``;
    "0.0.0" when it names none, as upstream's CLI)."""
    flags = yield Call("GET", "/flags")
    if isinstance(flags, Mapping):
        for key in ("CURRENT_VERSION", "version"):
            if isinstance(flags.get(key), str):
                return str(flags[key])
    return UNKNOWN_VERSION


def required_pieces(flows: list[dict[str, Any]]) -> list[RequiredPiece]:
    """Every piece version the flows' steps use, once each, in order of first use (upstream's
    CLI ``collectRequiredPieces``: steps with ``settings.pieceName`` and ``pieceVersion``;
    ``pieceType`` OFFICIAL unless the step names one)."""
    found: dict[tuple[str, str], RequiredPiece] = {}
    for flow in flows:
        version = flow.get("version")
        trigger = version.get("trigger") if isinstance(version, Mapping) else None
        for step in flow_steps(trigger):
            settings = step.get("settings")
            if not isinstance(settings, Mapping):
                continue
            name, piece_version = settings.get("pieceName"), settings.get("pieceVersion")
            if not (isinstance(name, str) and name and isinstance(piece_version, str)):
                continue
            if not piece_version or (name, piece_version) in found:
                continue
            piece_type = settings.get("pieceType")
            found[(name, piece_version)] = RequiredPiece(
                name=name,
                version=piece_version,
                piece_type=piece_type if piece_type in ("OFFICIAL", "CUSTOM") else "OFFICIAL",
            )
    return list(found.values())


def _table_state(table: Table, fields: list[Field]) -> TableState:
    return TableState(
        id=table.id,
        name=table.name,
        external_id=table.external_id or table.id,
        fields=[
            FieldState(
                name=f.name, type=f.type, external_id=f.external_id or f.id, data=f.data or None
            )
            for f in fields
        ],
        # Upstream's CLI sends null here; the table's own values are sent instead, because the
        # server compares them with the live table (all of TableState but the id):
        # replace(export(x)) must answer "unchanged" for every table (docs/tenant-contents.md).
        status=table.status,
        trigger=table.trigger,
    )


def assemble(
    version: str,
    flows: list[Flow],
    folders: list[Folder],
    tables: list[tuple[Table, list[Field]]],
    connections: list[AppConnection],
    *,
    pieces: bool = True,
) -> ProjectState:
    """The replace body of a project from its listings (upstream's CLI ``fetchSourceState``):
    flows verbatim, folders with an external id, tables with their fields, connection
    references, and the pieces the flows need (``pieces=False``: none, for a state only
    diffed, which never compares them: a walk of every flow's steps saved)."""
    # The listing's own bodies (`Flow` kept a copy of the page): this state is all that holds
    # them, so neither here nor in validation are they copied again.
    bodies = [flow._body for flow in flows]
    state = dict(
        source_activepieces_version=version,
        flows=bodies,
        tables=[_table_state(table, fields) for table, fields in tables],
        folders=[
            FolderState(
                external_id=f.external_id,
                display_name=f.display_name,
                display_order=f.display_order,
            )
            for f in folders
            if f.external_id
        ],
        connections=[
            ConnectionState(
                external_id=c.external_id, piece_name=c.piece_name, display_name=c.display_name
            )
            for c in connections
        ],
        required_pieces=required_pieces(bodies) if pieces else [],
    )
    return ProjectState.model_validate(state, context=OWNED)


def export_state(project: Project | str) -> Op[ProjectState]:
    """Read every listing one after the other and `assemble` the body (the sync client; the
    async one reads them concurrently, see `contents.export`)."""
    pid = project_id(project)
    version = yield from flags_version()
    flows = yield from all_rows(flows_page(pid))
    folders = yield from all_rows(folders_page(pid))
    tables = yield from all_rows(tables_page(pid))
    connections = yield from all_rows(connections_page(pid))
    with_fields = []
    for table in tables:
        with_fields.append((table, (yield from table_fields(table.id))))
    return assemble(version, flows, folders, with_fields, connections)
