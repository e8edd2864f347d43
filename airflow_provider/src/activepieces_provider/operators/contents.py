"""A single project's contents (flows, tables, folders, connection references): export and
replace (core's ``projects.export_state`` / ``projects.replace``, ``POST
/v1/projects/:id/replace`` upstream).

Export writes a replace body where a tenant document's ``template`` or a replace task reads it;
replace makes a project's flows, tables and folders exactly a body's (those with an external id
that it lacks are deleted; connections are only added, as placeholders awaiting authorisation).
Locations are local paths (relative: the DAG folder) or ``ObjectStoragePath``s, see
`activepieces_provider.state_storage`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from activepieces_provider.exceptions import ReplaceItemsFailedError
from activepieces_provider.links.projects import ActivepiecesProjectLink
from activepieces_provider.operators._base import ActivepiecesProjectOperator, argument_bool
from activepieces_provider.state_storage import read_state, state_argument, write_state

if TYPE_CHECKING:
    from airflow.sdk import Context

    from activepieces_core.models.contents import ProjectState, ReplaceResult

#: XCom key of a replace's whole answer (pushed even when failed items fail the task).
REPLACE_RESULT_XCOM_KEY = "replace_result"
#: The key of the export task's return value that a replace task reads its body from.
EXPORT_PATH_KEY = "path"


def state_counts(state: ProjectState) -> dict[str, int]:
    """How many flows, tables, folders, connections and required pieces a body holds."""
    return {
        "flows": len(state.flows),
        "tables": len(state.tables),
        "folders": len(state.folders),
        "connections": len(state.connections),
        "required_pieces": len(state.required_pieces),
    }


class ActivepiecesExportProjectOperator(ActivepiecesProjectOperator):
    """Write a project's contents as a replace body (``client.projects.export_state``).

    The body is what upstream's CLI builds (flows as the server lists them, tables with their
    fields, folders with an external id, connection references, the pieces the flows use, the
    server's version); replacing the same project with it changes nothing. Typically run on a
    hand-built template project to make the ``template`` file of a tenant document.

    :param project_id: project id (or give ``external_id``).
    :param external_id: external id of the project.
    :param path: where to write: a file path (``.json``, or ``.yaml``/``.yml``; a relative path
        resolves against the DAG's folder), URL text (``s3://...``, ``file://...``) or an
        ``ObjectStoragePath``. Templated.
    :return: ``{"path", "project_id", "external_id", "source_activepieces_version", "flows",
        "tables", "folders", "connections", "required_pieces"}`` (counts; the body itself stays
        out of XCom). A replace task takes this value as its ``state``.
    """

    template_fields: Sequence[str] = (*ActivepiecesProjectOperator.template_fields, "path")
    operator_extra_links = (ActivepiecesProjectLink(),)

    def __init__(self, *, path: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.path = path

    def execute(self, context: Context) -> dict[str, Any]:
        self.check_target()
        with self.client() as client:
            project = self.require_target(client)
            state = client.projects.export_state(project)
        where = write_state(self, self.path, state)
        counts = state_counts(state)
        self.log.info(
            "Exported project %s to %s: %s",
            project.id,
            where,
            ", ".join(f"{n} {kind}" for kind, n in counts.items()),
        )
        self.push_project_link(context, project.id)
        return {
            EXPORT_PATH_KEY: where,
            "project_id": project.id,
            "external_id": project.external_id,
            "source_activepieces_version": state.source_activepieces_version,
            **counts,
        }


class ActivepiecesReplaceProjectOperator(ActivepiecesProjectOperator):
    """Make a project's flows, tables and folders exactly a replace body's
    (``client.projects.replace``).

    Items are matched by external id: flows, tables and folders (with an external id) the body
    lacks are **deleted**; connections are never deleted, missing ones are created as
    placeholders that someone must authorise (logged). A replace already running is waited for
    (``retryAfter``) by the client.

    Outcomes: 200 returns the answer. 207 (some items not applied): the answer is pushed under
    the XCom key ``replace_result`` and, with ``fail_on_failed_items`` (default), the task fails
    with `ReplaceItemsFailedError` naming each item; retries are safe (replace is idempotent:
    applied items count as unchanged the second time). 422 (preflight: Activepieces version,
    piece version, connection piece mismatch; nothing written), 502 (a required piece could not
    be installed) and 402 (no ``environmentsEnabled``) fail the task without retries, with the
    client's typed error's message (`ReplacePreflightError`, `PieceInstallError`,
    `FeatureDisabledError` as the cause). A body that is not valid is an `InvalidStateError`
    before anything is sent.

    :param project_id: project id (or give ``external_id``).
    :param external_id: external id of the project.
    :param state: the replace body: a file path (relative: the DAG's folder), URL text or an
        ``ObjectStoragePath`` (templated), the return value of an
        `ActivepiecesExportProjectOperator` (its ``path`` is read), or the body as a dict
        (validated when the DAG is parsed and never rendered by Jinja: flow steps hold
        Activepieces' own ``{{ }}``).
    :param fail_on_failed_items: fail the task when the server could not apply some items
        (207); ``False`` returns the answer with its ``failed`` list.
    :return: the answer (``ReplaceResult.to_dict()``: ``status``, ``applied`` counts such as
        ``flowsCreated``, ``failed``, ``connectionsAwaitingAuthorization``, ``piecesInstalled``,
        ``durationMs``) with ``projectId`` and ``source`` (where the body was read).
    """

    template_fields: Sequence[str] = (
        *ActivepiecesProjectOperator.template_fields,
        "state",
        "fail_on_failed_items",
    )
    operator_extra_links = (ActivepiecesProjectLink(),)

    def __init__(
        self, *, state: Any, fail_on_failed_items: bool | str = True, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.state = state_argument(state)
        self.fail_on_failed_items = fail_on_failed_items

    def _wanted(self) -> tuple[ProjectState, str]:
        source = self.state
        if (
            isinstance(source, Mapping)
            and EXPORT_PATH_KEY in source
            and "schemaVersion" not in source
        ):
            source = source[EXPORT_PATH_KEY]  # an export task's return value
        return read_state(self, source)

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow.sdk.exceptions import AirflowFailException

        from activepieces_core.errors import (
            FeatureDisabledError,
            PieceInstallError,
            ReplacePreflightError,
        )

        self.check_target()
        fail_on_failed = argument_bool("fail_on_failed_items", self.fail_on_failed_items)
        state, where = self._wanted()  # a bad body fails here, before any request
        with self.client() as client:
            project = self.require_target(client)
            self.log.info(
                "Replacing the contents of project %s with %s (%d flows, %d tables, %d folders)",
                project.id,
                where,
                len(state.flows),
                len(state.tables),
                len(state.folders),
            )
            try:
                result = client.projects.replace(project, state)
            except (ReplacePreflightError, PieceInstallError, FeatureDisabledError) as exc:
                # The same body would be refused again: no retries.
                raise AirflowFailException(str(exc)) from exc
        self.push_project_link(context, project.id)
        answer = {**result.to_dict(), "projectId": project.id, "source": where}
        context["ti"].xcom_push(key=REPLACE_RESULT_XCOM_KEY, value=answer)
        self._log_result(project.id, result)
        if result.failed and fail_on_failed:
            raise ReplaceItemsFailedError(project.id, result.failed)
        return answer

    def _log_result(self, project_id: str, result: ReplaceResult) -> None:
        applied = {k: v for k, v in result.applied.model_dump().items() if v}
        self.log.info(
            "Replace of project %s: %s (%s)",
            project_id,
            "some items failed" if result.failed else "applied",
            ", ".join(f"{k}={v}" for k, v in applied.items()) or "nothing to do",
        )
        for item in result.failed:
            self.log.error(
                "Not applied: %s %s (%s): %s", item.kind, item.external_id, item.op, item.error
            )
        for connection in result.connections_awaiting_authorization:
            self.log.warning(
                "Connection %s (%s) awaits authorisation in project %s",
                connection.external_id,
                connection.piece_name,
                project_id,
            )
