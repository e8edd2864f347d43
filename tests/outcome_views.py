"""One apply, three views: what the CLI's JSON says, to compare with Airflow's and Prefect's.

Importable as ``outcome_views`` (``tests/`` is on ``sys.path`` through ``tests/conftest.py``).
The same tenant document (piece sets, a tenant's own list, members) is applied to a fresh
emulator by the CLI here, and by an integration in its own test; their per-kind counts must be
the CLI's. A change of kind that only one view learns about fails the comparison.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from activepieces_core.cli import app

DOCUMENT: dict[str, Any] = {
    "piece_sets": [
        {"key": "gold", "name": "Gold tier", "allow": ["slack", "gmail"]},
        {"key": "no-ai", "block": ["openai"]},
    ],
    "defaults": {"member_role": "Editor"},
    "tenants": [
        {
            "external_id": "acme",
            "display_name": "Acme Corp",
            "piece_set": "gold",
            "members": [{"email": "ops@acme.example", "role": "Admin"}, "dev@acme.example"],
        },
        {"external_id": "globex", "pieces": ["slack"], "active_flows_limit": 5},
        {"external_id": "initech", "piece_set": "no-ai"},
    ],
}

Counts = dict[str, dict[str, int]]


def fresh_platform(emulator: Any) -> None:
    """The emulator as a piece-set platform with no tenants yet."""
    emulator.reset()
    emulator.state.configure_platform(manage_pieces_enabled=True)


def counts(report: dict[str, Any]) -> Counts:
    """``{kind: {status: n}}`` for every kind, projects included, from a report dict."""
    statuses = ("succeeded", "failed", "skipped", "planned")
    out = {"project": {s: report["summary"][s] for s in statuses if report["summary"][s]}}
    out.update(report["kind_summary"])
    return out


def markdown_counts(markdown: str, heading: str) -> Counts:
    """The counts table under ``heading`` in a Markdown summary, as ``{kind: {column: n}}``."""
    section = markdown.split(heading, 1)[1]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    columns = [c.strip() for c in lines[0].strip("|").split("|")]
    out: Counts = {}
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) != len(columns) or not all(re.fullmatch(r"\d+", c) for c in cells[1:]):
            break  # the counts table ends where the rows table begins
        out[cells[0]] = {c: int(v) for c, v in zip(columns[1:], cells[1:], strict=True) if v != "0"}
    return out


def cli_counts(emulator: Any, tmp_path: Path) -> Counts:
    """Apply `DOCUMENT` with ``activepieces -o json tenants apply`` on a fresh platform."""
    fresh_platform(emulator)
    path = tmp_path / "tenants.json"
    path.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    env = {"ACTIVEPIECES_URL": emulator.url, "ACTIVEPIECES_API_KEY": emulator.api_key}
    res = CliRunner().invoke(app, ["-o", "json", "tenants", "apply", str(path)], env=env)
    assert res.exit_code == 0, res.output
    return counts(json.loads(res.stdout))


def expected_kinds() -> set[str]:
    """Every kind this document changes (a view that drops one fails the comparison)."""
    return {"project", "piece_set", "piece_set_assignment", "member"}
