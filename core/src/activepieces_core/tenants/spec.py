"""`TenantSpec`: the desired state of one tenant project, validated before anything is sent."""

from __future__ import annotations

import difflib
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from activepieces_core.errors import InvalidRequestError
from activepieces_core.models import ColorName
from activepieces_core.parsing import check_display_name
from activepieces_core.pieces import normalize_pieces
from activepieces_core.tenants._fields_sets import share_fields_set

__all__ = [
    "DEFAULT_MEMBER_ROLE",
    "OWNED_SET_PREFIX",
    "MemberSpec",
    "PieceSetSpec",
    "TenantSpec",
    "TenantSpecError",
    "new_field_names",
    "validate_specs",
]


class TenantSpecError(InvalidRequestError):
    """A tenant document or some of its rows are invalid; nothing was sent (also a ``ValueError``).

    ``errors`` holds one entry per bad row: ``{"row": index, "external_id": ..., "errors": [...]}``;
    an error of the document itself (a YAML syntax error, an unreadable file) has ``"row": None``
    and is reported as is, e.g. ``tenants.yaml, line 2: invalid YAML: ...``.
    """

    def __init__(self, errors: Sequence[Mapping[str, Any]]) -> None:
        self.errors = [dict(e) for e in errors]
        lines = ["; ".join(e["errors"]) for e in self.errors if e.get("row") is None]
        rows = [e for e in self.errors if e.get("row") is not None]
        if rows:
            lines.append(f"{len(rows)} invalid tenant row(s):")
        for err in rows:
            ident = err.get("external_id") or "?"
            lines.append(f"  row {err['row']} ({ident}): " + "; ".join(err["errors"]))
        super().__init__("\n".join(lines))


#: A person's e-mail as the server keys invitations: trimmed and lower-cased upstream.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Keys of the sets tenants own (``tenant:<external id>``); a document may not declare them.
OWNED_SET_PREFIX = "tenant:"
#: The role a member gets when neither the member nor ``defaults.member_role`` names one.
DEFAULT_MEMBER_ROLE = "Editor"


class MemberSpec(BaseModel):
    """One person of a tenant: ``email`` (normalised: trimmed, lower-cased) and a project role
    name (None: the tenant's ``member_role``, else ``Editor``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    email: str
    role: str | None = Field(default=None, min_length=1)

    @field_validator("email", mode="before")
    @classmethod
    def _normalise_email(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        email = value.strip().lower()
        if not _EMAIL.match(email):
            raise ValueError(f"{value!r} is not an e-mail address")
        return email

    @model_validator(mode="after")
    def _share_fields_set(self) -> MemberSpec:
        share_fields_set(self)
        return self


class PieceSetSpec(BaseModel):
    """A named piece set of the document: ``allow`` (only these: exclude_all + exceptions) or
    ``block`` (all but these: include_all + exceptions), never both."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    key: str = Field(min_length=1)
    name: str | None = None
    allow: tuple[str, ...] | None = None
    block: tuple[str, ...] | None = None

    @field_validator("allow", "block", mode="before")
    @classmethod
    def _normalise_pieces(cls, value: Any) -> Any:
        return _piece_tuple(value)

    @model_validator(mode="after")
    def _one_mode(self) -> PieceSetSpec:
        if self.allow is not None and self.block is not None:
            raise ValueError("a piece set has either allow or block, not both")
        if self.key == "default":
            raise ValueError("'default' is the platform's Default set; it cannot be declared")
        if self.key.startswith(OWNED_SET_PREFIX):
            raise ValueError(f"keys starting {OWNED_SET_PREFIX!r} belong to tenants' own sets")
        return self

    @property
    def effective_name(self) -> str:
        """The set's display name (``name`` or ``key``)."""
        return self.name or self.key

    @property
    def mode(self) -> str:
        """``exclude_all`` for an allow-list, ``include_all`` otherwise."""
        return "exclude_all" if self.allow is not None else "include_all"

    @property
    def exceptions(self) -> tuple[str, ...]:
        """The pieces excepted from ``mode``."""
        return self.allow if self.allow is not None else (self.block or ())


def _piece_tuple(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        value = [p for p in value.replace(",", ";").split(";") if p.strip()]
    names = tuple(value)
    if len(names) <= _CACHED_PIECES_MAX:
        try:
            return _normalised_pieces(names)
        except (TypeError, AttributeError):  # not all strings: normalised as text below
            pass
    return tuple(normalize_pieces([str(p).strip() for p in names]))


#: Piece lists up to this long are normalised once per list (`_normalised_pieces`).
_CACHED_PIECES_MAX = 64


@lru_cache(maxsize=4096)
def _normalised_pieces(names: tuple[str, ...]) -> tuple[str, ...]:
    """``names`` normalised, once per list: tenants repeat a few piece lists (100,000 rows of
    a document or of a saved plan, a handful of lists; a third of a second of reading a saved
    plan of 100,000 tenants was normalising them row by row)."""
    return tuple(normalize_pieces([name.strip() for name in names]))


#: Project fields the server grew in 2026 (managed when set; see `project_diff`).
PROJECT_FIELDS_SINCE_2026 = (
    "notify_flow_owner_on_failure",
    "active_flows_limit",
    "worker_group_id",
    "execution_data_retention_days",
    "sensitive",
)
#: The old name of ``TenantSpec.global_connections`` (still read, deprecated).
_OLD_GLOBAL_CONNECTIONS = "global_connection_external_ids"
#: The project fields a tenant manages only when it sets them (display name and, on legacy
#: platforms, pieces are always managed).
_OPTIONAL_PROJECT_FIELDS = (
    "metadata",
    "max_concurrent_jobs",
    "releases_enabled",
    "icon_color",
    *PROJECT_FIELDS_SINCE_2026,
)


class TenantSpec(BaseModel):
    """Desired state of one tenant (a TEAM project keyed by ``external_id``).

    ``display_name`` defaults to ``external_id``. ``pieces=None`` means every piece is
    visible (filter NONE); a list is an allow-list (ALLOWED), normalised and sorted. ``None`` on
    every other field means "not managed": whatever is on the server is left alone.
    ``global_connections`` (external ids of the platform's global connections shared with the
    project) is read back and kept in step; ``global_connection_external_ids`` is its old,
    deprecated name. ``template`` names a replace body (a file, relative to the tenant document,
    loaded and checked with the document: `TenantDocument.templates`): the tenant's flows,
    tables and folders are made those of the template (see the contents kind).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    external_id: str = Field(min_length=1)
    display_name: str | None = None
    pieces: tuple[str, ...] | None = None
    metadata: dict[str, Any] | None = None
    max_concurrent_jobs: int | None = Field(default=None, gt=0)
    releases_enabled: bool | None = None
    icon_color: ColorName | None = None
    global_connections: tuple[str, ...] | None = None
    #: A replace body (``projects export`` writes one) the tenant's contents follow.
    template: str | None = Field(default=None, min_length=1)
    #: The key of a piece set to assign (piece-set platforms only); excludes ``pieces``.
    piece_set: str | None = Field(default=None, min_length=1)
    notify_flow_owner_on_failure: bool | None = None
    active_flows_limit: int | None = Field(default=None, gt=0)
    worker_group_id: str | None = Field(default=None, min_length=1)
    execution_data_retention_days: int | None = Field(default=None, gt=0)
    sensitive: bool | None = None
    #: The tenant's people (None: not managed).
    members: tuple[MemberSpec, ...] | None = None
    #: The role of members that name none (usually set under ``defaults``).
    member_role: str | None = Field(default=None, min_length=1)

    @field_validator("pieces", mode="before")
    @classmethod
    def _normalise_pieces(cls, value: Any) -> Any:
        return _piece_tuple(value)

    @field_validator("members", mode="before")
    @classmethod
    def _split_members(cls, value: Any) -> Any:
        """``"a@x.io:Admin;b@x.io"`` (CSV) or a list of ``{email, role}`` / e-mail strings."""
        if isinstance(value, str):
            value = [m for m in value.split(";") if m.strip()]
        if value is None:
            return None
        rows = []
        for item in value:
            if isinstance(item, str):
                email, _, role = item.partition(":")
                rows.append({"email": email, "role": role.strip() or None})
            else:
                rows.append(item)
        return rows

    @model_validator(mode="before")
    @classmethod
    def _old_names(cls, data: Any) -> Any:
        return new_field_names(data)

    @field_validator("global_connections", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [p.strip() for p in value.replace(",", ";").split(";") if p.strip()]
        return None if value is None else tuple(sorted(set(value)))

    @field_validator("icon_color", mode="before")
    @classmethod
    def _upper_colour(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check(self) -> TenantSpec:
        check_display_name(self.effective_display_name)
        if self.pieces is not None and self.piece_set is not None:
            raise ValueError("pieces and piece_set are exclusive: a tenant gets one or the other")
        members = self.members
        # Counted only when some e-mail repeats: this runs for every row of a document and of
        # a saved plan read back (100,000 of them).
        if members and len({m.email for m in members}) != len(members):
            emails = Counter(m.email for m in members)
            twice = sorted(e for e, n in emails.items() if n > 1)
            raise ValueError(f"members listed more than once: {', '.join(twice)}")
        share_fields_set(self)
        return self

    @property
    def member_roles(self) -> dict[str, str]:
        """``{email: role}`` of the managed members, default roles filled in."""
        default = self.member_role or DEFAULT_MEMBER_ROLE
        return {m.email: m.role or default for m in self.members or ()}

    @property
    def effective_display_name(self) -> str:
        """The display name that will be sent (``display_name`` or ``external_id``)."""
        return self.display_name or self.external_id

    def project_wish(self, *, pieces: bool = True) -> dict[str, Any]:
        """The managed project fields, as `activepieces_core.project_diff` compares them.

        ``display_name`` and (with ``pieces``, i.e. on a legacy platform) ``pieces`` are always
        managed (None pieces = every piece); the other fields only when set. Where piece sets
        govern, the tenant's pieces are a set (see the piece-set kind), not a project field.
        """
        wish: dict[str, Any] = {"display_name": self.effective_display_name}
        for name in _OPTIONAL_PROJECT_FIELDS:  # unset (None) fields are not managed
            value = getattr(self, name)
            if value is not None:
                wish[name] = value
        if pieces:
            wish["pieces"] = None if self.pieces is None else list(self.pieces)
        return wish

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict that :func:`load_tenants` reads back unchanged."""
        data = self.model_dump(mode="json", exclude_none=True)
        if self.pieces is None:
            data["pieces"] = None
        return data


def new_field_names(row: Any) -> Any:
    """``row`` with ``global_connection_external_ids`` (the old, write-only field, deprecated)
    read as ``global_connections``; a row giving both is a ``ValueError``."""
    if not isinstance(row, Mapping) or _OLD_GLOBAL_CONNECTIONS not in row:
        return row
    if "global_connections" in row:
        raise ValueError(
            f"global_connections and {_OLD_GLOBAL_CONNECTIONS} (its old name) are one "
            "field: give global_connections only"
        )
    warnings.warn(
        f"{_OLD_GLOBAL_CONNECTIONS} is deprecated: use global_connections",
        DeprecationWarning,
        stacklevel=2,
    )
    renamed = dict(row)
    renamed["global_connections"] = renamed.pop(_OLD_GLOBAL_CONNECTIONS)
    return renamed


def row_errors(exc: ValidationError, model: type[BaseModel] = TenantSpec) -> list[str]:
    """One line per error of a row of ``model``: ``field: message``; an unknown key is named
    with the closest field (``unknown field 'colour' (did you mean 'icon_color'?)``)."""
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden" and err["loc"]:
            out.append(_unknown_field(model, err["loc"]))
            continue
        msg = str(err["msg"]).removeprefix("Value error, ")
        out.append(f"{loc}: {msg}" if loc else msg)
    return out


def _unknown_field(model: type[BaseModel], loc: Sequence[int | str]) -> str:
    *parents, name = loc
    dotted = ".".join(str(p) for p in loc)
    owner = _model_at(model, parents)
    closest = None if owner is None else _closest(str(name), owner)
    return f"unknown field {dotted!r}" + (f" (did you mean {closest!r}?)" if closest else "")


def _model_at(model: type[BaseModel], path: Sequence[int | str]) -> type[BaseModel] | None:
    """The model whose fields are at ``path`` below ``model`` (list indexes skipped)."""
    current: type[BaseModel] | None = model
    for part in path:
        if isinstance(part, int):
            continue
        field = None if current is None else current.model_fields.get(part)
        current = None if field is None else _model_in(field.annotation)
    return current


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model in a field's type: ``MemberSpec`` of ``tuple[MemberSpec, ...] | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _fold(name: str) -> str:
    # iconColor, IconColor, icon-color and icon_color all fold to "iconcolor".
    return name.replace("_", "").replace("-", "").lower()


def _closest(name: str, model: type[BaseModel]) -> str | None:
    """The field of ``model`` that ``name`` most likely meant (its spelling in another case
    or an alias first, then the most similar), or None."""
    fields: dict[str, str] = {}
    for field_name, info in model.model_fields.items():
        for spelling in (field_name, info.alias):
            if isinstance(spelling, str):
                fields.setdefault(_fold(spelling), field_name)
    folded = _fold(name)
    if folded in fields:
        return fields[folded]
    match = difflib.get_close_matches(folded, fields, n=1, cutoff=0.6)
    return fields[match[0]] if match else None


def validate_specs(rows: Iterable[TenantSpec | Mapping[str, Any]]) -> list[TenantSpec]:
    """Validate every row and reject duplicates; raise one `TenantSpecError` listing all bad rows."""
    rows = list(rows)
    errors: list[dict[str, Any]] = []
    specs: list[TenantSpec] | None = None
    if all(type(row) is dict for row in rows):
        try:  # the common case, in one pass of pydantic's core (a file of 50,000 rows)
            specs = _SPEC_LIST.validate_python(rows)
        except ValidationError:
            specs = None  # the pass below names every bad row
    indexed: list[tuple[int, TenantSpec]] = []
    if specs is None:
        for index, row in enumerate(rows):
            try:
                indexed.append((index, _one_spec(row)))
            except ValidationError as exc:
                ext = row.get("external_id") if isinstance(row, Mapping) else None
                errors.append(
                    {"row": index, "external_id": ext if ext else None, "errors": row_errors(exc)}
                )
            except TypeError:
                errors.append({"row": index, "external_id": None, "errors": ["not a mapping"]})
        specs = [spec for _, spec in indexed]
    errors.extend(_duplicates(indexed or enumerate(specs)))
    if errors:
        errors.sort(key=lambda e: int(e["row"]))
        raise TenantSpecError(errors)
    return specs


_SPEC_LIST = TypeAdapter(list[TenantSpec])


def _one_spec(row: Any) -> TenantSpec:
    if isinstance(row, TenantSpec):
        return row
    if not isinstance(row, Mapping):
        raise TypeError("not a mapping")
    return TenantSpec.model_validate(row if type(row) is dict else dict(row))


def _duplicates(indexed: Iterable[tuple[int, TenantSpec]]) -> list[dict[str, Any]]:
    """An error for every row whose external id another row has too."""
    first: dict[str, int] = {}
    shared: dict[str, list[int]] = {}
    for index, spec in indexed:
        seen = first.setdefault(spec.external_id, index)
        if seen != index:
            shared.setdefault(spec.external_id, [seen]).append(index)
    return [
        {"row": i, "external_id": ext, "errors": ["duplicate external_id"]}
        for ext, indexes in shared.items()
        for i in indexes
    ]
