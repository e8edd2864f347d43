"""Load tenant specs from YAML, JSON, CSV, plain dicts or a JSON string.

File formats (see the README for examples):

* **YAML / JSON**: either a list of tenant mappings, or a mapping ``{"defaults": {...},
  "tenants": [...]}`` where ``defaults`` is merged under every row (a row's own keys win).
* ``template`` (on a row or in ``defaults``) names a replace body file, relative to the
  document's folder (the working directory for a document given as data); every template is
  read and validated here, once, so a missing or invalid one is a `TenantSpecError` before
  anything is sent (`TenantDocument.templates`).
* **CSV**: one row per tenant with a header. Columns are the `TenantSpec` field names. An empty
  cell means "not set" (for ``pieces``: all pieces). ``pieces`` and
  ``global_connections`` are ``;``-separated. Metadata is either a ``metadata``
  column holding a JSON object, or ``metadata.<key>`` columns whose (string) values become the
  keys of the metadata object; both may be combined (the columns win). ``releases_enabled``
  accepts true/false, yes/no, 1/0.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from activepieces_core.parsing import parse_bool
from activepieces_core.tenants.spec import (
    PieceSetSpec,
    TenantSpec,
    TenantSpecError,
    new_field_names,
    row_errors,
    validate_specs,
)

if TYPE_CHECKING:
    from activepieces_core.models.contents import ProjectState

__all__ = ["TemplateSource", "TenantDocument", "TenantSource", "load_document", "load_tenants"]

TenantSource = str | Path | Iterable[TenantSpec | Mapping[str, Any]] | Mapping[str, Any]
#: A template given to `load_document` instead of its file: a `ProjectState`, a replace body
#: mapping, or the path of a file holding one.
TemplateSource = Any


@dataclass(frozen=True)
class TenantDocument:
    """A whole tenant document: the tenants, the named piece sets they may use, and the
    templates they name (``template`` as written -> the validated replace body)."""

    tenants: list[TenantSpec]
    piece_sets: list[PieceSetSpec] = field(default_factory=list)
    templates: dict[str, ProjectState] = field(default_factory=dict)


def load_tenants(source: TenantSource) -> list[TenantSpec]:
    """Return validated specs from a path, a JSON string, a document mapping or rows.

    Raises `TenantSpecError` listing every bad row (nothing is sent anywhere).
    """
    return load_document(source).tenants


def load_document(
    source: TenantSource | TenantDocument,
    *,
    templates: Mapping[str, TemplateSource] | None = None,
    base: str | Path | None = None,
) -> TenantDocument:
    """Like `load_tenants`, keeping the document's ``piece_sets`` and ``templates`` too.

    Also checks what needs the whole document: set keys unique, every tenant's ``piece_set``
    either declared here or ``default`` (a set made by hand on the platform is named in
    ``piece_sets`` with its key, so the file says what it relies on), and every ``template``
    readable and valid. ``templates`` gives some templates by name instead of their files
    (an integration reading them from object storage or a block); ``base`` is the folder
    template paths are relative to (default: the document file's, else the working directory).
    """
    if isinstance(source, TenantDocument):
        return source
    folder = Path.cwd() if base is None else Path(base)
    if base is None and isinstance(source, str) and not source.strip().startswith(("[", "{")):
        folder = Path(source).parent
    elif base is None and isinstance(source, Path):
        folder = source.parent
    if isinstance(source, Path):
        doc = _load_path(source)
    elif isinstance(source, str):
        text = source.strip()
        if text.startswith(("[", "{")):
            doc = _from_document(_parse_json(text, "<string>"))
        else:
            doc = _load_path(Path(source))
    elif isinstance(source, Mapping):
        doc = _from_document(source)
    else:
        doc = TenantDocument(validate_specs(source))
    _check_set_references(doc)
    doc.templates.update(_load_templates(doc.tenants, folder, templates or {}))
    return doc


def _load_templates(
    tenants: Sequence[TenantSpec], base: Path, given: Mapping[str, TemplateSource]
) -> dict[str, ProjectState]:
    """Every template the tenants name, read and validated once each (a document-level
    `TenantSpecError` naming every bad one)."""
    names = sorted({spec.template for spec in tenants if spec.template is not None})
    if not names:
        return {}
    from activepieces_core.models.contents import ProjectState
    from activepieces_core.models.state_file import read_state_file

    loaded: dict[str, ProjectState] = {}
    errors: list[str] = []
    for name in names:
        source = given.get(name, base / name)
        try:
            if isinstance(source, ProjectState):
                loaded[name] = source
            elif isinstance(source, Mapping):
                loaded[name] = ProjectState.from_body(dict(source))
            else:
                loaded[name] = read_state_file(Path(source))
        except (OSError, ValueError) as exc:  # a typed read error is an InvalidRequestError
            errors.append(f"template {name!r}: {exc}")
    if errors:
        raise TenantSpecError([{"row": None, "external_id": None, "errors": errors}])
    return loaded


def _check_set_references(doc: TenantDocument) -> None:
    errors: list[dict[str, Any]] = []
    keys = Counter(s.key for s in doc.piece_sets)
    for key in sorted(k for k, n in keys.items() if n > 1):
        errors.append({"row": None, "external_id": None, "errors": [f"piece set {key!r} twice"]})
    known = set(keys) | {"default"}
    for index, spec in enumerate(doc.tenants):
        if spec.piece_set is not None and spec.piece_set not in known:
            message = f"piece_set {spec.piece_set!r} is not declared under piece_sets"
            errors.append({"row": index, "external_id": spec.external_id, "errors": [message]})
    if errors:
        raise TenantSpecError(errors)


def _piece_sets(raw: Any) -> list[PieceSetSpec]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _file_error("'piece_sets' must be a list")
    sets: list[PieceSetSpec] = []
    errors: list[dict[str, Any]] = []
    for index, row in enumerate(raw):
        try:
            sets.append(PieceSetSpec.model_validate(row))
        except ValidationError as exc:
            key = row.get("key") if isinstance(row, Mapping) else None
            errors.append(
                {
                    "row": f"piece_sets[{index}]",
                    "external_id": key,
                    "errors": row_errors(exc, PieceSetSpec),
                }
            )
    if errors:
        raise TenantSpecError(errors)
    return sets


def _load_path(path: Path) -> TenantDocument:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _file_error(f"cannot read {path}: {exc.strerror or exc}") from exc
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return TenantDocument(validate_specs(_csv_rows(text)))
    if suffix == ".json":
        return _from_document(_parse_json(text, str(path)))
    if suffix in (".yaml", ".yml"):
        return _from_document(_parse_yaml(text, path))
    raise _file_error(f"{path}: unsupported tenant file type (use .yaml, .yml, .json or .csv)")


def _file_error(message: str) -> TenantSpecError:
    """An error of the document itself, not of a row (``row`` None)."""
    return TenantSpecError([{"row": None, "external_id": None, "errors": [message]}])


def _parse_yaml(text: str, path: Path) -> Any:
    try:
        import yaml  # the "yaml" extra: a worker reading JSON or CSV needs no PyYAML
    except ModuleNotFoundError as exc:
        raise _file_error(
            f'{path}: reading YAML needs PyYAML: pip install "activepieces-core[yaml]"'
        ) from exc
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:  # a syntax error: where, and what (not PyYAML's dump)
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}, line {mark.line + 1}" if mark else str(path)
        problem = exc.problem or exc.context or "syntax error"
        raise _file_error(f"{where}: invalid YAML: {problem}") from exc
    except yaml.YAMLError as exc:
        raise _file_error(f"{path}: invalid YAML: {exc}") from exc


def _parse_json(text: str, origin: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _file_error(f"{origin}, line {exc.lineno}: invalid JSON: {exc.msg}") from exc


def _from_document(doc: Any) -> TenantDocument:
    if doc is None:
        return TenantDocument([])
    if isinstance(doc, list):
        return TenantDocument(validate_specs(doc))
    if isinstance(doc, Mapping) and ("tenants" in doc or "piece_sets" in doc):
        defaults = doc.get("defaults") or {}
        rows = doc.get("tenants") or []
        if not isinstance(defaults, Mapping) or not isinstance(rows, list):
            raise _file_error("'defaults' must be a mapping and 'tenants' a list")
        # Old field names are read as new ones before merging, so a row's new name overrides
        # a default's old one (and the other way round).
        defaults = _renamed(defaults)
        tenants = validate_specs(
            {**defaults, **_renamed(row)} if isinstance(row, Mapping) else row for row in rows
        )
        return TenantDocument(tenants, _piece_sets(doc.get("piece_sets")))
    if isinstance(doc, Mapping):
        return TenantDocument(validate_specs([doc]))
    raise _file_error("expected a list of tenants or a mapping with a 'tenants' list")


def _renamed(row: Mapping[str, Any]) -> Mapping[str, Any]:
    try:
        renamed: Mapping[str, Any] = new_field_names(row)
    except ValueError:
        return row  # both names: validation names the row
    return renamed


def _csv_rows(text: str) -> list[dict[str, Any]]:
    # csv.reader rather than DictReader: the header is stripped once, not on every row (a
    # third of loading 50,000 tenants). Same rules: blank lines skipped, missing cells empty.
    reader = csv.reader(io.StringIO(text))
    keys = [key.strip() for key in next(reader, [])]
    rows: list[dict[str, Any]] = []
    for cells in reader:
        if not cells:
            continue
        row: dict[str, Any] = {}
        meta: dict[str, Any] = {}
        if len(cells) > len(keys):  # more cells than headers: let validation name it
            row["_extra_cells"] = cells[len(keys) :]
        for key, value in zip(keys, cells, strict=False):
            cell = value.strip()
            if not cell:
                continue
            if key.startswith("metadata."):
                meta[key.removeprefix("metadata.")] = cell
            else:
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
