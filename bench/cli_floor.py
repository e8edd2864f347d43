"""The ``activepieces tenants`` CLI against its floor, and at 100,000 tenants (issue 22).

    uv run --frozen python bench/cli_floor.py [--tenants 10000] [--scale 10000,100000]
        [--skip-jobs] [--latency 0.02] [--concurrency 16]

The emulator runs in its own process with ``--latency`` (20 ms) on every route; the CLI runs
as users run it: the ``activepieces`` console script in a subprocess, output captured (not a
terminal, so no progress bar), ``tenants apply FILE --yes --concurrency 16`` and
``tenants plan FILE``. Every figure includes the interpreter's start-up and loading the file.

**Jobs** (the jobs of ``reconcile.py``, N tenants, each on a fresh platform): (a) first
onboarding, (d) on a piece-set platform (50 sets, every tenth tenant with its own pieces),
(e) two members each; and each one's no-op re-plan. Printed: requests, wall, the latency and
CPU floors (`floors`), the ratio to the larger, the CLI's peak RSS; the onboardings are held
to 1.25x of their floor (``CLI_TARGET``), the re-plans to zero writes.

**Scale** (``--scale``: sizes, the first the reference): tenants with their own piece lists
and two members each, on a piece-set platform. Per size: ``plan --out PLAN.json`` (all
creates), loading that saved plan as ``apply PLAN.json`` does (read, format and digest
checked, `Plan.from_dict`; timed inside a fresh process, imports excluded), the first
``apply FILE``, the no-op ``plan FILE``, and on a fresh platform again ``apply PLAN.json``
(the saved plan, re-read for staleness, then applied). Held to: the no-op plan and both
applies within 11x of the reference size's figures per 10x tenants (linear), peak RSS
< 1 GiB, the saved plan loaded and verified in < 5 s. The reference size runs
``--reference-runs`` times (3) and each of its steps counts as the median run: one 10,000 run
moved by a quarter between two benches, while the 100,000 runs moved by 1-6%, so a ratio over
one reference run measured the reference's luck more than the scaling.

Peak RSS is the CLI process's own (``os.wait4``'s ``ru_maxrss``), not the emulator's. Memory
does not depend on latency: ``--skip-jobs --scale 10000,100000 --latency 0`` measures it
without waiting 25 minutes for the first apply at 20 ms (the timings are then CPU-bound, not
the floor's: the scale table prints the CLI's CPU ratio beside the wall's, and the emulator's
CPU, which is most of a no-op plan's wall at 100,000 tenants and latency 0).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from child_emulator import ChildEmulator
from floors import CLI_TARGET, Floor, raw_request_cpu, server_round_trip, verdict

#: The console script users run; ``python -m activepieces_core`` is not a thing.
CLI = shutil.which("activepieces", path=str(Path(sys.executable).parent)) or "activepieces"
#: Peak RSS target of the CLI at 100,000 tenants.
RSS_LIMIT = 1 << 30
#: Saved plan load + verify target, seconds.
LOAD_LIMIT = 5.0
#: Route-name endings of the reads.
READS = ("list", "get", "platform")

_LOAD_SNIPPET = """
import sys, time, pathlib
from activepieces_core.cli._common import planning_gc, tune_gc
from activepieces_core.cli.tenants import _read_plan_or_document
from activepieces_core.tenants import Plan
tune_gc()  # as the console script, and `apply` reads its FILE under planning_gc
t0, c0 = time.perf_counter(), time.process_time()
with planning_gc():
    plan = _read_plan_or_document(pathlib.Path(sys.argv[1]))
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
assert isinstance(plan, Plan), type(plan)
print(f"{seconds:.3f} {len(plan.changes)} {cpu:.3f}")
"""


@dataclass
class Run:
    """One CLI process: wall seconds, exit code, peak RSS (bytes), output, requests, and its
    CPU seconds (user + system: what a loaded machine does not inflate)."""

    seconds: float
    code: int
    rss: int
    stdout: str
    stderr: str
    counts: dict[str, int]
    cpu: float = 0.0
    #: The emulator process's CPU seconds meanwhile: where a wall goes that the CLI's CPU
    #: does not explain (at latency 0, the emulator's paged listings of 100,000 tenants).
    emu_cpu: float = 0.0

    @property
    def writes(self) -> int:
        return sum(v for k, v in self.counts.items() if k != "total" and not k.endswith(READS))


def _run(emu: ChildEmulator, args: list[str], *, python: bool = False) -> Run:
    """Run the CLI (or ``python -c``, ``python=True``) once; requests counted by the emulator."""
    env = {**os.environ, "ACTIVEPIECES_URL": emu.url, "ACTIVEPIECES_API_KEY": emu.api_key}
    command = [sys.executable, "-c", *args] if python else [CLI, *args]
    emu.call("clear")
    emu_cpu = _process_cpu(emu.pid)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        run = Run(seconds, proc.returncode, usage.ru_maxrss * 1024, out.read(), err.read(), {})
        run.cpu = usage.ru_utime + usage.ru_stime
    run.emu_cpu = _process_cpu(emu.pid) - emu_cpu
    run.counts = emu.call("counts")
    if run.code not in (0, 2):
        raise SystemExit(f"{' '.join(command[:4])} ... failed ({run.code}):\n{run.stderr[-2000:]}")
    return run


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document))
    return path


def _base_rows(n: int) -> list[dict[str, Any]]:
    return [
        {"external_id": f"tenant-{i:06d}", "display_name": f"Tenant {i}", "metadata": {"i": i}}
        for i in range(n)
    ]


def _plain(n: int) -> dict[str, Any]:
    return {"tenants": _base_rows(n)}


def _piece_sets(n: int) -> dict[str, Any]:
    """As reconcile.py: 50 named sets, every tenant on one, every tenth with its own list."""
    sets = [{"key": f"tier-{k:02d}", "allow": ["slack", "gmail"]} for k in range(50)]
    rows = _base_rows(n)
    for i, row in enumerate(rows):
        if i % 10 == 0:
            row["pieces"] = ["slack"]
        else:
            row["piece_set"] = f"tier-{i % 50:02d}"
    return {"piece_sets": sets, "tenants": rows}


def _members(n: int, *, own_pieces: bool = False) -> dict[str, Any]:
    """Every tenant with an admin and an editor (and, ``own_pieces``, its own piece list)."""
    rows = _base_rows(n)
    for i, row in enumerate(rows):
        row["members"] = [{"email": f"admin{i}@t.example", "role": "Admin"}, f"dev{i}@t.example"]
        if own_pieces:
            row["pieces"] = ["slack", "gmail"] if i % 2 else ["slack"]
    return {"tenants": rows}


def _fresh(emu: ChildEmulator, latency: float, *, piece_sets: bool) -> None:
    emu.call("reset")
    if piece_sets:
        emu.call("piece_sets")
    emu.call("faults", latency=latency)


def _apply(emu: ChildEmulator, path: Path, conc: int) -> Run:
    run = _run(emu, ["tenants", "apply", str(path), "--yes", "--concurrency", str(conc)])
    if run.code != 0 or "0 failed" not in run.stdout:
        raise SystemExit(f"apply {path.name}: exit {run.code}\n{run.stdout[-1500:]}")
    return run


def _plan(emu: ChildEmulator, path: Path, *extra: str) -> Run:
    return _run(emu, ["tenants", "plan", str(path), *extra])


def _mib(nbytes: int) -> str:
    return f"{nbytes / 2**20:.0f} MiB"


def _jobs(
    emu: ChildEmulator, work: Path, n: int, conc: int, latency: float
) -> list[tuple[str, Run, bool]]:
    """(name, run, is_onboarding) of each job and its no-op re-plan."""
    out: list[tuple[str, Run, bool]] = []
    for name, document, sets in (
        ("(a) first onboarding", _plain(n), False),
        ("(d) piece sets", _piece_sets(n), True),
        ("(e) members x2", _members(n), False),
    ):
        path = _write(work / f"{name[1]}.json", document)
        _fresh(emu, latency, piece_sets=sets)
        first = _apply(emu, path, conc)
        print(f"  {name}: apply {first.seconds:.2f}s, {first.counts['total']} req.", flush=True)
        again = _plan(emu, path)
        print(f"  {name}: no-op plan {again.seconds:.2f}s", flush=True)
        label = name if name.startswith("(a)") else f"{name}: onboarding"
        out += [(label, first, True), (f"{name[:3]} no-op plan", again, False)]
    return out


@dataclass
class Scale:
    tenants: int
    plan_out: Run
    load_seconds: float
    load_run: Run
    plan_bytes: int
    apply: Run
    noop: Run
    #: ``apply PLAN.json`` on a fresh platform: the saved plan applied as it was reviewed.
    saved_apply: Run
    #: The load's own CPU seconds (imports excluded): what a loaded machine does not inflate.
    load_cpu: float = 0.0
    #: The first apply's wall of each repeat, when the size ran more than once (`_median`).
    repeats: list[float] | None = None


def _scale(emu: ChildEmulator, work: Path, n: int, conc: int, latency: float) -> Scale:
    path = _write(work / f"scale-{n}.json", _members(n, own_pieces=True))
    plan_file = work / f"plan-{n}.json"
    _fresh(emu, latency, piece_sets=True)
    plan_out = _plan(emu, path, "--out", str(plan_file))
    print(
        f"  N={n}: plan --out {plan_out.seconds:.2f}s (CPU {plan_out.cpu:.2f}s), "
        f"{_mib(plan_out.rss)}",
        flush=True,
    )
    load_run = _run(emu, [_LOAD_SNIPPET, str(plan_file)], python=True)
    load_seconds, _, load_cpu = (float(x) for x in load_run.stdout.split())
    print(
        f"  N={n}: saved plan load + verify {load_seconds:.2f}s (CPU {load_cpu:.2f}s), "
        f"{_mib(load_run.rss)}",
        flush=True,
    )
    first = _apply(emu, path, conc)
    print(
        f"  N={n}: first apply {first.seconds:.2f}s (CPU {first.cpu:.2f}s), "
        f"{first.counts['total']} req., {_mib(first.rss)}",
        flush=True,
    )
    noop = _plan(emu, path)
    print(
        f"  N={n}: no-op plan {noop.seconds:.2f}s (CPU {noop.cpu:.2f}s), {_mib(noop.rss)}",
        flush=True,
    )
    _fresh(emu, latency, piece_sets=True)  # as when it was planned: nothing is stale
    saved = _apply(emu, plan_file, conc)
    print(
        f"  N={n}: apply PLAN.json {saved.seconds:.2f}s (CPU {saved.cpu:.2f}s), "
        f"{saved.counts['total']} req., {_mib(saved.rss)}",
        flush=True,
    )
    size = plan_file.stat().st_size
    plan_file.unlink()
    return Scale(n, plan_out, load_seconds, load_run, size, first, noop, saved, load_cpu)


def _median(scales: list[Scale]) -> Scale:
    """The reference size's steps, each the median run (by wall) of its repeats."""

    def mid(runs: list[Run]) -> Run:
        return sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]

    load = sorted(scales, key=lambda s: s.load_seconds)[len(scales) // 2]
    return replace(
        load,
        plan_out=mid([s.plan_out for s in scales]),
        apply=mid([s.apply for s in scales]),
        noop=mid([s.noop for s in scales]),
        saved_apply=mid([s.saved_apply for s in scales]),
        repeats=[s.apply.seconds for s in scales],
    )


def _print_jobs(
    rows: list[tuple[str, Run, bool]],
    latency: float,
    conc: int,
    cpu: float,
    round_trip: float | None,
) -> bool:
    ok = True
    print(
        f"{'CLI job':32} {'requests':>9} {'writes':>7} {'wall s':>8} {'lat. fl.':>8} "
        f"{'CPU fl.':>8} {'ratio':>7} {'vs srv':>7} {'peak RSS':>9} {'CLI CPU':>8}  target"
    )
    for name, run, onboarding in rows:
        floor = Floor(run.counts["total"], latency, conc, cpu, round_trip)
        ratio = floor.ratio(run.seconds)
        if onboarding:
            good = ratio <= CLI_TARGET
            target = f"<= {CLI_TARGET:.2f}x floor {verdict(ratio, CLI_TARGET)}"
        else:
            good = run.writes == 0
            target = f"0 writes {'OK' if good else 'MISSED'}"
        ok = ok and good
        print(
            f"{name:32} {run.counts['total']:>9} {run.writes:>7} {run.seconds:>8.2f} "
            f"{floor.latency_floor:>8.2f} {floor.cpu_floor:>8.2f} {ratio:>6.2f}x "
            f"{floor.server_ratio(run.seconds) or 0:>6.2f}x {_mib(run.rss):>9} {run.cpu:>7.2f}s"
            f"  {target}"
        )
    return ok


def _print_scale(scales: list[Scale], latency: float, conc: int, cpu: float) -> bool:
    ok = True
    ref = scales[0]
    if ref.repeats:
        walls = ", ".join(f"{w:.2f}" for w in ref.repeats)
        print(
            f"N={ref.tenants}: each step the median of {len(ref.repeats)} runs "
            f"(first apply: {walls} s; spread {statistics.pstdev(ref.repeats):.2f} s)"
        )
    print(
        f"{'scale run':36} {'requests':>9} {'wall s':>8} {'floor':>8} {'ratio':>7} "
        f"{'peak RSS':>9} {'CLI CPU':>8}  target"
    )
    for s in scales:
        times = s.tenants / ref.tenants
        linear = 1.1 * times  # 11x per 10x tenants
        for what, run, base in (
            ("plan --out (all creates)", s.plan_out, None),
            ("first apply", s.apply, ref.apply),
            ("no-op plan", s.noop, ref.noop),
            ("apply PLAN.json", s.saved_apply, ref.saved_apply),
        ):
            floor = Floor(run.counts["total"], latency, conc, cpu)
            targets = []
            good = True
            if s is not ref and base is not None:
                scaled = run.seconds / base.seconds
                good = scaled <= linear
                targets.append(
                    f"{scaled:.2f}x N={ref.tenants} <= {linear:.1f}x (CLI CPU "
                    f"{run.cpu / base.cpu:.2f}x, emulator CPU {run.emu_cpu:.2f}s)"
                )
            if s.tenants >= 100_000:
                good = good and run.rss < RSS_LIMIT
                targets.append("RSS < 1 GiB")
            ok = ok and good
            # Before the verdict, which run_all.py reads last on the line.
            unjudged = f"- (emulator CPU {run.emu_cpu:.2f}s)"
            target = ", ".join(targets) + (
                f" {'OK' if good else 'MISSED'}" if targets else unjudged
            )
            print(
                f"N={s.tenants} {what:28} {run.counts['total']:>9} {run.seconds:>8.2f} "
                f"{floor.seconds:>8.2f} {floor.ratio(run.seconds):>6.2f}x {_mib(run.rss):>9} "
                f"{run.cpu:>7.2f}s  {target}"
            )
        good = s.load_seconds < LOAD_LIMIT
        ok = ok and good
        print(
            f"N={s.tenants} saved plan load + verify ({s.plan_bytes / 1e6:.0f} MB) "
            f"{s.load_seconds:.2f}s (CPU {s.load_cpu:.2f}s), peak RSS {_mib(s.load_run.rss)}, "
            f"whole process CPU {s.load_run.cpu:.2f}s  "
            f"< {LOAD_LIMIT:.0f}s {'OK' if good else 'MISSED'}"
        )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=10_000, help="N of the floor jobs")
    parser.add_argument("--scale", default="", help="comma-separated sizes, e.g. 10000,100000")
    parser.add_argument("--skip-jobs", action="store_true", help="only the scale runs")
    parser.add_argument(
        "--reference-runs", type=int, default=3, help="runs of the first --scale size (median)"
    )
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    n, conc, latency = args.tenants, args.concurrency, args.latency
    sizes = [int(s) for s in args.scale.split(",") if s]
    work = Path(tempfile.mkdtemp(prefix="cli-floor-"))
    emu = ChildEmulator(team_projects_limit="UNLIMITED")
    try:
        print(f"emulator at {emu.url}; latency {latency * 1e3:.0f} ms, concurrency {conc}")
        print(f"CLI: {CLI}", flush=True)
        empty = _write(work / "empty.json", {"tenants": []})
        emu.call("faults")
        startup = min(_plan(emu, empty).seconds for _ in range(3))
        jobs = [] if args.skip_jobs else _jobs(emu, work, n, conc, latency)
        scales = []
        for i, size in enumerate(sizes):
            repeats = max(1, args.reference_runs) if i == 0 and len(sizes) > 1 else 1
            runs = [_scale(emu, work, size, conc, latency) for _ in range(repeats)]
            scales.append(_median(runs) if repeats > 1 else runs[0])
        emu.call("faults")
        cpu = raw_request_cpu(emu.url, emu.api_key)
        round_trip = None
        if jobs:
            emu.call("reset")
            emu.call("faults", latency=latency)
            round_trip = server_round_trip(emu.url, emu.api_key, conc)
    finally:
        emu.close()
        shutil.rmtree(work, ignore_errors=True)

    ok = True
    print()
    print(f"CLI start-up (plan of an empty document, best of 3): {startup:.2f}s")
    if jobs:
        print(f"\nN={n} (floors: latency = requests x {latency * 1e3:.0f} ms / {conc}; CPU = ")
        print(f"requests x {cpu * 1e3:.3f} ms, one raw httpx request's CPU here, this run;")
        print(
            f"server = requests x {(round_trip or 0) * 1e3:.2f} ms / {conc}, a raw aiohttp"
            f" client's round trip against this emulator with {conc} in flight)"
        )
        ok = _print_jobs(jobs, latency, conc, cpu, round_trip) and ok
    if scales:
        print()
        ok = _print_scale(scales, latency, conc, cpu) and ok
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nmachine: {os.cpu_count()} CPU(s), load average {load}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
