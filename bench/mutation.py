"""Mutation testing (cosmic-ray) over the rules where a silent bug costs the most.

    uv run python bench/mutation.py                 # every target, two at a time
    uv run python bench/mutation.py --target retry --jobs 1
    uv run python bench/mutation.py --list          # the targets, their code and their tests

Per target it prints ``mutation score: killed/total`` and every surviving mutant (file, line,
operator, diff); bench/MUTATION.md keeps the last run's scores and why each survivor left is
equivalent. Not part of CI's time budget: a full run takes tens of minutes on two cores.

How: each target's module is mutated in a private copy of ``core/src`` (never the working
tree, which other processes may be testing), and its test subset runs with that copy first on
``PYTHONPATH``. Only the target's rule functions are mutated (a module's other code has its
own tests elsewhere), with cosmic-ray's operators less its exotic binary and comparison swaps
(``a + b`` becoming ``a << b`` mostly makes noise, not information). A run whose tests exceed
their timeout counts as killed (cosmic-ray's rule: a mutant that hangs is detected).
"""

from __future__ import annotations

import argparse
import ast
import io
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tokenize
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cosmic_ray.work_db import WorkDB, use_db  # type: ignore[import-untyped]
from cosmic_ray.work_item import (  # type: ignore[import-untyped]
    TestOutcome,
    WorkerOutcome,
    WorkResult,
)

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "core" / "src" / "activepieces_core"
CLIENT = "tests/core/client/"
TENANTS = "tests/core/tenants/"
#: Not the async client on httpx's transport: its variants drive the same operations as the
#: sync and aiohttp ones (one generator per operation, `resources._base`), so they add minutes,
#: not coverage of these rules. (``-k "not async"`` would drop every ``async def`` test: they
#: carry pytest-asyncio's ``asyncio`` marker.)
NOT_HTTPX = "not async-httpx"


@dataclass(frozen=True)
class Target:
    """One module's rules and the tests that should notice a change to them."""

    name: str
    module: str  # relative to activepieces_core/
    #: Top-level functions or classes (qualified: ``Class.method``); ``"function: statement"``
    #: is the statement of the function whose first line starts with ``statement``.
    rules: tuple[str, ...]
    tests: tuple[str, ...]  # pytest arguments
    #: Other modules mutated in the same run, with their rules: (module, rules).
    also: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def code(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Every (module, rules) the target mutates."""
        return ((self.module, self.rules), *self.also)


TARGETS: tuple[Target, ...] = (  # fastest subsets first
    Target(
        "retry",
        "retries.py",
        (
            "is_retryable",
            "_is_read_retryable",
            "is_safe_to_resend",
            "is_ambiguous_write",
            "RetryPolicy",
        ),
        (CLIENT + "test_client_retry_rules.py", CLIENT + "test_client_retry.py", "-k", NOT_HTTPX),
    ),
    Target(
        "secret-scrubbing",
        "errors.py",
        ("_scrubbed", "error_from_response", "APIError"),
        (
            CLIENT + "test_client_secret_echo.py",
            CLIENT + "test_client_errors.py",
            CLIENT + "test_client_replace_outcomes.py",  # error_from_response's retryAfter
            "-k",
            NOT_HTTPX,
        ),
    ),
    Target(
        "deletion-guards",
        "tenants/engine.py",
        ("guarded_deletions", "check_deletions"),
        (
            TENANTS + "test_tenants_engine.py",
            TENANTS + "test_tenants_members.py",
            TENANTS + "test_tenants_kinds.py",
            "tests/core/cli/test_cli_commands.py",
        ),
    ),
    Target(
        "project-diff",
        "project_diff.py",
        (
            "wish_pieces",
            "_same",
            "_same_metadata",
            "_check_known",
            "_managed",
            "diff_fields",
            "creation_diff",
            "update_kwargs",
        ),
        (
            "tests/core/test_project_fields.py",
            CLIENT + "test_client_ensure_fields.py",
            TENANTS + "test_tenants_shown_diffs.py",
            TENANTS + "test_tenants_agreement.py",
            "-k",
            NOT_HTTPX,
        ),
    ),
    Target(
        "staleness",
        "tenants/kinds/projects.py",
        ("_stale_view", "ProjectKind.find_stale"),
        (
            TENANTS + "test_tenants_saved.py",
            TENANTS + "test_tenants_stale_lookups.py",
            "tests/core/cli/test_cli_saved_plans.py",
        ),
    ),
    Target(
        "member-reconcile",
        "tenants/kinds/members.py",
        ("_protected", "MemberKind.wanted", "MemberKind.diff", "MemberKind._change"),
        (TENANTS + "test_tenants_members.py",),
    ),
    Target(
        "piece-set-reconcile",
        "tenants/kinds/piece_sets.py",
        (
            "owned_key",
            "uses_piece_sets",
            "_key_of",
            "_set_change",
            "PieceSetKind.diff",
            "PieceSetKind._tenant_changes",
            "_owned_sets_to_drop",
            "_delete",
            "_refuse_on_legacy",
        ),
        (TENANTS + "test_tenants_shown_diffs.py", TENANTS + "test_tenants_piece_sets.py"),
    ),
    Target(
        "ensure",
        "resources/projects/_ops.py",
        (
            "ensure",
            "_wish",
            "sync_pieces",
            "get_by_external_id",
            "delete",
            "delete_by_external_id",
            "_refuse_personal",
            "find",
            "discard",
        ),
        (
            CLIENT + "test_client_projects.py",
            CLIENT + "test_client_ensure_fields.py",
            CLIENT + "test_client_retry.py",  # a delete resent after a dropped answer
            CLIENT + "test_client_faults.py",
            "-k",
            f"{NOT_HTTPX} and not 500_tenants",
        ),
    ),
    Target(
        "write-once",
        "resources/_base.py",
        ("write_once", "create_once", "Cursor", "next_cursor", "scan_pages"),
        (
            CLIENT + "test_client_faults.py",
            CLIENT + "test_client_people.py",
            CLIENT + "test_client_defects.py",
            CLIENT + "test_client_pages.py",  # a listing of several pages
            "-k",
            f"({NOT_HTTPX}) and (ensure or invite or role or cursor or defect or survive"
            " or every_page)",
        ),
    ),
    Target(
        "replace-outcomes",
        "resources/contents/replace.py",
        ("as_state", "replace"),  # the 409 wait: retryAfter capped, max_retries, then raise
        (
            CLIENT + "test_client_replace_outcomes.py",
            CLIENT + "test_client_contents.py",
            CLIENT + "test_client_errors.py",
            "-k",
            NOT_HTTPX,
        ),
        also=(
            (
                "errors.py",
                (
                    "ReplaceInProgressError",
                    "ReplacePreflightError",
                    "PieceInstallError",
                    "_items",
                    "_describe",
                    "_replace_error",
                    "error_from_response: if cls is ReplaceInProgressError",
                ),
            ),
        ),
    ),
    Target(
        "archive-guard",
        "archive/format.py",  # digest verification on every read
        ("TenantArchive.to_dict", "TenantArchive.encode", "TenantArchive.decode"),
        (
            "tests/core/test_archive_store.py",
            TENANTS + "test_tenants_archive.py",
            "tests/core/cli/test_cli_archive.py",
            "tests/core/cli/test_cli_archive_first.py",
            "-k",
            "not faults_never",  # 200 tenants under faults: minutes per mutant, no extra rule
        ),
        also=(
            ("archive/store.py", ("ArchiveStore.write", "read_archive")),
            (
                "archive/archiver.py",
                ("deleted_tenants", "store_of", "Archiver.archive", "resolve_archiver"),
            ),
            # no archive, no delete: the one place a tenant project is deleted
            ("tenants/kinds/projects.py", ("ProjectKind.write: if applied.archiver",)),
        ),
    ),
)

#: cosmic-ray operators left out (regular expressions on the operator's name).
EXCLUDED_OPERATORS = (
    r"core/ReplaceBinaryOperator_\w+_(Pow|RShift|LShift|BitOr|BitAnd|BitXor|FloorDiv|Mod)$",
    r"core/ReplaceBinaryOperator_(Pow|RShift|LShift|BitOr|BitAnd|BitXor|FloorDiv|Mod)_\w+$",
    # A value comparison made an identity one (`==` -> `is`): noise on values. And back
    # (`is` -> `==`, `is not` -> `!=`): the rules compare with None, sentinels, enum members and
    # classes, whose equality is identity (every survivor of this kind so far was equivalent).
    # `is` <-> `is not` stays: flipping a None check is a real mutation.
    r"core/ReplaceComparisonOperator_(?!Is_|IsNot_)\w+_(Is|IsNot)$",
    r"core/ReplaceComparisonOperator_(Is_Eq|IsNot_NotEq)$",
    r"core/ReplaceComparisonOperator_(Lt|Gt|LtE|GtE)_(Eq|NotEq)$",
    r"core/ReplaceComparisonOperator_(Eq|NotEq)_(Lt|Gt|LtE|GtE)$",
    r"core/ReplaceComparisonOperator_(Lt_Gt|Gt_Lt|LtE_GtE|GtE_LtE|Lt_GtE|Gt_LtE|LtE_Gt|GtE_Lt)$",
    r"core/Variable(Replacer|Inserter)$",  # random variables: not reproducible
)


def rule_lines(source: str, rules: Sequence[str]) -> list[tuple[int, int]]:
    """The (first, last) line of each named top-level function, class or ``Class.method``,
    or of a statement in one (``"function: statement"``)."""
    tree = ast.parse(source)
    found: dict[str, tuple[int, int]] = {}
    nodes: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found[node.name] = (node.lineno, node.end_lineno or node.lineno)
            nodes[node.name] = node
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        span = (item.lineno, item.end_lineno or item.lineno)
                        found[f"{node.name}.{item.name}"] = span
                        nodes[f"{node.name}.{item.name}"] = item
    lines = source.splitlines()
    for rule in rules:
        owner, _, start = rule.partition(": ")
        if start and owner in nodes:
            for stmt in ast.walk(nodes[owner]):
                if isinstance(stmt, ast.stmt) and lines[stmt.lineno - 1].strip().startswith(start):
                    found[rule] = (stmt.lineno, stmt.end_lineno or stmt.lineno)
                    break
    missing = [r for r in rules if r not in found]
    if missing:
        raise SystemExit(f"no such rule in the module: {missing}")
    return [found[r] for r in rules]


@dataclass
class Outcome:
    target: Target
    killed: int = 0
    incompetent: int = 0  # the mutant could not run at all (not counted either way)
    survived: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return self.killed + len(self.survived)


def _pytest(target: Target) -> list[str]:
    # -n 0: a few test files a mutant, where starting xdist's workers would cost more than they save
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-n", "0"]
    return [*command, *target.tests]


def _config(target: Target, modules: Sequence[Path], timeout: float) -> str:
    command = " ".join(_quote(a) for a in _pytest(target))
    paths = ", ".join(_toml(str(m)) for m in modules)
    return (
        "[cosmic-ray]\n"
        f"module-path = [{paths}]\n"
        f"timeout = {timeout:.0f}\n"
        "excluded-modules = []\n"
        f"test-command = {_toml(command)}\n\n"
        '[cosmic-ray.distributor]\nname = "local"\n'
    )


def _quote(arg: str) -> str:
    return f"'{arg}'" if re.search(r"[\s()]", arg) else arg


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def signature_markers(source: str) -> set[tuple[int, int]]:
    """Where a signature's bare ``*`` or ``/`` stands (line, column).

    cosmic-ray reads them as a multiplication or a division and swaps them, which only moves
    the keyword-only marker; every caller passes those arguments by keyword, so no test can
    notice. Not mutations of an operator: left out.
    """
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(source).readline)
        if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT)
    ]
    return {
        token.start
        for token, following in itertools.pairwise(tokens)
        if token.type == tokenize.OP
        and token.string in ("*", "/")
        and following.string in (",", ")")
    }


def _skip_outside_rules(db: WorkDB, spans: dict[Path, list[tuple[int, int]]]) -> None:
    """Mark every mutation outside the rules, by an excluded operator or of a signature's
    marker as skipped."""
    excluded = re.compile("|".join(f"(?:{e})" for e in EXCLUDED_OPERATORS))
    markers = {path: signature_markers(path.read_text(encoding="utf-8")) for path in spans}
    for item in list(db.pending_work_items):
        mutation = item.mutations[0]
        line = mutation.start_pos[0]
        module = Path(mutation.module_path).resolve()
        module_spans = spans.get(module, [])
        inside = any(first <= line <= last for first, last in module_spans)
        marker = tuple(mutation.start_pos) in markers.get(module, set())
        if not inside or marker or excluded.match(mutation.operator_name):
            db.set_result(
                item.job_id, WorkResult(output="outside", worker_outcome=WorkerOutcome.SKIPPED)
            )


def run_target(target: Target, keep: Path | None) -> Outcome:
    """Mutate ``target`` in a private copy and test every mutant; the score and survivors."""
    started = time.monotonic()
    outcome = Outcome(target)
    work = Path(tempfile.mkdtemp(prefix=f"mutation-{target.name}-"))
    try:
        src = work / "src"
        shutil.copytree(PACKAGE, src / PACKAGE.name, ignore=shutil.ignore_patterns("__pycache__"))
        modules = {src / PACKAGE.name / module: rules for module, rules in target.code()}
        env = {**os.environ, "PYTHONPATH": str(src), "PYTHONDONTWRITEBYTECODE": "1"}
        # The unmutated copy must pass (and shows how long the subset takes).
        baseline_started = time.monotonic()
        baseline = subprocess.run(
            _pytest(target), cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        if baseline.returncode != 0:
            outcome.error = "baseline failed:\n" + baseline.stdout[-3000:]
            return outcome
        timeout = max(60.0, 4 * (time.monotonic() - baseline_started))
        config = work / "cosmic-ray.toml"
        config.write_text(_config(target, list(modules), timeout), encoding="utf-8")
        session = work / "session.sqlite"
        cosmic = [sys.executable, "-m", "cosmic_ray.cli"]
        subprocess.run([*cosmic, "init", str(config), str(session)], cwd=ROOT, env=env, check=True)
        spans = {
            module.resolve(): rule_lines(module.read_text(encoding="utf-8"), rules)
            for module, rules in modules.items()
        }
        with use_db(str(session), WorkDB.Mode.open) as db:
            _skip_outside_rules(db, spans)
        subprocess.run(
            [*cosmic, "exec", str(config), str(session)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        with use_db(str(session), WorkDB.Mode.open) as db:
            for item, result in db.completed_work_items:
                if result.worker_outcome == WorkerOutcome.SKIPPED:
                    continue
                if result.test_outcome == TestOutcome.SURVIVED:
                    mutation = item.mutations[0]
                    module = Path(mutation.module_path).resolve()
                    relative = module.relative_to((src / PACKAGE.name).resolve()).as_posix()
                    where = f"{relative}:{mutation.start_pos[0]}"
                    outcome.survived.append(
                        f"{where} {mutation.operator_name} #{mutation.occurrence}\n"
                        f"{result.diff or ''}".rstrip()
                    )
                elif result.test_outcome == TestOutcome.INCOMPETENT:
                    outcome.incompetent += 1
                else:
                    outcome.killed += 1
    finally:
        outcome.seconds = time.monotonic() - started
        if keep is not None:
            shutil.copytree(work, keep / target.name, dirs_exist_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    return outcome


def report(outcome: Outcome) -> str:
    target = outcome.target
    modules = ", ".join(module for module, _ in target.code())
    head = f"== {target.name} ({modules}; {outcome.seconds:.0f} s)"
    if outcome.error:
        return f"{head}\n{outcome.error}"
    lines = [head, f"mutation score: {outcome.killed}/{outcome.total}"]
    if outcome.incompetent:
        lines.append(f"incompetent (could not run): {outcome.incompetent}")
    for survivor in outcome.survived:
        lines.append("survived: " + survivor)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    names = [t.name for t in TARGETS]
    parser.add_argument("--target", action="append", choices=names, help="(repeatable)")
    parser.add_argument("--jobs", type=int, default=2, help="targets run at once (default 2)")
    parser.add_argument("--keep", type=Path, help="copy each session's files here")
    parser.add_argument("--list", action="store_true", help="show the targets and exit")
    args = parser.parse_args(argv)
    chosen = [t for t in TARGETS if not args.target or t.name in args.target]
    if args.list:
        for t in chosen:
            for module, rules in t.code():
                print(f"{t.name}: {module} {', '.join(rules)}")
            print(f"  pytest {' '.join(t.tests)}")
        return 0
    failed = False
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for outcome in pool.map(lambda t: run_target(t, args.keep), chosen):
            print(report(outcome), flush=True)
            failed = failed or outcome.error is not None
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
