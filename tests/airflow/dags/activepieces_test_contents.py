"""Test-only DAGs for a project's contents (``test_airflow_contents.py`` drives them):

* ``activepieces_test_contents_sync``: a tenant document (a file path) through the sync
  operator, with an optional ``template`` argument rendered from ``params`` (a path or URL);
* ``activepieces_test_contents_copy``: a template project exported to an
  ``ObjectStoragePath`` (``memory://``: ``dag.test()`` runs every task in one process), then
  replaced into one project from the export's XCom and into another from the path itself, and a
  third replaced with a body given as a dict whose step input holds Activepieces' own ``{{ }}``;
* ``activepieces_test_contents_replace``: one replace from a file path (the 422 case).
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import ObjectStoragePath, dag

from activepieces_provider.operators.contents import (
    ActivepiecesExportProjectOperator,
    ActivepiecesReplaceProjectOperator,
)
from activepieces_provider.operators.tenants import ActivepiecesSyncTenantsOperator

STORAGE = "memory://activepieces-tests/{{ params.folder }}/template.json"

#: A flow whose piece step maps the trigger's output with Activepieces' own template syntax.
MAPPED_FLOW: dict[str, Any] = {
    "id": "src-mapped",
    "externalId": "mapped",
    "projectId": "template-project",
    "folderId": None,
    "status": "DISABLED",
    "version": {
        "id": "src-mapped-v1",
        "flowId": "src-mapped",
        "displayName": "Mapped input",
        "valid": False,
        "schemaVersion": None,
        "connectionIds": [],
        "agentIds": [],
        "state": "DRAFT",
        "trigger": {
            "name": "trigger",
            "type": "EMPTY",
            "valid": False,
            "displayName": "Select Trigger",
            "settings": {},
            "nextAction": {
                "name": "step_1",
                "type": "CODE",
                "valid": True,
                "displayName": "Greet",
                "settings": {"input": {"email": "{{trigger.body.email}}"}},
            },
        },
        "notes": [],
    },
}
INLINE_BODY: dict[str, Any] = {
    "schemaVersion": 1,
    "sourceActivepiecesVersion": "0.70.0",
    "flows": [MAPPED_FLOW],
}


@dag(
    dag_id="activepieces_test_contents_sync",
    schedule=None,
    catchup=False,
    params={"tenants": "", "template": "", "max_deletions": 10},
)
def activepieces_test_contents_sync() -> None:
    ActivepiecesSyncTenantsOperator(
        task_id="sync",
        tenants="{{ params.tenants }}",
        template="{{ params.template }}",
        max_deletions="{{ params.max_deletions }}",
        retries=0,
    )


@dag(
    dag_id="activepieces_test_contents_copy",
    schedule=None,
    catchup=False,
    params={"source": "template", "target": "acme", "other": "globex", "folder": "run"},
)
def activepieces_test_contents_copy() -> None:
    export = ActivepiecesExportProjectOperator(
        task_id="export", external_id="{{ params.source }}", path=ObjectStoragePath(STORAGE)
    )
    from_xcom = ActivepiecesReplaceProjectOperator(
        task_id="replace_from_xcom", external_id="{{ params.target }}", state=export.output
    )
    from_storage = ActivepiecesReplaceProjectOperator(
        task_id="replace_from_storage",
        external_id="{{ params.other }}",
        state=ObjectStoragePath(STORAGE),
    )
    export >> [from_xcom, from_storage]
    ActivepiecesReplaceProjectOperator(
        task_id="replace_inline", external_id="{{ params.source }}-inline", state=INLINE_BODY
    )


@dag(
    dag_id="activepieces_test_contents_replace",
    schedule=None,
    catchup=False,
    params={"target": "acme", "state": ""},
)
def activepieces_test_contents_replace() -> None:
    ActivepiecesReplaceProjectOperator(
        task_id="replace", external_id="{{ params.target }}", state="{{ params.state }}", retries=0
    )


activepieces_test_contents_sync()
activepieces_test_contents_copy()
activepieces_test_contents_replace()
