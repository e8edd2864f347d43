"""Every code example of the documentation runs (see `docs_blocks` for the directives).

One test per page: its ``python`` and ``bash`` blocks run in order, each in a subprocess of
this environment (the ``activepieces`` command on PATH), in one working directory, against an
emulator started for the page. A block that fails names its page and line.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from docs_blocks import (
    CLIENT_PRELUDE,
    FILE_LANGS,
    RUNNABLE,
    SETUPS,
    Block,
    blocks,
    pages,
    with_emulator,
)

from activepieces_core.testing import Emulator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BLOCK_TIMEOUT = 240  # an Airflow import on a loaded 2-core CI machine


def _imports_only(code: str) -> str:
    tree = ast.parse(code)
    tree.body = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    return ast.unparse(tree) + "\n"


def _run(block: Block, code: str, cwd: Path, env: dict[str, str]) -> None:
    if block.lang == "python":
        argv = [sys.executable, "-c", code]
    else:
        argv = ["bash", "-euo", "pipefail", "-c", code]
    done = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=BLOCK_TIMEOUT, check=False
    )
    assert done.returncode == 0, (
        f"{block.where} ({block.lang}) exited {done.returncode}\n--- code\n{code}"
        f"--- stdout\n{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-6000:]}"
    )


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.name)
def test_page_examples_run(page: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    shutil.copytree(EXAMPLES, work / "examples")
    shutil.copy(EXAMPLES / "tenants.yaml", work / "tenants.yaml")
    bin_dir = str(Path(sys.executable).parent)
    with Emulator(seed=7) as emu:
        env = {
            **os.environ,
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
            "ACTIVEPIECES_URL": emu.url,
            "ACTIVEPIECES_API_KEY": emu.api_key,
        }
        for block in blocks(page):
            if block.directive == "file":
                assert block.lang in FILE_LANGS, f"{block.where}: file directive on {block.lang}"
                target = work / block.arg
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(block.code, encoding="utf-8")
                continue
            if block.lang not in RUNNABLE or block.directive == "skip":
                assert block.directive != "skip" or block.arg, f"{block.where}: skip needs a reason"
                continue
            if block.directive == "setup":
                for name in block.arg.split():
                    assert name in SETUPS, f"{block.where}: unknown setup {name!r}"
                    SETUPS[name](emu)
            code = with_emulator(block.code, emu.url, emu.api_key)
            if block.directive == "client":
                code = CLIENT_PRELUDE + code
            if block.directive == "imports-only":
                assert block.lang == "python", f"{block.where}: imports-only on {block.lang}"
                code = _imports_only(code)
            _run(block, code, work, env)


def test_every_block_is_run_or_says_why() -> None:
    """A python or bash block is run, or carries a skip with a reason; directives are known."""
    seen = 0
    for page in pages():
        for block in blocks(page):
            if block.lang in RUNNABLE:
                seen += 1
                assert block.directive != "skip" or block.arg.strip(), block.where
                assert block.directive != "file", f"{block.where}: file on a {block.lang} block"
    assert seen > 10, f"only {seen} runnable blocks found under docs/: is the parser broken?"
