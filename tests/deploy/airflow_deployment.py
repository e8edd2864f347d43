"""A production-shaped Airflow for the deployment tests and bench/deploy_scale.py.

CeleryExecutor with Redis as the broker and PostgreSQL as the metadata database and result
backend (both from ``backing_services``), api-server, scheduler, dag-processor, triggerer and N
Celery workers as separate processes, a copy of the example DAGs from ``examples/airflow/dags``,
XComs past 64 KiB in object storage (a directory of the home), the connection from
``AIRFLOW_CONN_ACTIVEPIECES_DEFAULT`` and the API budget pool created once.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import psutil
from backing_services import Postgres, Redis
from deploy_support import BIN, REPO, AirflowAPI, Stopwatch
from service_processes import Service, clean_env, free_port, run_command, stop_all, wait_for

from activepieces_core.testing import Emulator

DAGS = REPO / "examples" / "airflow" / "dags"
TENANTS_FILE = REPO / "examples" / "tenants.yaml"
ONBOARDING = "activepieces_tenant_onboarding"
TEARDOWN = "activepieces_tenant_teardown"
REVIEW = "activepieces_tenant_review"
SHARDED = "activepieces_sharded_apply"
#: The sharded DAG's budget pool (``POOL`` there); its slots are requests in flight.
API_POOL = "activepieces_api"
SENSOR = "wait_until_ready"
USER = "deploy-admin"


class Airflow:
    """The running deployment: its REST API and its processes."""

    def __init__(self, api: AirflowAPI, services: list[Service], home: Path) -> None:
        self.api = api
        self.services = services  # running: a test fails early when one of them exits
        self.killed: list[Service] = []  # killed by a test (their logs are still scanned)
        self.home = home

    def kill_worker_running(self, pid: int) -> Service:
        """SIGKILL the Celery worker whose descendant ``pid`` is (a task process), with every
        process under it: the task runs in a process group of its own."""
        ancestors = {parent.pid for parent in psutil.Process(pid).parents()}
        worker = next(
            s
            for s in self.services
            if s.name.startswith("airflow-celery-worker") and s.process is not None
            if s.process.pid in ancestors
        )
        assert worker.process is not None
        root = psutil.Process(worker.process.pid)
        for process in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        worker.process.wait(timeout=10)
        self.services.remove(worker)
        self.killed.append(worker)
        return worker

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 120) -> dict[str, Any]:
        def finished() -> dict[str, Any] | None:
            run = self.api.dag_run(dag_id, run_id)
            return run if run["state"] in ("success", "failed") else None

        run = wait_for(
            finished, timeout=timeout, what=f"{dag_id} run {run_id}", services=self.services
        )
        if run["state"] != "success":
            states = {
                (ti["task_id"], ti["map_index"]): ti["state"]
                for ti in self.api.task_instances(dag_id, run_id)
            }
            raise AssertionError(f"{dag_id} run {run_id} ended {run['state']}: {states}")
        return run

    def defer_exits_seen(self, dag_id: str, run_id: str, task_id: str) -> set[int]:
        """Map indexes whose defer-exit executor event the scheduler has processed (its log)."""
        prefix = f"TaskInstance Finished: dag_id={dag_id}, task_id={task_id}, run_id={run_id}, "
        seen = set()
        for line in self.scheduler_log.read_text(errors="replace").splitlines():
            _, found, rest = line.partition(prefix)
            if found and "state=deferred" in rest:
                seen.add(int(rest.removeprefix("map_index=").split(",", 1)[0]))
        return seen

    @property
    def scheduler_log(self) -> Path:
        return next(s.log_path for s in self.services if s.name == "airflow-scheduler")

    def workers_ready(self) -> int:
        """Celery workers that logged ``<node> ready.`` (connected to the broker, consuming)."""
        return sum(
            1
            for s in self.services
            if s.name.startswith("airflow-celery-worker")
            and " ready." in s.log_path.read_text(errors="replace")
        )


def connection(emulator: Emulator) -> str:
    """``AIRFLOW_CONN_ACTIVEPIECES_DEFAULT`` as a user would export it (JSON form)."""
    return json.dumps(
        {
            "conn_type": "activepieces",
            "host": emulator.url,
            "password": emulator.api_key,
            "extra": {"timeout": 5, "max_retries": 2},
        }
    )


WORKER_CONCURRENCY = 4  # task slots per Celery worker


def snapshot_dags(home: Path) -> Path:
    """A copy of the example DAGs (and the tenant file beside them, their default) in ``home``:
    what the deployment runs does not change when the checkout does while it runs."""
    examples = home / "examples"
    shutil.copytree(
        DAGS, examples / "airflow" / "dags", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy2(TENANTS_FILE, examples / TENANTS_FILE.name)
    return examples / "airflow" / "dags"


def airflow_env(
    home: Path,
    base_url: str,
    passwords: Path,
    postgres: Postgres,
    redis: Redis,
    emulator: Emulator,
    dags: Path,
) -> dict[str, str]:
    """What every process of the deployment shares: PostgreSQL, Redis, auth, the connection."""
    return clean_env(
        AIRFLOW_HOME=str(home),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=postgres.url("airflow", "postgresql+psycopg2"),
        AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
        AIRFLOW__CELERY__BROKER_URL=redis.url,
        AIRFLOW__CELERY__RESULT_BACKEND="db+" + postgres.url("airflow", "postgresql+psycopg2"),
        AIRFLOW__CELERY__WORKER_CONCURRENCY=str(WORKER_CONCURRENCY),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
        AIRFLOW__CORE__AUTH_MANAGER=(
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
        ),
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=f"{USER}:admin",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(passwords),
        # Every process must sign and check the same tokens (tasks talk to the Execution API).
        AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_urlsafe(32),
        AIRFLOW__API__BASE_URL=base_url,
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{base_url}/execution/",
        AIRFLOW__CORE__PARALLELISM="32",
        # A DAG run is a chain of tasks: an idle scheduler looks for the next one every 0.25 s
        # (default 1 s). The DAG files change only when deployed: parse each every 10 minutes
        # (default 30 s; a parse costs seconds of CPU that the running tasks need).
        AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME="0.25",
        AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL="600",
        # XComs past 64 KiB (a shard of a 10,000-tenant plan is megabytes of JSON) go to object
        # storage, gzipped, written and read by the task itself: the database and the api-server
        # carry only their path. Here a directory every process can reach; s3://... in production.
        AIRFLOW__CORE__XCOM_BACKEND=(
            "airflow.providers.common.io.xcom.backend.XComObjectStorageBackend"
        ),
        AIRFLOW__COMMON_IO__XCOM_OBJECTSTORAGE_PATH=f"file://{home / 'xcom'}",
        AIRFLOW__COMMON_IO__XCOM_OBJECTSTORAGE_THRESHOLD=str(64 * 1024),
        AIRFLOW__COMMON_IO__XCOM_OBJECTSTORAGE_COMPRESSION="gzip",
        # A task whose worker died (SIGKILL) stops heartbeating: the scheduler fails that try
        # after 20 s (default 300) and retries it.
        AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT="20",
        AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL="2",
        AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL="2",
        # The triggerer's log server: a free port, not the fixed default (each worker gets one).
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW_CONN_ACTIVEPIECES_DEFAULT=connection(emulator),
    )


def celery_worker(index: int, env: dict[str, str], home: Path, logs: Path) -> Service:
    """``airflow celery worker`` number ``index``: a node name and log server port of its own."""
    return Service(
        f"airflow-celery-worker-{index}",
        [str(BIN / "airflow"), "celery", "worker", "--celery-hostname", f"worker{index}@%h"],
        env={**env, "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port())},
        cwd=home,
        log_dir=logs,
    )


@contextlib.contextmanager
def running_airflow(
    deploy_dir: Path,
    emulator: Emulator,
    postgres: Postgres,
    redis: Redis,
    *,
    workers: int = 2,
    budget: int = 8,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[Airflow]:
    """Start the deployment in ``deploy_dir`` (home, ``logs/``), yield it once every part is
    healthy, the DAGs are parsed and the ``activepieces_api`` pool has ``budget`` slots; stop
    every process on exit."""
    home, logs = deploy_dir / "airflow", deploy_dir / "logs"
    home.mkdir()
    port = free_port()
    password = secrets.token_urlsafe(16)
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({USER: password}))
    base_url = f"http://127.0.0.1:{port}"
    postgres.create_database("airflow")
    env = airflow_env(home, base_url, passwords, postgres, redis, emulator, snapshot_dags(home))
    env.update(extra_env or {})
    airflow_bin = str(BIN / "airflow")
    clock = Stopwatch()
    run_command(
        "airflow-db-migrate",
        [airflow_bin, "db", "migrate"],
        env=env,
        cwd=home,
        log_dir=logs,
        timeout=180,
    )
    services = [
        Service(
            "airflow-api-server",
            [airflow_bin, "api-server", "--host", "127.0.0.1", "--port", str(port), "-w", "1"],
            env=env,
            cwd=home,
            log_dir=logs,
        ),
        *(
            Service(f"airflow-{name}", [airflow_bin, name], env=env, cwd=home, log_dir=logs)
            for name in ("scheduler", "dag-processor", "triggerer")
        ),
        *(celery_worker(index, env, home, logs) for index in range(1, workers + 1)),
    ]
    clock.mark("db migrated")
    api = AirflowAPI(base_url, USER, password)
    deployment = Airflow(api, services, home)
    try:
        for service in services:
            service.start()
        wait_for(api.login, timeout=120, what="api-server", services=services)
        clock.mark("api-server up")

        def healthy() -> bool:
            health = api.health()
            parts = ("metadatabase", "scheduler", "triggerer", "dag_processor")
            return all(health[part]["status"] == "healthy" for part in parts)

        wait_for(healthy, timeout=120, what="every Airflow component healthy", services=services)

        def parsed() -> bool:
            errors = api.get("/importErrors")
            assert errors["total_entries"] == 0, errors
            dags = {d["dag_id"]: d for d in api.get("/dags")["dags"]}
            return all(dag_id in dags for dag_id in (ONBOARDING, TEARDOWN, REVIEW, SHARDED))

        wait_for(parsed, timeout=120, what="the example DAGs parsed", services=services)
        wait_for(
            lambda: deployment.workers_ready() == workers,
            timeout=120,
            what="both Celery workers ready",
            services=services,
        )
        clock.mark("every component healthy, DAGs parsed, workers ready")
        # The API budget, set once for every worker (examples/airflow/dags/
        # activepieces_sharded_apply.py: `airflow pools set activepieces_api ...`).
        api.send("POST", "/pools", {"name": API_POOL, "slots": budget, "include_deferred": False})
        yield deployment
    finally:
        api.close()
        stop_all([*deployment.services, *deployment.killed])
