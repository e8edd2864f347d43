"""Test-only DAG: boolean and integer arguments of the tenant sync given as templates of
``params``, so the operator gets rendered text (``"False"``, ``"false"``, ``"0"``), as a DAG
passing ``prune="{{ params.prune }}"`` does. Each task would delete ``tpl-old`` (managed, not
in the document) if its ``prune`` text read as true; ``max_deletions`` (rendered ``"0"``) would
then refuse the task."""

from __future__ import annotations

from airflow.sdk import Param, dag

from activepieces_provider.operators.tenants import ActivepiecesSyncTenantsOperator

DOCUMENT = {"tenants": [{"external_id": "tpl-new", "display_name": "Templated New"}]}


@dag(
    dag_id="activepieces_test_templated_arguments",
    schedule=None,
    catchup=False,
    params={
        "prune": Param(False, type="boolean"),
        "prune_text": "false",
        "prune_digit": "0",
        "dry_run": Param(False, type="boolean"),
        "max_deletions": Param(0, type="integer", minimum=0),
    },
)
def activepieces_test_templated_arguments() -> None:
    previous = None
    for task_id, prune in (
        ("sync_text_false", "{{ params.prune_text }}"),
        ("sync_boolean_param", "{{ params.prune }}"),
        ("sync_text_zero", "{{ params.prune_digit }}"),
    ):
        sync = ActivepiecesSyncTenantsOperator(
            task_id=task_id,
            tenants=DOCUMENT,
            prune=prune,
            prune_members=prune,
            dry_run="{{ params.dry_run }}",
            max_deletions="{{ params.max_deletions }}",
            archive=None,
            asset_alias=None,
        )
        if previous is not None:
            previous >> sync
        previous = sync


activepieces_test_templated_arguments()
