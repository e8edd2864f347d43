"""The contract oracle's Python handle: one long-lived ``node oracle.js`` process.

Upstream's published zod schemas (``@activepieces/shared``, pinned in ``package.json``) judge
what the emulator answers and what the client sends. A validation is one JSON line each way, so
hundreds of them cost milliseconds; the process is started and stopped by its handle only.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "oracle.js"
PACKAGE = HERE / "node_modules" / "@activepieces" / "shared" / "package.json"
PINNED_VERSION = json.loads((HERE / "package.json").read_text())["dependencies"][
    "@activepieces/shared"
]


class OracleError(RuntimeError):
    """The oracle could not judge (unknown schema, dead process): never a verdict."""


@dataclass(frozen=True)
class Verdict:
    """upstream's ``safeParse``: ``issues`` as ``(JSON pointer, zod code, message)`` when not
    ``ok``; ``dropped``: the keys the schema strips (what the server would ignore or omit)."""

    schema: str
    ok: bool
    issues: tuple[tuple[str, str, str], ...]
    dropped: tuple[str, ...]

    def explain(self) -> str:
        lines = [f"{self.schema}: {'accepted' if self.ok else 'rejected'}"]
        lines += [f"  {path or '/'}: {message} ({code})" for path, code, message in self.issues]
        lines += [f"  dropped {path}" for path in self.dropped]
        return "\n".join(lines)


def missing_reason() -> str | None:
    """Why the oracle cannot run here (None when it can)."""
    if shutil.which("node") is None:
        return "node is not on PATH"
    if not PACKAGE.exists():
        return f"tests/contract/node_modules is missing: run `npm ci` in {HERE}"
    return None


class ZodOracle:
    """A running ``oracle.js``; `check` is thread-safe (one request in flight at a time)."""

    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise OracleError("node is not on PATH")
        self._lock = threading.Lock()
        self._process = subprocess.Popen(
            [node, str(SCRIPT)],
            cwd=HERE,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        if self._process.stdin is None or self._process.stdout is None:
            raise OracleError("the oracle process has no pipes")
        self._stdin, self._stdout = self._process.stdin, self._process.stdout
        self.version = json.loads(PACKAGE.read_text())["version"]

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._stdin.write(json.dumps(request) + "\n")
            self._stdin.flush()
            line = self._stdout.readline()
        if not line:
            raise OracleError(f"the oracle process ended (exit code {self._process.poll()})")
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise OracleError(reply["error"])
        return reply

    def check(self, schema: str, value: Any) -> Verdict:
        """Judge ``value`` (JSON-able) by ``schema``: an export name or ``SeekPage<Name>``."""
        reply = self._ask({"schema": schema, "value": value})
        return Verdict(
            schema=schema,
            ok=reply["ok"],
            issues=tuple((i["path"], i["code"], i["message"]) for i in reply["issues"]),
            dropped=tuple(reply["dropped"]),
        )

    def exports(self) -> frozenset[str]:
        """The zod schemas the pinned package exports."""
        return frozenset(self._ask({"exports": True})["exports"])

    def close(self) -> None:
        """Stop the process (closing stdin ends it; terminate it by its handle if it lingers)."""
        self._stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.terminate()
            self._process.wait(timeout=5)
        self._stdout.close()
