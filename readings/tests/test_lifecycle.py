"""Request → accept / decline / expire / cancel, and every refusal a client can meet."""

from decimal import Decimal

import pytest
from django.db import IntegrityError

from accounts.models import ReaderProfile
from accounts.tests.factories import ReaderProfileFactory, UserFactory
from readings import services
from readings.models import Reading, Review
from readings.tests.helpers import active_reading, at, beat, fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def funded_alice(alice):
    fund(alice, "50.00")
    return alice


def test_request_and_accept(funded_alice, bob, django_capture_on_commit_callbacks):
    reading = services.request_reading(funded_alice, bob.reader_profile, "voice", now=at(0))
    assert reading.status == Reading.Status.REQUESTED
    assert reading.rate == Decimal("3.00")
    services.accept_reading(reading, bob, now=at(10))
    reading.refresh_from_db()
    assert reading.status == Reading.Status.ACCEPTED and reading.accepted_at == at(10)
    bob.reader_profile.refresh_from_db()
    assert bob.reader_profile.availability == ReaderProfile.Availability.BUSY


@pytest.mark.parametrize("availability", [ReaderProfile.Availability.OFFLINE, ReaderProfile.Availability.BUSY])
def test_refused_when_reader_is_not_online(funded_alice, bob, availability):
    ReaderProfile.objects.filter(user=bob).update(availability=availability)
    bob.reader_profile.refresh_from_db()
    with pytest.raises(services.ReadingError, match="not online"):
        services.request_reading(funded_alice, bob.reader_profile, "chat")
    assert not Reading.objects.exists()


def test_refused_when_client_cannot_afford_the_minimum_minutes(alice, bob):
    fund(alice, "11.99")  # video at $4: 3 minutes need $12
    with pytest.raises(services.ReadingError, match=r"at least \$12.00"):
        services.request_reading(alice, bob.reader_profile, "video")
    # chat at $2: 3 minutes = $6, above the $5 minimum
    assert services.request_reading(alice, bob.reader_profile, "chat").rate == Decimal("2.00")


def test_refused_below_the_minimum_balance_even_for_cheap_rates(alice):
    cheap = ReaderProfileFactory(chat_rate=Decimal("0.50")).user
    fund(alice, "4.99")
    with pytest.raises(services.ReadingError, match=r"at least \$5.00"):
        services.request_reading(alice, cheap.reader_profile, "chat")


def test_refused_when_type_not_offered(funded_alice, bob):
    ReaderProfile.objects.filter(user=bob).update(voice_rate=None)
    bob.reader_profile.refresh_from_db()
    with pytest.raises(services.ReadingError, match="does not offer voice"):
        services.request_reading(funded_alice, bob.reader_profile, "voice")


def test_refused_when_client_already_in_a_reading(funded_alice, bob):
    other = ReaderProfileFactory().user
    services.request_reading(funded_alice, bob.reader_profile, "chat")
    with pytest.raises(services.ReadingError, match="already in a reading"):
        services.request_reading(funded_alice, other.reader_profile, "chat")


def test_refused_when_reader_already_in_a_reading(funded_alice, bob):
    services.request_reading(funded_alice, bob.reader_profile, "chat")
    dave = UserFactory()
    fund(dave, "50.00")
    with pytest.raises(services.ReadingError, match="another reading"):
        services.request_reading(dave, bob.reader_profile, "chat")


def test_only_clients_request(bob):
    reader2 = ReaderProfileFactory().user
    with pytest.raises(services.ReadingError, match="Only client"):
        services.request_reading(bob, reader2.reader_profile, "chat")


def test_database_allows_one_open_reading_per_client(funded_alice, bob):
    services.request_reading(funded_alice, bob.reader_profile, "chat")
    other = ReaderProfileFactory().user
    with pytest.raises(IntegrityError):
        Reading.objects.create(client=funded_alice, reader=other, type="chat", rate="2.00", requested_at=at(0))


def test_decline(funded_alice, bob):
    reading = services.request_reading(funded_alice, bob.reader_profile, "chat")
    services.decline_reading(reading, bob)
    reading.refresh_from_db()
    assert reading.status == Reading.Status.DECLINED
    with pytest.raises(services.ReadingError):
        services.accept_reading(reading, bob)
    # the client may ask again
    services.request_reading(funded_alice, bob.reader_profile, "chat")


def test_only_the_reader_answers(funded_alice, bob):
    reading = services.request_reading(funded_alice, bob.reader_profile, "chat")
    intruder = ReaderProfileFactory().user
    with pytest.raises(services.ReadingError, match="not yours"):
        services.accept_reading(reading, intruder)


def test_cancel_while_waiting(funded_alice, bob):
    reading = services.request_reading(funded_alice, bob.reader_profile, "chat")
    services.cancel_reading(reading, funded_alice)
    reading.refresh_from_db()
    assert reading.status == Reading.Status.CANCELLED
    with pytest.raises(services.ReadingError):
        services.accept_reading(reading, bob)


def test_unanswered_request_expires(funded_alice, bob, settings):
    settings.READINGS_REQUEST_TIMEOUT_SECONDS = 60
    reading = services.request_reading(funded_alice, bob.reader_profile, "chat", now=at(0))
    assert services.expire_stale_requests(at(59)) == 0
    assert services.expire_stale_requests(at(60)) == 1
    reading.refresh_from_db()
    assert reading.status == Reading.Status.EXPIRED


def test_accepting_too_late_expires(funded_alice, bob):
    reading = services.request_reading(funded_alice, bob.reader_profile, "chat", now=at(0))
    with pytest.raises(services.ReadingError, match="expired"):
        services.accept_reading(reading, bob, now=at(61))
    reading.refresh_from_db()
    assert reading.status == Reading.Status.EXPIRED


def test_request_notifies_reader_after_commit(funded_alice, bob, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr("readings.events._send", lambda group, message: sent.append((group, message)))
    with django_capture_on_commit_callbacks(execute=True):
        reading = services.request_reading(funded_alice, bob.reader_profile, "video")
    group, message = next((g, m) for g, m in sent if g == f"user.{bob.pk}")
    assert message["type"] == "notify"
    assert message["payload"]["kind"] == "reading_request"
    assert message["payload"]["client"] == funded_alice.public_name  # "Client #id" unless shared
    assert message["payload"]["reading_type"] == "video"
    assert message["payload"]["reading"] == reading.pk


def test_review_once_and_rating_updates(funded_alice, bob):
    reading = active_reading(funded_alice, bob)
    with pytest.raises(services.ReadingError, match="once it has taken place"):
        services.leave_review(reading, funded_alice, 5)
    services.end_reading(reading, funded_alice, now=at(30))
    services.leave_review(reading, funded_alice, 4, "Lovely")
    with pytest.raises(services.ReadingError, match="already reviewed"):
        services.leave_review(reading, funded_alice, 5)
    with pytest.raises(services.ReadingError, match="1 to 5"):
        services.leave_review(reading, funded_alice, 6)
    profile = ReaderProfile.objects.get(user=bob)
    assert profile.review_count == 1 and profile.rating_average == Decimal("4.00")
    assert Review.objects.get(reading=reading).comment == "Lovely"


def test_only_the_client_reviews(funded_alice, bob):
    reading = active_reading(funded_alice, bob)
    services.end_reading(reading, bob, now=at(30))
    with pytest.raises(services.ReadingError, match="Only the client"):
        services.leave_review(reading, bob, 5)


def test_admin_refunds_minutes(funded_alice, bob, carol):
    from payments import services as payments

    reading = active_reading(funded_alice, bob)
    beat(reading, at(130))  # both still heard at 130 s
    services.charge_due_minutes(reading, at(130))  # 3 minutes
    services.end_reading(reading, funded_alice, now=at(131))
    before = payments.balance(funded_alice)
    services.refund_minutes(reading, 2, carol, "Dropped call")
    assert payments.balance(funded_alice) == before + Decimal("8.00")
    with pytest.raises(services.ReadingError):
        services.refund_minutes(reading, 2, bob, "nope")


def test_requesting_again_right_after_cancelling_waits_for_the_cooldown(funded_alice, bob, settings):
    settings.READINGS_REREQUEST_COOLDOWN_SECONDS = 30
    first = services.request_reading(funded_alice, bob.reader_profile, "chat", now=at(0))
    services.cancel_reading(first, funded_alice, now=at(2))
    with pytest.raises(services.ReadingError, match="ask again in 21 s"):
        services.request_reading(funded_alice, bob.reader_profile, "chat", now=at(11))
    assert Reading.objects.count() == 1  # nothing reached the reader
    assert services.request_reading(funded_alice, bob.reader_profile, "chat", now=at(33)).status == "requested"


def test_at_most_n_requests_an_hour(funded_alice, bob, settings):
    settings.READINGS_MAX_REQUESTS_PER_HOUR = 3
    settings.READINGS_REREQUEST_COOLDOWN_SECONDS = 0
    for minute in range(3):
        reading = services.request_reading(funded_alice, bob.reader_profile, "chat", now=at(minute * 60))
        services.cancel_reading(reading, funded_alice, now=at(minute * 60 + 1))
    with pytest.raises(services.ReadingError, match="at most 3 reading requests an hour"):
        services.request_reading(funded_alice, bob.reader_profile, "chat", now=at(600))
    later = services.request_reading(funded_alice, bob.reader_profile, "chat", now=at(3601))
    assert later.status == "requested"
