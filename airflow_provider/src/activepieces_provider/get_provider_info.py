"""Provider metadata for Airflow's provider manager.

Kept import-light on purpose: Airflow calls this in every process that discovers providers
(even ``import airflow.sdk`` does, to read provider configuration), so it must not import the
hook, any Airflow module, httpx or pydantic; ``activepieces_core.constants`` is import-free.
"""

from __future__ import annotations

from typing import Any

from activepieces_core.constants import CLOUD_URL, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, RETRY_DOC
from activepieces_provider._version import __version__

# Shared with ``ActivepiecesHook.get_ui_field_behaviour`` (Airflow < 3.2 reads the hook method).
# Placeholders only for host/schema/login/password/port: Airflow treats any other placeholder
# key as an extra field and prefixes it (``description`` -> ``extra__activepieces__description``),
# so the form never shows it. ``description`` takes relabeling and hiding as they are.
UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": ["login", "schema", "port"],
    "relabeling": {
        "host": "Base URL",
        "password": "API Key",
        "description": "Description (which platform, whose API key)",
    },
    "placeholders": {"host": CLOUD_URL, "password": "sk-... (API key of a platform admin)"},
}

CONN_FIELDS: dict[str, Any] = {
    "timeout": {
        "label": "Timeout (seconds)",
        "description": "Per-request timeout of the HTTP client.",
        "schema": {"type": ["number", "null"], "default": DEFAULT_TIMEOUT, "minimum": 1},
    },
    "max_retries": {
        "label": "Max retries",
        "description": f"Retries per request. {RETRY_DOC}",
        "schema": {
            "type": ["integer", "null"],
            "default": DEFAULT_MAX_RETRIES,
            "minimum": 0,
            "maximum": 20,
        },
    },
    "verify": {
        "label": "Verify TLS certificates",
        "description": "Disable only for self-hosted instances with self-signed certificates.",
        "schema": {"type": ["boolean", "null"], "default": True},
    },
}

_PKG = "activepieces_provider"


def get_provider_info() -> dict[str, Any]:
    """Return the provider description consumed by ``airflow providers ...``."""
    integration = "Activepieces"
    return {
        "package-name": "airflow-provider-activepieces",
        "name": "Activepieces",
        "description": "Manage Activepieces tenant projects from Airflow.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": integration,
                "external-doc-url": "https://www.activepieces.com/docs/endpoints/projects/create",
                "tags": ["service"],
            }
        ],
        "hooks": [
            {"integration-name": integration, "python-modules": [f"{_PKG}.hooks.activepieces"]}
        ],
        "operators": [
            {
                "integration-name": integration,
                "python-modules": [
                    f"{_PKG}.operators.projects",
                    f"{_PKG}.operators.contents",
                    f"{_PKG}.operators.tenants",
                    f"{_PKG}.operators.piece_sets",
                    f"{_PKG}.operators.members",
                    f"{_PKG}.operators.approval",
                    f"{_PKG}.operators.archives",
                ],
            }
        ],
        "sensors": [
            {"integration-name": integration, "python-modules": [f"{_PKG}.sensors.projects"]}
        ],
        "triggers": [
            {"integration-name": integration, "python-modules": [f"{_PKG}.triggers.projects"]}
        ],
        "connection-types": [
            {
                "connection-type": "activepieces",
                "hook-class-name": f"{_PKG}.hooks.activepieces.ActivepiecesHook",
                "hook-name": "Activepieces",
                "ui-field-behaviour": UI_FIELD_BEHAVIOUR,
                "conn-fields": CONN_FIELDS,
            }
        ],
        "extra-links": [f"{_PKG}.links.projects.ActivepiecesProjectLink"],
    }
