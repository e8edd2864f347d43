"""The tenant models built by the hundred thousand share what they can (memory at 100,000 tenants)."""

from __future__ import annotations

import json

from activepieces_core.tenants import Plan, TenantChange
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
