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


_TESTS = Path(__file__).resolve().parent
#: Test folders whose session set-up is costly (an Airflow metadata DB and its API app, a Prefect
#: server, PostgreSQL and Redis, a built site): each runs in one pytest-xdist worker, which sets
#: it up once. Longest first: xdist hands the groups out in the order collected, and the tests
#: outside them (tests/core, tests/contract: short, one at a time) fill in behind. Wall time per
#: folder on 2 workers (2026-12-07): deploy 390 s, prefect 309, docs 119, browser 112,
#: airflow 77, e2e 68; core 154 in all.
_GROUPS = ("deploy", "prefect", "docs", "browser", "airflow", "e2e")


def _group(item: pytest.Item) -> str | None:
    if "docs_site" in getattr(item, "fixturenames", ()):
        return "docs"  # one `mkdocs build` for every test of the built site
    folder = item.path.relative_to(_TESTS).parts[0]
    return folder if folder in _GROUPS else None


@pytest.hookimpl(tryfirst=True)  # before xdist's own, which reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Group the tests for pytest-xdist's ``--dist loadgroup`` (``addopts``), longest first."""
    for item in items:
        group = _group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
    if hasattr(config, "workerinput"):  # an xdist worker: a run without xdist keeps its order
        rank = {name: i for i, name in enumerate(_GROUPS)}
        items.sort(key=lambda item: rank.get(_group(item) or "", len(rank)))


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
