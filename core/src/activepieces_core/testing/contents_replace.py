"""``POST /v1/projects/:projectId/replace``: the request schema and the replace itself
(preflight -> piece install -> apply), following ``project-replace.service.ts`` @ ``03c3239e``.

The HTTP side (auth, feature gate, the per-project lock held while the emulated work takes
its time) is `.contents_http`; the store and the "changed" rules are `.contents`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .contents import (
    ContentsStore,
    flow_changed,
    folder_changed,
    parse_semver,
    table_changed,
    version_lt,
)
from .records import Platform
from .validation import Issues, boolean, enum, invalid_type, nullable, number, string

SCHEMA_VERSION = 1
FLOW_STATUSES = ("ENABLED", "DISABLED")
PIECE_TYPES = ("CUSTOM", "OFFICIAL")
TABLE_STATUSES = ("ENABLED", "DISABLED")
TABLE_TRIGGERS = ("ON_NEW_RECORD", "ON_UPDATE_RECORD")
#: The keys zod keeps of a table and of a field (unknown keys are stripped).
TABLE_KEYS = ("id", "name", "externalId", "fields", "status", "trigger")
FIELD_KEYS = ("name", "type", "data", "externalId")
RETRY_AFTER = 5  # project-replace.controller.ts: `retryAfter: 5`


# ---- request schema (ProjectReplaceRequest, @activepieces/shared 0.96.2) ------------------------


def _fields(item: Any, path: str, issues: Issues, spec: Mapping[str, Callable[[Any], Any]]) -> None:
    if not issues.expect_object(path, item):
        return
    for name, check in spec.items():
        value = item.get(name, _ABSENT)
        if value is _ABSENT:
            optional = check(None) is None
            if not optional:
                issues.add(f"{path}/{name}", invalid_type(_expected(check), value))
            continue
        issues.check(f"{path}/{name}", value, check)


class _Absent:
    def __repr__(self) -> str:
        return "undefined"


_ABSENT: Any = _Absent()


def _expected(check: Callable[[Any], Any]) -> str:
    names: dict[Callable[[Any], Any], str] = {
        string: "string",
        number: "number",
        boolean: "boolean",
    }
    return names.get(check, "object")


def _object(value: Any) -> str | None:
    return None if isinstance(value, dict) else invalid_type("object", value)


def _array(value: Any) -> str | None:
    return None if isinstance(value, list) else invalid_type("array", value)


def _dropdown_data(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("options"), list):
        return invalid_type("object", value)
    return None


_FLOW_VERSION = {"displayName": string, "trigger": _object, "notes": _array, "valid": boolean}
_FIELD = {"name": string, "type": string, "data": _dropdown_data, "externalId": string}
_TABLE = {
    "id": string,
    "name": string,
    "externalId": string,
    "fields": _array,
    "status": nullable(enum(TABLE_STATUSES)),
    "trigger": nullable(enum(TABLE_TRIGGERS)),
}
_FOLDER = {"externalId": string, "displayName": string, "displayOrder": number}
_CONNECTION = {"externalId": string, "pieceName": string, "displayName": string}
_PIECE = {"name": string, "version": string, "pieceType": enum(PIECE_TYPES)}


def validate_replace(body: Any) -> dict[str, Any]:
    """The body as zod parses it (400 ``FST_ERR_VALIDATION`` otherwise). Flows are checked
    for what replace reads (``externalId``, ``status``, ``version.{displayName, trigger,
    notes, valid}``) and kept verbatim; tables and fields lose unknown keys, as zod strips them.

    ``body`` must be the request's own (decoded for it): its parts are kept, not copied (a deep
    copy of every flow was a tenth of a template replace's CPU), and the store keeps them."""
    issues = Issues("body")
    if not issues.expect_object("", body):
        issues.raise_if_any()
    if body.get("schemaVersion", _ABSENT) != SCHEMA_VERSION:
        issues.add("/schemaVersion", f"Invalid input: expected {SCHEMA_VERSION}")
    issues.check("/sourceActivepiecesVersion", body.get("sourceActivepiecesVersion"), string)
    lists = {}
    for name in ("flows", "tables", "folders", "connections", "requiredPieces"):
        value = body.get(name, _ABSENT)
        if issues.check(f"/{name}", value, _array):
            lists[name] = value
    for index, flow in enumerate(lists.get("flows", [])):
        path = f"/flows/{index}"
        _fields(flow, path, issues, {"externalId": string, "status": enum(FLOW_STATUSES)})
        if isinstance(flow, dict):
            _fields(flow.get("version", _ABSENT), f"{path}/version", issues, _FLOW_VERSION)
    for index, table in enumerate(lists.get("tables", [])):
        _fields(table, f"/tables/{index}", issues, _TABLE)
        if isinstance(table, dict) and isinstance(table.get("fields"), list):
            for number_, item in enumerate(table["fields"]):
                _fields(item, f"/tables/{index}/fields/{number_}", issues, _FIELD)
    for name, spec in (
        ("folders", _FOLDER),
        ("connections", _CONNECTION),
        ("requiredPieces", _PIECE),
    ):
        for index, item in enumerate(lists.get(name, [])):
            _fields(item, f"/{name}/{index}", issues, spec)
    issues.raise_if_any()
    out = {k: body[k] for k in ("schemaVersion", "sourceActivepiecesVersion")}
    out.update(lists)
    out["tables"] = [_strip_table(t) for t in out["tables"]]
    return out


def _strip_table(table: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: table[k] for k in TABLE_KEYS if k in table}
    out["fields"] = [{k: f[k] for k in FIELD_KEYS if k in f} for f in table["fields"]]
    return out


# ---- outcome ----------------------------------------------------------------------------------


@dataclass
class ReplaceOutcome:
    """The controller's answer: 200/207 (``response``), 422 (``errors``), 502 (``failures``)."""

    status: int
    body: dict[str, Any]


def _empty_applied() -> dict[str, int]:
    kinds = ("flows", "tables", "folders")
    counts = {f"{k}{s}": 0 for k in kinds for s in ("Created", "Updated", "Deleted", "Unchanged")}
    counts.update(connectionsCreated=0, connectionsUpdated=0, connectionsUnchanged=0)
    return counts


@dataclass(frozen=True)
class _Op:
    kind: str  # flow | table | folder | connection
    op: str  # CREATE | UPDATE | DELETE
    external_id: str
    current: Any
    wanted: Any


class ProjectReplace:
    """One replace of one project (call `run` under the state lock, holding the project's
    replace lock)."""

    def __init__(
        self, store: ContentsStore, platform: Platform, project_id: str, body: dict[str, Any]
    ) -> None:
        self.store = store
        self.platform = platform
        self.project_id = project_id
        self.body = body
        self.started = time.monotonic()

    def run(self) -> ReplaceOutcome:
        errors = self.preflight()
        if errors:
            return ReplaceOutcome(422, {"errors": errors})
        failures, installed = self.install()
        if failures:
            return ReplaceOutcome(502, {"failures": failures})
        response = self.apply()
        response["piecesInstalled"] = installed
        response["durationMs"] = int((time.monotonic() - self.started) * 1000)
        return ReplaceOutcome(207 if response["failed"] else 200, response)

    # ---- preflight: nothing is written ---------------------------------------------------------
    def preflight(self) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = []
        self._check_version(errors)
        for piece in self.body["requiredPieces"]:
            found = self.store.find_piece(self.platform.id, piece["name"], piece["version"])
            if found is not None and found != piece["version"]:
                errors.append(
                    {
                        "kind": "PIECE_VERSION_MISMATCH",
                        "pieceName": piece["name"],
                        "sourceVersion": piece["version"],
                        "destVersion": found,
                    }
                )
        self._check_connections(errors)
        return errors

    def _check_version(self, errors: list[dict[str, Any]]) -> None:
        source_text = self.body["sourceActivepiecesVersion"]
        dest_text = self.store.ap_version
        source, dest = parse_semver(source_text), parse_semver(dest_text)

        def mismatch(message: str) -> None:
            errors.append(
                {
                    "kind": "AP_VERSION_MISMATCH",
                    "sourceVersion": source_text,
                    "destVersion": dest_text,
                    "message": message,
                }
            )

        if source is None or dest is None:
            mismatch(f"Cannot parse versions (source={source_text}, dest={dest_text})")
        elif source[0] != dest[0]:
            mismatch(f"Major version mismatch (source major={source[0]}, dest major={dest[0]})")
        elif version_lt(dest, source):
            mismatch(
                f"Destination Activepieces version ({dest_text}) is older than source "
                f"({source_text})"
            )

    def _check_connections(self, errors: list[dict[str, Any]]) -> None:
        wanted = self.body["connections"]
        ids = {c["externalId"] for c in wanted}
        rows = self.store.connections_of(self.platform.id, self.project_id)
        dest = {r["externalId"]: r["pieceName"] for r in rows if r["externalId"] in ids}
        seen: set[str] = set()
        for conn in wanted:
            if conn["externalId"] in seen:
                continue
            seen.add(conn["externalId"])
            found = dest.get(conn["externalId"])
            if found is not None and found != conn["pieceName"]:
                errors.append(
                    {
                        "kind": "CONNECTION_PIECE_MISMATCH",
                        "externalId": conn["externalId"],
                        "expectedPieceName": conn["pieceName"],
                        "foundPieceName": found,
                    }
                )

    # ---- pieces ----------------------------------------------------------------------------
    def install(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        failures: list[dict[str, Any]] = []
        installed: list[dict[str, Any]] = []
        for piece in self.body["requiredPieces"]:
            name, version = piece["name"], piece["version"]
            if self.store.find_piece(self.platform.id, name, version) == version:
                continue
            try:
                self.store.install_piece(self.platform.id, name, version)
            except ValueError as error:
                failures.append(
                    {
                        "pieceName": name,
                        "version": version,
                        "pieceType": piece["pieceType"],
                        "message": str(error),
                    }
                )
            else:
                installed.append(
                    {"name": name, "version": version, "pieceType": piece["pieceType"]}
                )
        return failures, installed

    # ---- diff and apply ----------------------------------------------------------------------
    def apply(self) -> dict[str, Any]:
        connection_ops = self._connection_ops()
        folder_ops = self._folder_ops()
        table_ops = self._table_ops()
        flow_ops = self._flow_ops()
        applied = _empty_applied()
        failed: list[dict[str, Any]] = []

        def writes(ops: list[_Op]) -> list[_Op]:
            return [op for op in ops if op.op != "DELETE"]

        def deletes(ops: list[_Op]) -> list[_Op]:
            return [op for op in ops if op.op == "DELETE"]

        for op in [
            *connection_ops,
            *writes(folder_ops),
            *writes(table_ops),
            *writes(flow_ops),
            *deletes(flow_ops),
            *deletes(table_ops),
            *deletes(folder_ops),
        ]:
            self._run(op, applied, failed)
        # Unchanged = payload items the diff did not mark create/update (success-independent).
        for kind, ops, key in (
            ("flows", flow_ops, "flows"),
            ("tables", table_ops, "tables"),
            ("folders", folder_ops, "folders"),
            ("connections", connection_ops, "connections"),
        ):
            applied[f"{kind}Unchanged"] = max(0, len(self.body[key]) - len(writes(ops)))
        return {
            "applied": applied,
            "failed": failed,
            "connectionsAwaitingAuthorization": self._awaiting(),
        }

    def _run(self, op: _Op, applied: dict[str, int], failed: list[dict[str, Any]]) -> None:
        try:
            if (op.kind, op.external_id) in self.store.failing_items:
                raise ValueError(f"emulated failure of {op.kind} {op.external_id}")
            self._write(op)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            failed.append(
                {"kind": op.kind, "externalId": op.external_id, "op": op.op, "error": str(error)}
            )
            return
        plural = op.kind + "s"
        applied[
            plural + {"CREATE": "Created", "UPDATE": "Updated", "DELETE": "Deleted"}[op.op]
        ] += 1

    def _write(self, op: _Op) -> None:
        store, project_id = self.store, self.project_id
        if op.kind == "connection":
            if op.op == "CREATE":
                store.add_connection(
                    self.platform.id,
                    project_id,
                    op.external_id,
                    op.wanted["pieceName"],
                    op.wanted["displayName"],
                )
            else:
                for row in store.project_connections(self.platform.id):
                    if row["externalId"] == op.external_id and project_id in row["projectIds"]:
                        row["displayName"] = op.wanted["displayName"]
                        break
        elif op.kind == "folder":
            if op.op == "DELETE":
                store.delete_folder(project_id, op.external_id)
            else:
                wanted = op.wanted
                store.put_folder(
                    project_id,
                    wanted["displayName"],
                    external_id=op.external_id,
                    order=wanted["displayOrder"],
                )
        elif op.kind == "table":
            if op.op == "DELETE":
                store.delete_table(project_id, op.external_id)
            else:
                store.put_table(project_id, op.wanted)
        elif op.op == "DELETE":
            store.delete_flow(project_id, op.current["id"])
        else:
            store.import_flow(project_id, op.wanted, op.current)

    def _connection_ops(self) -> list[_Op]:
        """``connection-diff.service.ts``: update when the piece differs, create when absent."""
        current = self.store.connections_of(self.platform.id, self.project_id)
        wanted = self.body["connections"]
        ops = [
            _Op("connection", "UPDATE", row["externalId"], row, new)
            for row in current
            for new in [next((c for c in wanted if c["externalId"] == row["externalId"]), None)]
            if new is not None and new["pieceName"] != row["pieceName"]
        ]
        known = {row["externalId"] for row in current}
        ops += [
            _Op("connection", "CREATE", c["externalId"], None, c)
            for c in wanted
            if c["externalId"] not in known
        ]
        return ops

    def _folder_ops(self) -> list[_Op]:
        current = [f for f in self.store.folders(self.project_id) if f["externalId"] is not None]
        return _diff("folder", current, self.body["folders"], folder_changed)

    def _table_ops(self) -> list[_Op]:
        current = [self.store.table_state(t) for t in self.store.tables(self.project_id)]
        return _diff("table", current, self.body["tables"], table_changed)

    def _flow_ops(self) -> list[_Op]:
        return _diff("flow", self.store.flows(self.project_id), self.body["flows"], flow_changed)

    def _awaiting(self) -> list[dict[str, Any]]:
        ids = {c["externalId"] for c in self.body["connections"]}
        if not ids:
            return []
        return [
            {
                "externalId": r["externalId"],
                "pieceName": r["pieceName"],
                "displayName": r["displayName"],
            }
            for r in self.store.connections_of(self.platform.id, self.project_id)
            if r["externalId"] in ids and r.get("status", "ACTIVE") != "ACTIVE"
        ]


def _diff(
    kind: str,
    current: list[dict[str, Any]],
    wanted: list[dict[str, Any]],
    changed: Callable[[Mapping[str, Any], Mapping[str, Any]], bool],
) -> list[_Op]:
    """Match by ``externalId`` (first match wins, as ``Array.find``): create what is new,
    update what changed, delete what the payload lacks."""

    def first(rows: list[dict[str, Any]], external_id: str) -> dict[str, Any] | None:
        return next((r for r in rows if r["externalId"] == external_id), None)

    creates = [
        _Op(kind, "CREATE", w["externalId"], None, w)
        for w in wanted
        if first(current, w["externalId"]) is None
    ]
    # Flows walk the payload (findFlowsToUpdate), tables and folders the current items: it only
    # matters when the payload repeats an external id.
    pairs = (
        [(first(current, w["externalId"]), w) for w in wanted]
        if kind == "flow"
        else [(c, first(wanted, c["externalId"])) for c in current]
    )
    updates = [
        _Op(kind, "UPDATE", w["externalId"], c, w)
        for c, w in pairs
        if c is not None and w is not None and changed(c, w)
    ]
    deletes = [
        _Op(kind, "DELETE", c["externalId"], c, None)
        for c in current
        if first(wanted, c["externalId"]) is None
    ]
    return [*creates, *updates, *deletes]
