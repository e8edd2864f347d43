"""ActivepiecesProjectSensor (poke, reschedule, deferrable) and its trigger, on the emulator."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from activepieces_provider.conditions import THRESHOLD_FIELDS, ProjectCondition
from activepieces_provider.exceptions import ProjectSensorError
from activepieces_provider.sensors.projects import ActivepiecesProjectSensor
from activepieces_provider.triggers.projects import ActivepiecesProjectTrigger

TRIGGER_PATH = "activepieces_provider.triggers.projects.ActivepiecesProjectTrigger"


class _RescheduleTI:
    """Task instance of a reschedule-mode sensor: first try, records XCom pushes."""

    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def get_first_reschedule_date(self, context: Any) -> None:
        return None

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


async def _events(trigger: ActivepiecesProjectTrigger) -> list[dict[str, Any]]:
    return [event.payload async for event in trigger.run()]


def _after_first_lookup(emulator: Any, action: Any) -> threading.Event:
    """Run ``action`` once the sensor has looked once (so the first poke sees nothing)."""
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.01):
            if emulator.requests.count(route="list") >= 1:
                action()
                return

    threading.Thread(target=watch, daemon=True).start()
    return stop


class Clock:
    """The trigger's and the sensor's clock (their modules' ``time`` and ``asyncio.sleep``):
    a sleep is recorded with the number of lookups made before it, moves the time on at once,
    and may run the action scheduled for it. Waits are asserted, never timed."""

    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        self.now = 1_900_000_000.0
        self.sleeps: list[tuple[float, int]] = []  # (seconds, lookups made before it)
        self.actions: dict[int, Any] = {}  # the nth sleep (1-based) runs this first

    def time(self) -> float:
        return self.now

    def lookups(self) -> int:
        return sum(self.emulator.requests.count(route=r) for r in ("list", "get"))

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append((seconds, self.lookups()))
        action = self.actions.pop(len(self.sleeps), None)
        if action is not None:
            action()
        self.now += seconds
        await _real_sleep(0)  # still a turn of the loop, as a real sleep gives


_real_sleep = asyncio.sleep


@pytest.fixture
def clock(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Clock:
    from types import SimpleNamespace

    import activepieces_provider.sensors.projects as sensor_module
    import activepieces_provider.triggers.projects as trigger_module

    fake = Clock(emulator)
    monkeypatch.setattr(trigger_module, "time", SimpleNamespace(time=fake.time))
    monkeypatch.setattr(trigger_module, "asyncio", SimpleNamespace(sleep=fake.sleep))
    monkeypatch.setattr(sensor_module, "time", SimpleNamespace(time=fake.time))
    return fake


# ---------------------------------------------------------------- condition


def test_condition_validation() -> None:
    with pytest.raises(ValueError, match="wait_for"):
        ProjectCondition.build("maybe")
    with pytest.raises(ValueError, match="only apply"):
        ProjectCondition.build("gone", min_users=1)
    with pytest.raises(ValueError, match=">= 0"):
        ProjectCondition.build("exists", min_active_flows=-1)
    with pytest.raises(ValueError, match=r"^min_users: not an integer: 'lots'$"):
        ProjectCondition.build("exists", min_users="lots")
    rendered = ProjectCondition.build("exists", min_active_flows="2", min_users="None")
    assert rendered == ProjectCondition(wait_for="exists", min_active_flows=2)
    assert ProjectCondition.build("exists", min_users="0") == ProjectCondition()


def test_imports_run_one_way_sensor_trigger_condition() -> None:
    """The trigger rebuilds its condition in the triggerer: neither it nor the condition may
    import the sensor (they once imported each other)."""
    import ast
    import importlib.util
    from pathlib import Path

    def imported(module: str) -> set[str]:
        spec = importlib.util.find_spec(module)
        assert spec is not None
        assert spec.origin is not None
        tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
        return {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}

    sensor = "activepieces_provider.sensors.projects"
    trigger = "activepieces_provider.triggers.projects"
    conditions = "activepieces_provider.conditions"
    assert {trigger, conditions} <= imported(sensor)
    assert conditions in imported(trigger)
    assert sensor not in imported(trigger) | imported(conditions)
    assert trigger not in imported(conditions)


# ---------------------------------------------------------------- poke / reschedule


def test_poke_mode_waits_until_the_project_exists(emulator: Any, context: dict[str, Any]) -> None:
    sensor = ActivepiecesProjectSensor(
        task_id="s", external_id="late", poke_interval=0.05, timeout=20, deferrable=False
    )
    stop = _after_first_lookup(
        emulator, lambda: emulator.state.add_project("Late", external_id="late")
    )
    try:
        project = sensor.execute(context)
    finally:
        stop.set()
    assert project["externalId"] == "late"
    assert emulator.requests.count(route="list") >= 2


def test_poke_mode_times_out(emulator: Any, context: dict[str, Any]) -> None:
    from airflow.sdk.exceptions import AirflowSensorTimeout

    sensor = ActivepiecesProjectSensor(
        task_id="s", project_id="never", poke_interval=0.05, timeout=0.2, deferrable=False
    )
    with pytest.raises(AirflowSensorTimeout):
        sensor.execute(context)


def test_analytics_thresholds(emulator: Any, context: dict[str, Any]) -> None:
    project = emulator.state.add_project("Busy", external_id="busy")
    sensor = ActivepiecesProjectSensor(
        task_id="s", project_id=project["id"], min_active_flows=2, min_users=1, deferrable=False
    )
    assert not sensor.poke(context).is_done
    emulator.state.set_analytics(project["id"], active_flows=2, total_users=1)
    done = sensor.poke(context)
    assert done.is_done
    assert done.xcom_value["id"] == project["id"]


def test_reschedule_mode(emulator: Any, context: dict[str, Any]) -> None:
    from airflow.sdk.exceptions import AirflowRescheduleException

    context = {**context, "ti": _RescheduleTI()}
    sensor = ActivepiecesProjectSensor(
        task_id="s", external_id="soon", mode="reschedule", poke_interval=30, deferrable=False
    )
    with pytest.raises(AirflowRescheduleException):
        sensor.execute(context)
    emulator.state.add_project("Soon", external_id="soon")
    assert sensor.execute(context)["externalId"] == "soon"


def test_gone(emulator: Any, context: dict[str, Any]) -> None:
    from activepieces_provider.hooks.activepieces import ActivepiecesHook

    project = emulator.state.add_project("Doomed", external_id="doomed")
    sensor = ActivepiecesProjectSensor(
        task_id="s", project_id=project["id"], wait_for="gone", deferrable=False
    )
    assert not sensor.poke(context).is_done
    with ActivepiecesHook().get_client() as client:
        client.projects.delete(project["id"])
    gone = sensor.poke(context)
    assert gone.is_done
    assert gone.xcom_value is None


# ---------------------------------------------------------------- deferrable


def test_deferrable_sensor_defers_then_completes(
    emulator: Any, context: dict[str, Any], clock: Clock
) -> None:
    from airflow.sdk.exceptions import TaskDeferred

    sensor = ActivepiecesProjectSensor(
        task_id="s", external_id="tenant-x", deferrable=True, poke_interval=0.05, timeout=30
    )
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute(context)
    trigger = deferred.value.trigger
    assert isinstance(trigger, ActivepiecesProjectTrigger)
    assert deferred.value.method_name == "execute_complete"
    assert deferred.value.timeout is None  # the trigger owns the deadline
    assert trigger.deadline is not None
    assert trigger.deadline == clock.now + 30  # the sensor's timeout, from deferral

    emulator.state.add_project("Tenant X", external_id="tenant-x")
    events = asyncio.run(_events(trigger))
    assert [e["status"] for e in events] == ["success"]
    result = sensor.execute_complete(context, events[0])
    assert result["externalId"] == "tenant-x"


def test_deferred_sensor_hands_every_threshold_to_its_trigger(
    emulator: Any, context: dict[str, Any]
) -> None:
    """The trigger gets only the serialized condition: a threshold missing there would be
    waited for by poke mode and silently dropped once deferred."""
    from airflow.sdk.exceptions import TaskDeferred

    thresholds = {name: str(n) for n, name in enumerate(THRESHOLD_FIELDS, start=1)}
    sensor = ActivepiecesProjectSensor(
        task_id="s", external_id="busy", deferrable=True, poke_interval=5, **thresholds
    )
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute(context)
    classpath, kwargs = deferred.value.trigger.serialize()
    assert classpath == TRIGGER_PATH
    assert kwargs["condition"] == {
        "wait_for": "exists",
        **{name: int(value) for name, value in thresholds.items()},
    }
    restored = ActivepiecesProjectTrigger(**kwargs).condition
    assert restored == ProjectCondition.build("exists", **thresholds)


async def test_the_trigger_a_sensor_defers_to_waits_for_its_thresholds(
    emulator: Any, context: dict[str, Any]
) -> None:
    """Run the trigger as the triggerer would (rebuilt from its serialized kwargs): a project
    below the sensor's threshold is not "done" there either."""
    from airflow.sdk.exceptions import TaskDeferred

    project = emulator.state.add_project("Busy", external_id="busy")
    sensor = ActivepiecesProjectSensor(
        task_id="s", external_id="busy", deferrable=True, min_active_flows=2
    )
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute(context)  # deferred: the project exists, with no active flow
    _, kwargs = deferred.value.trigger.serialize()
    once = {**kwargs, "first_poll_delay": 0, "deadline": time.time()}  # one poll, then out

    events = await _events(ActivepiecesProjectTrigger(**once))
    assert [e["status"] for e in events] == ["timeout"]
    emulator.state.set_analytics(project["id"], active_flows=2)
    events = await _events(ActivepiecesProjectTrigger(**once))
    assert [e["status"] for e in events] == ["success"]
    assert sensor.execute_complete(context, events[0])["id"] == project["id"]


def test_deferrable_sensor_skips_the_triggerer_when_already_done(
    emulator: Any, context: dict[str, Any]
) -> None:
    emulator.state.add_project("Ready", external_id="ready")
    sensor = ActivepiecesProjectSensor(task_id="s", external_id="ready", deferrable=True)
    assert sensor.execute(context)["externalId"] == "ready"


def test_execute_complete_handles_every_event(context: dict[str, Any]) -> None:
    from airflow.sdk.exceptions import AirflowSensorTimeout, AirflowSkipException

    sensor = ActivepiecesProjectSensor(task_id="s", external_id="e", deferrable=True)
    assert sensor.execute_complete(context, {"status": "success", "project": None}) is None
    with pytest.raises(AirflowSensorTimeout, match="timed out"):
        sensor.execute_complete(context, {"status": "timeout", "message": "late"})
    with pytest.raises(ProjectSensorError, match="boom"):
        sensor.execute_complete(context, {"status": "error", "message": "boom"})
    with pytest.raises(ProjectSensorError, match="Unexpected"):
        sensor.execute_complete(context, None)
    soft = ActivepiecesProjectSensor(task_id="s", external_id="e", deferrable=True, soft_fail=True)
    with pytest.raises(AirflowSkipException):
        soft.execute_complete(context, {"status": "timeout", "message": "late"})


def test_default_deferrable_comes_from_config() -> None:
    from airflow.sdk import conf

    sensor = ActivepiecesProjectSensor(task_id="s", external_id="e")
    assert sensor.deferrable is conf.getboolean("operators", "default_deferrable", fallback=False)


# ---------------------------------------------------------------- trigger


def test_trigger_serialization_round_trip() -> None:
    from airflow.sdk.serde import deserialize, serialize

    trigger = ActivepiecesProjectTrigger(
        activepieces_conn_id="ap",
        external_id="acme",
        condition=ProjectCondition.build("exists", min_active_flows=3).to_dict(),
        poll_interval=5,
        deadline=1_900_000_000.5,
    )
    classpath, kwargs = trigger.serialize()
    assert classpath == TRIGGER_PATH
    assert kwargs == {
        "activepieces_conn_id": "ap",
        "project_id": None,
        "external_id": "acme",
        "condition": {
            "wait_for": "exists",
            "min_total_flows": None,
            "min_active_flows": 3,
            "min_users": None,
            "min_active_users": None,
        },
        "poll_interval": 5.0,
        "deadline": 1_900_000_000.5,
        "first_poll_delay": 5.0,  # one poll interval unless told
    }
    restored = ActivepiecesProjectTrigger(**deserialize(serialize(kwargs)))
    assert restored.serialize() == (classpath, kwargs)


async def test_trigger_waits_one_interval_before_its_first_poll(
    emulator: Any, clock: Clock
) -> None:
    """The sensor checked just before deferring; an event sent at once can get the resumed try
    marked failed on Airflow 3.3.2 (apache/airflow#72716). So nothing is asked, and nothing
    fires, before one poll interval, even when the condition already holds."""
    emulator.state.add_project("Ready", external_id="ready")
    trigger = ActivepiecesProjectTrigger(
        external_id="ready", poll_interval=0.4, deadline=clock.now + 30
    )
    events = await _events(trigger)
    assert [e["status"] for e in events] == ["success"]
    assert clock.sleeps == [(0.4, 0)]  # one interval first, before any lookup
    assert emulator.requests.count(route="list") == 1

    clock.sleeps.clear()
    now = ActivepiecesProjectTrigger(external_id="ready", poll_interval=30, first_poll_delay=0)
    assert [e["status"] for e in await _events(now)] == ["success"]
    assert clock.sleeps == [(0, 1)]  # no wait (the one lookup so far is the first trigger's)


async def test_trigger_first_wait_never_oversleeps_the_deadline(
    emulator: Any, clock: Clock
) -> None:
    trigger = ActivepiecesProjectTrigger(
        external_id="absent", poll_interval=30, deadline=clock.now + 0.2
    )
    events = await _events(trigger)
    assert [e["status"] for e in events] == ["timeout"]
    assert clock.sleeps == [(pytest.approx(0.2), 0)]  # cut to the deadline, not 30 s
    assert emulator.requests.count(route="list") == 1  # one look at the deadline, then out


async def test_trigger_waits_for_thresholds(emulator: Any, clock: Clock) -> None:
    project = emulator.state.add_project("Growing", external_id="growing")
    trigger = ActivepiecesProjectTrigger(
        project_id=project["id"],
        condition={"min_active_flows": 1},
        poll_interval=0.05,
        deadline=clock.now + 30,
    )
    clock.actions[4] = lambda: emulator.state.set_analytics(project["id"], active_flows=1)
    events = await _events(trigger)
    assert events[0]["status"] == "success"
    assert events[0]["project"]["id"] == project["id"]
    assert [lookups for _, lookups in clock.sleeps] == [0, 1, 2, 3]  # polled until it grew
    assert clock.lookups() == 4


async def test_trigger_gone_event(emulator: Any) -> None:
    trigger = ActivepiecesProjectTrigger(
        external_id="never-existed", condition={"wait_for": "gone"}, poll_interval=0.05
    )
    assert await _events(trigger) == [
        {"status": "success", "project": None, "message": "project is gone"}
    ]


async def test_trigger_deadline_yields_timeout(emulator: Any, clock: Clock) -> None:
    trigger = ActivepiecesProjectTrigger(
        external_id="absent", poll_interval=0.05, deadline=clock.now + 0.2
    )
    events = await _events(trigger)
    assert clock.now == pytest.approx(trigger.deadline)
    assert len(events) == 1
    assert events[0]["status"] == "timeout"
    assert "does not exist yet" in events[0]["message"]


async def test_trigger_keeps_polling_through_transient_errors(
    emulator: Any, set_connection: Any, clock: Clock
) -> None:
    set_connection(emulator.url, emulator.api_key, max_retries=0)
    project = emulator.state.add_project("Flaky", external_id="flaky")
    emulator.faults.set("get", rate=1.0, kinds={"503": 1})
    trigger = ActivepiecesProjectTrigger(
        project_id=project["id"], poll_interval=0.05, deadline=clock.now + 30
    )
    clock.actions[3] = emulator.faults.clear  # two polls failed: the server recovers
    events = await _events(trigger)
    assert events[0]["status"] == "success"
    assert [lookups for _, lookups in clock.sleeps] == [0, 1, 2]
    assert emulator.requests.count(route="get") == 3  # 503, 503, then the project


async def test_trigger_reports_permanent_errors(emulator: Any, set_connection: Any) -> None:
    wrong_key = "sk-" + "z" * 61
    set_connection(emulator.url, wrong_key, max_retries=0)
    events = await _events(ActivepiecesProjectTrigger(external_id="x", poll_interval=0.05))
    assert events[0]["status"] == "error"
    assert wrong_key not in events[0]["message"]


async def test_trigger_reports_a_missing_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    events = await _events(
        ActivepiecesProjectTrigger(
            activepieces_conn_id="no_such_conn", external_id="x", first_poll_delay=0
        )
    )
    assert events[0]["status"] == "error"
    assert "no_such_conn" in events[0]["message"]


# ---------------------------------------------------------------- link, client lifetime


def test_sensor_links_the_project_it_found(emulator: Any, context: dict[str, Any]) -> None:
    from activepieces_provider.links.projects import PROJECT_URL_XCOM_KEY, ActivepiecesProjectLink

    link = ActivepiecesProjectLink()
    sensor = ActivepiecesProjectSensor(task_id="s", external_id="linked", deferrable=False)
    assert not sensor.poke(context).is_done
    assert link.get_link(sensor, ti_key=None) == ""  # nothing found yet: no link, no lookup
    project = emulator.state.add_project("Linked", external_id="linked")
    assert sensor.poke(context).is_done
    url = f"{emulator.base_url}/projects/{project['id']}/flows"
    assert context["ti"].pushed[PROJECT_URL_XCOM_KEY] == url
    assert link.get_link(sensor, ti_key=None) == url

    # Resumed after the trigger fired (a new process in a deployment): linked from the event.
    resumed = ActivepiecesProjectSensor(task_id="s", external_id="linked", deferrable=True)
    resumed.execute_complete(context, {"status": "success", "project": {"id": "p-9"}})
    assert link.get_link(resumed, ti_key=None) == f"{emulator.base_url}/projects/p-9/flows"

    gone = ActivepiecesProjectSensor(task_id="g", external_id="never", wait_for="gone")
    assert gone.poke(context).is_done
    assert link.get_link(gone, ti_key=None) == ""


def test_pokes_share_one_client_closed_at_the_end(
    emulator: Any, context: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from activepieces_provider.hooks.activepieces import ActivepiecesHook

    built: list[Any] = []
    real_get_client = ActivepiecesHook.get_client

    def counting_get_client(hook: ActivepiecesHook) -> Any:
        built.append(real_get_client(hook))
        return built[-1]

    monkeypatch.setattr(ActivepiecesHook, "get_client", counting_get_client)
    sensor = ActivepiecesProjectSensor(
        task_id="s", external_id="later", poke_interval=0.05, timeout=20, deferrable=False
    )
    stop = _after_first_lookup(
        emulator, lambda: emulator.state.add_project("Later", external_id="later")
    )
    try:
        sensor.execute(context)
    finally:
        stop.set()
    assert emulator.requests.count(route="list") >= 2
    assert len(built) == 1  # every poke used the hook's one client
    with pytest.raises(RuntimeError, match="closed"):
        built[0].projects.list(limit=1)
