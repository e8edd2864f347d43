"""``activepieces projects export|replace`` against the emulator: files, the preview, the
confirmation and the exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from contents_seed import edited, seed
from typer.testing import CliRunner

from activepieces_core.cli import ExitCode, app
from activepieces_core.models import Project
from activepieces_core.models.state_file import read_state_file

pytestmark = pytest.mark.activepieces_emulator(environments=True)
runner = CliRunner()


def run(emu: Any, *args: str, stdin: str | None = None, json_out: bool = True) -> Any:
    env = {"ACTIVEPIECES_URL": emu.url, "ACTIVEPIECES_API_KEY": emu.api_key}
    options = ["--output", "json"] if json_out else []
    return runner.invoke(app, [*options, *args], env=env, input=stdin)


@pytest.fixture
def emu(activepieces_emulator: Any) -> Any:
    return activepieces_emulator


@pytest.fixture
def template(emu: Any, tmp_path: Path) -> Path:
    """``template.json``, exported from a seeded template project."""
    project = emu.state.add_project("Template", external_id="template")
    seed(emu, _project(emu, project["id"]))
    out = tmp_path / "template.json"
    res = run(emu, "projects", "export", "template", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == {
        "projectId": project["id"],
        "file": str(out),
        "flows": 2,
        "tables": 1,
        "folders": 1,
        "connections": 2,
    }
    return out


def _project(emu: Any, project_id: str) -> Project:
    return Project.model_validate(emu.state.get_project(project_id))


def test_export_writes_the_replace_body(template: Path) -> None:
    state = read_state_file(template)
    assert sorted(f["externalId"] for f in state.flows) == ["flow-0", "flow-1"]


def test_replace_shows_asks_and_replaces(emu: Any, template: Path) -> None:
    emu.state.add_project("Acme", external_id="acme")

    res = run(emu, "projects", "replace", "acme", str(template), stdin="y\n")

    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout[res.stdout.index("{") :])  # CliRunner echoes the answer "y"
    assert sorted((c["kind"], c["action"]) for c in out["changes"]) == [
        ("flow", "create"),
        ("flow", "create"),
        ("folder", "create"),
        ("table", "create"),
    ]
    assert out["result"]["applied"]["flowsCreated"] == 2
    again = run(emu, "projects", "replace", "acme", str(template), "--yes")
    assert json.loads(again.stdout)["changes"] == []


def test_not_confirmed_changes_nothing(emu: Any, template: Path, tmp_path: Path) -> None:
    acme = emu.state.add_project("Acme", external_id="acme")
    assert run(emu, "projects", "replace", "acme", str(template), "--yes").exit_code == 0
    body = edited(json.loads(template.read_text()), "remove flow")
    smaller = tmp_path / "smaller.json"
    smaller.write_text(json.dumps(body))

    res = run(emu, "projects", "replace", "acme", str(smaller), stdin="n\n", json_out=False)

    assert res.exit_code == ExitCode.REFUSED
    assert "delete" in res.output  # the preview named the deletion before asking
    assert len(emu.state.flows_of(acme["id"])) == 2
    assert emu.requests.count(route="projects.replace") == 1  # only the first one


def test_a_bad_file_exits_2_before_any_request(emu: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"sourceActivepiecesVersion": "0.78.0", "flows": [{"id": "x"}]}')

    res = run(emu, "projects", "replace", "acme", str(bad), "--yes")

    assert res.exit_code == ExitCode.USAGE
    assert "version must be an object" in res.output
    assert len(emu.requests) == 0


def test_some_items_failed_exits_1(emu: Any, template: Path) -> None:
    emu.state.add_project("Acme", external_id="acme")
    emu.state.contents.failing_items = {("flow", "flow-1")}

    res = run(emu, "projects", "replace", "acme", str(template), "--yes")

    assert res.exit_code == ExitCode.TENANT_FAILED
    failed = json.loads(res.stdout)["result"]["failed"]
    assert [(f["externalId"], f["op"]) for f in failed] == [("flow-1", "CREATE")]


def test_an_unknown_project_exits_4(emu: Any, template: Path) -> None:
    res = run(emu, "projects", "replace", "nobody", str(template), "--yes")
    assert res.exit_code == ExitCode.API
    assert "no project with external id 'nobody'" in res.output
