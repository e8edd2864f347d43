"""Pure URL helpers shared by the hook, the extra link and the asset events (no I/O)."""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit

API_PATH = "/api/v1"


def build_base_url(
    host: str | None, *, port: int | None = None, schema: str | None = None
) -> str | None:
    """Turn the connection's host/port/schema into the API base URL (``None`` = cloud default).

    ``host`` may be a full URL (``https://ap.example.com/api/v1``, what the form asks for) or a
    bare host name (what a URI connection such as ``activepieces://:KEY@ap.example.com`` yields);
    a URL without a path gets the public ``/api/v1`` prefix so both spellings reach the API.
    """
    if not host or not host.strip():
        return None
    raw = host.strip()
    if "://" not in raw:
        raw = f"https://{raw}"
    parts = urlsplit(raw)
    netloc = parts.netloc
    if port and parts.port is None:
        netloc = f"{netloc}:{port}"
    path = parts.path.rstrip("/")
    if not path:
        path = "/" + schema.strip("/") if schema and schema.strip("/") else API_PATH
    return urlunsplit((parts.scheme, netloc, path, "", ""))


def app_origin(base_url: str) -> str:
    """``scheme://host[:port]`` of the Activepieces web app serving ``base_url``."""
    parts = urlsplit(base_url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def project_ui_url(base_url: str, project_id: str) -> str:
    """Link to a project's flows page in the Activepieces web app."""
    return f"{app_origin(base_url)}/projects/{quote(project_id, safe='')}/flows"


def project_asset_uri(base_url: str, external_id: str) -> str:
    """Asset URI ``activepieces://<host>/projects/<external_id>`` of a tenant project."""
    host = urlsplit(base_url).netloc
    return f"activepieces://{host}/projects/{quote(external_id, safe='')}"
