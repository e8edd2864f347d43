"""Operators for single projects: create (ensure), update, sync pieces, delete, get, list."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from activepieces_provider._args import json_value, one_target, piece_list
from activepieces_provider._lookup import find_project, require_project
from activepieces_provider.exceptions import ProjectNotFoundError
from activepieces_provider.links.projects import ActivepiecesProjectLink
from activepieces_provider.operators._base import (
    ActivepiecesBaseOperator,
    ActivepiecesProjectFieldsOperator,
    ActivepiecesProjectLookupOperator,
    ActivepiecesProjectTargetOperator,
)

if TYPE_CHECKING:
    from airflow.sdk import Context


class ActivepiecesCreateProjectOperator(ActivepiecesProjectFieldsOperator):
    """Create a project, idempotently by external id (``projects.ensure``).

    :param external_id: your tenant key; an existing project with it is reused.
    :param display_name: name shown in Activepieces (default: ``external_id``).
    :param if_exists: ``"update"`` (converge the given fields), ``"return"`` (leave it as is) or
        ``"fail"``.
    :param alert_receiver_email: alert e-mail set at creation.
    :param pieces, metadata, ...: see ``ActivepiecesProjectFieldsOperator``; ``None`` = unmanaged.
    :return: ``{"action": "created"|"updated"|"unchanged", "project": {...}}``.
    """

    template_fields: Sequence[str] = (
        *ActivepiecesProjectFieldsOperator.template_fields,
        "external_id",
        "if_exists",
        "alert_receiver_email",
    )

    def __init__(
        self,
        *,
        external_id: str,
        if_exists: str = "update",
        alert_receiver_email: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.external_id = external_id
        self.if_exists = if_exists
        self.alert_receiver_email = alert_receiver_email

    def execute(self, context: Context) -> dict[str, Any]:
        fields = self.project_fields()
        if self.pieces is not None:
            fields["pieces"] = piece_list(self.pieces)
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
        self.push_project_link(context, result.project)
        return result.to_dict()


class ActivepiecesUpdateProjectOperator(
    ActivepiecesProjectFieldsOperator, ActivepiecesProjectTargetOperator
):
    """Update a project found by id or external id; ``None`` arguments are left unchanged.

    :param project_id: project id (or give ``external_id``).
    :param external_id: external id of the project to update.
    :param new_external_id: rename the external id.
    :param pieces: applied with ``sync_pieces`` (no write when already in sync).
    :param display_name, metadata, ...: see ``ActivepiecesProjectFieldsOperator``.
    :return: the project as a dict.
    """

    template_fields: Sequence[str] = (
        *ActivepiecesProjectFieldsOperator.template_fields,
        "project_id",
        "external_id",
        "new_external_id",
    )

    def __init__(self, *, new_external_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.new_external_id = new_external_id

    def execute(self, context: Context) -> dict[str, Any]:
        one_target(self.project_id, self.external_id)
        fields = self.project_fields()
        if self.display_name:
            fields["display_name"] = self.display_name
        if self.new_external_id:
            fields["external_id"] = self.new_external_id
        with self.client() as client:
            project = require_project(client, self.project_id, self.external_id)
            if fields:
                project = client.projects.update(project.id, **fields)
            if self.pieces is not None:
                project = client.projects.sync_pieces(project, piece_list(self.pieces)).project
        self.log.info("Updated project %s (%s)", project.id, ", ".join(fields) or "no fields")
        self.push_project_link(context, project)
        return project.to_dict()


class ActivepiecesSyncPiecesOperator(ActivepiecesProjectTargetOperator):
    """Make a project's piece filter match ``pieces``; no write when already in sync.

    :param pieces: allow-list of piece names (short names like ``"slack"`` are normalised);
        ``None`` or ``"*"`` allows every piece.
    :return: ``{"changed": bool, "project": {...}}``.
    """

    template_fields: Sequence[str] = (*ActivepiecesProjectTargetOperator.template_fields, "pieces")
    template_fields_renderers = {"pieces": "json"}
    operator_extra_links = (ActivepiecesProjectLink(),)

    def __init__(self, *, pieces: Sequence[str] | str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pieces = pieces

    def execute(self, context: Context) -> dict[str, Any]:
        one_target(self.project_id, self.external_id)
        with self.client() as client:
            project = require_project(client, self.project_id, self.external_id)
            result = client.projects.sync_pieces(project, piece_list(self.pieces))
        self.log.info(
            "Pieces of project %s %s",
            result.project.id,
            "updated" if result.changed else "already in sync",
        )
        self.push_project_link(context, result.project)
        return {"changed": result.changed, "project": result.project.to_dict()}


class ActivepiecesDeleteProjectOperator(ActivepiecesProjectLookupOperator):
    """Delete a project by id or external id.

    :param missing_ok: succeed (``deleted: false``) when there is nothing to delete.
    :return: ``{"deleted": bool, "project_id": ..., "external_id": ...}``.
    """

    def execute(self, context: Context) -> dict[str, Any]:
        from activepieces_core.errors import NotFoundError

        one_target(self.project_id, self.external_id)
        project_id = self.project_id
        with self.client() as client:
            if self.external_id:
                gone = client.projects.delete_by_external_id(
                    self.external_id, missing_ok=self.missing_ok
                )
                deleted = gone is not None
                project_id = gone.id if gone is not None else None
            else:
                try:
                    client.projects.delete(str(project_id))
                    deleted = True
                except NotFoundError:
                    if not self.missing_ok:
                        raise
                    deleted = False
        self.log.info(
            "Project %s: %s", project_id or self.external_id, "deleted" if deleted else "absent"
        )
        return {"deleted": deleted, "project_id": project_id, "external_id": self.external_id}


class ActivepiecesGetProjectOperator(ActivepiecesProjectLookupOperator):
    """Fetch one project by id or external id.

    :param missing_ok: return ``None`` instead of failing when the project does not exist.
    :return: the project as a dict (or ``None``).
    """

    operator_extra_links = (ActivepiecesProjectLink(),)

    def execute(self, context: Context) -> dict[str, Any] | None:
        one_target(self.project_id, self.external_id)
        with self.client() as client:
            project = find_project(client, self.project_id, self.external_id)
        if project is None:
            if self.missing_ok:
                return None
            raise ProjectNotFoundError(project_id=self.project_id, external_id=self.external_id)
        self.push_project_link(context, project)
        return project.to_dict()


class ActivepiecesListProjectsOperator(ActivepiecesBaseOperator):
    """List projects (all pages) with the API's filters.

    :param external_id: exact external id filter.
    :param display_name: display name filter.
    :param types: project types, e.g. ``["TEAM"]``.
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
        types = json_value(self.types)
        if isinstance(types, str):
            types = [part.strip() for part in types.split(",") if part.strip()]
        with self.client() as client:
            projects = client.projects.iter(
                external_id=self.external_id or None,
                display_name=self.display_name or None,
                types=types or None,
            )
            found = [p.to_dict() for p in itertools.islice(projects, self.max_results)]
        self.log.info("Listed %d projects", len(found))
        return found
