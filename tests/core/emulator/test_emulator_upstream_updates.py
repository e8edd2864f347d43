"""The emulator brought to today's upstream (issue 19): each rule over real HTTP.

Sources (file and commit) are in ``docs/upstream-emulator-updates.md``.
"""

from __future__ import annotations

from typing import Any

import httpx

from activepieces_core.testing import Emulator

SLACK = "@activepieces/piece-slack"
GMAIL = "@activepieces/piece-gmail"


def _set(api: httpx.Client, name: str = "Gold tier") -> dict[str, Any]:
    response = api.post("/piece-sets", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


# ---- piece sets: the required-actions message -----------------------------------------------


def test_required_actions_hidden_by_the_set_are_refused_with_upstreams_text(
    api: httpx.Client, emu: Emulator
) -> None:
    emu.state.configure_platform(manage_pieces_enabled=True)
    sid = _set(api)["id"]
    hide = {"mode": "selected", "selected": ["read"]}
    api.post(f"/piece-sets/{sid}", json={"actions": {SLACK: hide, GMAIL: hide}})
    required = {SLACK: ["post", "read", "post"], GMAIL: ["send"]}
    refused = api.post(f"/piece-sets/{sid}", json={"requiredActions": {"actions": required}})
    assert refused.status_code == 409
    assert refused.json() == {
        "code": "VALIDATION",
        "params": {
            "message": "Required actions must be included in the piece set: "
            f"{SLACK} · post, {GMAIL} · send"
        },
    }


# ---- GET /v1/projects/worker-groups ---------------------------------------------------------


def test_worker_groups_needs_the_plan_flag(api: httpx.Client, emu: Emulator) -> None:
    refused = api.get("/projects/worker-groups")
    assert refused.status_code == 402
    assert refused.json() == {
        "code": "FEATURE_DISABLED",
        "params": {"message": "Isolated workers are not enabled for this platform"},
    }
    emu.state.configure_platform(worker_groups_enabled=True)
    served = api.get("/projects/worker-groups")
    assert served.status_code == 200
    assert served.json() == {"groups": [], "sharedSlots": 0}


def test_worker_groups_authenticates_before_the_plan_check(anon: httpx.Client) -> None:
    assert anon.get("/projects/worker-groups").status_code == 403
