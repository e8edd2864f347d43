"""The sync operator's return value counts what the CLI's JSON counts, kind by kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from outcome_views import DOCUMENT, cli_counts, counts, expected_kinds, fresh_platform

from activepieces_provider.operators.tenants import ActivepiecesSyncTenantsOperator


def test_sync_return_value_has_the_clis_per_kind_counts(
    emulator: Any, context: dict[str, Any], tmp_path: Path
) -> None:
    expected = cli_counts(emulator, tmp_path)
    assert set(expected) == expected_kinds()
    fresh_platform(emulator)
    result = ActivepiecesSyncTenantsOperator(task_id="sync", tenants=DOCUMENT).execute(context)
    assert counts(result) == expected
