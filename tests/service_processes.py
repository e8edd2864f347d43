"""Real service processes for the tests that start them (tests/deploy, tests/browser).

Every :class:`Service` runs in a process group of its own with stdout/stderr in
``<log_dir>/<name>.log``; the test or fixture that starts it stops it through that handle
(SIGTERM to its group, SIGKILL after a grace period), also when the test fails.
Importable as ``service_processes``: ``tests/`` is on ``sys.path`` through ``tests/conftest.py``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import httpx

T = TypeVar("T")

#: Settings of the suite's own (in-process) Airflow/Prefect that must not reach the services
#: under test, which each get a home of their own.
_FOREIGN_PREFIXES = ("AIRFLOW", "PREFECT", "ACTIVEPIECES_")


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env(**overrides: str) -> dict[str, str]:
    """This process's environment without Airflow/Prefect/Activepieces settings, plus ``overrides``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_FOREIGN_PREFIXES)}
    env.update(PYTHONUNBUFFERED="1", DO_NOT_TRACK="1", NO_COLOR="1", COLUMNS="200")
    env.update(overrides)
    return env


class Service:
    """One process started by a test, logged to ``<log_dir>/<name>.log``.

    It runs in ``cwd`` (default: ``log_dir``); failure messages quote the last ``tail_lines``
    lines of its log.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        log_dir: Path,
        cwd: Path | None = None,
        tail_lines: int = 80,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.cwd = log_dir if cwd is None else cwd
        self.log_path = log_dir / f"{name}.log"
        self.tail_lines = tail_lines
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Service:
        with self.log_path.open("ab") as log:
            # A new session = a process group of its own: stop() reaches the children too
            # (LocalExecutor workers, uvicorn workers, flow-run subprocesses) and nothing else.
            self.process = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def check_alive(self, lines: int | None = None) -> None:
        """Raise (with the log's last ``lines``, default ``tail_lines``) if the process exited."""
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with code {self.process.returncode}:\n{self.tail(lines)}"
            )

    def wait_http(self, url: str, timeout: float) -> None:
        """Poll ``url`` until it answers 200; fail early (with the log) if the process exits."""
        assert self.process is not None, f"{self.name} was not started"
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=5).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not ready after {timeout} s:\n{self.tail()}")
            time.sleep(0.5)

    def wait(self, timeout: float) -> int:
        """Wait for the process to exit by itself; its exit code."""
        assert self.process is not None, f"{self.name} was not started"
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RuntimeError(
                f"{self.name} still running after {timeout} s:\n{self.tail()}"
            ) from None

    def terminate(self) -> None:
        """SIGTERM to the process group, without waiting (see :func:`stop_all`)."""
        if self.process is not None:
            # start_new_session: the group id is the leader's pid
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)

    def stop(self, grace: float = 20.0) -> None:
        """SIGTERM to the process group, SIGKILL after ``grace`` seconds; idempotent."""
        process = self.process
        if process is None:
            return
        self.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
        # Children may outlive a leader that exited quickly: the group gets SIGKILL either way.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)

    def tail(self, lines: int | None = None) -> str:
        """The log's last ``lines`` lines (default ``tail_lines``)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-(self.tail_lines if lines is None else lines) :])


def stop_all(services: Sequence[Service], grace: float = 10.0) -> None:
    """Stop services together (SIGTERM to every group first, then wait): shutdowns overlap.

    The grace is short on purpose: Airflow's api-server logs a clean shutdown within a second
    but its interpreter then lingers for 5-15 s on two busy cores; SIGKILL loses nothing then.
    """
    for service in services:
        service.terminate()
    deadline = time.monotonic() + grace
    for service in services:
        service.stop(grace=max(0.1, deadline - time.monotonic()))


def run_command(
    name: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    log_dir: Path,
    timeout: float,
    cwd: Path | None = None,
    tail_lines: int = 80,
) -> str:
    """Run a command to completion in its own process group (killed on timeout); its output.

    Raises unless it exits 0, quoting the tail of its log ``<log_dir>/<name>.log``.
    """
    service = Service(name, argv, env=env, log_dir=log_dir, cwd=cwd, tail_lines=tail_lines)
    service.start()
    try:
        code = service.wait(timeout)
    finally:
        service.stop(grace=5)
    if code != 0:
        raise RuntimeError(f"{name} exited with code {code}:\n{service.tail()}")
    return service.log_path.read_text(errors="replace")


def wait_for(
    check: Callable[[], T | None],
    *,
    timeout: float,
    what: str,
    services: Iterable[Service] = (),
    interval: float = 0.5,
) -> T:
    """Poll ``check`` until it returns a truthy value; fail early if a service died.

    A dead service's error quotes 40 lines of its log: several may be watched at once.
    """
    watched = list(services)
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        for service in watched:
            service.check_alive(lines=40)
        try:
            value = check()
        except (httpx.HTTPError, OSError) as exc:  # not up yet
            value, last_error = None, exc
        if value:
            return value
        if time.monotonic() > deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}{detail}")
        time.sleep(interval)
