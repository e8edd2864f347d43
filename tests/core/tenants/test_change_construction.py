"""`TenantChange.of`: a change a kind planned, built without validation, is the change that
validating the same fields builds (the planner makes one per resource: 500,000 at 100,000
tenants)."""

from __future__ import annotations

from typing import Any

from activepieces_core.tenants import TenantChange
from activepieces_core.tenants.spec import validate_specs


def _fields() -> dict[str, Any]:
    spec = validate_specs([{"external_id": "acme", "display_name": "Acme", "pieces": ["slack"]}])
    return {
        "external_id": "acme",
        "action": "create",
        "display_name": "Acme",
        "spec": spec[0],
        "diff": {"displayName": {"from": None, "to": "Acme"}},
    }


def test_a_built_change_is_the_validated_change() -> None:
    built, validated = TenantChange.of(**_fields()), TenantChange.model_validate(_fields())
    assert built == validated
    assert built.model_dump() == validated.model_dump()
    assert list(built.model_dump()) == list(validated.model_dump())  # same field order
    assert built.saved() == validated.saved()
    assert built.label == "project"
    assert built.model_fields_set == validated.model_fields_set == set(_fields())


def test_built_changes_share_what_they_were_not_given() -> None:
    one, two = (TenantChange.of(external_id=e, action="noop", kind="member") for e in "ab")
    assert (one.diff, one.data, one.key, one.spec, one.observed) == ({}, {}, None, None, None)
    assert one.diff is two.diff
    assert one.data is two.data
    assert one.diff is one.data
    assert one.__pydantic_fields_set__ is two.__pydantic_fields_set__
    assert one.model_fields_set == {"external_id", "action", "kind"}
    # Frozen all the same, and a copy with an update tells its own set fields.
    copy = one.model_copy(update={"key": "ada@example.com"})
    assert copy.model_fields_set == {"external_id", "action", "kind", "key"}
    assert one.model_fields_set == {"external_id", "action", "kind"}
