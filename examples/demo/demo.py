"""The whole product in one command: tenants onboarded, re-synced and torn down by Airflow and Prefect.

    uv run python examples/demo/demo.py

With no ``ACTIVEPIECES_URL`` set it starts the embedded Activepieces emulator and, against it:
1. runs the ``activepieces_tenant_onboarding`` DAG with ``dag.test()`` (tenant file → bulk sync →
   one deferrable sensor per tenant waiting for an active flow, which the demo "builds" for each
   tenant a moment after it appears),
2. runs the Prefect onboarding flow with a newer tenant file (renames, new pieces, a new tenant),
3. runs the ``activepieces_tenant_teardown`` DAG for two tenants,
then prints what each step did to each tenant and the final state. Exit code 0 only if every
step succeeded and the final state is the expected one.

With ``ACTIVEPIECES_URL`` and ``ACTIVEPIECES_API_KEY`` set it targets that platform and only plans
(a dry run showing what onboarding would change); pass ``--apply`` to run the steps for real.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from activepieces_core import ActivepiecesClient
from activepieces_core.tenants import load_tenants, reconcile

EXAMPLES = Path(__file__).resolve().parents[1]
TENANTS = EXAMPLES / "tenants.yaml"
TENANTS_NEXT = Path(__file__).resolve().parent / "tenants-next.yaml"
TEARDOWN = ["initech", "stark"]

console = Console()


@dataclass(frozen=True)
class Target:
    url: str
    api_key: str


@dataclass(frozen=True)
class Step:
    title: str
    column: str
    command: list[str]


def _steps(workdir: Path) -> list[Step]:
    python = sys.executable
    return [
        Step(
            "Airflow: onboarding DAG (sync tenants, wait for an active flow)",
            "Airflow onboarding",
            [
                python,
                str(EXAMPLES / "airflow" / "run_dag.py"),
                "activepieces_tenant_onboarding",
                "--conf",
                json.dumps({"tenants_file": str(TENANTS), "min_active_flows": 1}),
                "--xcom-out",
                str(workdir / "onboarding-xcom.json"),
            ],
        ),
        Step(
            "Prefect: onboarding flow with next week's tenant file",
            "Prefect re-sync",
            [python, str(EXAMPLES / "prefect" / "onboard.py"), str(TENANTS_NEXT)],
        ),
        Step(
            f"Airflow: teardown DAG for {', '.join(TEARDOWN)}",
            "Airflow teardown",
            [
                python,
                str(EXAMPLES / "airflow" / "run_dag.py"),
                "activepieces_tenant_teardown",
                "--conf",
                json.dumps({"external_ids": TEARDOWN}),
            ],
        ),
    ]


def _environment(target: Target, workdir: Path) -> dict[str, str]:
    """Each step runs in its own process with private Airflow / Prefect homes."""
    env = dict(os.environ)
    env.update(
        {
            "ACTIVEPIECES_URL": target.url,
            "ACTIVEPIECES_API_KEY": target.api_key,
            "AIRFLOW_CONN_ACTIVEPIECES_DEFAULT": json.dumps(
                {"conn_type": "activepieces", "host": target.url, "password": target.api_key}
            ),
            "AIRFLOW_HOME": str(workdir / "airflow"),
            "PREFECT_HOME": str(workdir / "prefect"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
            "DO_NOT_TRACK": "1",
        }
    )
    return env


Snapshot = dict[str, dict[str, Any]]


def _snapshot(emu: Any) -> Snapshot:
    """TEAM projects by external id, deleted ones included (a live project wins over a deleted one)."""
    projects = emu.state.projects(include_deleted=True, types=["TEAM"])
    ordered = sorted(projects, key=lambda project: project.get("deleted") is None)
    return {p["externalId"]: p for p in ordered if p.get("externalId")}


def _action(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    if after is None:
        return "-"
    if before is None or before.get("deleted"):
        return "deleted" if after.get("deleted") else "created"
    if after.get("deleted"):
        return "deleted"
    return "updated" if after["updated"] != before["updated"] else "unchanged"


@contextmanager
def _tenant_activity(emu: Any) -> Iterator[None]:
    """Simulate each new tenant building its first flow a moment after its project appears."""
    stop = threading.Event()

    def run() -> None:
        seen: dict[str, float] = {}
        while not stop.wait(0.5):
            for project in emu.state.projects(types=["TEAM"]):
                first = seen.setdefault(project["id"], time.monotonic())
                if project["analytics"]["activeFlows"] == 0 and time.monotonic() - first > 2:
                    emu.state.set_analytics(project["id"], total_flows=1, active_flows=1)

    thread = threading.Thread(target=run, name="tenant-activity", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _run_steps(
    steps: list[Step], env: dict[str, str], workdir: Path, after_step: Callable[[], None]
) -> list[bool]:
    outcomes: list[bool] = []
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        for number, step in enumerate(steps, start=1):
            task = progress.add_task(step.title, total=1)
            log = workdir / f"step-{number}.log"
            with log.open("w") as out:
                done = subprocess.run(step.command, env=env, stdout=out, stderr=subprocess.STDOUT)
            ok = done.returncode == 0
            progress.update(task, completed=1, description=f"{'✔' if ok else '✘'} {step.title}")
            if not ok:
                progress.console.print(f"[red]step {number} failed; its log: {log}[/red]")
                progress.console.print(log.read_text()[-4000:])
            outcomes.append(ok)
            after_step()
    return outcomes


def _summary(snapshots: list[Snapshot], columns: list[str]) -> Table:
    table = Table(title="Tenants: what each step did, and the final state")
    table.add_column("tenant")
    for column in columns:
        table.add_column(column)
    table.add_column("final state")
    table.add_column("pieces")
    final = snapshots[-1]
    for external_id in sorted(final):
        project = final[external_id]
        actions = [
            _action(before.get(external_id), after.get(external_id))
            for before, after in itertools.pairwise(snapshots)
        ]
        plan = project["plan"]
        pieces = "all" if plan["piecesFilterType"] == "NONE" else str(len(plan["pieces"]))
        state = "deleted" if project.get("deleted") else f"live · {project['displayName']}"
        table.add_row(external_id, *actions, state, pieces)
    return table


def _expected_final_state(final: Snapshot) -> list[str]:
    """What must hold after the three steps; each broken rule is one message."""
    problems = []
    expected = {spec.external_id: spec for spec in load_tenants(TENANTS_NEXT)}
    for external_id, spec in expected.items():
        project = final.get(external_id)
        gone = external_id in TEARDOWN
        if project is None:
            problems.append(f"{external_id}: never created")
        elif gone != bool(project.get("deleted")):
            problems.append(f"{external_id}: expected {'deleted' if gone else 'live'}")
        elif not gone and project["displayName"] != spec.effective_display_name:
            problems.append(f"{external_id}: display name {project['displayName']!r}")
    return problems


def run_local(api_key: str | None, workdir: Path | None) -> int:
    from activepieces_core.testing import Emulator

    with _workdir(workdir) as workdir, Emulator(api_key=api_key) as emu:
        console.print(f"[bold]Embedded Activepieces emulator[/bold] at {emu.url}")
        steps = _steps(workdir)
        snapshots = [_snapshot(emu)]
        with _tenant_activity(emu):
            outcomes = _run_steps(
                steps,
                _environment(Target(emu.url, emu.api_key), workdir),
                workdir,
                lambda: snapshots.append(_snapshot(emu)),
            )
        console.print(_summary(snapshots, [s.column for s in steps]))
        problems = _expected_final_state(snapshots[-1])
        for problem in problems:
            console.print(f"[red]unexpected final state: {problem}[/red]")
        console.print(f"{len(emu.requests)} API requests served by the emulator.")
        if all(outcomes) and not problems:
            console.print("[bold green]Demo succeeded.[/bold green]")
            return 0
        console.print("[bold red]Demo failed.[/bold red]")
        return 1


@contextmanager
def _workdir(path: Path | None) -> Iterator[Path]:
    """The folder holding every step's logs and Airflow / Prefect homes (kept if given)."""
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="activepieces-demo-") as tmp:
        yield Path(tmp)


def run_remote(target: Target, apply: bool) -> int:
    if apply:
        with _workdir(None) as workdir:
            outcomes = _run_steps(
                _steps(workdir), _environment(target, workdir), workdir, lambda: None
            )
        return 0 if all(outcomes) else 1
    with ActivepiecesClient(api_key=target.api_key, base_url=target.url) as client:
        report = reconcile(client, load_tenants(TENANTS), dry_run=True)
    table = Table(title=f"Dry run against {target.url}: what onboarding would change")
    for column in ("tenant", "action", "changes"):
        table.add_column(column)
    for result in report.results:
        table.add_row(result.external_id, result.action, ", ".join(result.diff or {}))
    console.print(table)
    console.print("Nothing was changed. Run with --apply to run the DAGs and the flow for real.")
    return 1 if report.failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apply", action="store_true", help="against a real platform: change it")
    parser.add_argument("--emulator-api-key", help="API key of the embedded emulator")
    parser.add_argument("--workdir", type=Path, help="keep logs and Airflow/Prefect homes here")
    args = parser.parse_args(argv)
    url, key = os.environ.get("ACTIVEPIECES_URL"), os.environ.get("ACTIVEPIECES_API_KEY")
    if url and key:
        return run_remote(Target(url, key), args.apply)
    return run_local(args.emulator_api_key, args.workdir)


if __name__ == "__main__":
    sys.exit(main())
