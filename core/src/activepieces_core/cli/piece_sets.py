"""``activepieces piece-sets list|get|ensure|assign|unassign|delete``.

Piece sets decide which pieces a project sees on platforms whose plan has
``managePiecesEnabled``; on any other platform every command exits 4 with "this platform has no
piece sets" (the server's 402 FEATURE_DISABLED). Sets are named by their ``key``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from activepieces_core.cli._common import ExitCode, fail, handle_errors, new_table, state
from activepieces_core.cli.projects import ExternalIdOpt, _resolve
from activepieces_core.errors import FeatureDisabledError, QuotaExceededError
from activepieces_core.models.enums import enum_value
from activepieces_core.models.piece_set import PieceSelection, PieceSet

__all__ = ["app"]

app = typer.Typer(
    help="Piece sets: which pieces a project sees (platforms with managePiecesEnabled).",
    no_args_is_help=True,
)
console = Console()

_SCOPE = "@activepieces/piece-"

KeyArg = Annotated[str, typer.Argument(help="The set's key.", show_default=False)]
ProjectIdArg = Annotated[
    str | None, typer.Argument(help="Project id (or --external-id).", show_default=False)
]


def _short(piece: str) -> str:
    return piece[len(_SCOPE) :] if piece.startswith(_SCOPE) else piece


@contextmanager
def _piece_set_errors() -> Iterator[None]:
    """The library's errors as exit codes; a disabled feature said plainly."""
    with handle_errors():
        try:
            yield
        except QuotaExceededError:
            raise  # a 402 too, but not "no piece sets"
        except FeatureDisabledError as exc:
            fail(f"this platform has no piece sets: {exc}", ExitCode.API)


def _row(ps: PieceSet) -> list[str]:
    return [
        escape(ps.key or ""),
        escape(ps.name),
        str(enum_value(ps.pieces.mode)),
        escape(", ".join(_short(p) for p in ps.pieces.exceptions)),
        "yes" if ps.is_default else "",
    ]


def _show(sets: Iterable[PieceSet]) -> None:
    items = list(sets)
    if state.json:
        state.emit_json([ps.to_dict() for ps in items])
        return
    table = new_table("key", "name", "mode", "exceptions", "default")
    for ps in items:
        table.add_row(*_row(ps))
    console.print(table)


def _show_one(ps: PieceSet, action: str | None = None) -> None:
    if state.json:
        data = ps.to_dict()
        state.emit_json(data if action is None else {"action": action, "pieceSet": data})
        return
    if action is not None:
        console.print(f"{action}: {escape(ps.key or ps.id)}", highlight=False)
    table = new_table("field", "value", show_header=False)
    for field, value in ps.to_dict().items():
        table.add_row(field, escape(value if isinstance(value, str) else json.dumps(value)))
    console.print(table)


def _find(client: Any, key: str) -> PieceSet:
    found: PieceSet | None = client.piece_sets.get_by_key(key)
    if found is None:
        fail(f"no piece set with key {key!r}", ExitCode.API)
    return found


def _confirm(question: str, yes: bool) -> None:
    # The confirm rule of `tenants apply`: without a terminal, only --yes confirms.
    if yes:
        return
    if not sys.stdin.isatty():
        fail("not confirmed (stdin is not a terminal): pass --yes", ExitCode.REFUSED)
    if not typer.confirm(question, default=False):
        fail("not confirmed; nothing was changed", ExitCode.REFUSED)


@app.command("list")
def list_sets() -> None:
    """List every piece set: key, name, mode, exceptions (short names), default."""
    with _piece_set_errors(), state.client() as client:
        _show(client.piece_sets.iter())


@app.command("get")
def get_set(key: KeyArg) -> None:
    """Show one piece set by key."""
    with _piece_set_errors(), state.client() as client:
        _show_one(_find(client, key))


@app.command("ensure")
def ensure_set(
    key: KeyArg,
    name: Annotated[str, typer.Option("--name", help="Display name.", show_default=False)],
    allow: Annotated[
        list[str] | None,
        typer.Option("--allow", help="Show only these pieces (repeatable, e.g. slack)."),
    ] = None,
    block: Annotated[
        list[str] | None,
        typer.Option("--block", help="Show every piece but these (repeatable)."),
    ] = None,
) -> None:
    """Create or converge the set KEY (prints created / updated / unchanged).

    Without --allow or --block the pieces are left as they are (a new set shows all pieces).
    """
    if allow and block:
        fail("give --allow or --block, not both", ExitCode.USAGE)
    pieces: PieceSelection | None = None
    if allow:
        pieces = PieceSelection.allow(allow)
    elif block:
        pieces = PieceSelection.block(block)
    with _piece_set_errors(), state.client() as client:
        result = client.piece_sets.ensure(key, name, pieces=pieces)
        _show_one(result.piece_set, result.action)


def _assignment(action: str, ps: PieceSet, project_id: str) -> None:
    if state.json:
        state.emit_json({"action": action, "key": ps.key, "projectId": project_id})
    else:
        console.print(f"{action}: project {project_id} {escape(ps.key or ps.id)}", highlight=False)


@app.command("assign")
def assign_set(
    key: KeyArg, project_id: ProjectIdArg = None, external_id: ExternalIdOpt = None
) -> None:
    """Put one project (by id or --external-id) on the set KEY."""
    with _piece_set_errors(), state.client() as client:
        ps = _find(client, key)
        project = _resolve(client, project_id, external_id)
        client.piece_sets.assign(ps, [project])
        _assignment("assigned", ps, project.id)


@app.command("unassign")
def unassign_set(
    key: KeyArg, project_id: ProjectIdArg = None, external_id: ExternalIdOpt = None
) -> None:
    """Send one project on the set KEY back to the Default set."""
    with _piece_set_errors(), state.client() as client:
        ps = _find(client, key)
        project = _resolve(client, project_id, external_id)
        client.piece_sets.unassign(ps, project)
        _assignment("unassigned", ps, project.id)


@app.command("delete")
def delete_set(
    key: KeyArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete the set KEY (its projects move to the Default set; asks unless --yes)."""
    with _piece_set_errors(), state.client() as client:
        ps = _find(client, key)
        _confirm(f"Delete piece set {ps.key} ({ps.name})?", yes)
        client.piece_sets.delete(ps)
        if state.json:
            state.emit_json({"deleted": ps.id, "key": ps.key})
        else:
            console.print(f"deleted {escape(ps.key or ps.id)}", highlight=False)
