"""Copy a template project's contents into other projects: export once, replace in each.

Connection: ``activepieces_default``; the platform needs ``environmentsEnabled`` (upstream's
replace route). Params:

- ``source``: external id of the hand-built template project;
- ``targets``: external ids of the projects to make like it (their flows, tables and folders
  that the template lacks are deleted; connections are only added, awaiting authorisation);
- ``path``: where the replace body is kept: a local path or a URL (``file://``, ``s3://...``
  with an object storage connection), read by Airflow's ``ObjectStoragePath``.

The same file can be a tenant document's ``template``: ``ActivepiecesSyncTenantsOperator``
then keeps every tenant's contents those of the template, with plans and deletion limits.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import Param, dag, task

from activepieces_provider.operators.contents import (
    ActivepiecesExportProjectOperator,
    ActivepiecesReplaceProjectOperator,
)


@dag(
    dag_id="activepieces_project_contents",
    schedule=None,
    catchup=False,
    tags=["activepieces", "contents"],
    params={
        "source": Param("template", type="string", description="The template project."),
        "targets": Param(["acme"], type="array", description="Projects to make like it."),
        "path": Param(
            "file:///tmp/activepieces/template.json",
            type="string",
            description="Where the replace body is written and read (path or URL).",
        ),
    },
)
def activepieces_project_contents() -> None:
    export = ActivepiecesExportProjectOperator(
        task_id="export", external_id="{{ params.source }}", path="{{ params.path }}"
    )

    @task
    def targets(**context: Any) -> list[str]:
        return [str(target) for target in context["params"]["targets"]]

    # One replace per project (dynamic task mapping), each from the export's XCom (its path).
    ActivepiecesReplaceProjectOperator.partial(task_id="replace", state=export.output).expand(
        external_id=targets()
    )


activepieces_project_contents()
