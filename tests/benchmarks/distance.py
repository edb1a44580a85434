"""Put a server "far away": a TCP forwarder on 127.0.0.1 that delays every byte.

A real submission server is tens of milliseconds away, and that round trip is
what a mail client waits for at each step it cannot pipeline. The forwarder runs
in its own process and holds each chunk for half the round trip in each
direction, in order; it emulates latency, not bandwidth.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager

from tests.support import wait_listening

from bccguard.adapters.demo_sink import free_port


async def _carry(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float
) -> None:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def drain() -> None:
        while True:
            due, data = await queue.get()
            await asyncio.sleep(max(0.0, due - loop.time()))
            if not data:
                writer.close()
                return
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(drain())
    try:
        while data := await reader.read(1 << 16):
            queue.put_nowait((loop.time() + delay, data))
    except OSError:
        pass
    queue.put_nowait((loop.time() + delay, b""))
    await sender


async def _serve(port: int, target: int, delay: float) -> None:
    async def connect(
        client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        server_reader, server_writer = await asyncio.open_connection(
            "127.0.0.1", target
        )
        await asyncio.gather(
            _carry(client_reader, server_writer, delay),
            _carry(server_reader, client_writer, delay),
        )

    server = await asyncio.start_server(connect, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def _run(port: int, target: int, delay: float) -> None:
    asyncio.run(_serve(port, target, delay))


@contextmanager
def far_away(target: int, round_trip_ms: float) -> Iterator[int]:
    """Yield a port that reaches 127.0.0.1:`target` `round_trip_ms` away."""
    port = free_port()
    process = multiprocessing.get_context("spawn").Process(
        target=_run, args=(port, target, round_trip_ms / 2000), daemon=True
    )
    process.start()
    try:
        wait_listening(port)
        yield port
    finally:
        process.terminate()
        process.join(10)
