"""Core's one description of the project fields (`activepieces_core.project_fields`): it agrees
with what the client's create, update and ensure take, and decodes rendered text."""

from __future__ import annotations

from typing import Any

import pytest

from activepieces_core import CreateFields, EnsureOptions, UpdateFields
from activepieces_core.errors import InvalidRequestError
from activepieces_core.parsing import pieces_argument
from activepieces_core.project_diff import MANAGED_FIELDS
from activepieces_core.project_fields import (
    ENSURE_FIELDS,
    PROJECT_FIELDS,
    UPDATE_FIELDS,
    ProjectField,
    field_values,
)

# The project's key and the request-shape details are arguments of the calls, not fields.
_NOT_FIELDS = {"external_id", "pieces_filter_type", "if_exists"}


def _names(predicate: Any) -> set[str]:
    return {f.name for f in PROJECT_FIELDS if predicate(f)}


def _keys(typed_dict: Any) -> set[str]:
    return set(typed_dict.__annotations__) - _NOT_FIELDS


def test_the_description_is_what_the_client_takes() -> None:
    # display_name is create's and ensure's positional argument, a keyword of update.
    assert _names(lambda f: f.create) == _keys(CreateFields) | {"display_name"}
    assert _names(lambda f: f.update) == _keys(UpdateFields)
    assert _names(lambda f: f.ensure) == _keys(EnsureOptions) | {"display_name"}
    # The diff order of plans (what a reviewer reads) is the description's.
    assert list(MANAGED_FIELDS) == [
        "display_name",
        "pieces",
        "metadata",
        "max_concurrent_jobs",
        "releases_enabled",
        "icon_color",
        "notify_flow_owner_on_failure",
        "active_flows_limit",
        "worker_group_id",
        "execution_data_retention_days",
        "sensitive",
    ]
    assert len({f.name for f in PROJECT_FIELDS}) == len(PROJECT_FIELDS)


def test_derived_lists() -> None:
    assert [f.name for f in ENSURE_FIELDS] == [
        "display_name",
        "pieces",
        "metadata",
        "max_concurrent_jobs",
        "releases_enabled",
        "icon_color",
        "global_connection_external_ids",
        "notify_flow_owner_on_failure",
        "active_flows_limit",
        "worker_group_id",
        "execution_data_retention_days",
        "sensitive",
    ]
    assert "alert_receiver_email" not in {f.name for f in UPDATE_FIELDS}
    assert PROJECT_FIELDS[0].option == "--display-name"


def _field(name: str) -> ProjectField:
    return next(f for f in PROJECT_FIELDS if f.name == name)


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("active_flows_limit", "14", 14),
        ("active_flows_limit", " None ", None),
        ("active_flows_limit", "", None),
        ("active_flows_limit", 0, 0),  # not text: core's rule decides
        ("sensitive", "yes", True),
        ("sensitive", "", False),  # parse_bool: blank text is false
        ("sensitive", None, None),
        ("metadata", '{"tier": "gold"}', {"tier": "gold"}),
        ("global_connection_external_ids", '["a", "b"]', ["a", "b"]),
        ("global_connection_external_ids", "a,b", "a,b"),  # core refuses a string
        ("worker_group_id", "None", None),
        ("worker_group_id", "gpu", "gpu"),
    ],
)
def test_from_text(name: str, text: Any, value: Any) -> None:
    assert _field(name).from_text(text) == value


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("execution_data_retention_days", "1.5", "execution_data_retention_days must be an"),
        ("notify_flow_owner_on_failure", "ture", "notify_flow_owner_on_failure: not a boolean"),
        ("metadata", "{tier", "metadata: Expecting"),
    ],
)
def test_bad_text_names_the_field(name: str, text: str, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        _field(name).from_text(text)


def test_field_values() -> None:
    given = {"pieces": None, "sensitive": "no", "active_flows_limit": "", "other": 1}
    assert field_values(ENSURE_FIELDS, given) == {
        "pieces": None,  # kept: for ensure None means every piece
        "active_flows_limit": "",
        "sensitive": "no",
    }
    assert field_values(ENSURE_FIELDS, given, decode=True) == {"sensitive": False}


@pytest.mark.parametrize(
    ("given", "wanted"),
    [
        (None, None),
        ("all", None),
        (" ALL ", None),
        (["all"], None),
        ('["all"]', None),
        ("slack, gmail", ["slack", "gmail"]),
        ('["slack", "gmail"]', ["slack", "gmail"]),
        (["slack", ""], ["slack"]),
        ("", []),
    ],
)
def test_all_pieces_has_one_spelling(given: Any, wanted: list[str] | None) -> None:
    assert pieces_argument(given) == wanted


@pytest.mark.parametrize("given", ["*", ["*"], "slack,*"])
def test_a_star_is_refused_not_sent_as_a_piece(given: Any) -> None:
    with pytest.raises(ValueError, match="'all' allows every piece"):
        pieces_argument(given)
