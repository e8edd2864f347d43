"""A project's contents for the client tests: flows, folders, a table and connections put into
the emulator as someone in the UI would, and the body pieces to build states from."""

from __future__ import annotations

import copy
from typing import Any

SLACK = "@activepieces/piece-slack"
GMAIL = "@activepieces/piece-gmail"


def piece_flow(
    external_id: str,
    name: str,
    *,
    slack: str = "0.5.1",
    notes: tuple[tuple[str, str], ...] = (),
    status: str = "ENABLED",
) -> dict[str, Any]:
    """A flow: a Slack trigger (with a connection) and a Gmail action inside a loop."""
    return {
        "externalId": external_id,
        "status": status,
        "version": {
            "displayName": name,
            "valid": True,
            "notes": [{"id": i, "content": c} for i, c in notes],
            "trigger": {
                "name": "trigger",
                "type": "PIECE_TRIGGER",
                "valid": True,
                "displayName": "New message",
                "settings": {
                    "pieceName": SLACK,
                    "pieceVersion": slack,
                    "triggerName": "new_message",
                    "input": {"auth": "{{connections['slack-main']}}"},
                    "propertySettings": {},
                },
                "nextAction": {
                    "name": "loop",
                    "type": "LOOP_ON_ITEMS",
                    "valid": True,
                    "displayName": "Each item",
                    "settings": {"items": "{{trigger.items}}"},
                    "firstLoopAction": {
                        "name": "send",
                        "type": "PIECE",
                        "valid": True,
                        "displayName": "Send e-mail",
                        "settings": {
                            "pieceName": GMAIL,
                            "pieceVersion": "0.8.0",
                            "actionName": "send_email",
                            "input": {},
                            "propertySettings": {},
                        },
                    },
                },
            },
        },
    }


def seed(emu: Any, project: Any, *, flows: int = 2) -> None:
    """Flows ``flow-0``..., folders ``ops`` (managed) and one without an external id, the
    ``leads`` table (a text and a dropdown field), a project connection and a global one."""
    state = emu.state
    for i in range(flows):
        state.put_flow(project.id, piece_flow(f"flow-{i}", f"Flow {i}", notes=(("n1", "hi"),)))
    with state.lock:
        store = state.contents
        store.put_folder(project.id, "Ops", external_id="ops", order=1)
        store.put_folder(project.id, "Scratch")  # no external id: not part of a state
        store.put_table(
            project.id,
            {
                "externalId": "leads",
                "name": "Leads",
                "status": "ENABLED",
                "trigger": None,
                "fields": [
                    {"name": "Email", "type": "TEXT", "externalId": "email"},
                    {
                        "name": "Stage",
                        "type": "STATIC_DROPDOWN",
                        "externalId": "stage",
                        "data": {"options": [{"value": "new"}, {"value": "won"}]},
                    },
                ],
            },
        )
        store.add_connection(
            project.platform_id, project.id, "gmail-main", GMAIL, "Gmail", status="ACTIVE"
        )
    state.add_global_connection("slack-main", project_ids=[project.id], piece_name=SLACK)


def edited(body: dict[str, Any], edit: str) -> dict[str, Any]:
    """``body`` (a replace body) with one named edit made, as a template's next week might."""
    body = copy.deepcopy(body)
    flows, tables, folders = body["flows"], body["tables"], body["folders"]
    if edit == "rename flow":
        flows[0]["version"]["displayName"] = "Renamed"
    elif edit == "new piece version":
        flows[0]["version"]["trigger"]["settings"]["pieceVersion"] = "0.6.0"
    elif edit == "caret of the same version":
        flows[0]["version"]["trigger"]["settings"]["pieceVersion"] = "^0.5.1"
    elif edit == "edit note":
        flows[0]["version"]["notes"][0]["content"] = "changed"
    elif edit == "other auth":
        flows[0]["version"]["trigger"]["settings"]["input"]["auth"] = "{{connections['x']}}"
    elif edit == "status only":
        flows[0]["status"] = "DISABLED"
    elif edit == "loop step input":
        flows[0]["version"]["trigger"]["nextAction"]["firstLoopAction"]["settings"]["input"] = {
            "to": "a@b.example"
        }
    elif edit == "add flow":
        flows.append(piece_flow("flow-new", "New flow"))
    elif edit == "remove flow":
        flows.pop()
    elif edit == "rename table":
        tables[0]["name"] = "Prospects"
    elif edit == "add field":
        tables[0]["fields"].append({"name": "Phone", "type": "TEXT", "externalId": "phone"})
    elif edit == "remove table":
        tables.clear()
    elif edit == "rename folder":
        folders[0]["displayName"] = "Operations"
    elif edit == "move folder":
        folders[0]["displayOrder"] = 7
    elif edit == "add folder":
        folders.append({"externalId": "sales", "displayName": "Sales", "displayOrder": 2})
    elif edit == "remove folder":
        folders.clear()
    else:
        raise AssertionError(f"unknown edit {edit!r}")
    return body


EDITS = (
    "rename flow",
    "new piece version",
    "caret of the same version",
    "edit note",
    "other auth",
    "status only",
    "loop step input",
    "add flow",
    "remove flow",
    "rename table",
    "add field",
    "remove table",
    "rename folder",
    "move folder",
    "add folder",
    "remove folder",
)
