"""README command 1, end to end: the demo runs Airflow and Prefect against the embedded emulator.

It is run as a newcomer would (a subprocess of ``examples/demo/demo.py``), with a recognisable
API key and with invitations left PENDING (``--emulator-pending-invitations``), so that every
invitation the sync sends comes back with a sign-up link, a bearer token. Everything the demo
leaves behind — its output, every step's log, the Airflow metadata DB and the Prefect DB — is
searched for the key and for any invitation link. Its final state (``summary.json``, the data of
the printed table, asked of the emulator) is checked against what the tenant documents and the
template (exported from the demo's template project, then edited a week later) mean. The
teardown archives both tenants it deletes into ``<workdir>/archive`` and the CLI restores one:
the archives must read back whole and hold no key or link, and the restored tenant must be back
exactly as the last document and template ask.

The dry-run path for a real platform is run against the session emulator, as both kinds of
platform: governed by piece sets, and by the legacy project plan.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from activepieces_core import ActivepiecesClient
from activepieces_core.tenants.archive import read_archive
from activepieces_core.testing import PIECE_CATALOG

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo" / "demo.py"
API_KEY = "sk-" + "LeakCanary" * 6 + "X"
#: An emulator invitation token (three alphanumeric parts shaped like a JWT) and its link.
TOKEN = re.compile(
    rb"(?<![0-9A-Za-z])[0-9A-Za-z]{36}\.[0-9A-Za-z]{48}\.[0-9A-Za-z]{43}(?![0-9A-Za-z])"
)
LINK = re.compile(rb"invitation\?token=")

pytestmark = pytest.mark.slow


def _demo_environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PREFECT"))}
    env.pop("ACTIVEPIECES_URL", None)
    env.pop("ACTIVEPIECES_API_KEY", None)
    env["HOME"] = str(tmp_path / "home")
    env["COLUMNS"] = "200"
    return env


def _leaks(output: str, files: list[Path]) -> dict[str, list[str]]:
    """Where the key (raw or base64) or an invitation link/token shows up."""
    needles = [API_KEY.encode(), base64.b64encode(API_KEY.encode())]
    found: dict[str, list[str]] = {}
    for name, data in [("output", output.encode()), *((str(p), p.read_bytes()) for p in files)]:
        hits = [n.decode() for n in needles if n in data]
        hits += [f"link {m.group()!r}" for m in LINK.finditer(data)]
        hits += [f"token {m.group()[:12]!r}…" for m in TOKEN.finditer(data)]
        if hits:
            found[name] = hits
    return found


def test_the_link_needles_match_the_emulator_links(activepieces_emulator: Any) -> None:
    """The patterns searched for below do match an invitation link the emulator hands out."""
    emu = activepieces_emulator
    emu.state.configure_platform(invitations_auto_accept=False)
    project = emu.state.add_project("Acme", external_id="acme")
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
        client.project_members.invite(project["id"], "ops@acme.example", "Admin")
    (invitation,) = emu.state.people.invitations()
    link = invitation["link"].encode()
    assert LINK.search(link)
    token = TOKEN.search(link)
    assert token is not None
    assert _leaks("", []) == {}
    assert _leaks(f"... {link.decode()} ...", []) == {
        "output": [f"link {b'invitation?token='!r}", f"token {token.group()[:12]!r}…"]
    }


def _person(role: str, state: str) -> dict[str, str]:
    return {"role": role, "state": state}


#: Next week's template: "CRM sync" renamed, "Weekly digest" added, "Failed-run alert" removed.
NEXT_WEEK_FLOWS = [
    ("crm-sync", "CRM sync (HubSpot → Sheets)", "ENABLED"),
    ("weekly-digest", "Weekly digest", "ENABLED"),
    ("welcome-sequence", "Welcome sequence", "ENABLED"),
]


def test_demo_succeeds_shows_what_tenants_see_and_never_writes_the_key_or_a_link(
    tmp_path: Path,
) -> None:
    workdir = tmp_path / "demo"
    done = subprocess.run(
        [
            sys.executable,
            str(DEMO),
            "--emulator-api-key",
            API_KEY,
            "--emulator-pending-invitations",
            "--workdir",
            str(workdir),
        ],
        env=_demo_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert "Demo succeeded" in output
    assert "pieces governed by piece sets" in output
    assert re.search(
        r"┃ tenant\s+┃ Airflow onboarding\s+┃ Prefect re-sync\s+┃ Airflow teardown\s+┃ CLI restore\s+┃"
        r" final state",
        output,
    ), output[-6000:]
    header = r"┃ tenant\s+┃ piece set\s+┃ sees\s+┃ people\s+┃ flows\s+┃"
    assert re.search(header, output), output[-6000:]
    assert "✔ CLI: projects export template-standard → templates/standard.json" in output
    assert "CLI: projects export again" in output
    assert "flows +3" in output  # the template installed when a tenant is created
    assert "flows +1 -1 ~1" in output  # next week's template: one added, one removed, one renamed
    assert re.search(r"│ acme\s+│ gold\s+│ gmail, google-sheets, hubspot, openai, slack", output)
    assert re.search(
        r"│ wayne\s+│ tenant:wayne\s+│ openai, slack\s+│ bruce@wayne.example: Admin, invited",
        output,
    )
    assert "Deleted: initech (their members, invitations and flows went with them)." in output
    # The teardown archived both, the CLI restored stark; the table says so in their cells.
    assert "✔ Airflow: teardown DAG for initech, stark (each archived first)" in output
    assert "✔ CLI: tenants restore archive/stark.json" in output
    row = r"\s+│[^\n]*(\n│\s+│[^\n]*){0,4}"  # a tenant's row, its cells' lines
    assert re.search(rf"│ initech{row}│ archived\s+│", output), output[-6000:]
    assert re.search(rf"│ stark{row}│ restored from archive\s+│", output), output[-6000:]
    assert re.search(
        r"Archived before deletion: initech, stark \(in .*archive\);\s+stark\s+restored", output
    )
    for tenant in ("acme", "globex", "hooli", "initech", "stark", "umbrella", "wayne"):
        assert tenant in output
    assert "sees +openai" in output  # the Gold tier gained OpenAI in the Prefect re-sync
    # Links existed (two invitations still wait), so finding none below means something.
    assert "3 invitations wait PENDING, each with a sign-up link" in output  # stark's again
    assert "Piece sets on the platform: default, gold, no-ai, tenant:globex, tenant:wayne." in (
        output
    )

    summary = json.loads((workdir / "summary.json").read_text())
    everything = sorted(p.removeprefix("@activepieces/piece-") for p in PIECE_CATALOG)
    live = {k: v for k, v in summary.items() if v["state"] == "live"}
    assert sorted(live) == ["acme", "globex", "hooli", "stark", "umbrella", "wayne"]
    assert {k: v["state"] for k, v in summary.items() if k not in live} == {"initech": "deleted"}
    assert summary["initech"]["people"] == {}
    assert {k: (v["piece_set"], v["sees"]) for k, v in live.items()} == {
        "acme": ("gold", ["gmail", "google-sheets", "hubspot", "openai", "slack"]),
        "globex": ("tenant:globex", ["gmail", "http", "slack"]),
        "hooli": ("default", everything),
        "stark": ("gold", ["gmail", "google-sheets", "hubspot", "openai", "slack"]),
        "umbrella": ("no-ai", [p for p in everything if p not in ("anthropic", "openai")]),
        "wayne": ("tenant:wayne", ["openai", "slack"]),
    }
    assert [k for k, v in summary.items() if v["sees_all"]] == ["hooli"]
    assert summary["globex"]["display_name"] == "Globex Corporation"
    assert {k: v["people"] for k, v in live.items()} == {
        "acme": {
            "ops@acme.example": _person("Admin", "member"),
            "analyst@acme.example": _person("Editor", "invited"),  # defaults.member_role
        },
        "globex": {"it@globex.example": _person("Admin", "member")},
        # An existing user of the platform: a member as soon as invited.
        "hooli": {"admin@hooli.example": _person("Admin", "member")},
        # Restored from its archive: its admin invited again (PENDING here, not yet accepted).
        "stark": {"pepper@stark.example": _person("Admin", "invited")},
        "umbrella": {"admin@umbrella.example": _person("Admin", "member")},
        "wayne": {"bruce@wayne.example": _person("Admin", "invited")},
    }

    # Each live tenant's flows, read back from the platform: exactly next week's template's,
    # none twice (a deleted tenant's went with it).
    assert {
        k: sorted((f["external_id"], f["name"], f["status"]) for f in v["flows"])
        for k, v in summary.items()
    } == {k: NEXT_WEEK_FLOWS if k in live else [] for k in summary}
    template = json.loads((workdir / "tenants" / "templates" / "standard.json").read_text())
    assert sorted(f["externalId"] for f in template["flows"]) == [f[0] for f in NEXT_WEEK_FLOWS]
    assert [c["externalId"] for c in template["connections"]] == ["slack-alerts"]
    # Each torn-down tenant's archive reads back whole (digest checked), with what it held then.
    for tenant in ("initech", "stark"):
        archived = read_archive(workdir / "archive" / f"{tenant}.json")
        assert archived.tenant["external_id"] == tenant
        assert sorted(f["externalId"] for f in archived.state["flows"]) == [
            f[0] for f in NEXT_WEEK_FLOWS
        ]

    files = [path for path in workdir.rglob("*") if path.is_file()]
    assert any(path.suffix == ".db" for path in files), "the Airflow/Prefect DBs were not kept"
    assert _leaks(output, files) == {}


def _dry_run(emu: Any, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = _demo_environment(tmp_path)
    env.update(ACTIVEPIECES_URL=emu.url, ACTIVEPIECES_API_KEY=emu.api_key)
    return subprocess.run(
        [sys.executable, str(DEMO), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_dry_run_on_a_piece_set_platform_plans_sets_and_people(
    activepieces_emulator: Any, tmp_path: Path
) -> None:
    emu = activepieces_emulator
    emu.state.configure_platform(manage_pieces_enabled=True)
    done = _dry_run(emu, tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "pieces are governed by piece sets" in output
    assert "Dry run of examples/demo/tenants.yaml" in output
    assert re.search(r"│\s+│ piece_set\s+│ gold\s+│ create\s+│ name: Gold tier", output), output
    assert re.search(r"│ acme\s+│ piece_set_assignment\s+│ gold .*default → gold", output)
    assert re.search(r"│ globex\s+│ piece_set\s+│ tenant:globex .*│ create", output)
    assert re.search(
        r"│ hooli\s+│ member\s+│ admin@hooli.example\s+│ create\s+│ role: Admin", output
    )
    assert "Nothing was changed" in output
    assert emu.api_key not in output
    assert len(emu.requests) == emu.requests.count(method="GET")  # planning only reads
    assert emu.state.projects(types=["TEAM"]) == []


def test_dry_run_on_a_project_plan_platform_plans_the_plain_example(
    activepieces_emulator: Any, tmp_path: Path
) -> None:
    emu = activepieces_emulator
    done = _dry_run(emu, tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "pieces are governed by the project plan" in output
    assert "Dry run of examples/tenants.yaml" in output
    assert re.search(r"│ acme\s+│ project\s+│\s+│ create\s+│ .*pieces", output), output
    assert "piece_set" not in output
    assert emu.api_key not in output
    assert len(emu.requests) == emu.requests.count(method="GET")
    assert emu.state.projects(types=["TEAM"]) == []

    # --apply needs piece sets: refused before anything is written.
    done = _dry_run(emu, tmp_path, "--apply")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "activepieces tenants apply" in done.stdout
    assert len(emu.requests) == emu.requests.count(method="GET")
