"""Where the operators write tenant archives before a delete, and read them back to restore.

An ``archive`` argument (docs/archives.md) is a local directory, URL text (``s3://...``,
``file://``, ``memory://``; it becomes an ``ObjectStoragePath``, so a templated field can
render one) or an ``ObjectStoragePath``, whose own filesystem is used (with its Airflow
connection's credentials, ``conn_id``). Core writes each archive atomically, reads it back and
checks its digest before the delete is sent. ``None`` given explicitly deletes without
archives; the default, `ARCHIVE_REQUIRED` (core's, see `archive_target`), makes a plan that
deletes tenant projects fail before anything is sent. A template that renders blank is an
error, never "no archive".

Core's archive machinery is imported when an archive is used, never at import: the operators
import this module, and DAG parsing pays for whatever they import (bench/import_cost.py).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from activepieces_provider.state_storage import location

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator, ObjectStoragePath

    from activepieces_core.tenants.archive import ArchiveStore, ArchiveTarget, TenantArchive

__all__ = [
    "ARCHIVE_REQUIRED",
    "archive_target",
    "object_storage_archive_store",
    "read_tenant_archive",
]


class _Required(Enum):
    """The operators' ``archive`` default; `archive_target` turns it into core's
    ``ARCHIVE_REQUIRED`` (named here so importing the operators does not import core's archive)."""

    ARCHIVE_REQUIRED = "ARCHIVE_REQUIRED"

    def __repr__(self) -> str:
        return "ARCHIVE_REQUIRED"

    __str__ = __repr__


ARCHIVE_REQUIRED = _Required.ARCHIVE_REQUIRED


def object_storage_archive_store(path: ObjectStoragePath) -> ArchiveStore:
    """Core's `ArchiveStore` on ``path``'s filesystem, so archives go wherever the path's
    connection credentials reach."""
    from activepieces_core.tenants.archive import ArchiveStore

    # The path's operations run on the UPath it wraps (Airflow 3.1+), whose filesystem carries
    # the connection's credentials; ``path.fs`` would look the scheme up in Airflow's own
    # registry, which lacks fsspec's built-in ones such as ``memory``.
    inner = getattr(path, "__wrapped__", path)
    return ArchiveStore.on_filesystem(inner.fs, str(inner.path), url=str(path))


def archive_target(op: BaseOperator, value: Any) -> ArchiveTarget:
    """Core's archive target for an operator's rendered ``archive``."""
    from activepieces_core.tenants import archive as core

    if value is ARCHIVE_REQUIRED or value is core.ARCHIVE_REQUIRED:
        return core.ARCHIVE_REQUIRED
    if value is None or isinstance(value, core.ArchiveStore):
        return value
    if isinstance(value, str) and not value.strip():
        raise ValueError(
            "archive rendered blank: give a directory, a URL or an ObjectStoragePath "
            "(archive=None, not a blank template, deletes without archives)"
        )
    where = location(op, value)
    if isinstance(where, Path):
        return core.ArchiveStore(where)
    return object_storage_archive_store(where)


def read_tenant_archive(op: BaseOperator, value: Any) -> tuple[TenantArchive, str]:
    """The verified archive at ``value`` (a path, URL text or ``ObjectStoragePath``) and where
    it was read (`InvalidArchiveError` when damaged, `ArchiveError` when unreadable)."""
    from activepieces_core.tenants.archive import ArchiveError, TenantArchive, read_archive

    where = location(op, value)
    if isinstance(where, Path):
        return read_archive(where), str(where)
    try:
        raw = where.read_bytes()
    except OSError as exc:
        raise ArchiveError(f"cannot read the archive {where}: {exc}") from None
    return TenantArchive.decode(raw, source=str(where)), str(where)
