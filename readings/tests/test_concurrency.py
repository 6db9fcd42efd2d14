"""Several sweepers and the daphnes' beat passes racing over the same readings (real PostgreSQL locks).

Threads stand for two ``bill_readings`` processes and two daphnes' settle loops, all settling the
same 60 readings while their clocks advance: no minute may be charged twice or skipped.
"""

import threading
from decimal import Decimal

import psycopg
import pytest
from django.db import connection

from accounts.tests.factories import ReaderProfileFactory, UserFactory
from conftest import postgres_only
from payments import services as payments
from payments.models import Movement
from readings import services
from readings.models import Reading, ReadingConnection
from readings.tests.helpers import at

pytestmark = postgres_only()

READINGS = 60
STEPS = 12  # the clock advances 30 s a step: 6 minutes in all


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.SOULSEER_BILLING_MINUTE_SECONDS = 60.0
    settings.READINGS_STALE_CONNECTION_SECONDS = 10**9
    settings.READINGS_BILLING_BATCH = 7  # many small batches, so the racers interleave


def make_readings(count: int) -> list[Reading]:
    """``count`` active readings from time 0, both parties heard at 0, each client with $100."""
    readings = []
    for i in range(count):
        client = UserFactory()
        reader = ReaderProfileFactory().user
        payments.credit_wallet(client, Decimal("100.00"), key=f"race:{client.pk}", memo="funds")
        reading = Reading.objects.create(
            client=client,
            reader=reader,
            type="chat",
            rate=Decimal("1.50"),
            status="active",
            requested_at=at(0),
            accepted_at=at(0),
            started_at=at(0),
            resumed_at=at(0),
        )
        for role, user in (("client", client), ("reader", reader)):
            ReadingConnection.objects.create(
                reading=reading, user=user, role=role, channel_name=f"{role}.{i}", seen_at=at(0)
            )
        readings.append(reading)
    return readings


def test_two_sweepers_and_two_daphnes_never_double_or_skip_a_minute():
    readings = make_readings(READINGS)
    ids = [r.pk for r in readings]
    errors = []

    def racer(which: str, step: int, barrier: threading.Barrier):
        try:
            barrier.wait()
            now = at(step * 30)
            if which.startswith("sweeper"):
                services.settle_readings(None, now)
            else:  # a daphne settles the half of the rooms whose sockets it holds, in its own order
                mine = ids[::2] if which == "daphne-a" else ids[1::2]
                services.settle_readings(list(reversed(mine)), now)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    for step in range(1, STEPS + 1):
        ReadingConnection.objects.update(seen_at=at(step * 30))  # both parties heard as the clock moves
        barrier = threading.Barrier(4)
        threads = [
            threading.Thread(target=racer, args=(name, step, barrier))
            for name in ("sweeper-1", "sweeper-2", "daphne-a", "daphne-b")
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    # A last pass by one caller: whatever a skipped lock left for later is charged now.
    services.settle_readings(None, at(STEPS * 30))
    assert not errors, errors
    due = STEPS * 30 // 60 + 1  # minute n is due at its start: 7 minutes by 360 s
    for reading in Reading.objects.filter(pk__in=ids):
        assert reading.billed_minutes == due
        keys = set(Movement.objects.filter(reference=f"reading:{reading.pk}").values_list("key", flat=True))
        assert keys == {f"reading:{reading.pk}:minute:{n}" for n in range(1, due + 1)}
    assert payments.ledger_discrepancies() == []


def test_a_sweeper_leaves_a_shard_another_sweeper_holds_and_takes_it_once_released():
    """The sweepers' split of the work: a shard claimed by another sweeper's connection is not this
    pass's; when that sweeper dies (its connection, and with it the claim, goes), the next pass takes it."""
    from readings.services.billing import SWEEP_LOCK, SWEEP_SHARDS

    readings = make_readings(SWEEP_SHARDS + 4)  # every shard has a reading
    held = readings[0].pk % SWEEP_SHARDS
    ReadingConnection.objects.update(seen_at=at(30))
    other_sweeper = psycopg.connect(**connection.get_connection_params(), autocommit=True)
    try:
        assert other_sweeper.execute("SELECT pg_try_advisory_lock(%s, %s)", [SWEEP_LOCK, held]).fetchone()[0]
        services.settle_readings(None, at(30))  # minute 1 is due on every reading
        billed = dict(Reading.objects.values_list("pk", "billed_minutes"))
        assert {pk for pk, minutes in billed.items() if minutes == 0} == {
            r.pk for r in readings if r.pk % SWEEP_SHARDS == held
        }
        assert all(minutes == 1 for pk, minutes in billed.items() if pk % SWEEP_SHARDS != held)
    finally:
        other_sweeper.close()  # the other sweeper dies
    services.settle_readings(None, at(30))
    assert set(Reading.objects.values_list("billed_minutes", flat=True)) == {1}
    assert payments.ledger_discrepancies() == []
