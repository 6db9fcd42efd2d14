#!/usr/bin/env python
"""Billing benchmark (not a test): one sweep charging one due minute on each of N active readings.

Creates N readings on a fresh PostgreSQL database of its own (``soulseer_bench``, dropped and
created again), each with both parties heard just now and minute 1 due; runs one sweep with K
sweeper processes at once (``services.sweep``, the ``bill_readings`` pass), and prints charged
minutes per second, SQL statements per charged minute, ``verify_ledger``'s time on the result,
and beside them ``pgbench -N -c 1`` on a scratch database in the same run (the anchor):

    .venv/bin/python benchmarks/billing_bench.py --readings 10000 --sweepers 1
    .venv/bin/python benchmarks/billing_bench.py --readings 10000 --sweepers 2

The last line reads ``minutes_per_second=<x> pgbench_tps=<y> ratio=<x/y>``. Needs ``pgbench``
(Debian's postgresql-client) and the PostgreSQL server of ``--server`` (default: the local one).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def server_url(args) -> str:
    return args.server.rstrip("/")


def recreate(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def django_up(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soulseer.settings")
    os.environ.setdefault("SOULSEER_FAST_PASSWORD_HASHER", "1")
    import django

    django.setup()


def populate(n: int) -> None:
    """N clients with $100 (ledger-consistent), N readers, N active readings with minute 1 due."""
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from payments.models import Account, Entry, Movement
    from readings.models import Reading, ReadingConnection

    now = timezone.now()
    with transaction.atomic():
        clients = User.objects.bulk_create(
            [User(email=f"c{i}@bench.test", role="client", password="!") for i in range(n)], batch_size=2000
        )
        readers = User.objects.bulk_create(
            [User(email=f"r{i}@bench.test", role="reader", password="!") for i in range(n)], batch_size=2000
        )
        external = Account.objects.create(kind="external", balance=None)
        wallets = Account.objects.bulk_create(
            [Account(kind="wallet", user=c, balance=Decimal("100.00")) for c in clients], batch_size=2000
        )
        Account.objects.bulk_create([Account(kind="earnings", user=r) for r in readers], batch_size=2000)
        movements = Movement.objects.bulk_create(
            [
                Movement(key=f"bench:{c.pk}", kind="adjustment", amount=Decimal("100.00"), memo="bench", client=c)
                for c in clients
            ],
            batch_size=2000,
        )
        entries = []
        for movement, wallet in zip(movements, wallets, strict=True):
            entries.append(Entry(movement=movement, account=external, amount=Decimal("-100.00")))
            entries.append(Entry(movement=movement, account=wallet, amount=Decimal("100.00")))
        Entry.objects.bulk_create(entries, batch_size=5000)
        readings = Reading.objects.bulk_create(
            [
                Reading(
                    client=c,
                    reader=r,
                    type="chat",
                    rate=Decimal("2.99"),
                    status="active",
                    requested_at=now,
                    accepted_at=now,
                    started_at=now,
                    resumed_at=now,
                )
                for c, r in zip(clients, readers, strict=True)
            ],
            batch_size=2000,
        )
        ReadingConnection.objects.bulk_create(
            [
                ReadingConnection(reading=rd, user_id=uid, role=role, channel_name=f"{role}.{rd.pk}", seen_at=now)
                for rd in readings
                for role, uid in (("client", rd.client_id), ("reader", rd.reader_id))
            ],
            batch_size=5000,
        )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def fresh(start_at: float) -> None:
    """Every reading began a second before the sweep and both parties are heard as it starts."""
    from datetime import UTC, datetime, timedelta

    from readings.models import Reading, ReadingConnection

    start = datetime.fromtimestamp(start_at, tz=UTC)
    Reading.objects.update(started_at=start - timedelta(seconds=1), resumed_at=start - timedelta(seconds=1))
    ReadingConnection.objects.update(seen_at=start)


def worker(start_at: float) -> None:
    """One sweeper process: at ``start_at``, one sweep, counting its SQL statements; prints a JSON line."""
    from django.db import connection

    from readings import services

    connection.ensure_connection()
    time.sleep(max(0.0, start_at - time.time()))  # every sweeper starts together
    statements = 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    from readings import events

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    cpu = time.process_time(), backend_cpu(backend)
    started = time.time()
    with connection.execute_wrapper(count):
        result = services.sweep()
    swept = time.time()
    events.drain(timeout=120)  # the room broadcasts (Redis when REDIS_URL is set) are part of the work
    ended = time.time()
    cpu = time.process_time() - cpu[0], backend_cpu(backend) - cpu[1]
    print(
        json.dumps(
            {
                "charged": result["charged"],
                "start": started,
                "swept": swept,
                "end": ended,
                "sql": statements,
                "cpu": cpu[0],
                "backend_cpu": cpu[1],
            }
        )
    )


def backend_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a PostgreSQL backend on this machine, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pgbench_tps(server: str, seconds: int) -> float:
    name = "soulseer_pgbench"
    recreate(server, name)
    dsn = f"{server}/{name}"
    subprocess.run(["pgbench", "-i", "-q", "-s", "1", dsn], check=True, capture_output=True)
    out = subprocess.run(
        ["pgbench", "-N", "-c", "1", "-T", str(seconds), dsn], check=True, capture_output=True, text=True
    )
    match = re.search(r"tps = ([0-9.]+)", out.stdout)
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=1000)
    parser.add_argument("--sweepers", type=int, default=1)
    parser.add_argument("--server", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--worker", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    database_url = f"{server_url(args)}/soulseer_bench"
    if args.worker is not None:
        django_up(database_url)
        worker(args.worker)
        return

    recreate(server_url(args), "soulseer_bench")
    env = {**os.environ, "DATABASE_URL": database_url, "SOULSEER_FAST_PASSWORD_HASHER": "1"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    django_up(database_url)
    t0 = time.perf_counter()
    populate(args.readings)
    print(f"{args.readings} active readings created in {time.perf_counter() - t0:.1f} s")

    start_at = time.time() + 8  # time for every sweeper process to start Django and connect
    fresh(start_at)
    argv = [sys.executable, __file__, "--worker", str(start_at), "--server", server_url(args)]
    procs = [subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE) for _ in range(args.sweepers)]
    results = [json.loads(p.communicate()[0].decode().strip().splitlines()[-1]) for p in procs]
    wall = max(r["end"] for r in results) - min(r["start"] for r in results)
    charged = sum(r["charged"] for r in results)
    statements = sum(r["sql"] for r in results)
    for i, r in enumerate(results):
        print(
            f"sweeper {i}: {r['charged']} minutes in {r['end'] - r['start']:.2f} s "
            f"(database {r['swept'] - r['start']:.2f} s, then broadcasts), {r['sql']} SQL statements; "
            f"CPU: sweeper {r['cpu']:.2f} s, its PostgreSQL backend {r['backend_cpu']:.2f} s"
        )

    from django.core.management import call_command

    t0 = time.perf_counter()
    call_command("verify_ledger", stdout=open(os.devnull, "w"))  # noqa: SIM115
    verify = time.perf_counter() - t0
    tps = pgbench_tps(server_url(args), args.pgbench_seconds)
    rate = charged / wall
    print(f"charged {charged} of {args.readings} due minutes in {wall:.2f} s with {args.sweepers} sweeper(s)")
    print(f"SQL statements per charged minute: {statements / max(charged, 1):.3f}")
    print(f"verify_ledger: {verify:.2f} s")
    print(f"minutes_per_second={rate:.0f} pgbench_tps={tps:.0f} ratio={rate / tps:.3f}")
    if charged != args.readings:
        sys.exit(f"expected {args.readings} charged minutes, got {charged}")


if __name__ == "__main__":
    main()
