"""What a kind of tenant resource brings to the one planner and the one apply engine.

A tenant is a project plus what hangs off it (piece sets, people). Each kind reads its current
state, diffs it against the tenant document, and performs its own writes; the planner
(`activepieces_core.tenants.planner`) and the engine (`activepieces_core.tenants.engine`) only
ask every kind in turn and order the changes by `Kind.phase`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from activepieces_core.client import AsyncActivepiecesClient
from activepieces_core.models import Project
from activepieces_core.tenants.results import TenantChange
from activepieces_core.tenants.spec import PieceSetSpec, TenantSpec

__all__ = ["Applied", "Kind", "PlanRequest", "Reading"]


@dataclass(frozen=True)
class PlanRequest:
    """The document and options of one plan, as every kind sees them."""

    tenants: Sequence[TenantSpec]
    piece_sets: Sequence[PieceSetSpec] = ()
    prune: bool = False
    protect: tuple[str, ...] = ()
    page_size: int = 1000
    read: str = "auto"
    lookup_threshold: int = 4
    concurrency: int = 16
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Reading:
    """The current state read so far; each kind adds its own under ``state[kind.name]``."""

    projects: dict[str, Project] = field(default_factory=dict)  # TEAM projects by external id
    state: dict[str, Any] = field(default_factory=dict)
    requests: int = 0
    warnings: list[str] = field(default_factory=list)
    protected: list[str] = field(default_factory=list)


@dataclass
class Applied:
    """What apply has learned so far: ids created in earlier phases, tenants that failed."""

    project_ids: dict[str, str] = field(default_factory=dict)  # external id -> project id
    ids: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> key -> id
    failed_tenants: set[str] = field(default_factory=set)


class Kind(ABC):
    """One kind of tenant resource: its read, its diff and its writes, written once."""

    #: The ``kind`` of the changes it plans (``TenantChange.kind``).
    name: ClassVar[str]

    def wanted(self, request: PlanRequest) -> bool:
        """Whether this plan involves the kind at all (nothing is read otherwise)."""
        return True

    @abstractmethod
    async def read(
        self, client: AsyncActivepiecesClient, request: PlanRequest, reading: Reading
    ) -> None:
        """Read the current state this kind diffs against into ``reading``."""

    @abstractmethod
    def diff(self, request: PlanRequest, reading: Reading) -> list[TenantChange]:
        """The changes (noops included, for reporting) that bring the state to the request."""

    @abstractmethod
    def phase(self, change: TenantChange) -> int:
        """When ``change`` runs: lower phases finish before higher ones start."""

    @abstractmethod
    async def write(
        self, client: AsyncActivepiecesClient, change: TenantChange, applied: Applied
    ) -> str | None:
        """Perform ``change`` and return the id it created or touched."""

    def depends_on_project(self, change: TenantChange) -> bool:
        """True when ``change`` needs its tenant's project to exist (skipped if that failed)."""
        return True
