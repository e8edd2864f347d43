"""``tenants export`` (round trip to an all-no-op plan) and ``tenants adopt`` against the emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from activepieces_core.cli import ExitCode, app

runner = CliRunner()


def run(emu: Any, *args: str, json_out: bool = False) -> Any:
    env = {"ACTIVEPIECES_URL": emu.url, "ACTIVEPIECES_API_KEY": emu.api_key}
    return runner.invoke(app, [*(["-o", "json"] if json_out else []), *args], env=env)


def writes(emu: Any) -> int:
    return sum(emu.requests.count(route=r) for r in ("create", "update", "delete"))


def _seed_varied(emu: Any) -> dict[str, str]:
    state = emu.state
    return {
        "plain": state.add_project("Plain", external_id="plain")["id"],
        "rich": state.add_project(
            "Rich Co",
            external_id="rich",
            metadata={"tier": "gold", "n": 3, "nested": {"a": [1, 2]}},
            icon_color="RED",
            releases_enabled=True,
            max_concurrent_jobs=7,
            pieces=["@activepieces/piece-slack", "@activepieces/piece-gmail"],
            pieces_filter_type="ALLOWED",
        )["id"],
        "stored-but-none": state.add_project(
            "Stored list",
            external_id="stored",
            pieces=["@activepieces/piece-slack"],
            pieces_filter_type="NONE",
        )["id"],
        "unicode": state.add_project("Café Zoë", external_id="ünï")["id"],
        "fraction": state.add_project("Fraction", external_id="frac", max_concurrent_jobs=2.5)[
            "id"
        ],
        "bad-name": state.add_project("v1.2 customers", external_id="dotted")["id"],
        "noext": state.add_project("Hand made")["id"],
        "personal": state.add_project("Mine", external_id="mine", type="PERSONAL")["id"],
    }


def test_export_round_trips_to_an_all_noop_plan(activepieces_emulator: Any, tmp_path: Path) -> None:
    emu = activepieces_emulator
    ids = _seed_varied(emu)
    emu.requests.clear()
    res = run(emu, "tenants", "export")
    assert res.exit_code == 0, res.output
    assert writes(emu) == 0
    doc = yaml.safe_load(res.stdout)
    rows = {r["external_id"]: r for r in doc["tenants"]}
    assert sorted(rows) == ["frac", "plain", "rich", "stored", "ünï"]
    assert rows["rich"]["pieces"] == ["@activepieces/piece-gmail", "@activepieces/piece-slack"]
    assert rows["rich"]["metadata"] == {"tier": "gold", "n": 3, "nested": {"a": [1, 2]}}
    assert rows["rich"]["icon_color"] == "RED"
    # values most rows share go under defaults; rows keep what differs
    assert doc["defaults"]["pieces"] is None
    assert doc["defaults"]["releases_enabled"] is False
    assert "pieces" not in rows["plain"]
    assert rows["rich"]["releases_enabled"] is True
    assert "max_concurrent_jobs" not in rows["frac"]  # 2.5 cannot be written: left unmanaged
    # what was left out, and why, is on stderr (never guessed into the document)
    assert f"{ids['noext']} (Hand made): no external id" in res.stderr
    assert ids["bad-name"] in res.stderr
    assert "--protect dotted" in res.stderr  # prune would delete what export left out
    assert "frac: max_concurrent_jobs left unmanaged" in res.stderr
    assert "mine" not in res.stdout  # PERSONAL projects are not tenants

    path = tmp_path / "tenants.yaml"
    path.write_text(res.stdout)
    # The exported document plans as unchanged, pruning included: only the hand-made project
    # (no external id) and the one whose name cannot be written are outside it, and prune
    # never deletes a project without an external id; the dotted one is protected here.
    res = run(
        emu,
        "tenants",
        "plan",
        str(path),
        "--prune",
        "--protect",
        "dotted",
        "--detailed-exitcode",
        json_out=True,
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)["summary"]
    assert summary == {"create": 0, "update": 0, "delete": 0, "noop": 5}

    # JSON, to a file
    out = tmp_path / "tenants.json"
    res = run(emu, "tenants", "export", "--out", str(out), "--types", "TEAM")
    assert res.exit_code == 0, res.output
    assert json.loads(out.read_text()) == doc
    res = run(emu, "tenants", "plan", str(out), "--detailed-exitcode")
    assert res.exit_code == 0, res.output
    res = run(emu, "tenants", "export", "--types", "PERSONAL")
    assert res.exit_code == ExitCode.USAGE


def _adopt_fixture(emu: Any, tmp_path: Path) -> tuple[dict[str, str], Path]:
    state = emu.state
    ids = {
        "acme": state.add_project("Acme Corp")["id"],
        "globex": state.add_project("Globex")["id"],
        "dup-1": state.add_project("Duplicate")["id"],
        "dup-2": state.add_project("Duplicate")["id"],
        "twin": state.add_project("Twin")["id"],
        "lonely": state.add_project("Nobody's")["id"],
        "managed": state.add_project("Initech", external_id="initech")["id"],
        "labelled": state.add_project("Acme Corp", external_id="acme-old")["id"],
    }
    doc = tmp_path / "tenants.yaml"
    doc.write_text(
        yaml.safe_dump(
            {
                "tenants": [
                    {"external_id": "acme", "display_name": "Acme Corp"},
                    {"external_id": "Globex"},  # display name defaults to the external id
                    {"external_id": "dup", "display_name": "Duplicate"},
                    {"external_id": "twin-a", "display_name": "Twin"},
                    {"external_id": "twin-b", "display_name": "Twin"},
                    {"external_id": "hooli", "display_name": "Hooli"},
                    {"external_id": "initech", "display_name": "Initech"},
                    {"external_id": "acme corp", "display_name": "acme corp"},  # case differs
                ]
            }
        )
    )
    return ids, doc


def test_adopt_labels_exact_unique_matches_and_lists_the_rest(
    activepieces_emulator: Any, tmp_path: Path
) -> None:
    emu = activepieces_emulator
    ids, doc = _adopt_fixture(emu, tmp_path)
    emu.requests.clear()
    res = run(emu, "tenants", "adopt", str(doc), "--match", "display-name", json_out=True)
    # Not a terminal and no --yes: shown, refused, nothing written.
    assert res.exit_code == ExitCode.REFUSED
    assert writes(emu) == 0

    res = run(emu, "tenants", "adopt", str(doc), "--yes", json_out=True)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    adopted = {c["external_id"]: c["project_id"] for c in out["plan"]["changes"]}
    assert adopted == {"acme": ids["acme"], "Globex": ids["globex"]}
    assert out["ambiguous"] == [
        {
            "display_name": "Duplicate",
            "external_ids": ["dup"],
            "project_ids": sorted([ids["dup-1"], ids["dup-2"]]),
        },
        {
            "display_name": "Twin",
            "external_ids": ["twin-a", "twin-b"],
            "project_ids": [ids["twin"]],
        },
    ]
    assert out["missing"] == ["hooli", "acme corp"]
    assert out["managed"] == ["initech"]
    assert out["unmatched_projects"] == [ids["lonely"]]
    assert out["report"]["summary"]["succeeded"] == 2
    labels = {p["id"]: p["externalId"] for p in emu.state.projects(types=["TEAM"])}
    assert labels[ids["acme"]] == "acme"
    assert labels[ids["globex"]] == "Globex"
    for untouched in ("dup-1", "dup-2", "twin", "lonely"):
        assert labels[ids[untouched]] is None
    assert emu.requests.count(route="update") == 2

    # Adopted: the projects are now the document's (no second "Acme Corp" gets created).
    res = run(emu, "tenants", "plan", str(doc), json_out=True)
    changes = {c["external_id"]: c["action"] for c in json.loads(res.stdout)["changes"]}
    assert changes["acme"] == changes["Globex"] == "noop"
    # Nothing left to adopt among them.
    res = run(emu, "tenants", "adopt", str(doc), "--yes", json_out=True)
    assert json.loads(res.stdout)["plan"]["changes"] == []


def test_adopt_out_saves_a_plan_that_applies_like_any_other(
    activepieces_emulator: Any, tmp_path: Path
) -> None:
    emu = activepieces_emulator
    ids, doc = _adopt_fixture(emu, tmp_path)
    saved = tmp_path / "adopt.json"
    emu.requests.clear()
    res = run(emu, "tenants", "adopt", str(doc), "--out", str(saved))
    assert res.exit_code == 0, res.output
    assert writes(emu) == 0
    assert "ambiguous, not adopted" in res.stdout
    assert "'Duplicate'" in res.stdout
    assert "hooli" in res.stdout
    assert "Adopt: 2 project(s) to label" in res.stdout
    data = json.loads(saved.read_text())
    assert data["summary"]["update"] == 2
    acme = next(c for c in data["changes"] if c["external_id"] == "acme")
    assert acme["diff"] == {"external_id": {"from": None, "to": "acme"}}
    assert acme["observed"]["external_id"] is None

    # Someone labels Globex by hand in between: the saved adoption is stale as a whole.
    emu_env = {"ACTIVEPIECES_URL": emu.url, "ACTIVEPIECES_API_KEY": emu.api_key}
    moved = runner.invoke(
        app, ["projects", "update", ids["globex"], "--new-external-id", "gx"], env=emu_env
    )
    assert moved.exit_code == 0, moved.output
    emu.requests.clear()
    res = run(emu, "tenants", "apply", str(saved), "--yes")
    assert res.exit_code == ExitCode.STALE, res.output
    assert "Globex: project changed (external_id, updated)" in res.stderr
    assert writes(emu) == 0

    res = run(emu, "tenants", "adopt", str(doc), "--out", str(saved))
    assert res.exit_code == 0
    res = run(emu, "tenants", "apply", str(saved), "--yes", json_out=True)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["summary"]["succeeded"] == 1
    assert emu.state.get_project(ids["acme"])["externalId"] == "acme"
