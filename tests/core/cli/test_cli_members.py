"""``activepieces members ...`` over real HTTP to the emulator: outputs, exit codes, no links."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from activepieces_core.cli import ExitCode, app

runner = CliRunner()


def run(emu: Any, *args: str, stdin: str | None = None) -> Any:
    env = {"ACTIVEPIECES_URL": emu.url, "ACTIVEPIECES_API_KEY": emu.api_key}
    return runner.invoke(app, list(args), env=env, input=stdin)


def _links(emu: Any) -> list[str]:
    return [str(i["link"]) for i in emu.state.people.invitations() if i.get("link")]


def test_invite_converges_and_list_shows_people(activepieces_emulator: Any) -> None:
    emu = activepieces_emulator
    emu.state.configure_platform(invitations_auto_accept=False)  # PENDING ones carry a link
    project = emu.state.add_project("Acme", external_id="acme")
    emu.state.people.add_member(project["id"], "ops@acme.example", "Admin")
    outputs = []

    invite = ("members", "invite", "--external-id", "acme")
    res = run(emu, *invite, "new@acme.example")
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith(f"invited: new@acme.example (Editor) in project {project['id']}")
    outputs.append(res.output)
    res = run(emu, "-o", "json", *invite, "new@acme.example", "--role", "Editor")
    assert json.loads(res.stdout)["action"] == "unchanged"
    outputs.append(res.output)
    res = run(emu, "-o", "json", *invite, "NEW@acme.example", "--role", "Viewer")
    assert json.loads(res.stdout)["action"] == "invitation_updated"
    outputs.append(res.output)
    res = run(emu, "-o", "json", "members", "invite", "-p", project["id"], "ops@acme.example")
    assert json.loads(res.stdout)["action"] == "role_updated"
    outputs.append(res.output)

    res = run(emu, "-o", "json", "members", "list", "--external-id", "acme")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == {
        "projectId": project["id"],
        "people": [
            {"email": "ops@acme.example", "role": "Editor", "status": "member"},
            {"email": "new@acme.example", "role": "Viewer", "status": "invited"},
        ],
    }
    outputs.append(res.output)
    res = run(emu, "members", "list", "--external-id", "acme")
    assert "invited" in res.stdout
    assert "ops@acme.example" in res.stdout
    outputs.append(res.output)

    links = _links(emu)
    assert links  # the check below is not vacuous: a pending invitation has a link
    for text in outputs:
        assert not any(link in text for link in links)
        assert emu.api_key not in text


def test_unknown_role_is_refused_before_sending(activepieces_emulator: Any) -> None:
    emu = activepieces_emulator
    emu.state.add_project("Acme", external_id="acme")
    res = run(emu, "members", "invite", "-e", "acme", "x@acme.example", "--role", "Boss")
    assert res.exit_code == ExitCode.USAGE
    assert "Boss" in res.output
    assert emu.state.people.invitations() == []
    res = run(emu, "members", "invite", "-e", "acme", "not-an-email")
    assert res.exit_code == ExitCode.USAGE
    res = run(emu, "members", "invite", "x@acme.example")
    assert res.exit_code == ExitCode.USAGE
    assert "--project or --external-id" in res.output
    res = run(emu, "members", "list", "-e", "nobody")
    assert res.exit_code == ExitCode.API


def test_remove(activepieces_emulator: Any) -> None:
    emu = activepieces_emulator
    project = emu.state.add_project("Acme", external_id="acme")
    emu.state.people.add_member(project["id"], "ops@acme.example", "Admin")

    res = run(emu, "members", "remove", "-e", "acme", "ops@acme.example", stdin="y\n")
    assert res.exit_code == ExitCode.REFUSED  # not a terminal: only --yes confirms
    assert len(emu.state.people.members(project["id"])) == 1
    res = run(emu, "members", "remove", "-e", "acme", "ops@acme.example", "--yes")
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("removed: ops@acme.example")
    assert emu.state.people.members(project["id"]) == []
    res = run(emu, "-o", "json", "members", "remove", "-e", "acme", "ops@acme.example", "-y")
    assert json.loads(res.stdout)["action"] == "absent"


def _doc(tmp_path: Any, text: str) -> str:
    path = tmp_path / "tenants.yaml"
    path.write_text(text)
    return str(path)


def test_tenants_prune_members(activepieces_emulator: Any, tmp_path: Any) -> None:
    emu = activepieces_emulator
    project = emu.state.add_project("Acme", external_id="acme")
    emu.state.people.add_member(project["id"], "extra@acme.example", "Viewer")
    doc = _doc(
        tmp_path,
        "tenants:\n  - external_id: acme\n    display_name: Acme\n"
        "    members: [{email: ops@acme.example, role: Admin}]\n",
    )
    res = run(emu, "-o", "json", "tenants", "plan", doc)
    assert res.exit_code == 0, res.output
    deletes = [c for c in json.loads(res.stdout)["changes"] if c["action"] == "delete"]
    assert deletes == []
    res = run(emu, "-o", "json", "tenants", "plan", doc, "--prune-members")
    deletes = [c for c in json.loads(res.stdout)["changes"] if c["action"] == "delete"]
    assert [(c["kind"], c["key"]) for c in deletes] == [("member", "extra@acme.example")]

    res = run(emu, "tenants", "apply", doc, "--prune-members")
    assert res.exit_code == ExitCode.REFUSED  # a deletion, not confirmed
    res = run(emu, "tenants", "apply", doc, "--prune-members", "--yes")
    assert res.exit_code == 0, res.output
    assert emu.state.people.members(project["id"]) == []  # extra@ removed
    invited = [i["email"] for i in emu.state.people.invitations()]
    assert invited == ["ops@acme.example"]  # a member on sign-up


def test_tenants_teardown(activepieces_emulator: Any) -> None:
    emu = activepieces_emulator
    acme = emu.state.add_project("Acme", external_id="acme")
    globex = emu.state.add_project("Globex", external_id="globex")
    emu.state.people.add_member(acme["id"], "only@acme.example", "Editor")
    emu.state.people.add_member(acme["id"], "both@example.com", "Editor")
    emu.state.people.add_member(globex["id"], "both@example.com", "Editor")
    teardown = ("tenants", "teardown", "acme", "nobody", "--offboard-users", "--no-archive")

    res = run(emu, *teardown)
    assert res.exit_code == ExitCode.REFUSED
    res = run(emu, *teardown, "--yes", "--max-deletions", "0")
    assert res.exit_code == ExitCode.REFUSED
    assert {p["id"] for p in emu.state.projects(types=["TEAM"])} == {acme["id"], globex["id"]}

    res = run(emu, *teardown, "--yes")
    assert res.exit_code == 0, res.output
    assert "1 deleted, 1 missing, 0 failed" in res.stdout
    assert [p["id"] for p in emu.state.projects(types=["TEAM"])] == [globex["id"]]
    only = emu.state.people.user_by_email("only@acme.example")
    both = emu.state.people.user_by_email("both@example.com")
    assert (only["status"], both["status"]) == ("INACTIVE", "ACTIVE")

    res = run(emu, "-o", "json", "tenants", "teardown", "acme", "globex", "--yes", "--no-archive")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [(r["external_id"], r["status"]) for r in data["results"]] == [
        ("acme", "missing"),
        ("globex", "deleted"),
    ]
    assert data["summary"] == {"total": 2, "deleted": 1, "missing": 1, "failed": 0}
    assert emu.state.projects(types=["TEAM"]) == []
