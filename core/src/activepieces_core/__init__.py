"""Typed client, reconcile engine, CLI and emulator for the Activepieces Projects API.

```python
from activepieces_core import ActivepiecesClient

with ActivepiecesClient(api_key="sk-...") as client:
    result = client.projects.ensure("tenant-42", "Acme Corp", pieces=["slack", "gmail"])
```

The names below load on first use (PEP 562), so ``activepieces_core.constants`` and
``activepieces_core.parsing`` stay import-free for Airflow's provider discovery and DAG parsing.
Each lives in a public module (`client`, `config`, `errors`, `models`, `retries`, `types`, ...).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from activepieces_core._version import __version__

if TYPE_CHECKING:
    from activepieces_core.client import ActivepiecesClient, AsyncActivepiecesClient
    from activepieces_core.config import ClientConfig
    from activepieces_core.constants import DEFAULT_BASE_URL
    from activepieces_core.errors import UnknownRoleError
    from activepieces_core.models import (
        DEFAULT_PROJECT_ROLES,
        AppConnection,
        ColorName,
        Flow,
        Folder,
        Invitation,
        InvitationStatus,
        InvitationType,
        Page,
        PieceSelection,
        PieceSelectionMode,
        PieceSet,
        PiecesFilterType,
        PiecesMechanism,
        PlatformRole,
        Project,
        ProjectAnalytics,
        ProjectIcon,
        ProjectMember,
        ProjectPlan,
        ProjectRole,
        ProjectState,
        ProjectType,
        ReplaceCounts,
        ReplaceResult,
        Table,
        User,
        UserStatus,
    )
    from activepieces_core.pieces import normalize_piece_name, normalize_pieces
    from activepieces_core.retries import (
        RetryPolicy,
        is_ambiguous_write,
        is_retryable,
        is_safe_to_resend,
    )
    from activepieces_core.types import (
        UNSET,
        CreateFields,
        EnsureOptions,
        EnsureResult,
        IfExists,
        InvitationFilters,
        InviteResult,
        ListFilters,
        MemberFilters,
        PieceSetEnsureResult,
        ProjectPeople,
        RemoveResult,
        SyncPiecesResult,
        Unset,
        UpdateFields,
        UserFilters,
    )

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_PROJECT_ROLES",
    "UNSET",
    "ActivepiecesClient",
    "AppConnection",
    "AsyncActivepiecesClient",
    "ClientConfig",
    "ColorName",
    "CreateFields",
    "EnsureOptions",
    "EnsureResult",
    "Flow",
    "Folder",
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
    "ProjectState",
    "ProjectType",
    "RemoveResult",
    "ReplaceCounts",
    "ReplaceResult",
    "RetryPolicy",
    "SyncPiecesResult",
    "Table",
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

#: The modules that define the names above, lightest first: a name is looked up, on first use,
#: in each one's own ``__all__`` until found (so no name is listed a third time here).
_SOURCES = ("constants", "pieces", "config", "errors", "models", "types", "retries", "client")
_EXPORTED = frozenset(__all__)


def __getattr__(name: str) -> Any:
    if name in _EXPORTED:
        for source in _SOURCES:
            module = import_module(f"activepieces_core.{source}")
            if name in module.__all__:
                value = getattr(module, name)
                globals()[name] = value  # later lookups skip this function
                return value
    raise AttributeError(f"module 'activepieces_core' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _EXPORTED)
