"""Bring a torn-down tenant back from the archive a teardown (or a pruning sync) wrote.

The archive is read from a local path, URL text or an ``ObjectStoragePath``
(`activepieces_provider.archive_storage`) and checked (its digest) before anything is sent;
core's `restore` then recreates the project: fields, piece set or own pieces, members (invited
again) and flows, tables and folders through ``replace`` (docs/archives.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from activepieces_core.constants import DEFAULT_CONCURRENCY
from activepieces_core.parsing import is_blank
from activepieces_provider.archive_storage import read_tenant_archive
from activepieces_provider.links.projects import ActivepiecesProjectLink
from activepieces_provider.operators._base import ActivepiecesBaseOperator, argument_bool
from activepieces_provider.operators.tenants import (
    REPORT_XCOM_KEY,
    TENANTS_ASSET_ALIAS,
    _ReportingOperator,
    report_text,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from activepieces_core.tenants.archive import RestoreResult


def restore_summary(result: RestoreResult) -> dict[str, Any]:
    """What a restore returns through XCom: the tenant, its project, the action, the counts
    per kind and status, the connections awaiting authorisation (no body, no key)."""
    report = result.report
    return {
        "external_id": result.external_id,
        "project_id": result.project_id,
        "action": result.action,
        "ok": result.ok,
        "source": result.source,
        "summary": report.summary,
        "kinds": report.kind_summary,
        "connections_awaiting_authorization": list(result.connections_awaiting_authorization),
    }


class ActivepiecesRestoreTenantOperator(_ReportingOperator):
    """Restore one tenant from its archive (core's ``activepieces_core.tenants.archive.restore``).

    A live tenant with the same external id is never overwritten unless ``replace_existing``:
    the task then fails without retries (``RestoreRefused``, nothing sent). Restoring twice
    gives the same project (the second run changes nothing). Connections come back as
    placeholders awaiting authorisation (secrets are never archived); the task lists them.
    A part that fails to restore fails the task with core's ``TenantSyncError`` after the
    rest was applied; running it again finishes the job. Core's apply report goes to the XCom
    key ``report``; the project emits an asset event as in ``ActivepiecesSyncTenantsOperator``.

    :param archive: the archive: a file path (relative: the DAG's folder), URL text
        (``s3://...``, ``file://...``) or an ``ObjectStoragePath``, e.g. the ``archive`` a
        teardown task's result names for the tenant. Templated.
    :param external_id: restore under this external id instead of the archived one.
    :param display_name: restore under this display name.
    :param replace_existing: overwrite a live tenant with the same external id.
    :param concurrency: parallel API requests (default 16).
    :param asset_alias: as for ``ActivepiecesSyncTenantsOperator``; ``None`` disables them.
    :return: ``{"external_id", "project_id", "action", "ok", "source", "summary", "kinds",
        "connections_awaiting_authorization"}``; ``action`` is ``created`` / ``replaced`` /
        ``completed`` (a live tenant given what it lacked) / ``unchanged``.
    """

    template_fields: Sequence[str] = (
        *ActivepiecesBaseOperator.template_fields,
        "archive",
        "external_id",
        "display_name",
        "replace_existing",
    )
    operator_extra_links = (ActivepiecesProjectLink(),)

    def __init__(
        self,
        *,
        archive: Any,
        external_id: str | None = None,
        display_name: str | None = None,
        replace_existing: bool | str = False,
        concurrency: int = DEFAULT_CONCURRENCY,
        asset_alias: str | None = TENANTS_ASSET_ALIAS,
        **kwargs: Any,
    ) -> None:
        super().__init__(concurrency=concurrency, asset_alias=asset_alias, **kwargs)
        self.archive = archive
        self.external_id = external_id
        self.display_name = display_name
        self.replace_existing = replace_existing

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow.sdk.exceptions import AirflowFailException

        from activepieces_core.tenants import TenantSyncError
        from activepieces_core.tenants.archive import RestoreRefused, restore

        replace_existing = argument_bool("replace_existing", self.replace_existing)
        archive, where = read_tenant_archive(self, self.archive)
        with self.client() as client:
            try:
                result = restore(
                    client,
                    archive,
                    external_id=None if is_blank(self.external_id) else str(self.external_id),
                    display_name=None if is_blank(self.display_name) else str(self.display_name),
                    replace_existing=replace_existing,
                    concurrency=self.concurrency,
                )
            except RestoreRefused as exc:
                raise AirflowFailException(str(exc)) from exc
        summary = {**restore_summary(result), "source": where}
        context["ti"].xcom_push(key=REPORT_XCOM_KEY, value=result.report.to_dict())
        self.log.info("%s", report_text(result.report))
        self.log.info(
            "Restored %s (%s) as project %s from %s",
            result.external_id,
            result.action,
            result.project_id,
            where,
        )
        if result.connections_awaiting_authorization:
            self.log.info(
                "Connections awaiting authorisation again: %s",
                ", ".join(result.connections_awaiting_authorization),
            )
        if result.project_id:
            self.push_project_link(context, result.project_id)
        self._emit_asset_events(context, result.report)
        if not result.ok:
            raise TenantSyncError.from_report(result.report, what="tenant restore")
        return summary
