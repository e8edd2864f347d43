"""The cyclic garbage collector held off while a synchronous step builds what a run keeps."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused", "job_kept_frozen"]

_lock = threading.Lock()
#: Jobs running (`job_kept_frozen`), and whether they froze what they keep (the process held
#: nothing frozen when the first one began, so unfreezing after the last one undoes only theirs).
_jobs = 0
_jobs_freeze = False


@contextmanager
def collector_paused(*, freeze: bool = False) -> Iterator[None]:
    """No cyclic collection inside the block (reference counting still frees what it drops);
    the collector is as it was after it.

    For a step that runs without yielding and builds what the run keeps: a document's tenants,
    a kind's changes (20,000 objects and more for 10,000 tenants). With CPython's default
    thresholds the collector runs every 700 new objects and walks the young ones again and
    again as they age: 40% of the CPU of planning 10,000 tenants on a piece-set platform
    (0.4 -> 0.24 s). Paused, each is walked once, by the first collection after the block.
    Nothing else runs in the meantime (the block does not await), so no other task's garbage
    waits on it; the CLI tunes the collector for the whole run besides (`cli._common`).

    ``freeze``: what the process holds when the block ends is frozen (`gc.freeze`) before the
    collector runs again, so no collection walks it at all; only for a process that keeps it
    to its end (the CLI), as frozen objects are never collected. Inside a job that froze what
    it keeps (`job_kept_frozen`) that happens too, until the job ends.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if freeze or _jobs_freeze:
            gc.freeze()
        gc.enable()


@contextmanager
def job_kept_frozen() -> Iterator[None]:
    """One job (a plan and its apply, or the apply of a plan it read): what its steps build
    and keep (`collector_paused`) stays out of cyclic collections until the job ends, then is
    handed back to them (`gc.unfreeze`, into the oldest generation).

    Otherwise the collections during the apply walk the plan again and again as it ages: the
    first one after planning walks every change, the next older one again, then a full one
    (onboarding 10,000 tenants on a piece-set platform: 150-250 ms of stalls in its first
    seconds, each one holding up the responses in flight). Only where nothing is frozen yet:
    a process that froze objects itself (the CLI's `tune_gc`, a pre-forking server) keeps
    its own freeze, which a job's unfreeze would undo.
    """
    global _jobs, _jobs_freeze
    with _lock:
        if _jobs == 0:
            _jobs_freeze = gc.isenabled() and gc.get_freeze_count() == 0
        _jobs += 1
    try:
        yield
    finally:
        with _lock:
            _jobs -= 1
            if _jobs == 0 and _jobs_freeze:
                _jobs_freeze = False
                gc.unfreeze()
