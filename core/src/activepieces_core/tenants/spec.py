"""`TenantSpec`: the desired state of one tenant project, validated before anything is sent."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from activepieces_core.errors import InvalidRequestError
from activepieces_core.models import ColorName
from activepieces_core.parsing import check_display_name
from activepieces_core.pieces import normalize_pieces

__all__ = ["TenantSpec", "TenantSpecError", "validate_specs"]


class TenantSpecError(InvalidRequestError):
    """One or more tenant rows are invalid; nothing was sent (also a ``ValueError``).

    ``errors`` holds one entry per bad row: ``{"row": index, "external_id": ..., "errors": [...]}``.
    """

    def __init__(self, errors: Sequence[Mapping[str, Any]]) -> None:
        self.errors = [dict(e) for e in errors]
        lines = [f"{len(self.errors)} invalid tenant row(s):"]
        for err in self.errors:
            ident = err.get("external_id") or "?"
            lines.append(f"  row {err['row']} ({ident}): " + "; ".join(err["errors"]))
        super().__init__("\n".join(lines))


class TenantSpec(BaseModel):
    """Desired state of one tenant (a TEAM project keyed by ``external_id``).

    ``display_name`` defaults to ``external_id``. ``pieces=None`` means every piece is
    visible (filter NONE); a list is an allow-list (ALLOWED), normalised and sorted. ``None`` on
    every other field means "not managed": whatever is on the server is left alone.
    ``global_connection_external_ids`` cannot be read back from the API, so it is sent on
    create and folded into updates that happen anyway, but never causes an update by itself.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    external_id: str = Field(min_length=1)
    display_name: str | None = None
    pieces: tuple[str, ...] | None = None
    metadata: dict[str, Any] | None = None
    max_concurrent_jobs: int | None = Field(default=None, gt=0)
    releases_enabled: bool | None = None
    icon_color: ColorName | None = None
    global_connection_external_ids: tuple[str, ...] | None = None

    @field_validator("pieces", mode="before")
    @classmethod
    def _normalise_pieces(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            value = [p for p in value.replace(",", ";").split(";") if p.strip()]
        return tuple(normalize_pieces([str(p).strip() for p in value]))

    @field_validator("global_connection_external_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [p.strip() for p in value.replace(",", ";").split(";") if p.strip()]
        return None if value is None else tuple(sorted(set(value)))

    @field_validator("icon_color", mode="before")
    @classmethod
    def _upper_colour(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check_display_name(self) -> TenantSpec:
        check_display_name(self.effective_display_name)
        return self

    @property
    def effective_display_name(self) -> str:
        """The display name that will be sent (``display_name`` or ``external_id``)."""
        return self.display_name or self.external_id

    def project_wish(self) -> dict[str, Any]:
        """The managed project fields, as `activepieces_core.project_diff` compares them.

        ``display_name`` and ``pieces`` are always managed (None pieces = every piece); the
        other fields only when set.
        """
        return {
            "display_name": self.effective_display_name,
            "pieces": None if self.pieces is None else list(self.pieces),
            "metadata": self.metadata,
            "max_concurrent_jobs": self.max_concurrent_jobs,
            "releases_enabled": self.releases_enabled,
            "icon_color": self.icon_color,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict that :func:`load_tenants` reads back unchanged."""
        data = self.model_dump(mode="json", exclude_none=True)
        if self.pieces is None:
            data["pieces"] = None
        return data


def _row_errors(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        out.append(f"{loc}: {msg}" if loc else msg)
    return out


def validate_specs(rows: Iterable[TenantSpec | Mapping[str, Any]]) -> list[TenantSpec]:
    """Validate every row and reject duplicates; raise one `TenantSpecError` listing all bad rows."""
    specs: list[tuple[int, TenantSpec]] = []
    errors: list[dict[str, Any]] = []
    for index, row in enumerate(rows):
        if isinstance(row, TenantSpec):
            specs.append((index, row))
            continue
        if not isinstance(row, Mapping):
            errors.append({"row": index, "external_id": None, "errors": ["not a mapping"]})
            continue
        try:
            specs.append((index, TenantSpec.model_validate(dict(row))))
        except ValidationError as exc:
            ext = row.get("external_id")
            errors.append(
                {"row": index, "external_id": ext if ext else None, "errors": _row_errors(exc)}
            )
    counts = Counter(s.external_id for _, s in specs)
    for index, spec in specs:
        if counts[spec.external_id] > 1:
            errors.append(
                {"row": index, "external_id": spec.external_id, "errors": ["duplicate external_id"]}
            )
    if errors:
        errors.sort(key=lambda e: int(e["row"]))
        raise TenantSpecError(errors)
    return [spec for _, spec in specs]
