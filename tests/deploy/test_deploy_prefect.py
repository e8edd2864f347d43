"""The flows on a production-shaped Prefect: the server on PostgreSQL, two workers on one pool.

``prefect server start`` with ``PREFECT_API_DATABASE_CONNECTION_URL`` on asyncpg (PostgreSQL
started by the test, see ``backing_services``), and two process workers polling the same work
pool. The credentials block type is registered with the CLI, a block is saved, the flows are
deployed from the installed package and run through the server's API; whichever worker picks a
run starts it in a process of its own, loading the block by name. Once every process has
stopped, the logs and a ``pg_dump`` of the server's database are searched for the key.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from backing_services import Postgres
from deploy_support import REPO, Stopwatch, assert_key_absent
from prefect_deployment import BLOCK, Prefect, running_prefect
from service_processes import Service, wait_for
from sharding_support import (
    assert_ends_as_planned,
    duplicates,
    emulator_stats,
    external_ids,
    platform_state,
    write_document,
)

from activepieces_core.tenants import load_tenants
from activepieces_core.testing import Emulator

pytestmark = [pytest.mark.deploy, pytest.mark.timeout(420)]

TENANTS_FILE = REPO / "examples" / "tenants.yaml"
ARTIFACTS = "activepieces-tenants"  # the flows' default artifact key prefix
WORKERS = 2
#: Two shards of 4 requests at once, across both workers.
BUDGET = 8


def table(artifact: dict[str, Any]) -> list[dict[str, Any]]:
    data = artifact["data"]
    rows: list[dict[str, Any]] = json.loads(data) if isinstance(data, str) else data
    return rows


@pytest.fixture(scope="module")
def prefect(deploy_dir: Path, emulator: Emulator, postgres: Postgres) -> Iterator[Prefect]:
    with running_prefect(
        deploy_dir, emulator, postgres, workers=WORKERS, budget=BUDGET
    ) as deployment:
        yield deployment
        services = deployment.services
    # Stopped: every log is complete now, and the database holds all it will.
    postgres.dump("prefect", deploy_dir / "prefect.sql")
    dump = (deploy_dir / "prefect.sql").read_text(errors="replace")
    assert BLOCK in dump, "the dump holds no block document: nothing was scanned"
    assert_key_absent(deploy_dir, emulator.api_key, services)


def test_flows_deployed_to_a_process_work_pool(
    prefect: Prefect, emulator: Emulator, deploy_dir: Path
) -> None:
    api = prefect.api
    tenants = [spec.external_id for spec in load_tenants(TENANTS_FILE)]

    # The block type came from `prefect block register`, the document holds the key masked.
    block = api.call(
        "GET", f"/block_types/slug/activepieces-credentials/block_documents/name/{BLOCK}"
    )
    assert block["data"]["api_key"] == "********"

    clock = Stopwatch()
    sync = prefect.run("sync_tenants", tenants=str(TENANTS_FILE))
    clock.mark("sync_tenants completed")
    ids = {p["externalId"]: p["id"] for p in emulator.state.projects(types=["TEAM"])}
    assert sorted(ids) == sorted(tenants)
    artifacts = api.artifacts(sync["id"])
    plan = table(artifacts[f"{ARTIFACTS}-plan"])
    assert {row["external_id"] for row in plan} == set(tenants)
    assert {row["action"] for row in plan} == {"create"}
    report = table(artifacts[f"{ARTIFACTS}-report"])
    assert {r["external_id"]: (r["status"], r["project_id"]) for r in report} == {
        eid: ("succeeded", pid) for eid, pid in ids.items()
    }
    assert f"{ARTIFACTS}-summary" in artifacts
    # The run stored the block's name, not the key.
    assert sync["parameters"]["credentials"] == BLOCK

    onboard = prefect.run("onboard_tenant", external_id="wayne", display_name="Wayne Enterprises")
    clock.mark("onboard_tenant completed")
    wayne = emulator.state.projects(types=["TEAM"])
    assert {p["externalId"]: p["displayName"] for p in wayne}["wayne"] == "Wayne Enterprises"
    notes = [a for a in api.artifacts(onboard["id"]).values() if a["type"] == "markdown"]
    assert len(notes) == 1
    assert "wayne" in notes[0]["data"]
    assert "created" in notes[0]["data"]

    everyone = [*tenants, "wayne", "never-onboarded"]
    archives = deploy_dir / "archives"  # every deleted tenant is archived first (issue 20)
    teardown = prefect.run("teardown_tenants", external_ids=everyone, archive=str(archives))
    clock.mark("teardown_tenants completed")
    assert emulator.state.projects(types=["TEAM"]) == []
    assert sorted(p.name for p in archives.glob("*.json")) == sorted(
        f"{external_id}.json" for external_id in [*tenants, "wayne"]
    )
    artifacts = api.artifacts(teardown["id"])
    rows = table(artifacts[f"{ARTIFACTS}-teardown"])
    assert {r["external_id"]: r["status"] for r in rows} == {
        **dict.fromkeys([*tenants, "wayne"], "deleted"),
        "never-onboarded": "missing",
    }
    assert f"{ARTIFACTS}-teardown-summary" in artifacts

    # No process log or database of the deployment holds the key (checked again once every
    # process has stopped).
    assert_key_absent(deploy_dir, emulator.api_key, prefect.services)


def test_sharded_flow_runs_shards_on_both_workers_within_the_global_limit(
    prefect: Prefect, emulator: Emulator, deploy_dir: Path
) -> None:
    document = write_document(deploy_dir / "sharded.json", "shard", 40)
    emulator.faults.set("*", latency=0.05)  # requests overlap: the budget is what limits them
    emulator.app.stats.reset()
    try:
        parent = prefect.run(
            "sharded_apply",
            timeout=180,
            tenant_file=str(document),
            credentials=BLOCK,
            shards=4,
            poll_seconds=0.5,
        )
    finally:
        emulator.faults.clear()

    stats = emulator_stats(emulator)
    print(f"emulator stats: {stats}")
    assert 0 < stats["max_in_flight"] <= BUDGET, stats
    shards = prefect.shard_runs()
    assert len(shards) == 4
    assert {run["state"]["type"] for run in shards} == {"COMPLETED"}
    print("shards by worker:", sorted(run.get("work_queue_name") or "" for run in shards))
    present = [p["externalId"] for p in emulator.state.projects(types=["TEAM"])]
    assert sorted(e for e in present if e.startswith("shard-")) == external_ids(document)
    assert duplicates(emulator) == {"projects": [], "piece sets": [], "invitations": []}
    # The run's process ships its logs in batches: its last lines may reach the server just
    # after the run's COMPLETED state does. The wait ends only a failure.
    deadline = time.monotonic() + 60
    logs = "\n".join(prefect.api.logs(parent["id"]))
    while "'create': 40" not in logs and time.monotonic() < deadline:
        time.sleep(0.5)
        logs = "\n".join(prefect.api.logs(parent["id"]))
    assert "'create': 40" in logs, logs


def flow_run_process(services: list[Service], flow_run_id: str) -> psutil.Process | None:
    """The process a worker started for ``flow_run_id`` (its environment names the run)."""
    for service in services:
        if not service.name.startswith("prefect-worker") or service.process is None:
            continue
        for child in psutil.Process(service.process.pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if child.environ().get("PREFECT__FLOW_RUN_ID") == flow_run_id:
                    return child
    return None


def test_a_killed_shard_run_is_started_again_and_the_platform_ends_as_planned(
    prefect: Prefect, emulator: Emulator, deploy_dir: Path
) -> None:
    """SIGKILL the process a worker started for a shard's flow run while it applies: the worker
    reports the run crashed, the parent starts the shard again (planned again)."""
    emulator.state.configure_platform(manage_pieces_enabled=True)
    document = write_document(deploy_dir / "dead.json", "dead", 24, piece_sets=True)
    others = platform_state(emulator)["projects"]  # the earlier tests' tenants: not in the plan
    emulator.faults.set("*", latency=0.4)  # a shard takes seconds: time to kill it
    before = {run["id"] for run in prefect.shard_runs()}
    try:
        # No shard count: the flow makes one wave, the limit // its concurrency = 8 // 4. No
        # head start: the shard runs write every tenant, so the kill lands mid-shard.
        parent_id = prefect.start(
            "sharded_apply", tenant_file=str(document), credentials=BLOCK, head_start=False
        )

        def applying() -> psutil.Process | None:
            projects = emulator.state.projects(types=["TEAM"])
            if not any(p["externalId"].startswith("dead-") for p in projects):
                return None  # no shard has written yet
            for run in prefect.shard_runs():
                if run["id"] not in before and run["state"]["type"] == "RUNNING":
                    return flow_run_process(prefect.services, run["id"])
            return None

        victim = wait_for(
            applying, timeout=120, interval=0.2, what="a shard writing", services=prefect.services
        )
        victim_run = victim.environ()["PREFECT__FLOW_RUN_ID"]
        for process in [victim, *victim.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        written = {
            p["externalId"]
            for p in emulator.state.projects(types=["TEAM"])
            if p["externalId"].startswith("dead-")
        }
        parent = prefect.wait("sharded_apply", parent_id, timeout=240)
    finally:
        emulator.faults.clear()

    assert 0 < len(written) < 24, "the run was killed before or after the apply"
    assert prefect.api.flow_run(victim_run)["state"]["type"] == "CRASHED"
    runs = [run for run in prefect.shard_runs() if run["id"] not in before]
    assert len(runs) == 3, runs  # two shards, one of them started again
    assert parent["state"]["type"] == "COMPLETED"
    assert_ends_as_planned(emulator, document, "dead-", others)
