"""Argument coercion shared by operators and the sensor.

Templated fields may arrive as rendered strings (Jinja renders to text unless the DAG sets
``render_template_as_native_obj``), so list/dict arguments also accept their JSON spelling.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

#: ``pieces="*"`` allows every piece (filter type NONE); a list is an allow-list.
ALL_PIECES = "*"


def json_value(value: Any) -> Any:
    """Decode a JSON object/array given as text; anything else is returned unchanged."""
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        return json.loads(value)
    return value


def piece_list(value: Sequence[str] | str | None) -> list[str] | None:
    """Pieces argument -> core's form: ``None`` for all pieces, else an allow-list."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text == ALL_PIECES:
            return None
        decoded = json_value(text)
        if isinstance(decoded, list):
            return [str(item) for item in decoded]
        return [part.strip() for part in text.split(",") if part.strip()]
    return [str(item) for item in value]


def flag(value: Any) -> bool:
    """Boolean argument that may arrive rendered as text (``"False"`` must stay false)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return bool(value)


def optional_int(value: Any) -> int | None:
    """Integer argument that may arrive rendered as text; empty/``"None"`` means unset."""
    if value is None or (isinstance(value, str) and value.strip() in ("", "None")):
        return None
    return int(value)


def one_target(project_id: str | None, external_id: str | None) -> None:
    """Require exactly one way of naming a project."""
    if bool(project_id) == bool(external_id):
        raise ValueError("pass exactly one of project_id or external_id")
