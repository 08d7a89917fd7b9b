#!/usr/bin/env python3
"""Latency of a normal request to a node holding many idle and slowloris connections.

Opens IDLE keep-alive connections (each asks for /healthz once, then sits idle, as browsers
do) and SLOWLORIS connections that send a request head a byte a second, then times GET /healthz
over fresh connections, and reports how long the slowloris connections lived. Run by hand
against a running node; this process raises its open-file limit to the hard limit:

    python3 bench/idle_connections.py 127.0.0.1:8080 19000 50
"""
import asyncio
import resource
import statistics
import sys
import time


async def slowloris(host, port, lifetimes):
    reader, writer = await asyncio.open_connection(host, port)
    started = time.monotonic()
    head = b"GET /healthz HTTP/1.1\r\nHost: bench\r\nX-Slow: " + b"a" * 200

    async def trickle():
        for i in range(len(head)):
            try:
                writer.write(head[i : i + 1])
                await writer.drain()
            except (ConnectionError, OSError):
                return
            await asyncio.sleep(1)

    task = asyncio.create_task(trickle())
    try:
        while await reader.read(256):
            pass
    except (ConnectionError, OSError):
        pass
    task.cancel()
    lifetimes.append(time.monotonic() - started)


async def healthz(host, port):
    started = time.monotonic()
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
    await writer.drain()
    answer = await reader.read()
    writer.close()
    assert answer.startswith(b"HTTP/1.1 200"), answer[:80]
    return time.monotonic() - started


async def main(addr, idle, slow, samples=50):
    host, port = addr.rsplit(":", 1)
    port = int(port)
    baseline = [await healthz(host, port) for _ in range(samples)]
    lifetimes = []
    slow_tasks = [asyncio.create_task(slowloris(host, port, lifetimes)) for _ in range(slow)]
    opened = []
    began = time.monotonic()
    for _ in range(idle):
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n")
        await writer.drain()
        assert (await reader.read(1024)).startswith(b"HTTP/1.1 200")
        opened.append((reader, writer))
    print(f"opened {idle} idle connections in {time.monotonic() - began:.1f} s")
    loaded = [await healthz(host, port) for _ in range(samples)]
    for label, xs in (("alone", baseline), (f"beside {idle} idle + {slow} slowloris", loaded)):
        xs = sorted(xs)
        print(f"GET /healthz {label}: median {statistics.median(xs) * 1000:.2f} ms, "
              f"p99 {xs[int(len(xs) * 0.99) - 1] * 1000:.2f} ms, max {xs[-1] * 1000:.2f} ms")
    await asyncio.gather(*slow_tasks)
    print(f"slowloris connections lived {min(lifetimes):.2f} to {max(lifetimes):.2f} s")
    for _, writer in opened:
        writer.close()


if __name__ == "__main__":
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
