"""The pytest plugin: fixtures, per-test reset, cheap import, and a user's own pytest run."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

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


KEY = "sk-" + "Plugin" + "k" * 55

USER_TEST = f"""
import httpx

def test_fixture_serves_the_given_key(activepieces_emulator):
    assert activepieces_emulator.api_key == {KEY!r}
    response = httpx.get(
        activepieces_emulator.url + "/projects",
        headers={{"Authorization": "Bearer " + activepieces_emulator.api_key}},
    )
    assert response.status_code == 200
    activepieces_emulator.state.add_project("Acme", external_id="acme")

def test_state_is_reset_between_tests(activepieces_emulator):
    assert activepieces_emulator.state.projects(types=["TEAM"]) == []
"""


def test_plugin_fixture_with_a_fixed_api_key(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TEST)
    result = pytester.runpytest_subprocess(
        f"--activepieces-emulator-api-key={KEY}", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=2)


def test_plugin_option_is_listed(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["*--activepieces-emulator-api-key=KEY*"])
