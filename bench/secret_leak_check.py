"""Secret-leak check: run the demo and the test suite with a recognisable API key, then search
everything they left.

    uv run --frozen python bench/secret_leak_check.py [--workdir DIR] [--skip-suite]

The key is ``sk-LEAKCANARY...`` (61 alphanumerics after ``sk-``, random tail).

* demo: ``examples/demo/demo.py --emulator-api-key KEY --emulator-pending-invitations
  --workdir DIR/demo`` (invitations stay PENDING, so every invitation the sync sends comes back
  with its sign-up link, a bearer token, for the run to mishandle); the workdir then holds the step logs, the Airflow home (SQLite metadata DB: XCom, rendered_task_instance_fields,
  task logs) and the Prefect home (SQLite DB: artifacts, flow-run parameters, logs).
* suite: ``pytest -rA --activepieces-emulator-api-key KEY`` (the session emulator every
  Airflow, Prefect and client test talks to), with the Airflow/Prefect homes in
  ``DIR/suite/homes`` (``ACTIVEPIECES_TESTS_HOME``), pytest's temp tree in ``DIR/suite/basetemp``
  and every log record at DEBUG in ``DIR/suite/pytest-debug.log``. ``-rA`` prints each test's
  captured output and logs, passed tests included, and ``--tb=long`` every failure's exception
  text; exceptions the code under test logs (task failures in Airflow and Prefect) are in the
  logs and the Prefect DB's log table.

Searched for the key, in each run's stdout/stderr and workdir:

* every file as raw bytes (SQLite files included, with their -wal/-shm and free pages, so
  deleted rows count too);
* every table of every SQLite DB, cell by cell, to name the table a hit is in;
* needles: the key's 61-character body (so a key with its ``sk-`` stripped is caught too) and
  its base64 forms (standard and URL-safe, all three alignments, as inside a Basic auth header);
  in the demo run also ``invitation?token=``, the part of every invitation link before its token.

Prints hits per location and each run's exit code (reported separately: a failing step still
leaves logs worth scanning). Exit code 1 on any hit, 2 if nothing was produced to scan.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import sqlite3
import string
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo" / "demo.py"
PREFIX = "LEAKCANARY"
#: Every invitation link the emulator hands out has it (``…/invitation?token=<token>&email=…``).
LINK_MARKER = b"invitation?token="
#: Tables whose scan we name explicitly, to show they held rows (the scan was not vacuous).
WATCHED_TABLES = (
    "xcom",
    "rendered_task_instance_fields",
    "task_instance",
    "dag_run",
    "log",
    "connection",
    "artifact",
    "flow_run",
    "task_run",
    "block_document",
)


def make_key() -> str:
    """``sk-`` + 61 alphanumerics starting with a recognisable marker."""
    alphabet = string.ascii_letters + string.digits
    tail = "".join(secrets.choice(alphabet) for _ in range(61 - len(PREFIX)))
    return f"sk-{PREFIX}{tail}"


def needles(key: str) -> dict[str, bytes]:
    """Byte patterns that reveal the key: its body raw, and base64 at every alignment."""
    body = key.removeprefix("sk-").encode()
    found = {"raw": body}
    for shift in range(3):
        for name, encode in (("b64", base64.b64encode), ("b64url", base64.urlsafe_b64encode)):
            encoded = encode(b"\0" * shift + key.encode())
            # Drop the characters that depend on the padding bytes or on what follows the key.
            start = (shift * 8 + 5) // 6 if shift else 0
            usable = ((shift + len(key)) // 3) * 4
            found[f"{name}+{shift}"] = encoded[start:usable]
    return found


def _run(
    command: list[str], timeout: float, env: dict[str, str] | None = None
) -> tuple[int, bytes, bytes]:
    """(exit code, stdout, stderr); -1 when it timed out."""
    try:
        done = subprocess.run(
            command, capture_output=True, timeout=timeout, check=False, cwd=ROOT, env=env
        )
    except subprocess.TimeoutExpired as exc:
        return -1, exc.stdout or b"", exc.stderr or b""
    return done.returncode, done.stdout, done.stderr


def run_demo(key: str, workdir: Path, timeout: float) -> tuple[int, bytes, bytes]:
    """The demo against its embedded emulator, leaving its files in ``workdir``."""
    command = [
        sys.executable,
        str(DEMO),
        "--emulator-api-key",
        key,
        "--emulator-pending-invitations",
        "--workdir",
        str(workdir),
    ]
    return _run(command, timeout)


def run_suite(key: str, workdir: Path, timeout: float) -> tuple[int, bytes, bytes]:
    """The whole test suite with the session emulator on ``key``, leaving its files in
    ``workdir``."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-n",
        "0",  # one process: every log record in the one --log-file
        "-rA",
        "--tb=long",
        f"--basetemp={workdir / 'basetemp'}",
        f"--log-file={workdir / 'pytest-debug.log'}",
        "--log-file-level=DEBUG",
        f"--activepieces-emulator-api-key={key}",
    ]
    env = {**os.environ, "ACTIVEPIECES_TESTS_HOME": str(workdir / "homes")}
    return _run(command, timeout, env)


def scan_bytes(data: bytes, patterns: dict[str, bytes]) -> Counter[str]:
    return Counter({name: data.count(p) for name, p in patterns.items() if p in data})


def scan_files(workdir: Path, patterns: dict[str, bytes]) -> tuple[int, dict[str, Counter[str]]]:
    """(files scanned, hits per file relative to the workdir)."""
    files = [p for p in sorted(workdir.rglob("*")) if p.is_file()]
    hits = {str(p.relative_to(workdir)): scan_bytes(p.read_bytes(), patterns) for p in files}
    return len(files), {name: c for name, c in hits.items() if c}


def is_sqlite(path: Path) -> bool:
    """Whether ``path`` starts as every SQLite database file does."""
    with path.open("rb") as file:
        return file.read(16) == b"SQLite format 3\x00"


def scan_sqlite(db: Path, patterns: dict[str, bytes]) -> tuple[dict[str, int], dict[str, int]]:
    """(rows per table, hits per table) of one SQLite DB, read cell by cell."""
    rows: dict[str, int] = {}
    hits: dict[str, int] = {}
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        conn.text_factory = bytes
        tables = [
            r[0].decode() for r in conn.execute("select name from sqlite_master where type='table'")
        ]
        for table in tables:
            count = found = 0
            for row in conn.execute(f'select * from "{table}"'):
                count += 1
                for cell in row:
                    if isinstance(cell, (bytes, str)):
                        data = cell if isinstance(cell, bytes) else cell.encode()
                        found += sum(p in data for p in patterns.values())
            rows[table] = count
            if found:
                hits[table] = found
    return rows, hits


def report(
    run: str,
    code: int,
    streams: dict[str, bytes],
    workdir: Path,
    patterns: dict[str, bytes],
) -> int:
    """Print the hits per location of one run; return the total (-1: nothing to scan)."""
    total = 0
    print(f"== {run}: exit code {code}")
    for name, data in streams.items():
        hits = scan_bytes(data, patterns)
        total += sum(hits.values())
        print(
            f"{run} {name:<6} {len(data):>9} bytes   hits: {sum(hits.values())} {dict(hits) or ''}"
        )
    scanned, file_hits = scan_files(workdir, patterns)
    print(f"workdir files scanned: {scanned} ({_size(workdir)} bytes) under {workdir}")
    for name, hits in file_hits.items():
        total += sum(hits.values())
        print(f"  HIT {name}: {dict(hits)}")
    for db in sorted(workdir.rglob("*.db")):
        if not is_sqlite(db):  # tests/deploy/test_deploy_leak_scan.py plants a stand-in
            print(f"not SQLite {db.relative_to(workdir)}: scanned as bytes only")
            continue
        rows, hits = scan_sqlite(db, patterns)
        watched = {t: n for t, n in rows.items() if t in WATCHED_TABLES}
        print(f"sqlite {db.relative_to(workdir)}: {len(rows)} tables, {sum(rows.values())} rows")
        print(f"  rows scanned in watched tables: {watched}")
        empty = [t for t, n in watched.items() if n == 0]
        if empty:
            print(f"  note: empty, so nothing is proven there: {', '.join(empty)}")
        for table, n in hits.items():
            print(f"  HIT table {table}: {n} cell(s)")
    print(f"{run} hits: {total}")
    return total if scanned else -1


def _size(workdir: Path) -> int:
    return sum(p.stat().st_size for p in workdir.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="default: a new temporary directory")
    parser.add_argument("--timeout", type=float, default=1800.0, help="per run, seconds")
    parser.add_argument("--key", help="API key to use (default: sk-LEAKCANARY + random)")
    parser.add_argument("--skip-suite", action="store_true", help="scan the demo only")
    args = parser.parse_args(argv)
    key = args.key or make_key()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="leak-check-"))
    patterns = needles(key)
    assert scan_bytes(b"x" + key.encode() + b"x", patterns), "needles must match the key"
    print(f"key: sk-{PREFIX}... ({len(key) - 3} chars after sk-); workdir: {workdir}", flush=True)
    runs = {"demo": run_demo} if args.skip_suite else {"demo": run_demo, "suite": run_suite}
    totals: dict[str, int] = {}
    for name, run in runs.items():
        where = workdir / name
        where.mkdir(parents=True, exist_ok=True)
        code, out, err = run(key, where, args.timeout)
        # Only the demo is searched for links: tests may print one on purpose (reveal_link).
        searched = {**patterns, "invitation-link": LINK_MARKER} if name == "demo" else patterns
        totals[name] = report(name, code, {"stdout": out, "stderr": err}, where, searched)
    print(f"TOTAL HITS: {sum(max(0, t) for t in totals.values())}")
    if any(t < 0 for t in totals.values()):
        print("nothing was produced to scan", file=sys.stderr)
        return 2
    return 1 if any(totals.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
