"""examples/prefect/onboard.py: embedded-emulator mode and real-platform (environment) mode."""

from __future__ import annotations

import contextvars
import importlib.util
import sys
import threading
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from prefect_activepieces import ActivepiecesCredentials, sync_tenants

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "prefect"


@pytest.fixture(scope="module")
def onboard() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "prefect_example_onboard", EXAMPLES / "onboard.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_runs_against_its_own_emulator_without_environment(
    onboard: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ACTIVEPIECES_URL", raising=False)
    monkeypatch.delenv("ACTIVEPIECES_API_KEY", raising=False)
    assert onboard.main([]) == 0


def test_uses_the_platform_from_the_environment(
    onboard: ModuleType, emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTIVEPIECES_URL", emulator.url)
    monkeypatch.setenv("ACTIVEPIECES_API_KEY", emulator.api_key)
    assert onboard.main(["--dry-run"]) == 0
    assert emulator.requests.count(method="POST") == 0
    assert onboard.main([]) == 0
    external_ids = {p.get("externalId") for p in emulator.state.projects()}
    assert {"acme", "globex", "initech", "umbrella", "hooli", "stark"} <= external_ids


def test_serve_snippet_builds_a_scheduled_deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLES))  # what `python examples/prefect/serve.py` gets
    spec = importlib.util.spec_from_file_location("prefect_example_serve", EXAMPLES / "serve.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    deployment = module.nightly_deployment()
    assert deployment.name == "nightly-tenant-onboarding"
    assert deployment.parameters["credentials"] == "activepieces-prod"
    assert deployment.parameters["tenant_file"].endswith("tenants.yaml")
    assert deployment.schedules[0].schedule.cron == "0 3 * * *"


@pytest.fixture(scope="module")
def reviewed() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "prefect_example_reviewed", EXAMPLES / "reviewed_sync.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reviewed_deployment_waits_for_a_reviewer(reviewed: ModuleType) -> None:
    deployment = reviewed.reviewed_deployment()
    assert deployment.name == "reviewed-tenant-sync"
    assert deployment.parameters["require_approval"] is True
    assert deployment.parameters["credentials"] == "activepieces-prod"
    assert deployment.parameters["tenants"].endswith("tenants.yaml")
    assert deployment.parameters["archive"] == reviewed.DEFAULT_ARCHIVE  # prune archives first


def test_reviewed_sync_rejected_from_the_command_line(
    reviewed: ModuleType, emulator: Any, prefect_api: Any
) -> None:
    """The example's `reject` command answers a real paused run."""
    name = f"example-review-{uuid.uuid4().hex[:12]}"
    creds = ActivepiecesCredentials(base_url=emulator.url, api_key=emulator.api_key)
    run = sync_tenants.with_options(flow_run_name=name)
    outcome: dict[str, Any] = {}
    # The flow waits in a thread of its own (with the harness's settings, held in contextvars).
    context = contextvars.copy_context()
    worker = threading.Thread(
        target=context.run,
        args=(
            lambda: outcome.update(
                state=run(
                    [{"external_id": "acme"}],
                    creds,
                    require_approval=True,
                    approval_poll_interval=1,
                    return_state=True,
                )
            ),
        ),
    )
    worker.start()
    try:
        paused, _ = prefect_api.paused_run(name)
        assert reviewed.main(["reject", str(paused.id), "wrong tenant file"]) == 0
    finally:
        worker.join(90)
    state = outcome["state"]
    assert state.is_cancelled()
    assert "wrong tenant file" in state.message
    assert emulator.requests.count(method="POST") == 0
