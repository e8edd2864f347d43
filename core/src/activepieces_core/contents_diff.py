"""What a replace would change: the server's own comparison, so a plan says what replace does.

`diff_state(current, wanted)` lists, per flow, table and folder, whether ``POST
/v1/projects/:id/replace`` with ``wanted`` would create, update, delete or leave it; its counts
(`change_counts`) equal the ``applied`` counts replace answers for the same two states
(connections are not part of it: replace never deletes them, see `ReplaceCounts`).

Read from upstream (``packages/server/api/src/app/ee/projects/``):

* ``project-replace/project-replace.service.ts`` @ 03c3239ede00278eaee947155e335c0cae1f8564:
  ``*Unchanged`` = items in the body minus its creates and updates; folders without an external
  id are not part of the current state;
* ``project-release/project-state/diff/flow-diff.service.ts`` @
  098b2e9d7a558433647768b705d684a01a371106: flows match by ``externalId`` (the live flow's
  ``externalId ?? id``); a flow changed when its version's ``displayName`` differs, its
  ``trigger`` differs after normalising every step (``settings.sampleData`` and
  ``lastUpdatedDate`` ignored; for piece steps ``pieceVersion`` and a set ``input.auth``
  ignored), its ``notes`` (id -> content) differ, or a piece step of the live flow is missing
  from the wanted one or has another exact version (``^``/``~`` dropped). Status and folder do
  not count;
* ``.../diff/table-diff.service.ts`` @ 098b2e9d…: a table changed when anything but its
  ``id`` differs (name, fields in order, status, trigger; null and absent alike);
* ``project-replace/folder-diff.service.ts`` @ d81c3f91a90345c5d07eeb38bf4418fb8301cb29: a
  folder changed when ``displayName`` or ``displayOrder`` differs.

Value comparison is JSON equality (upstream's loose ``deep-equal``: also ``1 == 1.0`` and
null == absent for the optional fields above; its rarer coercions, e.g. ``"1" == 1``, are not
followed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from activepieces_core.models.contents import (
    FolderState,
    ProjectState,
    TableState,
    flow_display_name,
    flow_external_id,
    flow_steps,
)

__all__ = [
    "ContentAction",
    "ContentChange",
    "ContentKind",
    "change_counts",
    "diff_state",
    "flow_changes",
    "folder_changes",
    "table_changes",
]

ContentKind = Literal["flow", "table", "folder"]
ContentAction = Literal["create", "update", "delete", "noop"]

_PIECE_STEPS = ("PIECE", "PIECE_TRIGGER")
#: What upstream writes over ``settings.sampleData`` on both sides before comparing.
_SAMPLE_DATA = {"sampleDataFileId": None, "sampleDataInputFileId": None}


@dataclass(frozen=True)
class ContentChange:
    """One item of a replace: ``fields`` name what differs for an update (wire names: a flow's
    ``displayName``/``trigger``/``notes``/``pieceVersions``, a table's
    ``name``/``fields``/``status``/``trigger``, a folder's ``displayName``/``displayOrder``)."""

    kind: ContentKind
    external_id: str
    action: ContentAction
    fields: tuple[str, ...] = ()
    display_name: str = ""


# --- flows ---------------------------------------------------------------------------------


def _exact(version: str) -> str:
    return version[1:] if version.startswith(("^", "~")) else version


def _piece_versions(trigger: Any) -> dict[str, Any]:
    return {
        str(step.get("name")): (step.get("settings") or {}).get("pieceVersion")
        for step in flow_steps(trigger)
        if step.get("type") in _PIECE_STEPS
    }


@dataclass(frozen=True)
class _Wanted:
    """What the diff needs of a wanted flow's trigger, worked out once per trigger object: a
    template's flows are compared with every tenant's, so not once per tenant."""

    trigger: Any  # held, so that its id is not reused while this is cached
    normalized: Any
    piece_versions: dict[str, Any]


#: `_Wanted` by ``id(trigger)`` (the template's triggers; bounded, cleared when full).
_WANTED: dict[int, _Wanted] = {}
_WANTED_MAX = 1024


def _wanted(trigger: Any) -> _Wanted:
    known = _WANTED.get(id(trigger))
    if known is not None and known.trigger is trigger:
        return known
    if len(_WANTED) >= _WANTED_MAX:
        _WANTED.clear()
    view = _Wanted(trigger, _normalize(trigger), _piece_versions(trigger))
    _WANTED[id(trigger)] = view
    return view


def _same_piece_versions(have: dict[str, Any], wanted: dict[str, Any]) -> bool:
    # One way, as upstream: every piece step of the live flow must be in the wanted one with
    # the same exact version (a step only the wanted flow has shows in its trigger instead).
    for name, version in have.items():
        other = wanted.get(name)
        if not isinstance(version, str) or not isinstance(other, str):
            return False
        if _exact(version) != _exact(other):
            return False
    return True


def _notes(notes: Any) -> dict[Any, Any]:
    if not isinstance(notes, list):
        return {}
    return {n.get("id"): n.get("content") for n in notes if isinstance(n, Mapping)}


def _normalize(step: Any) -> Any:
    """A step and everything under it as upstream compares them (see the module docstring)."""
    if not isinstance(step, Mapping):
        return step
    out = dict(step)
    kind = out.get("type")
    if isinstance(out.get("settings"), Mapping):
        settings = dict(out["settings"])
        settings["sampleData"] = _SAMPLE_DATA
        if kind in _PIECE_STEPS:
            settings["pieceVersion"] = ""
            given = settings.get("input")
            if isinstance(given, Mapping) and given.get("auth"):
                settings["input"] = {**given, "auth": ""}
        out["settings"] = settings
    out["lastUpdatedDate"] = ""
    if kind == "LOOP_ON_ITEMS" and out.get("firstLoopAction"):
        out["firstLoopAction"] = _normalize(out["firstLoopAction"])
    if kind == "ROUTER" and isinstance(out.get("children"), list):
        out["children"] = [_normalize(child) for child in out["children"]]
    branches = out.get("continueOnFailureBranches")
    if kind in ("CODE", "PIECE") and isinstance(branches, Mapping):
        out["continueOnFailureBranches"] = {
            key: _normalize(value) if key in ("onSuccess", "onFailure") and value else value
            for key, value in branches.items()
        }
    if out.get("nextAction"):
        out["nextAction"] = _normalize(out["nextAction"])
    return out


def _version(flow: Mapping[str, Any]) -> Mapping[str, Any]:
    version = flow.get("version")
    return version if isinstance(version, Mapping) else {}


def flow_fields(have: Mapping[str, Any], want: Mapping[str, Any]) -> tuple[str, ...]:
    """What differs between a live flow and the wanted one, by upstream's ``isFlowChanged``
    (empty: replace leaves it unchanged)."""
    old, new = _version(have), _version(want)
    old_trigger, new_trigger = old.get("trigger"), new.get("trigger")
    wanted = _wanted(new_trigger)
    changed = []
    if flow_display_name(have) != flow_display_name(want):
        changed.append("displayName")
    # Cheap first: triggers equal as they are (a tenant as its last replace left it) are equal
    # normalised, with the same piece steps at the same versions; only a differing one (another
    # server, a field it added or renamed) is normalised and walked.
    same = old_trigger == new_trigger
    if not same and _normalize(old_trigger) != wanted.normalized:
        changed.append("trigger")
    old_notes, new_notes = old.get("notes"), new.get("notes")
    if old_notes != new_notes and _notes(old_notes) != _notes(new_notes):
        changed.append("notes")
    have_versions = wanted.piece_versions if same else _piece_versions(old_trigger)
    if not _same_piece_versions(have_versions, wanted.piece_versions):
        changed.append("pieceVersions")
    return tuple(changed)


def flow_changes(
    current: Sequence[Mapping[str, Any]], wanted: Sequence[Mapping[str, Any]]
) -> list[ContentChange]:
    """Each wanted flow created, updated or left; each live flow not wanted deleted."""
    live = {flow_external_id(f): f for f in current}
    changes = []
    for flow in wanted:
        key = flow_external_id(flow)
        name = flow_display_name(flow)
        have = live.get(key)
        if have is None:
            changes.append(ContentChange("flow", key, "create", (), name))
            continue
        fields = flow_fields(have, flow)
        changes.append(ContentChange("flow", key, "update" if fields else "noop", fields, name))
    keep = {flow_external_id(f) for f in wanted}
    changes += [
        ContentChange("flow", key, "delete", (), flow_display_name(flow))
        for key, flow in live.items()
        if key not in keep
    ]
    return changes


# --- tables and folders ----------------------------------------------------------------------


def _table_view(table: TableState) -> dict[str, Any]:
    # Everything but the id, null and absent alike (fields keep their order).
    return table.model_dump(mode="json", by_alias=True, exclude={"id"})


def _differing(
    have: Mapping[str, Any], want: Mapping[str, Any], names: Iterable[str]
) -> tuple[str, ...]:
    return tuple(name for name in names if have.get(name) != want.get(name))


def table_changes(
    current: Sequence[TableState], wanted: Sequence[TableState]
) -> list[ContentChange]:
    """Each wanted table created, updated or left; each live table not wanted deleted."""
    live = {t.external_id: t for t in current}
    changes = []
    for table in wanted:
        have = live.get(table.external_id)
        if have is None:
            changes.append(ContentChange("table", table.external_id, "create", (), table.name))
            continue
        fields = _differing(
            _table_view(have),
            _table_view(table),
            ("name", "externalId", "fields", "status", "trigger"),
        )
        action: ContentAction = "update" if fields else "noop"
        changes.append(ContentChange("table", table.external_id, action, fields, table.name))
    keep = {t.external_id for t in wanted}
    changes += [
        ContentChange("table", key, "delete", (), t.name)
        for key, t in live.items()
        if key not in keep
    ]
    return changes


def folder_changes(
    current: Sequence[FolderState], wanted: Sequence[FolderState]
) -> list[ContentChange]:
    """Each wanted folder created, updated or left; each live folder not wanted deleted."""
    live = {f.external_id: f for f in current}
    changes = []
    for folder in wanted:
        have = live.get(folder.external_id)
        name = folder.display_name
        if have is None:
            changes.append(ContentChange("folder", folder.external_id, "create", (), name))
            continue
        fields = _differing(
            have.model_dump(by_alias=True),
            folder.model_dump(by_alias=True),
            ("displayName", "displayOrder"),
        )
        action: ContentAction = "update" if fields else "noop"
        changes.append(ContentChange("folder", folder.external_id, action, fields, name))
    keep = {f.external_id for f in wanted}
    changes += [
        ContentChange("folder", key, "delete", (), f.display_name)
        for key, f in live.items()
        if key not in keep
    ]
    return changes


# --- the whole state ---------------------------------------------------------------------------


def diff_state(current: ProjectState, wanted: ProjectState) -> list[ContentChange]:
    """What ``replace(project, wanted)`` does to a project whose contents are ``current``
    (flows, then tables, then folders; within each, the wanted items in order, then deletes)."""
    return [
        *flow_changes(current.flows, wanted.flows),
        *table_changes(current.tables, wanted.tables),
        *folder_changes(current.folders, wanted.folders),
    ]


def change_counts(changes: Iterable[ContentChange]) -> dict[str, int]:
    """The ``applied`` counts replace answers for these changes, as `ReplaceCounts` names them
    (``flows_created`` ... ``folders_unchanged``; connections are not counted here)."""
    past = {"create": "created", "update": "updated", "delete": "deleted", "noop": "unchanged"}
    counts = {
        f"{kind}s_{word}": 0 for kind in ("flow", "table", "folder") for word in past.values()
    }
    for change in changes:
        counts[f"{change.kind}s_{past[change.action]}"] += 1
    return counts
