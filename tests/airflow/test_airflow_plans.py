"""Tenant documents through the sync operator, and the plan -> approve -> apply operators.

Real HTTP to the emulator; what tenants see and who is in them is asked of the emulator.
The approval's human step is driven for real in ``test_airflow_dags.py`` (HITL REST API).
"""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from activepieces_core.tenants import document_digest, load_document
from activepieces_core.testing.piece_sets import PIECE_CATALOG
from activepieces_provider.exceptions import HITLUnavailableError
from activepieces_provider.operators.tenants import (
    PLAN_SUMMARY_XCOM_KEY,
    REPORT_XCOM_KEY,
    STALE_XCOM_KEY,
    TENANTS_ASSET_ALIAS,
    ActivepiecesApplyTenantPlanOperator,
    ActivepiecesPlanTenantsOperator,
    ActivepiecesSyncTenantsOperator,
)

SLACK, GMAIL, OPENAI = (f"@activepieces/piece-{n}" for n in ("slack", "gmail", "openai"))

DOCUMENT: dict[str, Any] = {
    "piece_sets": [
        {"key": "gold", "name": "Gold tier", "allow": ["slack", "gmail"]},
        {"key": "no-ai", "block": ["openai"]},
    ],
    "defaults": {"member_role": "Editor"},
    "tenants": [
        {
            "external_id": "acme",
            "display_name": "Acme Corp",
            "piece_set": "gold",
            "members": [{"email": "ops@acme.example", "role": "Admin"}, "dev@acme.example"],
        },
        {
            "external_id": "globex",
            "pieces": ["slack"],
            "notify_flow_owner_on_failure": True,
            "active_flows_limit": 5,
        },
        {"external_id": "initech", "piece_set": "no-ai"},
    ],
}


@pytest.fixture
def platform(emulator: Any) -> Any:
    emulator.state.configure_platform(manage_pieces_enabled=True)
    return emulator


def _team(emu: Any) -> dict[str, dict[str, Any]]:
    return {p["externalId"]: p for p in emu.state.projects() if p.get("externalId")}


def _seen(emu: Any) -> dict[str, list[str]]:
    return {ext: sorted(emu.state.visible_pieces(p["id"])) for ext, p in _team(emu).items()}


def _people(emu: Any, external_id: str) -> dict[str, str]:
    project_id = _team(emu)[external_id]["id"]
    people = {
        m["user"]["email"]: m["projectRole"]["name"] for m in emu.state.people.members(project_id)
    }
    for inv in emu.state.people.invitations():
        if inv.get("projectId") == project_id:
            people.setdefault(inv["email"], inv["projectRole"]["name"])
    return people


def _writes(emu: Any) -> list[str]:
    return [r.route for r in emu.requests if r.method != "GET"]


def _alias_uris(context: dict[str, Any]) -> list[str]:
    from airflow.sdk import AssetAlias

    events = context["outlet_events"][AssetAlias(TENANTS_ASSET_ALIAS)].asset_alias_events
    return sorted(e.dest_asset_key.uri for e in events)


def _fresh_events(context: dict[str, Any]) -> None:
    from airflow.sdk.execution_time.context import OutletEventAccessors

    context["outlet_events"] = OutletEventAccessors()


EXPECTED_PIECES = {
    "acme": sorted([SLACK, GMAIL]),
    "globex": [SLACK],
    "initech": sorted(p for p in PIECE_CATALOG if p != OPENAI),
}


# ---------------------------------------------------------------- sync with a whole document


def test_sync_tenants_carries_a_whole_document(
    platform: Any, context: dict[str, Any], capfd: pytest.CaptureFixture[str]
) -> None:
    emu = platform
    report = ActivepiecesSyncTenantsOperator(task_id="s", tenants=DOCUMENT).execute(context)
    logged = capfd.readouterr().out
    assert json.loads(json.dumps(report)) == report
    assert report["summary"]["create"] == 3
    assert report["kind_summary"]["member"] == {"succeeded": 2}
    assert report["kind_summary"]["piece_set"] == {"succeeded": 3}  # gold, no-ai, globex's own
    assert context["ti"].pushed[REPORT_XCOM_KEY] == report
    assert _seen(emu) == EXPECTED_PIECES
    assert _people(emu, "acme") == {"ops@acme.example": "Admin", "dev@acme.example": "Editor"}
    globex = _team(emu)["globex"]
    assert globex["notifyFlowOwnerOnFailure"] is True
    assert globex["plan"]["activeFlowsLimit"] == 5
    # The log lists the other kinds with their keys; asset events are one per project.
    for text in ("piece_set gold", "member ops@acme.example", "piece_set_assignment", "member: "):
        assert text in logged, logged
    host = emu.base_url.split("://", 1)[1]
    assert _alias_uris(context) == [f"activepieces://{host}/projects/{e}" for e in EXPECTED_PIECES]

    emu.requests.clear()
    _fresh_events(context)
    again = ActivepiecesSyncTenantsOperator(task_id="s", tenants=DOCUMENT).execute(context)
    assert again["summary"]["noop"] == 3
    assert again["kind_summary"] == {"piece_set": {"skipped": 3}, "member": {"skipped": 2}}
    assert _writes(emu) == []
    assert _alias_uris(context) == []


def test_sync_tenants_prunes_members_only_when_asked(
    platform: Any, context: dict[str, Any]
) -> None:
    emu = platform
    ActivepiecesSyncTenantsOperator(task_id="s", tenants=DOCUMENT).execute(context)
    fewer = copy.deepcopy(DOCUMENT)
    fewer["tenants"][0]["members"] = [{"email": "ops@acme.example", "role": "Admin"}]
    everyone = {"ops@acme.example": "Admin", "dev@acme.example": "Editor"}

    kept = ActivepiecesSyncTenantsOperator(task_id="s", tenants=fewer).execute(context)
    assert kept["kind_summary"]["member"] == {"skipped": 1}
    assert _people(emu, "acme") == everyone
    with pytest.raises(AirflowFailException, match=r"removes 1 member\(s\)"):
        ActivepiecesSyncTenantsOperator(
            task_id="s", tenants=fewer, prune_members="true", max_deletions=0
        ).execute(context)
    ActivepiecesSyncTenantsOperator(
        task_id="s", tenants=fewer, prune_members=True, protect="dev@*"
    ).execute(context)
    assert _people(emu, "acme") == everyone
    pruned = ActivepiecesSyncTenantsOperator(
        task_id="s", tenants=json.dumps(fewer), prune_members=True, max_deletions="1"
    ).execute(context)
    assert pruned["kind_summary"]["member"] == {"succeeded": 1, "skipped": 1}
    removed = [r for r in pruned["results"] if r["kind"] == "member" and r["action"] == "delete"]
    assert [r["key"] for r in removed] == ["dev@acme.example"]
    assert _people(emu, "acme") == {"ops@acme.example": "Admin"}


def test_piece_sets_on_a_legacy_platform_are_refused_before_any_write(
    emulator: Any, context: dict[str, Any]
) -> None:
    from activepieces_core.tenants import TenantSpecError

    with pytest.raises(TenantSpecError, match="piece"):
        ActivepiecesSyncTenantsOperator(task_id="s", tenants=DOCUMENT).execute(context)
    assert _writes(emulator) == []
    assert _team(emulator) == {}


# ---------------------------------------------------------------- plan, then apply the saved plan


def test_plan_then_apply_exactly_that_plan(
    platform: Any, context: dict[str, Any], tmp_path: Path
) -> None:
    emu = platform
    path = tmp_path / "tenants.json"
    path.write_text(json.dumps(DOCUMENT))
    emu.requests.clear()
    saved = ActivepiecesPlanTenantsOperator(
        task_id="plan", tenants=str(path), prune_members="yes"
    ).execute(context)
    assert _writes(emu) == []  # planning only reads
    assert json.loads(json.dumps(saved)) == saved
    assert saved["format_version"] == 4  # docs/saved-plans.md: format 4
    assert saved["document_digest"] == document_digest(load_document(DOCUMENT))
    summary = context["ti"].pushed[PLAN_SUMMARY_XCOM_KEY]
    for text in (
        "### Activepieces tenant plan",
        "Plan: 3 to create, 0 to update, 0 to delete, 0 unchanged",
        "| member | 2 | 0 | 0 | 0 |",
        "| create | acme | member ops@acme.example |",
        "| create | (platform) | piece_set gold |",
        saved["digest"],
    ):
        assert text in summary, summary

    report = ActivepiecesApplyTenantPlanOperator(
        task_id="apply", plan=saved, approved_digest=saved["digest"]
    ).execute(context)
    assert report["summary"]["succeeded"] == 3
    assert _seen(emu) == EXPECTED_PIECES
    assert len(_alias_uris(context)) == 3

    # The same plan again is stale: what it creates exists now. Refused, nothing written.
    emu.requests.clear()
    with pytest.raises(AirflowFailException, match="the plan is stale") as refused:
        ActivepiecesApplyTenantPlanOperator(task_id="apply", plan=saved).execute(context)
    assert "nothing was applied" in str(refused.value)
    assert _writes(emu) == []
    stale = context["ti"].pushed[STALE_XCOM_KEY]
    assert {(s["external_id"], s["kind"], s["reason"]) for s in stale} >= {
        ("acme", "project", "appeared"),
        ("globex", "project", "appeared"),
    }


def test_apply_refuses_edited_and_unapproved_plans(
    platform: Any, context: dict[str, Any], tmp_path: Path
) -> None:
    emu = platform
    saved = ActivepiecesPlanTenantsOperator(task_id="plan", tenants=DOCUMENT).execute(context)

    edited = copy.deepcopy(saved)
    edited["changes"][0]["display_name"] = "Someone Else"
    with pytest.raises(AirflowFailException, match="edited"):
        ActivepiecesApplyTenantPlanOperator(task_id="a", plan=edited).execute(context)
    with pytest.raises(AirflowFailException, match="is not the approved sha256:0000"):
        ActivepiecesApplyTenantPlanOperator(
            task_id="a", plan=saved, approved_digest="sha256:0000"
        ).execute(context)
    with pytest.raises(ValueError, match="cannot read a saved plan"):
        ActivepiecesApplyTenantPlanOperator(task_id="a", plan="no-such-plan.json").execute(context)
    assert _team(emu) == {}

    # A plan file as `activepieces tenants plan --out` writes it, named by a relative path
    # that resolves against the DAG's folder; a blank approved digest means "not checked".
    from airflow.sdk import DAG

    (tmp_path / "plan.json").write_text(json.dumps(saved))
    with DAG("apply_file_probe", schedule=None) as dag:
        op = ActivepiecesApplyTenantPlanOperator(task_id="a", plan="plan.json", approved_digest="")
    dag.fileloc = str(tmp_path / "dag.py")
    report = op.execute(context)
    assert report["summary"]["succeeded"] == 3
    assert set(_team(emu)) == set(EXPECTED_PIECES)


def test_plan_skips_when_nothing_changes_and_caps_its_summary(
    emulator: Any, context: dict[str, Any]
) -> None:
    tenants = [{"external_id": f"t{i:02d}"} for i in range(12)]
    ActivepiecesPlanTenantsOperator(task_id="p", tenants=tenants, max_rows=5).execute(context)
    summary = context["ti"].pushed[PLAN_SUMMARY_XCOM_KEY]
    assert summary.count("\n| create |") == 5
    assert "... and 7 more not shown (the saved plan has all of them)" in summary

    ActivepiecesSyncTenantsOperator(task_id="s", tenants=tenants).execute(context)
    with pytest.raises(AirflowSkipException, match="changes nothing"):
        ActivepiecesPlanTenantsOperator(
            task_id="p", tenants=tenants, skip_if_no_changes=True
        ).execute(context)
    assert "Nothing to change." in context["ti"].pushed[PLAN_SUMMARY_XCOM_KEY]


# ---------------------------------------------------------------- the approval operator


def _event(option: str) -> dict[str, Any]:
    return {
        "chosen_options": [option],
        "params_input": {},
        "responded_at": datetime(2026, 12, 1, tzinfo=timezone.utc),
        "responded_by_user": {"id": "1", "name": "reviewer"},
    }


def test_approval_checks_the_plan_is_still_the_one_shown(context: dict[str, Any]) -> None:
    from airflow.sdk import DAG

    from activepieces_provider.operators.approval import (
        REVIEWED_DIGEST_XCOM_KEY,
        ActivepiecesApproveTenantPlanOperator,
    )

    with DAG("approval_probe", schedule=None):
        op = ActivepiecesApproveTenantPlanOperator(task_id="approve", plan_task_id="plan")
    assert op.body == "{{ ti.xcom_pull(task_ids='plan', key='plan_summary') }}"
    assert op.options == ["Approve", "Reject"]
    ti = context["ti"]
    ti.upstream[("plan", "return_value")] = {"digest": "sha256:shown"}
    ti.pushed[REVIEWED_DIGEST_XCOM_KEY] = "sha256:shown"

    approved = op.execute_complete(context, _event("Approve"))
    assert approved["approved"] is True
    assert approved["plan_digest"] == "sha256:shown"
    assert approved["responded_at"] == "2026-12-01T00:00:00+00:00"
    assert json.loads(json.dumps(approved)) == approved

    # The plan task was re-run after the request was shown: approving it would apply an
    # unreviewed plan.
    ti.upstream[("plan", "return_value")] = {"digest": "sha256:another"}
    with pytest.raises(AirflowFailException, match="changed after it was shown for review"):
        op.execute_complete(context, _event("Approve"))


def test_approval_without_hitl_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The module loaded where ``airflow.providers.standard.operators.hitl`` cannot import."""
    import airflow.providers.standard.operators as standard_operators

    from activepieces_provider.operators import approval

    monkeypatch.setitem(sys.modules, "airflow.providers.standard.operators.hitl", None)
    monkeypatch.delattr(standard_operators, "hitl", raising=False)
    spec = importlib.util.spec_from_file_location("approval_without_hitl", approval.__file__)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.hitl_problem() is not None
    assert approval.hitl_problem() is None  # the real module is untouched
    with pytest.raises(HITLUnavailableError) as missing:
        module.ActivepiecesApproveTenantPlanOperator(task_id="approve", plan_task_id="plan")
    message = str(missing.value)
    assert "human-in-the-loop" in message
    assert "Airflow 3.1+" in message
    assert "apache-airflow-providers-standard" in message
    assert "ActivepiecesApplyTenantPlanOperator(approved_digest=...)" in message
