"""Archive before delete (issue 20): a teardown of N tenants with and without archives.

    uv run --frozen python bench/archive_teardown.py [--tenants 1000] [--latency 0.02]

N tenants onboarded with a 5-flow template (bench/contents.py's) against the emulator in a
child process, at ``--latency`` on every route; then `plan_teardown` + `apply` of all of them,
once with ``archive=None`` and once (after onboarding them again) with ``archive=DIR``,
concurrency ``--concurrency`` (16). Prints requests, wall time, client and emulator CPU of
each, side by side; the ratio with / without (the issue's target, <= 1.3x); and each job's
ratio to its floor (`floors`: the larger of ``requests x latency / concurrency`` and
``requests x`` one raw request's CPU, measured in this run), with the best ratio the floors
allow. An archive needs each tenant's contents (flows, folders, tables, connections: 4 reads
a tenant, upstream has no platform-wide listing of any) besides the delete; the project comes
from the plan and what is the same for every tenant is read once (docs/archives.md). Exit
code 1 if the 1.3x target is missed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from child_emulator import ChildEmulator
from contents import _cpu_of, document, make_template
from floors import ENGINE_TARGET, Floor, raw_request_cpu, verdict

from activepieces_core import ActivepiecesClient
from activepieces_core.tenants import apply, plan_teardown, reconcile
from activepieces_core.tenants.archive import ArchiveStore

TARGET = 1.3


@dataclass(frozen=True)
class Run:
    """One teardown: its wall time, requests, and the CPU of client and emulator."""

    seconds: float
    requests: int
    client_cpu: float
    emulator_cpu: float | None


def _teardown(emu: ChildEmulator, n: int, concurrency: int, latency: float, archive: object) -> Run:
    template = make_template(5)
    pid = emu._proc.pid
    assert pid is not None
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url, timeout=30) as client:
        emu.call("faults")
        assert reconcile(client, document(n, template), concurrency=concurrency).ok
        ids = [f"tenant-{i:05d}" for i in range(n)]
        emu.call("faults", latency=latency)
        emu.call("clear")
        emu_cpu, client_cpu = _cpu_of(pid), time.process_time()
        started = time.perf_counter()
        teardown = plan_teardown(client, ids, concurrency=concurrency)
        report = apply(
            client, teardown, concurrency=concurrency, check_stale=False, archive=archive
        )  # type: ignore[arg-type]
        seconds = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu
        after = _cpu_of(pid)
        assert report.ok, report.failed[:3]
        assert emu.call("team") == 0
        emulator = None if emu_cpu is None or after is None else after - emu_cpu
        return Run(seconds, int(emu.call("counts")["total"]), client_cpu, emulator)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    emu = ChildEmulator(environments_enabled=True)
    try:
        cpu_per_request = raw_request_cpu(emu.url, emu.api_key)
        plain = _teardown(emu, args.tenants, args.concurrency, args.latency, None)
        with tempfile.TemporaryDirectory() as folder:
            store = ArchiveStore(Path(folder) / "archives")
            archived = _teardown(emu, args.tenants, args.concurrency, args.latency, store)
            files = len(list((Path(folder) / "archives").iterdir()))
    finally:
        emu.close()
    floors = {
        name: Floor(run.requests, args.latency, args.concurrency, cpu_per_request)
        for name, run in (("plain", plain), ("archived", archived))
    }
    ratio = archived.seconds / plain.seconds
    print(
        f"N={args.tenants}, 5-flow template, latency {args.latency * 1000:.0f} ms, "
        f"concurrency {args.concurrency}, one raw request {cpu_per_request * 1000:.2f} ms CPU"
    )
    header = ("requests", "seconds", "client CPU", "emu CPU", "lat floor", "CPU floor", "/floor")
    print(f"{'':18}" + "".join(f"{h:>11}" for h in header))
    for name, run in (("without archives", plain), ("with archives", archived)):
        floor = floors["archived" if run is archived else "plain"]
        emulator = "n/a" if run.emulator_cpu is None else f"{run.emulator_cpu:.2f}"
        cells = (
            f"{run.requests}",
            f"{run.seconds:.2f}",
            f"{run.client_cpu:.2f}",
            emulator,
            f"{floor.latency_floor:.2f}",
            f"{floor.cpu_floor:.2f}",
            f"{floor.ratio(run.seconds):.2f}x",
        )
        print(f"{name:18}" + "".join(f"{c:>11}" for c in cells))
    print(f"({files} archives written, read back and verified)")
    best = floors["archived"].seconds / floors["plain"].seconds
    print(
        f"requests with / without {archived.requests / plain.requests:.2f}x; the floors allow "
        f"a ratio of {best:.2f}x at best"
    )
    floor_ratio = floors["archived"].ratio(archived.seconds)
    print(
        f"archive teardown floor ratio {floor_ratio:.2f}x "
        f"(<= {ENGINE_TARGET}x) {verdict(floor_ratio, ENGINE_TARGET)}"
    )
    print(
        f"archive teardown {archived.seconds:.2f} s, plain {plain.seconds:.2f} s, ratio "
        f"{ratio:.2f}x (target <= {TARGET}x) {verdict(ratio, TARGET)}"
    )
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
