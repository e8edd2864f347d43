"""The emulator's one cursor codec, and keyset pagination of projects over ``(type, displayName, id)``.

Every listing's cursor has the shape of the server's paginator,
``base64("next_" | "prev_" + base64(<payload>))`` (`encode_cursor`, `decode_cursor`); each
listing reads its own payload: projects ``JSON.stringify({type, displayName, id})``
(`project_cursor`), people ``[created, seq]`` (`.people_http`), piece sets
``created:<ms>,id:<id>`` (`.piece_sets_http`). Decoding never fails: see `decode_cursor`.
"""

from __future__ import annotations

import base64
import binascii
import json
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Key = tuple[str, str, str]  # (type, displayName, id)

DEFAULT_LIMIT = 50  # controller default when `limit` is absent
ZERO_LIMIT = 100  # `limit=0` is falsy and falls through to the paginator default


@dataclass(frozen=True)
class Cursor:
    """A decoded cursor: the text before its first ``_`` and the decoded payload after it."""

    direction: str  # "next", "prev", or whatever a forged cursor says
    payload: str

    @property
    def after(self) -> bool:
        """Rows after the boundary (``next``); anything else reads as ``prev``."""
        return self.direction == "next"


@dataclass(frozen=True)
class PageKeys:
    keys: list[Key]
    next: str | None
    previous: str | None


def _b64encode(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _b64decode(text: str) -> str:
    """Lenient like Node's ``Buffer.from(s, 'base64')``: never raises."""
    cleaned = "".join(ch for ch in text if ch.isalnum() or ch in "+/-_")
    cleaned = cleaned.replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return ""


def encode_cursor(after: bool, payload: str) -> str:
    """``base64("next_" | "prev_" + base64(payload))``."""
    return _b64encode(("next_" if after else "prev_") + _b64encode(payload))


def decode_cursor(raw: str | None) -> Cursor | None:
    """``None`` means "first page": no cursor, or a decoded text without ``_``."""
    if not raw:
        return None
    text = _b64decode(raw)
    if "_" not in text:
        return None
    direction, inner = text.split("_", 1)
    return Cursor(direction, _b64decode(inner))


def project_cursor(after: bool, key: Key) -> str:
    """A projects cursor: the boundary row's key as ``JSON.stringify`` writes it."""
    inner = json.dumps(
        {"type": key[0], "displayName": key[1], "id": key[2]},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return encode_cursor(after, inner)


def project_cursor_key(cursor: Cursor) -> Key | None:
    """The boundary key of a projects cursor; ``None`` when its payload parses to no key
    (the server reads it as ``{}``)."""
    try:
        data = json.loads(cursor.payload)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    values = (data.get("type"), data.get("displayName"), data.get("id"))
    if not all(isinstance(v, str) for v in values):
        return None
    return (str(values[0]), str(values[1]), str(values[2]))


def effective_limit(limit: int | None, default: int = DEFAULT_LIMIT) -> int | None:
    """The page size of a ``limit`` query value (``default`` when absent); ``None`` =
    unlimited (``-1``)."""
    if limit is None:
        return default
    if limit == 0:
        return ZERO_LIMIT
    if limit < 0:
        return None
    return limit


def paginate(
    keys: Sequence[Key],
    *,
    limit: int | None,
    cursor: str | None,
    accept: Callable[[Key], bool] | None = None,
) -> PageKeys:
    """One page of ``keys`` (sorted ascending), walking only as far as the page needs."""
    size = effective_limit(limit)
    parsed = decode_cursor(cursor)
    after = parsed is None or parsed.after
    mark = None if parsed is None else project_cursor_key(parsed)
    if after:
        start = 0 if mark is None else bisect_right(keys, mark)
        indices: range = range(start, len(keys))
    else:
        stop = len(keys) if mark is None else bisect_left(keys, mark)
        indices = range(stop - 1, -1, -1)
    rows: list[Key] = []
    want = None if size is None else size + 1
    for index in indices:
        key = keys[index]
        if accept is None or accept(key):
            rows.append(key)
            if want is not None and len(rows) >= want:
                break
    has_more = size is not None and len(rows) > size
    if has_more:
        rows.pop()
    if not after:
        rows.reverse()
    if size is None or not rows:
        return PageKeys(rows, None, None)
    if parsed is None:
        nxt, prev = rows[-1] if has_more else None, None
    elif after:
        nxt, prev = rows[-1] if has_more else None, rows[0]
    else:
        nxt, prev = rows[-1], rows[0] if has_more else None
    return PageKeys(
        rows,
        project_cursor(True, nxt) if nxt else None,
        project_cursor(False, prev) if prev else None,
    )
