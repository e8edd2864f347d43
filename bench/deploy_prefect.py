"""Sharded apply on Prefect workers vs the single-process CLI apply.

    uv run --frozen python bench/deploy_prefect.py [--tenants 10000] [--latency 0.02]
        [--budget 16] [--concurrency 8] [--shards N] [--only prefect|cli]

One emulator (in this process, ``--latency`` s on every request) and one tenant document of
``--tenants`` new tenants. Side by side on this machine, each from an empty platform:

(c) the CLI: ``activepieces tenants apply tenants.json --yes --concurrency BUDGET`` as a
    subprocess (``run_cli`` of bench/deploy_scale.py);
(p) Prefect: the server on PostgreSQL and two process workers on one work pool (the deployment
    of tests/deploy, ``prefect_deployment``), the global concurrency limit
    ``activepieces-api`` of BUDGET, and ``python examples/prefect/sharded.py run
    tenants.json --concurrency C`` as a subprocess: the parent flow in that process (as an
    operator runs it), each shard a flow run a worker takes, ``--concurrency`` requests each
    (8: one shard per worker), the flow's default shard count BUDGET // C (one wave) unless
    ``--shards``. Timed like the CLI, from the subprocess' start to its exit, after one small
    warm-up run (the deployment's start and a worker's first flow run are not counted).

Targets (issue 21): (p) <= 1.3 x (c); ``max_in_flight`` (the emulator's ``GET
/__emulator/stats``) <= BUDGET. Then the stages of every flow run from the Prefect API
(created -> pending: the worker's poll; pending -> running: process start, ``import prefect``,
loading the flow; running -> completed: waiting for the shard, then for slots, and applying),
in seconds after the parent's process started, with the log lines that mark the parent's plan
and each shard run finding its shard (the shard runs start before the parent plans), taking
its slots and how long it applied. Not part of CI: minutes on two cores.
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
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parents[1]
SHARDED = REPO / "examples" / "prefect" / "sharded.py"
PARENT_FLOW = "sharded-activepieces-apply"
# The deployment harness of tests/deploy (and the process handles it builds on).
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "deploy")]

from backing_services import Postgres  # noqa: E402
from deploy_scale import fresh, outcome, print_table, run_cli  # noqa: E402
from prefect_deployment import BLOCK, Prefect, running_prefect  # noqa: E402
from service_processes import Service  # noqa: E402
from sharding_support import write_document  # noqa: E402

from activepieces_core.testing import Emulator  # noqa: E402


def run_prefect(emulator: Emulator, document: Path, args: argparse.Namespace, work: Path) -> float:
    root = work / "prefect-deploy"
    (root / "logs").mkdir(parents=True)
    postgres = Postgres(root / "logs").start()
    try:
        with running_prefect(root, emulator, postgres, workers=2, budget=args.budget) as prefect:
            services = [*prefect.services, *([postgres.service] if postgres.service else [])]
            warm_up(prefect, emulator, args, work)
            fresh(emulator, args.latency)  # from here on only the run counts
            cpu_before = {s.name: tree_cpu(s) for s in services} | {"bench": own_cpu()}
            cpu_before["parent"] = children_cpu()  # the subprocess, once it has exited
            origin = datetime.now(timezone.utc)
            started = time.monotonic()
            run_parent(prefect, document, args, work / "parent.log")
            seconds = time.monotonic() - started
            cpu_after = {s.name: tree_cpu(s) for s in services} | {"bench": own_cpu()}
            cpu_after["parent"] = children_cpu()
            print_stages(prefect, origin)
            print_cpu({name: cpu_after[name] - cpu_before[name] for name in cpu_before})
            return seconds
    finally:
        postgres.stop()


def warm_up(prefect: Prefect, emulator: Emulator, args: argparse.Namespace, work: Path) -> None:
    """One small run first: a long-running deployment has run flows before. A worker's first
    flow run pays one-off costs (its runner's imports and set-up: over a second) that no later
    run pays."""
    fresh(emulator, 0.0)
    document = write_document(work / "warm-up.json", "warm-up", 4)
    run_parent(prefect, document, args, work / "warm-up.log")


def run_parent(prefect: Prefect, document: Path, args: argparse.Namespace, log: Path) -> None:
    """``python examples/prefect/sharded.py run DOCUMENT``: the parent flow in a process of its
    own (as an operator runs it, like the CLI), its shards on the workers."""
    command = [sys.executable, str(SHARDED), "run", str(document), "--credentials", BLOCK]
    command += ["--concurrency", str(args.concurrency)]
    command += ["--shards", str(args.shards)] if args.shards else []
    with log.open("wb") as out:
        done = subprocess.run(command, env=prefect.env, stdout=out, stderr=out, check=False)
    if done.returncode:
        raise SystemExit(f"the parent flow failed ({done.returncode}):\n{log.read_text()}")


def children_cpu() -> float:
    """CPU seconds of this process' children that have exited."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tree_cpu(service: Service) -> float:
    """CPU seconds of ``service``'s process, the children it has, and those it has reaped
    (a worker's finished flow-run processes)."""
    assert service.process is not None
    root = psutil.Process(service.process.pid)
    times = root.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in root.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += sum(child.cpu_times()[:2])
    return total


def own_cpu() -> float:
    """CPU seconds of this process: the emulator (and the bench's polling)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def print_cpu(spent: dict[str, float]) -> None:
    print(f"CPU seconds during the run: {sum(spent.values()):.1f}")
    for name, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        print(f"  {name:18s} {seconds:6.1f}")


def states(prefect: Prefect, run_id: str) -> dict[str, datetime]:
    """When the run first entered each state type."""
    found: dict[str, datetime] = {}
    for state in prefect.api.call("GET", f"/flow_run_states/?flow_run_id={run_id}"):
        stamp = datetime.fromisoformat(state["timestamp"])
        found[state["type"]] = min(stamp, found.get(state["type"], stamp))
    return found


def print_stages(prefect: Prefect, origin: datetime) -> None:
    """Each flow run's state changes, in seconds after the parent's process started."""
    parent = prefect.api.call(
        "POST",
        "/flow_runs/filter",
        {"flows": {"name": {"any_": [PARENT_FLOW]}}, "sort": "START_TIME_DESC", "limit": 1},
    )[0]
    shards = sorted(prefect.shard_runs(), key=lambda run: run["created"])
    print("stages (s after the parent's process started):")
    for name, run in [("parent", parent), *((f"shard {i}", r) for i, r in enumerate(shards))]:
        seen = states(prefect, run["id"])
        created = (datetime.fromisoformat(run["created"]) - origin).total_seconds()
        stages = "  ".join(
            f"{kind.lower()} {(seen[kind] - origin).total_seconds():6.1f}"
            for kind in ("PENDING", "RUNNING", "COMPLETED")
            if kind in seen
        )
        print(f"  {name:8s} created {created:6.1f}  {stages}  {run.get('work_queue_name') or ''}")
        logs = prefect.api.call(
            "POST", "/logs/filter", {"logs": {"flow_run_id": {"any_": [run["id"]]}}}
        )
        for entry in logs:
            if any(
                word in entry["message"]
                for word in ("slots", "planned", "found", "applied in", "Tenants:")
            ):
                at = (datetime.fromisoformat(entry["timestamp"]) - origin).total_seconds()
                print(f"           {at:6.1f} {entry['message'][:100]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--budget", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=8, help="requests per flow")
    parser.add_argument("--shards", type=int, help="default: budget // concurrency (one wave)")
    parser.add_argument("--only", choices=["cli", "prefect"], action="append")
    args = parser.parse_args()
    chosen = args.only or ["cli", "prefect"]

    work = Path(tempfile.mkdtemp(prefix="ap-deploy-prefect-"))
    os.chmod(work, 0o755)  # the document is read by the workers' flow runs
    document = write_document(work / "tenants.json", "bench", args.tenants)
    key = "sk-bench" + secrets.token_urlsafe(24)
    results: dict[str, dict[str, Any]] = {}
    with Emulator(seed=0, api_key=key) as emulator:
        for name in ("cli", "prefect"):
            if name not in chosen:
                continue
            fresh(emulator, args.latency)
            if name == "cli":
                cpu = own_cpu(), resource.getrusage(resource.RUSAGE_CHILDREN)
                seconds = run_cli(emulator, document, args.budget, work)
                children = resource.getrusage(resource.RUSAGE_CHILDREN)
                print_cpu(
                    {
                        "cli": children.ru_utime
                        + children.ru_stime
                        - cpu[1].ru_utime
                        - cpu[1].ru_stime,
                        "bench": own_cpu() - cpu[0],
                    }
                )
            else:
                seconds = run_prefect(emulator, document, args, work)
            results[name] = outcome(emulator, document, seconds)
            print(f"{name}: {results[name]}", flush=True)

    print(
        f"\n{args.tenants} tenants, {args.latency * 1000:.0f} ms latency, budget {args.budget},"
        f" {args.shards or args.budget // args.concurrency} shards of {args.concurrency} requests"
    )
    print_table(results, args.budget)
    print(f"logs: {work}")


if __name__ == "__main__":
    main()
