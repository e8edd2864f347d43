"""Where archives go: a local directory or any fsspec URL (``file://``, ``memory://``,
``s3://`` with s3fs installed, ...), written atomically and read back before a delete.

Atomic writes: on a local file system the archive is written to a temporary file beside it and
renamed over the final name (``os.replace``: a reader sees the old file or the new one, never
half of one). Other file systems get one ``pipe_file`` (a single object PUT on object stores,
which never exposes a partial object). Either way the bytes are then read back and their
digest checked (`TenantArchive.decode`): only an archive that reads back whole lets its
tenant's project be deleted. An archive of the same tenant already there is first copied to
its history name (`names.history_name`), so a second teardown loses nothing either.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from activepieces_core.errors import ActivepiecesError
from activepieces_core.tenants.archive.format import TenantArchive
from activepieces_core.tenants.archive.names import archive_name, history_name

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

__all__ = ["ArchiveError", "ArchiveStore", "ArchiveWritten", "read_archive"]


class ArchiveError(ActivepiecesError):
    """A tenant's archive could not be written or did not read back whole: its project was
    not deleted."""


@dataclass(frozen=True)
class ArchiveWritten:
    """An archive written and verified: where, and its digest."""

    external_id: str
    location: str
    digest: str
    size: int


class ArchiveStore:
    """A directory of tenant archives: ``ArchiveStore("archives/")``,
    ``ArchiveStore("s3://bucket/ap-archives", anon=False)`` (options go to fsspec)."""

    def __init__(self, location: str | os.PathLike[str], **storage_options: Any) -> None:
        from fsspec.core import url_to_fs
        from fsspec.implementations.local import LocalFileSystem

        text = os.fspath(location)
        if not text:
            raise ValueError("an archive location is a directory or a URL, not empty")
        self.url = text.rstrip("/") or "/"
        fs, root = url_to_fs(self.url, **storage_options)
        self.fs: AbstractFileSystem = fs
        self.root: str = root.rstrip("/") or "/"
        self.local = isinstance(fs, LocalFileSystem)

    @classmethod
    def on_filesystem(cls, fs: AbstractFileSystem, root: str, *, url: str) -> ArchiveStore:
        """A store on a file system already built, e.g. one carrying an orchestrator
        connection's credentials: ``root`` is the directory in ``fs``'s own terms, ``url`` is
        how locations are shown (`location`, reports)."""
        from fsspec.implementations.local import LocalFileSystem

        store = cls.__new__(cls)
        store.url = url.rstrip("/") or "/"
        store.fs = fs
        store.root = root.rstrip("/") or "/"
        store.local = isinstance(fs, LocalFileSystem)
        return store

    def __repr__(self) -> str:
        return f"ArchiveStore({self.url!r})"

    def location(self, external_id: str) -> str:
        """Where ``external_id``'s archive is written (a path or URL as given, no I/O)."""
        return f"{self.url}/{archive_name(external_id)}"

    def _path(self, name: str) -> str:
        return f"{self.root}/{name}" if self.root != "/" else f"/{name}"

    def write(self, archive: TenantArchive) -> ArchiveWritten:
        """Write ``archive`` atomically, read it back and verify it; `ArchiveError` otherwise
        (naming the location and the cause)."""
        external_id = archive.external_id
        name = archive_name(external_id)
        where = self.location(external_id)
        try:
            raw, digest = archive.encode()
            self.fs.makedirs(self.root, exist_ok=True)
            path = self._path(name)
            if self.fs.exists(path):
                self.fs.cp_file(path, self._path(history_name(name, archive.taken_at)))
            if self.local:
                tmp = self._path(f".{name}.{uuid.uuid4().hex}.tmp")
                try:
                    with open(tmp, "wb") as out:
                        out.write(raw)
                        out.flush()
                        os.fsync(out.fileno())
                    os.replace(tmp, path)
                except BaseException:
                    if os.path.exists(tmp):
                        os.unlink(tmp)
                    raise
            else:
                self.fs.pipe_file(path, raw)
            back = self.fs.cat_file(path)
        except Exception as exc:
            raise ArchiveError(f"archive not written to {where}: {_reason(exc)}") from None
        if back != raw:
            raise ArchiveError(f"archive at {where} did not read back as written")
        TenantArchive.decode(back, source=where)  # the digest checked on what is stored
        return ArchiveWritten(external_id, where, digest, len(raw))

    def read(self, external_id: str) -> TenantArchive:
        """The archive of ``external_id`` in this store."""
        return read_archive(
            self.location(external_id), _fs=(self.fs, self._path(archive_name(external_id)))
        )


def read_archive(
    location: str | os.PathLike[str],
    *,
    _fs: tuple[Any, str] | None = None,
    **storage_options: Any,
) -> TenantArchive:
    """The archive at ``location`` (a path or an fsspec URL), verified
    (`InvalidArchiveError` when damaged, `ArchiveError` when unreadable)."""
    where = os.fspath(location)
    try:
        if _fs is None:
            from fsspec.core import url_to_fs

            fs, path = url_to_fs(where, **storage_options)
        else:
            fs, path = _fs
        raw = fs.cat_file(path)
    except Exception as exc:
        raise ArchiveError(f"cannot read the archive {where}: {_reason(exc)}") from None
    return TenantArchive.decode(raw, source=where)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__}: {exc.strerror}"
    return f"{type(exc).__name__}: {exc}"
