"""Provider metadata for Airflow's provider manager (kept import-light on purpose)."""

from __future__ import annotations

from typing import Any


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "airflow-provider-activepieces",
        "name": "Activepieces",
        "description": "Manage Activepieces tenant projects from Airflow.",
        "versions": ["0.1.0"],
    }
