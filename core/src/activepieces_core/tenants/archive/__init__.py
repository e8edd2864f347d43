"""Archive before delete, and restore (docs/archives.md).

Every path that deletes a tenant project (``tenants teardown``, ``apply --prune``, a saved
plan, the Airflow and Prefect integrations) goes through the engine, whose project kind first
writes the tenant's archive (`TenantArchive`: its row, its project, its replace body) to an
`ArchiveStore` and reads it back; only then is the delete sent. `restore` / `arestore` bring a
tenant back from its archive through the same engine.
"""

from __future__ import annotations

from activepieces_core.tenants.archive.archiver import (
    ARCHIVE_REQUIRED,
    Archiver,
    ArchiveRequiredError,
    ArchiveTarget,
    resolve_archiver,
    store_of,
)
from activepieces_core.tenants.archive.format import (
    ARCHIVE_FORMAT_VERSION,
    InvalidArchiveError,
    TenantArchive,
)
from activepieces_core.tenants.archive.names import archive_name, external_id_of
from activepieces_core.tenants.archive.restore import (
    RestoreRefused,
    RestoreResult,
    arestore,
    restore,
)
from activepieces_core.tenants.archive.store import (
    ArchiveError,
    ArchiveStore,
    ArchiveWritten,
    read_archive,
)

__all__ = [
    "ARCHIVE_FORMAT_VERSION",
    "ARCHIVE_REQUIRED",
    "ArchiveError",
    "ArchiveRequiredError",
    "ArchiveStore",
    "ArchiveTarget",
    "ArchiveWritten",
    "Archiver",
    "InvalidArchiveError",
    "RestoreRefused",
    "RestoreResult",
    "TenantArchive",
    "archive_name",
    "arestore",
    "external_id_of",
    "read_archive",
    "resolve_archiver",
    "restore",
    "store_of",
]
