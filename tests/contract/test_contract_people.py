"""Invitations, members, users and project roles against upstream's schemas: what the real
client sends and what the emulator answers, recorded over real HTTP."""

from __future__ import annotations

from exchanges import Recorder, assert_contract, covered, unexplained_fields
from zod_oracle import ZodOracle

from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient
from activepieces_core.testing import Emulator

PEOPLE_PARTS = {
    ("invitations.create", "body"),
    ("invitations.create", "201"),
    ("invitations.list", "query"),
    ("invitations.list", "200"),
    ("members.list", "query"),
    ("members.list", "200"),
    ("members.update", "body"),
    ("members.update", "200"),
    ("users.list", "query"),
    ("users.list", "200"),
    ("users.update", "body"),
    ("users.update", "200"),
    ("roles.list", "200"),
}


def test_the_client_and_the_emulator_keep_the_people_contract(
    emu: Emulator, client: ActivepiecesClient, recorder: Recorder, contract_oracle: ZodOracle
) -> None:
    project = client.projects.create("Acme", external_id="acme")
    emu.state.people.add_member(project.id, "ops@acme.example", "Editor")
    client.project_roles.list()
    # Auto-accepted (no link) and pending (with its link) invitations, project and platform.
    client.invitations.send("new@acme.example", project=project, role="Viewer")
    emu.state.configure_platform(invitations_auto_accept=False)
    pending = client.invitations.send("late@acme.example", project=project.id, role="Admin")
    client.invitations.send("boss@acme.example", platform_role="ADMIN")
    client.invitations.list(project_id=project.id, status="PENDING", limit=5)
    client.invitations.list(type="PLATFORM")
    client.invitations.delete(pending)
    member = client.project_members.get_by_email(project, "ops@acme.example")
    assert member is not None
    client.project_members.update_role(member, "Viewer")
    client.project_members.invite(project, "ops@acme.example", "Admin")
    client.project_members.remove(project, "late@acme.example")
    user = client.users.get_by_email("ops@acme.example")
    assert user is not None
    client.users.update(user, platform_role="OPERATOR")
    client.users.deactivate(user)
    list(client.users.iter(limit=1))

    judged = assert_contract(contract_oracle, recorder.exchanges)
    assert covered(judged) >= PEOPLE_PARTS
    assert unexplained_fields(judged) == []


async def test_the_async_client_keeps_the_people_contract(
    emu: Emulator, aclient: AsyncActivepiecesClient, recorder: Recorder, contract_oracle: ZodOracle
) -> None:
    project = await aclient.projects.create("Acme", external_id="acme")
    emu.state.people.add_member(project.id, "ops@acme.example", "Editor")
    await aclient.invitations.send("new@acme.example", project=project, role="Viewer")
    await aclient.project_members.invite(project, "ops@acme.example", "Operator")
    await aclient.project_members.list(project.id, limit=1)
    await aclient.users.list(limit=2)

    judged = assert_contract(contract_oracle, recorder.exchanges)
    assert ("members.update", "body") in covered(judged)
    assert unexplained_fields(judged) == []
