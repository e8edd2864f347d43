"""The kinds of tenant resources the planner and the engine ask, in reading order.

Reading order matters: later kinds read what hangs off the projects the first one found.
"""

from __future__ import annotations

from typing import Any

from activepieces_core.tenants.kinds.base import (
    Applied,
    Kind,
    PlanInput,
    Reading,
    ReadStrategy,
    StaleChange,
    compare_observed,
    is_protected,
    torn_down,
)
from activepieces_core.tenants.kinds.members import MemberKind
from activepieces_core.tenants.kinds.piece_sets import PieceSetKind
from activepieces_core.tenants.kinds.projects import ProjectKind
from activepieces_core.tenants.kinds.users import UserKind

__all__ = [
    "KINDS",
    "Applied",
    "Kind",
    "MemberKind",
    "PieceSetKind",
    "PlanInput",
    "ProjectKind",
    "ReadStrategy",
    "Reading",
    "StaleChange",
    "UserKind",
    "compare_observed",
    "is_protected",
    "kind_of",
    "torn_down",
]

#: Every kind, in the order they read (the project kind first: the others hang off it).
KINDS: tuple[Kind[Any], ...] = (ProjectKind(), PieceSetKind(), MemberKind(), UserKind())


#: Change kinds that belong to another kind's writes.
_ALIASES = {"piece_set_assignment": "piece_set"}


def kind_of(name: str) -> Kind[Any]:
    """The kind whose changes are called ``name``."""
    wanted = _ALIASES.get(name, name)
    for kind in KINDS:
        if kind.name == wanted:
            return kind
    raise KeyError(f"unknown change kind {name!r}")
