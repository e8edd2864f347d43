"""The demo's template project: the standard flows every tenant gets, built by hand.

On a real platform someone builds this project in the UI, then ``activepieces projects export
template-standard --out templates/standard.json`` makes the file a tenant document's
``template:`` names. The demo plays that person on the embedded emulator: `build` saves the
day-1 flows (and the Slack connection they use) as the UI would, `next_week` edits them (a
flow renamed, one added, one removed); each is followed by the CLI export.
"""

from __future__ import annotations

from typing import Any

EXTERNAL_ID = "template-standard"
DISPLAY_NAME = "Template: standard flows"
#: Where the tenant documents look for it (``defaults.template``, relative to the document).
FILE = "templates/standard.json"

HUBSPOT = ("@activepieces/piece-hubspot", "0.6.3")
GMAIL = ("@activepieces/piece-gmail", "0.8.0")
SHEETS = ("@activepieces/piece-google-sheets", "0.11.2")
SLACK = ("@activepieces/piece-slack", "0.5.1")
SCHEDULE = ("@activepieces/piece-schedule", "0.1.5")
#: The template project's own connection: each tenant gets a placeholder awaiting
#: authorisation (replace never carries a secret).
SLACK_CONNECTION = "slack-alerts"


def _step(
    kind: str, name: str, label: str, piece: tuple[str, str], op: str, **input: Any
) -> dict[str, Any]:
    key = "triggerName" if kind == "PIECE_TRIGGER" else "actionName"
    return {
        "name": name,
        "type": kind,
        "valid": True,
        "displayName": label,
        "settings": {
            "pieceName": piece[0],
            "pieceVersion": piece[1],
            key: op,
            "input": input,
            "propertySettings": {},
        },
    }


def _flow(external_id: str, name: str, trigger: dict[str, Any], *actions: Any) -> dict[str, Any]:
    """An enabled flow: ``trigger`` then ``actions`` in a chain (steps hold Activepieces' own
    ``{{ }}`` expressions, as flows built in the UI do)."""
    step = trigger
    for action in actions:
        step["nextAction"] = action
        step = action
    return {
        "externalId": external_id,
        "status": "ENABLED",
        "version": {"displayName": name, "valid": True, "notes": [], "trigger": trigger},
    }


def welcome_sequence() -> dict[str, Any]:
    return _flow(
        "welcome-sequence",
        "Welcome sequence",
        _step("PIECE_TRIGGER", "trigger", "New contact", HUBSPOT, "new_contact"),
        _step(
            "PIECE",
            "step_1",
            "Send welcome e-mail",
            GMAIL,
            "send_email",
            to="{{trigger.email}}",
            subject="Welcome, {{trigger.firstname}}",
        ),
    )


def crm_sync(name: str = "CRM sync") -> dict[str, Any]:
    return _flow(
        "crm-sync",
        name,
        _step("PIECE_TRIGGER", "trigger", "Every hour", SCHEDULE, "every_hour"),
        _step("PIECE", "step_1", "Changed deals", HUBSPOT, "find_deals", since="{{trigger.last}}"),
        _step("PIECE", "step_2", "Upsert rows", SHEETS, "upsert_rows", rows="{{step_1.deals}}"),
    )


def _scheduled_post(
    external_id: str, name: str, every: str, step: str, text: str
) -> dict[str, Any]:
    """A flow on a schedule posting ``text`` to Slack through the template's connection."""
    label = {"every_x_minutes": "Every 5 minutes", "every_week": "Every Monday"}[every]
    auth = f"{{{{connections['{SLACK_CONNECTION}']}}}}"
    post = _step("PIECE", "step_1", step, SLACK, "send_channel_message", auth=auth, text=text)
    return _flow(external_id, name, _step("PIECE_TRIGGER", "trigger", label, SCHEDULE, every), post)


def failed_run_alert() -> dict[str, Any]:
    return _scheduled_post(
        "failed-run-alert",
        "Failed-run alert",
        "every_x_minutes",
        "Post to #ops",
        "A run failed: {{trigger.flowName}}",
    )


def weekly_digest() -> dict[str, Any]:
    return _scheduled_post(
        "weekly-digest",
        "Weekly digest",
        "every_week",
        "Post the digest",
        "This week: {{trigger.summary}}",
    )


#: What next week changes, in words (printed by the demo).
NEXT_WEEK = "CRM sync renamed, Weekly digest added, Failed-run alert removed"


def build(emu: Any) -> dict[str, Any]:
    """The template project with its day-1 flows and connection, saved as the UI would."""
    state = emu.state
    project: dict[str, Any] = state.add_project(DISPLAY_NAME, external_id=EXTERNAL_ID)
    for flow in (welcome_sequence(), crm_sync(), failed_run_alert()):
        state.put_flow(project["id"], flow)
    with state.lock:
        state.contents.add_connection(
            project["platformId"],
            project["id"],
            SLACK_CONNECTION,
            SLACK[0],
            "Slack (alerts)",
            status="ACTIVE",
        )
    return project


def next_week(emu: Any, project: dict[str, Any]) -> None:
    """Next week's edits, by hand in the template project."""
    state = emu.state
    state.put_flow(project["id"], crm_sync("CRM sync (HubSpot → Sheets)"))
    state.put_flow(project["id"], weekly_digest())
    (alert,) = [f for f in state.flows_of(project["id"]) if f["externalId"] == "failed-run-alert"]
    with state.lock:
        state.contents.delete_flow(project["id"], alert["id"])
