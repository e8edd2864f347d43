"""Planning holds the cyclic collector off while it builds what the plan keeps (the document's
tenants, each kind's changes) and leaves it as it found it."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from quiet_kind import QuietKind

from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient
from activepieces_core.tenants import TenantChange, plan
from activepieces_core.tenants.kinds import PlanInput, Reading, registered


class _Probe(QuietKind):
    """Plans nothing; says whether the collector ran while it read and while it diffed."""

    name = "collector_probe"

    def __init__(self) -> None:
        self.at_read: list[bool] = []
        self.at_diff: list[bool] = []

    async def read(
        self, client: AsyncActivepiecesClient, request: PlanInput, reading: Reading
    ) -> None:
        self.at_read.append(gc.isenabled())

    def diff(self, request: PlanInput, reading: Reading, state: None) -> list[TenantChange]:
        self.at_diff.append(gc.isenabled())
        return []


def _rows(seen: list[bool]) -> Iterator[dict[str, Any]]:
    for i in range(3):
        seen.append(gc.isenabled())
        yield {"external_id": f"tenant-{i}"}


def test_the_collector_waits_while_a_plan_builds_and_runs_again_after(
    client: ActivepiecesClient,
) -> None:
    probe, rows_seen = _Probe(), []
    with registered(probe):
        planned = plan(client, _rows(rows_seen))
    assert rows_seen == [False, False, False]  # reading the document
    assert probe.at_diff == [False]
    assert probe.at_read == [True]  # requests in flight: other tasks' garbage is collected
    assert gc.isenabled()
    assert planned.summary["create"] == 3


@pytest.mark.usefixtures("collector_off")
def test_a_collector_that_was_off_stays_off(client: ActivepiecesClient) -> None:
    probe = _Probe()
    with registered(probe):
        plan(client, _rows([]))
    assert probe.at_diff == [False]
    assert not gc.isenabled()


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


#: Run in a fresh interpreter: freezing is process-wide state that the test process must keep.
JOB_SCRIPT = textwrap.dedent(
    """
    import gc
    import threading
    from activepieces_core import ActivepiecesClient
    from activepieces_core.tenants import apply, plan, reconcile
    from activepieces_core.tenants._gc import collector_paused, job_kept_frozen
    from activepieces_core.testing import Emulator

    def document(prefix):
        return [{"external_id": f"{prefix}-{i}"} for i in range(50)]

    with Emulator(seed=0) as emu, ActivepiecesClient(
        api_key=emu.api_key, base_url=emu.url
    ) as client:
        seen = []
        report = reconcile(client, document("a"), on_result=lambda r: seen.append(gc.get_freeze_count()))
        assert report.ok and len(seen) == 50
        assert min(seen) >= 50, seen  # the plan's changes, out of every collection
        assert gc.get_freeze_count() == 0  # handed back once the job ended

        saved = plan(client, document("b")).to_dict()
        assert gc.get_freeze_count() == 0  # a plan alone keeps the collector as it was
        seen.clear()
        report = apply(client, saved, on_result=lambda r: seen.append(gc.get_freeze_count()))
        assert report.ok and min(seen) >= 50, seen  # the plan read from its dict
        assert gc.get_freeze_count() == 0

        gc.freeze()  # a process that froze objects itself keeps exactly its own freeze
        frozen = gc.get_freeze_count()
        seen.clear()
        report = reconcile(client, document("c"), on_result=lambda r: seen.append(gc.get_freeze_count()))
        # (frozen objects freed since, such as the last report, only ever lower the count)
        assert report.ok and frozen // 2 < min(seen) and max(seen) <= frozen, (frozen, seen)
        assert frozen // 2 < gc.get_freeze_count() <= frozen
        gc.unfreeze()

    # Jobs that overlap: only one freezes, and its end unfreezes, whatever the others do.
    started, release = threading.Event(), threading.Event()
    other_saw = []

    def other_job():
        with job_kept_frozen():
            started.set()
            release.wait()
            with collector_paused():
                [[i] for i in range(1000)]
            other_saw.append(gc.get_freeze_count())

    with job_kept_frozen():
        with collector_paused():
            kept = [[i] for i in range(1000)]
        assert gc.get_freeze_count() >= len(kept)
        thread = threading.Thread(target=other_job)
        thread.start()
        started.wait()
    assert gc.get_freeze_count() == 0  # handed back while the other job still runs
    release.set()
    thread.join()
    assert other_saw == [0], other_saw  # the other job froze nothing of its own
    assert gc.get_freeze_count() == 0
    print("ok")
    """
)


def test_a_job_keeps_its_plan_out_of_collections_until_it_ends() -> None:
    """`reconcile` and `apply` (of a saved plan's dict) freeze what planning built for the
    apply's duration, and unfreeze it after; a process with its own freeze is left alone; of
    jobs that overlap, one freezes, and nothing stays frozen past its end."""
    done = subprocess.run(
        [sys.executable, "-c", JOB_SCRIPT], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "ok"
