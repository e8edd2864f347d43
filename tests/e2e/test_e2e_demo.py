"""README command 1, end to end: the demo runs Airflow and Prefect against the embedded emulator.

It is run exactly as a newcomer would (a subprocess of ``examples/demo/demo.py``), with a
recognisable API key, and everything it leaves behind — its output, every step's log, the Airflow
metadata DB and the Prefect DB — is searched for that key.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo" / "demo.py"
API_KEY = "sk-" + "LeakCanary" * 6 + "X"

pytestmark = pytest.mark.slow


def _demo_environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PREFECT"))}
    env.pop("ACTIVEPIECES_URL", None)
    env.pop("ACTIVEPIECES_API_KEY", None)
    env["HOME"] = str(tmp_path / "home")
    env["COLUMNS"] = "160"
    return env


def test_demo_succeeds_and_never_writes_the_key(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    done = subprocess.run(
        [sys.executable, str(DEMO), "--emulator-api-key", API_KEY, "--workdir", str(workdir)],
        env=_demo_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert "Demo succeeded" in output
    for tenant in ("acme", "globex", "initech", "stark", "wayne"):
        assert tenant in output

    assert API_KEY not in output
    needles = [API_KEY.encode(), base64.b64encode(API_KEY.encode())]
    files = [path for path in workdir.rglob("*") if path.is_file()]
    assert any(path.suffix == ".db" for path in files), "the Airflow/Prefect DBs were not kept"
    leaks = [str(path) for path in files if any(n in path.read_bytes() for n in needles)]
    assert leaks == []
