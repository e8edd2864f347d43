"""Fault campaign: N tenants onboarded, re-synced and torn down under injected faults.

    uv run --frozen python bench/fault_campaign.py [--tenants 1000] [--rate 0.2] [--json]

Two paths, each against its own in-process emulator with ``--rate`` of all requests failing
(429, 503 with an HTML body, 502, connection dropped before / after the write, and a slow
response that outlasts the client's short timeout):

* ``airflow``: ``ActivepiecesSyncTenantsOperator.execute`` (onboard, then re-sync with changed
  pieces) and one ``ActivepiecesDeleteProjectOperator.execute`` per tenant (teardown), in-process
  with a minimal context and the connection from ``AIRFLOW_CONN_ACTIVEPIECES_DEFAULT``;
* ``prefect``: the ``sync_tenants`` and ``teardown_tenants`` flows on an ephemeral server, each
  tenant archived (to a temporary directory) before its delete.

A run that fails because some tenants failed is re-run, as a scheduler retry would, until it
converges (at most ``--attempts``). Measured per path: duplicates (external ids with more than
one live project), missing tenants, stale tenants (pieces not converged after the re-sync),
leftover projects after teardown, unhandled exceptions (anything but the expected "some tenants
failed" / transient API error), attempts, requests, faults injected, wall time. Exit code 1 if
any of duplicates / missing / stale / leftover / unhandled is non-zero.

Each path runs in a child process so that Airflow and Prefect never share an interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

PATHS = ("airflow", "prefect")
FAULT_MIX = {"429": 1, "503_html": 1, "502": 1, "drop_before": 1, "drop_after": 1, "slow": 1}
CLIENT_TIMEOUT = 1.0  # seconds; "slow" responses take longer, so the client times out
SLOW_SECONDS = 2.0
PIECES_BEFORE = ["slack"]
PIECES_AFTER = ["slack", "gmail"]
FAILED_LIMIT = ("duplicates", "missing", "stale", "leftover", "unhandled")


@dataclass
class PathResult:
    """Figures of one path (onboard + re-sync + teardown)."""

    path: str
    tenants: int
    duplicates: int = 0
    missing: int = 0
    stale: int = 0
    leftover: int = 0
    unhandled: int = 0
    transient_surfaced: int = 0
    attempts: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- shared helpers


def _isolate_homes() -> None:
    """Throw-away Airflow/Prefect homes, set before either is imported."""
    home = tempfile.mkdtemp(prefix="fault-campaign-")
    os.environ.update(
        AIRFLOW_HOME=os.path.join(home, "airflow"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        PREFECT_HOME=os.path.join(home, "prefect"),
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
        DO_NOT_TRACK="1",
    )


def _tenants(n: int, pieces: list[str]) -> list[dict[str, Any]]:
    return [
        {"external_id": f"tenant-{i:05d}", "display_name": f"Tenant {i}", "pieces": pieces}
        for i in range(n)
    ]


def _inject_faults(emu: Any, rate: float) -> None:
    emu.faults.seed(1234)
    emu.faults.set("*", rate=rate, kinds=FAULT_MIX, retry_after=1, slow_seconds=SLOW_SECONDS)


def _live_by_external_id(emu: Any) -> dict[str, list[dict[str, Any]]]:
    live: dict[str, list[dict[str, Any]]] = {}
    for project in emu.state.projects(types=["TEAM"]):
        if project.get("externalId"):
            live.setdefault(project["externalId"], []).append(project)
    return live


def _check_converged(emu: Any, result: PathResult, ids: list[str], pieces: list[str]) -> None:
    """Record duplicates, missing tenants and tenants whose pieces did not converge."""
    from activepieces_core import normalize_pieces

    live = _live_by_external_id(emu)
    wanted = normalize_pieces(pieces)
    result.duplicates = max(result.duplicates, sum(len(v) > 1 for v in live.values()))
    result.missing = max(result.missing, sum(e not in live for e in ids))
    stale = 0
    for external_id in ids:
        for project in live.get(external_id, []):
            plan = project.get("plan") or {}
            stale += sorted(plan.get("pieces") or []) != wanted
    result.stale = max(result.stale, stale)


def _retry_until_converged(
    name: str,
    run: Callable[[], None],
    expected: tuple[type[BaseException], ...],
    result: PathResult,
    max_attempts: int,
) -> None:
    """Call ``run`` again after an expected failure, as a scheduler retry would."""
    for attempt in range(1, max_attempts + 1):
        result.attempts[name] = attempt
        try:
            run()
            return
        except expected as exc:
            if not _is_expected(exc):
                _unhandled(result, name, exc)
                return
            result.transient_surfaced += _is_api_error(exc)
            if attempt == max_attempts:
                result.errors.append(f"{name}: not converged after {attempt} attempts: {exc}")
        except Exception as exc:
            _unhandled(result, name, exc)
            return


def _is_expected(exc: BaseException) -> bool:
    """'Some tenants failed' errors, or an API error the client classed as transient."""
    from activepieces_core.errors import APIError

    if isinstance(exc, APIError):
        return bool(exc.is_transient)
    return True


def _is_api_error(exc: BaseException) -> bool:
    from activepieces_core.errors import APIError

    return isinstance(exc, APIError)


def _unhandled(result: PathResult, name: str, exc: BaseException) -> None:
    result.unhandled += 1
    tb = "".join(traceback.format_exception(exc)[-3:])
    result.errors.append(f"{name}: {type(exc).__name__}: {exc}\n{tb}")


# --------------------------------------------------------------------------- airflow path


class _TaskInstance:
    """Just enough of a TaskInstance for ``execute``: XCom pushes are kept in memory."""

    def __init__(self) -> None:
        self.xcom: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcom[key] = value


class _OutletEvents:
    """``context["outlet_events"][alias].add(asset, extra=...)`` collecting events."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    def __getitem__(self, key: Any) -> _OutletEvents:
        return self

    def add(self, asset: Any, extra: dict[str, Any] | None = None) -> None:
        self.events.append((asset, extra))


def _context() -> dict[str, Any]:
    return {"ti": _TaskInstance(), "outlet_events": _OutletEvents()}


def _airflow_connection(emu: Any) -> None:
    os.environ["AIRFLOW_CONN_ACTIVEPIECES_DEFAULT"] = json.dumps(
        {
            "conn_type": "activepieces",
            "host": emu.url,
            "password": emu.api_key,
            "extra": {"timeout": CLIENT_TIMEOUT, "max_retries": 4},
        }
    )


def _airflow_sync(tenants: list[dict[str, Any]]) -> Callable[[], None]:
    from activepieces_provider.operators.tenants import ActivepiecesSyncTenantsOperator

    def run() -> None:
        ActivepiecesSyncTenantsOperator(task_id="sync_tenants", tenants=tenants).execute(
            _context()  # type: ignore[arg-type]
        )

    return run


def _airflow_delete(external_id: str) -> Callable[[], None]:
    from activepieces_provider.operators.projects import ActivepiecesDeleteProjectOperator

    def run() -> None:
        ActivepiecesDeleteProjectOperator(
            task_id="delete_project", external_id=external_id, missing_ok=True
        ).execute(_context())  # type: ignore[arg-type]

    return run


def run_airflow(n: int, rate: float, max_attempts: int) -> PathResult:
    """Sync operator twice (onboard, changed pieces), then one delete operator per tenant."""
    from activepieces_core.errors import APIError
    from activepieces_core.testing import Emulator
    from activepieces_provider.exceptions import TenantSyncError

    result = PathResult("airflow", n)
    ids = [t["external_id"] for t in _tenants(n, PIECES_BEFORE)]
    with Emulator(seed=0) as emu:
        _airflow_connection(emu)
        _inject_faults(emu, rate)
        started = time.perf_counter()
        for name, pieces in (("onboard", PIECES_BEFORE), ("resync", PIECES_AFTER)):
            run = _airflow_sync(_tenants(n, pieces))
            _retry_until_converged(name, run, (TenantSyncError, APIError), result, max_attempts)
            _check_converged(emu, result, ids, pieces)
        _teardown_each(ids, _airflow_delete, (APIError,), result, max_attempts)
        result.seconds = time.perf_counter() - started
        result.leftover = sum(len(v) for k, v in _live_by_external_id(emu).items() if k in ids)
        result.requests = len(emu.requests)
        result.faults = dict(emu.faults.injected)
    return result


def _teardown_each(
    ids: list[str],
    make: Callable[[str], Callable[[], None]],
    expected: tuple[type[BaseException], ...],
    result: PathResult,
    max_attempts: int,
) -> None:
    """One task per tenant, 16 in parallel (a mapped task), each retried on its own."""

    def one(external_id: str) -> PathResult:
        own = PathResult("airflow", 1)
        _retry_until_converged("teardown", make(external_id), expected, own, max_attempts)
        return own

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(one, ids))
    per_task = Counter(o.attempts["teardown"] for o in outcomes)
    result.attempts["teardown (max per task)"] = max(per_task)
    result.attempts["teardown (tasks retried)"] = sum(c for a, c in per_task.items() if a > 1)
    for own in outcomes:
        result.unhandled += own.unhandled
        result.transient_surfaced += own.transient_surfaced
        result.errors.extend(own.errors)


# --------------------------------------------------------------------------- prefect path


def run_prefect(n: int, rate: float, max_attempts: int) -> PathResult:
    """``sync_tenants`` twice (onboard, changed pieces), then ``teardown_tenants``."""
    from activepieces_core.errors import APIError
    from activepieces_core.testing import Emulator
    from prefect_activepieces import ActivepiecesCredentials
    from prefect_activepieces.exceptions import TenantFlowError
    from prefect_activepieces.flows import sync_tenants, teardown_tenants

    result = PathResult("prefect", n)
    ids = [t["external_id"] for t in _tenants(n, PIECES_BEFORE)]
    expected = (TenantFlowError, APIError)
    with Emulator(seed=0) as emu, tempfile.TemporaryDirectory() as archives:
        creds = ActivepiecesCredentials(
            base_url=emu.url, api_key=emu.api_key, timeout=CLIENT_TIMEOUT
        )
        _warm_up_prefect(creds)
        started = time.perf_counter()
        _inject_faults(emu, rate)
        for name, pieces in (("onboard", PIECES_BEFORE), ("resync", PIECES_AFTER)):
            tenants = _tenants(n, pieces)
            run = lambda t=tenants: sync_tenants(t, creds, concurrency=16)  # noqa: E731
            _retry_until_converged(name, run, expected, result, max_attempts)
            _check_converged(emu, result, ids, pieces)
        # Each tenant archived before its delete, as teardown_tenants asks by default: the
        # archive's reads go through the same faults.
        teardown = lambda: teardown_tenants(  # noqa: E731
            ids, creds, concurrency=16, archive=archives
        )
        _retry_until_converged("teardown", teardown, expected, result, max_attempts)
        result.seconds = time.perf_counter() - started
        result.leftover = sum(len(v) for k, v in _live_by_external_id(emu).items() if k in ids)
        result.requests = len(emu.requests)
        result.faults = dict(emu.faults.injected)
    return result


def _warm_up_prefect(creds: Any) -> None:
    """Start the ephemeral server with an empty sync so its start-up is not in the figures."""
    from prefect_activepieces.flows import sync_tenants

    sync_tenants([], creds)


# --------------------------------------------------------------------------- driver


def run_child(path: str, args: argparse.Namespace) -> PathResult:
    """Run one path in a fresh interpreter; its last stdout line is the JSON result."""
    command = [
        sys.executable,
        __file__,
        "--only",
        path,
        "--tenants",
        str(args.tenants),
        "--rate",
        str(args.rate),
        "--attempts",
        str(args.attempts),
    ]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        result = PathResult(path, args.tenants, unhandled=1)
        result.errors.append(f"child exited {proc.returncode}: {proc.stderr[-3000:]}")
        return result
    return PathResult(**json.loads(lines[-1]))


def print_report(results: list[PathResult]) -> None:
    """One column per path; the unhandled errors (first five per path) go to stderr."""
    rows: list[tuple[str, Callable[[PathResult], object]]] = [
        ("tenants", lambda r: r.tenants),
        ("duplicates", lambda r: r.duplicates),
        ("missing", lambda r: r.missing),
        ("stale (pieces)", lambda r: r.stale),
        ("leftover", lambda r: r.leftover),
        ("unhandled", lambda r: r.unhandled),
        ("transient API errors", lambda r: r.transient_surfaced),
    ]
    steps = dict.fromkeys(k for r in results for k in r.attempts)
    rows += [(f"attempts: {k}", lambda r, k=k: r.attempts.get(k, "-")) for k in steps]
    rows += [
        ("requests", lambda r: r.requests),
        ("faults injected", lambda r: sum(r.faults.values())),
    ]
    kinds = sorted({k for r in results for k in r.faults})
    rows += [(f"  {k}", lambda r, k=k: r.faults.get(k, 0)) for k in kinds]
    rows.append(("wall s", lambda r: f"{r.seconds:.1f}"))
    print(f"{'':36}" + "".join(f"{r.path:>12}" for r in results))
    for label, get in rows:
        print(f"{label:36}" + "".join(f"{get(r)!s:>12}" for r in results))
    for r in results:
        for error in r.errors[:5]:
            print(f"\n[{r.path}] {error}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=0.2)
    parser.add_argument("--attempts", type=int, default=6, help="runs per step at most")
    parser.add_argument("--paths", default=",".join(PATHS))
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--only", choices=PATHS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.only:
        _isolate_homes()
        runner = run_airflow if args.only == "airflow" else run_prefect
        print(json.dumps(asdict(runner(args.tenants, args.rate, args.attempts))))
        return 0
    print(
        f"fault campaign: {args.tenants} tenants, {args.rate:.0%} faults "
        f"({', '.join(FAULT_MIX)}), client timeout {CLIENT_TIMEOUT}s, slow {SLOW_SECONDS}s",
        flush=True,
    )
    results = [run_child(path, args) for path in args.paths.split(",")]
    if args.json:
        print(json.dumps([asdict(r) for r in results]))
    else:
        print_report(results)
    bad = any(getattr(r, name) for r in results for name in FAILED_LIMIT)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
