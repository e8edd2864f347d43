"""Tenant file loaders and up-front validation (no server needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from activepieces_core.tenants import TenantSpec, TenantSpecError, load_tenants

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_yaml_with_defaults_and_piece_normalisation(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "defaults:\n  metadata: {tier: free}\n  max_concurrent_jobs: 2\n"
        "tenants:\n"
        "  - external_id: a\n    pieces: [slack, gmail, slack]\n"
        "  - {external_id: b, display_name: Bee, metadata: {tier: gold}, icon_color: red}\n"
    )
    a, b = load_tenants(path)
    assert a.display_name is None
    assert a.effective_display_name == "a"
    assert a.pieces == ("@activepieces/piece-gmail", "@activepieces/piece-slack")
    assert a.metadata == {"tier": "free"}
    assert a.max_concurrent_jobs == 2
    assert b.metadata == {"tier": "gold"}
    assert b.icon_color is not None
    assert b.icon_color.value == "RED"
    assert b.pieces is None


def test_json_file_string_and_dicts_agree(tmp_path: Path) -> None:
    rows = [{"external_id": "x", "pieces": ["slack"]}, {"external_id": "y", "pieces": None}]
    path = tmp_path / "t.json"
    path.write_text(json.dumps(rows))
    from_file = load_tenants(path)
    assert load_tenants(json.dumps(rows)) == from_file
    assert load_tenants(rows) == from_file
    assert load_tenants({"tenants": rows}) == from_file
    assert load_tenants([s.to_dict() for s in from_file]) == from_file
    assert load_tenants(from_file) == from_file


def test_csv_pieces_and_metadata_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "external_id,display_name,pieces,metadata,metadata.region,releases_enabled,max_concurrent_jobs\n"
        'acme,Acme,slack;gmail,"{""tier"": ""gold""}",eu,yes,3\n'
        "globex,,,,,,\n"
    )
    acme, globex = load_tenants(str(path))
    assert acme.pieces == ("@activepieces/piece-gmail", "@activepieces/piece-slack")
    assert acme.metadata == {"tier": "gold", "region": "eu"}
    assert acme.releases_enabled is True
    assert acme.max_concurrent_jobs == 3
    assert globex == TenantSpec(external_id="globex")


def test_every_bad_row_is_listed(tmp_path: Path) -> None:
    rows = [
        {"external_id": "ok"},
        {"external_id": "bad.name"},
        {"display_name": "no id"},
        {"external_id": "c", "max_concurrent_jobs": 0, "icon_color": "MAUVE"},
        {"external_id": "ok"},
        {"external_id": "d", "unknown_field": 1},
    ]
    with pytest.raises(TenantSpecError) as info:
        load_tenants(rows)
    err = info.value
    assert [e["row"] for e in err.errors] == [0, 1, 2, 3, 4, 5]  # both duplicates named
    text = str(err)
    assert "duplicate external_id" in text
    assert "max_concurrent_jobs" in text
    assert "icon_color" in text
    assert "unknown_field" in text
    assert "display name" in text
    assert isinstance(err, ValueError)


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("t.txt", "[]", "unsupported"),
        ("t.json", "{not json", "invalid JSON"),
        ("t.yaml", "a: [", "invalid YAML"),
        ("t.yaml", "42", "expected a list"),
    ],
)
def test_file_errors(tmp_path: Path, name: str, content: str, needle: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(TenantSpecError, match=needle):
        load_tenants(path)


def test_missing_file() -> None:
    with pytest.raises(TenantSpecError, match="cannot read"):
        load_tenants("/nonexistent/tenants.yaml")


def test_example_file_is_valid() -> None:
    specs = load_tenants(EXAMPLES / "tenants.yaml")
    assert len(specs) == 6
    assert all(s.metadata is not None for s in specs)


def test_csv_edges_blank_lines_short_rows_extra_cells_and_padded_headers(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        " external_id , display_name ,metadata.tier\n"
        "\n"
        "acme, Acme ,gold\n"
        "globex\n"  # short row: the missing cells are empty
        "\n"
    )
    acme, globex = load_tenants(path)
    assert (acme.external_id, acme.display_name, acme.metadata) == (
        "acme",
        "Acme",
        {"tier": "gold"},
    )
    assert globex == TenantSpec(external_id="globex")
    path.write_text("external_id,display_name\nacme,Acme,surplus\n")
    with pytest.raises(TenantSpecError, match="_extra_cells"):
        load_tenants(path)
