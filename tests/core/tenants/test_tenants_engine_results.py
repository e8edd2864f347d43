"""How the engine makes its results: as `model_construct` would, faster; the results of the
changes that send nothing recorded at once, before their phase's writes."""

from __future__ import annotations

from typing import Any

from activepieces_core import ActivepiecesClient
from activepieces_core.tenants import apply, plan
from activepieces_core.tenants.engine import _result
from activepieces_core.tenants.results import TenantChange, TenantResult


def _change(**fields: Any) -> TenantChange:
    base = {"external_id": "acme", "action": "update", "kind": "flow", "key": "Welcome"}
    return TenantChange.model_validate({**base, "project_id": "p1", "target_id": "f1", **fields})


def test_a_result_is_what_model_construct_makes_of_the_same_fields() -> None:
    change = _change(diff={"name": {"from": "a", "to": "b"}})
    for status, extra in (
        ("succeeded", {"project_id": "p2", "target_id": "f2"}),
        ("failed", {"error": "boom", "error_type": "APIError"}),
        ("skipped", {"error": None}),
    ):
        made = _result(change, status, **extra)
        fields = {
            "external_id": "acme",
            "action": "update",
            "kind": "flow",
            "key": "Welcome",
            "project_id": "p1",
            "target_id": "f1",
            "diff": change.diff,
            "status": status,
            **extra,
        }
        expected = TenantResult.model_construct(**fields)
        assert list(made.__dict__.items()) == list(expected.__dict__.items())  # field order too
        assert made.model_fields_set == expected.model_fields_set
        assert (made.__pydantic_extra__, made.__pydantic_private__) == (None, None)
        assert made == TenantResult.model_validate(made.to_dict())
        assert made.diff is change.diff  # shared, not copied
    one, two = _result(change, "skipped", error=None), _result(_change(), "skipped", error=None)
    assert one.__pydantic_fields_set__ is two.__pydantic_fields_set__  # one set, shared


def test_the_results_of_noops_are_recorded_before_their_phase_s_writes(
    activepieces_emulator: Any, client: ActivepiecesClient
) -> None:
    activepieces_emulator.state.add_project("Kept", external_id="kept")
    planned = plan(
        client, [{"external_id": "new"}, {"external_id": "kept", "display_name": "Kept"}]
    )
    assert [c.action for c in planned.changes] == ["create", "noop"]
    seen: list[str] = []

    report = apply(client, planned, concurrency=1, on_result=lambda r: seen.append(r.action))

    assert report.ok
    assert seen == ["noop", "create"]  # all at once, not one unit of work each, in turn
    assert [r.action for r in report.results] == ["create", "noop"]  # the report: plan order
