"""Tenant documents and platform read-backs for the sharded-apply deployment tests.

The documents are files every worker can read (all run on this machine); what the platform
holds is read from the emulator's state, so "exactly as planned" is checked against the
server, not against what the orchestrator reported.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from activepieces_core import ActivepiecesClient
from activepieces_core.tenants import load_document, plan
from activepieces_core.testing import Emulator


def write_document(path: Path, prefix: str, count: int, *, piece_sets: bool = False) -> Path:
    """``count`` tenants ``<prefix>-000``...; with ``piece_sets``, a declared set some of them
    share, tenants with their own pieces (a set each) and people to invite."""
    tenants: list[dict[str, Any]] = []
    for i in range(count):
        row: dict[str, Any] = {"external_id": f"{prefix}-{i:03d}", "display_name": f"{prefix} {i}"}
        if piece_sets and i % 3 == 0:
            row["piece_set"] = "gold"
        elif piece_sets and i % 3 == 1:
            row["pieces"] = ["slack"]
        if piece_sets and i % 2 == 0:
            row["members"] = [f"ops{i}@{prefix}.example"]
        tenants.append(row)
    document: dict[str, Any] = {"tenants": tenants}
    if piece_sets:
        document["piece_sets"] = [{"key": "gold", "name": "Gold", "allow": ["slack", "gmail"]}]
    path.write_text(json.dumps(document, indent=1))
    return path


def external_ids(path: Path) -> list[str]:
    """The document's external ids, sorted."""
    return sorted(row["external_id"] for row in json.loads(path.read_text())["tenants"])


def platform_state(emulator: Emulator) -> dict[str, Any]:
    """Every TEAM project by external id (name, piece set key, people), and the set keys."""
    state = emulator.state
    sets = {s["id"]: s.get("key") or "" for s in state.piece_sets.all()}
    invitations = state.people.invitations()
    projects: dict[str, Any] = {}
    for project in state.projects(types=["TEAM"]):
        people = sorted(i["email"] for i in invitations if i.get("projectId") == project["id"])
        on = sets.get(state.get_project(project["id"]).get("pieceSetId") or "")
        projects[project["externalId"]] = (project["id"], project["displayName"], on, people)
    return {"projects": projects, "sets": sorted(sets.values())}


def duplicates(emulator: Emulator) -> dict[str, list[Any]]:
    """Projects (by external id), piece sets (by key) and invitations that exist twice."""
    state = emulator.state
    found = {
        "projects": Counter(p["externalId"] for p in state.projects(types=["TEAM"])),
        "piece sets": Counter(s.get("key") for s in state.piece_sets.all() if s.get("key")),
        "invitations": Counter(
            (i.get("projectId"), i["email"]) for i in state.people.invitations()
        ),
    }
    return {kind: [k for k, n in counts.items() if n > 1] for kind, counts in found.items()}


def emulator_stats(emulator: Emulator) -> dict[str, int]:
    """``GET /__emulator/stats`` with the platform key: requests and the peak in flight."""
    response = httpx.get(
        f"{emulator.base_url}/__emulator/stats",
        headers={"Authorization": f"Bearer {emulator.api_key}"},
    )
    response.raise_for_status()
    stats: dict[str, int] = response.json()
    return stats


def assert_ends_as_planned(
    emulator: Emulator, document: Path, prefix: str, others: dict[str, Any]
) -> None:
    """Every tenant of ``document`` (ids ``prefix...``) once, nothing twice, a fresh plan of the
    document has nothing to do, and ``others`` (projects outside it, as `platform_state`
    read them before) are untouched."""
    after = platform_state(emulator)["projects"]
    assert sorted(e for e in after if e.startswith(prefix)) == external_ids(document)
    assert duplicates(emulator) == {"projects": [], "piece sets": [], "invitations": []}
    with ActivepiecesClient(api_key=emulator.api_key, base_url=emulator.url) as client:
        again = plan(client, load_document(str(document)))
    assert not again.has_changes, again.summary
    assert {e: after[e] for e in others} == others
