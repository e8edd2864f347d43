"""A teardown that deletes tenant projects and names no archive location is refused as bad
usage (exit 2, docs/cli.md) before the deletions are confirmed, not refused as unconfirmed
(exit 6)."""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner

from activepieces_core.cli import app


def test_teardown_without_archive_is_refused_before_confirming(
    activepieces_emulator: Any,
) -> None:
    emu = activepieces_emulator
    emu.state.add_project("Acme", external_id="acme")
    env = {"ACTIVEPIECES_URL": emu.url, "ACTIVEPIECES_API_KEY": emu.api_key, "COLUMNS": "250"}
    result = CliRunner().invoke(app, ["tenants", "teardown", "acme"], env=env)
    assert result.exit_code == 2, result.output
    assert "--no-archive" in result.output
    assert [p["externalId"] for p in emu.state.projects(types=["TEAM"])] == ["acme"]
