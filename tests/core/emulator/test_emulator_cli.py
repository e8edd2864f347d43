"""The ``activepieces-emulator`` console script, run as a real subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

KEY = "sk-" + "A1" * 30 + "Z"


def _command() -> list[str]:
    script = Path(sys.executable).parent / "activepieces-emulator"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "activepieces_core.testing.cli"]


class Running:
    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [*_command(), "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.proc.stdout is not None
        lines = [self.proc.stdout.readline().strip() for _ in range(3)]
        self.url = lines[0].split(": ", 1)[1]
        self.api_key = lines[1].split(": ", 1)[1]
        self.platform_id = lines[2].split(": ", 1)[1]
        self.client = httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.api_key}"}, timeout=5
        )

    def stop(self) -> int:
        self.client.close()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=10)
        assert self.proc.stdout is not None
        assert self.proc.stderr is not None
        self.proc.stdout.close()
        self.proc.stderr.close()
        return code


@pytest.fixture
def running() -> Iterator[Running]:
    server = Running("--api-key", KEY, "--team-projects-limit", "ONE")
    yield server
    assert server.stop() == 0


def test_cli_serves_the_default_platform(running: Running) -> None:
    assert running.url.startswith("http://127.0.0.1:")
    assert running.url.endswith("/api/v1")
    assert running.api_key == KEY
    projects = running.client.get("/projects").json()["data"]
    assert [p["type"] for p in projects] == ["PERSONAL"] * 3  # owner + two users
    assert {p["platformId"] for p in projects} == {running.platform_id}
    assert running.client.post("/projects", json={"displayName": "A"}).status_code == 201
    assert running.client.post("/projects", json={"displayName": "B"}).status_code == 402


def test_cli_fixtures_have_one_name(capsys: pytest.CaptureFixture[str]) -> None:
    """``--seed FILE`` was a pre-release name of ``--fixtures`` (``--random-seed`` is the seed)."""
    from activepieces_core.testing.cli import _parser

    assert _parser().parse_args(["--fixtures", "g.json"]).fixtures == "g.json"
    assert "--fixtures FILE" in _parser().format_help()
    with pytest.raises(SystemExit):
        _parser().parse_args(["--seed", "f.yaml"])
    assert "unrecognized arguments: --seed" in capsys.readouterr().err


def test_cli_generates_a_key_and_loads_a_fixture_file(tmp_path: Path) -> None:
    fixtures = {
        "platforms": [
            {
                "users": ["Zed Zulu"],
                "global_connections_enabled": True,
                "global_connections": ["gc"],
                "projects": [{"displayName": "Acme", "externalId": "acme", "metadata": {"t": 1}}],
            },
            {"team_projects_limit": "NONE", "api_key": "sk-" + "b" * 61},
        ],
        "projects": [{"display_name": "Globex", "external_id": "globex"}],
    }
    path = tmp_path / "fixtures.json"
    path.write_text(json.dumps(fixtures))
    server = Running("--fixtures", str(path), "--random-seed", "3")
    try:
        assert server.api_key.startswith("sk-")
        assert len(server.api_key) == 64
        data = server.client.get("/projects", params={"limit": -1}).json()["data"]
        assert [(p["type"], p["displayName"]) for p in data] == [
            ("PERSONAL", "Olivia's Project"),
            ("PERSONAL", "Zed's Project"),
            ("TEAM", "Acme"),
            ("TEAM", "Globex"),
        ]
        assert data[2]["metadata"] == {"t": 1}
        other = httpx.get(
            f"{server.url}/projects",
            headers={"Authorization": "Bearer sk-" + "b" * 61},
        ).json()["data"]
        assert [p["displayName"] for p in other] == [
            "Alice's Project",
            "Bob's Project",
            "Olivia's Project",
        ]
    finally:
        assert server.stop() == 0


def test_cli_rejects_a_bad_key() -> None:
    result = subprocess.run(
        [*_command(), "--api-key", "nope"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "sk-" in result.stderr


def test_cli_team_projects_limit_takes_a_number() -> None:
    server = Running("--team-projects-limit", "2")
    try:
        codes = [
            server.client.post("/projects", json={"displayName": n}).status_code for n in "ABC"
        ]
        assert codes == [201, 201, 402]
    finally:
        assert server.stop() == 0


def test_cli_refuses_a_wrong_team_projects_limit() -> None:
    done = subprocess.run(
        [*_command(), "--team-projects-limit", "MANY"], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2
    assert "team_projects_limit must be a number" in done.stderr
