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
from prefect.testing.standard_test_suites import BlockStandardTestSuite
from pydantic import SecretStr

import prefect_activepieces
from activepieces_core.constants import CLOUD_URL, RETRY_DOC
from activepieces_core.errors import APIError
from prefect_activepieces import ActivepiecesCredentials
from prefect_activepieces.credentials import resolve_credentials


class TestBlockStandards(BlockStandardTestSuite):
    """Prefect's own checks for published blocks: description, docs URL, field docs, example."""

    @pytest.fixture
    def block(self) -> type[Block]:
        return ActivepiecesCredentials

    def test_has_a_valid_image(self, block: type[Block]) -> None:
        # The suite's version downloads the logo and opens it with Pillow (skipped without it);
        # the logo is Activepieces' own SVG, which Pillow cannot read. Check what can be checked
        # offline: an https URL of an image.
        logo = str(block._logo_url)
        assert logo.startswith("https://")
        assert logo.endswith((".svg", ".png"))


def test_block_metadata() -> None:
    cls = ActivepiecesCredentials
    assert cls.get_block_type_slug() == "activepieces-credentials"
    assert cls.get_block_type_name() == "Activepieces Credentials"
    example = cls.get_code_example()
    assert example is not None
    assert "from prefect_activepieces import ActivepiecesCredentials" in example
    assert cls.model_fields["api_key"].annotation is SecretStr


def test_catalog_description_is_prose_for_users() -> None:
    """The catalog shows `get_description()`: one paragraph, no code words or line breaks."""
    text = ActivepiecesCredentials.get_description()
    assert text is not None
    assert "\n" not in text
    assert text.endswith(".")
    for jargon in ("SecretStr", "`", "client", "repr", "Retry-After"):
        assert jargon not in text, jargon


def test_retry_description_is_cores() -> None:
    """The block says what core retries (a plain 500 only for reads), in core's words."""
    description = ActivepiecesCredentials.model_fields["max_retries"].description
    assert description is not None
    assert RETRY_DOC in description
    assert "5xx" not in description


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


def test_get_client_overrides_are_explicit(emulator: Any) -> None:
    """Overrides are typed keywords that take effect; anything else is an error, not ignored."""
    creds = ActivepiecesCredentials(base_url=emulator.url, api_key=emulator.api_key)
    emulator.faults.script(route="list", nth=1, kind="503")
    with creds.get_client(max_retries=0, timeout=2.5) as client:
        assert (client.config.max_retries, client.config.timeout) == (0, 2.5)
        with pytest.raises(APIError) as excinfo:  # not retried: the override took effect
            client.projects.get_by_external_id("anything")
    assert excinfo.value.status_code == 503
    with creds.get_client() as client:
        assert client.config.max_retries == creds.max_retries
    with pytest.raises(TypeError):
        creds.get_client("s3")  # type: ignore[arg-type, call-arg]
    with pytest.raises(TypeError):
        creds.get_client(client_type="s3")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        creds.get_async_client(retries=3)  # type: ignore[call-arg]


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
