"""Load tenant specs from YAML, JSON, CSV, plain dicts or a JSON string.

File formats (see the README for examples):

* **YAML / JSON**: either a list of tenant mappings, or a mapping ``{"defaults": {...},
  "tenants": [...]}`` where ``defaults`` is merged under every row (a row's own keys win).
* **CSV**: one row per tenant with a header. Columns are the `TenantSpec` field names. An empty
  cell means "not set" (for ``pieces``: all pieces). ``pieces`` and
  ``global_connection_external_ids`` are ``;``-separated. Metadata is either a ``metadata``
  column holding a JSON object, or ``metadata.<key>`` columns whose (string) values become the
  keys of the metadata object; both may be combined (the columns win). ``releases_enabled``
  accepts true/false, yes/no, 1/0.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from activepieces_core.parsing import parse_bool
from activepieces_core.tenants.spec import TenantSpec, TenantSpecError, validate_specs

__all__ = ["TenantSource", "load_tenants"]

TenantSource = str | Path | Iterable[TenantSpec | Mapping[str, Any]] | Mapping[str, Any]


def load_tenants(source: TenantSource) -> list[TenantSpec]:
    """Return validated specs from a path, a JSON string, a document mapping or rows.

    Raises `TenantSpecError` listing every bad row (nothing is sent anywhere).
    """
    if isinstance(source, Path):
        return _load_path(source)
    if isinstance(source, str):
        text = source.strip()
        if text.startswith(("[", "{")):
            return _from_document(_parse_json(text, "<string>"))
        return _load_path(Path(source))
    if isinstance(source, Mapping):
        return _from_document(source)
    return validate_specs(source)


def _load_path(path: Path) -> list[TenantSpec]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _file_error(f"cannot read {path}: {exc.strerror or exc}") from exc
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return validate_specs(_csv_rows(text))
    if suffix == ".json":
        return _from_document(_parse_json(text, str(path)))
    if suffix in (".yaml", ".yml"):
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise _file_error(f"{path}: invalid YAML: {exc}") from exc
        return _from_document(doc)
    raise _file_error(f"{path}: unsupported tenant file type (use .yaml, .yml, .json or .csv)")


def _file_error(message: str) -> TenantSpecError:
    return TenantSpecError([{"row": -1, "external_id": None, "errors": [message]}])


def _parse_json(text: str, origin: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _file_error(f"{origin}: invalid JSON: {exc}") from exc


def _from_document(doc: Any) -> list[TenantSpec]:
    if doc is None:
        return []
    if isinstance(doc, list):
        return validate_specs(doc)
    if isinstance(doc, Mapping) and "tenants" in doc:
        defaults = doc.get("defaults") or {}
        rows = doc.get("tenants") or []
        if not isinstance(defaults, Mapping) or not isinstance(rows, list):
            raise _file_error("'defaults' must be a mapping and 'tenants' a list")
        return validate_specs(
            {**defaults, **row} if isinstance(row, Mapping) else row for row in rows
        )
    if isinstance(doc, Mapping):
        return validate_specs([doc])
    raise _file_error("expected a list of tenants or a mapping with a 'tenants' list")


def _csv_rows(text: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for raw in csv.DictReader(io.StringIO(text)):
        row: dict[str, Any] = {}
        meta: dict[str, Any] = {}
        for key, value in raw.items():
            if key is None:  # more cells than headers: let validation name it
                row["_extra_cells"] = value
                continue
            key = key.strip()
            cell = (value or "").strip()
            if key.startswith("metadata."):
                if cell:
                    meta[key.removeprefix("metadata.")] = cell
            elif cell:
                row[key] = _csv_cell(key, cell)
        if meta:
            base = row.get("metadata")
            row["metadata"] = {**base, **meta} if isinstance(base, dict) else meta
        rows.append(row)
    return rows


def _csv_cell(key: str, cell: str) -> Any:
    if key == "metadata":
        try:
            return json.loads(cell)
        except json.JSONDecodeError:
            return cell  # validation reports "not a valid dictionary" for the row
    if key == "releases_enabled":
        try:
            return parse_bool(cell)
        except ValueError:
            return cell  # validation reports "not a valid boolean" for the row
    return cell
