"""The names of the emulator's routes (what `.faults` targets and `.requestlog` records).

The route tables that map paths to these names stay with each family: `.app` (projects),
`.piece_sets_http` and `.people_http`.
"""

from __future__ import annotations

PROJECT_ROUTES: tuple[str, ...] = ("list", "get", "create", "update", "delete")
PIECE_SET_ROUTES: tuple[str, ...] = (
    "piece_sets.list",
    "piece_sets.create",
    "piece_sets.get",
    "piece_sets.update",
    "piece_sets.delete",
    "piece_sets.duplicate",
    "piece_sets.assign",
    "piece_sets.unassign",
    "piece_sets.for_project",
)
PEOPLE_ROUTES: tuple[str, ...] = (
    "invitations.create",
    "invitations.list",
    "invitations.delete",
    "members.list",
    "members.update",
    "members.delete",
    "users.list",
    "users.update",
    "users.delete",
    "roles.list",
)
#: Every route a fault can target by name (``worker_groups`` only through ``"*"``).
ROUTES: tuple[str, ...] = PROJECT_ROUTES + PIECE_SET_ROUTES + PEOPLE_ROUTES


def without_trailing_slash(path: str) -> str:
    """Fastify's ``ignoreTrailingSlash``: ``/a/`` is ``/a`` (``/`` stays)."""
    return path[:-1] if len(path) > 1 and path.endswith("/") else path
