"""examples/gitops: the plan-on-PR / apply-on-merge script, run for real against the emulator."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "examples" / "gitops" / "tenants.sh"
WORKFLOW = ROOT / "examples" / "gitops" / "tenants-workflow.yml"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def _script(emu: Any, cwd: Path, step: str, **env: str) -> subprocess.CompletedProcess[str]:
    bin_dir = str(Path(sys.executable).parent)  # where the `activepieces` console script is
    full_env = {
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "ACTIVEPIECES_URL": emu.url,
        "ACTIVEPIECES_API_KEY": emu.api_key,
        "GITHUB_OUTPUT": str(cwd / "github-output"),
        **env,
    }
    return subprocess.run(
        ["bash", str(SCRIPT), step],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_plan_review_apply_and_a_stale_plan(activepieces_emulator: Any, tmp_path: Path) -> None:
    emu = activepieces_emulator
    emu.state.add_project("Gone", external_id="gone")
    shutil.copy(ROOT / "examples" / "tenants.yaml", tmp_path / "tenants.yaml")
    emu.state.configure_platform(team_projects_limit="UNLIMITED")

    done = _script(emu, tmp_path, "plan")
    assert done.returncode == 2, done.stderr  # changes pending
    assert "Changes pending" in done.stdout
    assert (tmp_path / "github-output").read_text() == "changes=true\n"
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["summary"]["delete"] == 1
    assert "to create" in (tmp_path / "plan.txt").read_text()
    assert len(emu.requests) == emu.requests.count(method="GET")  # planning only reads

    # Merge with a lower deletion limit than the plan needs: refused, nothing written.
    done = _script(emu, tmp_path, "apply", MAX_DELETIONS="0")
    assert done.returncode == 6, done.stdout + done.stderr
    # A merge that also changed the file (another PR merged first): refused as stale.
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(tmp_path / "plan.json", other / "plan.json")
    (other / "tenants.yaml").write_text("tenants: [{external_id: acme}]\n")
    done = _script(emu, other, "apply")
    assert done.returncode == 7, done.stdout + done.stderr
    assert "another tenant document" in done.stderr
    assert [p["externalId"] for p in emu.state.projects(types=["TEAM"])] == ["gone"]

    done = _script(emu, tmp_path, "apply")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Applied the reviewed plan." in done.stdout
    assert "gone" not in {p["externalId"] for p in emu.state.projects(types=["TEAM"])}

    # The same plan again: everything it touched moved on since it was made.
    done = _script(emu, tmp_path, "apply")
    assert done.returncode == 7, done.stdout + done.stderr
    assert "stale" in done.stderr

    (tmp_path / "github-output").unlink()
    done = _script(emu, tmp_path, "plan")
    assert done.returncode == 0, done.stderr  # nothing left to change
    assert (tmp_path / "github-output").read_text() == "changes=false\n"

    done = _script(emu, tmp_path, "plan", ACTIVEPIECES_API_KEY="sk-" + "x" * 61)
    assert done.returncode == 1  # an error is never "changes pending"


def test_the_workflow_runs_the_script_and_keeps_the_plan() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert set(triggers) == {"pull_request", "push"}
    plan_steps = " ".join(str(s.get("run", "")) for s in workflow["jobs"]["plan"]["steps"])
    apply_steps = " ".join(str(s.get("run", "")) for s in workflow["jobs"]["apply"]["steps"])
    assert "tenants.sh plan || test $? -eq 2" in plan_steps
    assert "tenants.sh apply" in apply_steps
    assert "gh run download" in apply_steps
    upload = next(
        s for s in workflow["jobs"]["plan"]["steps"] if "upload-artifact" in s.get("uses", "")
    )
    assert "plan.json" in upload["with"]["path"]
