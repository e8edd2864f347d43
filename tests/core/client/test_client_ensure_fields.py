"""``projects.ensure`` with the fields the server grew in 2026, sync and async, over real HTTP.

``notify_flow_owner_on_failure``, ``active_flows_limit``, ``worker_group_id``,
``execution_data_retention_days`` and ``sensitive`` go through the one comparison
(`project_diff`) like the older fields. Request counts come from the emulator's log; what an
update carried is read from the request the client's own HTTP pool sent (an httpx request
hook), so the tests see the real body on all three stacks.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from activepieces_core.errors import InvalidRequestError

FIELDS: dict[str, Any] = {
    "notify_flow_owner_on_failure": True,
    "active_flows_limit": 3,
    "worker_group_id": "gpu",
    "execution_data_retention_days": 14,
    "sensitive": True,
}
#: The same values as the API stores them (camelCase; the limit lives in the plan).
STORED: dict[str, Any] = {
    "notifyFlowOwnerOnFailure": True,
    "workerGroupId": "gpu",
    "executionDataRetentionDays": 14,
    "sensitive": True,
}


class SentBodies:
    """The JSON bodies of the POSTs the client sends, in order (create and update)."""

    def __init__(self, api: Any) -> None:
        self.posts: list[tuple[str, Any]] = []
        transport = api.client._transport
        if getattr(transport, "backend", None) == "aiohttp":
            # Watch what the aiohttp session is handed; the request still goes for real.
            sender = transport._sender
            send = sender.send

            async def record(method: str, url: str, headers: Any, data: bytes | None) -> Any:
                if method == "POST":
                    self.posts.append((httpx.URL(url).path, json.loads(data or b"null")))
                return await send(method, url, headers, data)

            sender.send = record
            return
        http = transport._http
        if api.is_async:

            async def hook(request: httpx.Request) -> None:
                self._record(request)

            http.event_hooks = {"request": [hook], "response": []}
        else:
            http.event_hooks = {"request": [self._record], "response": []}

    def _record(self, request: httpx.Request) -> None:
        if request.method == "POST":
            self.posts.append((request.url.path, json.loads(request.content)))

    def updates(self) -> list[Any]:
        """Bodies of ``POST /projects/:id`` (a create posts to ``/projects`` itself)."""
        return [body for path, body in self.posts if not path.endswith("/projects")]

    def creates(self) -> list[Any]:
        return [body for path, body in self.posts if path.endswith("/projects")]


def writes(emu: Any) -> int:
    return sum(emu.requests.count(route=r) for r in ("create", "update", "delete"))


def assert_stored(emu: Any, project_id: str, **expected: Any) -> None:
    """The emulator's own record of the project (not the client's parse of a response)."""
    stored = emu.state.get_project(project_id)
    for key, value in expected.items():
        assert stored[key] == value, key


@pytest.fixture(autouse=True)
def _worker_groups(emu: Any) -> None:
    # Without worker groups the server drops workerGroupId (as upstream does).
    emu.state.configure_platform(worker_groups_enabled=True)


async def test_create_sets_the_fields_with_the_one_follow_up_update(api: Any, emu: Any) -> None:
    sent = SentBodies(api)
    result = await api.ensure("acme", "Acme", **FIELDS)
    assert result.action == "created"
    project = result.project
    assert project.notify_flow_owner_on_failure is True
    assert project.active_flows_limit == 3
    assert project.worker_group_id == "gpu"
    assert project.execution_data_retention_days == 14
    assert project.sensitive is True
    assert_stored(emu, project.id, **STORED)
    assert emu.state.get_project(project.id)["plan"]["activeFlowsLimit"] == 3
    assert emu.requests.count(route="create") == 1
    assert emu.requests.count(route="update") == 1
    # Create cannot carry them; the follow-up update carries exactly them.
    assert sent.creates() == [{"displayName": "Acme", "externalId": "acme"}]
    assert sent.updates() == [{**STORED, "plan": {"activeFlowsLimit": 3}}]


async def test_same_fields_again_is_unchanged_and_writes_nothing(api: Any, emu: Any) -> None:
    await api.ensure("acme", "Acme", **FIELDS)
    emu.requests.clear()
    again = await api.ensure("acme", "Acme", **FIELDS)
    assert again.action == "unchanged"
    assert writes(emu) == 0
    assert emu.requests.count(route="list") == 1


@pytest.mark.parametrize(
    ("change", "body"),
    [
        ({"sensitive": False}, {"sensitive": False}),
        ({"notify_flow_owner_on_failure": False}, {"notifyFlowOwnerOnFailure": False}),
        ({"execution_data_retention_days": 30}, {"executionDataRetentionDays": 30}),
        ({"worker_group_id": "cpu"}, {"workerGroupId": "cpu"}),
        ({"active_flows_limit": 7}, {"plan": {"activeFlowsLimit": 7}}),
    ],
)
async def test_one_changed_field_is_one_update_carrying_only_it(
    api: Any, emu: Any, change: dict[str, Any], body: dict[str, Any]
) -> None:
    first = await api.ensure("acme", "Acme", pieces=["slack"], **FIELDS)
    emu.requests.clear()
    sent = SentBodies(api)
    result = await api.ensure("acme", "Acme", pieces=["slack"], **{**FIELDS, **change})
    assert result.action == "updated"
    assert emu.requests.count(route="update") == 1
    assert writes(emu) == 1
    assert sent.updates() == [body]
    (name, value), *_ = change.items()
    assert getattr(result.project, name) == value
    # The rest is as it was, on the server: the plan's pieces survive an activeFlowsLimit.
    stored = emu.state.get_project(first.project.id)
    assert stored["plan"]["pieces"] == first.project.pieces
    assert stored["plan"]["piecesFilterType"] == "ALLOWED"
    unchanged = {k: v for k, v in FIELDS.items() if k not in change}
    assert all(getattr(result.project, k) == v for k, v in unchanged.items())


async def test_existing_project_updates_only_when_the_fields_differ(api: Any, emu: Any) -> None:
    made = emu.state.add_project("Acme", external_id="acme", sensitive=True)
    sent = SentBodies(api)
    same = await api.ensure("acme", "Acme", sensitive=True)
    assert same.action == "unchanged"
    assert writes(emu) == 0
    left = await api.ensure("acme", "Acme", if_exists="return", **FIELDS)
    assert left.action == "unchanged"
    assert writes(emu) == 0
    converged = await api.ensure("acme", "Acme", **FIELDS)
    assert converged.action == "updated"
    assert emu.requests.count(route="update") == 1
    # sensitive is already True on the server: not sent.
    assert sent.updates() == [
        {
            "notifyFlowOwnerOnFailure": True,
            "workerGroupId": "gpu",
            "executionDataRetentionDays": 14,
            "plan": {"activeFlowsLimit": 3},
        }
    ]
    assert_stored(emu, made["id"], **STORED)


async def test_none_leaves_the_fields_alone(api: Any, emu: Any) -> None:
    created = (await api.ensure("acme", "Acme", **FIELDS)).project
    emu.requests.clear()
    result = await api.ensure(
        "acme",
        "Acme",
        notify_flow_owner_on_failure=None,
        active_flows_limit=None,
        worker_group_id=None,
        execution_data_retention_days=None,
        sensitive=None,
    )
    assert result.action == "unchanged"
    assert writes(emu) == 0
    assert_stored(emu, created.id, **STORED)


BAD_VALUES = [
    {"active_flows_limit": 0},
    {"active_flows_limit": -1},
    {"active_flows_limit": True},
    {"active_flows_limit": 2.5},
    {"active_flows_limit": "3"},
    {"execution_data_retention_days": 0},
    {"execution_data_retention_days": -30},
    {"execution_data_retention_days": "30"},
    {"worker_group_id": ""},
    {"worker_group_id": "   "},
    {"worker_group_id": 5},
    {"notify_flow_owner_on_failure": "yes"},
    {"notify_flow_owner_on_failure": 1},
    {"sensitive": "true"},
    {"sensitive": 0},
]


@pytest.mark.parametrize(
    "bad", BAD_VALUES, ids=lambda d: "-".join(f"{k}={v!r}" for k, v in d.items())
)
async def test_bad_values_are_refused_before_any_request(
    api: Any, emu: Any, bad: dict[str, Any]
) -> None:
    emu.state.add_project("Acme", external_id="acme")
    emu.requests.clear()
    with pytest.raises(InvalidRequestError) as ensure_error:
        await api.ensure("acme", "Acme", **bad)
    with pytest.raises(InvalidRequestError):
        await api.ensure("globex", "Globex", **bad)  # would be a create
    # update refuses the same values with the same rule (one rule, not two).
    with pytest.raises(InvalidRequestError) as update_error:
        await api.update("a" * 21, **bad)
    assert str(ensure_error.value) == str(update_error.value)
    assert len(emu.requests) == 0
    assert emu.state.projects(types=["TEAM"])[0]["externalId"] == "acme"
    assert len(emu.state.projects(types=["TEAM"])) == 1
