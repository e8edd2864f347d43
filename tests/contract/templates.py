"""A small hand-made template (a replace body) that upstream's 0.96.2 schemas accept: two flows
on the schedule piece, a folder, a table with two fields and a connection reference."""

from __future__ import annotations

from typing import Any

WHEN = "2026-01-05T09:00:00.000Z"
SCHEDULE = "@activepieces/piece-schedule"
SLACK = "@activepieces/piece-slack"


def flow(external_id: str, display_name: str, *, notes: list[Any] | None = None) -> dict[str, Any]:
    """A `PopulatedFlow` as a server lists it (ids of the template project)."""
    flow_id = f"tpl{external_id}".ljust(21, "0")[:21]
    version_id = f"ver{external_id}".ljust(21, "0")[:21]
    return {
        "id": flow_id,
        "created": WHEN,
        "updated": WHEN,
        "projectId": "templateProject000000",
        "externalId": external_id,
        "ownerId": None,
        "folderId": None,
        "status": "ENABLED",
        "publishedVersionId": version_id,
        "metadata": None,
        "operationStatus": "NONE",
        "timeSavedPerRun": None,
        "templateId": None,
        "version": {
            "id": version_id,
            "created": WHEN,
            "updated": WHEN,
            "flowId": flow_id,
            "displayName": display_name,
            "trigger": {
                "name": "trigger",
                "valid": True,
                "displayName": "Every Hour",
                "lastUpdatedDate": WHEN,
                "type": "PIECE_TRIGGER",
                "settings": {
                    "pieceName": SCHEDULE,
                    "pieceVersion": "0.1.5",
                    "triggerName": "every_hour",
                    "input": {},
                    "propertySettings": {},
                },
            },
            "updatedBy": None,
            "valid": True,
            "schemaVersion": "20",
            "agentIds": [],
            "state": "LOCKED",
            "connectionIds": [],
            "backupFiles": None,
            "notes": notes or [],
        },
    }


def template(*flows: dict[str, Any]) -> dict[str, Any]:
    """The replace body: ``flows`` (default: welcome and alerts) plus the fixed rest."""
    return {
        "schemaVersion": 1,
        "sourceActivepiecesVersion": "0.78.0",
        "flows": list(flows) or [flow("welcome", "Welcome sequence"), flow("alerts", "Alerts")],
        "tables": [
            {
                "id": "tplTable0000000000000",
                "name": "Leads",
                "externalId": "leads",
                "fields": [
                    {"name": "Email", "type": "TEXT", "data": None, "externalId": "email"},
                    {"name": "Score", "type": "NUMBER", "data": None, "externalId": "score"},
                ],
                "status": None,
                "trigger": None,
            }
        ],
        "folders": [{"externalId": "ops", "displayName": "Operations", "displayOrder": 0}],
        "connections": [{"externalId": "slack-main", "pieceName": SLACK, "displayName": "Slack"}],
        "requiredPieces": [{"name": SCHEDULE, "version": "0.1.5", "pieceType": "OFFICIAL"}],
    }
