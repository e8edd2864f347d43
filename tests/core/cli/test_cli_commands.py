"""The ``activepieces`` CLI against the emulator: JSON output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from activepieces_core.cli import ExitCode, app

runner = CliRunner()


def run(emu: Any, *args: str, key: str | None = None, stdin: str | None = None) -> Any:
    env = {"ACTIVEPIECES_URL": emu.url, "ACTIVEPIECES_API_KEY": key or emu.api_key}
    return runner.invoke(app, ["--output", "json", *args], env=env, input=stdin)


def tenant_file(tmp_path: Path, rows: list[dict[str, Any]]) -> str:
    path = tmp_path / "tenants.json"
    path.write_text(json.dumps(rows))
    return str(path)


def test_projects_crud_json(activepieces_emulator: Any) -> None:
    emu = activepieces_emulator
    res = run(emu, "projects", "create", "Acme", "--external-id", "acme", "--metadata", '{"a":1}')
    assert res.exit_code == 0, res.output
    created = json.loads(res.stdout)
    assert created["externalId"] == "acme"
    assert created["metadata"] == {"a": 1}

    res = run(emu, "projects", "list", "--type", "team", "--limit", "10")
    page = json.loads(res.stdout)
    assert [p["id"] for p in page["data"]] == [created["id"]]
    assert page["next"] is None

    res = run(emu, "projects", "get", "--external-id", "acme")
    assert json.loads(res.stdout)["id"] == created["id"]

    res = run(
        emu,
        "projects",
        "update",
        created["id"],
        "--display-name",
        "Acme 2",
        "--pieces",
        "slack",
        "--icon-color",
        "red",
        "--releases",
    )
    updated = json.loads(res.stdout)
    assert res.exit_code == 0, res.output
    assert updated["displayName"] == "Acme 2"
    assert updated["icon"]["color"] == "RED"
    assert updated["plan"]["pieces"] == ["@activepieces/piece-slack"]

    res = run(emu, "projects", "update", created["id"], "--pieces", "ALL")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["plan"]["piecesFilterType"] == "NONE"
    sent = len(emu.requests)
    res = run(emu, "projects", "update", created["id"], "--pieces", "*")
    assert res.exit_code == 2  # usage, before any request
    assert "'all' allows every piece" in res.output
    assert len(emu.requests) == sent

    res = run(emu, "projects", "delete", created["id"], stdin="n\n")
    assert res.exit_code == ExitCode.REFUSED
    res = run(emu, "projects", "delete", created["id"], "--yes")
    assert res.exit_code == 0
    assert json.loads(res.stdout)["deleted"] == created["id"]
    assert emu.state.projects(types=["TEAM"]) == []


def test_key_is_never_echoed(activepieces_emulator: Any) -> None:
    emu = activepieces_emulator
    bad = "sk-" + "Z" * 61
    res = run(emu, "projects", "list", key=bad)
    assert res.exit_code == 3  # the documented number (README), not the enum
    assert bad not in res.output
    assert emu.api_key not in res.output
    res = runner.invoke(app, ["--help"])
    assert "ACTIVEPIECES_API_KEY" in res.output


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["projects", "get", "000000000000000000000"], 4),  # documented numbers, not the enum
        (["projects", "get"], ExitCode.USAGE),
        (["projects", "create", "bad.name"], ExitCode.USAGE),
        (["projects", "list", "--limit", "abc"], ExitCode.USAGE),
        (["tenants", "plan", "/nonexistent.yaml"], ExitCode.USAGE),
        (["nope"], ExitCode.USAGE),
    ],
)
def test_exit_codes(activepieces_emulator: Any, args: list[str], code: int) -> None:
    res = run(activepieces_emulator, *args)
    assert res.exit_code == code, res.output


def test_missing_key_and_unreachable_server(activepieces_emulator: Any) -> None:
    res = runner.invoke(app, ["projects", "list"], env={"ACTIVEPIECES_API_KEY": ""})
    assert res.exit_code == 2  # the documented number (README), not the enum
    assert "API key" in res.output
    res = runner.invoke(
        app,
        ["--max-retries", "0", "--url", "http://127.0.0.1:9/api/v1", "projects", "list"],
        env={"ACTIVEPIECES_API_KEY": activepieces_emulator.api_key},
    )
    assert res.exit_code == 5, res.output  # the documented number (README), not the enum


def test_tenants_plan_and_apply(activepieces_emulator: Any, tmp_path: Path) -> None:
    emu = activepieces_emulator
    emu.state.add_project("Old", external_id="old")
    path = tenant_file(tmp_path, [{"external_id": "a"}, {"external_id": "b", "pieces": ["slack"]}])

    res = run(emu, "tenants", "validate", path)
    assert res.exit_code == 0
    assert json.loads(res.stdout) == {"valid": True, "tenants": 2}

    res = run(emu, "tenants", "plan", path, "--prune")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["summary"] == {"create": 2, "update": 0, "delete": 1, "noop": 0}

    # deletions need --yes when stdin is not a terminal, and respect --max-deletions
    assert (
        run(emu, "tenants", "apply", path, "--prune", "--no-archive").exit_code == ExitCode.REFUSED
    )
    res = run(
        emu, "tenants", "apply", path, "--prune", "--no-archive", "--yes", "--max-deletions", "0"
    )
    assert res.exit_code == 6  # the documented number (README), not the enum
    assert "max_deletions" in res.output
    res = run(emu, "tenants", "apply", path, "--prune", "--no-archive", "--dry-run")
    assert res.exit_code == 0
    assert json.loads(res.stdout)["summary"]["planned"] == 3
    assert len(emu.state.projects(types=["TEAM"])) == 1

    res = run(
        emu, "tenants", "apply", path, "--prune", "--no-archive", "--yes", "--concurrency", "2"
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["summary"]["succeeded"] == 3
    assert sorted(p["externalId"] for p in emu.state.projects(types=["TEAM"])) == ["a", "b"]


def test_tenants_apply_exit_1_when_a_tenant_fails(
    activepieces_emulator: Any, tmp_path: Path
) -> None:
    emu = activepieces_emulator
    emu.state.add_project("Existing", external_id="existing")
    emu.state.configure_platform(team_projects_limit="ONE")  # further creates fail with 402
    path = tenant_file(
        tmp_path, [{"external_id": "existing", "display_name": "Renamed"}, {"external_id": "new"}]
    )
    res = run(emu, "tenants", "apply", path)
    assert res.exit_code == 1, res.output  # the documented number (README), not the enum
    report = json.loads(res.stdout)
    status = {r["external_id"]: r["status"] for r in report["results"]}
    assert status == {"existing": "succeeded", "new": "failed"}


def test_table_output(activepieces_emulator: Any, tmp_path: Path) -> None:
    emu = activepieces_emulator
    path = tenant_file(tmp_path, [{"external_id": "a", "display_name": "Alpha"}])
    env = {"ACTIVEPIECES_URL": emu.url, "ACTIVEPIECES_API_KEY": emu.api_key}
    res = runner.invoke(app, ["tenants", "apply", path], env=env)
    assert res.exit_code == 0, res.output
    assert "1 to create" in res.output
    assert "1 succeeded" in res.output
    res = runner.invoke(app, ["projects", "list"], env=env)
    assert "Alpha" in res.output


def test_every_exit_code_has_its_own_number() -> None:
    """No two outcomes share a code (STALE was once an alias of AUTH), and the CLI page's list
    (docs/cli.md, where the README links) names each of them."""
    assert sorted(int(code) for code in ExitCode) == list(range(8))
    page = Path(__file__).resolve().parents[3] / "docs" / "cli.md"
    readme = page.read_text(encoding="utf-8")
    listed = readme.split("Exit codes: ", 1)[1].split("`plan --detailed-exitcode`", 1)[0]
    words = " ".join(listed.split())
    for code in ExitCode:
        assert f" {int(code)} " in f" {words}", f"README's exit codes miss {code.name}"
