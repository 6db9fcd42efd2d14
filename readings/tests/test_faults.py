"""Faults an operator meets: killed daphne processes, a restarted Redis, a dead sweeper.

Real daphne processes, a real ``bill_readings`` and a Redis of the test's own (free ports, killed
only by PID) serve real WebSocket parties that behave like the room page. A billing minute is
6 s, the room beats every 0.5 s, a party is away after 3 s unheard, the reconnect grace is 10 s.
After each fault the test asserts exactly which minutes were billed: the whole minutes both
parties were there (each event is placed mid-minute, so heartbeat timing cannot decide a count),
ledger keys 1..n contiguous, and ``verify_ledger`` clean. Detection delays are printed (``-s``).
"""

import contextlib
import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.tests.factories import ReaderProfileFactory, UserFactory
from conftest import postgres_only
from payments import services as payments
from payments.models import Movement
from readings import services
from readings.models import Reading
from readings.tests.fault_support import (
    GRACE,
    MINUTE,
    STALE,
    Cluster,
    Crowd,
    Party,
    expected_minutes,
    session_cookie,
    wait_until,
)

pytestmark = [
    *postgres_only("fault tests run several processes against one database"),
    pytest.mark.xdist_group("faults"),  # one after another on one worker: their timings stay their own
]


@pytest.fixture(autouse=True)
def _timings(settings):
    # The test process settles nothing itself, but its services read the same rules.
    settings.SOULSEER_BILLING_MINUTE_SECONDS = MINUTE
    settings.READINGS_STALE_CONNECTION_SECONDS = STALE
    settings.READINGS_RECONNECT_GRACE_SECONDS = GRACE


def open_readings(n: int) -> list[tuple[Reading, object, object]]:
    """``n`` accepted chat readings, each between its own client ($200) and reader."""
    rows = []
    for _ in range(n):
        client = UserFactory()
        reader = ReaderProfileFactory().user
        payments.credit_wallet(client, Decimal("200.00"), key=f"fault:{client.pk}", memo="test funds")
        rows.append((services.request_reading(client, reader.reader_profile, "chat"), client, reader))
    for reading, _, reader in rows:  # accepted together: the no-show grace counts from here
        services.accept_reading(reading, reader)
    return rows


def join(crowd, cluster, rows, *, client_on=0, reader_on=1):
    parties = []
    for reading, client, reader in rows:
        path = f"/ws/readings/{reading.pk}/"
        c = crowd.join(Party(cluster.url(client_on, path), cluster.origin(client_on), session_cookie(client)))
        r = crowd.join(Party(cluster.url(reader_on, path), cluster.origin(reader_on), session_cookie(reader)))
        parties.append((c, r))
    return parties


def started_times(rows) -> dict[int, float]:
    ids = [reading.pk for reading, _, _ in rows]

    def all_active():
        found = dict(Reading.objects.filter(pk__in=ids, status="active").values_list("pk", "started_at"))
        return found if len(found) == len(ids) else None

    return {pk: at.timestamp() for pk, at in wait_until(all_active, 60, "every reading to start").items()}


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.time()))


def mid_minute_after(billable_at, after: float) -> float:
    """The first moment from ``after`` at which a clock (``billable_at(t)``) is half-way through a minute."""
    return after + (MINUTE / 2 - billable_at(after) % MINUTE) % MINUTE


def end_at(plan: list[tuple[float, int, object]]) -> None:
    """End each reading (id, client) at its planned moment, in time order."""
    for moment, reading_id, client in sorted(plan, key=lambda item: item[0]):
        sleep_until(moment)
        services.end_reading(reading_id, client)


def assert_exact_ledger(reading: Reading, minutes: int) -> None:
    reading.refresh_from_db()
    assert reading.billed_minutes == minutes, f"reading {reading.pk}: billed {reading.billed_minutes}, owed {minutes}"
    keys = set(Movement.objects.filter(reference=f"reading:{reading.pk}").values_list("key", flat=True))
    assert keys == {f"reading:{reading.pk}:minute:{n}" for n in range(1, minutes + 1)}
    assert reading.total_charged == reading.rate * minutes


def test_kill9_of_the_readers_daphne_and_back_within_grace_bills_only_time_both_were_there():
    """20 concurrent readings; the daphne of all their readers is killed and back 4 s later."""
    with Cluster(daphnes=2) as cluster, Crowd() as crowd:
        rows = open_readings(20)
        parties = join(crowd, cluster, rows)
        started = started_times(rows)
        assert max(started.values()) - min(started.values()) < MINUTE - 3, "readings started too far apart"
        kill_at = max(started.values()) + 2 * MINUTE + 1.5  # every clock 1.5..4.5 s into its third minute
        sleep_until(kill_at)
        killed = cluster.daphnes[1].kill9()
        lost = [
            wait_until(lambda c=c: c.first("presence", after=killed, present=False), 15, "the client told")
            for c, _ in parties
        ]
        delays = [when - killed for when, _ in lost]
        time.sleep(max(0.0, killed + 4.0 - time.time()))
        cluster.daphnes[1].start()
        back = [
            wait_until(lambda r=r: [t for t in r.opened if t > killed], 20, "the reader back")[0] for _, r in parties
        ]
        plan = []
        for (reading, client, _), back_at in zip(rows, back, strict=True):
            before = killed - started[reading.pk]
            moment = mid_minute_after(lambda now, b=back_at, x=before: x + (now - b), max(back) + MINUTE)
            plan.append((moment, reading.pk, client))
        end_at(plan)
        for (reading, _, _), back_at in zip(rows, back, strict=True):
            reading.refresh_from_db()
            billable = (killed - started[reading.pk]) + (reading.ended_at.timestamp() - back_at)
            assert_exact_ledger(reading, expected_minutes(billable))
            assert reading.paused_seconds == pytest.approx(back_at - killed, abs=1.2)  # the gap was not billed
        print(f"\nkill -9 and back: detection {min(delays):.2f}-{max(delays):.2f} s, {len(rows)} readings exact")
    call_command("verify_ledger")


@pytest.mark.parametrize("sweeper", [True, False], ids=["with-sweeper", "sweeper-dead"])
def test_kill9_without_return_pauses_from_last_heard_and_ends_after_grace(sweeper):
    with Cluster(daphnes=2) as cluster, Crowd() as crowd:
        rows = open_readings(1)
        ((client, _),) = join(crowd, cluster, rows)
        ((reading, _, _),) = rows
        started = started_times(rows)[reading.pk]
        if not sweeper:
            cluster.sweeper.kill9()  # only the client's own daphne can notice now
        sleep_until(started + MINUTE + MINUTE / 2)
        killed = cluster.daphnes[1].kill9()
        told, message = wait_until(lambda: client.first("presence", after=killed, present=False), 15, "the client told")
        assert "reader lost connection" in message["message"]
        ended_at, ended = wait_until(lambda: client.first("ended"), GRACE + 10, "the reading to end")
        assert ended["reason"] == "disconnected"
        reading.refresh_from_db()
        last_heard = killed - 1.0  # within a beat (and its answer) of the kill
        assert reading.ended_at.timestamp() - killed == pytest.approx(GRACE, abs=1.5)
        assert expected_minutes(killed - started) == 2
        assert_exact_ledger(reading, 2)
        # The clock stopped when the reader was last heard: before the kill, by at most a beat and its write.
        assert killed - started - 2 <= reading.duration_seconds <= killed - started
        assert reading.ended_at.timestamp() >= last_heard + GRACE - 0.1
        print(
            f"\nkill -9, no return ({'sweeper' if sweeper else 'no sweeper'}): told after {told - killed:.2f} s, "
            f"ended {reading.ended_at.timestamp() - killed:.2f} s after the kill"
        )
    call_command("verify_ledger")


def test_redis_restart_mid_reading_then_a_party_leaves():
    with Cluster(daphnes=2) as cluster, Crowd() as crowd:
        rows = open_readings(1)
        ((client, reader),) = join(crowd, cluster, rows)
        ((reading, client_user, _),) = rows
        started = started_times(rows)[reading.pk]
        sleep_until(started + MINUTE + MINUTE / 2)
        down = cluster.redis.kill9()
        time.sleep(1.5)
        cluster.redis.start()
        up = max(
            wait_until(lambda p=p: [t for t in p.opened if t > down], 20, "both back after Redis")[0]
            for p in (client, reader)
        )
        wait_until(lambda: Reading.objects.filter(pk=reading.pk, paused_at__isnull=True).exists(), 10, "resumed")
        # billing continues, then the reader closes the tab half-way through a minute
        billable = lambda now: (down - started) + (now - up)  # noqa: E731
        sleep_until(mid_minute_after(billable, time.time() + MINUTE))
        left = crowd.leave(reader)
        ended_at, ended = wait_until(lambda: client.first("ended"), GRACE + 10, "the reading to end")
        assert ended["reason"] == "disconnected"
        reading.refresh_from_db()
        assert reading.ended_at.timestamp() - left == pytest.approx(GRACE, abs=1.5)
        assert_exact_ledger(reading, expected_minutes(billable(left)))
        print(f"\nRedis restart: both back {up - down:.2f} s after it died; billed {reading.billed_minutes} exact")
    call_command("verify_ledger")


def test_the_sweeper_killed_and_restarted_neither_skips_nor_doubles_a_minute():
    with Cluster(daphnes=2) as cluster, Crowd() as crowd:
        rows = open_readings(3)
        join(crowd, cluster, rows)
        started = started_times(rows)
        sleep_until(max(started.values()) + MINUTE + 1)
        cluster.sweeper.kill9()
        time.sleep(MINUTE)  # the daphnes' own beats keep billing
        cluster.sweeper.start()
        time.sleep(MINUTE)
        end_at(
            [
                (mid_minute_after(lambda now, s=started[reading.pk]: now - s, time.time()), reading.pk, client)
                for reading, client, _ in rows
            ]
        )
        for reading, _, _ in rows:
            reading.refresh_from_db()
            assert_exact_ledger(reading, expected_minutes(reading.ended_at.timestamp() - started[reading.pk]))
    call_command("verify_ledger")


def test_a_flood_is_refused_without_slowing_another_reading():
    """One socket sends 1,000 chat messages at once; another reading's chat round trip stays within 2x."""
    import asyncio
    import json
    import statistics

    from websockets.asyncio.client import connect

    with Cluster(daphnes=1, sweeper=False) as cluster:
        (quiet_reading, quiet_client, quiet_reader), (loud_reading, loud_client, loud_reader) = open_readings(2)
        url = lambda r: cluster.url(0, f"/ws/readings/{r.pk}/")  # noqa: E731
        headers = lambda user: {"Origin": cluster.origin(0), "Cookie": session_cookie(user)}  # noqa: E731
        quiet_headers, loud_headers = headers(quiet_client), headers(loud_client)
        reader_headers = [headers(quiet_reader), headers(loud_reader)]

        async def scenario():
            readers = [
                await connect(url(r), additional_headers=h)
                for r, h in zip((quiet_reading, loud_reading), reader_headers, strict=True)
            ]
            quiet = await connect(url(quiet_reading), additional_headers=quiet_headers)
            loud = await connect(url(loud_reading), additional_headers=loud_headers)

            async def answer(ws, sink):
                async for raw in ws:
                    message = json.loads(raw)
                    if message["type"] == "beat":
                        await ws.send('{"type": "beat"}')
                    else:
                        sink.append(message)

            loud_seen, reader_seen = [], []
            tasks = [asyncio.ensure_future(answer(ws, reader_seen)) for ws in readers]
            tasks.append(asyncio.ensure_future(answer(loud, loud_seen)))

            async def round_trips(n):
                times = []
                for i in range(n):
                    sent = time.perf_counter()
                    await quiet.send(json.dumps({"type": "chat", "text": f"hello {i}"}))
                    while True:
                        message = json.loads(await asyncio.wait_for(quiet.recv(), 10))
                        if message["type"] == "beat":
                            await quiet.send('{"type": "beat"}')
                        elif message["type"] == "chat" and message["text"] == f"hello {i}":
                            break
                    times.append(time.perf_counter() - sent)
                    await asyncio.sleep(1.1)  # within the chat rate limit
                return times

            await asyncio.sleep(1)
            calm = await round_trips(5)
            flood = asyncio.ensure_future(_flood(loud))
            stormy = await round_trips(5)
            await flood
            await asyncio.sleep(0.5)
            for task in tasks:
                task.cancel()
            return calm, stormy, loud_seen, loud.close_code

        async def _flood(ws):
            from websockets.exceptions import ConnectionClosed

            with contextlib.suppress(ConnectionClosed):  # the server closes it part-way
                for i in range(1000):
                    await ws.send(json.dumps({"type": "chat", "text": f"spam {i}"}))

        calm, stormy, loud_seen, close_code = asyncio.run(scenario())
        assert close_code == 4429  # the flooding socket was closed
        assert any(m.get("code") == "rate_limited" for m in loud_seen)
        from readings.models import ChatMessage

        assert ChatMessage.objects.filter(reading=loud_reading).count() <= settings.READINGS_CHAT_BURST
        calm_median, stormy_median = statistics.median(calm), statistics.median(stormy)
        print(
            f"\nflood: unrelated chat round trip {calm_median * 1000:.1f} ms quiet, "
            f"{stormy_median * 1000:.1f} ms during the flood"
        )
        assert stormy_median <= 2 * calm_median
