"""docs/install.md's steps before the first release work: the three wheels that ``uv build``
writes install with pip into a clean virtual environment outside the workspace, next to the
Airflow and Prefect versions this workspace locks (the matrix's oldest Airflow and newest
Prefect run the packages' tests in .ci/matrix), and there Airflow discovers the provider, the
block registers with Prefect and the CLI plans against the emulator.
"""

from __future__ import annotations

import importlib.metadata as md
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from activepieces_core import __version__ as core_version
from activepieces_core.testing import Emulator
from activepieces_provider import __version__ as provider_version

ROOT = Path(__file__).resolve().parents[2]
DISTRIBUTIONS = ("activepieces_core", "airflow_provider_activepieces", "prefect_activepieces")

pytestmark = pytest.mark.slow


def _run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, f"{argv} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    dist = tmp_path_factory.mktemp("dist")
    _run(["uv", "build", "--all-packages", "--wheel", "-o", str(dist)], ROOT)
    found = {name: next(dist.glob(f"{name}-*.whl")) for name in DISTRIBUTIONS}
    return found


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, wheels: dict[str, Path]) -> Path:
    """A clean venv outside the workspace: the wheels, and the locked Airflow and Prefect."""
    home = tmp_path_factory.mktemp("clean")
    env_dir = home / "venv"
    _run(["uv", "venv", "--quiet", "--python", sys._base_executable, str(env_dir)], home)
    pins = [f"apache-airflow-core=={md.version('apache-airflow-core')}"]
    pins += [f"prefect=={md.version('prefect')}"]
    core = f"activepieces-core[cli] @ {wheels['activepieces_core'].as_uri()}"
    _run(
        [
            "uv",
            "pip",
            "install",
            "--no-config",
            "--no-sources",
            "--quiet",
            "--python",
            str(env_dir / "bin" / "python"),
            core,
            str(wheels["airflow_provider_activepieces"]),
            str(wheels["prefect_activepieces"]),
            *pins,
        ],
        home,  # outside the workspace: no pyproject, no uv.lock in sight
    )
    return env_dir


def test_integrations_pin_the_core_they_were_built_with(wheels: dict[str, Path]) -> None:
    major, minor = core_version.split(".")[:2]
    wanted = f"activepieces-core[aiohttp,yaml]<{major}.{int(minor) + 1},>={core_version}"
    for name in ("airflow_provider_activepieces", "prefect_activepieces"):
        with zipfile.ZipFile(wheels[name]) as wheel:
            meta = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
            requires = [
                line.split(": ", 1)[1]
                for line in wheel.read(meta).decode().splitlines()
                if line.startswith("Requires-Dist: activepieces-core")
            ]
        assert [r.replace(" ", "") for r in requires] == [wanted], (name, requires)


def test_wheels_work_outside_the_workspace(venv: Path, tmp_path: Path) -> None:
    python = str(venv / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH"))}
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    env["AIRFLOW_HOME"] = str(tmp_path / "airflow")
    # Installed from the wheels, not from this checkout.
    where = _run(
        [python, "-c", "import activepieces_core; print(activepieces_core.__file__)"], tmp_path, env
    )
    assert str(venv) in where, where
    assert str(ROOT) not in where, where
    # Airflow discovers the provider through its entry point.
    discovered = _run(
        [
            python,
            "-c",
            "from airflow.providers_manager import ProvidersManager as M; "
            "m = M(); print(m.providers['airflow-provider-activepieces'].version, "
            "'activepieces' in m.hooks)",
        ],
        tmp_path,
        env,
    )
    assert discovered.splitlines()[-1].split() == [provider_version, "True"], discovered
    # The block registers with Prefect (an ephemeral server in this venv).
    registered = _run(
        [str(venv / "bin" / "prefect"), "block", "register", "-m", "prefect_activepieces"],
        tmp_path,
        {**env, "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180"},
    )
    assert "Successfully registered 1 block" in registered, registered
    assert "Activepieces Credentials" in registered, registered
    # The CLI plans a tenant file against the emulator.
    (tmp_path / "tenants.yaml").write_text("tenants:\n  - {external_id: acme}\n")
    with Emulator() as emu:
        cli_env = {**env, "ACTIVEPIECES_URL": emu.url, "ACTIVEPIECES_API_KEY": emu.api_key}
        planned = _run(
            [str(venv / "bin" / "activepieces"), "-o", "json", "tenants", "plan", "tenants.yaml"],
            tmp_path,
            cli_env,
        )
    assert '"acme"' in planned, planned
