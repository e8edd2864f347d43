"""One page of a seek-paginated listing."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Page"]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """``{"data": [...], "next": cursor | None, "previous": cursor | None}``."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)  # as `APIModel`

    data: list[T] = Field(default_factory=list)
    next: str | None = None
    previous: str | None = None

    @property
    def has_more(self) -> bool:
        """True when a ``next`` cursor is present."""
        return bool(self.next)

    def __len__(self) -> int:
        return len(self.data)
