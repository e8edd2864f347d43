"""A project's contents (issue 19) against upstream's schemas: the replace bodies the real client
sends (a template, then ``export_state``'s body), the listings ``export_state`` reads and every
replace answer (200, 207, 422, 502), recorded over real HTTP."""

from __future__ import annotations

import pytest
from exchanges import Recorder, assert_contract, covered, unexplained_fields
from templates import SCHEDULE, template
from zod_oracle import ZodOracle

from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient
from activepieces_core.errors import PieceInstallError, ReplacePreflightError
from activepieces_core.testing import Emulator

EXPORT_PARTS = {
    ("flows.list", "query"),
    ("flows.list", "200"),
    ("folders.list", "query"),
    ("folders.list", "200"),
    ("tables.list", "query"),
    ("tables.list", "200"),
    ("fields.list", "query"),
    ("fields.list", "200"),
    ("app_connections.list", "query"),
    ("app_connections.list", "200"),
    ("projects.replace", "body"),
    ("projects.replace", "200"),
}


@pytest.fixture
def emu(activepieces_emulator: Emulator) -> Emulator:
    activepieces_emulator.state.configure_platform(environments_enabled=True)
    return activepieces_emulator


def test_a_template_then_its_export_keep_the_replace_contract(
    emu: Emulator, client: ActivepiecesClient, recorder: Recorder, contract_oracle: ZodOracle
) -> None:
    project = client.projects.create("Acme", external_id="acme")
    first = client.projects.replace(project, template())
    assert first.applied.flows_created == 2
    # Someone edits a flow in the UI; the export carries it, and sending it back changes nothing.
    edited = emu.state.flows_of(project.id)[0]
    emu.state.put_flow(project.id, {"id": edited["id"], "version": {"displayName": "Renamed"}})
    exported = client.projects.export_state(project)
    again = client.projects.replace(project, exported)
    assert again.applied.flows_unchanged == 2

    judged = assert_contract(contract_oracle, recorder.exchanges)
    assert covered(judged) >= EXPORT_PARTS
    assert unexplained_fields(judged) == []


def test_partial_refused_and_failed_replaces_keep_the_contract(
    emu: Emulator, client: ActivepiecesClient, recorder: Recorder, contract_oracle: ZodOracle
) -> None:
    project = client.projects.create("Acme", external_id="acme")
    emu.state.contents.uninstallable_pieces.add(SCHEDULE)
    with pytest.raises(PieceInstallError):
        client.projects.replace(project, template())
    emu.state.contents.uninstallable_pieces.clear()
    emu.state.contents.failing_items.add(("flow", "alerts"))
    partial = client.projects.replace(project, template())
    assert partial.status == 207
    with pytest.raises(ReplacePreflightError):
        client.projects.replace(project, {**template(), "sourceActivepiecesVersion": "9.0.0"})

    judged = assert_contract(contract_oracle, recorder.exchanges)
    assert covered(judged) >= {
        ("projects.replace", "207"),
        ("projects.replace", "422"),
        ("projects.replace", "502.failures"),
    }
    assert unexplained_fields(judged) == []


async def test_the_async_export_keeps_the_contract(
    emu: Emulator, aclient: AsyncActivepiecesClient, recorder: Recorder, contract_oracle: ZodOracle
) -> None:
    project = await aclient.projects.create("Acme", external_id="acme")
    await aclient.projects.replace(project, template())
    exported = await aclient.projects.export_state(project)
    await aclient.projects.replace(project, exported)

    judged = assert_contract(contract_oracle, recorder.exchanges)
    assert covered(judged) >= EXPORT_PARTS
    assert unexplained_fields(judged) == []


def test_global_connections_keep_the_contract(
    emu: Emulator, client: ActivepiecesClient, recorder: Recorder, contract_oracle: ZodOracle
) -> None:
    emu.state.configure_platform(global_connections_enabled=True)
    emu.state.add_global_connection("slack-main")
    emu.state.add_global_connection("gmail-main", piece_name="@activepieces/piece-gmail")
    project = client.projects.create(
        "Acme", external_id="acme", global_connection_external_ids=["slack-main"]
    )
    client.projects.update(project.id, global_connection_external_ids=["slack-main", "gmail-main"])
    shared = client.app_connections.list(project, scope="PLATFORM")
    assert sorted(c.external_id for c in shared) == ["gmail-main", "slack-main"]

    judged = assert_contract(contract_oracle, recorder.exchanges)
    assert ("app_connections.list", "200") in covered(judged)
    assert unexplained_fields(judged) == []


def test_a_flow_made_in_the_ui_keeps_the_listing_contract(
    emu: Emulator, client: ActivepiecesClient, recorder: Recorder, contract_oracle: ZodOracle
) -> None:
    project = client.projects.create("Acme", external_id="acme")
    emu.state.put_flow(project.id, {"externalId": "draft", "version": {"displayName": "Draft"}})
    client.flows.list(project)

    assert_contract(contract_oracle, recorder.exchanges)


def test_the_platform_read_keeps_the_contract(
    emu: Emulator, client: ActivepiecesClient, recorder: Recorder, contract_oracle: ZodOracle
) -> None:
    """The plan flags a template needs are read from ``GET /v1/platforms/:id``."""
    platform = client.platforms.get(emu.platform_id)
    assert platform.plan.environments_enabled is True

    judged = assert_contract(contract_oracle, recorder.exchanges)
    assert ("platforms.get", "200") in covered(judged)
    assert unexplained_fields(judged) == []
