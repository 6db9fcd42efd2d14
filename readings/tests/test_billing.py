"""The billing engine with a controlled clock: minute n is charged at its start, exactly once."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from payments import services as payments
from readings import services
from readings.models import Reading
from readings.tests.helpers import active_reading, at, fund, verify_ledger

RATE = Decimal("4.00")  # bob's video rate (factory)
READER_CUT, PLATFORM_CUT = Decimal("2.80"), Decimal("1.20")


@pytest.fixture(autouse=True)
def _minute(settings):
    settings.SOULSEER_BILLING_MINUTE_SECONDS = 60.0
    settings.READINGS_RECONNECT_GRACE_SECONDS = 120


def assert_moved(client, reader, minutes, start_balance):
    assert payments.balance(client) == start_balance - RATE * minutes
    assert payments.earnings_balance(reader) == READER_CUT * minutes
    verify_ledger()


@pytest.mark.django_db
def test_split_of_a_minute_is_70_30():
    assert payments.split(RATE) == (READER_CUT, PLATFORM_CUT)


@pytest.mark.django_db
@pytest.mark.parametrize("minutes", [1, 2, 10])
def test_exact_charge_for_n_minutes(alice, bob, minutes):
    fund(alice, "100.00")
    reading = active_reading(alice, bob)
    # Minute n starts at (n-1)*60 s; just before minute n+1 starts nothing more is due.
    last_moment = minutes * 60 - 0.5
    for second in range(0, int(last_moment) + 1, 7):
        services.charge_due_minutes(reading, at(second))
    services.charge_due_minutes(reading, at(last_moment))
    reading = services.end_reading(reading, alice, now=at(last_moment))

    assert reading.status == Reading.Status.ENDED
    assert reading.billed_minutes == minutes
    assert reading.total_charged == RATE * minutes
    assert reading.reader_share == READER_CUT * minutes
    assert reading.duration_seconds == int(last_moment)
    assert_moved(alice, bob, minutes, Decimal("100.00"))
    for n in range(1, minutes + 1):
        movement = payments.movement_for_key(f"reading:{reading.pk}:minute:{n}")
        assert movement is not None and movement.amount == RATE
    assert payments.movement_for_key(f"reading:{reading.pk}:minute:{minutes + 1}") is None


@pytest.mark.django_db
def test_minute_is_charged_at_its_start(alice, bob):
    fund(alice, "100.00")
    reading = active_reading(alice, bob)
    assert Reading.objects.get(pk=reading.pk).billed_minutes == 1  # minute 1 when both connected
    assert services.charge_due_minutes(reading, at(59.9)).charged == 0
    assert services.charge_due_minutes(reading, at(60)).charged == 1
    assert services.charge_due_minutes(reading, at(60)).charged == 0
    # a late caller catches up on every whole minute at once
    assert services.charge_due_minutes(reading, at(300)).charged == 4
    assert Reading.objects.get(pk=reading.pk).billed_minutes == 6
    assert_moved(alice, bob, 6, Decimal("100.00"))


@pytest.mark.django_db
def test_timer_and_sweeper_never_charge_twice(alice, bob):
    fund(alice, "100.00")
    reading = active_reading(alice, bob)
    for second in [*range(5, 130, 5), 60, 60, 120, 130, 130]:
        for who in ("client", "reader"):  # the consumers' timers (with their heartbeats)
            services.tick(reading.pk, f"{who}-{reading.pk}", now=at(second), beat=True)
        services.sweep(now=at(second))  # the bill_readings sweeper
        services.charge_due_minutes(reading.pk, at(second))
    assert Reading.objects.get(pk=reading.pk).billed_minutes == 3
    assert_moved(alice, bob, 3, Decimal("100.00"))


@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_charge_each_minute_once(alice, bob):
    """Threads hammer charge_due_minutes at once (real row locks on PostgreSQL; serialised on SQLite)."""
    fund(alice, "100.00")
    reading = active_reading(alice, bob)
    errors = []
    barrier = threading.Barrier(4)

    def hammer():
        try:
            barrier.wait()
            for _ in range(3):
                services.charge_due_minutes(reading.pk, at(250))
        except Exception as exc:  # pragma: no cover - surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert Reading.objects.get(pk=reading.pk).billed_minutes == 5
    assert_moved(alice, bob, 5, Decimal("100.00"))


@pytest.mark.django_db
def test_disconnect_pauses_billing_and_reconnect_resumes(alice, bob):
    fund(alice, "100.00")
    reading = active_reading(alice, bob)
    services.mark_disconnected(reading.pk, f"reader-{reading.pk}", now=at(30))
    reading.refresh_from_db()
    assert reading.paused_at == at(30)
    # paused: nothing is due however long the gap (within grace)
    assert services.charge_due_minutes(reading, at(140)).charged == 0
    assert services.end_abandoned(now=at(140)) == 0
    # back after 110 s: the clock resumes at 30 s of billable time (the client's socket kept beating)
    services.heartbeat(reading.pk, f"client-{reading.pk}", now=at(139))
    services.mark_connected(reading.pk, bob, f"reader2-{reading.pk}", now=at(140))
    reading.refresh_from_db()
    assert reading.paused_at is None and reading.paused_seconds == pytest.approx(110)
    assert services.charge_due_minutes(reading, at(169)).charged == 0  # 59 s billable
    assert services.charge_due_minutes(reading, at(170)).charged == 1  # 60 s: minute 2
    services.end_reading(reading, bob, now=at(175))
    reading.refresh_from_db()
    assert reading.end_reason == "reader"
    assert reading.duration_seconds == 65
    assert_moved(alice, bob, 2, Decimal("100.00"))


@pytest.mark.django_db
def test_reading_ends_after_grace_without_reconnect(alice, bob):
    fund(alice, "100.00")
    reading = active_reading(alice, bob)
    services.mark_disconnected(reading.pk, f"client-{reading.pk}", now=at(45))
    assert services.sweep(now=at(45 + 119))["ended"] == 0
    assert services.sweep(now=at(45 + 120))["ended"] == 1
    reading.refresh_from_db()
    assert reading.status == Reading.Status.ENDED
    assert reading.end_reason == "disconnected"
    assert reading.billed_minutes == 1
    assert reading.duration_seconds == 45
    bob.reader_profile.refresh_from_db()
    assert bob.reader_profile.availability == "online"  # busy while in the reading, then back
    assert_moved(alice, bob, 1, Decimal("100.00"))


@pytest.mark.django_db
def test_stale_connection_pauses_billing(alice, bob, settings):
    """A killed worker never says goodbye: its socket goes stale and the sweeper pauses billing."""
    settings.READINGS_STALE_CONNECTION_SECONDS = 20
    fund(alice, "100.00")
    reading = active_reading(alice, bob)
    services.heartbeat(reading.pk, f"reader-{reading.pk}", now=at(10))  # only the reader's worker lives
    services.sweep(now=at(15))
    assert Reading.objects.get(pk=reading.pk).paused_at is None
    services.heartbeat(reading.pk, f"reader-{reading.pk}", now=at(40))
    services.sweep(now=at(45))  # client last seen at 0 s: stale
    reading.refresh_from_db()
    assert reading.paused_at == at(45)
    assert reading.billed_minutes == 1


@pytest.mark.django_db
def test_reading_ends_when_the_next_minute_cannot_be_paid(alice, bob, django_capture_on_commit_callbacks):
    fund(alice, "14.00")  # 3 minutes at $4 (the minimum to start) and $2 left over
    reading = active_reading(alice, bob)
    outcome = services.charge_due_minutes(reading, at(60))  # minute 2: $6 left, fewer than 2 minutes more
    assert outcome.charged == 1 and outcome.warning
    outcome = services.charge_due_minutes(reading, at(120))  # minute 3: $2 left
    assert outcome.charged == 1 and outcome.warning and not outcome.ended
    outcome = services.charge_due_minutes(reading, at(180))  # minute 4 cannot be paid
    assert outcome.ended and outcome.charged == 0
    reading.refresh_from_db()
    assert reading.status == Reading.Status.ENDED
    assert reading.end_reason == "balance"
    assert reading.billed_minutes == 3
    assert payments.balance(alice) == Decimal("2.00")
    assert_moved(alice, bob, 3, Decimal("14.00"))


@pytest.mark.django_db
def test_rate_is_fixed_when_requested(alice, bob):
    fund(alice, "100.00")
    reading = services.request_reading(alice, bob.reader_profile, "video", now=at(0))
    profile = bob.reader_profile
    profile.video_rate = Decimal("9.00")
    profile.save()
    services.accept_reading(reading, bob, now=at(1))
    services.mark_connected(reading.pk, alice, "c", now=at(2))
    services.mark_connected(reading.pk, bob, "r", now=at(2))
    services.charge_due_minutes(reading, at(62))
    reading.refresh_from_db()
    assert reading.rate == RATE
    assert reading.total_charged == RATE * 2
    assert_moved(alice, bob, 2, Decimal("100.00"))


@pytest.mark.django_db
def test_nothing_is_billed_before_both_connect(alice, bob):
    fund(alice, "100.00")
    reading = services.request_reading(alice, bob.reader_profile, "chat", now=at(0))
    services.accept_reading(reading, bob, now=at(0))
    services.mark_connected(reading.pk, alice, "c", now=at(1))
    assert services.charge_due_minutes(reading, at(100)).charged == 0
    assert Reading.objects.get(pk=reading.pk).status == Reading.Status.ACCEPTED
    assert payments.balance(alice) == Decimal("100.00")
    # the reader never joins: ended as a no-show after the grace, nothing charged
    assert services.end_abandoned(now=at(121)) == 1
    reading.refresh_from_db()
    assert reading.status == Reading.Status.ENDED and reading.end_reason == "no_show"
    assert reading.billed_minutes == 0
    verify_ledger()


@pytest.mark.django_db
def test_bill_readings_once_charges_due_minutes(alice, bob, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.READINGS_STALE_CONNECTION_SECONDS = 10**10  # the fixed clock is far in the past
    fund(alice, "100.00")
    reading = active_reading(alice, bob)
    # the reading started 125 s ago by the real clock: minutes 2 and 3 are due
    Reading.objects.filter(pk=reading.pk).update(started_at=timezone.now() - timedelta(seconds=125))
    out = StringIO()
    call_command("bill_readings", "--once", stdout=out)
    assert "2 minute(s) charged" in out.getvalue()
    call_command("bill_readings", "--once", stdout=StringIO())
    assert Reading.objects.get(pk=reading.pk).billed_minutes == 3
    assert_moved(alice, bob, 3, Decimal("100.00"))


@pytest.mark.django_db
def test_tick_sleeps_until_the_next_minute(alice, bob, settings):
    settings.READINGS_TICK_MAX_SLEEP_SECONDS = 5
    fund(alice, "100.00")
    reading = active_reading(alice, bob)
    status, delay = services.tick(reading.pk, f"client-{reading.pk}", now=at(57))
    assert status == "active" and delay == pytest.approx(3)  # minute 2 starts at 60 s
    status, delay = services.tick(reading.pk, f"client-{reading.pk}", now=at(10))
    assert delay == pytest.approx(5)  # capped
    status, delay = services.tick(reading.pk, f"client-{reading.pk}", now=at(60))
    assert Reading.objects.get(pk=reading.pk).billed_minutes == 2 and delay == pytest.approx(5)
