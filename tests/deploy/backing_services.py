"""PostgreSQL and Redis from Debian's packages, started by the deployment tests themselves.

Each runs on a free port of 127.0.0.1 with its files in a temp dir, as a
:class:`service_processes.Service` the fixture stops by handle. PostgreSQL refuses to run as
root: as root, it runs as ``nobody`` (its data dir is made that user's). Where a package is
missing the tests skip saying which one to install; with ``ACTIVEPIECES_REQUIRE_DEPLOY=1`` (set
by ``.ci/run``) they fail instead.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from service_processes import Service, free_port, run_command, wait_for

REQUIRE_ENV = "ACTIVEPIECES_REQUIRE_DEPLOY"
#: Debian installs the server binaries outside PATH (``/usr/lib/postgresql/<major>/bin``).
DEBIAN_PG_ROOT = Path("/usr/lib/postgresql")
UNPRIVILEGED_USER = "nobody"
SUPERUSER = "postgres"


def missing(what: str, install: str) -> None:
    """Skip (or fail in CI) because ``what`` is not installed; ``install`` says how to."""
    reason = f"{what} not found: {install}"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1)", pytrace=False)
    pytest.skip(reason)


def require_modules(*modules: str) -> None:
    """Skip (or fail in CI) unless the root project's ``deploy`` group is installed."""
    absent = [name for name in modules if importlib.util.find_spec(name) is None]
    if absent:
        missing(", ".join(absent), "uv sync --group deploy (part of the dev group)")


def postgres_bin_dir() -> Path | None:
    """The newest Debian PostgreSQL's bin dir, else the dir of an ``initdb`` on PATH."""
    debian = sorted(
        (p / "bin" for p in DEBIAN_PG_ROOT.glob("*") if (p / "bin" / "initdb").is_file()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if debian:
        return debian[-1]
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


class Postgres:
    """A PostgreSQL cluster of its own: ``trust`` auth on 127.0.0.1 only, durability off."""

    def __init__(self, log_dir: Path) -> None:
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            missing("PostgreSQL (initdb)", "apt-get install postgresql")
        assert bin_dir is not None
        self.bin_dir = bin_dir
        self.log_dir = log_dir
        self.port = free_port()
        self.user = UNPRIVILEGED_USER if os.geteuid() == 0 else None
        # Not under pytest's basetemp: that is root's, mode 0700, and the server runs as nobody.
        self.root = Path(tempfile.mkdtemp(prefix="ap-deploy-pg-"))
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.data = self.root / "data"
        self.service: Service | None = None

    def _tool(self, name: str) -> str:
        return str(self.bin_dir / name)

    def start(self) -> Postgres:
        env = {"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8", "HOME": str(self.root)}
        run_command(
            "postgres-initdb",
            [
                *self._as_user(),
                self._tool("initdb"),
                "-D",
                str(self.data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ],
            env=env,
            cwd=self.root,
            log_dir=self.log_dir,
            timeout=120,
        )
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.root),
            # Airflow's and Prefect's processes each keep a pool: room for all of them.
            "max_connections": "300",
            # A test database: speed over durability.
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        argv = [*self._as_user(), self._tool("postgres"), "-D", str(self.data)]
        for name, value in settings.items():
            argv += ["-c", f"{name}={value}"]
        self.service = Service("postgres", argv, env=env, log_dir=self.log_dir, cwd=self.root)
        self.service.start()
        wait_for(self._ready, timeout=60, what="postgres", services=[self.service])
        return self

    def _as_user(self) -> list[str]:
        # runuser (util-linux) rather than Popen(user=): the group and supplementary groups
        # follow the user too.
        return ["runuser", "-u", self.user, "--"] if self.user else []

    def _ready(self) -> bool:
        argv = [self._tool("pg_isready"), *self._connection_args("postgres")]
        return subprocess.run(argv, capture_output=True, check=False).returncode == 0

    def _connection_args(self, database: str) -> list[str]:
        return ["-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, "-d", database]

    def create_database(self, name: str) -> None:
        self.psql("postgres", f'CREATE DATABASE "{name}"')

    def psql(self, database: str, sql: str) -> str:
        """Run ``sql`` in ``database``; its unaligned, tuples-only output."""
        argv = [self._tool("psql"), *self._connection_args(database), "-XAtq", "-v"]
        result = subprocess.run(
            [*argv, "ON_ERROR_STOP=1", "-c", sql], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"psql {sql!r}: {result.stderr}")
        return result.stdout

    def url(self, database: str, driver: str) -> str:
        """A SQLAlchemy URL, e.g. ``driver="postgresql+psycopg2"``."""
        return f"{driver}://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def dump(self, database: str, out: Path) -> Path:
        """``pg_dump`` of ``database`` as plain SQL into ``out`` (for the key scan)."""
        argv = [self._tool("pg_dump"), *self._connection_args(database), "--no-owner", "-f"]
        subprocess.run([*argv, str(out)], capture_output=True, check=True, timeout=120)
        return out

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop(grace=10)
        shutil.rmtree(self.root, ignore_errors=True)


class Redis:
    """A Redis server with no persistence of its own; :meth:`save` writes an uncompressed
    snapshot into ``data_dir`` for the key scan."""

    def __init__(self, data_dir: Path, log_dir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            missing("redis-server", "apt-get install redis-server")
        assert binary is not None
        self.port = free_port()
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        argv = [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", ""]
        argv += ["--appendonly", "no", "--rdbcompression", "no", "--dir", str(data_dir)]
        self.service = Service("redis", argv, env={}, log_dir=log_dir, cwd=data_dir)
        self.cli = shutil.which("redis-cli") or "redis-cli"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> Redis:
        self.service.start()
        wait_for(self._ready, timeout=30, what="redis", services=[self.service])
        return self

    def _ready(self) -> bool:
        argv = [self.cli, "-h", "127.0.0.1", "-p", str(self.port), "PING"]
        return subprocess.run(argv, capture_output=True, text=True, check=False).stdout == "PONG\n"

    def command(self, *args: str) -> str:
        argv = [self.cli, "-h", "127.0.0.1", "-p", str(self.port), *args]
        return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()

    def save(self) -> None:
        """Write ``dump.rdb`` (strings uncompressed) into the data dir."""
        self.command("SAVE")

    def stop(self) -> None:
        self.service.stop(grace=5)
