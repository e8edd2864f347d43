"""What the ``activepieces`` command loads: only what the command it runs needs (issue 22).

Every run of the console script pays for its imports, so a plan of an empty document must not
load what it never uses: rich's progress and table modules (no terminal, no rows), PyYAML (a
JSON document), httpx's own command line or tenacity's tornado support; nor build the
validators of API models it never reads (a plan without templates or members). The script runs
as users run it, in a subprocess, against the emulator over real HTTP.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

#: Modules a plan of an empty JSON document leaves unloaded.
_UNUSED = ("httpx._main", "tornado", "click", "pygments", "yaml", "rich.progress", "rich.table")

#: API models such a plan never reads (built on first use: `APIModel`'s ``defer_build``).
_UNREAD_MODELS = ("ProjectState", "Flow", "ReplaceResult", "ProjectMember", "User", "PieceSet")

#: The console script's `main`, then those of ``_UNUSED`` it loaded and of ``_UNREAD_MODELS``
#: it built, as JSON on stderr.
_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from activepieces_core.__main__ import main

    sys.argv = ["activepieces", *sys.argv[1:]]
    try:
        main()
    finally:
        import activepieces_core.models as models

        loaded = [m for m in {unused!r} if sys.modules.get(m) is not None]
        built = [m for m in {unread!r} if getattr(models, m).__pydantic_complete__]
        sys.stderr.write("\\n" + json.dumps(loaded + built) + "\\n")
    """
)


def _loaded(emu: Any, *args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run the command; what of ``_UNUSED`` it loaded and of ``_UNREAD_MODELS`` it built."""
    env = {**os.environ, "ACTIVEPIECES_URL": emu.url, "ACTIVEPIECES_API_KEY": emu.api_key}
    script = _SCRIPT.replace("{unused!r}", repr(_UNUSED)).replace(
        "{unread!r}", repr(_UNREAD_MODELS)
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    return done, json.loads(done.stderr.strip().splitlines()[-1])


def test_a_plan_of_an_empty_document_loads_nothing_it_does_not_use(
    activepieces_emulator: Any, tmp_path: Path
) -> None:
    document = tmp_path / "tenants.json"
    document.write_text(json.dumps({"tenants": []}))
    done, loaded = _loaded(activepieces_emulator, "tenants", "plan", str(document))
    assert done.returncode == 0, done.stderr
    assert "0 to create" in done.stdout
    assert loaded == []


def test_the_modules_load_when_a_command_uses_them(
    activepieces_emulator: Any, tmp_path: Path
) -> None:
    """The other side: a table and a YAML document still work (their modules load then)."""
    document = tmp_path / "tenants.yaml"
    document.write_text("tenants:\n  - external_id: acme\n    display_name: Acme\n")
    done, loaded = _loaded(activepieces_emulator, "tenants", "plan", str(document), "--full")
    assert done.returncode == 0, done.stderr
    assert "acme" in done.stdout
    assert {"yaml", "rich.table"} <= set(loaded)
