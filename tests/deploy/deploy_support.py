"""REST clients, timing and key scanning for the deployment tests (real servers, real HTTP).

The processes themselves are :class:`service_processes.Service` handles.
"""

from __future__ import annotations

import base64
import json
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
from service_processes import Service

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # console scripts of the environment running the tests


class Stopwatch:
    """Prints the time since the previous mark (shown by pytest when a test fails, or ``-rP``)."""

    def __init__(self) -> None:
        self.start = self.last = time.monotonic()

    def mark(self, what: str) -> None:
        now = time.monotonic()
        print(f"[{now - self.start:6.1f} s] {what} (+{now - self.last:.1f} s)")
        self.last = now


def key_needles(api_key: str) -> dict[str, bytes]:
    """Byte patterns that reveal the key: its body, its body in hex (how ``pg_dump`` writes a
    ``bytea``, e.g. a Celery result), and base64 of the whole key (3 alignments)."""
    body = api_key.removeprefix("sk-").encode()
    found = {"raw": body, "hex": body.hex().encode()}
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + api_key.encode())
        start = (shift * 8 + 5) // 6 if shift else 0
        usable = ((shift + len(api_key)) // 3) * 4
        found[f"b64+{shift}"] = encoded[start:usable]
    return found


def files_under(root: Path) -> Iterator[Path]:
    yield from sorted(p for p in root.rglob("*") if p.is_file())


def key_hits(root: Path, api_key: str) -> dict[str, list[str]]:
    """Files under ``root`` (logs, task logs, database dumps) that contain the key: path -> needles."""
    needles = key_needles(api_key)
    hits: dict[str, list[str]] = {}
    for path in files_under(root):
        data = path.read_bytes()
        names = [name for name, needle in needles.items() if needle in data]
        if names:
            hits[str(path.relative_to(root))] = names
    return hits


def assert_key_absent(root: Path, api_key: str, services: Iterable[Service]) -> None:
    """No file under ``root`` holds the key, and every service's log was there to be searched."""
    empty = [s.name for s in services if not s.log_path.is_file() or not s.log_path.stat().st_size]
    assert not empty, f"no log to search from {empty}"
    hits = key_hits(root, api_key)
    assert hits == {}, f"the API key is in {hits}"


def print_logs(log_dir: Path, lines: int = 150) -> None:
    """Print the tail of every log under ``log_dir`` (shown by pytest for a failed test)."""
    for path in files_under(log_dir):
        if path.suffix not in {".log", ".txt"}:
            continue
        text = path.read_text(errors="replace").splitlines()
        print(f"\n===== {path} (last {min(lines, len(text))} of {len(text)} lines) =====")
        print("\n".join(text[-lines:]))


class AirflowAPI:
    """Airflow 3 public REST API (``/api/v2``) with a JWT from SimpleAuthManager's ``/auth/token``."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url
        self._credentials = {"username": username, "password": password}
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def login(self) -> bool:
        """Get a JWT for the configured user; every later request carries it."""
        response = self.http.post("/auth/token", json=self._credentials)
        response.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        return True

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, **params: Any) -> Any:
        response = self.http.get(f"/api/v2{path}", params=params)
        response.raise_for_status()
        return response.json()

    def send(self, method: str, path: str, body: Any) -> Any:
        response = self.http.request(method, f"/api/v2{path}", json=body)
        if response.is_error:
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    def health(self) -> dict[str, Any]:
        health: dict[str, Any] = self.get("/monitor/health")
        return health

    def trigger(self, dag_id: str, conf: dict[str, Any]) -> str:
        run = self.send("POST", f"/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf})
        run_id: str = run["dag_run_id"]
        return run_id

    def dag_run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        run: dict[str, Any] = self.get(f"/dags/{dag_id}/dagRuns/{run_id}")
        return run

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.get(
            f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", limit=1000
        )["task_instances"]
        return found

    def tries(self, dag_id: str, run_id: str, task_id: str, map_index: int) -> list[dict[str, Any]]:
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/{map_index}/tries"
        found: list[dict[str, Any]] = self.get(path)["task_instances"]
        return found

    def log(self, dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int) -> str:
        """The task try's whole log (worker and triggerer parts) as JSON text, for searching."""
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}"
        content = self.get(path, map_index=map_index, full_content=True)["content"]
        return json.dumps(content)

    def xcom(
        self, dag_id: str, run_id: str, task_id: str, key: str = "return_value", map_index: int = -1
    ) -> Any:
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}"
        return self.get(path, map_index=map_index, deserialize=True, stringify=False)["value"]

    def extra_links(self, dag_id: str, run_id: str, task_id: str, map_index: int) -> dict[str, str]:
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/links"
        links: dict[str, str] = self.get(path, map_index=map_index)["extra_links"]
        return links

    def asset_events(self, **params: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.get("/assets/events", limit=1000, **params)[
            "asset_events"
        ]
        return found


class PrefectAPI:
    """The Prefect server's REST API (what ``run_deployment`` and the UI call)."""

    def __init__(self, api_url: str) -> None:
        self.http = httpx.Client(base_url=api_url, timeout=30)

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """One API call; a 503 (the server's answer to a locked SQLite database) is retried, as
        Prefect's own client does."""
        for attempt in range(6):
            response = self.http.request(method, path, json=body)
            if response.status_code != 503:
                break
            time.sleep(0.25 * 2**attempt)
        if response.is_error:
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    def run_deployment(self, deployment_id: str, parameters: dict[str, Any]) -> str:
        run = self.call(
            "POST", f"/deployments/{deployment_id}/create_flow_run", {"parameters": parameters}
        )
        run_id: str = run["id"]
        return run_id

    def flow_run(self, flow_run_id: str) -> dict[str, Any]:
        run: dict[str, Any] = self.call("GET", f"/flow_runs/{flow_run_id}")
        return run

    def artifacts(self, flow_run_id: str) -> dict[str, dict[str, Any]]:
        """Artifacts of a flow run by key (unkeyed ones under their type)."""
        found = self.call(
            "POST", "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [flow_run_id]}}}
        )
        return {a["key"] or a["type"]: a for a in found}

    def workers(self, pool: str) -> list[dict[str, Any]]:
        """The pool's workers; none while the pool does not exist yet."""
        response = self.http.post(f"/work_pools/{pool}/workers/filter", json={})
        if response.status_code == 404:
            return []
        response.raise_for_status()
        found: list[dict[str, Any]] = response.json()
        return found

    def logs(self, flow_run_id: str) -> list[str]:
        found = self.call(
            "POST", "/logs/filter", {"logs": {"flow_run_id": {"any_": [flow_run_id]}}}
        )
        return [entry["message"] for entry in found]
