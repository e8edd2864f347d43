"""docs/saved-plans.md stays true: its JSON Schema accepts real plan files and only those."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
from typer.testing import CliRunner

from activepieces_core.cli import app

runner = CliRunner()
DOC = Path(__file__).resolve().parents[3] / "docs" / "saved-plans.md"


def _schema() -> dict[str, Any]:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"### JSON Schema.*?```json\n(.*?)```", text, re.S)
    assert block is not None, "docs/saved-plans.md has no JSON Schema block"
    schema: dict[str, Any] = json.loads(block.group(1))
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def test_real_plans_match_the_documented_schema(activepieces_emulator: Any, tmp_path: Path) -> None:
    emu = activepieces_emulator
    emu.state.add_project("Keep", external_id="keep")
    emu.state.add_project("Old", external_id="upd")
    emu.state.add_project("Gone", external_id="gone")
    emu.state.add_project("Hand made")
    doc = tmp_path / "tenants.yaml"
    doc.write_text(
        "tenants:\n  - {external_id: keep, display_name: Keep}\n"
        "  - {external_id: upd, display_name: New, pieces: [slack], metadata: {a: 1}}\n"
        "  - {external_id: new, icon_color: RED}\n  - {external_id: hm, display_name: Hand made}\n"
    )
    env = {"ACTIVEPIECES_URL": emu.url, "ACTIVEPIECES_API_KEY": emu.api_key}
    validator = jsonschema.Draft202012Validator(_schema())
    plans = []
    res = runner.invoke(app, ["-o", "json", "tenants", "plan", str(doc), "--prune"], env=env)
    assert res.exit_code == 0, res.output
    plans.append(json.loads(res.stdout))
    assert {c["action"] for c in plans[0]["changes"]} == {"create", "update", "delete", "noop"}
    adopt = tmp_path / "adopt.json"
    res = runner.invoke(app, ["tenants", "adopt", str(doc), "--out", str(adopt)], env=env)
    assert res.exit_code == 0, res.output
    plans.append(json.loads(adopt.read_text()))
    assert plans[1]["changes"]
    for data in plans:
        validator.validate(data)

    broken = dict(plans[0], surprise=True)
    assert not validator.is_valid(broken)
    wrong = json.loads(json.dumps(plans[0]))
    wrong["changes"][0]["action"] = "rename"
    assert not validator.is_valid(wrong)
