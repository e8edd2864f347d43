"""Every operator's ``execute`` against the emulator over real HTTP (no client mocking)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from activepieces_provider.exceptions import ProjectNotFoundError, TenantSyncError
from activepieces_provider.links.projects import PROJECT_URL_XCOM_KEY
from activepieces_provider.operators.projects import (
    ActivepiecesCreateProjectOperator,
    ActivepiecesDeleteProjectOperator,
    ActivepiecesGetProjectOperator,
    ActivepiecesListProjectsOperator,
    ActivepiecesSyncPiecesOperator,
    ActivepiecesUpdateProjectOperator,
)
from activepieces_provider.operators.tenants import (
    REPORT_XCOM_KEY,
    TENANTS_ASSET_ALIAS,
    ActivepiecesSyncTenantsOperator,
)

SLACK = "@activepieces/piece-slack"
GMAIL = "@activepieces/piece-gmail"


def _team(emu: Any) -> dict[str, dict[str, Any]]:
    return {p["externalId"]: p for p in emu.state.projects() if p.get("externalId")}


def _json_roundtrip(value: Any) -> Any:
    return json.loads(json.dumps(value))


# ---------------------------------------------------------------- create (ensure)


def test_create_is_idempotent_by_external_id(emulator: Any, context: dict[str, Any]) -> None:
    op = ActivepiecesCreateProjectOperator(
        task_id="create",
        external_id="acme",
        display_name="Acme",
        pieces='["slack", "gmail"]',
        metadata='{"tier": "gold"}',
    )
    first = op.execute(context)
    assert _json_roundtrip(first) == first
    assert first["action"] == "created"
    project = _team(emulator)["acme"]
    assert project["displayName"] == "Acme"
    assert project["metadata"] == {"tier": "gold"}
    assert sorted(project["plan"]["pieces"]) == [GMAIL, SLACK]
    assert context["ti"].pushed[PROJECT_URL_XCOM_KEY] == (
        f"{emulator.base_url}/projects/{project['id']}/flows"
    )

    creates = emulator.requests.count(route="create")
    again = op.execute(context)
    assert again["action"] == "unchanged"
    assert emulator.requests.count(route="create") == creates
    assert len(_team(emulator)) == 1


def test_create_if_exists_modes(emulator: Any, context: dict[str, Any]) -> None:
    from activepieces_core.errors import ExternalIdConflictError

    emulator.state.add_project("Old name", external_id="globex")
    returned = ActivepiecesCreateProjectOperator(
        task_id="r", external_id="globex", display_name="New name", if_exists="return"
    ).execute(context)
    assert returned["action"] == "unchanged"
    assert _team(emulator)["globex"]["displayName"] == "Old name"

    updated = ActivepiecesCreateProjectOperator(
        task_id="u", external_id="globex", display_name="New name", if_exists="update"
    ).execute(context)
    assert updated["action"] == "updated"
    assert _team(emulator)["globex"]["displayName"] == "New name"

    with pytest.raises(ExternalIdConflictError):
        ActivepiecesCreateProjectOperator(
            task_id="f", external_id="globex", display_name="x", if_exists="fail"
        ).execute(context)


def test_create_defaults_display_name_and_all_pieces(
    emulator: Any, context: dict[str, Any]
) -> None:
    result = ActivepiecesCreateProjectOperator(
        task_id="c", external_id="initech", pieces="all"
    ).execute(context)
    assert result["project"]["displayName"] == "initech"
    assert _team(emulator)["initech"]["plan"]["piecesFilterType"] == "NONE"


# ---------------------------------------------------------------- update / sync pieces


def test_update_by_external_id_and_by_id(emulator: Any, context: dict[str, Any]) -> None:
    seeded = emulator.state.add_project("Hooli", external_id="hooli")
    by_ext = ActivepiecesUpdateProjectOperator(
        task_id="u1", external_id="hooli", display_name="Hooli XYZ", metadata={"tier": "gold"}
    ).execute(context)
    assert by_ext["displayName"] == "Hooli XYZ"
    by_id = ActivepiecesUpdateProjectOperator(
        task_id="u2", project_id=seeded["id"], new_external_id="hooli-2", pieces=["slack"]
    ).execute(context)
    assert by_id["externalId"] == "hooli-2"
    stored = emulator.state.get_project(seeded["id"])
    assert stored["metadata"] == {"tier": "gold"}
    assert stored["plan"]["pieces"] == [SLACK]
    assert context["ti"].pushed[PROJECT_URL_XCOM_KEY].endswith(f"/projects/{seeded['id']}/flows")


def test_update_needs_exactly_one_target_and_an_existing_project(
    emulator: Any, context: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        ActivepiecesUpdateProjectOperator(task_id="u", display_name="x").execute(context)
    with pytest.raises(ValueError, match="exactly one"):
        ActivepiecesUpdateProjectOperator(
            task_id="u", project_id="p", external_id="e", display_name="x"
        ).execute(context)
    with pytest.raises(ProjectNotFoundError, match="nobody"):
        ActivepiecesUpdateProjectOperator(
            task_id="u", external_id="nobody", display_name="x"
        ).execute(context)


def test_sync_pieces_writes_only_when_needed(emulator: Any, context: dict[str, Any]) -> None:
    emulator.state.add_project("Stark", external_id="stark")
    op = ActivepiecesSyncPiecesOperator(task_id="p", external_id="stark", pieces="slack, gmail")
    first = op.execute(context)
    assert first["changed"] is True
    assert sorted(first["project"]["plan"]["pieces"]) == [GMAIL, SLACK]
    updates = emulator.requests.count(route="update")
    second = op.execute(context)
    assert second["changed"] is False
    assert emulator.requests.count(route="update") == updates

    everything = ActivepiecesSyncPiecesOperator(task_id="all", external_id="stark").execute(context)
    assert everything["changed"] is True
    assert _team(emulator)["stark"]["plan"]["piecesFilterType"] == "NONE"


# ---------------------------------------------------------------- delete / get / list


def test_delete_by_id_and_external_id(emulator: Any, context: dict[str, Any]) -> None:
    a = emulator.state.add_project("A", external_id="a")
    emulator.state.add_project("B", external_id="b")
    assert ActivepiecesDeleteProjectOperator(task_id="d1", project_id=a["id"]).execute(context) == {
        "deleted": True,
        "project_id": a["id"],
        "external_id": None,
    }
    by_ext = ActivepiecesDeleteProjectOperator(task_id="d2", external_id="b").execute(context)
    assert by_ext["deleted"] is True
    assert _team(emulator) == {}


def test_delete_missing(emulator: Any, context: dict[str, Any]) -> None:
    gone = ActivepiecesDeleteProjectOperator(task_id="d", external_id="ghost", missing_ok=True)
    assert gone.execute(context) == {"deleted": False, "project_id": None, "external_id": "ghost"}
    by_id = ActivepiecesDeleteProjectOperator(task_id="d", project_id="missing-id", missing_ok=True)
    assert by_id.execute(context) == {
        "deleted": False,
        "project_id": "missing-id",
        "external_id": None,
    }
    with pytest.raises(ProjectNotFoundError, match="missing-id"):
        ActivepiecesDeleteProjectOperator(task_id="d", project_id="missing-id").execute(context)
    with pytest.raises(ProjectNotFoundError, match="ghost"):
        ActivepiecesDeleteProjectOperator(task_id="d", external_id="ghost").execute(context)
    assert emulator.requests.count(route="delete") == 2  # the by-id ones; by external id: a look-up


def test_get_project(emulator: Any, context: dict[str, Any]) -> None:
    seeded = emulator.state.add_project("Umbrella", external_id="umbrella")
    by_ext = ActivepiecesGetProjectOperator(task_id="g", external_id="umbrella").execute(context)
    by_id = ActivepiecesGetProjectOperator(task_id="g", project_id=seeded["id"]).execute(context)
    assert by_ext == by_id
    assert by_ext is not None
    assert _json_roundtrip(by_ext)["id"] == seeded["id"]
    assert (
        ActivepiecesGetProjectOperator(task_id="g", external_id="nope", missing_ok=True).execute(
            context
        )
        is None
    )
    with pytest.raises(ProjectNotFoundError):
        ActivepiecesGetProjectOperator(task_id="g", project_id="nope").execute(context)


def test_list_projects_with_filters(emulator: Any, context: dict[str, Any]) -> None:
    for i in range(5):
        emulator.state.add_project(f"Tenant {i}", external_id=f"t{i}")
    everything = ActivepiecesListProjectsOperator(task_id="l").execute(context)
    assert {"t0", "t1", "t2", "t3", "t4"} <= {p.get("externalId") for p in everything}
    assert _json_roundtrip(everything) == everything
    one = ActivepiecesListProjectsOperator(task_id="l", external_id="t3").execute(context)
    assert [p["externalId"] for p in one] == ["t3"]
    capped = ActivepiecesListProjectsOperator(task_id="l", types="TEAM", max_results=2).execute(
        context
    )
    assert len(capped) == 2


# ---------------------------------------------------------------- sync tenants

TENANTS = [
    {"external_id": "acme", "display_name": "Acme", "pieces": ["slack"]},
    {"external_id": "globex", "display_name": "Globex", "metadata": {"tier": "silver"}},
]


def _alias_events(context: dict[str, Any]) -> list[Any]:
    from airflow.sdk import AssetAlias

    return list(context["outlet_events"][AssetAlias(TENANTS_ASSET_ALIAS)].asset_alias_events)


def test_sync_tenants_applies_and_emits_asset_events(
    emulator: Any, context: dict[str, Any]
) -> None:
    op = ActivepiecesSyncTenantsOperator(task_id="sync", tenants=TENANTS)
    assert any(getattr(o, "name", None) == TENANTS_ASSET_ALIAS for o in op.outlets)
    report = op.execute(context)
    assert _json_roundtrip(report) == report
    assert report["summary"]["create"] == 2
    assert context["ti"].pushed[REPORT_XCOM_KEY] == report
    assert set(_team(emulator)) == {"acme", "globex"}

    host = emulator.base_url.split("://", 1)[1]
    uris = sorted(event.dest_asset_key.uri for event in _alias_events(context))
    assert uris == [
        f"activepieces://{host}/projects/acme",
        f"activepieces://{host}/projects/globex",
    ]
    assert {e.extra["action"] for e in _alias_events(context)} == {"create"}

    # A re-run is a no-op: nothing written, no asset events.
    from airflow.sdk.execution_time.context import OutletEventAccessors

    context["outlet_events"] = OutletEventAccessors()
    again = op.execute(context)
    assert again["summary"]["noop"] == 2
    assert _alias_events(context) == []


def test_sync_tenants_from_file_and_json_text(
    emulator: Any, context: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "tenants.json"
    path.write_text(json.dumps({"tenants": TENANTS}))
    ActivepiecesSyncTenantsOperator(task_id="f", tenants=str(path)).execute(context)
    assert set(_team(emulator)) == {"acme", "globex"}
    ActivepiecesSyncTenantsOperator(
        task_id="j",
        tenants=json.dumps([{"external_id": "initech"}]),
        prune=True,
        max_deletions=2,
        archive=None,
    ).execute(context)
    assert set(_team(emulator)) == {"initech"}


def test_sync_tenants_dry_run_and_deletion_guard(emulator: Any, context: dict[str, Any]) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    for name in ("x", "y", "z"):
        emulator.state.add_project(name, external_id=name)
    planned = ActivepiecesSyncTenantsOperator(
        task_id="dry", tenants=TENANTS, prune="True", dry_run="true"
    ).execute(context)
    assert planned["summary"]["planned"] == 5
    assert set(_team(emulator)) == {"x", "y", "z"}
    assert _alias_events(context) == []

    with pytest.raises(AirflowFailException, match="max_deletions"):
        ActivepiecesSyncTenantsOperator(
            task_id="guard", tenants=TENANTS, prune=True, max_deletions="1"
        ).execute(context)
    assert set(_team(emulator)) == {"x", "y", "z"}

    kept = ActivepiecesSyncTenantsOperator(
        task_id="protect", tenants=TENANTS, prune=True, protect="x,y", archive=None
    ).execute(context)
    assert kept["summary"]["delete"] == 1
    assert set(_team(emulator)) == {"acme", "globex", "x", "y"}


def test_sync_tenants_fails_after_applying_the_rest(
    emulator: Any, context: dict[str, Any], set_connection: Any
) -> None:
    set_connection(emulator.url, emulator.api_key, max_retries=0)
    for i in range(3):
        emulator.state.add_project(f"T{i}", external_id=f"t{i}")
    emulator.faults.script(route="update", nth=1, kind="503")
    specs = [{"external_id": f"t{i}", "display_name": f"Renamed {i}"} for i in range(3)]
    op = ActivepiecesSyncTenantsOperator(task_id="s", tenants=specs, concurrency=1)
    with pytest.raises(
        TenantSyncError, match=r"1 of 3 tenant\(s\) failed \(t\d\); the other 2 were applied"
    ) as failed:
        op.execute(context)
    report = context["ti"].pushed[REPORT_XCOM_KEY]
    # Core's error, built from the report: the failed tenant, the total and the report itself.
    assert failed.value.total == 3
    assert failed.value.failed_external_ids == [
        r["external_id"] for r in report["results"] if r["status"] == "failed"
    ]
    assert failed.value.report == report
    assert report["summary"]["failed"] == 1
    assert report["summary"]["succeeded"] == 2
    names = sorted(p["displayName"] for p in _team(emulator).values())
    assert names.count("Renamed 0") + names.count("Renamed 1") + names.count("Renamed 2") == 2
    assert len(_alias_events(context)) == 2


def test_templated_fields_render_from_params(emulator: Any) -> None:
    from airflow.sdk import DAG

    with DAG("render_probe", schedule=None) as dag:
        op = ActivepiecesCreateProjectOperator(
            task_id="c",
            external_id="{{ params.tenant }}",
            display_name="{{ params.tenant | title }}",
            pieces="{{ params.pieces | tojson }}",
        )
    op.render_template_fields({"params": {"tenant": "acme", "pieces": ["slack"]}})
    assert op.external_id == "acme"
    assert op.display_name == "Acme"
    assert op.pieces == '["slack"]'
    assert dag.dag_id == "render_probe"


# ---------------------------------------------------------------- plumbing, core's rules


def test_operators_close_their_client(emulator: Any, context: dict[str, Any]) -> None:
    op = ActivepiecesCreateProjectOperator(task_id="c", external_id="closing")
    op.execute(context)
    assert "client" not in op.hook.__dict__  # the hook's client was closed with the task
    failing = ActivepiecesGetProjectOperator(task_id="g", external_id="nobody")
    with pytest.raises(ProjectNotFoundError):
        failing.execute(context)
    assert "client" not in failing.hook.__dict__  # also when the task fails


def test_on_kill_closes_the_hook_client(emulator: Any) -> None:
    op = ActivepiecesGetProjectOperator(task_id="g", external_id="x")
    op.on_kill()  # nothing built yet: builds nothing
    assert "hook" not in op.__dict__
    client = op.hook.get_conn()
    op.on_kill()
    with pytest.raises(RuntimeError, match="closed"):
        client.projects.list(limit=1)


def test_booleans_follow_core_parse_bool(emulator: Any, context: dict[str, Any]) -> None:
    # Regression: the provider's own parser read "y" as false (core's tenant loader: true).
    ActivepiecesCreateProjectOperator(
        task_id="c", external_id="yes-co", releases_enabled="y"
    ).execute(context)
    assert _team(emulator)["yes-co"]["releasesEnabled"] is True
    with pytest.raises(ValueError, match="not a boolean"):
        ActivepiecesCreateProjectOperator(
            task_id="c", external_id="typo-co", releases_enabled="ture"
        ).execute(context)
    planned = ActivepiecesSyncTenantsOperator(task_id="dry", tenants=TENANTS, dry_run="y").execute(
        context
    )
    assert planned["summary"]["planned"] == 2
    assert set(_team(emulator)) == {"yes-co"}


def test_exactly_one_target_blank_counts_as_not_given(
    emulator: Any, context: dict[str, Any]
) -> None:
    # Regression: a template rendering to whitespace counted as a given project_id.
    emulator.state.add_project("Blank", external_id="blank")
    found = ActivepiecesGetProjectOperator(
        task_id="g", project_id="  ", external_id="blank"
    ).execute(context)
    assert found is not None
    assert found["externalId"] == "blank"
    with pytest.raises(ValueError, match="exactly one of project_id or external_id"):
        ActivepiecesGetProjectOperator(task_id="g", project_id="", external_id=" ").execute(context)


def test_provider_errors_are_core_errors() -> None:
    import pickle

    from activepieces_core.errors import ActivepiecesError
    from activepieces_core.tenants import TenantSyncError as CoreTenantSyncError
    from activepieces_provider.exceptions import ActivepiecesProviderError, ProjectSensorError

    assert TenantSyncError is CoreTenantSyncError
    for cls in (ActivepiecesProviderError, ProjectNotFoundError, ProjectSensorError):
        assert issubclass(cls, ActivepiecesError)
    error = pickle.loads(pickle.dumps(ProjectNotFoundError(external_id="acme")))
    assert isinstance(error, ProjectNotFoundError)
    assert (error.external_id, str(error)) == (
        "acme",
        "no Activepieces project with external id 'acme'",
    )
