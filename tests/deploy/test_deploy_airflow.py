"""The example DAGs on a production-shaped Airflow: CeleryExecutor, Redis, PostgreSQL.

Separate processes: api-server, scheduler, dag-processor, triggerer and two Celery workers;
PostgreSQL as the metadata database and Celery's result backend, Redis as the broker (both
started by the test, see ``backing_services``). The connection comes from an
``AIRFLOW_CONN_*`` variable; DAG runs are triggered and read back through the public REST API
with a JWT from SimpleAuthManager. This is where operators are serialised, mapped tasks land on
different workers, XCom payloads meet a real database (or, past 64 KiB, object storage) and
triggers run in another process than the task that deferred. Once every process has stopped, the logs, task logs, a ``pg_dump`` of
the database and a snapshot of the broker are searched for the key.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from airflow_deployment import (
    API_POOL,
    ONBOARDING,
    REVIEW,
    SENSOR,
    SHARDED,
    TEARDOWN,
    TENANTS_FILE,
    Airflow,
    running_airflow,
)
from backing_services import Postgres, Redis, require_modules
from deploy_support import Stopwatch, assert_key_absent, key_needles
from service_processes import wait_for
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

#: Two API tasks of 4 requests at once, across both workers (which have 8 task slots).
BUDGET = 8


@pytest.fixture(scope="module")
def airflow(
    deploy_dir: Path, emulator: Emulator, postgres: Postgres, redis: Redis
) -> Iterator[Airflow]:
    require_modules("airflow.providers.celery", "psycopg2")
    # The documents here are small: at 4 KiB their shards go through object storage too, and
    # what the tests read back over REST (reports, projects) stays in the database.
    small = {"AIRFLOW__COMMON_IO__XCOM_OBJECTSTORAGE_THRESHOLD": "4096"}
    with running_airflow(
        deploy_dir, emulator, postgres, redis, budget=BUDGET, extra_env=small
    ) as deployment:
        yield deployment
    # Every process stopped: its logs are complete; the broker and the database are scanned too.
    redis.save()
    postgres.dump("airflow", deploy_dir / "airflow.sql")
    dump = (deploy_dir / "airflow.sql").read_text(errors="replace")
    assert f"{ONBOARDING}" in dump, "the dump holds no DAG run: nothing was scanned"
    assert (deploy_dir / "redis" / "dump.rdb").is_file()
    assert_key_absent(deploy_dir, emulator.api_key, [*deployment.services, *deployment.killed])
    objects = sorted((deployment.home / "xcom").rglob("*.gz"))
    assert objects, "no XCom went to object storage: nothing was scanned there"
    needles = key_needles(emulator.api_key).values()
    leaks = [o for o in objects if any(n in gzip.decompress(o.read_bytes()) for n in needles)]
    assert leaks == [], f"the API key is in the XCom objects {leaks}"


def test_onboarding_defers_through_the_triggerer_then_teardown(
    airflow: Airflow, emulator: Emulator, deploy_dir: Path
) -> None:
    api = airflow.api
    tenants = [spec.external_id for spec in load_tenants(TENANTS_FILE)]
    host = urlsplit(emulator.url).netloc

    # min_active_flows=1: new projects have no active flow, so every sensor defers.
    clock = Stopwatch()
    run_id = api.trigger(ONBOARDING, {"min_active_flows": 1})

    def sensors_deferred() -> list[dict[str, Any]] | None:
        sensors = [
            ti
            for ti in api.task_instances(ONBOARDING, run_id)
            if ti["task_id"] == SENSOR and ti["map_index"] >= 0
        ]
        done = len(sensors) == len(tenants) and all(ti["state"] == "deferred" for ti in sensors)
        return sensors if done else None

    deferred = wait_for(
        sensors_deferred, timeout=120, what="every sensor deferred", services=airflow.services
    )
    clock.mark("every sensor deferred")
    for ti in deferred:
        assert ti["trigger"]["classpath"].endswith("ActivepiecesProjectTrigger"), ti
    # Projects exist, deferred sensors hold no worker slot: nothing but the triggerer polls.
    assert sorted(p["externalId"] for p in emulator.state.projects(types=["TEAM"])) == sorted(
        tenants
    )
    # Airflow 3.3.2 fails a resumed task whose defer-exit event the scheduler drains only after
    # the resumed try started (apache/airflow#72716): let the triggers fire only once the
    # scheduler has seen every sensor's worker exit.
    wait_for(
        lambda: airflow.defer_exits_seen(ONBOARDING, run_id, SENSOR) == set(range(len(tenants))),
        timeout=60,
        what="the scheduler draining the defer exits",
        services=airflow.services,
    )

    clock.mark("the scheduler saw every defer exit")

    def trigger_logs_contain(text: str) -> bool:
        return all(
            text in api.log(ONBOARDING, run_id, SENSOR, index, 1) for index in range(len(tenants))
        )

    # Each trigger polls from the triggerer process (its lines land in the task's log).
    wait_for(
        lambda: trigger_logs_contain("Waiting: "),
        timeout=60,
        what="every trigger polling",
        services=airflow.services,
    )
    clock.mark("every trigger polled")
    # An API outage while deferred: each trigger's client gives up on 503s, the trigger polls on.
    emulator.faults.set(rate=1.0, kinds=["503"])
    try:
        wait_for(
            lambda: trigger_logs_contain("Still polling after transient API error"),
            timeout=60,
            what="every trigger polling through the outage",
            services=airflow.services,
        )
    finally:
        emulator.faults.clear()
    clock.mark("every trigger polled through the outage")
    sensors = [ti for ti in api.task_instances(ONBOARDING, run_id) if ti["task_id"] == SENSOR]
    assert {ti["state"] for ti in sensors} == {"deferred"}
    # Held by the triggerer process, not by a worker.
    assert {(ti["triggerer_job"] or {}).get("job_type") for ti in sensors} == {"TriggererJob"}

    # Every tenant builds a flow: the triggers fire and the sensors resume on a worker.
    for project in emulator.state.projects(types=["TEAM"]):
        emulator.state.set_analytics(project["id"], active_flows=1)
    airflow.wait_for_run(ONBOARDING, run_id)
    clock.mark("onboarding run succeeded")

    instances = api.task_instances(ONBOARDING, run_id)
    assert {ti["state"] for ti in instances} == {"success"}
    ids = {p["externalId"]: p["id"] for p in emulator.state.projects(types=["TEAM"])}
    for index in range(len(tenants)):
        # Resumed within the same try (a deferral is no retry), and the trigger's own log lines
        # (written by the triggerer process) are part of the task's log.
        tries = api.tries(ONBOARDING, run_id, SENSOR, index)
        assert [(t["try_number"], t["state"]) for t in tries] == [(1, "success")]
        log = api.log(ONBOARDING, run_id, SENSOR, index, 1)
        assert "Pausing task as DEFERRED" in log
        assert "Trigger fired event" in log
        # execute_complete returned the project the trigger saw.
        project = api.xcom(ONBOARDING, run_id, SENSOR, map_index=index)
        assert project["externalId"] == tenants[index]
        assert project["analytics"]["activeFlows"] == 1
        # The "Activepieces Project" button survives the deferral (set by the resumed try).
        link = api.extra_links(ONBOARDING, run_id, SENSOR, index)["Activepieces Project"]
        assert link.startswith(emulator.base_url + "/"), link
        assert ids[tenants[index]] in link, link

    # One asset event per created tenant, through the alias.
    events = api.asset_events(source_dag_id=ONBOARDING, source_run_id=run_id)
    assert sorted(e["uri"] for e in events) == sorted(
        f"activepieces://{host}/projects/{eid}" for eid in tenants
    )
    assert {e["extra"]["external_id"]: e["extra"]["project_id"] for e in events} == ids
    assert {e["extra"]["action"] for e in events} == {"create"}

    report = api.xcom(ONBOARDING, run_id, "report")
    assert report["projects"] == ids
    assert report["summary"]["create"] == len(tenants), report["summary"]

    # Teardown of every tenant of the file (the DAG's default).
    teardown_id = api.trigger(TEARDOWN, {})
    airflow.wait_for_run(TEARDOWN, teardown_id)
    clock.mark("teardown run succeeded")
    report = api.xcom(TEARDOWN, teardown_id, "report")
    assert report == {"deleted": sorted(tenants), "missing": [], "failed": []}
    assert emulator.state.projects(types=["TEAM"]) == []

    # No process log, task log or database of the deployment holds the key (checked again once
    # every process has stopped).
    assert_key_absent(deploy_dir, emulator.api_key, airflow.services)


def test_review_applies_the_plan_only_once_a_person_approves(
    airflow: Airflow, emulator: Emulator, deploy_dir: Path
) -> None:
    """Human-in-the-loop on the deployment: the plan waits for an answer given over REST."""
    api = airflow.api
    document = write_document(deploy_dir / "review.json", "review", 3)
    tenants = external_ids(document)
    run_id = api.trigger(REVIEW, {"tenants_file": str(document)})
    hitl = f"/dags/{REVIEW}/dagRuns/{run_id}/taskInstances/approve/-1/hitlDetails"

    def asking() -> dict[str, Any] | None:
        try:
            detail: dict[str, Any] = api.get(hitl)
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code == 404:  # not asked yet
                return None
            raise
        return detail

    detail = wait_for(asking, timeout=120, what="the approval asked", services=airflow.services)
    assert detail["options"] == ["Approve", "Reject"], detail
    # The reviewer sees every tenant of the plan, and nothing is applied before the answer.
    summary = api.xcom(REVIEW, run_id, "plan", key="plan_summary")
    assert all(eid in summary for eid in tenants), summary

    def reviewed() -> list[str]:
        projects = emulator.state.projects(types=["TEAM"])
        return sorted(p["externalId"] for p in projects if p["externalId"].startswith("review-"))

    assert reviewed() == []

    api.send("PATCH", hitl, {"chosen_options": ["Approve"], "params_input": {}})
    airflow.wait_for_run(REVIEW, run_id)
    assert reviewed() == tenants
    states = {ti["task_id"]: ti["state"] for ti in api.task_instances(REVIEW, run_id)}
    assert states == {"plan": "success", "approve": "success", "apply": "success"}


def test_sharded_apply_spreads_over_the_workers_within_the_pool_budget(
    airflow: Airflow, emulator: Emulator, deploy_dir: Path
) -> None:
    api = airflow.api
    document = write_document(deploy_dir / "sharded.json", "shard", 40)
    emulator.faults.set("*", latency=0.05)  # requests overlap: the budget is what limits them
    httpx.post(
        f"{emulator.base_url}/__emulator/stats/reset",
        headers={"Authorization": f"Bearer {emulator.api_key}"},
    ).raise_for_status()
    try:
        run_id = api.trigger(SHARDED, {"tenants_file": str(document), "shards": 4})
        airflow.wait_for_run(SHARDED, run_id, timeout=180)
    finally:
        emulator.faults.clear()

    stats = emulator_stats(emulator)
    print(f"emulator stats: {stats}")
    assert 0 < stats["max_in_flight"] <= BUDGET, stats
    shards = [ti for ti in api.task_instances(SHARDED, run_id) if ti["task_id"] == "apply_shard"]
    assert sorted(ti["map_index"] for ti in shards) == [0, 1, 2, 3]
    assert {ti["state"] for ti in shards} == {"success"}
    assert {ti["pool"] for ti in shards} == {API_POOL}
    # Every tenant once; the merged report counts as one apply of the whole plan.
    present = [p["externalId"] for p in emulator.state.projects(types=["TEAM"])]
    assert sorted(e for e in present if e.startswith("shard-")) == external_ids(document)
    assert duplicates(emulator) == {"projects": [], "piece sets": [], "invitations": []}
    merged = api.xcom(SHARDED, run_id, "merge")
    assert merged["summary"]["create"] == 40, merged


def test_a_worker_killed_mid_shard_is_retried_and_the_platform_ends_as_planned(
    airflow: Airflow, emulator: Emulator, deploy_dir: Path
) -> None:
    """SIGKILL the Celery worker applying a shard: its task stops heartbeating, the scheduler
    fails that try (20 s threshold), the surviving worker retries the shard (planned again)."""
    api = airflow.api
    emulator.state.configure_platform(manage_pieces_enabled=True)
    document = write_document(deploy_dir / "dead.json", "dead", 24, piece_sets=True)
    others = platform_state(emulator)["projects"]  # the earlier tests' tenants: not in the plan
    emulator.faults.set("*", latency=0.4)  # a shard takes seconds: time to kill its worker
    try:
        run_id = api.trigger(SHARDED, {"tenants_file": str(document), "shards": 2})

        def applying() -> dict[str, Any] | None:
            projects = emulator.state.projects(types=["TEAM"])
            if not any(p["externalId"].startswith("dead-") for p in projects):
                return None  # no shard has written yet
            running = [
                ti
                for ti in api.task_instances(SHARDED, run_id)
                if ti["task_id"] == "apply_shard" and ti["state"] == "running" and ti["pid"]
            ]
            return running[0] if running else None

        victim = wait_for(
            applying, timeout=120, interval=0.2, what="a shard writing", services=airflow.services
        )
        killed = airflow.kill_worker_running(victim["pid"])
        written = {
            p["externalId"]
            for p in emulator.state.projects(types=["TEAM"])
            if p["externalId"].startswith("dead-")
        }
        airflow.wait_for_run(SHARDED, run_id, timeout=180)
    finally:
        emulator.faults.clear()

    assert killed.process is not None
    assert killed.process.returncode == -9
    assert 0 < len(written) < 24, "the worker was killed before or after the apply"
    # The killed shard: its first try ended without success, a later one succeeded.
    tries = api.tries(SHARDED, run_id, "apply_shard", victim["map_index"])
    assert len(tries) >= 2, tries
    assert tries[0]["state"] != "success", tries
    assert tries[-1]["state"] == "success", tries
    assert_ends_as_planned(emulator, document, "dead-", others)
