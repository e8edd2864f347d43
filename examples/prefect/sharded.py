"""Onboard tens of thousands of tenants with Prefect: plan once, one flow run per shard, one
API budget across every worker. docs/scale-out.md explains the design.

``sharded_apply`` first starts one run of the ``apply-activepieces-shard/shards`` deployment
per shard (any worker of the deployment's work pool picks each one up), then plans the whole
document, applies its platform part (the piece sets it declares) once and writes each shard
where its run waits for it. A shard run's process start (``import prefect``: seconds) thus
overlaps the parent's planning instead of following it, and the parent's **head start**: until
the first shard run runs, the parent applies the shards a round at a time itself with the whole
budget (each shard is ``SLICES`` slices of its tenants, a round is one slice of each; each shard
keeps at least its last), so the budget does not sit idle while the workers start processes.
It writes each shard without the tenants it applied (``head_start=False``: it applies none).
When the parent fails before writing the shards (the plan failed, deletes more than
``max_deletions``, the platform part failed), it cancels the shard runs it started. Otherwise it waits for them all, starts a shard again
(``retried=True``: it plans its tenants again, so it writes only what is still missing) when
its run failed or crashed (its worker died), and merges the reports.

**The API budget** is the Prefect global concurrency limit ``activepieces-api``, created once;
its limit is the requests the Activepieces server may have in flight, across every worker::

    prefect gcl create activepieces-api --limit 16

Every flow that calls the API holds ``concurrency`` slots of it (``concurrency(...,
occupy=concurrency, strict=True)``, a flow parameter, default ``CONCURRENCY`` = 4) while it
sends at most that many requests at once, so at most ``16 // 4 = 4`` shards apply together and
at most 16 requests are in flight; the others wait for slots. A crashed run's slots come back
when its lease (``LEASE_SECONDS``) runs out. By default the parent makes ``limit //
concurrency`` shards: one wave uses the whole budget. Every shard run is a process start on a
worker (``import prefect``: ~3 s of CPU), so pick ``concurrency = limit // workers``: one shard
per worker (two workers: ``concurrency=8``, two shards).

The shards travel through the **result storage** (a shard of thousands of tenants is megabytes,
past the server's 512 KB limit on flow-run parameters): each shard run waits for its key there
(``shard_wait_seconds``, holding no slots meanwhile). So do the shard reports the parent
merges: the parent and every worker must read and write the same one. On one machine that is
``PREFECT_LOCAL_STORAGE_PATH`` (default ``~/.prefect/storage``); on several, a storage block::

    prefect block create s3-bucket   # or gcs-bucket, azure-blob-storage, remote-file-system
    export PREFECT_DEFAULT_RESULT_STORAGE_BLOCK=s3-bucket/activepieces-results  # parent+workers

Set up (the credentials block as in ``serve.py``)::

    prefect work-pool create activepieces --type process
    python examples/prefect/sharded.py deploy      # the shard deployment on that pool
    # on as many machines as you like; poll every second, not every 10 s (the default: up to
    # 10 s before a shard run starts, long after the parent's plan is done)
    PREFECT_WORKER_QUERY_SECONDS=1 prefect worker start --pool activepieces
    # the parent flow in this process, its shards on the workers (two: --concurrency 8)
    python examples/prefect/sharded.py run tenants.yaml --concurrency 8 \\
        --credentials activepieces-prod

Run the parent where you run the CLI (a terminal, a CI job), not as a deployment of its own: a
deployment's run would wait for a worker's poll and a process start (seconds) before it even
starts the shard runs.

Every tenant a prune deletes is archived first into ``archive`` (a flow parameter: a directory
or an fsspec URL such as ``s3://bucket/activepieces-archives`` every worker can write;
docs/archives.md).

(``python examples/prefect/sharded.py serve`` runs the shard deployment in that one process
instead of on a work pool: what the test does.)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import Flow, flow, get_run_logger
from prefect.concurrency.sync import concurrency

from prefect_activepieces import ActivepiecesCredentials

#: The global concurrency limit that holds the API budget (its limit = requests in flight).
LIMIT = "activepieces-api"
#: Requests one flow keeps in flight; each holds this many slots of the limit.
CONCURRENCY = 4
#: How long a run's slots stay taken if its process dies without releasing them.
LEASE_SECONDS = 60
#: Slices per shard. While the shard runs start (a worker's poll and a process start: seconds),
#: the parent applies one slice of every shard at a time itself, with the whole budget, until
#: one of them runs, and leaves each shard at least its last slice. At 10,000 tenants and two
#: shards a round is 625 tenants: about a second at 16 requests in flight.
SLICES = 16
#: How long a failing parent waits for the shard runs it cancels to end Cancelled (`_cancel`).
CANCEL_GRACE_SECONDS = 20.0
#: How often a shard run looks for its shard in the result storage.
SHARD_POLL_SECONDS = 0.2
SHARD_FLOW = "apply-activepieces-shard"
SHARD_DEPLOYMENT = f"{SHARD_FLOW}/shards"
#: Where pruned tenants are archived before their project is deleted (on the worker).
DEFAULT_ARCHIVE = str(Path.home() / "activepieces-archives")


def _credentials(credentials: ActivepiecesCredentials | str) -> ActivepiecesCredentials:
    if isinstance(credentials, str):
        block = ActivepiecesCredentials.load(credentials)
        assert isinstance(block, ActivepiecesCredentials)  # loaded in a sync context
        return block
    return credentials


def _budget(requests: int) -> Any:
    return concurrency(LIMIT, occupy=requests, strict=True, lease_duration=LEASE_SECONDS)


def _apply_again(
    client: Any, part: Any, tenant_file: str, *, concurrency: int, archive: str
) -> Any:
    """``part`` (a shard, or a round of the head start) planned again from ``tenant_file``
    and applied: after a failed or crashed attempt, only what is still missing is written."""
    from activepieces_core.tenants import apply
    from activepieces_core.tenants.shards import replan_shard

    fresh = replan_shard(client, part, tenant_file, concurrency=concurrency)
    return apply(client, fresh, concurrency=concurrency, check_stale=False, archive=archive)


def _wait_for_shard(key: str, timeout: float) -> dict[str, Any]:
    """The shard the parent writes under ``key`` once it is there (it plans after starting
    this run); TimeoutError after ``timeout`` s."""
    from prefect.results import ResultStore

    store, deadline = ResultStore(), time.monotonic() + timeout
    while True:
        # One read, not exists() then read(): each reads and decodes the whole record (a
        # shard is megabytes). Until the record is all written, reading it fails.
        try:
            shard: dict[str, Any] = store.read(key).result
            return shard
        except Exception as error:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"shard {key} not in the result storage after {timeout:g} s: the parent"
                    " run failed before writing it, or it writes to another result storage"
                ) from error
        time.sleep(SHARD_POLL_SECONDS)


@flow(name=SHARD_FLOW, persist_result=True)
def apply_shard(
    shard: str,
    tenant_file: str,
    credentials: str,
    retried: bool = False,
    archive: str = DEFAULT_ARCHIVE,
    concurrency: int = CONCURRENCY,
    wait_seconds: float = 300.0,
) -> str:
    """Apply one shard (a saved plan the parent writes to the result storage under the key
    ``shard``, waited for up to ``wait_seconds``) with ``concurrency`` requests in flight,
    archiving each tenant it deletes into ``archive`` first; when ``retried``, plan its
    tenants again first.

    Returns the report as JSON text: Prefect walks a returned collection looking for futures
    (half a second for a report of 5,000 tenants), not a string. Fails (so the parent starts
    it again) when a tenant failed.
    """
    from activepieces_core.tenants import TenantSyncError, apply

    logger = get_run_logger()
    waiting = time.monotonic()
    saved = _wait_for_shard(shard, wait_seconds)  # no slots held while the parent plans
    logger.info("shard found after %.1f s", time.monotonic() - waiting)
    with _budget(concurrency), _credentials(credentials).get_client() as client:
        logger.info("%d slots of %s held; applying", concurrency, LIMIT)
        applying, cpu = time.monotonic(), time.process_time()
        if retried:
            report = _apply_again(
                client, saved, tenant_file, concurrency=concurrency, archive=archive
            )
        else:
            report = apply(client, saved, concurrency=concurrency, archive=archive)
        logger.info(
            "applied in %.1f s (%.1f s of CPU)",
            time.monotonic() - applying,
            time.process_time() - cpu,
        )
    if not report.ok:
        raise TenantSyncError.from_report(report, what="shard")
    return json.dumps(report.to_dict())


def _limit() -> int:
    """The budget: the limit's slots (requests in flight across every worker)."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as api:
        return int(api.read_global_concurrency_limit_by_name(LIMIT).limit)


def _runs(api: Any, run_ids: list[UUID]) -> list[Any]:
    """The flow runs ``run_ids`` as they are now (one API call)."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    return list(api.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=run_ids))))


def _finished(api: Any, run_ids: list[UUID]) -> list[Any]:
    """Those of the flow runs ``run_ids`` that reached a final state (one API call)."""
    return [run for run in _runs(api, run_ids) if run.state is not None and run.state.is_final()]


def _started(run: Any) -> bool:
    """Whether a shard run is running (or already over): about to read its shard."""
    return run.state is not None and (run.state.is_running() or run.state.is_final())


def _head_start(
    client: Any,
    slices: Any,
    first: Any,
    count: int,
    started: list[UUID],
    *,
    tenant_file: str,
    concurrency: int,
    archive: str,
    attempts: int,
) -> tuple[list[Any], set[str]]:
    """Apply the shards a round at a time (``slices``: the plan in ``count x SLICES`` parts;
    part ``j`` belongs to shard ``j % count``; round ``r`` is each shard's slice ``r``) until
    one of the shard runs ``started`` runs, all but each shard's last slice. Whole rounds keep
    what is left of the shards even, each applied with ``concurrency`` requests in flight. A
    round that fails is planned again and applied again (``attempts`` times in all). The
    reports and the tenants done."""
    from prefect.client.orchestration import get_client

    from activepieces_core.tenants import TenantSyncError, apply

    reports: list[Any] = []
    done: set[str] = set()
    with get_client(sync_client=True) as api:
        for r in range(SLICES - 1):
            if any(_started(run) for run in _runs(api, started)):
                break  # a shard run is up: the rest is the shard runs'
            parts = [slices.shard(r * count + i, after=first) for i in range(count)]
            changes = [change for part in parts for change in part.changes]
            if not changes:
                continue
            round_ = parts[0].model_copy(update={"changes": changes})
            report = apply(client, round_, concurrency=concurrency, archive=archive)
            for _ in range(attempts - 1):
                if report.ok:
                    break
                report = _apply_again(
                    client, round_, tenant_file, concurrency=concurrency, archive=archive
                )
            if not report.ok:
                raise TenantSyncError.from_report(report, what="head start")
            reports.append(report)
            done.update(c.external_id for c in changes)
    return reports, done


def _cancel(run_ids: list[UUID]) -> None:
    """Cancel the flow runs ``run_ids`` (as ``prefect flow-run cancel`` does): a run no worker
    took yet ends Cancelled at once, a started one once its worker stopped its process.

    One that never ran and is still Cancelling after `CANCEL_GRACE_SECONDS` is set Cancelled:
    Prefect 3.9's runner, cancelled after it started a run's process and before that run went
    Pending, stops the process and leaves the run Cancelling for good (its proposal of Pending
    is refused and nothing marks it; seen in CI)."""
    from prefect.client.orchestration import get_client
    from prefect.states import Cancelled, Cancelling

    logger = get_run_logger()
    with get_client(sync_client=True) as api:
        for run_id in run_ids:
            # The parent is failing already: its own error is the one to report.
            try:
                api.set_flow_run_state(run_id, Cancelling())
            except Exception as error:
                logger.warning("could not cancel shard run %s: %s", run_id, error)
        waiting = list(run_ids)
        deadline = time.monotonic() + CANCEL_GRACE_SECONDS
        while True:  # a run no worker took is Cancelled already: no wait for it
            over = {run.id for run in _finished(api, waiting)}
            waiting = [run_id for run_id in waiting if run_id not in over]
            if not waiting or time.monotonic() >= deadline:
                break
            time.sleep(0.5)
        runs = _runs(api, waiting) if waiting else []
        for run in [r for r in runs if r.state is not None and r.state.is_cancelling()]:
            if any(state.is_running() for state in api.read_flow_run_states(run.id)):
                logger.warning("shard run %s is still Cancelling: its worker stops it", run.id)
                continue
            try:
                api.set_flow_run_state(
                    run.id, Cancelled(message="Cancelled before it ran"), force=True
                )
            except Exception as error:
                logger.warning("could not cancel shard run %s: %s", run.id, error)


@flow(name="sharded-activepieces-apply", log_prints=True)
def sharded_apply(
    tenant_file: str,
    credentials: str,
    shards: int | None = None,
    prune: bool = False,
    max_deletions: int = 5,
    attempts: int = 3,
    deployment: str = SHARD_DEPLOYMENT,
    poll_seconds: float = 0.25,
    archive: str = DEFAULT_ARCHIVE,
    concurrency: int = CONCURRENCY,
    shard_wait_seconds: float = 300.0,
    head_start: bool = True,
) -> dict[str, Any]:
    """Start every shard as its own flow run of ``deployment``, plan ``tenant_file``, apply
    the platform part, apply slices of the shards with the whole budget until a shard run
    starts (``head_start``), write the rest of each shard (each run waits up to
    ``shard_wait_seconds`` for its own), run each ``attempts`` times at most with
    ``concurrency`` requests in flight, and merge their reports. Each tenant the prune deletes
    is archived into ``archive`` first. The shard runs are cancelled when the parent fails
    before writing the shards.

    ``shards`` defaults to one wave that uses the whole budget: the limit // ``concurrency``.
    The result's ``parent_tenants`` counts the tenants the parent applied itself."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment
    from prefect.results import ResultStore
    from prefect.runtime import flow_run

    from activepieces_core.tenants import ApplyReport, TenantSyncError, apply, load_document, plan
    from activepieces_core.tenants.shards import shard_plan

    logger = get_run_logger()
    # A shard of thousands of tenants is megabytes: past the server's limit for flow-run
    # parameters (512 KB). It travels through the result storage; the run gets its key.
    store, parent_id = ResultStore(), flow_run.get_id()
    limit = _limit()
    count = shards or max(1, limit // concurrency)
    keys = [f"activepieces-shard-{parent_id}-{i}" for i in range(count)]

    def start(index: int, retried: bool) -> UUID:
        parameters = {
            "shard": keys[index],
            "tenant_file": tenant_file,
            "credentials": credentials,
            "retried": retried,
            "archive": archive,
            "concurrency": concurrency,
            "wait_seconds": shard_wait_seconds,
        }
        run = run_deployment(deployment, parameters=parameters, timeout=0)
        assert isinstance(run, FlowRun)  # called in a sync context: not a coroutine
        return run.id

    # The shard runs start first: their process start overlaps the planning below.
    started: list[UUID] = []
    try:
        started.extend(start(i, False) for i in range(count))
        head: list[Any] = []
        done: set[str] = set()
        with _credentials(credentials).get_client() as client:
            with _budget(concurrency):
                saved = plan(
                    client, load_document(tenant_file), prune=prune, concurrency=concurrency
                )
                sharded = shard_plan(saved, count, max_deletions=max_deletions)
                first = apply(client, sharded.platform, concurrency=concurrency, archive=archive)
            if not first.ok:
                raise TenantSyncError.from_report(first, what="platform part")
            if head_start:
                # A tenant's slice is in its shard: sha256 % (count x SLICES) % count is
                # sha256 % count (shard_of).
                slices = shard_plan(saved, count * SLICES)
                with _budget(limit):  # no shard run applies before its shard is written
                    head, done = _head_start(
                        client,
                        slices,
                        first,
                        count,
                        started,
                        tenant_file=tenant_file,
                        concurrency=limit,
                        archive=archive,
                        attempts=attempts,
                    )
        for index, key in enumerate(keys):
            shard = sharded.shard(index, after=first)
            rest = [c for c in shard.changes if c.external_id not in done]
            store.write(shard.model_copy(update={"changes": rest}).to_dict(), key=key)
    except BaseException:
        _cancel(started)  # nothing for them to apply: none waits out its timeout
        raise
    logger.info(
        "%s planned; %d tenants applied while the shard runs started; %d shards saved",
        saved.summary,
        len(done),
        count,
    )

    running = dict(zip(started, range(count), strict=True))
    tries = dict.fromkeys(range(len(keys)), 1)
    reports: dict[int, str] = {}
    with get_client(sync_client=True) as api:
        while running:
            time.sleep(poll_seconds)
            for run in _finished(api, list(running)):
                index = running.pop(run.id)
                if run.state.is_completed():
                    reports[index] = run.state.result()
                elif tries[index] < attempts:
                    logger.warning("shard %d ended %s; starting it again", index, run.state.name)
                    tries[index] += 1
                    running[start(index, True)] = index
                else:
                    raise RuntimeError(f"shard {index} did not complete in {attempts} attempts")
    shard_reports = [json.loads(reports[i]) for i in sorted(reports)]
    report = ApplyReport.merge([first, *head, *shard_reports])
    print(f"Tenants: {report.summary}")
    return {
        "summary": report.summary,
        "kind_summary": report.kind_summary,
        "parent_tenants": len(done),
    }


def main(argv: list[str]) -> None:
    """``deploy`` (the shard deployment on work pool ``activepieces``), ``serve`` (the shard
    deployment run by this process instead: one machine, no work pool) or ``run FILE
    [--credentials BLOCK] [--concurrency C] [--shards N]`` (the parent flow in this process)."""
    if argv[:1] == ["serve"]:
        apply_shard.serve(name="shards")
        return
    if argv[:1] == ["deploy"]:
        shard_flow = apply_shard.from_source(
            source=str(Path(__file__).resolve().parent), entrypoint="sharded.py:apply_shard"
        )
        assert isinstance(shard_flow, Flow)  # called in a sync context: not a coroutine
        shard_flow.deploy(name="shards", work_pool_name="activepieces")
        return
    if argv[:1] == ["run"]:
        parser = argparse.ArgumentParser(prog="sharded.py run")
        parser.add_argument("tenant_file")
        parser.add_argument("--credentials", default="activepieces", help="a block's name")
        parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
        parser.add_argument("--shards", type=int, help="default: one wave (limit // C)")
        args = parser.parse_args(argv[1:])
        print(
            sharded_apply(
                args.tenant_file,
                args.credentials,
                shards=args.shards,
                concurrency=args.concurrency,
            )
        )
        return
    sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
