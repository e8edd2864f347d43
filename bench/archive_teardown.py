"""Archive before delete (issue 20): a teardown of N tenants with and without archives.

    uv run --frozen python bench/archive_teardown.py [--tenants 1000] [--latency 0.02]

N tenants onboarded with a 5-flow template (bench/contents.py's) against the emulator in a
child process, at ``--latency`` on every route; then `plan_teardown` + `apply` of all of them,
once with ``archive=None`` and once (after onboarding them again) with ``archive=DIR``,
concurrency ``--concurrency`` (16). Prints requests and wall time of each, side by side, and
the ratio (target <= 1.3x). Archiving reads each tenant (project, contents, people) before its
delete, so the ratio is about the ratio of requests sent; exit code 1 if the target is missed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from child_emulator import ChildEmulator
from contents import document, make_template

from activepieces_core import ActivepiecesClient
from activepieces_core.archive import ArchiveStore
from activepieces_core.tenants import apply, plan_teardown, reconcile

TARGET = 1.3


def _teardown(
    emu: ChildEmulator, n: int, concurrency: int, latency: float, archive: object
) -> tuple[float, int]:
    template = make_template(5)
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url, timeout=30) as client:
        emu.call("faults")
        assert reconcile(client, document(n, template), concurrency=concurrency).ok
        ids = [f"tenant-{i:05d}" for i in range(n)]
        emu.call("faults", latency=latency)
        emu.call("clear")
        started = time.perf_counter()
        teardown = plan_teardown(client, ids, concurrency=concurrency)
        report = apply(
            client, teardown, concurrency=concurrency, check_stale=False, archive=archive
        )  # type: ignore[arg-type]
        seconds = time.perf_counter() - started
        assert report.ok, report.failed[:3]
        assert emu.call("team") == 0
        return seconds, int(emu.call("counts")["total"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    emu = ChildEmulator(environments_enabled=True)
    try:
        plain, plain_requests = _teardown(emu, args.tenants, args.concurrency, args.latency, None)
        with tempfile.TemporaryDirectory() as folder:
            store = ArchiveStore(Path(folder) / "archives")
            archived, archived_requests = _teardown(
                emu, args.tenants, args.concurrency, args.latency, store
            )
            files = len(list((Path(folder) / "archives").iterdir()))
    finally:
        emu.close()
    ratio = archived / plain
    print(
        f"N={args.tenants}, 5-flow template, latency {args.latency * 1000:.0f} ms, "
        f"concurrency {args.concurrency}"
    )
    print(f"{'':24}{'requests':>10}{'seconds':>10}")
    print(f"{'without archives':24}{plain_requests:>10}{plain:>10.2f}")
    print(f"{'with archives':24}{archived_requests:>10}{archived:>10.2f}  ({files} archives)")
    verdict = "OK" if ratio <= TARGET else "MISSED"
    print(
        f"archive teardown {archived:.2f} s, plain {plain:.2f} s, ratio {ratio:.2f}x "
        f"(target <= {TARGET}x) {verdict}"
    )
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
