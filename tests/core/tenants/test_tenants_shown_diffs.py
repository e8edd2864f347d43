"""What a plan shows for a change (its ``diff``: only what changes, from what to what) and what
the project diff refuses, spelled out; bench/mutation.py found these unasserted."""

from __future__ import annotations

from typing import Any

import pytest

from activepieces_core import ActivepiecesClient
from activepieces_core.project_diff import creation_diff, diff_fields
from activepieces_core.tenants import apply, plan

SLACK = "@activepieces/piece-slack"
GMAIL = "@activepieces/piece-gmail"


def test_a_creation_shows_every_field_it_sets_and_nothing_else() -> None:
    wish = {"display_name": "Acme", "metadata": {"tier": "gold"}, "pieces": ["slack"]}
    assert creation_diff({**wish, "max_concurrent_jobs": None}) == {
        "display_name": {"from": None, "to": "Acme"},
        "metadata": {"from": None, "to": {"tier": "gold"}},
        "pieces": {"from": None, "to": [SLACK]},
    }
    assert creation_diff({"display_name": "Acme", "pieces": None}) == {
        "display_name": {"from": None, "to": "Acme"}  # every piece: the server's default
    }


def test_an_unknown_field_is_refused_by_name(activepieces_emulator: Any) -> None:
    emu = activepieces_emulator
    emu.state.add_project("Acme", external_id="acme")
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
        project = client.projects.get_by_external_id("acme")
    assert project is not None
    with pytest.raises(ValueError, match=r"not a managed project field: \['colour'\]"):
        diff_fields(project, {"display_name": "Acme", "colour": "RED"})
    with pytest.raises(ValueError, match=r"\['colour'\]"):
        creation_diff({"colour": "RED"})


def test_a_piece_set_update_shows_only_what_changes(activepieces_emulator: Any) -> None:
    emu = activepieces_emulator
    emu.state.configure_platform(manage_pieces_enabled=True)
    before = {"piece_sets": [{"key": "gold", "name": "Gold", "allow": ["slack"]}], "tenants": []}
    after = {
        "piece_sets": [{"key": "gold", "name": "Gold", "allow": ["slack", "gmail"]}],
        "tenants": [],
    }
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
        made = plan(client, before)

        assert apply(client, made).ok
        unchanged = [c for c in plan(client, before).changes if c.kind == "piece_set"]
        changed = [c for c in plan(client, after).changes if c.kind == "piece_set"]
    assert [(c.action, c.diff) for c in unchanged] == [("noop", {})]
    assert [c.action for c in changed] == ["update"]
    assert changed[0].diff == {"exceptions": {"from": [SLACK], "to": sorted([GMAIL, SLACK])}}
