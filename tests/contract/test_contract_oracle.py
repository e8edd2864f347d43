"""The oracle itself: the pinned package, the schemas the contract tests name, and proof that
it rejects what upstream rejects (an oracle that accepts everything proves nothing)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from exchanges import ROUTES, Exchange, parts
from zod_oracle import HERE, PINNED_VERSION, OracleError, ZodOracle


def good_replace_body() -> dict[str, Any]:
    """The smallest body upstream's ``ProjectReplaceRequest`` accepts (0.96.2)."""
    return {
        "schemaVersion": 1,
        "sourceActivepiecesVersion": "0.78.0",
        "flows": [],
        "tables": [],
        "folders": [{"externalId": "f-ops", "displayName": "Ops", "displayOrder": 0}],
        "connections": [
            {
                "externalId": "slack-main",
                "pieceName": "@activepieces/piece-slack",
                "displayName": "S",
            }
        ],
        "requiredPieces": [
            {"name": "@activepieces/piece-slack", "version": "0.9.1", "pieceType": "OFFICIAL"}
        ],
    }


def test_the_installed_package_is_the_pinned_one(contract_oracle: ZodOracle) -> None:
    lock = json.loads((HERE / "package-lock.json").read_text())
    assert PINNED_VERSION == "0.96.2"
    assert lock["packages"]["node_modules/@activepieces/shared"]["version"] == PINNED_VERSION
    assert contract_oracle.version == PINNED_VERSION


def test_every_schema_the_contract_names_is_a_zod_export(contract_oracle: ZodOracle) -> None:
    """0.96.2 is zod 4 throughout (no TypeBox): `exports` lists only zod schemas."""
    exports = contract_oracle.exports()
    named = {"ProjectReplaceRequest", "ProjectReplaceResponse", "ProjectState", "PopulatedFlow"}
    for route in ROUTES:
        for schema in [route.query, route.body, *route.answers.values()]:
            if isinstance(schema, tuple):
                schema = schema[0]
            if schema is not None:
                named.add(schema.split("<")[-1].rstrip(">"))
    assert named - exports == set()


def test_a_known_bad_replace_body_is_rejected_field_by_field(contract_oracle: ZodOracle) -> None:
    body = good_replace_body()
    body["schemaVersion"] = 2
    del body["folders"][0]["displayOrder"]
    body["requiredPieces"][0]["pieceType"] = "NPM"
    verdict = contract_oracle.check("ProjectReplaceRequest", body)
    assert not verdict.ok
    assert {(path, code) for path, code, _ in verdict.issues} == {
        ("/schemaVersion", "invalid_value"),
        ("/folders/0/displayOrder", "invalid_type"),
        ("/requiredPieces/0/pieceType", "invalid_value"),
    }


def test_a_good_replace_body_is_accepted(contract_oracle: ZodOracle) -> None:
    verdict = contract_oracle.check("ProjectReplaceRequest", good_replace_body())
    assert verdict.ok, verdict.explain()
    assert verdict.dropped == ()


def test_strict_only_where_upstream_is_strict(contract_oracle: ZodOracle) -> None:
    """``z.object`` strips an unknown key (reported as dropped), it does not reject it."""
    body = {**good_replace_body(), "extra": True}
    verdict = contract_oracle.check("ProjectReplaceRequest", body)
    assert verdict.ok
    assert verdict.dropped == ("/extra",)


def test_a_page_and_an_array_of_a_schema(contract_oracle: ZodOracle) -> None:
    folder = {"externalId": "a", "displayName": "A", "displayOrder": 1}
    assert contract_oracle.check("Array<FolderState>", [folder]).ok
    page = contract_oracle.check("SeekPage<FolderState>", {"data": [folder], "next": 1})
    assert [path for path, _, _ in page.issues] == ["/next"]


def test_an_exchange_is_judged_by_its_route(contract_oracle: ZodOracle) -> None:
    """A 207 answer missing ``durationMs`` is rejected; a 409 has no schema part."""
    answer = {
        "applied": {},
        "failed": [],
        "connectionsAwaitingAuthorization": [],
        "piecesInstalled": [],
    }
    exchange = Exchange("POST", "/projects/p1/replace", {}, good_replace_body(), 207, answer)
    judged = {p.what: contract_oracle.check(p.schema, p.value) for p in parts(exchange)}
    assert judged["body"].ok
    assert ("/durationMs", "invalid_type") in {(p, c) for p, c, _ in judged["207"].issues}
    busy = Exchange("POST", "/projects/p1/replace", {}, None, 409, {})
    assert [p.what for p in parts(busy)] == ["body"]


def test_an_unknown_schema_is_an_error_not_a_verdict(contract_oracle: ZodOracle) -> None:
    with pytest.raises(OracleError, match="no zod schema named"):
        contract_oracle.check("NoSuchSchema", {})
    assert contract_oracle.check("ProjectReplaceRequest", good_replace_body()).ok  # still alive
