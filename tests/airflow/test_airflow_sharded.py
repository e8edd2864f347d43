"""The sharded example DAG under ``dag.test()``: plan once, shards as mapped task instances in
the API pool, one merged report with an unsharded apply's counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from activepieces_core import ActivepiecesClient
from activepieces_core.tenants import plan

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("airflow_db")]

DAG_FILE = (
    Path(__file__).resolve().parents[2] / "examples/airflow/dags/activepieces_sharded_apply.py"
)
DOCUMENT: dict[str, Any] = {
    "piece_sets": [{"key": "gold", "name": "Gold", "allow": ["slack"]}],
    "tenants": [
        {
            "external_id": f"t{i:02d}",
            **({"piece_set": "gold"} if i % 2 else {"pieces": ["gmail"]}),
            **({"members": [f"ops{i}@example.com"]} if i % 3 == 0 else {}),
        }
        for i in range(12)
    ],
}


def _dag() -> Any:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAG_FILE))
    assert not bag.import_errors, bag.import_errors
    return bag.dags["activepieces_sharded_apply"]


def _task_instances(dag_id: str, run_id: str) -> list[tuple[str, int, str, int, int]]:
    from airflow.models.taskinstance import TaskInstance as TI
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(TI.task_id, TI.map_index, TI.state, TI.pool_slots, TI.try_number).where(
                TI.dag_id == dag_id, TI.run_id == run_id
            )
        ).all()
    return [(t, m, str(s), p, n) for t, m, s, p, n in rows]


def _xcom(dag_id: str, run_id: str, task_id: str, key: str = "return_value") -> Any:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        row = session.execute(
            select(XComModel.value).where(
                XComModel.dag_id == dag_id,
                XComModel.run_id == run_id,
                XComModel.task_id == task_id,
                XComModel.key == key,
            )
        ).one()
    return XComModel.deserialize_value(row)


def test_sharded_dag_applies_every_tenant_once(emulator: Any, tmp_path: Path) -> None:
    from airflow.models.pool import Pool

    emu = emulator
    emu.state.configure_platform(manage_pieces_enabled=True)
    tenants_file = tmp_path / "tenants.json"
    tenants_file.write_text(json.dumps(DOCUMENT))
    Pool.create_or_update_pool(
        "activepieces_api", slots=16, description="API budget", include_deferred=False
    )
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
        expected = plan(client, DOCUMENT)
    dag = _dag()
    dr = dag.test(run_conf={"tenants_file": str(tenants_file), "shards": 3})
    assert dr.state == "success"

    tis = _task_instances(dag.dag_id, dr.run_id)
    shards = sorted(
        (m, state, slots, tries) for t, m, state, slots, tries in tis if t == "apply_shard"
    )
    assert shards == [(i, "success", 4, 1) for i in range(3)]  # in the pool, no retry needed
    # The mapped list is the shard indexes; each shard is an XCom of its own with only its
    # tenants' changes (a shard task reads its own, not the whole plan).
    assert _xcom(dag.dag_id, dr.run_id, "prepare") == [0, 1, 2]
    shard_tenants = [
        {c["external_id"] for c in _xcom(dag.dag_id, dr.run_id, "prepare", f"shard-{i}")["changes"]}
        for i in range(3)
    ]
    assert sorted(t for part in shard_tenants for t in part) == [f"t{i:02d}" for i in range(12)]
    merged = _xcom(dag.dag_id, dr.run_id, "merge")
    assert merged["summary"]["total"] == 12
    assert merged["summary"]["create"] == expected.summary["create"] == 12
    assert merged["summary"]["succeeded"] == 12
    assert merged["kind_summary"] == {
        kind: {"succeeded": sum(counts.values())} for kind, counts in expected.kind_summary.items()
    }
    projects = [p["externalId"] for p in emu.state.projects(types=["TEAM"])]
    assert sorted(projects) == [f"t{i:02d}" for i in range(12)]  # each once
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
        assert not plan(client, DOCUMENT).has_changes
    assert emu.stats()["max_in_flight"] <= 16
