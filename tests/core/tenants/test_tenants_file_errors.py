"""What a broken tenant file says: the file and line of a syntax error (not a row), and the
field a mistyped key most likely meant. Through `load_document` and ``tenants validate``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from activepieces_core.cli import ExitCode, app
from activepieces_core.tenants import TenantSpecError, load_document

runner = CliRunner()

#: Line 2 has a second ``key: value`` inside a plain value.
BAD_YAML = "- external_id: acme\n  display_name: Acme: Corp\n"


def _error(path: Path) -> TenantSpecError:
    with pytest.raises(TenantSpecError) as caught:
        load_document(path)
    return caught.value


def test_a_yaml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "tenants.yaml"
    path.write_text(BAD_YAML)
    err = _error(path)
    assert str(err) == f"{path}, line 2: invalid YAML: mapping values are not allowed here"
    assert err.errors == [{"row": None, "external_id": None, "errors": [str(err)]}]
    assert isinstance(err, ValueError)


def test_a_json_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "tenants.json"
    path.write_text('[\n  {"external_id": "acme",}\n]\n')
    assert str(_error(path)).startswith(f"{path}, line 2: invalid JSON: ")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"colour": "RED"}, "unknown field 'colour' (did you mean 'icon_color'?)"),
        ({"iconColor": "RED"}, "unknown field 'iconColor' (did you mean 'icon_color'?)"),
        ({"ICON-COLOR": "RED"}, "unknown field 'ICON-COLOR' (did you mean 'icon_color'?)"),
        ({"DisplayName": "Acme"}, "unknown field 'DisplayName' (did you mean 'display_name'?)"),
        ({"piece": ["slack"]}, "unknown field 'piece' (did you mean 'pieces'?)"),
        ({"zzzz": 1}, "unknown field 'zzzz'"),  # nothing close: no guess
        (
            {"members": [{"email": "ada@example.com", "rol": "Admin"}]},
            "unknown field 'members.0.rol' (did you mean 'role'?)",
        ),
    ],
)
def test_an_unknown_key_names_the_closest_field(
    tmp_path: Path, row: dict[str, Any], message: str
) -> None:
    path = tmp_path / "tenants.json"
    path.write_text(json.dumps([{"external_id": "acme", **row}]))
    err = _error(path)
    assert err.errors == [{"row": 0, "external_id": "acme", "errors": [message]}]
    assert str(err) == f"1 invalid tenant row(s):\n  row 0 (acme): {message}"


def test_unknown_keys_of_piece_sets_and_csv_headers(tmp_path: Path) -> None:
    path = tmp_path / "tenants.yaml"
    path.write_text("tenants: [{external_id: a}]\npiece_sets: [{key: gold, alow: [slack]}]\n")
    assert _error(path).errors[0]["errors"] == ["unknown field 'alow' (did you mean 'allow'?)"]
    path = tmp_path / "tenants.csv"
    path.write_text("external_id,colour\nacme,RED\n")
    assert _error(path).errors[0]["errors"] == [
        "unknown field 'colour' (did you mean 'icon_color'?)"
    ]


def _validate(emu: Any, path: Path) -> Any:
    env = {"ACTIVEPIECES_URL": emu.url, "ACTIVEPIECES_API_KEY": emu.api_key}
    return runner.invoke(app, ["tenants", "validate", str(path)], env=env)


def test_tenants_validate_reports_the_file_and_the_field(
    activepieces_emulator: Any, tmp_path: Path
) -> None:
    emu = activepieces_emulator
    path = tmp_path / "tenants.yaml"
    path.write_text(BAD_YAML)
    res = _validate(emu, path)
    assert res.exit_code == ExitCode.USAGE, res.output
    assert f"{path}, line 2: invalid YAML: mapping values are not allowed here" in res.stderr
    assert "row" not in res.stderr

    path.write_text("- external_id: acme\n  colour: RED\n")
    res = _validate(emu, path)
    assert res.exit_code == ExitCode.USAGE, res.output
    assert "row 0 (acme): unknown field 'colour' (did you mean 'icon_color'?)" in res.stderr

    # planning the same file refuses it before any request
    env = {"ACTIVEPIECES_URL": emu.url, "ACTIVEPIECES_API_KEY": emu.api_key}
    res = runner.invoke(app, ["tenants", "plan", str(path)], env=env)
    assert res.exit_code == ExitCode.USAGE, res.output
    assert len(emu.requests) == 0
