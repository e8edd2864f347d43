"""Client configuration: one frozen, validated object shared by the sync and async clients."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from activepieces_core._version import __version__
from activepieces_core.constants import (
    API_PREFIX,
    DEFAULT_BACKOFF_BASE,
    DEFAULT_BACKOFF_MAX,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    ENV_API_KEY,
    ENV_URL,
)

__all__ = ["API_PREFIX", "DEFAULT_BASE_URL", "ClientConfig", "normalize_base_url"]


def normalize_base_url(url: str | None) -> str:
    """``https://h``, ``https://h/``, ``https://h/api/v1/`` -> ``https://h/api/v1``.

    A URL that already has a path (e.g. ``https://h/v1`` behind a proxy that strips ``/api``,
    or ``http://h/api/v1``) is kept as given apart from the trailing slash; a bare host gets
    the public ``/api/v1`` prefix.
    """
    if url is None or not url.strip():
        return DEFAULT_BASE_URL
    text = url.strip().rstrip("/")
    if "://" not in text:
        raise ValueError(f"base_url must start with http:// or https://, got {text!r}")
    parsed = httpx.URL(text)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"base_url must be an http(s) URL with a host, got {text!r}")
    if parsed.path in ("", "/"):
        text += API_PREFIX
    return text


class ClientConfig(BaseModel):
    """Everything a client needs; frozen so one config can be shared by many clients.

    The API key is a `SecretStr`: it never shows in ``repr``/``str`` of this object.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    api_key: SecretStr
    base_url: str = DEFAULT_BASE_URL
    timeout: float = Field(default=DEFAULT_TIMEOUT, gt=0)
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0)
    backoff_base: float = Field(default=DEFAULT_BACKOFF_BASE, ge=0)
    backoff_max: float = Field(default=DEFAULT_BACKOFF_MAX, ge=0)
    verify: bool = True
    headers: Mapping[str, str] | None = None
    #: The async client's HTTP stack: "auto" is aiohttp under asyncio (about 4x less CPU per
    #: request than httpx's own transport) and httpx's anyio transport under trio.
    async_backend: Literal["auto", "aiohttp", "httpx"] = "auto"

    @field_validator("api_key", mode="before")
    @classmethod
    def _check_key(cls, value: Any) -> Any:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not isinstance(raw, str) or not raw.strip():
            raise ValueError("api_key is required (an Activepieces platform API key, sk-...)")
        return SecretStr(raw.strip())

    @field_validator("base_url", mode="before")
    @classmethod
    def _normalize_url(cls, value: Any) -> str:
        return normalize_base_url(value)

    @field_validator("headers")
    @classmethod
    def _no_auth_override(cls, value: Mapping[str, str] | None) -> Mapping[str, str] | None:
        if value and any(name.lower() == "authorization" for name in value):
            raise ValueError("headers must not set Authorization; pass api_key instead")
        return dict(value) if value is not None else None

    @classmethod
    def from_env(cls, **overrides: Any) -> ClientConfig:
        """Read ``ACTIVEPIECES_API_KEY`` and ``ACTIVEPIECES_URL``; keyword overrides win."""
        values: dict[str, Any] = {}
        if os.environ.get(ENV_API_KEY):
            values["api_key"] = os.environ[ENV_API_KEY]
        if os.environ.get(ENV_URL):
            values["base_url"] = os.environ[ENV_URL]
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "api_key" not in values:
            raise ValueError(f"no API key: set {ENV_API_KEY} or pass api_key")
        return cls(**values)

    @property
    def user_agent(self) -> str:
        """``activepieces-core/<version> (python-httpx/<version>)``."""
        return f"activepieces-core/{__version__} (python-httpx/{httpx.__version__})"

    def request_headers(self) -> dict[str, str]:
        """Default headers for every request, including the bearer token."""
        headers = {
            "Accept": "application/json",
            "User-Agent": self.user_agent,
            **(self.headers or {}),
            "Authorization": f"Bearer {self.api_key.get_secret_value()}",
        }
        return headers
