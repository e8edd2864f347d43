"""Fault injection over real HTTP: each kind, scripts, latency, determinism."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

from activepieces_core.testing import FAULT_KINDS, Emulator
from activepieces_core.testing.faults import ALL_FAULT_KINDS, ECHO_KIND


def _team(emu: Emulator) -> list[str]:
    return [p["displayName"] for p in emu.state.projects(types=["TEAM"])]


def test_fault_kinds_are_the_contract() -> None:
    assert FAULT_KINDS == (
        "429", "500", "502", "503", "502_html", "503_html", "drop_before", "drop_after", "slow",
    )  # fmt: skip


def test_echo_is_a_gateway_quoting_the_request_and_only_when_named(
    api: httpx.Client, emu: Emulator
) -> None:
    """What a real proxy may do: the refused request, Authorization header and query string
    included, in the error's message. The secret-scrubbing tests stand on this fault."""
    assert ECHO_KIND == "502_echo"
    assert (*FAULT_KINDS, ECHO_KIND) == ALL_FAULT_KINDS
    emu.faults.script("list", 1, ECHO_KIND)
    r = api.get("/projects", params={"externalId": emu.api_key})
    assert r.status_code == 502
    assert r.headers["content-type"].startswith("application/json")
    message = r.json()["message"]
    assert f"authorization: Bearer {emu.api_key})" in message
    assert f"GET /api/v1/projects?externalId={emu.api_key} " in message
    assert message.count(emu.api_key) == 2
    assert ECHO_KIND not in FAULT_KINDS  # a rate's default mix never picks it


def test_429_carries_retry_after_and_writes_nothing(api: httpx.Client, emu: Emulator) -> None:
    emu.faults.set("create", rate=1.0, kinds=["429"], retry_after=7)
    r = api.post("/projects", json={"displayName": "A"})
    assert r.status_code == 429
    assert r.headers["retry-after"] == "7"
    assert r.json()["statusCode"] == 429
    assert r.json()["error"] == "Too Many Requests"
    assert r.headers["x-request-id"].startswith("req_")
    assert _team(emu) == []
    assert emu.faults.injected == {"429": 1}


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_json(api: httpx.Client, emu: Emulator, status: int) -> None:
    emu.faults.script("list", 1, str(status))
    r = api.get("/projects")
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["statusCode"] == status
    assert api.get("/projects").status_code == 200  # only the scripted one


@pytest.mark.parametrize("kind", ["502_html", "503_html"])
def test_5xx_html_like_a_proxy(api: httpx.Client, emu: Emulator, kind: str) -> None:
    emu.faults.script("get", 1, kind)
    r = api.get("/projects/whatever")
    assert r.status_code == int(kind[:3])
    assert r.headers["content-type"].startswith("text/html")
    assert "<html>" in r.text
    assert "nginx" in r.text


def test_drop_before_is_a_transport_error_and_writes_nothing(
    api: httpx.Client, emu: Emulator
) -> None:
    emu.faults.script("create", 1, "drop_before")
    with pytest.raises(httpx.TransportError):
        api.post("/projects", json={"displayName": "A", "externalId": "a"})
    assert _team(emu) == []
    record = list(emu.requests)[-1]
    assert (record.route, record.status, record.fault) == ("create", None, "drop_before")
    assert api.post("/projects", json={"displayName": "A"}).status_code == 201  # next one works


def test_drop_after_commits_then_drops(api: httpx.Client, emu: Emulator) -> None:
    emu.faults.script("create", 1, "drop_after")
    with pytest.raises(httpx.TransportError):
        api.post("/projects", json={"displayName": "A", "externalId": "a"})
    assert _team(emu) == ["A"]
    pid = emu.state.projects(types=["TEAM"])[0]["id"]
    emu.faults.script("delete", 1, "drop_after")
    with pytest.raises(httpx.TransportError):
        api.delete(f"/projects/{pid}")
    assert emu.state.get_project(pid)["deleted"] is not None
    assert api.delete(f"/projects/{pid}").status_code == 404  # a retry sees it gone


class Waits(list[float]):
    """The emulator's sleeps, recorded and skipped: latency is asserted, never timed."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_slow_commits_then_answers_after_slow_seconds(api: httpx.Client, emu: Emulator) -> None:
    waits = Waits()
    emu.faults.sleep = waits
    emu.faults.set("update", rate=1.0, kinds=["slow"], slow_seconds=1.5)
    pid = emu.state.add_project("A")["id"]
    r = api.post(f"/projects/{pid}", json={"displayName": "B"})
    assert r.status_code == 200
    assert r.json()["displayName"] == "B"
    assert waits == [1.5]  # committed, then held for slow_seconds before the answer
    assert list(emu.requests)[-1].fault == "slow"


def test_slow_holds_the_answer_until_the_client_gives_up(emu: Emulator) -> None:
    """A ``slow`` fault far longer than the client's timeout: the client times out, the write
    is committed, and the server stops waiting once the client hangs up."""
    ended = threading.Event()

    async def hold(seconds: float) -> None:
        try:
            await asyncio.sleep(seconds)
        finally:
            ended.set()

    emu.faults.sleep = hold
    emu.faults.script("update", 1, "slow")
    emu.faults.set("update", slow_seconds=600)
    pid = emu.state.add_project("A")["id"]
    headers = {"Authorization": f"Bearer {emu.api_key}"}
    with (
        httpx.Client(base_url=emu.url, headers=headers, timeout=1.0) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.post(f"/projects/{pid}", json={"displayName": "B"})
    assert emu.state.get_project(pid)["displayName"] == "B"
    assert ended.wait(30)  # the 600 s wait was cancelled when the client hung up
    with httpx.Client(base_url=emu.url, headers=headers, timeout=5.0) as client:
        assert client.post(f"/projects/{pid}", json={}).status_code == 200  # only the scripted one


def test_scripted_nth_request_counts_from_now(api: httpx.Client, emu: Emulator) -> None:
    api.post("/projects", json={"displayName": "Before"})
    emu.faults.script(route="create", nth=3, kind="500")
    statuses = [api.post("/projects", json={"displayName": f"P{i}"}).status_code for i in range(4)]
    assert statuses == [201, 201, 500, 201]
    assert [(r.status, r.fault) for r in emu.requests if r.fault] == [(500, "500")]


def test_latency_and_jitter_delay_requests(api: httpx.Client, emu: Emulator) -> None:
    waits = Waits()
    emu.faults.sleep = waits
    emu.faults.set("*", latency=0.1, jitter=0.05)
    assert api.get("/projects").status_code == 200
    assert api.get("/projects").status_code == 200
    assert len(waits) == 2
    assert all(0.1 <= wait <= 0.15 for wait in waits)
    assert waits[0] != waits[1]  # jitter: seeded, per request
    emu.faults.seed(0)
    first = list(waits)
    waits.clear()
    api.get("/projects")
    api.get("/projects")
    assert waits == first  # the same seed, the same delays
    emu.reset()
    assert emu.faults.sleep is asyncio.sleep


def test_route_setting_overrides_the_wildcard(api: httpx.Client, emu: Emulator) -> None:
    emu.faults.set("*", rate=1.0, kinds={"503": 1})
    emu.faults.set("get", rate=0.0)
    assert api.get("/projects").status_code == 503
    assert api.get("/projects/none").status_code == 404
    emu.faults.clear()
    assert api.get("/projects").status_code == 200


def test_rate_with_weights_is_deterministic_from_the_seed(api: httpx.Client, emu: Emulator) -> None:
    def run() -> list[int]:
        emu.faults.seed(42)
        emu.faults.set("list", rate=0.5, kinds={"500": 1, "503": 2}, retry_after=0)
        return [api.get("/projects").status_code for _ in range(40)]

    first = run()
    emu.faults.clear()
    assert run() == first
    assert {200, 500, 503} == set(first)
    assert sum(emu.faults.injected.values()) == sum(1 for s in first if s != 200)


def test_invalid_fault_settings_are_refused(emu: Emulator) -> None:
    with pytest.raises(ValueError):
        emu.faults.set("nope")
    with pytest.raises(ValueError):
        emu.faults.set(kinds=["418"])
    with pytest.raises(ValueError):
        emu.faults.script("get", 0, "500")
    with pytest.raises(ValueError):
        emu.faults.set(rate=0.5, kinds={"500": 0})


def test_reset_clears_faults_log_and_state(api: httpx.Client, emu: Emulator) -> None:
    emu.faults.set("*", rate=1.0, kinds=["500"])
    emu.state.add_project("A")
    api.get("/projects")
    key, platform = emu.api_key, emu.platform_id
    emu.reset()
    assert len(emu.requests) == 0
    assert not emu.faults.injected
    assert _team(emu) == []
    assert (emu.api_key, emu.platform_id) == (key, platform)
    assert api.get("/projects").status_code == 200


def test_ids_are_deterministic_from_the_seed() -> None:
    def snapshot(seed: int) -> tuple[str, str, str, str]:
        with Emulator(seed=seed) as emu:
            r = httpx.post(
                f"{emu.url}/projects",
                json={"displayName": "A"},
                headers={"Authorization": f"Bearer {emu.api_key}"},
            ).json()
            return emu.api_key, emu.platform_id, r["id"], r["icon"]["color"]

    assert snapshot(5) == snapshot(5)
    assert snapshot(5) != snapshot(6)


class WaitsSeeing(list[tuple[float, list[str]]]):
    """The emulator's sleeps (skipped) and the projects it held when each began."""

    def __init__(self, emu: Emulator) -> None:
        super().__init__()
        self.emu = emu

    async def __call__(self, seconds: float) -> None:
        self.append((seconds, _team(self.emu)))


def test_latency_is_waited_before_the_request_is_handled_by_default(
    api: httpx.Client, emu: Emulator
) -> None:
    waits = WaitsSeeing(emu)
    emu.faults.sleep = waits
    emu.faults.set("create", latency=0.5)
    assert api.post("/projects", json={"displayName": "A"}).status_code == 201
    assert waits == [(0.5, [])]  # waited, then created


def test_latency_from_arrival_handles_the_request_inside_its_latency(
    api: httpx.Client, emu: Emulator
) -> None:
    """The benches' mode: the answer leaves ``latency`` after the request arrived, the
    emulator's handling inside that time (created first, then the rest of the wait)."""
    waits = WaitsSeeing(emu)
    emu.faults.sleep = waits
    emu.faults.set("create", latency=0.5)
    emu.faults.latency_from_arrival = True
    assert api.post("/projects", json={"displayName": "A"}).status_code == 201
    [(seconds, seen)] = waits
    assert seen == ["A"]
    assert 0.4 < seconds <= 0.5  # what was left of the 0.5 s once handled
    emu.faults.script("create", 1, "503")  # a fault answered without handling waits first
    waits.clear()
    assert api.post("/projects", json={"displayName": "B"}).status_code == 503
    assert waits == [(0.5, ["A"])]
    emu.faults.clear()
    assert emu.faults.latency_from_arrival is False


def test_latency_from_arrival_encodes_and_logs_the_answer_before_its_deadline(
    api: httpx.Client, emu: Emulator
) -> None:
    """Only the socket write is left after the wait: the answer is the state as handled (a
    flow renamed in place during the wait does not show) and the request is logged already."""
    project = emu.state.add_project("Acme", external_id="acme")["id"]
    flow = emu.state.put_flow(project, {"externalId": "f1", "version": {"displayName": "Before"}})
    logged: list[int] = []

    async def sleep(seconds: float) -> None:
        logged.append(emu.requests.count(route="flows.list"))
        flow["version"]["displayName"] = "During"  # the store's own dict, as the list holds it

    emu.faults.sleep = sleep
    emu.faults.latency_from_arrival = True
    emu.faults.set("flows.list", latency=0.5)
    answer = api.get("/flows", params={"projectId": project})
    assert [f["version"]["displayName"] for f in answer.json()["data"]] == ["Before"]
    assert logged == [1]
