"""Optional dependencies: the client and the tenant engine run on the required ones alone.

`activepieces-core` requires httpx, pydantic, tenacity and anyio; the CLI (typer, rich, PyYAML),
YAML tenant files (PyYAML) and the aiohttp transport are extras. Each scenario runs in a
subprocess whose ``sys.meta_path`` refuses the extras' modules, against the emulator over real
HTTP: the environment here has every extra installed, so only a blocker shows what happens
without them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from activepieces_core import ActivepiecesClient

#: Installed here, refused in the subprocess: the modules of the cli, yaml and aiohttp extras.
_EXTRAS = ("typer", "click", "rich", "yaml", "aiohttp")

#: Prepended to every script: refuse ``blocked`` modules as if they were not installed.
_BLOCKER = textwrap.dedent(
    """
    import sys

    class _Blocker:
        def __init__(self, blocked):
            self.blocked = frozenset(blocked)

        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in self.blocked or name in self.blocked:
                raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
            return None

    sys.meta_path.insert(0, _Blocker({blocked!r}))
    """
)


def _run(script: str, blocked: tuple[str, ...], *args: str) -> subprocess.CompletedProcess[str]:
    code = _BLOCKER.replace("{blocked!r}", repr(blocked)) + textwrap.dedent(script)
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


_CORE_SCRIPT = """
import asyncio
import json
from pathlib import Path

from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient
from activepieces_core.tenants import TenantSpecError, load_tenants, plan, reconcile

url, key, folder = sys.argv[1:4]
out = {}
with ActivepiecesClient(api_key=key, base_url=url, max_retries=0) as client:
    out["sync"] = client.projects.ensure("sync-co", "Sync Co").action

async def use_async():
    async with AsyncActivepiecesClient(api_key=key, base_url=url, max_retries=0) as client:
        out["backend"] = client.http_backend
        out["async"] = (await client.projects.ensure("async-co", "Async Co")).action
    try:
        AsyncActivepiecesClient(api_key=key, base_url=url, async_backend="aiohttp")
    except ModuleNotFoundError as exc:
        out["explicit_aiohttp"] = str(exc)

asyncio.run(use_async())
tenants = Path(folder) / "tenants.json"
tenants.write_text(json.dumps([{"external_id": "engine-co", "display_name": "Engine Co"}]))
with ActivepiecesClient(api_key=key, base_url=url, max_retries=0) as client:
    report = reconcile(client, load_tenants(tenants))
    out["engine"] = [r.action for r in report.results]
    out["replan"] = plan(client, load_tenants(str(tenants))).summary
yaml_file = Path(folder) / "tenants.yaml"
yaml_file.write_text("- external_id: yaml-co\\n")
try:
    load_tenants(yaml_file)
except TenantSpecError as exc:
    out["yaml"] = str(exc)
out["loaded"] = sorted(m for m in {blocked!r} if m in sys.modules)
print(json.dumps(out, default=str))
"""


def test_client_and_engine_run_without_the_extras(
    activepieces_emulator: Any, tmp_path: Path
) -> None:
    emu = activepieces_emulator
    script = _CORE_SCRIPT.replace("{blocked!r}", repr(_EXTRAS))
    done = _run(script, _EXTRAS, emu.url, emu.api_key, str(tmp_path))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["sync"] == "created"
    assert out["backend"] == "httpx"  # "auto" fell back to httpx's own transport
    assert out["async"] == "created"
    assert 'pip install "activepieces-core[aiohttp]"' in out["explicit_aiohttp"]
    assert out["engine"] == ["create"]
    assert out["replan"]["noop"] == 1, out["replan"]
    assert 'pip install "activepieces-core[yaml]"' in out["yaml"]
    assert str(tmp_path / "tenants.yaml") in out["yaml"]
    assert out["loaded"] == []
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
        names = {p.external_id for p in client.projects.iter()}
    assert {"sync-co", "async-co", "engine-co"} <= names


def test_the_auto_backend_is_aiohttp_when_installed(activepieces_emulator: Any) -> None:
    """The other side of the fallback: with the extra, "auto" still picks aiohttp."""
    script = """
    import asyncio
    from activepieces_core import AsyncActivepiecesClient

    async def main():
        async with AsyncActivepiecesClient(api_key=sys.argv[2], base_url=sys.argv[1]) as client:
            await client.projects.list(limit=1)
            print(client.http_backend)

    asyncio.run(main())
    """
    done = _run(script, (), activepieces_emulator.url, activepieces_emulator.api_key)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "aiohttp"


def test_console_script_without_the_cli_extra_says_what_to_install() -> None:
    script = "from activepieces_core.__main__ import main; main()"
    for missing in ("typer", "rich", "yaml"):
        done = _run(script, (missing,), "--help")
        assert done.returncode == 1, done.stderr
        message = done.stderr.strip()
        assert message.count("\n") == 0, message  # one line, no traceback
        assert 'pip install "activepieces-core[cli]"' in message
        assert missing in message
    done = _run(script, (), "--version")  # with the extra: the CLI itself
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("activepieces ")


#: Ours: these packages must not import the CLI's libraries (Airflow and Prefect may).
_OURS = ("activepieces_core", "activepieces_provider", "prefect_activepieces")

_INTEGRATIONS_SCRIPT = """
import builtins
import importlib

ours = {ours!r}
cli_libs = {"typer", "click", "rich"}
offenders = []
real_import = builtins.__import__

def guarded(name, globals=None, locals=None, fromlist=(), level=0):
    importer = (globals or {}).get("__name__") or ""
    if level == 0 and importer.partition(".")[0] in ours and name.partition(".")[0] in cli_libs:
        offenders.append(f"{importer} imports {name}")
    return real_import(name, globals, locals, fromlist, level)

builtins.__import__ = guarded
for module in sys.argv[1:]:
    importlib.import_module(module)
print(json.dumps(offenders))
"""


def _modules(package_dir: Path, package: str) -> list[str]:
    return sorted(
        ".".join((package, *p.relative_to(package_dir).with_suffix("").parts)).removesuffix(
            ".__init__"
        )
        for p in package_dir.rglob("*.py")
    )


def test_provider_and_collection_import_without_the_cli() -> None:
    """Every module of the Airflow provider and the Prefect collection imports with
    `activepieces_core.cli` refused, and none of ours imports typer, click or rich (Airflow
    and Prefect use rich themselves, so those are watched, not refused)."""
    root = Path(__file__).resolve().parents[2]
    modules = _modules(
        root / "airflow_provider/src/activepieces_provider", "activepieces_provider"
    ) + _modules(root / "prefect_collection/src/prefect_activepieces", "prefect_activepieces")
    assert "activepieces_provider.hooks.activepieces" in modules
    script = "import json\n" + _INTEGRATIONS_SCRIPT.replace("{ours!r}", repr(_OURS))
    done = _run(script, ("activepieces_core.cli",), *modules)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
