"""Piece-set operations written once, without I/O (see `activepieces_core.resources._base`).

Rules of the server (``docs/piece-sets.md`` says which upstream version each was read from):
every route answers 402 FEATURE_DISABLED unless the platform has ``managePiecesEnabled`` (and
404 on servers without the module); the list has no filters, so a set is found by key by
reading pages (at most 100 rows each); a taken key is a 409 VALIDATION on the newest server
and a 500 database error on older ones, and a create has no idempotency key: ``ensure`` looks
the key up before creating and after any failure that may have written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from activepieces_core._http import Call, path_of
from activepieces_core.errors import (
    APIError,
    FeatureDisabledError,
    InvalidRequestError,
    NotFoundError,
    ValidationError,
)
from activepieces_core.models import Page, Project
from activepieces_core.models.enums import enum_value
from activepieces_core.models.piece_set import (
    AssignProjectsRequest,
    CreatePieceSetRequest,
    DuplicatePieceSetRequest,
    PieceSelection,
    PieceSelectionRequest,
    PieceSet,
    PiecesMechanism,
    UpdatePieceSetRequest,
)
from activepieces_core.models.requests import build_request
from activepieces_core.resources._base import Op, create_once, find_row, parse, require_id
from activepieces_core.retries import RetryPolicy
from activepieces_core.types.piece_sets import PieceSetEnsureResult, PiecesWish

__all__ = [
    "LEGACY_ANSWERS",
    "MAX_PAGE_SIZE",
    "changes",
    "check_limit",
    "ensure",
    "list_body",
    "list_page",
    "list_params",
    "parse_page",
]

#: The server's bound on ``limit`` (1..100; its default is 10).
MAX_PAGE_SIZE = 100

#: Parametrised once (see `resources.projects._ops.ProjectPage`).
PieceSetPage = Page[PieceSet]


# --- small builders ------------------------------------------------------------------------


def _set_id(piece_set: PieceSet | str) -> str:
    return (
        piece_set.id if isinstance(piece_set, PieceSet) else require_id(piece_set, "piece_set_id")
    )


def _project_id(project: Project | str) -> str:
    return project.id if isinstance(project, Project) else require_id(project, "project_id")


def check_limit(limit: int | None) -> int | None:
    """``limit`` must be an integer from 1 to 100 (the server's bounds); None = its default."""
    if limit is not None and (
        isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE_SIZE
    ):
        raise InvalidRequestError(
            f"limit must be an integer from 1 to {MAX_PAGE_SIZE}, got {limit!r}"
        )
    return limit


def list_params(limit: int | None, cursor: str | None) -> list[tuple[str, str]]:
    """Query of ``GET /piece-sets``: ``limit`` (checked) and the opaque ``cursor``."""
    params = [] if check_limit(limit) is None else [("limit", str(limit))]
    if cursor:
        params.append(("cursor", cursor))
    return params


def selection(pieces: PiecesWish) -> PieceSelection:
    """A pieces wish as a normalised selection (names expanded, sorted, unique).

    Raises `InvalidRequestError` for an unknown mode or a bad piece name.
    """
    if isinstance(pieces, PieceSelection):
        value: Any = {"mode": enum_value(pieces.mode), "exceptions": pieces.exceptions}
    elif isinstance(pieces, Mapping):
        value = dict(pieces)
    else:
        raise InvalidRequestError(
            f"pieces must be a PieceSelection or {{mode, exceptions}}, not {type(pieces).__name__}"
        )
    checked = build_request(PieceSelectionRequest, **value)
    assert isinstance(checked, PieceSelectionRequest)
    return PieceSelection(mode=checked.mode, exceptions=checked.exceptions).normalized()


def create_body(name: str, key: str | None = None) -> dict[str, Any]:
    """Validated create body (a blank key is refused: the server would invent one)."""
    return build_request(CreatePieceSetRequest, name=name, key=key).to_body()


def update_body(
    *, name: str | None = None, key: str | None = None, pieces: PiecesWish | None = None
) -> dict[str, Any]:
    """Validated update body: only ``name``, ``key`` and ``pieces``; None leaves a field.

    Action/trigger selections and required actions are never sent: the server merges an
    update, so what is not sent is kept.
    """
    wanted = None if pieces is None else selection(pieces)
    plain = None if wanted is None else {"mode": wanted.mode, "exceptions": wanted.exceptions}
    return build_request(UpdatePieceSetRequest, name=name, key=key, pieces=plain).to_body()


def _piece_set(body: Any) -> PieceSet:
    return parse(PieceSet, body)


# --- operations -------------------------------------------------------------------------------


def list_body(params: list[tuple[str, str]]) -> Op[Any]:
    """One page of ``GET /piece-sets`` as the server sent it (see `parse_page`)."""
    body = yield Call("GET", "/piece-sets", params=params)
    return body


def parse_page(body: Any) -> Page[PieceSet]:
    """A ``GET /piece-sets`` body as a page of sets."""
    return parse(PieceSetPage, body)


def list_page(params: list[tuple[str, str]]) -> Op[Page[PieceSet]]:
    """One page of ``GET /piece-sets`` (order: created, then id)."""
    return parse_page((yield from list_body(params)))


def get(piece_set_id: str) -> Op[PieceSet]:
    """``GET /piece-sets/:id`` (`NotFoundError` if absent or of another platform)."""
    body = yield Call("GET", path_of("piece-sets", require_id(piece_set_id, "piece_set_id")))
    return _piece_set(body)


def get_by_key(key: str, page_size: int = MAX_PAGE_SIZE) -> Op[PieceSet | None]:
    """The set with this key, or None: reads pages until found (the list has no filter)."""
    require_id(key, "key")
    check_limit(page_size)
    return (
        yield from find_row(
            lambda cursor: list_page(list_params(page_size, cursor)), lambda row: row.key == key
        )
    )


def for_project(project: Project | str) -> Op[PieceSet]:
    """``GET /piece-sets/projects/:projectId``: the set the project resolves to (Default when
    none is assigned)."""
    body = yield Call("GET", path_of("piece-sets", "projects", _project_id(project)))
    return _piece_set(body)


def post_create(body: dict[str, Any]) -> Op[PieceSet]:
    """``POST /piece-sets``: resent only on failures that provably wrote nothing."""
    created = yield Call("POST", "/piece-sets", body=body, retry="create")
    return _piece_set(created)


def create(name: str, key: str | None = None) -> Op[PieceSet]:
    """Validate, then create (the set starts as include_all with no exceptions)."""
    return (yield from post_create(create_body(name, key)))


def post_update(piece_set: PieceSet | str, body: dict[str, Any]) -> Op[PieceSet]:
    """``POST /piece-sets/:id`` (a merge: idempotent, retried)."""
    updated = yield Call("POST", path_of("piece-sets", _set_id(piece_set)), body=body)
    return _piece_set(updated)


def update(
    piece_set: PieceSet | str,
    *,
    name: str | None = None,
    key: str | None = None,
    pieces: PiecesWish | None = None,
) -> Op[PieceSet]:
    """Validate, then update; with nothing to change, nothing is sent (one GET given an id)."""
    body = update_body(name=name, key=key, pieces=pieces)
    if not body:
        return piece_set if isinstance(piece_set, PieceSet) else (yield from get(piece_set))
    return (yield from post_update(piece_set, body))


def delete(piece_set: PieceSet | str) -> Op[None]:
    """``DELETE /piece-sets/:id``: its projects move to the Default set. A 404 on a retry
    means an earlier attempt deleted it. The Default set is refused before sending."""
    if isinstance(piece_set, PieceSet) and piece_set.is_default:
        raise InvalidRequestError(
            f"piece set {piece_set.id} is the Default set; it cannot be deleted"
        )
    yield Call("DELETE", path_of("piece-sets", _set_id(piece_set)), gone_ok=True)


def duplicate(piece_set: PieceSet | str, name: str) -> Op[PieceSet]:
    """``POST /piece-sets/:id/duplicate``: a copy of the config under a new name (and, on the
    newest server, a generated key). A create: resent only when nothing can have been written."""
    body = build_request(DuplicatePieceSetRequest, name=name).to_body()
    path = path_of("piece-sets", _set_id(piece_set), "duplicate")
    copied = yield Call("POST", path, body=body, retry="create")
    return _piece_set(copied)


def assign(piece_set: PieceSet | str, projects: Sequence[Project | str]) -> Op[None]:
    """``POST /piece-sets/:id/projects``: the projects move to this set (idempotent, retried)."""
    if isinstance(projects, (str, Project)):
        raise InvalidRequestError("projects must be a list of projects or ids")
    ids = [_project_id(p) for p in projects]
    body = build_request(AssignProjectsRequest, project_ids=ids).to_body()
    yield Call("POST", path_of("piece-sets", _set_id(piece_set), "projects"), body=body)


def unassign(piece_set: PieceSet | str, project: Project | str) -> Op[None]:
    """``DELETE /piece-sets/:id/projects/:projectId``: the project goes back to the Default set
    (idempotent: a project no longer on the set is left alone). Refused for the Default set."""
    if isinstance(piece_set, PieceSet) and piece_set.is_default:
        raise InvalidRequestError("projects cannot be removed from the Default set")
    path = path_of("piece-sets", _set_id(piece_set), "projects", _project_id(project))
    yield Call("DELETE", path)


#: What the set listing answers where the legacy project plan governs: 402 FEATURE_DISABLED
#: (flag off) or 404 (no such module).
LEGACY_ANSWERS = (FeatureDisabledError, NotFoundError)


def probe_mechanism() -> Op[PiecesMechanism]:
    """Which mechanism governs the platform: ``GET /piece-sets?limit=1`` answers 200 where
    piece sets do, one of `LEGACY_ANSWERS` where the legacy project plan does. Any other
    failure is raised."""
    try:
        yield from list_page([("limit", "1")])
    except LEGACY_ANSWERS:
        return PiecesMechanism.PROJECT_PLAN
    return PiecesMechanism.PIECE_SETS


# --- ensure -----------------------------------------------------------------------------------


def _key_taken(exc: APIError) -> bool:
    # The newest server turns its unique-index violation into 409 VALIDATION; a create has no
    # other VALIDATION outcome, so on create this means "the key exists".
    return isinstance(exc, ValidationError) and exc.status_code == 409


def changes(current: PieceSet, *, name: str, pieces: PieceSelection | None) -> dict[str, Any]:
    """Update kwargs bringing ``current`` to the wish (empty when it already matches)."""
    out: dict[str, Any] = {}
    if name != current.name:
        out["name"] = name
    if pieces is not None and not pieces.same_as(current.pieces):
        out["pieces"] = pieces
    return out


def ensure(
    key: str,
    name: str,
    policy: RetryPolicy,
    *,
    pieces: PiecesWish | None = None,
    if_exists: str = "update",
    page_size: int = MAX_PAGE_SIZE,
) -> Op[PieceSetEnsureResult]:
    """Get or create the set with ``key``, never creating a second one.

    1. Look it up by key (reading the pages). 2. If absent, create it; after any failure that
    may have reached the server (timeout, dropped connection, 5xx incl. an older server's
    duplicate-key 500, the newest one's 409) look up again before creating again (at most
    ``policy.max_retries`` more creates). 3. Converge name and pieces with at most one update
    (``pieces`` None leaves the selection alone; create starts as include_all, nothing hidden).
    ``if_exists``: "update" (default) | "return" (leave an existing set) | "fail" (raise).
    """
    if if_exists not in ("update", "return", "fail"):
        raise InvalidRequestError(f"if_exists must be update, return or fail; got {if_exists!r}")
    body = create_body(name, require_id(key, "key"))
    wanted = None if pieces is None else selection(pieces)
    check_limit(page_size)

    existing = yield from get_by_key(key, page_size)
    if existing is None:
        existing, created = yield from create_once(
            lambda: post_create(body), lambda: get_by_key(key, page_size), policy, taken=_key_taken
        )
        if created is not None:
            todo = changes(created, name=name, pieces=wanted)
            if todo:
                created = yield from post_update(created, update_body(**todo))
            return PieceSetEnsureResult(created, "created")
    if if_exists == "fail":
        raise ValidationError(
            f"a piece set with key {key!r} already exists ({existing.id})",
            code="VALIDATION",
            params={"key": key, "pieceSetId": existing.id},
        )
    todo = changes(existing, name=name, pieces=wanted) if if_exists == "update" else {}
    if not todo:
        return PieceSetEnsureResult(existing, "unchanged")
    updated = yield from post_update(existing, update_body(**todo))
    return PieceSetEnsureResult(updated, "updated")
