"""Plan and report types: pydantic models that round-trip through JSON (XCom, Prefect results)."""

from __future__ import annotations

import functools
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain
from operator import attrgetter, gt
from typing import IO, TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    computed_field,
    model_validator,
)
from pydantic_core import CoreSchema, core_schema
from typing_extensions import Self

from activepieces_core.errors import ActivepiecesError
from activepieces_core.tenants._construct import constructed
from activepieces_core.tenants._fields_sets import share_fields_set, shared_fields_set
from activepieces_core.tenants.saved import (
    PLAN_FORMAT_VERSION,
    InvalidPlanError,
    canonical_parts,
    document_digest,
    seal,
    verify_sealed,
    write_sealed,
)
from activepieces_core.tenants.spec import TenantSpec

if TYPE_CHECKING:
    from activepieces_core.tenants.loaders import TenantDocument

__all__ = [
    "ACTIONS",
    "STATUSES",
    "Action",
    "ApplyReport",
    "DeletionLimitExceeded",
    "Outcome",
    "Plan",
    "Status",
    "TenantChange",
    "TenantResult",
    "TenantSyncError",
    "label",
]

Action = Literal["create", "update", "delete", "noop"]
Status = Literal["succeeded", "failed", "skipped", "planned"]
#: Every action and every status, in the order summaries list them.
ACTIONS: tuple[Action, ...] = ("create", "update", "delete", "noop")
STATUSES: tuple[Status, ...] = ("succeeded", "failed", "skipped", "planned")


class DeletionLimitExceeded(ActivepiecesError):
    """The plan deletes more projects (or removes more members) than ``max_deletions``
    allows; nothing was changed."""

    def __init__(self, deletions: int, max_deletions: int, kind: str = "project") -> None:
        self.deletions = deletions
        self.max_deletions = max_deletions
        self.kind = kind
        what = "deletes" if kind == "project" else "removes"
        super().__init__(
            f"refusing to apply: the plan {what} {deletions} {kind}(s), "
            f"more than max_deletions={max_deletions}; nothing was changed"
        )


#: Lists longer than this show as a count in reprs: asyncio (3.11) reprs a finished task's
#: result on every ``asyncio.run`` (through the SIGINT handler), and a 50,000-change plan took
#: seconds to repr each time. For the same reason the summaries (a pass over every change)
#: are left out of reprs.
_REPR_ITEMS = 20


class _Count:
    def __init__(self, count: int) -> None:
        self.count = count

    def __repr__(self) -> str:
        return f"[... {self.count} items]"


class Outcome(BaseModel):
    """Base of plans, reports and their rows: frozen, tolerant of unknown keys, JSON round-trip
    through `to_dict` / `from_dict` (XCom, Prefect results, saved plans)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            long = isinstance(value, list) and len(value) > _REPR_ITEMS
            yield name, _Count(len(value)) if long else value

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict, summaries included (``from_dict`` reads it back and recounts them)."""
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Rebuild from `to_dict` output."""
        return cls.model_validate(data)

    @classmethod
    def holding(cls, rest: Mapping[str, Any], field: str, items: list[Any]) -> Self:
        """``rest`` validated, with ``items`` (models built already) as its ``field`` as they
        are: pydantic runs a model's after-validators on every instance it is given, even one
        it does not revalidate (a plan or report of 100,000 tenants holds ~500,000 changes or
        results: ~0.7 s a pass)."""
        return cls.model_validate(dict(rest)).model_copy(update={field: items})


def label(kind: str, key: str | None) -> str:
    """What a change is about, as every view shows it: ``project``, ``member ada@example.com``."""
    return kind if key is None else f"{kind} {key}"


def _per_kind(pairs: Iterable[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """``{kind: {value: count}}`` over (kind, value) pairs, leaving out projects."""
    out: dict[str, dict[str, int]] = {}
    for kind, value in pairs:
        if kind != "project":
            per = out.setdefault(kind, {})
            per[value] = per.get(value, 0) + 1
    return out


class _AsGiven:
    """A dict field that holds the dict it is given (checked to be a dict, not copied) when
    validated from Python; from JSON it is validated as its type says.

    Pydantic copies a dict (and each dict in it) to validate it: 0.4 s and as many dicts to
    free again in reading the 500,000 changes of a saved plan of 100,000 tenants, whose
    parsed dicts nothing else holds. Held as given, a value several changes share (format 4's
    ``shared``) is also one object once read. What a change holds is never mutated (changes
    are frozen; `TenantChange.of` shares dicts too)."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        typed = handler(source)
        return core_schema.json_or_python_schema(
            json_schema=typed,
            python_schema=core_schema.is_instance_schema(dict),
            serialization=typed.get("serialization"),
        )


#: A change's or result's ``diff``: ``{field: {"from": ..., "to": ...}}``.
Diff = Annotated[dict[str, dict[str, Any]], _AsGiven()]
#: A JSON object a change holds as given (``data``, ``observed``).
JsonObject = Annotated[dict[str, Any], _AsGiven()]


class _Labelled(Outcome):
    """A change or a result: says which tenant and which of its resources it is about."""

    external_id: str
    action: Action
    kind: str = "project"
    key: str | None = None
    project_id: str | None = None
    target_id: str | None = None
    diff: Diff = Field(default_factory=dict)

    @model_validator(mode="after")
    def _share_fields_set(self) -> Self:
        share_fields_set(self)  # a plan or report of 100,000 tenants holds ~500,000 of these
        return self

    @computed_field  # type: ignore[prop-decorator]
    @property
    def label(self) -> str:
        """``kind`` and ``key``: ``project``, ``piece_set gold``, ``member ada@example.com``."""
        return label(self.kind, self.key)


#: Fields a saved change leaves out when empty (`TenantChange.saved`), and what it leaves out
#: always: the derived label, and (format 3) the people of a project change's spec, which are
#: the tenant's member changes and which no project write reads (200,000 member specs to
#: validate in a saved plan of 100,000 tenants, a sixth of the time it took to read).
_EMPTY_BY_DEFAULT = ("diff", "data")
_NOT_SAVED: dict[str, Any] = {"label": True, "spec": {"members": True, "member_role": True}}
#: The empty ``diff`` and ``data`` of every change built by `TenantChange.of` without one.
_SHARED_EMPTY: dict[str, Any] = {}
#: The key under which a change keeps its planned project in its ``__dict__`` (not a field).
_PLANNED = "_planned_project"


class TenantChange(_Labelled):
    """One planned change. ``diff`` is ``{field: {"from": ..., "to": ...}}`` (creates: from None).

    ``kind`` says what changes: ``project`` (the tenant's project; ``spec`` is None for deletes
    and ``display_name`` is the project's current name for deletes) or a resource hanging off
    the tenant, named by ``key`` within its kind (a piece set's key, a person's e-mail) with
    ``target_id`` its id when it exists and ``data`` what its write needs; ``label`` names both.
    """

    display_name: str | None = None
    data: JsonObject = Field(default_factory=dict)
    spec: TenantSpec | None = None
    #: The server state this change was planned against (None: the resource was absent), so
    #: a saved plan can refuse to apply once the server has moved on.
    observed: JsonObject | None = None

    @classmethod
    def of(cls, **fields: Any) -> TenantChange:
        """A change a kind planned, from values it made (already valid: ids and states it
        read, a spec validated with its document), built without validation: it holds the
        dicts it is given, not copies, so changes with the same ``diff`` or ``data`` can share
        one, and a change without either shares one empty dict. At 100,000 tenants that is
        ~100 MB of copies and empty dicts less. Never mutate a change's dicts (changes are
        frozen: `model_copy` with an update makes a new one)."""
        values = dict(_change_defaults())
        values.update(fields)
        # As `model_construct` builds it (its dict in field order, the fields given as its
        # fields set, no extra, no private) without its pass over every field's default.
        return constructed(cls, values, shared_fields_set(frozenset(fields)))

    def saved(self, shared: Iterable[str] = ()) -> dict[str, Any]:
        """This change as a saved plan holds it (format 3): JSON-safe, without the fields
        reading it back restores (null, empty ``diff``/``data``, the derived ``label``; a
        spec's unset fields), about half the bytes of every field spelled out, and without
        its spec's ``members`` and ``member_role`` (read back as None: the people are the
        tenant's member changes). Format 4 also leaves out the ``shared`` fields (the
        plan's ``shared`` names the earlier change that holds them)."""
        leave_out = dict(_NOT_SAVED, **dict.fromkeys(shared, True))
        data = self.model_dump(mode="json", exclude_none=True, exclude=leave_out)
        for name in _EMPTY_BY_DEFAULT:
            if not data.get(name, True):
                del data[name]
        return data

    @property
    def planned_project(self) -> Any:
        """A delete's project (a `Project`) as the planner read it, held in memory only: never
        saved, no part of equality (None in a plan read back). A delete's archive, taken in
        the same process, needs no second read of it (`activepieces_core.tenants.archive.capture`)."""
        return self.__dict__.get(_PLANNED)

    def planned_with(self, project: Any) -> Self:
        """This change, holding ``project`` as `planned_project` (the planner's call)."""
        # Kept beside the fields, not as a private attribute: a model with one builds a private
        # dict for every instance, a quarter of the time of reading a saved plan back and
        # ~200 bytes a change, for the few changes (deletes) that carry a project. Pydantic
        # leaves non-field keys out of dumps and of equality.
        self.__dict__[_PLANNED] = project
        return self


class Plan(Outcome):
    """Per-tenant changes, in spec order then deletes sorted by external id.

    ``protected`` lists TEAM projects that prune would have deleted but ``protect`` kept;
    ``read_requests`` is how many requests reading the current state took.
    ``to_dict`` is the saved-plan format (`activepieces_core.tenants.saved`): it adds a
    ``digest`` of the rest, which ``from_dict`` verifies; ``document_digest`` names the tenant
    document planned from (`saved.document_digest`), when the planner was told it.
    """

    changes: list[TenantChange] = Field(default_factory=list)
    prune: bool = False
    protected: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    read_requests: int = 0
    #: Tenants named for a teardown that have no project (already gone).
    missing: list[str] = Field(default_factory=list)
    format_version: int = PLAN_FORMAT_VERSION
    # The document digest is taken on first use, not by the planner: it is a pass over every
    # row (a third of a second at 50,000 tenants) that a plan nobody saves never needs.
    _document_digest: str | None = PrivateAttr(default=None)
    _document: Any = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _read_document_digest(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        shared = data.get("shared") if isinstance(data, Mapping) else None
        if shared is not None:  # a saved plan's dict (format 4): its changes are the caller's
            data = {key: value for key, value in data.items() if key != "shared"}
            changes = data.get("changes")
            if isinstance(changes, list):
                data["changes"] = _with_shared(list(changes), shared, copy=True)
        plan = handler(data)
        if isinstance(data, Mapping) and isinstance(data.get("document_digest"), str):
            plan._document_digest = data["document_digest"]
        return plan

    @property
    def document_digest(self) -> str | None:
        """``sha256:...`` of the tenant document planned from (`saved.document_digest`); None
        when the plan was not made from a document."""
        if self._document_digest is None and self._document is not None:
            self._document_digest = document_digest(self._document)
            self._document = None
        return self._document_digest

    def __getstate__(self) -> dict[Any, Any]:
        _ = self.document_digest  # a pickled plan carries the digest, not the whole document
        return super().__getstate__()

    def naming(self, document: TenantDocument | str | None) -> Self:
        """A copy of this plan that names ``document`` (a `TenantDocument` or its digest)."""
        copy = self.model_copy()
        copy._document_digest = document if isinstance(document, str) else None
        copy._document = None if isinstance(document, str) else document
        return copy

    def to_dict(self) -> dict[str, Any]:
        """The saved plan: JSON-safe, with ``summary``, ``document_digest`` and a ``digest``
        over the rest."""
        data = self._saved_rest()
        sharing = _Sharing()
        data["changes"] = [sharing.saved(change) for change in self.changes]
        data["shared"] = sharing.pairs
        return seal(data)

    def write(self, out: IO[str]) -> None:
        """Write `to_dict` to ``out`` as canonical JSON (`saved.sealed_text`), a change at a
        time (`saved.write_sealed`): never the whole plan as one dict or one string."""
        sharing = _Sharing()
        rest = {**self._saved_rest(), "shared": sharing.pairs}  # filled as the changes are
        write_sealed(out, (sharing.saved(change) for change in self.changes), rest)

    def _saved_rest(self) -> dict[str, Any]:
        """Every key of the saved plan but ``changes`` and ``digest``, in the format this
        package writes (a plan read from an older format is saved in the current one)."""
        rest = self.model_dump(mode="json", exclude={"changes"})
        rest["document_digest"] = self.document_digest
        rest["format_version"] = PLAN_FORMAT_VERSION
        return rest

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, verify: bool = True) -> Self:
        """Rebuild from `to_dict` output; `InvalidPlanError` if it was edited (``verify``)."""
        if verify:
            verify_sealed(data)
        rest = dict(data)
        changes = rest.pop("changes", None)
        if isinstance(changes, list):  # its errors an InvalidPlanError (not wrapped by pydantic)
            return cls.from_parts(rest, list(changes), owned=False)
        return cls.model_validate(data)

    @classmethod
    def from_parsed(cls, data: dict[str, Any]) -> Self:
        """`from_dict` (``verify=False``: check it first) of a dict only the caller holds, a
        saved plan just parsed, emptied while it is read: each change's dict is let go once
        its model is built, so the plan as dicts and as models never both exist whole (at
        100,000 tenants, a gigabyte)."""
        raw = data.get("changes")
        if isinstance(raw, list):
            data.pop("changes")
            return cls.from_parts(data, raw)
        return cls.model_validate(data)

    @classmethod
    def from_text(cls, text: str) -> Self | None:
        """The saved plan ``text`` (as `write` wrote it), verified, its changes built as they
        are parsed (`saved.canonical_parts`); None for any other text, which `from_parsed`
        reads once it is parsed and checked in full (`saved.verify_sealed_text`)."""
        parts = canonical_parts(text)
        if parts is None:
            return None
        return cls.from_parts(*parts)

    @classmethod
    def from_parts(cls, rest: dict[str, Any], changes: list[Any], *, owned: bool = True) -> Self:
        """The plan of `saved.canonical_parts`' output (verified), its changes built a batch
        at a time, each batch's dicts let go from ``changes`` once built (and, ``owned``, the
        dicts given a value they share: pass ``owned=False`` for dicts that are not only the
        caller's, which are copied instead). A caller that read the text itself can let the
        text go first (at 100,000 tenants, 134 MB that building the changes would otherwise
        sit on). A change that is not one (a plan made by hand, its digest computed again) is
        an `InvalidPlanError`."""
        shared = rest.pop("shared", None)
        if shared is not None:
            _with_shared(changes, shared, copy=not owned)
        return cls.holding(rest, "changes", _validated_changes(changes))

    def by_action(self, action: Action, kind: str = "project") -> list[TenantChange]:
        """Changes of ``kind`` (projects by default) with the given action."""
        return [c for c in self.changes if c.action == action and c.kind == kind]

    @property
    def has_changes(self) -> bool:
        """True when applying would send at least one write (of any kind)."""
        return any(c.action != "noop" for c in self.changes)

    @computed_field(repr=False)  # type: ignore[prop-decorator]
    @property
    def summary(self) -> dict[str, int]:
        """Count of project changes per action (all four keys always present)."""
        counts = Counter(c.action for c in self.changes if c.kind == "project")
        return {a: counts.get(a, 0) for a in ACTIONS}

    @computed_field(repr=False)  # type: ignore[prop-decorator]
    @property
    def kind_summary(self) -> dict[str, dict[str, int]]:
        """Count per kind and action, for kinds other than ``project`` that have changes."""
        return _per_kind((c.kind, c.action) for c in self.changes)


#: The fields of changes that a saved plan (format 4) writes once for every change holding
#: the same object: what a kind builds once and gives to many changes (a member change's
#: role diff, data and observed role; a project change's ``{"pieces": false}``).
SHAREABLE = ("data", "diff", "observed")


#: `sys.getrefcount` of a change's field held by nothing else (see `_Sharing.saved`).
_ONLY_HERE = 3


class _Sharing:
    """Saves changes (`saved`) leaving out each shareable field already saved with an
    earlier change, and records where: ``pairs`` is format 4's ``shared``, per field a flat
    list ``[change, earlier change, ...]``. Found by identity, so it costs a dict look-up a
    field: at 100,000 tenants, 400,000 member payloads written, parsed and held once each
    as two (a twelfth of the file)."""

    def __init__(self) -> None:
        self.pairs: dict[str, list[int]] = {name: [] for name in SHAREABLE}
        self._first: dict[tuple[str, int], int] = {}
        self._count = 0

    def saved(self, change: TenantChange) -> dict[str, Any]:
        index = self._count
        self._count += 1
        shared = []
        for name in SHAREABLE:
            value = change.__dict__[name]
            # Empty or None: left out of every change anyway. Held by this change alone
            # (its dict, `value`, getrefcount's argument): no other can share it, and most
            # payloads are a tenant's own (kept out of `_first`: 90 MB at 100,000 tenants).
            if value and sys.getrefcount(value) > _ONLY_HERE:
                first = self._first.setdefault((name, id(value)), index)
                if first != index:
                    shared.append(name)
                    self.pairs[name] += (index, first)
        return change.saved(shared)


def _shared_pairs(shared: Any, count: int) -> Iterator[tuple[str, list[int], list[int]]]:
    """(field, changes, the earlier changes they share it with) of a plan's ``shared``,
    checked (in C: `map`, `min`, `max`; 300,000 pairs at 100,000 tenants): `InvalidPlanError`
    unless each names a shareable field and changes among the ``count``, each after the one
    it shares with."""
    if not isinstance(shared, Mapping) or not set(shared) <= set(SHAREABLE):
        raise InvalidPlanError(f"the plan's 'shared' maps fields among {SHAREABLE} to lists")
    for name, flat in shared.items():
        if not isinstance(flat, list) or len(flat) % 2 or not set(map(type, flat)) <= {int}:
            raise InvalidPlanError(f"the plan's shared {name!r} is not a list of pairs")
        indexes, firsts = flat[0::2], flat[1::2]
        if flat and (
            # `operator.gt`, not `int.__gt__` (a slot wrapper): a third of the time
            min(firsts) < 0 or max(indexes) >= count or not all(map(gt, indexes, firsts))
        ):
            raise InvalidPlanError(
                f"the plan's shared {name!r} names a change with one that is not an earlier "
                "change of this plan"
            )
        yield name, indexes, firsts


def _conflict(index: int, name: str) -> InvalidPlanError:
    return InvalidPlanError(f"change {index} has its own {name!r} and a shared one")


def _with_shared(changes: list[Any], shared: Any, *, copy: bool) -> list[Any]:
    """``changes`` (a saved plan's dicts, before they are validated) each given the field of
    the earlier change that ``shared`` names: the same object, which validating holds as
    given (`_AsGiven`), so the changes share it once read, and their fields sets say it is
    set. ``copy``: a change given one is copied first (dicts that are not only ours)."""
    for name, indexes, firsts in _shared_pairs(shared, len(changes)):
        last, value = -1, None
        for index, first in zip(indexes, firsts, strict=True):
            change = changes[index]
            if type(change) is not dict:
                raise InvalidPlanError(f"change {index} is not a JSON object")
            own = change.get(name)
            if own is not None and own != {}:  # a saved change leaves out empty fields
                raise _conflict(index, name)
            if first != last:  # most pairs name the change their predecessor named
                last, earlier = first, changes[first]
                value = earlier.get(name) if type(earlier) is dict else None
            if copy:
                change = changes[index] = dict(change)
            change[name] = value
    return changes


#: Changes of a saved plan validated per call of pydantic's core (`_validated_changes`).
_CHANGE_BATCH = 4096
_CHANGES = TypeAdapter(list[TenantChange])


def _validated_changes(changes: list[Any]) -> list[TenantChange]:
    """``changes`` (dicts) as models, validated ``_CHANGE_BATCH`` at a time: a call of
    pydantic's core per batch rather than `model_validate` per change (half the time of
    validating the 500,000 changes of 100,000 tenants was the Python around each call), each
    batch let go from ``changes`` as it is taken, so only one batch is held as dicts and as
    models at once."""
    out: list[TenantChange] = []
    for first in range(0, len(changes), _CHANGE_BATCH):
        batch = changes[first : first + _CHANGE_BATCH]
        changes[first : first + _CHANGE_BATCH] = _NONE * len(batch)
        try:
            models = _CHANGES.validate_python(batch)
        except ValidationError as exc:
            raise InvalidPlanError(_change_errors(exc, first)) from None
        del batch
        _check_diffs(models, first)
        out += models
    return out


_NONE = [None]
_DICT_ONLY = {dict}


def _check_diffs(changes: list[TenantChange], first: int) -> None:
    """`InvalidPlanError` unless each ``diff`` of ``changes`` (validated as given: only as a
    dict) maps fields to ``{"from": ..., "to": ...}`` dicts, as every view reads it."""
    # The types of every diff's values, gathered in C (`map`, `chain`): a loop in Python over
    # the 500,000 changes of 100,000 tenants took a fifth of a second.
    values = chain.from_iterable(map(dict.values, map(_DIFF, changes)))
    if set(map(type, values)) <= _DICT_ONLY:
        return
    for index, change in enumerate(changes, first):
        if set(map(type, change.diff.values())) - _DICT_ONLY:
            raise InvalidPlanError(f"change {index}, diff: each field's change is a JSON object")


_DIFF = attrgetter("diff")


def _change_errors(exc: ValidationError, first: int) -> str:
    """What is wrong with a batch of saved changes starting at change ``first``, each error
    named by its change's index in the plan."""
    errors = exc.errors()
    shown = []
    for err in errors[:5]:
        index, *where = err["loc"] or (0,)
        field = ".".join(str(part) for part in where)
        at = f"change {first + int(index)}" + (f", {field}" if field else "")
        shown.append(f"{at}: {err['msg']}")
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "the plan's changes are not valid changes: " + "; ".join(shown) + more


class TenantResult(_Labelled):
    """Outcome of one change: ``status`` is succeeded / failed / skipped (noop) / planned
    (dry run); ``label`` names the resource as the change does."""

    status: Status
    error: str | None = None
    error_type: str | None = None


class ApplyReport(Outcome):
    """Per-tenant results of an apply, JSON-serialisable via `to_dict`."""

    results: list[TenantResult] = Field(default_factory=list)
    dry_run: bool = False
    duration_seconds: float = 0.0

    @classmethod
    def merge(cls, reports: Iterable[ApplyReport | Mapping[str, Any]]) -> ApplyReport:
        """One report of the parts of a sharded apply (reports or their dicts): every result
        in the order given, so its summaries count what one unsharded apply of the whole plan
        counts; a dry run if every part was; ``duration_seconds`` the longest part's (the
        parts run side by side)."""
        parts = [r if isinstance(r, ApplyReport) else cls.from_dict(dict(r)) for r in reports]
        rest = {
            "dry_run": bool(parts) and all(part.dry_run for part in parts),
            "duration_seconds": max((part.duration_seconds for part in parts), default=0.0),
        }
        return cls.holding(rest, "results", [result for part in parts for result in part.results])

    @property
    def failed(self) -> list[TenantResult]:
        """Results (of any kind) whose status is ``failed``."""
        return [r for r in self.results if r.status == "failed"]

    @property
    def failed_tenants(self) -> list[str]:
        """External ids of the tenants with at least one failed change, in report order; a
        failed platform-level change (a declared piece set) is named ``kind:key``."""
        return list(dict.fromkeys(r.external_id or f"{r.kind}:{r.key}" for r in self.failed))

    @property
    def ok(self) -> bool:
        """True when no change failed."""
        return not self.failed

    @computed_field(repr=False)  # type: ignore[prop-decorator]
    @property
    def summary(self) -> dict[str, int]:
        """Project results per action and per status, plus ``total`` (the tenants)."""
        projects = [r for r in self.results if r.kind == "project"]
        actions = Counter(r.action for r in projects)
        statuses = Counter(r.status for r in projects)
        out = {"total": len(projects)}
        out.update({a: actions.get(a, 0) for a in ACTIONS})
        out.update({s: statuses.get(s, 0) for s in STATUSES})
        return out

    @computed_field(repr=False)  # type: ignore[prop-decorator]
    @property
    def kind_summary(self) -> dict[str, dict[str, int]]:
        """Results of the other kinds, per kind and status."""
        return _per_kind((r.kind, r.status) for r in self.results)


class TenantSyncError(ActivepiecesError):
    """Some tenants failed after every tenant was attempted; the rest were applied.

    ``report`` is the JSON-safe report (``ApplyReport.to_dict()`` or an integration's own),
    ``failed_external_ids`` the tenants that failed, ``total`` how many were attempted.
    The Airflow operators and Prefect flows raise this (or a subclass) so callers catch one type.
    """

    def __init__(
        self,
        failed_external_ids: Sequence[str],
        total: int,
        report: Mapping[str, Any] | None = None,
        *,
        what: str = "tenant sync",
    ) -> None:
        self.failed_external_ids = [str(e) for e in failed_external_ids]
        self.total = total
        self.report: dict[str, Any] = dict(report or {})
        count = len(self.failed_external_ids)
        shown = ", ".join(self.failed_external_ids[:10])
        more = f" and {count - 10} more" if count > 10 else ""
        others = total - count
        tail = f"the other {others} were applied" if others > 0 else "no tenant succeeded"
        super().__init__(f"{what}: {count} of {total} tenant(s) failed ({shown}{more}); {tail}")

    @classmethod
    def from_report(cls, report: ApplyReport, *, what: str = "tenant sync") -> TenantSyncError:
        """The error for an `ApplyReport` with failures."""
        tenants = {r.external_id for r in report.results if r.external_id}
        platform = {f"{r.kind}:{r.key}" for r in report.failed if not r.external_id}
        total = len(tenants) + len(platform)
        return cls(report.failed_tenants, total, report.to_dict(), what=what)

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword arguments: pickle (Airflow/Prefect results) needs an explicit recipe.
        return (
            _rebuild_sync_error,
            (type(self), self.failed_external_ids, self.total, self.report, self.args),
        )


def _rebuild_sync_error(
    cls: type[TenantSyncError],
    failed: list[str],
    total: int,
    report: dict[str, Any],
    args: tuple[Any, ...],
) -> TenantSyncError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.failed_external_ids, error.total, error.report = failed, total, report
    return error


@functools.cache
def _change_defaults() -> dict[str, Any]:
    """Every field of a `TenantChange` with its default, in field order (``diff`` and ``data``:
    the one shared empty dict)."""
    return {
        name: _SHARED_EMPTY if name in _EMPTY_BY_DEFAULT else field.default
        for name, field in TenantChange.model_fields.items()
    }
