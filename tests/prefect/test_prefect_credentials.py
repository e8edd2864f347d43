"""The credentials block: metadata, save/load round trip, registration, clients."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from typing import Any

import pytest
from prefect.blocks.core import Block
from prefect.client.orchestration import get_client
from prefect.testing.cli import invoke_and_assert
from pydantic import SecretStr

import prefect_activepieces
from prefect_activepieces import ActivepiecesCredentials
from prefect_activepieces.credentials import CLOUD_URL, resolve_credentials


def test_block_metadata() -> None:
    cls = ActivepiecesCredentials
    assert cls.get_block_type_slug() == "activepieces-credentials"
    assert cls.get_block_type_name() == "Activepieces Credentials"
    assert str(cls._logo_url).startswith("https://")
    assert str(cls._documentation_url).startswith("https://")
    assert cls.get_description()
    example = cls.get_code_example()
    assert example is not None
    assert "from prefect_activepieces import ActivepiecesCredentials" in example
    assert 'ActivepiecesCredentials.load("BLOCK_NAME")' in example
    # Prefect's block standards: every field is described, each description a sentence.
    for name, field in cls.model_fields.items():
        assert field.description, name
        assert field.description.endswith("."), name
    assert cls.model_fields["api_key"].annotation is SecretStr


def test_block_exported_at_top_level_and_collection_entry_point() -> None:
    blocks = [
        v
        for v in vars(prefect_activepieces).values()
        if isinstance(v, type) and issubclass(v, Block)
    ]
    assert blocks == [ActivepiecesCredentials]
    entry_points = importlib.metadata.entry_points(group="prefect.collections")
    assert any(ep.value == "prefect_activepieces" for ep in entry_points)


def test_defaults_and_config() -> None:
    creds = ActivepiecesCredentials(api_key="sk-test-secret-value")
    assert creds.base_url == CLOUD_URL
    config = creds.get_config()
    assert config.api_key.get_secret_value() == "sk-test-secret-value"
    assert config.base_url.rstrip("/") == CLOUD_URL
    assert config.timeout == creds.timeout
    assert config.max_retries == creds.max_retries
    assert "sk-test-secret-value" not in repr(creds)
    assert "sk-test-secret-value" not in str(creds)


def test_cli_registration() -> None:
    invoke_and_assert(
        ["block", "register", "-m", "prefect_activepieces"],
        expected_code=0,
        expected_output_contains="Successfully registered 1 block",
    )
    with get_client(sync_client=True) as client:
        block_type = client.read_block_type_by_slug("activepieces-credentials")
        schema = client.get_most_recent_block_schema_for_block_type(block_type.id)
    assert block_type.name == "Activepieces Credentials"
    assert block_type.logo_url is not None
    assert schema is not None
    assert schema.fields["secret_fields"] == ["api_key"]
    assert set(schema.fields["properties"]) >= {
        "base_url",
        "api_key",
        "timeout",
        "max_retries",
        "verify",
    }


def test_save_load_round_trip(emulator: Any) -> None:
    creds = ActivepiecesCredentials(
        base_url=emulator.url, api_key=emulator.api_key, timeout=7.5, max_retries=1, verify=False
    )
    creds.save("round-trip", overwrite=True)
    loaded = ActivepiecesCredentials.load("round-trip")
    assert loaded.base_url == emulator.url
    assert loaded.api_key.get_secret_value() == emulator.api_key
    assert (loaded.timeout, loaded.max_retries, loaded.verify) == (7.5, 1, False)
    # Also by slug-qualified name, and through the helper flows use.
    assert Block.load("activepieces-credentials/round-trip").base_url == emulator.url
    assert resolve_credentials("round-trip").api_key == loaded.api_key
    with pytest.raises(ValueError, match="already in use"):
        creds.save("round-trip")


def test_clients_reach_the_emulator(emulator: Any) -> None:
    creds = ActivepiecesCredentials(base_url=emulator.url, api_key=emulator.api_key)
    emulator.state.add_project("Seeded", external_id="seeded")
    with creds.get_client() as client:
        assert client.projects.get_by_external_id("seeded") is not None


async def test_async_client_and_aload(emulator: Any) -> None:
    creds = ActivepiecesCredentials(base_url=emulator.url, api_key=emulator.api_key)
    await creds.asave("async-round-trip", overwrite=True)
    loaded = await ActivepiecesCredentials.aload("async-round-trip")
    emulator.state.add_project("Seeded", external_id="seeded")
    async with loaded.get_async_client() as client:
        project = await client.projects.get_by_external_id("seeded")
    assert project is not None
    assert project.display_name == "Seeded"


def test_package_import_loads_only_the_block() -> None:
    """Prefect imports every collection at server/worker start: flows stay unloaded until used."""
    code = (
        "import sys, prefect_activepieces as p; "
        "assert 'prefect_activepieces.flows' not in sys.modules; "
        "assert 'prefect_activepieces.projects' not in sys.modules; "
        "p.sync_tenants; p.create_project; "
        "assert 'prefect_activepieces.flows' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
