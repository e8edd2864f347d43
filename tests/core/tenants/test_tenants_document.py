"""The tenant document's piece sets, members and 2026 project fields: refused before sending."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from activepieces_core import ClientConfig
from activepieces_core.tenants import TenantSpecError, load_document, plan

SLACK = "@activepieces/piece-slack"


def _errors(exc: pytest.ExceptionInfo[TenantSpecError]) -> str:
    return "\n".join("; ".join(e["errors"]) for e in exc.value.errors)


def test_piece_sets_and_members_load() -> None:
    doc = load_document(
        {
            "defaults": {"member_role": "Viewer"},
            "piece_sets": [
                {"key": "gold", "name": "Gold tier", "allow": ["slack", "gmail"]},
                {"key": "no-ai", "block": ["openai"]},
            ],
            "tenants": [
                {
                    "external_id": "acme",
                    "piece_set": "gold",
                    "members": [{"email": " Ops@Acme.Example ", "role": "Admin"}, "a@acme.example"],
                },
                {"external_id": "globex", "pieces": ["slack"], "active_flows_limit": 5},
            ],
        }
    )
    gold, no_ai = doc.piece_sets
    assert gold.mode == "exclude_all"
    assert gold.exceptions == ("@activepieces/piece-gmail", SLACK)
    assert no_ai.mode == "include_all"
    assert no_ai.effective_name == "no-ai"
    acme, globex = doc.tenants
    assert acme.member_roles == {"ops@acme.example": "Admin", "a@acme.example": "Viewer"}
    assert globex.members is None  # not managed
    assert globex.project_wish()["active_flows_limit"] == 5


def test_csv_members_column(tmp_path: Path) -> None:
    path = tmp_path / "tenants.csv"
    path.write_text(
        "external_id,members,sensitive\nacme,ops@acme.example:Admin;b@acme.example,yes\n",
        encoding="utf-8",
    )
    (acme,) = load_document(path).tenants
    assert acme.member_roles == {"ops@acme.example": "Admin", "b@acme.example": "Editor"}
    assert acme.sensitive is True


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"tenants": [{"external_id": "a", "pieces": ["slack"], "piece_set": "gold"}]},
            "pieces and piece_set are exclusive",
        ),
        (
            {"tenants": [{"external_id": "a", "piece_set": "gold"}]},
            "piece_set 'gold' is not declared",
        ),
        ({"tenants": [{"external_id": "a", "active_flows_limit": 0}]}, "greater than 0"),
        (
            {"tenants": [{"external_id": "a", "execution_data_retention_days": -1}]},
            "greater than 0",
        ),
        ({"tenants": [{"external_id": "a", "members": ["not-an-email"]}]}, "not an e-mail"),
        (
            {"tenants": [{"external_id": "a", "members": ["x@a.io", "X@A.io:Admin"]}]},
            "members listed more than once: x@a.io",
        ),
        (
            {"piece_sets": [{"key": "g", "allow": ["slack"], "block": ["gmail"]}], "tenants": []},
            "either allow or block",
        ),
        ({"piece_sets": [{"key": "default"}], "tenants": []}, "platform's Default set"),
        (
            {"piece_sets": [{"key": "g"}, {"key": "g"}], "tenants": []},
            "piece set 'g' twice",
        ),
    ],
)
def test_bad_documents_are_refused(document: dict[str, Any], message: str) -> None:
    with pytest.raises(TenantSpecError) as info:
        load_document(document)
    assert message in _errors(info)


def test_bad_document_sends_nothing(activepieces_emulator: Any) -> None:
    emu = activepieces_emulator
    bad = {"tenants": [{"external_id": "a", "pieces": ["slack"], "piece_set": "gold"}]}
    with pytest.raises(TenantSpecError):
        plan(ClientConfig(api_key=emu.api_key, base_url=emu.url), bad)
    assert emu.requests.count() == 0
