"""Field-level comparison of a `TenantSpec` with a project, and the update it implies.

Plan and apply share these functions so that what the plan shows is exactly what is sent.
Values are JSON-shaped (enum values as strings) so a diff survives XCom / Prefect round trips.
"""

from __future__ import annotations

from typing import Any

from activepieces_core.models import PiecesFilterType, Project
from activepieces_core.tenants.spec import TenantSpec

__all__ = ["Diff", "current_state", "desired_state", "diff_project", "update_kwargs"]

Diff = dict[str, dict[str, Any]]


def _value(x: Any) -> Any:
    return getattr(x, "value", x)


def desired_state(spec: TenantSpec) -> dict[str, Any]:
    """The managed fields of ``spec``: ``display_name`` and ``pieces`` always, others when set."""
    state: dict[str, Any] = {
        "display_name": spec.effective_display_name,
        "pieces": None if spec.pieces is None else list(spec.pieces),
    }
    if spec.metadata is not None:
        state["metadata"] = spec.metadata
    if spec.max_concurrent_jobs is not None:
        state["max_concurrent_jobs"] = spec.max_concurrent_jobs
    if spec.releases_enabled is not None:
        state["releases_enabled"] = spec.releases_enabled
    if spec.icon_color is not None:
        state["icon_color"] = _value(spec.icon_color)
    return state


def current_state(project: Project) -> dict[str, Any]:
    """The same fields read from ``project``; ``pieces`` is None unless the filter is ALLOWED."""
    plan = project.plan
    allowed = plan is not None and _value(plan.pieces_filter_type) == "ALLOWED"
    icon = project.icon
    return {
        "display_name": project.display_name,
        "pieces": sorted(plan.pieces or []) if plan is not None and allowed else None,
        "metadata": project.metadata,
        "max_concurrent_jobs": project.max_concurrent_jobs,
        "releases_enabled": project.releases_enabled,
        "icon_color": _value(icon.color) if icon is not None else None,
    }


def diff_project(spec: TenantSpec, project: Project) -> Diff:
    """``{field: {"from": current, "to": desired}}`` for every managed field that differs."""
    current = current_state(project)
    return {
        name: {"from": current.get(name), "to": want}
        for name, want in desired_state(spec).items()
        if current.get(name) != want
    }


def update_kwargs(diff: Diff, spec: TenantSpec | None) -> dict[str, Any]:
    """Keyword arguments for ``projects.update`` that apply ``diff`` in one request.

    Global connection ids cannot be read back, so they ride along with any update that happens
    (the server's full-sync semantics make resending them harmless).
    """
    kwargs: dict[str, Any] = {}
    for name, change in diff.items():
        want = change["to"]
        if name == "pieces":
            kwargs["pieces"] = [] if want is None else list(want)
            kwargs["pieces_filter_type"] = (
                PiecesFilterType.NONE if want is None else PiecesFilterType.ALLOWED
            )
        else:
            kwargs[name] = want
    if kwargs and spec is not None and spec.global_connection_external_ids is not None:
        kwargs["global_connection_external_ids"] = list(spec.global_connection_external_ids)
    return kwargs
