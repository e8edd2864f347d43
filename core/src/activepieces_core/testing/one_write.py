"""A response's head and body in one write to the socket, as Node sends a small response.

uvicorn writes an ASGI response's head when the app sends ``http.response.start`` and its body
on ``http.response.body``: two system calls and two TCP segments, the first of which already
wakes the client up. On loopback that is most of what a request costs the emulator besides
Python, and the client reads twice. `send_response` holds the head back until the body comes
and writes both at once; the bytes on the wire are the same.

It reaches uvicorn's transport the way `.app`'s dropped connections do (the cycle bound to
``send``); with another server, or a uvicorn that keeps its transport elsewhere, it sends the
two messages as they are.
"""

from __future__ import annotations

from typing import Any

from starlette.types import Message, Send


class OneWrite:
    """A transport that keeps its first write until the second and writes them joined; the rest
    of the transport's interface passes through."""

    __slots__ = ("_head", "_transport")

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self._head: bytes | None = None

    def write(self, data: bytes) -> None:
        if self._head is None:
            self._head = bytes(data)
            return
        head, self._head = self._head, b""
        self._transport.write(head + data)

    def flush(self) -> None:
        """Write a head no body followed (a HEAD request, an error in between)."""
        head, self._head = self._head, b""
        if head and not self._transport.is_closing():
            self._transport.write(head)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


async def send_response(send: Send, start: Message, body: Message) -> None:
    """Send ``start`` then ``body`` (a complete response) in one write when the server allows."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None or not hasattr(transport, "is_closing"):
        await send(start)
        await send(body)
        return
    joined = OneWrite(transport)
    cycle.transport = joined  # type: ignore[union-attr]
    try:
        await send(start)
        await send(body)
    finally:
        cycle.transport = transport  # type: ignore[union-attr]
        joined.flush()
