"""The projects routes against upstream's schemas: what the real client sends (query, body) and
what the emulator answers, recorded over real HTTP, sync and async."""

from __future__ import annotations

from exchanges import Recorder, assert_contract, covered, unexplained_fields
from zod_oracle import ZodOracle

from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient

PROJECT_PARTS = {
    ("projects.create", "body"),
    ("projects.create", "201"),
    ("projects.get", "200"),
    ("projects.update", "body"),
    ("projects.update", "200"),
    ("projects.list", "query"),
    ("projects.list", "200"),
}


def test_the_client_and_the_emulator_keep_the_projects_contract(
    client: ActivepiecesClient, recorder: Recorder, contract_oracle: ZodOracle
) -> None:
    created = client.projects.create(
        "Acme",
        external_id="acme",
        metadata={"tier": "gold"},
        max_concurrent_jobs=5,
        alert_receiver_email="ops@acme.test",
    )
    client.projects.get(created.id)
    client.projects.update(
        created.id,
        display_name="Acme Inc",
        metadata={"tier": "silver"},
        icon_color="BLUE",
        releases_enabled=True,
        pieces=["@activepieces/piece-slack"],
        pieces_filter_type="ALLOWED",
        max_concurrent_jobs=3,
        notify_flow_owner_on_failure=True,
        execution_data_retention_days=30,
        sensitive=True,
        active_flows_limit=10,
    )
    client.projects.list(external_id="acme")
    client.projects.list(display_name="acm", types=["TEAM", "PERSONAL"], limit=2)
    list(client.projects.iter(limit=1))
    client.projects.ensure("globex", "Globex", metadata={"tier": "gold"}, pieces=None)
    client.projects.sync_pieces(created.id, ["slack", "gmail"])

    judged = assert_contract(contract_oracle, recorder.exchanges)
    assert covered(judged) >= PROJECT_PARTS
    assert unexplained_fields(judged) == []


async def test_the_async_client_keeps_the_projects_contract(
    aclient: AsyncActivepiecesClient, recorder: Recorder, contract_oracle: ZodOracle
) -> None:
    created = await aclient.projects.create("Acme", external_id="acme", metadata=None)
    await aclient.projects.update(created.id, display_name="Acme 2", external_id="acme-2")
    await aclient.projects.get(created.id)
    await aclient.projects.list(external_id="acme-2")
    await aclient.projects.ensure("acme-2", "Acme 3", if_exists="update")

    judged = assert_contract(contract_oracle, recorder.exchanges)
    assert covered(judged) >= PROJECT_PARTS
    assert unexplained_fields(judged) == []
