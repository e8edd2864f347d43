"""Core's one rendering of plans, reports and teardowns (what every integration shows)."""

from __future__ import annotations

from typing import Any

from activepieces_core.tenants import (
    ApplyReport,
    Plan,
    TeardownReport,
    plan_view,
    report_view,
    teardown_view,
)
from activepieces_core.tenants.views import diff_text, value_text

PLAN: dict[str, Any] = {
    "changes": [
        {"external_id": "a", "action": "create", "display_name": "A", "diff": {}},
        {
            "external_id": "b",
            "action": "update",
            "project_id": "p2",
            "diff": {
                "pieces": {"from": None, "to": ["@activepieces/piece-slack"]},
                "metadata": {"from": {}, "to": {"x": "y" * 100}},
            },
        },
        {"external_id": "c|d", "action": "delete", "project_id": "p3", "display_name": "C"},
        {
            "external_id": "",
            "kind": "piece_set",
            "key": "gold",
            "action": "create",
            "diff": {"exceptions": {"from": None, "to": ["@activepieces/piece-slack", "@x/y"]}},
        },
        {
            "external_id": "a",
            "kind": "member",
            "key": "old@a.example",
            "action": "delete",
            "diff": {"role": {"from": "Editor", "to": None}},
        },
        {"external_id": "e", "action": "noop"},
    ],
    "protected": ["keep-1"],
    "warnings": ["something odd"],
    "read_requests": 3,
}


def test_values_read_the_same_everywhere() -> None:
    assert value_text("pieces", None) == "all pieces"  # no filter: every piece
    assert value_text("metadata", None) == "(not set)"  # only pieces' None means "all"
    assert value_text("pieces", ["@activepieces/piece-slack", "@acme/piece-x"]) == (
        "[slack, @acme/piece-x]"
    )
    cut = value_text("metadata", {"x": "y" * 100})
    assert len(cut) == 60
    assert cut.endswith("…")
    assert diff_text({"role": {"from": "Editor", "to": None}}, "delete") == (
        "role: Editor → (removed)"
    )
    assert diff_text({"role": {"from": None, "to": "Admin"}}, "create") == "role: Admin"
    assert diff_text({"pieces": {"from": None, "to": ["a"]}}) == "pieces: all pieces → [a]"


def test_plan_view_labels_counts_and_rows() -> None:
    view = plan_view(PLAN)
    assert view.headline == (
        "Plan: 1 to create, 1 to update, 1 to delete, 1 unchanged; "
        "2 other change(s) (member, piece_set) (3 read request(s))."
    )
    assert view.kind_lines == ("member: 1 delete", "piece_set: 1 create")
    assert view.counts == (
        ("project", 1, 1, 1, 1),
        ("member", 0, 0, 1, 0),
        ("piece_set", 1, 0, 0, 0),
    )
    records = view.records()
    assert [(r["external_id"], r["what"], r["action"]) for r in records] == [
        ("a", "project", "create"),
        ("b", "project", "update"),
        ("c|d", "project", "delete"),
        ("(platform)", "piece_set gold", "create"),
        ("a", "member old@a.example", "delete"),
    ]  # no-ops are left out
    assert records[0]["changes"] == "A"  # a project create or delete shows its name
    assert records[3]["changes"] == "exceptions: [slack, @x/y]"
    assert view.notes == ("Protected, not deleted (1): keep-1", "Warning: something odd")
    capped = plan_view(PLAN, max_rows=2)
    assert len(capped.rows) == 2
    assert capped.hidden == 3
    assert capped.more_line("the saved plan") == (
        "... and 3 more not shown (the saved plan has all of them)"
    )


def test_markdown_escapes_cells_and_text_aligns() -> None:
    view = plan_view(PLAN)
    text = view.markdown("the saved plan")
    assert text.startswith("### Activepieces tenant plan\n")
    assert "| kind | create | update | delete | noop |" in text
    assert "| project | 1 | 1 | 1 | 1 |" in text
    assert "| delete | c\\|d | project | p3 | C |" in text  # a pipe does not break the table
    plain = view.text()
    assert plain.splitlines()[0] == view.headline
    assert "  member: 1 delete" in plain


def test_report_view_shows_every_failure_first() -> None:
    results = [
        {"external_id": f"t{i}", "action": "create", "status": "succeeded", "project_id": f"p{i}"}
        for i in range(5)
    ]
    results.append(
        {
            "external_id": "bad",
            "action": "update",
            "status": "failed",
            "error": "boom",
            "error_type": "ServerError",
        }
    )
    results.append(
        {
            "external_id": "t0",
            "kind": "member",
            "key": "x@y.z",
            "action": "create",
            "status": "succeeded",
        }
    )
    report = ApplyReport.from_dict({"results": results, "duration_seconds": 1.5})
    view = report_view(report, max_rows=2)
    assert view.headline == (
        "Applied: 5 succeeded, 1 failed, 0 planned, 0 unchanged; "
        "1 other result(s) (member) in 1.50s."
    )
    assert view.kind_lines == ("member: 1 succeeded",)
    assert view.rows[0][:6] == ("update", "bad", "project", "", "failed", "boom")
    assert len(view.rows) == 3
    assert view.hidden == 4
    assert view.counts == (("project", 5, 1, 0, 0), ("member", 1, 0, 0, 0))


def test_counts_survive_to_dict_and_back() -> None:
    """XCom, Prefect results and saved plans carry the per-kind counts."""
    plan = Plan.from_dict(PLAN, verify=False)
    data = plan.to_dict()
    assert data["kind_summary"] == {"member": {"delete": 1}, "piece_set": {"create": 1}}
    assert "label" not in data["changes"][4]  # derived: restored when read back
    assert Plan.from_dict(data).changes[4].label == "member old@a.example"
    assert Plan.from_dict(data).kind_summary == plan.kind_summary
    report = ApplyReport.from_dict(
        {
            "results": [
                {
                    "external_id": "a",
                    "kind": "member",
                    "key": "k",
                    "action": "create",
                    "status": "failed",
                }
            ]
        }
    )
    assert report.to_dict()["kind_summary"] == {"member": {"failed": 1}}
    assert report.to_dict()["results"][0]["label"] == "member k"


def test_teardown_report_rows_and_view() -> None:
    plan = Plan.from_dict(
        {
            "changes": [
                {"external_id": "a", "action": "delete", "project_id": "p1"},
                {"external_id": "b", "action": "delete", "project_id": "p2"},
                {"external_id": "b", "kind": "piece_set", "key": "tenant:b", "action": "delete"},
            ],
            "missing": ["gone"],
            "warnings": ["w"],
        },
        verify=False,
    )
    report = {
        "results": [
            {"external_id": "a", "action": "delete", "project_id": "p1", "status": "succeeded"},
            {"external_id": "b", "action": "delete", "project_id": "p2", "status": "succeeded"},
            {
                "external_id": "b",
                "kind": "piece_set",
                "key": "tenant:b",
                "action": "delete",
                "status": "failed",
                "error": "boom",
                "error_type": "ServerError",
            },
        ]
    }
    teardown = TeardownReport.build(["a", "b", "gone", "a"], plan, report)
    assert teardown.to_dict() == {
        "results": [
            {
                "external_id": "a",
                "project_id": "p1",
                "status": "deleted",
                "error": "",
                "archive": "",
            },
            {
                "external_id": "b",
                "project_id": "p2",
                "status": "failed",
                "error": "piece_set tenant:b: ServerError: boom",
                "archive": "",
            },
            {
                "external_id": "gone",
                "project_id": "",
                "status": "missing",
                "error": "",
                "archive": "",
            },
        ],
        "warnings": ["w"],
        "summary": {"total": 3, "deleted": 1, "missing": 1, "failed": 1},
    }
    strict = TeardownReport.build(["gone"], plan.to_dict(), report, missing_ok=False)
    assert strict.results[0].status == "failed"
    error = teardown.error()
    assert error is not None
    assert error.failed_external_ids == ["b"]
    assert "tenant teardown: 1 of 3 tenant(s) failed (b)" in str(error)
    view = teardown_view(teardown.to_dict())
    assert view.headline == "Teardown: 1 deleted, 1 missing, 1 failed."
    assert view.counts == ((1, 1, 1),)


def test_headlines_count_the_other_kinds_and_their_failures() -> None:
    """The headline's counts are the projects'; what the other kinds did (a flow or a member
    failing while every project succeeded) is said after them, never left out."""
    from activepieces_core.tenants import ApplyReport

    rows = [
        {"external_id": "t0", "action": "noop", "status": "skipped", "project_id": "p0"},
        {"external_id": "t0", "kind": "flow", "key": "a", "action": "create", "status": "failed"},
        {"external_id": "t0", "kind": "flow", "key": "b", "action": "noop", "status": "skipped"},
    ]
    view = report_view(ApplyReport(results=rows, duration_seconds=1.0))
    assert view.headline == (
        "Applied: 0 succeeded, 0 failed, 0 planned, 1 unchanged; "
        "1 other result(s) (flow), 1 failed in 1.00s."
    )
    quiet = report_view(ApplyReport(results=[rows[0], rows[2]], duration_seconds=1.0))
    assert quiet.headline == "Applied: 0 succeeded, 0 failed, 0 planned, 1 unchanged in 1.00s."
