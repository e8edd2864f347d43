"""Run one example DAG once with ``dag.test()`` on a private SQLite metadata DB.

    python examples/airflow/run_dag.py activepieces_tenant_onboarding --conf '{"prune": false}'

The ``activepieces_default`` connection comes from ``AIRFLOW_CONN_ACTIVEPIECES_DEFAULT`` (JSON or
URI). ``AIRFLOW_HOME`` defaults to a new temporary folder; the metadata DB inside it is created
on first use. With ``--xcom-out FILE`` the run's XComs are written there as JSON (the demo reads
the per-tenant report from it). Exit code 0 when the run succeeded.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dag_id")
    parser.add_argument("--conf", default="{}", help="run configuration (JSON object)")
    parser.add_argument("--xcom-out", help="write the run's XComs to this JSON file")
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
    run = dag.test(run_conf=json.loads(args.conf))
    if args.xcom_out:
        Path(args.xcom_out).write_text(json.dumps(_xcoms(dag.dag_id, run.run_id), default=str))
    print(f"{dag.dag_id}: {run.state}")
    return 0 if str(run.state) in {"success", "DagRunState.SUCCESS"} else 1


if __name__ == "__main__":
    sys.exit(main())
