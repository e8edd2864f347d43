"""Helpers of the browser tests: reading and submitting a form as a user sees it.

The servers under test are :class:`service_processes.Service` handles.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

#: Lines of a server's log that a browser test's failure message quotes (the ``tail_lines`` of
#: ``service_processes.Service`` and ``run_command``).
LOG_TAIL = 60

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
