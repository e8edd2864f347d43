"""Reading a saved plan under the console script's collector (`tune_gc`): what the read
built is frozen before the collector runs again, so no collection walks it; elsewhere (tests,
library callers) the collector is left as it was and nothing is frozen."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from activepieces_core.cli import _common
from activepieces_core.cli.tenants import _read_plan_or_document
from activepieces_core.tenants import Plan, TenantChange


@pytest.fixture
def saved_plan(tmp_path: Path) -> Path:
    changes = [TenantChange(external_id=f"tenant-{i}", action="create") for i in range(50)]
    path = tmp_path / "plan.json"
    with path.open("w", encoding="utf-8") as out:
        Plan(changes=changes).write(out)
    return path


@pytest.fixture
def unfreeze_after() -> Iterator[None]:
    """Whatever the test froze goes back to the collector afterwards."""
    try:
        yield
    finally:
        gc.unfreeze()


@pytest.mark.usefixtures("unfreeze_after")
def test_under_the_console_script_what_the_read_built_is_frozen(
    saved_plan: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_common, "_GC_THRESHOLDS", gc.get_threshold())  # as `tune_gc` leaves it
    before = gc.get_freeze_count()
    plan = _read_plan_or_document(saved_plan)
    assert isinstance(plan, Plan)
    assert gc.get_freeze_count() - before > len(plan.changes)
    assert gc.isenabled()


def test_elsewhere_nothing_is_frozen(saved_plan: Path) -> None:
    before = gc.get_freeze_count()
    plan = _read_plan_or_document(saved_plan)
    assert isinstance(plan, Plan)
    assert len(plan.changes) == 50
    assert gc.get_freeze_count() == before
    assert gc.isenabled()
