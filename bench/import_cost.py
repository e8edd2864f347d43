"""Import cost of the orchestrator integrations, measured in fresh interpreters.

Each row runs a new ``python`` that first imports the baseline (``airflow.sdk`` or ``prefect``),
then times importing the integration modules with ``time.perf_counter``; the median over
``--repeats`` runs is what the integration adds on top of the baseline. DAG files pay this on
every parse, so the Airflow target is <= 100 ms. Prefect imports every installed collection
whenever a server, worker or block lookup starts, so ``import prefect_activepieces`` is held to
<= 100 ms over ``import prefect`` too (issue 22: it had grown to 127 ms). The Airflow provider
must never import Prefect (checked in every Airflow row).

Then the ``activepieces`` command's own start-up, which every run pays (issue 22): the process
CPU (user + system, which a loaded machine inflates less than wall time) of ``activepieces
--help``, the median over ``--repeats`` runs. For context, no target here: ``cli_floor.py``
times a plan of an empty document against the emulator.

    uv run --frozen python bench/import_cost.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass

AIRFLOW_TARGET_MS = 100.0
PREFECT_TARGET_MS = 100.0

_PROBE = """
import json, sys, time
t0 = time.perf_counter()
import {baseline}
t1 = time.perf_counter()
{imports}
t2 = time.perf_counter()
print(json.dumps({{
    "baseline_ms": (t1 - t0) * 1000,
    "added_ms": (t2 - t1) * 1000,
    "prefect_loaded": any(m == "prefect" or m.startswith("prefect.") for m in sys.modules),
}}))
"""

_PROVIDER = "activepieces_provider"


@dataclass(frozen=True)
class Row:
    label: str
    baseline: str
    modules: tuple[str, ...]
    airflow: bool


ROWS = (
    Row("hook", "airflow.sdk", (f"{_PROVIDER}.hooks.activepieces",), True),
    Row("operators (projects)", "airflow.sdk", (f"{_PROVIDER}.operators.projects",), True),
    Row("operators (tenants)", "airflow.sdk", (f"{_PROVIDER}.operators.tenants",), True),
    Row("sensor", "airflow.sdk", (f"{_PROVIDER}.sensors.projects",), True),
    Row(
        "hook + operators + sensor",
        "airflow.sdk",
        (
            f"{_PROVIDER}.hooks.activepieces",
            f"{_PROVIDER}.operators.projects",
            f"{_PROVIDER}.operators.tenants",
            f"{_PROVIDER}.sensors.projects",
        ),
        True,
    ),
    Row("trigger (triggerer only)", "airflow.sdk", (f"{_PROVIDER}.triggers.projects",), True),
    Row("prefect_activepieces", "prefect", ("prefect_activepieces",), False),
)


def _env() -> dict[str, str]:
    # A throw-away home so that neither orchestrator touches the user's config or DB.
    home = tempfile.mkdtemp(prefix="import-cost-")
    env = dict(os.environ)
    env.update(
        AIRFLOW_HOME=os.path.join(home, "airflow"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        PREFECT_HOME=os.path.join(home, "prefect"),
        DO_NOT_TRACK="1",
    )
    return env


def measure(row: Row, repeats: int, env: dict[str, str]) -> dict[str, float | bool] | None:
    code = _PROBE.format(
        baseline=row.baseline, imports="\n".join(f"import {m}" for m in row.modules)
    )
    added: list[float] = []
    baseline: list[float] = []
    prefect_loaded = False
    for _ in range(repeats):
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
        )
        if proc.returncode != 0:
            if "ModuleNotFoundError" in proc.stderr:
                return None
            raise RuntimeError(f"{row.label}: probe failed\n{proc.stderr}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        added.append(result["added_ms"])
        baseline.append(result["baseline_ms"])
        prefect_loaded = prefect_loaded or result["prefect_loaded"]
    return {
        "baseline_ms": statistics.median(baseline),
        "added_ms": statistics.median(added),
        "added_min_ms": min(added),
        "prefect_loaded": prefect_loaded,
    }


#: The console script users run, next to this interpreter.
CLI = shutil.which("activepieces", path=os.path.dirname(sys.executable)) or "activepieces"


def process_cpu(command: list[str], env: dict[str, str]) -> float:
    """User + system CPU seconds of one run of ``command`` (exit 0 required)."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        raise RuntimeError(f"{' '.join(command)} failed:\n{stderr}")
    return usage.ru_utime + usage.ru_stime


def cli_startup(repeats: int, env: dict[str, str]) -> None:
    """The median process CPU of ``activepieces --help``: the command's imports, no request."""
    process_cpu([CLI, "--help"], env)  # writes any stale .pyc first
    cpu = [process_cpu([CLI, "--help"], env) for _ in range(repeats)]
    print(
        f"\nCLI start-up: activepieces --help, process CPU {statistics.median(cpu):.2f} s "
        f"(median of {repeats}, min {min(cpu):.2f})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    env = _env()
    failures: list[str] = []
    header = f"{'import':<28} {'on top of':<12} {'baseline ms':>12} {'added ms (median)':>18} {'min':>8}  note"
    print(header)
    print("-" * len(header))
    for row in ROWS:
        result = measure(row, args.repeats, env)
        if result is None:
            print(f"{row.label:<28} {row.baseline:<12} {'':>12} {'not installed':>18}")
            continue
        note = ""
        if row.airflow and result["prefect_loaded"]:
            note = "FAIL: imported prefect"
            failures.append(f"{row.label} imported prefect")
        elif (
            row.airflow
            and row.label.startswith("hook + ")
            and result["added_ms"] > AIRFLOW_TARGET_MS
        ):
            note = f"FAIL: over {AIRFLOW_TARGET_MS:.0f} ms"
            failures.append(f"{row.label} adds {result['added_ms']:.0f} ms")
        elif row.airflow:
            note = "ok"
        elif result["added_ms"] > PREFECT_TARGET_MS:
            note = f"FAIL: over {PREFECT_TARGET_MS:.0f} ms"
            failures.append(f"{row.label} adds {result['added_ms']:.0f} ms")
        else:
            note = f"ok (<= {PREFECT_TARGET_MS:.0f} ms)"
        print(
            f"{row.label:<28} {row.baseline:<12} {result['baseline_ms']:>12.0f} "
            f"{result['added_ms']:>18.1f} {result['added_min_ms']:>8.1f}  {note}"
        )
    cli_startup(args.repeats, env)
    if failures:
        print("\n" + "\n".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
