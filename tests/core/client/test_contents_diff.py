"""`contents_diff.diff_state` says what replace does: for each edit a template may bring, its
counts equal the ``applied`` counts the emulator's replace answers (over real HTTP), and its
fields name what the server compares.

The emulator implements the server's side independently (``activepieces_core.testing``), so
agreement here is two readings of upstream meeting.
"""

from __future__ import annotations

from typing import Any

import pytest
from contents_seed import EDITS, edited, piece_flow, seed

from activepieces_core import ActivepiecesClient
from activepieces_core.contents_diff import ContentChange, change_counts, diff_state
from activepieces_core.models.contents import ProjectState

pytestmark = pytest.mark.activepieces_emulator(environments=True)

#: What each edit changes, as the server counts it: (kind, action, fields) of every item that
#: is not a no-op.
EXPECTED: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "rename flow": [("flow", "update", ("displayName",))],
    "new piece version": [("flow", "update", ("pieceVersions",))],
    "caret of the same version": [],  # ^0.5.1 is the exact version 0.5.1
    "edit note": [("flow", "update", ("notes",))],
    "other auth": [],  # a set auth is not compared
    "status only": [],  # status is not compared
    "loop step input": [("flow", "update", ("trigger",))],  # a nested step counts
    "add flow": [("flow", "create", ())],
    "remove flow": [("flow", "delete", ())],
    "rename table": [("table", "update", ("name",))],
    "add field": [("table", "update", ("fields",))],
    "remove table": [("table", "delete", ())],
    "rename folder": [("folder", "update", ("displayName",))],
    "move folder": [("folder", "update", ("displayOrder",))],
    "add folder": [("folder", "create", ())],
    "remove folder": [("folder", "delete", ())],
}
KINDS = ("flows", "tables", "folders")


def changed(changes: list[ContentChange]) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(c.kind, c.action, c.fields) for c in changes if c.action != "noop"]


@pytest.fixture
def client(emu: Any) -> Any:
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
        yield client


@pytest.fixture
def tenant(client: Any, emu: Any) -> Any:
    """A tenant whose contents came from a template project by replace (as onboarding does)."""
    source = client.projects.ensure("template", "Template").project
    seed(emu, source)
    tenant = client.projects.ensure("tenant-a", "Tenant A").project
    client.projects.replace(tenant, client.projects.export_state(source))
    return tenant


@pytest.mark.parametrize("edit", EDITS)
def test_diff_counts_are_what_replace_answers(client: Any, tenant: Any, edit: str) -> None:
    current = client.projects.export_state(tenant)
    wanted = ProjectState.from_body(edited(current.to_body(), edit))

    planned = diff_state(current, wanted)
    result = client.projects.replace(tenant, wanted)

    assert changed(planned) == EXPECTED[edit]
    counts = change_counts(planned)
    applied = result.applied.model_dump()
    assert counts == {k: v for k, v in applied.items() if k.startswith(KINDS)}
    # And afterwards there is nothing left to do.
    assert changed(diff_state(client.projects.export_state(tenant), wanted)) == []


def test_every_edit_at_once(client: Any, tenant: Any) -> None:
    current = client.projects.export_state(tenant)
    body = current.to_body()
    for edit in ("rename flow", "add flow", "rename table", "move folder", "add folder"):
        body = edited(body, edit)
    wanted = ProjectState.from_body(body)

    counts = change_counts(diff_state(current, wanted))
    applied = client.projects.replace(tenant, wanted).applied.model_dump()

    assert counts == {k: v for k, v in applied.items() if k.startswith(KINDS)}
    assert (counts["flows_updated"], counts["flows_created"], counts["folders_created"]) == (
        1,
        1,
        1,
    )


def test_someone_edits_a_flow_in_the_ui(client: Any, emu: Any, tenant: Any) -> None:
    template = client.projects.export_state(tenant)
    flow = next(f for f in emu.state.flows_of(tenant.id) if f["externalId"] == "flow-0")
    emu.state.put_flow(tenant.id, {"id": flow["id"], "version": {"displayName": "Mine now"}})

    planned = diff_state(client.projects.export_state(tenant), template)

    assert changed(planned) == [("flow", "update", ("displayName",))]
    assert [c.display_name for c in planned if c.action == "update"] == ["Flow 0"]


def test_an_empty_project_gets_everything_created() -> None:
    wanted = ProjectState.from_body(
        {
            "sourceActivepiecesVersion": "0.78.0",
            "flows": [piece_flow("a", "A"), piece_flow("b", "B")],
            "folders": [{"externalId": "ops", "displayName": "Ops", "displayOrder": 1}],
        }
    )
    empty = ProjectState(source_activepieces_version="0.78.0")

    planned = diff_state(empty, wanted)

    assert [(c.kind, c.external_id, c.action, c.display_name) for c in planned] == [
        ("flow", "a", "create", "A"),
        ("flow", "b", "create", "B"),
        ("folder", "ops", "create", "Ops"),
    ]
    assert diff_state(wanted, empty)[0] == ContentChange("flow", "a", "delete", (), "A")


def test_sample_data_and_edit_dates_are_not_compared() -> None:
    have = piece_flow("a", "A")
    want = piece_flow("a", "A")
    trigger = want["version"]["trigger"]
    trigger["settings"]["sampleData"] = {"sampleDataFileId": "file-1", "lastTestDate": "x"}
    trigger["nextAction"]["firstLoopAction"]["lastUpdatedDate"] = "2026-12-01T00:00:00Z"
    state = ProjectState(source_activepieces_version="0.78.0", flows=[have])
    wanted = ProjectState(source_activepieces_version="0.78.0", flows=[want])

    assert changed(diff_state(state, wanted)) == []


def test_a_piece_step_gone_from_the_template_is_an_update() -> None:
    have = piece_flow("a", "A")
    want = piece_flow("a", "A")
    del want["version"]["trigger"]["nextAction"]  # the loop and its Gmail step go
    state = ProjectState(source_activepieces_version="0.78.0", flows=[have])
    wanted = ProjectState(source_activepieces_version="0.78.0", flows=[want])

    assert changed(diff_state(state, wanted)) == [("flow", "update", ("trigger", "pieceVersions"))]


def _state(*flows: dict[str, Any]) -> ProjectState:
    return ProjectState(source_activepieces_version="0.78.0", flows=list(flows))


def test_one_template_against_many_tenants() -> None:
    """The template's side is worked out once and reused (the planner diffs every tenant
    with the same template): each tenant still gets its own verdict, whether its flow is
    the template's as it is, differs only where the server does not compare, or has a field
    the template lacks (a server that added or renamed one: compared, as upstream does)."""
    wanted = _state(piece_flow("a", "A"))
    dated = piece_flow("a", "A")
    dated["version"]["trigger"]["lastUpdatedDate"] = "2026-12-01T00:00:00Z"
    extra = piece_flow("a", "A")
    extra["version"]["trigger"]["settings"]["inputUiInfo"] = {}
    nested = piece_flow("a", "A", slack="^0.5.1")
    nested["version"]["trigger"]["nextAction"]["settings"]["items"] = "{{trigger.other}}"

    verdicts = [
        changed(diff_state(_state(flow), wanted))
        for flow in (piece_flow("a", "A"), dated, extra, nested, piece_flow("a", "A"))
    ]

    update = [("flow", "update", ("trigger",))]
    assert verdicts == [[], [], update, update, []]


def test_a_piece_step_without_a_version_is_always_an_update() -> None:
    # Upstream compares exact versions of the live flow's piece steps: one without a version
    # string never matches, even against the very same flow (whose trigger is then equal).
    flow = piece_flow("a", "A")
    del flow["version"]["trigger"]["settings"]["pieceVersion"]

    assert changed(diff_state(_state(flow), _state(piece_flow("a", "A")))) == [
        ("flow", "update", ("pieceVersions",))
    ]
    twin = piece_flow("a", "A")
    del twin["version"]["trigger"]["settings"]["pieceVersion"]
    assert changed(diff_state(_state(flow), _state(twin))) == [
        ("flow", "update", ("pieceVersions",))
    ]
