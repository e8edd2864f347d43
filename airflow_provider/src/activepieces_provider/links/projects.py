"""Extra link from a task to the project it touched in the Activepieces web app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator

#: XCom key under which project operators store the project's web-app URL.
PROJECT_URL_XCOM_KEY = "activepieces_project_url"


class ActivepiecesProjectLink(BaseOperatorLink):
    """ "Activepieces Project" button; reads the URL the task pushed, so mapped tasks work."""

    name = "Activepieces Project"

    def get_link(self, operator: BaseOperator, *, ti_key: Any) -> str:
        from airflow.sdk.execution_time.xcom import XCom

        url = XCom.get_value(key=PROJECT_URL_XCOM_KEY, ti_key=ti_key)
        return url if isinstance(url, str) else ""
