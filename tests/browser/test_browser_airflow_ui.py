"""The Airflow UI's Add Connection form for type Activepieces, in a real Chromium.

A real ``airflow api-server`` (SimpleAuthManager, every user an admin, SQLite in a temp home) on a
free loopback port. The test fills the form as a user would, saves it, and checks what Airflow
stored (the key encrypted with the home's Fernet key) and that the key never shows again.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser_support import LOG_TAIL, control, form_fields, submit
from cryptography.fernet import Fernet
from playwright.sync_api import expect
from service_processes import Service, clean_env, free_port, run_command

from activepieces_core.constants import CLOUD_URL
from activepieces_provider.get_provider_info import CONN_FIELDS, UI_FIELD_BEHAVIOUR

CONN_ID = "activepieces_browser"
STARTUP_TIMEOUT = 180.0


@dataclass
class AirflowUI:
    url: str
    db_path: Path
    fernet: Fernet

    def stored(self, conn_id: str) -> tuple[str, str]:
        """(password column as stored, password decrypted) straight from the metadata DB."""
        with sqlite3.connect(self.db_path) as db:
            row = db.execute(
                "SELECT password FROM connection WHERE conn_id = ?", (conn_id,)
            ).fetchone()
        assert row is not None, f"connection {conn_id!r} not in the metadata DB"
        raw: str = row[0]
        return raw, self.fernet.decrypt(raw.encode()).decode()

    def rest(self, conn_id: str) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/api/v2/connections/{conn_id}", timeout=10)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data


@pytest.fixture(scope="module")
def airflow_ui(chromium: str, server_dir: Path) -> Iterator[AirflowUI]:
    """``airflow db migrate`` then ``airflow api-server`` on 127.0.0.1, stopped at module end.

    Depends on ``chromium`` so that a machine without one skips before any server starts.
    """
    home = server_dir / "airflow"
    (home / "dags").mkdir(parents=True, exist_ok=True)
    fernet_key = Fernet.generate_key().decode()
    env = clean_env(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(home / "dags"),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        AIRFLOW__CORE__FERNET_KEY=fernet_key,
        AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_urlsafe(32),
        AIRFLOW__CORE__AUTH_MANAGER=(
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
        ),
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
    )
    airflow = [sys.executable, "-m", "airflow"]
    run_command(
        "airflow-db-migrate",
        [*airflow, "db", "migrate"],
        env=env,
        log_dir=server_dir,
        timeout=300,
        tail_lines=LOG_TAIL,
    )
    port = free_port()
    server = Service(
        "airflow-api-server",
        [*airflow, "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=env,
        log_dir=server_dir,
        tail_lines=LOG_TAIL,
    )
    try:
        server.start()
        url = f"http://127.0.0.1:{port}"
        server.wait_http(f"{url}/api/v2/monitor/health", timeout=STARTUP_TIMEOUT)
        yield AirflowUI(url, home / "airflow.db", Fernet(fernet_key.encode()))
    finally:
        server.stop()


def test_add_connection_form(airflow_ui: AirflowUI, page: Any, shots: Any, api_key: str) -> None:
    page.goto(f"{airflow_ui.url}/connections")
    page.get_by_role("button", name="Add Connection").click()
    dialog = page.get_by_role("dialog")
    dialog.locator('[name="connection_id"]').fill(CONN_ID)
    dialog.get_by_role("combobox").fill("Activepieces")
    page.get_by_role("option", name="Activepieces", exact=True).click()
    dialog.locator('[name="password"]').wait_for()

    # Standard fields: relabelled, with placeholders, the key a password input; the rest hidden.
    fields = form_fields(dialog)
    shots.take(page, "airflow-add-connection")
    by_name = {field["name"]: field for field in fields.values()}
    relabel, placeholders = UI_FIELD_BEHAVIOUR["relabeling"], UI_FIELD_BEHAVIOUR["placeholders"]
    assert (relabel["host"], relabel["password"]) == ("Base URL", "API Key")
    for name, label in relabel.items():
        assert by_name.get(name, {}).get("label") == label, f"{name}: {by_name.get(name)}"
    base_url, key = fields["Base URL"], fields["API Key"]
    assert (base_url["name"], base_url["placeholder"]) == ("host", CLOUD_URL)
    assert (key["name"], key["type"]) == ("password", "password")
    assert key["placeholder"] == placeholders["password"]
    # The Description's placeholder is being fixed elsewhere: only the field itself is checked.
    assert by_name.get("description", {}).get("tag") == "textarea", sorted(fields)
    for hidden in UI_FIELD_BEHAVIOUR["hidden-fields"]:
        assert hidden not in by_name, f"{hidden} is shown"
    control(dialog, "Base URL").fill("http://127.0.0.1:9/api/v1")
    control(dialog, "API Key").fill(api_key)

    # Extra fields: the provider's labels and defaults.
    dialog.get_by_role("button", name="Extra Fields", exact=True).click()
    dialog.locator('[name="element_timeout"]').wait_for()
    extras = form_fields(dialog)
    shots.take(page, "airflow-add-connection-extras")
    for name, spec in CONN_FIELDS.items():
        field = extras.get(spec["label"])
        assert field is not None, f"no field labelled {spec['label']!r}: {sorted(extras)}"
        assert field["name"] == f"element_{name}"
        default = spec["schema"]["default"]
        if isinstance(default, bool):
            assert (field["type"], field["checked"]) == ("checkbox", default)
        else:
            assert float(field["value"]) == default, (spec["label"], field["value"])
    control(dialog, CONN_FIELDS["max_retries"]["label"]).fill("7")
    submit(page, dialog.get_by_role("button", name="Save"), r"/api/v2/connections/?$")
    expect(dialog).to_be_hidden()  # closed, so no typed value is left in the DOM
    page.get_by_role("row").filter(has_text=CONN_ID).wait_for()

    # Saved: the key encrypted at rest, masked by the API, absent from every page.
    saved = airflow_ui.rest(CONN_ID)
    assert (saved["conn_type"], saved["host"], saved["password"]) == (
        "activepieces",
        "http://127.0.0.1:9/api/v1",
        "***",
    )
    defaults = {name: spec["schema"]["default"] for name, spec in CONN_FIELDS.items()}
    assert json.loads(saved["extra"]) == {**defaults, "max_retries": 7}
    raw, decrypted = airflow_ui.stored(CONN_ID)
    assert decrypted == api_key
    assert api_key not in raw
    assert api_key not in page.content()

    # Editing shows the key masked in a password input, and saving keeps the real key.
    row = page.get_by_role("row").filter(has_text=CONN_ID)
    row.get_by_role("button", name="Edit Connection").click()
    dialog = page.get_by_role("dialog")
    # Filled in from the saved connection once loaded; only then is the form what a user sees.
    expect(dialog.locator('[name="host"]')).to_have_value("http://127.0.0.1:9/api/v1")
    key = form_fields(dialog)["API Key"]
    shots.take(page, "airflow-edit-connection")
    assert key["type"] == "password"
    assert key["value"] != api_key
    assert api_key not in page.content()
    control(dialog, "Base URL").fill("http://127.0.0.1:10/api/v1")
    submit(page, dialog.get_by_role("button", name="Save"), f"/api/v2/connections/{CONN_ID}$")
    expect(dialog).to_be_hidden()
    page.get_by_role("row").filter(has_text=re.compile(r"127\.0\.0\.1:10/")).wait_for()
    assert airflow_ui.stored(CONN_ID)[1] == api_key
    assert api_key not in page.content()
