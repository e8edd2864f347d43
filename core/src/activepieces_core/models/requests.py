"""Request bodies, validated client-side with the server's rules before anything is sent."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic.alias_generators import to_camel

from activepieces_core.errors import InvalidRequestError
from activepieces_core.models.enums import ColorName, PiecesFilterType
from activepieces_core.models.people import normalize_email
from activepieces_core.pieces import normalize_pieces

__all__ = [
    "CreateProjectRequest",
    "IconRequest",
    "PlanRequest",
    "UpdateProjectRequest",
    "build_request",
    "check_email",
]

#: ``SAFE_STRING_PATTERN`` upstream: non-empty, no ``.`` and no ``/``.
DISPLAY_NAME_PATTERN = r"^[^./]+$"
#: The email pattern of the public API reference.
EMAIL_PATTERN = r"^(?!\.)(?!.*\.\.)([A-Za-z0-9_'+\-\.]*)[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$"
_EMAIL = re.compile(EMAIL_PATTERN)


def check_email(email: str) -> str:
    """The normalised e-mail, or `InvalidRequestError` for anything that is not one."""
    if not isinstance(email, str) or not _EMAIL.match(normalize_email(email)):
        raise InvalidRequestError(f"not a valid e-mail address: {email!r}")
    return normalize_email(email)


DisplayName = Annotated[str, Field(pattern=DISPLAY_NAME_PATTERN)]
PositiveInt = Annotated[int, Field(gt=0, le=9007199254740991)]
#: zod ``z.number().int().positive()``: a bool, a float or a numeric string is refused too.
StrictPositiveInt = Annotated[StrictInt, Field(gt=0, le=9007199254740991)]


class _Request(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        regex_engine="python-re",  # the upstream email pattern uses look-aheads
        defer_build=True,  # built on first use, as `APIModel`
    )

    def to_body(self) -> dict[str, Any]:
        """The JSON body: camelCase keys, unset (None) fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def _pieces(value: Any) -> Any:
    return None if value is None else normalize_pieces(value)


class CreateProjectRequest(_Request):
    """Body of ``POST /v1/projects``."""

    display_name: DisplayName
    external_id: str | None = None
    metadata: dict[str, Any] | None = None
    max_concurrent_jobs: int | None = None
    global_connection_external_ids: list[str] | None = None
    alert_receiver_email: Annotated[str, Field(pattern=EMAIL_PATTERN)] | None = None


class IconRequest(_Request):
    """``{"color": ColorName}``: only known colours are accepted."""

    color: ColorName


class PlanRequest(_Request):
    """Partial plan update: ``pieces`` replaces the list, ``piecesFilterType`` is set."""

    pieces: list[str] | None = None
    pieces_filter_type: PiecesFilterType | None = None
    active_flows_limit: StrictPositiveInt | None = None

    _normalize = field_validator("pieces", mode="before")(lambda cls, v: _pieces(v))


class UpdateProjectRequest(_Request):
    """Body of ``POST /v1/projects/:id``; every field optional, None = leave unchanged."""

    display_name: DisplayName | None = None
    external_id: Annotated[str, Field(pattern=r"\S")] | None = None
    metadata: dict[str, Any] | None = None
    icon: IconRequest | None = None
    releases_enabled: StrictBool | None = None
    plan: PlanRequest | None = None
    max_concurrent_jobs: PositiveInt | None = None
    global_connection_external_ids: list[str] | None = None
    notify_flow_owner_on_failure: StrictBool | None = None
    #: Non-blank: "" names no worker group (tenant documents refuse it too).
    worker_group_id: Annotated[StrictStr, Field(pattern=r"\S")] | None = None
    execution_data_retention_days: StrictPositiveInt | None = None
    sensitive: StrictBool | None = None


def build_request(model: type[_Request], **fields: Any) -> _Request:
    """Validate ``fields`` into ``model``; raise `InvalidRequestError` naming the bad fields."""
    try:
        return model(**fields)
    except PydanticValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'request'}: {err['msg']}"
            for err in exc.errors(include_url=False, include_input=False)
        )
        raise InvalidRequestError(f"invalid {model.__name__}: {problems}") from None
