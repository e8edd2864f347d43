"""``ActivepiecesHook``: turns an Airflow connection into the core Activepieces clients.

Also the provider's small pure helpers around it: the API base URL from the connection fields,
the project's web-app URL (extra link) and its asset URI.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit, urlunsplit

from airflow.sdk import BaseHook

from activepieces_core.constants import CLOUD_URL
from activepieces_core.parsing import is_blank, parse_bool
from activepieces_provider.get_provider_info import UI_FIELD_BEHAVIOUR

if TYPE_CHECKING:
    from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient


def build_base_url(
    host: str | None, *, port: int | None = None, schema: str | None = None
) -> str | None:
    """Turn the connection's host/port/schema into the API base URL (``None`` = cloud default).

    ``host`` may be a full URL (``https://ap.example.com/api/v1``, what the form asks for) or a
    bare host name (what a URI connection such as ``activepieces://:KEY@ap.example.com`` yields,
    taken as https). ``port`` and ``schema`` (as the path) fill in what ``host`` leaves out; the
    result is then core's `normalize_base_url`, the client's own rule (a URL without a path gets
    the public ``/api/v1`` prefix; not http(s) is a ``ValueError``).
    """
    if is_blank(host):
        return None
    from activepieces_core.config import normalize_base_url

    raw = str(host).strip()
    if "://" not in raw:
        raw = f"https://{raw}"
    parts = urlsplit(raw)
    netloc = parts.netloc
    # Port 0 is what Airflow's form sends for "no port"; it never addresses anything.
    if port and parts.port is None:
        netloc = f"{netloc}:{port}"
    path = parts.path.rstrip("/")
    if not path and schema and schema.strip("/"):
        path = "/" + schema.strip("/")
    return normalize_base_url(urlunsplit((parts.scheme, netloc, path, "", "")))


def project_ui_url(base_url: str, project_id: str) -> str:
    """Link to a project's flows page in the Activepieces web app serving ``base_url``."""
    parts = urlsplit(base_url)
    origin = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    return f"{origin}/projects/{quote(project_id, safe='')}/flows"


def project_asset_uri(base_url: str, external_id: str) -> str:
    """Asset URI ``activepieces://<host>/projects/<external_id>`` of a tenant project."""
    host = urlsplit(base_url).netloc
    return f"activepieces://{host}/projects/{quote(external_id, safe='')}"


def _extra_dict(raw: str | None) -> dict[str, Any]:
    """Parse ``Connection.extra`` without the synchronous secret-masking step of ``extra_dejson``.

    The extras read here (timeout, retries, TLS) are not secrets, and skipping that step keeps
    the parse safe inside a triggerer's event loop.
    """
    if not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        raise ValueError("Activepieces connection extra is not valid JSON") from exc
    if not isinstance(parsed, dict):
        return {}
    # Older connection forms stored custom fields as ``extra__<conn_type>__<field>``.
    prefix = f"extra__{ActivepiecesHook.conn_type}__"
    legacy = {k[len(prefix) :]: v for k, v in parsed.items() if k.startswith(prefix)}
    return {**legacy, **{k: v for k, v in parsed.items() if not k.startswith(prefix)}}


class ActivepiecesHook(BaseHook):
    """Build sync and async Activepieces clients from an Airflow connection.

    Connection fields: ``host`` = API base URL (empty = Activepieces Cloud), ``password`` = API
    key; extras ``timeout`` (seconds), ``max_retries`` and ``verify`` (TLS). Nothing is resolved
    until a client is requested, so constructing the hook is free.

    :meth:`get_conn` returns one client per hook, reused (with its connection pool) until
    :meth:`close`; the operators and the sensor close it when their task ends.

    :param activepieces_conn_id: Airflow connection id.
    :param client_options: keyword arguments for the client overriding the connection's extras
        (e.g. ``{"timeout": 10, "max_retries": 0}``).
    """

    conn_name_attr = "activepieces_conn_id"
    default_conn_name = "activepieces_default"
    conn_type = "activepieces"
    hook_name = "Activepieces"

    def __init__(
        self,
        activepieces_conn_id: str = default_conn_name,
        *,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.activepieces_conn_id = activepieces_conn_id
        self.client_options = dict(client_options or {})
        self._base_url: str | None = None

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Connection form for Airflow < 3.2 (newer versions read ``get_provider_info``)."""
        return {key.replace("-", "_"): value for key, value in UI_FIELD_BEHAVIOUR.items()}

    def _client_kwargs(self, conn: Any) -> dict[str, Any]:
        """Client constructor arguments from a connection, its key registered with the masker.

        Shared by the sync and async paths. Synchronous: ``mask_secret`` may block on the
        supervisor, so the async path runs it in a worker thread.
        """
        from airflow.sdk.log import mask_secret

        if not conn.password:
            raise ValueError(
                f"Airflow connection {self.activepieces_conn_id!r} has no API key: "
                "put the Activepieces API key in its password field"
            )
        extra = _extra_dict(conn.extra)
        kwargs: dict[str, Any] = {"api_key": conn.password}
        base_url = build_base_url(conn.host, port=conn.port, schema=conn.schema)
        if base_url:
            kwargs["base_url"] = base_url
        if not is_blank(extra.get("timeout")):
            kwargs["timeout"] = float(extra["timeout"])
        if not is_blank(extra.get("max_retries")):
            kwargs["max_retries"] = int(extra["max_retries"])
        if not is_blank(extra.get("verify")):
            try:
                kwargs["verify"] = parse_bool(extra["verify"])
            except ValueError as exc:
                raise ValueError(f"connection extra 'verify': {exc}") from None
        kwargs.update(self.client_options)
        # The lookup masks the connection's password already; a key given by client_options
        # is only masked here.
        mask_secret(kwargs["api_key"])
        self._base_url = kwargs.get("base_url") or CLOUD_URL
        return kwargs

    @cached_property
    def client(self) -> ActivepiecesClient:
        """The hook's synchronous client, built on first use (see :meth:`get_conn`)."""
        return self.get_client()

    def get_conn(self) -> ActivepiecesClient:
        """The hook's client: built once, then reused until :meth:`close`."""
        return self.client

    def get_client(self) -> ActivepiecesClient:
        """A new synchronous client that the caller owns (use it as a context manager)."""
        from activepieces_core import ActivepiecesClient

        conn = self.get_connection(self.activepieces_conn_id)
        return ActivepiecesClient(**self._client_kwargs(conn))

    def close(self) -> None:
        """Close the client of :meth:`get_conn` (if one was built); the next call builds anew."""
        client = self.__dict__.pop("client", None)
        if client is not None:
            client.close()

    async def get_async_client(self) -> AsyncActivepiecesClient:
        """A new async client, resolving the connection through the async lookup.

        Safe inside a trigger: the synchronous ``get_connection`` (whose secret masking talks to
        the supervisor synchronously) never runs on the event loop. ``common.compat`` awaits
        ``aget_connection`` on Airflow >= 3.3.2 and runs the sync lookup in a worker thread
        before that. The key is masked in a worker thread: the synchronous ``mask_secret`` on the
        event loop raises ``DeadlockImminentError`` while another request to the supervisor is
        in flight (an async task) and needs greenback's portal in a triggerer.
        """
        from activepieces_core import AsyncActivepiecesClient

        conn = await _aget_connection(self.activepieces_conn_id)
        kwargs = await asyncio.to_thread(self._client_kwargs, conn)
        return AsyncActivepiecesClient(**kwargs)

    @property
    def base_url(self) -> str:
        """API base URL of the connection (resolved on first use)."""
        if self._base_url is None:
            self._client_kwargs(self.get_connection(self.activepieces_conn_id))
        return self._base_url or CLOUD_URL

    def project_url(self, project_id: str) -> str:
        """Link to the project in the Activepieces web app."""
        return project_ui_url(self.base_url, project_id)

    def project_asset_uri(self, external_id: str) -> str:
        """Asset URI ``activepieces://<host>/projects/<external_id>`` for the connection's host."""
        return project_asset_uri(self.base_url, external_id)

    def test_connection(self) -> tuple[bool, str]:
        """Authenticated, read-only probe (list one project); never raises."""
        try:
            with self.get_client() as client:
                client.projects.list(limit=1)
        except Exception as exc:
            return False, f"{type(exc).__name__}: {exc}"
        return True, f"Connected to {self.base_url}: the API key can list projects."


async def _aget_connection(conn_id: str) -> Any:
    """Async connection lookup that is safe on every supported Airflow.

    ``common.compat`` (shipped with Airflow) avoids the synchronous masking call that
    ``BaseHook.aget_connection`` makes before Airflow 3.3.2.
    """
    try:
        from airflow.providers.common.compat.connection import get_async_connection
    except ImportError:  # pragma: no cover - very old common-compat
        return await ActivepiecesHook.aget_connection(conn_id)
    return await get_async_connection(conn_id, hook=ActivepiecesHook)
