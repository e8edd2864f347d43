"""The provider registers with Airflow: CLI listings, connection form, module paths."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import subprocess
import sys
from typing import Any

import pytest

from activepieces_core.constants import CLOUD_URL, RETRY_DOC
from activepieces_provider.get_provider_info import get_provider_info
from activepieces_provider.hooks.activepieces import ActivepiecesHook


def _cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, Any]]:
    """Run an ``airflow`` CLI command in-process (the real parser and command) as JSON."""
    from airflow.cli import cli_parser

    capsys.readouterr()
    args = cli_parser.get_parser().parse_args([*argv, "--output", "json"])
    args.func(args)
    out = capsys.readouterr().out
    return list(json.loads(out[out.index("[") :]))


def test_package_name_matches_distribution() -> None:
    info = get_provider_info()
    dist = importlib.metadata.distribution("airflow-provider-activepieces")
    assert info["package-name"] == dist.metadata["Name"]
    entry_points = dist.entry_points.select(group="apache_airflow_provider")
    assert [ep.value for ep in entry_points] == [
        "activepieces_provider.get_provider_info:get_provider_info"
    ]


def test_provider_info_validates_against_airflow_schema() -> None:
    import jsonschema
    from airflow.providers_manager import (
        _create_customized_form_field_behaviours_schema_validator,
        _create_provider_info_schema_validator,
    )

    validator = _create_provider_info_schema_validator()
    info = get_provider_info()
    validator.validate(info)
    # The same validator refuses a malformed entry: the check above is a real one.
    broken = {**info, "connection-types": [{"connection-type": "activepieces"}]}
    with pytest.raises(jsonschema.ValidationError, match="hook-class-name"):
        validator.validate(broken)
    # The form behaviour also passes the schema Airflow applies before using it.
    behaviour = ActivepiecesHook.get_ui_field_behaviour()
    _create_customized_form_field_behaviours_schema_validator().validate(behaviour)


def test_versions_come_from_the_package_version() -> None:
    from activepieces_provider import _version

    assert get_provider_info()["versions"] == [_version.__version__]
    assert importlib.metadata.version("airflow-provider-activepieces") == _version.__version__


def test_provider_discovery_is_import_light() -> None:
    """Airflow runs ``get_provider_info`` in every process, even for ``import airflow.sdk``."""
    probe = (
        "import sys, json\n"
        "from activepieces_provider.get_provider_info import get_provider_info\n"
        "get_provider_info()\n"
        "heavy = ('httpx', 'pydantic', 'airflow', 'activepieces_core.client')\n"
        "print(json.dumps(sorted(m for m in heavy if m in sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []


def test_declared_modules_and_classes_import() -> None:
    info = get_provider_info()
    modules = [
        module
        for key in ("hooks", "operators", "sensors", "triggers")
        for entry in info[key]
        for module in entry["python-modules"]
    ]
    for module in modules:
        importlib.import_module(module)
    for path in [info["connection-types"][0]["hook-class-name"], *info["extra-links"]]:
        module, _, name = path.rpartition(".")
        assert hasattr(importlib.import_module(module), name)


def test_cli_lists_provider_hook_and_behaviours(capsys: pytest.CaptureFixture[str]) -> None:
    providers = _cli_json(capsys, "providers", "list")
    assert any(p["package_name"] == "airflow-provider-activepieces" for p in providers)

    hooks = {h["connection_type"]: h for h in _cli_json(capsys, "providers", "hooks")}
    assert (
        hooks["activepieces"]["class"]
        == "activepieces_provider.hooks.activepieces.ActivepiecesHook"
    )
    assert hooks["activepieces"]["conn_id_attribute_name"] == "activepieces_conn_id"
    assert hooks["activepieces"]["hook_name"] == "Activepieces"

    behaviours = _cli_json(capsys, "providers", "behaviours")
    assert {"field_behaviours": "activepieces"} in behaviours

    widgets = {w["connection_parameter_name"] for w in _cli_json(capsys, "providers", "widgets")}
    assert {
        "extra__activepieces__timeout",
        "extra__activepieces__max_retries",
        "extra__activepieces__verify",
    } <= widgets


def test_cli_lists_trigger_and_extra_link(capsys: pytest.CaptureFixture[str]) -> None:
    from airflow.providers_manager import ProvidersManager

    triggers = _cli_json(capsys, "providers", "triggers")
    assert any("activepieces_provider.triggers.projects" in json.dumps(t) for t in triggers), (
        triggers
    )
    links = ProvidersManager().extra_links_class_names
    assert "activepieces_provider.links.projects.ActivepiecesProjectLink" in links


def _hook_meta() -> dict[str, Any]:
    """The api-server's ``GET /ui/connections/hook_meta`` answer for the activepieces type.

    The route function itself, run in-process: the same ProvidersManager processing (prefixing,
    YAML conn-fields) that feeds the UI's connection form.
    """
    from airflow.api_fastapi.core_api.routes.ui.connections import hook_meta_data

    found = [m for m in hook_meta_data() if m.connection_type == "activepieces"]
    assert len(found) == 1
    return found[0].model_dump(mode="json")


def test_connection_form_through_hook_meta() -> None:
    meta = _hook_meta()
    assert meta["hook_name"] == "Activepieces"
    fields = meta["standard_fields"]
    assert fields["host"] == {"hidden": False, "title": "Base URL", "placeholder": CLOUD_URL}
    assert fields["password"]["title"] == "API Key"
    assert fields["password"]["placeholder"].startswith("sk-")
    for hidden in ("login", "url_schema", "port"):
        assert fields[hidden]["hidden"] is True
    # Regression: a "description" placeholder was prefixed into an extra field by Airflow and
    # the form lost the hint (hook_meta gave null). Relabeling reaches the field.
    assert fields["description"] == {
        "hidden": False,
        "title": "Description (which platform, whose API key)",
        "placeholder": None,
    }
    extra = meta["extra_fields"]
    assert set(extra) == {"timeout", "max_retries", "verify"}
    assert extra["max_retries"]["schema"]["title"] == "Max retries"
    assert extra["verify"]["schema"]["type"] == ["boolean", "null"]


def test_no_placeholder_becomes_a_phantom_extra_field() -> None:
    from airflow.providers_manager import ProvidersManager

    behaviour = ProvidersManager().field_behaviours["activepieces"]
    assert set(behaviour["placeholders"]) <= {"host", "schema", "login", "password", "port"}


def test_max_retries_says_what_core_retries() -> None:
    description = get_provider_info()["connection-types"][0]["conn-fields"]["max_retries"][
        "description"
    ]
    assert RETRY_DOC in description
    assert "5xx" not in description
    assert RETRY_DOC in _hook_meta()["extra_fields"]["max_retries"]["description"]


def test_hook_keeps_legacy_form_method() -> None:
    legacy = ActivepiecesHook.get_ui_field_behaviour()
    assert legacy["relabeling"]["password"] == "API Key"
    assert set(legacy) == {"hidden_fields", "relabeling", "placeholders"}
