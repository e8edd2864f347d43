"""What this machine allows any client, before any server or client library (issue 22).

    uv run --frozen python bench/machine_floor.py [--requests 3000] [--latency 0.02]

A server that does nothing but answer ``--latency`` after each request arrives (an asyncio
protocol on uvloop, in its own process: no HTTP framework, no handling), and two clients with
``--concurrency`` in flight: one on bare asyncio streams (no HTTP library: writes a request,
reads its answer by ``Content-Length``) and the benches' raw aiohttp client (`floors.raw_send`;
aiohttp is the library's HTTP client too). Each prints its round trip and its ratio to
``latency``: the first is the machine's own floor (timers, wake-ups, loopback), the second adds
what aiohttp itself costs. The benches' server floor (the same raw client against the emulator,
`floors.server_round_trip`) sits on top of both.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import socket
import time
from collections.abc import Callable, Coroutine
from typing import Any, cast

from floors import raw_send

ANSWER = (
    b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 20\r\n\r\n"
    b'{"id":"abcdefghijk"}'
)
BODY = b'{"displayName":"x"}'
REQUEST = (
    b"POST /projects HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
)


class _Answering(asyncio.Protocol):
    """Answers each request ``latency`` after its last byte arrived."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            length = 0
            for line in self.buffer[:end].split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            assert self.transport is not None
            asyncio.get_running_loop().call_later(self.latency, self.transport.write, ANSWER)


def _serve(sock: socket.socket, latency: float) -> None:
    import uvloop

    async def main() -> None:
        loop = asyncio.get_running_loop()
        await loop.create_server(lambda: _Answering(latency), sock=sock)
        await asyncio.Event().wait()

    uvloop.run(main())


async def _streams(port: int, requests: int, concurrency: int) -> None:
    async def one_connection(count: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(count):
            writer.write(REQUEST)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
        writer.close()

    await asyncio.gather(*(one_connection(requests // concurrency) for _ in range(concurrency)))


async def _aiohttp(port: int, requests: int, concurrency: int) -> None:
    # The benches' own raw aiohttp client (`floors.raw_send`), which measures the server floor.
    calls = [("POST", "/projects", {"displayName": "x"})] * requests
    await raw_send(f"http://127.0.0.1:{port}", "bench", calls, concurrency)


def round_trip(
    client: Callable[[int, int, int], Coroutine[Any, Any, None]],
    port: int,
    requests: int,
    concurrency: int,
) -> float:
    """Seconds one request takes with ``concurrency`` in flight (wall x concurrency / requests)."""
    started = time.perf_counter()
    asyncio.run(client(port, requests, concurrency))
    return (time.perf_counter() - started) * concurrency / requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    opts = parser.parse_args()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    port = sock.getsockname()[1]
    server = mp.get_context("spawn").Process(target=_serve, args=(sock, opts.latency))
    server.start()
    try:
        print(
            f"a server answering {opts.latency * 1000:.0f} ms after arrival, nothing else;"
            f" {opts.concurrency} in flight, {opts.requests} requests a round"
        )
        for name, client in (("bare asyncio streams", _streams), ("aiohttp", _aiohttp)):
            # The first round of each client is left out: it opens the connections (and the
            # server's first answers find its process cold).
            trips = [
                round_trip(client, port, opts.requests, opts.concurrency)
                for _ in range(opts.rounds + 1)
            ][1:]
            shown = ", ".join(f"{t * 1000:.2f} ms ({t / opts.latency:.3f}x)" for t in trips)
            print(f"{name:<22} round trip: {shown}", flush=True)
    finally:
        server.terminate()
        server.join(timeout=10)
        sock.close()


if __name__ == "__main__":
    main()
