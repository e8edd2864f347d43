"""A phase's units of work are made as the workers take them: its first write goes before the
engine has looked at every change of the phase."""

from __future__ import annotations

from quiet_kind import QuietKind

from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient
from activepieces_core.tenants import TenantChange, apply, plan
from activepieces_core.tenants.kinds import Applied, PlanInput, Reading, registered


class _Logged(QuietKind):
    """One change per tenant, after the projects; logs when the engine asks each one's batch
    key and when it writes it."""

    name = "logged"
    log: list[tuple[str, str]] = []

    def diff(self, request: PlanInput, reading: Reading, state: None) -> list[TenantChange]:
        return [
            TenantChange.of(external_id=spec.external_id, action="create", kind=self.name)
            for spec in request.tenants
        ]

    def phase(self, change: TenantChange) -> int:
        return 100

    def depends_on_project(self, change: TenantChange) -> bool:
        return False

    def batch_key(self, change: TenantChange, applied: Applied) -> str | None:
        self.log.append(("key", change.external_id))
        return None

    async def write(
        self, client: AsyncActivepiecesClient, change: TenantChange, applied: Applied
    ) -> str | None:
        self.log.append(("write", change.external_id))
        return None


def test_a_phase_writes_before_it_has_made_all_of_its_units(client: ActivepiecesClient) -> None:
    tenants = [{"external_id": f"tenant-{i}"} for i in range(20)]
    with registered(_Logged()):
        report = apply(client, plan(client, tenants), concurrency=1)
    assert report.ok
    log = _Logged.log
    assert log[:3] == [("key", "tenant-0"), ("write", "tenant-0"), ("key", "tenant-1")]
    assert sorted(log) == sorted([(e, t["external_id"]) for t in tenants for e in ("key", "write")])
