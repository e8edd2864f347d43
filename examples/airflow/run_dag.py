"""Run one example DAG once with ``dag.test()`` on a private SQLite metadata DB.

    python examples/airflow/run_dag.py activepieces_tenant_onboarding --conf '{"prune": false}'
    python examples/airflow/run_dag.py activepieces_tenant_review --answer Approve

The ``activepieces_default`` connection comes from ``AIRFLOW_CONN_ACTIVEPIECES_DEFAULT`` (JSON or
URI). ``AIRFLOW_HOME`` defaults to a new temporary folder; the metadata DB inside it is created
on first use. With ``--xcom-out FILE`` the run's XComs are written there as JSON (the demo reads
the per-tenant report from it). ``dag.test()`` never answers a human-in-the-loop request itself:
with ``--answer Approve|Reject`` this script plays the reviewer, printing each request and
answering it through the api-server's HITL REST route (the core API run in-process on the same
metadata DB, as the Required Actions page would call it). Exit code 0 when the run succeeded.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DAGS = Path(__file__).resolve().parent / "dags"


def _configure_environment() -> Path:
    """Airflow reads its configuration at import: everything is set before the first import."""
    home = Path(os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="ap-airflow-")))
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(DAGS))
    os.environ.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{home / 'airflow.db'}")
    # dag.test() signs task tokens for its in-process execution API; a fresh home has no key.
    os.environ.setdefault("AIRFLOW__API_AUTH__JWT_SECRET", secrets.token_urlsafe(32))
    return home


def _xcoms(dag_id: str, run_id: str) -> dict[str, Any]:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    out: dict[str, Any] = {}
    with create_session() as session:
        rows = session.execute(
            select(XComModel.task_id, XComModel.key, XComModel.map_index, XComModel.value).where(
                XComModel.dag_id == dag_id, XComModel.run_id == run_id
            )
        ).all()
    for task_id, key, map_index, value in rows:
        name = f"{task_id}.{key}" if map_index < 0 else f"{task_id}[{map_index}].{key}"
        out[name] = XComModel.deserialize_value(_Row(value))
    return out


class _Row:
    def __init__(self, value: Any) -> None:
        self.value = value


def _awaiting(dag_id: str) -> list[tuple[str, str, int]]:
    """``(run_id, task_id, map_index)`` of the DAG's unanswered human-in-the-loop requests.

    Read from the request rows, not the task state: Airflow 3.3 parks such a task in
    ``awaiting_input``; older versions defer it to a trigger (run inline by ``dag.test``).
    """
    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(TaskInstance.run_id, TaskInstance.task_id, TaskInstance.map_index)
            .join(HITLDetail, HITLDetail.ti_id == TaskInstance.id)
            .where(TaskInstance.dag_id == dag_id, HITLDetail.responded_at.is_(None))
        ).all()
    return [(run_id, task_id, map_index) for run_id, task_id, map_index in rows]


@contextmanager
def _reviewer(dag_id: str, answer: str, api: Any = None) -> Iterator[None]:
    """While the block runs, answer every HITL request of ``dag_id`` with ``answer``.

    ``api`` is a client of the core API (``/api/v2``); by default the api-server's app is built
    in-process with every caller an admin (the simple auth manager's all-admins mode).
    """
    from contextlib import ExitStack

    with ExitStack() as stack:
        if api is None:
            os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] = "True"
            from airflow.api_fastapi.app import create_app
            from fastapi.testclient import TestClient

            api = stack.enter_context(TestClient(create_app("core")))
        stop = threading.Event()
        answered: set[tuple[str, str, int]] = set()

        def review() -> None:
            while not stop.wait(0.2):
                for run_id, task_id, map_index in _awaiting(dag_id):
                    if (run_id, task_id, map_index) in answered:
                        continue
                    answered.add((run_id, task_id, map_index))
                    path = (
                        f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/"
                        f"{task_id}/{map_index}/hitlDetails"
                    )
                    request = api.get(path).json()
                    print(f"--- {task_id} asks: {request.get('subject')}\n{request.get('body')}")
                    reply = api.patch(path, json={"chosen_options": [answer], "params_input": {}})
                    print(f"--- answered {answer}: HTTP {reply.status_code}")

        thread = threading.Thread(target=review, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


def main(argv: list[str] | None = None, *, api: Any = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dag_id")
    parser.add_argument("--conf", default="{}", help="run configuration (JSON object)")
    parser.add_argument("--xcom-out", help="write the run's XComs to this JSON file")
    parser.add_argument(
        "--answer",
        choices=["Approve", "Reject"],
        help="answer every human-in-the-loop request of the run (as a reviewer would)",
    )
    args = parser.parse_args(argv)
    home = _configure_environment()

    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils.db import initdb

    if not (home / "airflow.db").exists():
        initdb()
    bag = DagBag(dag_folder=str(DAGS))
    if bag.import_errors:
        print(f"DAG import errors: {bag.import_errors}", file=sys.stderr)
        return 2
    dag = bag.dags[args.dag_id]
    if args.answer:
        with _reviewer(dag.dag_id, args.answer, api):
            run = dag.test(run_conf=json.loads(args.conf))
    else:
        run = dag.test(run_conf=json.loads(args.conf))
    if args.xcom_out:
        Path(args.xcom_out).write_text(json.dumps(_xcoms(dag.dag_id, run.run_id), default=str))
    print(f"{dag.dag_id}: {run.state}")
    return 0 if str(run.state) in {"success", "DagRunState.SUCCESS"} else 1


if __name__ == "__main__":
    sys.exit(main())
