"""Base class of the Activepieces operators: connection id, lazy hook, link bookkeeping."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from activepieces_provider.hooks.activepieces import ActivepiecesHook
from activepieces_provider.links.projects import PROJECT_URL_XCOM_KEY

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
