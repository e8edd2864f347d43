"""Models: tolerant responses, strict requests (nothing sent on bad input), piece names."""

from __future__ import annotations

from typing import Any

import pytest

from activepieces_core import (
    ColorName,
    Page,
    PiecesFilterType,
    Project,
    ProjectType,
    normalize_piece_name,
    normalize_pieces,
)
from activepieces_core.errors import ActivepiecesError, InvalidRequestError

NEWEST = {
    "id": "4nS0uVvXkQ3a2bC1dE5fG",
    "created": "2025-01-01T10:00:00.000Z",
    "updated": "2025-01-01T10:00:00.000Z",
    "ownerId": "owner",
    "displayName": "Acme Corp",
    "platformId": "platform",
    "type": "TEAM",
    "icon": {"color": "CYAN"},
    "externalId": "tenant-42",
    "maxConcurrentJobs": None,
    "releasesEnabled": False,
    "notifyFlowOwnerOnFailure": False,
    "metadata": {"tier": "gold"},
    "poolId": None,
    "pieceSetId": None,
    "sensitive": False,
    "deleted": None,
    "plan": {
        "id": "plan",
        "projectId": "4nS0uVvXkQ3a2bC1dE5fG",
        "locked": False,
        "name": "platform",
        "piecesFilterType": "NONE",
        "pieces": [],
        "activeFlowsLimit": None,
        "tasks": 1000,
    },
    "analytics": {"totalUsers": 0, "activeUsers": 0, "totalFlows": 2, "activeFlows": 1},
}


def test_project_parses_the_newest_shape_and_ignores_unknown_fields() -> None:
    project = Project.model_validate(NEWEST)
    assert project.external_id == "tenant-42"
    assert project.icon_color is ColorName.CYAN
    assert project.type is ProjectType.TEAM
    assert project.plan is not None
    assert project.plan.pieces_filter_type is PiecesFilterType.NONE
    assert project.analytics is not None
    assert project.analytics.total_flows == 2
    data = project.to_dict()
    assert data["displayName"] == "Acme Corp"
    assert data["externalId"] == "tenant-42"
    assert data["icon"] == {"color": "CYAN"}
    assert "deleted" not in data
    assert Project.model_validate(data) == project


def test_unknown_enum_values_are_kept_as_strings() -> None:
    raw = {
        **NEWEST,
        "type": "PLATFORM_MANAGED",
        "icon": {"color": "TEAL"},
        "plan": {"piecesFilterType": "BLOCKED", "pieces": ["x"]},
    }
    project = Project.model_validate(raw)
    assert project.type == "PLATFORM_MANAGED"
    assert project.icon_color == "TEAL"
    assert project.pieces_filter_type == "BLOCKED"
    assert project.to_dict()["icon"] == {"color": "TEAL"}


def test_docs_shape_and_minimal_shape() -> None:
    minimal = Project.model_validate({"id": "p", "displayName": "x"})
    assert minimal.plan is None
    assert minimal.pieces == []
    assert minimal.icon_color is None
    assert minimal.pieces_filter_type is PiecesFilterType.NONE
    assert not minimal.is_personal
    page = Page[Project].model_validate({"data": [NEWEST], "next": "abc", "previous": None})
    assert len(page) == 1
    assert page.has_more


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("slack", "@activepieces/piece-slack"),
        (" piece-gmail ", "@activepieces/piece-gmail"),
        ("@activepieces/piece-slack", "@activepieces/piece-slack"),
        ("@acme/piece-x", "@acme/piece-x"),
    ],
)
def test_normalize_piece_name(name: str, expected: str) -> None:
    assert normalize_piece_name(name) == expected


@pytest.mark.parametrize("bad", ["", "  ", "@acme", "@/x", "a/b", "two words"])
def test_bad_piece_names(bad: str) -> None:
    with pytest.raises(InvalidRequestError):
        normalize_piece_name(bad)


def test_normalize_pieces_sorted_unique() -> None:
    got = normalize_pieces(["slack", "gmail", "@activepieces/piece-slack", "@acme/piece-x"])
    assert got == ["@acme/piece-x", "@activepieces/piece-gmail", "@activepieces/piece-slack"]
    with pytest.raises(InvalidRequestError, match="list"):
        normalize_pieces("slack")


BAD_CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any], str]] = [
    ("create", ("a.b",), {}, "display_name"),
    ("create", ("a/b",), {}, "display_name"),
    ("create", ("",), {}, "display_name"),
    ("create", ("ok",), {"alert_receiver_email": "not-an-email"}, "alert_receiver_email"),
    ("create", ("ok",), {"alert_receiver_email": ""}, "alert_receiver_email"),
    ("create", ("ok",), {"metadata": ["a"]}, "metadata"),
    ("create", ("ok",), {"global_connection_external_ids": "one"}, "list"),
    ("update", ("p",), {"max_concurrent_jobs": 0}, "max_concurrent_jobs"),
    ("update", ("p",), {"max_concurrent_jobs": -3}, "max_concurrent_jobs"),
    ("update", ("p",), {"icon_color": "TEAL"}, "color"),
    ("update", ("p",), {"metadata": "x"}, "metadata"),
    ("update", ("p",), {"external_id": "  "}, "external_id"),
    ("update", ("p",), {"display_name": "v1.2"}, "display_name"),
    ("update", ("p",), {"pieces_filter_type": "SOME"}, "pieces_filter_type"),
    ("update", ("p",), {"pieces": ["bad name"]}, "pieces"),
    ("update", ("p",), {"releases_enabled": "yes"}, "releases_enabled"),
    ("update", ("",), {"display_name": "x"}, "project_id"),
    ("get", ("",), {}, "project_id"),
    ("get_by_external_id", ("",), {}, "external_id"),
    ("list", (), {"limit": 0}, "limit"),
    ("list", (), {"types": ["ROBOT"]}, "types"),
    ("ensure", ("ext", "a.b"), {}, "display_name"),
    ("ensure", ("", "ok"), {}, "external_id"),
    ("ensure", ("ext", "ok"), {"if_exists": "merge"}, "if_exists"),
    ("ensure", ("ext", "ok"), {"pieces": ["@broken"]}, "piece"),
    ("sync_pieces", ("p", "slack"), {}, "list"),
]


@pytest.mark.parametrize(("method", "args", "kwargs", "mentions"), BAD_CALLS)
async def test_bad_input_raises_before_sending(
    api: Any, emu: Any, method: str, args: tuple[Any, ...], kwargs: dict[str, Any], mentions: str
) -> None:
    with pytest.raises(InvalidRequestError, match=mentions) as info:
        await getattr(api, method)(*args, **kwargs)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, ActivepiecesError)
    assert len(emu.requests) == 0
