"""Base class of the Activepieces operators: connection id, lazy hook, link bookkeeping."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from activepieces_provider._args import flag, json_value, optional_int
from activepieces_provider.hooks.activepieces import ActivepiecesHook
from activepieces_provider.links.projects import PROJECT_URL_XCOM_KEY, ActivepiecesProjectLink

if TYPE_CHECKING:
    from airflow.sdk import Context

    from activepieces_core import ActivepiecesClient, Project


class ActivepiecesBaseOperator(BaseOperator):
    """Common plumbing; subclasses implement ``execute`` with :meth:`client`.

    :param activepieces_conn_id: Airflow connection of type ``activepieces``.
    """

    template_fields: Sequence[str] = ("activepieces_conn_id",)
    ui_color = "#e6dcfb"

    def __init__(
        self, *, activepieces_conn_id: str = ActivepiecesHook.default_conn_name, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.activepieces_conn_id = activepieces_conn_id

    @cached_property
    def hook(self) -> ActivepiecesHook:
        """Hook for the (rendered) connection id; built on first use inside ``execute``."""
        return ActivepiecesHook(activepieces_conn_id=self.activepieces_conn_id)

    def client(self) -> ActivepiecesClient:
        """A new sync client; use it in a ``with`` block."""
        return self.hook.get_client()

    def push_project_link(self, context: Context, project: Project) -> None:
        """Store the project's web-app URL for the extra link (one per map index)."""
        context["ti"].xcom_push(key=PROJECT_URL_XCOM_KEY, value=self.hook.project_url(project.id))


class ActivepiecesProjectFieldsOperator(ActivepiecesBaseOperator):
    """Base of the operators that write project fields; a ``None`` field is left unchanged.

    :param display_name: name shown in Activepieces.
    :param pieces: ``None`` leaves the piece filter alone, ``"*"`` allows all pieces, a list (or
        JSON / comma-separated text) is an allow-list; short names like ``"slack"`` are expanded.
    :param metadata: JSON object (replaces the whole metadata).
    :param max_concurrent_jobs, releases_enabled, icon_color, global_connection_external_ids:
        the project's fields of the same names.
    """

    template_fields: Sequence[str] = (
        *ActivepiecesBaseOperator.template_fields,
        "display_name",
        "pieces",
        "metadata",
        "max_concurrent_jobs",
        "releases_enabled",
        "icon_color",
        "global_connection_external_ids",
    )
    template_fields_renderers = {"metadata": "json", "pieces": "json"}
    operator_extra_links = (ActivepiecesProjectLink(),)

    def __init__(
        self,
        *,
        display_name: str | None = None,
        pieces: Sequence[str] | str | None = None,
        metadata: dict[str, Any] | str | None = None,
        max_concurrent_jobs: int | str | None = None,
        releases_enabled: bool | str | None = None,
        icon_color: str | None = None,
        global_connection_external_ids: Sequence[str] | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.display_name = display_name
        self.pieces = pieces
        self.metadata = metadata
        self.max_concurrent_jobs = max_concurrent_jobs
        self.releases_enabled = releases_enabled
        self.icon_color = icon_color
        self.global_connection_external_ids = global_connection_external_ids

    def project_fields(self) -> dict[str, Any]:
        """Rendered values of the managed fields (not ``display_name``/``pieces``) for the client."""
        fields = {
            "metadata": json_value(self.metadata),
            "max_concurrent_jobs": optional_int(self.max_concurrent_jobs),
            "releases_enabled": None
            if self.releases_enabled is None
            else flag(self.releases_enabled),
            "icon_color": self.icon_color or None,
            "global_connection_external_ids": json_value(self.global_connection_external_ids),
        }
        return {key: value for key, value in fields.items() if value is not None}


class ActivepiecesProjectTargetOperator(ActivepiecesBaseOperator):
    """Base of the operators acting on one project, named by id or by external id.

    :param project_id: project id (or give ``external_id``).
    :param external_id: external id of the project.
    """

    template_fields: Sequence[str] = (
        *ActivepiecesBaseOperator.template_fields,
        "project_id",
        "external_id",
    )

    def __init__(
        self, *, project_id: str | None = None, external_id: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.project_id = project_id
        self.external_id = external_id


class ActivepiecesProjectLookupOperator(ActivepiecesProjectTargetOperator):
    """A project target that may legitimately be absent.

    :param missing_ok: succeed when the project does not exist.
    """

    def __init__(self, *, missing_ok: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.missing_ok = missing_ok
