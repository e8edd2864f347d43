"""The archive file: one JSON object per torn-down tenant (docs/archives.md has the schema).

``format_version``; ``tenant`` (its row as a tenant document writes it: fields, ``piece_set``
or own ``pieces``, ``members`` with roles); ``project`` (the project as the API returned it);
``state`` (exactly a ``POST /v1/projects/:id/replace`` body, `ProjectsResource.export_state`);
``taken_at``; ``platform_url`` (never the key); ``digest``: ``sha256:`` over the canonical JSON
of everything else, checked on every read, so a truncated or edited archive is refused.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from activepieces_core.errors import InvalidRequestError
from activepieces_core.models.contents import ProjectState
from activepieces_core.tenants.saved import body_digest
from activepieces_core.tenants.spec import TenantSpec

__all__ = ["ARCHIVE_FORMAT_VERSION", "InvalidArchiveError", "TenantArchive", "now_utc"]

#: Version of the archive format written; newer ones are refused rather than misread.
ARCHIVE_FORMAT_VERSION = 1
DIGEST_KEY = "digest"


class InvalidArchiveError(InvalidRequestError):
    """An archive that cannot be trusted: not JSON, a newer format, or a digest that does not
    match its content (truncated, edited). Nothing was sent."""


def now_utc() -> str:
    """``2026-05-01T12:00:00.123456Z``: when an archive is taken."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class TenantArchive(BaseModel):
    """One tenant's archive, as written before its project is deleted."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    format_version: int = ARCHIVE_FORMAT_VERSION
    tenant: dict[str, Any]
    project: dict[str, Any]
    state: dict[str, Any]
    taken_at: str = Field(default_factory=now_utc)
    platform_url: str
    #: The named piece set the tenant was on (``{key, name, allow|block}``), so a restore can
    #: recreate it if it is gone; None for own pieces, Default, or a legacy platform.
    piece_set: dict[str, Any] | None = None

    @property
    def external_id(self) -> str:
        return str(self.tenant["external_id"])

    @property
    def spec(self) -> TenantSpec:
        """The tenant row, validated."""
        return TenantSpec.model_validate(self.tenant)

    @property
    def project_state(self) -> ProjectState:
        """The replace body, validated."""
        return ProjectState.from_body(self.state, source=f"archive of {self.external_id}")

    def to_dict(self) -> dict[str, Any]:
        """The file's object: every field and its ``digest``."""
        data = self.model_dump(mode="json")
        data[DIGEST_KEY] = body_digest(data)
        return data

    def encode(self) -> tuple[bytes, str]:
        """The file's bytes and their digest."""
        data = self.to_dict()
        text = json.dumps(data, indent=1, ensure_ascii=False, sort_keys=False)
        return (text + "\n").encode("utf-8"), str(data[DIGEST_KEY])

    @classmethod
    def decode(cls, raw: bytes, *, source: str = "archive") -> TenantArchive:
        """Read an archive back; `InvalidArchiveError` unless it is whole and this version's."""
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise InvalidArchiveError(f"{source}: not a JSON archive ({exc})") from None
        if not isinstance(data, dict):
            raise InvalidArchiveError(f"{source}: an archive is a JSON object")
        version = data.get("format_version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise InvalidArchiveError(f"{source}: no integer format_version: not an archive")
        if version > ARCHIVE_FORMAT_VERSION:
            raise InvalidArchiveError(
                f"{source}: format_version {version} is newer than this activepieces-core "
                f"reads ({ARCHIVE_FORMAT_VERSION}); upgrade it"
            )
        recorded = data.get(DIGEST_KEY)
        if not isinstance(recorded, str) or body_digest(data) != recorded:
            raise InvalidArchiveError(
                f"{source}: its digest does not match its content (truncated or edited)"
            )
        try:
            archive = cls.model_validate(data)
            archive.spec  # noqa: B018 - the row and the body must be valid too
            archive.project_state  # noqa: B018
        except Exception as exc:
            raise InvalidArchiveError(f"{source}: not a valid archive: {exc}") from None
        return archive
