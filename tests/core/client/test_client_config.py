"""Configuration: URL normalisation, environment, headers, and the key never leaking."""

from __future__ import annotations

import logging
import pickle
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from activepieces_core import (
    DEFAULT_BASE_URL,
    ActivepiecesClient,
    AsyncActivepiecesClient,
    ClientConfig,
    __version__,
)
from activepieces_core.errors import InvalidRequestError

KEY = "sk-" + "Z" * 61


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, DEFAULT_BASE_URL),
        ("", DEFAULT_BASE_URL),
        ("https://ap.example.com", "https://ap.example.com/api/v1"),
        ("https://ap.example.com/", "https://ap.example.com/api/v1"),
        ("https://ap.example.com/api/v1", "https://ap.example.com/api/v1"),
        ("https://ap.example.com/api/v1/", "https://ap.example.com/api/v1"),
        ("http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1"),
        ("  https://cloud.activepieces.com/api/v1/  ", DEFAULT_BASE_URL),
    ],
)
def test_base_url_is_normalised(given: str | None, expected: str) -> None:
    assert ClientConfig(api_key=KEY, base_url=given).base_url == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["ftp://x", "cloud.activepieces.com", "https://"])
def test_bad_base_url_is_refused(bad: str) -> None:
    with pytest.raises(InvalidRequestError, match="base_url"):
        ActivepiecesClient(api_key=KEY, base_url=bad)


def test_missing_key_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="api_key"):
        ActivepiecesClient(api_key="  ")
    with pytest.raises(InvalidRequestError, match="api_key"):
        ActivepiecesClient()


def test_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTIVEPIECES_API_KEY", KEY)
    monkeypatch.setenv("ACTIVEPIECES_URL", "https://ap.example.com/")
    with ActivepiecesClient.from_env(timeout=3.0) as client:
        assert client.config.base_url == "https://ap.example.com/api/v1"
        assert client.config.api_key.get_secret_value() == KEY
        assert client.config.timeout == 3.0
    monkeypatch.delenv("ACTIVEPIECES_URL")
    assert ClientConfig.from_env().base_url == DEFAULT_BASE_URL
    monkeypatch.delenv("ACTIVEPIECES_API_KEY")
    with pytest.raises(ValueError, match="ACTIVEPIECES_API_KEY"):
        ActivepiecesClient.from_env()


async def test_async_from_config_shares_the_config() -> None:
    with ActivepiecesClient(api_key=SecretStr(KEY), timeout=7, max_retries=1) as sync_client:
        async with AsyncActivepiecesClient.from_config(sync_client.config) as async_client:
            assert async_client.config == sync_client.config
            assert async_client.config.timeout == 7


def test_headers_user_agent_and_extra_headers() -> None:
    config = ClientConfig(api_key=KEY, headers={"X-Team": "ops"})
    headers = config.request_headers()
    assert headers["User-Agent"] == (
        f"activepieces-core/{__version__} (python-httpx/{httpx.__version__})"
    )
    assert headers["X-Team"] == "ops"
    assert headers["Authorization"] == f"Bearer {KEY}"
    with pytest.raises(ValueError, match="Authorization"):
        ClientConfig(api_key=KEY, headers={"authorization": "Bearer other"})


def test_key_never_in_repr_str_or_pickle_of_config_and_clients() -> None:
    config = ClientConfig(api_key=KEY)
    client = ActivepiecesClient(config=config)
    try:
        texts = [repr(config), str(config), repr(client), str(client), repr(config.api_key)]
        texts.append(str(config.model_dump()))
        texts.append(config.model_dump_json())
        assert all(KEY not in text for text in texts)
    finally:
        client.close()
    assert KEY not in repr(pickle.loads(pickle.dumps(config)))


def test_key_never_in_logs(emu: Any, caplog: pytest.LogCaptureFixture) -> None:
    emu.faults.script("list", 1, "503")
    caplog.set_level(logging.DEBUG)
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url, sleep=lambda _: None) as client:
        client.projects.list()
        with pytest.raises(Exception) as info:
            client.projects.get("x" * 21)
    assert "retrying after attempt 1" in caplog.text
    assert "GET /api/v1/projects" in caplog.text
    assert emu.api_key not in caplog.text
    assert emu.api_key not in str(info.value)
    assert emu.api_key not in repr(info.value)


@pytest.mark.parametrize(
    ("env", "url", "expected"),
    [
        ({}, "https://ap.example.com/api/v1", None),
        ({"HTTPS_PROXY": "http://proxy:3128"}, "https://ap.example.com/api/v1", "proxy"),
        ({"HTTPS_PROXY": "http://proxy:3128"}, "http://ap.example.com/api/v1", None),
        ({"ALL_PROXY": "http://proxy:3128"}, "http://ap.example.com/api/v1", "proxy"),
        (
            {"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "ap.example.com"},
            "https://ap.example.com/api/v1",
            None,
        ),
    ],
)
def test_async_client_takes_proxies_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], url: str, expected: str | None
) -> None:
    from activepieces_core._aiohttp import env_proxy

    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    proxy = env_proxy(url)
    assert (proxy.url.host if proxy else None) == expected


def test_async_backend_is_validated() -> None:
    with pytest.raises(InvalidRequestError, match="async_backend"):
        AsyncActivepiecesClient(api_key=KEY, async_backend="curl")  # type: ignore[arg-type]
