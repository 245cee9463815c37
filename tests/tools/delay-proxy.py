#!/usr/bin/env python3
"""delay-proxy.py - put a TCP service "far away" for the tbx test bed.

    delay-proxy.py [--delay-ms 50] [--connect-ms 100] LPORT:HOST:PORT...

Listens on 127.0.0.1:LPORT for each mapping and forwards to HOST:PORT.
Every chunk is held --delay-ms in each direction (so a request and its
answer take 2 x delay: a round trip), in order, without limiting
throughput; a new connection first waits --connect-ms (the TCP handshake's
round trip a real far-away host costs), so reusing a connection saves
that.  The delays can be changed while running: write "DELAY_MS
[CONNECT_MS]" to the file named by --delay-file (read once a second).
"""
import argparse
import asyncio
import os
import sys
import time

DELAY = 0.05
CONNECT = 0.1


async def pump(reader, writer):
    """Copy reader to writer, each chunk held DELAY, order kept."""
    queue = asyncio.Queue()

    async def sender():
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                try:
                    if writer.can_write_eof():
                        writer.write_eof()
                except OSError:
                    pass
                return
            writer.write(data)
            try:
                await writer.drain()
            except OSError:
                return

    task = asyncio.ensure_future(sender())
    try:
        while True:
            data = await reader.read(65536)
            queue.put_nowait((time.monotonic() + DELAY, data or None))
            if not data:
                break
    except OSError:
        queue.put_nowait((time.monotonic(), None))
    await task


async def handle(client_r, client_w, host, port):
    try:
        await asyncio.sleep(CONNECT)
        up_r, up_w = await asyncio.open_connection(host, port)
    except OSError:
        client_w.close()
        return
    try:
        await asyncio.gather(pump(client_r, up_w), pump(up_r, client_w))
    finally:
        for w in (up_w, client_w):
            try:
                w.close()
            except OSError:
                pass


async def watch(path):
    global DELAY, CONNECT
    while True:
        await asyncio.sleep(1)
        try:
            with open(path) as f:
                words = f.read().split()
            ms = float(words[0])
            conn = float(words[1]) if len(words) > 1 else 2 * ms
            DELAY, CONNECT = ms / 1000.0, conn / 1000.0
        except (OSError, ValueError):
            pass


async def main():
    global DELAY, CONNECT
    ap = argparse.ArgumentParser()
    ap.add_argument("--delay-ms", type=float, default=50)
    ap.add_argument("--connect-ms", type=float, default=None)
    ap.add_argument("--delay-file")
    ap.add_argument("maps", nargs="+")
    a = ap.parse_args()
    DELAY = a.delay_ms / 1000.0
    CONNECT = (a.connect_ms if a.connect_ms is not None else 2 * a.delay_ms) / 1000.0
    servers = []
    for m in a.maps:
        lport, host, port = m.split(":")
        servers.append(await asyncio.start_server(
            lambda r, w, h=host, p=int(port): handle(r, w, h, p), "127.0.0.1", int(lport)))
    if a.delay_file:
        asyncio.ensure_future(watch(a.delay_file))
    print("delay-proxy: ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
