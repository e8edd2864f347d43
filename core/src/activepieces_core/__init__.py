"""Typed client, reconcile engine, CLI and emulator for the Activepieces Projects API.

```python
from activepieces_core import ActivepiecesClient

with ActivepiecesClient(api_key="sk-...") as client:
    result = client.projects.ensure("tenant-42", "Acme Corp", pieces=["slack", "gmail"])
```
"""

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
from activepieces_core._retry import RetryPolicy, is_retryable, is_safe_to_resend
from activepieces_core._version import __version__
from activepieces_core.client import ActivepiecesClient, AsyncActivepiecesClient
from activepieces_core.config import DEFAULT_BASE_URL, ClientConfig
from activepieces_core.models import (
    ColorName,
    Page,
    PiecesFilterType,
    Project,
    ProjectAnalytics,
    ProjectIcon,
    ProjectPlan,
    ProjectType,
)
from activepieces_core.pieces import normalize_piece_name, normalize_pieces

__all__ = [
    "DEFAULT_BASE_URL",
    "UNSET",
    "ActivepiecesClient",
    "AsyncActivepiecesClient",
    "ClientConfig",
    "ColorName",
    "CreateFields",
    "EnsureOptions",
    "EnsureResult",
    "IfExists",
    "ListFilters",
    "Page",
    "PiecesFilterType",
    "Project",
    "ProjectAnalytics",
    "ProjectIcon",
    "ProjectPlan",
    "ProjectType",
    "RetryPolicy",
    "SyncPiecesResult",
    "Unset",
    "UpdateFields",
    "__version__",
    "is_retryable",
    "is_safe_to_resend",
    "normalize_piece_name",
    "normalize_pieces",
]
