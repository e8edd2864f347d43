"""Typed client, reconcile engine, CLI and emulator for the Activepieces Projects API.

```python
from activepieces_core import ActivepiecesClient

with ActivepiecesClient(api_key="sk-...") as client:
    result = client.projects.ensure("tenant-42", "Acme Corp", pieces=["slack", "gmail"])
```

The names below load on first use (PEP 562), so ``activepieces_core.constants`` and
``activepieces_core.parsing`` stay import-free for Airflow's provider discovery and DAG parsing.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from activepieces_core._version import __version__

if TYPE_CHECKING:
    from activepieces_core._membership_ops import InviteResult, ProjectPeople, RemoveResult
    from activepieces_core._people_ops import (
        InvitationFilters,
        MemberFilters,
        UnknownRoleError,
        UserFilters,
    )
    from activepieces_core._piece_set_ops import PieceSetEnsureResult
    from activepieces_core._project_ops import (
        UNSET,
        CreateFields,
        EnsureOptions,
        EnsureResult,
        IfExists,
        ListFilters,
        SyncPiecesResult,
        Unset,
        UpdateFields,
    )
    from activepieces_core._retry import (
        RetryPolicy,
        is_ambiguous_write,
        is_retryable,
        is_safe_to_resend,
    )
    from activepieces_core.client import ActivepiecesClient, AsyncActivepiecesClient
    from activepieces_core.config import ClientConfig
    from activepieces_core.constants import DEFAULT_BASE_URL
    from activepieces_core.models import (
        ColorName,
        Page,
        PieceSelection,
        PieceSelectionMode,
        PieceSet,
        PiecesFilterType,
        PiecesMechanism,
        Project,
        ProjectAnalytics,
        ProjectIcon,
        ProjectPlan,
        ProjectType,
    )
    from activepieces_core.models.people import (
        DEFAULT_PROJECT_ROLES,
        Invitation,
        InvitationStatus,
        InvitationType,
        PlatformRole,
        ProjectMember,
        ProjectRole,
        User,
        UserStatus,
    )
    from activepieces_core.pieces import normalize_piece_name, normalize_pieces

_LAZY: dict[str, str] = {
    **dict.fromkeys(
        (
            "UNSET",
            "CreateFields",
            "EnsureOptions",
            "EnsureResult",
            "IfExists",
            "ListFilters",
            "SyncPiecesResult",
            "Unset",
            "UpdateFields",
        ),
        "activepieces_core._project_ops",
    ),
    "PieceSetEnsureResult": "activepieces_core._piece_set_ops",
    **dict.fromkeys(
        ("RetryPolicy", "is_ambiguous_write", "is_retryable", "is_safe_to_resend"),
        "activepieces_core._retry",
    ),
    "ActivepiecesClient": "activepieces_core.client",
    "AsyncActivepiecesClient": "activepieces_core.client",
    "ClientConfig": "activepieces_core.config",
    "DEFAULT_BASE_URL": "activepieces_core.constants",
    **dict.fromkeys(
        (
            "ColorName",
            "Page",
            "PieceSelection",
            "PieceSelectionMode",
            "PieceSet",
            "PiecesFilterType",
            "PiecesMechanism",
            "Project",
            "ProjectAnalytics",
            "ProjectIcon",
            "ProjectPlan",
            "ProjectType",
        ),
        "activepieces_core.models",
    ),
    "normalize_piece_name": "activepieces_core.pieces",
    "normalize_pieces": "activepieces_core.pieces",
    # people (users, roles, members, invitations)
    **dict.fromkeys(
        ("InviteResult", "ProjectPeople", "RemoveResult"), "activepieces_core._membership_ops"
    ),
    **dict.fromkeys(
        ("InvitationFilters", "MemberFilters", "UnknownRoleError", "UserFilters"),
        "activepieces_core._people_ops",
    ),
    **dict.fromkeys(
        (
            "DEFAULT_PROJECT_ROLES",
            "Invitation",
            "InvitationStatus",
            "InvitationType",
            "PlatformRole",
            "ProjectMember",
            "ProjectRole",
            "User",
            "UserStatus",
        ),
        "activepieces_core.models.people",
    ),
}

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_PROJECT_ROLES",
    "UNSET",
    "ActivepiecesClient",
    "AsyncActivepiecesClient",
    "ClientConfig",
    "ColorName",
    "CreateFields",
    "EnsureOptions",
    "EnsureResult",
    "IfExists",
    "Invitation",
    "InvitationFilters",
    "InvitationStatus",
    "InvitationType",
    "InviteResult",
    "ListFilters",
    "MemberFilters",
    "Page",
    "PieceSelection",
    "PieceSelectionMode",
    "PieceSet",
    "PieceSetEnsureResult",
    "PiecesFilterType",
    "PiecesMechanism",
    "PlatformRole",
    "Project",
    "ProjectAnalytics",
    "ProjectIcon",
    "ProjectMember",
    "ProjectPeople",
    "ProjectPlan",
    "ProjectRole",
    "ProjectType",
    "RemoveResult",
    "RetryPolicy",
    "SyncPiecesResult",
    "UnknownRoleError",
    "Unset",
    "UpdateFields",
    "User",
    "UserFilters",
    "UserStatus",
    "__version__",
    "is_ambiguous_write",
    "is_retryable",
    "is_safe_to_resend",
    "normalize_piece_name",
    "normalize_pieces",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'activepieces_core' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
