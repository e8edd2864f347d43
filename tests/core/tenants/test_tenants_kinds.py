"""A kind declared outside the package: registered for a block, it is planned, applied and shown
like the built-in kinds, with no change anywhere else. And the kinds' options are typed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient
from activepieces_core.tenants import apply, plan, plan_view, reconcile, report_view
from activepieces_core.tenants.engine import check_deletions, guarded_deletions
from activepieces_core.tenants.kinds import (
    KINDS,
    Applied,
    Kind,
    PlanInput,
    Reading,
    active_kinds,
    kind_of,
    registered,
)
from activepieces_core.tenants.results import DeletionLimitExceeded, TenantChange

STAMP = "v1"


class StampKind(Kind[dict[str, str]]):
    """Stamps each tenant's project metadata with ``stamp: v1`` (after the project is written);
    with ``prune``, the stamp of a tenant the document no longer lists is removed."""

    name = "stamp"
    counts_toward_max_deletions = True

    async def read(
        self, client: AsyncActivepiecesClient, request: PlanInput, reading: Reading
    ) -> dict[str, str]:
        # The projects are read already: the stamp each one carries costs no request.
        return {
            ext: str((project.metadata or {}).get("stamp", ""))
            for ext, project in reading.projects.items()
        }

    def diff(
        self, request: PlanInput, reading: Reading, state: dict[str, str]
    ) -> list[TenantChange]:
        changes = []
        for spec in request.tenants:
            have = state.get(spec.external_id)
            action = "create" if have is None else "noop" if have == STAMP else "update"
            changes.append(self._change(spec.external_id, action))
        if request.prune:
            listed = {s.external_id for s in request.tenants}
            changes += [
                self._change(ext, "delete")
                for ext, have in sorted(state.items())
                if ext not in listed and have == STAMP
            ]
        return changes

    def _change(self, external_id: str, action: str) -> TenantChange:
        return TenantChange.model_validate(
            {"external_id": external_id, "kind": self.name, "key": STAMP, "action": action}
        )

    def phase(self, change: TenantChange) -> int:
        return 45  # after the projects (20), before project deletes (50)

    async def write(
        self, client: AsyncActivepiecesClient, change: TenantChange, applied: Applied
    ) -> str | None:
        project_id = applied.project_ids.get(change.external_id) or change.project_id
        assert project_id is not None
        project = await client.projects.get(project_id)
        metadata = {k: v for k, v in (project.metadata or {}).items() if k != "stamp"}
        if change.action != "delete":
            metadata["stamp"] = STAMP
        return (await client.projects.update(project_id, metadata=metadata)).id


def _stamps(emu: Any) -> dict[str, Any]:
    return {
        p["externalId"]: (p.get("metadata") or {}).get("stamp")
        for p in emu.state.projects(types=["TEAM"])
    }


def test_a_registered_kind_is_planned_applied_and_shown(
    activepieces_emulator: Any, client: ActivepiecesClient
) -> None:
    emu = activepieces_emulator
    emu.state.add_project("Stamped", external_id="done", metadata={"stamp": STAMP})
    emu.state.add_project("Old", external_id="old", metadata={"tier": "gold"})
    specs = [{"external_id": "done"}, {"external_id": "old"}, {"external_id": "new"}]
    stamp = StampKind()
    with registered(stamp) as kinds:
        assert kinds == (*KINDS, stamp)
        assert kind_of("stamp") is stamp
        tenant_plan = plan(client, specs)
        assert tenant_plan.kind_summary["stamp"] == {"noop": 1, "update": 1, "create": 1}
        view = plan_view(tenant_plan)
        assert ("stamp", 1, 1, 0, 1) in view.counts
        assert {(row[1], row[2]) for row in view.rows if row[2].startswith("stamp")} == {
            ("old", "stamp v1"),
            ("new", "stamp v1"),
        }
        report = apply(client, tenant_plan)
        assert report.ok, report.to_dict()
        assert report.kind_summary["stamp"] == {"succeeded": 2, "skipped": 1}
        assert ("stamp", 2, 0, 1, 0) in report_view(report).counts
        assert _stamps(emu) == {"done": STAMP, "old": STAMP, "new": STAMP}
        old = next(p for p in emu.state.projects() if p["externalId"] == "old")
        assert old["metadata"] == {"tier": "gold", "stamp": STAMP}  # the rest is kept
        assert not plan(client, specs).has_changes

        # Its deletes are guarded like project deletes: counted, limited, confirmed.
        pruning = plan(client, specs[:1], prune=True)
        assert [(k.name, len(d)) for k, d in guarded_deletions(pruning)] == [
            ("project", 2),
            ("stamp", 2),
        ]
        with pytest.raises(DeletionLimitExceeded):
            check_deletions(pruning, 2 - 1)
    # Outside the block the kind is gone: nothing plans it, nothing writes it.
    assert active_kinds() == KINDS
    with pytest.raises(KeyError, match="stamp"):
        kind_of("stamp")
    assert "stamp" not in plan(client, specs).kind_summary


def test_a_registered_kind_reaches_the_thread_of_a_sync_call_made_inside_a_loop(
    activepieces_emulator: Any, client: ActivepiecesClient
) -> None:
    async def from_a_running_loop() -> dict[str, dict[str, int]]:
        # `reconcile` sees a running loop and runs its own in a helper thread.
        return reconcile(client, [{"external_id": "t1"}]).kind_summary

    with registered(StampKind()):
        summary = asyncio.run(from_a_running_loop())
    assert summary == {"stamp": {"succeeded": 1}}
    assert _stamps(activepieces_emulator) == {"t1": STAMP}


def test_a_change_kind_belongs_to_one_kind() -> None:
    class Clash(StampKind):
        name = "piece_set_assignment"  # the piece-set kind's moves

    with pytest.raises(ValueError, match="piece_set_assignment"), registered(Clash()):
        pass
    assert active_kinds() == KINDS


def test_an_unknown_option_is_refused_before_any_request(
    activepieces_emulator: Any, client: ActivepiecesClient
) -> None:
    options: dict[str, Any] = {"prune_member": True}  # a typo of prune_members
    for entry_point in (plan, reconcile):
        with pytest.raises(TypeError, match="prune_member"):
            entry_point(client, [{"external_id": "t1"}], **options)
    assert len(activepieces_emulator.requests) == 0
