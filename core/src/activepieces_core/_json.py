"""JSON codecs: a faster library when one is installed, the standard library otherwise and
for whatever the faster one refuses, so a value encodes and a text parses (or fails) as it
would without it. Used by the client for every response and by the emulator for every body.

Neither library is a dependency: Airflow brings msgspec, Prefect brings orjson.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["dumps", "loads"]

_fast_dumps: Callable[[Any], bytes] | None
try:
    from orjson import dumps as _fast_dumps
except ImportError:  # pragma: no cover - depends on the environment
    _fast_dumps = None

# msgspec, not orjson, to parse: orjson reads an integer beyond 64 bits as a float (a value
# of ours that compares unequal to what was sent: a diff on every re-sync).
_fast_loads: Callable[[bytes | str], Any] | None
try:
    from msgspec.json import Decoder as _Decoder
except ImportError:  # pragma: no cover - depends on the environment
    _fast_loads = None
else:
    _fast_loads = _Decoder().decode

#: Built once: ``json.dumps`` with options builds a new encoder on every call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def dumps(payload: Any) -> bytes:
    """Compact JSON like ``JSON.stringify`` (non-ASCII kept).

    With orjson, the same bytes as the standard library's but for small floats' exponents,
    which it writes as ``JSON.stringify`` does (``1e-7``, not ``1e-07``). What orjson refuses
    (integers beyond 64 bits, non-string keys) the standard library writes.
    """
    if _fast_dumps is not None:
        try:
            return _fast_dumps(payload)
        except TypeError:
            pass
    return _ENCODER.encode(payload).encode()


def loads(raw: bytes | str) -> Any:
    """``raw`` parsed as the standard library parses it (``ValueError`` when it is not JSON).
    With msgspec, what msgspec refuses (``NaN``, lone surrogates, numbers out of a float's
    range, UTF-16 or a byte-order mark) goes to the standard library."""
    if _fast_loads is not None:
        try:
            return _fast_loads(raw)
        except ValueError:  # msgspec.DecodeError
            pass
    return json.loads(raw)
