"""Small parsers for values that arrive as text (CLI flags, CSV cells, rendered templates).

One answer each, used by the tenant loader, the CLI, the Airflow provider and the Prefect
collection. Import-free apart from the standard library.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = [
    "ALL_PIECES",
    "DISPLAY_NAME_PATTERN",
    "check_display_name",
    "exactly_one",
    "is_blank",
    "parse_bool",
    "pieces_argument",
]

#: The one spelling of "every piece, no filter" where a list of pieces is asked for as text
#: (the CLI's ``--piece all``, an Airflow argument ``pieces="all"``); Python callers pass
#: ``None``, and plans and reports show it as "all pieces".
ALL_PIECES = "all"

_TRUE = frozenset({"true", "t", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "off", "none", ""})

#: Upstream ``SAFE_STRING_PATTERN`` for a project's displayName: non-empty, no "." and no "/".
DISPLAY_NAME_PATTERN = re.compile(r"^[^./]+$")


def parse_bool(value: Any) -> bool:
    """``True``/``False``, or their text: true/t/yes/y/1/on and false/f/no/n/0/off/none/"".

    Anything else is a ``ValueError`` rather than a guess (``"False"`` must never read as true).
    """
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int):
        if value in (0, 1):
            return bool(value)
        raise ValueError(f"not a boolean: {value!r}")
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError(f"not a boolean: {value!r} (use true/false, yes/no or 1/0)")


def is_blank(value: Any) -> bool:
    """None, or a string with nothing but whitespace: "not given"."""
    return value is None or (isinstance(value, str) and not value.strip())


def exactly_one(**named: Any) -> str:
    """The name of the one argument that is given (not blank); ``ValueError`` otherwise.

    ``exactly_one(project_id=None, external_id="acme") == "external_id"``. An empty string
    counts as not given, so a template that rendered to "" cannot pick a target.
    """
    given = [name for name, value in named.items() if not is_blank(value)]
    if len(given) != 1:
        names = " or ".join(named)
        found = f" (got {', '.join(given)})" if given else ""
        raise ValueError(f"pass exactly one of {names}{found}")
    return given[0]


def check_display_name(name: str) -> str:
    """Return ``name`` if the server would accept it as a displayName, else ``ValueError``."""
    if not DISPLAY_NAME_PATTERN.match(name):
        raise ValueError(f"display name {name!r} must be non-empty and contain no '.' or '/'")
    return name


def pieces_argument(value: Any) -> list[str] | None:
    """A pieces argument as core takes it: ``None`` (every piece) or the allow-list.

    ``None``, ``"all"`` (any case, also as the only item of a list) mean every piece; a list,
    JSON array text or comma-separated text is the allow-list (blank items dropped). ``"*"``
    is refused (``ValueError``) rather than sent as a piece name.
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        value = json.loads(text) if text.startswith("[") else text.split(",")
        if isinstance(value, str):  # JSON text of a single string
            value = [value]
    items = [str(item).strip() for item in value]
    items = [item for item in items if item]
    if [item.lower() for item in items] == [ALL_PIECES]:
        return None
    if "*" in items:  # another tool's spelling of "all": refused, not sent as a piece name
        raise ValueError(f"pieces: '*' is not a piece name; {ALL_PIECES!r} allows every piece")
    return items
