"""One shared "fields set" per combination of set fields, for the tenant models built by the
hundred thousand (specs, members, changes, results).

Pydantic gives every model instance its own ``__pydantic_fields_set__``: a set of up to 11
field names is 728 bytes, more than a third of a planned change. The models here are frozen,
so the set is never added to (``model_copy`` copies it first): instances with the same set
fields can share one.
"""

from __future__ import annotations

from pydantic import BaseModel

__all__ = ["share_fields_set"]

_SHARED: dict[frozenset[str], set[str]] = {}


def share_fields_set(model: BaseModel) -> None:
    """Point ``model`` (a frozen model) at the shared fields set equal to its own."""
    own = model.__pydantic_fields_set__
    shared = _SHARED.setdefault(frozenset(own), own)
    if shared is not own:
        object.__setattr__(model, "__pydantic_fields_set__", shared)
