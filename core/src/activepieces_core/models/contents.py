"""A project's contents: flows, folders, tables and connection references (issue 19).

Two kinds of models:

* what the read routes answer (`Flow`, `Folder`, `Table`, `Field`, `AppConnection`): tolerant,
  as every response model here;
* the body of ``POST /v1/projects/:id/replace`` (`ProjectState`, "a replace body") and its
  answer (`ReplaceResult`).

The replace body's shape is upstream's zod ``ProjectReplaceRequest``
(``packages/core/shared/src/lib/automation/project-release/project-replace.ts`` and
``project-state.ts``, as published in ``@activepieces/shared`` 0.96.2; the route in
``packages/server/api/src/app/ee/projects/project-replace/project-replace.controller.ts`` @
098b2e9d7a558433647768b705d684a01a371106). Flows travel verbatim (a ``PopulatedFlow`` as the
server lists it): the client never rewrites a flow it did not build. A state is validated when
it is built or read, so a bad file is an `InvalidStateError` before anything is sent (files:
`activepieces_core.models.state_file`).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    PrivateAttr,
    StrictInt,
    StrictStr,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic import Field as Default
from pydantic import ValidationError as PydanticValidationError
from pydantic.alias_generators import to_camel
from typing_extensions import Self

from activepieces_core._encoded import EncodedBody
from activepieces_core.errors import InvalidStateError
from activepieces_core.models.project import APIModel, is_owned

__all__ = [
    "REPLACE_SCHEMA_VERSION",
    "AppConnection",
    "ConnectionAwaitingAuthorization",
    "ConnectionState",
    "FailedItem",
    "Field",
    "FieldState",
    "Flow",
    "Folder",
    "FolderState",
    "InstalledPiece",
    "ProjectState",
    "ReplaceCounts",
    "ReplaceResult",
    "RequiredPiece",
    "Table",
    "TableState",
    "flow_display_name",
    "flow_external_id",
    "flow_steps",
]

#: ``PROJECT_REPLACE_SCHEMA_VERSION`` upstream: the only body version the route accepts.
REPLACE_SCHEMA_VERSION = 1


# --- read models (tolerant) ---------------------------------------------------------------


class Flow(APIModel):
    """A flow as ``GET /v1/flows`` lists it (a ``PopulatedFlow``: the flow and its version).

    `body` is the flow exactly as the server sent it: what a `ProjectState` carries.
    """

    id: str
    external_id: str | None = None
    project_id: str | None = None
    folder_id: str | None = None
    status: str | None = None
    published_version_id: str | None = None
    version: dict[str, Any] = Default(default_factory=dict)
    _body: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_body(
        cls, data: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> Flow:
        flow: Flow = handler(data)
        if isinstance(data, Mapping):
            # A response just decoded is kept as it is (`parse`); a caller's dict is copied.
            flow._body = dict(data) if is_owned(info.context) else copy.deepcopy(dict(data))
        return flow

    @property
    def display_name(self) -> str:
        """The flow's name (its version's ``displayName``)."""
        return flow_display_name(self._body or {"version": self.version})

    @property
    def body(self) -> dict[str, Any]:
        """A copy of the flow as the server sent it."""
        return copy.deepcopy(self._body)


class Folder(APIModel):
    """A flow folder (``GET /v1/folders``); only folders with an ``external_id`` are managed
    by replace."""

    id: str
    project_id: str | None = None
    external_id: str | None = None
    display_name: str = ""
    display_order: int | float = 0


class Table(APIModel):
    """A table (``GET /v1/tables``); its fields come from ``client.tables.fields``."""

    id: str
    name: str = ""
    project_id: str | None = None
    external_id: str | None = None
    folder_id: str | None = None
    status: str | None = None
    trigger: str | None = None


class Field(APIModel):
    """A table field (``GET /v1/fields?tableId=``); ``data`` holds a dropdown's options."""

    id: str
    name: str = ""
    type: str = ""
    external_id: str | None = None
    table_id: str | None = None
    data: dict[str, Any] | None = None


class AppConnection(APIModel):
    """A connection (``GET /v1/app-connections``), without its secret (the API never sends it).

    ``scope`` is ``PROJECT`` or ``PLATFORM`` (a global connection, shared with ``project_ids``).
    """

    id: str
    external_id: str = ""
    display_name: str = ""
    piece_name: str = ""
    scope: str | None = None
    status: str | None = None
    type: str | None = None
    platform_id: str | None = None
    project_ids: list[str] = Default(default_factory=list)


# --- the replace body (validated) ---------------------------------------------------------


class _State(BaseModel):
    """Base of the replace body's parts: camelCase on the wire, unknown keys dropped (as
    upstream's zod objects strip them)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=True,
        defer_build=True,  # built on first use, as `APIModel`
    )


class FieldState(_State):
    """``{name, type, data, externalId}``; ``data`` is a dropdown's ``{options: [{value}]}``."""

    name: StrictStr
    type: StrictStr
    external_id: StrictStr
    data: dict[str, Any] | None = None


class TableState(_State):
    """``{id, name, externalId, fields, status, trigger}`` (upstream ``TableState``)."""

    id: StrictStr
    name: StrictStr
    external_id: StrictStr
    fields: list[FieldState] = Default(default_factory=list)
    status: StrictStr | None = None
    trigger: StrictStr | None = None


class FolderState(_State):
    """``{externalId, displayName, displayOrder}`` (upstream ``FolderState``)."""

    external_id: StrictStr
    display_name: StrictStr
    display_order: StrictInt | float


class ConnectionState(_State):
    """``{externalId, pieceName, displayName}``: a reference; no secret ever travels."""

    external_id: StrictStr
    piece_name: StrictStr
    display_name: StrictStr


class RequiredPiece(_State):
    """``{name, version, pieceType}`` (``pieceType``: OFFICIAL or CUSTOM)."""

    name: StrictStr
    version: StrictStr
    piece_type: Literal["OFFICIAL", "CUSTOM"] = "OFFICIAL"


def flow_external_id(flow: Mapping[str, Any]) -> str:
    """The id a flow is matched by: its ``externalId``, else its ``id`` (as upstream's
    ``getFlowState``: ``flow.externalId ?? flow.id``)."""
    value = flow.get("externalId")
    return value if isinstance(value, str) and value else str(flow.get("id", ""))


def flow_display_name(flow: Mapping[str, Any]) -> str:
    """A flow's name: its version's ``displayName`` ("" when it has none)."""
    version = flow.get("version")
    name = version.get("displayName") if isinstance(version, Mapping) else None
    return name if isinstance(name, str) else ""


def flow_steps(step: Any) -> list[Mapping[str, Any]]:
    """Every step under ``step`` (a flow version's ``trigger``), depth first in upstream's
    order (``flowStructureUtil.getAllSteps``): the step, a loop's ``firstLoopAction``, a
    router's ``children``, a code/piece step's ``continueOnFailureBranches`` (onSuccess,
    onFailure), then ``nextAction``. The steps themselves, not copies: read, never change them."""
    found: list[Mapping[str, Any]] = []
    todo: list[Any] = [step]
    while todo:
        current = todo.pop()
        if type(current) is not dict and not isinstance(current, Mapping):  # dict: no ABC check
            continue
        found.append(current)
        after: list[Any] = []
        kind = current.get("type")
        if kind == "LOOP_ON_ITEMS":
            after.append(current.get("firstLoopAction"))
        elif kind == "ROUTER" and isinstance(current.get("children"), list):
            after.extend(current["children"])
        if kind in ("CODE", "PIECE") and isinstance(
            current.get("continueOnFailureBranches"), Mapping
        ):
            branches = current["continueOnFailureBranches"]
            after += [branches.get("onSuccess"), branches.get("onFailure")]
        after.append(current.get("nextAction"))
        todo.extend(reversed(after))
    return found


def _check_flow(index: int, flow: Any, *, owned: bool = False) -> dict[str, Any]:
    """A flow must be an object with an id or externalId and a ``version`` holding a
    ``displayName`` and a ``trigger`` (the parts the server compares); kept verbatim (a copy,
    unless ``owned``: nobody else holds it)."""
    where = f"flows[{index}]"
    if not isinstance(flow, Mapping):
        raise ValueError(f"{where} must be an object")
    if not flow_external_id(flow):
        raise ValueError(f"{where} has neither externalId nor id")
    version = flow.get("version")
    if not isinstance(version, Mapping):
        raise ValueError(f"{where}.version must be an object")
    if not isinstance(version.get("displayName"), str):
        raise ValueError(f"{where}.version.displayName must be a string")
    if not isinstance(version.get("trigger"), Mapping):
        raise ValueError(f"{where}.version.trigger must be an object")
    return dict(flow) if owned else copy.deepcopy(dict(flow))


def _unique(kind: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for external_id in ids:
        if external_id in seen:
            raise ValueError(f"two {kind} have externalId {external_id!r}")
        seen.add(external_id)


class ProjectState(_State):
    """A replace body: the whole wanted contents of a project, matched by ``externalId``.

    Flows, tables and folders (with an external id) that are not here are deleted by replace;
    connections are never deleted. Build one with ``ProjectState(...)`` / `from_body`, or get
    one from ``client.projects.export_state``; send it with ``client.projects.replace``.
    """

    schema_version: Literal[1] = 1  # REPLACE_SCHEMA_VERSION
    source_activepieces_version: StrictStr
    flows: list[dict[str, Any]] = Default(default_factory=list)
    tables: list[TableState] = Default(default_factory=list)
    folders: list[FolderState] = Default(default_factory=list)
    connections: list[ConnectionState] = Default(default_factory=list)
    required_pieces: list[RequiredPiece] = Default(default_factory=list)

    @field_validator("flows", mode="before")
    @classmethod
    def _flows(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, list):
            return value  # pydantic says "must be a list"
        owned = is_owned(info.context)  # `assemble`'s flows, fresh from a listing
        return [_check_flow(i, flow, owned=owned) for i, flow in enumerate(value)]

    @model_validator(mode="after")
    def _unique_ids(self) -> ProjectState:
        # Upstream matches every item by externalId: two with the same one would both be
        # "created" (and then collide), so such a state is refused before anything is sent.
        _unique("flows", [flow_external_id(f) for f in self.flows])
        _unique("tables", [t.external_id for t in self.tables])
        _unique("folders", [f.external_id for f in self.folders])
        _unique("connections", [c.external_id for c in self.connections])
        return self

    @classmethod
    def from_body(cls, body: Any, *, source: str = "project state") -> ProjectState:
        """A state from a replace body (camelCase JSON); `InvalidStateError` naming every bad
        part (``source`` names where it came from, e.g. the file)."""
        if not isinstance(body, Mapping):
            raise InvalidStateError(f"{source}: a replace body must be a JSON object")
        try:
            return cls.model_validate(dict(body))
        except PydanticValidationError as exc:
            raise InvalidStateError(f"{source}: {_problems(exc)}") from None

    def to_body(self, *, copy_flows: bool = True) -> dict[str, Any]:
        """The replace body: camelCase JSON, nulls kept (upstream's schema takes them).
        ``copy_flows=False`` shares the state's flow dicts: for a body that is only read or
        sent at once (a replace, a digest), never changed."""
        rest = self.model_dump(mode="json", by_alias=True, exclude={"flows"})
        flows = copy.deepcopy(self.flows) if copy_flows else list(self.flows)
        # The flows are not dumped (a deep walk of large trees): put back in their place.
        return {key: flows if key == "flows" else rest[key] for key in _BODY_KEYS}

    @functools.cached_property  # kept in __dict__: no part of equality (pydantic >= 2.6)
    def wire_body(self) -> EncodedBody:
        """`to_body` without copies, made once per state and kept with its encoding: what
        ``replace`` sends (a template's state goes to every tenant). Never change it."""
        return EncodedBody(self.to_body(copy_flows=False))

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy (see pydantic's); an updated copy makes its own `wire_body`."""
        copied = super().model_copy(update=update, deep=deep)
        copied.__dict__.pop("wire_body", None)
        return copied

    def flow(self, external_id: str) -> dict[str, Any] | None:
        """The flow with this external id (or id), or None."""
        return next((f for f in self.flows if flow_external_id(f) == external_id), None)


#: A replace body's keys, in the order the model declares them.
_BODY_KEYS = tuple(f.alias or name for name, f in ProjectState.model_fields.items())


def _problems(exc: PydanticValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(p) for p in error["loc"]) or "body"
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(message if message.startswith("flows[") else f"{where}: {message}")
    return "; ".join(parts)


# --- the replace answer (tolerant) --------------------------------------------------------


class ReplaceCounts(APIModel):
    """``applied``: what replace did, per kind (``*_unchanged``: in the body, not changed)."""

    flows_created: int = 0
    flows_updated: int = 0
    flows_deleted: int = 0
    flows_unchanged: int = 0
    tables_created: int = 0
    tables_updated: int = 0
    tables_deleted: int = 0
    tables_unchanged: int = 0
    folders_created: int = 0
    folders_updated: int = 0
    folders_deleted: int = 0
    folders_unchanged: int = 0
    connections_created: int = 0
    connections_updated: int = 0
    connections_unchanged: int = 0

    @property
    def changed(self) -> int:
        """Items created, updated or deleted (connections included)."""
        return sum(
            v
            for k, v in self.model_dump().items()
            if not k.endswith("_unchanged") and isinstance(v, int)
        )


class FailedItem(APIModel):
    """One item replace could not apply: ``kind`` flow/table/folder/connection, ``op``
    CREATE/UPDATE/DELETE, ``error`` the server's words."""

    kind: str
    external_id: str
    op: str
    error: str = ""


class ConnectionAwaitingAuthorization(APIModel):
    """A connection that exists only as a placeholder: someone must authorise it."""

    external_id: str
    piece_name: str = ""
    display_name: str = ""


class InstalledPiece(APIModel):
    """A piece version replace installed on the platform."""

    name: str
    version: str
    piece_type: str | None = None


class ReplaceResult(APIModel):
    """The answer of a replace: ``status`` 200 (all applied) or 207 (``failed`` not empty,
    as upstream's controller decides), the counts, and what needs a person next."""

    status: Literal[200, 207] = 200
    applied: ReplaceCounts = Default(default_factory=ReplaceCounts)
    failed: list[FailedItem] = Default(default_factory=list)
    connections_awaiting_authorization: list[ConnectionAwaitingAuthorization] = Default(
        default_factory=list
    )
    pieces_installed: list[InstalledPiece] = Default(default_factory=list)
    duration_ms: float = 0

    @model_validator(mode="before")
    @classmethod
    def _status(cls, data: Any) -> Any:
        # The transport hands over the body only; upstream answers 207 exactly when ``failed``
        # is not empty (project-replace.controller.ts), so the status follows from the body.
        if isinstance(data, Mapping) and "status" not in data:
            failed = data.get("failed")
            return {**data, "status": 207 if isinstance(failed, list) and failed else 200}
        return data

    @property
    def ok(self) -> bool:
        """True when every item was applied (no ``failed``)."""
        return not self.failed
