"""Tenant contents (issue 19): onboarding with a template, a no-op re-sync, and faults.

    uv run --frozen python bench/contents.py [--tenants 1000] [--fault-tenants 500] [--json]

(a) ``--tenants`` tenants onboarded with a 5-flow template (``template:`` in the document) by
    `reconcile` at ``--latency`` (20 ms) on every route, concurrency ``--concurrency`` (16),
    against the emulator in a child process: requests sent, wall time, its floor (`floors`:
    the larger of ``requests x latency / concurrency`` and ``requests x`` one raw httpx
    request's CPU, measured in this run) and the ratio (target <= 1.15x); beside it, the
    server floor (a raw client's round trip against the same emulator, `floors.server_round_trip`).
(b) a no-op re-sync of the same document: its requests; it must read each managed tenant's
    flows, folders and tables once (``flows.list`` = N; no ``/v1/flags``, no connections
    listing: neither is part of the diff), write nothing (no request but reads in the
    emulator's request log) and stay within 1.15x of its floor.
(c) ``--fault-tenants`` tenants with the template under ``--rate`` (20%) faults on every route
    (429, 503 with an HTML body, 502, connection dropped before / after the write, a slow answer
    outlasting the client's 1 s timeout), in-process: `reconcile` is re-run, as a scheduler
    retry would, until it converges. Then every tenant must hold exactly the template's flows
    (by external id, none twice, one project per external id), and the projects outside the
    document (seeded with flows: some with an external id, some without) must be untouched.

The template is made as a user would: flows saved in a template project, then
``client.projects.export_state``. Exit code 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from child_emulator import ChildEmulator
from floors import ENGINE_TARGET, Floor, raw_request_cpu, server_round_trip

from activepieces_core import ActivepiecesClient
from activepieces_core.models.contents import ProjectState
from activepieces_core.tenants import TenantDocument, TenantSpec, reconcile

TEMPLATE = "standard.json"
FAULT_MIX = {"429": 1, "503_html": 1, "502": 1, "drop_before": 1, "drop_after": 1, "slow": 1}
CLIENT_TIMEOUT = 1.0  # seconds; "slow" answers take longer, so the client times out
SLOW_SECONDS = 2.0
PIECES = [
    ("@activepieces/piece-hubspot", "0.6.3"),
    ("@activepieces/piece-gmail", "0.8.0"),
    ("@activepieces/piece-google-sheets", "0.11.2"),
    ("@activepieces/piece-slack", "0.5.1"),
    ("@activepieces/piece-schedule", "0.1.5"),
]
READ_SUFFIXES = ("list", "get", "members", "for_project")
#: What a re-sync reads of each managed tenant: what replace compares, nothing else.
MANAGED_READS = ("flows.list", "folders.list", "tables.list")


def _flow(i: int, name: str) -> dict[str, Any]:
    """A flow as the UI saves it: a piece trigger and one piece action."""
    trigger_piece, action_piece = PIECES[i % len(PIECES)], PIECES[(i + 1) % len(PIECES)]
    return {
        "externalId": f"flow-{i}",
        "status": "ENABLED",
        "version": {
            "displayName": name,
            "valid": True,
            "notes": [],
            "trigger": {
                "name": "trigger",
                "type": "PIECE_TRIGGER",
                "valid": True,
                "displayName": "When",
                "settings": {
                    "pieceName": trigger_piece[0],
                    "pieceVersion": trigger_piece[1],
                    "triggerName": "new_item",
                    "input": {},
                    "propertySettings": {},
                },
                "nextAction": {
                    "name": "step_1",
                    "type": "PIECE",
                    "valid": True,
                    "displayName": "Then",
                    "settings": {
                        "pieceName": action_piece[0],
                        "pieceVersion": action_piece[1],
                        "actionName": "do",
                        "input": {"value": "{{trigger.item}}"},
                        "propertySettings": {},
                    },
                },
            },
        },
    }


def make_template(flows: int = 5) -> ProjectState:
    """A template project built by hand on a throw-away emulator, exported."""
    from activepieces_core.testing import Emulator

    with Emulator(environments=True) as emu:
        project = emu.state.add_project("Template", external_id="template")
        for i in range(flows):
            emu.state.put_flow(project["id"], _flow(i, f"Standard flow {i}"))
        with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
            return client.projects.export_state(project["id"])


def document(n: int, template: ProjectState) -> TenantDocument:
    specs = [
        TenantSpec(external_id=f"tenant-{i:05d}", display_name=f"Tenant {i}", template=TEMPLATE)
        for i in range(n)
    ]
    return TenantDocument(specs, templates={TEMPLATE: template})


def _writes(counts: dict[str, int]) -> int:
    return sum(
        v
        for k, v in counts.items()
        if k != "total" and not any(k == s or k.endswith("." + s) for s in READ_SUFFIXES)
    )


# --------------------------------------------------------------------------- (a), (b)


@dataclass
class ScaleRow:
    name: str
    requests: int
    seconds: float
    floor: Floor
    counts: dict[str, int]
    target: str
    ok: bool
    emulator_cpu: float | None  # seconds of CPU the emulator's process spent (Linux only)
    client_cpu: float


def _cpu_of(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` (from /proc; None elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_scale(n: int, latency: float, concurrency: int, template: ProjectState) -> list[ScaleRow]:
    doc = document(n, template)
    emu = ChildEmulator(environments_enabled=True)
    rows: list[ScaleRow] = []
    pid = emu._proc.pid  # the child's process, for its CPU time
    assert pid is not None
    try:
        cpu_per_request = raw_request_cpu(emu.url, emu.api_key)
        emu.call("faults", latency=latency)
        with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url, timeout=60) as client:
            for name in ("(a) onboarding with a 5-flow template", "(b) no-op re-sync"):
                emu.call("clear")
                emu_cpu, client_cpu = _cpu_of(pid), time.process_time()
                started = time.perf_counter()
                report = reconcile(client, doc, concurrency=concurrency)
                seconds = time.perf_counter() - started
                client_cpu = time.process_time() - client_cpu
                after = _cpu_of(pid)
                emu_cpu = None if emu_cpu is None or after is None else after - emu_cpu
                counts = emu.call("counts")
                assert report.ok, report.failed[:3]
                floor = Floor(counts["total"], latency, concurrency, cpu_per_request)
                ratio = floor.ratio(seconds)
                target, ok = f"<= {ENGINE_TARGET:.2f}x floor", ratio <= ENGINE_TARGET
                if name.startswith("(b)"):
                    reads = {r: counts.get(r, 0) for r in MANAGED_READS}
                    others = counts["total"] - sum(reads.values()) - counts.get("list", 0)
                    writes = _writes(counts)
                    target += f", {'/'.join(MANAGED_READS)} = {n} each, 0 writes"
                    ok = ok and set(reads.values()) == {n} and writes == 0 and others <= 5
                rows.append(
                    ScaleRow(
                        name,
                        counts["total"],
                        seconds,
                        floor,
                        counts,
                        target,
                        ok,
                        emu_cpu,
                        client_cpu,
                    )
                )
                print(f"  {name}: {seconds:.2f}s, {counts['total']} requests", flush=True)
        # What a raw client's round trip is against this emulator at this latency, now: the
        # server floor each row is also compared with (`floors.server_round_trip`).
        emu.call("reset")
        emu.call("faults", latency=latency)
        round_trip = server_round_trip(emu.url, emu.api_key, concurrency)
    finally:
        emu.close()
    return [replace(row, floor=replace(row.floor, round_trip=round_trip)) for row in rows]


# --------------------------------------------------------------------------- (c)


@dataclass
class FaultResult:
    tenants: int
    attempts: int = 0
    converged: bool = False
    wrong_flows: int = 0
    duplicate_flows: int = 0
    duplicate_projects: int = 0
    missing: int = 0
    unmanaged_touched: int = 0
    unhandled: int = 0
    requests: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


def _seed_unmanaged(emu: Any, count: int) -> list[str]:
    """Projects outside the document, each with two flows: half with an external id (not in
    the document), half without."""
    ids = []
    for i in range(count):
        external_id = f"unmanaged-{i:03d}" if i % 2 == 0 else None
        project = emu.state.add_project(f"Unmanaged {i}", external_id=external_id)
        for k in range(2):
            emu.state.put_flow(project["id"], _flow(k, f"Their own flow {k}"))
        ids.append(project["id"])
    return ids


def _unmanaged_view(emu: Any, ids: list[str]) -> dict[str, Any]:
    projects = {p["id"]: p for p in emu.state.projects(include_deleted=True)}
    return {pid: (projects.get(pid), emu.state.flows_of(pid)) for pid in ids}


def run_faults(n: int, rate: float, max_attempts: int, template: ProjectState) -> FaultResult:
    from activepieces_core.errors import APIError
    from activepieces_core.tenants import TenantSyncError
    from activepieces_core.testing import Emulator

    result = FaultResult(n)
    doc = document(n, template)
    wanted = sorted(
        (f["externalId"], f["version"]["displayName"], f.get("status") or "ENABLED")
        for f in template.flows
    )
    with Emulator(seed=0, environments=True) as emu:
        unmanaged = _seed_unmanaged(emu, 20)
        before = copy.deepcopy(_unmanaged_view(emu, unmanaged))
        emu.faults.seed(1234)
        emu.faults.set("*", rate=rate, kinds=FAULT_MIX, retry_after=1, slow_seconds=SLOW_SECONDS)
        started = time.perf_counter()
        with ActivepiecesClient(
            api_key=emu.api_key, base_url=emu.url, timeout=CLIENT_TIMEOUT, max_retries=4
        ) as client:
            for attempt in range(1, max_attempts + 1):
                result.attempts = attempt
                try:
                    reconcile(client, doc, concurrency=16)
                    result.converged = True
                    break
                except TenantSyncError:
                    continue  # some tenants failed: a scheduler retry runs it again
                except APIError as exc:
                    if not exc.is_transient:
                        result.unhandled += 1
                        result.errors.append(f"{type(exc).__name__}: {exc}")
                        break
                except Exception as exc:
                    result.unhandled += 1
                    result.errors.append(f"{type(exc).__name__}: {exc}")
                    break
        result.seconds = time.perf_counter() - started
        result.requests = len(emu.requests)
        result.faults = dict(emu.faults.injected)
        emu.faults.clear()
        live: dict[str, list[dict[str, Any]]] = {}
        for project in emu.state.projects(types=["TEAM"]):
            if project.get("externalId"):
                live.setdefault(project["externalId"], []).append(project)
        for spec in doc.tenants:
            projects = live.get(spec.external_id, [])
            result.missing += not projects
            result.duplicate_projects += len(projects) > 1
            for project in projects:
                flows = emu.state.flows_of(project["id"])
                ids = [f["externalId"] for f in flows]
                result.duplicate_flows += len(ids) != len(set(ids))
                has = sorted(
                    (f["externalId"], f["version"]["displayName"], f["status"]) for f in flows
                )
                result.wrong_flows += has != wanted
        after = _unmanaged_view(emu, unmanaged)
        result.unmanaged_touched = sum(before[pid] != after[pid] for pid in unmanaged)
    return result


FAULT_LIMITS = (
    "wrong_flows",
    "duplicate_flows",
    "duplicate_projects",
    "missing",
    "unmanaged_touched",
    "unhandled",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--fault-tenants", type=int, default=500)
    parser.add_argument("--rate", type=float, default=0.2)
    parser.add_argument("--attempts", type=int, default=6, help="runs under faults at most")
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    args = parser.parse_args(argv)
    template = make_template()
    print(
        f"contents: template of {len(template.flows)} flows; (a)/(b) N={args.tenants}, "
        f"latency {args.latency * 1000:.0f} ms, concurrency {args.concurrency}; "
        f"(c) N={args.fault_tenants}, {args.rate:.0%} faults on every route",
        flush=True,
    )
    rows = run_scale(args.tenants, args.latency, args.concurrency, template)
    faults = run_faults(args.fault_tenants, args.rate, args.attempts, template)

    print()
    print(f"{'scenario':40} {'requests':>9} {'wall s':>8} {'floor s':>8} {'ratio':>6}  target")
    for row in rows:
        print(
            f"{row.name:40} {row.requests:>9} {row.seconds:>8.2f} {row.floor.seconds:>8.2f} "
            f"{row.floor.ratio(row.seconds):>5.2f}x  {row.target} {'OK' if row.ok else 'MISSED'}"
        )
        print(
            f"{'':40} floors: latency {row.floor.latency_floor:.2f}s, CPU "
            f"{row.floor.cpu_floor:.2f}s ({row.floor.cpu_per_request * 1e3:.3f} ms a raw request)"
        )
        if row.floor.round_trip is not None:
            print(
                f"{'':40} server floor {row.floor.server_floor or 0:.2f}s (a raw client's round "
                f"trip {row.floor.round_trip * 1e3:.1f} ms): "
                f"{row.floor.server_ratio(row.seconds) or 0:.2f}x"
            )
        routes = ", ".join(f"{k} {v}" for k, v in sorted(row.counts.items()) if v and k != "total")
        print(f"{'':40} routes: {routes}; writes {_writes(row.counts)}")
        if row.emulator_cpu is not None:
            per = row.emulator_cpu / row.requests * 1e3
            mine = row.client_cpu / row.requests * 1e3
            # Both processes share the machine's cores: their CPU over the cores is a floor too.
            shared = (row.emulator_cpu + row.client_cpu) / (os.cpu_count() or 1)
            print(
                f"{'':40} CPU: emulator {row.emulator_cpu:.2f}s ({per:.2f} ms/request, one "
                f"process), client {row.client_cpu:.2f}s ({mine:.2f} ms/request); wall / "
                f"max(floor, emulator CPU, both CPUs / {os.cpu_count()} cores) = "
                f"{row.seconds / max(row.floor.seconds, row.emulator_cpu, shared):.2f}x"
            )
    print()
    print(f"(c) {faults.tenants} tenants with the template under {args.rate:.0%} faults:")
    for name in FAULT_LIMITS:
        value = getattr(faults, name)
        print(f"  {name:22} {value:>6}  target 0 {'OK' if value == 0 else 'MISSED'}")
    injected = sum(faults.faults.values())
    print(
        f"  converged {faults.converged} after {faults.attempts} run(s); {faults.requests} "
        f"requests, {injected} faults injected ({faults.faults}), {faults.seconds:.1f}s"
    )
    for error in faults.errors[:5]:
        print(f"  error: {error}")
    if args.json:
        print(json.dumps({"scale": [asdict(r) for r in rows], "faults": asdict(faults)}))
    bad = not all(r.ok for r in rows) or not faults.converged
    bad = bad or any(getattr(faults, name) for name in FAULT_LIMITS)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
