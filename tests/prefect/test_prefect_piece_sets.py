"""Piece sets from Prefect: the tasks, and sync_tenants carrying a document's sets through.

What each tenant can see is asked of the emulator (`visible_pieces`), whichever mechanism
governs, never read back from the plan or the report.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from prefect import flow
from prefect.settings import PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW, temporary_settings

from activepieces_core.errors import FeatureDisabledError
from activepieces_core.tenants import TenantSpecError
from activepieces_core.testing.piece_sets import PIECE_CATALOG
from prefect_activepieces import (
    ActivepiecesCredentials,
    aassign_piece_set,
    adelete_piece_set,
    aensure_piece_set,
    assign_piece_set,
    delete_piece_set,
    ensure_piece_set,
    sync_tenants,
    teardown_tenants,
)
from prefect_activepieces.exceptions import TenantTeardownError
from prefect_activepieces.piece_sets import async_tasks, selection, sync_tasks

SLACK, GMAIL, HUBSPOT, OPENAI = (
    f"@activepieces/piece-{n}" for n in ("slack", "gmail", "hubspot", "openai")
)

DOCUMENT: dict[str, Any] = {
    "piece_sets": [
        {"key": "gold", "name": "Gold tier", "allow": ["slack", "gmail", "hubspot"]},
        {"key": "no-ai", "name": "Everything but AI", "block": ["openai"]},
    ],
    "tenants": [
        {"external_id": "acme", "piece_set": "gold", "active_flows_limit": 5},
        {"external_id": "initech", "piece_set": "no-ai", "sensitive": True},
        {"external_id": "globex", "pieces": ["slack"]},
        {"external_id": "hooli", "notify_flow_owner_on_failure": True},  # Default set
    ],
}


@pytest.fixture
def piece_set_platform(emulator: Any) -> Any:
    emulator.state.configure_platform(manage_pieces_enabled=True)
    return emulator


def _seen(emu: Any) -> dict[str, list[str]]:
    return {
        p["externalId"]: sorted(emu.state.visible_pieces(p["id"]))
        for p in emu.state.projects(types=["TEAM"])
        if p.get("externalId")
    }


def _keys(emu: Any) -> list[str]:
    return sorted(s.get("key") or "" for s in emu.state.piece_sets.all())


def test_sync_tenants_makes_each_tenant_see_its_pieces(
    credentials: ActivepiecesCredentials, piece_set_platform: Any, prefect_api: Any
) -> None:
    emu = piece_set_platform
    state = sync_tenants(DOCUMENT, credentials, return_state=True)
    report = state.result()
    assert report["summary"]["create"] == 4
    statuses = {(r["kind"], r["key"], r["status"]) for r in report["results"]}
    assert ("piece_set", "gold", "succeeded") in statuses
    assert ("piece_set", "tenant:globex", "succeeded") in statuses
    assert ("piece_set_assignment", "no-ai", "succeeded") in statuses

    assert _seen(emu) == {
        "acme": sorted([SLACK, GMAIL, HUBSPOT]),
        "initech": sorted(p for p in PIECE_CATALOG if p != OPENAI),
        "globex": [SLACK],
        "hooli": sorted(PIECE_CATALOG),
    }
    projects = {p["externalId"]: p for p in emu.state.projects(types=["TEAM"])}
    assert projects["acme"]["plan"]["activeFlowsLimit"] == 5  # the 2026 fields go through too
    assert projects["initech"]["sensitive"] is True
    assert projects["hooli"]["notifyFlowOwnerOnFailure"] is True

    found = prefect_api.artifacts(state.state_details.flow_run_id)
    plan = prefect_api.table(found["activepieces-tenants-plan"])
    gold = next(r for r in plan if r["what"] == "piece_set gold")
    # Official pieces by short name, so a list fits in the cell.
    assert "exceptions: [gmail, hubspot, slack]" in gold["changes"]
    moves = {r["external_id"]: r for r in plan if r["what"].startswith("piece_set_assignment ")}
    assert moves["acme"]["what"] == "piece_set_assignment gold"
    assert moves["acme"]["changes"].endswith("→ gold")
    assert "hooli" not in moves  # a new project starts on Default
    assert "piece_set:" in found["activepieces-tenants-plan"].description
    rows = prefect_api.table(found["activepieces-tenants-report"])
    assert {r["what"] for r in rows if r["external_id"] == "globex"} >= {
        "project",
        "piece_set tenant:globex",
        "piece_set_assignment tenant:globex",
    }
    summary = found["activepieces-tenants-summary"].data
    assert "| piece_set_assignment | 3 | 0 | 0 | 0 |" in summary

    writes = emu.requests.count(method="POST")
    again = sync_tenants(DOCUMENT, credentials)
    assert {r["status"] for r in again["results"]} == {"skipped"}  # all no-op
    assert emu.requests.count(method="POST") == writes

    # Torn down with prune: the tenant's own set goes with it, the named ones stay.
    sync_tenants(
        {**DOCUMENT, "tenants": DOCUMENT["tenants"][:2]}, credentials, prune=True, archive=None
    )
    assert "tenant:globex" not in _keys(emu)
    assert {"gold", "no-ai"} <= set(_keys(emu))


def test_piece_sets_refused_on_a_legacy_platform(
    credentials: ActivepiecesCredentials, emulator: Any
) -> None:
    state = sync_tenants(DOCUMENT, credentials, return_state=True)
    with pytest.raises(TenantSpecError, match="piece_sets need a platform governed by piece sets"):
        state.result()
    assert emulator.requests.count(method="POST") == 0
    # A task outside any flow runs on its own (its logs stay local).
    quiet = temporary_settings({PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW: "ignore"})
    with quiet, pytest.raises(FeatureDisabledError):
        ensure_piece_set(credentials, "gold", allow=["slack"])


def test_selection() -> None:
    assert selection() is None
    assert selection(allow=["slack"]).exceptions == [SLACK]  # type: ignore[union-attr]
    assert str(selection(block=["openai"]).mode.value) == "include_all"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="not both"):
        selection(allow=["slack"], block=["gmail"])
    with pytest.raises(TypeError, match="lists of piece names"):
        selection(allow="slack")


def test_sync_and_async_task_sets_match() -> None:
    assert [t.fn.__name__ for t in sync_tasks] == [
        t.fn.__name__.removeprefix("a") for t in async_tasks
    ]


def _scenario_checks(out: dict[str, Any], emu: Any) -> None:
    created, again, moved, back, deleted, missing = (
        out[k] for k in ("created", "again", "moved", "back", "deleted", "missing")
    )
    assert created["action"] == "created"
    assert created["piece_set"]["key"] == "gold"
    assert created["piece_set"]["config"]["pieces"] == {
        "mode": "exclude_all",
        "exceptions": [SLACK],
    }
    assert again["action"] == "unchanged"
    assert moved == {
        "piece_set_id": created["piece_set"]["id"],
        "key": "gold",
        "project_ids": [out["project_id"]],
    }
    assert back["key"] == "default"
    assert deleted == {"deleted": True, "piece_set_id": created["piece_set"]["id"], "key": "gold"}
    assert missing == {"deleted": False, "piece_set_id": None, "key": "gold"}
    assert "gold" not in _keys(emu)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_piece_set_tasks(
    mode: str, credentials: ActivepiecesCredentials, piece_set_platform: Any
) -> None:
    emu = piece_set_platform
    project_id = emu.state.add_project("Acme", external_id="acme")["id"]

    @flow
    def sync_flow() -> dict[str, Any]:
        out: dict[str, Any] = {"project_id": project_id}
        out["created"] = ensure_piece_set(credentials, "gold", "Gold", allow=["slack"])
        out["again"] = ensure_piece_set(credentials, "gold", "Gold", allow=["slack"])
        out["moved"] = assign_piece_set(credentials, project_id, key="gold")
        out["seen"] = sorted(emu.state.visible_pieces(project_id))
        out["back"] = assign_piece_set(credentials, [project_id], key="default")
        out["deleted"] = delete_piece_set(credentials, key="gold")
        out["missing"] = delete_piece_set(credentials, key="gold", missing_ok=True)
        return out

    @flow
    async def async_flow() -> dict[str, Any]:
        out: dict[str, Any] = {"project_id": project_id}
        out["created"] = await aensure_piece_set(credentials, "gold", "Gold", allow=["slack"])
        out["again"] = await aensure_piece_set(credentials, "gold", "Gold", allow=["slack"])
        set_id = out["created"]["piece_set"]["id"]
        out["moved"] = await aassign_piece_set(credentials, project_id, piece_set_id=set_id)
        out["seen"] = sorted(emu.state.visible_pieces(project_id))
        out["back"] = await aassign_piece_set(credentials, [project_id], key="default")
        out["deleted"] = await adelete_piece_set(credentials, piece_set_id=set_id)
        out["missing"] = await adelete_piece_set(credentials, key="gold", missing_ok=True)
        return out

    out = sync_flow() if mode == "sync" else asyncio.run(async_flow())
    assert out["seen"] == [SLACK]
    _scenario_checks(out, emu)
    assert sorted(emu.state.visible_pieces(project_id)) == sorted(PIECE_CATALOG)


def test_piece_set_task_errors(
    credentials: ActivepiecesCredentials, piece_set_platform: Any
) -> None:
    @flow
    def errors() -> list[str]:
        caught = []
        for call in (
            lambda: delete_piece_set(credentials, key="ghost"),
            lambda: assign_piece_set(credentials, "p1", key="ghost"),
            lambda: assign_piece_set(credentials, "p1", key="gold", piece_set_id="x"),
            lambda: assign_piece_set(credentials, [], key="gold"),
            lambda: ensure_piece_set(credentials, "gold", allow=["a"], block=["b"]),
        ):
            try:
                call()
            except Exception as exc:
                caught.append(type(exc).__name__)
        return caught

    assert errors() == ["NotFoundError", "NotFoundError", "ValueError", "ValueError", "ValueError"]
    assert piece_set_platform.requests.count(method="POST") == 0


def _owned(emu: Any) -> list[str]:
    return [key for key in _keys(emu) if key.startswith("tenant:")]


@pytest.mark.parametrize("others", [[], ["acme", "initech", "hooli"]])  # lookups, one listing
def test_teardown_takes_the_sets_the_tenants_own(
    others: list[str],
    credentials: ActivepiecesCredentials,
    piece_set_platform: Any,
    prefect_api: Any,
) -> None:
    """teardown_tenants deletes each named tenant's own set with its project (and one left
    behind by an earlier, interrupted teardown); other tenants' sets and named sets stay."""
    emu = piece_set_platform
    more = [{"external_id": e, "pieces": ["gmail"]} for e in ("umbrella", "stark")]
    sync_tenants({**DOCUMENT, "tenants": [*DOCUMENT["tenants"], *more]}, credentials)
    assert _owned(emu) == ["tenant:globex", "tenant:stark", "tenant:umbrella"]
    umbrella = next(p for p in emu.state.projects(types=["TEAM"]) if p["externalId"] == "umbrella")
    with credentials.get_client() as client:
        client.projects.delete(umbrella["id"])  # its set stays: what a bare delete leaves

    state = teardown_tenants(
        ["globex", "umbrella", "ghost", *others], credentials, return_state=True, archive=None
    )
    report = state.result()
    statuses = {r["external_id"]: r["status"] for r in report["results"]}
    assert statuses == {
        "globex": "deleted",
        "umbrella": "missing",
        "ghost": "missing",
        **dict.fromkeys(others, "deleted"),
    }
    assert _owned(emu) == ["tenant:stark"]  # not named: untouched
    assert {"default", "gold", "no-ai"} <= set(_keys(emu))
    assert sorted(_seen(emu)) == sorted({"acme", "initech", "hooli", "stark"} - set(others))
    found = prefect_api.artifacts(state.state_details.flow_run_id)
    summary = found["activepieces-tenants-teardown-summary"].data
    assert f"| {1 + len(others)} | 2 | 0 |" in summary

    assert teardown_tenants(["stark"], credentials, archive=None)["summary"]["deleted"] == 1
    assert _owned(emu) == []


def test_teardown_fails_a_tenant_whose_set_stays_and_a_rerun_finishes(
    piece_set_platform: Any,
) -> None:
    emu = piece_set_platform
    creds = ActivepiecesCredentials(base_url=emu.url, api_key=emu.api_key, max_retries=0)
    sync_tenants({"tenants": [{"external_id": "globex", "pieces": ["slack"]}]}, creds)
    emu.faults.set("piece_sets.delete", rate=1.0, kinds={"500": 1})
    with pytest.raises(TenantTeardownError) as excinfo:
        teardown_tenants(["globex"], creds, archive=None)
    (row,) = excinfo.value.report["results"]
    assert row["status"] == "failed"
    assert "piece_set tenant:globex" in row["error"]
    assert "globex" not in _seen(emu)  # the project went; its set did not
    assert _owned(emu) == ["tenant:globex"]

    emu.faults.clear()
    again = teardown_tenants(["globex"], creds, archive=None)
    assert again["results"][0]["status"] == "missing"
    assert _owned(emu) == []
