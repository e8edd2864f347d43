"""Enums of the Projects API, and a lenient variant of each for responses.

Responses keep unknown values as plain strings (the server adds colours and types over
time); requests accept only the known members.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, TypeVar

from pydantic import BeforeValidator, Field

__all__ = [
    "ColorName",
    "LenientColorName",
    "LenientPiecesFilterType",
    "LenientProjectType",
    "PiecesFilterType",
    "ProjectType",
    "enum_value",
]


def enum_value(value: Any) -> Any:
    """An enum's value (``ProjectType.TEAM`` -> ``"TEAM"``); anything else unchanged.

    The lenient enums keep unknown server values as plain strings, so comparisons go through
    this one helper rather than ``.value`` (which a plain string lacks).
    """
    return getattr(value, "value", value)


class ProjectType(str, Enum):
    """``TEAM`` (created via the API) or ``PERSONAL`` (one per user, cannot be deleted)."""

    TEAM = "TEAM"
    PERSONAL = "PERSONAL"


class PiecesFilterType(str, Enum):
    """``NONE``: all pieces visible; ``ALLOWED``: only the plan's ``pieces``."""

    NONE = "NONE"
    ALLOWED = "ALLOWED"


class ColorName(str, Enum):
    """Project icon colours."""

    RED = "RED"
    BLUE = "BLUE"
    YELLOW = "YELLOW"
    PURPLE = "PURPLE"
    GREEN = "GREEN"
    PINK = "PINK"
    VIOLET = "VIOLET"
    ORANGE = "ORANGE"
    DARK_GREEN = "DARK_GREEN"
    CYAN = "CYAN"
    LAVENDER = "LAVENDER"
    DEEP_ORANGE = "DEEP_ORANGE"


E = TypeVar("E", bound=Enum)


def member_or_raw(enum: type[E]) -> BeforeValidator:
    # A dict look-up, not ``enum(value)``: it runs for every project of every listed page.
    members: dict[Any, E] = {m.value: m for m in enum}
    members.update({m: m for m in enum})

    def parse(value: Any) -> Any:
        try:
            return members.get(value, value)
        except TypeError:  # unhashable: left to the model's own validation
            return value

    return BeforeValidator(parse)


# left_to_right: a known value becomes the enum member, anything else stays a str.
LEFT_TO_RIGHT = Field(union_mode="left_to_right")
LenientProjectType = Annotated[ProjectType | str, LEFT_TO_RIGHT, member_or_raw(ProjectType)]
LenientPiecesFilterType = Annotated[
    PiecesFilterType | str, LEFT_TO_RIGHT, member_or_raw(PiecesFilterType)
]
LenientColorName = Annotated[ColorName | str, LEFT_TO_RIGHT, member_or_raw(ColorName)]
