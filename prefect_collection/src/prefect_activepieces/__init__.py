"""Prefect collection for Activepieces tenant projects: a credentials block, tasks and flows.

The block is imported eagerly, so ``prefect block register -m prefect_activepieces`` finds it.
Tasks, flows and the flow exceptions (which import the core tenant engine) load on first
access: Prefect imports every installed collection whenever a server, worker or block lookup
starts, and decorating the flows alone costs about half a second that those processes never
need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from prefect_activepieces._version import __version__
from prefect_activepieces.credentials import ActivepiecesCredentials

if TYPE_CHECKING:
    from prefect_activepieces.archives import arestore_archive, restore_archive
    from prefect_activepieces.contents import (
        aexport_project_state,
        areplace_project_state,
        export_project_state,
        replace_project_state,
    )
    from prefect_activepieces.exceptions import (
        PlanRejectedError,
        ReplaceItemsFailedError,
        TenantFlowError,
        TenantSyncError,
        TenantTeardownError,
    )
    from prefect_activepieces.flows import (
        copy_project_contents,
        onboard_tenant,
        restore_tenant,
        sync_tenants,
        teardown_tenants,
    )
    from prefect_activepieces.members import (
        ainvite_member,
        aremove_member,
        invite_member,
        remove_member,
    )
    from prefect_activepieces.piece_sets import (
        aassign_piece_set,
        adelete_piece_set,
        aensure_piece_set,
        assign_piece_set,
        delete_piece_set,
        ensure_piece_set,
    )
    from prefect_activepieces.projects import (
        UNSET,
        acreate_project,
        adelete_project,
        aensure_project,
        aget_project,
        alist_projects,
        aset_project_pieces,
        aupdate_project,
        create_project,
        delete_project,
        ensure_project,
        get_project,
        list_projects,
        set_project_pieces,
        update_project,
    )
    from prefect_activepieces.review import TenantPlanReview
    from prefect_activepieces.tenants import apply_tenant_plan, plan_teardown, plan_tenants

_LAZY = {
    **dict.fromkeys(
        (
            "PlanRejectedError",
            "ReplaceItemsFailedError",
            "TenantFlowError",
            "TenantSyncError",
            "TenantTeardownError",
        ),
        "exceptions",
    ),
    **dict.fromkeys(
        (
            "aexport_project_state",
            "areplace_project_state",
            "export_project_state",
            "replace_project_state",
        ),
        "contents",
    ),
    **dict.fromkeys(
        (
            "copy_project_contents",
            "onboard_tenant",
            "restore_tenant",
            "sync_tenants",
            "teardown_tenants",
        ),
        "flows",
    ),
    **dict.fromkeys(("arestore_archive", "restore_archive"), "archives"),
    **dict.fromkeys(("apply_tenant_plan", "plan_teardown", "plan_tenants"), "tenants"),
    **dict.fromkeys(
        ("ainvite_member", "aremove_member", "invite_member", "remove_member"), "members"
    ),
    **dict.fromkeys(
        (
            "aassign_piece_set",
            "adelete_piece_set",
            "aensure_piece_set",
            "assign_piece_set",
            "delete_piece_set",
            "ensure_piece_set",
        ),
        "piece_sets",
    ),
    "TenantPlanReview": "review",
    **dict.fromkeys(
        (
            "UNSET",
            "acreate_project",
            "adelete_project",
            "aensure_project",
            "aget_project",
            "alist_projects",
            "aset_project_pieces",
            "aupdate_project",
            "create_project",
            "delete_project",
            "ensure_project",
            "get_project",
            "list_projects",
            "set_project_pieces",
            "update_project",
        ),
        "projects",
    ),
}

__all__ = [
    "UNSET",
    "ActivepiecesCredentials",
    "PlanRejectedError",
    "ReplaceItemsFailedError",
    "TenantFlowError",
    "TenantPlanReview",
    "TenantSyncError",
    "TenantTeardownError",
    "__version__",
    "aassign_piece_set",
    "acreate_project",
    "adelete_piece_set",
    "adelete_project",
    "aensure_piece_set",
    "aensure_project",
    "aexport_project_state",
    "aget_project",
    "ainvite_member",
    "alist_projects",
    "apply_tenant_plan",
    "aremove_member",
    "areplace_project_state",
    "arestore_archive",
    "aset_project_pieces",
    "assign_piece_set",
    "aupdate_project",
    "copy_project_contents",
    "create_project",
    "delete_piece_set",
    "delete_project",
    "ensure_piece_set",
    "ensure_project",
    "export_project_state",
    "get_project",
    "invite_member",
    "list_projects",
    "onboard_tenant",
    "plan_teardown",
    "plan_tenants",
    "remove_member",
    "replace_project_state",
    "restore_archive",
    "restore_tenant",
    "set_project_pieces",
    "sync_tenants",
    "teardown_tenants",
    "update_project",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value
