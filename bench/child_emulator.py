"""The emulator in a child process, driven over a pipe, for the benches.

Its CPU does not compete with the client's for the GIL, as a real server's would not.
Every bench uses this one driver; commands are the functions in `COMMANDS`.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import time
from collections import Counter
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

#: Routes every ``counts`` answer has (0 when unused); other routes appear when used.
ROUTES = ("list", "get", "create", "update", "delete")


def _faults(emu: Any, **settings: Any) -> None:
    emu.faults.clear()
    # The injected latency is the server's whole response time: the emulator's own handling
    # runs inside it, so its CPU does not add to every round trip (FaultPlan.latency_from_arrival).
    emu.faults.latency_from_arrival = True
    if settings:
        emu.faults.set("*", **settings)


def _counts(emu: Any) -> dict[str, int]:
    result = dict(Counter(r.route for r in emu.requests))
    result.update({r: result.get(r, 0) for r in ROUTES})
    result["total"] = len(emu.requests)
    return result


def _seed(emu: Any, n: int) -> list[str]:
    """N TEAM projects with external ids, straight into the state; their ids."""
    emu.requests.clear()
    return [
        emu.state.add_project(f"Tenant {i}", external_id=f"tenant-{i:05d}")["id"] for i in range(n)
    ]


def _reset(emu: Any) -> None:
    emu.reset()
    gc.collect()  # between runs, never inside one (`_serve`)


COMMANDS: dict[str, Callable[..., Any]] = {
    "faults": _faults,
    "counts": _counts,
    "clear": lambda emu: emu.requests.clear(),
    "reset": _reset,
    "team": lambda emu: len(emu.state.projects(types=["TEAM"])),
    "seed": _seed,
    "piece_sets": lambda emu: emu.state.configure_platform(manage_pieces_enabled=True),
    # The child's CPU seconds so far (its server thread included): is the emulator the limit?
    "cpu": lambda emu: time.process_time(),
}


def _serve(conn: Connection, platform: dict[str, Any]) -> None:
    from activepieces_core.testing import Emulator

    # No cyclic collection while a run is measured, only at each `reset`. With the emulator
    # CLI's thresholds (`collect_less_often`) each young collection stopped the server's loop
    # for 9-18 ms in the contents bench, holding up every request in flight: 1-2% of its wall
    # time, charged to the client. Serving leaves next to no cycles (some 2,500 objects after
    # 2,000 creates and 2,000 template replaces), so memory does not grow for the lack of it.
    gc.disable()
    with Emulator(seed=0) as emu:
        if platform:
            emu.state.configure_platform(**platform)
        conn.send({"url": emu.url, "api_key": emu.api_key})
        while True:
            cmd, kwargs = conn.recv()
            if cmd == "stop":
                conn.send(None)
                return
            conn.send(COMMANDS[cmd](emu, **kwargs))


class ChildEmulator:
    """The emulator in a child process; ``platform`` settings go to ``configure_platform``.
    Stopped by `close`."""

    def __init__(self, **platform: Any) -> None:
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child, platform), daemon=True)
        self._proc.start()
        info = self._conn.recv()
        self.url: str = info["url"]
        self.api_key: str = info["api_key"]

    @property
    def pid(self) -> int:
        """The child's process id (its CPU time is the emulator's)."""
        assert self._proc.pid is not None
        return self._proc.pid

    def call(self, cmd: str, **kwargs: Any) -> Any:
        """Run one of `COMMANDS` in the child and return its answer."""
        self._conn.send((cmd, kwargs))
        return self._conn.recv()

    def close(self) -> None:
        self.call("stop")
        self._proc.join(timeout=30)
