"""Where the operators read and write replace bodies (core's `ProjectState`).

A location is a local path or an Airflow ``ObjectStoragePath`` (``airflow.sdk``: ``s3://``,
``gs://``, ``file://``, ``memory://``...). Text that looks like a URL (``scheme://...``) becomes
an ``ObjectStoragePath``, so a templated field can render one; a relative local path resolves
against the DAG's folder when it does not exist in the working directory (as the tenant
document's path does). Local files go through core's `read_state_file`/`write_state_file`
(atomic write); object storage is read and written whole. JSON, or YAML by suffix.

Bodies given as data are validated when the operator is built (`state_argument`): a literal
dict would otherwise be rendered by Jinja, and flow steps hold Activepieces' own ``{{ }}``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from activepieces_core.errors import InvalidStateError
from activepieces_core.models.contents import ProjectState
from activepieces_core.models.state_file import (
    read_state_file,
    state_from_text,
    state_to_text,
    write_state_file,
)

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator, ObjectStoragePath

__all__ = ["dag_relative", "location", "read_state", "state_argument", "write_state"]


def dag_relative(op: BaseOperator, source: Any) -> Any:
    """A relative file path that does not exist here resolves against the DAG's folder."""
    if (
        isinstance(source, str | Path)
        and not Path(source).is_absolute()
        and "://" not in str(source)
    ):
        try:
            fileloc = getattr(op.dag, "fileloc", None)
        except RuntimeError:  # operator not attached to a DAG
            fileloc = None
        if fileloc and not Path(source).exists():
            candidate = Path(fileloc).parent / source
            if candidate.exists():
                return candidate
    return source


def _is_storage(value: Any) -> bool:
    from airflow.sdk import ObjectStoragePath

    return isinstance(value, ObjectStoragePath)


def location(op: BaseOperator, value: Any) -> Path | ObjectStoragePath:
    """``value`` (a path, URL text or ``ObjectStoragePath``) as the place to read or write."""
    from airflow.sdk import ObjectStoragePath

    if _is_storage(value):
        return value  # type: ignore[no-any-return]
    if isinstance(value, str) and "://" in value:
        return ObjectStoragePath(value.strip())
    if isinstance(value, str | os.PathLike) and str(value).strip():
        resolved = dag_relative(op, Path(str(value).strip()))
        return resolved if isinstance(resolved, Path) else Path(resolved)
    raise ValueError(
        f"expected a file path, a URL or an ObjectStoragePath, got {type(value).__name__}"
    )


def state_argument(value: Any) -> Any:
    """An operator's state argument as stored: a body given as data becomes a validated
    `ProjectState` (`InvalidStateError` at DAG parse; Jinja leaves it alone); anything else
    (a path, URL, ``ObjectStoragePath``, an XCom reference) is kept to be read at run time."""
    if isinstance(value, Mapping):
        return ProjectState.from_body(value, source="the replace body given to the operator")
    return value


def read_state(op: BaseOperator, source: Any) -> tuple[ProjectState, str]:
    """The validated body at ``source`` and where it came from (for logs and XCom).

    ``source`` may also be a `ProjectState` or a body mapping (then where is ``"<data>"``).
    """
    if isinstance(source, ProjectState):
        return source, "<data>"
    if isinstance(source, Mapping):
        return ProjectState.from_body(source), "<data>"
    where = location(op, source)
    if isinstance(where, Path):
        return read_state_file(where), str(where)
    return _read_storage(where), str(where)


def write_state(op: BaseOperator, target: Any, state: ProjectState) -> str:
    """Write ``state`` as a replace body at ``target``; returns where it went."""
    where = location(op, target)
    if isinstance(where, Path):
        return str(write_state_file(where, state))
    where.parent.mkdir(parents=True, exist_ok=True)
    where.write_text(state_to_text(state, suffix=where.suffix))
    return str(where)


def _read_storage(path: ObjectStoragePath) -> ProjectState:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidStateError(f"{path}: cannot read: {exc}") from None
    return state_from_text(text, source=str(path), suffix=path.suffix)
