"""Extra link from a task to the project it touched in the Activepieces web app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator

#: XCom key under which project operators also store the project's web-app URL.
PROJECT_URL_XCOM_KEY = "activepieces_project_url"
#: Attribute of the running task holding that URL (set by ``push_project_link``).
PROJECT_URL_ATTR = "_activepieces_project_url"


class ActivepiecesProjectLink(BaseOperatorLink):
    """ "Activepieces Project" button of the operators (and the sensor) that touch one project.

    Airflow 3 evaluates links in the worker, right after the task ran in that same process, and
    stores the result per map index for the UI. The URL is therefore read from the task itself
    (``ActivepiecesHookMixin.push_project_link`` sets it): a task that failed before reaching
    its project has no link, quietly, where an XCom lookup would log "XCom not found" as an
    ERROR.
    """

    name = "Activepieces Project"

    def get_link(self, operator: BaseOperator, *, ti_key: Any) -> str:
        url = getattr(operator, PROJECT_URL_ATTR, None)
        return url if isinstance(url, str) else ""
