"""Benchmark the Prefect teardown against a prune deleting the same tenants.

    uv run --frozen python bench/prefect_teardown.py [--tenants 1000] [--repeats 3]

Side by side in one run, against one emulator (``activepieces_core.testing``, in a child
process so that its CPU does not compete with the flows for the GIL) and one Prefect
ephemeral server (started and warmed up first, so start-up is not in the figures):
``teardown_tenants(ids)`` and ``sync_tenants([], prune=True)``, each deleting the same N
freshly seeded TEAM projects, at the same concurrency. The order alternates per repeat; the
figures are medians. Target: the teardown takes at most 2x the prune's time.

Both delete without archives (``archive=None`` spelled out): this measures the teardown
itself; bench/archive_teardown.py measures it with archives.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from child_emulator import ChildEmulator

TARGET_RATIO = 2.0


def _isolate_prefect() -> None:
    """A throw-away Prefect home (ephemeral server, SQLite), set before Prefect is imported."""
    home = tempfile.mkdtemp(prefix="prefect-teardown-bench-")
    os.environ.update(
        PREFECT_HOME=os.path.join(home, "prefect"),
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
    )


def _timed(emu: ChildEmulator, n: int, run: Callable[[], dict[str, Any]]) -> tuple[float, str]:
    emu.call("seed", n=n)
    started = time.perf_counter()
    report = run()
    seconds = time.perf_counter() - started
    after = {**emu.call("counts"), "team": emu.call("team")}
    if after["team"] != 0:
        raise SystemExit(f"{after['team']} TEAM projects left; report summary {report['summary']}")
    return seconds, f"{after['list']} list + {after['get']} get + {after['delete']} delete"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    _isolate_prefect()
    from prefect_activepieces import ActivepiecesCredentials
    from prefect_activepieces.flows import sync_tenants, teardown_tenants

    n, concurrency = args.tenants, args.concurrency
    ids = [f"tenant-{i:05d}" for i in range(n)]
    emu = ChildEmulator()
    try:
        creds = ActivepiecesCredentials(base_url=emu.url, api_key=emu.api_key)
        sync_tenants([], creds)  # starts and warms the ephemeral server
        runs: dict[str, Callable[[], dict[str, Any]]] = {
            "teardown_tenants(ids)": lambda: teardown_tenants(
                ids, creds, concurrency=concurrency, archive=None
            ),
            "sync_tenants([], prune=True)": lambda: sync_tenants(
                [], creds, prune=True, concurrency=concurrency, archive=None
            ),
        }
        times: dict[str, list[float]] = {name: [] for name in runs}
        requests: dict[str, str] = {}
        for repeat in range(args.repeats):
            order = list(runs) if repeat % 2 == 0 else list(reversed(runs))
            for name in order:
                seconds, requests[name] = _timed(emu, n, runs[name])
                times[name].append(seconds)
                print(f"  repeat {repeat + 1}: {name} {seconds:.2f}s", flush=True)
    finally:
        emu.close()

    print(
        f"\nDeleting {n} tenants at concurrency {concurrency}, without archives "
        f"(archive=None), median of {args.repeats}:"
    )
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, median in medians.items():
        print(f"{name:<30} {median:7.2f} s   ({requests[name]} requests)")
    teardown, prune = medians.values()
    ratio = teardown / prune
    verdict = "OK" if ratio <= TARGET_RATIO else "MISSED"
    print(
        f"teardown {teardown:.2f} s, prune {prune:.2f} s, ratio {ratio:.2f}x "
        f"(target <= {TARGET_RATIO:g}x) {verdict}"
    )
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
