"""``activepieces tenants teardown/apply --archive``, ``--no-archive`` and ``tenants restore``,
over real HTTP to the emulator: where archives go, what is refused, exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from activepieces_core.cli import ExitCode, app
from activepieces_core.tenants.archive import archive_name, read_archive

runner = CliRunner()


def run(emu: Any, *args: str) -> Any:
    env = {"ACTIVEPIECES_URL": emu.url, "ACTIVEPIECES_API_KEY": emu.api_key, "COLUMNS": "250"}
    return runner.invoke(app, list(args), env=env)


def _flow(external_id: str) -> dict[str, Any]:
    trigger = {"name": "trigger", "valid": False, "displayName": "Start", "type": "EMPTY"}
    version = {"displayName": external_id.title(), "trigger": trigger, "valid": False, "notes": []}
    return {"externalId": external_id, "status": "DISABLED", "version": version}


@pytest.fixture
def document(activepieces_emulator: Any, tmp_path: Path) -> Path:
    activepieces_emulator.state.configure_platform(environments_enabled=True)
    template = {"schemaVersion": 1, "sourceActivepiecesVersion": "0.70.0"}
    template["flows"] = [_flow("welcome"), _flow("alerts")]  # type: ignore[assignment]
    (tmp_path / "standard.json").write_text(json.dumps(template), encoding="utf-8")
    rows = [
        {"external_id": ext, "pieces": ["slack"], "members": [f"ada@{ext}.example:Admin"]}
        for ext in ("acme", "globex")
    ]
    path = tmp_path / "tenants.json"
    path.write_text(json.dumps({"defaults": {"template": "standard.json"}, "tenants": rows}))
    result = run(activepieces_emulator, "tenants", "apply", str(path), "--yes")
    assert result.exit_code == 0, result.output
    return path


def team(emu: Any) -> list[str]:
    return sorted(p["externalId"] for p in emu.state.projects(types=["TEAM"]))


def test_teardown_archives_then_restore_brings_the_tenant_back(
    activepieces_emulator: Any, document: Path, tmp_path: Path
) -> None:
    emu = activepieces_emulator
    archives = tmp_path / "archives"
    result = run(emu, "tenants", "teardown", "acme", "--yes", "--archive", str(archives))
    assert result.exit_code == 0, result.output
    where = f"{archives}/{archive_name('acme')}"
    assert where in result.output  # the teardown table names each archive
    assert team(emu) == ["globex"]

    result = run(emu, "tenants", "restore", where)
    assert result.exit_code == 0, result.output
    assert "Restored acme (created)" in result.output
    assert run(emu, "tenants", "plan", str(document), "--detailed-exitcode").exit_code == 0

    again = run(emu, "-o", "json", "tenants", "restore", where)
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["action"] == "unchanged"
    assert team(emu) == ["acme", "globex"]


def test_a_delete_needs_archive_or_no_archive(
    activepieces_emulator: Any, document: Path, tmp_path: Path
) -> None:
    emu = activepieces_emulator
    result = run(emu, "tenants", "teardown", "acme", "--yes")
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "--no-archive" in result.output
    assert team(emu) == ["acme", "globex"]
    both = run(emu, "tenants", "teardown", "acme", "--yes", "--no-archive", "--archive", "x")
    assert both.exit_code == ExitCode.USAGE
    assert run(emu, "tenants", "teardown", "acme", "--yes", "--no-archive").exit_code == 0
    assert team(emu) == ["globex"]


def test_prune_plan_says_where_each_archive_goes_and_apply_writes_it(
    activepieces_emulator: Any, document: Path, tmp_path: Path
) -> None:
    emu = activepieces_emulator
    data = json.loads(document.read_text())
    data["tenants"] = data["tenants"][:1]  # globex leaves the file
    document.write_text(json.dumps(data))
    url = "memory://cli-archives"
    shown = run(emu, "tenants", "plan", str(document), "--prune", "--archive", url)
    assert shown.exit_code == 0, shown.output
    assert f"archive → {url}/globex.json" in shown.output
    saved = tmp_path / "plan.json"
    assert run(emu, "tenants", "plan", str(document), "--prune", "--out", str(saved)).exit_code == 0
    result = run(emu, "tenants", "apply", str(saved), "--yes", "--archive", url)
    assert result.exit_code == 0, result.output
    assert read_archive(f"{url}/globex.json").external_id == "globex"
    assert team(emu) == ["acme"]


def test_an_unwritable_archive_dir_deletes_nothing_and_exits_as_a_failed_tenant(
    activepieces_emulator: Any, document: Path, tmp_path: Path
) -> None:
    emu = activepieces_emulator
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the archive directory should be")
    target = str(blocker / "archives")
    result = run(emu, "tenants", "teardown", "acme", "globex", "--yes", "--archive", target)
    assert result.exit_code == ExitCode.TENANT_FAILED, result.output
    assert result.output.count("ArchiveError") >= 2
    assert team(emu) == ["acme", "globex"]
    assert emu.requests.count(route="delete") == 0
    assert not os.path.exists(target)


def test_restore_refuses_a_live_tenant_unless_told(
    activepieces_emulator: Any, document: Path, tmp_path: Path
) -> None:
    emu = activepieces_emulator
    archives = tmp_path / "archives"
    assert (
        run(emu, "tenants", "teardown", "acme", "--yes", "--archive", str(archives)).exit_code == 0
    )
    where = str(archives / archive_name("acme"))
    other = {"tenants": [{"external_id": "acme", "display_name": "Someone else"}]}
    newcomer = tmp_path / "newcomer.json"
    newcomer.write_text(json.dumps(other))
    assert run(emu, "tenants", "apply", str(newcomer), "--yes").exit_code == 0
    refused = run(emu, "tenants", "restore", where)
    assert refused.exit_code == ExitCode.REFUSED, refused.output
    assert "--replace-existing" in refused.output
    names = [p["displayName"] for p in emu.state.projects(types=["TEAM"])]
    assert "Someone else" in names
    done = run(emu, "tenants", "restore", where, "--replace-existing")
    assert done.exit_code == 0, done.output
    assert run(emu, "tenants", "plan", str(document), "--detailed-exitcode").exit_code == 0
    renamed = run(
        emu, "tenants", "restore", where, "--external-id", "acme-2", "--display-name", "Acme II"
    )
    assert renamed.exit_code == 0, renamed.output
    assert "Acme II" in [p["displayName"] for p in emu.state.projects(types=["TEAM"])]
    missing = run(emu, "tenants", "restore", str(tmp_path / "nope.json"))
    assert missing.exit_code == ExitCode.USAGE
