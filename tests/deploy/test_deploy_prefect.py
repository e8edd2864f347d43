"""The flows on a production-shaped Prefect: the server on PostgreSQL, two workers on one pool.

``prefect server start`` with ``PREFECT_API_DATABASE_CONNECTION_URL`` on asyncpg (PostgreSQL
started by the test, see ``backing_services``), and two process workers polling the same work
pool. The credentials block type is registered with the CLI, a block is saved, the flows are
deployed from the installed package and run through the server's API; whichever worker picks a
run starts it in a process of its own, loading the block by name. Once every process has
stopped, the logs and a ``pg_dump`` of the server's database are searched for the key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from backing_services import Postgres, require_modules
from deploy_support import BIN, REPO, PrefectAPI, Stopwatch, assert_key_absent
from service_processes import Service, clean_env, free_port, run_command, stop_all, wait_for

from activepieces_core.tenants import load_tenants
from activepieces_core.testing import Emulator

pytestmark = [pytest.mark.deploy, pytest.mark.timeout(240)]

TENANTS_FILE = REPO / "examples" / "tenants.yaml"
SETUP_SCRIPT = Path(__file__).resolve().parent / "prefect_setup.py"
POOL = "deploy-test-pool"
BLOCK = "deploy-test-activepieces"
ARTIFACTS = "activepieces-tenants"  # the flows' default artifact key prefix
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
# No UI, no schedules: only the API, the worker polls and the event services run.
SERVER_FLAGS = ("--no-ui", "--no-scheduler", "--no-late-runs")
WORKERS = 2
WORKER_LIMIT = 4  # flow runs at once per worker


class Prefect:
    """The running deployment: its REST API, processes and deployment ids by flow."""

    def __init__(
        self, api: PrefectAPI, services: list[Service], deployments: dict[str, str]
    ) -> None:
        self.api = api
        self.services = services
        self.deployments = deployments

    def run(self, flow: str, timeout: float = 90, **parameters: Any) -> dict[str, Any]:
        """Run ``flow``'s deployment (as ``run_deployment`` does) and wait for a final state."""
        run_id = self.api.run_deployment(self.deployments[flow], parameters)

        def finished() -> dict[str, Any] | None:
            run = self.api.flow_run(run_id)
            return run if run["state"]["type"] in TERMINAL else None

        run = wait_for(
            finished, timeout=timeout, what=f"{flow} run {run_id}", services=self.services
        )
        if run["state"]["type"] != "COMPLETED":
            logs = "\n".join(self.api.logs(run_id))
            raise AssertionError(f"{flow} run ended {run['state']}:\n{logs}")
        return run


def table(artifact: dict[str, Any]) -> list[dict[str, Any]]:
    data = artifact["data"]
    rows: list[dict[str, Any]] = json.loads(data) if isinstance(data, str) else data
    return rows


def worker(index: int, env: dict[str, str], home: Path, logs: Path) -> Service:
    """``prefect worker start`` number ``index`` on the shared pool."""
    return Service(
        f"prefect-worker-{index}",
        [
            *(str(BIN / "prefect"), "worker", "start", "--pool", POOL, "--type", "process"),
            *("--name", f"deploy-test-worker-{index}", "--limit", str(WORKER_LIMIT)),
        ],
        env=env,
        cwd=home,
        log_dir=logs,
    )


@pytest.fixture(scope="module")
def prefect(deploy_dir: Path, emulator: Emulator, postgres: Postgres) -> Iterator[Prefect]:
    require_modules("asyncpg")
    home, logs = deploy_dir / "prefect", deploy_dir / "logs"
    home.mkdir()
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    postgres.create_database("prefect")
    env = clean_env(
        PREFECT_HOME=str(home),
        PREFECT_API_DATABASE_CONNECTION_URL=postgres.url("prefect", "postgresql+asyncpg"),
        PREFECT_API_URL=api_url,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        # Only this collection's block type is needed; registering Prefect's own ~40 at every
        # start costs seconds on two cores.
        PREFECT_SERVER_REGISTER_BLOCKS_ON_START="false",
        PREFECT_WORKER_QUERY_SECONDS="1",
    )
    prefect_bin = str(BIN / "prefect")
    server = Service(
        "prefect-server",
        [prefect_bin, "server", "start", "--host", "127.0.0.1", "--port", str(port), *SERVER_FLAGS],
        env=env,
        cwd=home,
        log_dir=logs,
    )
    workers = [worker(index, env, home, logs) for index in range(1, WORKERS + 1)]
    services = [server, *workers]
    api = PrefectAPI(api_url)
    clock = Stopwatch()
    try:
        server.start()
        wait_for(
            lambda: api.call("GET", "/health"),
            timeout=120,
            what="prefect server",
            services=[server],
        )
        clock.mark("server up")
        for each in workers:  # the first to start creates the process work pool
            each.start()
        run_command(
            "prefect-block-register",
            [prefect_bin, "block", "register", "-m", "prefect_activepieces"],
            env=env,
            cwd=home,
            log_dir=logs,
            timeout=120,
        )
        clock.mark("block type registered")
        wait_for(
            lambda: sum(w["status"] == "ONLINE" for w in api.workers(POOL)) == WORKERS,
            timeout=120,
            what="both workers online",
            services=services,
        )
        clock.mark("workers online")
        setup = [str(BIN / "python"), str(SETUP_SCRIPT), "--base-url", emulator.url]
        output = run_command(
            "prefect-setup",
            [*setup, "--block", BLOCK, "--pool", POOL],
            env={**env, "ACTIVEPIECES_API_KEY": emulator.api_key},
            cwd=home,
            log_dir=logs,
            timeout=120,
        )
        deployments: dict[str, str] = json.loads(output.strip().splitlines()[-1])
        clock.mark("block saved, flows deployed")
        yield Prefect(api, services, deployments)
    finally:
        api.close()
        stop_all(services)
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
    teardown = prefect.run("teardown_tenants", external_ids=everyone)
    clock.mark("teardown_tenants completed")
    assert emulator.state.projects(types=["TEAM"]) == []
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
