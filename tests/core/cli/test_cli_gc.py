"""The console script's garbage-collector policy (`tune_gc`, `planning_gc`), in a fresh
interpreter: it changes process-wide state that a test process must keep."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import gc
    from activepieces_core.cli._common import planning_gc, tune_gc

    default = gc.get_threshold()
    with planning_gc():  # before tune_gc (tests, library callers): nothing changes
        assert gc.get_threshold() == default, gc.get_threshold()
    assert gc.get_freeze_count() == 0

    tune_gc()
    tuned = gc.get_threshold()
    assert tuned[0] > default[0], tuned
    frozen = gc.get_freeze_count()
    with planning_gc():
        young, older, oldest = gc.get_threshold()
        assert young > tuned[0] and older >= 1_000_000 and oldest >= 1_000_000
        kept = [[i] for i in range(10_000)]  # what planning builds and the run keeps
    assert gc.get_threshold() == tuned  # the apply collects as before
    assert gc.get_freeze_count() >= frozen + len(kept)  # and never walks the plan again
    print("ok")
    """
)


def test_planning_collects_rarely_then_freezes_what_it_built() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
