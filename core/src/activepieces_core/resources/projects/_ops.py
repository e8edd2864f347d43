"""Projects operations written once, without I/O, as generators.

Each operation yields `Call` (and `Sleep`) instructions and receives the parsed response
(or has the error thrown in); the sync and async resources only drive these generators.
So ``ensure``'s state machine and ``sync_pieces``' diff exist exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from typing_extensions import Unpack

from activepieces_core._http import Call, path_of
from activepieces_core.errors import (
    AmbiguousExternalIdError,
    ExternalIdConflictError,
    InvalidRequestError,
    NotFoundError,
)
from activepieces_core.models import (
    ColorName,
    CreateProjectRequest,
    Page,
    PlanRequest,
    Project,
    ProjectType,
    UpdateProjectRequest,
)
from activepieces_core.models.requests import IconRequest, build_request
from activepieces_core.project_diff import diff_fields, update_kwargs, wish_pieces
from activepieces_core.resources._base import Op, create_once, parse, require_id
from activepieces_core.retries import RetryPolicy
from activepieces_core.types.projects import (
    UNSET,
    CreateFields,
    EnsureOptions,
    EnsureResult,
    ListFilters,
    SyncPiecesResult,
    Unset,
    UpdateFields,
)

__all__ = ["ProjectPage", "discard", "ensure", "find", "list_body", "list_page", "parse_page"]

#: The ``ensure`` options that only the follow-up update can set (create takes none of them).
_SET_BY_UPDATE = (
    "releases_enabled",
    "icon_color",
    "notify_flow_owner_on_failure",
    "active_flows_limit",
    "worker_group_id",
    "execution_data_retention_days",
    "sensitive",
)


# --- small builders ------------------------------------------------------------------------


def _project_id(project: Project | str) -> str:
    return project.id if isinstance(project, Project) else require_id(project, "project_id")


def _types(types: Sequence[ProjectType | str] | ProjectType | str | None) -> list[str]:
    if types is None:
        return []
    items = [types] if isinstance(types, (str, ProjectType)) else list(types)
    try:
        return [ProjectType(t).value for t in items]
    except ValueError:
        raise InvalidRequestError(f"types must be TEAM and/or PERSONAL, got {items!r}") from None


def list_params(filters: ListFilters, cursor: str | None) -> list[tuple[str, str]]:
    """Query parameters of ``GET /projects``; ``types`` repeats (``types=TEAM&types=...``)."""
    unknown = set(filters) - set(ListFilters.__annotations__)
    if unknown:
        raise InvalidRequestError(f"unknown list filters: {sorted(unknown)}")
    external_id = filters.get("external_id")
    display_name = filters.get("display_name")
    limit = filters.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise InvalidRequestError(f"limit must be a positive integer, got {limit!r}")
    params: list[tuple[str, str]] = []
    for key, value in (("externalId", external_id), ("displayName", display_name)):
        if value is not None:
            params.append((key, value))
    params.extend(("types", t) for t in _types(filters.get("types")))
    if limit is not None:
        params.append(("limit", str(limit)))
    if cursor:
        params.append(("cursor", cursor))
    return params


def update_body(**fields: Unpack[UpdateFields]) -> dict[str, Any]:
    """Validated update body; None (or absent) means "leave unchanged"."""
    values: dict[str, Any] = dict(fields)
    pieces = values.pop("pieces", None)
    pieces_filter_type = values.pop("pieces_filter_type", None)
    active_flows_limit = values.pop("active_flows_limit", None)
    if pieces is not None or pieces_filter_type is not None or active_flows_limit is not None:
        values["plan"] = build_request(
            PlanRequest,
            pieces=pieces,
            pieces_filter_type=pieces_filter_type,
            active_flows_limit=active_flows_limit,
        )
    icon_color = values.pop("icon_color", None)
    if icon_color is not None:
        values["icon"] = build_request(IconRequest, color=icon_color)
    return build_request(UpdateProjectRequest, **_plain(values)).to_body()


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Mappings and sequences as the dicts and lists pydantic validates (strings refused)."""
    if isinstance(values.get("metadata"), Mapping):
        values["metadata"] = dict(values["metadata"])
    if "global_connection_external_ids" in values:
        values["global_connection_external_ids"] = _opt_list(
            values["global_connection_external_ids"]
        )
    return values


def _opt_list(value: Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        raise InvalidRequestError("global_connection_external_ids must be a list, not a string")
    return list(value)


def _project(body: Any) -> Project:
    return parse(Project, body)


# --- operations -----------------------------------------------------------------------------


#: Parametrised once: ``Page[Project]`` per call rebuilt the generic model every few calls
#: (pydantic caches it weakly), a quarter of the client's CPU on small pages.
ProjectPage = Page[Project]


def list_body(params: list[tuple[str, str]]) -> Op[Any]:
    """One page of ``GET /projects``, as the server sent it (see `parse_page`)."""
    body = yield Call("GET", "/projects", params=params)
    return body


def parse_page(body: Any) -> Page[Project]:
    """A ``GET /projects`` body as a page of projects."""
    return parse(ProjectPage, body)


def list_page(params: list[tuple[str, str]]) -> Op[Page[Project]]:
    """One page of ``GET /projects``."""
    return parse_page((yield from list_body(params)))


def get(project_id: str) -> Op[Project]:
    """``GET /projects/:id``."""
    body = yield Call("GET", path_of("projects", require_id(project_id, "project_id")))
    return _project(body)


def get_by_external_id(external_id: str) -> Op[Project | None]:
    """The live project with ``external_id``; None if absent; error if several."""
    require_id(external_id, "external_id")
    # limit=2 is enough to tell "one" from "more than one".
    page = yield from list_page([("externalId", external_id), ("limit", "2")])
    # Exact match client-side too: an old server that ignored the filter must not mislead us.
    matches = [p for p in page.data if p.external_id == external_id]
    if len(matches) > 1:
        ids = ", ".join(p.id for p in matches)
        raise AmbiguousExternalIdError(
            f"more than one project has externalId {external_id!r} ({ids}); "
            "resolve the duplicates by id",
            code="AMBIGUOUS_EXTERNAL_ID",
            params={"externalId": external_id, "projectIds": [p.id for p in matches]},
        )
    return matches[0] if matches else None


def create_body(display_name: str, **fields: Unpack[CreateFields]) -> dict[str, Any]:
    """Validated create body."""
    values = _plain(dict(fields))
    return build_request(CreateProjectRequest, display_name=display_name, **values).to_body()


def post_create(body: dict[str, Any]) -> Op[Project]:
    """``POST /projects``: resent only on failures that provably wrote nothing."""
    created = yield Call("POST", "/projects", body=body, retry="create")
    return _project(created)


def create(display_name: str, **fields: Unpack[CreateFields]) -> Op[Project]:
    """Validate, then create (see `post_create`)."""
    return (yield from post_create(create_body(display_name, **fields)))


def post_update(project_id: str, body: dict[str, Any]) -> Op[Project]:
    """``POST /projects/:id`` (idempotent, retried)."""
    path = path_of("projects", require_id(project_id, "project_id"))
    updated = yield Call("POST", path, body=body)
    return _project(updated)


def update(project_id: str, **fields: Unpack[UpdateFields]) -> Op[Project]:
    """Validate, then update (see `post_update`)."""
    return (yield from post_update(project_id, update_body(**fields)))


def _refuse_personal(project: Project) -> None:
    if project.is_personal:
        raise InvalidRequestError(
            f"project {project.id} is PERSONAL; personal projects cannot be deleted"
        )


def delete(project: Project | str) -> Op[None]:
    """``DELETE /projects/:id``; a 404 on a retry means an earlier attempt deleted it."""
    if isinstance(project, Project):
        _refuse_personal(project)
    path = path_of("projects", _project_id(project))
    yield Call("DELETE", path, gone_ok=True)


def delete_by_external_id(external_id: str, *, missing_ok: bool) -> Op[Project | None]:
    """Delete the project with ``external_id``; return it (None if absent and missing_ok)."""
    found = yield from get_by_external_id(external_id)
    if found is None:
        if missing_ok:
            return None
        raise NotFoundError(
            f"no project with externalId {external_id!r}",
            code="ENTITY_NOT_FOUND",
            params={"entityType": "project", "externalId": external_id},
        )
    yield from delete(found)
    return found


def _target(project_id: str | None, external_id: str | None) -> tuple[bool, str]:
    """``(by_external_id, value)`` for exactly one non-blank id or externalId."""
    given = [v for v in (project_id, external_id) if v is not None and v != ""]
    if len(given) != 1:
        raise InvalidRequestError("give exactly one of project_id and external_id")
    if external_id:
        return True, require_id(external_id, "external_id")
    return False, require_id(str(project_id), "project_id")


def find(project_id: str | None, external_id: str | None) -> Op[Project | None]:
    """The project with this id or this externalId (one of them); None when there is none."""
    by_external_id, value = _target(project_id, external_id)
    if by_external_id:
        return (yield from get_by_external_id(value))
    try:
        return (yield from get(value))
    except NotFoundError:
        return None


def discard(project_id: str | None, external_id: str | None) -> Op[str | None]:
    """Delete the project with this id or externalId if there is one: its id, else None."""
    by_external_id, value = _target(project_id, external_id)
    if by_external_id:
        gone = yield from delete_by_external_id(value, missing_ok=True)
        return None if gone is None else gone.id
    try:
        yield from delete(value)
    except NotFoundError:
        return None
    return value


# --- convergence (one comparison: `project_diff`, shared with the tenant planner) -----------


def _wish(
    *,
    display_name: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    max_concurrent_jobs: int | None = None,
    releases_enabled: bool | None = None,
    icon_color: ColorName | str | None = None,
    pieces: Sequence[str] | Unset | None = UNSET,
    notify_flow_owner_on_failure: bool | None = None,
    active_flows_limit: int | None = None,
    worker_group_id: str | None = None,
    execution_data_retention_days: int | None = None,
    sensitive: bool | None = None,
) -> dict[str, Any]:
    """The managed fields of ``ensure``'s options (None / UNSET = not managed).

    The fields create cannot set (`_SET_BY_UPDATE`) are validated here by update's own
    rule (`update_body`), so a bad value fails before any request, not after a create.
    """
    wish: dict[str, Any] = {
        "display_name": display_name,
        "metadata": metadata,
        "max_concurrent_jobs": max_concurrent_jobs,
        "releases_enabled": releases_enabled,
        "icon_color": icon_color,
        "notify_flow_owner_on_failure": notify_flow_owner_on_failure,
        "active_flows_limit": active_flows_limit,
        "worker_group_id": worker_group_id,
        "execution_data_retention_days": execution_data_retention_days,
        "sensitive": sensitive,
    }
    update_body(**{name: wish[name] for name in _SET_BY_UPDATE})
    if pieces is not UNSET:
        wish["pieces"] = wish_pieces(pieces)  # bad names fail before any request
    return wish


def sync_pieces(project: Project | str, pieces: Sequence[str] | None) -> Op[SyncPiecesResult]:
    """Set the piece filter to ``pieces``; send nothing when it is already so."""
    wish = {"pieces": wish_pieces(pieces)}  # validate before any request
    current = project if isinstance(project, Project) else (yield from get(project))
    changes = update_kwargs(diff_fields(current, wish))
    if not changes:
        return SyncPiecesResult(current, changed=False)
    updated = yield from update(current.id, **changes)
    return SyncPiecesResult(updated, changed=True)


def ensure(
    external_id: str, display_name: str, policy: RetryPolicy, **options: Unpack[EnsureOptions]
) -> Op[EnsureResult]:
    """Get or create the project for ``external_id``, never creating a duplicate.

    1. Look it up by externalId. 2. If absent, create it; after any failure that may have
    reached the server (timeout, dropped connection, 5xx incl. the duplicate-externalId 500,
    409) look up again before creating again (at most ``policy.max_retries`` more creates).
    3. Converge with at most one update: after a fresh create, for the fields create cannot
    set (`_SET_BY_UPDATE` and pieces); for an existing project when ``if_exists="update"``.
    """
    unknown = set(options) - set(EnsureOptions.__annotations__)
    if unknown:
        raise InvalidRequestError(f"unknown ensure options: {sorted(unknown)}")
    if_exists = options.get("if_exists", "update")
    if if_exists not in ("update", "return", "fail"):
        raise InvalidRequestError(f"if_exists must be update, return or fail; got {if_exists!r}")
    body = create_body(
        display_name,
        external_id=require_id(external_id, "external_id"),
        metadata=options.get("metadata"),
        max_concurrent_jobs=options.get("max_concurrent_jobs"),
        global_connection_external_ids=options.get("global_connection_external_ids"),
        alert_receiver_email=options.get("alert_receiver_email"),
    )
    wish = _wish(
        display_name=display_name,
        metadata=options.get("metadata"),
        max_concurrent_jobs=options.get("max_concurrent_jobs"),
        releases_enabled=options.get("releases_enabled"),
        icon_color=options.get("icon_color"),
        pieces=options.get("pieces", UNSET),
        notify_flow_owner_on_failure=options.get("notify_flow_owner_on_failure"),
        active_flows_limit=options.get("active_flows_limit"),
        worker_group_id=options.get("worker_group_id"),
        execution_data_retention_days=options.get("execution_data_retention_days"),
        sensitive=options.get("sensitive"),
    )

    def changes_for(project: Project) -> dict[str, Any]:
        return update_kwargs(diff_fields(project, wish))

    existing = yield from get_by_external_id(external_id)
    if existing is None:
        existing, created = yield from create_once(
            lambda: post_create(body),
            lambda: get_by_external_id(external_id),
            policy,
            taken=lambda exc: isinstance(exc, ExternalIdConflictError),
        )
        if created is not None:
            changes = changes_for(created)
            if changes:
                created = yield from update(created.id, **changes)
            return EnsureResult(created, "created")
    if if_exists == "fail":
        raise ExternalIdConflictError(
            f"a project with externalId {external_id!r} already exists ({existing.id})",
            code="PROJECT_EXTERNAL_ID_ALREADY_EXISTS",
            params={"externalId": external_id, "projectId": existing.id},
        )
    changes = changes_for(existing) if if_exists == "update" else {}
    if not changes:
        return EnsureResult(existing, "unchanged")
    updated = yield from update(existing.id, **changes)
    return EnsureResult(updated, "updated")
