"""The emulator's routes: their names (what `.faults` targets and `.requestlog` records) and
the `Request` every route family's ``handle`` takes.

The route tables that map paths to these names stay with each family: `.app` (projects),
`.piece_sets_http` and `.people_http`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from .records import Platform

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
    "members.platform",
    "members.update",
    "members.delete",
    "users.list",
    "users.update",
    "users.delete",
    "roles.list",
    "roles.get",
    "roles.members",
    "roles.create",
    "roles.update",
    "roles.delete",
)
#: A project's contents (`.contents_http`): reads the export is built from, and replace.
CONTENT_ROUTES: tuple[str, ...] = (
    "flows.list",
    "folders.list",
    "tables.list",
    "fields.list",
    "app_connections.list",
    "flags.get",
    "projects.replace",
    "platforms.get",
)
#: Every route a fault can target by name (``worker_groups`` only through ``"*"``).
ROUTES: tuple[str, ...] = PROJECT_ROUTES + PIECE_SET_ROUTES + PEOPLE_ROUTES + CONTENT_ROUTES


def without_trailing_slash(path: str) -> str:
    """Fastify's ``ignoreTrailingSlash``: ``/a/`` is ``/a`` (``/`` stays)."""
    return path[:-1] if len(path) > 1 and path.endswith("/") else path


class Request(NamedTuple):
    """A matched request, as a route family sees it: the family validates the query and the
    body, then calls ``authenticate`` (the Fastify order: 400 before 401/403). A named tuple:
    one is built for every request, and tuples are the cheapest to build."""

    route: str
    params: tuple[str, ...]  # path parameters, in path order
    query_string: bytes
    body: Callable[[], Any]  # the parsed body (Fastify's parsers: 400/415 when they refuse it)
    authenticate: Callable[[], Platform]  # the API key's platform (401/403 otherwise)

    @property
    def item_id(self) -> str | None:
        """The first path parameter (the ``:id`` of most routes)."""
        return self.params[0] if self.params else None

    def query_pairs(self) -> list[tuple[str, str]]:
        """The query string's pairs in order, blanks kept."""
        return parse_qsl(self.query_string.decode("latin-1"), keep_blank_values=True)
