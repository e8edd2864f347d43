"""Artifact markdown from the engine's dict shapes (the rows and counts are core's views)."""

from __future__ import annotations

import pytest

from prefect_activepieces.artifacts import (
    check_key,
    onboard_markdown,
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


def test_summary_markdown_lists_failures_escaped() -> None:
    text = summary_markdown(PLAN, REPORT)
    assert "| project | 1 | 1 | 1 | 0 |" in text  # planned, as core counts them
    assert "| project | 2 | 1 | 0 | 0 |" in text  # outcome
    assert "| delete | c\\|d | project | p3 | failed | boom line |" in text  # a pipe is escaped
    assert "keep-1" in text
    assert "something odd" in text
    dry = summary_markdown(PLAN, {**REPORT, "dry_run": True, "results": []})
    assert "**Dry run**" in dry
    assert "boom" not in dry
    stopped = summary_markdown(PLAN, None, "too many deletions")
    assert "**Not applied**: too many deletions" in stopped


def test_teardown_markdown() -> None:
    text = teardown_markdown(
        {
            "results": [
                {"external_id": "x", "status": "failed", "error": "nope"},
                {"external_id": "y", "status": "deleted", "project_id": "p"},
            ],
        }
    )
    assert "| 1 | 0 | 1 |" in text  # counted from the rows, not trusted from a summary
    assert "| x |  | failed | nope |" in text


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


def test_summaries_name_the_kind_and_key_of_sets_and_people() -> None:
    text = summary_markdown(OTHER_KINDS, None, "rejected", {"decision": "reject", "comment": "x"})
    assert "| member | 0 | 1 | 1 | 1 |" in text
    assert "| piece_set | 1 | 0 | 0 | 0 |" in text
    assert "**Rejected** by the reviewer: x" in text
    report = {
        "results": [
            {**c, "status": "failed" if c["action"] == "delete" else "succeeded", "error": "gone"}
            for c in OTHER_KINDS["changes"]
        ],
    }
    done = summary_markdown(OTHER_KINDS, report, review={"decision": "approve"})
    assert "**Approved** by the reviewer\n" in done
    assert "| member | 2 | 1 | 0 | 0 |" in done
    assert (
        "| delete | a | member old@a.example |  | failed | gone | role: Editor → (removed) |"
        in done
    )


def test_review_markdown_lists_the_first_changes() -> None:
    many = {
        "changes": [{"external_id": f"t{i:02d}", "action": "create", "diff": {}} for i in range(25)]
        + [{"external_id": "same", "action": "noop"}],
        "summary": {"create": 25, "update": 0, "delete": 0, "noop": 1},
    }
    text = review_markdown(many, "my-key")
    assert text.startswith("# Review the Activepieces tenant plan")
    assert "| project | 25 | 0 | 0 | 1 |" in text
    assert "| create | t19 | project |" in text
    assert "t20" not in text
    assert "... and 5 more not shown (the artifact `my-key-plan` has all of them)" in text
    assert "same" not in text  # no-ops are not the reviewer's business
