"""JSON codecs: a faster library when one is installed, the standard library otherwise and
for whatever the faster one refuses, so a value encodes and a text parses (or fails) as it
would without it. Used by the client for every response and by the emulator for every body.

Neither library is a dependency (Airflow brings msgspec, Prefect brings orjson), and each is
imported on first use, not with the client: together they cost 15-35 ms to import, which
every Airflow DAG file that imports an operator would pay.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["dumps", "loads"]

#: Function name -> the faster library's (None: not installed), resolved on first use.
_FAST: dict[str, Callable[[Any], Any] | None] = {}

#: Built once: ``json.dumps`` with options builds a new encoder on every call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _fast(name: str) -> Callable[[Any], Any] | None:
    try:
        return _FAST[name]
    except KeyError:
        pass
    found: Callable[[Any], Any] | None = None
    try:
        if name == "dumps":
            from orjson import dumps as found
        else:
            # msgspec, not orjson, to parse: orjson reads an integer beyond 64 bits as a
            # float (a value of ours that compares unequal to what was sent: a diff on every
            # re-sync).
            from msgspec.json import Decoder

            found = Decoder().decode
    except ImportError:  # pragma: no cover - depends on the environment
        found = None
    _FAST[name] = found
    return found


def dumps(payload: Any) -> bytes:
    """Compact JSON like ``JSON.stringify`` (non-ASCII kept).

    With orjson, the same bytes as the standard library's but for small floats' exponents,
    which it writes as ``JSON.stringify`` does (``1e-7``, not ``1e-07``). What orjson refuses
    (integers beyond 64 bits, non-string keys) the standard library writes.
    """
    fast = _fast("dumps")
    if fast is not None:
        try:
            encoded: bytes = fast(payload)
            return encoded
        except TypeError:
            pass
    return _ENCODER.encode(payload).encode()


def loads(raw: bytes | str) -> Any:
    """``raw`` parsed as the standard library parses it (``ValueError`` when it is not JSON).
    With msgspec, what msgspec refuses (``NaN``, lone surrogates, numbers out of a float's
    range, UTF-16 or a byte-order mark) goes to the standard library."""
    fast = _fast("loads")
    if fast is not None:
        try:
            return fast(raw)
        except ValueError:  # msgspec.DecodeError
            pass
    return json.loads(raw)
