"""Every project task, sync and async, in real flow runs against the emulator over HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Generator
from typing import Any

import pytest
from prefect import flow
from prefect.settings import (
    PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW,
    PREFECT_RESULTS_PERSIST_BY_DEFAULT,
    temporary_settings,
)

from prefect_activepieces import (
    ActivepiecesCredentials,
    create_project,
    delete_project,
    get_project,
    set_project_pieces,
)
from prefect_activepieces.projects import async_tasks, sync_tasks

SYNC = {t.fn.__name__: t for t in sync_tasks}
ASYNC = {t.fn.__name__.removeprefix("a"): t for t in async_tasks}

Step = tuple[str, tuple[Any, ...], dict[str, Any]]


def lifecycle() -> Generator[Step, Any, dict[str, Any]]:
    """The scenario once, driven by a sync or async flow: yields (task, args, kwargs)."""
    out: dict[str, Any] = {}
    out["created"] = created = yield (
        "create_project",
        ("Alpha",),
        {"external_id": "alpha", "metadata": {"tier": "gold"}},
    )
    out["ensured"] = yield (
        "ensure_project",
        ("beta",),
        {"display_name": "Beta", "pieces": ["slack"]},
    )
    out["ensured_again"] = yield (
        "ensure_project",
        ("beta",),
        {"display_name": "Beta", "pieces": ["slack"]},
    )
    out["by_id"] = yield ("get_project", (), {"project_id": created["id"]})
    out["by_external_id"] = yield ("get_project", (), {"external_id": "beta"})
    out["absent"] = yield ("get_project", (), {"external_id": "nobody"})
    out["listed"] = yield ("list_projects", (), {"types": ["TEAM"], "page_size": 1})
    out["filtered"] = yield ("list_projects", (), {"external_id": "alpha"})
    out["updated"] = yield (
        "update_project",
        (created["id"],),
        {"display_name": "Alpha Two", "releases_enabled": True},
    )
    out["synced"] = yield ("set_project_pieces", (created["id"], ["gmail", "slack"]), {})
    out["synced_again"] = yield ("set_project_pieces", (created["id"], ["slack", "gmail"]), {})
    out["deleted"] = yield ("delete_project", (), {"project_id": created["id"]})
    out["deleted_by_external_id"] = yield ("delete_project", (), {"external_id": "beta"})
    out["missing"] = yield ("delete_project", (), {"external_id": "beta", "missing_ok": True})
    return out


def drive(tasks: dict[str, Any], credentials: ActivepiecesCredentials) -> dict[str, Any]:
    gen = lifecycle()
    step = next(gen)
    while True:
        name, args, kwargs = step
        try:
            step = gen.send(tasks[name](credentials, *args, **kwargs))
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]


async def adrive(tasks: dict[str, Any], credentials: ActivepiecesCredentials) -> dict[str, Any]:
    gen = lifecycle()
    step = next(gen)
    while True:
        name, args, kwargs = step
        try:
            step = gen.send(await tasks[name](credentials, *args, **kwargs))
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]


@flow
def sync_flow_sync_tasks(credentials: ActivepiecesCredentials) -> dict[str, Any]:
    return drive(SYNC, credentials)


@flow
async def async_flow_async_tasks(credentials: ActivepiecesCredentials) -> dict[str, Any]:
    return await adrive(ASYNC, credentials)


@flow
async def async_flow_sync_tasks(credentials: ActivepiecesCredentials) -> dict[str, Any]:
    # Sync tasks are the portable choice: called from an async flow they simply run.
    return drive(SYNC, credentials)


def test_sync_and_async_task_sets_match() -> None:
    assert sorted(SYNC) == sorted(ASYNC)
    assert len(SYNC) == 7


@pytest.mark.parametrize(
    "runner", ["sync_flow_sync_tasks", "async_flow_async_tasks", "async_flow_sync_tasks"]
)
def test_every_task_against_the_emulator(
    runner: str, credentials: ActivepiecesCredentials, emulator: Any
) -> None:
    chosen = {
        "sync_flow_sync_tasks": sync_flow_sync_tasks,
        "async_flow_async_tasks": async_flow_async_tasks,
        "async_flow_sync_tasks": async_flow_sync_tasks,
    }[runner]
    result = chosen(credentials)
    out = asyncio.run(result) if runner.startswith("async") else result

    json.dumps(out)  # plain JSON-safe data all the way down
    created = out["created"]
    assert created["displayName"] == "Alpha"
    assert created["externalId"] == "alpha"
    assert created["metadata"] == {"tier": "gold"}
    assert out["ensured"]["action"] == "created"
    assert out["ensured"]["project"]["plan"]["pieces"] == ["@activepieces/piece-slack"]
    assert out["ensured_again"]["action"] == "unchanged"
    assert out["by_id"]["id"] == created["id"]
    assert out["by_external_id"]["id"] == out["ensured"]["project"]["id"]
    assert out["absent"] is None
    listed_ids = {p["id"] for p in out["listed"]}  # page_size=1: every page was followed
    assert {created["id"], out["ensured"]["project"]["id"]} <= listed_ids
    assert [p["id"] for p in out["filtered"]] == [created["id"]]
    assert out["updated"]["displayName"] == "Alpha Two"
    assert out["updated"]["releasesEnabled"] is True
    assert out["synced"]["changed"] is True
    assert out["synced"]["project"]["plan"]["pieces"] == [
        "@activepieces/piece-gmail",
        "@activepieces/piece-slack",
    ]
    assert out["synced_again"]["changed"] is False
    assert out["deleted"] == {"deleted": True, "project_id": created["id"], "external_id": None}
    assert out["deleted_by_external_id"]["deleted"] is True
    assert out["missing"] == {"deleted": False, "project_id": None, "external_id": "beta"}
    remaining = {p["externalId"] for p in emulator.state.projects()}
    assert not {"alpha", "beta"} & remaining


def test_tasks_callable_standalone(credentials: ActivepiecesCredentials) -> None:
    # Outside any flow Prefect runs the task on its own (a bare task run, logs stay local).
    with temporary_settings({PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW: "ignore"}):
        project = create_project(credentials, "Solo", external_id="solo")
        assert get_project(credentials, external_id="solo")["id"] == project["id"]


def test_get_project_needs_exactly_one_key(credentials: ActivepiecesCredentials) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        get_project.fn(credentials)
    with pytest.raises(ValueError, match="exactly one"):
        get_project.fn(credentials, project_id="a", external_id="b")
    with pytest.raises(ValueError, match="exactly one"):  # core's rule: "" is not given
        delete_project.fn(credentials, project_id="", external_id="")


def test_task_runs_are_named_after_their_target(
    credentials: ActivepiecesCredentials, emulator: Any, prefect_api: Any
) -> None:
    project = emulator.state.add_project("Named", external_id="named")

    @flow
    def named() -> None:
        get_project(credentials, external_id="named")
        set_project_pieces(credentials, project["id"], ["slack"])
        delete_project(credentials, project_id=project["id"])

    state = named(return_state=True)
    runs = prefect_api.task_runs(state.state_details.flow_run_id, at_least=3)
    names = {t.name for t in runs}
    assert names == {
        "get-project-named",
        f"set-pieces-{project['id']}",
        f"delete-project-{project['id']}",
    }


def test_writes_are_never_cached(credentials: ActivepiecesCredentials, emulator: Any) -> None:
    """With result persistence on, Prefect's default cache policy would skip the second create."""

    @flow
    def twice() -> list[str]:
        return [create_project(credentials, "Same")["id"] for _ in range(2)]

    with temporary_settings({PREFECT_RESULTS_PERSIST_BY_DEFAULT: True}):
        ids = twice()
    assert len(set(ids)) == 2
    assert emulator.requests.count(route="create") == 2
