"""Operators for single projects: create (ensure), update, sync pieces, delete, get, list."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from activepieces_core.parsing import pieces_argument
from activepieces_core.project_fields import ENSURE_FIELDS, field_values
from activepieces_provider.exceptions import ProjectNotFoundError
from activepieces_provider.links.projects import ActivepiecesProjectLink
from activepieces_provider.operators._base import (
    ActivepiecesBaseOperator,
    ActivepiecesProjectOperator,
    project_target,
    text_list,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

#: The project fields that create and update write (core's description: the fields
#: ``projects.ensure`` and ``projects.update`` both take); ``None`` leaves a field unchanged.
PROJECT_FIELDS = tuple(field.name for field in ENSURE_FIELDS)

#: Decoded from rendered text by core (`ProjectField.from_text`); the name and the pieces
#: have their own handling in ``execute``.
_DECODED_FIELDS = tuple(f for f in ENSURE_FIELDS if f.name not in ("display_name", "pieces"))


def _field_values(
    op: ActivepiecesCreateProjectOperator | ActivepiecesUpdateProjectOperator,
) -> dict[str, Any]:
    """Rendered values of the managed fields other than ``display_name``/``pieces``.

    Values are only decoded from their rendered text here (a bad text names its field);
    core validates them (bad values raise `InvalidRequestError` before any request).
    """
    rendered = {field.name: getattr(op, field.name) for field in _DECODED_FIELDS}
    return field_values(_DECODED_FIELDS, rendered, decode=True)


class ActivepiecesCreateProjectOperator(ActivepiecesBaseOperator):
    """Create a project, idempotently by external id (``projects.ensure``).

    :param external_id: your tenant key; an existing project with it is reused.
    :param display_name: name shown in Activepieces (default: ``external_id``).
    :param if_exists: ``"update"`` (converge the given fields), ``"return"`` (leave it as is) or
        ``"fail"``.
    :param alert_receiver_email: alert e-mail set at creation.
    :param pieces: ``None`` leaves the piece filter alone, ``"all"`` allows all pieces, a list (or
        JSON / comma-separated text) is an allow-list; short names like ``"slack"`` are expanded.
    :param metadata: JSON object (replaces the whole metadata).
    :param max_concurrent_jobs, releases_enabled, icon_color, global_connection_external_ids:
        the project's fields of the same names; ``None`` = unmanaged.
    :param notify_flow_owner_on_failure, sensitive: booleans (or text such as ``"true"``,
        ``"no"``); ``None`` = unmanaged.
    :param active_flows_limit, execution_data_retention_days: positive integers (or their
        text, e.g. ``"{{ params.retention_days }}"``); ``None`` or blank = unmanaged.
    :param worker_group_id: the worker group to run the project's flows on (platforms with
        worker groups); ``None`` or blank = unmanaged.
        A new project gets these five (and releases, icon, pieces) in one update after the
        create; an existing one is updated only where they differ.
    :return: ``{"action": "created"|"updated"|"unchanged", "project": {...}}``.
    """

    template_fields: Sequence[str] = (
        *ActivepiecesBaseOperator.template_fields,
        *PROJECT_FIELDS,
        "external_id",
        "if_exists",
        "alert_receiver_email",
    )
    template_fields_renderers = {"metadata": "json", "pieces": "json"}
    operator_extra_links = (ActivepiecesProjectLink(),)

    def __init__(
        self,
        *,
        external_id: str,
        display_name: str | None = None,
        if_exists: str = "update",
        alert_receiver_email: str | None = None,
        pieces: Sequence[str] | str | None = None,
        metadata: dict[str, Any] | str | None = None,
        max_concurrent_jobs: int | str | None = None,
        releases_enabled: bool | str | None = None,
        icon_color: str | None = None,
        global_connection_external_ids: Sequence[str] | str | None = None,
        notify_flow_owner_on_failure: bool | str | None = None,
        active_flows_limit: int | str | None = None,
        worker_group_id: str | None = None,
        execution_data_retention_days: int | str | None = None,
        sensitive: bool | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.external_id = external_id
        self.display_name = display_name
        self.if_exists = if_exists
        self.alert_receiver_email = alert_receiver_email
        self.pieces = pieces
        self.metadata = metadata
        self.max_concurrent_jobs = max_concurrent_jobs
        self.releases_enabled = releases_enabled
        self.icon_color = icon_color
        self.global_connection_external_ids = global_connection_external_ids
        self.notify_flow_owner_on_failure = notify_flow_owner_on_failure
        self.active_flows_limit = active_flows_limit
        self.worker_group_id = worker_group_id
        self.execution_data_retention_days = execution_data_retention_days
        self.sensitive = sensitive

    def execute(self, context: Context) -> dict[str, Any]:
        fields = _field_values(self)
        if self.pieces is not None:
            fields["pieces"] = pieces_argument(self.pieces)
        with self.client() as client:
            result = client.projects.ensure(
                str(self.external_id),
                str(self.display_name or self.external_id),
                alert_receiver_email=self.alert_receiver_email or None,
                if_exists=self.if_exists,
                **fields,
            )
        self.log.info(
            "Project %s (external id %s): %s", result.project.id, self.external_id, result.action
        )
        self.push_project_link(context, result.project.id)
        return result.to_dict()


class ActivepiecesUpdateProjectOperator(ActivepiecesProjectOperator):
    """Update a project found by id or external id; ``None`` arguments are left unchanged.

    :param project_id: project id (or give ``external_id``).
    :param external_id: external id of the project to update.
    :param new_external_id: rename the external id.
    :param pieces: applied with ``sync_pieces`` (no write when already in sync).
    :param display_name, metadata, max_concurrent_jobs, releases_enabled, icon_color,
        global_connection_external_ids, notify_flow_owner_on_failure, active_flows_limit,
        worker_group_id, execution_data_retention_days, sensitive: as for
        ``ActivepiecesCreateProjectOperator`` (templated; text such as ``"14"`` or ``"yes"``
        is decoded).
    :return: the project as a dict.
    """

    template_fields: Sequence[str] = (
        *ActivepiecesProjectOperator.template_fields,
        *PROJECT_FIELDS,
        "new_external_id",
    )
    template_fields_renderers = {"metadata": "json", "pieces": "json"}
    operator_extra_links = (ActivepiecesProjectLink(),)

    def __init__(
        self,
        *,
        new_external_id: str | None = None,
        display_name: str | None = None,
        pieces: Sequence[str] | str | None = None,
        metadata: dict[str, Any] | str | None = None,
        max_concurrent_jobs: int | str | None = None,
        releases_enabled: bool | str | None = None,
        icon_color: str | None = None,
        global_connection_external_ids: Sequence[str] | str | None = None,
        notify_flow_owner_on_failure: bool | str | None = None,
        active_flows_limit: int | str | None = None,
        worker_group_id: str | None = None,
        execution_data_retention_days: int | str | None = None,
        sensitive: bool | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.new_external_id = new_external_id
        self.display_name = display_name
        self.pieces = pieces
        self.metadata = metadata
        self.max_concurrent_jobs = max_concurrent_jobs
        self.releases_enabled = releases_enabled
        self.icon_color = icon_color
        self.global_connection_external_ids = global_connection_external_ids
        self.notify_flow_owner_on_failure = notify_flow_owner_on_failure
        self.active_flows_limit = active_flows_limit
        self.worker_group_id = worker_group_id
        self.execution_data_retention_days = execution_data_retention_days
        self.sensitive = sensitive

    def execute(self, context: Context) -> dict[str, Any]:
        self.check_target()
        fields = _field_values(self)
        if self.display_name:
            fields["display_name"] = self.display_name
        if self.new_external_id:
            fields["external_id"] = self.new_external_id
        with self.client() as client:
            project = self.require_target(client)
            if fields:
                project = client.projects.update(project.id, **fields)
            if self.pieces is not None:
                project = client.projects.sync_pieces(project, pieces_argument(self.pieces)).project
        self.log.info("Updated project %s (%s)", project.id, ", ".join(fields) or "no fields")
        self.push_project_link(context, project.id)
        return project.to_dict()


class ActivepiecesSyncPiecesOperator(ActivepiecesProjectOperator):
    """Make a project's piece filter match ``pieces``; no write when already in sync.

    :param pieces: allow-list of piece names (short names like ``"slack"`` are normalised);
        ``None`` or ``"all"`` allows every piece.
    :return: ``{"changed": bool, "project": {...}}``.
    """

    template_fields: Sequence[str] = (*ActivepiecesProjectOperator.template_fields, "pieces")
    template_fields_renderers = {"pieces": "json"}
    operator_extra_links = (ActivepiecesProjectLink(),)

    def __init__(self, *, pieces: Sequence[str] | str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pieces = pieces

    def execute(self, context: Context) -> dict[str, Any]:
        self.check_target()
        with self.client() as client:
            project = self.require_target(client)
            result = client.projects.sync_pieces(project, pieces_argument(self.pieces))
        self.log.info(
            "Pieces of project %s %s",
            result.project.id,
            "updated" if result.changed else "already in sync",
        )
        self.push_project_link(context, result.project.id)
        return {"changed": result.changed, "project": result.project.to_dict()}


class ActivepiecesDeleteProjectOperator(ActivepiecesProjectOperator):
    """Delete a project by id or external id (core's ``projects.discard``).

    :param missing_ok: succeed (``deleted: false``) when there is nothing to delete; otherwise
        a missing project is a :class:`ProjectNotFoundError`.
    :return: ``{"deleted": bool, "project_id": ..., "external_id": ...}``.
    """

    def __init__(self, *, missing_ok: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.missing_ok = missing_ok

    def execute(self, context: Context) -> dict[str, Any]:
        self.check_target()
        with self.client() as client:
            gone = client.projects.discard(**project_target(self.project_id, self.external_id))
        if gone is None and not self.missing_ok:
            raise ProjectNotFoundError(project_id=self.project_id, external_id=self.external_id)
        project_id = gone or self.project_id or None
        self.log.info(
            "Project %s: %s", project_id or self.external_id, "deleted" if gone else "absent"
        )
        return {
            "deleted": gone is not None,
            "project_id": project_id,
            "external_id": self.external_id,
        }


class ActivepiecesGetProjectOperator(ActivepiecesProjectOperator):
    """Fetch one project by id or external id.

    :param missing_ok: return ``None`` instead of failing when the project does not exist.
    :return: the project as a dict (or ``None``).
    """

    operator_extra_links = (ActivepiecesProjectLink(),)

    def __init__(self, *, missing_ok: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.missing_ok = missing_ok

    def execute(self, context: Context) -> dict[str, Any] | None:
        self.check_target()
        with self.client() as client:
            project = self.find_target(client)
        if project is None:
            if self.missing_ok:
                return None
            raise ProjectNotFoundError(project_id=self.project_id, external_id=self.external_id)
        self.push_project_link(context, project.id)
        return project.to_dict()


class ActivepiecesListProjectsOperator(ActivepiecesBaseOperator):
    """List projects (all pages) with the API's filters.

    :param external_id: exact external id filter.
    :param display_name: display name filter.
    :param types: project types, e.g. ``["TEAM"]`` (or JSON / comma-separated text).
    :param max_results: stop after this many projects (``None`` = all).
    :return: list of project dicts.
    """

    template_fields: Sequence[str] = (
        *ActivepiecesBaseOperator.template_fields,
        "external_id",
        "display_name",
        "types",
    )

    def __init__(
        self,
        *,
        external_id: str | None = None,
        display_name: str | None = None,
        types: Sequence[str] | str | None = None,
        max_results: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.external_id = external_id
        self.display_name = display_name
        self.types = types
        self.max_results = max_results

    def execute(self, context: Context) -> list[dict[str, Any]]:
        with self.client() as client:
            projects = client.projects.iter(
                external_id=self.external_id or None,
                display_name=self.display_name or None,
                types=text_list(self.types) or None,
            )
            found = [p.to_dict() for p in itertools.islice(projects, self.max_results)]
        self.log.info("Listed %d projects", len(found))
        return found
