"""Archive before delete, and restore, in Prefect (docs/archives.md has the file format).

Where the teardown and sync flows (and `apply_tenant_plan`) take ``archive``, it says where
each tenant whose project is deleted is archived first: a ``LocalFileSystem`` or
``RemoteFileSystem`` block (its ``basepath``; a remote one's ``settings`` go to fsspec), or a
directory path / fsspec URL. Core writes each archive atomically, reads it back and checks its
digest before the delete is sent; a tenant whose archive fails is reported failed, not
deleted. ``archive=None`` spelled out deletes without archives; leaving it out makes a plan
that deletes tenant projects fail with `ArchiveRequiredError` before anything is sent.

`restore_archive` (a task, with its async twin) and the `restore_tenant` flow bring a tenant
back from an archive, read from a path / URL or from any filesystem block (``storage``).
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import Any, Literal, TypeAlias

from prefect.blocks.core import Block
from prefect.filesystems import LocalFileSystem, RemoteFileSystem

from activepieces_core.constants import DEFAULT_CONCURRENCY
from activepieces_core.tenants.archive import (
    ARCHIVE_REQUIRED,
    ArchiveError,
    ArchiveRequiredError,
    ArchiveStore,
    ArchiveTarget,
    RestoreRefused,
    TenantArchive,
    arestore,
    read_archive,
    restore,
)
from activepieces_core.tenants.archive.archiver import _Required
from prefect_activepieces._retry import api_task
from prefect_activepieces.credentials import ActivepiecesCredentials
from prefect_activepieces.storage import Storage, _now, _where, resolve_storage

__all__ = [
    "ARCHIVE_REQUIRED",
    "ArchiveError",
    "ArchiveInput",
    "ArchiveRequiredError",
    "RestoreRefused",
    "archive_target",
    "arestore_archive",
    "read_tenant_archive",
    "restore_archive",
]

ArchiveInput: TypeAlias = Block | str | Path | Literal[_Required.ARCHIVE_REQUIRED] | None
"""What ``archive`` takes: a LocalFileSystem / RemoteFileSystem block, a directory or fsspec
URL, ``None`` (no archives, spelled out) or, by default, `ARCHIVE_REQUIRED`."""


def archive_target(archive: Any) -> ArchiveTarget:
    """Core's archive target for an ``archive`` argument (`TypeError` for other blocks).

    A ``RemoteFileSystem`` keeps its ``settings`` (credentials stay in fsspec's options, never
    in an archive's location); a ``LocalFileSystem`` without ``basepath`` is the working
    directory, as the block itself reads it."""
    if archive is None or archive is ARCHIVE_REQUIRED or isinstance(archive, ArchiveStore):
        return archive
    if isinstance(archive, RemoteFileSystem):
        return ArchiveStore(archive.basepath, **dict(archive.settings or {}))
    if isinstance(archive, LocalFileSystem):
        return ArchiveStore(Path(archive.basepath or ".").expanduser().resolve())
    if isinstance(archive, Block):
        raise TypeError(
            f"archive: a {type(archive).__name__} block cannot hold archives (they are "
            "written atomically through fsspec): use a LocalFileSystem or a RemoteFileSystem "
            "(e.g. basepath='s3://bucket/archives'), or a directory path or fsspec URL"
        )
    if isinstance(archive, (str, os.PathLike)):
        return ArchiveStore(archive)
    raise TypeError(
        f"archive: expected a filesystem block, a path, an fsspec URL or None, "
        f"not {type(archive).__name__}"
    )


def read_tenant_archive(archive: str | Path, storage: Storage | None = None) -> TenantArchive:
    """The verified archive at ``archive``: a path or fsspec URL, or its path in ``storage``
    (any filesystem block, or a saved one's ``"<block-type-slug>/<name>"``).

    `InvalidArchiveError` when it is damaged (digest, format), `ArchiveError` when unreadable.
    """
    if storage is None:
        return read_archive(archive)
    block, path = resolve_storage(storage), os.fspath(archive)
    where = _where(block, path)
    try:
        raw = _now(block.read_path(path))
    except (OSError, ValueError) as exc:
        raise ArchiveError(f"cannot read the archive {where}: {exc}") from None
    return TenantArchive.decode(raw, source=where)


async def _aread_tenant_archive(
    archive: str | Path, storage: Storage | None = None
) -> TenantArchive:
    if storage is None:
        return read_archive(archive)
    block, path = resolve_storage(storage), os.fspath(archive)
    where = _where(block, path)
    try:
        raw = block.read_path(path)
        if inspect.isawaitable(raw):
            raw = await raw
    except (OSError, ValueError) as exc:
        raise ArchiveError(f"cannot read the archive {where}: {exc}") from None
    return TenantArchive.decode(raw, source=where)


def _source(archive: str | Path, storage: Storage | None) -> str:
    return os.fspath(archive) if storage is None else _where(resolve_storage(storage), str(archive))


_RESTORE = "Restore Activepieces tenant"


@api_task(_RESTORE)
def restore_archive(
    credentials: ActivepiecesCredentials,
    archive: str | Path,
    storage: Storage | None = None,
    external_id: str | None = None,
    display_name: str | None = None,
    replace_existing: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> dict[str, Any]:
    """Bring a tenant back from its archive (core's `restore`): project fields, piece set or
    own pieces, members (invited again), flows/tables/folders through ``replace``.

    ``archive`` is a path or fsspec URL (a teardown report's ``archive`` column), or a path in
    ``storage``; ``external_id`` / ``display_name`` restore it under new ones. A live tenant
    with the same external id is never overwritten unless ``replace_existing``
    (`RestoreRefused`, nothing sent); restoring twice changes nothing the second time.

    Returns ``RestoreResult.to_dict()``: ``external_id``, ``project_id``, ``action``
    (created / replaced / completed / unchanged), ``ok``, ``connections_awaiting_authorization``
    (secrets are never archived), ``source`` and the apply ``report``.
    """
    loaded = read_tenant_archive(archive, storage)
    result = restore(
        credentials.get_config(),
        loaded,
        external_id=external_id,
        display_name=display_name,
        replace_existing=replace_existing,
        concurrency=concurrency,
    )
    return {**result.to_dict(), "source": _source(archive, storage)}


@api_task(_RESTORE)
async def arestore_archive(
    credentials: ActivepiecesCredentials,
    archive: str | Path,
    storage: Storage | None = None,
    external_id: str | None = None,
    display_name: str | None = None,
    replace_existing: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> dict[str, Any]:
    """Async `restore_archive`."""
    loaded = await _aread_tenant_archive(archive, storage)
    result = await arestore(
        credentials.get_config(),
        loaded,
        external_id=external_id,
        display_name=display_name,
        replace_existing=replace_existing,
        concurrency=concurrency,
    )
    return {**result.to_dict(), "source": _source(archive, storage)}
