#!/usr/bin/env python
"""Pages benchmark (not a test): home and the reader directory under ``wrk`` with 16 connections.

Builds a database of its own (``soulseer_pages_bench``: the demo plus ``--readers`` more readers),
collects static files, and serves it with production settings (DEBUG off) on one and then two
daphne processes; ``wrk -c16`` drives ``/``, ``/readers/`` and, as the anchor from the same run, the
bare ``/robots.txt`` view (same stack, no template, no query). With two processes the 16
connections are split between them (two ``wrk``, 8 each) and their rates added.

    .venv/bin/python benchmarks/pages_bench.py --readers 1000

Needs ``wrk`` (Debian) and the local PostgreSQL.
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PATHS = ["/robots.txt", "/", "/readers/"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def recreate(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def more_readers(env: dict, n: int) -> None:
    code = f"""
import os; os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soulseer.settings")
import django; django.setup()
from decimal import Decimal
from accounts.models import ReaderProfile, User
users = User.objects.bulk_create([User(email=f"bench{{i}}@readers.test", role="reader", password="!")
                                  for i in range({n})], batch_size=1000)
ReaderProfile.objects.bulk_create([ReaderProfile(user=u, display_name=f"Bench Reader {{i}}", slug=f"bench-{{i}}",
    chat_rate=Decimal("1.99"), voice_rate=Decimal("2.99"), video_rate=Decimal("3.99"),
    availability=("online", "busy", "offline")[i % 3]) for i, u in enumerate(users)],
    batch_size=1000)
from django.db import connection
connection.cursor().execute("ANALYZE")
"""
    subprocess.run([PY, "-c", code], cwd=ROOT, env=env, check=True)


def wrk(url: str, connections: int, seconds: int) -> float:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url], capture_output=True, text=True, check=True
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        sys.exit(f"{url}: {errors.group(1)} non-2xx responses\n{out}")
    return float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))


def serve(env: dict, count: int) -> tuple[list[subprocess.Popen], list[int]]:
    procs, ports = [], []
    for _ in range(count):
        port = free_port()
        argv = [PY, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "soulseer.asgi:application"]
        procs.append(subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        ports.append(port)
    for port in ports:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
    return procs, ports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=1000, help="readers added to the demo")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--server", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"))
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    name = "soulseer_pages_bench"
    recreate(args.server, name)
    static = tempfile.mkdtemp(prefix="pages-bench-static-")
    base = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    dev = {**base, "DATABASE_URL": f"{args.server}/{name}", "DEBUG": "true", "SOULSEER_FAST_PASSWORD_HASHER": "1"}
    for command in (["migrate", "-v0"], ["seed_demo", "-v0"]):
        subprocess.run([PY, "manage.py", *command], cwd=ROOT, env=dev, check=True, stdout=subprocess.DEVNULL)
    more_readers(dev, args.readers)
    prod = {
        **base,
        "DATABASE_URL": f"{args.server}/{name}",
        "DEBUG": "false",
        "SECRET_KEY": "pages-benchmark-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": static,
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=prod, check=True)
    results = {}
    for count in (1, 2):
        procs, ports = serve(prod, count)
        try:
            for path in PATHS:
                for port in ports:  # warm up each process (templates, connections)
                    wrk(f"http://127.0.0.1:{port}{path}", 2, 1)
                if count == 1:
                    rate = wrk(f"http://127.0.0.1:{ports[0]}{path}", 16, args.seconds)
                else:
                    from concurrent.futures import ThreadPoolExecutor

                    urls = [f"http://127.0.0.1:{port}{path}" for port in ports]
                    with ThreadPoolExecutor(count) as pool:
                        rate = sum(pool.map(wrk, urls, [16 // count] * count, [args.seconds] * count))
                results[(count, path)] = rate
                print(f"{count} daphne, {path}: {rate:.0f} req/s")
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    shutil.rmtree(static, ignore_errors=True)
    print()
    print("| page | 1 daphne (req/s) | 2 daphne (req/s) | 2 / 1 |")
    print("| --- | --- | --- | --- |")
    for path in PATHS:
        one, two = results[(1, path)], results[(2, path)]
        print(f"| `{path}` | {one:.0f} | {two:.0f} | {two / one:.2f} |")


if __name__ == "__main__":
    main()
