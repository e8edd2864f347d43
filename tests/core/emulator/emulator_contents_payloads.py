"""Replace bodies for the emulator's contents tests: a small template of flows, a table, a folder
and a connection, shaped as ``@activepieces/shared`` 0.96.2's ``ProjectReplaceRequest``."""

from __future__ import annotations

import copy
from typing import Any

SLACK = "@activepieces/piece-slack"


def piece_trigger(version: str = "0.5.0", auth: str = "{{connections['slack']}}") -> dict[str, Any]:
    """A Slack trigger followed by a code step (what ``flow.version.trigger`` holds)."""
    return {
        "name": "trigger",
        "type": "PIECE_TRIGGER",
        "valid": True,
        "displayName": "New message",
        "lastUpdatedDate": "2025-01-01T00:00:00.000Z",
        "settings": {
            "pieceName": SLACK,
            "pieceVersion": version,
            "triggerName": "new_message",
            "input": {"auth": auth, "channel": "general"},
            "sampleData": {},
            "propertySettings": {},
        },
        "nextAction": {
            "name": "step_1",
            "type": "CODE",
            "valid": True,
            "displayName": "Reply",
            "lastUpdatedDate": "2025-01-01T00:00:00.000Z",
            "settings": {
                "input": {},
                "sourceCode": {"code": "export const code = async () => 1", "packageJson": "{}"},
                "sampleData": {},
            },
        },
    }


def flow(
    external_id: str, name: str, *, status: str = "ENABLED", version: str = "0.5.0"
) -> dict[str, Any]:
    return {
        "id": f"src-{external_id}",
        "externalId": external_id,
        "status": status,
        "folderId": None,
        "version": {
            "displayName": name,
            "valid": True,
            "schemaVersion": "22",
            "notes": [],
            "trigger": piece_trigger(version),
        },
    }


def body(
    *,
    flows: list[dict[str, Any]] | None = None,
    tables: list[dict[str, Any]] | None = None,
    folders: list[dict[str, Any]] | None = None,
    connections: list[dict[str, Any]] | None = None,
    pieces: list[dict[str, Any]] | None = None,
    version: str = "0.78.0",
) -> dict[str, Any]:
    """A replace body; each part defaults to the template's."""
    return copy.deepcopy(
        {
            "schemaVersion": 1,
            "sourceActivepiecesVersion": version,
            "flows": [flow("welcome", "Welcome"), flow("crm-sync", "CRM sync")]
            if flows is None
            else flows,
            "tables": [table("leads", "Leads")] if tables is None else tables,
            "folders": [
                {"externalId": "onboarding", "displayName": "Onboarding", "displayOrder": 0}
            ]
            if folders is None
            else folders,
            "connections": [
                {"externalId": "slack-main", "pieceName": SLACK, "displayName": "Slack"}
            ]
            if connections is None
            else connections,
            "requiredPieces": [{"name": SLACK, "version": "0.5.0", "pieceType": "OFFICIAL"}]
            if pieces is None
            else pieces,
        }
    )


def table(external_id: str, name: str) -> dict[str, Any]:
    """A table state with every key the server's own state has (see docs/upstream-contents.md)."""
    return {
        "id": f"src-{external_id}",
        "name": name,
        "externalId": external_id,
        "fields": [
            {"name": "Email", "type": "TEXT", "externalId": "email", "data": None},
            {
                "name": "Stage",
                "type": "STATIC_DROPDOWN",
                "externalId": "stage",
                "data": {"options": [{"value": "new"}, {"value": "won"}]},
            },
        ],
        "status": None,
        "trigger": None,
    }


def export(api: Any, project_id: str, version: str) -> dict[str, Any]:
    """The replace body of a live project, built the way upstream's CLI does
    (``packages/cli/src/lib/commands/replace-project.ts``), from the emulator's reads."""

    def all_of(path: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        cursor = None
        while True:
            params = {"projectId": project_id, "limit": 2, **({"cursor": cursor} if cursor else {})}
            page = api.get(path, params=params).json()
            rows.extend(page["data"])
            cursor = page["next"]
            if not cursor:
                return rows

    tables = []
    for listed in all_of("/tables"):
        fields = api.get("/fields", params={"tableId": listed["id"]}).json()
        tables.append(
            {
                "id": listed["id"],
                "name": listed["name"],
                "externalId": listed["externalId"],
                "fields": [
                    {
                        "name": f["name"],
                        "type": f["type"],
                        "externalId": f["externalId"],
                        "data": f.get("data"),
                    }
                    for f in fields
                ],
                "status": listed.get("status"),
                "trigger": listed.get("trigger"),
            }
        )
    return {
        "schemaVersion": 1,
        "sourceActivepiecesVersion": version,
        "flows": all_of("/flows"),
        "tables": tables,
        "folders": [
            {k: f[k] for k in ("externalId", "displayName", "displayOrder")}
            for f in all_of("/folders")
            if f["externalId"]
        ],
        "connections": [
            {k: c[k] for k in ("externalId", "pieceName", "displayName")}
            for c in all_of("/app-connections")
        ],
        "requiredPieces": [],
    }
