"""The one comparison of a project with a wish, used by ``ensure``, ``sync_pieces`` and plans.

A *wish* maps managed field names to desired values; a field that is absent (or None, except
``pieces``) is not managed and never compared. ``pieces`` is special: None means "every piece"
(filter NONE), a list is an allow-list. Values in a `Diff` are JSON-shaped (enum values as
strings, pieces sorted) so a plan survives XCom / Prefect result round trips, and what a plan
shows is exactly what is sent.

Rules (read from the server as of Aug 2026):
* display name and icon colour are ignored by the server on PERSONAL projects: not compared;
* ``metadata`` null and ``{}`` are the same (neither holds anything);
* a piece list stored under filter NONE decides nothing, so "every piece" matches it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from activepieces_core.models import PiecesFilterType, Project, enum_value
from activepieces_core.pieces import normalize_pieces
from activepieces_core.project_fields import PROJECT_FIELDS

__all__ = [
    "MANAGED_FIELDS",
    "Diff",
    "creation_diff",
    "diff_fields",
    "observed_state",
    "update_kwargs",
    "wish_pieces",
]

#: ``{field: {"from": current, "to": desired}}``.
Diff = dict[str, dict[str, Any]]


def wish_pieces(pieces: Sequence[str] | None) -> list[str] | None:
    """A pieces wish in its compared form: None (all) or normalised, sorted, unique names.

    Raises `InvalidRequestError` for a bad name, so callers validate before any request.
    """
    return None if pieces is None else normalize_pieces(pieces)


def _same(have: Any, want: Any) -> bool:
    return bool(have == want)


def _same_metadata(have: Any, want: Any) -> bool:
    return (have or {}) == (want or {})


@dataclass(frozen=True)
class _Field:
    read: Callable[[Project], Any]
    desired: Callable[[Any], Any] = enum_value
    same: Callable[[Any, Any], bool] = _same
    team_only: bool = False
    none_is_unmanaged: bool = True


#: The fields read or compared otherwise than as the project's attribute of the same name.
_SPECIAL: dict[str, _Field] = {
    "display_name": _Field(attrgetter("display_name"), team_only=True),
    "pieces": _Field(lambda p: p.allowed_pieces, wish_pieces, none_is_unmanaged=False),
    "metadata": _Field(attrgetter("metadata"), lambda v: dict(v), _same_metadata),
    "icon_color": _Field(lambda p: enum_value(p.icon_color), team_only=True),
    "active_flows_limit": _Field(lambda p: p.plan.active_flows_limit if p.plan else None),
}

#: Every field a wish may manage (the ``managed`` ones of core's field description), in the
#: order diffs list them. The 2026 fields (project.ts / project-requests.ts upstream, read
#: 2026-12) read as their `Project` defaults from a server too old to return them, so a wish
#: differs and the update carries it.
MANAGED_FIELDS: dict[str, _Field] = {
    field.name: _SPECIAL.get(field.name) or _Field(attrgetter(field.name))
    for field in PROJECT_FIELDS
    if field.managed
}


def _check_known(wish: Mapping[str, Any]) -> None:
    if not wish.keys() <= MANAGED_FIELDS.keys():
        unknown = sorted(set(wish) - set(MANAGED_FIELDS))
        raise ValueError(f"not a managed project field: {unknown}")


def _managed(wish: Mapping[str, Any]) -> dict[str, Any]:
    _check_known(wish)
    return {
        name: MANAGED_FIELDS[name].desired(value)
        for name, value in wish.items()
        if value is not None or not MANAGED_FIELDS[name].none_is_unmanaged
    }


def diff_fields(project: Project, wish: Mapping[str, Any]) -> Diff:
    """The managed fields of ``wish`` whose value on ``project`` differs."""
    # One pass, no intermediate dict: a plan compares every tenant's fields (50,000 of them
    # at platform scale), so this loop is most of a no-op plan's own work.
    _check_known(wish)
    diff: Diff = {}
    personal = project.is_personal
    for name, value in wish.items():
        field = MANAGED_FIELDS[name]
        if (value is None and field.none_is_unmanaged) or (personal and field.team_only):
            continue
        want = field.desired(value)
        have = field.read(project)
        # Equal values are always the same; ``same`` decides only the rest.
        if have != want and not field.same(have, want):
            diff[name] = {"from": have, "to": want}
    return diff


def observed_state(project: Project) -> dict[str, Any]:
    """What a plan saw of ``project``: id, ``updated`` and every managed field's value."""
    state: dict[str, Any] = {"id": project.id, "updated": project.updated}
    state.update({name: field.read(project) for name, field in MANAGED_FIELDS.items()})
    return state


def creation_diff(wish: Mapping[str, Any]) -> Diff:
    """The diff a create shows: every managed, set field, from None."""
    return {name: {"from": None, "to": v} for name, v in _managed(wish).items() if v is not None}


def update_kwargs(diff: Diff) -> dict[str, Any]:
    """Keyword arguments of ``projects.update`` that apply ``diff`` in one request."""
    kwargs: dict[str, Any] = {}
    for name, change in diff.items():
        want = change["to"]
        if name == "pieces":
            kwargs["pieces"] = [] if want is None else list(want)
            kwargs["pieces_filter_type"] = (
                PiecesFilterType.NONE if want is None else PiecesFilterType.ALLOWED
            )
        else:
            kwargs[name] = want
    return kwargs
