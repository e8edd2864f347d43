"""The :class:`Emulator` context manager: a real uvicorn server on loopback, in a thread."""

from __future__ import annotations

import gc
import socket
import threading
import time
from types import TracebackType

import uvicorn
from typing_extensions import Self

from .app import EmulatorApp
from .faults import FaultPlan
from .fixtures import FixtureSource
from .plan_limits import TeamProjectsLimit
from .requestlog import RequestLog
from .state import EmulatorState

START_TIMEOUT = 15.0


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind first, so the port is known (``0`` = any free port) before the server starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


#: `collect_less_often`'s thresholds (default 700, 10, 10): the young generation is collected
#: after 20,000 allocations, every few hundred requests (a create allocates some 30 containers)
#: instead of every ~25; each older one after 20 collections of the one below it.
SERVING_GC_THRESHOLDS = (20_000, 20, 20)


def collect_less_often() -> None:
    """For a process that only serves the emulator (its CLI, a bench's child): the cyclic
    garbage collector runs less often. Each request allocates short-lived dicts and lists,
    and the default thresholds collect every few dozen requests, rescanning a state that only
    grows. Not for the in-process `Emulator`: the test process's collector is not its own."""
    gc.set_threshold(*SERVING_GC_THRESHOLDS)


def make_server(app: EmulatorApp) -> uvicorn.Server:
    """A quiet uvicorn server (no access log, no logging config of its own) that spends as
    little as it can per request, so a client bench measures the client: no proxy-header
    rewriting (nothing sits in front of it), no ``server: uvicorn`` header (the real server
    sends none), no WebSocket support (no route has one)."""
    config = uvicorn.Config(
        app,
        lifespan="off",
        access_log=False,
        log_config=None,
        log_level="warning",
        timeout_graceful_shutdown=1,
        backlog=2048,
        proxy_headers=False,
        server_header=False,
        ws="none",
    )
    return uvicorn.Server(config)


def _with_content_options(
    fixtures: FixtureSource | None, environments: bool, global_connections: bool
) -> FixtureSource | None:
    """``environments``/``global_connections`` turn the plan flags on for the first platform."""
    if not environments and not global_connections:
        return fixtures
    from .contents import with_content_options
    from .fixtures import read_fixtures

    data = read_fixtures(fixtures) if fixtures is not None else None
    return with_content_options(
        data, environments=environments, global_connections=global_connections
    )


class Emulator:
    """The Activepieces Projects API on ``127.0.0.1:<free port>``, for tests.

    ``seed`` makes ids, icon colours and random faults reproducible. ``fixtures`` (a mapping
    or a JSON/YAML path, see :mod:`.fixtures`) replace the default platform. ``environments``
    and ``global_connections`` turn ``environmentsEnabled`` (replace) and
    ``globalConnectionsEnabled`` on for the first platform.
    """

    def __init__(
        self,
        seed: int | None = 0,
        *,
        team_projects_limit: TeamProjectsLimit = None,
        duplicate_external_id_status: int = 500,
        api_key: str | None = None,
        users: int = 2,
        fixtures: FixtureSource | None = None,
        environments: bool = False,
        global_connections: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if duplicate_external_id_status not in (500, 409):
            raise ValueError("duplicate_external_id_status must be 500 or 409")
        self._seed = seed
        self.state = EmulatorState(
            seed,
            team_projects_limit=team_projects_limit,
            duplicate_external_id_status=duplicate_external_id_status,
            api_key=api_key,
            users=users,
            fixtures=_with_content_options(fixtures, environments, global_connections),
        )
        self.faults = FaultPlan(seed)
        self.requests = RequestLog()
        self.app = EmulatorApp(self.state, self.faults, self.requests)
        self._host = host
        self._port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._bound_port: int | None = None

    # ---- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Self:
        """Start serving; returns once the server accepts connections."""
        if self._server is not None:
            raise RuntimeError("emulator already started")
        sock = bind_socket(self._host, self._port)
        self._bound_port = sock.getsockname()[1]
        server = make_server(self.app)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="activepieces-emulator", daemon=True
        )
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the emulator server did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving (pending slow responses are cut after ~1 s)."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout=10)

    close = stop

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def reset(self) -> None:
        """Back to the initial state (fixtures applied again); faults and request log cleared."""
        self.state.reset()
        self.faults.seed(self._seed)
        self.faults.clear()
        self.requests.clear()
        self.app.stats.reset()
        self.app.unserved.clear()

    def unserve(self, *routes: str) -> None:
        """Answer ``routes`` (names as in `RequestLog`, e.g. ``"members.platform"``) as a server
        without them does: 404, route not found, like an older server. `reset` serves them again."""
        self.app.unserved.update(routes)

    def stats(self) -> dict[str, int]:
        """What ``GET /__emulator/stats`` answers: requests, in flight now, peak in flight."""
        return self.app.stats.snapshot()

    # ---- addresses and identity -------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        if self._bound_port is None:
            raise RuntimeError("emulator not started")
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._bound_port}"

    @property
    def url(self) -> str:
        """The API root a client is configured with: ``http://127.0.0.1:PORT/api/v1``."""
        return self.base_url + "/api/v1"

    @property
    def api_key(self) -> str:
        """The default platform's API key."""
        return self.state.platform().api_key

    @property
    def platform_id(self) -> str:
        return self.state.default_platform_id

    def __repr__(self) -> str:
        where = self.base_url if self._bound_port is not None else "not started"
        return f"Emulator({where})"
