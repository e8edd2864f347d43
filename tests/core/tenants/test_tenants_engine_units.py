"""A phase's units of work are made as the workers take them: its first write goes before the
engine has looked at every change of the phase."""

from __future__ import annotations

from collections.abc import Sequence

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


class _PerTenant(_Logged):
    """Two writes per tenant, written together in one batch per tenant, and a noop."""

    name = "per_tenant"
    log: list[tuple[str, str]] = []
    batch_size = 1_000_000
    batch_per_tenant = True

    def diff(self, request: PlanInput, reading: Reading, state: None) -> list[TenantChange]:
        # "c" changes nothing: the engine records it without a unit, and the tenant's batch
        # must not wait for it.
        return [
            TenantChange.of(
                external_id=spec.external_id,
                action="noop" if k == "c" else "create",
                kind=self.name,
                key=k,
            )
            for spec in request.tenants
            for k in ("a", "c", "b")
        ]

    def batch_key(self, change: TenantChange, applied: Applied) -> str | None:
        self.log.append(("key", f"{change.external_id}/{change.key}"))
        return change.external_id

    async def write_batch(
        self, client: AsyncActivepiecesClient, changes: Sequence[TenantChange], applied: Applied
    ) -> str | None:
        self.log.append(("batch", "+".join(f"{c.external_id}/{c.key}" for c in changes)))
        return None


def test_a_tenant_s_batch_goes_once_it_holds_the_tenant_s_last_change(
    client: ActivepiecesClient,
) -> None:
    tenants = [{"external_id": f"tenant-{i}"} for i in range(5)]
    with registered(_PerTenant()):
        report = apply(client, plan(client, tenants), concurrency=1)
    assert report.ok
    log = _PerTenant.log
    assert log[:4] == [
        ("key", "tenant-0/a"),
        ("key", "tenant-0/b"),
        ("batch", "tenant-0/a+tenant-0/b"),
        ("key", "tenant-1/a"),
    ]
    assert [entry for entry in log if entry[0] == "batch"] == [
        ("batch", f"tenant-{i}/a+tenant-{i}/b") for i in range(5)
    ]
