"""The ``activepieces tenants`` command at platform scale: 50,000 tenants from a CSV.

    uv run --frozen python bench/cli_scale.py [--tenants 50000] [--concurrency 16] [--no-profile]

The emulator runs in a child process on loopback (no injected latency), seeded with N TEAM
projects; the CLI runs as a subprocess, as users run it, with output captured (not a TTY, so
no progress display). Measured:

(s) the command's own start-up: ``tenants plan`` of a document with no tenants, median of 3
    (the interpreter, the CLI's imports, the async transport it loads on first use, the one
    piece-set mechanism probe, exit); ``activepieces --version`` alone is shown for the record;
(l) the no-op plan's list requests alone: the same pages the plan reads (``types=TEAM``,
    ``limit`` = page size), through the same async client (so with the Project models built),
    nothing else, under the CLI's garbage-collector policy while planning (``tune_gc`` and
    ``planning_gc``; (l') with Python's default, and (r) the same pages with raw httpx + JSON
    decoding, for the record);
(p) ``tenants plan tenants.csv`` with nothing to change; target ``(p) - (s) <= 1.5 x (l)``;
(e) the engine's own apply of N updates: ``apply(client, plan, check_stale=False)`` in
    process, on a plan made beforehand (not timed), under the CLI's GC policy too;
(c) ``tenants apply tenants.csv --yes`` of N other updates (plan + apply + output); target
    ``(c) <= 1.15 x (e) + (s)``;
(o) for the record: ``plan --out PLAN.json`` and ``apply PLAN.json`` of N updates (the saved
    plan's staleness re-read is one more paged listing).

Then where the time goes: the no-op plan's phases timed in process (load the CSV, read the
pages through the client, diff, print), and a cProfile of the CLI's plan (and, with
``--profile-apply``, of an apply).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from child_emulator import ChildEmulator
from floors import CLI_TARGET, ENGINE_TARGET, Floor, raw_request_cpu

from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient
from activepieces_core.cli._common import planning_gc, tune_gc
from activepieces_core.models import ProjectType
from activepieces_core.tenants import apply, load_document, plan

CLI = "from activepieces_core.cli import main; main()"


def _csv(path: Path, n: int, name: str) -> Path:
    rows = "".join(f"tenant-{i:05d},{name} {i}\n" for i in range(n))
    path.write_text("external_id,display_name\n" + rows)
    return path


def _cli(emu: ChildEmulator, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {**os.environ, "ACTIVEPIECES_URL": emu.url, "ACTIVEPIECES_API_KEY": emu.api_key}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CLI, *args], env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 2):
        raise SystemExit(
            f"activepieces {' '.join(args)} failed ({done.returncode}):\n{done.stderr}"
        )
    return seconds, done


def _timed(label: str, fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - started
    print(f"  {label}: {seconds:.2f}s", flush=True)
    return seconds, value


@contextmanager
def _cli_gc(*, planning: bool = False) -> Iterator[None]:
    """The CLI's garbage-collector policy (`tune_gc`, and `planning_gc` around what it does
    while planning) for the duration: like for like."""
    thresholds = gc.get_threshold()
    gc.collect()
    tune_gc()
    try:
        if planning:
            with planning_gc():
                yield
        else:
            yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def _client_pages(emu: ChildEmulator, page_size: int) -> int:
    """Every TEAM page exactly as the planner reads them (async client, models built)."""

    async def pages() -> int:
        seen, cursor = 0, None
        async with AsyncActivepiecesClient(
            api_key=emu.api_key, base_url=emu.url, timeout=120
        ) as client:
            while True:
                page = await client.projects.list(
                    types=[ProjectType.TEAM], limit=page_size, cursor=cursor
                )
                seen += len(page.data)
                cursor = page.next
                if not cursor:
                    return seen

    return asyncio.run(pages())


def _raw_pages(emu: ChildEmulator, page_size: int) -> int:
    """Every TEAM page with raw httpx + JSON decoding; returns how many projects."""
    url = emu.url.rstrip("/") + "/projects"
    headers = {"Authorization": f"Bearer {emu.api_key}"}
    seen, cursor = 0, None
    with httpx.Client(headers=headers, timeout=120) as raw:
        while True:
            params: list[tuple[str, str]] = [("types", "TEAM"), ("limit", str(page_size))]
            if cursor:
                params.append(("cursor", cursor))
            response = raw.get(url, params=params)
            response.raise_for_status()
            body = response.json()
            seen += len(body["data"])
            cursor = body.get("next")
            if not cursor:
                return seen


def _phases(emu: ChildEmulator, csv_path: Path, page_size: int) -> list[tuple[str, float]]:
    """The no-op plan's phases, timed in process."""
    from rich.console import Console

    from activepieces_core.cli import tenants as cli_tenants

    out: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    document = load_document(csv_path)
    out.append(("load + validate the CSV", time.perf_counter() - t0))
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url, timeout=120) as client:
        t0 = time.perf_counter()
        tenant_plan = plan(client, document, page_size=page_size)
        out.append(("plan() (reads + diff, async client)", time.perf_counter() - t0))
    saved = cli_tenants.console
    cli_tenants.console = Console(file=io.StringIO(), width=100)
    try:
        t0 = time.perf_counter()
        cli_tenants._print_plan(tenant_plan, full=False)
        out.append(("print the summary and sample", time.perf_counter() - t0))
    finally:
        cli_tenants.console = saved
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        cli_tenants._save_plan(tenant_plan, Path(tmp) / "plan.json")
        out.append(("saving the plan (only with --out)", time.perf_counter() - t0))
    return out


#: Where a CLI run's time goes: (label, file suffix, function name), by cumulative time.
_PROFILE_SPOTS = (
    ("importing modules (start-up)", "<frozen importlib._bootstrap>", "_find_and_load"),
    ("load + validate the tenant file", "tenants/loaders.py", "load_document"),
    ("plan (reads, diff; all kinds)", "cli/tenants.py", "_plan_document"),
    ("  project kind: diff", "kinds/projects.py", "diff"),
    ("  Project models from list pages", "_ops.py", "parse"),
    ("apply (the engine, incl. waiting for the server)", "cli/tenants.py", "_apply_with_progress"),
    ("printing the plan (summary, sample)", "cli/tenants.py", "_print_plan"),
    ("printing the report (summary, failures, sample)", "cli/tenants.py", "_print_report"),
)


def _profile(emu: ChildEmulator, args: list[str]) -> list[tuple[str, float]]:
    """cProfile of the CLI (a subprocess): cumulative seconds of the spots above, and total."""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "cli.py"
        script.write_text(CLI + "\n")
        stats_file = Path(tmp) / "cli.prof"
        env = {**os.environ, "ACTIVEPIECES_URL": emu.url, "ACTIVEPIECES_API_KEY": emu.api_key}
        subprocess.run(
            [sys.executable, "-m", "cProfile", "-o", str(stats_file), str(script), *args],
            env=env,
            capture_output=True,
            check=False,
        )
        stats: dict[Any, Any] = pstats.Stats(str(stats_file)).stats  # type: ignore[attr-defined]
    found: list[tuple[str, float]] = []
    total = max(ct for (_, _, _, ct, _) in stats.values())
    for label, suffix, name in _PROFILE_SPOTS:
        seconds = max(
            (v[3] for (f, _, fn), v in stats.items() if f.endswith(suffix) and fn == name),
            default=0.0,
        )
        found.append((label, seconds))
    found.append(("whole run (under the profiler)", total))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=50_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2, help="engine/CLI apply rounds")
    parser.add_argument("--no-profile", action="store_true", help="skip the plan's cProfile")
    parser.add_argument(
        "--profile-apply", action="store_true", help="also cProfile an apply (minutes at 50,000)"
    )
    args = parser.parse_args(argv)
    n, conc, size = args.tenants, args.concurrency, args.page_size
    work = Path(tempfile.mkdtemp(prefix="cli-scale-"))
    emu = ChildEmulator(team_projects_limit="UNLIMITED")
    try:
        print(f"emulator at {emu.url}; N={n}, concurrency={conc}, page size={size}", flush=True)
        _timed("seed the emulator", lambda: emu.call("seed", n=n))
        version = statistics.median(_cli(emu, "--version")[0] for _ in range(3))
        empty = work / "empty.csv"
        empty.write_text("external_id,display_name\n")
        startup = statistics.median(_cli(emu, "tenants", "plan", str(empty))[0] for _ in range(3))
        print(
            f"  (s) start-up: {startup:.2f}s (--version {version:.2f}s; medians of 3)", flush=True
        )

        same = _csv(work / "same.csv", n, "Tenant")
        raws, defaults, lists, noops = [], [], [], []
        for _ in range(3):  # interleaved, best of three: the machine may be shared
            raws.append(_timed("(r) raw httpx pages", lambda: _raw_pages(emu, size))[0])
            defaults.append(_timed("(l) list, default GC", lambda: _client_pages(emu, size))[0])
            with _cli_gc(planning=True):
                lists.append(_timed("(l) list requests alone", lambda: _client_pages(emu, size))[0])
            emu.call("clear")
            seconds, done = _timed(
                "(p) CLI no-op plan",
                lambda: _cli(emu, "tenants", "plan", str(same), "--page-size", str(size)),
            )
            noops.append(seconds)
            noop_counts = emu.call("counts")
        raw_pages, list_alone, noop = min(raws), min(lists), min(noops)
        list_default = min(defaults)
        assert f"{n} unchanged" in done[1].stdout, done[1].stdout[-500:]

        engines, cli_applies = [], []
        for k in range(args.rounds):  # interleaved rounds, best of each: the machine is shared
            renamed = load_document(_csv(work / f"engine-{k}.csv", n, f"Engine {k}"))
            with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url, timeout=120) as client:
                tenant_plan = plan(client, renamed, page_size=size)
                assert tenant_plan.summary["update"] == n
                with _cli_gc():
                    seconds, report = _timed(
                        "(e) engine apply",
                        lambda: apply(client, tenant_plan, concurrency=conc, check_stale=False),  # noqa: B023
                    )
                assert report.summary["succeeded"] == n, report.summary
                engines.append(seconds)
            again = _csv(work / f"cli-{k}.csv", n, f"Cli {k}")
            emu.call("clear")
            seconds, done = _timed(
                "(c) CLI apply",
                lambda: _cli(
                    emu,
                    "tenants",
                    "apply",
                    str(again),  # noqa: B023 - called at once, inside this iteration
                    "--yes",
                    "--concurrency",
                    str(conc),
                    "--page-size",
                    str(size),
                ),
            )
            cli_applies.append(seconds)
            apply_counts = emu.call("counts")
            assert f"{n} succeeded, 0 failed" in done[1].stdout, done[1].stdout[-500:]
            output_lines = done[1].stdout.count("\n")
        engine, cli_apply = min(engines), min(cli_applies)

        saved_csv = _csv(work / "saved.csv", n, "Saved")
        plan_file = work / "plan.json"
        plan_out, _ = _timed(
            "(o) CLI plan --out",
            lambda: _cli(emu, "tenants", "plan", str(saved_csv), "--out", str(plan_file)),
        )
        emu.call("clear")
        saved_apply, done = _timed(
            "(o) CLI apply PLAN.json",
            lambda: _cli(
                emu, "tenants", "apply", str(plan_file), "--yes", "--concurrency", str(conc)
            ),
        )
        saved_counts = emu.call("counts")
        assert f"{n} succeeded, 0 failed" in done[1].stdout, done[1].stdout[-500:]

        cpu_per_request = raw_request_cpu(emu.url, emu.api_key)
        with _cli_gc(planning=True):
            phases = _phases(emu, saved_csv, size)
        profiles = {}
        if not args.no_profile:
            profiles["tenants plan (no-op)"] = _profile(emu, ["tenants", "plan", str(saved_csv)])
        if args.profile_apply:
            final = _csv(work / "final.csv", n, "Final")
            profiles["tenants apply (N updates)"] = _profile(
                emu, ["tenants", "apply", str(final), "--yes", "--concurrency", str(conc)]
            )
    finally:
        emu.close()

    plan_target = 1.5 * list_alone
    apply_target = 1.15 * engine + startup
    plan_ok = noop - startup <= plan_target
    apply_ok = cli_apply <= apply_target
    print()
    print(f"{'figure':46} {'seconds':>9}  target")
    rows = [
        ("(s) start-up (plan of no tenants)", startup, "-", None),
        ("(s0) activepieces --version, for the record", version, "-", None),
        ("(r) raw httpx GET + JSON of those pages", raw_pages, "-", None),
        ("(l') the same, with Python's default GC", list_default, "-", None),
        (f"(l) list requests alone ({noop_counts['list']} pages)", list_alone, "-", None),
        (
            f"(p) no-op plan, CLI wall ({noop_counts['total']} requests)",
            noop,
            f"(p)-(s) = {noop - startup:.2f}s <= 1.5 x (l) = {plan_target:.2f}s",
            plan_ok,
        ),
        (f"(e) engine apply of {n} updates (best of {args.rounds})", engine, "-", None),
        (
            f"(c) CLI apply of {n} updates ({apply_counts['total']} req., best of {args.rounds})",
            cli_apply,
            f"<= 1.15 x (e) + (s) = {apply_target:.2f}s",
            apply_ok,
        ),
        (f"(o) CLI plan --out ({plan_file.stat().st_size / 1e6:.0f} MB)", plan_out, "-", None),
        (
            f"(o) CLI apply PLAN.json ({saved_counts['list']} re-read pages)",
            saved_apply,
            "-",
            None,
        ),
    ]
    for name, seconds, target, ok in rows:
        verdict = "" if ok is None else (" OK" if ok else " MISSED")
        print(f"{name:46} {seconds:>9.2f}  {target}{verdict}")
    print(f"CLI apply printed {output_lines} lines (summary, failures, sample)")
    # The issue-22 floor (bench/floors.py): no injected latency here, so the CPU floor rules.
    apply_floor = Floor(apply_counts["total"], 0.0, conc, cpu_per_request)
    print(
        f"floor of (c): {apply_counts['total']} requests x {cpu_per_request * 1e3:.3f} ms "
        f"(one raw httpx request's CPU, this run) = {apply_floor.seconds:.2f}s; (c) is "
        f"{apply_floor.ratio(cli_apply):.2f}x of it, (e) {apply_floor.ratio(engine):.2f}x "
        f"(issue 22 targets: CLI {CLI_TARGET:.2f}x, engine {ENGINE_TARGET:.2f}x; for the record)"
    )
    print()
    print("where the no-op plan's time goes (in process, the CLI's GC policy):")
    for label, seconds in phases:
        print(f"  {label:58} {seconds:6.2f}s")
    for title, spots in profiles.items():
        print()
        print(f"where `{title}` spends its time (cProfile, cumulative, so nested lines overlap):")
        for label, seconds in spots:
            if seconds > 0:  # spots of other commands stay silent
                print(f"  {label:58} {seconds:6.2f}s")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nmachine: {os.cpu_count()} CPU(s), load average {load}")
    return 0 if plan_ok and apply_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
