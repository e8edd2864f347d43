"""The project fields a caller may set, described once for the CLI and the integrations.

Core's request models and `project_diff.MANAGED_FIELDS` own the rules (validation, comparison);
this table says which fields there are, of what kind, and which write takes each, so the
CLI's options, the Airflow operators' templated arguments (and the decoding of their rendered
text) and the Prefect tasks' calls are derived from it rather than listed again.
Import-light (no httpx, no pydantic): a DAG file may read it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from activepieces_core.parsing import is_blank, parse_bool

__all__ = [
    "ENSURE_FIELDS",
    "PROJECT_FIELDS",
    "UPDATE_FIELDS",
    "FieldKind",
    "ProjectField",
    "field_values",
]

#: ``text`` and ``color``: a string; ``int``/``bool``; ``json``: an object; ``list``: of
#: strings; ``pieces``: piece names (None = every piece).
FieldKind = Literal["text", "color", "int", "bool", "json", "list", "pieces"]


@dataclass(frozen=True)
class ProjectField:
    """One project field: its keyword name, kind, help and the writes that take it.

    ``create``: ``projects.create`` sends it; ``update``: ``projects.update`` does;
    ``ensure``: ``projects.ensure`` takes it; ``managed``: a wish may manage it (compared with
    the project and converged: `project_diff.MANAGED_FIELDS`), False for what ensure can only
    send at creation because the API does not return it.
    """

    name: str
    kind: FieldKind
    help: str
    create: bool = False
    update: bool = True
    ensure: bool = True
    managed: bool = True

    @property
    def option(self) -> str:
        """The field as a command-line option: ``--active-flows-limit``."""
        return "--" + self.name.replace("_", "-")

    def from_text(self, value: Any) -> Any:
        """``value``, decoded when it is text (a rendered template, an environment variable).

        Blank or ``"None"`` text leaves an int or text field unset; a bool is ``parse_bool``
        (blank text is false). Values that are not text go to core's rule as given. A bad
        text is an `InvalidRequestError` (a ``ValueError``) naming the field.
        """
        if self.kind == "bool":
            return None if value is None else self._parsed(parse_bool, value)
        if not isinstance(value, str):
            return value
        if is_blank(value) or value.strip() == "None":
            return None
        if self.kind == "int":
            return self._parsed(int, value, f"{self.name} must be an integer, got {value!r}")
        if self.kind in ("json", "list") and value.strip()[:1] in ("{", "["):
            return self._parsed(json.loads, value)
        return value

    def _parsed(self, parse: Any, value: Any, message: str | None = None) -> Any:
        try:
            return parse(value)
        except ValueError as exc:
            from activepieces_core.errors import InvalidRequestError

            raise InvalidRequestError(message or f"{self.name}: {exc}") from None


#: Every settable project field (the external id, the project's key, aside), in the order the
#: integrations list them and diffs show them. A new field is one line here (and its reading
#: in `Project`, its rule in the request models); where a write cannot take it, its flags say so.
PROJECT_FIELDS: tuple[ProjectField, ...] = (
    ProjectField(
        "display_name", "text", "Name shown in Activepieces (no '.' or '/').", create=True
    ),
    ProjectField("pieces", "pieces", "Allowed pieces (None: every piece)."),
    ProjectField("metadata", "json", "JSON object (replaces the whole metadata).", create=True),
    ProjectField("max_concurrent_jobs", "int", "Concurrency cap.", create=True),
    ProjectField("releases_enabled", "bool", "Git releases."),
    ProjectField("icon_color", "color", "Icon colour: RED, BLUE, ..."),
    ProjectField(
        "global_connection_external_ids",
        "list",
        "External ids of the global connections to share with the project.",
        create=True,
        managed=False,
    ),
    ProjectField(
        "alert_receiver_email", "text", "Alert e-mail.", create=True, update=False, managed=False
    ),
    # The fields the server grew in 2026 (create cannot set them; ensure updates after).
    ProjectField("notify_flow_owner_on_failure", "bool", "Mail a flow's owner when it fails."),
    ProjectField("active_flows_limit", "int", "Most flows enabled at once (a positive integer)."),
    ProjectField(
        "worker_group_id", "text", "Worker group running the flows (where there are any)."
    ),
    ProjectField(
        "execution_data_retention_days", "int", "Days run data is kept (a positive integer)."
    ),
    ProjectField("sensitive", "bool", "Mark the project as holding sensitive data."),
)

#: The fields ``projects.ensure`` and ``projects.update`` both take (the single-project
#: operators and tasks write these).
ENSURE_FIELDS = tuple(f for f in PROJECT_FIELDS if f.ensure and f.update)
#: Every field ``projects.update`` takes.
UPDATE_FIELDS = tuple(f for f in PROJECT_FIELDS if f.update)


def field_values(
    fields: tuple[ProjectField, ...], values: Mapping[str, Any], *, decode: bool = False
) -> dict[str, Any]:
    """``{name: value}`` of the ``fields`` that ``values`` holds (e.g. a task's ``locals()``).

    With ``decode``, text is decoded first (`ProjectField.from_text`) and unset (None) fields
    are left out, so a blank rendered template leaves its field unmanaged.
    """
    found: dict[str, Any] = {}
    for field in fields:
        if field.name not in values:
            continue
        value = values[field.name]
        if decode:
            value = field.from_text(value)
            if value is None:
                continue
        found[field.name] = value
    return found
