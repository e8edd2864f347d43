"""A request body sent many times unchanged, encoded once.

Template onboarding sends the same replace body to every tenant; encoding its JSON was a
fifth of the client's CPU per tenant. `EncodedBody` is that body (a plain ``dict``, so any
transport sends it as any other) remembering its encoding: a transport that knows it asks
`EncodedBody.encoded` with its own encoder and gets the bytes made the first time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["EncodedBody", "Encoder"]

#: A transport's JSON encoding of a body.
Encoder = Callable[[Mapping[str, Any]], bytes]


class EncodedBody(dict[str, Any]):
    """A body that is never changed once made (its encoding is kept, not checked)."""

    __slots__ = ("_encoded",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._encoded: tuple[Encoder, bytes] | None = None

    def encoded(self, encode: Encoder) -> bytes:
        """``encode(self)``, made once per encoder (a race only encodes it twice)."""
        known = self._encoded
        if known is None or known[0] is not encode:
            known = (encode, encode(self))
            self._encoded = known
        return known[1]
