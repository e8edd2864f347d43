"""The exit codes are the numbers docs/cli.md (where the READMEs link) promises (a pipeline
branches on them), and the CLI never prints the API key, even when a gateway echoes it back."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from activepieces_core.cli import ExitCode, app
from activepieces_core.testing.faults import ECHO_KIND

ROOT = Path(__file__).resolve().parents[3]
runner = CliRunner()

#: docs/cli.md "Exit codes: 0 ok, 1 a tenant failed, ..." as numbers, by what each one means.
DOCUMENTED = {
    "OK": 0,
    "TENANT_FAILED": 1,
    "USAGE": 2,
    "AUTH": 3,
    "API": 4,
    "CONNECTION": 5,
    "REFUSED": 6,
    "STALE": 7,
}


def test_the_enum_has_the_documented_numbers() -> None:
    assert {code.name: int(code) for code in ExitCode} == DOCUMENTED


@pytest.mark.parametrize(
    ("readme", "words"),
    [
        (
            "docs/cli.md",
            {
                0: "ok",
                1: "a tenant failed",
                2: "bad usage or input",
                3: "authentication/authorization",
                4: "other API error",
                5: "connection error or timeout",
                6: "refused",
                7: "a stale saved",
            },
        ),
    ],
)
def test_the_readmes_say_these_numbers(readme: str, words: dict[int, str]) -> None:
    text = " ".join((ROOT / readme).read_text(encoding="utf-8").split())
    sentence = text[text.index("Exit codes: 0 ") :][:400]
    for number, meaning in words.items():
        assert re.search(rf"\b{number} \(?{re.escape(meaning)}", sentence), (number, meaning)


def _run(emu: Any, *args: str, key: str | None = None, stdin: str | None = None) -> Any:
    env = {"ACTIVEPIECES_URL": emu.url, "ACTIVEPIECES_API_KEY": key or emu.api_key}
    return runner.invoke(app, ["--max-retries", "0", *args], env=env, input=stdin)


def test_each_failure_exits_with_its_documented_number(
    activepieces_emulator: Any, tmp_path: Path
) -> None:
    emu = activepieces_emulator
    assert _run(emu, "projects", "list").exit_code == 0
    assert _run(emu, "projects", "list", "--limit", "abc").exit_code == 2
    assert _run(emu, "projects", "list", key="sk-" + "Q" * 61).exit_code == 3
    emu.faults.script("list", 1, "503")
    assert _run(emu, "projects", "list").exit_code == 4
    env = {"ACTIVEPIECES_API_KEY": emu.api_key}
    unreachable = ["--max-retries", "0", "--url", "http://127.0.0.1:9/api/v1", "projects", "list"]
    assert runner.invoke(app, unreachable, env=env).exit_code == 5
    made = emu.state.add_project("Gone", external_id="gone")
    assert _run(emu, "projects", "delete", made["id"], stdin="n\n").exit_code == 6  # declined
    tenants = tmp_path / "tenants.json"
    tenants.write_text('[{"external_id": "a"}]')
    plan = tmp_path / "plan.json"
    assert _run(emu, "tenants", "plan", str(tenants), "--out", str(plan)).exit_code == 0
    emu.state.add_project("A", external_id="a")  # the world moved: the saved plan is stale
    assert _run(emu, "tenants", "apply", str(plan), "--yes").exit_code == 7
    emu.state.reset()
    emu.faults.set("create", rate=1.0, kinds=["500"])  # every attempt: the tenant fails
    assert _run(emu, "tenants", "apply", str(tenants)).exit_code == 1


@pytest.mark.parametrize("output", ["table", "json"])
def test_an_echoing_gateway_never_gets_the_key_printed(
    activepieces_emulator: Any, output: str
) -> None:
    emu = activepieces_emulator
    emu.faults.script("list", 1, ECHO_KIND)
    res = _run(emu, "--output", output, "projects", "get", "--external-id", "acme")
    assert res.exit_code == 4, res.output
    assert "Bearer ***" in res.output
    assert emu.api_key not in res.output
    assert emu.api_key[3:15] not in res.output
