"""A `ProjectState` in a file: ``projects export --out FILE`` writes one, a tenant's
``template: FILE`` and ``projects replace ... FILE`` read one.

JSON (any suffix but ``.yaml``/``.yml``), or YAML with the ``yaml`` extra. A file that is not a
valid replace body is an `InvalidStateError` naming the file, before anything is sent.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from activepieces_core.errors import InvalidStateError
from activepieces_core.models.contents import ProjectState

__all__ = ["read_state_file", "state_from_text", "state_to_text", "write_state_file"]

_YAML = (".yaml", ".yml")


def _yaml() -> Any:
    try:
        import yaml  # the "yaml" extra: JSON state files need no PyYAML
    except ModuleNotFoundError:
        raise InvalidStateError(
            'reading or writing YAML needs PyYAML: pip install "activepieces-core[yaml]"'
        ) from None
    return yaml


def read_state_file(path: str | os.PathLike[str]) -> ProjectState:
    """The replace body in ``path`` (JSON, or YAML by suffix), validated."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidStateError(f"{file}: cannot read: {exc}") from None
    return state_from_text(text, source=str(file), suffix=file.suffix)


def state_from_text(text: str, *, source: str, suffix: str = ".json") -> ProjectState:
    """The replace body in ``text`` (YAML when ``suffix`` is ``.yaml``/``.yml``, else JSON),
    validated; ``source`` names where it came from in errors (a file, an object store URL)."""
    if suffix.lower() in _YAML:
        yaml = _yaml()
        try:
            body = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InvalidStateError(f"{source}: not valid YAML: {exc}") from None
    else:
        try:
            body = json.loads(text)
        except ValueError as exc:
            raise InvalidStateError(f"{source}: not valid JSON: {exc}") from None
    return ProjectState.from_body(body, source=source)


def state_to_text(state: ProjectState, *, suffix: str = ".json") -> str:
    """``state`` as its replace body's text (YAML by ``suffix``, else indented JSON)."""
    body = state.to_body()
    if suffix.lower() in _YAML:
        return str(_yaml().safe_dump(body, sort_keys=False, allow_unicode=True))
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def write_state_file(path: str | os.PathLike[str], state: ProjectState) -> Path:
    """Write ``state`` as its replace body (JSON, or YAML by suffix), atomically: a reader
    never sees half a file. Returns the path."""
    file = Path(path)
    text = state_to_text(state, suffix=file.suffix)
    file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{file.name}.", dir=file.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return file
