"""ActivepiecesTeardownTenantsOperator: core's teardown plan, applied in one task.

Real HTTP to the emulator; what is left (projects, piece sets, people) is asked of the emulator.
The example teardown DAG runs it for real in ``test_airflow_dags.py``.
"""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from activepieces_core import ActivepiecesClient
from activepieces_core.tenants import TenantSyncError, reconcile
from activepieces_provider.operators.tenants import (
    REPORT_XCOM_KEY,
    TENANTS_ASSET_ALIAS,
    ActivepiecesTeardownTenantsOperator,
)

DOCUMENT: dict[str, Any] = {
    "piece_sets": [{"key": "gold", "name": "Gold tier", "allow": ["slack", "gmail"]}],
    "tenants": [
        {"external_id": "acme", "piece_set": "gold"},
        {"external_id": "globex", "pieces": ["slack"]},
        {"external_id": "umbrella", "pieces": ["gmail"]},
        {"external_id": "stark", "pieces": ["slack", "gmail"]},
        {"external_id": "hooli"},
    ],
}


@pytest.fixture
def platform(emulator: Any) -> Any:
    """A piece-set platform onboarded with `DOCUMENT` (three tenants own a set)."""
    emulator.state.configure_platform(manage_pieces_enabled=True)
    with _client(emulator) as client:
        assert reconcile(client, DOCUMENT).ok
    return emulator


def _client(emu: Any, **overrides: Any) -> ActivepiecesClient:
    return ActivepiecesClient(api_key=emu.api_key, base_url=emu.url, **overrides)


def _team(emu: Any) -> dict[str, dict[str, Any]]:
    return {p["externalId"]: p for p in emu.state.projects(types=["TEAM"]) if p.get("externalId")}


def _keys(emu: Any) -> list[str]:
    return sorted(s.get("key") or "" for s in emu.state.piece_sets.all())


def _owned(emu: Any) -> list[str]:
    return [key for key in _keys(emu) if key.startswith("tenant:")]


def _teardown(**kwargs: Any) -> ActivepiecesTeardownTenantsOperator:
    # Archives are test_airflow_archive.py's subject: here deletes go without (spelled out).
    return ActivepiecesTeardownTenantsOperator(task_id="teardown", **{"archive": None, **kwargs})


@pytest.mark.parametrize("others", [[], ["acme", "hooli", "stark"]])  # lookups, one listing
def test_teardown_takes_the_sets_the_tenants_own(
    others: list[str], platform: Any, context: dict[str, Any]
) -> None:
    """Named tenants lose their projects and own sets (also one an interrupted teardown left
    behind); tenants not named and the named sets stay."""
    emu = platform
    assert _owned(emu) == ["tenant:globex", "tenant:stark", "tenant:umbrella"]
    with _client(emu) as client:
        client.projects.delete(_team(emu)["umbrella"]["id"])  # a bare delete leaves the set

    ids = ["globex", "umbrella", "ghost", *others]
    result = _teardown(external_ids=ids).execute(context)
    assert {r["external_id"]: r["status"] for r in result["results"]} == {
        "globex": "deleted",
        "umbrella": "missing",
        "ghost": "missing",
        **dict.fromkeys(others, "deleted"),
    }
    assert result["summary"] == {
        "total": len(ids),
        "deleted": 1 + len(others),
        "missing": 2,
        "failed": 0,
    }
    assert sorted(_team(emu)) == sorted({"acme", "hooli", "stark"} - set(others))
    left = [] if "stark" in others else ["tenant:stark"]
    assert _owned(emu) == left  # no set of a torn-down tenant is left behind
    assert {"default", "gold"} <= set(_keys(emu))

    report = context["ti"].pushed[REPORT_XCOM_KEY]
    sets = [(r["kind"], r["key"], r["status"]) for r in report["results"] if r["kind"] != "project"]
    assert ("piece_set", "tenant:globex", "succeeded") in sets
    assert ("piece_set", "tenant:umbrella", "succeeded") in sets
    from airflow.sdk import AssetAlias

    events = context["outlet_events"][AssetAlias(TENANTS_ASSET_ALIAS)].asset_alias_events
    assert len(events) == 1 + len(others)  # one per deleted project
    assert emu.api_key not in repr(result) + repr(report)


def test_teardown_ids_as_rendered_text_and_duplicates(
    platform: Any, context: dict[str, Any]
) -> None:
    result = _teardown(external_ids='["globex", "globex"]').execute(context)
    assert [r["external_id"] for r in result["results"]] == ["globex"]
    assert _teardown(external_ids="stark, hooli").execute(context)["summary"]["deleted"] == 2
    assert _owned(platform) == ["tenant:umbrella"]


def test_teardown_offboards_only_when_asked(emulator: Any, context: dict[str, Any]) -> None:
    for ext in ("gone", "next", "kept"):
        emulator.state.add_project(ext.title(), external_id=ext)
    team = _team(emulator)
    emulator.state.people.add_member(team["gone"]["id"], "only@gone.example", "Editor")
    emulator.state.people.add_member(team["next"]["id"], "only@next.example", "Editor")
    for ext in ("gone", "kept"):
        emulator.state.people.add_member(team[ext]["id"], "both@x.example", "Viewer")

    def status(email: str) -> str:
        user = emulator.state.people.user_by_email(email)
        assert user is not None
        return str(user["status"])

    assert _teardown(external_ids=["next"]).execute(context)["summary"]["deleted"] == 1
    assert status("only@next.example") == "ACTIVE"
    result = _teardown(external_ids=["gone"], offboard_users="True").execute(context)
    assert result["summary"]["deleted"] == 1
    assert status("only@gone.example") == "INACTIVE"
    assert status("both@x.example") == "ACTIVE"  # still in a kept tenant
    users = [r for r in context["ti"].pushed[REPORT_XCOM_KEY]["results"] if r["kind"] == "user"]
    assert [(r["key"], r["status"]) for r in users] == [("only@gone.example", "succeeded")]


def test_teardown_fails_after_every_attempt_and_a_rerun_finishes(
    platform: Any, context: dict[str, Any], set_connection: Any
) -> None:
    """A set that cannot be deleted fails its tenant (the others still go); missing_ok=False
    fails an unknown tenant; a rerun deletes what was left."""
    emu = platform
    set_connection(emu.url, emu.api_key, max_retries=0)
    emu.faults.set("piece_sets.delete", rate=1.0, kinds={"500": 1})
    with pytest.raises(TenantSyncError) as excinfo:
        _teardown(external_ids=["globex", "hooli", "ghost"], missing_ok=False).execute(context)
    error = excinfo.value
    assert error.failed_external_ids == ["globex", "ghost"]
    assert str(error).startswith("tenant teardown: 2 of 3 tenant(s) failed (globex, ghost)")
    rows = {r["external_id"]: r for r in error.report["results"]}
    assert "piece_set tenant:globex" in rows["globex"]["error"]
    assert "no TEAM project" in rows["ghost"]["error"]
    assert rows["hooli"]["status"] == "deleted"
    assert "globex" not in _team(emu)  # its project went, its set did not
    assert "tenant:globex" in _owned(emu)
    assert pickle.loads(pickle.dumps(error)).report == error.report
    assert context["ti"].pushed[REPORT_XCOM_KEY]["summary"]["delete"] == 2

    emu.faults.clear()
    again = _teardown(external_ids=["globex"]).execute(context)
    assert again["results"][0]["status"] == "missing"
    assert "tenant:globex" not in _owned(emu)


def test_teardown_max_deletions_refuses_before_writing(
    platform: Any, context: dict[str, Any]
) -> None:
    with pytest.raises(AirflowFailException, match="max_deletions=1"):
        _teardown(external_ids=["acme", "globex"], max_deletions="1").execute(context)
    assert {"acme", "globex"} <= set(_team(platform))
    assert [r for r in platform.requests if r.method == "DELETE"] == []


@pytest.mark.parametrize("others", [[], ["a", "b", "c", "d"]])  # lookup, then listing
def test_teardown_follows_cores_duplicate_rule_on_either_read(
    others: list[str], emulator: Any, context: dict[str, Any]
) -> None:
    """Two TEAM projects with one external id: core's rule (the lowest project id is managed,
    with a warning) whether the tenants are looked up or listed; the other project stays."""
    first = emulator.state.add_project("Dup 1", external_id="dup")
    second = emulator.state.add_project("Dup 2")
    emulator.state.replace(second["id"], {"externalId": "dup"})
    managed, other = sorted((first["id"], second["id"]))
    result = _teardown(external_ids=["dup", *others]).execute(context)
    row = result["results"][0]
    assert (row["status"], row["project_id"]) == ("deleted", managed)
    (warning,) = result["warnings"]
    assert f"managing {managed}" in warning
    left = [p["id"] for p in emulator.state.projects(types=["TEAM"])]
    assert other in left
    assert managed not in left
