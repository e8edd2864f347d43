"""The provider registers with Airflow: CLI listings, connection form, module paths."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
from typing import Any

import pytest

from activepieces_provider.get_provider_info import get_provider_info


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
    from airflow.providers_manager import _create_provider_info_schema_validator

    _create_provider_info_schema_validator().validate(get_provider_info())
    assert jsonschema  # installed with Airflow; the validator above uses it


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


def test_connection_form_behaviour() -> None:
    from airflow.providers_manager import ProvidersManager

    behaviour = ProvidersManager().field_behaviours["activepieces"]
    assert set(behaviour["hidden_fields"]) == {"login", "schema", "port"}
    assert behaviour["relabeling"] == {"host": "Base URL", "password": "API Key"}
    assert behaviour["placeholders"]["host"] == "https://cloud.activepieces.com/api/v1"


def test_hook_keeps_legacy_form_method() -> None:
    from activepieces_provider.hooks.activepieces import ActivepiecesHook

    legacy = ActivepiecesHook.get_ui_field_behaviour()
    assert legacy["relabeling"]["password"] == "API Key"
    assert "hidden_fields" in legacy
