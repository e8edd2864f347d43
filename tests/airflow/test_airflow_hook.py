"""ActivepiecesHook against the emulator: connection forms, clients, test_connection, masking."""

from __future__ import annotations

from typing import Any

import pytest

from activepieces_provider.hooks.activepieces import (
    ActivepiecesHook,
    build_base_url,
    project_asset_uri,
    project_ui_url,
)


@pytest.mark.parametrize(
    ("host", "port", "schema", "expected"),
    [
        (None, None, None, None),
        ("", None, None, None),
        (
            "https://cloud.activepieces.com/api/v1",
            None,
            None,
            "https://cloud.activepieces.com/api/v1",
        ),
        ("https://ap.example.com/api/v1/", None, None, "https://ap.example.com/api/v1"),
        ("https://ap.example.com", None, None, "https://ap.example.com/api/v1"),
        ("ap.example.com", None, None, "https://ap.example.com/api/v1"),
        ("http://127.0.0.1", 8080, "api/v1", "http://127.0.0.1:8080/api/v1"),
        ("http://127.0.0.1:9000/v1", 8080, None, "http://127.0.0.1:9000/v1"),
    ],
)
def test_base_url_from_connection_fields(
    host: str | None, port: int | None, schema: str | None, expected: str | None
) -> None:
    assert build_base_url(host, port=port, schema=schema) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://ap.example.com",
        "https://ap.example.com/",
        "http://ap.example.com:8080/api/v1/",
        "https://ap.example.com/v1",
        "  https://ap.example.com/api/v1  ",
    ],
)
def test_a_full_url_host_is_cores_base_url(url: str) -> None:
    """A connection whose host is a full URL reaches the API core's client would reach."""
    from activepieces_core.config import normalize_base_url

    assert build_base_url(url) == normalize_base_url(url)


@pytest.mark.parametrize("host", ["ftp://ap.example.com", "https://", "https:///api/v1"])
def test_a_host_that_is_no_http_url_is_refused_as_core_refuses_it(host: str) -> None:
    with pytest.raises(ValueError, match="base_url must"):
        build_base_url(host)


def test_ui_and_asset_urls() -> None:
    base = "http://127.0.0.1:8080/api/v1"
    assert project_ui_url(base, "p1") == "http://127.0.0.1:8080/projects/p1/flows"
    assert (
        project_asset_uri(base, "acme corp") == "activepieces://127.0.0.1:8080/projects/acme%20corp"
    )


def test_constructing_the_hook_touches_nothing() -> None:
    hook = ActivepiecesHook("does_not_exist")
    assert hook.activepieces_conn_id == "does_not_exist"


def test_sync_client_from_json_connection(emulator: Any) -> None:
    hook = ActivepiecesHook()
    with hook.get_client() as client:
        created = client.projects.create("Hook Co", external_id="hook-co")
        assert client.projects.get(created.id).external_id == "hook-co"
    assert hook.base_url == emulator.url
    assert hook.project_url(created.id) == f"{emulator.base_url}/projects/{created.id}/flows"


def test_sync_client_from_uri_connection(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from urllib.parse import quote

    # activepieces://<protocol>://:<key>@<host>:<port>/<schema>, Airflow's URI form with a scheme.
    host_port = emulator.base_url.split("://", 1)[1]
    uri = f"activepieces://http://:{quote(emulator.api_key, safe='')}@{host_port}/{quote('api/v1', safe='')}"
    monkeypatch.setenv("AIRFLOW_CONN_AP_URI", uri)
    hook = ActivepiecesHook("ap_uri")
    with hook.get_client() as client:
        assert client.projects.list(limit=1) is not None
    assert hook.base_url == emulator.url


def test_extras_reach_the_client(emulator: Any, set_connection: Any) -> None:
    set_connection(
        emulator.url,
        emulator.api_key,
        timeout="7.5",
        max_retries="0",
        extra__activepieces__verify="false",
    )
    kwargs = ActivepiecesHook()._client_kwargs(
        ActivepiecesHook.get_connection("activepieces_default")
    )
    assert kwargs["timeout"] == 7.5
    assert kwargs["max_retries"] == 0
    assert kwargs["verify"] is False
    with ActivepiecesHook().get_client() as client:
        client.projects.list(limit=1)


def test_client_options_override_extras(emulator: Any) -> None:
    hook = ActivepiecesHook(client_options={"max_retries": 0})
    assert hook._client_kwargs(hook.get_connection(hook.activepieces_conn_id))["max_retries"] == 0


def test_missing_api_key_is_a_clear_error(emulator: Any, set_connection: Any) -> None:
    set_connection(emulator.url, None)
    with pytest.raises(ValueError, match="no API key"):
        ActivepiecesHook().get_client()


async def test_async_client_uses_async_lookup(emulator: Any) -> None:
    emulator.state.add_project("Async Co", external_id="async-co")
    client = await ActivepiecesHook().get_async_client()
    async with client:
        project = await client.projects.get_by_external_id("async-co")
    assert project is not None
    assert project.display_name == "Async Co"


def test_test_connection_ok(emulator: Any) -> None:
    ok, message = ActivepiecesHook().test_connection()
    assert ok, message
    assert emulator.url in message


def test_test_connection_bad_key_never_raises_nor_leaks(emulator: Any, set_connection: Any) -> None:
    wrong_key = "sk-" + "x" * 61
    set_connection(emulator.url, wrong_key, max_retries=0)
    ok, message = ActivepiecesHook().test_connection()
    assert not ok
    assert wrong_key not in message


def test_test_connection_unreachable(set_connection: Any) -> None:
    set_connection("http://127.0.0.1:9/api/v1", "sk-" + "y" * 61, max_retries=0, timeout=1)
    ok, message = ActivepiecesHook().test_connection()
    assert not ok
    assert "sk-" not in message


def test_test_connection_without_key(set_connection: Any) -> None:
    set_connection("", None)
    ok, message = ActivepiecesHook().test_connection()
    assert not ok
    assert "API key" in message


def test_api_key_is_registered_with_the_masker(emulator: Any) -> None:
    from airflow.sdk.log import redact

    with ActivepiecesHook().get_client():
        pass
    assert emulator.api_key not in str(redact(f"key={emulator.api_key}"))
    assert emulator.api_key not in str(redact({"api_key": emulator.api_key}))


def test_get_conn_caches_one_client_until_close(emulator: Any) -> None:
    hook = ActivepiecesHook()
    client = hook.get_conn()
    assert hook.get_conn() is client
    client.projects.list(limit=1)
    hook.close()
    with pytest.raises(RuntimeError, match="closed"):
        client.projects.list(limit=1)  # the pool is really closed
    fresh = hook.get_conn()
    assert fresh is not client
    fresh.projects.list(limit=1)
    hook.close()
    hook.close()  # closing twice (or before any client) is harmless


@pytest.mark.parametrize(("text", "expected"), [("y", True), ("on", True), ("n", False)])
def test_verify_extra_uses_core_boolean_rule(
    emulator: Any, set_connection: Any, text: str, expected: bool
) -> None:
    # Regression: "y" read as true here but false in the operators' own flag parser.
    set_connection(emulator.url, emulator.api_key, verify=text)
    hook = ActivepiecesHook()
    assert hook._client_kwargs(hook.get_connection(hook.activepieces_conn_id))["verify"] is expected


def test_verify_extra_that_is_no_boolean_is_an_error(emulator: Any, set_connection: Any) -> None:
    # Regression: any unknown word used to mean "verify", hiding a typo such as "flase".
    set_connection(emulator.url, emulator.api_key, verify="flase")
    ok, message = ActivepiecesHook().test_connection()
    assert not ok
    assert "verify" in message


def test_rest_connection_test_as_documented(
    airflow_api: Any, emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The api-server's ``POST /api/v2/connections/test``, run in-process, as the README shows."""
    import airflow

    monkeypatch.setenv("AIRFLOW__CORE__TEST_CONNECTION", "Enabled")
    conn_id = "activepieces_rest_probe"
    api = airflow_api
    stored = api.post(
        "/api/v2/connections",
        json={
            "connection_id": conn_id,
            "conn_type": "activepieces",
            "host": emulator.url,
            "password": emulator.api_key,
        },
    )
    assert stored.status_code == 201, stored.text
    try:
        # What the README documents: name the stored connection, send no field to override.
        answer = api.post(
            "/api/v2/connections/test",
            json={"connection_id": conn_id, "conn_type": "activepieces"},
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] is True, answer.json()
        if airflow.__version__ == "3.3.2":
            # What the UI's Test button sends for a stored connection without a port
            # (apache/airflow#73298): refused before the hook is ever asked.
            button = api.post(
                "/api/v2/connections/test",
                json={
                    "connection_id": conn_id,
                    "conn_type": "activepieces",
                    "host": emulator.url,
                    "password": "***",
                    "port": 0,
                },
            )
            assert button.status_code == 400, button.text
    finally:
        api.delete(f"/api/v2/connections/{conn_id}")
    assert emulator.api_key not in answer.text
