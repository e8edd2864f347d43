"""Replace bodies (project states) in local files or in Prefect filesystem blocks.

A state file is JSON, or YAML by suffix (``.yaml``/``.yml``), as core's
`activepieces_core.models.state_file`. Where a task or flow takes a ``storage``, it is any
Prefect filesystem block with ``read_path``/``write_path`` (``LocalFileSystem``,
``RemoteFileSystem``, ``S3Bucket``, ``GcsBucket``, ...) or a saved one's
``"<block-type-slug>/<name>"`` (e.g. ``"remote-file-system/templates"``); paths are then
relative to the block's base path. Without one, paths are local files.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from prefect.blocks.core import Block
from prefect.utilities.asyncutils import run_coro_as_sync

from activepieces_core.errors import InvalidStateError
from activepieces_core.models.contents import ProjectState
from activepieces_core.models.state_file import (
    read_state_file,
    state_from_text,
    state_to_text,
    write_state_file,
)

__all__ = [
    "StateInput",
    "Storage",
    "TemplateReader",
    "aread_state",
    "awrite_state",
    "read_state",
    "resolve_storage",
    "write_state",
]

Storage = Block | str
"""A filesystem block (anything with ``read_path``/``write_path``) or a saved one's
``"<block-type-slug>/<name>"``."""

StateInput = str | Path | dict[str, Any] | ProjectState
"""A replace body: the body itself (a dict, e.g. `export_project_state`'s result), a
`ProjectState`, or the path of a state file (in ``storage`` when one is given)."""


def resolve_storage(storage: Storage) -> Any:
    """The block itself, or the saved block named ``"<block-type-slug>/<name>"`` (duck-typed:
    filesystem blocks share no base class with both ``read_path`` and ``write_path``)."""
    block: Any = storage
    if isinstance(storage, str):
        if "/" not in storage:
            raise ValueError(
                f"storage {storage!r}: name a saved filesystem block as "
                "'<block-type-slug>/<name>', e.g. 'local-file-system/templates'"
            )
        # _sync: called from async code, `load` would otherwise return a coroutine.
        block = Block.load(storage, _sync=True)  # type: ignore[call-arg]
    if not callable(getattr(block, "read_path", None)):
        raise TypeError(f"{type(block).__name__} is not a filesystem block (no read_path)")
    return block


def _now(value: Any) -> Any:
    """``value``, run to its end when a block's method handed back a coroutine (an async-only
    block, or Prefect's dispatch deciding it is in async code)."""
    return run_coro_as_sync(value) if inspect.iscoroutine(value) else value


def _where(storage: Any, path: str) -> str:
    name = getattr(storage, "_block_document_name", None) or type(storage).__name__
    return f"{path} (in {name})"


def _parse(data: bytes, path: str, where: str) -> ProjectState:
    """A state from a file's bytes: YAML by suffix, else JSON (`InvalidStateError`)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidStateError(f"{where}: not a valid state file: {exc}") from None
    return state_from_text(text, source=where, suffix=PurePosixPath(path).suffix)


def _dump(state: ProjectState, path: str) -> bytes:
    return state_to_text(state, suffix=PurePosixPath(path).suffix).encode("utf-8")


def _given(source: StateInput) -> ProjectState | None:
    """A state given as data (validated), or None for a path."""
    if isinstance(source, ProjectState):
        return source
    if isinstance(source, Mapping):
        return ProjectState.from_body(dict(source))
    return None


def _read_error(storage: Any, path: str, exc: Exception) -> InvalidStateError:
    return InvalidStateError(f"{_where(storage, path)}: cannot read: {exc}")


def read_state(source: StateInput, storage: Storage | None = None) -> ProjectState:
    """The validated state ``source`` is or names (`InvalidStateError` before any request)."""
    given = _given(source)
    if given is not None:
        return given
    if storage is None:
        return read_state_file(source)  # type: ignore[arg-type]
    block, path = resolve_storage(storage), os.fspath(source)  # type: ignore[arg-type]
    try:
        data = _now(block.read_path(path))
    except (OSError, ValueError) as exc:
        raise _read_error(block, path, exc) from None
    return _parse(data, path, _where(block, path))


async def aread_state(source: StateInput, storage: Storage | None = None) -> ProjectState:
    """Async `read_state`."""
    given = _given(source)
    if given is not None or storage is None:
        return read_state(source)
    block, path = resolve_storage(storage), os.fspath(source)  # type: ignore[arg-type]
    try:
        data = block.read_path(path)
        if inspect.isawaitable(data):
            data = await data
    except (OSError, ValueError) as exc:
        raise _read_error(block, path, exc) from None
    return _parse(data, path, _where(block, path))


def write_state(path: str | Path, state: ProjectState, storage: Storage | None = None) -> str:
    """Write ``state`` to ``path`` (in ``storage`` when given); returns where it went."""
    if storage is None:
        return str(write_state_file(path, state))
    block, name = resolve_storage(storage), os.fspath(path)
    written = _now(block.write_path(name, _dump(state, name)))
    return str(written or name)


async def awrite_state(
    path: str | Path, state: ProjectState, storage: Storage | None = None
) -> str:
    """Async `write_state`."""
    if storage is None:
        return str(write_state_file(path, state))
    block, name = resolve_storage(storage), os.fspath(path)
    written = block.write_path(name, _dump(state, name))
    if inspect.isawaitable(written):
        written = await written
    return str(written or name)


class TemplateReader(Mapping[str, ProjectState]):
    """The templates a tenant document names, read on demand from ``storage`` (a template
    given in ``templates`` wins): what core's ``load_document(..., templates=)`` takes.

    Only the names the document asks for are read, each once; a template that cannot be read
    or is not a valid replace body is an `InvalidStateError` before anything is sent.
    """

    def __init__(
        self, templates: Mapping[str, StateInput] | None = None, storage: Storage | None = None
    ) -> None:
        self._given = dict(templates or {})
        self._storage = None if storage is None else resolve_storage(storage)
        self._read: dict[str, ProjectState] = {}

    def __getitem__(self, name: str) -> ProjectState:
        if name not in self._read:
            if name in self._given:
                self._read[name] = read_state(self._given[name], self._storage)
            elif self._storage is not None:
                self._read[name] = read_state(name, self._storage)
            else:
                raise KeyError(name)  # core reads it beside the document
        return self._read[name]

    def __bool__(self) -> bool:
        # Never empty: a template in storage is found only when asked for by name.
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self._given)  # those in storage cannot be listed

    def __len__(self) -> int:
        return len(self._given)
