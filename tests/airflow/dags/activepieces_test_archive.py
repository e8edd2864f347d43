"""Test-only DAGs for archive before delete, and restore (``test_airflow_archive.py`` drives them):

* ``activepieces_test_archive_teardown``: the teardown operator, tenants and archive location
  rendered from ``params`` (a directory or URL text);
* ``activepieces_test_archive_required``: the same teardown with no archive location;
* ``activepieces_test_archive_restore``: the restore operator, its archive, new external id and
  ``replace_existing`` rendered from ``params``;
* ``activepieces_test_archive_object_storage``: a teardown into an ``ObjectStoragePath``
  (``memory://``: ``dag.test()`` runs every task in one process), then the restore of the first
  tenant from the archive the teardown's result names;
* ``activepieces_test_archive_sync``: a pruning sync of the tenant document at ``params.tenants``,
  archiving what it deletes to ``params.archive``.
"""

from __future__ import annotations

from airflow.sdk import ObjectStoragePath, dag

from activepieces_provider.operators.archives import ActivepiecesRestoreTenantOperator
from activepieces_provider.operators.tenants import (
    ActivepiecesSyncTenantsOperator,
    ActivepiecesTeardownTenantsOperator,
)

OBJECT_STORAGE = "memory://activepieces-tests/archives"


@dag(schedule=None, catchup=False, params={"tenants": "", "archive": ""})
def activepieces_test_archive_teardown() -> None:
    ActivepiecesTeardownTenantsOperator(
        task_id="teardown", external_ids="{{ params.tenants }}", archive="{{ params.archive }}"
    )


@dag(schedule=None, catchup=False, params={"tenants": ""})
def activepieces_test_archive_required() -> None:
    ActivepiecesTeardownTenantsOperator(task_id="teardown", external_ids="{{ params.tenants }}")


@dag(
    schedule=None,
    catchup=False,
    params={"archive": "", "external_id": "", "replace_existing": False},
)
def activepieces_test_archive_restore() -> None:
    ActivepiecesRestoreTenantOperator(
        task_id="restore",
        archive="{{ params.archive }}",
        external_id="{{ params.external_id }}",
        replace_existing="{{ params.replace_existing }}",
    )


@dag(schedule=None, catchup=False, params={"tenants": ""})
def activepieces_test_archive_object_storage() -> None:
    teardown = ActivepiecesTeardownTenantsOperator(
        task_id="teardown",
        external_ids="{{ params.tenants }}",
        archive=ObjectStoragePath(OBJECT_STORAGE),
    )
    restore = ActivepiecesRestoreTenantOperator(
        task_id="restore", archive="{{ ti.xcom_pull('teardown')['results'][0]['archive'] }}"
    )
    teardown >> restore


@dag(schedule=None, catchup=False, params={"tenants": "", "archive": ""})
def activepieces_test_archive_sync() -> None:
    ActivepiecesSyncTenantsOperator(
        task_id="sync", tenants="{{ params.tenants }}", prune=True, archive="{{ params.archive }}"
    )


activepieces_test_archive_teardown()
activepieces_test_archive_required()
activepieces_test_archive_restore()
activepieces_test_archive_object_storage()
activepieces_test_archive_sync()
