"""``tenants plan --out`` / ``tenants apply PLAN.json``: saved plans, staleness, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from activepieces_core.cli import ExitCode, app

runner = CliRunner()

ROWS = [
    {"external_id": "keep", "display_name": "Keep"},
    {"external_id": "upd", "display_name": "New name"},
    {"external_id": "new", "display_name": "Brand new"},
]


def run(emu: Any, *args: str, json_out: bool = True) -> Any:
    env = {"ACTIVEPIECES_URL": emu.url, "ACTIVEPIECES_API_KEY": emu.api_key}
    return runner.invoke(app, [*(["-o", "json"] if json_out else []), *args], env=env)


def writes(emu: Any) -> int:
    return sum(emu.requests.count(route=r) for r in ("create", "update", "delete"))


@pytest.fixture
def seeded(activepieces_emulator: Any, tmp_path: Path) -> tuple[Any, dict[str, str], Path]:
    emu = activepieces_emulator
    ids = {
        "keep": emu.state.add_project("Keep", external_id="keep")["id"],
        "upd": emu.state.add_project("Old name", external_id="upd")["id"],
        "gone": emu.state.add_project("Gone", external_id="gone")["id"],
    }
    doc = tmp_path / "tenants.yaml"
    doc.write_text("tenants:\n" + "".join(f"  - {json.dumps(r)}\n" for r in ROWS))
    return emu, ids, doc


def test_plan_out_then_apply_exactly_that_plan(
    seeded: tuple[Any, dict[str, str], Path], tmp_path: Path
) -> None:
    emu, ids, doc = seeded
    saved = tmp_path / "plan.json"
    res = run(emu, "tenants", "plan", str(doc), "--prune", "--out", str(saved))
    assert res.exit_code == 0, res.output
    printed = json.loads(res.stdout)
    on_disk = json.loads(saved.read_text())
    assert printed == on_disk  # `plan -o json` prints the saved-plan structure
    assert on_disk["format_version"] == 4
    assert on_disk["document_digest"].startswith("sha256:")
    assert on_disk["summary"] == {"create": 1, "update": 1, "delete": 1, "noop": 1}
    # format 2: a create (planned against nothing) leaves out its null ``observed``
    touched = {c["external_id"]: c.get("observed") for c in on_disk["changes"]}
    assert touched["new"] is None
    assert touched["upd"]["id"] == ids["upd"]
    assert touched["upd"]["display_name"] == "Old name"

    # The tenant file changes after review: the saved plan still applies what was reviewed.
    doc.write_text("tenants: []\n")
    emu.requests.clear()
    res = run(emu, "tenants", "apply", str(saved), "--yes", "--no-archive")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["summary"]["succeeded"] == 3
    team = {p["externalId"]: p["displayName"] for p in emu.state.projects(types=["TEAM"])}
    assert team == {"keep": "Keep", "upd": "New name", "new": "Brand new"}
    # the re-read: the create's lookup by external id, the update's and delete's GET by id
    assert emu.requests.count(route="list") == 1
    assert emu.requests.count(route="get") == 2

    # Applying it twice: everything it touched moved on since (by its own hand).
    emu.requests.clear()
    res = run(emu, "tenants", "apply", str(saved), "--yes", "--no-archive")
    assert res.exit_code == 7, res.output  # the documented number (README), not the enum
    assert writes(emu) == 0


def test_a_change_on_the_server_between_plan_and_apply_refuses_the_whole_plan(
    seeded: tuple[Any, dict[str, str], Path], tmp_path: Path
) -> None:
    emu, ids, doc = seeded
    saved = tmp_path / "plan.json"
    assert run(emu, "tenants", "plan", str(doc), "--prune", "--out", str(saved)).exit_code == 0
    emu.state.add_project("Brand new", external_id="new")  # appeared
    env = {"ACTIVEPIECES_URL": emu.url, "ACTIVEPIECES_API_KEY": emu.api_key}
    moved = runner.invoke(
        app, ["projects", "update", ids["upd"], "--metadata", '{"by": "hand"}'], env=env
    )
    assert moved.exit_code == 0, moved.output
    before = emu.state.projects(types=["TEAM"])
    emu.requests.clear()
    res = run(emu, "tenants", "apply", str(saved), "--yes", "--no-archive", json_out=False)
    assert res.exit_code == ExitCode.STALE, res.output
    assert writes(emu) == 0
    assert emu.state.projects(types=["TEAM"]) == before
    assert "stale" in res.stderr
    assert "nothing was applied" in res.stderr
    assert "upd: project changed (metadata, updated)" in res.stderr
    assert "new: project appeared" in res.stderr
    assert "keep" not in res.stderr
    assert "gone" not in res.stderr


def test_a_hand_edited_plan_is_refused(
    seeded: tuple[Any, dict[str, str], Path], tmp_path: Path
) -> None:
    emu, _, doc = seeded
    saved = tmp_path / "plan.json"
    assert run(emu, "tenants", "plan", str(doc), "--prune", "--out", str(saved)).exit_code == 0
    data = json.loads(saved.read_text())
    deletion = next(c for c in data["changes"] if c["action"] == "delete")
    deletion["external_id"] = "keep"  # a reviewer saw "gone"; someone swaps the victim
    saved.write_text(json.dumps(data, indent=2))
    emu.requests.clear()
    res = run(emu, "tenants", "apply", str(saved), "--yes", "--no-archive", json_out=False)
    assert res.exit_code == ExitCode.USAGE, res.output
    assert "digest" in res.stderr
    assert len(emu.requests) == 0


def test_saved_plan_options(seeded: tuple[Any, dict[str, str], Path], tmp_path: Path) -> None:
    emu, _, doc = seeded
    saved = tmp_path / "plan.json"
    assert run(emu, "tenants", "plan", str(doc), "--out", str(saved)).exit_code == 0
    res = run(emu, "tenants", "apply", str(saved), "--prune")
    assert res.exit_code == ExitCode.USAGE
    assert "--prune" in res.output
    other = tmp_path / "other.yaml"
    other.write_text("tenants: [{external_id: someone-else}]\n")
    emu.requests.clear()
    res = run(emu, "tenants", "apply", str(saved), "--document", str(other), json_out=False)
    assert res.exit_code == ExitCode.STALE, res.output
    assert "another tenant document" in res.stderr
    assert len(emu.requests) == 0
    # The same tenants in another spelling (JSON instead of YAML) are the same document.
    same = tmp_path / "same.json"
    same.write_text(json.dumps({"tenants": ROWS}))
    res = run(emu, "tenants", "apply", str(saved), "--document", str(same))
    assert res.exit_code == 0, res.output
    res = run(emu, "tenants", "apply", str(doc), "--document", str(doc))
    assert res.exit_code == ExitCode.USAGE


def test_a_json_tenant_document_is_not_taken_for_a_plan(
    activepieces_emulator: Any, tmp_path: Path
) -> None:
    emu = activepieces_emulator
    doc = tmp_path / "tenants.json"
    doc.write_text(json.dumps({"tenants": [{"external_id": "a"}]}))
    res = run(emu, "tenants", "apply", str(doc))
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["summary"]["create"] == 1
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    res = run(emu, "tenants", "apply", str(broken), json_out=False)
    assert res.exit_code == ExitCode.USAGE
    assert "broken.json" in res.stderr


def test_detailed_exitcode(seeded: tuple[Any, dict[str, str], Path], tmp_path: Path) -> None:
    emu, _, doc = seeded
    res = run(emu, "tenants", "plan", str(doc), "--detailed-exitcode")
    assert res.exit_code == 2, res.output  # changes pending
    assert json.loads(res.stdout)["summary"]["update"] == 1
    assert run(emu, "tenants", "apply", str(doc)).exit_code == 0
    res = run(emu, "tenants", "plan", str(doc), "--detailed-exitcode", json_out=False)
    assert res.exit_code == 0, res.output  # no changes
    assert "0 to create" in res.stdout
    # Every error is 1, whatever its usual code.
    res = run(emu, "tenants", "plan", str(tmp_path / "missing.yaml"), "--detailed-exitcode")
    assert res.exit_code == 1
    env = {"ACTIVEPIECES_URL": emu.url, "ACTIVEPIECES_API_KEY": "sk-" + "x" * 61}
    res = runner.invoke(app, ["tenants", "plan", str(doc), "--detailed-exitcode"], env=env)
    assert res.exit_code == 1
    # Without the flag, the usual codes.
    assert run(emu, "tenants", "plan", str(tmp_path / "missing.yaml")).exit_code == 2


def _main(emu: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"ACTIVEPIECES_URL": emu.url, "ACTIVEPIECES_API_KEY": emu.api_key, "PATH": ""}
    code = "from activepieces_core.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_detailed_exitcode_through_the_console_script(
    seeded: tuple[Any, dict[str, str], Path],
) -> None:
    emu, _, doc = seeded
    # A mistyped option is Click's usage error (2 normally): with the flag it must not read
    # as "changes pending".
    done = _main(emu, "tenants", "plan", str(doc), "--detailed-exitcode", "--prnue")
    assert done.returncode == 1, done.stderr
    done = _main(emu, "tenants", "plan", str(doc), "--prnue")
    assert done.returncode == 2
    done = _main(emu, "tenants", "plan", str(doc), "--detailed-exitcode")
    assert done.returncode == 2, done.stderr
    assert "1 to update" in done.stdout


def test_apply_help_documents_the_stale_exit_code() -> None:
    res = runner.invoke(app, ["tenants", "apply", "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "nothing is applied (exit 7" in " ".join(res.output.split())


def test_a_large_plan_is_saved_canonical_and_verified_over_its_text(
    seeded: tuple[Any, dict[str, str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from activepieces_core.cli import tenants as cli_tenants

    monkeypatch.setattr(cli_tenants, "INDENT_MAX_CHANGES", 1)  # "large" from 2 changes on
    emu, ids, doc = seeded
    saved = tmp_path / "plan.json"
    assert run(emu, "tenants", "plan", str(doc), "--prune", "--out", str(saved)).exit_code == 0
    text = saved.read_text()
    data = json.loads(text)
    assert text == json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n"  # canonical
    edited = tmp_path / "edited.json"
    edited.write_text(text.replace('"New name"', '"Other name"', 1))
    res = run(emu, "tenants", "apply", str(edited), "--yes", "--no-archive", json_out=False)
    assert res.exit_code == ExitCode.USAGE, res.output
    assert "digest" in res.stderr
    assert writes(emu) == 0
    res = run(emu, "tenants", "apply", str(saved), "--yes", "--no-archive", json_out=False)
    assert res.exit_code == 0, res.output
    assert emu.state.get_project(ids["upd"])["displayName"] == "New name"


def test_a_format_1_plan_file_still_applies(
    seeded: tuple[Any, dict[str, str], Path], tmp_path: Path
) -> None:
    from activepieces_core.tenants import Plan
    from activepieces_core.tenants.saved import seal, sealed_text

    emu, ids, doc = seeded
    saved = tmp_path / "plan.json"
    assert run(emu, "tenants", "plan", str(doc), "--out", str(saved)).exit_code == 0
    # The same plan as format 1 wrote it: every field of every change, nulls and labels.
    made = Plan.from_dict(json.loads(saved.read_text()))
    old = made.model_dump(mode="json")
    old.update(format_version=1, document_digest=made.document_digest)
    assert None in old["changes"][0].values()
    for text in (sealed_text(seal(old)), json.dumps(seal(old), indent=2)):
        saved.write_text(text)
        res = run(emu, "tenants", "apply", str(saved), "--yes", "--dry-run", json_out=False)
        assert res.exit_code == 0, res.output
    res = run(emu, "tenants", "apply", str(saved), "--yes")
    assert res.exit_code == 0, res.output
    assert emu.state.get_project(ids["upd"])["displayName"] == "New name"
