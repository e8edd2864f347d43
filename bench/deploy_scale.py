"""Sharded apply on the production-shaped deployments vs the single-process CLI apply.

    uv run --frozen python bench/deploy_scale.py [--tenants 10000] [--latency 0.02]
        [--budget 16] [--shards 4] [--only airflow|cli]

One emulator (in this process, ``--latency`` s on every request) and one tenant document of
``--tenants`` new tenants. Side by side on this machine, each from an empty platform:

(c) the CLI: ``activepieces tenants apply tenants.json --yes --concurrency BUDGET`` as a
    subprocess (plan + apply, as users run it);
(a) Airflow on the CeleryExecutor (Redis, PostgreSQL, two Celery workers: the deployment of
    tests/deploy), the example DAG ``activepieces_sharded_apply`` with ``--shards`` shards and
    the ``activepieces_api`` pool of BUDGET slots; timed from the trigger to the run's success
    (the deployment's start and one small warm-up run before it are not counted); the run's
    task instances are printed with their queued, start and end times;
The Prefect half (server on PostgreSQL, two process workers, the example sharded flow with a
global concurrency limit of BUDGET) is ``bench/deploy_prefect.py``, with the same CLI run.

Each run also prints the CPU seconds it took: the CLI process, every Airflow process (a
worker's with its task processes) and the emulator. The machine may be shared: compare the
ratio of runs made side by side, and the CPU seconds, rather than wall times across runs.

Targets (issue 21): (a) <= 1.3 x (c) (and Prefect's the same); ``max_in_flight`` (the emulator's
``GET /__emulator/stats``) <= BUDGET for each. Not part of CI: minutes on two cores.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parents[1]
# The deployment harness of tests/deploy (and the process handles it builds on).
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "deploy")]

from airflow_deployment import SHARDED, Airflow, running_airflow  # noqa: E402
from backing_services import Postgres, Redis  # noqa: E402
from sharding_support import duplicates, external_ids, write_document  # noqa: E402

from activepieces_core.testing import Emulator  # noqa: E402

BIN = Path(sys.executable).parent


def fresh(emulator: Emulator, latency: float) -> None:
    """An empty platform, the latency on every route, the request counters at zero."""
    emulator.reset()
    emulator.faults.set("*", latency=latency)


def outcome(emulator: Emulator, document: Path, seconds: float) -> dict[str, Any]:
    """The run's time and peak in flight; fails unless every tenant exists exactly once."""
    present = sorted(p["externalId"] for p in emulator.state.projects(types=["TEAM"]))
    if present != external_ids(document):
        raise SystemExit(
            f"{len(present)} tenants on the platform, not {len(external_ids(document))}"
        )
    if any(duplicates(emulator).values()):
        raise SystemExit(f"duplicates: {duplicates(emulator)}")
    return {"seconds": seconds, **emulator.stats()}


def run_cli(emulator: Emulator, document: Path, budget: int, work: Path) -> float:
    env = {**os.environ, "ACTIVEPIECES_URL": emulator.url, "ACTIVEPIECES_API_KEY": emulator.api_key}
    argv = [str(BIN / "activepieces"), "tenants", "apply", str(document), "--yes"]
    started = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    serving = time.process_time()  # this process: the emulator
    with (work / "cli.log").open("wb") as log:
        subprocess.run(
            [*argv, "--concurrency", str(budget)], env=env, stdout=log, stderr=log, check=True
        )
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    print(f"CPU s: the CLI process {cpu:.1f}, the emulator {time.process_time() - serving:.1f}")
    return seconds


def warm_up(airflow: Airflow, work: Path, shards: int) -> None:
    """One small run first: a long-running deployment has served requests before. The
    api-server's first Execution API call and each worker's first task pay one-off start-up
    costs (seconds) that no later run pays."""
    document = write_document(work / "warm-up.json", "warm-up", 2 * shards)
    run_id = airflow.api.trigger(SHARDED, {"tenants_file": str(document), "shards": shards})
    airflow.wait_for_run(SHARDED, run_id, timeout=600)


def run_airflow(
    emulator: Emulator, document: Path, latency: float, budget: int, shards: int, work: Path
) -> float:
    root = work / "airflow-deploy"
    (root / "logs").mkdir(parents=True)
    postgres = Postgres(root / "logs").start()
    redis = Redis(root / "redis", root / "logs").start()
    try:
        with running_airflow(root, emulator, postgres, redis, workers=2, budget=budget) as airflow:
            warm_up(airflow, work, shards)
            fresh(emulator, latency)  # from here on only the run counts
            cpu_before = cpu_seconds(airflow.services)
            serving = time.process_time()  # this process: the emulator (and the polls below)
            started = time.monotonic()
            run_id = airflow.api.trigger(SHARDED, {"tenants_file": str(document), "shards": shards})
            airflow.wait_for_run(SHARDED, run_id, timeout=3600)
            seconds = time.monotonic() - started
            cpu_after = cpu_seconds(airflow.services)
            spent = {name: cpu_after[name] - cpu_before.get(name, 0.0) for name in cpu_after}
            spent["emulator"] = time.process_time() - serving
            print("CPU s during the run:", {name: round(cpu, 1) for name, cpu in spent.items()})
            print_stages(
                airflow.api.dag_run(SHARDED, run_id), airflow.api.task_instances(SHARDED, run_id)
            )
            return seconds
    finally:
        redis.stop()
        postgres.stop()


def cpu_seconds(services: list[Any]) -> dict[str, float]:
    """CPU seconds (user + system) each service's process tree has used so far, with its
    children that have exited (a worker's task processes)."""
    spent: dict[str, float] = {}
    for service in services:
        if service.process is None:
            continue
        total = 0.0
        root = psutil.Process(service.process.pid)
        for process in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                times = process.cpu_times()
                total += times.user + times.system + times.children_user + times.children_system
        spent[service.name] = total
    return spent


def print_table(results: dict[str, dict[str, Any]], budget: int) -> None:
    """One line per run (`outcome`s by name): seconds, the ratio to the ``cli`` run, requests,
    peak in flight against ``budget``; then the machine's load (the machine may be shared)."""
    base = results.get("cli", {}).get("seconds")
    for name, result in results.items():
        ratio = f"{result['seconds'] / base:.2f} x CLI" if base else ""
        held = "ok" if result["max_in_flight"] <= budget else "OVER BUDGET"
        print(
            f"  {name:8s} {result['seconds']:8.1f} s  {ratio:12s} requests {result['requests']:6d}"
            f"  max_in_flight {result['max_in_flight']:3d} ({held})"
        )
    print(f"load average (1, 5, 15 min): {os.getloadavg()}")


def print_stages(run: dict[str, Any], tasks: list[dict[str, Any]]) -> None:
    """Each task instance's queued, start and end time (s after the run was queued): where the
    run's time goes, scheduling (queued -> start) or work (start -> end)."""
    origin = datetime.fromisoformat(run["queued_at"])

    def at(stamp: str | None) -> str:
        if stamp is None:
            return "    -"
        return f"{(datetime.fromisoformat(stamp) - origin).total_seconds():5.1f}"

    print(
        f"stages (s after the run was queued; run {at(run['start_date'])} -> {at(run['end_date'])}):"
    )
    for ti in sorted(tasks, key=lambda t: (t["start_date"] or "", t["map_index"])):
        name = ti["task_id"] + (f"[{ti['map_index']}]" if ti["map_index"] >= 0 else "")
        print(
            f"  {name:16s} scheduled {at(ti['scheduled_when'])} queued {at(ti['queued_when'])}"
            f" start {at(ti['start_date'])} end {at(ti['end_date'])}  try {ti['try_number']}"
            f"  {ti.get('hostname') or ''}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--budget", type=int, default=16)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--only", choices=["cli", "airflow"], action="append")
    args = parser.parse_args()
    chosen = set(args.only or ["cli", "airflow"])

    work = Path(tempfile.mkdtemp(prefix="ap-deploy-scale-"))
    document = write_document(work / "tenants.json", "bench", args.tenants)
    key = "sk-bench" + secrets.token_urlsafe(24)
    results: dict[str, dict[str, Any]] = {}
    runs: dict[str, Callable[[Emulator], float]] = {
        "cli": lambda emu: run_cli(emu, document, args.budget, work),
        "airflow": lambda emu: run_airflow(
            emu, document, args.latency, args.budget, args.shards, work
        ),
    }
    with Emulator(seed=0, api_key=key) as emulator:
        for name, run in runs.items():
            if name not in chosen:
                continue
            fresh(emulator, args.latency)
            seconds = run(emulator)
            results[name] = outcome(emulator, document, seconds)
            print(f"{name}: {results[name]}", flush=True)

    print(f"\n{args.tenants} tenants, {args.latency * 1000:.0f} ms latency, budget {args.budget}")
    print_table(results, args.budget)
    print(f"logs: {work}")


if __name__ == "__main__":
    main()
