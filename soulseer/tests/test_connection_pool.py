"""Two daphne processes under load share a bounded number of PostgreSQL connections, and no request fails.

Before the pool, ``CONN_MAX_AGE=600`` under daphne opened a connection per request thread: two
processes piled up to 95 of the server's 100 connections and 43 % of directory requests failed with
"too many clients already". Here each process has a pool of ``DB_POOL_MAX_SIZE`` (4) and the test
counts the server's connections to the test database while 32 clients hammer the directory.
"""

import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from django.db import connection

from accounts.tests.factories import ReaderProfileFactory
from conftest import postgres_only
from readings.tests.e2e_support import daphne

pytestmark = postgres_only("the connection pool is PostgreSQL's")

POOL = 4
CLIENTS = 32
REQUESTS = 400


def server_connections(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name])
        return cursor.fetchone()[0]


def test_two_daphnes_under_load_stay_within_their_pools_and_fail_nothing():
    for _ in range(12):
        ReaderProfileFactory()
    name = connection.settings_dict["NAME"]
    baseline = server_connections(name)  # this test process's own
    with daphne({"DB_POOL_MAX_SIZE": str(POOL), "DB_POOL_MIN_SIZE": "1"}, count=2) as urls:
        peak, stop = [0], threading.Event()

        def watch():
            while not stop.is_set():
                peak[0] = max(peak[0], server_connections(name) - baseline)
                time.sleep(0.05)

        def get(i: int) -> int:
            url = f"{urls[i % 2]}/readers/"
            try:
                with urllib.request.urlopen(url, timeout=60) as response:
                    response.read()
                    return response.status
            except urllib.error.HTTPError as exc:
                return exc.code

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            with ThreadPoolExecutor(CLIENTS) as pool:
                statuses = list(pool.map(get, range(REQUESTS)))
        finally:
            stop.set()
            watcher.join()
    failed = [s for s in statuses if s >= 500]
    print(f"\n{REQUESTS} requests, {CLIENTS} at once, 2 daphne: peak {peak[0]} server connections, {len(failed)} 5xx")
    assert not failed
    assert statuses.count(200) == REQUESTS
    assert 0 < peak[0] <= 2 * POOL  # every connection a daphne opens comes from its pool
