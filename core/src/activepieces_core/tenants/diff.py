"""A `TenantSpec` compared with its project, through the one comparison in `project_diff`.

Plan and apply share these functions so that what the plan shows is exactly what is sent, and
``projects.ensure`` with the same wish agrees with the plan (both call `diff_fields`).
"""

from __future__ import annotations

from typing import Any

from activepieces_core.models import Project
from activepieces_core.project_diff import Diff, creation_diff, diff_fields
from activepieces_core.project_diff import update_kwargs as _update_kwargs
from activepieces_core.tenants.spec import TenantSpec

__all__ = ["Diff", "creation_diff_of", "diff_project", "update_kwargs"]


def diff_project(spec: TenantSpec, project: Project, *, pieces: bool = True) -> Diff:
    """``{field: {"from": current, "to": desired}}`` for every managed field that differs
    (``pieces=False`` where piece sets, not the project plan, govern the pieces)."""
    return diff_fields(project, spec.project_wish(pieces=pieces))


def creation_diff_of(spec: TenantSpec, *, pieces: bool = True) -> Diff:
    """What creating ``spec``'s project sets (every managed field that has a value)."""
    return creation_diff(spec.project_wish(pieces=pieces))


def update_kwargs(diff: Diff, spec: TenantSpec | None) -> dict[str, Any]:
    """Keyword arguments for ``projects.update`` that apply ``diff`` in one request.

    A tenant's global connections ride along with any update that happens (the server makes
    the project's set exactly the list sent, so resending them is harmless); when they drifted,
    ``diff`` names them itself.
    """
    kwargs = _update_kwargs(diff)
    if kwargs and spec is not None and spec.global_connections is not None:
        kwargs["global_connection_external_ids"] = list(spec.global_connections)
    return kwargs
