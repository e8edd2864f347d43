"""The sharded example flow on the test server: every shard a flow run of the shard deployment,
served by another process (as a worker would run it), under one global concurrency limit."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterDeploymentId
from prefect.settings import PREFECT_API_URL

from activepieces_core import ActivepiecesClient
from activepieces_core.tenants import plan
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
                    import time

                    time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_every_shard_is_a_flow_run_and_the_report_is_merged(
    sharded: ModuleType, budget: None, shard_worker: Any, emulator: Any, tmp_path: Path
) -> None:
    emu = emulator
    emu.state.configure_platform(manage_pieces_enabled=True)
    tenant_file = tmp_path / "tenants.json"
    tenant_file.write_text(json.dumps(DOCUMENT))
    block = f"sharded-{uuid.uuid4().hex[:8]}"
    ActivepiecesCredentials(base_url=emu.url, api_key=emu.api_key, max_retries=2).save(block)
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
        expected = plan(client, DOCUMENT)

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
    with get_client(sync_client=True) as api:
        deployment = api.read_deployment_by_name(sharded.SHARD_DEPLOYMENT)
        runs = api.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                deployment_id=FlowRunFilterDeploymentId(any_=[deployment.id])
            )
        )
    assert len([r for r in runs if r.state is not None and r.state.is_completed()]) >= 2
    assert emu.stats()["max_in_flight"] <= 16
    assert emu.api_key not in repr([r.parameters for r in runs])
