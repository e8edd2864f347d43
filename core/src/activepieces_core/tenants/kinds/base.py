"""What a kind of tenant resource brings to the one planner and the one apply engine.

A tenant is a project plus what hangs off it (piece sets, people). Each kind reads its current
state, diffs it against the tenant document, and performs its own writes; the planner
(`activepieces_core.tenants.planner`) and the engine (`activepieces_core.tenants.engine`) only
ask every kind in turn and order the changes by `Kind.phase`.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

from activepieces_core.client import AsyncActivepiecesClient
from activepieces_core.models import Project
from activepieces_core.models.piece_set import PiecesMechanism
from activepieces_core.tenants.results import TenantChange
from activepieces_core.tenants.spec import PieceSetSpec, TenantSpec

if TYPE_CHECKING:
    from activepieces_core.models.contents import ProjectState
    from activepieces_core.tenants.archive.archiver import Archiver

__all__ = [
    "Applied",
    "Kind",
    "PartlyWritten",
    "PlanInput",
    "ReadStrategy",
    "Reading",
    "StaleChange",
    "compare_observed",
    "is_protected",
    "torn_down",
]

Reason = Literal["changed", "appeared", "vanished"]
#: How the project kind reads: ``auto`` (lookups for a few tenants, else one listing),
#: ``list`` or ``lookup``.
ReadStrategy = Literal["auto", "list", "lookup"]
#: What a kind's `Kind.read` returns and its `Kind.diff` is given: its own typed state.
StateT = TypeVar("StateT")


@dataclass(frozen=True)
class StaleChange:
    """One planned change whose resource moved on since it was planned.

    ``reason``: ``changed`` (``fields`` lists what differs), ``appeared`` or ``vanished``.
    """

    external_id: str
    kind: str
    reason: Reason
    key: str | None = None
    fields: tuple[str, ...] = ()

    def describe(self) -> str:
        """``acme: project changed (display_name, updated)`` and the like."""
        what = self.kind if self.key is None else f"{self.kind} {self.key}"
        detail = {
            "changed": f" ({', '.join(self.fields)})" if self.fields else "",
            "appeared": " (absent when planned)",
            "vanished": " (present when planned)",
        }[self.reason]
        return f"{self.external_id}: {what} {self.reason}{detail}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return {
            "external_id": self.external_id,
            "kind": self.kind,
            "key": self.key,
            "reason": self.reason,
            "fields": list(self.fields),
        }


def compare_observed(change: TenantChange, current: dict[str, Any] | None) -> StaleChange | None:
    """``change``'s verdict, given the state its resource has now (None: absent).

    Planned absent (``observed`` None) and present now: appeared; planned present and gone:
    vanished; any observed value different now: changed. Shared by every kind's check.
    """
    observed = change.observed
    if observed is None:
        if current is None:
            return None
        return StaleChange(change.external_id, change.kind, "appeared", change.key)
    if current is None:
        return StaleChange(change.external_id, change.kind, "vanished", change.key)
    missing = object()
    fields = tuple(sorted(k for k, v in observed.items() if current.get(k, missing) != v))
    if not fields:
        return None
    return StaleChange(change.external_id, change.kind, "changed", change.key, fields)


def is_protected(project: Project, patterns: Sequence[str]) -> bool:
    """True when the project's external id or id matches one of the glob ``patterns``."""
    keys = [k for k in (project.external_id, project.id) if k]
    return any(fnmatchcase(k, pat) for pat in patterns for k in keys)


def torn_down(request: PlanInput, reading: Reading) -> list[str]:
    """External ids of the tenants whose projects this plan deletes: the ones named for a
    teardown that exist, or (with ``prune``) the ones the document no longer lists; never a
    project matching ``protect``. Every kind asks this, so they agree on what goes."""
    if request.teardown:
        candidates = [e for e in dict.fromkeys(request.teardown) if e in reading.projects]
    elif request.prune:
        wanted = {s.external_id for s in request.tenants}
        candidates = sorted(set(reading.projects) - wanted)
    else:
        return []
    return [e for e in candidates if not is_protected(reading.projects[e], request.protect)]


class PartlyWritten(Exception):
    """Raised by `Kind.write` / `Kind.write_batch` when the request went through for some of
    its changes only: ``failed`` maps the index (in the changes given) of each failed change to
    its error; the others succeeded, touching ``target``."""

    def __init__(self, failed: Mapping[int, Exception], target: str | None) -> None:
        self.failed = dict(failed)
        self.target = target
        super().__init__(f"{len(self.failed)} change(s) failed")


@dataclass(frozen=True)
class PlanInput:
    """What one plan is asked for, as every kind sees it: the tenant document (or the tenants
    to tear down) and the planning options. Not the project-plan body of the API
    (`activepieces_core.models.PlanRequest`)."""

    tenants: Sequence[TenantSpec]
    piece_sets: Sequence[PieceSetSpec] = ()
    #: A teardown plan: the external ids to tear down (``tenants`` is then empty).
    teardown: tuple[str, ...] = ()
    prune: bool = False
    protect: tuple[str, ...] = ()
    #: Remove the people a tenant's ``members`` does not list (the member kind).
    prune_members: bool = False
    #: Deactivate the users whose every project is torn down (the user kind).
    offboard_users: bool = False
    #: The templates the tenants name (``template`` as written -> its replace body).
    templates: Mapping[str, ProjectState] = field(default_factory=dict)
    page_size: int = 1000
    read: ReadStrategy = "auto"
    lookup_threshold: int = 4
    concurrency: int = 16


@dataclass
class Reading:
    """What every kind may read: the tenants' projects (the project kind reads them first) and
    the platform's pieces mechanism (the piece-set kind's probe; it decides whether pieces are a
    project field); what reading cost; what the plan reports. A kind's own state is what its
    `Kind.read` returns."""

    projects: dict[str, Project] = field(default_factory=dict)  # TEAM projects by external id
    pieces_mechanism: PiecesMechanism | None = None
    #: The platform's plan flags, once a kind asked (`platform_flags.platform_flags`).
    plan_flags: Any = None
    requests: int = 0
    warnings: list[str] = field(default_factory=list)
    protected: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # named for teardown, not found
    _budget: asyncio.Semaphore | None = field(default=None, repr=False)

    def budget(self, concurrency: int) -> asyncio.Semaphore:
        """The plan's one gate of ``concurrency`` reads in flight: kinds whose reads run side by
        side (`Kind.read_waits_for`) take their requests from it, so that together they keep
        to the plan's concurrency."""
        if self._budget is None:
            self._budget = asyncio.Semaphore(concurrency)
        return self._budget


@dataclass
class Applied:
    """What apply has learned so far: ids created in earlier phases, tenants that failed."""

    project_ids: dict[str, str] = field(default_factory=dict)  # external id -> project id
    ids: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> key -> id
    failed_tenants: set[str] = field(default_factory=set)
    #: Writes each deleted tenant's archive first (`activepieces_core.tenants.archive.Archiver`);
    #: None: deletes go without one (``archive=None`` spelled out).
    archiver: Archiver | None = None


class Kind(ABC, Generic[StateT]):
    """One kind of tenant resource: its read, its diff and its writes, written once.

    ``StateT`` is what the kind reads for itself (`read` returns it, `diff` is given it).
    A new kind is a subclass and one line in `activepieces_core.tenants.kinds.KINDS`; the
    outcomes, views and integrations show its changes by ``kind`` and ``label`` as they are.
    """

    #: The ``kind`` of the changes it plans (``TenantChange.kind``).
    name: ClassVar[str]
    #: Its deletes count toward ``max_deletions`` (each kind on its own) and the CLI asks
    #: before applying them.
    counts_toward_max_deletions: ClassVar[bool] = False
    #: The verb a confirmation uses for its deletes ("Remove 2 member(s): ...").
    delete_verb: ClassVar[str] = "delete"

    #: The kinds (by `name`) whose read its `read` uses (what they leave in `Reading`): it
    #: reads once they have (kinds of the plan only), beside any other kind's read. None (the
    #: default): once every kind before it has read.
    read_waits_for: ClassVar[tuple[str, ...] | None] = None

    #: The later kinds (by `name`) whose read its `diff` uses: it diffs once they have read
    #: too (kinds of the plan only). A kind diffs as soon as it and every earlier kind has
    #: read otherwise, before later kinds read, so that what it read is let go early.
    diff_waits_for: ClassVar[tuple[str, ...]] = ()

    @property
    def change_kinds(self) -> tuple[str, ...]:
        """Every ``TenantChange.kind`` this kind plans and writes (its ``name`` by default)."""
        return (self.name,)

    @property
    def noun(self) -> str:
        """What one of its resources is called in a sentence: ``piece set``, ``member``."""
        return self.name.replace("_", " ")

    def wanted(self, request: PlanInput) -> bool:
        """Whether this plan involves the kind at all (nothing is read otherwise)."""
        return True

    @abstractmethod
    async def read(
        self, client: AsyncActivepiecesClient, request: PlanInput, reading: Reading
    ) -> StateT:
        """Read the current state this kind diffs against (what others may use into
        ``reading``) and return its own."""

    @abstractmethod
    def diff(self, request: PlanInput, reading: Reading, state: StateT) -> list[TenantChange]:
        """The changes (noops included, for reporting) that bring the state to the request."""

    @abstractmethod
    def phase(self, change: TenantChange) -> int:
        """When ``change`` runs: lower phases finish before higher ones start. Decided by the
        change's ``kind`` and ``action`` alone: the engine asks once for each pair."""

    @abstractmethod
    async def write(
        self, client: AsyncActivepiecesClient, change: TenantChange, applied: Applied
    ) -> str | None:
        """Perform ``change`` and return the id it created or touched."""

    #: The most changes one `write_batch` takes.
    batch_size: ClassVar[int] = 100
    #: Every change of one tenant that it batches has one `batch_key` (a tenant's contents go
    #: in one replace): a batch is whole once the tenant's last change of the kind in the
    #: phase is in it, and goes then, not when the engine has looked at the whole phase.
    batch_per_tenant: ClassVar[bool] = False

    def batch_key(self, change: TenantChange, applied: Applied) -> str | None:
        """Changes of one phase with the same key can be written by one request
        (`write_batch`); None (the default) writes ``change`` on its own with `write`.
        Asked once its phase has started, so it may use what earlier phases made."""
        return None

    async def write_batch(
        self, client: AsyncActivepiecesClient, changes: Sequence[TenantChange], applied: Applied
    ) -> str | None:
        """Perform ``changes`` (one `batch_key`) in one request and return the id they touched;
        if it raises, every one of them failed."""
        raise NotImplementedError(f"{self.name} changes are written one by one")

    async def find_stale(
        self,
        client: AsyncActivepiecesClient,
        changes: Sequence[TenantChange],
        request: PlanInput,
    ) -> list[StaleChange]:
        """Those of ``changes`` (this kind's, none a noop) whose resource moved on since they
        were planned: re-read and compared with each change's ``observed``. A kind that
        records nothing to compare checks nothing."""
        return []

    def depends_on_project(self, change: TenantChange) -> bool:
        """True when ``change`` needs its tenant's project to exist (skipped if that failed)."""
        return True

    def bind(self, change: TenantChange, made: Mapping[str, Mapping[str, str]]) -> TenantChange:
        """``change`` once an earlier apply made ``made`` (kind -> key -> id): the tenants of a
        plan shard learn the ids of what the plan's platform part created
        (`activepieces_core.tenants.shards`). Unchanged by default."""
        return change

    def result_ids(
        self, change: TenantChange, target: str | None, applied: Applied
    ) -> dict[str, str | None]:
        """The ids the result of ``change`` names once written: its tenant's project (as made
        by an earlier phase, if so) and ``target``, the id its write returned."""
        project_id = applied.project_ids.get(change.external_id, change.project_id)
        return {"project_id": project_id, "target_id": target}
