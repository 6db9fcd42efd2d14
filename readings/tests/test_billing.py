"""The billing engine with a controlled clock: minute n is charged at its start, exactly once, and
only while both parties are heard; pauses start when a party was last heard."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from payments import services as payments
from readings import services
from readings.models import Reading, ReadingConnection
from readings.services import Action, Presence, decide
from readings.tests.helpers import active_reading, at, beat, fund, verify_ledger

RATE = Decimal("4.00")  # bob's video rate (factory)
READER_CUT, PLATFORM_CUT = Decimal("2.80"), Decimal("1.20")


@pytest.fixture(autouse=True)
def _minute(settings):
    settings.SOULSEER_BILLING_MINUTE_SECONDS = 60.0
    settings.READINGS_RECONNECT_GRACE_SECONDS = 120
    settings.READINGS_HEARTBEAT_SECONDS = 2.0
    settings.READINGS_STALE_CONNECTION_SECONDS = 6.0


def assert_moved(client, reader, minutes, start_balance):
    assert payments.balance(client) == start_balance - RATE * minutes
    assert payments.earnings_balance(reader) == READER_CUT * minutes
    verify_ledger()


def run(reading, seconds, *, every=2, parties=("client", "reader")):
    """Both parties' browsers answer every beat until ``seconds``; each beat settles the room."""
    second = seconds[0]
    while second <= seconds[1]:
        beat(reading, at(second), parties)
        services.charge_due_minutes(reading.pk, at(second))
        second += every


@pytest.mark.django_db
def test_split_of_a_minute_is_70_30():
    assert payments.split(RATE) == (READER_CUT, PLATFORM_CUT)


@pytest.mark.django_db
@pytest.mark.parametrize("minutes", [1, 2, 10])
def test_exact_charge_for_n_minutes(alice, bob, minutes):
    fund(alice, "100.00")
    reading = active_reading(alice, bob)
    last_moment = minutes * 60 - 1  # just before minute n+1 starts nothing more is due
    run(reading, (0, last_moment), every=3)
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
def test_minute_is_charged_once_both_were_heard_after_it_began(alice, bob):
    fund(alice, "100.00")
    reading = active_reading(alice, bob)
    assert Reading.objects.get(pk=reading.pk).billed_minutes == 1  # minute 1 when both connected
    run(reading, (2, 58))
    beat(reading, at(59.9))
    assert services.charge_due_minutes(reading, at(60)).charged == 0  # nobody heard since minute 2 began
    beat(reading, at(60), ["client"])
    assert services.charge_due_minutes(reading, at(60.5)).charged == 0  # the reader not yet
    beat(reading, at(61), ["reader"])
    assert services.charge_due_minutes(reading, at(61)).charged == 1
    assert services.charge_due_minutes(reading, at(61)).charged == 0
    assert_moved(alice, bob, 2, Decimal("100.00"))


@pytest.mark.django_db
def test_a_caller_that_comes_late_catches_up_on_every_heard_minute(alice, bob):
    fund(alice, "100.00")
    reading = active_reading(alice, bob)
    for second in range(2, 301, 2):  # both heard all along; nobody settled the room
        beat(reading, at(second))
    assert services.charge_due_minutes(reading, at(300)).charged == 5  # minutes 2..6
    assert Reading.objects.get(pk=reading.pk).billed_minutes == 6
    assert_moved(alice, bob, 6, Decimal("100.00"))


@pytest.mark.django_db
def test_beat_passes_and_sweeper_never_charge_twice(alice, bob):
    fund(alice, "100.00")
    reading = active_reading(alice, bob)
    for second in [*range(2, 131, 2), 130]:
        beat(reading, at(second))
        services.settle_readings([reading.pk], now=at(second))  # the client's daphne
        services.settle_readings([reading.pk], now=at(second))  # the reader's daphne
        services.sweep(now=at(second))  # the bill_readings sweeper
    assert Reading.objects.get(pk=reading.pk).billed_minutes == 3
    assert_moved(alice, bob, 3, Decimal("100.00"))


@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_charge_each_minute_once(alice, bob):
    """Threads hammer charge_due_minutes at once (real row locks on PostgreSQL; serialised on SQLite)."""
    fund(alice, "100.00")
    reading = active_reading(alice, bob)
    for second in range(2, 251, 2):
        beat(reading, at(second))
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
def test_clean_disconnect_pauses_billing_and_reconnect_resumes(alice, bob):
    fund(alice, "100.00")
    reading = active_reading(alice, bob)
    run(reading, (2, 30))
    services.mark_disconnected(reading.pk, f"reader-{reading.pk}", now=at(30))
    reading.refresh_from_db()
    assert reading.paused_at == at(30) and reading.away_role == "reader"
    run(reading, (32, 138), parties=["client"])  # paused: nothing is due however long the gap (within grace)
    assert Reading.objects.get(pk=reading.pk).billed_minutes == 1
    # back after 110 s: the clock resumes at 30 s of billable time
    services.mark_connected(reading.pk, bob, f"reader2-{reading.pk}", now=at(140))
    reading.refresh_from_db()
    assert reading.paused_at is None and reading.paused_seconds == pytest.approx(110)
    run(reading, (142, 168))
    assert Reading.objects.get(pk=reading.pk).billed_minutes == 1  # 58 s billable
    run(reading, (170, 172))
    assert Reading.objects.get(pk=reading.pk).billed_minutes == 2  # 60 s: minute 2
    services.end_reading(reading, bob, now=at(175))
    reading.refresh_from_db()
    assert reading.end_reason == "reader"
    assert reading.duration_seconds == 65
    assert_moved(alice, bob, 2, Decimal("100.00"))


@pytest.mark.django_db
def test_reading_ends_after_grace_without_reconnect(alice, bob):
    fund(alice, "100.00")
    reading = active_reading(alice, bob)
    run(reading, (2, 44))
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
def test_a_silent_party_is_paused_from_when_last_heard_not_when_noticed(alice, bob):
    """A killed worker never says goodbye: its socket goes silent; billing pauses at its last beat."""
    fund(alice, "100.00")
    reading = active_reading(alice, bob)
    run(reading, (2, 56))  # both heard until 56 s
    for second in range(58, 141, 2):  # the client's daphne died after its 56 s beat; the reader's beats on
        beat(reading, at(second), ["reader"])
    # nobody noticed until 140 s (no sweeper, no beat pass): minutes 2 and 3 were never charged
    reading.refresh_from_db()
    assert reading.billed_minutes == 1 and reading.paused_at is None
    outcome = services.charge_due_minutes(reading, at(140))
    reading.refresh_from_db()
    assert outcome.paused and outcome.charged == 0
    assert reading.paused_at == at(56) and reading.away_role == "client"
    # the grace (120 s) counts from 56 s: the reading ends at 176 s, not 260 s
    assert services.sweep(now=at(175))["ended"] == 0
    assert services.sweep(now=at(176))["ended"] == 1
    reading.refresh_from_db()
    assert reading.end_reason == "disconnected" and reading.duration_seconds == 56
    assert_moved(alice, bob, 1, Decimal("100.00"))


@pytest.mark.django_db
def test_a_quick_return_after_an_unnoticed_gap_does_not_bill_the_gap(alice, bob):
    fund(alice, "100.00")
    reading = active_reading(alice, bob)
    run(reading, (2, 50))  # both heard until 50 s
    beat(reading, at(54), ["client"])  # the reader's daphne died after 50 s and came back at 55 s
    services.mark_connected(reading.pk, bob, "reader-after-restart", now=at(55))
    reading.refresh_from_db()
    assert reading.paused_at is None and reading.paused_seconds == pytest.approx(5)
    assert not ReadingConnection.objects.filter(channel_name=f"reader-{reading.pk}").exists()  # replaced
    run(reading, (56, 64))
    assert Reading.objects.get(pk=reading.pk).billed_minutes == 1  # 59 s billable at 64 s
    run(reading, (66, 66))
    assert Reading.objects.get(pk=reading.pk).billed_minutes == 2
    assert_moved(alice, bob, 2, Decimal("100.00"))


@pytest.mark.django_db
def test_the_room_is_told_who_left_and_who_came_back(alice, bob, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr("readings.events._send", lambda group, message: sent.append(message["payload"]))
    fund(alice, "100.00")
    reading = active_reading(alice, bob)
    run(reading, (2, 20))
    beat(reading, at(22), ["client"])
    with django_capture_on_commit_callbacks(execute=True):
        services.charge_due_minutes(reading, at(27))  # the reader last heard at 20 s: stale at 27 s
    assert {k: sent[-1][k] for k in ("type", "role", "present")} == {
        "type": "presence",
        "role": "reader",
        "present": False,
    }
    assert "reader lost connection" in sent[-1]["message"]
    beat(reading, at(28), ["client"])
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_connected(reading.pk, bob, "reader-back", now=at(30))
    back = [p for p in sent if p.get("type") == "presence" and p["present"]]
    assert back and back[-1]["role"] == "reader" and "back" in back[-1]["message"]


@pytest.mark.django_db
def test_reading_ends_when_the_next_minute_cannot_be_paid(alice, bob):
    fund(alice, "14.00")  # 3 minutes at $4 (the minimum to start) and $2 left over
    reading = active_reading(alice, bob)
    run(reading, (2, 60))  # minute 2: $6 left, fewer than 2 minutes more
    assert Reading.objects.get(pk=reading.pk).warned_minute == 2
    run(reading, (62, 120))  # minute 3: $2 left
    assert Reading.objects.get(pk=reading.pk).status == Reading.Status.ACTIVE
    beat(reading, at(180))
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
    run(reading, (4, 62))
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
    run(reading, (2, 100), parties=["client"])
    assert Reading.objects.get(pk=reading.pk).status == Reading.Status.ACCEPTED
    assert payments.balance(alice) == Decimal("100.00")
    # the reader never joins: ended as a no-show after the grace, nothing charged
    assert services.sweep(now=at(121))["ended"] == 1
    reading.refresh_from_db()
    assert reading.status == Reading.Status.ENDED and reading.end_reason == "no_show"
    assert reading.billed_minutes == 0
    verify_ledger()


@pytest.mark.django_db
def test_bill_readings_once_charges_due_minutes(alice, bob):
    from io import StringIO

    from django.core.management import call_command

    fund(alice, "100.00")
    reading = active_reading(alice, bob)
    # the reading started 125 s ago by the real clock and both were heard just now: minutes 2 and 3 are due
    Reading.objects.filter(pk=reading.pk).update(
        started_at=timezone.now() - timedelta(seconds=125), resumed_at=timezone.now() - timedelta(seconds=125)
    )
    beat(reading, timezone.now())
    out = StringIO()
    call_command("bill_readings", "--once", stdout=out)
    assert "2 minute(s) charged" in out.getvalue()
    call_command("bill_readings", "--once", stdout=StringIO())
    assert Reading.objects.get(pk=reading.pk).billed_minutes == 3
    assert_moved(alice, bob, 3, Decimal("100.00"))


@pytest.mark.django_db
def test_low_balance_queues_auto_reload_for_the_worker_and_never_calls_stripe_while_billing(
    alice, bob, stripe_stub, run_tasks
):
    """Stripe never runs in the sweeper or a consumer: the dip queues one task; the worker calls Stripe."""
    from payments.models import AutoReload, AutoReloadAttempt, StripeCustomer

    fund(alice, "14.00")
    StripeCustomer.objects.create(user=alice, customer_id="cus_alice")
    AutoReload.objects.create(
        user=alice, enabled=True, threshold=Decimal("10.00"), amount=Decimal("20.00"), payment_method_id="pm_card_visa"
    )
    reading = active_reading(alice, bob)  # minute 1: $10 left
    run(reading, (2, 62))  # minute 2: $6 left, under the threshold
    services.sweep(now=at(62))
    assert stripe_stub.calls("POST", "/v1/payment_intents") == []  # nothing called on the billing path
    assert AutoReloadAttempt.objects.filter(user=alice).count() == 1  # one request per dip
    run_tasks()
    assert len(stripe_stub.calls("POST", "/v1/payment_intents")) == 1


# --- the rules, as a table ---------------------------------------------------------------------


def _reading(**fields):
    base = {"status": "active", "started_at": at(0), "resumed_at": at(0), "billed_minutes": 1, "rate": RATE}
    base.update(fields)
    return Reading(**base)


@pytest.mark.parametrize(
    ("reading", "presence", "now", "action"),
    [
        (_reading(status="accepted", started_at=None, accepted_at=at(0)), Presence(at(5), at(5)), 6, Action.START),
        (_reading(status="accepted", started_at=None, accepted_at=at(0)), Presence(at(5), None), 6, Action.NONE),
        (
            _reading(status="accepted", started_at=None, accepted_at=at(0)),
            Presence(at(130), None),
            130,
            Action.END_NO_SHOW,
        ),
        (_reading(), Presence(at(58), at(59)), 59, Action.NONE),
        (_reading(), Presence(at(60), at(59)), 60, Action.NONE),  # the reader not heard since minute 2 began
        (_reading(), Presence(at(60), at(61)), 61, Action.CHARGE),
        (_reading(), Presence(at(50), at(57)), 57, Action.PAUSE),  # client silent for 7 s > 6 s
        (_reading(), Presence(None, at(57)), 57, Action.PAUSE),
        (_reading(paused_at=at(50)), Presence(at(70), at(70)), 70, Action.RESUME),
        (_reading(paused_at=at(50)), Presence(at(50), at(169)), 169, Action.NONE),
        (_reading(paused_at=at(50)), Presence(at(50), at(170)), 170, Action.END_DISCONNECTED),
        (_reading(status="ended"), Presence(at(70), at(70)), 70, Action.NONE),
    ],
)
def test_decide(settings, reading, presence, now, action):
    settings.SOULSEER_BILLING_MINUTE_SECONDS = 60.0
    settings.READINGS_RECONNECT_GRACE_SECONDS = 120
    settings.READINGS_STALE_CONNECTION_SECONDS = 6.0
    assert decide(reading, presence, at(now)) is action
