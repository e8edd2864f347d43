"""Real ``dag.test()`` runs of the example DAGs (and a mapped-operator DAG) on SQLite.

Each run goes through Airflow's in-process supervisor: templating, XCom serialisation, dynamic
task mapping, the deferrable sensor's trigger (run inline by ``dag.test``), reschedule sensors
and asset events, all against the emulator over real HTTP.
"""

from __future__ import annotations

import importlib.util
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from activepieces_core.tenants import load_tenants
from activepieces_provider.links.projects import PROJECT_URL_XCOM_KEY

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("airflow_db")]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "airflow" / "dags"
TEST_DAGS = Path(__file__).resolve().parent / "dags"
TENANTS_FILE = ROOT / "examples" / "tenants.yaml"


def _dag(path: Path, dag_id: str) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(path))  # examples stay out: LOAD_EXAMPLES=False (root conftest)
    assert not bag.import_errors, bag.import_errors
    return bag.dags[dag_id]


def _xcoms(dag_id: str, run_id: str) -> dict[tuple[str, str, int], Any]:
    """Every XCom of a run: ``(task_id, key, map_index) -> value`` straight from the DB."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(XComModel.task_id, XComModel.key, XComModel.map_index, XComModel.value).where(
                XComModel.dag_id == dag_id, XComModel.run_id == run_id
            )
        ).all()
    return {(t, k, m): XComModel.deserialize_value(_Row(v)) for t, k, m, v in rows}


class _Row:
    def __init__(self, value: Any) -> None:
        self.value = value


def _task_states(dag_id: str, run_id: str) -> dict[str, str]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(TaskInstance.task_id, TaskInstance.state).where(
                TaskInstance.dag_id == dag_id,
                TaskInstance.run_id == run_id,
                TaskInstance.map_index == -1,
            )
        ).all()
    return {task_id: str(state) for task_id, state in rows}


def _rendered_fields(dag_id: str, run_id: str) -> list[Any]:
    from airflow.models.renderedtifields import RenderedTaskInstanceFields as RTIF
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        return list(
            session.scalars(
                select(RTIF.rendered_fields).where(RTIF.dag_id == dag_id, RTIF.run_id == run_id)
            )
        )


def _asset_events(dag_id: str, run_id: str) -> list[tuple[str, dict[str, Any], int | None]]:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(AssetModel.uri, AssetEvent.extra, AssetEvent.source_map_index)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetEvent.source_dag_id == dag_id, AssetEvent.source_run_id == run_id)
        ).all()
    return [(uri, extra, map_index) for uri, extra, map_index in rows]


def _when(predicate: Callable[[], bool], action: Callable[[], None]) -> threading.Event:
    """Run ``action`` in the background once ``predicate`` holds (polled); returns a stop flag."""
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.1):
            try:
                met = predicate()
            except Exception:  # the metadata DB busy (SQLite, dag.test writing): ask again
                continue
            if met:
                action()
                return

    threading.Thread(target=watch, daemon=True).start()
    return stop


def _output(capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> str:
    """Everything the run printed or logged (dag.test runs tasks in this process)."""
    captured = capfd.readouterr()
    return captured.out + captured.err + caplog.text


def _team(emu: Any) -> dict[str, dict[str, Any]]:
    return {p["externalId"]: p for p in emu.state.projects() if p.get("externalId")}


def test_onboarding_dag(
    emulator: Any,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """File -> bulk sync (asset events) -> mapped deferrable sensors -> report, on a piece-set
    platform with the example tenants plus one on a declared set with an admin."""
    document = yaml.safe_load(TENANTS_FILE.read_text())
    document.setdefault("piece_sets", []).append(
        {"key": "airflow-gold", "name": "Gold (Airflow test)", "allow": ["slack", "gmail"]}
    )
    document["tenants"].append(
        {
            "external_id": "wayne",
            "display_name": "Wayne Enterprises",
            "piece_set": "airflow-gold",
            "members": [{"email": "admin@wayne.example", "role": "Admin"}],
        }
    )
    tenants_file = tmp_path / "tenants.yaml"
    tenants_file.write_text(yaml.safe_dump(document))
    specs = load_tenants(tenants_file)
    expected = {spec.external_id for spec in specs}
    emu = emulator
    emu.state.configure_platform(manage_pieces_enabled=True)

    # Tenants "build a flow" only after the first sensor has deferred: its first poke and the
    # trigger's first poll are two externalId lookups after every project exists.
    seen: dict[str, int] = {}

    def first_sensor_is_deferred() -> bool:
        if set(_team(emu)) != expected:
            return False
        lookups = emu.requests.count(route="list")
        seen.setdefault("base", lookups)
        return lookups >= seen["base"] + 2

    def tenants_build_flows() -> None:
        for project in _team(emu).values():
            emu.state.set_analytics(project["id"], active_flows=1)

    stop = _when(first_sensor_is_deferred, tenants_build_flows)
    try:
        dag = _dag(EXAMPLES / "activepieces_tenant_onboarding.py", "activepieces_tenant_onboarding")
        dr = dag.test(run_conf={"min_active_flows": 1, "tenants_file": str(tenants_file)})
    finally:
        stop.set()
    output = _output(capfd, caplog)
    assert dr.state == "success", output[-3000:]
    assert "running trigger in line" in output

    projects = _team(emu)
    assert set(projects) == expected
    for spec in specs:
        assert projects[spec.external_id]["displayName"] == spec.display_name
    # The whole document travelled through XCom: the declared set governs what wayne sees.
    slack, gmail = "@activepieces/piece-slack", "@activepieces/piece-gmail"
    assert sorted(emu.state.visible_pieces(projects["wayne"]["id"])) == [gmail, slack]
    assert _people(emu, "wayne") == {"admin@wayne.example": "Admin"}

    xcoms = _xcoms(dag.dag_id, dr.run_id)
    sync_report = xcoms[("sync_tenants", "return_value", -1)]
    assert sync_report["summary"]["create"] == len(specs)
    assert sync_report["kind_summary"]["member"] == {"succeeded": 1}
    assert xcoms[("sync_tenants", "report", -1)] == sync_report
    sensed = {
        m: v for (t, k, m), v in xcoms.items() if t == "wait_until_ready" and k == "return_value"
    }
    assert sorted(sensed) == list(range(len(specs)))
    assert all(v["analytics"]["activeFlows"] >= 1 for v in sensed.values())
    # Each tenant's sensor links its project (evaluated where it resumed after the trigger).
    links = {
        m: v
        for (t, k, m), v in xcoms.items()
        if t == "wait_until_ready" and k == "_link_ActivepiecesProjectLink"
    }
    assert links == {m: f"{emu.base_url}/projects/{v['id']}/flows" for m, v in sensed.items()}
    report = xcoms[("report", "return_value", -1)]
    assert report["projects"] == {ext: projects[ext]["id"] for ext in expected}

    host = emu.base_url.split("://", 1)[1]
    events = _asset_events(dag.dag_id, dr.run_id)
    assert sorted(uri for uri, _, _ in events) == sorted(
        f"activepieces://{host}/projects/{ext}" for ext in expected
    )
    assert {extra["action"] for _, extra, _ in events} == {"create"}

    # The API key never leaves the connection: not in XComs, rendered fields or task output.
    key = emu.api_key
    assert key not in repr(xcoms)
    rendered = _rendered_fields(dag.dag_id, dr.run_id)
    assert any("tenants" in fields for fields in rendered)
    assert key not in repr(rendered)
    assert key not in output


def test_teardown_dag(
    emulator: Any,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    """Teardown in one task (core's plan) -> mapped reschedule sensors (gone) -> report, on a
    piece-set platform: the torn-down tenants' own sets go with them, nobody else's."""
    from activepieces_core import ActivepiecesClient
    from activepieces_core.tenants import reconcile

    emu = emulator
    emu.state.configure_platform(manage_pieces_enabled=True)
    document = {
        "piece_sets": [{"key": "gold", "allow": ["slack"]}],
        "tenants": [
            {"external_id": "acme", "pieces": ["slack"]},
            {"external_id": "globex", "piece_set": "gold"},
            {"external_id": "bystander", "pieces": ["gmail"]},
        ],
    }
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
        assert reconcile(client, document).ok
    dag = _dag(EXAMPLES / "activepieces_tenant_teardown.py", "activepieces_tenant_teardown")
    archives = tmp_path / "archives"
    dr = dag.test(run_conf={"external_ids": ["acme", "globex", "ghost"], "archive": str(archives)})
    output = _output(capfd, caplog)
    assert dr.state == "success", output[-3000:]
    assert set(_team(emu)) == {"bystander"}
    keys = sorted(s.get("key") or "" for s in emu.state.piece_sets.all())
    assert keys == ["default", "gold", "tenant:bystander"]  # no tenant:acme left behind

    xcoms = _xcoms(dag.dag_id, dr.run_id)
    assert xcoms[("report", "return_value", -1)] == {
        "deleted": ["acme", "globex"],
        "missing": ["ghost"],
        "failed": [],
    }
    teardown = xcoms[("teardown", "return_value", -1)]
    assert teardown["summary"] == {"total": 3, "deleted": 2, "missing": 1, "failed": 0}
    assert sorted(p.name for p in archives.iterdir()) == ["acme.json", "globex.json"]
    assert emu.api_key not in repr(xcoms) + output


def test_every_operator_mapped(
    emulator: Any, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """``.partial().expand()`` of every operator in one real DAG run (piece-set platform;
    environments on: a restore replaces the project's contents with the archived ones)."""
    emu = emulator
    emu.state.configure_platform(manage_pieces_enabled=True, environments_enabled=True)
    dag = _dag(
        TEST_DAGS / "activepieces_test_mapped_operators.py", "activepieces_test_mapped_operators"
    )
    dr = dag.test()
    output = _output(capfd, caplog)
    assert dr.state == "success", output[-3000:]

    xcoms = _xcoms(dag.dag_id, dr.run_id)

    def mapped(task_id: str, key: str = "return_value") -> list[Any]:
        found = {m: v for (t, k, m), v in xcoms.items() if t == task_id and k == key}
        return [found[m] for m in sorted(found)]

    assert [r["action"] for r in mapped("create")] == ["created", "created"]
    assert [r["metadata"] for r in mapped("update")] == [{"stage": "updated"}] * 2
    pieces = mapped("sync_pieces")
    assert pieces[0]["project"]["plan"]["pieces"] == ["@activepieces/piece-slack"]
    assert pieces[1]["project"]["plan"]["piecesFilterType"] == "NONE"
    got = mapped("get")
    assert [p["externalId"] for p in got] == ["mapped-1", "mapped-2"]
    links = mapped("get", "activepieces_project_url")
    assert links == [f"{emu.base_url}/projects/{p['id']}/flows" for p in got]
    # Airflow 3 evaluates extra links in the worker and stores them per map index.
    assert mapped("get", "_link_ActivepiecesProjectLink") == links
    assert {"mapped-1", "mapped-2"} <= {
        p["externalId"] for p in xcoms[("list", "return_value", -1)]
    }
    assert [r["action"] for r in mapped("ensure_set")] == ["created", "created"]
    assert [r["changed"] for r in mapped("assign_set")] == [True, True]
    assert mapped("delete_set")[0]["deleted"] is True
    assert sorted(s.get("key") for s in emu.state.piece_sets.all()) == ["default", "mapped-gold"]
    assert [r["action"] for r in mapped("invite")] == ["invited", "invited"]
    assert mapped("remove")[0]["action"] == "removed"
    assert mapped("sync_tenants")[0]["summary"]["create"] == 1
    saved = mapped("plan")[0]
    assert mapped("apply")[0]["summary"]["create"] == 1
    assert mapped("apply")[0]["kind_summary"] == {"member": {"succeeded": 1}}
    assert isinstance(saved["digest"], str)
    assert "mapped-4" in mapped("plan", "plan_summary")[0]
    assert [d["deleted"] for d in mapped("delete")] == [True, True]
    assert mapped("teardown")[0]["summary"] == {
        "total": 1,
        "deleted": 1,
        "missing": 0,
        "failed": 0,
    }
    assert mapped("restore")[0]["action"] == "created"

    assert set(_team(emu)) == {"mapped-4", "mapped-3-restored"}
    assert _people(emu, "mapped-4") == {"c@mapped.example": "Viewer"}

    # Regression: a task that failed before pushing its URL made the link lookup log an ERROR
    # ("XCom not found ... key='activepieces_project_url'"); it now has no link, quietly.
    assert _task_states(dag.dag_id, dr.run_id)["get_missing"] == "failed"
    assert xcoms[("get_missing", "_link_ActivepiecesProjectLink", -1)] == ""
    assert ("get_missing", PROJECT_URL_XCOM_KEY, -1) not in xcoms
    misses = [line for line in output.splitlines() if "XCom not found" in line]
    # (Airflow itself logs one for the end of the lazy ``get.output`` sequence.)
    assert not [line for line in misses if PROJECT_URL_XCOM_KEY in line], misses
    assert "no Activepieces project with external id 'no-such-tenant'" in output

    host = emu.base_url.split("://", 1)[1]
    assert sorted(uri for uri, _, _ in _asset_events(dag.dag_id, dr.run_id)) == [
        f"activepieces://{host}/projects/mapped-3",
        f"activepieces://{host}/projects/mapped-3",  # created, then torn down
        f"activepieces://{host}/projects/mapped-3-restored",  # from its archive
        f"activepieces://{host}/projects/mapped-4",
    ]


# ------------------------------------------------------- reviewed changes (human in the loop)

REVIEW_DAG = "activepieces_tenant_review"


def _dag_test_runs_hitl() -> bool:
    import airflow
    from packaging.version import Version

    return Version(airflow.__version__) >= Version("3.3")


# Before Airflow 3.3 a HITL task defers to a trigger, and dag.test()'s in-process supervisor
# cannot answer that trigger's HITL lookups (only a real triggerer can): the trigger fails with
# "'NoneType' object has no attribute 'response_received'" (seen on 3.2.0).
needs_hitl_in_dag_test = pytest.mark.skipif(
    not _dag_test_runs_hitl(),
    reason="dag.test() runs human-in-the-loop tasks from Airflow 3.3 (awaiting_input state)",
)
REVIEW_DOCUMENT: dict[str, Any] = {
    "piece_sets": [{"key": "gold", "name": "Gold tier", "allow": ["slack", "gmail"]}],
    "defaults": {"member_role": "Editor"},
    "tenants": [
        {
            "external_id": "acme",
            "display_name": "Acme Corp",
            "piece_set": "gold",
            "members": [{"email": "ops@acme.example", "role": "Admin"}],
        },
        {
            "external_id": "globex",
            "pieces": ["slack"],
            "members": ["dev@globex.example"],
            "notify_flow_owner_on_failure": True,
        },
    ],
}


def _hitl_path(run_id: str, task_id: str = "approve") -> str:
    return f"/api/v2/dags/{REVIEW_DAG}/dagRuns/{run_id}/taskInstances/{task_id}/-1/hitlDetails"


def _awaiting_run(task_id: str = "approve") -> str | None:
    """The run whose ``task_id`` has asked a human and not been answered, if any.

    Read from the HITL request rows rather than the task's state: Airflow 3.3 parks the task
    in ``awaiting_input``, older versions defer it to a trigger (``dag.test`` runs that inline
    while the task shows as queued).
    """
    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        return session.scalar(
            select(TaskInstance.run_id)
            .join(HITLDetail, HITLDetail.ti_id == TaskInstance.id)
            .where(
                TaskInstance.dag_id == REVIEW_DAG,
                TaskInstance.task_id == task_id,
                HITLDetail.responded_at.is_(None),
            )
        )


def _latest_review_run() -> str:
    """The review DAG's most recent run."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        run_id = session.scalar(
            select(DagRun.run_id)
            .where(DagRun.dag_id == REVIEW_DAG)
            .order_by(DagRun.id.desc())
            .limit(1)
        )
    assert run_id is not None
    return str(run_id)


def _review(
    api: Any, tenants_file: Path, answer: str, before_answer: Callable[[], None] | None = None
) -> tuple[Any, dict[str, Any]]:
    """Run the review DAG; when it waits for approval, read the request and answer it through
    the api-server's HITL route (the REST call the Required Actions page makes)."""
    seen: dict[str, Any] = {}

    def waiting() -> bool:
        seen["run_id"] = _awaiting_run()
        return seen["run_id"] is not None

    def respond() -> None:
        path = _hitl_path(seen["run_id"])
        try:
            seen["request"] = api.get(path).json()
            if before_answer is not None:
                before_answer()
            deadline = time.monotonic() + 60
            while True:  # a busy metadata DB (SQLite, dag.test writing) answers 5xx: again
                body = {"chosen_options": [answer], "params_input": {}}
                seen["response"] = api.patch(path, json=body)
                if seen["response"].status_code < 500 or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
        finally:
            if seen.get("response") is None or seen["response"].status_code != 200:
                # Unanswered, dag.test would wait for the human forever (Airflow's own timers
                # reset pytest-timeout's alarm): end the run so the test fails and says why.
                run = f"/api/v2/dags/{REVIEW_DAG}/dagRuns/{seen['run_id']}"
                api.patch(run, json={"state": "failed"})

    stop = _when(waiting, respond)
    try:
        dag = _dag(EXAMPLES / f"{REVIEW_DAG}.py", REVIEW_DAG)
        dr = dag.test(run_conf={"tenants_file": str(tenants_file), "prune_members": True})
    finally:
        stop.set()
    assert seen.get("response") is not None, "the approval was never requested"
    assert seen["response"].status_code == 200, seen["response"].text
    return dr, seen


def _people(emu: Any, external_id: str) -> dict[str, str]:
    project = _team(emu)[external_id]
    people = {
        m["user"]["email"]: m["projectRole"]["name"]
        for m in emu.state.people.members(project["id"])
    }
    for inv in emu.state.people.invitations():
        if inv.get("projectId") == project["id"]:
            people.setdefault(inv["email"], inv["projectRole"]["name"])
    return people


@pytest.fixture
def review_file(emulator: Any, tmp_path: Path) -> Path:
    """A piece-set platform whose invitations wait (so their responses carry secret links)."""
    emulator.state.configure_platform(manage_pieces_enabled=True, invitations_auto_accept=False)
    path = tmp_path / "tenants.json"
    path.write_text(json.dumps(REVIEW_DOCUMENT))
    return path


@needs_hitl_in_dag_test
def test_review_dag_applies_the_approved_plan(
    airflow_api: Any,
    emulator: Any,
    review_file: Path,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """plan -> HITL approval (answered *Approve* through the REST API) -> apply."""
    emu = emulator
    dr, seen = _review(airflow_api, review_file, "Approve")
    output = _output(capfd, caplog)
    assert dr.state == "success", output[-3000:]
    states = _task_states(REVIEW_DAG, dr.run_id)
    assert states == {"plan": "success", "approve": "success", "apply": "success"}

    # The reviewer saw the plan: every kind of change, and the digest that was then applied.
    xcoms = _xcoms(REVIEW_DAG, dr.run_id)
    saved = xcoms[("plan", "return_value", -1)]
    request = seen["request"]
    assert request["subject"] == "Apply the Activepieces tenant plan?"
    assert request["options"] == ["Approve", "Reject"]
    body = request["body"]
    for text in (
        "Plan: 2 to create",
        "piece_set gold",
        "piece_set_assignment",
        "member ops@acme.example",
        "member dev@globex.example",
        saved["digest"],
    ):
        assert text in body, body
    assert xcoms[("approve", "reviewed_plan_digest", -1)] == saved["digest"]
    decision = xcoms[("approve", "return_value", -1)]
    assert decision["approved"] is True
    assert decision["plan_digest"] == saved["digest"]

    # Applied: what each tenant sees and who is in it, asked of the emulator.
    slack, gmail = "@activepieces/piece-slack", "@activepieces/piece-gmail"
    team = _team(emu)
    assert sorted(emu.state.visible_pieces(team["acme"]["id"])) == sorted([slack, gmail])
    assert emu.state.visible_pieces(team["globex"]["id"]) == [slack]
    assert team["globex"]["notifyFlowOwnerOnFailure"] is True
    assert _people(emu, "acme") == {"ops@acme.example": "Admin"}
    assert _people(emu, "globex") == {"dev@globex.example": "Editor"}
    report = xcoms[("apply", "report", -1)]
    kinds = {(r["kind"], r["key"]) for r in report["results"]}
    assert ("member", "ops@acme.example") in kinds
    assert ("piece_set", "gold") in kinds
    assert report["summary"]["succeeded"] == 2

    # Neither the API key nor an invitation link reached XCom, the HITL request or the logs.
    links = [i for i in emu.state.people.invitations() if i.get("projectId")]
    assert len(links) == 2
    for secret in (emu.api_key, "token="):
        assert secret not in repr(xcoms)
        assert secret not in json.dumps(request)
        assert secret not in output


def _run_dag_script() -> Any:
    spec = importlib.util.spec_from_file_location("run_dag", ROOT / "examples/airflow/run_dag.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_hitl_in_dag_test
def test_review_dag_rejected_writes_nothing(
    airflow_api: Any,
    emulator: Any,
    review_file: Path,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """*Reject* skips the apply task: nothing is written. Run as the README shows it, with
    ``examples/airflow/run_dag.py --answer Reject`` playing the reviewer."""
    emulator.requests.clear()
    out = tmp_path / "xcoms.json"
    conf = json.dumps({"tenants_file": str(review_file)})
    argv = [REVIEW_DAG, "--conf", conf, "--answer", "Reject", "--xcom-out", str(out)]
    assert _run_dag_script().main(argv, api=airflow_api) == 0
    printed = capfd.readouterr().out
    assert "--- approve asks: Apply the Activepieces tenant plan?" in printed
    assert "Plan: 2 to create" in printed
    assert "--- answered Reject: HTTP 200" in printed
    xcoms = json.loads(out.read_text())
    run_id = _latest_review_run()
    states = _task_states(REVIEW_DAG, run_id)
    assert states == {"plan": "success", "approve": "success", "apply": "skipped"}
    assert _team(emulator) == {}
    assert [s for s in emulator.state.piece_sets.all() if not s.get("isDefault")] == []
    # The standard ApprovalOperator ends a rejection by skipping what follows (no return value).
    assert "approve.return_value" not in xcoms
    assert "approve.reviewed_plan_digest" in xcoms
    writes = [r for r in emulator.requests if r.method != "GET"]
    assert writes == []


@needs_hitl_in_dag_test
def test_review_dag_refuses_a_plan_gone_stale(
    airflow_api: Any, emulator: Any, review_file: Path
) -> None:
    """Someone creates a tenant by hand while the plan waits for review: approved anyway, the
    apply task refuses the whole plan and writes nothing."""
    emu = emulator

    def meanwhile() -> None:
        emu.state.add_project("Acme by hand", external_id="acme")

    dr, _ = _review(airflow_api, review_file, "Approve", before_answer=meanwhile)
    assert dr.state == "failed"
    states = _task_states(REVIEW_DAG, dr.run_id)
    assert states == {"plan": "success", "approve": "success", "apply": "failed"}
    assert set(_team(emu)) == {"acme"}  # globex was not created either
    assert emu.state.people.invitations() == []
    stale = _xcoms(REVIEW_DAG, dr.run_id)[("apply", "stale", -1)]
    assert {
        "external_id": "acme",
        "kind": "project",
        "key": None,
        "reason": "appeared",
        "fields": [],
    } in stale
