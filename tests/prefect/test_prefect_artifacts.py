"""Artifact builders: plan/report rows and markdown, from the engine's dict shapes."""

from __future__ import annotations

import pytest

from prefect_activepieces.artifacts import (
    check_key,
    kind_counts,
    onboard_markdown,
    plan_rows,
    report_rows,
    review_markdown,
    summary_markdown,
    teardown_markdown,
)

PLAN = {
    "changes": [
        {
            "external_id": "a",
            "action": "create",
            "project_id": None,
            "diff": {"display_name": {"from": None, "to": "A"}},
        },
        {
            "external_id": "b",
            "action": "update",
            "project_id": "p2",
            "diff": {
                "pieces": {"from": None, "to": ["@activepieces/piece-slack"]},
                "metadata": {"from": {}, "to": {"x": "y" * 100}},
            },
        },
        {"external_id": "c|d", "action": "delete", "project_id": "p3", "diff": {}},
    ],
    "protected": ["keep-1"],
    "warnings": ["something odd"],
    "summary": {"create": 1, "update": 1, "delete": 1, "noop": 0},
}
REPORT = {
    "results": [
        {"external_id": "a", "action": "create", "project_id": "p1", "status": "succeeded"},
        {"external_id": "b", "action": "update", "project_id": "p2", "status": "succeeded"},
        {
            "external_id": "c|d",
            "action": "delete",
            "project_id": "p3",
            "status": "failed",
            "error": "boom\nline",
        },
    ],
    "dry_run": False,
    "duration_seconds": 0.25,
    "summary": {"succeeded": 2, "failed": 1, "skipped": 0, "planned": 0},
}


def test_plan_rows_one_field_per_row() -> None:
    """A field per row keeps cells short enough to read in the UI's table."""
    rows = plan_rows(PLAN)
    assert [(r["external_id"], r["kind"], r["action"], r["field"]) for r in rows] == [
        ("a", "project", "create", "display_name"),
        ("b", "project", "update", "pieces"),
        ("b", "project", "update", "metadata"),
        ("c|d", "project", "delete", ""),
    ]
    assert {r["key"] for r in rows} == {""}
    assert (rows[1]["from"], rows[1]["to"]) == ("all", "slack")  # official pieces by short name
    assert rows[2]["from"] == "{}"
    assert rows[2]["to"].endswith("…")  # long values are cut
    assert len(rows[2]["to"]) == 60
    assert rows[3]["project_id"] == "p3"
    assert all(len(str(v)) <= 60 for r in rows for v in r.values())


def test_create_rows_show_new_not_all() -> None:
    """Regression: a create's old value read "all" for every field (None shown as "all")."""
    plan = {
        "changes": [
            {
                "external_id": "n",
                "action": "create",
                "diff": {
                    "display_name": {"from": None, "to": "N"},
                    "metadata": {"from": None, "to": {"k": 1}},
                    "max_concurrent_jobs": {"from": None, "to": 3},
                },
            },
            {
                "external_id": "u",
                "action": "update",
                "project_id": "p",
                "diff": {"metadata": {"from": None, "to": {"k": 1}}},
            },
        ]
    }
    rows = plan_rows(plan)
    assert [r["from"] for r in rows[:3]] == ["(new)"] * 3
    assert [r["to"] for r in rows[:3]] == ["N", "{'k': 1}", "3"]
    assert rows[3]["from"] == "(not set)"  # only pieces' None means "all"


def test_report_rows() -> None:
    rows = report_rows(REPORT)
    assert rows[2] == {
        "external_id": "c|d",
        "kind": "project",
        "key": "",
        "action": "delete",
        "status": "failed",
        "project_id": "p3",
        "error": "boom\nline",
    }


def test_summary_markdown_lists_failures_escaped() -> None:
    text = summary_markdown(PLAN, REPORT)
    assert "| 1 | 1 | 1 | 0 |" in text
    assert "## Failed tenants" in text
    assert (
        "| c\\|d | project |  | delete | boom line |" in text
    )  # a pipe in a value does not break the table
    assert "keep-1" in text
    assert "something odd" in text
    dry = summary_markdown(PLAN, {**REPORT, "dry_run": True, "results": []})
    assert "**Dry run**" in dry
    assert "Failed tenants" not in dry
    stopped = summary_markdown(PLAN, None, "too many deletions")
    assert "**Not applied**: too many deletions" in stopped


def test_teardown_markdown() -> None:
    text = teardown_markdown(
        {
            "results": [{"external_id": "x", "status": "failed", "error": "nope"}],
            "summary": {"deleted": 2, "missing": 0, "failed": 1},
        }
    )
    assert "| 2 | 0 | 1 |" in text
    assert "nope" in text


def test_onboard_markdown() -> None:
    text = onboard_markdown(
        "acme", {"project": {"id": "p1", "displayName": "Acme"}, "action": "created"}
    )
    assert text.startswith("# Tenant `acme`")
    assert "**Acme** (`p1`): created." in text


@pytest.mark.parametrize("key", ["Upper", "with_underscore", "sp ace", ""])
def test_bad_artifact_keys_rejected(key: str) -> None:
    with pytest.raises(ValueError, match="artifact key"):
        check_key(key)


OTHER_KINDS = {
    "changes": [
        {
            "external_id": "",
            "kind": "piece_set",
            "key": "gold",
            "action": "create",
            "diff": {
                "exceptions": {"from": None, "to": ["@activepieces/piece-slack", "@acme/piece-x"]}
            },
        },
        {
            "external_id": "a",
            "kind": "piece_set_assignment",
            "key": "gold",
            "action": "update",
            "project_id": "p1",
            "diff": {"piece_set": {"from": "default", "to": "gold"}},
        },
        {
            "external_id": "a",
            "kind": "member",
            "key": "ops@a.example",
            "action": "update",
            "diff": {"role": {"from": "Viewer", "to": "Admin"}},
        },
        {
            "external_id": "a",
            "kind": "member",
            "key": "old@a.example",
            "action": "delete",
            "diff": {"role": {"from": "Editor", "to": None}},
        },
        {"external_id": "a", "kind": "member", "key": "same@a.example", "action": "noop"},
    ],
    "summary": {"create": 0, "update": 0, "delete": 0, "noop": 1},
}


def test_rows_name_the_kind_and_key_of_sets_and_people() -> None:
    rows = plan_rows(OTHER_KINDS)
    assert [(r["kind"], r["key"], r["action"], r["from"], r["to"]) for r in rows] == [
        ("piece_set", "gold", "create", "(new)", "slack, @acme/piece-x"),
        ("piece_set_assignment", "gold", "update", "default", "gold"),
        ("member", "ops@a.example", "update", "Viewer", "Admin"),
        ("member", "old@a.example", "delete", "Editor", "(removed)"),
        ("member", "same@a.example", "noop", "", ""),
    ]
    assert kind_counts(OTHER_KINDS["changes"], "action") == {
        "piece_set": {"create": 1},
        "piece_set_assignment": {"update": 1},
        "member": {"update": 1, "delete": 1, "noop": 1},
    }
    text = summary_markdown(OTHER_KINDS, None, "rejected", {"decision": "reject", "comment": "x"})
    assert "| member | 0 | 1 | 1 | 1 |" in text
    assert "| piece_set | 1 | 0 | 0 | 0 |" in text
    assert "**Rejected** by the reviewer: x" in text
    report = {
        "results": [
            {**c, "status": "failed" if c["action"] == "delete" else "succeeded", "error": "gone"}
            for c in OTHER_KINDS["changes"]
        ],
        "summary": {"succeeded": 0, "failed": 0, "skipped": 1, "planned": 0},
    }
    done = summary_markdown(OTHER_KINDS, report, review={"decision": "approve"})
    assert "**Approved** by the reviewer\n" in done
    assert "| member | 2 | 1 | 0 | 0 |" in done
    assert "| a | member | old@a.example | delete | gone |" in done
    assert report_rows(report)[3]["key"] == "old@a.example"


def test_review_markdown_lists_the_first_changes() -> None:
    many = {
        "changes": [{"external_id": f"t{i:02d}", "action": "create", "diff": {}} for i in range(25)]
        + [{"external_id": "same", "action": "noop"}],
        "summary": {"create": 25, "update": 0, "delete": 0, "noop": 1},
    }
    text = review_markdown(many, "my-key")
    assert text.startswith("# Review the Activepieces tenant plan")
    assert "| 25 | 0 | 0 | 1 |" in text
    assert "Changes (25; every field in the artifact `my-key-plan`)" in text
    assert "| t19 | project |  | create |" in text
    assert "t20" not in text
    assert "... and 5 more." in text
    assert "same" not in text  # no-ops are not the reviewer's business
