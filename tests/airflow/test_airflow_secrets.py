"""The API key stays out of what Airflow keeps, even when a gateway echoes it back: the task
log, the trigger's event, the hook's masker for keys given by ``client_options``."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

import pytest

from activepieces_core.testing.faults import ECHO_KIND
from activepieces_provider.hooks.activepieces import ActivepiecesHook
from activepieces_provider.triggers.projects import ActivepiecesProjectTrigger

TEST_DAGS = Path(__file__).resolve().parent / "dags"


def _dag(dag_id: str) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(TEST_DAGS / f"{dag_id}.py"))
    assert not bag.import_errors, bag.import_errors
    return bag.dags[dag_id]


@pytest.mark.slow
@pytest.mark.usefixtures("airflow_db")
def test_an_echoing_gateway_leaves_only_stars_in_the_task_log(
    emulator: Any, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    emulator.faults.set("list", rate=1.0, kinds=[ECHO_KIND])
    dr = _dag("activepieces_test_secret_echo").test()
    captured = capfd.readouterr()
    output = captured.out + captured.err + caplog.text
    assert dr.state == "failed"
    assert "upstream refused GET /api/v1/projects" in output
    assert "Bearer ***" in output
    assert emulator.api_key not in output


async def test_an_echoing_gateway_leaves_only_stars_in_the_trigger_event(
    emulator: Any, set_connection: Any
) -> None:
    """A 502 is transient: the trigger polls on, and its deadline's event carries the last
    error, with ``***`` where the gateway quoted the key."""
    set_connection(emulator.url, emulator.api_key, max_retries=0)
    emulator.faults.set("list", rate=1.0, kinds=[ECHO_KIND])
    trigger = ActivepiecesProjectTrigger(
        external_id="echoed",
        first_poll_delay=0,
        deadline=time.time(),  # one poll, then out
    )
    events = [event.payload async for event in trigger.run()]
    assert [e["status"] for e in events] == ["timeout"]
    message = events[0]["message"]
    assert "transient API error: 502" in message
    assert "Bearer ***" in message
    assert emulator.api_key not in repr(events)


def _unregistered_key() -> str:
    from airflow.sdk.log import redact

    key = "sk-" + secrets.token_hex(30)
    assert key in str(redact(f"key={key}"))  # nobody registered it yet
    return key


def _is_masked(key: str) -> bool:
    from airflow.sdk.log import redact

    return key not in str(redact(f"key={key}"))


def test_a_key_given_by_client_options_is_masked(emulator: Any) -> None:
    """The connection's password is masked by Airflow's lookup; a key that comes from
    ``client_options`` instead is only masked because the hook registers it."""
    other_key = _unregistered_key()
    hook = ActivepiecesHook(client_options={"api_key": other_key})
    with hook.get_client() as client:
        assert client.config.api_key.get_secret_value() == other_key
    assert _is_masked(other_key)
    assert _is_masked(emulator.api_key)


async def test_a_key_given_by_client_options_is_masked_on_the_async_path(emulator: Any) -> None:
    """The trigger's path (``get_async_client``) registers a ``client_options`` key too."""
    other_key = _unregistered_key()
    hook = ActivepiecesHook(client_options={"api_key": other_key})
    async with await hook.get_async_client() as client:
        assert client.config.api_key.get_secret_value() == other_key
    assert _is_masked(other_key)
    assert _is_masked(emulator.api_key)
