"""One shared "fields set" per combination of set fields, for the tenant models built by the
hundred thousand (specs, members, changes, results) and the response models a plan reads by the
hundred thousand (projects, members, piece sets: a project read back answers some 20 fields, a
2 KB set, more than half of the project's memory).

Pydantic gives every model instance its own ``__pydantic_fields_set__``: a set of up to 11
field names is 728 bytes, more than a third of a planned change. The models here are frozen,
so the set is never added to (``model_copy`` copies it first): instances with the same set
fields can share one.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from pydantic import BaseModel

__all__ = ["share_fields_set", "share_fields_sets", "shared_fields_set"]

_SHARED: dict[frozenset[str], set[str]] = {}


def shared_fields_set(names: AbstractSet[str]) -> set[str]:
    """The shared fields set equal to ``names`` (``names`` itself the first time, when it is a
    set: a frozen one is copied, as pydantic adds to a copy's set)."""
    key = names if isinstance(names, frozenset) else frozenset(names)
    shared = _SHARED.get(key)
    if shared is None:
        shared = _SHARED[key] = names if type(names) is set else set(names)
    return shared


#: The shared fields set a model of each class was last given (`share_fields_set`).
_LAST: dict[type, set[str]] = {}


def share_fields_set(model: BaseModel) -> None:
    """Point ``model`` (a frozen model) at the shared fields set equal to its own."""
    # `shared_fields_set` inlined: this runs for every change, result and spec validated
    # (600,000 in reading a saved plan of 100,000 tenants), and ``own`` is always a set.
    # Models of a class mostly come in runs with the same fields set (a plan's changes of a
    # kind, their specs): compared with the last one's first, it takes no frozenset.
    own = model.__pydantic_fields_set__
    last = _LAST.get(type(model))
    if own == last:
        object.__setattr__(model, "__pydantic_fields_set__", last)
        return
    key = frozenset(own)
    shared = _SHARED.get(key)
    if shared is None:
        shared = _SHARED[key] = own
    elif shared is not own:
        object.__setattr__(model, "__pydantic_fields_set__", shared)
    _LAST[type(model)] = shared


def share_fields_sets(model: BaseModel) -> None:
    """`share_fields_set` for ``model`` and every model it holds (in fields, lists, tuples),
    frozen ones only: a model that can be assigned to adds to its own set."""
    if model.model_config.get("frozen"):
        share_fields_set(model)
    for value in model.__dict__.values():
        if isinstance(value, BaseModel):
            share_fields_sets(value)
        elif isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, BaseModel):
                    share_fields_sets(item)
