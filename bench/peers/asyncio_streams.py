"""W9 and W10 (bench/io.ts) with Python's asyncio streams, the anchor corio/node
follows: the same echo server and clients, in one process. Prints one JSON line:
the value, the ms of the run (Python's start-up excluded), its CPU time, the peak RSS and,
for W10, the RSS per connection.

    python3 bench/peers/asyncio_streams.py W9 100000
"""

import asyncio
import json
import resource
import sys
import time

HOST = "127.0.0.1"
W10_CONNECTIONS = 1000


def line(i: int) -> bytes:
    return f"line {i:08d} ................\n".encode()


def rss_kib() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() // 1024


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    async for received in reader:
        writer.write(received)
        await writer.drain()
    writer.close()


async def w9(n: int) -> dict:
    server = await asyncio.start_server(echo, HOST, 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection(HOST, port)
    received = 0

    async def send() -> None:
        for i in range(n):
            writer.write(line(i))
            await writer.drain()
        writer.write_eof()

    async def receive() -> None:
        nonlocal received
        async for _ in reader:
            received += 1

    async with asyncio.TaskGroup() as tg:
        tg.create_task(send())
        tg.create_task(receive())
    writer.close()
    server.close()
    return {"value": received}


async def w10(n: int) -> dict:
    per = n // W10_CONNECTIONS
    server = await asyncio.start_server(echo, HOST, 0, backlog=4096)
    port = server.sockets[0].getsockname()[1]
    rss0 = rss_kib()
    result = {"value": 0, "rssPerConnectionKiB": 0.0}
    everyone = asyncio.Barrier(W10_CONNECTIONS)

    async def client() -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        for i in range(per):
            writer.write(line(i))
            await writer.drain()
            if await reader.readline():
                result["value"] += 1
            if i == 0 and await everyone.wait() == 0:
                result["rssPerConnectionKiB"] = (rss_kib() - rss0) / W10_CONNECTIONS
        writer.close()
        await writer.wait_closed()

    async with asyncio.TaskGroup() as tg:
        for _ in range(W10_CONNECTIONS):
            tg.create_task(client())
    server.close()
    return result


def main() -> None:
    workload, n = sys.argv[1], int(sys.argv[2])
    started = time.perf_counter()
    cpu = time.process_time()
    result = asyncio.run(w9(n) if workload == "W9" else w10(n))
    result["ms"] = (time.perf_counter() - started) * 1000
    result["cpuMs"] = (time.process_time() - cpu) * 1000
    result["peakRssMiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
