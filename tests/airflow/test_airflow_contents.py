"""A project's contents from Airflow (issue 19): the tenant sync operator with a template, and
the export and replace operators, through real ``dag.test()`` runs against the emulator.

What each project holds is asked of the emulator (``flows_of``, ``tables_of``...), never read
back from the operators' own XComs. The DAGs are ``tests/airflow/dags/activepieces_test_contents.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from activepieces_core.errors import InvalidStateError
from activepieces_core.tenants import TenantSpecError
from activepieces_provider.exceptions import InvalidArgumentError, ReplaceItemsFailedError
from activepieces_provider.operators.contents import (
    REPLACE_RESULT_XCOM_KEY,
    ActivepiecesExportProjectOperator,
    ActivepiecesReplaceProjectOperator,
)
from activepieces_provider.operators.tenants import (
    REPORT_XCOM_KEY,
    ActivepiecesPlanTenantsOperator,
    ActivepiecesSyncTenantsOperator,
    document_to_dict,
)

pytestmark = pytest.mark.usefixtures("airflow_db")

TEST_DAGS = Path(__file__).resolve().parent / "dags"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "airflow" / "dags"
TENANTS = ("acme", "globex", "initech")


THIS_WEEK_FLOWS = (("welcome", "Welcome sequence"), ("crm-sync", "CRM sync"), ("alerts", "Alerts"))
#: Next week: one flow renamed, one added, one removed.
NEXT_WEEK_FLOWS = (("welcome", "Welcome v2"), ("crm-sync", "CRM sync"), ("nps", "NPS survey"))
FOLDER = {"externalId": "onboarding", "displayName": "Onboarding", "displayOrder": 0}
CRM = {"externalId": "crm", "pieceName": "@activepieces/piece-hubspot", "displayName": "CRM"}


def template_project(emu: Any, external_id: str, flows: Any = THIS_WEEK_FLOWS) -> str:
    """A hand-built template project (flows saved as the UI would)."""
    made = emu.state.add_project(external_id.title(), external_id=external_id)
    for ext, name in flows:
        emu.state.put_flow(made["id"], {"externalId": ext, "version": {"displayName": name}})
    return str(made["id"])


def exported(emu: Any, external_id: str, flows: Any, **extra: Any) -> dict[str, Any]:
    """A template as the platform team makes one: the template project, exported."""
    from activepieces_core import ActivepiecesClient

    project_id = template_project(emu, external_id, flows)
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
        return {**client.projects.export_state(project_id).to_body(), **extra}


def wanted(state: dict[str, Any]) -> dict[str, str]:
    return {f["externalId"]: f["version"]["displayName"] for f in state["flows"]}


@pytest.fixture
def emu(emulator: Any) -> Any:
    emulator.state.configure_platform(environments_enabled=True)
    return emulator


@pytest.fixture
def this_week(emu: Any) -> dict[str, Any]:
    return exported(emu, "template-this-week", THIS_WEEK_FLOWS, folders=[FOLDER], connections=[CRM])


@pytest.fixture
def next_week(emu: Any) -> dict[str, Any]:
    return exported(emu, "template-next-week", NEXT_WEEK_FLOWS, folders=[FOLDER], connections=[CRM])


def project_of(emu: Any, external_id: str) -> str:
    found = [p["id"] for p in emu.state.projects() if p.get("externalId") == external_id]
    assert len(found) == 1, found
    return str(found[0])


def flows_of(emu: Any, external_id: str) -> dict[str, str]:
    flows = emu.state.flows_of(project_of(emu, external_id))
    ids = [f["externalId"] for f in flows]
    assert len(ids) == len(set(ids)), f"duplicate flows in {external_id}: {ids}"
    return {f["externalId"]: f["version"]["displayName"] for f in flows}


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def document(folder: Path, template: str | None = "templates/standard.json") -> Path:
    defaults = {"template": template} if template else {}
    tenants = [{"external_id": ext} for ext in TENANTS]
    return write_json(folder / "tenants.json", {"defaults": defaults, "tenants": tenants})


def run(
    dag_id: str, capfd: Any, caplog: Any, *, dag_file: Path | None = None, **conf: Any
) -> tuple[Any, str, dict[str, Any]]:
    """``dag.test()`` of a DAG (the test DAGs unless ``dag_file``): the run, everything it
    printed or logged, its XComs."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(dag_file or TEST_DAGS / "activepieces_test_contents.py"))
    assert not bag.import_errors, bag.import_errors
    dr = bag.dags[dag_id].test(run_conf=conf)
    captured = capfd.readouterr()
    caplog_text = caplog.text
    caplog.clear()
    return dr, captured.out + captured.err + caplog_text, xcoms(dag_id, dr.run_id)


def xcoms(dag_id: str, run_id: str) -> dict[str, Any]:
    """``"task_id/key" -> value`` of a run, from the metadata DB."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(XComModel.task_id, XComModel.key, XComModel.value).where(
                XComModel.dag_id == dag_id, XComModel.run_id == run_id
            )
        ).all()
    return {f"{t}/{k}": XComModel.deserialize_value(_Row(v)) for t, k, v in rows}


class _Row:
    def __init__(self, value: Any) -> None:
        self.value = value


def no_key(emu: Any, output: str, values: dict[str, Any]) -> None:
    assert emu.api_key not in output
    assert emu.api_key not in json.dumps(values, default=str)


# ------------------------------------------------------------------------------ tenant sync


@pytest.mark.slow
def test_sync_with_a_template_installs_it_in_every_tenant_and_a_rerun_changes_nothing(
    emu: Any,
    this_week: dict[str, Any],
    next_week: dict[str, Any],
    tmp_path: Path,
    capfd: Any,
    caplog: Any,
) -> None:
    write_json(tmp_path / "templates" / "standard.json", this_week)
    doc = document(tmp_path)
    dr, output, values = run("activepieces_test_contents_sync", capfd, caplog, tenants=str(doc))
    assert dr.state == "success", output[-12000:]
    for ext in TENANTS:
        assert flows_of(emu, ext) == wanted(this_week)
        assert [f["externalId"] for f in emu.state.folders_of(project_of(emu, ext))] == [
            "onboarding"
        ]
    assert emu.requests.count(route="projects.replace") == len(TENANTS)  # one per tenant
    report = values[f"sync/{REPORT_XCOM_KEY}"]
    created = {(r["external_id"], r["kind"]) for r in report["results"] if r["action"] == "create"}
    assert {(ext, "flow") for ext in TENANTS} <= created
    # The log shows the content changes per tenant (core's report view).
    for ext in TENANTS:
        assert f"{ext}" in output
    assert "flow Welcome sequence" in output
    no_key(emu, output, values)

    emu.requests.clear()
    dr, output, values = run("activepieces_test_contents_sync", capfd, caplog, tenants=str(doc))
    assert dr.state == "success", output[-12000:]
    assert emu.requests.count(route="projects.replace") == 0
    assert emu.requests.count(route="flows.list") == len(TENANTS)  # each tenant's flows once
    report = values[f"sync/{REPORT_XCOM_KEY}"]
    assert {r["action"] for r in report["results"]} <= {"noop"}, report["summary"]

    # Next week's template: one flow renamed, one added, one removed, in every tenant.
    write_json(tmp_path / "templates" / "standard.json", next_week)
    dr, output, values = run("activepieces_test_contents_sync", capfd, caplog, tenants=str(doc))
    assert dr.state == "success", output[-12000:]
    for ext in TENANTS:
        assert flows_of(emu, ext) == wanted(next_week)
    changes = {
        (r["external_id"], r["kind"], r["action"], r["key"])
        for r in values[f"sync/{REPORT_XCOM_KEY}"]["results"]
        if r["action"] != "noop"
    }
    kinds = {(ext, kind, action) for ext, kind, action, _ in changes}
    for ext in TENANTS:
        assert {(ext, "flow", "update"), (ext, "flow", "create"), (ext, "flow", "delete")} <= kinds


@pytest.mark.slow
def test_the_template_argument_reads_an_object_storage_path(
    emu: Any,
    this_week: dict[str, Any],
    next_week: dict[str, Any],
    tmp_path: Path,
    capfd: Any,
    caplog: Any,
) -> None:
    """``template="{{ params.template }}"`` rendered to ``memory://...`` (and ``file://``): the
    template of every tenant whose document names none."""
    from airflow.sdk import ObjectStoragePath

    stored = ObjectStoragePath("memory://activepieces-tests/sync/standard.json")
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_text(json.dumps(this_week))
    doc = document(tmp_path, template=None)
    dr, output, _ = run(
        "activepieces_test_contents_sync", capfd, caplog, tenants=str(doc), template=str(stored)
    )
    assert dr.state == "success", output[-12000:]
    for ext in TENANTS:
        assert flows_of(emu, ext) == wanted(this_week)

    local = write_json(tmp_path / "elsewhere" / "next.json", next_week)
    dr, output, _ = run(
        "activepieces_test_contents_sync",
        capfd,
        caplog,
        tenants=str(doc),
        template=local.as_uri(),  # file:///...
    )
    assert dr.state == "success", output[-12000:]
    for ext in TENANTS:
        assert flows_of(emu, ext) == wanted(next_week)


@pytest.mark.slow
def test_deleting_a_tenants_flows_counts_toward_max_deletions(
    emu: Any,
    this_week: dict[str, Any],
    next_week: dict[str, Any],
    tmp_path: Path,
    capfd: Any,
    caplog: Any,
) -> None:
    write_json(tmp_path / "templates" / "standard.json", this_week)
    doc = document(tmp_path)
    assert run("activepieces_test_contents_sync", capfd, caplog, tenants=str(doc))[0].state == (
        "success"
    )
    write_json(tmp_path / "templates" / "standard.json", next_week)  # one flow gone per tenant
    emu.requests.clear()
    dr, output, _ = run(
        "activepieces_test_contents_sync", capfd, caplog, tenants=str(doc), max_deletions=2
    )
    assert dr.state == "failed"
    assert "max_deletions" in output or "deletions" in output
    assert emu.requests.count(route="projects.replace") == 0
    for ext in TENANTS:
        assert flows_of(emu, ext) == wanted(this_week)


def test_a_document_given_as_data_reads_its_template_from_the_dag_folder(
    emu: Any, this_week: dict[str, Any], tmp_path: Path, context: dict[str, Any]
) -> None:
    from airflow.sdk import DAG

    write_json(tmp_path / "templates" / "standard.json", this_week)
    with DAG(dag_id="contents_data_doc", schedule=None) as dag:
        op = ActivepiecesSyncTenantsOperator(
            task_id="sync",
            tenants={
                "defaults": {"template": "templates/standard.json"},
                "tenants": [{"external_id": "acme"}],
            },
        )
    dag.fileloc = str(tmp_path / "dag.py")
    op.execute(context)
    assert flows_of(emu, "acme") == wanted(this_week)


def test_a_document_through_xcom_carries_its_templates(
    emu: Any, this_week: dict[str, Any], tmp_path: Path, context: dict[str, Any]
) -> None:
    """``document_to_dict`` (what a task hands the sync task by XCom) holds the templates'
    bodies: the sync task reads no file (the template is gone by then)."""
    from activepieces_core.tenants import load_document

    template = write_json(tmp_path / "templates" / "standard.json", this_week)
    data = document_to_dict(load_document(document(tmp_path)))
    json.dumps(data)  # an XCom value
    template.unlink()
    ActivepiecesSyncTenantsOperator(task_id="sync", tenants=data).execute(context)
    for ext in TENANTS:
        assert flows_of(emu, ext) == wanted(this_week)


def test_the_plan_shows_each_tenants_content_changes(
    emu: Any, this_week: dict[str, Any], tmp_path: Path, context: dict[str, Any]
) -> None:
    write_json(tmp_path / "templates" / "standard.json", this_week)
    doc = document(tmp_path)
    ActivepiecesSyncTenantsOperator(task_id="sync", tenants=str(doc)).execute(context)
    # Someone renames globex's welcome flow in the UI.
    emu.state.put_flow(
        project_of(emu, "globex"), {"externalId": "welcome", "version": {"displayName": "Hi"}}
    )
    saved = ActivepiecesPlanTenantsOperator(task_id="plan", tenants=str(doc)).execute(context)
    summary = context["ti"].pushed["plan_summary"]
    changing = [c for c in saved["changes"] if c["action"] != "noop"]
    assert [(c["external_id"], c["kind"], c["action"]) for c in changing] == [
        ("globex", "flow", "update")
    ]
    assert "globex" in summary
    assert "flow Welcome sequence" in summary
    assert "acme" not in summary
    assert "initech" not in summary


def test_a_missing_template_fails_before_anything_is_sent(
    emu: Any, tmp_path: Path, context: dict[str, Any]
) -> None:
    doc = document(tmp_path, template="templates/missing.json")
    with pytest.raises(TenantSpecError, match=r"missing\.json"):
        ActivepiecesSyncTenantsOperator(task_id="sync", tenants=str(doc)).execute(context)
    assert len(emu.requests) == 0


# -------------------------------------------------------------------------- export / replace


@pytest.mark.slow
def test_export_then_replace_into_other_projects_through_object_storage(
    emu: Any, capfd: Any, caplog: Any
) -> None:
    from airflow.sdk import ObjectStoragePath

    template_project(emu, "template")
    for ext in ("acme", "globex", "template-inline"):
        emu.state.add_project(ext.title(), external_id=ext)
    dr, output, values = run("activepieces_test_contents_copy", capfd, caplog, folder="copy-1")
    assert dr.state == "success", output[-12000:]
    expected = flows_of(emu, "template")
    assert flows_of(emu, "acme") == expected
    assert flows_of(emu, "globex") == expected

    exported = values["export/return_value"]
    assert exported["path"] == "memory://activepieces-tests/copy-1/template.json"
    assert (exported["flows"], exported["folders"], exported["tables"]) == (3, 0, 0)
    stored = json.loads(ObjectStoragePath(exported["path"]).read_text())
    assert wanted(stored) == expected
    for task in ("replace_from_xcom", "replace_from_storage"):
        answer = values[f"{task}/return_value"]
        assert answer["status"] == 200
        assert answer["applied"]["flowsCreated"] == 3
        assert answer["source"] == exported["path"]
        assert values[f"{task}/{REPLACE_RESULT_XCOM_KEY}"] == answer

    # A body given as a dict keeps Activepieces' own {{ }} (Jinja never renders it).
    (inline,) = emu.state.flows_of(project_of(emu, "template-inline"))
    step = inline["version"]["trigger"]["nextAction"]
    assert step["settings"]["input"]["email"] == "{{trigger.body.email}}"
    no_key(emu, output, values)

    # The same copy again: everything unchanged, nothing created twice.
    dr, output, values = run("activepieces_test_contents_copy", capfd, caplog, folder="copy-2")
    assert dr.state == "success", output[-12000:]
    assert values["replace_from_xcom/return_value"]["applied"]["flowsUnchanged"] == 3
    assert values["replace_from_xcom/return_value"]["applied"]["flowsCreated"] == 0
    assert flows_of(emu, "acme") == expected


@pytest.mark.slow
def test_a_preflight_refusal_fails_the_task_with_the_servers_reason(
    emu: Any, this_week: dict[str, Any], tmp_path: Path, capfd: Any, caplog: Any
) -> None:
    emu.state.add_project("Acme", external_id="acme")
    state = write_json(tmp_path / "newer.json", {**this_week, "sourceActivepiecesVersion": "9.0.0"})
    dr, output, values = run(
        "activepieces_test_contents_replace", capfd, caplog, target="acme", state=str(state)
    )
    assert dr.state == "failed"
    assert "replace preflight failed, nothing written" in output
    assert "Major version mismatch (source major=9, dest major=0)" in output
    assert emu.requests.count(route="projects.replace") == 1
    assert emu.state.flows_of(project_of(emu, "acme")) == []
    no_key(emu, output, values)


def test_preflight_and_piece_install_refusals_are_not_retried(
    emu: Any, this_week: dict[str, Any], tmp_path: Path, context: dict[str, Any]
) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    from activepieces_core.errors import PieceInstallError, ReplacePreflightError

    emu.state.add_project("Acme", external_id="acme")
    newer = {**this_week, "sourceActivepiecesVersion": "9.0.0"}
    op = ActivepiecesReplaceProjectOperator(task_id="r", external_id="acme", state=newer)
    with pytest.raises(AirflowFailException, match="Major version mismatch") as caught:
        op.execute(context)
    assert isinstance(caught.value.__cause__, ReplacePreflightError)

    emu.state.contents.uninstallable_pieces.add("@activepieces/piece-broken")
    broken = {
        **this_week,
        "requiredPieces": [{"name": "@activepieces/piece-broken", "version": "1.0.0"}],
    }
    op = ActivepiecesReplaceProjectOperator(task_id="r", external_id="acme", state=broken)
    with pytest.raises(AirflowFailException, match="piece-broken") as caught:
        op.execute(context)
    assert isinstance(caught.value.__cause__, PieceInstallError)


def test_failed_items_fail_the_task_unless_told_otherwise(
    emu: Any, this_week: dict[str, Any], context: dict[str, Any]
) -> None:
    emu.state.add_project("Acme", external_id="acme")
    emu.state.contents.failing_items.add(("flow", "alerts"))
    op = ActivepiecesReplaceProjectOperator(task_id="r", external_id="acme", state=this_week)
    with pytest.raises(ReplaceItemsFailedError, match=r"flow alerts \(CREATE\)") as caught:
        op.execute(context)
    assert [i.external_id for i in caught.value.failed] == ["alerts"]
    pushed = context["ti"].pushed[REPLACE_RESULT_XCOM_KEY]
    assert pushed["status"] == 207
    assert pushed["applied"]["flowsCreated"] == 2
    assert set(flows_of(emu, "acme")) == {"welcome", "crm-sync"}

    lenient = ActivepiecesReplaceProjectOperator(
        task_id="r", external_id="acme", state=this_week, fail_on_failed_items="false"
    )
    answer = lenient.execute(context)
    assert answer["status"] == 207
    assert [f["externalId"] for f in answer["failed"]] == ["alerts"]


def test_a_bad_fail_on_failed_items_fails_before_the_replace_is_sent(
    emu: Any, this_week: dict[str, Any], context: dict[str, Any]
) -> None:
    emu.state.add_project("Acme", external_id="acme")
    sent = len(emu.requests)
    op = ActivepiecesReplaceProjectOperator(
        task_id="r", external_id="acme", state=this_week, fail_on_failed_items="sometimes"
    )
    with pytest.raises(InvalidArgumentError, match=r"^fail_on_failed_items: not a boolean"):
        op.execute(context)
    assert len(emu.requests) == sent
    assert flows_of(emu, "acme") == {}


def test_connections_awaiting_authorisation_are_logged(
    emu: Any, this_week: dict[str, Any], context: dict[str, Any], capfd: pytest.CaptureFixture[str]
) -> None:
    emu.state.add_project("Acme", external_id="acme")
    op = ActivepiecesReplaceProjectOperator(task_id="r", external_id="acme", state=this_week)
    answer = op.execute(context)
    assert answer["applied"]["connectionsCreated"] == 1
    assert [c["externalId"] for c in answer["connectionsAwaitingAuthorization"]] == ["crm"]
    logged = capfd.readouterr().out
    assert "Connection crm (@activepieces/piece-hubspot) awaits authorisation" in logged


def test_a_bad_body_fails_before_any_request(
    emu: Any, this_week: dict[str, Any], tmp_path: Path, context: dict[str, Any]
) -> None:
    emu.state.add_project("Acme", external_id="acme")
    with pytest.raises(InvalidStateError, match="sourceActivepiecesVersion"):
        ActivepiecesReplaceProjectOperator(task_id="r", external_id="acme", state={"flows": []})
    bad = write_json(tmp_path / "bad.json", {**this_week, "flows": [{"id": "x"}]})
    emu.requests.clear()
    op = ActivepiecesReplaceProjectOperator(task_id="r", external_id="acme", state=str(bad))
    with pytest.raises(InvalidStateError, match=r"bad.json: flows\[0\]"):
        op.execute(context)
    assert len(emu.requests) == 0


def test_export_writes_yaml_to_a_local_path_and_a_file_url(
    emu: Any, tmp_path: Path, context: dict[str, Any]
) -> None:
    import yaml

    template_project(emu, "template")
    target = tmp_path / "out" / "template.yaml"
    result = ActivepiecesExportProjectOperator(
        task_id="e", external_id="template", path=str(target)
    ).execute(context)
    assert result["path"] == str(target)
    assert wanted(yaml.safe_load(target.read_text())) == flows_of(emu, "template")

    url = (tmp_path / "url" / "template.json").as_uri()
    result = ActivepiecesExportProjectOperator(
        task_id="e", external_id="template", path=url
    ).execute(context)
    assert result["path"] == url
    assert wanted(json.loads((tmp_path / "url" / "template.json").read_text())) == flows_of(
        emu, "template"
    )


# ---------------------------------------------------------------------------------- examples


@pytest.mark.slow
def test_the_example_copies_a_template_project_into_each_target(
    emu: Any, tmp_path: Path, capfd: Any, caplog: Any
) -> None:
    template_project(emu, "template")
    for ext in ("acme", "globex"):
        emu.state.add_project(ext.title(), external_id=ext)
    url = (tmp_path / "templates" / "template.json").as_uri()
    dr, output, values = run(
        "activepieces_project_contents",
        capfd,
        caplog,
        dag_file=EXAMPLES / "activepieces_project_contents.py",
        source="template",
        targets=["acme", "globex"],
        path=url,
    )
    assert dr.state == "success", output[-12000:]
    assert values["export/return_value"]["path"] == url
    for ext in ("acme", "globex"):
        assert flows_of(emu, ext) == flows_of(emu, "template")
    assert emu.requests.count(route="projects.replace") == 2
    no_key(emu, output, values)


@pytest.mark.slow
def test_the_onboarding_example_installs_the_templates_its_file_names(
    emu: Any, this_week: dict[str, Any], tmp_path: Path, capfd: Any, caplog: Any
) -> None:
    """The onboarding DAG hands the document to the sync task by XCom: the template named in
    the file travels with it (the sync task reads no file)."""
    write_json(tmp_path / "templates" / "standard.json", this_week)
    dr, output, values = run(
        "activepieces_tenant_onboarding",
        capfd,
        caplog,
        dag_file=EXAMPLES / "activepieces_tenant_onboarding.py",
        tenants_file=str(document(tmp_path)),
    )
    assert dr.state == "success", output[-12000:]
    assert "templates" in values["read_tenants/return_value"]
    for ext in TENANTS:
        assert flows_of(emu, ext) == wanted(this_week)
    no_key(emu, output, values)
