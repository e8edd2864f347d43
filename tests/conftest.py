"""Suite-wide set-up: every orchestrator writes into a throw-away home, never the user's.

These variables must be set before Airflow or Prefect is first imported, which is why they
live at import time of the root conftest (pytest loads it before any test module).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["pytester"]  # the emulator's pytest plugin is tested as users run it

# ACTIVEPIECES_TESTS_HOME keeps the homes somewhere known (bench/secret_leak_check.py scans them).
# Each pytest-xdist worker gets homes of its own (its own Airflow metadata DB among them).
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if _WORKER and os.environ.get("ACTIVEPIECES_TESTS_HOME"):
    os.environ["ACTIVEPIECES_TESTS_HOME"] = str(
        Path(os.environ["ACTIVEPIECES_TESTS_HOME"]) / _WORKER
    )
_ROOT = Path(os.environ.get("ACTIVEPIECES_TESTS_HOME") or tempfile.mkdtemp(prefix="ap-tests-"))

_ENV = {
    # Airflow: a private home with a SQLite metadata DB, no example DAGs.
    "AIRFLOW_HOME": str(_ROOT / "airflow"),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_ROOT / 'airflow' / 'airflow.db'}",
    "AIRFLOW__CORE__DAGS_FOLDER": str(
        Path(__file__).resolve().parents[1] / "examples" / "airflow" / "dags"
    ),
    # Prefect: a private home, ephemeral server, no telemetry, patient start-up on slow CI.
    "PREFECT_HOME": str(_ROOT / "prefect"),
    # Results too: Prefect's default stays ~/.prefect/storage whatever PREFECT_HOME says.
    "PREFECT_LOCAL_STORAGE_PATH": str(_ROOT / "prefect" / "storage"),
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    "PREFECT_SERVER_REGISTER_BLOCKS_ON_START": "false",
    "DO_NOT_TRACK": "1",
}
for _key, _value in _ENV.items():
    os.environ[_key] = _value
os.environ.pop("ACTIVEPIECES_URL", None)
os.environ.pop("ACTIVEPIECES_API_KEY", None)
# The CLI's rich consoles are made when it is imported, and a COLUMNS set then fixes their width
# for every later in-process run: the CLI tests' own COLUMNS (their runner's env) would not count.
# pytest-xdist starts its workers with COLUMNS=80.
os.environ.pop("COLUMNS", None)
(_ROOT / "airflow").mkdir(parents=True, exist_ok=True)
(_ROOT / "prefect").mkdir(parents=True, exist_ok=True)


#: Test folders whose session set-up is costly, and the pytest-xdist worker group each runs in
#: whole, so that one worker sets it up once: an Airflow metadata DB and its API app, a Prefect
#: server, PostgreSQL and Redis, the built documentation site (`docs_site`: tests/docs and
#: tests/browser's docs test). Wall time on 2 workers (2026-12-07): deploy 390 s, prefect 309,
#: docs + browser 231, airflow 77, e2e 68. The other tests (tests/core, tests/contract: 154 s
#: in all, each a second or less) go one at a time to whichever worker is free.
_GROUPS = {
    "deploy": "deploy",
    "prefect": "prefect",
    "docs": "site",
    "browser": "site",
    "airflow": "airflow",
    "e2e": "e2e",
}


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist's: none without it
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """pytest-xdist's scope scheduling (``addopts`` runs the suite on every core), with
    `_GROUPS` as the scopes; it hands them out most tests first. Only for xdist's default
    ``--dist load``: another ``--dist`` given on the command line keeps its own."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FolderScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            parts = nodeid.split("::", 1)[0].split("/")
            group = _GROUPS.get(parts[1]) if len(parts) > 2 and parts[0] == "tests" else None
            return group or nodeid

    return FolderScheduling(config, log)


@pytest.fixture(scope="session")
def docs_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documentation site built from this checkout with ``mkdocs build --strict``, once per
    session: tests/docs checks it and tests/browser serves it (a build costs ~20 s of CPU)."""
    root = Path(__file__).resolve().parents[1]
    out = tmp_path_factory.mktemp("site")
    build = ["mkdocs", "build", "--strict", "-f", str(root / "mkdocs.yml"), "-d", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", *build],
        cwd=root,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    return out
