"""The pytest plugin: fixtures, per-test reset, cheap import."""

from __future__ import annotations

import subprocess
import sys

import httpx

from activepieces_core.testing import Emulator

_LEAK: dict[str, str] = {}


def test_fixture_serves_over_http(activepieces_emulator: Emulator) -> None:
    r = httpx.get(
        f"{activepieces_emulator.url}/projects",
        headers={"Authorization": f"Bearer {activepieces_emulator.api_key}"},
    )
    assert r.status_code == 200
    activepieces_emulator.state.add_project("Leaks?", external_id="leak")
    activepieces_emulator.faults.set("*", rate=1.0)
    _LEAK["url"] = activepieces_emulator.url


def test_fixture_resets_state_faults_and_log(
    activepieces_emulator: Emulator, activepieces_emulator_server: Emulator
) -> None:
    assert activepieces_emulator is activepieces_emulator_server
    assert activepieces_emulator.url == _LEAK.get("url", activepieces_emulator.url)
    assert activepieces_emulator.state.projects(types=["TEAM"]) == []
    assert len(activepieces_emulator.requests) == 0
    r = httpx.get(
        f"{activepieces_emulator.url}/projects",
        headers={"Authorization": f"Bearer {activepieces_emulator.api_key}"},
    )
    assert r.status_code == 200


def test_plugin_import_is_light() -> None:
    code = (
        "import sys, activepieces_core.testing.pytest_plugin as p, activepieces_core.testing as t;"
        "heavy = [m for m in ('uvicorn', 'starlette', 'airflow', 'prefect') if m in sys.modules];"
        "assert not heavy, heavy; assert t.FAULT_KINDS"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_plugin_is_registered_as_pytest11() -> None:
    from importlib.metadata import entry_points

    names = {ep.value for ep in entry_points(group="pytest11")}
    assert "activepieces_core.testing.pytest_plugin" in names
