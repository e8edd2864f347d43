"""A tenant worth archiving, for the Airflow and Prefect archive tests: a tenant document whose
tenants have their own pieces, two members and a template (two flows, a folder, a connection
reference), and what the emulator holds for one of them (asked of it, never of our records)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contents_seed import piece_flow

from activepieces_core import ActivepiecesClient

#: The template every tenant follows: two flows, a folder and the connection the flows use.
TEMPLATE: dict[str, Any] = {
    "schemaVersion": 1,
    "sourceActivepiecesVersion": "0.70.0",
    "flows": [piece_flow("welcome", "Welcome sequence"), piece_flow("digest", "Daily digest")],
    "tables": [],
    "folders": [{"externalId": "onboarding", "displayName": "Onboarding", "displayOrder": 0}],
    "connections": [
        {
            "externalId": "slack-main",
            "pieceName": "@activepieces/piece-slack",
            "displayName": "Slack",
        }
    ],
    "requiredPieces": [],
}


#: The template's flows as the emulator lists them: external id -> display name.
TEMPLATE_FLOWS = {f["externalId"]: f["version"]["displayName"] for f in TEMPLATE["flows"]}


def archive_platform(emu: Any) -> Any:
    """``emu`` with what archived tenants use: environments (contents) and piece sets."""
    emu.state.configure_platform(environments_enabled=True, manage_pieces_enabled=True)
    return emu


def tenant_document(
    folder: Path,
    *tenants: str,
    template: dict[str, Any] = TEMPLATE,
    rows: dict[str, dict[str, Any]] | None = None,
) -> Path:
    """``folder/tenants.json`` (with ``template`` beside it as ``standard.json``) listing
    ``tenants``; ``rows`` adds or overrides fields of a tenant's row by external id."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "standard.json").write_text(json.dumps(template), encoding="utf-8")
    doc = {
        "defaults": {"template": "standard.json"},
        "tenants": [
            {
                "external_id": ext,
                "display_name": f"{ext.title()} Corp",
                "pieces": ["slack", "gmail"],
                "members": [
                    {"email": f"ada@{ext}.example", "role": "Admin"},
                    {"email": f"bob@{ext}.example", "role": "Editor"},
                ],
                **(rows or {}).get(ext, {}),
            }
            for ext in tenants
        ],
    }
    path = folder / "tenants.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def live(emu: Any, external_id: str) -> list[dict[str, Any]]:
    """The TEAM projects with ``external_id`` on the emulator."""
    return [p for p in emu.state.projects(types=["TEAM"]) if p.get("externalId") == external_id]


def flows_of(emu: Any, external_id: str) -> dict[str, str]:
    """The one live tenant's flows: external id -> display name (none twice)."""
    (project,) = live(emu, external_id)
    flows = emu.state.flows_of(project["id"])
    ids = [f["externalId"] for f in flows]
    assert len(ids) == len(set(ids)), f"duplicate flows in {external_id}: {ids}"
    return {f["externalId"]: f["version"]["displayName"] for f in flows}


def people(emu: Any, external_id: str) -> dict[str, str]:
    """The one live tenant's members and invitations: e-mail -> role."""
    (project,) = live(emu, external_id)
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
        found = client.project_members.people(project["id"])
    return {e: str(found.role_of(e)) for e in {*found.members, *found.invitations}}
