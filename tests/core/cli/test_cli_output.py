"""CLI output at platform scale: a capped sample by default, everything on request, progress."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from activepieces_core.cli import ExitCode, app
from activepieces_core.cli.tenants import SAMPLE

runner = CliRunner()
N = SAMPLE + 15


def run(emu: Any, *args: str) -> Any:
    env = {"ACTIVEPIECES_URL": emu.url, "ACTIVEPIECES_API_KEY": emu.api_key}
    return runner.invoke(app, list(args), env=env)


def _doc(tmp_path: Path, n: int = N) -> Path:
    path = tmp_path / "tenants.csv"
    path.write_text(
        "external_id,display_name\n" + "".join(f"t{i:03d},Tenant {i}\n" for i in range(n))
    )
    return path


def _rows_naming(output: str, prefix: str = "t0") -> int:
    return sum(1 for line in output.splitlines() if f" {prefix}" in line)


def test_plan_shows_a_sample_and_says_how_many_more(
    activepieces_emulator: Any, tmp_path: Path
) -> None:
    emu = activepieces_emulator
    doc = _doc(tmp_path)
    res = run(emu, "tenants", "plan", str(doc))
    assert res.exit_code == 0, res.output
    assert _rows_naming(res.stdout) == SAMPLE
    assert f"... and {N - SAMPLE} more change(s) not shown" in res.stdout
    assert f"{N} to create" in res.stdout

    res = run(emu, "tenants", "plan", str(doc), "--full")
    assert _rows_naming(res.stdout) == N
    assert "more change(s)" not in res.stdout

    report = tmp_path / "plan-report.json"
    res = run(emu, "tenants", "plan", str(doc), "--report", str(report))
    assert _rows_naming(res.stdout) == SAMPLE
    assert len(json.loads(report.read_text())["changes"]) == N


def test_apply_shows_every_failure_and_a_sample_of_the_rest(
    activepieces_emulator: Any, tmp_path: Path
) -> None:
    emu = activepieces_emulator
    n = N + 3
    for i in range(n):
        emu.state.add_project(f"Tenant {i}", external_id=f"t{i:03d}")
    doc = tmp_path / "tenants.csv"
    doc.write_text(
        "external_id,display_name\n" + "".join(f"t{i:03d},Renamed {i}\n" for i in range(n))
    )
    # Three updates fail: a plain 500 on a write is not retried (it may have been applied).
    for nth in (2, 9, 30):
        emu.faults.script(route="update", nth=nth, kind="500")
    report_path = tmp_path / "report.json"
    res = run(emu, "tenants", "apply", str(doc), "--concurrency", "1", "--report", str(report_path))
    assert res.exit_code == ExitCode.TENANT_FAILED, res.output
    failed_lines = [line for line in res.stdout.splitlines() if "failed" in line.lower()]
    report = json.loads(report_path.read_text())
    failed = [r["external_id"] for r in report["results"] if r["status"] == "failed"]
    assert len(failed) == 3
    for ext in failed:  # every failure is shown
        assert any(ext in line for line in res.stdout.splitlines()), ext
    assert f"{n - 3} succeeded, 3 failed" in res.stdout
    assert f"... and {n - 3 - SAMPLE} more result(s) not shown" in res.stdout
    assert len(report["results"]) == n
    assert failed_lines

    res = run(emu, "-o", "json", "tenants", "plan", str(doc))
    assert json.loads(res.stdout)["summary"]["update"] == 3


def _run_in_terminal(
    emu: Any, args: list[str], answer: bytes | None = None, timeout: float = 120
) -> tuple[int, str]:
    """Run the console script with stdin/stdout/stderr on a pseudo-terminal."""
    master, slave = pty.openpty()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ACTIVEPIECES_")},
        "ACTIVEPIECES_URL": emu.url,
        "ACTIVEPIECES_API_KEY": emu.api_key,
        "TERM": "xterm-256color",
        "COLUMNS": "120",
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", "from activepieces_core.cli import main; main()", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    chunks: list[bytes] = []
    answered = answer is None
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
                if not answered and b"[y/N]" in b"".join(chunks):
                    os.write(master, answer or b"")
                    answered = True
            elif proc.poll() is not None:
                break
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return code, b"".join(chunks).decode("utf-8", "replace")


def test_on_a_terminal_adopt_asks_and_a_progress_bar_runs(
    activepieces_emulator: Any, tmp_path: Path
) -> None:
    emu = activepieces_emulator
    project = emu.state.add_project("Acme")["id"]
    doc = tmp_path / "tenants.yaml"
    doc.write_text("tenants: [{external_id: acme, display_name: Acme}]\n")

    code, out = _run_in_terminal(emu, ["tenants", "adopt", str(doc)], answer=b"n\n")
    assert code == ExitCode.REFUSED, out
    assert "Label 1 project(s) with their external id?" in out
    assert emu.state.get_project(project)["externalId"] is None

    code, out = _run_in_terminal(emu, ["tenants", "adopt", str(doc)], answer=b"y\n")
    assert code == 0, out
    assert emu.state.get_project(project)["externalId"] == "acme"
    assert "reading TEAM projects" in out  # the live progress display, on the terminal
    assert "1 succeeded" in out

    # Not on a terminal (and never with -o json): no progress display at all.
    res = run(emu, "tenants", "plan", str(doc))
    assert "planning" not in res.output
    assert "\x1b[?25l" not in res.output  # rich hides the cursor while a live display runs
