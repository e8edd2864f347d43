"""Onboard tens of thousands of tenants: plan once, apply in shards on any worker, one API budget.

``prepare`` (plan the whole document, apply what belongs to no tenant once, split the plan)
-> ``apply_shard`` (dynamic task mapping: one task instance per shard, which any
Celery/Kubernetes worker can take) -> ``merge`` (one report, the counts of an unsharded apply).
Three tasks, because every task costs a scheduler pass and a process start on a worker. Each
shard is an XCom of its own (``shard-<i>``), so a shard task reads only its tenants' changes;
past a few thousand tenants, configure an object-storage XCom backend (docs/scale-out.md).

**The API budget** is the Airflow pool ``activepieces_api``, created once by whoever runs
Airflow: its slots are the requests the Activepieces server may have in flight at once, across
every worker::

    airflow pools set activepieces_api 16 "Activepieces API: requests in flight"

Every task that calls the API runs in that pool with ``pool_slots=CONCURRENCY`` and sends at
most ``CONCURRENCY`` requests at once, so at most ``16 // 4 = 4`` of them run together and at
most ``16`` requests are in flight, however many workers and shards there are. The default of
4 shards runs in one wave; more shards queue for the pool, fewer leave budget unused.

Connection: ``activepieces_default``. Params: ``tenants_file`` (a document every worker can
read: it lives with the DAGs), ``shards``, ``prune``, ``max_deletions`` (held against the
whole plan before anything is sent) and ``archive`` (where each tenant the prune deletes is
archived first: a directory or a URL every worker can write; docs/archives.md). A shard that
fails (its worker died) is retried: the retry plans the shard's tenants again
(``replan_shard``), so it writes only what is still missing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
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


def _counts(report: Any) -> dict[str, Any]:
    """What a part's report passes on: its counts. The per-tenant results of 10,000 tenants
    would be megabytes of XCom, written and read back through the API server."""
    return {"summary": report.summary, "kind_summary": report.kind_summary}


def _add(counts: list[dict[str, int]]) -> dict[str, int]:
    """Counts added up key by key (keys in first-seen order, zeros kept)."""
    keys = dict.fromkeys(key for part in counts for key in part)
    return {key: sum(part.get(key, 0) for part in counts) for key in keys}


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
        "shards": Param(4, type="integer", minimum=1, description="Shard task instances."),
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
    @task(pool=POOL, pool_slots=CONCURRENCY)
    def prepare() -> list[int]:
        """Plan the whole document (reads only), hold ``max_deletions`` against the whole plan,
        apply its platform part (declared piece sets) once, then split it: each shard, with the
        ids the platform part made bound in, is an XCom of its own (``shard-<i>``), so a shard
        task pulls only its own tenants' changes. Returns the shard indexes to map over.

        One task, not three: each task costs scheduling and a process start on a worker."""
        from activepieces_core.tenants import TenantSyncError, apply, load_document, plan
        from activepieces_core.tenants.shards import shard_plan

        context = get_current_context()
        params = context["params"]
        document = load_document(params["tenants_file"])
        with _client() as client:
            made = plan(client, document, prune=params["prune"], concurrency=CONCURRENCY)
            sharded = shard_plan(made, params["shards"], max_deletions=params["max_deletions"])
            first = apply(
                client, sharded.platform, concurrency=CONCURRENCY, archive=params["archive"]
            )
        if not first.ok:
            raise TenantSyncError.from_report(first, what="platform part")
        ti = context["ti"]
        ti.xcom_push(key="platform", value=_counts(first))
        for index in range(len(sharded.shards)):
            ti.xcom_push(key=f"shard-{index}", value=sharded.shard(index, after=first).to_dict())
        return list(range(len(sharded.shards)))

    @task(
        retries=2,
        retry_delay=timedelta(seconds=5),
        multiple_outputs=False,
        pool=POOL,
        pool_slots=CONCURRENCY,
    )
    def apply_shard(index: int) -> dict[str, Any]:
        """Shard ``index``. It fails when a tenant failed, so Airflow retries it; a retry (after
        a failure or a dead worker) plans the shard's tenants again and writes what is missing."""
        from activepieces_core.tenants import TenantSyncError, apply
        from activepieces_core.tenants.shards import replan_shard

        context = get_current_context()
        params = context["params"]
        archive = params["archive"]  # each pruned tenant archived before its delete
        shard = context["ti"].xcom_pull(task_ids="prepare", key=f"shard-{index}", map_indexes=-1)
        with _client() as client:
            if context["ti"].try_number > 1:
                fresh = replan_shard(client, shard, params["tenants_file"], concurrency=CONCURRENCY)
                report = apply(
                    client, fresh, concurrency=CONCURRENCY, check_stale=False, archive=archive
                )
            else:
                report = apply(client, shard, concurrency=CONCURRENCY, archive=archive)
        if not report.ok:
            raise TenantSyncError.from_report(report, what="shard")
        return _counts(report)

    @task(multiple_outputs=False)
    def merge(counts: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """One report of the platform part and every shard: the counts of an unsharded apply
        (a report's counts add up over its parts, as `ApplyReport.merge` counts them)."""
        ti = get_current_context()["ti"]
        platform = ti.xcom_pull(task_ids="prepare", key="platform", map_indexes=-1)
        parts = [platform, *counts]
        kinds = dict.fromkeys(kind for part in parts for kind in part["kind_summary"])
        return {
            "summary": _add([p["summary"] for p in parts]),
            "kind_summary": {k: _add([p["kind_summary"].get(k, {}) for p in parts]) for k in kinds},
        }

    # merge gets the shards' results as a sequence. Airflow's mypy plugin (apache-airflow-mypy)
    # types a task call's XComArg as its value, but not that of ``expand``: hence the ignore.
    merge(apply_shard.expand(index=prepare()))  # type: ignore[arg-type]


activepieces_sharded_apply()
