"""Onboard tens of thousands of tenants: plan once, apply in shards on any worker, one API budget.

``plan`` -> ``apply_platform`` (what belongs to no tenant, once) -> ``split`` (the shards) ->
``apply_shard`` (dynamic task mapping: one task instance per shard, which any Celery/Kubernetes
worker can take) -> ``merge`` (one report, the counts of an unsharded apply). docs/scale-out.md explains the design.

**The API budget** is the Airflow pool ``activepieces_api``, created once by whoever runs
Airflow: its slots are the requests the Activepieces server may have in flight at once, across
every worker::

    airflow pools set activepieces_api 16 "Activepieces API: requests in flight"

Every task that calls the API runs in that pool with ``pool_slots=CONCURRENCY`` and sends at
most ``CONCURRENCY`` requests at once, so at most ``16 // 4 = 4`` of them run together and at
most ``16`` requests are in flight, however many workers and shards there are. More shards than
that queue for the pool; fewer leave budget unused.

Connection: ``activepieces_default``. Params: ``tenants_file`` (a document every worker can
read: it lives with the DAGs), ``shards``, ``prune``, ``max_deletions`` (held against the
whole plan before anything is sent) and ``archive`` (where each tenant the prune deletes is
archived first: a directory or a URL every worker can write; docs/archives.md). A shard that fails (its worker died) is retried: the retry
plans the shard's tenants again (``replan_shard``), so it writes only what is still missing.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import Param, dag, get_current_context, task

#: The pool that holds the API budget (its slots = requests in flight across all workers).
POOL = "activepieces_api"
#: Requests one task keeps in flight; each API task takes this many pool slots.
CONCURRENCY = 4
DEFAULT_TENANTS_FILE = str(Path(__file__).resolve().parents[2] / "tenants.yaml")
#: Where pruned tenants are archived before their project is deleted (a directory or an fsspec
#: URL, e.g. ``s3://bucket/activepieces-archives``); the ``archive`` param overrides it per run.
DEFAULT_ARCHIVE = os.environ.get(
    "ACTIVEPIECES_ARCHIVE",
    str(Path(os.environ.get("AIRFLOW_HOME", Path.home() / "airflow")) / "activepieces-archives"),
)


def _client() -> Any:
    from activepieces_provider.hooks.activepieces import ActivepiecesHook

    return ActivepiecesHook().get_client()


@dag(
    dag_id="activepieces_sharded_apply",
    schedule=None,
    catchup=False,
    tags=["activepieces", "tenants", "scale-out"],
    params={
        "tenants_file": Param(DEFAULT_TENANTS_FILE, type="string"),
        "shards": Param(8, type="integer", minimum=1, description="Shard task instances."),
        "prune": Param(False, type="boolean", description="Delete projects not in the file."),
        "max_deletions": Param(5, type="integer", minimum=0),
        "archive": Param(
            DEFAULT_ARCHIVE,
            type="string",
            description="Where each deleted tenant is archived first (directory or URL).",
        ),
    },
)
def activepieces_sharded_apply() -> None:
    api = {"pool": POOL, "pool_slots": CONCURRENCY}

    @task(**api)
    def plan() -> dict[str, Any]:
        """The saved plan of the whole document (reads only)."""
        from activepieces_core.tenants import load_document
        from activepieces_core.tenants import plan as make_plan

        params = get_current_context()["params"]
        document = load_document(params["tenants_file"])
        with _client() as client:
            made = make_plan(client, document, prune=params["prune"], concurrency=CONCURRENCY)
        return made.to_dict()

    def _sharded(saved: dict[str, Any]) -> Any:
        from activepieces_core.tenants import Plan
        from activepieces_core.tenants.shards import shard_plan

        params = get_current_context()["params"]
        return shard_plan(
            Plan.from_dict(saved), params["shards"], max_deletions=params["max_deletions"]
        )

    @task(**api)
    def apply_platform(saved: dict[str, Any]) -> dict[str, Any]:
        """The plan's platform part (declared piece sets), once, before any shard;
        ``max_deletions`` is held against the whole plan here, before anything is sent."""
        from activepieces_core.tenants import TenantSyncError, apply

        with _client() as client:
            first = apply(
                client,
                _sharded(saved).platform,
                concurrency=CONCURRENCY,
                archive=get_current_context()["params"]["archive"],
            )
        if not first.ok:
            raise TenantSyncError.from_report(first, what="platform part")
        return first.to_dict()

    @task
    def split(saved: dict[str, Any], platform: dict[str, Any]) -> list[dict[str, Any]]:
        """The shards, each a saved plan with the ids the platform part made bound in."""
        sharded = _sharded(saved)
        return [sharded.shard(i, after=platform).to_dict() for i in range(len(sharded.shards))]

    @task(retries=2, retry_delay=timedelta(seconds=5), **api)
    def apply_shard(shard: dict[str, Any]) -> dict[str, Any]:
        """One shard. It fails when a tenant failed, so Airflow retries it; a retry (after a
        failure or a dead worker) plans the shard's tenants again and writes what is missing."""
        from activepieces_core.tenants import TenantSyncError, apply
        from activepieces_core.tenants.shards import replan_shard

        context = get_current_context()
        archive = context["params"]["archive"]  # each pruned tenant archived before its delete
        with _client() as client:
            if context["ti"].try_number > 1:
                document = context["params"]["tenants_file"]
                fresh = replan_shard(client, shard, document, concurrency=CONCURRENCY)
                report = apply(
                    client, fresh, concurrency=CONCURRENCY, check_stale=False, archive=archive
                )
            else:
                report = apply(client, shard, concurrency=CONCURRENCY, archive=archive)
        if not report.ok:
            raise TenantSyncError.from_report(report, what="shard")
        return report.to_dict()

    @task
    def merge(platform: dict[str, Any], reports: list[dict[str, Any]]) -> dict[str, Any]:
        """One report of every shard: the counts of an unsharded apply of the plan."""
        from activepieces_core.tenants import ApplyReport

        report = ApplyReport.merge([platform, *reports])
        return {"summary": report.summary, "kind_summary": report.kind_summary}

    saved = plan()
    platform = apply_platform(saved)
    merge(platform, apply_shard.expand(shard=split(saved, platform)))


activepieces_sharded_apply()
