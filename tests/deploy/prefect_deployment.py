"""A production-shaped Prefect for the deployment tests and bench/deploy_prefect.py.

``prefect server start`` with ``PREFECT_API_DATABASE_CONNECTION_URL`` on asyncpg (PostgreSQL
from ``backing_services``) and N process workers polling one work pool. The credentials block
type is registered with the CLI, a block is saved and the flows are deployed by
``prefect_setup.py`` (as a user would), and the sharded example's global concurrency limit is
created once.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from backing_services import Postgres, require_modules
from deploy_support import BIN, PrefectAPI, Stopwatch
from service_processes import Service, clean_env, free_port, run_command, stop_all, wait_for

from activepieces_core.testing import Emulator

SETUP_SCRIPT = Path(__file__).resolve().parent / "prefect_setup.py"
POOL = "deploy-test-pool"
BLOCK = "deploy-test-activepieces"
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
# No UI, no schedules: only the API, the worker polls and the event services run.
SERVER_FLAGS = ("--no-ui", "--no-scheduler", "--no-late-runs")
#: The sharded example's global concurrency limit (``LIMIT`` there): requests in flight.
API_LIMIT = "activepieces-api"
WORKER_LIMIT = 4  # flow runs at once per worker
#: What an operator of the sharded example sets on the workers (docs/scale-out.md): poll the
#: pool every second (default 10 s: up to 10 s before a shard run even starts).
WORKER_SETTINGS = {"PREFECT_WORKER_QUERY_SECONDS": "1"}


class Prefect:
    """The running deployment: its REST API, processes and deployment ids by flow."""

    def __init__(
        self,
        api: PrefectAPI,
        services: list[Service],
        deployments: dict[str, str],
        env: dict[str, str],
    ) -> None:
        self.api = api
        self.services = services  # running: a test fails early when one of them exits
        self.deployments = deployments
        #: The environment of the deployment's processes (the API URL, the result storage):
        #: a flow run in a process of the caller's own needs it too.
        self.env = env

    def start(self, flow: str, **parameters: Any) -> str:
        """Start a run of ``flow``'s deployment; its id."""
        return self.api.run_deployment(self.deployments[flow], parameters)

    def wait(
        self, flow: str, run_id: str, timeout: float = 90, interval: float = 0.5
    ) -> dict[str, Any]:
        """Wait for a final state; fail with the run's logs unless it completed."""

        def finished() -> dict[str, Any] | None:
            run = self.api.flow_run(run_id)
            return run if run["state"]["type"] in TERMINAL else None

        run = wait_for(
            finished,
            timeout=timeout,
            interval=interval,
            what=f"{flow} run {run_id}",
            services=self.services,
        )
        if run["state"]["type"] != "COMPLETED":
            logs = "\n".join(self.api.logs(run_id))
            raise AssertionError(f"{flow} run ended {run['state']}:\n{logs}")
        return run

    def shard_runs(self) -> list[dict[str, Any]]:
        """Every flow run of the shard deployment."""
        found: list[dict[str, Any]] = self.api.call(
            "POST",
            "/flow_runs/filter",
            {"flow_runs": {"deployment_id": {"any_": [self.deployments["apply_shard"]]}}},
        )
        return found

    def run(self, flow: str, timeout: float = 90, **parameters: Any) -> dict[str, Any]:
        """Run ``flow``'s deployment (as ``run_deployment`` does) and wait for a final state."""
        return self.wait(flow, self.start(flow, **parameters), timeout)


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


@contextlib.contextmanager
def running_prefect(
    deploy_dir: Path,
    emulator: Emulator,
    postgres: Postgres,
    *,
    workers: int = 2,
    budget: int = 8,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[Prefect]:
    """Start the deployment in ``deploy_dir`` (``prefect/`` home, ``logs/``), yield it once the
    server answers, ``workers`` workers are online, the flows are deployed and the
    ``activepieces-api`` limit is ``budget``; stop every process on exit."""
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
        # The result storage the parent and every shard run share (the shard plans, the
        # reports). Its default is under the default home, not under PREFECT_HOME.
        PREFECT_LOCAL_STORAGE_PATH=str(home / "storage"),
        **WORKER_SETTINGS,
    )
    env.update(extra_env or {})
    prefect_bin = str(BIN / "prefect")
    server = Service(
        "prefect-server",
        [prefect_bin, "server", "start", "--host", "127.0.0.1", "--port", str(port), *SERVER_FLAGS],
        env=env,
        cwd=home,
        log_dir=logs,
    )
    services = [server, *(worker(index, env, home, logs) for index in range(1, workers + 1))]
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
        for each in services[1:]:  # the first to start creates the process work pool
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
            lambda: sum(w["status"] == "ONLINE" for w in api.workers(POOL)) == workers,
            timeout=120,
            what=f"{workers} workers online",
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
        # The API budget, set once for every worker (examples/prefect/sharded.py).
        api.call("POST", "/v2/concurrency_limits/", {"name": API_LIMIT, "limit": budget})
        clock.mark("block saved, flows deployed, budget set")
        yield Prefect(api, services, deployments, env)
    finally:
        api.close()
        stop_all(services)
