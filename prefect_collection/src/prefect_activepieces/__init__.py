"""Prefect collection for Activepieces tenant projects: a credentials block, tasks and flows.

Every block is exported here, so ``prefect block register -m prefect_activepieces`` finds it.
"""

from __future__ import annotations

from prefect_activepieces._version import __version__
from prefect_activepieces.credentials import ActivepiecesCredentials
from prefect_activepieces.exceptions import TenantFlowError, TenantSyncError, TenantTeardownError
from prefect_activepieces.flows import onboard_tenant, sync_tenants, teardown_tenants
from prefect_activepieces.projects import (
    UNSET,
    acreate_project,
    adelete_project,
    aensure_project,
    aget_project,
    alist_projects,
    async_project_pieces,
    aupdate_project,
    create_project,
    delete_project,
    ensure_project,
    get_project,
    list_projects,
    sync_project_pieces,
    update_project,
)
from prefect_activepieces.tenants import apply_tenant_plan, plan_tenants

__all__ = [
    "UNSET",
    "ActivepiecesCredentials",
    "TenantFlowError",
    "TenantSyncError",
    "TenantTeardownError",
    "__version__",
    "acreate_project",
    "adelete_project",
    "aensure_project",
    "aget_project",
    "alist_projects",
    "apply_tenant_plan",
    "async_project_pieces",
    "aupdate_project",
    "create_project",
    "delete_project",
    "ensure_project",
    "get_project",
    "list_projects",
    "onboard_tenant",
    "plan_tenants",
    "sync_project_pieces",
    "sync_tenants",
    "teardown_tenants",
    "update_project",
]
