"""``activepieces projects create/update`` and the project fields of core's description (the 2026
fields), over real HTTP to the emulator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from activepieces_core.cli import app

runner = CliRunner()


def run(emu: Any, *args: str) -> Any:
    env = {"ACTIVEPIECES_URL": emu.url, "ACTIVEPIECES_API_KEY": emu.api_key}
    return runner.invoke(app, ["--output", "json", "projects", *args], env=env)


@pytest.fixture
def emu(activepieces_emulator: Any) -> Any:
    # Without worker groups the server drops workerGroupId (as upstream does).
    activepieces_emulator.state.configure_platform(worker_groups_enabled=True)
    return activepieces_emulator


FIELDS = (
    "--notify-flow-owner-on-failure",
    "--active-flows-limit",
    "3",
    "--worker-group-id",
    "gpu",
    "--execution-data-retention-days",
    "14",
    "--sensitive",
)


def _fields(project: dict[str, Any]) -> tuple[Any, ...]:
    return (
        project["notifyFlowOwnerOnFailure"],
        project["plan"]["activeFlowsLimit"],
        project["workerGroupId"],
        project["executionDataRetentionDays"],
        project["sensitive"],
    )


def test_create_ensure_sets_the_fields_then_leaves_them(emu: Any) -> None:
    res = run(emu, "create", "Acme", "--external-id", "acme", "--ensure", *FIELDS)
    assert res.exit_code == 0, res.output
    assert _fields(json.loads(res.stdout)) == (True, 3, "gpu", 14, True)
    assert _fields(emu.state.projects(types=["TEAM"])[0]) == (True, 3, "gpu", 14, True)
    # One create and the one update that sets what create cannot.
    assert emu.requests.count(route="create") == 1
    assert emu.requests.count(route="update") == 1

    res = run(emu, "create", "Acme", "--external-id", "acme", "--ensure", *FIELDS)
    assert res.exit_code == 0, res.output
    assert emu.requests.count(route="create") == 1
    assert emu.requests.count(route="update") == 1  # already so: nothing written


def test_update_sets_only_the_fields_given(emu: Any) -> None:
    made = emu.state.add_project("Acme", external_id="acme", sensitive=True)
    res = run(
        emu,
        "update",
        "--external-id",
        "acme",
        "--no-notify-flow-owner-on-failure",
        "--execution-data-retention-days",
        "30",
    )
    assert res.exit_code == 0, res.output
    stored = emu.state.get_project(made["id"])
    assert stored["notifyFlowOwnerOnFailure"] is False
    assert stored["executionDataRetentionDays"] == 30
    assert stored["sensitive"] is True  # not given: left alone
    assert emu.requests.count(route="update") == 1


def test_create_without_ensure_refuses_what_only_an_update_sets(emu: Any) -> None:
    res = run(emu, "create", "Acme", "--external-id", "acme", "--no-sensitive")
    assert res.exit_code == 2, res.output
    assert "--sensitive" in res.output
    assert "--ensure" in res.output
    assert emu.requests.count(route="create") == 0


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("create", ("Acme", "--external-id", "acme", "--ensure", "--active-flows-limit", "0")),
        ("update", ("--external-id", "acme", "--execution-data-retention-days", "-1")),
        ("update", ("--external-id", "acme", "--worker-group-id", " ")),
    ],
)
def test_core_refuses_bad_values_before_any_write(
    emu: Any, command: str, args: tuple[str, ...]
) -> None:
    emu.state.add_project("Acme", external_id="acme")
    res = run(emu, command, *args)
    assert res.exit_code == 2, res.output  # bad input
    assert emu.requests.count(route="create") == 0
    assert emu.requests.count(route="update") == 0


@pytest.mark.parametrize("command", ["create", "update"])
def test_help_lists_the_2026_fields(command: str) -> None:
    res = runner.invoke(app, ["projects", command, "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    for option in (
        "--notify-flow-owner-on-failure",
        "--no-notify-flow-owner-on-failure",
        "--active-flows-limit",
        "--worker-group-id",
        "--execution-data-retention-days",
        "--sensitive",
        "--no-sensitive",
    ):
        assert option in res.output
    assert "Mark the project as holding sensitive data." in res.output  # core's help text
