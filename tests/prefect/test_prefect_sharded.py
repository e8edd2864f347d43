"""The sharded example flow on the test server: every shard a flow run of the shard deployment,
served by another process (as a worker would run it), under one global concurrency limit."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterDeploymentId
from prefect.client.schemas.objects import FlowRun
from prefect.settings import PREFECT_API_URL

from activepieces_core import ActivepiecesClient
from activepieces_core.tenants import DeletionLimitExceeded, apply, plan
from prefect_activepieces import ActivepiecesCredentials

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prefect" / "sharded.py"
DOCUMENT: dict[str, Any] = {
    "piece_sets": [{"key": "gold", "name": "Gold", "allow": ["slack"]}],
    "tenants": [
        {"external_id": f"t{i:02d}", **({"piece_set": "gold"} if i % 2 else {"pieces": ["gmail"]})}
        for i in range(10)
    ],
}


@pytest.fixture(scope="module")
def sharded() -> ModuleType:
    spec = importlib.util.spec_from_file_location("prefect_example_sharded", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def budget(sharded: ModuleType) -> None:
    with get_client(sync_client=True) as api:
        api.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(name=sharded.LIMIT, limit=16)
        )


@pytest.fixture(scope="module")
def shard_worker(sharded: ModuleType) -> Iterator[subprocess.Popen[bytes]]:
    """``sharded.py serve``: the shard deployment, run by a process of its own."""
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    # The runner looks for scheduled shard runs every 10 s by default: each wave waited for it.
    env["PREFECT_RUNNER_POLL_FREQUENCY"] = "1"
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLE), "serve"], env=env, cwd=str(EXAMPLE.parent)
    )
    try:
        with get_client(sync_client=True) as api:
            for _ in range(600):
                try:
                    api.read_deployment_by_name(sharded.SHARD_DEPLOYMENT)
                    break
                except Exception:
                    if process.poll() is not None:
                        raise RuntimeError("sharded.py serve exited") from None
                    time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def worker_held_until(worker: subprocess.Popen[bytes], ready: Callable[[], bool]) -> Iterator[None]:
    """The shard worker stopped (SIGSTOP) until ``ready()`` holds (120 s at most), then resumed:
    no shard run comes up before the parent has done what the test waits for."""
    worker.send_signal(signal.SIGSTOP)

    def resume_when_ready() -> None:
        deadline = time.monotonic() + 120
        while not ready() and time.monotonic() < deadline:
            time.sleep(0.05)
        worker.send_signal(signal.SIGCONT)

    watcher = threading.Thread(target=resume_when_ready, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        worker.send_signal(signal.SIGCONT)
        watcher.join(timeout=130)


def shard_runs(sharded: ModuleType) -> list[FlowRun]:
    """Every flow run of the shard deployment."""
    with get_client(sync_client=True) as api:
        deployment = api.read_deployment_by_name(sharded.SHARD_DEPLOYMENT)
        return api.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                deployment_id=FlowRunFilterDeploymentId(any_=[deployment.id])
            )
        )


def save_block(emu: Any) -> str:
    block = f"sharded-{uuid.uuid4().hex[:8]}"
    ActivepiecesCredentials(base_url=emu.url, api_key=emu.api_key, max_retries=2).save(block)
    return block


def piece_set_platform(emu: Any, tmp_path: Path) -> tuple[Path, str]:
    """A piece-set platform, DOCUMENT in a file and a credentials block: (file, block)."""
    emu.state.configure_platform(manage_pieces_enabled=True)
    tenant_file = tmp_path / "tenants.json"
    tenant_file.write_text(json.dumps(DOCUMENT))
    return tenant_file, save_block(emu)


def test_every_shard_is_a_flow_run_and_the_report_is_merged(
    sharded: ModuleType, budget: None, shard_worker: Any, emulator: Any, tmp_path: Path
) -> None:
    emu = emulator
    tenant_file, block = piece_set_platform(emu, tmp_path)
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
        expected = plan(client, DOCUMENT)
    head = head_tenants(sharded, 2)
    # No shard run is up until the parent has applied its head start: on a loaded machine
    # (CI's matrix beside the suite) the worker took a shard run before the parent's plan was
    # done, and the parent rightly applied nothing. Held, the worker cannot; resumed once the
    # head's projects exist, it runs the shards' last slices.
    with worker_held_until(
        shard_worker, lambda: len(emu.state.projects(types=["TEAM"])) >= len(head)
    ):
        result = sharded.sharded_apply(str(tenant_file), block, shards=2, poll_seconds=0.2)

    assert result["summary"]["total"] == 10
    assert result["summary"]["succeeded"] == expected.summary["create"] == 10
    assert result["kind_summary"] == {
        kind: {"succeeded": sum(counts.values())} for kind, counts in expected.kind_summary.items()
    }
    projects = sorted(p["externalId"] for p in emu.state.projects(types=["TEAM"]))
    assert projects == [f"t{i:02d}" for i in range(10)]  # each once
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
        assert not plan(client, DOCUMENT).has_changes
    runs = shard_runs(sharded)
    assert len([r for r in runs if r.state is not None and r.state.is_completed()]) >= 2
    assert emu.stats()["max_in_flight"] <= 16
    assert emu.api_key not in repr([r.parameters for r in runs])
    # With no shard run up, the parent applied every slice but each shard's last.
    assert result["parent_tenants"] == len(head)


def head_tenants(sharded: ModuleType, shards: int) -> list[str]:
    """DOCUMENT's tenants in the slices a parent may apply itself: all but each shard's last."""
    from activepieces_core.tenants.shards import shard_of

    slices = shards * sharded.SLICES
    ids = [t["external_id"] for t in DOCUMENT["tenants"]]
    return [e for e in ids if shard_of(e, slices) < slices - shards]


def test_the_parent_stops_applying_slices_once_a_shard_run_runs(
    sharded: ModuleType, budget: None, shard_worker: Any, emulator: Any, tmp_path: Path
) -> None:
    """The shard runs come up while the parent applies its head start: it finishes the round in
    flight, leaves the rest to them, and the platform ends as planned."""
    emu = emulator
    tenant_file, block = piece_set_platform(emu, tmp_path)
    head = head_tenants(sharded, 2)
    assert len(head) >= 6  # enough slices to outlast a shard run's start
    # Held creates, not timed ones: a shard run's start is a worker's poll and a process start,
    # 20 s and more on a loaded machine (CI's matrix), which outlasted every slice of a
    # 2 s-a-create head start. The worker is stopped until the parent's first round is written;
    # from then on a create waits until a shard run runs (120 s at most), so the parent's
    # second round is in flight when it starts.
    shard_up = threading.Event()

    async def create_held(delay: float) -> None:
        if not emu.state.projects(types=["TEAM"]):
            await asyncio.sleep(delay)  # the first round
            return
        await asyncio.to_thread(shard_up.wait)  # set by the watcher, 120 s at most

    earlier = {run.id for run in shard_runs(sharded)}  # other tests' runs, over

    def watch_shard_runs() -> None:
        deadline = time.monotonic() + 120
        try:  # however it ends (an API error too), the held creates go on
            while not shard_up.is_set() and time.monotonic() < deadline:
                runs = [run for run in shard_runs(sharded) if run.id not in earlier]
                if any(sharded._started(run) for run in runs):
                    break
                time.sleep(0.1)
        finally:
            shard_up.set()

    emu.faults.set("create", latency=0.5)
    emu.faults.sleep = create_held
    watcher = threading.Thread(target=watch_shard_runs, daemon=True)
    try:
        with worker_held_until(shard_worker, lambda: bool(emu.state.projects(types=["TEAM"]))):
            watcher.start()
            result = sharded.sharded_apply(str(tenant_file), block, shards=2, poll_seconds=0.2)
    finally:
        shard_up.set()
        watcher.join(timeout=10)
        emu.faults.clear()

    # The parent's rounds with tenants are t01's, then t06's (`head_tenants`' slices); the
    # shard runs came up during the second.
    assert result["parent_tenants"] == 2
    assert 0 < result["parent_tenants"] < len(head)
    assert result["summary"]["succeeded"] == result["summary"]["total"] == 10
    projects = sorted(p["externalId"] for p in emu.state.projects(types=["TEAM"]))
    assert projects == [f"t{i:02d}" for i in range(10)]  # each once
    assert emu.stats()["max_in_flight"] <= 16


def test_without_a_head_start_the_shard_runs_apply_everything(
    sharded: ModuleType, budget: None, shard_worker: Any, emulator: Any, tmp_path: Path
) -> None:
    emu = emulator
    tenant_file, block = piece_set_platform(emu, tmp_path)
    result = sharded.sharded_apply(
        str(tenant_file), block, shards=2, poll_seconds=0.2, head_start=False
    )
    assert result["parent_tenants"] == 0
    assert result["summary"]["succeeded"] == 10


def test_a_shard_run_waits_for_its_shard_without_holding_slots(
    sharded: ModuleType, budget: None, emulator: Any
) -> None:
    """Started before the parent plans, a shard run waits for its shard in the result storage
    holding none of the budget, and fails clearly when the shard never comes."""
    block = save_block(emulator)
    seen: list[int] = []
    done = threading.Event()

    def watch_slots() -> None:
        with get_client(sync_client=True) as api:
            while not done.is_set():
                seen.append(api.read_global_concurrency_limit_by_name(sharded.LIMIT).active_slots)
                time.sleep(0.1)

    watcher = threading.Thread(target=watch_slots)
    watcher.start()
    try:
        with pytest.raises(TimeoutError, match="not in the result storage after 2 s"):
            sharded.apply_shard(
                "activepieces-shard-never-written", "unused.yaml", block, wait_seconds=2
            )
    finally:
        done.set()
        watcher.join()
    assert len(seen) > 3
    assert set(seen) == {0}


def test_a_refused_plan_cancels_the_shard_runs_it_started(
    sharded: ModuleType, budget: None, shard_worker: Any, emulator: Any, tmp_path: Path
) -> None:
    """The shard runs start before the parent plans; a plan ``max_deletions`` refuses leaves
    none of them running or waiting for its shard: they end Cancelled, nothing is written."""
    emu = emulator
    emu.state.configure_platform(manage_pieces_enabled=True)
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
        gone = {"tenants": [{"external_id": f"gone{i}"} for i in range(3)]}
        assert apply(client, plan(client, gone)).ok
    tenant_file = tmp_path / "tenants.json"
    tenant_file.write_text(json.dumps(DOCUMENT))  # without them: the prune deletes 3
    block = save_block(emu)
    before = {run.id for run in shard_runs(sharded)}
    projects = sorted(p["externalId"] for p in emu.state.projects(types=["TEAM"]))
    emu.faults.set("*", latency=1.0)  # planning takes seconds: the worker takes the shard runs
    try:
        with pytest.raises(DeletionLimitExceeded):
            sharded.sharded_apply(
                str(tenant_file), block, shards=2, prune=True, max_deletions=1, poll_seconds=0.2
            )
    finally:
        emu.faults.clear()

    deadline = time.monotonic() + 120
    runs = [run for run in shard_runs(sharded) if run.id not in before]
    while any(not run.state or not run.state.is_final() for run in runs):
        assert time.monotonic() < deadline, [(run.id, run.state) for run in runs]
        time.sleep(0.5)
        runs = [run for run in shard_runs(sharded) if run.id not in before]
    assert len(runs) == 2
    assert {run.state.type.value for run in runs if run.state} == {"CANCELLED"}
    with get_client(sync_client=True) as api:
        history = {state.type.value for run in runs for state in api.read_flow_run_states(run.id)}
    assert history & {"PENDING", "RUNNING"}, (
        "no shard run had started: only Scheduled ones cancelled"
    )
    assert sorted(p["externalId"] for p in emu.state.projects(types=["TEAM"])) == projects


def test_a_cancelled_run_that_never_ran_does_not_stay_cancelling(
    sharded: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Prefect 3.9's runner can leave a run Cancelling that it stopped before it ran: the
    failing parent sets such a run Cancelled once its grace is over, and leaves a run that
    ran to its worker."""
    from prefect import flow
    from prefect.states import Pending, Running, Scheduled

    @flow(name="shard-stand-in")
    def stand_in() -> None:
        pass

    @flow(name="failing-parent")
    def failing_parent(run_ids: list[uuid.UUID]) -> None:
        sharded._cancel(run_ids)

    monkeypatch.setattr(sharded, "CANCEL_GRACE_SECONDS", 1.0)
    with get_client(sync_client=True) as api:
        scheduled, never_ran, ran = (
            api.create_flow_run(stand_in, state=Scheduled()).id for _ in range(3)
        )
        api.set_flow_run_state(never_ran, Pending())  # a worker took it, no process runs it
        api.set_flow_run_state(ran, Pending())
        api.set_flow_run_state(ran, Running())  # its process runs, its worker is gone
        failing_parent([scheduled, never_ran, ran])
        states = {run_id: api.read_flow_run(run_id).state for run_id in (scheduled, never_ran, ran)}
    assert {run_id: s.type.value for run_id, s in states.items() if s} == {
        scheduled: "CANCELLED",  # Prefect's own rule: nothing to stop
        never_ran: "CANCELLED",
        ran: "CANCELLING",  # only its worker knows when it stopped
    }
