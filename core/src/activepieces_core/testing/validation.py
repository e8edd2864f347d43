"""Request schemas of the projects routes, as the server's zod DTOs validate them.

Each ``validate_*`` returns the accepted fields (unknown keys dropped, as zod strips them) or
raises a 400 ``FST_ERR_VALIDATION`` carrying ``<context><path> <zod message>`` issues.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .responses import FastifyError

COLORS = (
    "RED",
    "BLUE",
    "YELLOW",
    "PURPLE",
    "GREEN",
    "PINK",
    "VIOLET",
    "ORANGE",
    "DARK_GREEN",
    "CYAN",
    "LAVENDER",
    "DEEP_ORANGE",
)
PROJECT_TYPES = ("PERSONAL", "TEAM")
PIECES_FILTER_TYPES = ("NONE", "ALLOWED")
SAFE_STRING = re.compile(r"^[^./]+$")
AP_ID = re.compile(r"^[0-9a-zA-Z]{21}$")  # apId(): the server's ids
# zod's email regex (v4 default).
EMAIL = re.compile(
    r"^(?!\.)(?!.*\.\.)([A-Za-z0-9_'+\-\.]*)[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$"
)
MAX_SAFE_INTEGER = 9007199254740991

MISSING: Any = object()  # a JSON value that is absent (JS `undefined`)
Check = Callable[[Any], "str | None"]


def type_name(value: Any) -> str:
    """The JavaScript type zod names in its messages (``undefined`` for `MISSING`)."""
    if value is MISSING:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def invalid_type(kind: str, value: Any) -> str:
    """zod's ``invalid_type`` message: ``Invalid input: expected <kind>, received <type>``."""
    return f"Invalid input: expected {kind}, received {type_name(value)}"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def string(value: Any) -> str | None:
    return None if isinstance(value, str) else invalid_type("string", value)


def matching(pattern: re.Pattern[str], message: str | None = None) -> Check:
    """A string that ``pattern`` matches (zod's ``.regex``; ``message`` for ``.email``)."""
    mismatch = message or f"Invalid string: must match pattern /{pattern.pattern}/"

    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return invalid_type("string", value)
        return None if pattern.match(value) else mismatch

    return check


safe_string = matching(SAFE_STRING)
email = matching(EMAIL, "Invalid email address")
ap_id = matching(AP_ID)


def number(value: Any) -> str | None:
    return None if _is_number(value) else invalid_type("number", value)


def positive_int(value: Any) -> str | None:
    if not _is_number(value):
        return invalid_type("number", value)
    if float(value) != int(value):
        return "Invalid input: expected int, received number"
    if value <= 0:
        return "Too small: expected number to be >0"
    if value > MAX_SAFE_INTEGER:
        return f"Too big: expected number to be <={MAX_SAFE_INTEGER}"
    return None


def boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else invalid_type("boolean", value)


def record(value: Any) -> str | None:
    return None if isinstance(value, dict) else invalid_type("record", value)


def enum(options: Sequence[str]) -> Check:
    allowed = "|".join(f'"{o}"' for o in options)

    def check(value: Any) -> str | None:
        return None if value in options else f"Invalid option: expected one of {allowed}"

    return check


def string_array(value: Any) -> str | None:
    if not isinstance(value, list):
        return invalid_type("array", value)
    return None


def nullable(check: Check) -> Check:
    def inner(value: Any) -> str | None:
        return None if value is None else check(value)

    return inner


Schema = Mapping[str, tuple[Check, bool]]  # field -> (check, required)


class Issues:
    """Collects zod-style issues for one request context (``body``, ``querystring``)."""

    def __init__(self, context: str) -> None:
        self.context = context
        self.items: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(f"{self.context}{path} {message}")

    def check(self, path: str, value: Any, check: Check) -> bool:
        """Whether ``value`` passes ``check``; its problem is added at ``path`` when not."""
        problem = check(value)
        if problem is not None:
            self.add(path, problem)
        return problem is None

    def expect_object(self, path: str, value: Any) -> bool:
        """Whether ``value`` is a JSON object; an issue at ``path`` when not."""
        if not isinstance(value, dict):
            self.add(path, invalid_type("object", value))
            return False
        return True

    def raise_if_any(self) -> None:
        if self.items:
            raise FastifyError(400, "FST_ERR_VALIDATION", ", ".join(self.items))


def _object(value: Any, schema: Schema, issues: Issues, prefix: str) -> dict[str, Any]:
    if not issues.expect_object(prefix, value):
        return {}
    out: dict[str, Any] = {}
    for key, (check, required) in schema.items():
        item = value.get(key, MISSING)
        if item is MISSING:
            if required:
                issues.add(f"{prefix}/{key}", invalid_type("string", MISSING))
            continue
        problem = check(item)
        if problem is None and isinstance(item, list):
            problem = _array_items(item, f"{prefix}/{key}", issues)
        if problem is not None:
            issues.add(f"{prefix}/{key}", problem)
        else:
            out[key] = item
    return out


def _array_items(items: list[Any], path: str, issues: Issues) -> str | None:
    # Every array in these DTOs is string[].
    for index, item in enumerate(items):
        issues.check(f"{path}/{index}", item, string)
    return None


CREATE_SCHEMA: Schema = {
    "displayName": (safe_string, True),
    "externalId": (nullable(string), False),
    "metadata": (nullable(record), False),
    "maxConcurrentJobs": (nullable(number), False),
    "globalConnectionExternalIds": (string_array, False),
    "alertReceiverEmail": (nullable(email), False),
}

UPDATE_SCHEMA: Schema = {
    "displayName": (safe_string, False),
    "externalId": (string, False),
    "metadata": (record, False),
    "releasesEnabled": (boolean, False),
    "globalConnectionExternalIds": (string_array, False),
    "maxConcurrentJobs": (nullable(positive_int), False),
    "workerGroupId": (nullable(string), False),
    "executionDataRetentionDays": (nullable(positive_int), False),
    "notifyFlowOwnerOnFailure": (boolean, False),
    "sensitive": (boolean, False),
}

ICON_SCHEMA: Schema = {"color": (enum(COLORS), True)}

PLAN_SCHEMA: Schema = {
    "pieces": (string_array, False),
    "piecesFilterType": (enum(PIECES_FILTER_TYPES), False),
    "activeFlowsLimit": (nullable(positive_int), False),
}


def validate_create(body: Any) -> dict[str, Any]:
    """``CreatePlatformProjectRequest``."""
    issues = Issues("body")
    out = _object(body, CREATE_SCHEMA, issues, "")
    issues.raise_if_any()
    return out


def validate_update(body: Any) -> dict[str, Any]:
    """``UpdateProjectPlatformRequest``; nested ``icon`` and ``plan`` objects are stripped too."""
    issues = Issues("body")
    out = _object(body, UPDATE_SCHEMA, issues, "")
    if isinstance(body, dict):
        for key, schema in (("icon", ICON_SCHEMA), ("plan", PLAN_SCHEMA)):
            if key in body:
                before = len(issues.items)
                nested = _object(body[key], schema, issues, f"/{key}")
                if len(issues.items) == before:
                    out[key] = nested
    issues.raise_if_any()
    return out


def validate_list_query(params: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """``ListProjectRequestForPlatformQueryParams``: ``limit`` coerced, ``types`` single or array."""
    issues = Issues("querystring")
    out: dict[str, Any] = {}
    types: list[str] = []
    for key, value in params:
        if key in ("types", "types[]"):
            types.append(value)
        elif key in ("limit", "cursor", "externalId", "displayName", "externalUserId"):
            out.setdefault(key, value)
    if "limit" in out:
        out["limit"] = coerce_number(out["limit"], issues)
    check = enum(PROJECT_TYPES)
    for index, value in enumerate(types):
        issues.check("/types" if len(types) == 1 else f"/types/{index}", value, check)
    if types:
        out["types"] = types
    issues.raise_if_any()
    return out


def coerce_number(raw: str, issues: Issues) -> int | None:
    """``z.coerce.number()``: ``Number("")`` is 0, non-numeric is NaN (rejected)."""
    text = raw.strip()
    if not text:
        return 0
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if value != value or value in (float("inf"), float("-inf")):
        issues.add("/limit", "Invalid input: expected number, received NaN")
        return None
    return int(value)
