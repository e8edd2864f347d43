"""Onboard tens of thousands of tenants with Prefect: plan once, one flow run per shard, one
API budget across every worker. docs/scale-out.md explains the design.

``sharded_apply`` plans the whole document, applies its platform part (the piece sets it
declares) once, then starts one run of the ``apply-activepieces-shard/shards`` deployment per
shard: any worker of the deployment's work pool picks each one up. It waits for them all,
starts a shard again (``retried=True``: it plans its tenants again, so it writes only what is
still missing) when its run failed or crashed (its worker died), and merges the reports.

**The API budget** is the Prefect global concurrency limit ``activepieces-api``, created once;
its limit is the requests the Activepieces server may have in flight, across every worker::

    prefect gcl create activepieces-api --limit 16

Every flow that calls the API holds ``CONCURRENCY`` slots of it (``concurrency(...,
occupy=CONCURRENCY, strict=True)``) while it sends at most ``CONCURRENCY`` requests at once, so
at most ``16 // 4 = 4`` shards apply together and at most 16 requests are in flight; the
others wait for slots. A crashed run's slots come back when its lease (``LEASE_SECONDS``)
runs out.

Set up (the credentials block as in ``serve.py``; a result storage every worker and the parent
can read, e.g. ``PREFECT_DEFAULT_RESULT_STORAGE_BLOCK``, when they run on several machines)::

    prefect work-pool create activepieces --type process
    python examples/prefect/sharded.py deploy      # the shard deployment on that pool
    prefect worker start --pool activepieces       # on as many machines as you like
    python examples/prefect/sharded.py run tenants.yaml --credentials activepieces-prod

Every tenant a prune deletes is archived first into ``archive`` (a flow parameter: a directory
or an fsspec URL such as ``s3://bucket/activepieces-archives`` every worker can write;
docs/archives.md).

(``python examples/prefect/sharded.py serve`` runs the shard deployment in that one process
instead of on a work pool: what the test does.)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import flow, get_run_logger
from prefect.concurrency.sync import concurrency

from prefect_activepieces import ActivepiecesCredentials

#: The global concurrency limit that holds the API budget (its limit = requests in flight).
LIMIT = "activepieces-api"
#: Requests one flow keeps in flight; each holds this many slots of the limit.
CONCURRENCY = 4
#: How long a run's slots stay taken if its process dies without releasing them.
LEASE_SECONDS = 60
SHARD_FLOW = "apply-activepieces-shard"
SHARD_DEPLOYMENT = f"{SHARD_FLOW}/shards"
#: Where pruned tenants are archived before their project is deleted (on the worker).
DEFAULT_ARCHIVE = str(Path.home() / "activepieces-archives")


def _credentials(credentials: ActivepiecesCredentials | str) -> ActivepiecesCredentials:
    if isinstance(credentials, str):
        return ActivepiecesCredentials.load(credentials)  # type: ignore[no-any-return]
    return credentials


def _budget() -> Any:
    return concurrency(LIMIT, occupy=CONCURRENCY, strict=True, lease_duration=LEASE_SECONDS)


@flow(name=SHARD_FLOW, persist_result=True)
def apply_shard(
    shard: dict[str, Any],
    tenant_file: str,
    credentials: str,
    retried: bool = False,
    archive: str = DEFAULT_ARCHIVE,
) -> dict[str, Any]:
    """Apply one shard (a saved plan), archiving each tenant it deletes into ``archive`` first;
    when ``retried``, plan its tenants again first.

    Fails (so the parent starts it again) when a tenant failed.
    """
    from activepieces_core.tenants import TenantSyncError, apply
    from activepieces_core.tenants.shards import replan_shard

    with _budget(), _credentials(credentials).get_client() as client:
        if retried:
            fresh = replan_shard(client, shard, tenant_file, concurrency=CONCURRENCY)
            report = apply(
                client, fresh, concurrency=CONCURRENCY, check_stale=False, archive=archive
            )
        else:
            report = apply(client, shard, concurrency=CONCURRENCY, archive=archive)
    if not report.ok:
        raise TenantSyncError.from_report(report, what="shard")
    return report.to_dict()


def _final(flow_run_id: UUID, poll_seconds: float) -> Any:
    """The flow run once it reached a final state."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as api:
        while True:
            run = api.read_flow_run(flow_run_id)
            if run.state is not None and run.state.is_final():
                return run
            time.sleep(poll_seconds)


@flow(name="sharded-activepieces-apply", log_prints=True)
def sharded_apply(
    tenant_file: str,
    credentials: str,
    shards: int = 8,
    prune: bool = False,
    max_deletions: int = 5,
    attempts: int = 3,
    deployment: str = SHARD_DEPLOYMENT,
    poll_seconds: float = 1.0,
    archive: str = DEFAULT_ARCHIVE,
) -> dict[str, Any]:
    """Plan ``tenant_file``, apply the platform part, run every shard as its own flow run of
    ``deployment`` (``attempts`` times at most each), and merge their reports. Each tenant the
    prune deletes is archived into ``archive`` first."""
    from prefect.deployments import run_deployment

    from activepieces_core.tenants import ApplyReport, TenantSyncError, apply, load_document, plan
    from activepieces_core.tenants.shards import shard_plan

    logger = get_run_logger()
    with _budget(), _credentials(credentials).get_client() as client:
        saved = plan(client, load_document(tenant_file), prune=prune, concurrency=CONCURRENCY)
        sharded = shard_plan(saved, shards, max_deletions=max_deletions)
        first = apply(client, sharded.platform, concurrency=CONCURRENCY, archive=archive)
    if not first.ok:
        raise TenantSyncError.from_report(first, what="platform part")

    def start(index: int, retried: bool) -> UUID:
        parameters = {
            "shard": sharded.shard(index, after=first).to_dict(),
            "tenant_file": tenant_file,
            "credentials": credentials,
            "retried": retried,
            "archive": archive,
        }
        run = run_deployment(deployment, parameters=parameters, timeout=0)
        return run.id

    running = {i: start(i, False) for i in range(len(sharded.shards))}
    reports: dict[int, dict[str, Any]] = {}
    for attempt in range(1, attempts + 1):
        for index, run_id in list(running.items()):
            run = _final(run_id, poll_seconds)
            if run.state.is_completed():
                reports[index] = run.state.result()
                del running[index]
            elif attempt < attempts:
                logger.warning("shard %d ended %s; starting it again", index, run.state.name)
                running[index] = start(index, True)
        if not running:
            break
    if running:
        raise RuntimeError(f"shards {sorted(running)} did not complete in {attempts} attempts")
    report = ApplyReport.merge([first, *(reports[i] for i in sorted(reports))])
    print(f"Tenants: {report.summary}")
    return {"summary": report.summary, "kind_summary": report.kind_summary}


def main(argv: list[str]) -> None:
    """``deploy`` (the shard deployment on work pool ``activepieces``), ``serve`` (the shard
    deployment run by this process instead: one machine, no work pool) or ``run FILE``."""
    if argv[:1] == ["serve"]:
        apply_shard.serve(name="shards")
        return
    if argv[:1] == ["deploy"]:
        apply_shard.from_source(  # type: ignore[attr-defined]
            source=str(Path(__file__).resolve().parent), entrypoint="sharded.py:apply_shard"
        ).deploy(name="shards", work_pool_name="activepieces")
        return
    if argv[:1] == ["run"] and len(argv) >= 2:
        block = argv[argv.index("--credentials") + 1] if "--credentials" in argv else "activepieces"
        print(sharded_apply(argv[1], block))
        return
    sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
