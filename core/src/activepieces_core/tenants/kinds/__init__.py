"""The kinds of tenant resources the planner and the engine ask, in reading order.

Reading order matters: later kinds read what hangs off the projects the first one found.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from activepieces_core.tenants.kinds.base import (
    Applied,
    Kind,
    PartlyWritten,
    PlanInput,
    Reading,
    ReadStrategy,
    StaleChange,
    compare_observed,
    is_protected,
    torn_down,
)
from activepieces_core.tenants.kinds.contents import ContentsKind
from activepieces_core.tenants.kinds.members import MemberKind
from activepieces_core.tenants.kinds.piece_sets import PieceSetKind
from activepieces_core.tenants.kinds.projects import ProjectKind
from activepieces_core.tenants.kinds.users import UserKind

__all__ = [
    "KINDS",
    "Applied",
    "ContentsKind",
    "Kind",
    "MemberKind",
    "PartlyWritten",
    "PieceSetKind",
    "PlanInput",
    "ProjectKind",
    "ReadStrategy",
    "Reading",
    "StaleChange",
    "UserKind",
    "active_kinds",
    "compare_observed",
    "is_protected",
    "kind_of",
    "registered",
    "torn_down",
]

#: Every kind, in the order they read (the project kind first: the others hang off it).
#: A new kind of the package is one module and one line here.
KINDS: tuple[Kind[Any], ...] = (
    ProjectKind(),
    PieceSetKind(),
    MemberKind(),
    UserKind(),
    ContentsKind(),
)

_ACTIVE: ContextVar[tuple[Kind[Any], ...]] = ContextVar("activepieces_tenant_kinds", default=KINDS)


def active_kinds() -> tuple[Kind[Any], ...]:
    """The kinds plans, applies and staleness checks use here: `KINDS`, then any `registered`."""
    return _ACTIVE.get()


@contextmanager
def registered(*kinds: Kind[Any]) -> Iterator[tuple[Kind[Any], ...]]:
    """Plan and apply with ``kinds`` as well, within this block (a context variable: the sync
    entry points carry it into their loop and thread); they read after the built-in kinds.
    For tests and experiments: a kind that ships is a line in `KINDS`. Yields the active
    kinds; raises `ValueError` when a change kind would belong to two kinds."""
    active = (*_ACTIVE.get(), *kinds)
    _index(active)  # refuse a clash now, not at the first change
    token = _ACTIVE.set(active)
    try:
        yield active
    finally:
        _ACTIVE.reset(token)


@lru_cache(maxsize=8)
def _index(kinds: tuple[Kind[Any], ...]) -> dict[str, Kind[Any]]:
    """Change kind -> the kind that plans and writes it (`Kind.change_kinds`)."""
    index: dict[str, Kind[Any]] = {}
    for kind in kinds:
        for name in kind.change_kinds:
            if index.setdefault(name, kind) is not kind:
                raise ValueError(f"change kind {name!r} belongs to two kinds")
    return index


def kind_of(name: str) -> Kind[Any]:
    """The active kind whose changes are called ``name``."""
    kind = _index(_ACTIVE.get()).get(name)
    if kind is None:
        raise KeyError(f"unknown change kind {name!r}")
    return kind
