"""The sync flow's report artifact counts what the CLI's JSON counts, kind by kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from outcome_views import (
    DOCUMENT,
    cli_counts,
    counts,
    expected_kinds,
    fresh_platform,
    markdown_counts,
)

from prefect_activepieces import ActivepiecesCredentials, sync_tenants


def test_report_artifact_has_the_clis_per_kind_counts(
    emulator: Any, credentials: ActivepiecesCredentials, prefect_api: Any, tmp_path: Path
) -> None:
    expected = cli_counts(emulator, tmp_path)
    assert set(expected) == expected_kinds()
    fresh_platform(emulator)
    state = sync_tenants(DOCUMENT, credentials, return_state=True)
    assert state.is_completed()
    assert counts(state.result()) == expected
    found = prefect_api.artifacts(state.state_details.flow_run_id)
    summary = found["activepieces-tenants-summary"].data
    assert markdown_counts(summary, "## Activepieces tenant sync") == expected
