"""Helpers of the browser tests: server processes, loopback ports, and reading a form as a user sees it.

Every :class:`Server` runs in a process group of its own with its output in a log file; the
fixture that starts it stops it through that handle (SIGTERM to the group, SIGKILL after a grace
period), also when the test fails.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

#: Settings of the suite's in-process Airflow/Prefect that must not reach the servers under test,
#: which each get a home of their own.
_FOREIGN_PREFIXES = ("AIRFLOW", "PREFECT", "ACTIVEPIECES_")

#: For every visible ``<label>`` with text: the control it names (``label.control``, or the first
#: input in the nearest enclosing element that has one, for UIs whose labels carry no ``for``),
#: marked with ``data-ap-label`` so the test can fill it by the label a user reads. A checkbox or
#: a switch (a toggle drawn as a button) reports ``checked``.
FIELDS_JS = """
(root) => {
  const out = [];
  for (const label of root.querySelectorAll('label')) {
    const clone = label.cloneNode(true);
    clone.querySelectorAll('[aria-hidden="true"]').forEach((e) => e.remove());
    const text = clone.textContent.replace(/\\s+/g, ' ').trim();
    if (!text || !label.offsetParent) continue;
    let control = label.control;
    for (let node = label; !control && node && node !== root; node = node.parentElement) {
      control = node.querySelector('input, textarea, select');
    }
    if (!control) continue;
    control.setAttribute('data-ap-label', text);
    const isSwitch = control.getAttribute('role') === 'switch';  // a toggle drawn as a button
    out.push({
      label: text,
      tag: control.tagName.toLowerCase(),
      type: isSwitch ? 'switch' : control.type || null,
      name: control.getAttribute('name'),
      placeholder: control.getAttribute('placeholder'),
      value: control.value,
      checked: isSwitch ? control.getAttribute('aria-checked') === 'true'
        : control.type === 'checkbox' ? control.checked : null,
    });
  }
  return out;
}
"""


def form_fields(root: Any) -> dict[str, dict[str, Any]]:
    """The fields under a Playwright locator, keyed by their visible label text."""
    return {field["label"]: field for field in root.evaluate(FIELDS_JS)}


def wait_for_fields(
    root: Any, ready: Callable[[dict[str, dict[str, Any]]], bool], timeout: float = 60.0
) -> dict[str, dict[str, Any]]:
    """:func:`form_fields` once ``ready`` accepts them (forms fill in after their data loads)."""
    deadline = time.monotonic() + timeout
    while True:
        fields = form_fields(root)
        if ready(fields):
            return fields
        if time.monotonic() > deadline:
            raise AssertionError(f"form not ready after {timeout} s: {fields}")
        time.sleep(0.25)


def submit(page: Any, button: Any, path: str, *, tries: int = 3) -> Any:
    """Click ``button`` until the page sends a write whose URL path matches the regex ``path``;
    the response, checked ok.

    On a loaded machine a click can land before the form is ready to submit; it is repeated only
    while no request went out, so nothing is ever written twice.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    def is_write(request: Any) -> bool:
        url_path = urlsplit(request.url).path
        return request.method in {"POST", "PATCH", "PUT"} and re.search(path, url_path) is not None

    for _ in range(tries):
        try:
            with page.expect_request(is_write, timeout=10_000) as sent:
                button.click()
        except PlaywrightTimeout:
            continue
        response = sent.value.response()
        assert response is not None, f"no response to {sent.value.method} {sent.value.url}"
        assert response.ok, f"{response.status} from {sent.value.url}: {response.text()}"
        return response
    raise AssertionError(f"{tries} clicks on the save button sent nothing to {path}")


def control(root: Any, label: str) -> Any:
    """Locator of the control labelled ``label`` (after :func:`form_fields` marked it)."""
    return root.locator(f'[data-ap-label="{label}"]')


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


class Server:
    """A process started by a fixture, logged to ``<log_dir>/<name>.log``."""

    def __init__(
        self, name: str, argv: Sequence[str], *, env: Mapping[str, str], log_dir: Path
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        with self.log_path.open("ab") as log:
            # A session of its own: stop() reaches the server's children and nothing else.
            self.process = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=self.log_path.parent,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def wait(self, timeout: float) -> int:
        """Wait for the process to exit by itself; its exit code."""
        assert self.process is not None
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RuntimeError(
                f"{self.name} still running after {timeout} s:\n{self.tail()}"
            ) from None

    def wait_http(self, url: str, timeout: float) -> None:
        """Poll ``url`` until it answers 200; fail early (with the log) if the process exits."""
        deadline = time.monotonic() + timeout
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with code {self.process.returncode}:\n{self.tail()}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=5).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not ready after {timeout} s:\n{self.tail()}")
            time.sleep(0.5)

    def stop(self, grace: float = 20.0) -> None:
        """SIGTERM to the process group, SIGKILL after ``grace`` seconds; idempotent."""
        process = self.process
        if process is None:
            return
        pgid = process.pid  # start_new_session: the group id is the leader's pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
        # Children may outlive a leader that exited: the group gets SIGKILL either way.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)

    def tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def run(
    name: str, argv: Sequence[str], *, env: Mapping[str, str], log_dir: Path, timeout: float
) -> str:
    """Run a command to completion in its own process group; its output (raises unless exit 0)."""
    server = Server(name, argv, env=env, log_dir=log_dir).start()
    try:
        code = server.wait(timeout)
    finally:
        server.stop(grace=5)
    if code != 0:
        raise RuntimeError(f"{name} exited with code {code}:\n{server.tail()}")
    return server.log_path.read_text(errors="replace")
