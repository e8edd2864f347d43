"""``activepieces tenants plan/apply`` with a tenant ``template``, over real HTTP to the emulator:
what the plan shows per tenant, the confirmation for dropped flows, exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from activepieces_core.cli import ExitCode, app
from activepieces_core.models.contents import ProjectState
from activepieces_core.models.state_file import write_state_file

runner = CliRunner()


def run(emu: Any, *args: str, stdin: str | None = None) -> Any:
    env = {"ACTIVEPIECES_URL": emu.url, "ACTIVEPIECES_API_KEY": emu.api_key}
    return runner.invoke(app, list(args), env=env, input=stdin)


def _flow(external_id: str, name: str) -> dict[str, Any]:
    trigger = {"name": "trigger", "valid": False, "displayName": "Select Trigger", "type": "EMPTY"}
    return {
        "id": f"src-{external_id}",
        "externalId": external_id,
        "status": "DISABLED",
        "version": {
            "displayName": name,
            "trigger": {**trigger, "settings": {}},
            "valid": False,
            "schemaVersion": None,
            "notes": [],
        },
    }


def _template(folder: Path, *flows: tuple[str, str]) -> None:
    state = ProjectState.from_body(
        {
            "schemaVersion": 1,
            "sourceActivepiecesVersion": "0.70.0",
            "flows": [_flow(ext, name) for ext, name in flows],
        }
    )
    write_state_file(folder / "templates" / "standard.json", state)


@pytest.fixture
def document(activepieces_emulator: Any, tmp_path: Path) -> Path:
    activepieces_emulator.state.configure_platform(environments_enabled=True)
    _template(tmp_path, ("welcome", "Welcome sequence"), ("alerts", "Alert flow"))
    path = tmp_path / "tenants.json"  # JSON: the CLI reads it as data, beside its templates
    path.write_text(
        json.dumps(
            {
                "defaults": {"template": "templates/standard.json"},
                "tenants": [{"external_id": "acme"}, {"external_id": "globex"}],
            }
        ),
        encoding="utf-8",
    )
    return path


def test_plan_shows_each_tenants_flows_and_apply_installs_them(
    activepieces_emulator: Any, document: Path
) -> None:
    emu = activepieces_emulator
    res = run(emu, "tenants", "plan", str(document), "--full")
    assert res.exit_code == 0, res.output
    assert "flow: 4 create" in res.stdout
    for tenant in ("acme", "globex"):
        rows = [line for line in res.stdout.splitlines() if tenant in line and "flow " in line]
        assert any("flow Welcome sequence" in row for row in rows), res.stdout
        assert any("flow Alert flow" in row for row in rows), res.stdout

    res = run(emu, "tenants", "apply", str(document))
    assert res.exit_code == 0, res.output
    res = run(emu, "tenants", "plan", str(document), "--detailed-exitcode")
    assert res.exit_code == 0, res.output  # nothing left to change


def test_dropped_flows_are_confirmed_and_limited(
    activepieces_emulator: Any, document: Path
) -> None:
    emu = activepieces_emulator
    assert run(emu, "tenants", "apply", str(document)).exit_code == 0
    _template(document.parent, ("welcome", "Welcome sequence"))  # alerts goes from both
    replaces = emu.requests.count(route="projects.replace")

    res = run(emu, "tenants", "apply", str(document), "--max-deletions", "1", "--yes")
    assert res.exit_code == ExitCode.REFUSED, res.output
    assert "2 content item(s)" in res.output
    res = run(emu, "tenants", "apply", str(document))  # stdin is not a terminal
    assert res.exit_code == ExitCode.REFUSED, res.output
    assert "deletes 2 content item(s)" in res.output
    assert emu.requests.count(route="projects.replace") == replaces  # nothing was sent

    res = run(emu, "-o", "json", "tenants", "apply", str(document), "--yes")
    assert res.exit_code == 0, res.output
    deleted = [r for r in json.loads(res.stdout)["results"] if r["action"] == "delete"]
    assert sorted((r["external_id"], r["label"], r["status"]) for r in deleted) == [
        ("acme", "flow Alert flow", "succeeded"),
        ("globex", "flow Alert flow", "succeeded"),
    ]
