"""Signalling benchmark (not a test): N concurrent readings through daphne on PostgreSQL + Redis.

Reports the signalling round trip through the server (client → server → reader → server → client,
median and p99) with all N readings connected at once and answering the room's beats, paced (every
reading signals once per ``--interval`` seconds, like trickled ICE) and in a burst (all at once),
beside the anchor measured in the same run: a raw Redis pub/sub echo at the same pace.

It starts ``--spawn`` daphne processes of its own on free ports (or uses ``--url`` servers) against
its own database, and a reading's two parties sit on different processes:

    createdb -h 127.0.0.1 -U postgres readings_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/readings_bench REDIS_URL=redis://127.0.0.1:6379/6
    .venv/bin/python manage.py migrate
    .venv/bin/python benchmarks/readings_bench.py -n 1000 --interval 5 --spawn 2

Billing throughput has its own benchmark: ``benchmarks/billing_bench.py``.
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soulseer.settings")
# One key for this script and the daphnes it starts: their sessions (and their auth hashes) must agree.
os.environ.setdefault("SECRET_KEY", "readings-benchmark-only-" + "x" * 40)

import django

django.setup()

import websockets  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from accounts.models import ReaderProfile, User  # noqa: E402
from payments import services as payments  # noqa: E402
from readings import services  # noqa: E402
from readings.models import Reading  # noqa: E402


def percentile(values, p):
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def session_for(user) -> str:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def setup(n: int) -> list[dict]:
    """N clients, N readers (online), N accepted readings; returns their ids and session keys."""
    run = uuid.uuid4().hex[:8]
    t0 = time.perf_counter()
    clients = User.objects.bulk_create(
        [User(email=f"bench-{run}-c{i}@bench.test", role="client") for i in range(n)], batch_size=500
    )
    readers = User.objects.bulk_create(
        [User(email=f"bench-{run}-r{i}@bench.test", role="reader") for i in range(n)], batch_size=500
    )
    clients = list(User.objects.filter(email__startswith=f"bench-{run}-c").order_by("pk"))
    readers = list(User.objects.filter(email__startswith=f"bench-{run}-r").order_by("pk"))
    ReaderProfile.objects.bulk_create(
        [
            ReaderProfile(
                user=r,
                display_name=f"Bench {i}",
                slug=f"bench-{run}-{i}",
                chat_rate=Decimal("1.00"),
                voice_rate=Decimal("1.00"),
                video_rate=Decimal("1.00"),
                availability="online",
            )
            for i, r in enumerate(readers)
        ],
        batch_size=500,
    )
    rows = []
    for client, reader in zip(clients, readers, strict=True):
        payments.credit_wallet(client, Decimal("100.00"), key=f"bench:{run}:{client.pk}", memo="bench funds")
        reader = User.objects.select_related("reader_profile").get(pk=reader.pk)
        reading = services.request_reading(client, reader.reader_profile, "video")
        services.accept_reading(reading, reader)
        rows.append({"reading": reading.pk, "client": session_for(client), "reader": session_for(reader)})
    print(f"setup: {n} clients, {n} readers, {n} accepted readings in {time.perf_counter() - t0:.1f} s")
    return rows


class Party:
    def __init__(self, url, reading, session, role):
        self.url, self.reading, self.session, self.role = url, reading, session, role
        self.ws = None
        self.hello = asyncio.get_running_loop().create_future()
        self.waiting: dict[int, asyncio.Future] = {}

    async def open(self):
        ws_url = self.url.replace("http", "ws", 1) + f"/ws/readings/{self.reading}/"
        self.ws = await websockets.connect(
            ws_url,
            additional_headers={"Cookie": f"sessionid={self.session}", "Origin": self.url},
            open_timeout=60,
            max_queue=None,
        )
        self.reader_task = asyncio.create_task(self.listen())

    async def listen(self):
        import json

        try:
            async for raw in self.ws:
                msg = json.loads(raw)
                kind = msg.get("type")
                if kind == "beat":  # the room's presence check: a browser answers every one
                    await self.ws.send('{"type": "beat"}')
                elif kind == "hello" and not self.hello.done():
                    self.hello.set_result(msg)
                elif kind == "signal":
                    data = msg["data"]
                    if self.role == "reader":  # echo back: the round trip's second leg
                        await self.ws.send(json.dumps({"type": "signal", "kind": "ice", "data": data}))
                    else:
                        fut = self.waiting.pop(data.get("seq"), None)
                        if fut and not fut.done():
                            fut.set_result(time.perf_counter())
        except websockets.ConnectionClosed:
            pass

    async def ping(self, seq) -> float:
        import json

        fut = asyncio.get_running_loop().create_future()
        self.waiting[seq] = fut
        sent = time.perf_counter()
        await self.ws.send(json.dumps({"type": "signal", "kind": "ice", "data": {"candidate": "bench", "seq": seq}}))
        received = await asyncio.wait_for(fut, timeout=60)
        return (received - sent) * 1000

    async def close(self):
        await self.ws.close()
        self.reader_task.cancel()


async def redis_echo(n: int, rounds: int, interval: float) -> list[float]:
    """The anchor: ``n`` pairs doing a Redis pub/sub round trip at the same pace as the readings."""
    import redis.asyncio as redis

    url = settings.REDIS_URL or "redis://127.0.0.1:6379/0"
    client = redis.from_url(url)
    pings, pongs = client.pubsub(), client.pubsub()
    await pings.subscribe("bench:ping")
    await pongs.subscribe("bench:pong")
    waiting: dict[str, asyncio.Future] = {}

    async def echo():  # the far side: answers every ping
        async for message in pings.listen():
            if message["type"] == "message":
                await client.publish("bench:pong", message["data"])

    async def collect():
        async for message in pongs.listen():
            if message["type"] == "message":
                fut = waiting.pop(message["data"].decode(), None)
                if fut and not fut.done():
                    fut.set_result(time.perf_counter())

    tasks = [asyncio.create_task(echo()), asyncio.create_task(collect())]

    async def paced(i: int) -> list[float]:
        await asyncio.sleep(i * interval / n)
        out = []
        for seq in range(rounds):
            key = f"{i}:{seq}"
            fut = asyncio.get_running_loop().create_future()
            waiting[key] = fut
            sent = time.perf_counter()
            await client.publish("bench:ping", key)
            out.append((await asyncio.wait_for(fut, 60) - sent) * 1000)
            await asyncio.sleep(max(0.0, interval - (time.perf_counter() - sent)))
        return out

    results = await asyncio.gather(*(paced(i) for i in range(n)))
    for task in tasks:
        task.cancel()
    await client.aclose()
    return [x for r in results for x in r]


def spawn(count: int) -> tuple[list, list[str]]:
    """``count`` daphne processes on free ports, with this environment (database, Redis)."""
    import socket
    import subprocess

    procs, urls = [], []
    root = Path(__file__).resolve().parent.parent
    for _ in range(count):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = {  # production settings: DEBUG off (no query log), as ops would run them
            **os.environ,
            "LOG_LEVEL": "WARNING",
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
        }
        argv = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "soulseer.asgi:application"]
        procs.append(subprocess.Popen(argv, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        urls.append(f"http://127.0.0.1:{port}")
    for url in urls:
        port = int(url.rsplit(":", 1)[1])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
    return procs, urls


def teardown(reading_ids):
    for pk in reading_ids:
        with transaction.atomic():
            services.end_reading(pk, None, reason="admin")
    connection.close()


async def main(urls: list[str], n: int, rounds: int, concurrency: int, interval: float):
    rows = await asyncio.to_thread(setup, n)
    parties = []
    for i, row in enumerate(rows):
        # With several servers, a reading's two parties sit on different daphne processes.
        client_url, reader_url = urls[i % len(urls)], urls[(i + 1) % len(urls)]
        parties.append(
            (
                Party(client_url, row["reading"], row["client"], "client"),
                Party(reader_url, row["reading"], row["reader"], "reader"),
            )
        )
    sem = asyncio.Semaphore(concurrency)

    async def open_one(party):
        async with sem:
            await party.open()
            await asyncio.wait_for(party.hello, timeout=60)

    t0 = time.perf_counter()
    await asyncio.gather(*(open_one(p) for pair in parties for p in pair))
    print(
        f"connect: {2 * n} sockets on {len(urls)} daphne process(es) open and admitted in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    await asyncio.sleep(2)
    active = await asyncio.to_thread(
        lambda: Reading.objects.filter(pk__in=[r["reading"] for r in rows], status="active").count()
    )
    print(f"active readings: {active}/{n}")

    # Paced: every reading signals once per `interval` seconds (like trickled ICE), offsets spread.
    async def paced(client, offset):
        await asyncio.sleep(offset)
        out = []
        for seq in range(rounds):
            started = time.perf_counter()
            out.append(await client.ping(1_000_000 + seq))
            await asyncio.sleep(max(0.0, interval - (time.perf_counter() - started)))
        return out

    t0 = time.perf_counter()
    results = await asyncio.gather(*(paced(c, i * interval / n) for i, (c, _) in enumerate(parties)))
    samples = [x for r in results for x in r]
    paced_p99 = percentile(samples, 99)
    took = time.perf_counter() - t0
    print(
        f"signaling round trip, paced ({n} readings each signalling every {interval:g} s, "
        f"{len(samples) / took:.0f} round trips/s): median {statistics.median(samples):.1f} ms, "
        f"p99 {percentile(samples, 99):.1f} ms, max {max(samples):.1f} ms"
    )

    # Burst: all N readings signal at the same instant, `rounds` times (the worst case).
    samples = []
    t0 = time.perf_counter()
    for seq in range(rounds):
        samples += await asyncio.gather(*(client.ping(seq) for client, _ in parties))
    took = time.perf_counter() - t0
    print(
        f"signaling round trip, burst ({n} readings at the same instant x {rounds}, "
        f"{len(samples) / took:.0f} round trips/s): median {statistics.median(samples):.1f} ms, "
        f"p99 {percentile(samples, 99):.1f} ms, max {max(samples):.1f} ms"
    )

    anchor = await redis_echo(n, rounds, interval)
    print(
        f"anchor, raw Redis pub/sub echo at the same pace: median {statistics.median(anchor):.1f} ms, "
        f"p99 {percentile(anchor, 99):.1f} ms; signalling p99 / anchor p99 = "
        f"{paced_p99 / percentile(anchor, 99):.1f}"
    )
    ids = [r["reading"] for r in rows]
    await asyncio.gather(*(p.close() for pair in parties for p in pair))
    await asyncio.to_thread(teardown, ids)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--url",
        action="append",
        help="base URL of a running daphne (repeat for several processes; default http://127.0.0.1:8765)",
    )
    parser.add_argument("-n", type=int, default=100, help="concurrent readings")
    parser.add_argument("--rounds", type=int, default=20, help="signaling round trips per reading")
    parser.add_argument("--concurrency", type=int, default=20, help="sockets opened at once")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between a reading's paced signals")
    parser.add_argument("--spawn", type=int, default=0, help="start this many daphne processes of its own")
    args = parser.parse_args()
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        print("warning: meant for PostgreSQL + Redis (set DATABASE_URL and REDIS_URL like the server)", file=sys.stderr)
    procs, urls = spawn(args.spawn) if args.spawn else ([], args.url or ["http://127.0.0.1:8765"])
    try:
        asyncio.run(main(urls, args.n, args.rounds, args.concurrency, args.interval))
    finally:
        for proc in procs:
            proc.terminate()
