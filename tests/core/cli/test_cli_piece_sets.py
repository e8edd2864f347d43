"""``activepieces piece-sets ...`` over real HTTP to the emulator: outputs and exit codes."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from activepieces_core.cli import ExitCode, app

runner = CliRunner()
SLACK, GMAIL, OPENAI = (f"@activepieces/piece-{p}" for p in ("slack", "gmail", "openai"))


def run(emu: Any, *args: str, stdin: str | None = None) -> Any:
    env = {"ACTIVEPIECES_URL": emu.url, "ACTIVEPIECES_API_KEY": emu.api_key}
    return runner.invoke(app, list(args), env=env, input=stdin)


def test_legacy_platform_says_it_has_no_piece_sets(activepieces_emulator: Any) -> None:
    for args in (("piece-sets", "list"), ("piece-sets", "ensure", "gold", "--name", "Gold")):
        res = run(activepieces_emulator, *args)
        assert res.exit_code == ExitCode.API, res.output
        assert "this platform has no piece sets" in res.output


def test_ensure_list_get_converge(activepieces_emulator: Any) -> None:
    emu = activepieces_emulator
    emu.state.configure_platform(manage_pieces_enabled=True)
    emu.state.add_project("Acme", external_id="acme")  # the Default set is made lazily
    ensure = ("piece-sets", "ensure", "gold", "--name", "Gold")
    res = run(emu, "-o", "json", *ensure, "--allow", "slack", "--allow", "gmail")
    assert res.exit_code == 0, res.output
    created = json.loads(res.stdout)
    assert created["action"] == "created"
    assert created["pieceSet"]["config"]["pieces"] == {
        "mode": "exclude_all",
        "exceptions": [GMAIL, SLACK],
    }
    res = run(emu, *ensure, "--allow", "gmail", "--allow", "slack")
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("unchanged: gold")
    res = run(emu, "-o", "json", *ensure, "--block", "openai")
    assert json.loads(res.stdout)["action"] == "updated"
    stored = emu.state.piece_sets.by_key("gold")
    assert stored is not None
    assert stored["config"]["pieces"] == {"mode": "include_all", "exceptions": [OPENAI]}

    res = run(emu, "piece-sets", "list")
    assert res.exit_code == 0, res.output
    lines = {line.split("│")[1].strip(): line for line in res.stdout.splitlines() if "│" in line}
    assert "include_all" in lines["gold"]
    assert "openai" in lines["gold"]
    assert "@activepieces" not in lines["gold"]  # short names
    assert "yes" in lines["default"]
    assert "yes" not in lines["gold"]
    res = run(emu, "-o", "json", "piece-sets", "get", "gold")
    assert json.loads(res.stdout)["name"] == "Gold"

    res = run(emu, *ensure, "--allow", "slack", "--block", "openai")
    assert res.exit_code == ExitCode.USAGE
    res = run(emu, "piece-sets", "get", "nope")
    assert res.exit_code == ExitCode.API
    assert "no piece set with key 'nope'" in res.output


def test_assign_unassign_delete(activepieces_emulator: Any) -> None:
    emu = activepieces_emulator
    emu.state.configure_platform(manage_pieces_enabled=True)
    acme = emu.state.add_project("Acme", external_id="acme")
    globex = emu.state.add_project("Globex", external_id="globex")
    res = run(emu, "piece-sets", "ensure", "gold", "--name", "Gold", "--allow", "slack")
    assert res.exit_code == 0, res.output

    res = run(emu, "piece-sets", "assign", "gold", "--external-id", "acme")
    assert res.exit_code == 0, res.output
    assert f"assigned: project {acme['id']} gold" in res.stdout
    res = run(emu, "-o", "json", "piece-sets", "assign", "gold", globex["id"])
    assert json.loads(res.stdout) == {
        "action": "assigned",
        "key": "gold",
        "projectId": globex["id"],
    }
    assert emu.state.visible_pieces(acme["id"]) == [SLACK]
    assert emu.state.visible_pieces(globex["id"]) == [SLACK]

    res = run(emu, "piece-sets", "unassign", "gold", "--external-id", "acme")
    assert res.exit_code == 0, res.output
    assert len(emu.state.visible_pieces(acme["id"])) > 1  # back on Default: everything
    res = run(emu, "piece-sets", "assign", "gold")
    assert res.exit_code == ExitCode.USAGE
    res = run(emu, "piece-sets", "assign", "gold", "--external-id", "nobody")
    assert res.exit_code == ExitCode.API

    res = run(emu, "piece-sets", "delete", "gold", stdin="y\n")  # not a terminal: refused
    assert res.exit_code == ExitCode.REFUSED
    assert emu.state.piece_sets.by_key("gold") is not None
    res = run(emu, "piece-sets", "delete", "gold", "--yes")
    assert res.exit_code == 0, res.output
    assert emu.state.piece_sets.by_key("gold") is None
    assert len(emu.state.visible_pieces(globex["id"])) > 1  # its project went to Default
    res = run(emu, "piece-sets", "delete", "default", "--yes")
    assert res.exit_code == ExitCode.USAGE, res.output  # refused before sending
    assert "default" in res.output.lower()
    assert emu.state.piece_sets.by_key("default") is not None


def test_teardown_removes_the_tenants_own_set(activepieces_emulator: Any, tmp_path: Any) -> None:
    emu = activepieces_emulator
    emu.state.configure_platform(manage_pieces_enabled=True)
    doc = tmp_path / "tenants.yaml"
    doc.write_text("tenants:\n  - {external_id: acme, pieces: [slack]}\n")
    res = run(emu, "tenants", "apply", str(doc))
    assert res.exit_code == 0, res.output
    project = emu.state.projects(types=["TEAM"])[0]
    assert emu.state.visible_pieces(project["id"]) == [SLACK]
    owned = [s for s in emu.state.piece_sets.all() if not s.get("isDefault")]
    assert len(owned) == 1

    res = run(emu, "tenants", "teardown", "acme", "--yes", "--no-archive")
    assert res.exit_code == 0, res.output
    assert "1 deleted, 0 missing, 0 failed" in res.stdout
    assert emu.state.projects(types=["TEAM"]) == []
    assert [s for s in emu.state.piece_sets.all() if not s.get("isDefault")] == []
