"""The tenant models built by the hundred thousand share what they can (memory at 100,000 tenants)."""

from __future__ import annotations

import asyncio
import json
import weakref
from typing import Any, ClassVar

import pytest
from quiet_kind import QuietKind

from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient
from activepieces_core.tenants import (
    Plan,
    TenantChange,
    TenantResult,
    _fields_sets,
    aplan,
    apply,
    plan,
)
from activepieces_core.tenants.kinds import PlanInput, Reading, registered
from activepieces_core.tenants.spec import validate_specs


def test_specs_members_and_changes_share_their_fields_sets() -> None:
    specs = validate_specs(
        [{"external_id": "a", "members": ["x@y.io"]}, {"external_id": "b", "members": ["z@y.io"]}]
    )
    assert specs[0].__pydantic_fields_set__ is specs[1].__pydantic_fields_set__
    members = [spec.members[0] for spec in specs if spec.members]
    assert members[0].__pydantic_fields_set__ is members[1].__pydantic_fields_set__
    one, two = (TenantChange(external_id=e, action="create") for e in ("a", "b"))
    assert one.__pydantic_fields_set__ is two.__pydantic_fields_set__
    # Shared, yet each instance still tells what was set: a copy with an update gets its own.
    copy = one.model_copy(update={"key": "k"})
    assert copy.model_fields_set == {"external_id", "action", "key"}
    assert two.model_fields_set == one.model_fields_set == {"external_id", "action"}
    # ... and a plan read back shares them too.
    back = Plan.from_dict(Plan(changes=[one, two]).to_dict())
    assert back.changes[0].__pydantic_fields_set__ is back.changes[1].__pydantic_fields_set__


def test_a_run_of_models_with_one_fields_set_shares_it_and_a_model_between_keeps_its_own() -> None:
    # The last shared set of a class is tried first (no frozenset for a run of changes of a
    # kind): a model with other fields set in between gets its own, the run goes on sharing.
    def change(**fields: Any) -> TenantChange:
        return TenantChange.model_validate({"action": "create", **fields})

    first, second = change(external_id="a", key="k"), change(external_id="b", key="k")
    between = change(external_id="c")
    after = change(external_id="d", key="k")
    assert first.__pydantic_fields_set__ is second.__pydantic_fields_set__
    assert after.__pydantic_fields_set__ is first.__pydantic_fields_set__
    assert between.model_fields_set == {"external_id", "action"}
    assert first.model_fields_set == {"external_id", "action", "key"}
    assert _fields_sets._LAST[TenantChange] is after.__pydantic_fields_set__  # tried first


def test_plans_and_reports_take_their_built_changes_and_results_as_they_are() -> None:
    # Pydantic runs a model's after-validators on every instance a model is given, even
    # unvalidated: a pass over 500,000 changes (or results) for each plan or report built.
    from activepieces_core.tenants import ApplyReport

    change = TenantChange(external_id="a", action="create")
    result = TenantResult(external_id="a", action="create", status="succeeded")
    for model in (change, result):  # an own fields set, which validating would share again
        object.__setattr__(model, "__pydantic_fields_set__", set(model.__pydantic_fields_set__))
    own = change.__pydantic_fields_set__
    held = Plan.holding({"prune": True}, "changes", [change])
    assert held.changes[0].__pydantic_fields_set__ is own
    assert (held.prune, held.summary["create"]) == (True, 1)
    report = ApplyReport.merge([ApplyReport.holding({}, "results", [result])])
    assert report.results[0].__pydantic_fields_set__ is result.__pydantic_fields_set__


def test_a_parsed_saved_plan_is_let_go_while_it_is_read() -> None:
    changes = [TenantChange(external_id=e, action="create", diff={"x": {"to": e}}) for e in "ab"]
    saved = Plan(changes=changes).to_dict()
    data = json.loads(json.dumps(saved))
    raw = data["changes"]
    assert Plan.from_parsed(data) == Plan.from_dict(saved)
    assert raw == [None, None]  # each change's dict dropped once its model was built


def test_reprs_of_plans_and_reports_do_not_walk_their_changes() -> None:
    # asyncio reprs a finished task's result on every asyncio.run: a summary in the repr was a
    # pass over every change of a 100,000-tenant plan each time.
    from activepieces_core.tenants import ApplyReport

    changes = [TenantChange(external_id=str(i), action="create") for i in range(30)]
    assert "summary" not in repr(Plan(changes=changes))
    assert "summary" not in repr(ApplyReport())
    assert "[... 30 items]" in repr(Plan(changes=changes))


class _Read:
    """What `_ReaderKind` read: a plain object, so a weak reference tells when it is let go."""


class _ReaderKind(QuietKind):
    """Reads a `_Read`, plans nothing."""

    name = "reader"
    held: list[weakref.ref[_Read]] = []

    async def read(
        self, client: AsyncActivepiecesClient, request: PlanInput, reading: Reading
    ) -> _Read:
        state = _Read()
        self.held.append(weakref.ref(state))
        return state


class _CheckerKind(_ReaderKind):
    """Diffs after `_ReaderKind`: by then what that kind read is gone."""

    name = "checker"
    alive_at_diff: list[bool] = []

    def diff(self, request: PlanInput, reading: Reading, state: _Read) -> list[TenantChange]:
        self.alive_at_diff.append(_ReaderKind.held[0]() is not None)
        return []


def test_what_a_kind_read_is_let_go_once_it_has_diffed(client: ActivepiecesClient) -> None:
    with registered(_ReaderKind(), _CheckerKind()):
        plan(client, [{"external_id": "a"}])
    assert _CheckerKind.alive_at_diff == [False]


class _Logged(_ReaderKind):
    """Logs its read and its diff (in `_Logged.log`), shared by the kinds below."""

    log: list[str] = []

    async def read(
        self, client: AsyncActivepiecesClient, request: PlanInput, reading: Reading
    ) -> _Read:
        self.log.append(f"read {self.name}")
        return _Read()

    def diff(self, request: PlanInput, reading: Reading, state: _Read) -> list[TenantChange]:
        self.log.append(f"diff {self.name}")
        return []


class _First(_Logged):
    name = "first"


class _Waiting(_Logged):
    name = "waiting"
    diff_waits_for = ("last", "not-in-this-plan")


class _Last(_Logged):
    name = "last"


def test_a_kind_diffs_before_later_kinds_read_unless_it_waits_for_them(
    client: ActivepiecesClient,
) -> None:
    _Logged.log.clear()
    with registered(_First(), _Waiting(), _Last()):
        plan(client, [{"external_id": "a"}])
    assert _Logged.log == [
        "read first",
        "diff first",  # what it read is let go before the next kind reads
        "read waiting",
        "read last",  # `waiting` diffs once `last` has read; diffs stay in kind order
        "diff waiting",
        "diff last",
    ]


class _Timed(_Logged):
    """Reads beside every other kind (`Kind.read_waits_for`) once ``delay`` seconds have
    passed, and then fails if it ``fails``; logs being stopped before."""

    read_waits_for = ()
    delay: ClassVar[float] = 0.0
    fails: ClassVar[bool] = False

    async def read(
        self, client: AsyncActivepiecesClient, request: PlanInput, reading: Reading
    ) -> _Read:
        try:
            await asyncio.sleep(self.delay)
        except asyncio.CancelledError:
            self.log.append(f"stopped {self.name}")
            raise
        if self.fails:
            raise RuntimeError(f"the read of {self.name} failed")
        return await super().read(client, request, reading)


class _Slow(_Timed):
    name = "slow"
    delay = 0.05


class _AfterAll(_Logged):
    """Names no kind: reads once every kind before it has."""

    name = "after-all"


class _Free(_Logged):
    """Needs nothing read: reads at once, beside the kinds before it."""

    name = "free"
    read_waits_for = ("not-in-this-plan",)


def test_a_kind_reads_once_every_kind_before_it_has_unless_it_names_the_ones_it_needs(
    client: ActivepiecesClient,
) -> None:
    _Logged.log.clear()
    with registered(_Slow(), _AfterAll(), _Free()):
        plan(client, [{"external_id": "a"}])
    assert _Logged.log == [
        "read free",  # at once: it waits for no kind of this plan
        "read slow",
        "diff slow",  # diffs in kind order, each once it and the kinds before it have read
        "read after-all",  # not before the slow kind before it has read
        "diff after-all",
        "diff free",
    ]


class _Failing(_Timed):
    name = "failing"
    fails = True


class _Endless(_Timed):
    name = "endless"
    delay = 60


async def test_the_first_read_to_fail_stops_the_others(activepieces_emulator: Any) -> None:
    emu = activepieces_emulator
    _Logged.log.clear()
    async with AsyncActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
        with (
            registered(_Endless(), _Failing()),
            pytest.raises(RuntimeError, match="failing failed"),
        ):
            await aplan(client, [{"external_id": "a"}])
        assert _Logged.log == ["stopped endless"]  # stopped and reaped, not left running


def test_noops_carry_no_payload_and_results_share_their_changes_diffs(
    activepieces_emulator: Any, client: ActivepiecesClient
) -> None:
    activepieces_emulator.state.configure_platform(manage_pieces_enabled=True)
    rows = [{"external_id": "a", "pieces": ["slack"], "members": ["ada@a.example"]}]
    first = plan(client, rows)
    report = apply(client, first)
    for change, result in zip(first.changes, report.results, strict=True):
        assert result.diff is change.diff  # not a copy per result
        assert result == TenantResult.model_validate(result.model_dump())
    again = plan(client, rows)
    noops = {c.kind: c for c in again.changes}
    assert {c.action for c in again.changes} == {"noop"}
    for kind in ("member", "piece_set"):
        assert (noops[kind].data, noops[kind].observed, noops[kind].diff) == ({}, None, {})
    assert noops["piece_set"].target_id  # still names what it is about


def test_what_a_plan_reads_shares_its_fields_sets(
    activepieces_emulator: Any, client: ActivepiecesClient
) -> None:
    for ext in ("gone-1", "gone-2"):
        activepieces_emulator.state.add_project(ext, external_id=ext)
    deletes = plan(client, [], prune=True).changes
    one, two = (change.planned_project for change in deletes)
    assert one.__pydantic_fields_set__ is two.__pydantic_fields_set__  # a 2 KB set each else
    assert one.plan.__pydantic_fields_set__ is two.plan.__pydantic_fields_set__


def test_only_frozen_models_share_their_fields_sets() -> None:
    from pydantic import BaseModel, ConfigDict

    from activepieces_core.tenants._fields_sets import share_fields_sets

    class Loose(BaseModel):
        a: int = 0

    class Frozen(BaseModel):
        model_config = ConfigDict(frozen=True)
        a: int = 0
        inner: list[Loose] = []

    x, y = (Frozen(a=1, inner=[Loose(a=1)]) for _ in range(2))
    share_fields_sets(x)
    share_fields_sets(y)
    assert x.__pydantic_fields_set__ is y.__pydantic_fields_set__
    assert x.inner[0].__pydantic_fields_set__ is not y.inner[0].__pydantic_fields_set__
    x.inner[0].a = 2  # assignable: adds to its own set, never to another model's
    assert y.inner[0].model_fields_set == {"a"}


async def test_people_read_by_a_plan_share_one_role_object_per_role(
    activepieces_emulator: Any,
) -> None:
    from activepieces_core.constants import PLATFORM_WIDE_INVITATIONS
    from activepieces_core.tenants.kinds import MemberKind, ProjectKind
    from activepieces_core.tenants.spec import validate_specs

    rows = [
        {"external_id": f"t{i}", "members": [f"a{i}@t.example", f"b{i}@t.example:Admin"]}
        for i in range(PLATFORM_WIDE_INVITATIONS + 1)  # read with the platform-wide listings
    ]
    emu = activepieces_emulator
    with ActivepiecesClient(base_url=emu.url, api_key=emu.api_key) as sync:
        apply(sync, plan(sync, rows))  # every person invited, waiting
    request = PlanInput(tenants=validate_specs(rows))
    reading = Reading()
    async with AsyncActivepiecesClient(base_url=emu.url, api_key=emu.api_key) as client:
        await ProjectKind().read(client, request, reading)
        people = await MemberKind().read(client, request, reading)
    waiting = [i for p in people.by_tenant.values() for i in p.invitations.values()]
    assert len(waiting) == 2 * len(rows)
    by_role: dict[str, set[int]] = {}
    for invitation in waiting:
        assert invitation.project_role is not None
        by_role.setdefault(invitation.project_role.name, set()).add(id(invitation.project_role))
    assert {name: len(ids) for name, ids in by_role.items()} == {"Editor": 1, "Admin": 1}
    assert len({id(i.__pydantic_fields_set__) for i in waiting}) == 1


def test_changes_of_the_same_payload_share_it_and_noops_share_one_empty_dict(
    activepieces_emulator: Any, client: ActivepiecesClient
) -> None:
    activepieces_emulator.state.configure_platform(manage_pieces_enabled=True)
    rows = [{"external_id": e, "pieces": ["slack"], "members": [f"ada@{e}.example"]} for e in "ab"]
    first = plan(client, rows)
    a, b = ([c for c in first.changes if c.kind == "member" and c.external_id == e] for e in "ab")
    assert a[0].diff is b[0].diff
    assert a[0].data is b[0].data
    projects = [c for c in first.changes if c.kind == "project"]
    assert projects[0].data is projects[1].data
    apply(client, first)
    noops = plan(client, rows).changes
    assert {c.action for c in noops} == {"noop"}
    assert len({id(c.diff) for c in noops} | {id(c.data) for c in noops}) == 1
    assert noops[0].diff == {}
    assert "diff" not in noops[0].model_fields_set


def test_a_piece_list_is_normalised_once_however_many_tenants_repeat_it() -> None:
    from activepieces_core.tenants import spec

    rows = [{"external_id": f"t{i}", "pieces": ["slack", "zz-once-only"]} for i in range(3)]
    before = spec._normalised_pieces.cache_info()
    one, *_ = validate_specs(rows)
    after = spec._normalised_pieces.cache_info()
    assert one.pieces == ("@activepieces/piece-slack", "@activepieces/piece-zz-once-only")
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 2)
