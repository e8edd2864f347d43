"""Deployment tests: an emulator, a temp dir per module, PostgreSQL and Redis per module (from
Debian's packages, see ``backing_services``), process logs printed when a test fails."""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from backing_services import Postgres, Redis
from deploy_support import print_logs

from activepieces_core.testing import Emulator

KEY_OPTION = "--activepieces-emulator-api-key"  # the emulator plugin's option (leak checks)


@pytest.fixture(scope="module")
def api_key(request: pytest.FixtureRequest) -> str:
    """The platform key: the suite's fixed key if given, else a fresh recognisable one."""
    given: str | None = request.config.getoption(KEY_OPTION)
    if given:
        return given
    alphabet = string.ascii_letters + string.digits
    return "sk-DEPLOYTEST" + "".join(secrets.choice(alphabet) for _ in range(40))


@pytest.fixture(scope="module")
def emulator(api_key: str) -> Iterator[Emulator]:
    """An emulator on 127.0.0.1 (in this process, so a test can change what the API answers)."""
    with Emulator(seed=0, api_key=api_key) as emu:
        yield emu


@pytest.fixture(scope="module")
def deploy_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The module's working dir: homes, databases and ``logs/`` of every process it starts."""
    root = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    (root / "logs").mkdir()
    return root


@pytest.fixture(scope="module")
def postgres(deploy_dir: Path) -> Iterator[Postgres]:
    """A PostgreSQL cluster for the module (skips, or fails in CI, without the package)."""
    server = Postgres(deploy_dir / "logs")
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="module")
def redis(deploy_dir: Path) -> Iterator[Redis]:
    """A Redis server for the module; its snapshot (``redis/dump.rdb``) is in the key scan."""
    server = Redis(deploy_dir / "redis", deploy_dir / "logs")
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    report = yield
    setattr(item, f"deploy_report_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def _print_logs_on_failure(request: pytest.FixtureRequest, deploy_dir: Path) -> Iterator[None]:
    yield
    report = getattr(request.node, "deploy_report_call", None)
    if report is not None and report.failed:
        print(f"Process logs and homes kept in {deploy_dir}")
        print_logs(deploy_dir)
